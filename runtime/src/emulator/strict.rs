//! `Args` and `Items` checked as the platform checks them: stricter than
//! [`crate::value::encode`], which reads what a person means. Here the text is judged as
//! written: a `float`/`double` without a decimal point (`10`) is refused, a `bool` must be
//! `0` or `1` (not `true`), an `int` must have no point, a `date` must be a string of epoch
//! milliseconds. What passes is then held to the model's bounds, step, length, size and enum
//! members by [`crate::value::check`].
//!
//! Numbers are read from their own text ([`RawValue`]), never through `f64`, so `10` and
//! `10.0` stay apart.

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::model::{DataType, Model, Param};
use crate::value::{check, check_array_len, FieldPath, Wire};

/// The platform's message for `Args`/`Items` that are not a JSON object
/// (github.com/aliyun/aliyun-openapi-net-sdk/issues/234).
pub(crate) const NOT_AN_OBJECT: &str = "The args parameter format is invalid.";

/// A JSON object's members in the order written, duplicates kept, values as raw text.
struct Entries<'a>(Vec<(String, &'a RawValue)>);

impl<'de> Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntriesVisitor;
        impl<'de> Visitor<'de> for EntriesVisitor {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Entries<'de>, A::Error> {
                let mut entries = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, &'de RawValue>()? {
                    entries.push((key, value));
                }
                Ok(Entries(entries))
            }
        }
        deserializer.deserialize_map(EntriesVisitor)
    }
}

/// Checks a service's `Args` text against its inputs. Returns the arguments as JSON for
/// the device, or every problem found, each naming its field.
pub(crate) fn check_args(inputs: &[Param], text: &str) -> Result<Value, Vec<String>> {
    let entries = object(text)?;
    let mut problems = Vec::new();
    let mut fields = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (key, raw) in &entries.0 {
        if !seen.insert(key.as_str()) {
            problems.push(format!("`{key}`: given twice"));
            continue;
        }
        let path = FieldPath::field(key.as_str());
        match inputs.iter().find(|p| p.identifier == *key) {
            Some(param) => {
                if let Some(wire) = strict(&param.data_type, raw, &path, &mut problems) {
                    fields.push((key.clone(), param, wire));
                }
            }
            None => problems.push(format!(
                "`{key}`: not an input of the service (inputs: {})",
                names(inputs.iter().map(|p| p.identifier.as_str()))
            )),
        }
    }
    let mut errors = Vec::new();
    for (key, param, wire) in &fields {
        check(
            &param.data_type,
            wire,
            &FieldPath::field(key.as_str()),
            &mut errors,
        );
    }
    problems.extend(errors.iter().map(ToString::to_string));
    checked_value(text, problems)
}

/// Checks `Items` of SetDeviceProperty(s): keys are wire identifiers (`module:id`) of
/// writable properties of `model`.
pub(crate) fn check_items(model: &Model, text: &str) -> Result<Value, Vec<String>> {
    let entries = object(text)?;
    let mut problems = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (key, raw) in &entries.0 {
        if !seen.insert(key.as_str()) {
            problems.push(format!("`{key}`: given twice"));
            continue;
        }
        let Some(property) = model.property_by_wire_identifier(key) else {
            problems.push(format!(
                "`{key}`: not a property of the product (properties: {})",
                names(model.properties().map(|(_, p)| p.wire_identifier.as_str()))
            ));
            continue;
        };
        if !property.access.is_writable() {
            problems.push(format!("`{key}`: the property is read-only"));
            continue;
        }
        let path = FieldPath::field(key.as_str());
        if let Some(wire) = strict(&property.data_type, raw, &path, &mut problems) {
            check(&property.data_type, &wire, &path, &mut errors);
        }
    }
    if entries.0.is_empty() {
        problems.push("no property given".to_string());
    }
    problems.extend(errors.iter().map(ToString::to_string));
    checked_value(text, problems)
}

/// The members of a JSON object text, each still text.
fn object(text: &str) -> Result<Entries<'_>, Vec<String>> {
    serde_json::from_str(text).map_err(|_| vec![NOT_AN_OBJECT.to_string()])
}

/// The checked text as the [`Value`] handed on: read only once every check passed, so a
/// refused call reads its text once.
fn checked_value(text: &str, problems: Vec<String>) -> Result<Value, Vec<String>> {
    if !problems.is_empty() {
        return Err(problems);
    }
    serde_json::from_str(text).map_err(|_| vec![NOT_AN_OBJECT.to_string()])
}

