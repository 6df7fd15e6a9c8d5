//! Decoded messages read into generated types: the event payload structs, service output
//! types and property types that `tsl-codegen` generates (and a device-side `Handler` uses)
//! read the same messages on the cloud side. Each read goes through the type's own
//! `TslValue::from_json` and `check`, so a value that fails the model is an error with every
//! problem, never a silently wrong value.

use serde_json::Value;

use super::message::{EventPost, PropertyPost, Reply};
use crate::value::{read_checked, FieldPath, Timed, TslValue, ValueError, ValueErrors, Wire};

/// `Wire` → JSON → `T`, checked against `T`'s model.
fn read<T: TslValue>(wire: &Wire) -> Result<T, ValueErrors> {
    let text = wire.to_json().map_err(|_| {
        ValueErrors::from(ValueError::NotFinite {
            path: FieldPath::root(),
            value: "NaN".to_string(),
        })
    })?;
    let json: Value = serde_json::from_str(&text).map_err(|e| {
        ValueErrors::from(ValueError::WrongType {
            path: FieldPath::root(),
            expected: "JSON".to_string(),
            found: e.to_string(),
        })
    })?;
    read_checked(&json)
}

impl EventPost {
    /// The event's output as its generated payload struct (e.g. `LampFailureEvent`).
    ///
    /// # Errors
    /// Every problem, when the output does not fit `T`.
    pub fn decode<T: TslValue>(&self) -> Result<T, ValueErrors> {
        read(&self.value)
    }
}

impl Reply {
    /// A successful service reply's output as the service's generated output type (e.g.
    /// `DiagnoseOutput`); `None` for a property-set reply or an error reply.
    ///
    /// # Errors
    /// Every problem, when the output does not fit `T`.
    pub fn output_as<T: TslValue>(&self) -> Option<Result<T, ValueErrors>> {
        self.output.as_ref().map(read)
    }
}

impl PropertyPost {
    /// One reported property (`identifier` as on the wire: `Brightness`, `battery:Charge`)
    /// as its generated type, with its time; `None` when the report does not carry it.
    ///
    /// # Errors
    /// Every problem, when the value does not fit `T`.
    pub fn property<T: TslValue>(&self, identifier: &str) -> Option<Result<Timed<T>, ValueErrors>> {
        let item = self.items.iter().find(|i| i.identifier == identifier)?;
        Some(read(&item.value).map(|value| Timed {
            value,
            time: item.time,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribe::PropertyItem;

    #[test]
    fn primitives_read_back_and_mismatches_are_errors() {
        let post = PropertyPost {
            iot_id: None,
            request_id: None,
            gmt_create: None,
            items: vec![
                PropertyItem {
                    identifier: "Brightness".into(),
                    value: Wire::Int(40),
                    time: Some(5),
                },
                PropertyItem {
                    identifier: "Power".into(),
                    value: Wire::Double(1.5),
                    time: None,
                },
            ],
            check_failed: Vec::new(),
        };
        assert_eq!(
            post.property::<i32>("Brightness").unwrap().unwrap(),
            Timed {
                value: 40,
                time: Some(5)
            }
        );
        assert_eq!(post.property::<f64>("Power").unwrap().unwrap().value, 1.5);
        assert!(post.property::<bool>("Power").unwrap().is_err());
        assert!(post.property::<i32>("Missing").is_none());
    }
}
