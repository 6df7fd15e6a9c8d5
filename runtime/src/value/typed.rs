//! What generated code stands on: the [`TslValue`] trait that ties a Rust type to its wire
//! form, the [`Date`] type, and the helpers a generated struct calls to read itself from
//! JSON (a device's reply, an Alink request) and to check its fields.
//!
//! Generated code states its specs as constants read when it compiles (see
//! `generated.rs`), and every check and error goes through the same functions as the
//! dynamic path.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::dynamic::wrong_type;
use super::error::{FieldPath, ValueError, ValueErrors};
use super::number::{format_f32, format_f64};
use super::wire::Wire;

/// A Rust value with a TSL wire form: primitives here, structs and enums in generated code.
///
/// `check` looks at what the type alone can tell (a float is finite, a date not before
/// 1970, a generated struct checks each field against its spec); bounds of a particular
/// field are checked by the struct that holds it.
pub trait TslValue {
    /// Pushes every problem with this value onto `errors`.
    fn check(&self, path: &FieldPath, errors: &mut Vec<ValueError>);
    /// The encoded value.
    fn to_wire(&self) -> Wire;
    /// Reads the value from JSON, pushing every problem onto `errors`; `None` when any was
    /// found.
    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<Self>
    where
        Self: Sized;
}

/// Checks `value` and writes its JSON text: the `Args` or `Items` of a call.
pub fn to_args<T: TslValue + ?Sized>(value: &T) -> Result<String, ValueErrors> {
    let mut errors = Vec::new();
    value.check(&FieldPath::root(), &mut errors);
    ValueErrors::ok_if_empty(errors)?;
    value.to_wire().to_json().map_err(|_| {
        // `check` refuses non-finite numbers first; this keeps the invariant honest.
        ValueErrors::from(ValueError::NotFinite {
            path: FieldPath::root(),
            value: "NaN".to_string(),
        })
    })
}

/// Reads a `T` from JSON, with every problem at once. Bounds are not checked: a reply is
/// taken as the device sent it (see [`read_checked`] for requests).
pub fn from_json<T: TslValue>(value: &Value) -> Result<T, ValueErrors> {
    let mut errors = Vec::new();
    let read = T::from_json(value, &FieldPath::root(), &mut errors);
    match read {
        Some(read) if errors.is_empty() => Ok(read),
        _ => Err(ValueErrors(errors)),
    }
}

/// Reads a `T` from JSON and checks it against the model: what a device does with a
/// request's `params` before acting on them.
pub fn read_checked<T: TslValue>(value: &Value) -> Result<T, ValueErrors> {
    // One pass without `?`: instantiated for every service input and output, event and
    // reply of a generated crate (BENCHMARKS.md, "Compact generated code").
    let root = FieldPath::root();
    let mut errors = Vec::new();
    let read = T::from_json(value, &root, &mut errors);
    if let Some(read) = &read {
        if errors.is_empty() {
            read.check(&root, &mut errors);
        }
    }
    match read {
        Some(read) if errors.is_empty() => Ok(read),
        _ => Err(ValueErrors(errors)),
    }
}

/// The values of `value` that are off a step checked as a warning (a generated field
/// under the default `step_check = warn`, `docs/checks.md`): what `check` lets pass. Empty
/// when every value is on its step.
pub fn step_warnings<T: TslValue>(value: &T) -> Vec<ValueError> {
    let mut errors = Vec::new();
    super::check::with_all_steps_strict(|| value.check(&FieldPath::root(), &mut errors));
    errors.retain(|e| matches!(e, ValueError::OffStep { .. }));
    errors
}

/// No value: a service without inputs or outputs. Reads `null` or `{}`; any field in the
/// object is an unknown field.
impl TslValue for () {
    fn check(&self, _: &FieldPath, _: &mut Vec<ValueError>) {}

