//! The emulator's SASL PLAIN check of the subscription's `aksign` login, written
//! independently of `crate::subscribe` so a mistake in one is caught by the other
//! (docs/subscription.md, "Connecting").

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use fe2o3_amqp::acceptor::sasl_acceptor::{SaslAcceptor, SaslServerFrame};
use fe2o3_amqp::types::primitives::{Array, Binary, Symbol};
use fe2o3_amqp::types::sasl::{SaslCode, SaslInit, SaslOutcome, SaslResponse};
use hmac::{Hmac, Mac};

use crate::clock::now_ms;

/// What the login check needs from the emulator's configuration.
pub(crate) struct Login {
    /// AccessKey ID → secret.
    pub secrets: HashMap<String, String>,
    /// The instance ID logins must name (`None`: an instance without one; the field must
    /// then be empty).
    pub iot_instance_id: Option<String>,
    /// The consumer groups that exist.
    pub groups: Vec<String>,
    /// How far the login's timestamp may be from the clock.
    pub skew: Duration,
}

/// Who logged in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Client {
    pub client_id: String,
    pub group: String,
}

/// One connection's SASL acceptor: checks the login and keeps the result for the
/// connection task.
#[derive(Clone)]
pub(crate) struct Verifier {
    login: Arc<Login>,
    refused: Arc<AtomicU64>,
    pub result: Arc<Mutex<Option<Result<Client, String>>>>,
}

impl Verifier {
    pub(crate) fn new(login: Arc<Login>, refused: Arc<AtomicU64>) -> Verifier {
        Verifier {
            login,
            refused,
            result: Arc::new(Mutex::new(None)),
        }
    }
}

impl SaslAcceptor for Verifier {
    fn mechanisms(&self) -> Array<Symbol> {
        Array::from(vec![Symbol::from("PLAIN")])
    }

    fn on_init(&mut self, init: SaslInit) -> SaslServerFrame {
        let result = if init.mechanism.0 != "PLAIN" {
            Err(format!(
                "mechanism `{}` is not supported; use PLAIN",
                init.mechanism.0
            ))
        } else {
            match init.initial_response {
                Some(response) => verify(&self.login, &response, now_ms().into()),
                None => Err("no initial response".to_string()),
            }
        };
        let outcome = match &result {
            Ok(_) => SaslOutcome {
                code: SaslCode::Ok,
                additional_data: None,
            },
            Err(reason) => {
                self.refused.fetch_add(1, Ordering::Relaxed);
                SaslOutcome {
                    code: SaslCode::Auth,
                    additional_data: Some(Binary::from(reason.clone().into_bytes())),
                }
            }
        };
        if let Ok(mut slot) = self.result.lock() {
            *slot = Some(result);
        }
        SaslServerFrame::Outcome(outcome)
    }

    fn on_response(&mut self, _response: SaslResponse) -> SaslServerFrame {
        SaslServerFrame::Outcome(SaslOutcome {
            code: SaslCode::Sys,
            additional_data: None,
        })
    }
}

