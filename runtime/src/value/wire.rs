//! A value as it goes on the wire, and its exact JSON text.

use std::fmt::Write as _;

use super::number::{format_f32, format_f64, NotFinite};

/// A TSL value, encoded: each variant writes the JSON the platform accepts for its type.
///
/// Generated code builds one from its typed structs, [`check`](super::check()) checks it
/// against the model, and [`Wire::to_json`] writes it:
///
/// ```
/// use tsl_runtime::value::Wire;
///
/// let args = Wire::object()
///     .field("temp", 10.0_f64)
///     .field("on", true)
///     .field("mode", Wire::Enum(-1))
///     .field("when", Wire::Date(1_635_839_462_000))
///     .field_opt("note", None::<String>)
///     .build();
/// assert_eq!(
///     args.to_json().unwrap(),
///     r#"{"temp":10.0,"on":1,"mode":-1,"when":"1635839462000"}"#
/// );
/// ```
///
/// `From` picks the variant a Rust type stands for: `i32`/`i64` → [`Wire::Int`], `f32` →
/// [`Wire::Float`], `f64` → [`Wire::Double`], `bool` → [`Wire::Bool`], strings →
/// [`Wire::Text`], `Vec<T>` → [`Wire::Array`]. Dates and enums share `i64` with ints, so
/// they are built by name: `Wire::Date(ms)`, `Wire::Enum(key)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Wire {
    /// `int`: a JSON integer, `5`.
    Int(i64),
    /// `float`: a number with a decimal point from the `f32`'s own digits, `0.1`.
    Float(f32),
    /// `double`: a number with a decimal point, `10.0`.
    Double(f64),
    /// `text`: a JSON string.
    Text(String),
    /// `date`: UTC epoch milliseconds, written as a JSON string, `"1635839462000"`.
    Date(i64),
    /// `bool`: `0` or `1`.
    Bool(bool),
    /// `enum`: the integer key.
    Enum(i64),
    /// `struct`, or a set of parameters: wire key → value, written in this order.
    Object(Vec<(String, Wire)>),
    /// `array`.
    Array(Vec<Wire>),
}

impl Wire {
    /// Starts an [`Wire::Object`].
    pub fn object() -> ObjectBuilder {
        ObjectBuilder::default()
    }

    /// Appends the compact JSON text (no spaces) to `out`. On error, `out` may hold part
    /// of the text.
    pub fn write_json(&self, out: &mut String) -> Result<(), NotFinite> {
        match self {
            // `write!` into a `String` cannot fail.
            Wire::Int(value) | Wire::Enum(value) => {
                let _ = write!(out, "{value}");
            }
            Wire::Float(value) => out.push_str(&format_f32(*value)?),
            Wire::Double(value) => out.push_str(&format_f64(*value)?),
            Wire::Text(text) => write_string(text, out),
            Wire::Date(millis) => {
                let _ = write!(out, "\"{millis}\"");
            }
            Wire::Bool(value) => out.push(if *value { '1' } else { '0' }),
            Wire::Object(fields) => {
                out.push('{');
                for (i, (key, value)) in fields.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(key, out);
                    out.push(':');
                    value.write_json(out)?;
                }
                out.push('}');
            }
            Wire::Array(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    item.write_json(out)?;
                }
                out.push(']');
            }
        }
        Ok(())
    }

    /// The compact JSON text; fails only on NaN or an infinity.
    pub fn to_json(&self) -> Result<String, NotFinite> {
        let mut out = String::new();
        self.write_json(&mut out)?;
        Ok(out)
    }

    /// The value of a field of an [`Wire::Object`] (the first, should a key repeat).
    pub fn get(&self, key: &str) -> Option<&Wire> {
        match self {
            Wire::Object(fields) => fields.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The variant's name, `Wire::Double`, for messages about a value of the wrong type.
    pub fn variant_name(&self) -> &'static str {
        match self {
            Wire::Int(_) => "Wire::Int",
            Wire::Float(_) => "Wire::Float",
            Wire::Double(_) => "Wire::Double",
            Wire::Text(_) => "Wire::Text",
            Wire::Date(_) => "Wire::Date",
            Wire::Bool(_) => "Wire::Bool",
            Wire::Enum(_) => "Wire::Enum",
            Wire::Object(_) => "Wire::Object",
            Wire::Array(_) => "Wire::Array",
        }
    }
}

/// Builds a [`Wire::Object`] field by field, in the order the fields are added.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectBuilder {
    fields: Vec<(String, Wire)>,
}

impl ObjectBuilder {
    /// Adds a field.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Wire>) -> ObjectBuilder {
        self.fields.push((key.into(), value.into()));
        self
    }

    /// Adds a field when there is a value: an optional argument or member left out is
    /// absent from the JSON, not `null`.
    pub fn field_opt<T: Into<Wire>>(
        self,
        key: impl Into<String>,
        value: Option<T>,
    ) -> ObjectBuilder {
        match value {
            Some(value) => self.field(key, value),
            None => self,
        }
    }

    /// Adds a field in place, for code that builds in a loop.
    pub fn push(&mut self, key: impl Into<String>, value: impl Into<Wire>) {
        self.fields.push((key.into(), value.into()));
    }

    /// The object.
    pub fn build(self) -> Wire {
        Wire::Object(self.fields)
    }
}

impl From<ObjectBuilder> for Wire {
    fn from(builder: ObjectBuilder) -> Wire {
        builder.build()
    }
}

