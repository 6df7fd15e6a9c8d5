//! TSL as the console exports it and `GetThingModelTsl` returns it, including simplified
//! TSL, legacy 2018 variants and fragments without specs.

use serde_json::Value;

use super::cursor::{Ctx, Node};
use super::specs::{self, NumberKind, Numbers};
use super::{expected_event_method, expected_service_method, Nesting, Skeleton};
use crate::model::validate;
use crate::model::{
    AccessMode, ArraySpec, BoolSpec, CallType, DataType, EnumSpec, EnumValue, Event, EventType,
    Format, FunctionBlock, Param, Problem, Property, Service, StructSpec,
};

/// Reads a TSL document (already known not to be ThingModelJson).
pub(super) fn module(ctx: &mut Ctx, root: &Node) -> Skeleton {
    let profile = root.get("profile");
    let product_key = profile.as_ref().and_then(|p| ctx.opt_str(p, "productKey"));
    let version = profile.as_ref().and_then(|p| ctx.opt_str(p, "version"));
    let module_id = ctx.opt_str(root, "functionBlockId");
    let module_name = ctx.opt_text(root, "functionBlockName");

    let properties = list(ctx, root, "properties", property);
    let events = list(ctx, root, "events", event);
    let services = list(ctx, root, "services", service);
    let function_blocks = list(ctx, root, "functionBlocks", |ctx, node| {
        let id = ctx.req_str(node, "functionBlockId")?;
        Some(FunctionBlock {
            id,
            name: ctx.opt_text(node, "functionBlockName"),
        })
    })
    .into_iter()
    .map(|(_, block)| block)
    .collect();

    let format = if is_simplified(root) {
        Format::SimplifiedTsl
    } else {
        Format::Tsl
    };
    Skeleton {
        format,
        product_key,
        schema: ctx.opt_str(root, "schema"),
        version,
        module_id,
        module_name,
        properties,
        events,
        services,
        function_blocks,
    }
}

/// Simplified TSL has neither schema nor profile, and no item has a name.
fn is_simplified(root: &Node) -> bool {
    if root.has("schema") || root.has("profile") {
        return false;
    }
    ["properties", "events", "services"].iter().all(|key| {
        root.get(key)
            .map(|list| list.items().all(|item| !item.has("name")))
            .unwrap_or(true)
    })
}

/// The objects of the array `node[key]`, read by `item`, each with its JSON pointer.
pub(super) fn list<'a, T>(
    ctx: &mut Ctx,
    node: &Node<'a>,
    key: &str,
    mut item: impl FnMut(&mut Ctx, &Node<'a>) -> Option<T>,
) -> Vec<(String, T)> {
    let Some(array) = ctx.array(node, key) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for child in array.items() {
        if ctx.object(&child).is_some() {
            if let Some(value) = item(ctx, &child) {
                out.push((child.ptr.clone(), value));
            }
        }
    }
    out
}

fn property(ctx: &mut Ctx, node: &Node) -> Option<Property> {
    let identifier = ctx.req_str(node, "identifier");
    let access = match ctx.opt_str(node, "accessMode").as_deref() {
        None => AccessMode::ReadWrite,
        Some("r") => AccessMode::ReadOnly,
        Some("rw") => AccessMode::ReadWrite,
        Some("w") => AccessMode::WriteOnly,
        Some(other) => {
            ctx.error(
                &format!("{}/accessMode", node.ptr),
                Problem::UnknownKeyword {
                    field: "accessMode",
                    value: other.to_string(),
                    expected: "`r`, `rw` or `w`",
                },
            );
            AccessMode::ReadWrite
        }
    };
    let data_type = data_type_field(ctx, node, Nesting::Top);
    Some(Property {
        wire_identifier: String::new(),
        name: ctx.opt_text(node, "name"),
        desc: ctx.opt_text(node, "desc"),
        access,
        required: ctx.flag(node, "required"),
        data_type: data_type?,
        identifier: identifier?,
    })
}

fn event(ctx: &mut Ctx, node: &Node) -> Option<Event> {
    let identifier = ctx.req_str(node, "identifier")?;
    let kind = match ctx.opt_str(node, "type").as_deref() {
        None | Some("info") => EventType::Info,
        Some("alert") => EventType::Alert,
        Some("error") => EventType::Error,
        Some(other) => {
            ctx.error(
                &format!("{}/type", node.ptr),
                Problem::UnknownKeyword {
                    field: "type",
                    value: other.to_string(),
                    expected: "`info`, `alert` or `error`",
                },
            );
            EventType::Info
        }
    };
    let expected = expected_event_method(&identifier);
    let method = checked_method(ctx, node, expected);
    Some(Event {
        wire_identifier: String::new(),
        name: ctx.opt_text(node, "name"),
        desc: ctx.opt_text(node, "desc"),
        kind,
        required: ctx.flag(node, "required"),
        method,
        outputs: params(ctx, node, "outputData"),
        identifier,
    })
}

