//! Values given as JSON (the CLI, a config file, anyone without generated code), encoded
//! for the wire and checked against the model.
//!
//! The JSON is read leniently where the intent is plain (`10` for a `double`, `10.0` for an
//! `int`, `true` for a `bool`, an enum's label for its key, a date as digits) and strictly
//! everywhere else: a field the model does not have is an error, never dropped.

use serde_json::{Map, Number, Value};

use super::check::{check, check_array_len, unknown_field, with_all_steps, StepCheck};
use super::error::{enum_members, FieldPath, ValueError, ValueErrors};
use super::wire::Wire;
use crate::model::{ArraySpec, DataType, EnumSpec, Param};

/// Encodes a JSON value as `data_type` and checks it. Every problem is reported, each with
/// its path below `path`.
pub fn encode(data_type: &DataType, value: &Value, path: &FieldPath) -> Result<Wire, ValueErrors> {
    let mut errors = Vec::new();
    let wire = encode_value(data_type, value, path, &mut errors);
    finish(wire, errors)
}

/// Encodes the arguments of a service (or the fields of an event, or properties to set): a
/// JSON object keyed by parameter identifier. An unknown key is an error; a parameter that
/// is absent is left out.
pub fn encode_params(params: &[Param], args: &Value) -> Result<Wire, ValueErrors> {
    let mut errors = Vec::new();
    let path = FieldPath::root();
    let wire = match args {
        Value::Object(map) => Some(encode_members(params, map, &path, &mut errors)),
        other => {
            errors.push(wrong_type(&path, "a JSON object of parameters", other));
            None
        }
    };
    finish(wire, errors)
}

/// [`encode_params`], written as the JSON text to send: `{"temp":10.0,"on":1}`, `{}` when
/// there are none.
pub fn encode_args(params: &[Param], args: &Value) -> Result<String, ValueErrors> {
    let wire = encode_params(params, args)?;
    // Unreachable after the checks (JSON has no NaN), but a NotFinite must still not
    // produce text.
    wire.to_json().map_err(|_| {
        ValueErrors::from(ValueError::NotFinite {
            path: FieldPath::root(),
            value: "NaN".to_string(),
        })
    })
}

/// Arguments encoded under a [`StepCheck`]: the text to send, and the values off their
/// step that [`StepCheck::Warn`] let pass (each a [`ValueError::OffStep`] naming the field,
/// the value and the step).
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// The JSON text to send (`Args`, `Items`).
    pub text: String,
    /// The values off their step, under [`StepCheck::Warn`]; empty otherwise.
    pub step_warnings: Vec<ValueError>,
}

/// [`encode_args`], with steps checked as `step_check` says (the CLI's `--step-check`):
/// [`StepCheck::Strict`] refuses a value off its step as `encode_args` does,
/// [`StepCheck::Warn`] sends it and lists it in `step_warnings`, [`StepCheck::Off`] does
/// not look.
pub fn encode_args_with(
    params: &[Param],
    args: &Value,
    step_check: StepCheck,
) -> Result<Encoded, ValueErrors> {
    // Strict first: the common case (everything fits) takes one pass.
    let errors = match encode_args(params, args) {
        Ok(text) => {
            return Ok(Encoded {
                text,
                step_warnings: Vec::new(),
            })
        }
        Err(errors) if step_check == StepCheck::Strict => return Err(errors),
        Err(errors) => errors.0,
    };
    let (steps, others): (Vec<ValueError>, Vec<ValueError>) = errors
        .into_iter()
        .partition(|e| matches!(e, ValueError::OffStep { .. }));
    ValueErrors::ok_if_empty(others)?;
    let text = with_all_steps(false, || encode_args(params, args))?;
    Ok(Encoded {
        text,
        step_warnings: if step_check == StepCheck::Warn {
            steps
        } else {
            Vec::new()
        },
    })
}

fn finish(wire: Option<Wire>, errors: Vec<ValueError>) -> Result<Wire, ValueErrors> {
    ValueErrors::ok_if_empty(errors)?;
    // With no errors, every branch produced a value; this guards the invariant anyway.
    wire.ok_or_else(|| {
        ValueErrors::from(ValueError::WrongType {
            path: FieldPath::root(),
            expected: "a value".to_string(),
            found: "nothing".to_string(),
        })
    })
}

