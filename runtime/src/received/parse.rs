//! Reading a subscription message without a model: the topic classified, the envelope
//! and the body's fields parsed, values left as JSON for the caller to type. What the
//! runtime's `subscribe::Decoder` (with a model) and generated `Message::decode` (with the
//! generated types) share (docs/subscription.md, "Messages").

use serde_json::{Map, Value};

use crate::value::{read_checked, TslValue, ValueErrors};

use super::message::{
    CheckFailed, Invalid, Kind, Message, Other, Problem, RawMessage, Received, Status,
};

/// Where a message comes from: its AMQP application properties and what the topic names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
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
}

/// A message's body read by its topic, values still JSON.
#[derive(Debug, Clone, PartialEq)]
pub enum Parsed {
    /// `/{pk}/{dn}/thing/event/property/post`.
    PropertyPost(PostedProperties),
    /// `/{pk}/{dn}/thing/event/{Id}/post`.
    Event(PostedEvent),
    /// `/{pk}/{dn}/thing/downlink/reply/message`: a reply to a service call or property set.
    Reply(ReplyBody),
    /// `/as/mqtt/status/{pk}/{dn}`.
    Status(Status),
    /// Not a thing-model topic; kept whole.
    Other(Other),
    /// A thing-model topic whose body is not what the topic promises.
    Invalid(Invalid),
}

/// A property report's fields, `items` still JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedProperties {
    /// The device's IotId.
    pub iot_id: Option<String>,
    /// The device's request ID.
    pub request_id: Option<String>,
    /// When the platform received it (epoch ms, `gmtCreate`).
    pub gmt_create: Option<i64>,
    /// Values the platform flagged (`checkFailedData`).
    pub check_failed: Vec<CheckFailed>,
    items: Map<String, Value>,
}

impl PostedProperties {
    /// Each reported property: `(identifier on the wire, value, time)`. An item is
    /// `{value, time}`; a bare value is read as the value, without a time.
    pub fn items(&self) -> impl Iterator<Item = (&str, &Value, Option<i64>)> {
        self.items.iter().map(|(identifier, entry)| match entry {
            Value::Object(o) if o.contains_key("value") => {
                (identifier.as_str(), &o["value"], millis(o.get("time")))
            }
            other => (identifier.as_str(), other, None),
        })
    }
}

/// An event report's fields, its output still JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct PostedEvent {
    /// The event's identifier on the wire (from the topic).
    pub identifier: String,
    /// `info`, `alert` or `error`, as sent.
    pub event_type: Option<String>,
    /// The device's IotId.
    pub iot_id: Option<String>,
    /// The device's request ID.
    pub request_id: Option<String>,
    /// When the event happened (epoch ms).
    pub time: Option<i64>,
    /// The output parameters (`{}` when absent).
    pub value: Value,
    /// Values the platform flagged (`checkFailedData`).
    pub check_failed: Vec<CheckFailed>,
}

impl PostedEvent {
    /// Reads the event's output as `T` and checks it against the model: the value with the
    /// event's time and the values the platform flagged, or the problem naming the event.
    /// What a generated `Message` does with each event of its model.
    pub fn read<T: TslValue>(self) -> Result<(T, Option<i64>, Vec<CheckFailed>), Problem> {
        // What does not depend on `T` is in `settle`, compiled once rather than per event
        // (BENCHMARKS.md, "Compact generated code").
        let read = read_checked::<T>(&self.value);
        match (read, self.settle()) {
            (Ok(value), (time, check_failed, _)) => Ok((value, time, check_failed)),
            (Err(errors), (_, _, identifier)) => Err(Problem::Value { identifier, errors }),
        }
    }

    /// The event's time, flagged values and identifier, the value left behind.
    fn settle(self) -> (Option<i64>, Vec<CheckFailed>, String) {
        (self.time, self.check_failed, self.identifier)
    }
}

