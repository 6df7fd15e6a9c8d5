//! A [`Module`] written back in the shapes the platform answers with: TSL
//! (`GetThingModelTsl`'s `TslStr`), simplified TSL (`Simple=true`) and the internal
//! `ThingModelJson` (`QueryThingModel`). Each reads back through [`Model::parse`] into the
//! same module (tests hold them to it), with two exceptions ThingModelJson cannot carry:
//! the property names listed by the `get` service (strings where ThingModelJson has only
//! parameter objects) and the default module's `functionBlocks` list; and a `method` that
//! differs from the one the identifier implies, which ThingModelJson does not store.
//!
//! [`Model::parse`]: crate::model::Model::parse

use serde_json::{json, Map, Value};

use crate::model::{
    AccessMode, CallType, DataType, Event, EventType, Module, NumberSpec, Param, Property, Service,
};

/// The schema URL modern exports name.
const SCHEMA: &str = "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json";

/// The module as full TSL, as `GetThingModelTsl` returns it in `TslStr`.
pub fn to_tsl(product_key: &str, module: &Module) -> Value {
    let mut root = Map::new();
    root.insert(
        "schema".into(),
        json!(module.source.schema.as_deref().unwrap_or(SCHEMA)),
    );
    let mut profile = Map::new();
    profile.insert("productKey".into(), json!(product_key));
    if let Some(version) = &module.source.version {
        profile.insert("version".into(), json!(version));
    }
    root.insert("profile".into(), Value::Object(profile));
    if let Some(id) = &module.id {
        root.insert("functionBlockId".into(), json!(id));
    }
    if let Some(name) = &module.name {
        root.insert("functionBlockName".into(), json!(name));
    }
    root.insert(
        "properties".into(),
        module.properties.iter().map(tsl_property).collect(),
    );
    root.insert(
        "events".into(),
        module.events.iter().map(tsl_event).collect(),
    );
    root.insert(
        "services".into(),
        module.services.iter().map(tsl_service).collect(),
    );
    if !module.function_blocks.is_empty() {
        let blocks = module
            .function_blocks
            .iter()
            .map(|block| {
                let mut entry = Map::new();
                entry.insert("functionBlockId".into(), json!(block.id));
                if let Some(name) = &block.name {
                    entry.insert("functionBlockName".into(), json!(name));
                }
                entry.insert("productKey".into(), json!(product_key));
                Value::Object(entry)
            })
            .collect();
        root.insert("functionBlocks".into(), blocks);
    }
    Value::Object(root)
}

/// The module as simplified TSL (`Simple=true`): only `identifier` and `dataType` (with the
/// specs a struct or an array cannot do without) per item.
pub fn to_simplified_tsl(module: &Module) -> Value {
    let simple_params = |params: &[Param]| -> Value {
        params
            .iter()
            .map(|p| json!({"identifier": p.identifier, "dataType": simple_type(&p.data_type)}))
            .collect()
    };
    let mut root = Map::new();
    if let Some(id) = &module.id {
        root.insert("functionBlockId".into(), json!(id));
    }
    root.insert(
        "properties".into(),
        module
            .properties
            .iter()
            .map(|p| json!({"identifier": p.identifier, "dataType": simple_type(&p.data_type)}))
            .collect(),
    );
    root.insert(
        "events".into(),
        module
            .events
            .iter()
            .map(|e| json!({"identifier": e.identifier, "outputData": simple_params(&e.outputs)}))
            .collect(),
    );
    root.insert(
        "services".into(),
        module
            .services
            .iter()
            .map(|s| {
                let mut inputs: Vec<Value> = s.input_names.iter().map(|n| json!(n)).collect();
                if let Value::Array(params) = simple_params(&s.inputs) {
                    inputs.extend(params);
                }
                json!({
                    "identifier": s.identifier,
                    "inputData": inputs,
                    "outputData": simple_params(&s.outputs),
                })
            })
            .collect(),
    );
    Value::Object(root)
}

