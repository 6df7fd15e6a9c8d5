//! Signing Alibaba Cloud RPC requests: signature V1 (`HMAC-SHA1`, the default here) and
//! `ACS3-HMAC-SHA256` (the default of the newer SDKs), both over the same RFC 3986
//! percent-encoding.
//!
//! Whatever varies per request (nonce, time) comes from the caller, so a signature is a
//! pure function of its inputs and Alibaba's published examples are reproduced byte for
//! byte in the tests; [`new_nonce`] and [`timestamp_now`] make fresh values.
//!
//! Signature V1 (Alibaba's "Signature mechanism"; `docs/platform.md` §5.3):
//!
//! ```text
//! CanonicalizedQueryString = every parameter but Signature, sorted by name in code-point
//!                            order, "name=value" percent-encoded, joined with "&"
//! StringToSign             = METHOD + "&%2F&" + percentEncode(CanonicalizedQueryString)
//! Signature                = Base64(HMAC-SHA1(AccessKeySecret + "&", StringToSign))
//! ```
//!
//! ```
//! use tsl_runtime::sign::{sign_rpc_v1, CommonParams, Credentials};
//!
//! let creds = Credentials::new("testid", "testsecret")?;
//! let mut params =
//!     CommonParams::new(&creds, "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "2016-02-23T12:46:24Z")
//!         .into_params();
//! params.push(("Action".to_string(), "QueryThingModel".to_string()));
//! params.push(("ProductKey".to_string(), "a1B2c3D4e5F".to_string()));
//! let signed = sign_rpc_v1("POST", params, &creds);
//! // POST https://iot.cn-shanghai.aliyuncs.com/?{signed.query}, no body (what the SDKs send).
//! assert!(signed.query.starts_with("AccessKeyId=testid&Action=QueryThingModel&"));
//! assert!(signed.query.contains("&Signature="));
//! # Ok::<(), tsl_runtime::sign::SignError>(())
//! ```

mod acs3;
mod chain;
mod credentials;
mod encode;
mod profile;
mod v1;

pub use acs3::{acs3_headers, sign_acs3, Acs3Signed};
pub use chain::CredentialSource;
pub use credentials::{Credentials, Secret};
pub use encode::{canonical_query, percent_encode};
pub use profile::CliProfile;
pub use v1::{
    sign_rpc_v1, sign_rpc_v1_pairs, sign_v1, string_to_sign, CommonParams, SignedRequest,
};

use hmac::digest::{Digest, Key, KeyInit};
use time::{OffsetDateTime, UtcOffset};

/// The API version of the IoT Platform RPC API that [`CommonParams`] sends by default.
pub const DEFAULT_API_VERSION: &str = "2018-01-20";

/// The response format [`CommonParams`] asks for by default; the gateway's own default is
/// XML, which nothing here parses.
pub const DEFAULT_FORMAT: &str = "JSON";

/// `SignatureMethod` of signature V1.
pub const SIGNATURE_METHOD_V1: &str = "HMAC-SHA1";

/// `SignatureVersion` of signature V1.
pub const SIGNATURE_VERSION_V1: &str = "1.0";

/// The algorithm name that starts an ACS3 string to sign and `Authorization` header.
pub const ACS3_ALGORITHM: &str = "ACS3-HMAC-SHA256";

/// The name of the V1 signature parameter: never signed itself, appended last.
const SIGNATURE: &str = "Signature";

/// What can go wrong before a request is signed. Signing itself cannot fail: every string
/// has an encoding and HMAC takes keys of any length.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// A credential was empty; the gateway would answer `InvalidAccessKeyId.NotFound` or
    /// `SignatureDoesNotMatch`, far from the cause.
    #[error("the {field} is empty")]
    EmptyCredential {
        /// `AccessKeyId`, `AccessKeySecret` or `SecurityToken`.
        field: &'static str,
    },
    /// [`Credentials::from_env`] found no AccessKey.
    #[error("environment variable {name} is not set or is empty")]
    MissingEnv {
        /// The variable to set.
        name: &'static str,
    },
    /// The aliyun CLI's profile file could not be used. The problem names keys, never
    /// their values.
    #[error("CLI profile file {}: {problem}", path.display())]
    ProfileFile {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The default chain found no credentials.
    #[error(
        "no credentials found; tried {}. Pass them explicitly, set \
         ALIBABA_CLOUD_ACCESS_KEY_ID and ALIBABA_CLOUD_ACCESS_KEY_SECRET, or run `aliyun configure`",
        tried.join(", then ")
    )]
    NoCredentials {
        /// Each source tried, and why it gave nothing.
        tried: Vec<String>,
    },
    /// The time cannot be written as `yyyy-MM-ddTHH:mm:ssZ` (year outside 0000–9999 in UTC).
    #[error("year {year} cannot be written as a four-digit UTC `Timestamp`")]
    TimestampOutOfRange {
        /// The year of the rejected time, in its own offset.
        year: i32,
    },
    /// An ACS3 header name is empty or has a character HTTP does not allow in a name.
    #[error("header name {name:?} is not a valid HTTP header name")]
    InvalidHeaderName {
        /// The name as given.
        name: String,
    },
    /// An ACS3 header value has a line break or another control character: it would break
    /// the canonical request and could smuggle a header. The value is not repeated here since
    /// it may be a token.
    #[error("the value of header `{name}` has a control character (line break?)")]
    InvalidHeaderValue {
        /// The header's lower-case name.
        name: String,
    },
    /// An ACS3 header was given twice (names compare case-insensitively).
    #[error("header `{name}` is given more than once")]
    DuplicateHeader {
        /// The header's lower-case name.
        name: String,
    },
    /// An ACS3 header that the signer computes was given.
    #[error(
        "header `{name}` is set by the signer; remove it (an STS token belongs in `Credentials`)"
    )]
    ReservedHeader {
        /// The header's lower-case name.
        name: String,
    },
    /// An ACS3 header the gateway requires is missing ([`acs3_headers`] makes them all).
    #[error("header `{name}` is required for ACS3 signing")]
    MissingHeader {
        /// The header's lower-case name.
        name: &'static str,
    },
}

