//! Topic classification and body parsing against the products' models
//! (docs/subscription.md, "Messages").

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::message::{
    EventPost, Invalid, Kind, Message, Other, Problem, PropertyItem, PropertyPost, RawMessage,
    Received, Reply,
};
use crate::model::Model;
use crate::received::parse::{check_failed, classify, millis, status, text, TopicKind};
use crate::value::{encode, encode_params, FieldPath};

/// Decodes raw subscription messages with the models of the products it knows.
///
/// ```
/// use tsl_runtime::model::Model;
/// use tsl_runtime::subscribe::{Decoder, Message, RawMessage};
///
/// let model = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/models/street-lamp.json"))?.model;
/// let pk = model.product_key.clone().unwrap();
/// let decoder = Decoder::new().model(model);
/// let raw = RawMessage {
///     topic: format!("/{pk}/lamp-1/thing/event/property/post"),
///     message_id: "1".into(),
///     generate_time: None,
///     body: br#"{"items":{"LightSwitch":{"value":1,"time":1700000000000}}}"#.to_vec(),
/// };
/// let received = decoder.decode(&raw);
/// assert!(matches!(received.message, Message::PropertyPost(_)), "{received:?}");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct Decoder {
    models: HashMap<String, Arc<Model>>,
}

impl Decoder {
    /// A decoder that knows no product yet.
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Decodes the product named in the model. A model without a product key is ignored:
    /// give it with [`Decoder::model_for`].
    #[must_use]
    pub fn model(mut self, model: Model) -> Decoder {
        if let Some(pk) = model.product_key.clone() {
            self.models.insert(pk, Arc::new(model));
        }
        self
    }

    /// Decodes `product_key` with `model`.
    #[must_use]
    pub fn model_for(mut self, product_key: impl Into<String>, model: Model) -> Decoder {
        self.models.insert(product_key.into(), Arc::new(model));
        self
    }

    /// The product keys it knows.
    pub fn product_keys(&self) -> impl Iterator<Item = &str> {
        self.models.keys().map(String::as_str)
    }

    /// Decodes one message. Never fails: what cannot be typed is [`Message::Other`] or
    /// [`Message::Invalid`], with the body kept.
    pub fn decode(&self, raw: &RawMessage) -> Received {
        let (pk, dn, kind) = classify(&raw.topic);
        let message = self.decode_body(pk, &kind, &raw.body);
        Received {
            topic: raw.topic.clone(),
            message_id: raw.message_id.clone(),
            generate_time: raw.generate_time,
            product_key: pk.map(str::to_string),
            device_name: dn.map(str::to_string),
            message,
        }
    }

    fn decode_body(&self, pk: Option<&str>, kind: &TopicKind<'_>, body: &[u8]) -> Message {
        let expected = match kind {
            TopicKind::PropertyPost => Kind::PropertyPost,
            TopicKind::Event(_) => Kind::Event,
            TopicKind::DownlinkReply => Kind::ServiceReply,
            TopicKind::Status => Kind::Status,
            TopicKind::Other => Kind::Other,
        };
        let json: Value = match serde_json::from_slice(body) {
            Ok(json) => json,
            Err(err) if expected == Kind::Other => {
                return Message::Other(Other {
                    reason: format!("not a thing-model topic; body is not JSON ({err})"),
                    body: Value::String(String::from_utf8_lossy(body).into_owned()),
                });
            }
            Err(err) => {
                return invalid(
                    expected,
                    vec![Problem::Shape(format!("the body is not JSON: {err}"))],
                    body,
                );
            }
        };
        if matches!(kind, TopicKind::Other) {
            return Message::Other(Other {
                reason: "not a thing-model topic".to_string(),
                body: json,
            });
        }
        let Value::Object(map) = &json else {
            return invalid(
                expected,
                vec![Problem::Shape("the body is not a JSON object".into())],
                body,
            );
        };
        if let TopicKind::Status = kind {
            return status(map)
                .unwrap_or_else(|problem| invalid(Kind::Status, vec![problem], body));
        }
        let Some(model) = pk.and_then(|pk| self.models.get(pk)) else {
            return Message::Other(Other {
                reason: format!("no model for product `{}`", pk.unwrap_or("")),
                body: json,
            });
        };
        let result = match kind {
            TopicKind::PropertyPost => property_post(model, map),
            TopicKind::Event(id) => event(model, id, map),
            TopicKind::DownlinkReply => reply(model, map),
            TopicKind::Status | TopicKind::Other => unreachable_kind(),
        };
        result.unwrap_or_else(|(expected, problems)| invalid(expected, problems, body))
    }
}

/// Status and other topics return before the model is looked up.
fn unreachable_kind() -> Result<Message, (Kind, Vec<Problem>)> {
    Err((
        Kind::Other,
        vec![Problem::Shape("unclassified topic".into())],
    ))
}

fn invalid(expected: Kind, problems: Vec<Problem>, body: &[u8]) -> Message {
    Message::Invalid(Invalid {
        expected,
        problems,
        raw: String::from_utf8_lossy(body).into_owned(),
    })
}

