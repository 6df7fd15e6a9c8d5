//! Checks a value against its TSL type: bounds, step, text length, array size, enum
//! membership. Each `check_*` takes one field so generated code can call it per field;
//! [`check`] walks a whole [`Wire`] tree. Problems are pushed onto `errors`, never
//! returned early, so the caller reports all of them at once.

use std::cmp::Ordering;
use std::collections::HashSet;

use rust_decimal::Decimal;

use super::error::{enum_members, field_names, FieldPath, ValueError};
use super::number::{format_f32, format_f64};
use super::wire::Wire;
use crate::model::{
    ArraySpec, Bound, DataType, EnumSpec, NumberSpec, Param, TextSpec, MAX_ARRAY_SIZE,
};

/// The relative slack of a step check done in `f64`, when a number has no exact decimal
/// form: far above `f64` rounding noise (~1e-16), far below any real step's meaning.
const STEP_TOLERANCE: f64 = 1e-9;

/// Checks an `int`: within the signed 32-bit range, the bounds and the step.
pub fn check_int(spec: &NumberSpec, value: i64, path: &FieldPath, errors: &mut Vec<ValueError>) {
    if let Some(number) = Number::int(value, path, errors) {
        number.check(spec, path, errors);
    }
}

/// Checks a `float`: finite, within the bounds and on the step. The value is judged by
/// the digits it is sent with (`0.1`, not `0.10000000149011612`), so a `float` of `0.1`
/// meets a `max` of `0.1`.
pub fn check_float(spec: &NumberSpec, value: f32, path: &FieldPath, errors: &mut Vec<ValueError>) {
    match format_f32(value) {
        Ok(text) => Number::new(f64::from(value), text).check(spec, path, errors),
        Err(_) => errors.push(not_finite(path, value)),
    }
}

/// Checks a `double`: finite, within the bounds and on the step.
pub fn check_double(spec: &NumberSpec, value: f64, path: &FieldPath, errors: &mut Vec<ValueError>) {
    match format_f64(value) {
        Ok(text) => Number::new(value, text).check(spec, path, errors),
        Err(_) => errors.push(not_finite(path, value)),
    }
}

/// Checks a `text`: at most `length` characters (Unicode scalar values, so `温度` is 2).
pub fn check_text(spec: &TextSpec, text: &str, path: &FieldPath, errors: &mut Vec<ValueError>) {
    let Some(max) = spec.length else { return };
    let chars = text.chars().count();
    if chars > max as usize {
        errors.push(ValueError::TooLong {
            path: path.clone(),
            chars,
            max,
        });
    }
}

/// A bound as the checks use it: a model's [`Bound`] or a generated constant's
/// [`StaticBound`](super::StaticBound); `Display` prints it as the model wrote it.
pub(crate) trait BoundLike: std::fmt::Display {
    /// The nearest `f64`.
    fn value(&self) -> f64;
    /// The exact decimal, when it has one.
    fn exact(&self) -> Option<Decimal>;
    /// As a step: whether a value off it is an error. A model's step is (the dynamic
    /// path checks as strictly as it can); a generated one only when the generator's
    /// `step_check` setting says so (`docs/checks.md`).
    fn strict_step(&self) -> bool {
        true
    }
}

/// How a check treats a number off its model's `step`: generated code (the generator's
/// `step_check` setting) and the dynamic path ([`encode_args_with`](super::encode_args_with),
/// the CLI's `--step-check`, the emulator's) alike.
///
/// Whether the platform refuses such a value is not established for any type
/// (`docs/checks.md`): its documentation calls the step the smallest change shown to
/// people, and a `double` of `21.537` with step `0.01` may well be accepted. So the
/// default warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum StepCheck {
    /// No step check at all.
    Off,
    /// A value off its step passes, and is reported as a warning
    /// ([`step_warnings`](super::step_warnings) for generated values, `step_warnings` of
    /// [`Encoded`](super::Encoded) for the dynamic path). The default.
    #[default]
    Warn,
    /// A value off its step is an error, like one out of range.
    Strict,
}

impl std::str::FromStr for StepCheck {
    type Err = String;

