//! What the emulator saw: every request as received, and every message a device got.

use std::time::SystemTime;

use serde_json::{json, Value};

use super::faults::Fault;

/// One request as the emulator received it, with how it was answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Order of arrival, from 0.
    pub seq: u64,
    /// When it arrived.
    pub received_at: SystemTime,
    /// `GET` or `POST` (or whatever was sent).
    pub method: String,
    /// The action, from the `Action` parameter or the ACS3 `x-acs-action` header; `None`
    /// when neither was sent.
    pub action: Option<String>,
    /// Every parameter, decoded: the query's, then the form body's, in the order sent.
    pub params: Vec<(String, String)>,
    /// The query string exactly as received (after `?`).
    pub raw_query: String,
    /// The body exactly as received (lossy UTF-8).
    pub raw_body: String,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// How the emulator answered.
    pub outcome: Outcome,
    /// Whether the emulator acted on the request: it reached at least one device (see
    /// [`RecordedRequest::device_names`]), or a read action produced its answer. `true`
    /// with an answer lost to a [`Fault::After`] is what the client cannot tell from a
    /// request that never arrived.
    pub acted: bool,
    /// The devices the request reached, in order: each got the message (an offline one
    /// when it comes back, as QoS 1 messages wait on the platform). Empty for requests
    /// refused before acting and for read actions.
    pub device_names: Vec<String>,
    /// The injected fault that spoiled this request's answer, if any.
    pub fault: Option<Fault>,
}

impl RecordedRequest {
    /// The first value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header's value (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The `RequestId` the answer carried: `None` when no answer was sent, or the answer was
    /// a [`Fault::Raw`] body without one.
    pub fn request_id(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Answered { request_id, .. } if !request_id.is_empty() => Some(request_id),
            _ => None,
        }
    }

    /// What the client got, in one word: `ok` (an answer without an error code),
    /// `refused` (an error code), `reset` or `closed` (no answer), `stalled` (the answer
    /// was held back by a stall fault), `truncated` (the answer broke off), `malformed`
    /// (HTTP 200, JSON cut short) or `raw` (an injected body).
    pub fn outcome_label(&self) -> &'static str {
        let fault = match &self.fault {
            Some(Fault::After(inner)) => Some(&**inner),
            other => other.as_ref(),
        };
        match (&self.outcome, fault) {
            (Outcome::Dropped { reset: true }, _) => "reset",
            (Outcome::Dropped { reset: false }, _) => "closed",
            (_, Some(Fault::Truncated)) => "truncated",
            (_, Some(Fault::MalformedJson)) => "malformed",
            (_, Some(Fault::Raw { .. })) => "raw",
            (_, Some(Fault::Delay(_))) if self.fault.as_ref().is_some_and(Fault::acts_first) => {
                "stalled"
            }
            (Outcome::Answered { code: Some(_), .. }, _) => "refused",
            (Outcome::Answered { .. }, _) => "ok",
        }
    }

    /// The request as one line of a request log (what `tsl-codegen emulate --log`
    /// writes): `{"seq","time_ms","action","device_names","request_id","outcome","acted",
    /// "status","code","fault"}`. `time_ms` is milliseconds since the Unix epoch; `status`,
    /// `code`, `request_id` and `fault` are `null` when there is none.
    pub fn log_line(&self) -> Value {
        let time_ms = self
            .received_at
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
        let status = match &self.outcome {
            Outcome::Answered { status, .. } => Some(*status),
            Outcome::Dropped { .. } => None,
        };
        json!({
            "seq": self.seq,
            "time_ms": time_ms,
            "action": self.action,
            "device_names": self.device_names,
            "request_id": self.request_id(),
            "outcome": self.outcome_label(),
            "acted": self.acted,
            "status": status,
            "code": self.code(),
            "fault": self.fault.as_ref().map(ToString::to_string),
        })
    }

    /// The error code of the answer (`Throttling.User`, `iot.messagebroker.OFFLINE`);
    /// `None` on success or when no answer was sent.
    pub fn code(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Answered { code, .. } => code.as_deref(),
            Outcome::Dropped { .. } => None,
        }
    }
}

