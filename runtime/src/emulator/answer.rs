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

/// A JSON value as text through serde_json's writer: the same bytes as `Value::to_string`,
/// which goes through `core::fmt` a token at a time (several percent of the emulator's
/// samples per answer: BENCHMARKS.md "Call latency").
fn to_text(value: &Value) -> String {
    // Serializing a `Value` into a `Vec` cannot fail (string keys, no I/O).
    serde_json::to_string(value).unwrap_or_default()
}