/// A reply's fields, `data` still JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyBody {
    /// The MessageId the invoking call returned.
    pub request_id: String,
    /// The device's code (`200` for success).
    pub code: i64,
    /// The device's message, if any.
    pub message: Option<String>,
    /// The device's reply topic this answers.
    pub reply_topic: String,
    /// The service's wire identifier; `None` for a property set's reply.
    pub service: Option<String>,
    /// `data` as sent (`null` when absent).
    pub data: Value,
}

impl ReplyBody {
    /// Reads the reply's output (`data`) as `T` and checks it against the model, or the
    /// problem naming the service. What a generated `Message` does with each reply.
    pub fn read<T: TslValue>(&self) -> Result<T, Problem> {
        // The problem is written by `problem`, compiled once rather than per service.
        match read_checked::<T>(self.output_json()) {
            Ok(output) => Ok(output),
            Err(errors) => Err(self.problem(errors)),
        }
    }

    /// A reply whose output does not fit the model.
    fn problem(&self, errors: ValueErrors) -> Problem {
        Problem::Value {
            identifier: self.service.clone().unwrap_or_default(),
            errors,
        }
    }

    /// `data`, or `{}` when absent: a service's output as JSON.
    pub fn output_json(&self) -> &Value {
        static EMPTY: std::sync::LazyLock<Value> =
            std::sync::LazyLock::new(|| Value::Object(Map::new()));
        match &self.data {
            Value::Null => &EMPTY,
            data => data,
        }
    }
}

/// Reads `raw` by its topic: the envelope, and the body's fields with values still JSON.
/// Never fails: a body that is not what its topic promises is [`Parsed::Invalid`] with
/// the raw text, a topic that is not a thing-model one [`Parsed::Other`].
pub fn parse(raw: &RawMessage) -> (Envelope, Parsed) {
    parse_for(raw, None)
}

/// [`parse`] for one product: a thing-model message of another product is
/// [`Parsed::Other`] (its body kept), since its values follow another model.
pub fn parse_for(raw: &RawMessage, product_key: Option<&str>) -> (Envelope, Parsed) {
    let (envelope, kind, foreign) =
        envelope(&raw.topic, &raw.message_id, raw.generate_time, product_key);
    let body = &raw.body[..];
    let text = || String::from_utf8_lossy(body).into_owned();
    let json: Value = match serde_json::from_slice(body) {
        Ok(json) => json,
        Err(err) if expected(&kind) == Kind::Other => {
            return (
                envelope,
                Parsed::Other(Other {
                    reason: format!("not a thing-model topic; body is not JSON ({err})"),
                    body: Value::String(text()),
                }),
            );
        }
        Err(err) => {
            let problem = Problem::Shape(format!("the body is not JSON: {err}"));
            return (envelope, invalid(expected(&kind), problem, text()));
        }
    };
    let parsed = parse_json(&kind, json, &text, foreign.as_deref(), product_key);
    (envelope, parsed)
}

/// [`parse_for`] of a message a `subscribe::Subscriber` already received (and parsed): a
/// thing-model message its decoder had no model for arrives as [`Message::Other`] with
/// the JSON body, and is read from that without parsing it again. One its decoder did type
/// (it was given a model) is read back from its checked values. Returns the body as text
/// too, for what the caller finds invalid.
pub fn parse_received(received: Received, product_key: Option<&str>) -> (Envelope, Parsed, String) {
    let (envelope, kind, foreign) = envelope(
        &received.topic,
        &received.message_id,
        received.generate_time,
        product_key,
    );
    let json = match received.message {
        Message::Other(other) => other.body,
        Message::Status(status) if foreign.is_none() => {
            return (envelope, Parsed::Status(status), String::new())
        }
        Message::Invalid(invalid) => {
            let raw = invalid.raw.clone();
            return (envelope, Parsed::Invalid(invalid), raw);
        }
        typed => typed_body(typed),
    };
    let text = json.to_string();
    let parsed = parse_json(
        &kind,
        json,
        &|| text.clone(),
        foreign.as_deref(),
        product_key,
    );
    (envelope, parsed, text)
}