fn service(ctx: &mut Ctx, node: &Node) -> Option<Service> {
    let identifier = ctx.req_str(node, "identifier")?;
    let call_type = match ctx.opt_str(node, "callType").as_deref() {
        None | Some("async") => CallType::Async,
        Some("sync") => CallType::Sync,
        Some(other) => {
            ctx.error(
                &format!("{}/callType", node.ptr),
                Problem::UnknownKeyword {
                    field: "callType",
                    value: other.to_string(),
                    expected: "`async` or `sync`",
                },
            );
            CallType::Async
        }
    };
    let method = checked_method(ctx, node, expected_service_method(&identifier));
    // `get` lists the properties it reads as bare identifier strings.
    let mut input_names = Vec::new();
    let mut inputs = Vec::new();
    if let Some(array) = ctx.array(node, "inputData") {
        for child in array.items() {
            match child.value {
                Value::String(name) => input_names.push(name.clone()),
                Value::Object(_) => {
                    if let Some(p) = param(ctx, &child) {
                        inputs.push((child.ptr.clone(), p));
                    }
                }
                _ => ctx.wrong_type(&child, "an object or a property identifier"),
            }
        }
    }
    let inputs = validate::unique_params(ctx, inputs);
    Some(Service {
        wire_identifier: String::new(),
        name: ctx.opt_text(node, "name"),
        desc: ctx.opt_text(node, "desc"),
        required: ctx.flag(node, "required"),
        call_type,
        method,
        inputs,
        input_names,
        outputs: params(ctx, node, "outputData"),
        identifier,
    })
}

/// The `method` as written, or derived when absent; a mismatch is a warning because the
/// platform routes by identifier.
fn checked_method(ctx: &mut Ctx, node: &Node, expected: String) -> String {
    match ctx.opt_str(node, "method") {
        Some(found) if found != expected => {
            ctx.warn(
                &format!("{}/method", node.ptr),
                Problem::MethodMismatch {
                    expected: expected.clone(),
                    found: found.clone(),
                },
            );
            found
        }
        Some(found) => found,
        None => expected,
    }
}

fn params(ctx: &mut Ctx, node: &Node, key: &str) -> Vec<Param> {
    let params = list(ctx, node, key, param);
    validate::unique_params(ctx, params)
}

fn param(ctx: &mut Ctx, node: &Node) -> Option<Param> {
    let identifier = ctx.req_str(node, "identifier");
    let data_type = data_type_field(ctx, node, Nesting::Top);
    Some(Param {
        name: ctx.opt_text(node, "name"),
        desc: ctx.opt_text(node, "desc"),
        data_type: data_type?,
        identifier: identifier?,
    })
}

fn data_type_field(ctx: &mut Ctx, node: &Node, nesting: Nesting) -> Option<DataType> {
    match node.get("dataType") {
        Some(dt) => data_type(ctx, &dt, nesting),
        None => {
            ctx.error(&node.ptr, Problem::MissingField { field: "dataType" });
            None
        }
    }
}

/// `{"type": ..., "specs": ...}`.
fn data_type(ctx: &mut Ctx, node: &Node, nesting: Nesting) -> Option<DataType> {
    ctx.object(node)?;
    let name = ctx.req_str(node, "type")?;
    let specs = node.get("specs");
    let type_ptr = format!("{}/type", node.ptr);
    let lower = name.to_ascii_lowercase();
    let dt = match lower.as_str() {
        "int" => DataType::Int(specs::number_spec(
            ctx,
            specs.as_ref(),
            NumberKind::Int,
            Numbers::StringsOnly,
        )),
        "float" => DataType::Float(specs::number_spec(
            ctx,
            specs.as_ref(),
            NumberKind::Float,
            Numbers::StringsOnly,
        )),
        "double" => DataType::Double(specs::number_spec(
            ctx,
            specs.as_ref(),
            NumberKind::Float,
            Numbers::StringsOnly,
        )),
        "text" => DataType::Text(specs::text_spec(ctx, specs.as_ref(), Numbers::StringsOnly)),
        "date" => DataType::Date,
        "bool" => DataType::Bool(bool_spec(ctx, specs.as_ref())),
        "enum" => DataType::Enum(enum_spec(ctx, node, specs.as_ref())),
        "struct" | "array" => {
            if let Some(problem) = nesting.refuses(&lower) {
                ctx.error(&type_ptr, problem);
                return None;
            }
            if lower == "struct" {
                DataType::Struct(struct_spec(ctx, specs.as_ref()))
            } else {
                DataType::Array(array_spec(ctx, node, specs.as_ref())?)
            }
        }
        "long" => {
            ctx.error(&type_ptr, Problem::UnsupportedDataType { name });
            return None;
        }
        _ => {
            ctx.error(&type_ptr, Problem::UnknownDataType { name });
            return None;
        }
    };
    nesting.check_scalar(ctx, &type_ptr, &dt)?;
    Some(dt)
}