fn property_post(model: &Model, map: &Map<String, Value>) -> Result<Message, (Kind, Vec<Problem>)> {
    let mut problems = Vec::new();
    let mut items = Vec::new();
    match map.get("items") {
        Some(Value::Object(entries)) => {
            for (identifier, entry) in entries {
                let Some(property) = model.property_by_wire_identifier(identifier) else {
                    problems.push(Problem::Unknown {
                        what: "property",
                        identifier: identifier.clone(),
                    });
                    continue;
                };
                // `{value, time}`; a bare value is read as the value.
                let (value, time) = match entry {
                    Value::Object(o) if o.contains_key("value") => {
                        (&o["value"], millis(o.get("time")))
                    }
                    other => (other, None),
                };
                match encode(
                    &property.data_type,
                    value,
                    &FieldPath::field(identifier.clone()),
                ) {
                    Ok(value) => items.push(PropertyItem {
                        identifier: identifier.clone(),
                        value,
                        time,
                    }),
                    Err(errors) => problems.push(Problem::Value {
                        identifier: identifier.clone(),
                        errors,
                    }),
                }
            }
        }
        Some(_) => problems.push(Problem::Shape("`items` is not an object".into())),
        None => problems.push(Problem::Shape("no `items`".into())),
    }
    if !problems.is_empty() {
        return Err((Kind::PropertyPost, problems));
    }
    Ok(Message::PropertyPost(PropertyPost {
        iot_id: text(map, "iotId"),
        request_id: text(map, "requestId"),
        gmt_create: millis(map.get("gmtCreate")),
        items,
        check_failed: check_failed(map),
    }))
}

fn event(
    model: &Model,
    id: &str,
    map: &Map<String, Value>,
) -> Result<Message, (Kind, Vec<Problem>)> {
    let Some(event) = model
        .events()
        .map(|(_, e)| e)
        .find(|e| e.wire_identifier == id)
    else {
        return Err((
            Kind::Event,
            vec![Problem::Unknown {
                what: "event",
                identifier: id.to_string(),
            }],
        ));
    };
    let empty = Value::Object(Map::new());
    let value = map.get("value").unwrap_or(&empty);
    let value = encode_params(&event.outputs, value).map_err(|errors| {
        (
            Kind::Event,
            vec![Problem::Value {
                identifier: id.to_string(),
                errors,
            }],
        )
    })?;
    Ok(Message::Event(EventPost {
        identifier: id.to_string(),
        event_type: text(map, "type"),
        iot_id: text(map, "iotId"),
        request_id: text(map, "requestId"),
        time: millis(map.get("time")),
        value,
        check_failed: check_failed(map),
    }))
}

fn reply(model: &Model, map: &Map<String, Value>) -> Result<Message, (Kind, Vec<Problem>)> {
    let reply_topic = text(map, "topic").unwrap_or_default();
    let Some(request_id) = text(map, "requestId") else {
        return Err((
            Kind::ServiceReply,
            vec![Problem::Shape("no `requestId`".into())],
        ));
    };
    let Some(code) = map
        .get("code")
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok()))
    else {
        return Err((
            Kind::ServiceReply,
            vec![Problem::Shape("no integer `code`".into())],
        ));
    };
    let data = map.get("data").cloned().unwrap_or(Value::Null);
    let message = text(map, "message");
    let Some(after) = reply_topic.split("/thing/service/").nth(1) else {
        return Err((
            Kind::ServiceReply,
            vec![Problem::Shape(format!(
                "`topic` `{reply_topic}` is not a service reply topic"
            ))],
        ));
    };
    let Some(service_id) = after.strip_suffix("_reply").map(str::to_string) else {
        return Err((
            Kind::ServiceReply,
            vec![Problem::Shape(format!(
                "`topic` `{reply_topic}` does not end in `_reply`"
            ))],
        ));
    };
    let service_id = service_id.as_str();
    if service_id == "property/set" {
        return Ok(Message::PropertySetReply(Reply {
            request_id,
            code,
            message,
            reply_topic,
            service: None,
            output: None,
            data,
        }));
    }
    let Some(service) = model.service_by_wire_identifier(service_id) else {
        return Err((
            Kind::ServiceReply,
            vec![Problem::Unknown {
                what: "service",
                identifier: service_id.to_string(),
            }],
        ));
    };
    // Only a successful reply carries the service's output; an error's `data` is kept raw.
    let output = if code == 200 {
        let args = if data.is_null() {
            Value::Object(Map::new())
        } else {
            data.clone()
        };
        Some(encode_params(&service.outputs, &args).map_err(|errors| {
            (
                Kind::ServiceReply,
                vec![Problem::Value {
                    identifier: service_id.to_string(),
                    errors,
                }],
            )
        })?)
    } else {
        None
    };
    Ok(Message::ServiceReply(Reply {
        request_id,
        code,
        message,
        reply_topic,
        service: Some(service_id.to_string()),
        output,
        data,
    }))
}