/// The module as `ThingModelJson`, as `QueryThingModel` returns it (keys sorted, like the
/// platform's).
pub fn to_thing_model_json(product_key: &str, module: &Module) -> Value {
    let mut root = Map::new();
    if let Some(version) = &module.source.version {
        root.insert("_ppk".into(), json!({ "version": version }));
    }
    root.insert("productKey".into(), json!(product_key));
    if let Some(id) = &module.id {
        root.insert("functionBlockId".into(), json!(id));
    }
    if let Some(name) = &module.name {
        root.insert("functionBlockName".into(), json!(name));
    }
    root.insert(
        "properties".into(),
        module
            .properties
            .iter()
            .map(|p| tmj_property(product_key, p))
            .collect(),
    );
    root.insert(
        "events".into(),
        module.events.iter().map(tmj_event).collect(),
    );
    root.insert(
        "services".into(),
        module.services.iter().map(tmj_service).collect(),
    );
    Value::Object(root)
}

fn insert_opt(map: &mut Map<String, Value>, key: &str, value: &Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), json!(value));
    }
}

// ---- TSL ----

fn tsl_property(p: &Property) -> Value {
    let mut map = Map::new();
    map.insert("identifier".into(), json!(p.identifier));
    insert_opt(&mut map, "name", &p.name);
    map.insert(
        "accessMode".into(),
        json!(match p.access {
            AccessMode::ReadOnly => "r",
            AccessMode::ReadWrite => "rw",
            AccessMode::WriteOnly => "w",
        }),
    );
    map.insert("required".into(), json!(p.required));
    insert_opt(&mut map, "desc", &p.desc);
    map.insert("dataType".into(), tsl_type(&p.data_type));
    Value::Object(map)
}

fn tsl_event(e: &Event) -> Value {
    let mut map = Map::new();
    map.insert("identifier".into(), json!(e.identifier));
    insert_opt(&mut map, "name", &e.name);
    insert_opt(&mut map, "desc", &e.desc);
    map.insert(
        "type".into(),
        json!(match e.kind {
            EventType::Info => "info",
            EventType::Alert => "alert",
            EventType::Error => "error",
        }),
    );
    map.insert("required".into(), json!(e.required));
    map.insert("method".into(), json!(e.method));
    map.insert("outputData".into(), tsl_params(&e.outputs));
    Value::Object(map)
}

fn tsl_service(s: &Service) -> Value {
    let mut map = Map::new();
    map.insert("identifier".into(), json!(s.identifier));
    insert_opt(&mut map, "name", &s.name);
    insert_opt(&mut map, "desc", &s.desc);
    map.insert("required".into(), json!(s.required));
    map.insert(
        "callType".into(),
        json!(match s.call_type {
            CallType::Sync => "sync",
            CallType::Async => "async",
        }),
    );
    map.insert("method".into(), json!(s.method));
    let mut inputs: Vec<Value> = s.input_names.iter().map(|n| json!(n)).collect();
    if let Value::Array(params) = tsl_params(&s.inputs) {
        inputs.extend(params);
    }
    map.insert("inputData".into(), Value::Array(inputs));
    map.insert("outputData".into(), tsl_params(&s.outputs));
    Value::Object(map)
}

fn tsl_params(params: &[Param]) -> Value {
    params.iter().map(tsl_param).collect()
}

fn tsl_param(p: &Param) -> Value {
    let mut map = Map::new();
    map.insert("identifier".into(), json!(p.identifier));
    insert_opt(&mut map, "name", &p.name);
    insert_opt(&mut map, "desc", &p.desc);
    map.insert("dataType".into(), tsl_type(&p.data_type));
    Value::Object(map)
}

fn tsl_number(spec: &NumberSpec) -> Value {
    let mut map = Map::new();
    for (key, bound) in [("min", &spec.min), ("max", &spec.max), ("step", &spec.step)] {
        if let Some(bound) = bound {
            map.insert(key.into(), json!(bound.text()));
        }
    }
    insert_opt(&mut map, "unit", &spec.unit);
    insert_opt(&mut map, "unitName", &spec.unit_name);
    Value::Object(map)
}

