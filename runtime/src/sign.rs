//! Signing Alibaba Cloud RPC requests: signature V1 (`HMAC-SHA1`, the default here) and
//! `ACS3-HMAC-SHA256` (the default of the newer SDKs), both over the same RFC 3986
//! percent-encoding.
//!
//! Whatever varies per request (nonce, time) comes from the caller, so a signature is a
//! pure function of its inputs and Alibaba's published examples are reproduced byte for
//! byte in the tests; [`new_nonce`] and [`timestamp_now`] make fresh values.
//!
//! Signature V1 (Alibaba's "Signature mechanism"; PLATFORM.md 5.3):
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

use std::fmt;

use base64::Engine as _;
use hmac::digest::{Digest, Key, KeyInit};
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::Sha256;
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

/// The query parameter that carries an STS token; redacted from `Debug` output.
const SECURITY_TOKEN: &str = "SecurityToken";

/// The ACS3 header that carries an STS token; redacted from `Debug` output.
const ACS3_TOKEN_HEADER: &str = "x-acs-security-token";

/// The ACS3 header that carries the hex SHA-256 of the body.
const ACS3_CONTENT_SHA256: &str = "x-acs-content-sha256";

/// Headers ACS3 requires; without them the gateway refuses the request, so it is refused here
/// with the header's name instead.
const ACS3_REQUIRED_HEADERS: [&str; 5] = [
    "host",
    "x-acs-action",
    "x-acs-version",
    "x-acs-date",
    "x-acs-signature-nonce",
];

/// Environment variables of the official SDKs' default chain (PLATFORM.md 7).
const ENV_ACCESS_KEY_ID: &str = "ALIBABA_CLOUD_ACCESS_KEY_ID";
const ENV_ACCESS_KEY_SECRET: &str = "ALIBABA_CLOUD_ACCESS_KEY_SECRET";
const ENV_SECURITY_TOKEN: &str = "ALIBABA_CLOUD_SECURITY_TOKEN";
/// The legacy core SDK's fallback pair.
const ENV_LEGACY_ACCESS_KEY_ID: &str = "ALIYUN_ACCESS_KEY_ID";
const ENV_LEGACY_ACCESS_KEY_SECRET: &str = "ALIYUN_ACCESS_KEY_SECRET";

/// Everything but RFC 3986's unreserved characters (`A–Z a–z 0–9 - _ . ~`) is encoded: Alibaba
/// documents exactly this set (space as `%20`, never `+`; `*` as `%2A`; `~` kept).
const ENCODE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

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

/// A secret string: an AccessKey secret or an STS token.
///
/// `Debug` and `Display` print `***`, so a secret never reaches a log through a struct that
/// holds it; reading it takes [`Secret::expose`], which makes every use visible in review.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(secret: impl Into<String>) -> Secret {
        Secret(secret.into())
    }

    /// The secret itself, for signing or for sending (an STS token goes on the wire).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Secret {
        Secret(secret)
    }
}

impl From<&str> for Secret {
    fn from(secret: &str) -> Secret {
        Secret(secret.to_string())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// An AccessKey pair, with an STS token when the key is temporary.
///
/// `Debug` shows the AccessKey ID (it is sent in every request anyway) and `***` for the
/// secret and the token.
#[derive(Debug, Clone)]
pub struct Credentials {
    access_key_id: String,
    access_key_secret: Secret,
    security_token: Option<Secret>,
}

impl Credentials {
    /// A long-term AccessKey pair.
    ///
    /// # Errors
    /// [`SignError::EmptyCredential`] if either part is empty.
    pub fn new(
        access_key_id: impl Into<String>,
        access_key_secret: impl Into<String>,
    ) -> Result<Credentials, SignError> {
        let access_key_id = access_key_id.into();
        let access_key_secret = access_key_secret.into();
        if access_key_id.is_empty() {
            return Err(SignError::EmptyCredential {
                field: "AccessKeyId",
            });
        }
        if access_key_secret.is_empty() {
            return Err(SignError::EmptyCredential {
                field: "AccessKeySecret",
            });
        }
        Ok(Credentials {
            access_key_id,
            access_key_secret: Secret(access_key_secret),
            security_token: None,
        })
    }

    /// The same pair as temporary STS credentials: the token is sent as `SecurityToken`
    /// (V1) or `x-acs-security-token` (ACS3).
    ///
    /// # Errors
    /// [`SignError::EmptyCredential`] if the token is empty: an empty token is a caller's
    /// mistake here, not a way to say "no token".
    pub fn with_security_token(
        mut self,
        security_token: impl Into<String>,
    ) -> Result<Credentials, SignError> {
        let token = security_token.into();
        if token.is_empty() {
            return Err(SignError::EmptyCredential {
                field: "SecurityToken",
            });
        }
        self.security_token = Some(Secret(token));
        Ok(self)
    }

    /// Reads the first step of the official SDKs' default chain: `ALIBABA_CLOUD_ACCESS_KEY_ID`,
    /// `ALIBABA_CLOUD_ACCESS_KEY_SECRET` and, when set and non-empty,
    /// `ALIBABA_CLOUD_SECURITY_TOKEN`; if the ID is unset, the legacy core SDK's
    /// `ALIYUN_ACCESS_KEY_ID` / `ALIYUN_ACCESS_KEY_SECRET`.
    ///
    /// # Errors
    /// [`SignError::MissingEnv`] naming the variable to set.
    pub fn from_env() -> Result<Credentials, SignError> {
        Credentials::from_lookup(|name| std::env::var(name).ok())
    }

    /// [`Credentials::from_env`] over any source of variables, so the rules can be tested
    /// without touching the process environment.
    ///
    /// # Errors
    /// [`SignError::MissingEnv`] naming the variable to set.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Credentials, SignError> {
        // Empty counts as unset, as in the SDKs (`ALIBABA_CLOUD_SECURITY_TOKEN` "when non-empty").
        let get = |name: &str| lookup(name).filter(|value| !value.is_empty());
        // A pair comes from one convention only: an ID from one and a secret from the other
        // would be a mismatch that only the gateway could report.
        let (id_var, secret_var) =
            if get(ENV_ACCESS_KEY_ID).is_none() && get(ENV_LEGACY_ACCESS_KEY_ID).is_some() {
                (ENV_LEGACY_ACCESS_KEY_ID, ENV_LEGACY_ACCESS_KEY_SECRET)
            } else {
                (ENV_ACCESS_KEY_ID, ENV_ACCESS_KEY_SECRET)
            };
        let id = get(id_var).ok_or(SignError::MissingEnv { name: id_var })?;
        let secret = get(secret_var).ok_or(SignError::MissingEnv { name: secret_var })?;
        let creds = Credentials::new(id, secret)?;
        match get(ENV_SECURITY_TOKEN) {
            Some(token) => creds.with_security_token(token),
            None => Ok(creds),
        }
    }

    /// The AccessKey ID.
    pub fn access_key_id(&self) -> &str {
        &self.access_key_id
    }

    /// The AccessKey secret.
    pub fn access_key_secret(&self) -> &Secret {
        &self.access_key_secret
    }

    /// The STS token, for temporary credentials.
    pub fn security_token(&self) -> Option<&Secret> {
        self.security_token.as_ref()
    }
}

/// Percent-encodes `s` as Alibaba specifies (RFC 3986): `A–Z a–z 0–9 - _ . ~` stay, every
/// other UTF-8 byte becomes `%XY` with upper-case hex (space `%20`, `*` `%2A`, `+` `%2B`).
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(encoded_len(s));
    push_encoded(&mut out, s);
    out
}

/// Appends the encoding of `s`; the crate yields unencoded runs as one slice, so plain text
/// is copied in bulk.
fn push_encoded(out: &mut String, s: &str) {
    out.extend(percent_encoding::utf8_percent_encode(s, ENCODE));
}