/// A history (of requests or of device messages): entries as they were recorded
/// (`fresh`), and their compact form (`kept`) once [`Log::settle`] has run. Both are read.
///
/// Why two stages (issue 17, BENCHMARKS.md "Call latency"): recording must be done before
/// the answer goes out (whoever got an answer finds its request in the history), but the
/// compact form costs a copy, a serialization and the heap's growth; so a request's handler
/// only moves its record in, and the connection compacts after it has written the answer
/// (server.rs), while the client reads it.
#[derive(Debug)]
pub(crate) struct Log<F, K> {
    kept: Vec<K>,
    fresh: Vec<F>,
}

impl<F, K> Default for Log<F, K> {
    fn default() -> Self {
        Log {
            kept: Vec::new(),
            fresh: Vec::new(),
        }
    }
}

impl<F, K> Log<F, K> {
    pub(crate) fn push(&mut self, entry: F) {
        self.fresh.push(entry);
    }

    /// Moves the fresh entries into their compact form, in order.
    pub(crate) fn settle(&mut self, compact: impl FnMut(F) -> K) {
        if !self.fresh.is_empty() {
            self.kept.extend(self.fresh.drain(..).map(compact));
        }
    }

    /// Every entry in order, each read back with `kept` or `fresh`.
    pub(crate) fn read<T>(&self, kept: impl Fn(&K) -> T, fresh: impl Fn(&F) -> T) -> Vec<T> {
        let mut all = Vec::with_capacity(self.kept.len() + self.fresh.len());
        all.extend(self.kept.iter().map(kept));
        all.extend(self.fresh.iter().map(fresh));
        all
    }

    pub(crate) fn clear(&mut self) {
        self.kept.clear();
        self.fresh.clear();
    }
}

/// The request history: each request with whether its parameters decoded.
pub(crate) type RequestLog = Log<(RecordedRequest, bool), Kept>;

impl RequestLog {
    /// Every request, in order.
    pub(crate) fn requests(&self) -> Vec<RecordedRequest> {
        self.read(Kept::request, |(request, _)| request.clone())
    }

    /// Compacts what was recorded since the last call.
    pub(crate) fn compact(&mut self) {
        self.settle(|(request, decoded)| Kept::new(request, decoded));
    }
}

/// The device-message history.
pub(crate) type MessageLog = Log<DeviceMessage, KeptMessage>;

impl MessageLog {
    /// Every message, in order.
    pub(crate) fn messages(&self) -> Vec<DeviceMessage> {
        self.read(KeptMessage::message, DeviceMessage::clone)
    }

    /// Compacts what was recorded since the last call.
    pub(crate) fn compact(&mut self) {
        self.settle(KeptMessage::new);
    }
}

/// A request as the history keeps it: the text of a [`RecordedRequest`] in one buffer, and
/// without its decoded parameters, which are read again from the raw query and body when
/// the history is read ([`Kept::request`]).
///
/// Why (issue 17, BENCHMARKS.md "Call latency"): a recorded call held some forty small
/// strings (the decoded parameters, the headers) in a 300-byte record; with history on (the
/// default) every byte kept grows the heap on the request's path (glibc grows a thread's
/// arena a page at a time: a system call and page faults while the client waits). Kept,
/// a call is one buffer of about its query's length and a record a third of the size.
#[derive(Debug, Clone)]
pub(crate) struct Kept {
    seq: u64,
    received_at: SystemTime,
    /// The method, action, raw query, raw body, `RequestId` and code, one after the other
    /// (each ends at `ends[i]`), then each header's name and value, each followed by a NUL
    /// (the HTTP parser refuses a NUL in a header; the body, which may hold one, is cut by
    /// its length).
    text: Box<str>,
    ends: [u32; 6],
    /// `Answered`'s status, or `None` when the connection was dropped (`reset`).
    status: Option<u16>,
    reset: bool,
    has_action: bool,
    has_code: bool,
    acted: bool,
    /// Whether the parameters decoded when the request arrived (a request that did not
    /// decode is recorded with none).
    decoded: bool,
    device_names: Box<[String]>,
    fault: Option<Box<Fault>>,
}

