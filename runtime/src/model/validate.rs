//! Checks across items: identifiers, duplicates, the `get` list, and combining modules.

use std::collections::{HashMap, HashSet};

use super::collect::Ctx;
use super::{Diagnostic, Event, Model, ModelError, Param, Parsed, Problem, Property, Service};

/// Identifiers the platform reserves for its own items (TMJ-doc).
const RESERVED: [&str; 7] = ["set", "get", "post", "property", "event", "time", "value"];

/// The longest identifier the platform accepts.
const MAX_IDENTIFIER_CHARS: usize = 50;

/// Letters, digits and `_`, 1 to 50 characters. A leading digit is allowed (the schema
/// allows it; the generator renames such items).
pub(super) fn identifier(ctx: &mut Ctx, identifier: &str, ptr: &str) {
    let reason = if identifier.is_empty() {
        Some("is empty")
    } else if identifier.chars().count() > MAX_IDENTIFIER_CHARS {
        Some("is longer than 50 characters")
    } else if !identifier
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Some("may only hold letters, digits and `_`")
    } else {
        None
    };
    if let Some(reason) = reason {
        ctx.error(
            &format!("{ptr}/identifier"),
            Problem::InvalidIdentifier {
                identifier: identifier.to_string(),
                reason,
            },
        );
    }
}

/// Reports the second and later uses of an identifier in one list.
fn unique<'a>(ctx: &mut Ctx, kind: &'static str, items: impl Iterator<Item = (&'a str, &'a str)>) {
    let mut seen: HashMap<&str, &str> = HashMap::new();
    for (id, ptr) in items {
        if let Some(first) = seen.get(id) {
            ctx.error(
                &format!("{ptr}/identifier"),
                Problem::DuplicateIdentifier {
                    kind,
                    identifier: id.to_string(),
                    first: first.to_string(),
                },
            );
        } else {
            seen.insert(id, ptr);
        }
    }
}

/// Checks the identifiers of parameters or struct members and drops their pointers.
pub(super) fn unique_params(ctx: &mut Ctx, params: Vec<(String, Param)>) -> Vec<Param> {
    for (ptr, p) in &params {
        identifier(ctx, &p.identifier, ptr);
    }
    unique(
        ctx,
        "parameter",
        params
            .iter()
            .map(|(ptr, p)| (p.identifier.as_str(), ptr.as_str())),
    );
    params.into_iter().map(|(_, p)| p).collect()
}

/// `^[_a-zA-Z0-9]{1,30}$`.
pub(super) fn module_id(ctx: &mut Ctx, id: &str, ptr: &str) {
    let valid =
        (1..=30).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    if !valid {
        ctx.error(ptr, Problem::InvalidModuleId { id: id.to_string() });
    }
}

/// The module's own lists: identifiers valid and unique per kind, reserved words only
/// where the platform puts them, and `get` naming real properties.
pub(super) fn lists(
    ctx: &mut Ctx,
    properties: &[(String, Property)],
    events: &[(String, Event)],
    services: &[(String, Service)],
) {
    for (ptr, p) in properties {
        identifier(ctx, &p.identifier, ptr);
        reserved(ctx, &p.identifier, ptr, false);
    }
    for (ptr, e) in events {
        identifier(ctx, &e.identifier, ptr);
        reserved(
            ctx,
            &e.identifier,
            ptr,
            e.method == "thing.event.property.post",
        );
    }
    for (ptr, s) in services {
        identifier(ctx, &s.identifier, ptr);
        reserved(ctx, &s.identifier, ptr, s.is_property_service());
    }
    unique(
        ctx,
        "property",
        properties
            .iter()
            .map(|(ptr, p)| (p.identifier.as_str(), ptr.as_str())),
    );
    unique(
        ctx,
        "event",
        events
            .iter()
            .map(|(ptr, e)| (e.identifier.as_str(), ptr.as_str())),
    );
    unique(
        ctx,
        "service",
        services
            .iter()
            .map(|(ptr, s)| (s.identifier.as_str(), ptr.as_str())),
    );
    let property_ids: HashSet<&str> = properties
        .iter()
        .map(|(_, p)| p.identifier.as_str())
        .collect();
    for (ptr, s) in services {
        for name in &s.input_names {
            if !property_ids.contains(name.as_str()) {
                ctx.warn(
                    &format!("{ptr}/inputData"),
                    Problem::UnknownPropertyName {
                        identifier: name.clone(),
                    },
                );
            }
        }
    }
}

fn reserved(ctx: &mut Ctx, identifier: &str, ptr: &str, platform_item: bool) {
    if !platform_item && RESERVED.contains(&identifier) {
        ctx.warn(
            &format!("{ptr}/identifier"),
            Problem::ReservedIdentifier {
                identifier: identifier.to_string(),
            },
        );
    }
}

/// One product from several module files.
pub(super) fn combine(parts: Vec<Parsed>) -> Result<Parsed, ModelError> {
    let mut warnings = Vec::new();
    let mut errors = Vec::new();
    let mut product_key: Option<(String, String)> = None;
    let mut modules: Vec<super::Module> = Vec::new();
    for part in parts {
        warnings.extend(part.warnings);
        if let Some(key) = part.model.product_key {
            let origin = part
                .model
                .modules
                .first()
                .map(|m| m.source.origin.clone())
                .unwrap_or_default();
            match &product_key {
                Some((first, _)) if *first != key => errors.push(Diagnostic::error(
                    &origin,
                    "/profile/productKey",
                    Problem::ProductKeyMismatch {
                        first: first.clone(),
                        second: key,
                    },
                )),
                Some(_) => {}
                None => product_key = Some((key, origin)),
            }
        }
        for module in part.model.modules {
            if modules.iter().any(|m| m.id == module.id) {
                errors.push(Diagnostic::error(
                    &module.source.origin,
                    "",
                    Problem::DuplicateModule {
                        module: module.id.clone().unwrap_or_else(|| "default".into()),
                    },
                ));
            } else {
                modules.push(module);
            }
        }
    }
    // Default module first, custom modules in the order given.
    modules.sort_by_key(|m| m.id.is_some());
    if let Some(default) = modules.iter().find(|m| m.id.is_none()) {
        if !default.function_blocks.is_empty() {
            for custom in modules
                .iter()
                .filter_map(|m| m.id.as_ref().map(|id| (id, m)))
            {
                if !default.function_blocks.iter().any(|b| &b.id == custom.0) {
                    warnings.push(Diagnostic::warning(
                        &custom.1.source.origin,
                        "/functionBlockId",
                        Problem::ModuleNotListed {
                            module: custom.0.clone(),
                        },
                    ));
                }
            }
        }
    }
    if !errors.is_empty() {
        errors.extend(warnings);
        return Err(ModelError::new(errors));
    }
    Ok(Parsed {
        model: Model {
            product_key: product_key.map(|(key, _)| key),
            modules,
        },
        warnings,
    })
}