    /// `off`, `warn` or `strict`, as the CLI and the macro write them.
    fn from_str(text: &str) -> Result<StepCheck, String> {
        match text {
            "off" => Ok(StepCheck::Off),
            "warn" => Ok(StepCheck::Warn),
            "strict" => Ok(StepCheck::Strict),
            other => Err(format!(
                "unknown step check {other:?}; expected \"off\", \"warn\" or \"strict\""
            )),
        }
    }
}

std::thread_local! {
    /// Set while a check runs with every step checked (`Some(true)`: what `step_warnings`
    /// needs to see the steps `check` lets pass) or none (`Some(false)`: the dynamic path
    /// under `StepCheck::Warn`/`Off`); `None`: each bound says.
    static ALL_STEPS: std::cell::Cell<Option<bool>> = const { std::cell::Cell::new(None) };
}

/// Runs `check` with every step checked (`true`) or none (`false`), whatever each bound
/// says.
pub(crate) fn with_all_steps<R>(checked: bool, check: impl FnOnce() -> R) -> R {
    /// Restores the setting however the check ends.
    struct Restore(Option<bool>);
    impl Drop for Restore {
        fn drop(&mut self) {
            ALL_STEPS.with(|all| all.set(self.0));
        }
    }
    let _restore = Restore(ALL_STEPS.with(|all| all.replace(Some(checked))));
    check()
}

/// Runs `check` with every step checked as strictly as a strict one.
pub(crate) fn with_all_steps_strict<R>(check: impl FnOnce() -> R) -> R {
    with_all_steps(true, check)
}

impl BoundLike for Bound {
    fn value(&self) -> f64 {
        Bound::value(self)
    }

    fn exact(&self) -> Option<Decimal> {
        Bound::exact(self)
    }
}

/// [`check_int`] against a generated field's [`Limits`](super::Limits).
pub fn check_int_in(
    limits: &super::Limits,
    value: i64,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) {
    if let Some(number) = Number::int(value, path, errors) {
        number.check_limits(limits, path, errors);
    }
}

/// [`check_float`] against a generated field's [`Limits`](super::Limits).
pub fn check_float_in(
    limits: &super::Limits,
    value: f32,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) {
    match format_f32(value) {
        Ok(text) => Number::new(f64::from(value), text).check_limits(limits, path, errors),
        Err(_) => errors.push(not_finite(path, value)),
    }
}

/// [`check_double`] against a generated field's [`Limits`](super::Limits).
pub fn check_double_in(
    limits: &super::Limits,
    value: f64,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) {
    match format_f64(value) {
        Ok(text) => Number::new(value, text).check_limits(limits, path, errors),
        Err(_) => errors.push(not_finite(path, value)),
    }
}

/// [`check_text`] with the `length` a generated field was given.
pub fn check_text_len(length: u32, text: &str, path: &FieldPath, errors: &mut Vec<ValueError>) {
    check_text(
        &TextSpec {
            length: Some(length),
        },
        text,
        path,
        errors,
    );
}

/// Checks an `enum` key: one the model lists (any integer when it lists none).
pub fn check_enum(spec: &EnumSpec, value: i64, path: &FieldPath, errors: &mut Vec<ValueError>) {
    if !spec.values.is_empty() && spec.get(value).is_none() {
        errors.push(ValueError::NotInEnum {
            path: path.clone(),
            value: value.to_string(),
            allowed: enum_members(spec),
        });
    }
}

/// Checks a `date`: not before 1970.
pub fn check_date(millis: i64, path: &FieldPath, errors: &mut Vec<ValueError>) {
    if millis < 0 {
        errors.push(ValueError::NegativeDate {
            path: path.clone(),
            value: millis,
        });
    }
}

/// Checks an `array`'s length: at most `size`, or the platform's cap of
/// [`MAX_ARRAY_SIZE`] when the model gives no size.
pub fn check_array_len(
    spec: &ArraySpec,
    len: usize,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) {
    let max = spec.size.unwrap_or(MAX_ARRAY_SIZE);
    if len > max as usize {
        errors.push(ValueError::TooManyItems {
            path: path.clone(),
            len,
            max,
        });
    }
}

