//! From JSON text to a [`Model`]: find the shape (and the API response around it), read it,
//! validate it, and place every diagnostic at its `line:col`.
//!
//! Pipeline: bytes → UTF-8 → JSON (`serde_json`, whose recursion limit keeps hostile nesting
//! off the stack) → envelope → look-alike check → TSL or ThingModelJson reader → validation
//! → positions.

mod cursor;
pub(crate) mod duplicates;
mod lookalike;
mod specs;
mod thing_model_json;
mod tsl;

use serde_json::Value;

use cursor::Ctx;
use cursor::{json_type, Node};

use super::position;
use super::validate;
use super::{
    DataType, Diagnostic, Envelope, Event, Format, FunctionBlock, Location, Model, ModelError,
    Module, Parsed, Problem, Property, Service, Source,
};

/// The largest model accepted, in bytes. Real models are under 100 KB; this leaves room
/// for generated giants while keeping memory bounded on hostile input.
pub const MAX_MODEL_BYTES: usize = 64 * 1024 * 1024;

/// Past this many, diagnostics are counted rather than listed.
const MAX_DIAGNOSTICS: usize = 200;

/// What a format reader found, before wire identifiers are assigned and lists validated.
pub(super) struct Skeleton {
    pub format: Format,
    pub product_key: Option<String>,
    pub schema: Option<String>,
    pub version: Option<String>,
    pub module_id: Option<String>,
    pub module_name: Option<String>,
    pub properties: Vec<(String, Property)>,
    pub events: Vec<(String, Event)>,
    pub services: Vec<(String, Service)>,
    pub function_blocks: Vec<FunctionBlock>,
}

/// Where a data type sits, which decides the types allowed there.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Nesting {
    Top,
    StructMember,
    ArrayItem,
}

impl Nesting {
    /// A struct or array where it may not be: no struct or array in a struct, no array in
    /// an array.
    fn refuses(self, type_name: &str) -> Option<Problem> {
        match (self, type_name) {
            (Nesting::StructMember, "struct") => {
                Some(Problem::UnsupportedStructMember { member: "struct" })
            }
            (Nesting::StructMember, "array") => {
                Some(Problem::UnsupportedStructMember { member: "array" })
            }
            (Nesting::ArrayItem, "array") => Some(Problem::UnsupportedArrayItem { item: "array" }),
            _ => None,
        }
    }

    /// Array elements are int, float, double, text or struct.
    fn check_scalar(self, ctx: &mut Ctx, type_ptr: &str, dt: &DataType) -> Option<()> {
        if self == Nesting::ArrayItem
            && matches!(dt, DataType::Date | DataType::Bool(_) | DataType::Enum(_))
        {
            ctx.error(
                type_ptr,
                Problem::UnsupportedArrayItem {
                    item: dt.tsl_name(),
                },
            );
            return None;
        }
        Some(())
    }
}

/// `thing.event.{id}.post`; the property report `post` is `thing.event.property.post`.
pub(super) fn expected_event_method(identifier: &str) -> String {
    if identifier == "post" {
        "thing.event.property.post".to_string()
    } else {
        format!("thing.event.{identifier}.post")
    }
}

/// `thing.service.{id}`; `set`/`get` are `thing.service.property.set|get`.
pub(super) fn expected_service_method(identifier: &str) -> String {
    match identifier {
        "set" | "get" => format!("thing.service.property.{identifier}"),
        _ => format!("thing.service.{identifier}"),
    }
}

pub(super) fn parse(bytes: &[u8], origin: &str) -> Result<Parsed, ModelError> {
    if bytes.len() > MAX_MODEL_BYTES {
        return Err(ModelError::single(Diagnostic::error(
            origin,
            "",
            Problem::TooLarge {
                bytes: bytes.len(),
                limit: MAX_MODEL_BYTES,
            },
        )));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let mut d = Diagnostic::error(
            origin,
            "",
            Problem::NotUtf8 {
                offset: e.valid_up_to(),
            },
        );
        d.location = Some(position::location_at(
            // The valid prefix is UTF-8 by definition.
            std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or_default(),
            e.valid_up_to(),
        ));
        ModelError::single(d)
    })?;
    let (module, product_key, diagnostics) = document(text, origin, Envelope::Bare);
    finish(module, product_key, diagnostics)
}

fn finish(
    module: Option<Module>,
    product_key: Option<String>,
    mut diagnostics: Vec<Diagnostic>,
) -> Result<Parsed, ModelError> {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    match module {
        Some(module) if errors == 0 => Ok(Parsed {
            model: Model {
                product_key,
                modules: vec![module],
            },
            warnings: diagnostics,
        }),
        _ => {
            // Documents that hit their own cap left one count each; fold them into one.
            let mut omitted = 0;
            diagnostics.retain(|d| match d.problem {
                Problem::TooManyProblems { omitted: n } => {
                    omitted += n;
                    false
                }
                _ => true,
            });
            if diagnostics.len() > MAX_DIAGNOSTICS {
                omitted += diagnostics.len() - MAX_DIAGNOSTICS;
                // Stable: errors first, each kind in the order the reader met them.
                diagnostics.sort_by_key(|d| d.severity);
                diagnostics.truncate(MAX_DIAGNOSTICS);
            }
            if omitted > 0 {
                let origin = diagnostics
                    .first()
                    .map(|d| d.origin.clone())
                    .unwrap_or_default();
                diagnostics.push(Diagnostic::warning(
                    &origin,
                    "",
                    Problem::TooManyProblems { omitted },
                ));
            }
            Err(ModelError::new(diagnostics))
        }
    }
}

