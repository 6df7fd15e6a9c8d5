//! What arrives on the subscription, decoded: one [`Received`] per AMQP message, its
//! [`Message`] classified by topic and checked against the model (docs/subscription.md,
//! "Messages"). Nothing is dropped: what is not understood is [`Message::Other`], what
//! fails the model is [`Message::Invalid`] with every problem and the raw body.

use std::fmt::Write as _;

use crate::value::{ValueErrors, Wire};

/// An AMQP message as the platform sends it: the application properties `topic`,
/// `messageId` and `generateTime`, and the body (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawMessage {
    /// The `topic` application property.
    pub topic: String,
    /// The `messageId` application property (the platform's ID of this message).
    pub message_id: String,
    /// The `generateTime` application property: epoch milliseconds.
    pub generate_time: Option<i64>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// A message with its envelope and its decoded content.
#[derive(Debug, Clone, PartialEq)]
pub struct Received {
    /// The topic it was published on.
    pub topic: String,
    /// The platform's message ID.
    pub message_id: String,
    /// When the platform generated it (epoch ms).
    pub generate_time: Option<i64>,
    /// The product, from the topic.
    pub product_key: Option<String>,
    /// The device, from the topic.
    pub device_name: Option<String>,
    /// What it says.
    pub message: Message,
}

/// Which kind of message (also the `kind` of a `listen` JSON line).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `/{pk}/{dn}/thing/event/property/post`.
    PropertyPost,
    /// `/{pk}/{dn}/thing/event/{Id}/post`.
    Event,
    /// A device's reply to a service call, via `/{pk}/{dn}/thing/downlink/reply/message`.
    ServiceReply,
    /// A device's reply to a property set, via the same topic.
    PropertySetReply,
    /// `/as/mqtt/status/{pk}/{dn}`.
    Status,
    /// Anything else (lifecycle, topology, custom topics, no model for the product).
    Other,
    /// Failed to decode or to check.
    Invalid,
}

impl Kind {
    /// `property_post`, `event`, `service_reply`, `property_set_reply`, `status`, `other`,
    /// `invalid`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::PropertyPost => "property_post",
            Kind::Event => "event",
            Kind::ServiceReply => "service_reply",
            Kind::PropertySetReply => "property_set_reply",
            Kind::Status => "status",
            Kind::Other => "other",
            Kind::Invalid => "invalid",
        }
    }
}

/// A decoded message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// Properties reported by a device.
    PropertyPost(PropertyPost),
    /// An event reported by a device.
    Event(EventPost),
    /// A device's reply to a service call.
    ServiceReply(Reply),
    /// A device's reply to a property set.
    PropertySetReply(Reply),
    /// A device went online or offline.
    Status(Status),
    /// Not a thing-model message this decoder types; kept whole.
    Other(Other),
    /// A thing-model message whose body or values fail; every problem and the raw body.
    Invalid(Invalid),
}

impl Message {
    /// Its kind.
    pub fn kind(&self) -> Kind {
        match self {
            Message::PropertyPost(_) => Kind::PropertyPost,
            Message::Event(_) => Kind::Event,
            Message::ServiceReply(_) => Kind::ServiceReply,
            Message::PropertySetReply(_) => Kind::PropertySetReply,
            Message::Status(_) => Kind::Status,
            Message::Other(_) => Kind::Other,
            Message::Invalid(_) => Kind::Invalid,
        }
    }
}

/// A value the platform itself flagged in `checkFailedData` (it failed the platform's own
/// check of the model); kept as sent.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckFailed {
    /// The identifier (`id` or `module:id`).
    pub identifier: String,
    /// What the platform sent for it.
    pub raw: serde_json::Value,
}

/// One reported property.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyItem {
    /// The wire identifier (`id`, or `module:id` in a custom module).
    pub identifier: String,
    /// The value, checked against the model.
    pub value: Wire,
    /// When the device measured it (epoch ms), if sent.
    pub time: Option<i64>,
}

