//! A synthetic console-style TSL export of a chosen size, for the generation benchmark.
//!
//! Every type TSL has is used, in a fixed cycle, and every bound depends on the item's
//! number so that no two generated types are the same: the generator cannot share them and
//! has to plan and emit all of them, as for a large real product. The file is pretty-printed
//! like a console export, and the derived `post` event and `set`/`get` services list the
//! properties as the console writes them.

use serde_json::{json, Map, Value};

/// How big a model to write.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Properties (each also in `post`, `get` and, when writable, `set`).
    pub properties: usize,
    /// Services besides `set` and `get`.
    pub services: usize,
    /// Events besides `post`.
    pub events: usize,
    /// Inputs of each service, outputs of each service, and outputs of each event.
    pub params: usize,
}

/// The size issue 3 asks for: 300 properties, 300 services of 5 inputs and 5 outputs,
/// 100 events.
pub const ISSUE_3: Size = Size {
    properties: 300,
    services: 300,
    events: 100,
    params: 5,
};

/// The kinds of value the cycle goes through: every TSL type, and an array of each item
/// type an array can hold.
const KINDS: [Kind; 13] = [
    Kind::Int,
    Kind::Float,
    Kind::Double,
    Kind::Text,
    Kind::Date,
    Kind::Bool,
    Kind::Enum,
    Kind::Struct,
    Kind::Array(Item::Int),
    Kind::Array(Item::Float),
    Kind::Array(Item::Double),
    Kind::Array(Item::Text),
    Kind::Array(Item::Struct),
];

/// Struct members are scalars, in this cycle.
const SCALARS: [Kind; 7] = [
    Kind::Int,
    Kind::Float,
    Kind::Double,
    Kind::Text,
    Kind::Date,
    Kind::Bool,
    Kind::Enum,
];

#[derive(Debug, Clone, Copy)]
enum Kind {
    Int,
    Float,
    Double,
    Text,
    Date,
    Bool,
    Enum,
    Struct,
    Array(Item),
}

#[derive(Debug, Clone, Copy)]
enum Item {
    Int,
    Float,
    Double,
    Text,
    Struct,
}

/// Identifier stems in the spellings real models use (camelCase, UpperCamel, snake_case),
/// so that the names pass through every case conversion.
const STEMS: [&str; 8] = [
    "roomTemp",
    "FanSpeed",
    "power_level",
    "Mode",
    "lightLux",
    "Battery_Voltage",
    "alarmCode",
    "target",
];

/// Chinese display names, as Chinese consoles write them.
const NAMES: [&str; 4] = ["温度", "Fan speed", "功率", "工作模式"];

/// The model text, pretty-printed like a console export.
pub fn model_json(size: Size) -> String {
    let properties: Vec<Property> = (0..size.properties).map(Property::new).collect();

    let mut events = vec![json!({
        "identifier": "post",
        "name": "post",
        "type": "info",
        "required": true,
        "desc": "属性上报",
        "method": "thing.event.property.post",
        "outputData": properties.iter().map(Property::param).collect::<Vec<_>>(),
    })];
    let kinds = ["info", "alert", "error"];
    for i in 0..size.events {
        let identifier = format!("{}Event{i}", STEMS[i % STEMS.len()]);
        events.push(json!({
            "identifier": identifier,
            "name": format!("{} event {i}", NAMES[i % NAMES.len()]),
            "type": kinds[i % kinds.len()],
            "required": false,
            "desc": format!("Synthetic event number {i}."),
            "method": format!("thing.event.{identifier}.post"),
            "outputData": params("detail", 3 * i + 1, size.params, 10_000 + i),
        }));
    }

    let writable: Vec<Value> = properties
        .iter()
        .filter(|p| p.writable)
        .map(Property::param)
        .collect();
    let mut services = vec![
        json!({
            "identifier": "set",
            "name": "set",
            "required": true,
            "callType": "async",
            "desc": "属性设置",
            "method": "thing.service.property.set",
            "inputData": writable,
            "outputData": [],
        }),
        json!({
            "identifier": "get",
            "name": "get",
            "required": true,
            "callType": "async",
            "desc": "属性获取",
            "method": "thing.service.property.get",
            "inputData": properties.iter().map(|p| p.identifier.clone()).collect::<Vec<_>>(),
            "outputData": properties.iter().map(Property::param).collect::<Vec<_>>(),
        }),
    ];
    for i in 0..size.services {
        let identifier = format!("{}Run{i}", STEMS[(i + 3) % STEMS.len()]);
        services.push(json!({
            "identifier": identifier,
            "name": format!("{} service {i}", NAMES[i % NAMES.len()]),
            "required": false,
            "callType": if i % 2 == 0 { "sync" } else { "async" },
            "desc": format!("Synthetic service number {i}."),
            "method": format!("thing.service.{identifier}"),
            "inputData": params("arg", 5 * i, size.params, 20_000 + i),
            "outputData": params("result", 5 * i + 6, size.params, 30_000 + i),
        }));
    }

    let model = json!({
        "schema": "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
        "profile": { "version": "1.5", "productKey": "a1SynthBig" },
        "properties": properties.iter().map(Property::definition).collect::<Vec<_>>(),
        "events": events,
        "services": services,
    });
    // Serialising a `Value` cannot fail: every key is a string.
    serde_json::to_string_pretty(&model).unwrap_or_default()
}

