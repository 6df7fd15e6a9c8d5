//! The SASL PLAIN user name and password of the platform's AMQP subscription
//! (docs/subscription.md, "Connecting").
//!
//! The user name carries the client, the AccessKey ID, a millisecond timestamp, the
//! instance and the consumer group; the password is an HMAC of `authId=..&timestamp=..`
//! under the AccessKey secret. A fresh pair is made for every connection attempt, so a
//! reconnect never replays a stale timestamp.

use std::fmt;

use base64::Engine as _;
use hmac::{Hmac, Mac};

use crate::clock::now_ms;
use crate::sign::Credentials;

/// The HMAC of the password (`signMethod` in the user name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignMethod {
    /// `hmacsha1`, what the platform's samples use.
    #[default]
    HmacSha1,
    /// `hmacsha256`.
    HmacSha256,
    /// `hmacmd5`, the third method the platform documents.
    HmacMd5,
}

impl SignMethod {
    /// The name in the user name: `hmacsha1`, `hmacsha256` or `hmacmd5`.
    pub fn as_str(self) -> &'static str {
        match self {
            SignMethod::HmacSha1 => "hmacsha1",
            SignMethod::HmacSha256 => "hmacsha256",
            SignMethod::HmacMd5 => "hmacmd5",
        }
    }

    /// `base64(HMAC(key, text))`.
    pub fn sign(self, key: &[u8], text: &str) -> String {
        let mac = match self {
            SignMethod::HmacSha1 => {
                let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(key)
                    .expect("HMAC accepts keys of any length");
                mac.update(text.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            SignMethod::HmacSha256 => {
                let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
                    .expect("HMAC accepts keys of any length");
                mac.update(text.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
            SignMethod::HmacMd5 => {
                let mut mac = <Hmac<md5::Md5> as Mac>::new_from_slice(key)
                    .expect("HMAC accepts keys of any length");
                mac.update(text.as_bytes());
                mac.finalize().into_bytes().to_vec()
            }
        };
        base64::engine::general_purpose::STANDARD.encode(mac)
    }
}

/// Who connects: the parts of the user name that do not change between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    /// `clientId`: names this consumer in the console; unique per process of a group.
    pub client_id: String,
    /// `consumerGroupId`.
    pub consumer_group: String,
    /// `iotInstanceId`; empty for an old public instance without an ID.
    pub iot_instance_id: String,
    /// `signMethod`.
    pub sign_method: SignMethod,
}

/// One attempt's SASL PLAIN pair. `Debug` never shows the password.
#[derive(Clone)]
pub struct SaslPlain {
    /// The user name (no secret in it: the AccessKey ID is public).
    pub username: String,
    pub(crate) password: String,
}

impl fmt::Debug for SaslPlain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslPlain")
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

impl SaslPlain {
    /// The pair for `identity` signed by `credentials` at `timestamp_ms`.
    pub fn new(identity: &Identity, credentials: &Credentials, timestamp_ms: u128) -> SaslPlain {
        let auth_id = credentials.access_key_id();
        let username = format!(
            "{}|authMode=aksign,signMethod={},timestamp={timestamp_ms},authId={auth_id},iotInstanceId={},consumerGroupId={}|",
            identity.client_id,
            identity.sign_method.as_str(),
            identity.iot_instance_id,
            identity.consumer_group,
        );
        let password = identity.sign_method.sign(
            credentials.access_key_secret().expose().as_bytes(),
            &format!("authId={auth_id}&timestamp={timestamp_ms}"),
        );
        SaslPlain { username, password }
    }

    /// The pair signed now.
    pub fn now(identity: &Identity, credentials: &Credentials) -> SaslPlain {
        SaslPlain::new(identity, credentials, now_ms().unsigned_abs().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            client_id: "app-1".into(),
            consumer_group: "DEFAULT_GROUP".into(),
            iot_instance_id: "iot-06z00".into(),
            sign_method: SignMethod::HmacSha1,
        }
    }

    #[test]
    fn user_name_has_every_field_in_order() {
        let creds = Credentials::new("LTAIkey", "s3cret").unwrap();
        let pair = SaslPlain::new(&identity(), &creds, 1_700_000_000_123);
        assert_eq!(
            pair.username,
            "app-1|authMode=aksign,signMethod=hmacsha1,timestamp=1700000000123,authId=LTAIkey,iotInstanceId=iot-06z00,consumerGroupId=DEFAULT_GROUP|"
        );
    }

    #[test]
    fn password_is_base64_hmac_of_auth_id_and_timestamp() {
        // Reference values computed independently:
        // printf 'authId=LTAIkey&timestamp=1700000000123' | openssl dgst -sha1 -hmac s3cret -binary | base64
        let creds = Credentials::new("LTAIkey", "s3cret").unwrap();
        let pair = SaslPlain::new(&identity(), &creds, 1_700_000_000_123);
        assert_eq!(pair.password, "9SJ8S4coUi0C0Z4SiOzvmpAr7OY=");
        assert_eq!(
            SignMethod::HmacSha1.sign(b"key", "The quick brown fox jumps over the lazy dog"),
            "3nybhbi3iqa8ino29wqQcBydtNk="
        );
        assert_eq!(
            SignMethod::HmacSha256.sign(b"key", "The quick brown fox jumps over the lazy dog"),
            "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="
        );
        // RFC 2104's HMAC-MD5 of the same text, 80070713463e7749b90c2dc24911e275 in hex.
        assert_eq!(
            SignMethod::HmacMd5.sign(b"key", "The quick brown fox jumps over the lazy dog"),
            "gAcHE0Y+d0m5DC3CSRHidQ=="
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let creds = Credentials::new("LTAIkey", "s3cret").unwrap();
        let pair = SaslPlain::new(&identity(), &creds, 1);
        let shown = format!("{pair:?}");
        assert!(!shown.contains(&pair.password), "{shown}");
        assert!(shown.contains("***"));
    }
}