    fn to_wire(&self) -> Wire {
        Wire::Object(Vec::new())
    }

    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<()> {
        if value.is_null() {
            return Some(());
        }
        let object = object(value, path, errors)?;
        let before = errors.len();
        no_unknown_fields(object, &[], path, errors);
        (errors.len() == before).then_some(())
    }
}

/// A `date`: UTC milliseconds since 1970, sent as a string of digits (`"1635839462000"`).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct Date(pub i64);

impl Date {
    /// The date `millis` milliseconds after 1970-01-01T00:00:00Z.
    pub const fn from_millis(millis: i64) -> Date {
        Date(millis)
    }

    /// Milliseconds since 1970-01-01T00:00:00Z.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// The current time.
    pub fn now() -> Date {
        Date::from(SystemTime::now())
    }
}

impl From<SystemTime> for Date {
    /// Times before 1970 become negative millis, which [`TslValue::check`] refuses.
    fn from(time: SystemTime) -> Date {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Date(i64::try_from(after.as_millis()).unwrap_or(i64::MAX)),
            Err(before) => Date(-i64::try_from(before.duration().as_millis()).unwrap_or(i64::MAX)),
        }
    }
}

impl From<Date> for SystemTime {
    /// Negative millis count back from 1970.
    fn from(date: Date) -> SystemTime {
        let offset = Duration::from_millis(date.0.unsigned_abs());
        if date.0 >= 0 {
            UNIX_EPOCH + offset
        } else {
            UNIX_EPOCH - offset
        }
    }
}

impl TslValue for i32 {
    fn check(&self, _: &FieldPath, _: &mut Vec<ValueError>) {}

    fn to_wire(&self) -> Wire {
        Wire::Int(i64::from(*self))
    }

    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<i32> {
        let int = integer(value, path, errors)?;
        match i32::try_from(int) {
            Ok(int) => Some(int),
            Err(_) => {
                errors.push(ValueError::IntOutOfRange {
                    path: path.clone(),
                    value: int.to_string(),
                });
                None
            }
        }
    }
}

impl TslValue for f32 {
    fn check(&self, path: &FieldPath, errors: &mut Vec<ValueError>) {
        if format_f32(*self).is_err() {
            errors.push(not_finite(path, *self));
        }
    }

    fn to_wire(&self) -> Wire {
        Wire::Float(*self)
    }

    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<f32> {
        let double = number(value, path, errors)?;
        let float = double as f32;
        if float.is_infinite() {
            errors.push(ValueError::FloatOutOfRange {
                path: path.clone(),
                value: double.to_string(),
            });
            return None;
        }
        Some(float)
    }
}

impl TslValue for f64 {
    fn check(&self, path: &FieldPath, errors: &mut Vec<ValueError>) {
        if format_f64(*self).is_err() {
            errors.push(not_finite(path, *self));
        }
    }

    fn to_wire(&self) -> Wire {
        Wire::Double(*self)
    }

    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<f64> {
        number(value, path, errors)
    }
}

impl TslValue for String {
    fn check(&self, _: &FieldPath, _: &mut Vec<ValueError>) {}

    fn to_wire(&self) -> Wire {
        Wire::Text(self.clone())
    }

    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<String> {
        match value {
            Value::String(text) => Some(text.clone()),
            other => {
                errors.push(wrong_type(path, "a text", other));
                None
            }
        }
    }
}

impl TslValue for bool {
    fn check(&self, _: &FieldPath, _: &mut Vec<ValueError>) {}

    fn to_wire(&self) -> Wire {
        Wire::Bool(*self)
    }

    /// Devices send `0`/`1`; `true`/`false` and `"0"`/`"1"` are read too.
    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<bool> {
        match value {
            Value::Bool(b) => Some(*b),
            Value::String(s) if s == "0" || s == "1" => Some(s == "1"),
            Value::Number(n) => match n.as_i64() {
                Some(0) => Some(false),
                Some(1) => Some(true),
                _ => {
                    errors.push(ValueError::NotABool {
                        path: path.clone(),
                        value: n.to_string(),
                    });
                    None
                }
            },
            other => {
                errors.push(wrong_type(path, "a bool (0 or 1)", other));
                None
            }
        }
    }
}