/// A message a model-checked decoder typed, as the JSON body it came from (values in
/// their wire form).
fn typed_body(message: Message) -> Value {
    let wire = |w: &crate::value::Wire| {
        w.to_json()
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null)
    };
    let mut map = Map::new();
    match message {
        Message::PropertyPost(post) => {
            let items: Map<String, Value> = post
                .items
                .iter()
                .map(|i| {
                    let mut item = Map::new();
                    item.insert("value".into(), wire(&i.value));
                    if let Some(time) = i.time {
                        item.insert("time".into(), time.into());
                    }
                    (i.identifier.clone(), Value::Object(item))
                })
                .collect();
            map.insert("items".into(), Value::Object(items));
            put_text(&mut map, "iotId", post.iot_id);
            put_text(&mut map, "requestId", post.request_id);
            if let Some(t) = post.gmt_create {
                map.insert("gmtCreate".into(), t.into());
            }
            put_check_failed(&mut map, &post.check_failed);
        }
        Message::Event(event) => {
            map.insert("identifier".into(), event.identifier.into());
            map.insert("value".into(), wire(&event.value));
            put_text(&mut map, "type", event.event_type);
            put_text(&mut map, "iotId", event.iot_id);
            put_text(&mut map, "requestId", event.request_id);
            if let Some(t) = event.time {
                map.insert("time".into(), t.into());
            }
            put_check_failed(&mut map, &event.check_failed);
        }
        Message::ServiceReply(reply) | Message::PropertySetReply(reply) => {
            map.insert("requestId".into(), reply.request_id.into());
            map.insert("code".into(), reply.code.into());
            put_text(&mut map, "message", reply.message);
            map.insert("topic".into(), reply.reply_topic.into());
            map.insert("data".into(), reply.data);
        }
        Message::Status(status) => {
            let word = if status.online { "online" } else { "offline" };
            map.insert("status".into(), word.into());
            put_text(&mut map, "iotId", status.iot_id);
            put_text(&mut map, "time", status.time);
            put_text(&mut map, "lastTime", status.last_time);
            put_text(&mut map, "clientIp", status.client_ip);
        }
        Message::Other(other) => return other.body,
        Message::Invalid(invalid) => return Value::String(invalid.raw),
    }
    Value::Object(map)
}

fn put_text(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), value.into());
    }
}

fn put_check_failed(map: &mut Map<String, Value>, items: &[CheckFailed]) {
    if !items.is_empty() {
        let failed: Map<String, Value> = items
            .iter()
            .map(|c| (c.identifier.clone(), c.raw.clone()))
            .collect();
        map.insert("checkFailedData".into(), Value::Object(failed));
    }
}

/// The envelope, the topic's kind (`Other` for another product's message) and that
/// product when it is another.
fn envelope<'t>(
    topic: &'t str,
    message_id: &str,
    generate_time: Option<i64>,
    product_key: Option<&str>,
) -> (Envelope, TopicKind<'t>, Option<String>) {
    let (pk, dn, mut kind) = classify(topic);
    let foreign = match (product_key, pk) {
        (Some(wanted), Some(pk)) if wanted != pk && kind != TopicKind::Other => {
            kind = TopicKind::Other;
            Some(pk.to_string())
        }
        _ => None,
    };
    let envelope = Envelope {
        topic: topic.to_string(),
        message_id: message_id.to_string(),
        generate_time,
        product_key: pk.map(str::to_string),
        device_name: dn.map(str::to_string),
    };
    (envelope, kind, foreign)
}

fn expected(kind: &TopicKind<'_>) -> Kind {
    match kind {
        TopicKind::PropertyPost => Kind::PropertyPost,
        TopicKind::Event(_) => Kind::Event,
        TopicKind::DownlinkReply => Kind::ServiceReply,
        TopicKind::Status => Kind::Status,
        TopicKind::Other => Kind::Other,
    }
}

fn invalid(expected: Kind, problem: Problem, raw: String) -> Parsed {
    Parsed::Invalid(Invalid {
        expected,
        problems: vec![problem],
        raw,
    })
}

