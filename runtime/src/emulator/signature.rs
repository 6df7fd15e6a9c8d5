//! Signature checks done the way the gateway does them, from the raw text the client sent:
//! percent-decode every parameter, re-encode it per RFC 3986, sort, hash. Written apart
//! from [`crate::sign`] on purpose: a client bug shared by both sides would otherwise pass.
//!
//! - V1 (`docs/platform.md` §5.3): `METHOD&%2F&` + encode(sorted `name=value` joined by `&`),
//!   Base64(HMAC-SHA1(secret + `&`, that)).
//! - ACS3-HMAC-SHA256: canonical request `METHOD\n/\n<query>\n<name:value\n per signed
//!   header>\n<signed names>\n<hex sha256(body)>`, string to sign `ACS3-HMAC-SHA256\n` + its
//!   hex SHA-256, hex HMAC-SHA256 keyed with the secret.

use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{percent_decode_str, utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Alibaba's encode set: everything but `A–Z a–z 0–9 - _ . ~`.
const UNRESERVED_KEPT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// The algorithm name of ACS3 signatures.
pub(crate) const ACS3: &str = "ACS3-HMAC-SHA256";

/// RFC 3986 encoding as Alibaba specifies it (space `%20`, `*` `%2A`, `~` kept), appended
/// to `out` (one buffer for a whole canonical query: issue 17).
fn encode_into(out: &mut String, text: &str) {
    for piece in utf8_percent_encode(text, UNRESERVED_KEPT) {
        out.push_str(piece);
    }
}

/// Why a query or form body could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NotUtf8 {
    /// The raw `name=value` piece whose decoding is not UTF-8.
    pub piece: String,
}

/// Decodes `application/x-www-form-urlencoded` text (a query string or a form body):
/// pairs split at `&`, name from value at the first `=`, `+` read as a space (which is
/// why the signature doc asks for `+` to be sent as `%2B`), `%XY` decoded. Empty pieces
/// (`a=1&&b=2`) are skipped; a piece without `=` is a name with an empty value.
pub(crate) fn decode_form(raw: &str) -> Result<Vec<(String, String)>, NotUtf8> {
    let mut pairs = Vec::with_capacity(raw.bytes().filter(|&b| b == b'&').count() + 1);
    for piece in raw.split('&').filter(|piece| !piece.is_empty()) {
        let (name, value) = piece.split_once('=').unwrap_or((piece, ""));
        let decode = |text: &str| {
            let decoded = if text.contains('+') {
                percent_decode_str(&text.replace('+', " "))
                    .decode_utf8()
                    .map(|cow| cow.into_owned())
            } else {
                percent_decode_str(text)
                    .decode_utf8()
                    .map(|cow| cow.into_owned())
            };
            decoded.map_err(|_| NotUtf8 {
                piece: piece.to_string(),
            })
        };
        pairs.push((decode(name)?, decode(value)?));
    }
    Ok(pairs)
}

/// The canonical query: pairs sorted by name, then value, in code-point order, each
/// `encode(name)=encode(value)`, joined by `&`.
pub(crate) fn canonical_query<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut sorted: Vec<(&str, &str)> = pairs.collect();
    sorted.sort_unstable();
    let length: usize = sorted.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut canonical = String::with_capacity(length + length / 4);
    for (index, (name, value)) in sorted.iter().enumerate() {
        if index > 0 {
            canonical.push('&');
        }
        encode_into(&mut canonical, name);
        canonical.push('=');
        encode_into(&mut canonical, value);
    }
    canonical
}

/// The V1 string to sign over every parameter but `Signature`.
pub(crate) fn v1_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let canonical = canonical_query(
        params
            .iter()
            .filter(|(name, _)| name != "Signature")
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    let mut string_to_sign = String::with_capacity(method.len() + 5 + canonical.len() * 5 / 4);
    string_to_sign.push_str(method);
    string_to_sign.push_str("&%2F&");
    encode_into(&mut string_to_sign, &canonical);
    string_to_sign
}

