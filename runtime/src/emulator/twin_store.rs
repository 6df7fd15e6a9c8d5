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

/// One stored record: when, what, and the values as sent.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub identifier: String,
    pub time: i64,
    /// A property's value, an event's output, a service's input.
    pub value: Value,
    /// A service's output, once the device answered.
    pub output: Option<Value>,
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
                let record = Record {
                    identifier: id.clone(),
                    time,
                    value: value.clone(),
                    output: None,
                };
                push_bounded(&mut state.properties, record, KEPT);
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
        let record = Record {
            identifier: identifier.to_string(),
            time,
            value: output.clone(),
            output: None,
        };
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
        let record = Record {
            identifier: identifier.to_string(),
            time: now_ms(),
            value: input.clone(),
            output: output.cloned(),
        };
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
        Record {
            identifier: "Id".into(),
            time,
            value: Value::Null,
            output: None,
        }
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
}
