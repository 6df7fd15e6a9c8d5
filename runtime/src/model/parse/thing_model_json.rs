//! The platform's internal storage format, `ThingModelJson` (`QueryThingModel`), mapped
//! field by field to the same model as TSL.
//!
//! `dataType` is an upper-case string beside `dataSpecs` (numbers, text, date, array) or
//! `dataSpecsList` (bool, enum, struct); services carry `inputParams`/`outputParams` with a
//! `paraOrder`; `extendConfig` is JSON inside a string.

use serde_json::Value;

use super::cursor::{Ctx, Node};
use super::specs::{self, NumberKind, Numbers};
use super::tsl::list;
use super::{expected_event_method, expected_service_method, Nesting, Skeleton};
use crate::model::validate;
use crate::model::{
    AccessMode, ArraySpec, BoolSpec, CallType, DataType, EnumSpec, EnumValue, Event, EventType,
    Format, Param, Problem, Property, Service, StructSpec,
};

pub(super) fn module(ctx: &mut Ctx, root: &Node) -> Skeleton {
    let version = root
        .get("_ppk")
        .and_then(|ppk| ctx.opt_str(&ppk, "version"));
    Skeleton {
        format: Format::ThingModelJson,
        product_key: ctx.opt_str(root, "productKey"),
        schema: None,
        version,
        module_id: ctx.opt_str(root, "functionBlockId"),
        module_name: ctx.opt_text(root, "functionBlockName"),
        properties: list(ctx, root, "properties", property),
        events: list(ctx, root, "events", event),
        services: list(ctx, root, "services", service),
        function_blocks: Vec::new(),
    }
}

fn property(ctx: &mut Ctx, node: &Node) -> Option<Property> {
    let identifier = ctx.req_str(node, "identifier");
    let access = match ctx.opt_str(node, "rwFlag").as_deref() {
        None | Some("READ_WRITE") => AccessMode::ReadWrite,
        Some("READ_ONLY") => AccessMode::ReadOnly,
        Some("WRITE_ONLY") => AccessMode::WriteOnly,
        Some(other) => {
            ctx.error(
                &format!("{}/rwFlag", node.ptr),
                Problem::UnknownKeyword {
                    field: "rwFlag",
                    value: other.to_string(),
                    expected: "`READ_ONLY`, `READ_WRITE` or `WRITE_ONLY`",
                },
            );
            AccessMode::ReadWrite
        }
    };
    extend_config(ctx, node);
    let data_type = typed(ctx, node, "dataType", Nesting::Top);
    Some(Property {
        wire_identifier: String::new(),
        name: ctx.opt_text(node, "name"),
        desc: ctx.opt_text(node, "description"),
        access,
        required: ctx.flag(node, "required"),
        data_type: data_type?,
        identifier: identifier?,
    })
}

fn event(ctx: &mut Ctx, node: &Node) -> Option<Event> {
    let identifier = ctx.req_str(node, "identifier")?;
    let kind = match ctx.opt_str(node, "eventType").as_deref() {
        None | Some("INFO_EVENT_TYPE") => EventType::Info,
        Some("ALERT_EVENT_TYPE") => EventType::Alert,
        Some("ERROR_EVENT_TYPE") => EventType::Error,
        Some(other) => {
            ctx.error(
                &format!("{}/eventType", node.ptr),
                Problem::UnknownKeyword {
                    field: "eventType",
                    value: other.to_string(),
                    expected: "`INFO_EVENT_TYPE`, `ALERT_EVENT_TYPE` or `ERROR_EVENT_TYPE`",
                },
            );
            EventType::Info
        }
    };
    // The field table spells the outputs `outputdata`; the doc's demo has `outputData`
    // and `outputParams`. Take the first present.
    let key = ["outputParams", "outputData", "outputdata"]
        .into_iter()
        .find(|k| node.get(k).is_some())
        .unwrap_or("outputParams");
    Some(Event {
        wire_identifier: String::new(),
        name: name(ctx, node, "eventName"),
        desc: ctx.opt_text(node, "description"),
        kind,
        required: ctx.flag(node, "required"),
        method: expected_event_method(&identifier),
        outputs: params(ctx, node, key),
        identifier,
    })
}