/// The body's fields by the topic's kind.
fn parse_json(
    kind: &TopicKind<'_>,
    json: Value,
    raw_text: &dyn Fn() -> String,
    foreign: Option<&str>,
    product_key: Option<&str>,
) -> Parsed {
    let expected = expected(kind);
    if expected == Kind::Other {
        let reason = match foreign {
            Some(pk) => format!(
                "product `{pk}` is not `{}`",
                product_key.unwrap_or_default()
            ),
            None => "not a thing-model topic".to_string(),
        };
        return Parsed::Other(Other { reason, body: json });
    }
    let invalid = |expected: Kind, problem: Problem| invalid(expected, problem, raw_text());
    let Value::Object(mut map) = json else {
        return invalid(
            expected,
            Problem::Shape("the body is not a JSON object".into()),
        );
    };
    match kind {
        TopicKind::Status => match status(&map) {
            Ok(Message::Status(status)) => Parsed::Status(status),
            Ok(_) => invalid(Kind::Status, Problem::Shape("not a status".into())),
            Err(problem) => invalid(Kind::Status, problem),
        },
        TopicKind::PropertyPost => match map.remove("items") {
            Some(Value::Object(items)) => Parsed::PropertyPost(PostedProperties {
                iot_id: text(&map, "iotId"),
                request_id: text(&map, "requestId"),
                gmt_create: millis(map.get("gmtCreate")),
                check_failed: check_failed(&map),
                items,
            }),
            Some(_) => invalid(expected, Problem::Shape("`items` is not an object".into())),
            None => invalid(expected, Problem::Shape("no `items`".into())),
        },
        TopicKind::Event(id) => Parsed::Event(PostedEvent {
            identifier: (*id).to_string(),
            event_type: text(&map, "type"),
            iot_id: text(&map, "iotId"),
            request_id: text(&map, "requestId"),
            time: millis(map.get("time")),
            check_failed: check_failed(&map),
            value: map
                .remove("value")
                .unwrap_or_else(|| Value::Object(Map::new())),
        }),
        TopicKind::DownlinkReply => match reply_body(&mut map) {
            Ok(reply) => Parsed::Reply(reply),
            Err(problem) => invalid(expected, problem),
        },
        TopicKind::Other => unreachable_other(&map),
    }
}

/// Other topics returned above; kept as `Other` rather than a panic.
fn unreachable_other(map: &Map<String, Value>) -> Parsed {
    Parsed::Other(Other {
        reason: "not a thing-model topic".to_string(),
        body: Value::Object(map.clone()),
    })
}

/// A downlink reply's fields; which service it answers from its `topic`
/// (`.../thing/service/{Id}_reply`, `.../thing/service/property/set_reply`).
pub(crate) fn reply_body(map: &mut Map<String, Value>) -> Result<ReplyBody, Problem> {
    let reply_topic = text(map, "topic").unwrap_or_default();
    let request_id =
        text(map, "requestId").ok_or_else(|| Problem::Shape("no `requestId`".into()))?;
    let code = map
        .get("code")
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok()))
        .ok_or_else(|| Problem::Shape("no integer `code`".into()))?;
    let after = reply_topic.split("/thing/service/").nth(1).ok_or_else(|| {
        Problem::Shape(format!(
            "`topic` `{reply_topic}` is not a service reply topic"
        ))
    })?;
    let service = after.strip_suffix("_reply").ok_or_else(|| {
        Problem::Shape(format!("`topic` `{reply_topic}` does not end in `_reply`"))
    })?;
    let service = (service != "property/set").then(|| service.to_string());
    Ok(ReplyBody {
        request_id,
        code,
        message: text(map, "message"),
        service,
        data: map.remove("data").unwrap_or(Value::Null),
        reply_topic,
    })
}

/// What a topic says a message is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TopicKind<'a> {
    PropertyPost,
    Event(&'a str),
    DownlinkReply,
    Status,
    Other,
}

