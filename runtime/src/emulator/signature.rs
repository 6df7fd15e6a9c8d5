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
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::answer::Refusal;

/// The algorithm name of ACS3 signatures.
pub(crate) const ACS3: &str = "ACS3-HMAC-SHA256";

const HEX: &[u8; 16] = b"0123456789ABCDEF";

/// RFC 3986 encoding as Alibaba specifies it (space `%20`, `*` `%2A`, `~` kept), appended
/// to `out`. Byte by byte from a table, into bytes made text once at the end:
/// `percent_encoding`'s iterator yields a slice per escape, each appended on its own, which
/// made this a visible part of the emulator's time per request (BENCHMARKS.md "Call
/// latency"); the tests hold it to `percent_encoding` on every byte.
fn encode_into(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        if KEPT[usize::from(b)] {
            out.push(b);
        } else {
            out.extend_from_slice(&[b'%', HEX[usize::from(b >> 4)], HEX[usize::from(b & 15)]]);
        }
    }
}

/// [`encode_into`] applied twice in one pass (`%XY` becomes `%25XY`), as the V1 string to
/// sign encodes the canonical query's pieces.
fn encode_twice_into(out: &mut Vec<u8>, text: &str) {
    for &b in text.as_bytes() {
        if KEPT[usize::from(b)] {
            out.push(b);
        } else {
            out.extend_from_slice(&[
                b'%',
                b'2',
                b'5',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]);
        }
    }
}

/// Bytes written by the encoders above (ASCII) around UTF-8 text, as a `String`. Never
/// fails; were it to, the text is empty and a signature over it cannot match (refused,
/// never accepted).
fn into_text(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_default()
}

/// The bytes [`encode_into`] keeps: `A–Z a–z 0–9 - _ . ~`, RFC 3986's unreserved set.
static KEPT: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~');
        byte += 1;
    }
    table
};

