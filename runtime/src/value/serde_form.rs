//! Serde in the wire form: what the generator's `serde` setting has generated types call.
//!
//! A generated type's `Serialize` and `Deserialize` go through the same encoding as a call
//! does ([`TslValue::to_wire`], [`TslValue::from_json`], then [`TslValue::check`]), not
//! through a derive, so serde sees wire keys, `0`/`1` for bools, enum keys and dates as
//! strings of milliseconds, and a value that breaks the model is a serde error naming the
//! field, the value and the bound (`docs/checks.md`).
//!
//! Floats are handed to the serializer as numbers (`serialize_f32`/`serialize_f64`), so
//! every format stores them as numbers. serde_json writes them with a decimal point
//! (`21.0`), the same text as [`Wire::to_json`], for magnitudes from 1e-5 to 1e16; outside
//! that range it writes an exponent (`1e21`) where the wire form writes every digit.

use serde::de::Error as _;
use serde::ser::{Error as _, SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use super::error::{FieldPath, ValueErrors};
use super::typed::{read_checked, TslValue};
use super::wire::Wire;

/// The wire form through any serde serializer: objects as maps in their wire order, arrays
/// as sequences, bools as `0`/`1`, dates as strings of digits, enums as their keys.
impl Serialize for Wire {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Wire::Int(value) | Wire::Enum(value) => serializer.serialize_i64(*value),
            Wire::Float(value) => serializer.serialize_f32(*value),
            Wire::Double(value) => serializer.serialize_f64(*value),
            Wire::Text(text) => serializer.serialize_str(text),
            Wire::Date(millis) => serializer.collect_str(millis),
            Wire::Bool(value) => serializer.serialize_u8(u8::from(*value)),
            Wire::Object(fields) => {
                let mut map = serializer.serialize_map(Some(fields.len()))?;
                for (key, value) in fields {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
            Wire::Array(items) => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
        }
    }
}

/// `Serialize` of a generated type: checks `value` against the model, then writes its
/// wire form. A value the model refuses is an error naming each field, value and bound.
pub fn serialize<T: TslValue, S: Serializer>(value: &T, serializer: S) -> Result<S::Ok, S::Error> {
    let mut errors = Vec::new();
    value.check(&FieldPath::root(), &mut errors);
    ValueErrors::ok_if_empty(errors).map_err(S::Error::custom)?;
    value.to_wire().serialize(serializer)
}

/// `Deserialize` of a generated type: reads the wire form (as a JSON value, whatever the
/// format) and checks it against the model, as a device checks a request.
pub fn deserialize<'de, T: TslValue, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    let value = Value::deserialize(deserializer)?;
    read_checked(&value).map_err(D::Error::custom)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wire_form_through_serde_json_is_the_wire_text() {
        let wire = Wire::object()
            .field("temp", 21.5_f64)
            .field("whole", 10.0_f64)
            .field("ratio", 0.1_f32)
            .field("on", true)
            .field("mode", Wire::Enum(-1))
            .field("when", Wire::Date(1_635_839_462_000))
            .field("note", "a \"quoted\" text")
            .field("items", vec![1, 2])
            .build();
        let text = serde_json::to_string(&wire).unwrap();
        assert_eq!(text, wire.to_json().unwrap());
    }

    /// Where serde_json's float text and the wire's part, as the module docs say.
    #[test]
    fn floats_match_the_wire_text_in_the_documented_range() {
        for value in [1e-5, 0.000123, 21.537, 1e15, 9.999e15] {
            let wire = Wire::Double(value);
            assert_eq!(
                serde_json::to_string(&wire).unwrap(),
                wire.to_json().unwrap()
            );
        }
        for value in [1e-7, 1e16, 1e21] {
            let wire = Wire::Double(value);
            assert_ne!(
                serde_json::to_string(&wire).unwrap(),
                wire.to_json().unwrap()
            );
        }
    }

    #[test]
    fn a_value_the_model_refuses_is_a_serde_error() {
        // A date before 1970 fails `Date::check`.
        let err = serde_json::to_string(&Wrapper(crate::value::Date(-1))).unwrap_err();
        assert!(err.to_string().contains("-1"), "{err}");
        let err = serde_json::from_str::<Unwrapped>("\"x\"").unwrap_err();
        assert!(err.to_string().contains("date"), "{err}");
    }

    struct Wrapper(crate::value::Date);

    impl Serialize for Wrapper {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serialize(&self.0, serializer)
        }
    }

    #[derive(Debug)]
    struct Unwrapped;

    impl<'de> Deserialize<'de> for Unwrapped {
        fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserialize::<crate::value::Date, D>(deserializer).map(|_| Unwrapped)
        }
    }
}