fn service(ctx: &mut Ctx, node: &Node) -> Option<Service> {
    let identifier = ctx.req_str(node, "identifier")?;
    let call_type = match ctx.opt_str(node, "callType").as_deref() {
        None | Some("ASYNC") | Some("async") => CallType::Async,
        Some("SYNC") | Some("sync") => CallType::Sync,
        Some(other) => {
            ctx.error(
                &format!("{}/callType", node.ptr),
                Problem::UnknownKeyword {
                    field: "callType",
                    value: other.to_string(),
                    expected: "`ASYNC` or `SYNC`",
                },
            );
            CallType::Async
        }
    };
    Some(Service {
        wire_identifier: String::new(),
        name: name(ctx, node, "serviceName"),
        desc: ctx.opt_text(node, "description"),
        required: ctx.flag(node, "required"),
        call_type,
        method: expected_service_method(&identifier),
        inputs: params(ctx, node, "inputParams"),
        input_names: Vec::new(),
        outputs: params(ctx, node, "outputParams"),
        identifier,
    })
}

/// `eventName`/`serviceName`, or `name` in hand-written files.
fn name(ctx: &mut Ctx, node: &Node, key: &str) -> Option<String> {
    ctx.opt_text(node, key)
        .or_else(|| ctx.opt_text(node, "name"))
}

/// Parameters in `paraOrder` (0-based); those without one keep their place at the end.
fn params(ctx: &mut Ctx, node: &Node, key: &str) -> Vec<Param> {
    let mut ordered: Vec<(String, (u64, Param))> = list(ctx, node, key, |ctx, child| {
        let order = child
            .get("paraOrder")
            .and_then(|o| o.value.as_u64())
            .unwrap_or(u64::MAX);
        let identifier = ctx.req_str(child, "identifier");
        let data_type = typed(ctx, child, "dataType", Nesting::Top);
        Some((
            order,
            Param {
                name: ctx.opt_text(child, "name"),
                desc: ctx.opt_text(child, "description"),
                data_type: data_type?,
                identifier: identifier?,
            },
        ))
    });
    // A stable sort keeps the file's order among equal or missing `paraOrder`s.
    ordered.sort_by_key(|(_, (order, _))| *order);
    let located: Vec<(String, Param)> = ordered.into_iter().map(|(ptr, (_, p))| (ptr, p)).collect();
    validate::unique_params(ctx, located)
}

/// `extendConfig` is protocol mapping the generator does not use, but it must be JSON text.
fn extend_config(ctx: &mut Ctx, node: &Node) {
    let Some(config) = node.get("extendConfig") else {
        return;
    };
    match config.value {
        Value::String(text) if text.trim().is_empty() => {}
        Value::String(text) => {
            if let Err(err) = serde_json::from_str::<Value>(text) {
                ctx.warn(
                    &config.ptr,
                    Problem::InvalidExtendConfig {
                        reason: err.to_string(),
                    },
                );
            }
        }
        Value::Object(_) => {}
        _ => ctx.wrong_type(&config, "JSON text in a string"),
    }
}

