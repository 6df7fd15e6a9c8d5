//! `tsl-codegen diff`'s library side: the runtime's wire-level comparison
//! ([`tsl_runtime::model::diff`]) plus what breaks Rust compiled against the generated code.
//!
//! Both models are planned with the same [`Settings`]; the names each plan derives are
//! paired with the model items they come from (`index.rs`) and compared item by item:
//! - a name that changed (type, field, method, enum member): `RUST_NAME_CHANGED`;
//! - a generated struct with a new field: `STRUCT_FIELD_ADDED` (every field of an input,
//!   output, event or struct is required; the property set's fields are `Option`s filled
//!   by setters, so a new one there breaks nothing);
//! - a generated enum with a new member: `ENUM_MEMBER_ADDED`. Generated enums are not
//!   `#[non_exhaustive]`, and would not help if they were: the attribute only binds other
//!   crates, and generated code lives in the crate that uses it (a checked-in file, a build
//!   script's `include!`, `#[tsl_model]`). A crate that re-exports them to other crates with
//!   `attribute(non_exhaustive)` can `--allow ENUM_MEMBER_ADDED`;
//! - a new method on the device-side `Handler` trait (a new service, or the first writable
//!   property's `set_properties`), which has no default body: `HANDLER_METHOD_ADDED`, when
//!   the settings generate the device side;
//! - a value whose Rust type changed though its TSL type did not (an enum that listed no
//!   keys is an `i32`; listing keys makes it a generated enum), or a service that gains or
//!   loses its input or output struct: `RUST_TYPE_CHANGED`;
//! - a type no longer generated under its old name for another reason (a rename caused by
//!   a collision elsewhere): `RUST_TYPE_REMOVED`.
//!
//! The rules and their classes are one table: `docs/diff.md`.

mod index;

use std::collections::HashSet;

use tsl_runtime::model::diff::{self as wire, Change, Field, ItemPath, Rule, Side, Step};

use crate::ir::{Plan, TypeDef};
use crate::names::NameCollision;
use crate::plan::plan;
use crate::settings::Settings;
use index::{Index, Role};

/// Why two models could not be compared.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiffError {
    /// A model cannot be planned under the settings (collisions are errors there).
    #[error("the {side} model cannot be generated: {}", .collisions.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Collisions {
        /// `old` or `new`.
        side: &'static str,
        /// The collisions.
        collisions: Vec<NameCollision>,
    },
}

/// Every change from `old` to `new`: the runtime's wire-breaking and compatible changes,
/// then the code-breaking ones for code generated with `settings`.
///
/// ```
/// use tsl_codegen::diff::diff;
/// use tsl_codegen::model::diff::{Rule, Side, Sources};
/// use tsl_codegen::model::Model;
/// use tsl_codegen::Settings;
///
/// let old = Model::parse(r#"{"properties":[{"identifier":"mode","accessMode":"rw",
///     "dataType":{"type":"enum","specs":{"0":"off","1":"on"}}}]}"#, "old.json")?.model;
/// let new = Model::parse(r#"{"properties":[{"identifier":"mode","accessMode":"rw",
///     "dataType":{"type":"enum","specs":{"0":"off","1":"on","2":"auto"}}}]}"#, "new.json")?.model;
/// let none = Sources::new();
/// let changes = diff(&Side::new(&old, &none), &Side::new(&new, &none), &Settings::new())?;
/// let rules: Vec<Rule> = changes.iter().map(|c| c.rule).collect();
/// assert_eq!(rules, [Rule::EnumKeyAdded, Rule::EnumMemberAdded]);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn diff(old: &Side<'_>, new: &Side<'_>, settings: &Settings) -> Result<Vec<Change>, DiffError> {
    let mut changes = wire::diff_sides(old, new);
    let old_plan = plan(old.model, settings).map_err(|collisions| DiffError::Collisions {
        side: "old",
        collisions,
    })?;
    let new_plan = plan(new.model, settings).map_err(|collisions| DiffError::Collisions {
        side: "new",
        collisions,
    })?;
    let found = code_changes(&changes, old, new, &old_plan, &new_plan, settings);
    let paths: Vec<&ItemPath> = found.iter().map(|(_, path, _)| path).collect();
    let old_sites = old.sites(&paths);
    let new_sites = new.sites(&paths);
    for ((rule, path, message), (o, n)) in
        found.into_iter().zip(old_sites.into_iter().zip(new_sites))
    {
        changes.push(Change {
            rule,
            path,
            message,
            old: o,
            new: n,
        });
    }
    Ok(changes)
}

type Found = (Rule, ItemPath, String);