impl Kept {
    /// Keeps `request` (its `params` are not kept); `decoded`: whether they decoded.
    pub(crate) fn new(request: RecordedRequest, decoded: bool) -> Kept {
        let (status, reset, request_id, code) = match &request.outcome {
            Outcome::Answered {
                status,
                request_id,
                code,
            } => (Some(*status), false, request_id.as_str(), code.as_deref()),
            Outcome::Dropped { reset } => (None, *reset, "", None),
        };
        let pieces = [
            request.method.as_str(),
            request.action.as_deref().unwrap_or(""),
            request.raw_query.as_str(),
            request.raw_body.as_str(),
            request_id,
            code.unwrap_or(""),
        ];
        let length = pieces.iter().map(|p| p.len()).sum::<usize>()
            + request
                .headers
                .iter()
                .map(|(n, v)| n.len() + v.len() + 2)
                .sum::<usize>();
        let mut text = String::with_capacity(length);
        let mut ends = [0u32; 6];
        for (end, piece) in ends.iter_mut().zip(pieces) {
            text.push_str(piece);
            *end = u32::try_from(text.len()).unwrap_or(u32::MAX);
        }
        for (name, value) in &request.headers {
            text.push_str(name);
            text.push('\0');
            text.push_str(value);
            text.push('\0');
        }
        Kept {
            seq: request.seq,
            received_at: request.received_at,
            text: text.into_boxed_str(),
            ends,
            status,
            reset,
            has_action: request.action.is_some(),
            has_code: code.is_some(),
            acted: request.acted,
            decoded,
            device_names: request.device_names.into_boxed_slice(),
            fault: request.fault.map(Box::new),
        }
    }

    /// The `i`th of the pieces `ends` cuts.
    fn piece(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        self.text.get(start..self.ends[i] as usize).unwrap_or("")
    }

    /// The request as recorded, its parameters decoded again as when it arrived.
    pub(crate) fn request(&self) -> RecordedRequest {
        let mut headers = Vec::new();
        let mut rest = self
            .text
            .get(self.ends[5] as usize..)
            .unwrap_or("")
            .split('\0');
        while let (Some(name), Some(value)) = (rest.next(), rest.next()) {
            headers.push((name.to_string(), value.to_string()));
        }
        let outcome = match self.status {
            Some(status) => Outcome::Answered {
                status,
                request_id: self.piece(4).to_string(),
                code: self.has_code.then(|| self.piece(5).to_string()),
            },
            None => Outcome::Dropped { reset: self.reset },
        };
        let mut request = RecordedRequest {
            seq: self.seq,
            received_at: self.received_at,
            method: self.piece(0).to_string(),
            action: self.has_action.then(|| self.piece(1).to_string()),
            params: Vec::new(),
            raw_query: self.piece(2).to_string(),
            raw_body: self.piece(3).to_string(),
            headers,
            outcome,
            acted: self.acted,
            device_names: self.device_names.to_vec(),
            fault: self.fault.as_deref().cloned(),
        };
        if self.decoded {
            // Decoded once already, so this succeeds: the query is the same text, and a form
            // body that decoded was UTF-8, which `raw_body` then holds exactly.
            request.params = super::signature::decode_parts(
                &request.raw_query,
                request.header("content-type"),
                request.raw_body.as_bytes(),
            )
            .unwrap_or_default();
        }
        request
    }
}

