//! Reading the platform's answers: success, gateway errors (HTTP 4xx with `Code`/`Message`)
//! and business errors (`Success: false` with `Code`/`ErrorMessage`, on HTTP 200 or 4xx/5xx)
//! (`docs/platform.md` §7).
//!
//! Fields are read as raw JSON first, so `MessageId` keeps the digits it was sent with
//! (`1894186889322557440` is above 2^53 and would change through `f64`), and `Data.Result`
//! keeps its text.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::error::{Error, PlatformError};

/// How much of a non-JSON body an error message quotes.
const QUOTE: usize = 300;

/// A successful answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// `RequestId` (empty if the answer had none).
    pub request_id: String,
    /// The HTTP status.
    pub http_status: u16,
    /// The whole body, as received.
    pub body: String,
}

#[cfg(test)]
impl Answer {
    /// A 200 answer with `body` and RequestId `R`, for the readers' unit tests.
    pub(crate) fn ok(body: &str) -> Answer {
        Answer {
            request_id: "R".into(),
            http_status: 200,
            body: body.into(),
        }
    }
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(rename = "RequestId", borrow, default)]
    request_id: Option<&'a RawValue>,
    #[serde(rename = "Success", borrow, default)]
    success: Option<&'a RawValue>,
    #[serde(rename = "Code", borrow, default)]
    code: Option<&'a RawValue>,
    #[serde(rename = "Message", borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(rename = "ErrorMessage", borrow, default)]
    error_message: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct WithData<'a> {
    #[serde(rename = "Data", borrow, default)]
    data: Option<&'a RawValue>,
}

/// An answer's `Data` members, read in the same pass as the rest of the body.
#[derive(Deserialize)]
struct WithFields<'a> {
    #[serde(rename = "Data", borrow, default)]
    data: Option<Fields<'a>>,
}

/// A JSON object's members, in order, values as raw JSON (names borrowed: a name with an
/// escape fails here, as it does in a map of borrowed names).
struct Fields<'a>(Vec<(&'a str, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Fields<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for FieldsVisitor<'a> {
            type Value = Fields<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields<'a>, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<&'de str, &'de RawValue>()? {
                    fields.push(entry);
                }
                Ok(Fields(fields))
            }
        }
        deserializer.deserialize_map(FieldsVisitor(std::marker::PhantomData))
    }
}

/// A JSON value as text: a string's content, a number's digits as written, `None` for
/// `null` and absent; objects and arrays as their JSON.
pub(crate) fn text(raw: Option<&RawValue>) -> Option<String> {
    let raw = raw?.get().trim();
    if raw == "null" {
        return None;
    }
    if raw.starts_with('"') {
        return serde_json::from_str::<String>(raw).ok();
    }
    Some(raw.to_string())
}

/// Reads an answer of HTTP status `status` with body `body`.
pub(crate) fn read(status: u16, body: String) -> Result<Answer, Error> {
    let envelope: Envelope<'_> = match serde_json::from_str(&body) {
        Ok(envelope) => envelope,
        Err(e) if status >= 500 => {
            // A proxy's error page: no platform code, but the status says what happened.
            return Err(Error::Platform(PlatformError {
                code: format!("HTTP{status}"),
                message: format!(
                    "HTTP {status} with a body that is not JSON ({e}): {}",
                    quote(&body)
                ),
                request_id: None,
                http_status: Some(status),
            }));
        }
        Err(e) => {
            return Err(Error::BadAnswer {
                problem: format!("HTTP {status}: the body is not a JSON object ({e})"),
                raw: body,
            })
        }
    };
    let request_id = text(envelope.request_id);
    let code = text(envelope.code).filter(|code| !code.is_empty());
    let success = envelope.success.map(|raw| raw.get().trim());
    let failed = match success {
        Some("false") => true,
        Some("true") => false,
        Some(other) if status < 400 => {
            return Err(Error::BadAnswer {
                problem: format!("`Success` is {other}, not true or false"),
                raw: body,
            })
        }
        // Gateway errors carry no `Success`; a code on a success status is an error too.
        _ => status >= 400 || code.is_some() && success.is_none(),
    };
    if failed {
        let message = text(envelope.error_message)
            .or_else(|| text(envelope.message))
            .unwrap_or_default();
        return Err(Error::Platform(PlatformError {
            code: code.unwrap_or_else(|| format!("HTTP{status}")),
            message,
            request_id,
            http_status: Some(status),
        }));
    }
    if success != Some("true") {
        // `{}`, `[]` or `{"RequestId":"R1"}`: neither a success nor an error the platform
        // sends, so nothing says whether the call was run (docs/batches.md).
        return Err(Error::BadAnswer {
            problem: format!(
                "HTTP {status} without `Success: true` or an error `Code`{}",
                request_id
                    .as_deref()
                    .map(|id| format!(" (RequestId {id})"))
                    .unwrap_or_default()
            ),
            raw: body,
        });
    }
    Ok(Answer {
        request_id: request_id.unwrap_or_default(),
        http_status: status,
        body,
    })
}

