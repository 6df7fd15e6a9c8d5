//! The device state the emulator keeps (served by twin.rs): per device, the properties
//! reported, the events posted and the services called, each with its time, and the
//! desired values with their versions. Values are kept as sent, unchecked, and only so
//! many of each kind per device ([`KEPT`]), so a long run's memory stays bounded.

use std::collections::HashMap;

use serde_json::Value;

use crate::limits::HISTORY_RETENTION;

/// How many records of each kind (properties, events, service calls) are kept per device:
/// the newest `KEPT` at least, `2 × KEPT` at most. The platform keeps 30 days
/// (docs/state.md); an emulator run under load would otherwise grow with every call.
pub(crate) const KEPT: usize = 10_000;

/// Appends `record`, first dropping the oldest records down to `kept` when there are
/// `2 × kept` (amortized: one drain per `kept` records).
fn push_bounded(records: &mut Vec<Record>, record: Record, kept: usize) {
    if records.len() >= 2 * kept {
        records.drain(..records.len() - kept);
    }
    records.push(record);
}

/// One stored record: when, what, and the values as sent, kept as compact JSON text in one
/// buffer (the identifier, the value, the output) and read back by the query actions: a
/// sync call keeps one allocation instead of a `Value` tree per input and output, so
/// recording stays cheap on the call's path and a full store (up to `2 × KEPT` records of
/// each kind per device) stays small.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub time: i64,
    /// The identifier, then the value's JSON, then the output's JSON (if any).
    text: Box<str>,
    /// Where the value's JSON starts (the identifier's length).
    value_at: usize,
    /// Where the output's JSON starts, when there is one (it runs to the end).
    output_at: Option<usize>,
}

impl Record {
    /// A record of `identifier` at `time`: a property's value, an event's output or a
    /// service's input, and a service's output once the device answered.
    pub(crate) fn new(identifier: &str, time: i64, value: &Value, output: Option<&Value>) -> Self {
        use std::fmt::Write as _;
        let mut text = String::with_capacity(identifier.len() + 64);
        text.push_str(identifier);
        let value_at = text.len();
        // `Value`'s Display is its compact JSON; writing to a String cannot fail.
        let _ = write!(text, "{value}");
        let output_at = output.map(|output| {
            let at = text.len();
            let _ = write!(text, "{output}");
            at
        });
        Record {
            time,
            text: text.into_boxed_str(),
            value_at,
            output_at,
        }
    }

    /// The property, event or service identifier.
    pub(crate) fn identifier(&self) -> &str {
        &self.text[..self.value_at]
    }

    /// The value's text as the platform sends it (a string as it is, anything else as
    /// JSON): a property's value, an event's output, a service's input.
    pub(crate) fn value_text(&self) -> String {
        let end = self.output_at.unwrap_or(self.text.len());
        platform_text(&self.text[self.value_at..end])
    }

    /// A service's output as the platform sends it, once the device answered.
    pub(crate) fn output_text(&self) -> Option<String> {
        self.output_at.map(|at| platform_text(&self.text[at..]))
    }
}

