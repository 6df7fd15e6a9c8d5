//! Spec values shared by both formats: number specs, text length, array size, enum keys.

use serde_json::Value;

use super::cursor::{Ctx, Node};
use crate::model::{Bound, NumberSpec, Problem, TextSpec, MAX_ARRAY_SIZE, MAX_TEXT_LENGTH};

/// Which numeric type a spec belongs to: bounds of an `int` must be 32-bit integers;
/// "no limit" placeholders are only recognised for `float`/`double`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum NumberKind {
    Int,
    Float,
}

/// How a format writes spec numbers: TSL always as strings (`"min":"0"`), ThingModelJson
/// as strings or JSON numbers (`length` and `size` are `Long`s).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Numbers {
    StringsOnly,
    StringsOrNumbers,
}

/// The text of a spec number, reporting other JSON types.
pub(super) fn number_text(
    ctx: &mut Ctx,
    node: &Node,
    field: &'static str,
    numbers: Numbers,
) -> Option<String> {
    match node.value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) if numbers == Numbers::StringsOrNumbers => Some(n.to_string()),
        Value::Number(n) => {
            ctx.error(
                &node.ptr,
                Problem::NumberNotString {
                    field,
                    value: n.to_string(),
                },
            );
            None
        }
        _ => {
            ctx.wrong_type(node, "a number written as a string");
            None
        }
    }
}

fn bound(
    ctx: &mut Ctx,
    specs: &Node,
    field: &'static str,
    kind: NumberKind,
    numbers: Numbers,
) -> Option<Bound> {
    let node = specs.get(field)?;
    let text = number_text(ctx, &node, field, numbers)?;
    if text.trim().is_empty() {
        // Console exports write `"unit": ""`-style empties for bounds left blank.
        return None;
    }
    let bound = match Bound::parse(&text) {
        Ok(b) => b,
        Err(reason) => {
            ctx.error(&node.ptr, Problem::InvalidNumber { field, reason });
            return None;
        }
    };
    match kind {
        NumberKind::Int => match bound.as_i64() {
            None => {
                ctx.error(
                    &node.ptr,
                    Problem::IntBoundNotInteger { field, value: text },
                );
                None
            }
            Some(v) if i32::try_from(v).is_err() => {
                ctx.error(
                    &node.ptr,
                    Problem::IntBoundOutOfRange { field, value: text },
                );
                None
            }
            Some(_) => Some(bound),
        },
        NumberKind::Float if field != "step" && bound.is_sentinel() => {
            ctx.warn(&node.ptr, Problem::SentinelBound { field, value: text });
            None
        }
        NumberKind::Float => Some(bound),
    }
}

/// `min`, `max`, `step`, `unit`, `unitName` of a number type, checked for consistency.
pub(super) fn number_spec(
    ctx: &mut Ctx,
    specs: Option<&Node>,
    kind: NumberKind,
    numbers: Numbers,
) -> NumberSpec {
    let Some(specs) = specs else {
        return NumberSpec::default();
    };
    if ctx.object(specs).is_none() {
        return NumberSpec::default();
    }
    let min = bound(ctx, specs, "min", kind, numbers);
    let max = bound(ctx, specs, "max", kind, numbers);
    let mut step = bound(ctx, specs, "step", kind, numbers);
    if let (Some(lo), Some(hi)) = (&min, &max) {
        if lo.value() > hi.value() {
            ctx.error(
                &specs.ptr,
                Problem::MinAboveMax {
                    min: lo.to_string(),
                    max: hi.to_string(),
                },
            );
        }
    }
    if let Some(s) = &step {
        if s.value() <= 0.0 {
            ctx.error(
                &format!("{}/step", specs.ptr),
                Problem::StepNotPositive {
                    step: s.to_string(),
                },
            );
            step = None;
        }
    }
    NumberSpec {
        min,
        max,
        step,
        unit: ctx.opt_text(specs, "unit"),
        unit_name: ctx.opt_text(specs, "unitName"),
    }
}

/// A whole number in `1..=max`, from a string or (where the format allows) a JSON number.
fn count(
    ctx: &mut Ctx,
    node: &Node,
    field: &'static str,
    numbers: Numbers,
    max: u32,
    problem: impl Fn(String) -> Problem,
) -> Option<u32> {
    let text = number_text(ctx, node, field, numbers)?;
    match text.trim().parse::<u32>() {
        Ok(n) if (1..=max).contains(&n) => Some(n),
        _ => {
            ctx.error(&node.ptr, problem(text));
            None
        }
    }
}

/// `specs.length` of `text`. Lengths beyond the export maximum are refused: no device
/// can be sent more than the platform stores.
pub(super) fn text_spec(ctx: &mut Ctx, specs: Option<&Node>, numbers: Numbers) -> TextSpec {
    let length = specs.and_then(|s| s.get("length")).and_then(|node| {
        count(ctx, &node, "length", numbers, MAX_TEXT_LENGTH, |value| {
            Problem::InvalidTextLength {
                value,
                max: MAX_TEXT_LENGTH,
            }
        })
    });
    TextSpec { length }
}

/// `size` of `array`, 1..=512.
pub(super) fn array_size(ctx: &mut Ctx, node: &Node, numbers: Numbers) -> Option<u32> {
    count(ctx, node, "size", numbers, MAX_ARRAY_SIZE, |value| {
        Problem::InvalidArraySize {
            value,
            max: MAX_ARRAY_SIZE,
        }
    })
}

/// An enum or bool key: `0`, `-3`, `12` (no leading zeros, no sign on zero).
pub(super) fn enum_key(text: &str) -> Option<i64> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(text.starts_with('-') && digits == "0");
    if canonical {
        text.parse().ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::enum_key;

    #[test]
    fn enum_keys_follow_the_schema_pattern() {
        assert_eq!(enum_key("0"), Some(0));
        assert_eq!(enum_key("-3"), Some(-3));
        assert_eq!(enum_key("12"), Some(12));
        for bad in [
            "",
            "-",
            "-0",
            "01",
            "1.0",
            "a",
            " 1",
            "99999999999999999999",
        ] {
            assert_eq!(enum_key(bad), None, "{bad:?}");
        }
    }
}
