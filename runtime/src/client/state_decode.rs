//! Reading device state against the model: the platform sends every value as text
//! (`Value` with its `DataType`, `OutputData`/`InputData` as JSON text), and this turns it
//! into a checked [`Wire`] value, or says why it does not fit (`docs/state.md`). A value
//! that does not fit is reported with its text, never dropped.

use std::sync::Arc;

use serde_json::Value;

use super::history::HistoryRecord;
use super::state::{DesiredList, PropertyStatusList};
use crate::model::{DataType, Model, Param};
use crate::value::{encode, encode_params, FieldPath, ValueErrors, Wire};

/// Why a value of the device's state cannot be read by the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum StateProblem {
    /// The model has no property, event or service of that identifier.
    #[error("the model has no {what} `{identifier}`")]
    Unknown {
        /// `property`, `event` or `service`.
        what: &'static str,
        /// The wire identifier.
        identifier: String,
    },
    /// A value that should be JSON (a struct, an array, event output, service data) is not.
    #[error("`{identifier}`: not JSON ({error}): {text}")]
    NotJson {
        /// The wire identifier.
        identifier: String,
        /// The text as sent.
        text: String,
        /// What the JSON parser said.
        error: String,
    },
    /// The value breaks the model (type, range, length, enum, ...). Each error's path
    /// starts with the identifier, so the message names it once.
    #[error("{errors}")]
    Value {
        /// The wire identifier.
        identifier: String,
        /// Every problem found.
        errors: ValueErrors,
    },
}

/// One value read against the model.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedValue {
    /// The wire identifier.
    pub identifier: String,
    /// When it was reported or set (epoch ms), when known.
    pub time: Option<i64>,
    /// The checked value, or why it does not fit; the text sent is in `raw`.
    pub value: Result<Wire, StateProblem>,
    /// The value as the platform sent it.
    pub raw: String,
}

/// A history record read against the model.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedRecord {
    /// The record as sent.
    pub record: HistoryRecord,
    /// The property value, the event's output, or the service's input; checked.
    pub value: Result<Wire, StateProblem>,
    /// A service's output, checked (absent for properties and events, and for a service
    /// record without output).
    pub output: Option<Result<Wire, StateProblem>>,
}

/// Reads device state against one product's model.
#[derive(Debug, Clone)]
pub struct StateDecoder {
    model: Arc<Model>,
}

impl StateDecoder {
    /// A decoder for `model`.
    pub fn new(model: impl Into<Arc<Model>>) -> StateDecoder {
        StateDecoder {
            model: model.into(),
        }
    }

    /// The model.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// A property value sent as text (`Value` of QueryDevicePropertyStatus,
    /// QueryDevicePropertyData, QueryDeviceDesiredProperty): a `text` as it is, a `date`
    /// as its digits, anything else as JSON.
    ///
    /// # Errors
    /// [`StateProblem`]: an unknown property, or a value that does not fit.
    pub fn property(&self, identifier: &str, text: &str) -> Result<Wire, StateProblem> {
        let property = self
            .model
            .property_by_wire_identifier(identifier)
            .ok_or_else(|| StateProblem::Unknown {
                what: "property",
                identifier: identifier.to_string(),
            })?;
        let json = match &property.data_type {
            DataType::Text(_) | DataType::Date => Value::String(text.to_string()),
            _ => serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string())),
        };
        encode(&property.data_type, &json, &FieldPath::field(identifier)).map_err(|errors| {
            StateProblem::Value {
                identifier: identifier.to_string(),
                errors,
            }
        })
    }

    /// One listed property's value decoded, when it has one.
    fn value(
        &self,
        identifier: &str,
        raw: Option<&String>,
        time: Option<i64>,
    ) -> Option<DecodedValue> {
        let raw = raw?.clone();
        Some(DecodedValue {
            value: self.property(identifier, &raw),
            identifier: identifier.to_string(),
            time,
            raw,
        })
    }

    /// Every property of a QueryDevicePropertyStatus answer that has a value.
    pub fn status(&self, list: &PropertyStatusList) -> Vec<DecodedValue> {
        list.properties
            .iter()
            .filter_map(|p| self.value(&p.identifier, p.value.as_ref(), p.time))
            .collect()
    }

    /// Every desired value of a QueryDeviceDesiredProperty answer that has one.
    pub fn desired(&self, list: &DesiredList) -> Vec<DecodedValue> {
        list.properties
            .iter()
            .filter_map(|p| self.value(&p.identifier, p.value.as_ref(), p.time))
            .collect()
    }

    /// A history record: the property value, the event output, the service input (and
    /// output).
    pub fn record(&self, record: HistoryRecord) -> DecodedRecord {
        let (value, output) = match &record {
            HistoryRecord::Property {
                identifier, value, ..
            } => (self.property(identifier, value), None),
            HistoryRecord::Event {
                identifier, output, ..
            } => {
                let event = self
                    .model
                    .events()
                    .map(|(_, e)| e)
                    .find(|e| e.wire_identifier == *identifier);
                match event {
                    Some(event) => (params(identifier, &event.outputs, output), None),
                    None => (Err(unknown("event", identifier)), None),
                }
            }
            HistoryRecord::Service {
                identifier,
                input,
                output,
                ..
            } => match self.model.service_by_wire_identifier(identifier) {
                Some(service) => (
                    params(identifier, &service.inputs, input),
                    (!output.trim().is_empty())
                        .then(|| params(identifier, &service.outputs, output)),
                ),
                None => (Err(unknown("service", identifier)), None),
            },
        };
        DecodedRecord {
            record,
            value,
            output,
        }
    }
}