/// `(product_key, device_name, kind)` of a topic.
pub(crate) fn classify(topic: &str) -> (Option<&str>, Option<&str>, TopicKind<'_>) {
    if let Some(rest) = topic.strip_prefix("/as/mqtt/status/") {
        let mut parts = rest.splitn(2, '/');
        let pk = parts.next().filter(|s| !s.is_empty());
        let dn = parts.next().filter(|s| !s.is_empty() && !s.contains('/'));
        return match (pk, dn) {
            (Some(pk), Some(dn)) => (Some(pk), Some(dn), TopicKind::Status),
            _ => (None, None, TopicKind::Other),
        };
    }
    // Forwarded topics drop the device side's `/sys` prefix; accept it anyway.
    let trimmed = topic.strip_prefix("/sys").unwrap_or(topic);
    let Some(rest) = trimmed.strip_prefix('/') else {
        return (None, None, TopicKind::Other);
    };
    let mut parts = rest.splitn(3, '/');
    let (Some(pk), Some(dn), Some(tail)) = (parts.next(), parts.next(), parts.next()) else {
        return (None, None, TopicKind::Other);
    };
    if pk.is_empty() || dn.is_empty() {
        return (None, None, TopicKind::Other);
    }
    let kind = match tail {
        "thing/event/property/post" => TopicKind::PropertyPost,
        "thing/downlink/reply/message" => TopicKind::DownlinkReply,
        _ => match tail
            .strip_prefix("thing/event/")
            .and_then(|t| t.strip_suffix("/post"))
        {
            Some(id) if !id.is_empty() && !id.contains('/') => TopicKind::Event(id),
            _ => TopicKind::Other,
        },
    };
    (Some(pk), Some(dn), kind)
}

pub(crate) fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Epoch milliseconds written as a number or a string of digits.
pub(crate) fn millis(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn check_failed(map: &Map<String, Value>) -> Vec<CheckFailed> {
    match map.get("checkFailedData") {
        Some(Value::Object(items)) => items
            .iter()
            .map(|(identifier, raw)| CheckFailed {
                identifier: identifier.clone(),
                raw: raw.clone(),
            })
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        Some(other) => vec![CheckFailed {
            identifier: String::new(),
            raw: other.clone(),
        }],
    }
}

pub(crate) fn status(map: &Map<String, Value>) -> Result<Message, Problem> {
    let online = match map.get("status").and_then(Value::as_str) {
        Some("online") => true,
        Some("offline") => false,
        _ => {
            return Err(Problem::Shape(
                "`status` is neither `online` nor `offline`".into(),
            ))
        }
    };
    Ok(Message::Status(Status {
        online,
        iot_id: text(map, "iotId"),
        time: text(map, "time"),
        last_time: text(map, "lastTime"),
        client_ip: text(map, "clientIp"),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_are_classified() {
        assert_eq!(
            classify("/pk/dn/thing/event/property/post"),
            (Some("pk"), Some("dn"), TopicKind::PropertyPost)
        );
        assert_eq!(
            classify("/pk/dn/thing/event/Alarm/post"),
            (Some("pk"), Some("dn"), TopicKind::Event("Alarm"))
        );
        assert_eq!(
            classify("/pk/dn/thing/event/blk:Alarm/post"),
            (Some("pk"), Some("dn"), TopicKind::Event("blk:Alarm"))
        );
        assert_eq!(
            classify("/pk/dn/thing/downlink/reply/message"),
            (Some("pk"), Some("dn"), TopicKind::DownlinkReply)
        );
        assert_eq!(
            classify("/as/mqtt/status/pk/dn"),
            (Some("pk"), Some("dn"), TopicKind::Status)
        );
        assert_eq!(
            classify("/pk/dn/thing/lifecycle"),
            (Some("pk"), Some("dn"), TopicKind::Other)
        );
        assert_eq!(classify("nonsense").2, TopicKind::Other);
        assert_eq!(classify("/as/mqtt/status/pk").2, TopicKind::Other);
    }
}