/// Reads one JSON text. Diagnostics come back located in `text`.
fn document(
    text: &str,
    origin: &str,
    envelope: Envelope,
) -> (Option<Module>, Option<String>, Vec<Diagnostic>) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let value: Value = match serde_json::from_str(text) {
        Ok(value) => value,
        Err(err) => {
            let mut d = Diagnostic::error(
                origin,
                "",
                Problem::InvalidJson {
                    reason: json_reason(&err),
                },
            );
            d.location = Some(Location {
                line: err.line().max(1),
                column: err.column().max(1),
            });
            return (None, None, vec![d]);
        }
    };
    let mut ctx = Ctx::new(origin);
    // serde_json keeps the last of a repeated key: refuse the model rather than read it
    // with a value silently dropped, naming both places.
    for dup in duplicates::duplicate_keys(text) {
        let first = position::location_at(text, dup.first);
        let pointer = format!(
            "{}/{}",
            dup.object,
            dup.key.replace('~', "~0").replace('/', "~1")
        );
        let mut d = Diagnostic::error(
            origin,
            &pointer,
            Problem::DuplicateKey {
                key: dup.key,
                first,
            },
        );
        d.location = Some(position::location_at(text, dup.second));
        ctx.diags.push(d);
    }
    let root = Node::root(&value);
    let (module, product_key) = match read(&mut ctx, &root, envelope) {
        Some(Read::Embedded(module, product_key, inner)) => {
            ctx.diags.extend(inner);
            (module, product_key)
        }
        Some(Read::Module(module, product_key)) => (Some(module), product_key),
        None => (None, None),
    };
    let wanted: Vec<&str> = ctx
        .diags
        .iter()
        .filter(|d| d.origin == origin && d.location.is_none())
        .map(|d| d.pointer.as_str())
        .collect();
    if !wanted.is_empty() {
        let found = position::locate(text, &wanted);
        for d in ctx.diags.iter_mut().filter(|d| d.origin == origin) {
            if d.location.is_none() {
                d.location = found.get(&d.pointer).copied();
            }
        }
    }
    (module, product_key, ctx.into_diagnostics())
}

/// serde_json's message without its " at line L column C" tail (the location is kept apart).
fn json_reason(err: &serde_json::Error) -> String {
    let message = err.to_string();
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message,
    }
}

enum Read {
    Module(Module, Option<String>),
    Embedded(Option<Module>, Option<String>, Vec<Diagnostic>),
}

fn read(ctx: &mut Ctx, root: &Node, envelope: Envelope) -> Option<Read> {
    if !root.value.is_object() {
        ctx.error(
            "",
            Problem::NotAModel {
                found: format!("the document is {}, not an object", json_type(root.value)),
            },
        );
        return None;
    }
    if envelope == Envelope::Bare {
        if let Some(read) = api_response(ctx, root) {
            return read;
        }
    }
    if let Some(found) = lookalike::detect(root.value) {
        ctx.error(
            &found.pointer,
            Problem::LookAlike {
                format: found.format,
                evidence: found.evidence,
            },
        );
        return None;
    }
    let is_model = [
        "properties",
        "events",
        "services",
        "functionBlockId",
        "profile",
        "schema",
        "_ppk",
    ]
    .iter()
    .any(|key| root.has(key));
    if !is_model {
        let keys: Vec<String> = root
            .value
            .as_object()
            .into_iter()
            .flat_map(|m| m.keys().take(5).map(|k| format!("`{k}`")))
            .collect();
        ctx.error(
            "",
            Problem::NotAModel {
                found: format!(
                    "no properties, events or services (top-level keys: {})",
                    if keys.is_empty() {
                        "none".to_string()
                    } else {
                        keys.join(", ")
                    }
                ),
            },
        );
        return None;
    }
    let skeleton = if is_thing_model_json(root) {
        thing_model_json::module(ctx, root)
    } else {
        tsl::module(ctx, root)
    };
    Some(assemble(ctx, skeleton, envelope))
}

