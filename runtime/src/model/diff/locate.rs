//! From an [`ItemPath`] to a JSON pointer and a `line:col` on one side.
//!
//! The model keeps no positions (diagnostics are located when they are made), so they are
//! recovered from the text the module was read from: the text is parsed again into a
//! `serde_json::Value`, each path is followed down by identifier in the shape the module was
//! written in (TSL `inputData`/`dataType.specs`, or ThingModelJson `inputParams`/`dataSpecs`),
//! and the pointers found are located in one pass over the text (`position::locate`). Looking
//! items up by identifier, not by index, keeps pointers right where the model's order is
//! not the file's (ThingModelJson parameters sorted by `paraOrder`, the `get` service's
//! identifier strings).
//!
//! A path that goes further than the text (a field that is absent, an item only the other
//! side has) stops at the deepest thing that exists: the list an item would be in, or the
//! item whose field is unset.

use std::collections::HashMap;

use serde_json::Value;

use super::change::{Field, ItemPath, Site, Step};
use super::Side;
use crate::model::position;
use crate::model::{Format, Location};

/// A module's text, parsed again.
struct Doc {
    /// The text pointers are located in (for a model inside an API response string, that
    /// string).
    text: String,
    value: Value,
    /// The pointer of the model's root in `value` (non-empty for a decoded model placed in
    /// an API response object).
    root: String,
}

/// Sites of `paths` on `side`, in order.
pub(super) fn sites(side: &Side<'_>, paths: &[&ItemPath]) -> Vec<Site> {
    let mut docs: HashMap<String, Option<Doc>> = HashMap::new();
    let mut out: Vec<Site> = Vec::with_capacity(paths.len());
    for path in paths {
        let module = side
            .model
            .module(path.module.as_deref())
            .or_else(|| side.model.modules.first());
        let Some(module) = module else {
            out.push(Site {
                origin: String::new(),
                pointer: String::new(),
                location: None,
            });
            continue;
        };
        let origin = &module.source.origin;
        let doc = docs
            .entry(origin.clone())
            .or_insert_with(|| load(side, origin));
        let present = side.model.module(path.module.as_deref()).is_some();
        let pointer = match doc {
            Some(doc) if present => {
                let shape = if module.source.format == Format::ThingModelJson {
                    Shape::ThingModelJson
                } else {
                    Shape::Tsl
                };
                resolve(doc, shape, &path.steps)
            }
            Some(doc) => doc.root.clone(),
            None => String::new(),
        };
        out.push(Site {
            origin: origin.clone(),
            pointer,
            location: None,
        });
    }
    // One pass over each text for all its pointers.
    let mut wanted: HashMap<&str, Vec<&str>> = HashMap::new();
    for site in &out {
        wanted
            .entry(site.origin.as_str())
            .or_default()
            .push(site.pointer.as_str());
    }
    let mut found: HashMap<String, HashMap<String, Location>> = HashMap::new();
    for (origin, pointers) in wanted {
        if let Some(Some(doc)) = docs.get(origin) {
            found.insert(origin.to_string(), position::locate(&doc.text, &pointers));
        }
    }
    for site in &mut out {
        site.location = found
            .get(&site.origin)
            .and_then(|f| f.get(&site.pointer))
            .copied();
    }
    out
}

/// The module's text from the side's sources: the origin itself, or for `file#/ptr` the
/// JSON string at `/ptr` of `file`.
fn load(side: &Side<'_>, origin: &str) -> Option<Doc> {
    if let Some(text) = side.sources.get(origin) {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value = serde_json::from_str(text).ok()?;
        let root = embedded_root(&value);
        return Some(Doc {
            text: text.to_string(),
            value,
            root,
        });
    }
    let (file, inner) = origin.rsplit_once('#')?;
    let text = side.sources.get(file)?;
    let outer: Value = serde_json::from_str(text.strip_prefix('\u{feff}').unwrap_or(text)).ok()?;
    let text = outer.pointer(inner)?.as_str()?.to_string();
    let value = serde_json::from_str(&text).ok()?;
    Some(Doc {
        text,
        value,
        root: String::new(),
    })
}