/// Base64(HMAC-SHA1(secret + `&`, string to sign)).
pub(crate) fn v1_signature(secret: &str, string_to_sign: &str) -> String {
    let key = format!("{secret}&");
    // HMAC accepts keys of any length.
    let mut mac = match <Hmac<Sha1> as Mac>::new_from_slice(key.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(string_to_sign.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The parts of an `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`
/// header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Acs3Authorization {
    /// `Credential`: the AccessKeyId.
    pub access_key_id: String,
    /// `SignedHeaders`, lower-case, in the order given.
    pub signed_headers: Vec<String>,
    /// `Signature`, lower-case hex.
    pub signature: String,
}

/// Reads an ACS3 `Authorization` value; `None` when it is not one.
pub(crate) fn parse_acs3_authorization(value: &str) -> Option<Acs3Authorization> {
    let rest = value.trim().strip_prefix(ACS3)?;
    if !rest.starts_with(' ') {
        return None;
    }
    let mut credential = None;
    let mut signed = None;
    let mut signature = None;
    for part in rest.trim().split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key.trim() {
            "Credential" => credential = Some(value.trim().to_string()),
            "SignedHeaders" => {
                signed = Some(
                    value
                        .split(';')
                        .map(|name| name.trim().to_ascii_lowercase())
                        .filter(|name| !name.is_empty())
                        .collect(),
                )
            }
            "Signature" => signature = Some(value.trim().to_ascii_lowercase()),
            _ => return None,
        }
    }
    Some(Acs3Authorization {
        access_key_id: credential.filter(|c| !c.is_empty())?,
        signed_headers: signed?,
        signature: signature?,
    })
}

/// Hex SHA-256 of `bytes`.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The ACS3 canonical request and string to sign. `headers` are the received headers with
/// lower-case names; each signed header's value is trimmed of spaces and tabs; a signed
/// header that was not sent signs as an empty value (and will not match).
pub(crate) fn acs3_string_to_sign(
    method: &str,
    query: &[(String, String)],
    headers: &[(String, String)],
    signed_headers: &[String],
    payload_hash: &str,
) -> (String, String) {
    let canonical_query = canonical_query(
        query
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    let mut names: Vec<&str> = signed_headers.iter().map(String::as_str).collect();
    names.sort_unstable();
    names.dedup();
    let mut canonical = format!("{method}\n/\n{canonical_query}\n");
    for name in &names {
        let value = headers
            .iter()
            .find(|(header, _)| header == name)
            .map(|(_, value)| value.trim_matches([' ', '\t']))
            .unwrap_or("");
        canonical.push_str(name);
        canonical.push(':');
        canonical.push_str(value);
        canonical.push('\n');
    }
    canonical.push('\n');
    canonical.push_str(&names.join(";"));
    canonical.push('\n');
    canonical.push_str(payload_hash);
    let string_to_sign = format!("{ACS3}\n{}", sha256_hex(canonical.as_bytes()));
    (canonical, string_to_sign)
}

/// Hex HMAC-SHA256 keyed with the secret.
pub(crate) fn acs3_signature(secret: &str, string_to_sign: &str) -> String {
    let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(string_to_sign.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    /// Alibaba's published ECS example (`docs/platform.md` §5.3), `Timestamp` spelling.
    #[test]
    fn the_published_v1_example_verifies() {
        let params = pairs(&[
            ("AccessKeyId", "testid"),
            ("Action", "DescribeRegions"),
            ("Format", "XML"),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
            ("SignatureVersion", "1.0"),
            ("Timestamp", "2016-02-23T12:46:24Z"),
            ("Version", "2014-05-26"),
            ("Signature", "ignored"),
        ]);
        let sts = v1_string_to_sign("GET", &params);
        assert_eq!(
            v1_signature("testsecret", &sts),
            "OLeaidS1JvxuMvnyHOwuJ+uX5qY="
        );
        let mut time_stamp = params.clone();
        time_stamp[6].0 = "TimeStamp".to_string();
        let sts = v1_string_to_sign("GET", &time_stamp);
        assert_eq!(
            sts,
            "GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26TimeStamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26"
        );
        assert_eq!(
            v1_signature("testsecret", &sts),
            "CT9X0VtwR86fNWSnsc6v8YGOjuE="
        );
    }

    #[test]
    fn form_text_decodes_plus_as_space_and_keeps_order() {
        let decoded = decode_form("b=1+2&a=%E6%B8%A9%2A~&&c&d=x%3Dy").unwrap();
        assert_eq!(
            decoded,
            pairs(&[("b", "1 2"), ("a", "温*~"), ("c", ""), ("d", "x=y")])
        );
        assert!(decode_form("a=%FF").is_err());
    }

    #[test]
    fn encoding_keeps_only_unreserved() {
        let mut encoded = String::new();
        encode_into(&mut encoded, "a b*c~d/é+");
        assert_eq!(encoded, "a%20b%2Ac~d%2F%C3%A9%2B");
    }

    #[test]
    fn acs3_authorization_reads() {
        let auth = parse_acs3_authorization(
            "ACS3-HMAC-SHA256 Credential=id,SignedHeaders=host;X-Acs-Date,Signature=AB12",
        )
        .unwrap();
        assert_eq!(auth.access_key_id, "id");
        assert_eq!(auth.signed_headers, ["host", "x-acs-date"]);
        assert_eq!(auth.signature, "ab12");
        assert!(parse_acs3_authorization("ACS3-HMAC-SHA256Credential=id").is_none());
        assert!(parse_acs3_authorization("Basic abc").is_none());
        assert!(parse_acs3_authorization(
            "ACS3-HMAC-SHA256 Credential=,SignedHeaders=a,Signature=b"
        )
        .is_none());
    }
}
