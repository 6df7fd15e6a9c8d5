//! Doc lines from a model's `name`, `desc`, units and ranges, the lines of the items the
//! plan adds around them (setters, constants, handle methods), and the file header. Free
//! text goes through [`doc_text`] so nothing the model says can break rustdoc or the build.

use tsl_runtime::model::{Bound, DataType, Model, NumberSpec};

use crate::doc::{code_span, comment_text, doc_text};
use crate::ir::ProductDocs;

/// The doc lines of the items a product key adds.
pub fn product(product_key: &str) -> ProductDocs {
    let product = code_span(product_key);
    ProductDocs {
        constant: vec!["The product key of the model.".to_string()],
        device_named: vec![format!(
            "The device `device_name` of product {product}, reached through `cloud`."
        )],
        fleet_named: vec![format!(
            "The devices of product {product}, reached through `cloud`."
        )],
    }
}

/// A service's method on `Device`: its docs, then what it returns, in the same paragraph
/// as the kind of call that ends them.
pub fn device_call(mut docs: Vec<String>, sync: bool) -> Vec<String> {
    docs.push(if sync {
        "Returns the reply, typed; a device error code is `Error::Device`.".to_string()
    } else {
        "Returns once the platform accepted the call, with its message id.".to_string()
    });
    docs
}

/// A service's method on `Fleet`: the docs' first line (the name), then what the call
/// does; the rest of the docs are on the `Device` method of the same name, which the
/// generated file has beside it.
pub fn fleet_call(docs: &[String]) -> Vec<String> {
    let mut lines: Vec<String> = docs.iter().take(1).cloned().collect();
    lines.push(String::new());
    lines.push(
        "Calls it on every device in `device_names`; the report accounts for every device."
            .to_string(),
    );
    lines.push("The service is described on `Device`'s method of the same name.".to_string());
    lines
}

/// A property set's setter for the property `wire`.
pub fn setter(wire: &str) -> Vec<String> {
    vec![format!("Sets `{wire}`.")]
}

/// The constant holding the property `wire`'s identifier.
pub fn wire_constant(wire: &str) -> Vec<String> {
    vec![format!("The identifier of `{wire}` on the wire.")]
}

/// The `IDENTIFIER` constant of a service's or event's struct.
pub fn identifier(wire: &str) -> Vec<String> {
    vec![format!(
        "`{wire}`: the service's or event's identifier on the wire."
    )]
}

/// An enum member: its key and label.
pub fn variant(key: i64, label: &str) -> Vec<String> {
    vec![format!("`{key}`: {}", doc_text(label))]
}

/// `name` and `desc` as doc lines: the name as a heading line, then the description.
pub fn name_and_desc(name: Option<&str>, identifier: &str, desc: Option<&str>) -> Vec<String> {
    let mut lines = Vec::new();
    let name = name.map(doc_text).filter(|n| !n.is_empty());
    match name {
        Some(name) if name != identifier => lines.push(format!("{name} (`{identifier}`)")),
        _ => lines.push(format!("`{identifier}`")),
    }
    if let Some(desc) = desc.map(doc_text).filter(|d| !d.is_empty()) {
        lines.push(String::new());
        lines.extend(desc.lines().map(str::to_string));
    }
    lines
}

/// A field's docs: its name line with what values it takes after a colon (`Level
/// (`level`): int from `0` to `10`.`), then its description. One summary line rather
/// than a paragraph each, as a field's docs are read in lists.
pub fn with_type(mut lines: Vec<String>, data_type: &DataType) -> Vec<String> {
    let type_line = type_line(data_type);
    let mut chars = type_line.chars();
    let lowered = match chars.next() {
        Some(first) => first.to_ascii_lowercase().to_string() + chars.as_str(),
        None => String::new(),
    };
    match lines.first_mut() {
        Some(first) => *first = format!("{first}: {lowered}"),
        None => lines.push(type_line),
    }
    lines
}

/// One line saying what values a type takes: `int from 0 to 100, step 1, in % (百分比)`.
pub fn type_line(data_type: &DataType) -> String {
    match data_type {
        DataType::Int(spec) => number_line("int", spec),
        DataType::Float(spec) => number_line("float", spec),
        DataType::Double(spec) => number_line("double", spec),
        DataType::Text(spec) => match spec.length {
            Some(length) => format!("Text of at most {length} characters."),
            None => "Text.".to_string(),
        },
        DataType::Date => "Date: UTC epoch milliseconds, sent as a string.".to_string(),
        DataType::Bool(spec) => {
            let label = |l: &Option<String>, v: &str| match l.as_deref().map(doc_text) {
                Some(l) if !l.is_empty() => format!("{v} = {l}"),
                _ => v.to_string(),
            };
            format!(
                "Bool, sent as {} or {}.",
                label(&spec.false_label, "0"),
                label(&spec.true_label, "1")
            )
        }
        DataType::Enum(spec) if spec.values.is_empty() => {
            "Enum without listed values: any integer key.".to_string()
        }
        DataType::Enum(_) => "Enum, sent as its integer key.".to_string(),
        DataType::Struct(spec) => format!("Struct of {} members.", spec.members.len()),
        DataType::Array(spec) => {
            let item = match spec.item.as_ref() {
                DataType::Struct(_) => "structs".to_string(),
                other => format!("{}s", other.tsl_name()),
            };
            match spec.size {
                Some(size) => format!("Array of at most {size} {item}."),
                None => format!("Array of {item}."),
            }
        }
    }
}

