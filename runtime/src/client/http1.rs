//! The HTTP/1.1 wire format of the client's `http://` transport (client/plain.rs): a POST
//! written as one buffer, and an answer's head and body framing read back (RFC 9112).
//!
//! Why its own (issue 17, BENCHMARKS.md "Call latency"): hyper's client connection parses
//! and validates the request line as a URI, keeps headers in a map, and runs a dispatcher
//! with channels between the caller and the connection; a call to a local server only
//! needs the bytes written once and the answer's length found. The head of the answer is
//! parsed by `httparse`, the parser hyper itself uses.

/// The most headers an answer may carry (hyper's default limit is 100 too).
const MAX_HEADERS: usize = 100;

/// A chunk-size line longer than this is not one (hex digits, and extensions).
const MAX_CHUNK_LINE: usize = 4096;

/// Whether `b` may be in a header name: an RFC 9110 token character.
fn is_token(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Whether `text` is a header name.
pub(crate) fn is_header_name(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(is_token)
}

/// Whether `text` may be a header value: visible ASCII, spaces and tabs (what `http`'s
/// `HeaderValue::from_str` accepts).
pub(crate) fn is_header_value(text: &str) -> bool {
    text.bytes()
        .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
}

/// Whether `text` may be in a request target: visible ASCII without `#` (a fragment is
/// never sent).
fn is_target(text: &str) -> bool {
    text.bytes().all(|b| (0x21..0x7f).contains(&b) && b != b'#')
}

/// Headers every request carries unless the caller sends its own of the same name.
const DEFAULTS: [(&str, &str); 2] = [
    ("accept", "application/json"),
    ("user-agent", concat!("tsl-rs/", env!("CARGO_PKG_VERSION"))),
];

/// Writes `POST path?query` with `host`, the default headers, `headers` and `body` into
/// `out` (cleared first). A header named twice is sent once, with its last value; the
/// length is this function's (a `Content-Length` or `Transfer-Encoding` among `headers`
/// is not sent). `Err` says what cannot be sent.
pub(crate) fn write_request(
    out: &mut Vec<u8>,
    path: &str,
    query: Option<&str>,
    host: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<(), String> {
    out.clear();
    if !is_target(path) || !query.is_none_or(is_target) {
        return Err("the query is not a valid URI".to_string());
    }
    for (name, value) in headers {
        if !is_header_name(name) {
            return Err(format!("`{name}` is not a header name"));
        }
        if !is_header_value(value) {
            return Err(format!("the value of `{name}` is not a header value"));
        }
    }
    let own = |name: &str| headers.iter().any(|(n, _)| n.eq_ignore_ascii_case(name));
    out.extend_from_slice(b"POST ");
    out.extend_from_slice(path.as_bytes());
    if let Some(query) = query {
        out.push(b'?');
        out.extend_from_slice(query.as_bytes());
    }
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if !own("host") {
        line(out, "host", host);
    }
    for (name, value) in DEFAULTS {
        if !own(name) {
            line(out, name, value);
        }
    }
    for (at, (name, value)) in headers.iter().enumerate() {
        let later = headers[at + 1..]
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case(name));
        let framing = name.eq_ignore_ascii_case("content-length")
            || name.eq_ignore_ascii_case("transfer-encoding");
        if !later && !framing {
            line(out, name, value);
        }
    }
    line(out, "content-length", &body.len().to_string());
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
    Ok(())
}

/// `name: value\r\n`, the name in lower case (as hyper sends it).
fn line(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend(name.bytes().map(|b| b.to_ascii_lowercase()));
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(b"\r\n");
}

/// How an answer's body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (a 204 or 304).
    Empty,
    /// `Content-Length` bytes.
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// An answer's head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Head {
    /// Its length in bytes, the blank line included.
    pub(crate) length: usize,
    pub(crate) status: u16,
    pub(crate) framing: Framing,
    /// Whether the connection may carry another request after this answer.
    pub(crate) keep_alive: bool,
}