impl TslValue for Date {
    fn check(&self, path: &FieldPath, errors: &mut Vec<ValueError>) {
        super::check_date(self.0, path, errors);
    }

    fn to_wire(&self) -> Wire {
        Wire::Date(self.0)
    }

    /// A string of digits, as sent, or a JSON integer.
    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<Date> {
        match value {
            Value::String(text) => match text.trim().parse::<i64>() {
                Ok(millis) => Some(Date(millis)),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::num::IntErrorKind::PosOverflow | std::num::IntErrorKind::NegOverflow
                    ) =>
                {
                    errors.push(ValueError::DateOutOfRange {
                        path: path.clone(),
                        value: text.clone(),
                    });
                    None
                }
                Err(_) => {
                    errors.push(ValueError::InvalidDate {
                        path: path.clone(),
                        text: text.clone(),
                    });
                    None
                }
            },
            Value::Number(n)
                if n.as_i64().is_none()
                    && n.as_f64()
                        .is_some_and(|f| f.fract() == 0.0 && f.abs() >= i64::MAX as f64) =>
            {
                errors.push(ValueError::DateOutOfRange {
                    path: path.clone(),
                    value: n.to_string(),
                });
                None
            }
            Value::Number(_) => integer(value, path, errors).map(Date),
            other => {
                errors.push(wrong_type(path, "a date (epoch milliseconds)", other));
                None
            }
        }
    }
}

// Plain loops rather than iterator chains: this impl is instantiated for every item type
// of a generated crate, and each adapter of a chain is a function more per type to compile
// (BENCHMARKS.md, "Compact generated code").
#[allow(
    clippy::needless_range_loop,
    reason = "an iterator adapter is a function more per item type"
)]
impl<T: TslValue> TslValue for Vec<T> {
    fn check(&self, path: &FieldPath, errors: &mut Vec<ValueError>) {
        for i in 0..self.len() {
            self[i].check(&path.index(i), errors);
        }
    }

    fn to_wire(&self) -> Wire {
        let mut items = Vec::with_capacity(self.len());
        for item in self {
            items.push(item.to_wire());
        }
        Wire::Array(items)
    }

    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<Vec<T>> {
        let Value::Array(items) = value else {
            errors.push(wrong_type(path, "an array", value));
            return None;
        };
        let before = errors.len();
        let mut read = Vec::with_capacity(items.len());
        for i in 0..items.len() {
            if let Some(item) = T::from_json(&items[i], &path.index(i), errors) {
                read.push(item);
            }
        }
        (errors.len() == before && read.len() == items.len()).then_some(read)
    }
}

/// A field of a generated struct as it goes into [`object_of`]: a value, or an optional
/// one that is left out of the object when `None`.
#[doc(hidden)]
pub trait Field {
    /// The encoded value, `None` to leave the field out.
    fn wire(&self) -> Option<Wire>;
}

impl<T: TslValue> Field for T {
    fn wire(&self) -> Option<Wire> {
        Some(self.to_wire())
    }
}

impl<T: TslValue> Field for Option<T> {
    fn wire(&self) -> Option<Wire> {
        self.as_ref().map(TslValue::to_wire)
    }
}

/// A [`Wire::Object`] of the fields that have a value, in order: what a generated struct's
/// `to_wire` returns. One flat array rather than a chain of builder calls, so a struct of
/// 30,000 fields is not a 30,000-deep expression (which overflowed the generator's stack).
#[doc(hidden)]
pub fn object_of<const N: usize>(fields: [(&str, Option<Wire>); N]) -> Wire {
    Wire::Object(
        fields
            .into_iter()
            .filter_map(|(key, value)| Some((key.to_string(), value?)))
            .collect(),
    )
}