fn number_line(kind: &str, spec: &NumberSpec) -> String {
    let mut line = match (&spec.min, &spec.max) {
        (Some(min), Some(max)) => format!("{kind} from {} to {}", show(min), show(max)),
        (Some(min), None) => format!("{kind} of at least {}", show(min)),
        (None, Some(max)) => format!("{kind} of at most {}", show(max)),
        (None, None) => kind.to_string(),
    };
    if let Some(step) = &spec.step {
        line.push_str(&format!(", step {}", show(step)));
    }
    let unit = spec.unit.as_deref().map(doc_text).filter(|u| !u.is_empty());
    let unit_name = spec
        .unit_name
        .as_deref()
        .map(doc_text)
        .filter(|u| !u.is_empty());
    match (unit, unit_name) {
        (Some(unit), Some(name)) if unit != name => line.push_str(&format!(", in {unit} ({name})")),
        (Some(unit), _) => line.push_str(&format!(", in {unit}")),
        (None, Some(name)) => line.push_str(&format!(", in {name}")),
        (None, None) => {}
    }
    let mut chars = line.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase());
    format!(
        "{}{}.",
        first.map(String::from).unwrap_or_default(),
        chars.as_str()
    )
}

/// A bound as the model wrote it, in code format so `1E3` or `-4.9E-324` read as numbers.
/// The text parsed as a number, so it holds no backtick or line break, and nothing in a
/// code span needs escaping.
fn show(bound: &Bound) -> String {
    format!("`{}`", bound.text().trim())
}

/// The doc lines of the generated items as a whole: the product, each module's counts.
pub fn summary(model: &Model) -> Vec<String> {
    let product = model.product_key.as_deref();
    let mut lines: Vec<String> = product
        .map(|pk| format!("Product {}.", code_span(pk)))
        .into_iter()
        .collect();
    lines.extend(modules(model, |id| match id {
        None => "- default module".to_string(),
        Some(id) => format!("- module {}", code_span(id)),
    }));
    lines
}

/// The plain `//` header's lines after the generator's: the same facts as [`summary`],
/// without Markdown (a comment is not rustdoc), after an empty line when a product is named.
pub fn header(model: &Model) -> Vec<String> {
    let product = model.product_key.as_deref();
    let mut lines: Vec<String> = product
        .map(|pk| vec![String::new(), format!("Product `{}`.", comment_text(pk))])
        .unwrap_or_default();
    lines.extend(modules(model, |id| match id {
        None => "Default module".to_string(),
        Some(id) => format!("Module `{}`", comment_text(id)),
    }));
    lines
}

/// A line per module: `which` names it, then its counts.
fn modules(model: &Model, which: impl Fn(Option<&str>) -> String) -> Vec<String> {
    model
        .modules
        .iter()
        .map(|module| {
            format!(
                "{}: {} properties, {} services, {} events.",
                which(module.id.as_deref()),
                module.properties.len(),
                module.services.len(),
                module.events.len()
            )
        })
        .collect()
}

/// The message enum's variant of the event `wire`.
pub fn event_variant(wire: &str) -> Vec<String> {
    vec![format!(
        "The event `{wire}`, its output as its generated struct."
    )]
}

/// The message enum's variant of a successful reply to the service `wire`.
pub fn reply_variant(wire: &str) -> Vec<String> {
    vec![format!(
        "A successful reply to the service `{wire}`; `reply.request_id` is the MessageId its call returned."
    )]
}

/// `Device`'s method calling the service `wire` (as `method` does) with a handle on the
/// reply; what the handle does is said once, on `tsl_runtime::cloud::DeviceCalls::with_reply`.
pub fn with_reply(wire: &str, method: &str) -> Vec<String> {
    vec![
        format!(
            "Calls `{wire}` as `{}` does, then resolves to the device's reply, its output typed,",
            method.trim_start_matches("r#")
        ),
        "or to `NoReply` after `timeout` (see `tsl_runtime::cloud::DeviceCalls::with_reply`)."
            .to_string(),
    ]
}

/// `Fleet`'s method calling the service `wire` (as `method` does) and merging the replies;
/// what it waits for is said once, on `tsl_runtime::cloud::FleetCalls::with_replies`.
pub fn with_replies(wire: &str, method: &str) -> Vec<String> {
    vec![
        format!(
            "Calls `{wire}` on every device in `device_names` as `{}` does, then waits for",
            method.trim_start_matches("r#")
        ),
        "their replies up to `timeout` (see `tsl_runtime::cloud::FleetCalls::with_replies`)."
            .to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use tsl_runtime::model::TextSpec;

    use super::*;

    #[test]
    fn numbers_say_range_step_and_unit() {
        let spec = NumberSpec {
            min: Bound::parse("0").ok(),
            max: Bound::parse("100").ok(),
            step: Bound::parse("0.5").ok(),
            unit: Some("%".into()),
            unit_name: Some("百分比".into()),
        };
        assert_eq!(
            type_line(&DataType::Double(spec)),
            "Double from `0` to `100`, step `0.5`, in % (百分比)."
        );
        assert_eq!(type_line(&DataType::Int(NumberSpec::default())), "Int.");
        assert_eq!(
            type_line(&DataType::Text(TextSpec { length: Some(32) })),
            "Text of at most 32 characters."
        );
    }

    #[test]
    fn names_and_descriptions_are_sanitised() {
        let lines = name_and_desc(Some("温度"), "temp", Some("line one\nline <two>"));
        assert_eq!(lines[0], "温度 (`temp`)");
        assert_eq!(lines[1], "");
        assert_eq!(lines.len(), 4);
        assert_eq!(name_and_desc(Some("temp"), "temp", None), vec!["`temp`"]);
    }
}