/// Checks a whole value against its type, recursively: every rule above, plus the
/// variant of each [`Wire`] against the type (a mismatch is [`ValueError::WrongType`])
/// and the fields of each struct (unknown or repeated fields are errors; absent ones are
/// allowed, as the platform takes partial structs).
pub fn check(data_type: &DataType, wire: &Wire, path: &FieldPath, errors: &mut Vec<ValueError>) {
    match (data_type, wire) {
        (DataType::Int(spec), Wire::Int(value)) => check_int(spec, *value, path, errors),
        (DataType::Float(spec), Wire::Float(value)) => check_float(spec, *value, path, errors),
        (DataType::Double(spec), Wire::Double(value)) => check_double(spec, *value, path, errors),
        (DataType::Text(spec), Wire::Text(text)) => check_text(spec, text, path, errors),
        (DataType::Date, Wire::Date(millis)) => check_date(*millis, path, errors),
        (DataType::Bool(_), Wire::Bool(_)) => {}
        (DataType::Enum(spec), Wire::Enum(value)) => check_enum(spec, *value, path, errors),
        (DataType::Struct(spec), Wire::Object(fields)) => {
            check_fields(&spec.members, fields, path, errors)
        }
        (DataType::Array(spec), Wire::Array(items)) => {
            check_array_len(spec, items.len(), path, errors);
            for (i, item) in items.iter().enumerate() {
                check(&spec.item, item, &path.index(i), errors);
            }
        }
        _ => errors.push(ValueError::WrongType {
            path: path.clone(),
            expected: format!("{} ({})", data_type.tsl_name(), variant_for(data_type)),
            found: wire.variant_name().to_string(),
        }),
    }
}

/// Checks a set of parameters (a service's arguments, an event's payload) given as a
/// [`Wire::Object`] keyed by identifier, as [`check`] does a struct.
pub fn check_params(params: &[Param], wire: &Wire, path: &FieldPath, errors: &mut Vec<ValueError>) {
    match wire {
        Wire::Object(fields) => check_fields(params, fields, path, errors),
        _ => errors.push(ValueError::WrongType {
            path: path.clone(),
            expected: "parameters (Wire::Object)".to_string(),
            found: wire.variant_name().to_string(),
        }),
    }
}

fn check_fields(
    members: &[Param],
    fields: &[(String, Wire)],
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) {
    let mut seen = HashSet::new();
    for (key, value) in fields {
        if !seen.insert(key.as_str()) {
            errors.push(ValueError::DuplicateField {
                path: path.clone(),
                field: key.clone(),
            });
            continue;
        }
        match members.iter().find(|m| m.identifier == *key) {
            Some(member) => check(&member.data_type, value, &path.child(key.as_str()), errors),
            None => errors.push(unknown_field(members, key, path)),
        }
    }
}

/// An error for a field `members` does not have.
pub(crate) fn unknown_field(members: &[Param], field: &str, path: &FieldPath) -> ValueError {
    ValueError::UnknownField {
        path: path.clone(),
        field: field.to_string(),
        known: field_names(members.iter().map(|m| m.identifier.as_str())),
    }
}

fn variant_for(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int(_) => "Wire::Int",
        DataType::Float(_) => "Wire::Float",
        DataType::Double(_) => "Wire::Double",
        DataType::Text(_) => "Wire::Text",
        DataType::Date => "Wire::Date",
        DataType::Bool(_) => "Wire::Bool",
        DataType::Enum(_) => "Wire::Enum",
        DataType::Struct(_) => "Wire::Object",
        DataType::Array(_) => "Wire::Array",
    }
}

fn not_finite(path: &FieldPath, value: impl std::fmt::Display) -> ValueError {
    ValueError::NotFinite {
        path: path.clone(),
        value: value.to_string(),
    }
}

/// A finite number as it goes on the wire: its value, its text, and that text as an exact
/// decimal when it has one (at most 28 digits after the point, below ~7.9e28).
struct Number {
    value: f64,
    text: String,
    exact: Option<Decimal>,
}

impl Number {
    fn new(value: f64, text: String) -> Number {
        // `from_str_exact` refuses rather than rounds what does not fit; rounding would
        // make an off-step value look on step.
        let exact = Decimal::from_str_exact(&text).ok();
        Number { value, text, exact }
    }

