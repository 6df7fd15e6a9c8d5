//! A device's history read into the generated types (`docs/state.md` §4): events into
//! their payload struct, service calls into their input and output structs, property
//! values into the generated `Properties`, each with its time; a record that does not fit
//! the model is an item of its own ([`Rejected`]) with the JSON as sent, never dropped.
//!
//! Written once, generically, against [`StateHandle`] (which the generator implements for
//! each model's `Device` in a few fixed lines), so a model pays no generated code per
//! property, event or service for these streams, and a crate that never calls them never
//! compiles them.

use futures_util::stream::{Stream, StreamExt};
use serde_json::Value;

use super::history::{HistoryQuery, HistoryRecord, HistorySource};
use super::properties_history::PropertiesQuery;
use super::Client;
use crate::device_state::{DecodeProperties, StateHandle};
use crate::error::Error;
use crate::value::{read_checked, Rejected, Timed, TslValue, ValueErrors};

/// One service call of the history, read into the generated types.
#[derive(Debug, Clone, PartialEq)]
pub struct ServiceCall<I, O> {
    /// The arguments (`InputData`).
    pub input: I,
    /// The device's answer (`OutputData`), `None` when there is none (yet).
    pub output: Option<O>,
    /// When it was called (epoch ms).
    pub time: i64,
}

/// One record of a typed history stream: the value read into its generated type, or why it
/// does not fit, with the JSON as sent.
pub type Typed<T> = Result<T, Rejected>;

/// Typed history on a generated `Device` handle over the HTTP [`Client`]: bring it into
/// scope (`use tsl_runtime::client::TypedHistory;`) and call it on the handle. Each stream
/// pages for you (oldest first, the action's page size and QPS) and ends after the last
/// record, or after yielding the first error of a call.
pub trait TypedHistory: StateHandle<Cloud = Client> {
    /// The posts of event `identifier` (its wire identifier, e.g.
    /// `LampFailureEvent::IDENTIFIER`) from `from` to `to` (epoch ms), each read into the
    /// event's payload struct `E` and checked against the model
    /// (`QueryDeviceEventData`).
    fn event_history<E>(
        &self,
        identifier: &str,
        from: i64,
        to: i64,
    ) -> impl Stream<Item = Result<Typed<Timed<E>>, Error>> + Send + 'static
    where
        E: TslValue + Send + 'static,
    {
        let source = HistorySource::Event {
            identifier: Some(identifier.to_string()),
            event_type: None,
        };
        let query = HistoryQuery::new(self.state_device().clone(), source, from, to);
        self.state_cloud()
            .history(query)
            .map(|record| record.map(event::<E>))
    }

    /// The calls of service `identifier` (e.g. `BlinkInput::IDENTIFIER`) from `from` to
    /// `to` (epoch ms), each read into the service's input `I` and output `O` (`()` for a
    /// service without inputs or outputs) and checked against the model
    /// (`QueryDeviceServiceData`).
    fn service_history<I, O>(
        &self,
        identifier: &str,
        from: i64,
        to: i64,
    ) -> impl Stream<Item = Result<Typed<ServiceCall<I, O>>, Error>> + Send + 'static
    where
        I: TslValue + Send + 'static,
        O: TslValue + Send + 'static,
    {
        let source = HistorySource::Service(Some(identifier.to_string()));
        let query = HistoryQuery::new(self.state_device().clone(), source, from, to);
        self.state_cloud()
            .history(query)
            .map(|record| record.map(service::<I, O>))
    }

    /// The values of `identifiers` (wire identifiers, `module:Id` in a custom module) from
    /// `from` to `to` (epoch ms): one item per value, a `Properties` with that one
    /// property set and its time. One property reads `QueryDevicePropertyData`, several
    /// `QueryDevicePropertiesData` (each property oldest first, one after the other).
    fn property_history(
        &self,
        identifiers: &[&str],
        from: i64,
        to: i64,
    ) -> impl Stream<Item = Result<Typed<Self::Properties>, Error>> + Send + 'static {
        let device = self.state_device().clone();
        let records = match identifiers {
            [one] => {
                let source = HistorySource::Property((*one).to_string());
                self.state_cloud()
                    .history(HistoryQuery::new(device, source, from, to))
                    .left_stream()
            }
            many => {
                let ids = many.iter().map(|id| (*id).to_string()).collect();
                self.state_cloud()
                    .properties_history(PropertiesQuery::new(device, ids, from, to))
                    .right_stream()
            }
        };
        records.map(|record| record.map(property::<Self::Properties>))
    }
}

impl<H: StateHandle<Cloud = Client>> TypedHistory for H {}