/// Encodes one value; `None` after pushing at least one error. Scalars are checked against
/// their spec here, so errors come out in the order of the fields.
fn encode_value(
    data_type: &DataType,
    value: &Value,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<Wire> {
    let before = errors.len();
    let wire = match data_type {
        DataType::Int(_) => integer(value, path, "an integer (int)", errors).map(Wire::Int),
        DataType::Float(_) => float(value, path, errors),
        DataType::Double(_) => match value {
            Value::Number(n) => to_f64(n, path, errors).map(Wire::Double),
            other => fail(errors, wrong_type(path, "a number (double)", other)),
        },
        DataType::Text(_) => match value {
            Value::String(text) => Some(Wire::Text(text.clone())),
            other => fail(errors, wrong_type(path, "a string (text)", other)),
        },
        DataType::Date => date(value, path, errors),
        DataType::Bool(_) => boolean(value, path, errors),
        DataType::Enum(spec) => enumeration(spec, value, path, errors),
        DataType::Struct(spec) => match value {
            Value::Object(map) => Some(encode_members(&spec.members, map, path, errors)),
            other => fail(errors, wrong_type(path, "an object (struct)", other)),
        },
        DataType::Array(spec) => array(spec, value, path, errors),
    };
    let wire = wire?;
    // Containers checked their parts as they went; a scalar is checked here once.
    if !matches!(data_type, DataType::Struct(_) | DataType::Array(_)) {
        check(data_type, &wire, path, errors);
    }
    (errors.len() == before).then_some(wire)
}

fn encode_members(
    members: &[Param],
    map: &Map<String, Value>,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Wire {
    // The model's order, so the text sent does not depend on how the caller wrote it.
    let mut fields = Vec::new();
    for member in members {
        if let Some(value) = map.get(&member.identifier) {
            let member_path = path.child(member.identifier.as_str());
            if let Some(wire) = encode_value(&member.data_type, value, &member_path, errors) {
                fields.push((member.identifier.clone(), wire));
            }
        }
    }
    for key in map.keys() {
        if !members.iter().any(|m| m.identifier == *key) {
            errors.push(unknown_field(members, key, path));
        }
    }
    Wire::Object(fields)
}

fn array(
    spec: &ArraySpec,
    value: &Value,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<Wire> {
    let Value::Array(items) = value else {
        return fail(errors, wrong_type(path, "an array (array)", value));
    };
    check_array_len(spec, items.len(), path, errors);
    let items = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| encode_value(&spec.item, item, &path.index(i), errors))
        .collect();
    Some(Wire::Array(items))
}

/// An integer from a JSON integer, or from a float with no fraction (`10.0` → `10`), since
/// many JSON writers cannot tell the two apart.
fn integer(
    value: &Value,
    path: &FieldPath,
    expected: &str,
    errors: &mut Vec<ValueError>,
) -> Option<i64> {
    let Value::Number(number) = value else {
        return fail(errors, wrong_type(path, expected, value));
    };
    match whole_number(number) {
        Ok(integer) => Some(integer),
        Err(error) => fail(errors, error.into_value_error(path, number)),
    }
}

enum NotWhole {
    Fraction,
    OutOfRange,
}

impl NotWhole {
    fn into_value_error(self, path: &FieldPath, number: &Number) -> ValueError {
        let path = path.clone();
        let value = number.to_string();
        match self {
            NotWhole::Fraction => ValueError::NotAnInteger { path, value },
            NotWhole::OutOfRange => ValueError::IntOutOfRange { path, value },
        }
    }
}

fn whole_number(number: &Number) -> Result<i64, NotWhole> {
    if let Some(integer) = number.as_i64() {
        return Ok(integer);
    }
    if number.is_u64() {
        return Err(NotWhole::OutOfRange);
    }
    let float = number.as_f64().unwrap_or(f64::NAN);
    if float.fract() != 0.0 || !float.is_finite() {
        return Err(NotWhole::Fraction);
    }
    // 2^63 is exact in f64; `as` would saturate past it, so range first.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&float) {
        Ok(float as i64)
    } else {
        Err(NotWhole::OutOfRange)
    }
}

fn float(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<Wire> {
    let Value::Number(number) = value else {
        return fail(errors, wrong_type(path, "a number (float)", value));
    };
    let wide = to_f64(number, path, errors)?;
    // The largest magnitude that rounds to a finite f32 is f32::MAX plus half its ulp
    // (2^103), exclusive; so `3.4028235e38`, the shortest text of f32::MAX, is in range.
    let limit = f64::from(f32::MAX) + 2_f64.powi(103);
    if wide.abs() >= limit {
        return fail(
            errors,
            ValueError::FloatOutOfRange {
                path: path.clone(),
                value: number.to_string(),
            },
        );
    }
    // In range, so `as` rounds to the nearest f32 and cannot make an infinity.
    Some(Wire::Float(wide as f32))
}

/// Every JSON number has an `f64` unless serde_json's `arbitrary_precision` is on and the
/// number is beyond it.
fn to_f64(number: &Number, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<f64> {
    match number.as_f64() {
        Some(value) => Some(value),
        None => fail(
            errors,
            ValueError::NotFinite {
                path: path.clone(),
                value: number.to_string(),
            },
        ),
    }
}

fn boolean(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<Wire> {
    match value {
        Value::Bool(b) => Some(Wire::Bool(*b)),
        Value::Number(number) => match number.as_f64() {
            Some(0.0) => Some(Wire::Bool(false)),
            Some(1.0) => Some(Wire::Bool(true)),
            _ => fail(
                errors,
                ValueError::NotABool {
                    path: path.clone(),
                    value: number.to_string(),
                },
            ),
        },
        other => fail(
            errors,
            wrong_type(path, "true, false, 0 or 1 (bool)", other),
        ),
    }
}

fn enumeration(
    spec: &EnumSpec,
    value: &Value,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<Wire> {
    let Value::String(label) = value else {
        return integer(value, path, "an enum key or label (enum)", errors).map(Wire::Enum);
    };
    let keys: Vec<i64> = spec
        .values
        .iter()
        .filter(|v| v.label == *label)
        .map(|v| v.value)
        .collect();
    match keys.as_slice() {
        [key] => Some(Wire::Enum(*key)),
        [] => fail(
            errors,
            ValueError::UnknownEnumLabel {
                path: path.clone(),
                label: label.clone(),
                allowed: enum_members(spec),
            },
        ),
        _ => fail(
            errors,
            ValueError::AmbiguousEnumLabel {
                path: path.clone(),
                label: label.clone(),
                keys: keys
                    .iter()
                    .map(i64::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        ),
    }
}

fn date(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<Wire> {
    let expected = "epoch milliseconds as an integer or a string of digits (date)";
    match value {
        Value::String(text) => {
            // Digits only: `+5`, ` 5` and `-5` are not what the platform sends back either.
            let millis = text
                .bytes()
                .all(|b| b.is_ascii_digit())
                .then(|| text.parse::<i64>().ok())
                .flatten();
            match millis {
                Some(millis) => Some(Wire::Date(millis)),
                // All digits, but more than 64 bits hold: the date's range, not a format error.
                None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => fail(
                    errors,
                    ValueError::DateOutOfRange {
                        path: path.clone(),
                        value: text.clone(),
                    },
                ),
                None => fail(
                    errors,
                    ValueError::InvalidDate {
                        path: path.clone(),
                        text: text.clone(),
                    },
                ),
            }
        }
        Value::Number(number) => match whole_number(number) {
            Ok(millis) => Some(Wire::Date(millis)),
            Err(NotWhole::OutOfRange) => fail(
                errors,
                ValueError::DateOutOfRange {
                    path: path.clone(),
                    value: number.to_string(),
                },
            ),
            Err(error) => fail(errors, error.into_value_error(path, number)),
        },
        other => fail(errors, wrong_type(path, expected, other)),
    }
}

fn fail<T>(errors: &mut Vec<ValueError>, error: ValueError) -> Option<T> {
    errors.push(error);
    None
}

pub(crate) fn wrong_type(path: &FieldPath, expected: &str, found: &Value) -> ValueError {
    ValueError::WrongType {
        path: path.clone(),
        expected: expected.to_string(),
        found: describe(found),
    }
}

/// A JSON value in a few words: enough to recognise it, short enough for one line.
pub(crate) fn describe(value: &Value) -> String {
    const SHOWN: usize = 40;
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.chars().count() > SHOWN => {
            let head: String = s.chars().take(SHOWN).collect();
            format!("the string {:?}…", head)
        }
        Value::String(s) => format!("the string {s:?}"),
        Value::Array(items) => format!("an array of {} items", items.len()),
        Value::Object(_) => "an object".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{BoolSpec, Bound, EnumValue, NumberSpec, StructSpec, TextSpec};

    fn number(min: Option<&str>, max: Option<&str>, step: Option<&str>) -> NumberSpec {
        let bound = |text: &str| Bound::parse(text).ok();
        NumberSpec {
            min: min.and_then(bound),
            max: max.and_then(bound),
            step: step.and_then(bound),
            ..NumberSpec::default()
        }
    }

    fn param(identifier: &str, data_type: DataType) -> Param {
        Param {
            identifier: identifier.into(),
            name: None,
            desc: None,
            data_type,
        }
    }

    fn modes() -> EnumSpec {
        EnumSpec {
            values: vec![
                EnumValue {
                    value: -1,
                    label: "auto".into(),
                },
                EnumValue {
                    value: 0,
                    label: "off".into(),
                },
                EnumValue {
                    value: 1,
                    label: "on".into(),
                },
                EnumValue {
                    value: 2,
                    label: "on".into(),
                },
            ],
        }
    }

    fn one(data_type: DataType, value: Value) -> Result<String, String> {
        encode(&data_type, &value, &FieldPath::field("v"))
            .map(|wire| wire.to_json().unwrap_or_default())
            .map_err(|errors| errors.to_string())
    }

    fn int() -> DataType {
        DataType::Int(NumberSpec::default())
    }

    fn float() -> DataType {
        DataType::Float(NumberSpec::default())
    }

    fn double() -> DataType {
        DataType::Double(NumberSpec::default())
    }

    #[test]
    fn args_come_out_as_the_platform_takes_them() {
        let params = [
            param("temp", double()),
            param("on", DataType::Bool(BoolSpec::default())),
            param("mode", DataType::Enum(modes())),
            param("when", DataType::Date),
        ];
        let args = json!({"when": "1635839462000", "on": true, "mode": -1, "temp": 10});
        assert_eq!(
            encode_args(&params, &args).unwrap(),
            r#"{"temp":10.0,"on":1,"mode":-1,"when":"1635839462000"}"#
        );
        assert_eq!(encode_args(&params, &json!({})).unwrap(), "{}");
        assert_eq!(encode_args(&[], &json!({})).unwrap(), "{}");
    }

    #[test]
    fn args_must_be_an_object_of_known_params() {
        let params = [param("temp", double())];
        assert_eq!(
            encode_args(&params, &json!([1])).unwrap_err().to_string(),
            "`(value)`: expected a JSON object of parameters, found an array of 1 items"
        );
        assert_eq!(
            encode_args(&params, &json!({"temp": 1, "tmep": 2}))
                .unwrap_err()
                .to_string(),
            "unknown field `tmep`; the known fields are: `temp`"
        );
    }

    #[test]
    fn ints_from_integers_and_integral_floats() {
        assert_eq!(one(int(), json!(10)), Ok("10".into()));
        assert_eq!(one(int(), json!(10.0)), Ok("10".into()));
        assert_eq!(one(int(), json!(-2147483648)), Ok("-2147483648".into()));
        assert_eq!(
            one(int(), json!(10.5)),
            Err("`v`: 10.5 is not an integer".into())
        );
        assert_eq!(
            one(int(), json!(2147483648_i64)),
            Err(
                "`v`: 2147483648 is outside the range of an int (-2147483648 to 2147483647)".into()
            )
        );
        assert!(one(int(), json!(u64::MAX)).is_err());
        assert!(one(int(), json!(1e300)).is_err());
        assert_eq!(
            one(int(), json!("10")),
            Err("`v`: expected an integer (int), found the string \"10\"".into())
        );
    }

    #[test]
    fn floats_and_doubles_from_any_number() {
        assert_eq!(one(double(), json!(10)), Ok("10.0".into()));
        assert_eq!(one(double(), json!(1e16)), Ok("10000000000000000.0".into()));
        assert_eq!(one(double(), json!(1e-7)), Ok("0.0000001".into()));
        assert_eq!(one(float(), json!(0.1)), Ok("0.1".into()));
        assert_eq!(one(float(), json!(16777216)), Ok("16777216.0".into()));
        assert_eq!(
            one(float(), json!(-3.4028235e38)),
            Ok(format!("-{}.0", "340282350000000000000000000000000000000"))
        );
        let limit = f64::from(f32::MAX) + 2_f64.powi(103);
        assert!(one(float(), json!(limit.next_down())).is_ok());
        assert!(one(float(), json!(limit)).is_err());
        assert_eq!(
            one(float(), json!(1e39)),
            Err("`v`: 1e+39 is outside the range of a float (single precision)".into())
        );
        assert_eq!(
            one(double(), json!(null)),
            Err("`v`: expected a number (double), found null".into())
        );
    }

    #[test]
    fn float_bounds_and_steps_apply() {
        let spec = number(Some("-40"), Some("80"), Some("0.01"));
        assert_eq!(
            one(DataType::Float(spec.clone()), json!(26.57)),
            Ok("26.57".into())
        );
        assert_eq!(
            one(DataType::Double(spec.clone()), json!(26.57)),
            Ok("26.57".into())
        );
        assert_eq!(
            one(DataType::Double(spec), json!(80.5)),
            Err("`v`: 80.5 is above the max 80".into())
        );
    }

    #[test]
    fn bools_from_true_false_0_and_1() {
        let bool_type = || DataType::Bool(BoolSpec::default());
        assert_eq!(one(bool_type(), json!(true)), Ok("1".into()));
        assert_eq!(one(bool_type(), json!(false)), Ok("0".into()));
        assert_eq!(one(bool_type(), json!(1)), Ok("1".into()));
        assert_eq!(one(bool_type(), json!(0)), Ok("0".into()));
        assert_eq!(one(bool_type(), json!(1.0)), Ok("1".into()));
        assert_eq!(
            one(bool_type(), json!(2)),
            Err("`v`: 2 is not a bool; use true, false, 0 or 1".into())
        );
        assert!(one(bool_type(), json!("true")).is_err());
    }

    #[test]
    fn enums_from_keys_or_a_unique_label() {
        let enum_type = || DataType::Enum(modes());
        assert_eq!(one(enum_type(), json!(-1)), Ok("-1".into()));
        assert_eq!(one(enum_type(), json!("auto")), Ok("-1".into()));
        assert_eq!(one(enum_type(), json!("off")), Ok("0".into()));
        assert_eq!(
            one(enum_type(), json!(5)),
            Err(
                "`v`: 5 is not one of the enum's values: -1 (auto), 0 (off), 1 (on), 2 (on)".into()
            )
        );
        assert_eq!(
            one(enum_type(), json!("Auto")),
            Err("`v`: \"Auto\" is not the label of any of the enum's values: -1 (auto), 0 (off), 1 (on), 2 (on)".into())
        );
        assert_eq!(
            one(enum_type(), json!("on")),
            Err(
                "`v`: \"on\" is the label of several of the enum's values (1, 2); give the key"
                    .into()
            )
        );
        assert_eq!(
            one(DataType::Enum(EnumSpec::default()), json!(99)),
            Ok("99".into())
        );
    }

    #[test]
    fn dates_from_integers_or_digit_strings() {
        assert_eq!(
            one(DataType::Date, json!(1635839462000_i64)),
            Ok("\"1635839462000\"".into())
        );
        assert_eq!(
            one(DataType::Date, json!("1635839462000")),
            Ok("\"1635839462000\"".into())
        );
        assert_eq!(
            one(DataType::Date, json!(-1)),
            Err("`v`: -1 is before 1970; a date is non-negative epoch milliseconds".into())
        );
        for too_far in [json!("99999999999999999999"), json!(99999999999999999999.0)] {
            let err = one(DataType::Date, too_far).unwrap_err();
            assert!(
                err.ends_with(
                    "is outside the range of a date (0 to 9223372036854775807 epoch milliseconds)"
                ),
                "{err}"
            );
        }
        for bad in ["", "-1", "+1", " 1", "2021-11-02"] {
            assert_eq!(
                one(DataType::Date, json!(bad)),
                Err(format!(
                    "`v`: {bad:?} is not a date; give epoch milliseconds as digits"
                )),
            );
        }
        assert!(one(DataType::Date, json!(true)).is_err());
    }

    #[test]
    fn text_length_in_characters() {
        let text = || DataType::Text(TextSpec { length: Some(2) });
        assert_eq!(one(text(), json!("温度")), Ok("\"温度\"".into()));
        assert_eq!(
            one(text(), json!("温度计")),
            Err("`v`: the text has 3 characters, more than the length 2".into())
        );
        assert!(one(text(), json!(1)).is_err());
    }

    fn color() -> DataType {
        let channel = || DataType::Int(number(Some("0"), Some("255"), None));
        DataType::Struct(StructSpec {
            members: vec![
                param("r", channel()),
                param("g", channel()),
                param("b", channel()),
            ],
        })
    }

    #[test]
    fn struct_members_are_checked_with_their_path() {
        let params = [param("color", color())];
        let errors =
            encode_args(&params, &json!({"color": {"r": 300, "g": 0, "alpha": 1}})).unwrap_err();
        assert_eq!(
            errors.to_string(),
            "`color.r`: 300 is above the max 255\n\
             `color`: unknown field `alpha`; the known fields are: `r`, `g`, `b`"
        );
        assert_eq!(
            encode_args(&params, &json!({"color": {"b": 3, "r": 1}})).unwrap(),
            r#"{"color":{"r":1,"b":3}}"#
        );
        assert!(encode_args(&params, &json!({"color": [1, 2, 3]})).is_err());
    }

    #[test]
    fn arrays_are_sized_and_items_indexed() {
        let timers = DataType::Array(ArraySpec {
            size: Some(2),
            item: Box::new(color()),
        });
        assert_eq!(
            one(timers.clone(), json!([{"r": 1}, {"g": 2}])),
            Ok(r#"[{"r":1},{"g":2}]"#.into())
        );
        assert_eq!(
            one(timers.clone(), json!([{}, {}, {"b": -1}])),
            Err(
                "`v`: the array has 3 items, more than the size 2\n`v[2].b`: -1 is below the min 0"
                    .into()
            )
        );
        let doubles = DataType::Array(ArraySpec {
            size: None,
            item: Box::new(double()),
        });
        assert_eq!(one(doubles, json!([1, 2.5])), Ok("[1.0,2.5]".into()));
        assert!(one(timers, json!({})).is_err());
    }

    #[test]
    fn all_problems_are_collected() {
        let params = [
            param("a", int()),
            param("b", DataType::Text(TextSpec { length: Some(1) })),
            param("c", DataType::Int(number(None, None, Some("0.5")))),
        ];
        let errors =
            encode_params(&params, &json!({"a": 1.5, "b": "xy", "c": 3, "d": null})).unwrap_err();
        assert_eq!(errors.0.len(), 3);
        assert_eq!(
            errors.to_string(),
            "`a`: 1.5 is not an integer\n\
             `b`: the text has 2 characters, more than the length 1\n\
             unknown field `d`; the known fields are: `a`, `b`, `c`"
        );
    }

    #[test]
    fn long_strings_are_shortened_in_messages() {
        let text = "x".repeat(100);
        let message = one(int(), json!(text)).unwrap_err();
        assert!(
            message.ends_with(&format!("\"{}\"…", "x".repeat(40))),
            "{message}"
        );
    }

    #[test]
    fn any_json_is_handled_without_panic() {
        let types = [
            int(),
            float(),
            double(),
            DataType::Text(TextSpec::default()),
            DataType::Date,
            DataType::Bool(BoolSpec::default()),
            DataType::Enum(modes()),
            color(),
            DataType::Array(ArraySpec {
                size: Some(1),
                item: Box::new(int()),
            }),
        ];
        let values = [
            json!(null),
            json!(true),
            json!(-0.0),
            json!(i64::MIN),
            json!(u64::MAX),
            json!(f64::MAX),
            json!(f64::MIN_POSITIVE),
            json!(""),
            json!("1e3"),
            json!([]),
            json!([null, {}]),
            json!({"r": {"r": []}}),
        ];
        for data_type in &types {
            for value in &values {
                let _ = encode(data_type, value, &FieldPath::root());
            }
        }
    }

    fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
        use proptest::prelude::*;
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(|n| json!(n)),
            any::<u64>().prop_map(|n| json!(n)),
            any::<f64>().prop_map(|n| json!(n)),
            "[a-z0-9-]{0,6}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[rgbx]", inner, 0..4)
                    .prop_map(|map| Value::Object(map.into_iter().collect())),
            ]
        })
    }

    proptest::proptest! {
        #[test]
        fn random_json_never_panics_and_success_is_valid_json(value in any_json()) {
            let types = [
                int(),
                float(),
                DataType::Date,
                DataType::Enum(modes()),
                DataType::Bool(BoolSpec::default()),
                DataType::Array(ArraySpec { size: Some(2), item: Box::new(color()) }),
            ];
            for data_type in &types {
                if let Ok(wire) = encode(data_type, &value, &FieldPath::root()) {
                    let text = wire.to_json();
                    proptest::prop_assert!(text.is_ok());
                    let text = text.unwrap_or_default();
                    proptest::prop_assert!(serde_json::from_str::<Value>(&text).is_ok(), "{}", text);
                }
            }
            let params = [param("r", int()), param("x", double())];
            let _ = encode_args(&params, &value);
        }
    }

    #[test]
    fn steps_are_checked_as_the_step_check_says() {
        let params = [
            param(
                "Interval",
                DataType::Float(number(Some("0.2"), Some("5"), Some("0.1"))),
            ),
            param(
                "Times",
                DataType::Int(number(Some("1"), Some("20"), Some("1"))),
            ),
        ];
        let off_step = json!({"Interval": 0.25, "Times": 2});
        let strict = encode_args_with(&params, &off_step, StepCheck::Strict).unwrap_err();
        assert_eq!(
            strict.to_string(),
            "`Interval`: 0.25 is not 0.2 plus a multiple of the step 0.1"
        );
        let warned = encode_args_with(&params, &off_step, StepCheck::Warn).unwrap();
        assert_eq!(warned.text, r#"{"Interval":0.25,"Times":2}"#);
        assert_eq!(warned.step_warnings.len(), 1);
        assert!(
            matches!(&warned.step_warnings[0], ValueError::OffStep { value, .. } if value == "0.25")
        );
        let off = encode_args_with(&params, &off_step, StepCheck::Off).unwrap();
        assert_eq!(
            (off.text.as_str(), off.step_warnings.len()),
            (warned.text.as_str(), 0)
        );
        // Other problems stay errors in every mode, without the step among them under warn.
        let also_out_of_range = json!({"Interval": 0.25, "Times": 30});
        let errors = encode_args_with(&params, &also_out_of_range, StepCheck::Warn).unwrap_err();
        assert_eq!(errors.0.len(), 1, "{errors}");
        assert!(errors.to_string().contains("max 20"), "{errors}");
        // The library's own encode_args stays strict, and the mode does not leak out.
        assert!(encode_args(&params, &off_step).is_err());
        let fits = json!({"Interval": 0.3, "Times": 2});
        assert!(encode_args_with(&params, &fits, StepCheck::Strict)
            .unwrap()
            .step_warnings
            .is_empty());
    }
}