/// The exact length of `percent_encode(s)`, so buffers are allocated once.
fn encoded_len(s: &str) -> usize {
    s.len() + 2 * count_escaped(s.as_bytes())
}

/// The V1 CanonicalizedQueryString: every parameter except `Signature`, sorted by name in
/// code-point order (case-sensitive: `DeviceName.1` < `DeviceName.10` < `DeviceName.2`,
/// `Z` < `a`), names and values percent-encoded, `name=value` joined with `&`; an empty
/// value signs as `name=`.
///
/// A name given twice (not something the API defines) is kept twice, ordered by value, so
/// the result does not depend on the input order.
pub fn canonical_query(params: &[(String, String)]) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .iter()
        .filter(|(name, _)| name != SIGNATURE)
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    // Byte order of UTF-8 is code-point order, which is what Alibaba sorts by.
    pairs.sort_unstable();
    encode_sorted(pairs.iter().copied(), 0)
}

/// Joins already sorted pairs into a canonical query, allocating once: the exact encoded
/// length plus `spare` bytes for what the caller appends.
fn encode_sorted<'a, I>(pairs: I, spare: usize) -> String
where
    I: Iterator<Item = (&'a str, &'a str)> + Clone,
{
    let len: usize = pairs
        .clone()
        .map(|(name, value)| encoded_len(name) + encoded_len(value) + 2)
        .sum();
    let mut out = String::with_capacity(len + spare);
    for (name, value) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        push_encoded(&mut out, name);
        out.push('=');
        push_encoded(&mut out, value);
    }
    out
}

/// The V1 StringToSign: `METHOD&%2F&` + `percent_encode(canonical)`. `method` is used as
/// given (upper case, as sent); `%2F` is the encoded path `/` of every RPC call.
pub fn string_to_sign(method: &str, canonical: &str) -> String {
    const PATH: &str = "&%2F&";
    let mut out = String::with_capacity(method.len() + PATH.len() + encoded_len(canonical));
    out.push_str(method);
    out.push_str(PATH);
    push_encoded(&mut out, canonical);
    out
}

/// The V1 signature: Base64(HMAC-SHA1(key = secret + `"&"`, string_to_sign)).
pub fn sign_v1(secret: &Secret, string_to_sign: &str) -> String {
    let mut mac = keyed::<Hmac<Sha1>, Sha1>(&[secret.expose().as_bytes(), b"&"]);
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
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

/// A request signed with signature V1.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The HTTP method that was signed.
    pub method: String,
    /// The whole query string to send after `/?`: the canonical query, then
    /// `&Signature=<percent-encoded signature>`.
    pub query: String,
    /// What was signed; compare it with the server's string in a `SignatureDoesNotMatch`
    /// message: if they are equal, the secret is wrong.
    pub string_to_sign: String,
    /// The Base64 signature, before percent-encoding.
    pub signature: String,
}

impl fmt::Debug for SignedRequest {
    /// Shows an STS token as `***`; the other parameters are not secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let token = format!("{SECURITY_TOKEN}=");
        let token_in_sts = format!("{SECURITY_TOKEN}%3D");
        // The canonical query is double-encoded in the string to sign: `&` is `%26`, `=` `%3D`.
        let string_to_sign = match self.string_to_sign.split_once("&%2F&") {
            Some((method, rest)) => {
                format!("{method}&%2F&{}", redact(rest, "%26", &token_in_sts))
            }
            None => self.string_to_sign.clone(),
        };
        f.debug_struct("SignedRequest")
            .field("method", &self.method)
            .field("query", &redact(&self.query, "&", &token))
            .field("string_to_sign", &string_to_sign)
            .field("signature", &self.signature)
            .finish()
    }
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

/// Signs an RPC request with signature V1 and appends `Signature`.
///
/// `params` is every parameter the request sends ([`CommonParams`] plus the action's own,
/// `Action` among them); a `Signature` already in it is left out, since it would be stale.
/// Pass the vector or a reference to it: the parameters are sorted by reference, never
/// copied, and a caller that keeps them does not pay for freeing them here.
///
/// The result equals [`canonical_query`], [`string_to_sign`] and [`sign_v1`] composed (a
/// property test holds them to it), but the canonical query and the string to sign are
/// written together in one pass into buffers sized exactly beforehand.
pub fn sign_rpc_v1(
    method: &str,
    params: impl AsRef<[(String, String)]>,
    creds: &Credentials,
) -> SignedRequest {
    // "&Signature=" and 28 Base64 characters, each possibly encoded to three.
    const SIGNATURE_ROOM: usize = 1 + SIGNATURE.len() + 1 + 28 * 3;
    let params = params.as_ref();
    // Sized up front: `filter` hides the length from `collect`, which would grow the vector.
    let mut sorted: Vec<Param<'_>> = Vec::with_capacity(params.len());
    sorted.extend(
        params
            .iter()
            .filter(|(name, _)| name != SIGNATURE)
            .map(|(name, value)| Param::new(name, value)),
    );
    sorted.sort_unstable_by(Param::order);
    // The canonical query is also the query that is sent: what is signed is what goes out.
    let (mut query, string_to_sign) = encode_v1(method, &mut sorted, SIGNATURE_ROOM)
        .unwrap_or_else(|| {
            let pairs = sorted.iter().map(|param| (param.name, param.value));
            let canonical = encode_sorted(pairs, SIGNATURE_ROOM);
            let sts = string_to_sign(method, &canonical);
            (canonical, sts)
        });
    let signature = sign_v1(&creds.access_key_secret, &string_to_sign);
    if !query.is_empty() {
        query.push('&');
    }
    query.push_str(SIGNATURE);
    query.push('=');
    push_encoded(&mut query, &signature);
    SignedRequest {
        method: method.to_string(),
        query,
        string_to_sign,
        signature,
    }
}

// The one-pass V1 encoder, for `sign_rpc_v1`. Through `percent_encoding`, which yields one
// slice per escape and per run, each appended with a `memcpy` call, and sorting by string
// comparison, signing measured 5 to 10 times the bare HMAC-SHA1 of the same string. Here
// names sort by integer keys, each text is counted once, copied whole when nothing in it is
// escaped, else 16 bytes at a time or byte by byte from tables, without `unsafe`. Tests hold
// the tables to `percent_encoding` on every byte and the output to the plain path.

/// A parameter being signed, with what sorting and sizing need.
struct Param<'a> {
    /// The first 16 bytes of the name, zero-padded, big-endian. Keys that differ order their
    /// names as the names compare (a name that is a prefix of another pads with zeros, the
    /// lowest byte), so the sort compares integers and looks at the names only on equal
    /// keys: `DeviceName.1` … `DeviceName.100` all differ within 16 bytes.
    key: u128,
    name: &'a str,
    value: &'a str,
    /// How many bytes of the name and of the value are escaped; filled while sizing.
    escaped: [usize; 2],
}

impl<'a> Param<'a> {
    fn new(name: &'a str, value: &'a str) -> Param<'a> {
        let bytes = name.as_bytes();
        // Read straight from the name, or shifted together in a register: bytes stored one
        // by one into an array and read back as one integer stall the CPU.
        let key = match bytes.first_chunk::<16>() {
            Some(first) => u128::from_be_bytes(*first),
            None => {
                let folded = bytes
                    .iter()
                    .fold(0u128, |key, &b| (key << 8) | u128::from(b));
                // Shorter than 16 bytes here: pad on the right. An empty name shifts by
                // 128, which `checked_shl` refuses; its key is 0.
                let pad = 8 * (16 - bytes.len()) as u32;
                folded.checked_shl(pad).unwrap_or(0)
            }
        };
        Param {
            key,
            name,
            value,
            escaped: [0; 2],
        }
    }

    /// Code-point order of names, then of values, as [`canonical_query`] sorts. Small, so the
    /// sort inlines it; equal keys are rare and compared out of line.
    fn order(a: &Param<'_>, b: &Param<'_>) -> std::cmp::Ordering {
        match a.key.cmp(&b.key) {
            std::cmp::Ordering::Equal => Param::order_names(a, b),
            unequal => unequal,
        }
    }

    #[cold]
    #[inline(never)]
    fn order_names(a: &Param<'_>, b: &Param<'_>) -> std::cmp::Ordering {
        (a.name, a.value).cmp(&(b.name, b.value))
    }
}