fn code_changes(
    wire_changes: &[Change],
    old: &Side<'_>,
    new: &Side<'_>,
    old_plan: &Plan,
    new_plan: &Plan,
    settings: &Settings,
) -> Vec<Found> {
    let old_index = index::index(old.model, old_plan);
    let new_index = index::index(new.model, new_plan);
    let device = settings.parts().device;
    // Type changes the wire already reports.
    let retyped: HashSet<&ItemPath> = wire_changes
        .iter()
        .filter(|c| c.rule == Rule::DataTypeChanged)
        .map(|c| &c.path)
        .collect();

    let mut out = Vec::new();
    let mut seen: HashSet<(Role, String, String)> = HashSet::new();
    let mut keys: Vec<&(ItemPath, Role)> = old_index.keys().chain(new_index.keys()).collect();
    keys.sort_by(|a, b| (&a.0, a.1 as u8).cmp(&(&b.0, b.1 as u8)));
    keys.dedup();
    for key in keys {
        let (path, role) = key;
        match (old_index.get(key), new_index.get(key)) {
            (Some(a), Some(b)) if a != b => {
                if *role == Role::Shape {
                    // Already a wire change when the TSL type here or below (an
                    // array's item) changed.
                    let explained = retyped.iter().any(|r| {
                        r.module == path.module
                            && r.steps.starts_with(&path.steps)
                            && r.steps.last() == Some(&Step::Field(Field::Type))
                    });
                    if !explained {
                        out.push((
                            Rule::RustTypeChanged,
                            path.clone(),
                            format!("Rust type {a} → {b}"),
                        ));
                    }
                } else {
                    out.push((
                        Rule::RustNameChanged,
                        path.clone(),
                        format!("{} `{a}` → `{b}`", role.what()),
                    ));
                }
            }
            (None, Some(b)) => {
                // One generated type can stand for several items (a property and its copy
                // in the `post` event share their enum): its new member or field is
                // reported once, on the first item.
                let owner = owner_role(path).and_then(|r| new_index.get(&(path.parent(), r)));
                if owner.is_some_and(|o| !seen.insert((*role, o.clone(), b.clone()))) {
                    continue;
                }
                if let Some(found) = added(&old_index, path, *role, b, device) {
                    out.push(found);
                }
            }
            // The service is still there but lost its input or output struct.
            (Some(a), None)
                if matches!(role, Role::InputType | Role::OutputType)
                    && new_index.contains_key(&(path.clone(), Role::Method)) =>
            {
                out.push((
                    Rule::RustTypeChanged,
                    path.clone(),
                    format!(
                        "{} `{a}` is gone: the method's signature changed",
                        role.what()
                    ),
                ));
            }
            _ => {}
        }
    }
    if device && old_plan.property_set.is_none() && new_plan.property_set.is_some() {
        // At the first writable property (the index is a map: take the least path).
        let path = new_index
            .keys()
            .filter(|(_, role)| *role == Role::Setter)
            .map(|(path, _)| path)
            .min()
            .cloned()
            .unwrap_or_else(|| ItemPath::module(None));
        out.push((
            Rule::HandlerMethodAdded,
            path,
            format!(
                "`{}::{}` is new (the first writable property): every implementation must add it",
                new_plan.api.handler, new_plan.api.set_properties
            ),
        ));
    }
    out.extend(types_gone(&old_index, &new_index, old_plan, new_plan));
    out
}

/// The role of the type holding the thing at `path` (a field or an enum member), named at
/// the parent path.
fn owner_role(path: &ItemPath) -> Option<Role> {
    let parent = path.parent();
    match path.steps.last()? {
        Step::Input(_) => Some(Role::InputType),
        Step::Output(_) if matches!(parent.steps.last(), Some(Step::Event(_))) => {
            Some(Role::EventType)
        }
        Step::Output(_) => Some(Role::OutputType),
        Step::Member(_) | Step::EnumKey(_) => Some(Role::Type),
        _ => None,
    }
}

/// A name only the new plan has.
fn added(
    old_index: &Index,
    path: &ItemPath,
    role: Role,
    name: &str,
    device: bool,
) -> Option<Found> {
    let parent = path.parent();
    let had = |p: &ItemPath, r: Role| old_index.contains_key(&(p.clone(), r));
    match role {
        Role::Field => {
            let owner = owner_role(path).unwrap_or(Role::Type);
            had(&parent, owner).then(|| {
                (
                    Rule::StructFieldAdded,
                    path.clone(),
                    format!(
                        "new required field `{name}`: struct literals without it no longer compile"
                    ),
                )
            })
        }
        Role::Variant => had(&parent, Role::Type).then(|| {
            (
                Rule::EnumMemberAdded,
                path.clone(),
                format!("new member `{name}`: a `match` without `_` no longer compiles"),
            )
        }),
        Role::Method => device.then(|| {
            (
                Rule::HandlerMethodAdded,
                path.clone(),
                format!("`Handler::{name}` is new: every implementation must add it"),
            )
        }),
        Role::InputType | Role::OutputType if had(&path.clone(), Role::Method) => Some((
            Rule::RustTypeChanged,
            path.clone(),
            format!(
                "new {} `{name}`: the method's signature changed",
                role.what()
            ),
        )),
        _ => None,
    }
}

/// Types of the old plan that the new one has not, for no reason reported above.
fn types_gone(
    old_index: &Index,
    new_index: &Index,
    old_plan: &Plan,
    new_plan: &Plan,
) -> Vec<Found> {
    let names = |plan: &Plan| -> Vec<String> {
        plan.types
            .iter()
            .map(|t| match t {
                TypeDef::Struct(s) => s.name.clone(),
                TypeDef::Enum(e) => e.name.clone(),
            })
            .collect()
    };
    let new_names: HashSet<String> = names(new_plan).into_iter().collect();
    // Names of items gone from the model, or reported as renamed.
    let explained: HashSet<&str> = old_index
        .iter()
        .filter(|(key, name)| new_index.get(key).is_none_or(|n| n != *name))
        .map(|(_, name)| name.as_str())
        .collect();
    names(old_plan)
        .into_iter()
        .filter(|n| !new_names.contains(n) && !explained.contains(n.as_str()))
        .map(|n| {
            (
                Rule::RustTypeRemoved,
                ItemPath::module(None),
                format!("type `{n}` is no longer generated"),
            )
        })
        .collect()
}