impl Answer {
    /// `Data` as raw JSON, if present and not `null`.
    pub(crate) fn data(&self) -> Result<Option<&RawValue>, Error> {
        let with: WithData<'_> = serde_json::from_str(&self.body).map_err(|e| self.bad(e))?;
        Ok(with.data.filter(|raw| raw.get().trim() != "null"))
    }

    /// A field of `Data`, as text ([`text`]).
    pub(crate) fn data_field(&self, name: &str) -> Result<Option<String>, Error> {
        let [field] = self.data_fields([name])?;
        Ok(field)
    }

    /// Fields of `Data`, as text ([`text`]), with the body read once for all of them (a
    /// sync call's `MessageId` and `Result` read it twice each: issue 17).
    pub(crate) fn data_fields<const N: usize>(
        &self,
        names: [&str; N],
    ) -> Result<[Option<String>; N], Error> {
        // One pass over the body for `Data`'s members; when that fails, the pass in two
        // steps below fails too, with the error (and message) it has always given.
        if let Ok(with) = serde_json::from_str::<WithFields<'_>>(&self.body) {
            let Some(Fields(fields)) = with.data else {
                return Ok(std::array::from_fn(|_| None));
            };
            // The last of a repeated member, as a map keeps it.
            let field = |name: &str| fields.iter().rev().find(|(key, _)| *key == name);
            return Ok(names.map(|name| text(field(name).map(|&(_, raw)| raw))));
        }
        let Some(data) = self.data()? else {
            return Ok(std::array::from_fn(|_| None));
        };
        let fields: std::collections::HashMap<&str, &RawValue> =
            serde_json::from_str(data.get()).map_err(|e| self.bad(e))?;
        Ok(names.map(|name| text(fields.get(name).copied())))
    }

    fn bad(&self, e: serde_json::Error) -> Error {
        Error::BadAnswer {
            problem: format!("`Data` is not a JSON object ({e})"),
            raw: self.body.clone(),
        }
    }
}