fn names<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let listed: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if listed.is_empty() {
        "none".to_string()
    } else {
        listed.join(", ")
    }
}

/// Reads one value of `data_type` from its raw text, refusing what the platform refuses.
/// `None` after pushing at least one problem.
fn strict(
    data_type: &DataType,
    raw: &RawValue,
    path: &FieldPath,
    problems: &mut Vec<String>,
) -> Option<Wire> {
    let text = raw.get().trim();
    let mut refuse = |what: String| {
        problems.push(format!("`{path}`: {what}"));
        None
    };
    match data_type {
        DataType::Int(_) => match number(text) {
            Some(n) if !n.has_point && !n.has_exponent => match text.parse::<i64>() {
                Ok(v) => Some(Wire::Int(v)),
                Err(_) => refuse(format!("{text} is outside the range of an int")),
            },
            Some(_) => refuse(format!(
                "{text} is not an int; an int is written without a decimal point or exponent"
            )),
            None => refuse(format!("{text} is not an int")),
        },
        DataType::Float(_) | DataType::Double(_) => {
            let kind = data_type.tsl_name();
            let Some(n) = number(text) else {
                return refuse(format!("{text} is not a {kind}"));
            };
            if !n.has_point {
                return refuse(format!(
                    "{text} is a {kind} without a decimal point; the platform refuses it (write {text}.0)"
                ));
            }
            let value: f64 = match text.parse() {
                Ok(v) if f64::is_finite(v) => v,
                _ => return refuse(format!("{text} is outside the range of a {kind}")),
            };
            if matches!(data_type, DataType::Float(_)) {
                if value.abs() > f64::from(f32::MAX) {
                    return refuse(format!("{text} is outside the range of a float"));
                }
                Some(Wire::Float(value as f32))
            } else {
                Some(Wire::Double(value))
            }
        }
        DataType::Bool(_) => match text {
            "0" => Some(Wire::Bool(false)),
            "1" => Some(Wire::Bool(true)),
            other => refuse(format!("{other} is not a bool; a bool is sent as 0 or 1")),
        },
        DataType::Enum(_) => match number(text) {
            Some(n) if !n.has_point && !n.has_exponent => match text.parse::<i64>() {
                Ok(v) => Some(Wire::Enum(v)),
                Err(_) => refuse(format!("{text} is not an enum key")),
            },
            _ => refuse(format!(
                "{text} is not an enum key; an enum is sent as its integer key"
            )),
        },
        DataType::Text(_) => match serde_json::from_str::<String>(text) {
            Ok(s) if text.starts_with('"') => Some(Wire::Text(s)),
            _ => refuse(format!("{text} is not a text (a JSON string)")),
        },
        DataType::Date => {
            let digits = serde_json::from_str::<String>(text)
                .ok()
                .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
            match digits.map(|s| s.parse::<i64>()) {
                Some(Ok(millis)) => Some(Wire::Date(millis)),
                _ => refuse(format!(
                    "{text} is not a date; a date is a string of UTC epoch milliseconds (\"1635839462000\")"
                )),
            }
        }
        DataType::Struct(spec) => {
            let Ok(entries) = serde_json::from_str::<Entries>(text) else {
                return refuse(format!("{text} is not a struct (a JSON object)"));
            };
            let before = problems.len();
            let mut fields = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (key, raw) in &entries.0 {
                if !seen.insert(key.as_str()) {
                    problems.push(format!("`{path}`: `{key}` given twice"));
                    continue;
                }
                match spec.members.iter().find(|m| m.identifier == *key) {
                    Some(member) => {
                        let child = path.child(key.as_str());
                        if let Some(wire) = strict(&member.data_type, raw, &child, problems) {
                            fields.push((key.clone(), wire));
                        }
                    }
                    None => problems.push(format!(
                        "`{path}`: `{key}` is not a member of the struct (members: {})",
                        names(spec.members.iter().map(|m| m.identifier.as_str()))
                    )),
                }
            }
            (problems.len() == before).then_some(Wire::Object(fields))
        }
        DataType::Array(spec) => {
            let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) else {
                return refuse(format!("{text} is not an array"));
            };
            let before = problems.len();
            let wires: Vec<Wire> = items
                .iter()
                .enumerate()
                .filter_map(|(i, raw)| strict(&spec.item, raw, &path.index(i), problems))
                .collect();
            if problems.len() == before {
                Some(Wire::Array(wires))
            } else {
                // The whole array is not checked again, so its length is checked here.
                let mut errors = Vec::new();
                check_array_len(spec, items.len(), path, &mut errors);
                problems.extend(errors.iter().map(ToString::to_string));
                None
            }
        }
    }
}