/// A property report.
#[derive(Debug, Clone, PartialEq)]
pub struct PropertyPost {
    /// The device's IotId.
    pub iot_id: Option<String>,
    /// The device's request ID.
    pub request_id: Option<String>,
    /// When the platform received it (epoch ms, `gmtCreate`).
    pub gmt_create: Option<i64>,
    /// The properties, in the order sent.
    pub items: Vec<PropertyItem>,
    /// Values the platform flagged (`checkFailedData`), never silently dropped.
    pub check_failed: Vec<CheckFailed>,
}

/// An event report.
#[derive(Debug, Clone, PartialEq)]
pub struct EventPost {
    /// The event's wire identifier (`id` or `module:id`).
    pub identifier: String,
    /// `info`, `alert` or `error`, as sent.
    pub event_type: Option<String>,
    /// The device's IotId.
    pub iot_id: Option<String>,
    /// The device's request ID.
    pub request_id: Option<String>,
    /// When the event happened (epoch ms).
    pub time: Option<i64>,
    /// The output parameters, checked against the model.
    pub value: Wire,
    /// Values the platform flagged (`checkFailedData`).
    pub check_failed: Vec<CheckFailed>,
}

/// A device's reply to a downlink call, matched to the call by `request_id`.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The MessageId the invoking call returned.
    pub request_id: String,
    /// The device's code (`200` for success).
    pub code: i64,
    /// The device's message, if any.
    pub message: Option<String>,
    /// The device's reply topic this answers.
    pub reply_topic: String,
    /// The service's wire identifier (`None` for a property set).
    pub service: Option<String>,
    /// The service's output checked against the model (a successful service reply).
    pub output: Option<Wire>,
    /// `data` as sent.
    pub data: serde_json::Value,
}

/// A status change. Order status changes by `last_time`, not by arrival.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    /// `true` for `online`.
    pub online: bool,
    /// The device's IotId.
    pub iot_id: Option<String>,
    /// When the platform sent the notice.
    pub time: Option<String>,
    /// The last communication before the change: the order to apply changes in.
    pub last_time: Option<String>,
    /// The device's address.
    pub client_ip: Option<String>,
}

/// A message kept whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Other {
    /// Why it is not typed.
    pub reason: String,
    /// The body: parsed JSON, or the text itself when it is not JSON.
    pub body: serde_json::Value,
}

/// What is wrong in a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    /// A value fails the model.
    #[error("{errors}")]
    Value {
        /// The property, event or service.
        identifier: String,
        /// Every problem of the value.
        errors: ValueErrors,
    },
    /// An identifier the model does not have.
    #[error("the model has no {what} `{identifier}`")]
    Unknown {
        /// `property`, `event` or `service`.
        what: &'static str,
        /// The identifier as sent.
        identifier: String,
    },
    /// The body is not what the topic promises.
    #[error("{0}")]
    Shape(String),
}

/// A message that failed; never dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Invalid {
    /// What it would have been.
    pub expected: Kind,
    /// Every problem found.
    pub problems: Vec<Problem>,
    /// The body as received (lossy UTF-8).
    pub raw: String,
}

impl Invalid {
    /// A message that failed with `problems`, its body kept as text.
    pub fn new(expected: Kind, problems: Vec<Problem>, body: &[u8]) -> Invalid {
        Invalid {
            expected,
            problems,
            raw: String::from_utf8_lossy(body).into_owned(),
        }
    }
}