/// JSON text as sent: parsed when it is JSON, else kept as a string (which the typed read
/// then reports as the wrong type); empty text is an empty object.
fn json(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Object(serde_json::Map::new());
    }
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_string()))
}

fn invalid(identifier: &str, errors: ValueErrors, raw: Value, time: i64) -> Rejected {
    Rejected::Invalid {
        identifier: identifier.to_string(),
        errors,
        raw,
        time: Some(time),
    }
}

fn event<E: TslValue>(record: HistoryRecord) -> Typed<Timed<E>> {
    let (identifier, time, output) = match record {
        HistoryRecord::Event {
            identifier,
            time,
            output,
            ..
        } => (identifier, time, output),
        other => return Err(wrong_kind(other)),
    };
    let raw = json(&output);
    read_checked::<E>(&raw)
        .map(|value| Timed {
            value,
            time: Some(time),
        })
        .map_err(|errors| invalid(&identifier, errors, raw, time))
}

fn service<I: TslValue, O: TslValue>(record: HistoryRecord) -> Typed<ServiceCall<I, O>> {
    let (identifier, time, input, output) = match record {
        HistoryRecord::Service {
            identifier,
            time,
            input,
            output,
            ..
        } => (identifier, time, input, output),
        other => return Err(wrong_kind(other)),
    };
    let raw_input = json(&input);
    let input = read_checked::<I>(&raw_input)
        .map_err(|errors| invalid(&identifier, errors, raw_input, time))?;
    let output = if output.trim().is_empty() {
        None
    } else {
        let raw = json(&output);
        Some(read_checked::<O>(&raw).map_err(|errors| invalid(&identifier, errors, raw, time))?)
    };
    Ok(ServiceCall {
        input,
        output,
        time,
    })
}

/// A property value sent as text, read by the generated `Properties::decode`. The text's
/// type is not sent with it, so it is read as a string first (a `text` or `date` value as
/// it is) and, when that does not fit, as the JSON it holds (numbers, bools, enums,
/// structs, arrays). When neither fits, the JSON reading's problems are reported (the
/// string's when the text is not JSON or is a JSON string).
fn property<P: DecodeProperties>(record: HistoryRecord) -> Typed<P> {
    let (identifier, time, text) = match record {
        HistoryRecord::Property {
            identifier,
            time,
            value,
        } => (identifier, time, value),
        other => return Err(wrong_kind(other)),
    };
    let as_text = Value::String(text.clone());
    let (properties, mut rejected) =
        P::decode_properties([(identifier.as_str(), &as_text, Some(time))]);
    let Some(first) = rejected.pop() else {
        return Ok(properties);
    };
    match serde_json::from_str::<Value>(&text) {
        Ok(parsed) if !parsed.is_string() && !matches!(first, Rejected::Unknown { .. }) => {
            let (properties, mut rejected) =
                P::decode_properties([(identifier.as_str(), &parsed, Some(time))]);
            match rejected.pop() {
                None => Ok(properties),
                Some(problem) => Err(problem),
            }
        }
        _ => Err(first),
    }
}

/// A record of another kind than the stream reads: the stream's own query decides the
/// kind, so this is a platform answer out of shape, reported with the record.
fn wrong_kind(record: HistoryRecord) -> Rejected {
    Rejected::Unknown {
        identifier: record.identifier().to_string(),
        raw: Value::String(format!("{record:?}")),
        time: Some(record.time()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_records_read_or_reject_with_the_json_as_sent() {
        let ok = event::<i32>(HistoryRecord::Event {
            identifier: "E".into(),
            time: 5,
            event_type: None,
            name: None,
            output: "7".into(),
        });
        assert_eq!(ok.unwrap().value, 7);
        let bad = event::<i32>(HistoryRecord::Event {
            identifier: "E".into(),
            time: 5,
            event_type: None,
            name: None,
            output: "not json".into(),
        });
        match bad {
            Err(Rejected::Invalid { raw, time, .. }) => {
                assert_eq!((raw, time), (Value::from("not json"), Some(5)))
            }
            other => panic!("{other:?}"),
        }
        let call = service::<(), i32>(HistoryRecord::Service {
            identifier: "S".into(),
            time: 1,
            name: None,
            input: String::new(),
            output: String::new(),
        })
        .unwrap();
        assert_eq!((call.input, call.output), ((), None));
        assert!(matches!(
            service::<(), i32>(HistoryRecord::Service {
                identifier: "S".into(),
                time: 1,
                name: None,
                input: "{}".into(),
                output: "\"x\"".into(),
            }),
            Err(Rejected::Invalid { .. })
        ));
    }
}