/// A device message as the history keeps it: its `Args` or `Items` as JSON text rather
/// than a `Value` tree (a map node of several hundred bytes for two arguments), read back
/// into the same `Value` when the history is read ([`KeptMessage::message`]). Why: as for
/// [`Kept`].
#[derive(Debug, Clone)]
pub(crate) struct KeptMessage {
    /// The message, its `args` or `items` `Null` when `json` holds them.
    message: DeviceMessage,
    json: Option<Box<str>>,
}

impl KeptMessage {
    pub(crate) fn new(mut message: DeviceMessage) -> KeptMessage {
        let value = match &mut message.kind {
            MessageKind::Service { args: value, .. }
            | MessageKind::PropertySet { items: value } => Some(value),
            MessageKind::Publish { .. } => None,
        };
        // A `Value` always serializes, and its text parses back to an equal `Value`
        // (serde_json writes each float in the shortest form that reads back the same).
        let json = value.and_then(|value| {
            let text = serde_json::to_string(value).ok()?;
            *value = Value::Null;
            Some(text.into_boxed_str())
        });
        KeptMessage { message, json }
    }

    /// The message as recorded.
    pub(crate) fn message(&self) -> DeviceMessage {
        let mut message = self.message.clone();
        if let Some(json) = &self.json {
            if let MessageKind::Service { args: value, .. }
            | MessageKind::PropertySet { items: value } = &mut message.kind
            {
                *value = serde_json::from_str(json).unwrap_or(Value::Null);
            }
        }
        message
    }
}

/// How a request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The answer's `RequestId`.
        request_id: String,
        /// The error `Code`, `None` on success.
        code: Option<String>,
    },
    /// No answer: the connection was closed or reset by an injected fault.
    Dropped {
        /// Whether it was a reset (`true`) or a close.
        reset: bool,
    },
}

/// A message a simulated device received.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceMessage {
    /// The device's product.
    pub product_key: String,
    /// The device's name.
    pub device_name: String,
    /// When the message arrived.
    pub received_at: SystemTime,
    /// The message id the API answered with (as text: it can exceed 2^53).
    pub message_id: String,
    /// Whether the device was online. Messages to offline devices are recorded too: QoS 1
    /// messages wait on the platform for the device.
    pub online: bool,
    /// What it was.
    pub kind: MessageKind,
}