/// An HMAC keyed with the concatenation of `key_parts`, without allocating the key and
/// without the `Result` of `new_from_slice`, whose error HMAC never returns: the key is
/// brought to one block as RFC 2104 section 2 says (hashed with `D` if longer, zero-padded),
/// which is what `new_from_slice` does with it too.
fn keyed<M: KeyInit, D: Digest>(key_parts: &[&[u8]]) -> M {
    let mut block = Key::<M>::default();
    let len: usize = key_parts.iter().map(|part| part.len()).sum();
    if len <= block.len() {
        let bytes = key_parts.iter().flat_map(|part| part.iter());
        for (slot, byte) in block.iter_mut().zip(bytes) {
            *slot = *byte;
        }
    } else {
        let mut hasher = D::new();
        for part in key_parts {
            Digest::update(&mut hasher, part);
        }
        for (slot, byte) in block.iter_mut().zip(hasher.finalize().iter()) {
            *slot = *byte;
        }
    }
    <M as KeyInit>::new(&block)
}

/// `text` split at `separator`, with what follows `prefix` replaced by `***` in each piece
/// that starts with it.
fn redact(text: &str, separator: &str, prefix: &str) -> String {
    text.split(separator)
        .map(|piece| {
            if piece.starts_with(prefix) {
                format!("{prefix}***")
            } else {
                piece.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(separator)
}

/// A fresh `SignatureNonce`: a random (v4) UUID, as the core SDK sends; the gateway refuses
/// a nonce it has seen (`SignatureNonceUsed`).
///
/// # Panics
/// Only if the operating system has no random numbers to give (`uuid` panics then); no
/// input can cause it.
pub fn new_nonce() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// Unique `SignatureNonce`s without asking the operating system for randomness each time:
/// one random 128-bit seed per sequence, then seed + a counter, written as a v4 UUID.
///
/// The gateway needs a nonce never seen before (`SignatureNonceUsed`), not an unpredictable
/// one: the signature, which needs the secret, is what a forger cannot make. Two sequences
/// collide only if their random seeds fall within 2^64 of each other. [`new_nonce`] costs a
/// system call (about as much as the HMAC of a small request); this costs an atomic add.
#[derive(Debug)]
pub struct NonceSequence {
    seed: u128,
    counter: std::sync::atomic::AtomicU64,
}

impl NonceSequence {
    /// A sequence with a fresh random seed.
    ///
    /// # Panics
    /// As [`new_nonce`]: only if the operating system has no random numbers to give.
    pub fn new() -> NonceSequence {
        NonceSequence {
            seed: uuid::Uuid::new_v4().as_u128(),
            counter: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// The next nonce: a v4 UUID, different from every earlier one of this sequence (for the
    /// first 2^62).
    pub fn next_nonce(&self) -> String {
        let n = self
            .counter
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        // Sums of the seed and distinct counters differ by less than 2^62 for the first 2^62
        // nonces, so they cannot differ only in the bits the UUID's version (76-79) and
        // variant (62-63) overwrite: distinct counters give distinct nonces.
        let bits = self.seed.wrapping_add(u128::from(n));
        uuid::Builder::from_random_bytes(bits.to_be_bytes())
            .into_uuid()
            .to_string()
    }
}

impl Default for NonceSequence {
    fn default() -> NonceSequence {
        NonceSequence::new()
    }
}

/// The current UTC time as `Timestamp` / `x-acs-date` want it: `2016-02-23T12:46:24Z`.
pub fn timestamp_now() -> String {
    utc_stamp(OffsetDateTime::now_utc())
}

/// `time` in UTC as `yyyy-MM-ddTHH:mm:ssZ`, fractions of a second dropped.
///
/// # Errors
/// [`SignError::TimestampOutOfRange`] if the UTC year is not 0000–9999.
pub fn format_timestamp(time: OffsetDateTime) -> Result<String, SignError> {
    match time.checked_to_offset(UtcOffset::UTC) {
        Some(utc) if (0..=9999).contains(&utc.year()) => Ok(utc_stamp(utc)),
        _ => Err(SignError::TimestampOutOfRange { year: time.year() }),
    }
}

/// Writes a UTC time, digit by digit: it is on every request's path, and `format!` with
/// six padded fields cost a third of a small request's HMAC. Years outside 0000-9999 (which
/// [`format_timestamp`] refuses and the clock does not reach) go through `format!`.
fn utc_stamp(utc: OffsetDateTime) -> String {
    let year = utc.year();
    let Ok(year4) = u16::try_from(year) else {
        return slow_stamp(utc);
    };
    if year4 > 9999 {
        return slow_stamp(utc);
    }
    let two = |n: u8| [b'0' + n / 10 % 10, b'0' + n % 10];
    let [y1, y2] = two((year4 / 100) as u8);
    let [y3, y4] = two((year4 % 100) as u8);
    let [mo1, mo2] = two(u8::from(utc.month()));
    let [d1, d2] = two(utc.day());
    let [h1, h2] = two(utc.hour());
    let [mi1, mi2] = two(utc.minute());
    let [s1, s2] = two(utc.second());
    let bytes = [
        y1, y2, y3, y4, b'-', mo1, mo2, b'-', d1, d2, b'T', h1, h2, b':', mi1, mi2, b':', s1, s2,
        b'Z',
    ];
    // Only ASCII digits and separators were written.
    String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| slow_stamp(utc))
}

fn slow_stamp(utc: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        utc.year(),
        u8::from(utc.month()),
        utc.day(),
        utc.hour(),
        utc.minute(),
        utc.second()
    )
}

#[cfg(test)]
mod testing {
    //! Helpers of the tests in every file of `sign`.
    //!
    //! Expected values not taken from Alibaba's published examples were computed
    //! independently with Python 3's standard library:
    //!
    //! ```text
    //! enc  = lambda s: urllib.parse.quote(s, safe='-_.~')
    //! canon = '&'.join(f'{enc(k)}={enc(v)}' for k, v in sorted(params) if k != 'Signature')
    //! sts  = f'{method}&%2F&{enc(canon)}'
    //! sig  = base64.b64encode(hmac.new((secret + '&').encode(), sts.encode(), hashlib.sha1).digest())
    //! acs3 = hmac.new(secret.encode(), ('ACS3-HMAC-SHA256\n' + hashlib.sha256(cr.encode()).hexdigest()).encode(), hashlib.sha256).hexdigest()
    //! ```

    use super::Credentials;

    pub(crate) fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    pub(crate) fn test_creds() -> Credentials {
        Credentials::new("testid", "testsecret").unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_nonce_sequence_is_unique_v4_uuids() {
        let nonces = NonceSequence::new();
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let nonce = nonces.next_nonce();
            assert_eq!(nonce.len(), 36);
            assert_eq!(nonce.as_bytes()[14], b'4');
            assert!(seen.insert(nonce));
        }
        assert!(!seen.contains(&NonceSequence::new().next_nonce()));
    }

    #[test]
    fn sign_nonce_is_a_v4_uuid() {
        let nonce = new_nonce();
        assert_eq!(nonce.len(), 36);
        assert_eq!(nonce.as_bytes()[14], b'4');
        assert!(nonce.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'));
        assert_ne!(nonce, new_nonce());
    }

    #[test]
    fn sign_timestamp_format() {
        let date = |y, m, d| time::Date::from_calendar_date(y, m, d).unwrap();
        let published = date(2016, time::Month::February, 23)
            .with_hms_milli(12, 46, 24, 789)
            .unwrap()
            .assume_utc();
        assert_eq!(format_timestamp(published).unwrap(), "2016-02-23T12:46:24Z");
        // Beijing time is UTC+8: the UTC date is the day before.
        let beijing = date(2024, time::Month::January, 1)
            .with_hms(7, 30, 5)
            .unwrap()
            .assume_offset(UtcOffset::from_hms(8, 0, 0).unwrap());
        assert_eq!(format_timestamp(beijing).unwrap(), "2023-12-31T23:30:05Z");
        let ancient = date(-1, time::Month::June, 1).midnight().assume_utc();
        assert_eq!(
            format_timestamp(ancient).unwrap_err(),
            SignError::TimestampOutOfRange { year: -1 }
        );
        for (y, m, d, h, mi, sec) in [
            (9999, 12, 31, 23, 59, 59),
            (1, 1, 1, 0, 0, 0),
            (2000, 2, 29, 9, 5, 7),
        ] {
            let t = date(y, time::Month::try_from(m).unwrap(), d)
                .with_hms(h, mi, sec)
                .unwrap()
                .assume_utc();
            assert_eq!(utc_stamp(t), slow_stamp(t));
        }
        let now = timestamp_now();
        assert_eq!(now.len(), 20);
        assert_eq!(&now[10..11], "T");
        assert!(now.ends_with('Z'));
    }
}