/// RFC 3986 unreserved bytes: the set [`ENCODE`] leaves alone.
static UNRESERVED: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        byte += 1;
    }
    table
};

fn is_unreserved(b: u8) -> bool {
    UNRESERVED[usize::from(b)]
}

/// `%XY` with upper-case hex.
const fn escape(b: u8) -> [u8; 3] {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    [b'%', HEX[(b >> 4) as usize], HEX[(b & 0x0f) as usize]]
}

/// Each byte percent-encoded once (`A` or `%2B`), padded to a table row.
static ONCE: [[u8; 4]; 256] = {
    let mut table = [[0; 4]; 256];
    let mut byte = 0;
    while byte < 256 {
        let [percent, hi, lo] = escape(byte as u8);
        table[byte] = if UNRESERVED[byte] {
            [byte as u8, 0, 0, 0]
        } else {
            [percent, hi, lo, 0]
        };
        byte += 1;
    }
    table
};

/// Each byte percent-encoded twice (`A` or `%252B`), padded to a table row.
static TWICE: [[u8; 8]; 256] = {
    let mut table = [[0; 8]; 256];
    let mut byte = 0;
    while byte < 256 {
        let [percent, hi, lo] = escape(byte as u8);
        table[byte] = if UNRESERVED[byte] {
            [byte as u8, 0, 0, 0, 0, 0, 0, 0]
        } else {
            [percent, b'2', b'5', hi, lo, 0, 0, 0]
        };
        byte += 1;
    }
    table
};

/// For a 16-byte chunk: how many bytes are escaped, and how many unreserved bytes come
/// before the first escaped one (16 if none). The flags are computed as one vector
/// comparison and read back as two integers; baseline x86-64 has no `popcnt`, so the count
/// is a multiply that sums the flag bytes.
fn scan_chunk(chunk: &[u8; 16]) -> (u32, usize) {
    let mut flags = [0u8; 16];
    for (flag, &b) in flags.iter_mut().zip(chunk) {
        *flag = u8::from(!unreserved_arith(b));
    }
    let [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p] = flags;
    let low = u64::from_le_bytes([a, b, c, d, e, f, g, h]);
    let high = u64::from_le_bytes([i, j, k, l, m, n, o, p]);
    const ONES: u64 = 0x0101_0101_0101_0101;
    // Each flag is 0 or 1, so the byte sums cannot carry.
    let count = ((low.wrapping_mul(ONES) >> 56) + (high.wrapping_mul(ONES) >> 56)) as u32;
    let clean = if low != 0 {
        (low.trailing_zeros() / 8) as usize
    } else if high != 0 {
        8 + (high.trailing_zeros() / 8) as usize
    } else {
        16
    };
    (count, clean)
}

/// Room after each buffer for the last table row written whole.
const SLACK: usize = 8;

/// How many bytes of `bytes` percent-encoding escapes. Long texts are counted with
/// branch-free arithmetic over chunks with a `u8` counter, which the compiler vectorises;
/// short ones (most names and values) 16 bytes at a time, then from the table.
fn count_escaped(bytes: &[u8]) -> usize {
    if bytes.len() >= 128 {
        return bytes
            .chunks(128)
            .map(|chunk| {
                let escaped: u8 = chunk.iter().map(|&b| u8::from(!unreserved_arith(b))).sum();
                usize::from(escaped)
            })
            .sum();
    }
    let mut rest = bytes;
    let mut escaped = 0;
    while let Some((chunk, after)) = rest.split_first_chunk::<16>() {
        escaped += scan_chunk(chunk).0 as usize;
        rest = after;
    }
    escaped
        + rest
            .iter()
            .map(|&b| usize::from(!is_unreserved(b)))
            .sum::<usize>()
}

/// [`is_unreserved`] as comparisons rather than a table lookup, so that loops over many
/// bytes vectorise.
fn unreserved_arith(b: u8) -> bool {
    let lower = b | 0x20;
    (b.wrapping_sub(b'0') < 10)
        | (lower.wrapping_sub(b'a') < 26)
        | (b == b'-')
        | (b == b'_')
        | (b == b'.')
        | (b == b'~')
}