fn unknown(what: &'static str, identifier: &str) -> StateProblem {
    StateProblem::Unknown {
        what,
        identifier: identifier.to_string(),
    }
}

/// A JSON object of parameters sent as text (`{}` when empty).
fn params(identifier: &str, params: &[Param], text: &str) -> Result<Wire, StateProblem> {
    let text = if text.trim().is_empty() { "{}" } else { text };
    let json: Value = serde_json::from_str(text).map_err(|e| StateProblem::NotJson {
        identifier: identifier.to_string(),
        text: text.to_string(),
        error: e.to_string(),
    })?;
    encode_params(params, &json).map_err(|errors| StateProblem::Value {
        identifier: identifier.to_string(),
        errors,
    })
}

/// A decoded value as one JSON object: `{"identifier","time","value"}` with the value in
/// its wire form, or `{"identifier","time","error","raw"}`: what the CLI prints.
pub fn value_json(decoded: &DecodedValue) -> Value {
    let mut out = serde_json::Map::new();
    out.insert("identifier".into(), Value::from(decoded.identifier.clone()));
    if let Some(time) = decoded.time {
        out.insert("time".into(), Value::from(time));
    }
    put(&mut out, "value", &decoded.value, &decoded.raw);
    Value::Object(out)
}

/// A decoded history record as one JSON object (see [`value_json`]); events add
/// `event_type`, services `input` and `output`.
pub fn record_json(decoded: &DecodedRecord) -> Value {
    let mut out = serde_json::Map::new();
    let record = &decoded.record;
    out.insert("identifier".into(), Value::from(record.identifier()));
    out.insert("time".into(), Value::from(record.time()));
    match record {
        HistoryRecord::Property { value, .. } => put(&mut out, "value", &decoded.value, value),
        HistoryRecord::Event {
            event_type, output, ..
        } => {
            if let Some(kind) = event_type {
                out.insert("event_type".into(), Value::from(kind.clone()));
            }
            put(&mut out, "value", &decoded.value, output);
        }
        HistoryRecord::Service { input, output, .. } => {
            put(&mut out, "input", &decoded.value, input);
            if let Some(decoded_output) = &decoded.output {
                put(&mut out, "output", decoded_output, output);
            }
        }
    }
    Value::Object(out)
}

/// `key`: the wire JSON of a good value; `error` and `raw` (the text sent) otherwise.
fn put(
    out: &mut serde_json::Map<String, Value>,
    key: &str,
    value: &Result<Wire, StateProblem>,
    raw: &str,
) {
    let json = value
        .as_ref()
        .ok()
        .and_then(|wire| wire.to_json().ok())
        .and_then(|text| serde_json::from_str::<Value>(&text).ok());
    match (json, value) {
        (Some(json), _) => {
            out.insert(key.into(), json);
        }
        (None, Err(problem)) => {
            out.insert("error".into(), Value::from(problem.to_string()));
            out.insert(format!("{key}_raw"), Value::from(raw));
        }
        (None, Ok(_)) => {
            out.insert("error".into(), Value::from("a value that is not finite"));
            out.insert(format!("{key}_raw"), Value::from(raw));
        }
    }
}