/// What a JSON number literal looks like.
struct NumberShape {
    has_point: bool,
    has_exponent: bool,
}

/// The shape of `text` when it is a JSON number literal.
fn number(text: &str) -> Option<NumberShape> {
    let first = text.bytes().next()?;
    if !(first == b'-' || first.is_ascii_digit()) {
        return None;
    }
    // serde_json validated the literal; only its shape matters here.
    serde_json::from_str::<serde_json::Number>(text).ok()?;
    Some(NumberShape {
        has_point: text.contains('.'),
        has_exponent: text.contains(['e', 'E']),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArraySpec, BoolSpec, Bound, EnumSpec, EnumValue, NumberSpec, StructSpec};

    fn param(identifier: &str, data_type: DataType) -> Param {
        Param {
            identifier: identifier.to_string(),
            name: None,
            desc: None,
            data_type,
        }
    }

    fn inputs() -> Vec<Param> {
        let max = |t: &str| NumberSpec {
            max: Bound::parse(t).ok(),
            ..NumberSpec::default()
        };
        vec![
            param("Times", DataType::Int(max("20"))),
            param("Interval", DataType::Double(max("10"))),
            param("Ratio", DataType::Float(NumberSpec::default())),
            param("On", DataType::Bool(BoolSpec::default())),
            param(
                "Mode",
                DataType::Enum(EnumSpec {
                    values: vec![EnumValue {
                        value: -1,
                        label: "m".into(),
                    }],
                }),
            ),
            param("When", DataType::Date),
            param(
                "Point",
                DataType::Struct(StructSpec {
                    members: vec![param("x", DataType::Double(NumberSpec::default()))],
                }),
            ),
            param(
                "Levels",
                DataType::Array(ArraySpec {
                    size: Some(2),
                    item: Box::new(DataType::Int(NumberSpec::default())),
                }),
            ),
        ]
    }

    #[test]
    fn accepts_what_the_platform_accepts() {
        let args = r#"{"Times":3,"Interval":1.0,"Ratio":0.5,"On":1,"Mode":-1,"When":"1635839462000","Point":{"x":2.5},"Levels":[1,2]}"#;
        let value = check_args(&inputs(), args).unwrap();
        assert_eq!(value["Interval"], serde_json::json!(1.0));
        assert!(check_args(&inputs(), "{}").is_ok());
    }

    #[test]
    fn refuses_lenient_spellings_naming_the_field() {
        let problems = check_args(
            &inputs(),
            r#"{"Times":3.0,"Interval":10,"On":true,"When":1635839462000,"Point":{"x":2},"Levels":[1,2,3]}"#,
        )
        .unwrap_err();
        let text = problems.join("\n");
        assert!(text.contains("`Times`: 3.0 is not an int"), "{text}");
        assert!(
            text.contains("`Interval`: 10 is a double without a decimal point"),
            "{text}"
        );
        assert!(text.contains("`On`: true is not a bool"), "{text}");
        assert!(
            text.contains("`When`: 1635839462000 is not a date"),
            "{text}"
        );
        assert!(text.contains("`Point.x`: 2 is a double without"), "{text}");
        assert!(text.contains("`Levels`: the array has 3 items"), "{text}");
        assert_eq!(problems.len(), 6, "{text}");
    }

    #[test]
    fn bounds_unknown_and_repeated_fields_are_refused() {
        let problems =
            check_args(&inputs(), r#"{"Times":30,"Nope":1,"Mode":2,"On":1,"On":0}"#).unwrap_err();
        let text = problems.join("\n");
        assert!(text.contains("`Times`: 30 is above the max 20"), "{text}");
        assert!(text.contains("`Nope`: not an input"), "{text}");
        assert!(text.contains("`On`: given twice"), "{text}");
        assert!(text.contains("`Mode`"), "{text}");
        assert_eq!(problems.len(), 4, "{text}");
    }

    #[test]
    fn args_must_be_an_object() {
        for bad in ["", "[]", r#"[{"key":"a","value":1}]"#, "1", "{", "null"] {
            assert_eq!(
                check_args(&inputs(), bad).unwrap_err(),
                [NOT_AN_OBJECT],
                "{bad}"
            );
        }
    }
}