/// `%XY` decoded, `+` read as a space when `plus` says so; a `%` not followed by two hex
/// digits stays as it is (as `percent_encoding` does). `None` when the result is not UTF-8.
fn decode_piece(text: &str, plus: bool) -> Option<String> {
    let bytes = text.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || (plus && b == b'+')) {
        return Some(text.to_string());
    }
    let hex = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let escaped = match (b, bytes.get(i + 1), bytes.get(i + 2)) {
            (b'%', Some(&high), Some(&low)) => hex(high).zip(hex(low)),
            _ => None,
        };
        match escaped {
            Some((high, low)) => {
                out.push(high << 4 | low);
                i += 3;
            }
            None => {
                out.push(if plus && b == b'+' { b' ' } else { b });
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
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
            decode_piece(text, true).ok_or_else(|| NotUtf8 {
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
    let sorted = sorted(pairs);
    let length: usize = sorted.iter().map(|(n, v)| n.len() + v.len() + 2).sum();
    let mut canonical = Vec::with_capacity(length + length / 4);
    for (index, (name, value)) in sorted.iter().enumerate() {
        if index > 0 {
            canonical.push(b'&');
        }
        encode_into(&mut canonical, name);
        canonical.push(b'=');
        encode_into(&mut canonical, value);
    }
    into_text(canonical)
}

fn sorted<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<(&'a str, &'a str)> {
    let mut sorted: Vec<(&str, &str)> = pairs.collect();
    sorted.sort_unstable();
    sorted
}

/// The V1 string to sign over every parameter but `Signature`: `METHOD&%2F&` and the
/// canonical query encoded again, written in one pass (the canonical query's `&` and `=`
/// are `%26` and `%3D` there, its escapes `%25XY`).
pub(crate) fn v1_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let sorted = sorted(
        params
            .iter()
            .filter(|(name, _)| name != "Signature")
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    let length: usize = sorted.iter().map(|(n, v)| n.len() + v.len() + 6).sum();
    let mut string_to_sign = Vec::with_capacity(method.len() + 5 + length + length / 2);
    string_to_sign.extend_from_slice(method.as_bytes());
    string_to_sign.extend_from_slice(b"&%2F&");
    for (index, (name, value)) in sorted.iter().enumerate() {
        if index > 0 {
            string_to_sign.extend_from_slice(b"%26");
        }
        encode_twice_into(&mut string_to_sign, name);
        string_to_sign.extend_from_slice(b"%3D");
        encode_twice_into(&mut string_to_sign, value);
    }
    into_text(string_to_sign)
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

/// The parameters of a request's query and, when `content_type` says it is a form, its
/// body: what the gateway reads (gateway.rs `decode`), and what a kept request is decoded
/// again with (record.rs).
pub(crate) fn decode_parts(
    raw_query: &str,
    content_type: Option<&str>,
    body: &[u8],
) -> Result<Vec<(String, String)>, Refusal> {
    let not_utf8 = |e: NotUtf8| {
        Refusal::gateway(
            400,
            "InvalidParameter",
            format!("`{}` is not UTF-8 text once percent-decoded.", e.piece),
        )
    };
    let mut pairs = decode_form(raw_query).map_err(not_utf8)?;
    let is_form = content_type.is_some_and(|t| {
        t.to_ascii_lowercase()
            .starts_with("application/x-www-form-urlencoded")
    });
    if is_form && !body.is_empty() {
        let body = std::str::from_utf8(body).map_err(|_| {
            Refusal::gateway(400, "InvalidParameter", "The form body is not UTF-8 text.")
        })?;
        pairs.extend(decode_form(body).map_err(not_utf8)?);
    }
    Ok(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

    /// Alibaba's encode set: everything but `A–Z a–z 0–9 - _ . ~`.
    const UNRESERVED_KEPT: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');

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
    fn encoder_and_decoder_agree_with_percent_encoding_on_every_byte() {
        use percent_encoding::{percent_decode_str, utf8_percent_encode};
        for b in 0..=255u8 {
            // Every byte, alone and inside text, as UTF-8 where it is a char of its own.
            let text = format!("a{}z", char::from(b));
            let mut ours = Vec::new();
            encode_into(&mut ours, &text);
            let theirs: String = utf8_percent_encode(&text, UNRESERVED_KEPT).collect();
            assert_eq!(into_text(ours), theirs, "byte {b:#04x}");
            // Twice in one pass is the encoding of the encoding.
            let mut twice = Vec::new();
            encode_twice_into(&mut twice, &text);
            let again: String = utf8_percent_encode(&theirs, UNRESERVED_KEPT).collect();
            assert_eq!(into_text(twice), again, "byte {b:#04x}");
            for raw in [
                format!("%{b:02X}"),
                format!("%{b:02x}x"),
                format!("x%{}", char::from(b)),
            ] {
                let theirs = percent_decode_str(&raw).decode_utf8().ok();
                let ours = decode_piece(&raw, false);
                assert_eq!(ours.as_deref(), theirs.as_deref(), "{raw:?}");
            }
        }
        assert_eq!(decode_piece("%4", false).as_deref(), Some("%4"));
        assert_eq!(decode_piece("%zz%41", false).as_deref(), Some("%zzA"));
        assert_eq!(decode_piece("a+b%2B", true).as_deref(), Some("a b+"));
        assert_eq!(decode_piece("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(decode_piece("%E6%B8%A9", true).as_deref(), Some("\u{6e29}"));
        assert_eq!(decode_piece("%E6%B8", true), None);
    }

    /// The one-pass string to sign is `METHOD&%2F&` + the encoded canonical query.
    #[test]
    fn v1_string_to_sign_encodes_the_canonical_query_again() {
        let params = pairs(&[
            ("b", "x y*z"),
            ("a", "%41=&+"),
            ("Signature", "left out"),
            ("a", "\u{6e29}~"),
            ("Zed", ""),
        ]);
        let canonical = canonical_query(
            params
                .iter()
                .filter(|(name, _)| name != "Signature")
                .map(|(name, value)| (name.as_str(), value.as_str())),
        );
        assert_eq!(canonical, "Zed=&a=%2541%3D%26%2B&a=%E6%B8%A9~&b=x%20y%2Az");
        let again: String =
            percent_encoding::utf8_percent_encode(&canonical, UNRESERVED_KEPT).collect();
        assert_eq!(
            v1_string_to_sign("POST", &params),
            format!("POST&%2F&{again}")
        );
    }

    #[test]
    fn encoding_keeps_only_unreserved() {
        let mut encoded = Vec::new();
        encode_into(&mut encoded, "a b*c~d/é+");
        assert_eq!(into_text(encoded), "a%20b%2Ac~d%2F%C3%A9%2B");
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