/// The V1 canonical query (with `spare` bytes of capacity left) and string to sign of
/// sorted `params`, written side by side: the canonical form encodes a byte to `%XY`, the
/// string to sign encodes that again to `%25XY`, and the separators `=` and `&` to `%3D`
/// and `%26`. Both lengths are computed first, so each buffer is allocated once. `None`
/// only if that arithmetic were wrong; the caller then takes the plain path.
fn encode_v1(method: &str, params: &mut [Param<'_>], spare: usize) -> Option<(String, String)> {
    const PATH: &[u8] = b"&%2F&";
    let separators = params.len().saturating_sub(1);
    let mut canonical_len = separators;
    let mut sts_len = method.len() + PATH.len() + 3 * separators;
    for param in params.iter_mut() {
        param.escaped = [
            count_escaped(param.name.as_bytes()),
            count_escaped(param.value.as_bytes()),
        ];
        let plain = param.name.len() + param.value.len();
        let escaped = param.escaped[0] + param.escaped[1];
        canonical_len += plain + 2 * escaped + 1;
        sts_len += plain + 4 * escaped + 3;
    }
    let mut canonical = Vec::with_capacity(canonical_len + SLACK.max(spare));
    canonical.resize(canonical_len + SLACK, 0);
    let mut sts = vec![0; sts_len + SLACK];
    let mut at = Positions {
        canonical: 0,
        sts: method.len() + PATH.len(),
    };
    sts.get_mut(..method.len())?
        .copy_from_slice(method.as_bytes());
    sts.get_mut(method.len()..at.sts)?.copy_from_slice(PATH);
    for (index, param) in params.iter().enumerate() {
        if index > 0 {
            at = at.put(&mut canonical, b"&", &mut sts, b"%26")?;
        }
        at = at.text(
            param.name.as_bytes(),
            param.escaped[0],
            &mut canonical,
            &mut sts,
        )?;
        at = at.put(&mut canonical, b"=", &mut sts, b"%3D")?;
        at = at.text(
            param.value.as_bytes(),
            param.escaped[1],
            &mut canonical,
            &mut sts,
        )?;
    }
    if at.canonical != canonical_len || at.sts != sts_len {
        return None;
    }
    canonical.truncate(canonical_len);
    sts.truncate(sts_len);
    // Only ASCII was written, so both conversions succeed.
    Some((
        String::from_utf8(canonical).ok()?,
        String::from_utf8(sts).ok()?,
    ))
}

/// Where the next byte goes in the canonical query and in the string to sign. Passed and
/// returned by value, so the positions stay in registers while bytes are stored (a stored
/// `u8` could alias a position kept in memory, forcing a reload after every byte).
#[derive(Clone, Copy)]
struct Positions {
    canonical: usize,
    sts: usize,
}

impl Positions {
    /// Writes `in_canonical` and `in_sts`, whose lengths are known at compile time, so each
    /// copy is a few moves, not a `memcpy` call.
    fn put<const C: usize, const S: usize>(
        self,
        canonical: &mut [u8],
        in_canonical: &[u8; C],
        sts: &mut [u8],
        in_sts: &[u8; S],
    ) -> Option<Positions> {
        let end = Positions {
            canonical: self.canonical + C,
            sts: self.sts + S,
        };
        canonical
            .get_mut(self.canonical..end.canonical)?
            .copy_from_slice(in_canonical);
        sts.get_mut(self.sts..end.sts)?.copy_from_slice(in_sts);
        Some(end)
    }

    /// Writes `text`, of which `escaped` bytes are escaped, encoded once into `canonical`
    /// and twice into `sts`.
    fn text(
        mut self,
        text: &[u8],
        escaped: usize,
        canonical: &mut [u8],
        sts: &mut [u8],
    ) -> Option<Positions> {
        if escaped == 0 {
            let end = Positions {
                canonical: self.canonical + text.len(),
                sts: self.sts + text.len(),
            };
            canonical
                .get_mut(self.canonical..end.canonical)?
                .copy_from_slice(text);
            sts.get_mut(self.sts..end.sts)?.copy_from_slice(text);
            return Some(end);
        }
        // Long texts go 16 bytes at a time: the whole chunk is stored, the positions advance
        // over its unreserved prefix, and the byte after it is escaped. A base64 payload
        // (one byte in 32 escaped) thus costs about one step per 16 bytes.
        let mut rest = text;
        while let Some((chunk, _)) = rest.split_first_chunk::<16>() {
            let (in_chunk, clean) = scan_chunk(chunk);
            if in_chunk > 2 {
                // Dense escapes (JSON, CJK text): byte by byte is cheaper.
                for &b in chunk {
                    self = self.byte(b, canonical, sts)?;
                }
                rest = rest.get(16..)?;
                continue;
            }
            // In bounds: what `rest` encodes to is at least as long as `rest`.
            canonical
                .get_mut(self.canonical..self.canonical + 16)?
                .copy_from_slice(chunk);
            sts.get_mut(self.sts..self.sts + 16)?.copy_from_slice(chunk);
            self.canonical += clean;
            self.sts += clean;
            rest = rest.get(clean..)?;
            if clean < 16 {
                let (&b, after) = rest.split_first()?;
                self = self.byte(b, canonical, sts)?;
                rest = after;
            }
        }
        for &b in rest {
            self = self.byte(b, canonical, sts)?;
        }
        Some(self)
    }

    /// One byte, without a branch on its class (mixed text would mispredict it): its table
    /// rows are stored whole, and the positions advance by the encoded lengths.
    fn byte(self, b: u8, canonical: &mut [u8], sts: &mut [u8]) -> Option<Positions> {
        let row = usize::from(b);
        let escaped = usize::from(!UNRESERVED[row]);
        canonical
            .get_mut(self.canonical..self.canonical + 4)?
            .copy_from_slice(&ONCE[row]);
        sts.get_mut(self.sts..self.sts + 8)?
            .copy_from_slice(&TWICE[row]);
        Some(Positions {
            canonical: self.canonical + 1 + 2 * escaped,
            sts: self.sts + 1 + 4 * escaped,
        })
    }
}

/// Alibaba's common request parameters for signature V1 (Common-doc; PLATFORM.md 5.2):
/// `Format`, `Version`, `AccessKeyId`, `SignatureMethod`, `SignatureVersion`,
/// `SignatureNonce`, `Timestamp`, `SecurityToken` for STS credentials, and `RegionId` when
/// set. `Action` and the action's parameters are the caller's.
#[derive(Debug, Clone)]
pub struct CommonParams {
    access_key_id: String,
    security_token: Option<Secret>,
    nonce: String,
    timestamp: String,
    version: String,
    format: String,
    region_id: Option<String>,
}

impl CommonParams {
    /// Common parameters with the given nonce and timestamp (see [`new_nonce`] and
    /// [`timestamp_now`]), `Version` [`DEFAULT_API_VERSION`] and `Format`
    /// [`DEFAULT_FORMAT`].
    pub fn new(
        creds: &Credentials,
        nonce: impl Into<String>,
        timestamp: impl Into<String>,
    ) -> CommonParams {
        CommonParams {
            access_key_id: creds.access_key_id.clone(),
            security_token: creds.security_token.clone(),
            nonce: nonce.into(),
            timestamp: timestamp.into(),
            version: DEFAULT_API_VERSION.to_string(),
            format: DEFAULT_FORMAT.to_string(),
            region_id: None,
        }
    }

    /// Common parameters with a fresh nonce and the current time: for a request about to be
    /// sent (the gateway refuses old timestamps and reused nonces).
    pub fn fresh(creds: &Credentials) -> CommonParams {
        CommonParams::new(creds, new_nonce(), timestamp_now())
    }

    /// Another API `Version`.
    #[must_use]
    pub fn version(mut self, version: impl Into<String>) -> CommonParams {
        self.version = version.into();
        self
    }

    /// Another response `Format` (`XML`).
    #[must_use]
    pub fn format(mut self, format: impl Into<String>) -> CommonParams {
        self.format = format.into();
        self
    }

    /// Adds `RegionId`: Common-doc calls it required, the tea SDK omits it, the core SDK
    /// sends it.
    #[must_use]
    pub fn region_id(mut self, region_id: impl Into<String>) -> CommonParams {
        self.region_id = Some(region_id.into());
        self
    }

    /// The parameters, ready for the action's own to be added.
    pub fn into_params(self) -> Vec<(String, String)> {
        let mut params = Vec::with_capacity(9);
        self.append_to(&mut params);
        params
    }

    /// Appends the parameters to `params`.
    pub fn append_to(self, params: &mut Vec<(String, String)>) {
        let pair = |name: &str, value: String| (name.to_string(), value);
        params.push(pair("Format", self.format));
        params.push(pair("Version", self.version));
        params.push(pair("AccessKeyId", self.access_key_id));
        params.push(pair("SignatureMethod", SIGNATURE_METHOD_V1.to_string()));
        params.push(pair("SignatureVersion", SIGNATURE_VERSION_V1.to_string()));
        params.push(pair("SignatureNonce", self.nonce));
        params.push(pair("Timestamp", self.timestamp));
        if let Some(token) = self.security_token {
            params.push(pair(SECURITY_TOKEN, token.0));
        }
        if let Some(region_id) = self.region_id {
            params.push(pair("RegionId", region_id));
        }
    }
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

/// Writes a UTC time; `format!` over the accessors cannot fail, unlike `time`'s formatter.
fn utc_stamp(utc: OffsetDateTime) -> String {
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

/// The ACS3 headers every request carries besides the ones the signer adds: `host`,
/// `x-acs-action`, `x-acs-version`, `x-acs-date` (see [`timestamp_now`]) and
/// `x-acs-signature-nonce` (see [`new_nonce`]).
pub fn acs3_headers(
    host: &str,
    action: &str,
    version: &str,
    date: &str,
    nonce: &str,
) -> Vec<(String, String)> {
    [
        ("host", host),
        ("x-acs-action", action),
        ("x-acs-version", version),
        ("x-acs-date", date),
        ("x-acs-signature-nonce", nonce),
    ]
    .iter()
    .map(|(name, value)| (name.to_string(), value.to_string()))
    .collect()
}

/// A request signed with `ACS3-HMAC-SHA256`.
#[derive(Clone, PartialEq, Eq)]
pub struct Acs3Signed {
    /// The HTTP method that was signed.
    pub method: String,
    /// The query string to send after `/?` (the canonical query; empty if none).
    pub query: String,
    /// Every header to send: the given ones with lower-case names and trimmed values, then
    /// `x-acs-content-sha256`, `x-acs-security-token` for STS credentials, `authorization`.
    pub headers: Vec<(String, String)>,
    /// The canonical request that was hashed.
    pub canonical_request: String,
    /// `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request.
    pub string_to_sign: String,
    /// The `Authorization` header value.
    pub authorization: String,
}

impl fmt::Debug for Acs3Signed {
    /// Shows an STS token as `***`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(name, value)| {
                let value = if name == ACS3_TOKEN_HEADER {
                    "***"
                } else {
                    value.as_str()
                };
                (name.as_str(), value)
            })
            .collect();
        let token_line = format!("{ACS3_TOKEN_HEADER}:");
        f.debug_struct("Acs3Signed")
            .field("method", &self.method)
            .field("query", &self.query)
            .field("headers", &headers)
            .field(
                "canonical_request",
                &redact(&self.canonical_request, "\n", &token_line),
            )
            .field("string_to_sign", &self.string_to_sign)
            .field("authorization", &self.authorization)
            .finish()
    }
}