/// The text the platform sends for a stored value, from its compact JSON: a JSON string
/// is sent as the string it holds, anything else as the JSON itself (the same as
/// `twin_params::text` of the `Value`).
fn platform_text(json: &str) -> String {
    if json.starts_with('"') {
        // Written by `Record::new` from a `Value::String`, so it parses; were it not to,
        // the JSON as kept is the nearest honest answer.
        serde_json::from_str::<String>(json).unwrap_or_else(|_| json.to_string())
    } else {
        json.to_string()
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Desired {
    pub value: Option<Value>,
    pub version: i64,
    pub time: i64,
}

#[derive(Debug, Default)]
pub(crate) struct DeviceTwin {
    pub properties: Vec<Record>,
    pub events: Vec<Record>,
    pub services: Vec<Record>,
    pub desired: HashMap<String, Desired>,
}

/// Which of a device's records a history action reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Property,
    Event,
    Service,
}

impl DeviceTwin {
    /// The records of `kind`, oldest first.
    pub(crate) fn records(&self, kind: Kind) -> &[Record] {
        match kind {
            Kind::Property => &self.properties,
            Kind::Event => &self.events,
            Kind::Service => &self.services,
        }
    }
}

/// The time (epoch ms) before which records are gone: the platform's history retention.
pub(crate) fn oldest_kept() -> i64 {
    now_ms() - i64::try_from(HISTORY_RETENTION.as_millis()).unwrap_or(i64::MAX)
}

/// Every device's state, keyed by product key and device name.
#[derive(Debug, Default)]
pub(crate) struct Twin {
    devices: HashMap<(String, String), DeviceTwin>,
}

impl Twin {
    pub(crate) fn device(&mut self, product_key: &str, device_name: &str) -> &mut DeviceTwin {
        self.devices
            .entry((product_key.to_string(), device_name.to_string()))
            .or_default()
    }

    /// Records a property report: `items` is `{"Id": value}`.
    pub(crate) fn properties_reported(
        &mut self,
        product_key: &str,
        device_name: &str,
        items: &Value,
        time: i64,
    ) {
        let state = self.device(product_key, device_name);
        if let Value::Object(items) = items {
            for (id, value) in items {
                push_bounded(
                    &mut state.properties,
                    Record::new(id, time, value, None),
                    KEPT,
                );
            }
        }
    }

    /// Records an event post.
    pub(crate) fn event_posted(
        &mut self,
        product_key: &str,
        device_name: &str,
        identifier: &str,
        output: &Value,
        time: i64,
    ) {
        let record = Record::new(identifier, time, output, None);
        push_bounded(
            &mut self.device(product_key, device_name).events,
            record,
            KEPT,
        );
    }

    /// Records a service call (the emulator's InvokeThingService does).
    pub(crate) fn service_called(
        &mut self,
        product_key: &str,
        device_name: &str,
        identifier: &str,
        input: &Value,
        output: Option<&Value>,
    ) {
        let record = Record::new(identifier, now_ms(), input, output);
        push_bounded(
            &mut self.device(product_key, device_name).services,
            record,
            KEPT,
        );
    }
}

pub(crate) use crate::clock::now_ms;

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: i64) -> Record {
        Record::new("Id", time, &Value::Null, None)
    }

    #[test]
    fn the_newest_records_are_kept_and_no_more_than_twice_the_bound() {
        let mut records = Vec::new();
        for time in 0..1_000 {
            push_bounded(&mut records, record(time), 100);
            assert!(records.len() <= 200, "{}", records.len());
            assert!(records.len() >= 100.min(time as usize + 1));
        }
        // In order, ending with the newest.
        let times: Vec<i64> = records.iter().map(|r| r.time).collect();
        assert!(times.windows(2).all(|w| w[0] + 1 == w[1]), "{times:?}");
        assert_eq!(times.last(), Some(&999));
    }

    #[test]
    fn a_record_gives_back_its_identifier_and_values_as_the_platform_sends_them() {
        use super::super::twin_params::text;
        use serde_json::json;
        let cases = [
            json!("on \"quoted\" ü"),
            json!(""),
            json!(12.5),
            json!(-3),
            json!(true),
            Value::Null,
            json!({"Speed": 3, "Name": "a\nb", "List": [1, "x"]}),
        ];
        for value in &cases {
            for output in [None, Some(&cases[0]), Some(&cases[6])] {
                let record = Record::new("Identifier_1", 42, value, output);
                assert_eq!(record.identifier(), "Identifier_1");
                assert_eq!(record.time, 42);
                // The same text the `Value` itself gives (what the store sent before).
                assert_eq!(record.value_text(), text(value), "{value}");
                assert_eq!(record.output_text(), output.map(text), "{output:?}");
            }
        }
        // An empty identifier is kept apart from the value too.
        let record = Record::new("", 0, &json!("x"), None);
        assert_eq!(
            (record.identifier(), record.value_text()),
            ("", "x".to_string())
        );
    }
}