struct Property {
    identifier: String,
    name: String,
    writable: bool,
    data_type: Value,
}

impl Property {
    fn new(i: usize) -> Property {
        Property {
            identifier: format!("{}{i}", STEMS[i % STEMS.len()]),
            name: format!("{} {i}", NAMES[i % NAMES.len()]),
            writable: i % 4 != 3,
            data_type: data_type(KINDS[i % KINDS.len()], i),
        }
    }

    fn definition(&self) -> Value {
        json!({
            "identifier": self.identifier,
            "name": self.name,
            "accessMode": if self.writable { "rw" } else { "r" },
            "required": false,
            "desc": format!("Synthetic property `{}`.", self.identifier),
            "dataType": self.data_type,
        })
    }

    /// As the `post` event and the `set`/`get` services list it.
    fn param(&self) -> Value {
        json!({
            "identifier": self.identifier,
            "name": self.name,
            "dataType": self.data_type,
        })
    }
}

/// `count` parameters named `{prefix}{n}{Stem}`, their kinds continuing the cycle at
/// `first`; `seed` makes their bounds unlike any other parameter's.
fn params(prefix: &str, first: usize, count: usize, seed: usize) -> Vec<Value> {
    (0..count)
        .map(|j| {
            let stem = STEMS[(first + j) % STEMS.len()];
            let mut upper = stem.to_string();
            if let Some(c) = upper.get_mut(..1) {
                c.make_ascii_uppercase();
            }
            json!({
                "identifier": format!("{prefix}{j}{upper}"),
                "name": format!("{} {j}", NAMES[(first + j) % NAMES.len()]),
                "dataType": data_type(KINDS[(first + j) % KINDS.len()], seed * 8 + j),
            })
        })
        .collect()
}

/// A `dataType` of `kind` whose bounds depend on `seed`.
fn data_type(kind: Kind, seed: usize) -> Value {
    let n = seed % 1000;
    match kind {
        Kind::Int => json!({"type": "int", "specs": {
            "min": format!("-{n}"), "max": format!("{}", 1000 + n), "step": "1",
            "unit": "°C", "unitName": "摄氏度"}}),
        Kind::Float => json!({"type": "float", "specs": {
            "min": "0", "max": format!("{}.5", 100 + n), "step": "0.1",
            "unit": "V", "unitName": "volt"}}),
        Kind::Double => json!({"type": "double", "specs": {
            "min": format!("-{n}.25"), "max": format!("{}", 100_000 + n), "step": "0.001"}}),
        Kind::Text => json!({"type": "text", "specs": {"length": format!("{}", 32 + n)}}),
        Kind::Date => json!({"type": "date", "specs": {}}),
        Kind::Bool => json!({"type": "bool", "specs": {"0": "关", "1": "开"}}),
        Kind::Enum => {
            let mut specs = Map::new();
            specs.insert("-1".into(), json!("unknown"));
            for key in 0..=(seed % 4 + 2) {
                specs.insert(key.to_string(), json!(format!("level {key}")));
            }
            specs.insert(format!("{}", 100 + n), json!("maintenance"));
            json!({"type": "enum", "specs": specs})
        }
        Kind::Struct => json!({"type": "struct", "specs": members(seed, 4)}),
        Kind::Array(item) => {
            let item = match item {
                Item::Int => data_type(Kind::Int, seed),
                Item::Float => data_type(Kind::Float, seed),
                Item::Double => data_type(Kind::Double, seed),
                Item::Text => data_type(Kind::Text, seed),
                Item::Struct => json!({"type": "struct", "specs": members(seed + 3, 3)}),
            };
            json!({"type": "array", "specs": {"size": format!("{}", 8 + seed % 120), "item": item}})
        }
    }
}

/// `count` scalar members of a struct.
fn members(seed: usize, count: usize) -> Vec<Value> {
    (0..count)
        .map(|k| {
            let kind = SCALARS[(seed + k) % SCALARS.len()];
            json!({
                "identifier": format!("{}_{k}", STEMS[(seed + k) % STEMS.len()]),
                "name": format!("member {k}"),
                "dataType": data_type(kind, seed + k),
            })
        })
        .collect()
}
