//! The platform's answer shapes (`docs/platform.md` §7):
//!
//! - success: `{"RequestId","Success":true,"Code":"","Data":{...}}` (only
//!   `{"RequestId","Success":true}` for actions without data);
//! - business errors: HTTP 200, `{"RequestId","Success":false,"Code","ErrorMessage"}`;
//! - gateway errors (authentication, throttling, parameters): HTTP 4xx/5xx,
//!   `{"RequestId","HostId","Code","Message","Recommend"}`.

use serde_json::{json, Map, Value};

/// What an action answers on success.
#[derive(Debug, Default)]
pub(crate) struct Success {
    /// `Data`, when the action has any.
    pub data: Option<Value>,
    /// Other top-level members (QueryThingModel's `ProductKey`).
    pub extra: Map<String, Value>,
}

impl Success {
    pub(crate) fn bare() -> Success {
        Success::default()
    }

    pub(crate) fn data(data: Value) -> Success {
        Success {
            data: Some(data),
            extra: Map::new(),
        }
    }
}

/// Why a request is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// By the API gateway, before the action runs.
    Gateway {
        status: u16,
        code: String,
        message: String,
    },
    /// By the IoT Platform: `Success:false`.
    Business { code: String, message: String },
}

impl Refusal {
    pub(crate) fn gateway(
        status: u16,
        code: impl Into<String>,
        message: impl Into<String>,
    ) -> Refusal {
        Refusal::Gateway {
            status,
            code: code.into(),
            message: message.into(),
        }
    }

    pub(crate) fn business(code: impl Into<String>, message: impl Into<String>) -> Refusal {
        Refusal::Business {
            code: code.into(),
            message: message.into(),
        }
    }

    /// `Missing<Name>`: a required parameter is absent.
    pub(crate) fn missing(name: &str) -> Refusal {
        Refusal::gateway(
            400,
            format!("Missing{name}"),
            format!("{name} is mandatory for this action."),
        )
    }

    /// `Throttling.User`.
    pub(crate) fn throttled() -> Refusal {
        Refusal::gateway(
            400,
            "Throttling.User",
            "Request was denied due to user flow control.",
        )
    }

    /// `iot.check.InvalidFormattedParameter`.
    pub(crate) fn invalid(message: impl Into<String>) -> Refusal {
        Refusal::business("iot.check.InvalidFormattedParameter", message)
    }
}

/// An HTTP answer ready to send.
#[derive(Debug, Clone)]
pub(crate) struct Answer {
    pub status: u16,
    pub body: String,
    /// The error code, for the record.
    pub code: Option<String>,
}

pub(crate) fn success(request_id: &str, success: Success) -> Answer {
    if success.extra.is_empty() {
        return Answer {
            status: 200,
            body: plain_success(request_id, success.data.as_ref()),
            code: None,
        };
    }
    let mut body = success.extra;
    body.insert("RequestId".into(), json!(request_id));
    body.insert("Success".into(), json!(true));
    if let Some(data) = success.data {
        body.insert("Code".into(), json!(""));
        body.insert("Data".into(), data);
    }
    Answer {
        status: 200,
        body: to_text(&Value::Object(body)),
        code: None,
    }
}

pub(crate) fn refusal(request_id: &str, host_id: &str, refusal: Refusal) -> Answer {
    match refusal {
        Refusal::Gateway {
            status,
            code,
            message,
        } => Answer {
            status,
            body: to_text(&json!({
                "RequestId": request_id,
                "HostId": host_id,
                "Code": code,
                "Message": message,
                "Recommend": format!(
                    "https://api.aliyun.com/troubleshoot?q={code}&product=Iot&requestId={request_id}"
                ),
            })),
            code: Some(code),
        },
        Refusal::Business { code, message } => Answer {
            status: 200,
            body: to_text(&json!({
                "RequestId": request_id,
                "Success": false,
                "Code": code,
                "ErrorMessage": message,
            })),
            code: Some(code),
        },
    }
}

/// The success answer without extra fields, written straight out: the same bytes as the
/// map [`success`] builds otherwise (its keys in order: `Code`, `Data`, `RequestId`,
/// `Success`), without building it (issue 17: a map and its entries per answer).
fn plain_success(request_id: &str, data: Option<&Value>) -> String {
    let mut body = Vec::with_capacity(96);
    // Writing JSON into a `Vec` cannot fail (string keys, no I/O).
    if let Some(data) = data {
        body.extend_from_slice(br#"{"Code":"","Data":"#);
        let _ = serde_json::to_writer(&mut body, data);
        body.push(b',');
    } else {
        body.push(b'{');
    }
    body.extend_from_slice(br#""RequestId":"#);
    let _ = serde_json::to_writer(&mut body, request_id);
    body.extend_from_slice(br#","Success":true}"#);
    String::from_utf8(body).unwrap_or_default()
}

/// A JSON value as text through serde_json's writer: the same bytes as `Value::to_string`,
/// which goes through `core::fmt` a token at a time (several percent of the emulator's
/// samples per answer: BENCHMARKS.md "Call latency").
fn to_text(value: &Value) -> String {
    // Serializing a `Value` into a `Vec` cannot fail (string keys, no I/O).
    serde_json::to_string(value).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `success` wrote before it had a shortcut: the map, serialized.
    fn through_a_map(request_id: &str, data: Option<Value>) -> String {
        let mut body = Map::new();
        body.insert("RequestId".into(), json!(request_id));
        body.insert("Success".into(), json!(true));
        if let Some(data) = data {
            body.insert("Code".into(), json!(""));
            body.insert("Data".into(), data);
        }
        to_text(&Value::Object(body))
    }

    #[test]
    fn a_plain_success_is_written_as_its_map_would_be() {
        let id = "5C4C2A8E-\"quoted\"\\-✓";
        for data in [
            None,
            Some(json!({})),
            Some(json!({"Result": "{\"Brightness\":1}", "MessageId": 1_700_000_000_000u64})),
            Some(json!([1.5, null, "a"])),
        ] {
            let answer = success(
                id,
                match data.clone() {
                    Some(data) => Success::data(data),
                    None => Success::bare(),
                },
            );
            assert_eq!(answer.body, through_a_map(id, data));
            assert_eq!((answer.status, answer.code), (200, None));
        }
    }
}