/// What a device received.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    /// A service call (InvokeThingService, InvokeThingsService).
    Service {
        /// The wire identifier (`Blink`, `battery:Calibrate`).
        identifier: String,
        /// The arguments as sent.
        args: Value,
        /// Whether the API waited for the reply.
        sync: bool,
    },
    /// A property set (SetDeviceProperty, SetDevicesProperty): identifier → value.
    PropertySet {
        /// The items as sent.
        items: Value,
    },
    /// A message on a custom topic (BatchPub).
    Publish {
        /// `/${productKey}/${deviceName}/user/${TopicShortName}`.
        topic: String,
        /// The decoded `MessageContent`.
        payload: Vec<u8>,
        /// `0` or `1`.
        qos: u8,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(raw_query: &str, raw_body: &str, content_type: Option<&str>) -> RecordedRequest {
        let mut headers = vec![("host".to_string(), "127.0.0.1:1".to_string())];
        if let Some(t) = content_type {
            headers.push(("content-type".to_string(), t.to_string()));
        }
        RecordedRequest {
            seq: 7,
            received_at: SystemTime::UNIX_EPOCH,
            method: "POST".to_string(),
            action: Some("Pub".to_string()),
            params: Vec::new(),
            raw_query: raw_query.to_string(),
            raw_body: raw_body.to_string(),
            headers,
            outcome: Outcome::Answered {
                status: 200,
                request_id: "R".to_string(),
                code: None,
            },
            acted: true,
            device_names: vec!["d".to_string()],
            fault: None,
        }
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn a_kept_request_reads_back_with_the_parameters_it_arrived_with() {
        let form = "application/x-www-form-urlencoded; charset=utf-8";
        let mut whole = recorded("Action=Pub&A=x%2By+z", "B=%E2%9C%93&C=", Some(form));
        whole.params = pairs(&[("Action", "Pub"), ("A", "x+y z"), ("B", "✓"), ("C", "")]);
        assert_eq!(Kept::new(whole.clone(), true).request(), whole);

        // A body that is not a form is not read for parameters.
        let mut json = recorded("Action=Pub", "B=1", Some("application/json"));
        json.params = pairs(&[("Action", "Pub")]);
        assert_eq!(Kept::new(json.clone(), true).request(), json);

        // A request whose parameters did not decode was recorded with none, and still is.
        let bad = recorded("A=%FF", "", None);
        assert_eq!(Kept::new(bad.clone(), false).request(), bad);

        // Every other field comes back as it was: no action, a code, a body with a NUL,
        // empty header values, a dropped connection, a fault, several devices.
        let mut other = recorded("", "a\0b", Some("text/plain"));
        other.action = None;
        other.headers.push(("x-empty".to_string(), String::new()));
        other.outcome = Outcome::Answered {
            status: 400,
            request_id: String::new(),
            code: Some(String::new()),
        };
        other.device_names = vec!["a".to_string(), "b".to_string()];
        other.fault = Some(Fault::after(Fault::Truncated));
        assert_eq!(Kept::new(other.clone(), true).request(), other);
        other.method = "GET".to_string();
        other.action = Some(String::new());
        other.outcome = Outcome::Dropped { reset: true };
        other.headers.clear();
        other.device_names.clear();
        assert_eq!(Kept::new(other.clone(), false).request(), other);
    }

    #[test]
    fn a_history_reads_the_same_before_and_after_it_is_compacted() {
        let form = "application/x-www-form-urlencoded";
        let mut first = recorded("Action=Pub&A=1", "B=2", Some(form));
        first.params = pairs(&[("Action", "Pub"), ("A", "1"), ("B", "2")]);
        let mut second = recorded("A=%FF", "", None);
        second.seq = 8;
        let mut log = RequestLog::default();
        log.push((first.clone(), true));
        log.compact();
        log.push((second.clone(), false));
        let expected = vec![first.clone(), second.clone()];
        assert_eq!(log.requests(), expected, "one kept, one fresh");
        log.compact();
        assert_eq!(log.requests(), expected, "both kept");
        log.clear();
        assert!(log.requests().is_empty());
    }

    #[test]
    fn a_kept_message_reads_back_as_it_was() {
        let message = |kind: MessageKind| DeviceMessage {
            product_key: "p".to_string(),
            device_name: "d".to_string(),
            received_at: SystemTime::UNIX_EPOCH,
            message_id: "18446744073709551615".to_string(),
            online: false,
            kind,
        };
        let args: Value = serde_json::from_str(
            r#"{"Times":3,"Interval":0.1,"Big":18446744073709551615,"Neg":-9007199254740993,
                "F":1e300,"Small":5e-324,"Z":-0.0,"S":"a\"\u0000✓","L":[1.5,{"x":null}]}"#,
        )
        .unwrap();
        for kind in [
            MessageKind::Service {
                identifier: "Blink".to_string(),
                args: args.clone(),
                sync: true,
            },
            MessageKind::PropertySet { items: args },
            MessageKind::Publish {
                topic: "/p/d/user/t".to_string(),
                payload: vec![0, 255],
                qos: 1,
            },
        ] {
            let sent = message(kind);
            let kept = KeptMessage::new(sent.clone());
            assert_eq!(kept.message(), sent);
            assert_eq!(
                serde_json::to_string(&kept.message().kind_value()).unwrap(),
                serde_json::to_string(&sent.kind_value()).unwrap(),
                "the same text, floats included"
            );
        }
    }

    impl DeviceMessage {
        fn kind_value(&self) -> Value {
            match &self.kind {
                MessageKind::Service { args, .. } => args.clone(),
                MessageKind::PropertySet { items } => items.clone(),
                MessageKind::Publish { payload, .. } => json!(payload),
            }
        }
    }
}