/// Checks `\0user\0password`. The reason never contains the password or the secret.
pub(crate) fn verify(login: &Login, response: &[u8], now_ms: i128) -> Result<Client, String> {
    let mut parts = response.split(|b| *b == 0);
    let (Some(_authzid), Some(user), Some(password), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the PLAIN response is not `\\0user\\0password`".to_string());
    };
    let user = std::str::from_utf8(user).map_err(|_| "the user name is not UTF-8".to_string())?;
    let password =
        std::str::from_utf8(password).map_err(|_| "the password is not UTF-8".to_string())?;
    let mut pieces = user.split('|');
    let (Some(client_id), Some(params), Some(""), None) =
        (pieces.next(), pieces.next(), pieces.next(), pieces.next())
    else {
        return Err("the user name is not `{clientId}|{params}|`".to_string());
    };
    if client_id.is_empty() {
        return Err("the clientId is empty".to_string());
    }
    let mut fields: HashMap<&str, &str> = HashMap::new();
    for pair in params.split(',') {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!("`{pair}` in the user name is not key=value"));
        };
        if fields.insert(key, value).is_some() {
            return Err(format!("`{key}` appears twice in the user name"));
        }
    }
    let field = |key: &str| {
        fields
            .get(key)
            .copied()
            .ok_or_else(|| format!("the user name has no `{key}`"))
    };
    if field("authMode")? != "aksign" {
        return Err("authMode must be `aksign`".to_string());
    }
    let method = field("signMethod")?;
    let timestamp = field("timestamp")?;
    let auth_id = field("authId")?;
    let group = field("consumerGroupId")?;
    let instance = fields.get("iotInstanceId").copied().unwrap_or("");
    let ts: i128 = timestamp
        .parse()
        .map_err(|_| format!("timestamp `{timestamp}` is not epoch milliseconds"))?;
    if (now_ms - ts).unsigned_abs() > login.skew.as_millis() {
        return Err(format!(
            "timestamp {timestamp} is more than {} ms from the server's clock",
            login.skew.as_millis()
        ));
    }
    let Some(secret) = login.secrets.get(auth_id) else {
        return Err(format!("unknown authId (AccessKey ID) `{auth_id}`"));
    };
    let expected_instance = login.iot_instance_id.as_deref().unwrap_or("");
    if instance != expected_instance {
        return Err(format!("unknown iotInstanceId `{instance}`"));
    }
    if !login.groups.iter().any(|g| g == group) {
        return Err(format!("unknown consumerGroupId `{group}`"));
    }
    let text = format!("authId={auth_id}&timestamp={timestamp}");
    let expected = match method {
        "hmacsha1" => {
            let mut mac = <Hmac<sha1::Sha1> as Mac>::new_from_slice(secret.as_bytes())
                .map_err(|_| "bad key".to_string())?;
            mac.update(text.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "hmacsha256" => {
            let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(secret.as_bytes())
                .map_err(|_| "bad key".to_string())?;
            mac.update(text.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        "hmacmd5" => {
            let mut mac = <Hmac<md5::Md5> as Mac>::new_from_slice(secret.as_bytes())
                .map_err(|_| "bad key".to_string())?;
            mac.update(text.as_bytes());
            mac.finalize().into_bytes().to_vec()
        }
        other => {
            return Err(format!(
                "signMethod `{other}` is not supported by the emulator"
            ))
        }
    };
    if base64::engine::general_purpose::STANDARD.encode(expected) != password {
        return Err(format!(
            "the password is not the signature of `{text}` with authId's secret"
        ));
    }
    Ok(Client {
        client_id: client_id.to_string(),
        group: group.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn login() -> Login {
        Login {
            secrets: HashMap::from([("LTAIkey".to_string(), "s3cret".to_string())]),
            iot_instance_id: None,
            groups: vec!["DEFAULT_GROUP".to_string()],
            skew: Duration::from_secs(60),
        }
    }

    fn response(user: &str, password: &str) -> Vec<u8> {
        format!("\0{user}\0{password}").into_bytes()
    }

    const USER: &str = "app|authMode=aksign,signMethod=hmacsha1,timestamp=1700000000123,authId=LTAIkey,iotInstanceId=,consumerGroupId=DEFAULT_GROUP|";
    // printf 'authId=LTAIkey&timestamp=1700000000123' | openssl dgst -sha1 -hmac s3cret -binary | base64
    const PASSWORD: &str = "9SJ8S4coUi0C0Z4SiOzvmpAr7OY=";

    #[test]
    fn a_correct_login_passes() {
        let client = verify(&login(), &response(USER, PASSWORD), 1_700_000_000_123).unwrap();
        assert_eq!(client.group, "DEFAULT_GROUP");
        assert_eq!(client.client_id, "app");
    }

    #[test]
    fn each_wrong_part_is_refused_with_its_reason() {
        let now = 1_700_000_000_123;
        let err = verify(&login(), &response(USER, "AAAA"), now).unwrap_err();
        assert!(err.contains("not the signature"), "{err}");
        assert!(!err.contains("s3cret"));
        let err = verify(&login(), &response(USER, PASSWORD), now + 61_000).unwrap_err();
        assert!(err.contains("from the server's clock"), "{err}");
        let err = verify(
            &login(),
            &response(&USER.replace("DEFAULT_GROUP", "other"), PASSWORD),
            now,
        )
        .unwrap_err();
        assert!(err.contains("consumerGroupId"), "{err}");
        let err = verify(
            &login(),
            &response(&USER.replace("LTAIkey", "nobody"), PASSWORD),
            now,
        )
        .unwrap_err();
        assert!(err.contains("authId"), "{err}");
        let err = verify(
            &login(),
            &response(
                &USER.replace("iotInstanceId=", "iotInstanceId=iot-1"),
                PASSWORD,
            ),
            now,
        )
        .unwrap_err();
        assert!(err.contains("iotInstanceId"), "{err}");
        let err = verify(
            &login(),
            &response(&USER.replace("aksign", "x"), PASSWORD),
            now,
        )
        .unwrap_err();
        assert!(err.contains("authMode"), "{err}");
        assert!(verify(&login(), b"nonsense", now).is_err());
    }
}