/// Signs a request with `ACS3-HMAC-SHA256`, the newer SDKs' default (V1 stays the default
/// here).
///
/// - canonical URI `/` (every RPC call);
/// - canonical query: the V1 encoding and order, nothing excluded;
/// - signed headers: `host`, `content-type` and every `x-acs-*` header, lower-case names,
///   values trimmed of spaces and tabs, sorted, each `name:value\n`; other headers are sent
///   unsigned;
/// - `x-acs-content-sha256` = hex SHA-256 of `body`, added here; so is
///   `x-acs-security-token` for STS credentials;
/// - string to sign `ACS3-HMAC-SHA256\n` + hex SHA-256 of the canonical request, signature
///   hex HMAC-SHA256 keyed with the secret.
///
/// `headers` must hold at least what [`acs3_headers`] makes.
///
/// # Errors
/// [`SignError::InvalidHeaderName`], [`SignError::InvalidHeaderValue`],
/// [`SignError::DuplicateHeader`], [`SignError::ReservedHeader`] (`authorization`,
/// `x-acs-content-sha256`, `x-acs-security-token`), [`SignError::MissingHeader`].
pub fn sign_acs3(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    body: &[u8],
    creds: &Credentials,
) -> Result<Acs3Signed, SignError> {
    let mut sent = normalize_headers(headers)?;
    let payload_hash = hex::encode(Sha256::digest(body));
    sent.push((ACS3_CONTENT_SHA256.to_string(), payload_hash.clone()));
    if let Some(token) = &creds.security_token {
        sent.push((ACS3_TOKEN_HEADER.to_string(), token.0.clone()));
    }
    for required in ACS3_REQUIRED_HEADERS {
        if !sent.iter().any(|(name, _)| name == required) {
            return Err(SignError::MissingHeader { name: required });
        }
    }

    let mut signed: Vec<(&str, &str)> = sent
        .iter()
        .filter(|(name, _)| is_signed_header(name))
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    signed.sort_unstable();
    let signed_names = signed
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(";");

    let mut pairs: Vec<(&str, &str)> = query
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    pairs.sort_unstable();
    let canonical_query = encode_sorted(pairs.iter().copied(), 0);

    let mut canonical_request = format!("{method}\n/\n{canonical_query}\n");
    for (name, value) in &signed {
        canonical_request.push_str(name);
        canonical_request.push(':');
        canonical_request.push_str(value);
        canonical_request.push('\n');
    }
    canonical_request.push('\n');
    canonical_request.push_str(&signed_names);
    canonical_request.push('\n');
    canonical_request.push_str(&payload_hash);

    let string_to_sign = format!(
        "{ACS3_ALGORITHM}\n{}",
        hex::encode(Sha256::digest(canonical_request.as_bytes()))
    );
    let mut mac = keyed::<Hmac<Sha256>, Sha256>(&[creds.access_key_secret.0.as_bytes()]);
    mac.update(string_to_sign.as_bytes());
    let signature = hex::encode(mac.finalize().into_bytes());
    let authorization = format!(
        "{ACS3_ALGORITHM} Credential={},SignedHeaders={signed_names},Signature={signature}",
        creds.access_key_id
    );
    sent.push(("authorization".to_string(), authorization.clone()));

    Ok(Acs3Signed {
        method: method.to_string(),
        query: canonical_query,
        headers: sent,
        canonical_request,
        string_to_sign,
        authorization,
    })
}

/// Lower-case names and trimmed values, checked: one header per name, nothing the signer
/// sets, nothing that could break a line of the canonical request.
fn normalize_headers(headers: &[(String, String)]) -> Result<Vec<(String, String)>, SignError> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(headers.len() + 3);
    for (name, value) in headers {
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return Err(SignError::InvalidHeaderName { name: name.clone() });
        }
        let name = name.to_ascii_lowercase();
        if [ACS3_CONTENT_SHA256, ACS3_TOKEN_HEADER, "authorization"].contains(&name.as_str()) {
            return Err(SignError::ReservedHeader { name });
        }
        // HTTP allows a tab inside a value; every other control character is refused.
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(SignError::InvalidHeaderValue { name });
        }
        if out.iter().any(|(seen, _)| *seen == name) {
            return Err(SignError::DuplicateHeader { name });
        }
        let value = value.trim_matches([' ', '\t']).to_string();
        out.push((name, value));
    }
    Ok(out)
}

/// `tchar` of RFC 9110: what an HTTP header name may contain.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn is_signed_header(lower_name: &str) -> bool {
    lower_name == "host" || lower_name == "content-type" || lower_name.starts_with("x-acs-")
}

#[cfg(test)]
mod tests {
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