/// The head at the start of `data`: `None` while it is incomplete.
pub(crate) fn parse_head(data: &[u8]) -> Result<Option<Head>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let length = match response.parse(data) {
        Ok(httparse::Status::Complete(length)) => length,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("the answer is not HTTP/1.1: {e}")),
    };
    let status = response.code.unwrap_or(0);
    let version = response.version.unwrap_or(1);
    let mut content_length: Option<u64> = None;
    let mut chunked = None;
    let mut close = false;
    let mut keep_alive_asked = false;
    for header in response.headers.iter() {
        let name = header.name;
        if name.eq_ignore_ascii_case("content-length") {
            let value = std::str::from_utf8(header.value)
                .ok()
                .map(str::trim)
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|v| v.parse::<u64>().ok())
                .ok_or_else(|| "the answer's Content-Length is not a number".to_string())?;
            if content_length.is_some_and(|known| known != value) {
                return Err("the answer has two different Content-Lengths".to_string());
            }
            content_length = Some(value);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // The last coding decides whether the body is chunked.
            let last = header
                .value
                .rsplit(|&b| b == b',')
                .next()
                .unwrap_or_default()
                .trim_ascii();
            chunked = Some(last.eq_ignore_ascii_case(b"chunked"));
        } else if name.eq_ignore_ascii_case("connection") {
            for token in header.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                close |= token.eq_ignore_ascii_case(b"close");
                keep_alive_asked |= token.eq_ignore_ascii_case(b"keep-alive");
            }
        }
    }
    let framing = if status == 204 || status == 304 || (100..200).contains(&status) {
        Framing::Empty
    } else {
        match (chunked, content_length) {
            (Some(true), _) => Framing::Chunked,
            (Some(false), _) => Framing::UntilClose,
            (None, Some(length)) => Framing::Length(length),
            (None, None) => Framing::UntilClose,
        }
    };
    let keep_alive = framing != Framing::UntilClose && !close && (version >= 1 || keep_alive_asked);
    Ok(Some(Head {
        length,
        status,
        framing,
        keep_alive,
    }))
}

/// Decodes the whole chunks at the start of `data` into `out`: how many bytes of `data`
/// they took, and whether the last chunk (and its trailers) was among them. What is left
/// waits for more bytes.
pub(crate) fn chunks(data: &[u8], out: &mut Vec<u8>) -> Result<(usize, bool), String> {
    let mut at = 0;
    loop {
        let rest = &data[at..];
        let Some(end) = find_crlf(rest) else {
            if rest.len() > MAX_CHUNK_LINE {
                return Err("a chunk's size line is too long".to_string());
            }
            return Ok((at, false));
        };
        let digits = rest[..end]
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        if digits.is_empty() || digits.len() > 15 || !digits.iter().all(u8::is_ascii_hexdigit) {
            return Err("a chunk's size is not a hexadecimal number".to_string());
        }
        // At most 15 hex digits, each checked: it reads, and fits a `usize`.
        let size = std::str::from_utf8(digits)
            .ok()
            .and_then(|d| usize::from_str_radix(d, 16).ok())
            .unwrap_or(0);
        let start = end + 2;
        if size == 0 {
            // Trailers, each a line, until an empty line.
            let mut line = start;
            loop {
                let Some(length) = find_crlf(&rest[line..]) else {
                    if rest.len() - line > MAX_CHUNK_LINE {
                        return Err("a trailer line is too long".to_string());
                    }
                    return Ok((at, false));
                };
                line += length + 2;
                if length == 0 {
                    return Ok((at + line, true));
                }
            }
        }
        let Some(whole) = start.checked_add(size).and_then(|n| n.checked_add(2)) else {
            return Err("a chunk's size is too large".to_string());
        };
        if rest.len() < whole {
            return Ok((at, false));
        }
        if &rest[whole - 2..whole] != b"\r\n" {
            return Err("a chunk does not end with CRLF".to_string());
        }
        out.extend_from_slice(&rest[start..start + size]);
        at += whole;
    }
}