fn tsl_type(data_type: &DataType) -> Value {
    let specs = match data_type {
        DataType::Int(spec) | DataType::Float(spec) | DataType::Double(spec) => tsl_number(spec),
        DataType::Text(spec) => match spec.length {
            Some(length) => json!({ "length": length.to_string() }),
            None => json!({}),
        },
        DataType::Date => json!({}),
        DataType::Bool(spec) => {
            let mut map = Map::new();
            insert_opt(&mut map, "0", &spec.false_label);
            insert_opt(&mut map, "1", &spec.true_label);
            Value::Object(map)
        }
        DataType::Enum(spec) => Value::Object(
            spec.values
                .iter()
                .map(|v| (v.value.to_string(), json!(v.label)))
                .collect(),
        ),
        DataType::Struct(spec) => tsl_params(&spec.members),
        DataType::Array(spec) => {
            let mut map = Map::new();
            if let Some(size) = spec.size {
                map.insert("size".into(), json!(size.to_string()));
            }
            map.insert("item".into(), tsl_type(&spec.item));
            Value::Object(map)
        }
    };
    json!({ "type": data_type.tsl_name(), "specs": specs })
}

fn simple_type(data_type: &DataType) -> Value {
    match data_type {
        DataType::Struct(spec) => {
            let members: Vec<Value> = spec
                .members
                .iter()
                .map(|m| json!({"identifier": m.identifier, "dataType": simple_type(&m.data_type)}))
                .collect();
            json!({ "type": "struct", "specs": members })
        }
        DataType::Array(spec) => {
            let mut map = Map::new();
            if let Some(size) = spec.size {
                map.insert("size".into(), json!(size.to_string()));
            }
            map.insert("item".into(), simple_type(&spec.item));
            json!({ "type": "array", "specs": map })
        }
        other => json!({ "type": other.tsl_name() }),
    }
}

// ---- ThingModelJson ----

fn tmj_name(data_type: &DataType) -> &'static str {
    match data_type {
        DataType::Int(_) => "INT",
        DataType::Float(_) => "FLOAT",
        DataType::Double(_) => "DOUBLE",
        DataType::Text(_) => "TEXT",
        DataType::Date => "DATE",
        DataType::Bool(_) => "BOOL",
        DataType::Enum(_) => "ENUM",
        DataType::Struct(_) => "STRUCT",
        DataType::Array(_) => "ARRAY",
    }
}

/// Adds `type_key` (`dataType` or `childDataType`) and `dataSpecs` or `dataSpecsList`.
fn tmj_type(map: &mut Map<String, Value>, type_key: &str, data_type: &DataType) {
    let name = tmj_name(data_type);
    map.insert(type_key.into(), json!(name));
    match data_type {
        DataType::Int(spec) | DataType::Float(spec) | DataType::Double(spec) => {
            let mut specs = match tsl_number(spec) {
                Value::Object(specs) => specs,
                _ => Map::new(),
            };
            specs.insert("dataType".into(), json!(name));
            specs.insert("custom".into(), json!(true));
            map.insert("dataSpecs".into(), Value::Object(specs));
        }
        DataType::Text(spec) => {
            let mut specs = Map::new();
            specs.insert("dataType".into(), json!(name));
            if let Some(length) = spec.length {
                specs.insert("length".into(), json!(length));
            }
            map.insert("dataSpecs".into(), Value::Object(specs));
        }
        DataType::Date => {
            map.insert("dataSpecs".into(), json!({ "dataType": name }));
        }
        DataType::Bool(spec) => {
            let list: Vec<Value> = [(0, &spec.false_label), (1, &spec.true_label)]
                .into_iter()
                .filter_map(|(value, label)| {
                    label
                        .as_ref()
                        .map(|label| json!({"dataType": name, "name": label, "value": value}))
                })
                .collect();
            if !list.is_empty() {
                map.insert("dataSpecsList".into(), Value::Array(list));
            }
        }
        DataType::Enum(spec) => {
            let list: Vec<Value> = spec
                .values
                .iter()
                .map(|v| json!({"dataType": name, "name": v.label, "value": v.value}))
                .collect();
            map.insert("dataSpecsList".into(), Value::Array(list));
        }
        DataType::Struct(spec) => {
            let members: Vec<Value> = spec
                .members
                .iter()
                .map(|m| {
                    let mut member = Map::new();
                    member.insert("identifier".into(), json!(m.identifier));
                    if let Some(name) = &m.name {
                        member.insert("name".into(), json!(name));
                        member.insert("childName".into(), json!(name));
                    }
                    insert_opt(&mut member, "description", &m.desc);
                    member.insert("custom".into(), json!(true));
                    tmj_type(&mut member, "childDataType", &m.data_type);
                    Value::Object(member)
                })
                .collect();
            map.insert("dataSpecsList".into(), Value::Array(members));
        }
        DataType::Array(spec) => {
            let mut specs = Map::new();
            specs.insert("dataType".into(), json!(name));
            if let Some(size) = spec.size {
                specs.insert("size".into(), json!(size));
            }
            tmj_type(&mut specs, "childDataType", &spec.item);
            map.insert("dataSpecs".into(), Value::Object(specs));
        }
    }
}