impl Received {
    /// The message as one JSON line (no newline), as `tsl-codegen listen` prints it:
    /// `{"kind","topic","message_id","product_key","device_name",...}`, with values in their
    /// wire form (floats with a decimal point, bools `0`/`1`, dates as strings).
    pub fn to_json_line(&self) -> String {
        let mut out = String::with_capacity(256);
        out.push('{');
        field(&mut out, "kind", &str_json(self.message.kind().as_str()));
        field(&mut out, "topic", &str_json(&self.topic));
        field(&mut out, "message_id", &str_json(&self.message_id));
        field(&mut out, "generate_time", &opt_num(self.generate_time));
        field(
            &mut out,
            "product_key",
            &opt_str(self.product_key.as_deref()),
        );
        field(
            &mut out,
            "device_name",
            &opt_str(self.device_name.as_deref()),
        );
        match &self.message {
            Message::PropertyPost(post) => {
                field(&mut out, "iot_id", &opt_str(post.iot_id.as_deref()));
                field(&mut out, "request_id", &opt_str(post.request_id.as_deref()));
                let mut items = String::from("{");
                for (i, item) in post.items.iter().enumerate() {
                    if i > 0 {
                        items.push(',');
                    }
                    let _ = write!(
                        items,
                        "{}:{{\"value\":{},\"time\":{}}}",
                        str_json(&item.identifier),
                        wire_json(&item.value),
                        opt_num(item.time)
                    );
                }
                items.push('}');
                field(&mut out, "items", &items);
                field(
                    &mut out,
                    "check_failed",
                    &check_failed_json(&post.check_failed),
                );
            }
            Message::Event(event) => {
                field(&mut out, "identifier", &str_json(&event.identifier));
                field(
                    &mut out,
                    "event_type",
                    &opt_str(event.event_type.as_deref()),
                );
                field(&mut out, "iot_id", &opt_str(event.iot_id.as_deref()));
                field(&mut out, "time", &opt_num(event.time));
                field(&mut out, "value", &wire_json(&event.value));
                field(
                    &mut out,
                    "check_failed",
                    &check_failed_json(&event.check_failed),
                );
            }
            Message::ServiceReply(reply) | Message::PropertySetReply(reply) => {
                field(&mut out, "request_id", &str_json(&reply.request_id));
                field(&mut out, "code", &reply.code.to_string());
                field(&mut out, "message", &opt_str(reply.message.as_deref()));
                field(&mut out, "service", &opt_str(reply.service.as_deref()));
                let output = match &reply.output {
                    Some(wire) => wire_json(wire),
                    None => "null".to_string(),
                };
                field(&mut out, "output", &output);
                field(&mut out, "data", &reply.data.to_string());
            }
            Message::Status(status) => {
                let word = if status.online { "online" } else { "offline" };
                field(&mut out, "status", &str_json(word));
                field(&mut out, "iot_id", &opt_str(status.iot_id.as_deref()));
                field(&mut out, "time", &opt_str(status.time.as_deref()));
                field(&mut out, "last_time", &opt_str(status.last_time.as_deref()));
                field(&mut out, "client_ip", &opt_str(status.client_ip.as_deref()));
            }
            Message::Other(other) => {
                field(&mut out, "reason", &str_json(&other.reason));
                field(&mut out, "body", &other.body.to_string());
            }
            Message::Invalid(invalid) => {
                field(&mut out, "expected", &str_json(invalid.expected.as_str()));
                let problems: Vec<String> = invalid
                    .problems
                    .iter()
                    .map(|p| str_json(&p.to_string()))
                    .collect();
                field(&mut out, "problems", &format!("[{}]", problems.join(",")));
                field(&mut out, "raw", &str_json(&invalid.raw));
            }
        }
        out.push('}');
        out
    }
}

fn field(out: &mut String, key: &str, json: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push_str(&str_json(key));
    out.push(':');
    out.push_str(json);
}

fn str_json(text: &str) -> String {
    serde_json::Value::String(text.to_string()).to_string()
}

fn opt_str(text: Option<&str>) -> String {
    text.map_or_else(|| "null".to_string(), str_json)
}

fn opt_num(n: Option<i64>) -> String {
    n.map_or_else(|| "null".to_string(), |n| n.to_string())
}

/// A checked value is finite by construction (it came from JSON); `null` guards the
/// invariant rather than panicking.
fn wire_json(wire: &Wire) -> String {
    wire.to_json().unwrap_or_else(|_| "null".to_string())
}

fn check_failed_json(items: &[CheckFailed]) -> String {
    let mut map = serde_json::Map::new();
    for item in items {
        map.insert(item.identifier.clone(), item.raw.clone());
    }
    serde_json::Value::Object(map).to_string()
}