fn find_crlf(data: &[u8]) -> Option<usize> {
    data.windows(2).position(|w| w == b"\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(query: Option<&str>, headers: &[(&str, &str)], body: &str) -> String {
        let headers: Vec<(String, String)> = headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        let mut out = Vec::new();
        write_request(&mut out, "/", query, "h:1", &headers, body.as_bytes()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn a_request_is_one_buffer_with_its_length() {
        let agent = concat!("tsl-rs/", env!("CARGO_PKG_VERSION"));
        assert_eq!(
            written(Some("A=1&B=%2F"), &[], ""),
            format!(
                "POST /?A=1&B=%2F HTTP/1.1\r\nhost: h:1\r\naccept: application/json\r\n\
                 user-agent: {agent}\r\ncontent-length: 0\r\n\r\n"
            )
        );
        assert_eq!(
            written(
                None,
                &[
                    ("Content-Type", "x"),
                    ("Host", "other"),
                    ("content-type", "y"),
                    ("Content-Length", "9")
                ],
                "a=1"
            ),
            format!(
                "POST / HTTP/1.1\r\naccept: application/json\r\nuser-agent: {agent}\r\n\
                 host: other\r\ncontent-type: y\r\ncontent-length: 3\r\n\r\na=1"
            )
        );
    }

    #[test]
    fn what_cannot_be_sent_is_refused() {
        let mut out = Vec::new();
        let refuse = |query: Option<&str>, name: &str, value: &str| {
            write_request(
                &mut Vec::new(),
                "/",
                query,
                "h",
                &[(name.to_string(), value.to_string())],
                b"",
            )
            .unwrap_err()
        };
        assert_eq!(
            refuse(Some("a b"), "x", "v"),
            "the query is not a valid URI"
        );
        assert_eq!(
            refuse(Some("a#b"), "x", "v"),
            "the query is not a valid URI"
        );
        assert_eq!(
            refuse(None, "bad name", "v"),
            "`bad name` is not a header name"
        );
        assert_eq!(refuse(None, "", "v"), "`` is not a header name");
        assert_eq!(
            refuse(None, "x", "a\r\nb: c"),
            "the value of `x` is not a header value"
        );
        write_request(
            &mut out,
            "/",
            None,
            "h",
            &[("x".into(), "a\tb c".into())],
            b"",
        )
        .unwrap();
    }

    #[test]
    fn heads_give_status_framing_and_reuse() {
        let head = |text: &str| parse_head(text.as_bytes()).unwrap().unwrap();
        let h = head("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        assert_eq!(
            (h.length, h.status, h.framing, h.keep_alive),
            (38, 200, Framing::Length(2), true)
        );
        let h = head(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n\r\n",
        );
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, true));
        let h =
            head("HTTP/1.1 200 OK\r\nConnection: Keep-Alive, close\r\ncontent-length: 0\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(0), false));
        let h = head("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\n");
        assert!(!h.keep_alive);
        let h = head("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\n");
        assert!(h.keep_alive);
        let h = head("HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = head("HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n");
        assert_eq!((h.status, h.framing), (204, Framing::Empty));
        let h = head("HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!((h.status, h.framing), (100, Framing::Empty));
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le").unwrap(), None);
        for bad in [
            "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
            "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\n",
            "SMTP ready\r\n\r\n",
        ] {
            assert!(parse_head(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn chunks_decode_as_they_arrive() {
        let whole =
            b"4\r\nWiki\r\n6;ext=1\r\npedia \r\nE\r\nin \r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";
        let mut out = Vec::new();
        assert_eq!(chunks(whole, &mut out).unwrap(), (whole.len(), true));
        assert_eq!(out, b"Wikipedia in \r\n\r\nchunks.");
        // Fed a byte at a time, with what each step took removed, as plain.rs reads.
        let mut out = Vec::new();
        let mut pending = Vec::new();
        let mut done = false;
        for &b in whole {
            assert!(!done);
            pending.push(b);
            let (taken, last) = chunks(&pending, &mut out).unwrap();
            pending.drain(..taken);
            done = last;
        }
        assert!(done && pending.is_empty());
        assert_eq!(out, b"Wikipedia in \r\n\r\nchunks.");
        for bad in [
            &b"x\r\n"[..],
            b"4\r\nWikiXX",
            b"\r\n",
            b"1234567890123456\r\n",
        ] {
            assert!(chunks(bad, &mut Vec::new()).is_err(), "{bad:?}");
        }
    }
}