/// The JSON object a struct reads its fields from; a problem when `value` is not one.
pub fn object<'v>(
    value: &'v Value,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<&'v Map<String, Value>> {
    match value {
        Value::Object(map) => Some(map),
        other => {
            errors.push(wrong_type(path, "an object", other));
            None
        }
    }
}

/// Reads the field `key` of `object`; a [`ValueError::MissingField`] when absent (or `null`).
pub fn required<T: TslValue>(
    object: &Map<String, Value>,
    key: &str,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<T> {
    let value = present_or_missing(object, key, path, errors)?;
    T::from_json(value, &path.child(key), errors)
}

/// The field `key` of `object`, or `None` with [`ValueError::MissingField`] pushed when it
/// is absent or `null`: the part of [`required`] that does not depend on the field's type,
/// compiled once rather than per type.
pub(crate) fn present_or_missing<'o>(
    object: &'o Map<String, Value>,
    key: &str,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<&'o Value> {
    match object.get(key) {
        Some(Value::Null) | None => {
            errors.push(ValueError::MissingField {
                path: path.clone(),
                field: key.to_string(),
            });
            None
        }
        Some(value) => Some(value),
    }
}

/// Reads the field `key` of `object` when present (and not `null`).
pub fn optional<T: TslValue>(
    object: &Map<String, Value>,
    key: &str,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<T> {
    match object.get(key) {
        Some(Value::Null) | None => None,
        Some(value) => T::from_json(value, &path.child(key), errors),
    }
}

/// Refuses fields of `object` not in `known`: nothing a device or the cloud sends is
/// silently dropped.
pub fn no_unknown_fields(
    object: &Map<String, Value>,
    known: &[&str],
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) {
    for key in object.keys() {
        if !known.contains(&key.as_str()) {
            errors.push(ValueError::UnknownField {
                path: path.clone(),
                field: key.clone(),
                known: super::error::field_names(known.iter().copied()),
            });
        }
    }
}

/// Checks a length against a `size` (arrays): [`ValueError::TooManyItems`] when over.
pub fn check_len(len: usize, max: u32, path: &FieldPath, errors: &mut Vec<ValueError>) {
    if len > max as usize {
        errors.push(ValueError::TooManyItems {
            path: path.clone(),
            len,
            max,
        });
    }
}

/// Reads an enum key: a JSON integer, or a string of one (some devices quote them).
pub fn enum_key(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<i64> {
    match value {
        Value::String(text) => match text.trim().parse::<i64>() {
            Ok(key) => Some(key),
            Err(_) => {
                errors.push(wrong_type(path, "an enum key (an integer)", value));
                None
            }
        },
        _ => integer(value, path, errors),
    }
}

/// The error for an enum key the model does not list; `allowed` reads `0 (off), 1 (on)`.
pub fn not_in_enum(key: i64, allowed: &str, path: &FieldPath) -> ValueError {
    ValueError::NotInEnum {
        path: path.clone(),
        value: key.to_string(),
        allowed: allowed.to_string(),
    }
}

fn integer(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<i64> {
    match value {
        Value::Number(n) => {
            if let Some(int) = n.as_i64() {
                return Some(int);
            }
            // `5.0` is an integer written as a float; `5.5` is not.
            match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
                _ => {
                    errors.push(ValueError::NotAnInteger {
                        path: path.clone(),
                        value: n.to_string(),
                    });
                    None
                }
            }
        }
        other => {
            errors.push(wrong_type(path, "an integer", other));
            None
        }
    }
}

fn number(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        // Some devices send numbers as strings; read them rather than fail the call.
        Value::String(text) => match text.trim().parse::<f64>() {
            Ok(f) if f.is_finite() => Some(f),
            _ => {
                errors.push(wrong_type(path, "a number", value));
                None
            }
        },
        other => {
            errors.push(wrong_type(path, "a number", other));
            None
        }
    }
}

fn not_finite(path: &FieldPath, value: impl ToString) -> ValueError {
    ValueError::NotFinite {
        path: path.clone(),
        value: value.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn primitives_read_what_devices_send() {
        assert_eq!(from_json::<bool>(&json!(1)), Ok(true));
        assert_eq!(from_json::<bool>(&json!("0")), Ok(false));
        assert_eq!(from_json::<i32>(&json!(5.0)), Ok(5));
        assert_eq!(from_json::<f32>(&json!(10)), Ok(10.0));
        assert_eq!(
            from_json::<Date>(&json!("1635839462000")),
            Ok(Date(1_635_839_462_000))
        );
        assert_eq!(from_json::<Vec<i32>>(&json!([1, 2])), Ok(vec![1, 2]));
        for too_far in [json!("99999999999999999999"), json!(1e20)] {
            let err = from_json::<Date>(&too_far).unwrap_err();
            assert!(
                matches!(err.0[0], ValueError::DateOutOfRange { .. }),
                "{err}"
            );
        }
        let err = from_json::<bool>(&json!(2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`(value)`: 2 is not a bool; use true, false, 0 or 1"
        );
        let err = from_json::<i32>(&json!(3_000_000_000_i64)).unwrap_err();
        assert!(matches!(err.0[0], ValueError::IntOutOfRange { .. }));
        let err = from_json::<Vec<i32>>(&json!([1, "x", 2.5])).unwrap_err();
        assert_eq!(err.0.len(), 2, "{err}");
        assert_eq!(err.0[0].path().to_string(), "(value)[1]");
    }

    #[test]
    fn args_are_checked_then_written() {
        assert_eq!(to_args(&vec![1.0_f32, 0.1]), Ok("[1.0,0.1]".to_string()));
        let err = to_args(&vec![f64::NAN]).unwrap_err();
        assert!(matches!(err.0[0], ValueError::NotFinite { .. }));
        assert_eq!(to_args(&Date(-1)).unwrap_err().0.len(), 1);
    }

    #[test]
    fn fields_are_required_optional_or_unknown() {
        let value = json!({"a": 1, "b": null, "c": 3});
        let map = value.as_object().unwrap();
        let path = FieldPath::root();
        let mut errors = Vec::new();
        assert_eq!(required::<i32>(map, "a", &path, &mut errors), Some(1));
        assert_eq!(required::<i32>(map, "b", &path, &mut errors), None);
        assert_eq!(optional::<i32>(map, "b", &path, &mut errors), None);
        no_unknown_fields(map, &["a", "b"], &path, &mut errors);
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert_eq!(errors[0].to_string(), "field `b` is missing");
        assert!(
            errors[1].to_string().contains("unknown field `c`"),
            "{}",
            errors[1]
        );
    }

    #[test]
    fn no_value_is_an_empty_object() {
        assert_eq!(to_args(&()), Ok("{}".to_string()));
        assert_eq!(from_json::<()>(&serde_json::json!(null)), Ok(()));
        assert_eq!(from_json::<()>(&serde_json::json!({})), Ok(()));
        assert!(from_json::<()>(&serde_json::json!({"x": 1})).is_err());
    }

    #[test]
    fn dates_convert_from_system_time() {
        let t = UNIX_EPOCH + Duration::from_millis(1_635_839_462_000);
        assert_eq!(Date::from(t), Date(1_635_839_462_000));
        assert_eq!(SystemTime::from(Date(1_635_839_462_000)), t);
        assert_eq!(Date::from(UNIX_EPOCH - Duration::from_millis(5)), Date(-5));
    }

    #[test]
    fn lengths_are_checked_against_sizes() {
        let mut errors = Vec::new();
        check_len(3, 2, &FieldPath::field("xs"), &mut errors);
        assert_eq!(
            errors[0].to_string(),
            "`xs`: the array has 3 items, more than the size 2"
        );
    }
}