    /// An `int` within the signed 32-bit range (every one is exact in both `f64` and
    /// `Decimal`); `None`, with the error noted, outside it.
    fn int(value: i64, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<Number> {
        if i32::try_from(value).is_err() {
            errors.push(ValueError::IntOutOfRange {
                path: path.clone(),
                value: value.to_string(),
            });
            return None;
        }
        Some(Number {
            value: value as f64,
            text: value.to_string(),
            exact: Some(Decimal::from(value)),
        })
    }

    fn check_limits(&self, limits: &super::Limits, path: &FieldPath, errors: &mut Vec<ValueError>) {
        self.check_in(
            limits.min.as_ref(),
            limits.max.as_ref(),
            limits.step.as_ref(),
            path,
            errors,
        );
    }

    fn check(&self, spec: &NumberSpec, path: &FieldPath, errors: &mut Vec<ValueError>) {
        self.check_in(
            spec.min.as_ref(),
            spec.max.as_ref(),
            spec.step.as_ref(),
            path,
            errors,
        );
    }

    /// The checks of [`Number::check`], for bounds of either kind (a model's [`Bound`],
    /// a generated constant's `StaticBound`).
    fn check_in<B: BoundLike>(
        &self,
        min: Option<&B>,
        max: Option<&B>,
        step: Option<&B>,
        path: &FieldPath,
        errors: &mut Vec<ValueError>,
    ) {
        if let Some(min) = min {
            if self.compare(min) == Some(Ordering::Less) {
                errors.push(ValueError::BelowMin {
                    path: path.clone(),
                    value: self.text.clone(),
                    min: min.to_string(),
                });
            }
        }
        if let Some(max) = max {
            if self.compare(max) == Some(Ordering::Greater) {
                errors.push(ValueError::AboveMax {
                    path: path.clone(),
                    value: self.text.clone(),
                    max: max.to_string(),
                });
            }
        }
        let checked = |step: &&B| {
            ALL_STEPS
                .with(|all| all.get())
                .unwrap_or_else(|| step.strict_step())
        };
        if let Some(step) = step.filter(checked) {
            if !self.is_on_step(step, min) {
                errors.push(ValueError::OffStep {
                    path: path.clone(),
                    value: self.text.clone(),
                    step: step.to_string(),
                    base: min.map_or_else(|| "0".to_string(), ToString::to_string),
                });
            }
        }
    }

    /// Compares in decimal when both sides have an exact form, so the text sent is what is
    /// judged; otherwise in `f64`, which holds every `f32` and `i32` exactly.
    fn compare<B: BoundLike>(&self, bound: &B) -> Option<Ordering> {
        match (self.exact, bound.exact()) {
            (Some(value), Some(bound)) => Some(value.cmp(&bound)),
            _ => self.value.partial_cmp(&bound.value()),
        }
    }

    /// Whether `(value - base) / step` is an integer, `base` being the `min` or 0. A step
    /// that is not positive divides nothing; the model's validation reports it.
    fn is_on_step<B: BoundLike>(&self, step: &B, min: Option<&B>) -> bool {
        if step.value().is_nan() || step.value() <= 0.0 {
            return true;
        }
        let base_exact = min.map_or(Some(Decimal::ZERO), BoundLike::exact);
        let exact = match (self.exact, base_exact, step.exact()) {
            (Some(value), Some(base), Some(step)) if !step.is_zero() => value
                .checked_sub(base)
                .and_then(|offset| offset.checked_rem(step))
                .map(|remainder| remainder.is_zero()),
            _ => None,
        };
        exact.unwrap_or_else(|| {
            on_step_f64(self.value, min.map_or(0.0, BoundLike::value), step.value())
        })
    }
}

fn on_step_f64(value: f64, base: f64, step: f64) -> bool {
    let quotient = (value - base) / step;
    if !quotient.is_finite() {
        // Only at the ends of the f64 range, where no device's step means anything; the
        // bounds checks still apply.
        return true;
    }
    (quotient - quotient.round()).abs() <= STEP_TOLERANCE * quotient.abs().max(1.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{BoolSpec, EnumValue, StructSpec};

    fn bound(text: &str) -> Option<Bound> {
        Some(Bound::parse(text).unwrap())
    }

    fn spec(min: Option<&str>, max: Option<&str>, step: Option<&str>) -> NumberSpec {
        NumberSpec {
            min: min.and_then(bound),
            max: max.and_then(bound),
            step: step.and_then(bound),
            ..NumberSpec::default()
        }
    }

    fn messages(errors: &[ValueError]) -> Vec<String> {
        errors.iter().map(ToString::to_string).collect()
    }

    fn int_errors(spec: &NumberSpec, value: i64) -> Vec<String> {
        let mut errors = Vec::new();
        check_int(spec, value, &FieldPath::field("brightness"), &mut errors);
        messages(&errors)
    }

    fn float_errors(spec: &NumberSpec, value: f32) -> Vec<String> {
        let mut errors = Vec::new();
        check_float(spec, value, &FieldPath::field("t"), &mut errors);
        messages(&errors)
    }

    fn double_errors(spec: &NumberSpec, value: f64) -> Vec<String> {
        let mut errors = Vec::new();
        check_double(spec, value, &FieldPath::field("t"), &mut errors);
        messages(&errors)
    }

    #[test]
    fn int_bounds_name_value_and_bound() {
        let spec = spec(Some("0"), Some("100"), None);
        assert!(int_errors(&spec, 0).is_empty());
        assert!(int_errors(&spec, 100).is_empty());
        assert_eq!(
            int_errors(&spec, 120),
            ["`brightness`: 120 is above the max 100"]
        );
        assert_eq!(
            int_errors(&spec, -1),
            ["`brightness`: -1 is below the min 0"]
        );
    }

    #[test]
    fn bounds_are_printed_as_the_model_wrote_them() {
        let spec = spec(Some(" 1E1 "), None, None);
        assert_eq!(
            int_errors(&spec, 5),
            ["`brightness`: 5 is below the min 1E1"]
        );
    }

    #[test]
    fn int_must_fit_in_32_bits() {
        let none = NumberSpec::default();
        assert!(int_errors(&none, i64::from(i32::MAX)).is_empty());
        assert!(int_errors(&none, i64::from(i32::MIN)).is_empty());
        assert_eq!(
            int_errors(&none, 2_147_483_648),
            ["`brightness`: 2147483648 is outside the range of an int (-2147483648 to 2147483647)"]
        );
        assert_eq!(int_errors(&none, i64::MIN).len(), 1);
    }

    #[test]
    fn int_step_counts_from_min() {
        let spec = spec(Some("1"), None, Some("2"));
        assert!(int_errors(&spec, 5).is_empty());
        assert_eq!(
            int_errors(&spec, 4),
            ["`brightness`: 4 is not 1 plus a multiple of the step 2"]
        );
        let from_zero = self::spec(None, None, Some("5"));
        assert!(int_errors(&from_zero, -10).is_empty());
        assert_eq!(
            int_errors(&from_zero, 7),
            ["`brightness`: 7 is not a multiple of the step 5"]
        );
    }

    #[test]
    fn decimal_steps_accept_values_inexact_in_binary() {
        let tenth = spec(None, None, Some("0.1"));
        assert!(double_errors(&tenth, 0.3).is_empty());
        assert!(
            double_errors(&tenth, 0.1 + 0.2).len() == 1,
            "0.30000000000000004 is off step"
        );
        assert!(float_errors(&tenth, 0.3).is_empty());
        assert!(float_errors(&tenth, 0.7).is_empty());
        assert_eq!(
            double_errors(&tenth, 0.15),
            ["`t`: 0.15 is not a multiple of the step 0.1"]
        );

        let hundredth = spec(Some("-40"), Some("80"), Some("0.01"));
        assert!(double_errors(&hundredth, 26.57).is_empty());
        assert!(float_errors(&hundredth, 26.57).is_empty());
        assert!(double_errors(&hundredth, -39.99).is_empty());
        assert_eq!(
            double_errors(&hundredth, 26.575),
            ["`t`: 26.575 is not -40 plus a multiple of the step 0.01"]
        );

        let thousandth = spec(Some("0.001"), None, Some("0.001"));
        assert!(double_errors(&thousandth, 1.001).is_empty());
        assert!(float_errors(&thousandth, 0.003).is_empty());
        assert_eq!(double_errors(&thousandth, 0.0015).len(), 1);
    }

    #[test]
    fn steps_fall_back_to_f64_beyond_decimal_precision() {
        let tenth = spec(None, None, Some("0.1"));
        // Too large for a Decimal: judged in f64 with a relative tolerance.
        assert!(double_errors(&tenth, 1e30).is_empty());
        let tiny = spec(None, None, Some("1e-30"));
        assert!(double_errors(&tiny, 3e-30).is_empty());
        assert!(on_step_f64(0.3, 0.0, 0.1));
        assert!(!on_step_f64(0.35, 0.0, 0.1));
        assert!(on_step_f64(f64::MAX, -f64::MAX, 1.0));
    }

    #[test]
    fn zero_step_is_ignored() {
        assert!(double_errors(&spec(None, None, Some("0")), 0.123).is_empty());
        assert!(int_errors(&spec(None, None, Some("-1")), 3).is_empty());
    }

    #[test]
    fn float_is_judged_by_the_digits_sent() {
        // 0.1f32 is 0.100000001490116... in binary, but goes out as `0.1`.
        let spec = spec(Some("0.1"), Some("0.1"), None);
        assert!(float_errors(&spec, 0.1).is_empty());
        assert_eq!(float_errors(&spec, 0.2), ["`t`: 0.2 is above the max 0.1"]);
    }

    #[test]
    fn negative_zero_is_zero() {
        let spec = spec(Some("0"), Some("0"), Some("0.5"));
        assert!(float_errors(&spec, -0.0).is_empty());
        assert!(double_errors(&spec, -0.0).is_empty());
    }

    #[test]
    fn bounds_beyond_decimal_precision_compare_in_f64() {
        let spec = spec(Some("-1e40"), Some("1e40"), None);
        assert!(double_errors(&spec, 1e39).is_empty());
        assert_eq!(double_errors(&spec, 1e41).len(), 1);
        assert!(float_errors(&spec, f32::MAX).is_empty());
    }

    #[test]
    fn nan_and_infinities_are_refused() {
        let none = NumberSpec::default();
        assert_eq!(
            double_errors(&none, f64::NAN),
            ["`t`: NaN cannot be sent; only finite numbers can"]
        );
        assert_eq!(double_errors(&none, f64::INFINITY).len(), 1);
        assert_eq!(
            float_errors(&none, f32::NEG_INFINITY),
            ["`t`: -inf cannot be sent; only finite numbers can"]
        );
    }

    #[test]
    fn text_length_counts_characters() {
        let spec = TextSpec { length: Some(2) };
        let mut errors = Vec::new();
        check_text(&spec, "温度", &FieldPath::field("s"), &mut errors);
        assert!(errors.is_empty(), "6 bytes but 2 characters");
        check_text(&spec, "温度计", &FieldPath::field("s"), &mut errors);
        assert_eq!(
            messages(&errors),
            ["`s`: the text has 3 characters, more than the length 2"]
        );
        errors.clear();
        check_text(
            &TextSpec::default(),
            &"x".repeat(100_000),
            &FieldPath::root(),
            &mut errors,
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn enum_keys_must_be_listed() {
        let spec = EnumSpec {
            values: vec![
                EnumValue {
                    value: -1,
                    label: "auto".into(),
                },
                EnumValue {
                    value: 0,
                    label: "off".into(),
                },
            ],
        };
        let mut errors = Vec::new();
        check_enum(&spec, -1, &FieldPath::field("mode"), &mut errors);
        check_enum(&spec, 0, &FieldPath::field("mode"), &mut errors);
        assert!(errors.is_empty());
        check_enum(&spec, 2, &FieldPath::field("mode"), &mut errors);
        assert_eq!(
            messages(&errors),
            ["`mode`: 2 is not one of the enum's values: -1 (auto), 0 (off)"]
        );
        errors.clear();
        check_enum(&EnumSpec::default(), 12345, &FieldPath::root(), &mut errors);
        assert!(errors.is_empty(), "a model without members accepts any key");
    }

    #[test]
    fn dates_are_not_negative() {
        let mut errors = Vec::new();
        check_date(0, &FieldPath::field("when"), &mut errors);
        assert!(errors.is_empty());
        check_date(-1, &FieldPath::field("when"), &mut errors);
        assert_eq!(
            messages(&errors),
            ["`when`: -1 is before 1970; a date is non-negative epoch milliseconds"]
        );
    }

    fn int_array(size: Option<u32>) -> ArraySpec {
        ArraySpec {
            size,
            item: Box::new(DataType::Int(spec(Some("0"), Some("9"), None))),
        }
    }

    #[test]
    fn arrays_hold_at_most_size_items() {
        let mut errors = Vec::new();
        check_array_len(&int_array(Some(3)), 3, &FieldPath::field("a"), &mut errors);
        assert!(errors.is_empty());
        check_array_len(&int_array(Some(3)), 4, &FieldPath::field("a"), &mut errors);
        assert_eq!(
            messages(&errors),
            ["`a`: the array has 4 items, more than the size 3"]
        );
        errors.clear();
        check_array_len(&int_array(None), 512, &FieldPath::root(), &mut errors);
        assert!(errors.is_empty());
        check_array_len(&int_array(None), 513, &FieldPath::root(), &mut errors);
        assert_eq!(errors.len(), 1, "the platform caps arrays at 512");
    }

    fn param(identifier: &str, data_type: DataType) -> Param {
        Param {
            identifier: identifier.into(),
            name: None,
            desc: None,
            data_type,
        }
    }

    fn color() -> DataType {
        let channel = || DataType::Int(spec(Some("0"), Some("255"), None));
        DataType::Struct(StructSpec {
            members: vec![
                param("r", channel()),
                param("g", channel()),
                param("b", channel()),
            ],
        })
    }

    #[test]
    fn check_walks_structs_and_arrays_with_paths() {
        let data_type = DataType::Array(ArraySpec {
            size: Some(2),
            item: Box::new(color()),
        });
        let wire = Wire::Array(vec![
            Wire::object().field("r", 1).field("g", 2).build(),
            Wire::object()
                .field("r", 300)
                .field("x", 1)
                .field("r", 2)
                .build(),
            Wire::object().field("b", Wire::Double(1.0)).build(),
        ]);
        let mut errors = Vec::new();
        check(&data_type, &wire, &FieldPath::field("colors"), &mut errors);
        assert_eq!(
            messages(&errors),
            [
                "`colors`: the array has 3 items, more than the size 2",
                "`colors[1].r`: 300 is above the max 255",
                "`colors[1]`: unknown field `x`; the known fields are: `r`, `g`, `b`",
                "`colors[1]`: field `r` is given more than once",
                "`colors[2].b`: expected int (Wire::Int), found Wire::Double",
            ]
        );
    }

    #[test]
    fn check_matches_every_type_to_its_variant() {
        let cases = [
            (DataType::Int(NumberSpec::default()), Wire::Int(1)),
            (DataType::Float(NumberSpec::default()), Wire::Float(1.0)),
            (DataType::Double(NumberSpec::default()), Wire::Double(1.0)),
            (DataType::Text(TextSpec::default()), Wire::Text("x".into())),
            (DataType::Date, Wire::Date(1)),
            (DataType::Bool(BoolSpec::default()), Wire::Bool(true)),
            (DataType::Enum(EnumSpec::default()), Wire::Enum(1)),
            (color(), Wire::object().build()),
            (DataType::Array(int_array(None)), Wire::Array(Vec::new())),
        ];
        for (i, (data_type, _)) in cases.iter().enumerate() {
            for (j, (_, wire)) in cases.iter().enumerate() {
                let mut errors = Vec::new();
                check(data_type, wire, &FieldPath::root(), &mut errors);
                assert_eq!(errors.is_empty(), i == j, "{data_type:?} with {wire:?}");
            }
        }
    }

    #[test]
    fn params_are_checked_like_a_struct() {
        let params = [param(
            "temp",
            DataType::Double(spec(None, Some("50"), None)),
        )];
        let mut errors = Vec::new();
        let wire = Wire::object().field("temp", 60.0).field("extra", 1).build();
        check_params(&params, &wire, &FieldPath::root(), &mut errors);
        assert_eq!(
            messages(&errors),
            [
                "`temp`: 60.0 is above the max 50",
                "unknown field `extra`; the known fields are: `temp`",
            ]
        );
        errors.clear();
        check_params(&params, &Wire::Int(1), &FieldPath::root(), &mut errors);
        assert_eq!(
            messages(&errors),
            ["`(value)`: expected parameters (Wire::Object), found Wire::Int"]
        );
    }
}
