//! `ACS3-HMAC-SHA256`, the signature the newer official SDKs send by default.

use std::fmt;

use hmac::digest::Digest;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::encode::encode_sorted;
use super::{keyed, redact, Credentials, SignError, ACS3_ALGORITHM};
#[cfg(doc)]
use super::{new_nonce, timestamp_now};

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
    use super::*;
    use crate::sign::testing::*;
    use crate::sign::{Credentials, SignError};

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
}
