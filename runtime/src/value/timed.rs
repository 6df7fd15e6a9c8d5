//! Reported property values with their time, read into the generated `Properties` struct:
//! the one shape a property report (docs/subscription.md, "Messages") and a device's
//! property status decode into. Model-neutral and in the lean build, since a device-side
//! program and a cloud-side one read the same reports.

use serde_json::Value;

use super::error::{FieldPath, ValueError, ValueErrors};
use super::generated::Fields;
use super::typed::TslValue;

/// A property value with the time the device measured it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Timed<T> {
    /// The value.
    pub value: T,
    /// Epoch ms, when one was sent.
    pub time: Option<i64>,
}

/// A reported property that did not make it into the generated struct: never dropped
/// silently, always with the JSON as sent.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Rejected {
    /// The value fails the model (wrong type, out of bounds, not a member, ...).
    #[error("property `{identifier}`: {errors}")]
    Invalid {
        /// The property's wire identifier (`Brightness`, `battery:Charge`).
        identifier: String,
        /// Every problem of the value, each with its path.
        errors: ValueErrors,
        /// The value as sent.
        raw: Value,
        /// Its time, when one was sent.
        time: Option<i64>,
    },
    /// The model has no property of that identifier.
    #[error("the model has no property `{identifier}`")]
    Unknown {
        /// The identifier as sent.
        identifier: String,
        /// The value as sent.
        raw: Value,
        /// Its time, when one was sent.
        time: Option<i64>,
    },
}

impl Rejected {
    /// The identifier as sent.
    pub fn identifier(&self) -> &str {
        match self {
            Rejected::Invalid { identifier, .. } | Rejected::Unknown { identifier, .. } => {
                identifier
            }
        }
    }

    /// The value as sent.
    pub fn raw(&self) -> &Value {
        match self {
            Rejected::Invalid { raw, .. } | Rejected::Unknown { raw, .. } => raw,
        }
    }

    /// An identifier the model does not have (generated `Properties::decode` only).
    #[doc(hidden)]
    pub fn unknown(identifier: &str, raw: &Value, time: Option<i64>) -> Rejected {
        Rejected::Unknown {
            identifier: identifier.to_string(),
            raw: raw.clone(),
            time,
        }
    }
}

/// Reads one reported property, `(identifier, value as sent, time)`, as `T` and checks it
/// with `check` (the generated field check with the property's bounds, given the
/// property's wire identifier as key, so each problem's path starts with it). A failure is
/// pushed onto `rejected` with the raw JSON and gives `None`. Called by generated
/// `Properties::decode` only.
#[doc(hidden)]
pub fn timed<T: TslValue>(
    (identifier, raw, time): (&str, &Value, Option<i64>),
    rejected: &mut Vec<Rejected>,
    // A function, not a closure type: one copy of this per value type, not per property.
    check: fn(&str, &T, &mut Fields<'_>),
) -> Option<Timed<T>> {
    let root = FieldPath::root();
    let mut errors: Vec<ValueError> = Vec::new();
    let read = T::from_json(raw, &root.child(identifier), &mut errors);
    if let Some(value) = &read {
        check(identifier, value, &mut Fields::checking(&root, &mut errors));
    }
    let fits = settle(identifier, raw, time, read.is_some(), errors, rejected);
    match read {
        Some(value) if fits => Some(Timed { value, time }),
        _ => None,
    }
}

/// The part of [`timed`] that does not depend on the value's type, compiled once rather
/// than per property (BENCHMARKS.md, "Compact generated code"): whether the value fits,
/// and when it does not, its rejection pushed onto `rejected`.
fn settle(
    identifier: &str,
    raw: &Value,
    time: Option<i64>,
    read: bool,
    errors: Vec<ValueError>,
    rejected: &mut Vec<Rejected>,
) -> bool {
    if read && errors.is_empty() {
        return true;
    }
    rejected.push(Rejected::Invalid {
        identifier: identifier.to_string(),
        errors: ValueErrors(errors),
        raw: raw.clone(),
        time,
    });
    false
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::value::lim;

    const L: crate::value::Limits = lim("0", "100", "1");

    #[test]
    fn a_value_within_the_model_is_read_with_its_time() {
        let mut rejected = Vec::new();
        let read: Option<Timed<i32>> = timed(
            ("Brightness", &json!(40), Some(7)),
            &mut rejected,
            |k, v, f| f.int(k, v, &L),
        );
        assert_eq!(
            read,
            Some(Timed {
                value: 40,
                time: Some(7)
            })
        );
        assert!(rejected.is_empty());
    }

    #[test]
    fn a_value_out_of_bounds_or_of_the_wrong_type_is_rejected_with_its_json() {
        let mut rejected = Vec::new();
        let over: Option<Timed<i32>> = timed(
            ("Brightness", &json!(140), None),
            &mut rejected,
            |k, v, f| f.int(k, v, &L),
        );
        let text: Option<Timed<i32>> = timed(
            ("Brightness", &json!("x"), Some(1)),
            &mut rejected,
            |k, v, f| f.int(k, v, &L),
        );
        assert!(over.is_none() && text.is_none());
        assert_eq!(rejected.len(), 2);
        assert_eq!(rejected[0].raw(), &json!(140));
        assert_eq!(rejected[1].identifier(), "Brightness");
        let message = rejected[0].to_string();
        assert!(
            message.contains("`Brightness`") && message.contains("100"),
            "{message}"
        );
        match &rejected[1] {
            Rejected::Invalid { errors, time, .. } => {
                assert_eq!(*time, Some(1));
                assert_eq!(errors.0[0].path().to_string(), "Brightness");
            }
            other => panic!("{other:?}"),
        }
    }
}