/// The type named by `node[type_key]` with its `dataSpecs` or `dataSpecsList`.
fn typed(ctx: &mut Ctx, node: &Node, type_key: &'static str, nesting: Nesting) -> Option<DataType> {
    let name = ctx.req_str(node, type_key)?;
    let type_ptr = format!("{}/{type_key}", node.ptr);
    let specs = node.get("dataSpecs");
    let list = node.get("dataSpecsList");
    if specs.is_some() && list.is_some() {
        ctx.error(&node.ptr, Problem::BothDataSpecs);
    }
    let lower = name.to_ascii_lowercase();
    let dt = match lower.as_str() {
        "int" => DataType::Int(specs::number_spec(
            ctx,
            specs.as_ref(),
            NumberKind::Int,
            Numbers::StringsOrNumbers,
        )),
        "float" => DataType::Float(specs::number_spec(
            ctx,
            specs.as_ref(),
            NumberKind::Float,
            Numbers::StringsOrNumbers,
        )),
        "double" => DataType::Double(specs::number_spec(
            ctx,
            specs.as_ref(),
            NumberKind::Float,
            Numbers::StringsOrNumbers,
        )),
        "text" => DataType::Text(specs::text_spec(
            ctx,
            specs.as_ref(),
            Numbers::StringsOrNumbers,
        )),
        "date" => DataType::Date,
        "bool" => DataType::Bool(bool_list(ctx, list.as_ref())),
        "enum" => DataType::Enum(enum_list(ctx, node, list.as_ref())),
        "struct" | "array" => {
            if let Some(problem) = nesting.refuses(&lower) {
                ctx.error(&type_ptr, problem);
                return None;
            }
            if lower == "struct" {
                DataType::Struct(struct_list(ctx, list.as_ref()))
            } else {
                DataType::Array(array(ctx, node, specs.as_ref())?)
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

/// `[{"value": 0, "name": "off"}, {"value": 1, "name": "on"}]`, as `(key, label, pointer)`.
fn labelled_values(ctx: &mut Ctx, list: Option<&Node>) -> Vec<(i64, String, String)> {
    let Some(list) = list else {
        return Vec::new();
    };
    if !list.value.is_array() {
        ctx.wrong_type(list, "an array");
        return Vec::new();
    }
    let mut out = Vec::new();
    for item in list.items() {
        if ctx.object(&item).is_none() {
            continue;
        }
        let Some(value_node) = item.get("value") else {
            ctx.error(&item.ptr, Problem::MissingField { field: "value" });
            continue;
        };
        let key = match value_node.value {
            Value::Number(n) => n.as_i64(),
            Value::String(s) => specs::enum_key(s),
            _ => None,
        };
        let Some(key) = key else {
            ctx.error(
                &value_node.ptr,
                Problem::InvalidEnumKey {
                    key: value_node.value.to_string(),
                },
            );
            continue;
        };
        let label = ctx.opt_str(&item, "name").unwrap_or_default();
        out.push((key, label, item.ptr.clone()));
    }
    out
}

fn bool_list(ctx: &mut Ctx, list: Option<&Node>) -> BoolSpec {
    let mut spec = BoolSpec::default();
    for (key, label, ptr) in labelled_values(ctx, list) {
        match key {
            0 => spec.false_label = Some(label),
            1 => spec.true_label = Some(label),
            _ => ctx.error(
                &ptr,
                Problem::InvalidBoolKeys {
                    keys: key.to_string(),
                },
            ),
        }
    }
    spec
}

fn enum_list(ctx: &mut Ctx, node: &Node, list: Option<&Node>) -> EnumSpec {
    let mut values: Vec<EnumValue> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (value, label, ptr) in labelled_values(ctx, list) {
        if !seen.insert(value) {
            ctx.error(&ptr, Problem::DuplicateEnumKey { key: value });
        } else {
            values.push(EnumValue { value, label });
        }
    }
    if values.is_empty() && list.is_none() {
        ctx.warn(&node.ptr, Problem::EnumWithoutValues);
    }
    EnumSpec { values }
}

/// Struct members: `{identifier, name, childDataType, childName, dataSpecs|dataSpecsList}`.
fn struct_list(ctx: &mut Ctx, list: Option<&Node>) -> StructSpec {
    let Some(list) = list else {
        return StructSpec::default();
    };
    if !list.value.is_array() {
        ctx.wrong_type(list, "an array of members");
        return StructSpec::default();
    }
    let mut members = Vec::new();
    for item in list.items() {
        if ctx.object(&item).is_none() {
            continue;
        }
        let identifier = ctx.req_str(&item, "identifier");
        let data_type = typed(ctx, &item, "childDataType", Nesting::StructMember);
        if let (Some(identifier), Some(data_type)) = (identifier, data_type) {
            members.push((
                item.ptr.clone(),
                Param {
                    identifier,
                    name: ctx
                        .opt_text(&item, "name")
                        .or_else(|| ctx.opt_text(&item, "childName")),
                    desc: ctx.opt_text(&item, "description"),
                    data_type,
                },
            ));
        }
    }
    StructSpec {
        members: validate::unique_params(ctx, members),
    }
}

/// `dataSpecs: {dataType: "ARRAY", size, childDataType, dataSpecs|dataSpecsList}`.
fn array(ctx: &mut Ctx, node: &Node, specs: Option<&Node>) -> Option<ArraySpec> {
    let Some(specs) = specs else {
        ctx.error(&node.ptr, Problem::MissingField { field: "dataSpecs" });
        return None;
    };
    ctx.object(specs)?;
    let size = specs
        .get("size")
        .and_then(|size| specs::array_size(ctx, &size, Numbers::StringsOrNumbers));
    let item = typed(ctx, specs, "childDataType", Nesting::ArrayItem)?;
    Some(ArraySpec {
        size,
        item: Box::new(item),
    })
}