fn bool_spec(ctx: &mut Ctx, specs: Option<&Node>) -> BoolSpec {
    let Some(specs) = specs else {
        return BoolSpec::default();
    };
    let Some(map) = ctx.object(specs) else {
        return BoolSpec::default();
    };
    if map.keys().any(|k| k != "0" && k != "1") {
        let keys = map
            .keys()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(", ");
        ctx.error(&specs.ptr, Problem::InvalidBoolKeys { keys });
    }
    BoolSpec {
        false_label: ctx.opt_str(specs, "0"),
        true_label: ctx.opt_str(specs, "1"),
    }
}

fn enum_spec(ctx: &mut Ctx, node: &Node, specs: Option<&Node>) -> EnumSpec {
    let mut values: Vec<EnumValue> = Vec::new();
    let problems_before = ctx.found();
    // Only canonical keys are read (no `01`, no `-0`), so two keys meet as one number only
    // if the reader above changes; the check keeps that from going unnoticed.
    let mut seen = std::collections::HashSet::new();
    if let Some(specs) = specs {
        if let Some(map) = ctx.object(specs) {
            for (key, label) in map {
                let child = specs.child(key, label);
                let Some(value) = specs::enum_key(key) else {
                    ctx.error(&child.ptr, Problem::InvalidEnumKey { key: key.clone() });
                    continue;
                };
                let Some(label) = label.as_str() else {
                    ctx.wrong_type(&child, "a string");
                    continue;
                };
                if !seen.insert(value) {
                    ctx.error(&child.ptr, Problem::DuplicateEnumKey { key: value });
                    continue;
                }
                values.push(EnumValue {
                    value,
                    label: label.to_string(),
                });
            }
        }
    }
    // An enum whose keys were all refused already has errors; don't add a warning.
    if values.is_empty() && ctx.found() == problems_before {
        ctx.warn(&node.ptr, Problem::EnumWithoutValues);
    }
    EnumSpec { values }
}

fn struct_spec(ctx: &mut Ctx, specs: Option<&Node>) -> StructSpec {
    let members = match specs {
        Some(specs) if specs.value.is_array() => {
            let mut members = Vec::new();
            for child in specs.items() {
                if ctx.object(&child).is_none() {
                    continue;
                }
                let identifier = ctx.req_str(&child, "identifier");
                let data_type = data_type_field(ctx, &child, Nesting::StructMember);
                if let (Some(identifier), Some(data_type)) = (identifier, data_type) {
                    let member = Param {
                        identifier,
                        name: ctx.opt_text(&child, "name"),
                        desc: ctx.opt_text(&child, "desc"),
                        data_type,
                    };
                    members.push((child.ptr.clone(), member));
                }
            }
            validate::unique_params(ctx, members)
        }
        Some(specs) => {
            ctx.wrong_type(specs, "an array of members");
            Vec::new()
        }
        None => Vec::new(),
    };
    StructSpec { members }
}

fn array_spec(ctx: &mut Ctx, node: &Node, specs: Option<&Node>) -> Option<ArraySpec> {
    let Some(specs) = specs else {
        ctx.error(&node.ptr, Problem::MissingField { field: "specs" });
        return None;
    };
    ctx.object(specs)?;
    let size = specs
        .get("size")
        .and_then(|size| specs::array_size(ctx, &size, Numbers::StringsOnly));
    let Some(item) = specs.get("item") else {
        ctx.error(&specs.ptr, Problem::MissingField { field: "item" });
        return None;
    };
    let item = data_type(ctx, &item, Nesting::ArrayItem)?;
    Some(ArraySpec {
        size,
        item: Box::new(item),
    })
}