impl From<i32> for Wire {
    fn from(value: i32) -> Wire {
        Wire::Int(i64::from(value))
    }
}

impl From<i64> for Wire {
    fn from(value: i64) -> Wire {
        Wire::Int(value)
    }
}

impl From<f32> for Wire {
    fn from(value: f32) -> Wire {
        Wire::Float(value)
    }
}

impl From<f64> for Wire {
    fn from(value: f64) -> Wire {
        Wire::Double(value)
    }
}

impl From<bool> for Wire {
    fn from(value: bool) -> Wire {
        Wire::Bool(value)
    }
}

impl From<String> for Wire {
    fn from(value: String) -> Wire {
        Wire::Text(value)
    }
}

impl From<&str> for Wire {
    fn from(value: &str) -> Wire {
        Wire::Text(value.to_string())
    }
}

impl<T: Into<Wire>> From<Vec<T>> for Wire {
    fn from(items: Vec<T>) -> Wire {
        Wire::Array(items.into_iter().map(Into::into).collect())
    }
}

/// A JSON string literal, escaped by serde_json so text reads back exactly as any JSON
/// parser on the platform's side expects.
fn write_string(text: &str, out: &mut String) {
    // serde_json fails only on I/O errors and on maps with non-string keys; a `str`
    // has neither, so this cannot panic.
    let json = serde_json::to_string(text).expect("serializing a str cannot fail");
    out.push_str(&json);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(wire: Wire) -> String {
        wire.to_json().unwrap()
    }

    #[test]
    fn scalars_as_the_platform_takes_them() {
        assert_eq!(json(Wire::Int(-5)), "-5");
        assert_eq!(json(Wire::Double(10.0)), "10.0");
        assert_eq!(json(Wire::Double(1e16)), "10000000000000000.0");
        assert_eq!(json(Wire::Double(1e-7)), "0.0000001");
        assert_eq!(json(Wire::Float(0.1)), "0.1");
        assert_eq!(json(Wire::Bool(true)), "1");
        assert_eq!(json(Wire::Bool(false)), "0");
        assert_eq!(json(Wire::Enum(-1)), "-1");
        assert_eq!(json(Wire::Date(1_635_839_462_000)), "\"1635839462000\"");
        assert_eq!(json(Wire::Text("温度".into())), "\"温度\"");
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            json(Wire::Text("a\"b\\c\nd\u{1}".into())),
            r#""a\"b\\c\nd\u0001""#
        );
    }

    #[test]
    fn objects_and_arrays_are_compact_and_keep_order() {
        let wire = Wire::object()
            .field("z", 1)
            .field("a", vec![1.5_f64, 2.0])
            .field("s", Wire::object().field("k\"", "v"))
            .field("e", Vec::<i32>::new())
            .build();
        assert_eq!(
            json(wire),
            r#"{"z":1,"a":[1.5,2.0],"s":{"k\"":"v"},"e":[]}"#
        );
        assert_eq!(json(Wire::object().build()), "{}");
    }

    #[test]
    fn builder_skips_absent_fields() {
        let mut builder = Wire::object()
            .field_opt("a", Some(1))
            .field_opt("b", None::<i32>);
        builder.push("c", false);
        let wire = builder.build();
        assert_eq!(json(wire.clone()), r#"{"a":1,"c":0}"#);
        assert_eq!(wire.get("c"), Some(&Wire::Bool(false)));
        assert_eq!(wire.get("b"), None);
        assert_eq!(Wire::Int(1).get("a"), None);
    }

    #[test]
    fn from_picks_the_variant_of_the_rust_type() {
        assert_eq!(Wire::from(3_i32), Wire::Int(3));
        assert_eq!(Wire::from(3_i64), Wire::Int(3));
        assert_eq!(Wire::from(0.5_f32), Wire::Float(0.5));
        assert_eq!(Wire::from(0.5_f64), Wire::Double(0.5));
        assert_eq!(Wire::from(true), Wire::Bool(true));
        assert_eq!(Wire::from("x"), Wire::Text("x".into()));
        assert_eq!(Wire::from(String::from("x")), Wire::Text("x".into()));
        assert_eq!(
            Wire::from(vec!["a"]),
            Wire::Array(vec![Wire::Text("a".into())])
        );
        assert_eq!(Wire::from(Wire::object()), Wire::Object(Vec::new()));
    }

    #[test]
    fn non_finite_numbers_are_refused_anywhere_in_the_tree() {
        assert_eq!(Wire::Double(f64::NAN).to_json(), Err(NotFinite));
        assert_eq!(Wire::Float(f32::INFINITY).to_json(), Err(NotFinite));
        let nested = Wire::object()
            .field("a", vec![Wire::Double(f64::NEG_INFINITY)])
            .build();
        assert_eq!(nested.to_json(), Err(NotFinite));
    }

    #[test]
    fn variant_names_for_messages() {
        assert_eq!(Wire::Double(1.0).variant_name(), "Wire::Double");
        assert_eq!(Wire::Array(Vec::new()).variant_name(), "Wire::Array");
    }

    proptest::proptest! {
        #[test]
        fn any_text_reads_back_unchanged(text in ".*") {
            let json = json(Wire::Text(text.clone()));
            proptest::prop_assert_eq!(serde_json::from_str::<String>(&json).ok(), Some(text));
        }
    }
}