/// `{"Data":{"TslStr":"..."}}` / `{"Data":{"ThingModelJson":"..."}}` (also without `Data`).
/// `None` when the document is not an API response.
fn api_response(ctx: &mut Ctx, root: &Node) -> Option<Option<Read>> {
    let data = root.get("Data");
    let holder = match &data {
        Some(data) if data.value.is_object() => data.clone(),
        _ => root.clone(),
    };
    let (key, envelope) = if holder.has("TslStr") {
        ("TslStr", Envelope::GetThingModelTsl)
    } else if holder.has("ThingModelJson") {
        ("ThingModelJson", Envelope::QueryThingModel)
    } else {
        if root.value.get("Success") == Some(&Value::Bool(false))
            || (data.is_none() && root.has("Code") && root.has("RequestId"))
        {
            let code = root
                .value
                .get("Code")
                .map(|c| c.to_string())
                .unwrap_or_default();
            let message = root
                .value
                .get("ErrorMessage")
                .or_else(|| root.value.get("Message"))
                .map(|m| m.to_string())
                .unwrap_or_default();
            ctx.error(
                "",
                Problem::NotAModel {
                    found: format!("an error response of the API (Code {code}, message {message})"),
                },
            );
            return Some(None);
        }
        if data.is_some() {
            ctx.error(
                &holder.ptr,
                Problem::NotAModel {
                    found: "an API response without `TslStr` or `ThingModelJson`".into(),
                },
            );
            return Some(None);
        }
        return None;
    };
    let node = holder.get(key)?;
    let inner_origin = format!("{}#{}", ctx.origin, node.ptr);
    match node.value {
        Value::String(text) => {
            let (module, product_key, diags) = document(text, &inner_origin, envelope);
            Some(Some(Read::Embedded(module, product_key, diags)))
        }
        // Someone already decoded the string: read it in place.
        Value::Object(_) => {
            let mut inner = Ctx::new(&ctx.origin);
            let read = read(&mut inner, &node, envelope);
            ctx.diags.extend(inner.into_diagnostics());
            Some(read)
        }
        _ => {
            ctx.wrong_type(&node, "JSON text in a string");
            Some(None)
        }
    }
}

/// The internal format: `_ppk`, upper-case `dataType` strings, `rwFlag`, `inputParams`.
fn is_thing_model_json(root: &Node) -> bool {
    if root.has("_ppk") {
        return true;
    }
    ["properties", "events", "services"].iter().any(|list| {
        root.value
            .get(list)
            .and_then(Value::as_array)
            .is_some_and(|items| {
                items.iter().any(|item| {
                    item.get("dataType").is_some_and(Value::is_string)
                        || [
                            "rwFlag",
                            "dataSpecs",
                            "dataSpecsList",
                            "inputParams",
                            "outputParams",
                            "eventType",
                            "serviceName",
                            "eventName",
                        ]
                        .iter()
                        .any(|k| item.get(k).is_some())
                })
            })
    })
}

/// The product key, or `None` for the placeholders that stand in for one in published
/// samples and blanked exports (``, `<productKey>`, `${productKey}`, `{pk}`, `a1B2****`). Any
/// other key must be one the platform could have issued (letters, digits, `_`, `-`): a key
/// with a space or a quote inside is an error here, not silently "no product key".
fn real_product_key(ctx: &mut Ctx, key: Option<String>, pointer: &str) -> Option<String> {
    let key = key?;
    let trimmed = key.trim();
    let placeholder = trimmed.is_empty()
        || (trimmed.starts_with('<') && trimmed.ends_with('>'))
        || (trimmed.starts_with("${") && trimmed.ends_with('}'))
        || (trimmed.starts_with('{') && trimmed.ends_with('}'))
        || trimmed.chars().all(|c| c == 'x' || c == 'X')
        // Masked in published samples: `a114xeJ****`.
        || trimmed.contains('*');
    if placeholder {
        return None;
    }
    if !trimmed
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        ctx.error(pointer, Problem::InvalidProductKey { key: key.clone() });
        return None;
    }
    Some(trimmed.to_string())
}

fn assemble(ctx: &mut Ctx, skeleton: Skeleton, envelope: Envelope) -> Read {
    let Skeleton {
        format,
        product_key,
        schema,
        version,
        module_id,
        module_name,
        properties,
        events,
        services,
        function_blocks,
    } = skeleton;
    if let Some(id) = &module_id {
        validate::module_id(ctx, id, "/functionBlockId");
    }
    let product_key_at = if format == Format::ThingModelJson {
        "/productKey"
    } else {
        "/profile/productKey"
    };
    let product_key = real_product_key(ctx, product_key, product_key_at);
    validate::lists(ctx, &properties, &events, &services);
    let prefix = |id: &str| match &module_id {
        Some(m) => format!("{m}:{id}"),
        None => id.to_string(),
    };
    let module = Module {
        source: Source {
            origin: ctx.origin.clone(),
            format,
            envelope,
            schema,
            version,
        },
        properties: properties
            .into_iter()
            .map(|(_, mut p)| {
                p.wire_identifier = prefix(&p.identifier);
                p
            })
            .collect(),
        events: events
            .into_iter()
            .map(|(_, mut e)| {
                e.wire_identifier = prefix(&e.identifier);
                e
            })
            .collect(),
        services: services
            .into_iter()
            .map(|(_, mut s)| {
                s.wire_identifier = prefix(&s.identifier);
                s
            })
            .collect(),
        function_blocks,
        id: module_id,
        name: module_name,
    };
    Read::Module(module, product_key)
}

#[cfg(test)]
mod tests;