fn tmj_property(product_key: &str, p: &Property) -> Value {
    let mut map = Map::new();
    map.insert("identifier".into(), json!(p.identifier));
    insert_opt(&mut map, "name", &p.name);
    insert_opt(&mut map, "description", &p.desc);
    map.insert(
        "rwFlag".into(),
        json!(match p.access {
            AccessMode::ReadOnly => "READ_ONLY",
            AccessMode::ReadWrite => "READ_WRITE",
            AccessMode::WriteOnly => "WRITE_ONLY",
        }),
    );
    map.insert("required".into(), json!(p.required));
    map.insert("custom".into(), json!(true));
    map.insert("productKey".into(), json!(product_key));
    tmj_type(&mut map, "dataType", &p.data_type);
    Value::Object(map)
}

fn tmj_params(params: &[Param], direction: &str) -> Value {
    params
        .iter()
        .enumerate()
        .map(|(order, p)| {
            let mut map = Map::new();
            map.insert("identifier".into(), json!(p.identifier));
            insert_opt(&mut map, "name", &p.name);
            insert_opt(&mut map, "description", &p.desc);
            map.insert("direction".into(), json!(direction));
            map.insert("paraOrder".into(), json!(order));
            tmj_type(&mut map, "dataType", &p.data_type);
            Value::Object(map)
        })
        .collect()
}

fn tmj_event(e: &Event) -> Value {
    let mut map = Map::new();
    map.insert("identifier".into(), json!(e.identifier));
    insert_opt(&mut map, "eventName", &e.name);
    insert_opt(&mut map, "description", &e.desc);
    map.insert(
        "eventType".into(),
        json!(match e.kind {
            EventType::Info => "INFO_EVENT_TYPE",
            EventType::Alert => "ALERT_EVENT_TYPE",
            EventType::Error => "ERROR_EVENT_TYPE",
        }),
    );
    map.insert("required".into(), json!(e.required));
    map.insert("custom".into(), json!(true));
    map.insert("outputData".into(), tmj_params(&e.outputs, "PARAM_OUTPUT"));
    Value::Object(map)
}

fn tmj_service(s: &Service) -> Value {
    let mut map = Map::new();
    map.insert("identifier".into(), json!(s.identifier));
    insert_opt(&mut map, "serviceName", &s.name);
    insert_opt(&mut map, "description", &s.desc);
    map.insert(
        "callType".into(),
        json!(match s.call_type {
            CallType::Sync => "SYNC",
            CallType::Async => "ASYNC",
        }),
    );
    map.insert("required".into(), json!(s.required));
    map.insert("custom".into(), json!(true));
    map.insert("inputParams".into(), tmj_params(&s.inputs, "PARAM_INPUT"));
    map.insert(
        "outputParams".into(),
        tmj_params(&s.outputs, "PARAM_OUTPUT"),
    );
    Value::Object(map)
}