/// Where the model is when an API response holds it decoded (`{"Data":{"TslStr":{...}}}`),
/// as the parser reads it; `""` otherwise.
fn embedded_root(value: &Value) -> String {
    for (holder, prefix) in [(value.get("Data"), "/Data"), (Some(value), "")] {
        let Some(holder) = holder.filter(|h| h.is_object()) else {
            continue;
        };
        for key in ["TslStr", "ThingModelJson"] {
            if holder.get(key).is_some_and(Value::is_object) {
                return format!("{prefix}/{key}");
            }
        }
    }
    String::new()
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Tsl,
    ThingModelJson,
}

/// What the cursor stands on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    Module,
    Property,
    Service,
    Event,
    /// A service input or output, or an event output.
    Param,
    /// A struct member.
    Member,
    /// A data type: TSL's `{"type","specs"}` object, or the ThingModelJson item holding the
    /// type under `key` beside `dataSpecs`/`dataSpecsList`.
    Type {
        key: &'static str,
    },
}

/// Follows `steps` from the module's root; stops at the deepest thing that exists.
fn resolve(doc: &Doc, shape: Shape, steps: &[Step]) -> String {
    let Some(root) = doc.value.pointer(&doc.root) else {
        return doc.root.clone();
    };
    let mut cursor = Cursor {
        value: root,
        pointer: doc.root.clone(),
    };
    let mut at = At::Module;
    if steps.is_empty() {
        // The module itself: its id when it has one.
        cursor.down("functionBlockId");
        return cursor.pointer;
    }
    for step in steps {
        // Data-type steps first move from an item to its type.
        let type_step = matches!(
            step,
            Step::Member(_)
                | Step::Item
                | Step::EnumKey(_)
                | Step::Field(
                    Field::Type
                        | Field::Min
                        | Field::Max
                        | Field::Step
                        | Field::Unit
                        | Field::Length
                        | Field::Size
                        | Field::BoolLabels
                )
        );
        if type_step && matches!(at, At::Property | At::Param | At::Member) {
            at = match shape {
                Shape::Tsl => {
                    if !cursor.down("dataType") {
                        return cursor.pointer;
                    }
                    At::Type { key: "type" }
                }
                Shape::ThingModelJson => At::Type {
                    key: if at == At::Member {
                        "childDataType"
                    } else {
                        "dataType"
                    },
                },
            };
        }
        let next = match (at, step) {
            (At::Module, Step::Property(id)) => {
                cursor.item("properties", id).then_some(At::Property)
            }
            (At::Module, Step::Service(id)) => cursor.item("services", id).then_some(At::Service),
            (At::Module, Step::Event(id)) => cursor.item("events", id).then_some(At::Event),
            (At::Service, Step::Input(id)) => {
                let key = match shape {
                    Shape::Tsl => "inputData",
                    Shape::ThingModelJson => "inputParams",
                };
                cursor.item(key, id).then_some(At::Param)
            }
            (At::Service | At::Event, Step::Output(id)) => {
                let key = match shape {
                    Shape::Tsl => "outputData",
                    Shape::ThingModelJson => ["outputParams", "outputData", "outputdata"]
                        .into_iter()
                        .find(|k| cursor.value.get(k).is_some())
                        .unwrap_or("outputParams"),
                };
                cursor.item(key, id).then_some(At::Param)
            }
            (At::Type { .. }, Step::Member(id)) => {
                let key = match shape {
                    Shape::Tsl => "specs",
                    Shape::ThingModelJson => "dataSpecsList",
                };
                cursor.item(key, id).then_some(At::Member)
            }
            (At::Type { .. }, Step::Item) => match shape {
                Shape::Tsl => (cursor.down("specs") && cursor.down("item"))
                    .then_some(At::Type { key: "type" }),
                Shape::ThingModelJson => cursor.down("dataSpecs").then_some(At::Type {
                    key: "childDataType",
                }),
            },
            (At::Type { .. }, Step::EnumKey(k)) => match shape {
                Shape::Tsl => {
                    if cursor.down("specs") {
                        cursor.down(&k.to_string());
                    }
                    None
                }
                Shape::ThingModelJson => {
                    if cursor.down("dataSpecsList") {
                        cursor.index_where(|v| match v.get("value") {
                            Some(Value::Number(n)) => n.as_i64() == Some(*k),
                            Some(Value::String(s)) => s.trim().parse::<i64>().ok() == Some(*k),
                            _ => false,
                        });
                    }
                    None
                }
            },
            (At::Type { key }, Step::Field(f)) => {
                let spec_key = match shape {
                    Shape::Tsl => "specs",
                    Shape::ThingModelJson => "dataSpecs",
                };
                match f {
                    Field::Type => {
                        cursor.down(key);
                    }
                    Field::BoolLabels => {
                        cursor.down(match shape {
                            Shape::Tsl => "specs",
                            Shape::ThingModelJson => "dataSpecsList",
                        });
                    }
                    other => {
                        if cursor.down(spec_key) {
                            cursor.down(other.as_str());
                        }
                    }
                }
                None
            }
            (_, Step::Field(f)) => {
                let keys: &[&str] = match (f, shape, at) {
                    (Field::Access, Shape::Tsl, _) => &["accessMode"],
                    (Field::Access, Shape::ThingModelJson, _) => &["rwFlag"],
                    (Field::CallType, _, _) => &["callType"],
                    (Field::EventType, Shape::Tsl, _) => &["type"],
                    (Field::EventType, Shape::ThingModelJson, _) => &["eventType"],
                    (Field::Name, Shape::ThingModelJson, At::Service) => &["serviceName", "name"],
                    (Field::Name, Shape::ThingModelJson, At::Event) => &["eventName", "name"],
                    (Field::Name, Shape::ThingModelJson, At::Member) => &["name", "childName"],
                    (Field::Name, _, _) => &["name"],
                    (Field::Desc, Shape::Tsl, _) => &["desc"],
                    (Field::Desc, Shape::ThingModelJson, _) => &["description"],
                    (Field::Required, _, _) => &["required"],
                    _ => &[],
                };
                for k in keys {
                    if cursor.down(k) {
                        break;
                    }
                }
                None
            }
            _ => None,
        };
        match next {
            Some(next) => at = next,
            None => return cursor.pointer,
        }
    }
    cursor.pointer
}

struct Cursor<'v> {
    value: &'v Value,
    pointer: String,
}

impl<'v> Cursor<'v> {
    /// Moves to member `key` when present.
    fn down(&mut self, key: &str) -> bool {
        match self.value.get(key) {
            Some(v) if !v.is_null() => {
                self.value = v;
                self.pointer.push('/');
                self.pointer
                    .push_str(&key.replace('~', "~0").replace('/', "~1"));
                true
            }
            _ => false,
        }
    }

    /// Moves to the object with this `identifier` in the list `key`; stays on the list when
    /// it has none.
    fn item(&mut self, key: &str, identifier: &str) -> bool {
        self.down(key)
            && self.index_where(|v| v.get("identifier").and_then(Value::as_str) == Some(identifier))
    }

    /// Moves to the first array element that `wanted` accepts.
    fn index_where(&mut self, wanted: impl Fn(&Value) -> bool) -> bool {
        let Some(items) = self.value.as_array() else {
            return false;
        };
        match items.iter().position(wanted) {
            Some(i) => {
                self.value = &items[i];
                self.pointer.push_str(&format!("/{i}"));
                true
            }
            None => false,
        }
    }
}