fn quote(body: &str) -> String {
    match body.char_indices().nth(QUOTE) {
        Some((end, _)) => format!("{}...", &body[..end]),
        None => body.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(result: Result<Answer, Error>) -> PlatformError {
        match result {
            Err(Error::Platform(e)) => e,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn client_reads_success_and_message_id_as_written() {
        let body = r#"{"RequestId":"R-1","Success":true,"Data":{"MessageId":1894186889322557440,"Result":"{\"code\":200,\"data\":{},\"id\":\"1\"}"}}"#;
        let answer = read(200, body.to_string()).unwrap();
        assert_eq!(answer.request_id, "R-1");
        assert_eq!(
            answer.data_field("MessageId").unwrap().as_deref(),
            Some("1894186889322557440")
        );
        assert_eq!(
            answer.data_field("Result").unwrap().as_deref(),
            Some(r#"{"code":200,"data":{},"id":"1"}"#)
        );
        let string_id = r#"{"RequestId":"R","Success":true,"Data":{"MessageId":"abc"}}"#;
        let answer = read(200, string_id.to_string()).unwrap();
        assert_eq!(
            answer.data_field("MessageId").unwrap().as_deref(),
            Some("abc")
        );
        assert_eq!(answer.data_field("Result").unwrap(), None);
        // A repeated member: the last, as a map keeps it; a member named with an escape
        // fails as it always has; `"Data": null` has no members.
        let twice = r#"{"RequestId":"R","Success":true,"Data":{"MessageId":"1","MessageId":"2"}}"#;
        let answer = read(200, twice.to_string()).unwrap();
        assert_eq!(
            answer.data_field("MessageId").unwrap().as_deref(),
            Some("2")
        );
        let escaped = r#"{"RequestId":"R","Success":true,"Data":{"Message\u0049d":"1"}}"#;
        let answer = read(200, escaped.to_string()).unwrap();
        assert!(matches!(
            answer.data_fields(["MessageId", "Result"]),
            Err(Error::BadAnswer { .. })
        ));
        let null = r#"{"RequestId":"R","Success":true,"Data":null}"#;
        let answer = read(200, null.to_string()).unwrap();
        assert_eq!(
            answer.data_fields(["MessageId", "Result"]).unwrap(),
            [None, None]
        );
        let no_data = read(200, r#"{"RequestId":"R","Success":true}"#.to_string()).unwrap();
        assert_eq!(no_data.data_field("MessageId").unwrap(), None);
        // QueryThingModel's sample success carries `"Code": ""`.
        read(
            200,
            r#"{"RequestId":"R","Success":true,"Code":""}"#.to_string(),
        )
        .unwrap();
    }

    #[test]
    fn client_business_and_gateway_errors_are_platform_errors() {
        let business = r#"{"RequestId":"R-2","Success":false,"Code":"iot.device.NotExistedDevice","ErrorMessage":"The device does not exist."}"#;
        for status in [200, 400, 503] {
            let e = platform(read(status, business.to_string()));
            assert_eq!(e.code, "iot.device.NotExistedDevice");
            assert_eq!(e.message, "The device does not exist.");
            assert_eq!(e.request_id.as_deref(), Some("R-2"));
            assert_eq!(e.http_status, Some(status));
        }
        let gateway = r#"{"RequestId":"R-3","Message":"Request was denied due to user flow control.","Recommend":"https://api.aliyun.com/troubleshoot?q=Throttling.User","HostId":"iot.cn-shanghai.aliyuncs.com","Code":"Throttling.User"}"#;
        let e = platform(read(400, gateway.to_string()));
        assert_eq!(e.code, "Throttling.User");
        assert_eq!(e.message, "Request was denied due to user flow control.");
        assert_eq!(e.request_id.as_deref(), Some("R-3"));
        let e = platform(read(404, "{}".to_string()));
        assert_eq!(e.code, "HTTP404");
        let e = platform(read(
            200,
            r#"{"Code":"Forbidden","Message":"no"}"#.to_string(),
        ));
        assert_eq!(e.code, "Forbidden");
    }

    #[test]
    fn client_malformed_answers_keep_the_text() {
        for body in ["not json", r#"{"RequestId":"R","Success":tru"#, "[1,2]", ""] {
            match read(200, body.to_string()) {
                Err(Error::BadAnswer { raw, .. }) => assert_eq!(raw, body),
                other => panic!("{body}: {other:?}"),
            }
        }
        // Neither a success nor an error: nothing says the call was run.
        for body in [
            "{}",
            "[]",
            r#"{"RequestId":"R1"}"#,
            r#"{"RequestId":"R1","Data":{}}"#,
        ] {
            match read(200, body.to_string()) {
                Err(Error::BadAnswer { problem, raw }) => {
                    assert!(problem.contains("without `Success: true`"), "{problem}");
                    assert_eq!(raw, body);
                }
                other => panic!("{body}: {other:?}"),
            }
        }
        match read(200, r#"{"Success":"yes"}"#.to_string()) {
            Err(Error::BadAnswer { problem, .. }) => {
                assert!(problem.contains("Success"), "{problem}")
            }
            other => panic!("{other:?}"),
        }
        let answer = read(
            200,
            r#"{"RequestId":"R","Success":true,"Data":[1]}"#.to_string(),
        )
        .unwrap();
        assert!(matches!(
            answer.data_field("MessageId"),
            Err(Error::BadAnswer { .. })
        ));
        let e = platform(read(502, "<html>Bad Gateway</html>".to_string()));
        assert_eq!(e.code, "HTTP502");
        assert!(e.message.contains("Bad Gateway"));
    }
}