    use super::*;
    use proptest::prelude::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect()
    }

    fn test_creds() -> Credentials {
        Credentials::new("testid", "testsecret").unwrap()
    }

    /// Alibaba's ECS `DescribeRegions` example (PLATFORM.md 5.3), with the time parameter
    /// named as given.
    fn describe_regions(time_param: &str) -> Vec<(String, String)> {
        pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            (time_param, "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
        ])
    }

    #[test]
    fn sign_published_example_timestamp_capital_s() {
        let signed = sign_rpc_v1("GET", describe_regions("TimeStamp"), &test_creds());
        assert_eq!(
            signed.string_to_sign,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML\
             %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf\
             %26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z\
             %26Version%3D2014-05-26"
        );
        assert_eq!(signed.signature, "CT9X0VtwR86fNWSnsc6v8YGOjuE=");
        assert!(signed
            .query
            .ends_with("&Signature=CT9X0VtwR86fNWSnsc6v8YGOjuE%3D"));
    }

    #[test]
    fn sign_published_example_timestamp() {
        let signed = sign_rpc_v1("GET", describe_regions("Timestamp"), &test_creds());
        assert_eq!(signed.signature, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(
            signed.query,
            "AccessKeyId=testid&Action=DescribeRegions&Format=XML&SignatureMethod=HMAC-SHA1\
             &SignatureNonce=3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf&SignatureVersion=1.0\
             &Timestamp=2016-02-23T12%3A46%3A24Z&Version=2014-05-26\
             &Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D"
        );
    }

    #[test]
    fn sign_building_blocks_match_sign_rpc_v1() {
        let params = describe_regions("Timestamp");
        let canonical = canonical_query(&params);
        let sts = string_to_sign("GET", &canonical);
        // By reference (the caller keeps the parameters) or by value: the same request.
        let signed = sign_rpc_v1("GET", &params, &test_creds());
        assert_eq!(signed, sign_rpc_v1("GET", params, &test_creds()));
        assert_eq!(sts, signed.string_to_sign);
        assert_eq!(sign_v1(&Secret::new("testsecret"), &sts), signed.signature);
        assert_eq!(
            signed.query,
            format!("{canonical}&Signature=OLeaidS1JvxuMvnyHOwuJ%2BuX5qY%3D")
        );
    }

    #[test]
    fn sign_percent_encode_alibaba_set() {
        // Expected: urllib.parse.quote(s, safe='-_.~').
        let cases = [
            ("AZaz09-_.~", "AZaz09-_.~"),
            ("a b", "a%20b"),
            ("*", "%2A"),
            ("+", "%2B"),
            ("+*~/=&%", "%2B%2A~%2F%3D%26%25"),
            (
                "温度 传感器",
                "%E6%B8%A9%E5%BA%A6%20%E4%BC%A0%E6%84%9F%E5%99%A8",
            ),
            ("🌡️🔥", "%F0%9F%8C%A1%EF%B8%8F%F0%9F%94%A5"),
            (
                "He said \"hi\" & 'bye'",
                "He%20said%20%22hi%22%20%26%20%27bye%27",
            ),
            ("!()'", "%21%28%29%27"),
            ("", ""),
        ];
        for (input, expected) in cases {
            assert_eq!(percent_encode(input), expected, "input {input:?}");
            assert_eq!(encoded_len(input), expected.len(), "input {input:?}");
        }
    }

    /// Common parameters of the own cases.
    fn pub_params() -> Vec<(String, String)> {
        pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "Pub"),
            ("Format", "JSON"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "c0ffee00-0000-4000-8000-000000000001"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2018-01-20"),
        ])
    }

    #[test]
    fn sign_own_case_special_characters() {
        let mut params = pub_params();
        params.extend(pairs(&[
            ("Text", "温度 传感器"),
            ("Emoji", "🌡️🔥"),
            ("Special", "+*~/=&%"),
            ("Quote", "He said \"hi\" & 'bye'"),
            ("Key", ""),
            ("Args", "{\"temp\":25.5,\"on\":1}"),
        ]));
        // Python reference (module comment).
        let canonical = "AccessKeyId=testid&Action=Pub\
            &Args=%7B%22temp%22%3A25.5%2C%22on%22%3A1%7D\
            &Emoji=%F0%9F%8C%A1%EF%B8%8F%F0%9F%94%A5&Format=JSON&Key=\
            &Quote=He%20said%20%22hi%22%20%26%20%27bye%27&SignatureMethod=HMAC-SHA1\
            &SignatureNonce=c0ffee00-0000-4000-8000-000000000001&SignatureVersion=1.0\
            &Special=%2B%2A~%2F%3D%26%25&Text=%E6%B8%A9%E5%BA%A6%20%E4%BC%A0%E6%84%9F%E5%99%A8\
            &Timestamp=2016-02-23T12%3A46%3A24Z&Version=2018-01-20";
        let sts = "POST&%2F&AccessKeyId%3Dtestid%26Action%3DPub\
            %26Args%3D%257B%2522temp%2522%253A25.5%252C%2522on%2522%253A1%257D\
            %26Emoji%3D%25F0%259F%258C%25A1%25EF%25B8%258F%25F0%259F%2594%25A5%26Format%3DJSON\
            %26Key%3D%26Quote%3DHe%2520said%2520%2522hi%2522%2520%2526%2520%2527bye%2527\
            %26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3Dc0ffee00-0000-4000-8000-000000000001\
            %26SignatureVersion%3D1.0%26Special%3D%252B%252A~%252F%253D%2526%2525\
            %26Text%3D%25E6%25B8%25A9%25E5%25BA%25A6%2520%25E4%25BC%25A0%25E6%2584%259F%25E5%2599%25A8\
            %26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2018-01-20";
        assert_eq!(canonical_query(&params), canonical);
        let signed = sign_rpc_v1("POST", params, &test_creds());
        assert_eq!(signed.string_to_sign, sts);
        assert_eq!(signed.signature, "G7qnOL4i4RtXqyqTxDkSu7AswoA=");
        assert_eq!(
            signed.query,
            format!("{canonical}&Signature=G7qnOL4i4RtXqyqTxDkSu7AswoA%3D")
        );
    }

    #[test]
    fn sign_hundred_device_names_sort_by_code_point() {
        let mut params = pairs(&[
            ("Action", "InvokeThingsService"),
            ("ProductKey", "a1B2c3D4e5F"),
            ("Identifier", "reboot"),
            ("Args", "{}"),
        ]);
        params.extend((1..=100).map(|n| (format!("DeviceName.{n}"), format!("dev-{n}"))));
        let canonical = canonical_query(&params);
        let names: Vec<&str> = canonical
            .split('&')
            .map(|pair| pair.split('=').next().unwrap_or_default())
            .collect();
        assert_eq!(
            &names[..6],
            [
                "Action",
                "Args",
                "DeviceName.1",
                "DeviceName.10",
                "DeviceName.100",
                "DeviceName.11"
            ]
        );
        let position = |name: &str| names.iter().position(|n| *n == name).unwrap();
        assert!(position("DeviceName.1") < position("DeviceName.10"));
        assert!(position("DeviceName.10") < position("DeviceName.2"));
        assert!(position("DeviceName.99") < position("Identifier"));
        assert_eq!(names.len(), 104);
        let signed = sign_rpc_v1("POST", params, &test_creds());
        // Python reference (module comment); the string to sign is 2590 bytes.
        assert_eq!(signed.string_to_sign.len(), 2590);
        assert_eq!(signed.signature, "MclgI3FQ2rC9fz2oj4khX1501ig=");
    }

    #[test]
    fn sign_sorts_case_sensitively() {
        let params = pairs(&[("a", "1"), ("Z", "2"), ("_", "3"), ("B", "4")]);
        assert_eq!(canonical_query(&params), "B=4&Z=2&_=3&a=1");
    }

    #[test]
    fn sign_excludes_and_replaces_a_stale_signature() {
        let mut params = describe_regions("Timestamp");
        params.push(("Signature".to_string(), "stale".to_string()));
        assert!(!canonical_query(&params).contains("stale"));
        let signed = sign_rpc_v1("GET", params, &test_creds());
        assert_eq!(signed.signature, "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
        assert_eq!(signed.query.matches("Signature=").count(), 1);
    }

    #[test]
    fn sign_without_params_has_no_leading_ampersand() {
        let signed = sign_rpc_v1("GET", Vec::new(), &test_creds());
        assert_eq!(signed.string_to_sign, "GET&%2F&");
        assert!(signed.query.starts_with("Signature="));
    }

    #[test]
    fn sign_long_secret_is_hashed_into_the_key() {
        // A 100-byte secret is longer than SHA-1's 64-byte block. Python reference.
        let secret = Secret::new("k".repeat(100));
        let sts = string_to_sign("GET", &canonical_query(&pub_params()));
        assert_eq!(sign_v1(&secret, &sts), "bwjBFlnT3PczWtihio/Jahmnhj4=");
    }

    #[test]
    fn sign_secret_is_never_printed() {
        let secret = Secret::new("hunter2");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(secret.expose(), "hunter2");
    }

    #[test]
    fn sign_credentials_debug_hides_secret_and_token() {
        let creds = Credentials::new("LTAI5tExampleId", "s3cr3t-value")
            .unwrap()
            .with_security_token("CAIS-sts-token-value")
            .unwrap();
        let debug = format!("{creds:?}");
        assert!(debug.contains("LTAI5tExampleId"));
        assert!(!debug.contains("s3cr3t-value"));
        assert!(!debug.contains("CAIS-sts-token-value"));
        let common = format!("{:?}", CommonParams::new(&creds, "n", "t"));
        assert!(!common.contains("CAIS-sts-token-value"));
    }

    #[test]
    fn sign_signed_request_debug_hides_sts_token() {
        let creds = test_creds().with_security_token("CAIS-sts-token").unwrap();
        let params = CommonParams::new(&creds, "nonce", "2016-02-23T12:46:24Z").into_params();
        let signed = sign_rpc_v1("POST", params, &creds);
        assert!(signed.query.contains("SecurityToken=CAIS-sts-token"));
        let debug = format!("{signed:?}");
        assert!(!debug.contains("CAIS-sts-token"), "{debug}");
        assert!(debug.contains("SecurityToken=***"));
        assert!(debug.contains("SecurityToken%3D***"));
    }

    #[test]
    fn sign_credentials_reject_empty_parts() {
        assert_eq!(
            Credentials::new("", "s").unwrap_err(),
            SignError::EmptyCredential {
                field: "AccessKeyId"
            }
        );
        assert_eq!(
            Credentials::new("id", "").unwrap_err(),
            SignError::EmptyCredential {
                field: "AccessKeySecret"
            }
        );
        assert_eq!(
            test_creds().with_security_token("").unwrap_err(),
            SignError::EmptyCredential {
                field: "SecurityToken"
            }
        );
    }

    fn lookup<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.to_string())
        }
    }

    #[test]
    fn sign_credentials_from_environment_conventions() {
        let creds = Credentials::from_lookup(lookup(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", ""),
            ("ALIYUN_ACCESS_KEY_ID", "legacy"),
        ]))
        .unwrap();
        assert_eq!(creds.access_key_id(), "id");
        assert_eq!(creds.access_key_secret().expose(), "secret");
        assert!(creds.security_token().is_none(), "empty token means none");

        let sts = Credentials::from_lookup(lookup(&[
            ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
            ("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "secret"),
            ("ALIBABA_CLOUD_SECURITY_TOKEN", "token"),
        ]))
        .unwrap();
        assert_eq!(sts.security_token().map(Secret::expose), Some("token"));

        let legacy = Credentials::from_lookup(lookup(&[
            ("ALIYUN_ACCESS_KEY_ID", "old-id"),
            ("ALIYUN_ACCESS_KEY_SECRET", "old-secret"),
        ]))
        .unwrap();
        assert_eq!(legacy.access_key_id(), "old-id");

        assert_eq!(
            Credentials::from_lookup(lookup(&[])).unwrap_err(),
            SignError::MissingEnv {
                name: "ALIBABA_CLOUD_ACCESS_KEY_ID"
            }
        );
        // No mixing: the new ID with only the legacy secret is an error naming the new secret.
        assert_eq!(
            Credentials::from_lookup(lookup(&[
                ("ALIBABA_CLOUD_ACCESS_KEY_ID", "id"),
                ("ALIYUN_ACCESS_KEY_SECRET", "old-secret"),
            ]))
            .unwrap_err(),
            SignError::MissingEnv {
                name: "ALIBABA_CLOUD_ACCESS_KEY_SECRET"
            }
        );
    }

    #[test]
    fn sign_common_params_defaults() {
        let params =
            CommonParams::new(&test_creds(), "nonce-1", "2016-02-23T12:46:24Z").into_params();
        assert_eq!(
            params,
            pairs(&[
                ("Format", "JSON"),
                ("Version", "2018-01-20"),
                ("AccessKeyId", "testid"),
                ("SignatureMethod", "HMAC-SHA1"),
                ("SignatureVersion", "1.0"),
                ("SignatureNonce", "nonce-1"),
                ("Timestamp", "2016-02-23T12:46:24Z"),
            ])
        );
    }

    #[test]
    fn sign_common_params_sts_region_and_overrides() {
        let creds = test_creds().with_security_token("tok").unwrap();
        let mut params = pairs(&[("Action", "Pub")]);
        CommonParams::new(&creds, "n", "t")
            .version("2022-01-01")
            .format("XML")
            .region_id("cn-shanghai")
            .append_to(&mut params);
        assert_eq!(params[0], ("Action".to_string(), "Pub".to_string()));
        let get = |name: &str| {
            params
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("Version"), Some("2022-01-01"));
        assert_eq!(get("Format"), Some("XML"));
        assert_eq!(get("SecurityToken"), Some("tok"));
        assert_eq!(get("RegionId"), Some("cn-shanghai"));
    }

    #[test]
    fn sign_common_params_fresh_are_fresh() {
        let one = CommonParams::fresh(&test_creds()).into_params();
        let two = CommonParams::fresh(&test_creds()).into_params();
        let nonce = |params: &[(String, String)]| params[5].1.clone();
        assert_ne!(nonce(&one), nonce(&two));
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
        let now = timestamp_now();
        assert_eq!(now.len(), 20);
        assert_eq!(&now[10..11], "T");
        assert!(now.ends_with('Z'));
    }

    /// Alibaba's published V3 example ("V3 request structure and signature",
    /// help.aliyun.com/zh/sdk/product-overview/v3-request-structure-and-signature):
    /// ECS RunInstances, empty body, `YourAccessKeyId` / `YourAccessKeySecret`.
    #[test]
    fn sign_acs3_published_example() {
        let creds = Credentials::new("YourAccessKeyId", "YourAccessKeySecret").unwrap();
        let headers = acs3_headers(
            "ecs.cn-shanghai.aliyuncs.com",
            "RunInstances",
            "2014-05-26",
            "2023-10-26T10:22:32Z",
            "3156853299f313e23d1673dc12e1703d",
        );
        let query = pairs(&[
            (
                "ImageId",
                "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd",
            ),
            ("RegionId", "cn-shanghai"),
        ]);
        let signed = sign_acs3("POST", &query, &headers, b"", &creds).unwrap();
        assert_eq!(
            signed.authorization,
            "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,\
             SignedHeaders=host;x-acs-action;x-acs-content-sha256;x-acs-date;\
             x-acs-signature-nonce;x-acs-version,\
             Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
        );
        assert_eq!(
            signed.string_to_sign,
            "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
        );
        assert!(signed.headers.contains(&(
            "x-acs-content-sha256".to_string(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855".to_string()
        )));
        assert_eq!(
            signed.headers.last().map(|(name, _)| name.as_str()),
            Some("authorization")
        );
    }

    #[test]
    fn sign_acs3_body_content_type_sts_and_unsigned_headers() {
        let creds = Credentials::new("YourAccessKeyId", "YourAccessKeySecret")
            .unwrap()
            .with_security_token("sts-token-xyz")
            .unwrap();
        let headers = pairs(&[
            ("Host", "  iot.cn-shanghai.aliyuncs.com\t"),
            ("X-Acs-Action", "InvokeThingService"),
            ("x-acs-version", "2018-01-20"),
            ("x-acs-date", "2024-05-01T08:00:00Z"),
            ("x-acs-signature-nonce", "3156853299f313e23d1673dc12e1703d"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("User-Agent", "tsl-rs"),
        ]);
        let query = pairs(&[
            ("IotInstanceId", "iot-06z00ax1o"),
            ("Identifier", "set Temp"),
            ("Args", "{\"温度\":25.5}"),
        ]);
        let body = b"ProductKey=a1B2c3D4e5F&DeviceName=d%201";
        let signed = sign_acs3("POST", &query, &headers, body, &creds).unwrap();
        // Python reference (module comment).
        let payload = "f9c9e1011dc4d56d11fc66df0982f7438f2c3fd0597f3127b4b600216a9c9b51";
        let signed_names = "content-type;host;x-acs-action;x-acs-content-sha256;x-acs-date;\
                            x-acs-security-token;x-acs-signature-nonce;x-acs-version";
        assert_eq!(
            signed.query,
            "Args=%7B%22%E6%B8%A9%E5%BA%A6%22%3A25.5%7D&Identifier=set%20Temp\
             &IotInstanceId=iot-06z00ax1o"
        );
        assert_eq!(
            signed.canonical_request,
            format!(
                "POST\n/\n{}\ncontent-type:application/x-www-form-urlencoded\n\
                 host:iot.cn-shanghai.aliyuncs.com\nx-acs-action:InvokeThingService\n\
                 x-acs-content-sha256:{payload}\nx-acs-date:2024-05-01T08:00:00Z\n\
                 x-acs-security-token:sts-token-xyz\n\
                 x-acs-signature-nonce:3156853299f313e23d1673dc12e1703d\n\
                 x-acs-version:2018-01-20\n\n{signed_names}\n{payload}",
                signed.query
            )
        );
        assert_eq!(
            signed.authorization,
            format!(
                "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,SignedHeaders={signed_names},\
                 Signature=36ae9d12ded0f25336b17d11cd49dbd10ab5ab784379d955c1c69c1fe8d36bba"
            )
        );
        assert!(signed
            .headers
            .contains(&("user-agent".to_string(), "tsl-rs".to_string())));
        assert!(signed.headers.contains(&(
            "x-acs-security-token".to_string(),
            "sts-token-xyz".to_string()
        )));
        let debug = format!("{signed:?}");
        assert!(!debug.contains("sts-token-xyz"), "{debug}");
    }

    #[test]
    fn sign_acs3_rejects_bad_headers() {
        let creds = test_creds();
        let base = acs3_headers("h", "A", "V", "D", "N");
        let with = |extra: (&str, &str)| {
            let mut headers = base.clone();
            headers.push((extra.0.to_string(), extra.1.to_string()));
            sign_acs3("POST", &[], &headers, b"", &creds).unwrap_err()
        };
        assert_eq!(
            with(("x-acs-extra", "a\r\nInjected: 1")),
            SignError::InvalidHeaderValue {
                name: "x-acs-extra".to_string()
            }
        );
        assert_eq!(
            with(("Bad Name", "v")),
            SignError::InvalidHeaderName {
                name: "Bad Name".to_string()
            }
        );
        assert_eq!(
            with(("", "v")),
            SignError::InvalidHeaderName {
                name: String::new()
            }
        );
        assert_eq!(
            with(("HOST", "other")),
            SignError::DuplicateHeader {
                name: "host".to_string()
            }
        );
        assert_eq!(
            with(("Authorization", "x")),
            SignError::ReservedHeader {
                name: "authorization".to_string()
            }
        );
        assert_eq!(
            with(("X-Acs-Content-Sha256", "x")),
            SignError::ReservedHeader {
                name: "x-acs-content-sha256".to_string()
            }
        );
        let no_date: Vec<_> = base
            .iter()
            .filter(|(name, _)| name != "x-acs-date")
            .cloned()
            .collect();
        assert_eq!(
            sign_acs3("POST", &[], &no_date, b"", &creds).unwrap_err(),
            SignError::MissingHeader { name: "x-acs-date" }
        );
    }

    /// The one-pass encoder must succeed on its own: `sign_rpc_v1` would hide a failure
    /// behind the plain path, correct but slow.
    #[test]
    fn sign_one_pass_encoder_does_not_fall_back() {
        let base64: String = (0..1000)
            .map(|i| {
                char::from(
                    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
                        [(i * 7) % 64],
                )
            })
            .collect();
        let texts = [
            "",
            "0123456789abcdef",
            "0123456789abcde+",
            "+0123456789abcdef",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZ+/abcdefghijklmnopqrstuvwxyz",
            "{\"温度\":25.5,\"note\":\"a b+c*d\"}{\"温度\":25.5,\"note\":\"a b+c*d\"}",
            base64.as_str(),
        ];
        for text in texts {
            let mut params = vec![Param::new("Name", text), Param::new(text, "v")];
            params.sort_unstable_by(Param::order);
            let fast = encode_v1("POST", &mut params, 0);
            let pairs = vec![
                ("Name".to_string(), text.to_string()),
                (text.to_string(), "v".to_string()),
            ];
            let canonical = canonical_query(&pairs);
            let sts = string_to_sign("POST", &canonical);
            assert_eq!(fast, Some((canonical, sts)), "text {text:?}");
        }
    }

    proptest! {
        #[test]
        fn sign_one_pass_encoder_alone_equals_the_crate(
            params in proptest::collection::vec(("\\PC{0,40}", "\\PC{0,80}"), 0..8),
        ) {
            let mut sorted: Vec<Param<'_>> =
                params.iter().map(|(name, value)| Param::new(name, value)).collect();
            sorted.sort_unstable_by(Param::order);
            let fast = encode_v1("GET", &mut sorted, 0);
            let canonical = canonical_query(&params);
            let sts = string_to_sign("GET", &canonical);
            prop_assert_eq!(fast, Some((canonical, sts)));
        }
    }

    #[test]
    fn sign_fast_tables_agree_with_the_percent_encoding_crate() {
        for b in 0..=u8::MAX {
            let by_crate: String = percent_encoding::percent_encode(&[b], ENCODE).collect();
            let fast = if is_unreserved(b) {
                vec![b]
            } else {
                escape(b).to_vec()
            };
            assert_eq!(by_crate.as_bytes(), fast.as_slice(), "byte {b:#04x}");
            assert_eq!(count_escaped(&[b]), usize::from(!is_unreserved(b)));
        }
    }

    proptest! {
        #[test]
        fn sign_one_pass_equals_the_building_blocks(
            params in proptest::collection::vec((any::<String>(), any::<String>()), 0..12),
            method in "[A-Z]{0,7}",
        ) {
            let creds = test_creds();
            let canonical = canonical_query(&params);
            let sts = string_to_sign(&method, &canonical);
            let signed = sign_rpc_v1(&method, params, &creds);
            prop_assert_eq!(&signed.string_to_sign, &sts);
            prop_assert_eq!(&signed.signature, &sign_v1(creds.access_key_secret(), &sts));
            let sent = if canonical.is_empty() {
                format!("Signature={}", percent_encode(&signed.signature))
            } else {
                format!("{canonical}&Signature={}", percent_encode(&signed.signature))
            };
            prop_assert_eq!(signed.query, sent);
        }

        #[test]
        fn sign_one_pass_orders_names_sharing_16_bytes(
            suffixes in proptest::collection::vec(("[ab\\x00]{0,3}", "[xy]{0,2}"), 0..10),
            prefix in prop_oneof![Just(""), Just("a"), Just("ParameterNameOf16"), Just("DeviceName.")],
        ) {
            let params: Vec<(String, String)> = suffixes
                .into_iter()
                .map(|(suffix, value)| (format!("{prefix}{suffix}"), value))
                .collect();
            let creds = test_creds();
            let canonical = canonical_query(&params);
            let signed = sign_rpc_v1("GET", params, &creds);
            prop_assert_eq!(signed.string_to_sign, string_to_sign("GET", &canonical));
        }

        #[test]
        fn sign_count_escaped_counts(s in "\\PC{0,200}") {
            let naive = s.bytes().filter(|&b| !is_unreserved(b)).count();
            prop_assert_eq!(count_escaped(s.as_bytes()), naive);
        }

        #[test]
        fn sign_percent_encode_round_trips_and_keeps_only_the_safe_set(s in any::<String>()) {
            let encoded = percent_encode(&s);
            prop_assert_eq!(encoded.len(), encoded_len(&s));
            let decoded = percent_encoding::percent_decode_str(&encoded).decode_utf8();
            prop_assert_eq!(decoded.as_deref(), Ok(s.as_str()));
            let bytes = encoded.as_bytes();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i] == b'%' {
                    let hex = &bytes[i + 1..i + 3];
                    prop_assert!(hex.iter().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b)));
                    i += 3;
                } else {
                    prop_assert!(is_unreserved(bytes[i]));
                    i += 1;
                }
            }
        }

        #[test]
        fn sign_does_not_depend_on_parameter_order(
            params in proptest::collection::vec((any::<String>(), any::<String>()), 0..12)
                .prop_flat_map(|params| (Just(params.clone()), Just(params).prop_shuffle()))
        ) {
            let (original, shuffled) = params;
            let creds = test_creds();
            let one = sign_rpc_v1("POST", original, &creds);
            let two = sign_rpc_v1("POST", shuffled, &creds);
            prop_assert_eq!(&one, &two);
            let sent = one.query.rsplit('&').next().unwrap_or_default();
            let encoded = format!("Signature={}", percent_encode(&one.signature));
            prop_assert_eq!(sent, encoded.as_str());
        }
    }
}
