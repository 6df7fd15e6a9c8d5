//! Every name the generator derives for a model, keyed by the model item it comes from.
//!
//! The plan ([`crate::ir::Plan`]) holds the names but not, for each, the item it was made
//! for; this walks the model and the plan together to pair them: services by wire
//! identifier, fields by wire key, enum members by key, event structs by the doc line the
//! planner writes for them. Types reachable from nothing but a read-only property have no
//! entry here; the type-level check in `mod.rs` still catches their renames.

use std::collections::HashMap;

use tsl_runtime::model::diff::{ItemPath, Step};
use tsl_runtime::model::{DataType, Model, Param};

use crate::ir::{EnumDef, Plan, StructDef, TypeDef, TypeRef};
use crate::names::{type_ident, TYPE_FALLBACK};

/// Which name of an item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(super) enum Role {
    /// A service's method on the handles and the `Handler` trait.
    Method,
    /// A service's input struct.
    InputType,
    /// A service's output struct.
    OutputType,
    /// An event's struct.
    EventType,
    /// A field of a generated struct (service input or output, event output, member).
    Field,
    /// A writable property's field and setter in the property set.
    Setter,
    /// The generated enum or struct of a value.
    Type,
    /// An enum member.
    Variant,
    /// The shape of a value's Rust type (`i32`, `f32`, `enum`, `Vec<struct>`), to see type
    /// changes that the wire does not have.
    Shape,
}

impl Role {
    pub(super) fn what(self) -> &'static str {
        match self {
            Role::Method => "method",
            Role::InputType => "input type",
            Role::OutputType => "output type",
            Role::EventType => "event type",
            Role::Field => "field",
            Role::Setter => "property-set field",
            Role::Type => "type",
            Role::Variant => "enum member",
            Role::Shape => "Rust type",
        }
    }
}

pub(super) type Index = HashMap<(ItemPath, Role), String>;

/// The names of `model` as `plan` gives them.
pub(super) fn index(model: &Model, plan: &Plan) -> Index {
    let mut walk = Walk {
        structs: plan
            .types
            .iter()
            .filter_map(|t| match t {
                TypeDef::Struct(s) => Some((s.name.as_str(), s)),
                TypeDef::Enum(_) => None,
            })
            .collect(),
        enums: plan
            .types
            .iter()
            .filter_map(|t| match t {
                TypeDef::Enum(e) => Some((e.name.as_str(), e)),
                TypeDef::Struct(_) => None,
            })
            .collect(),
        out: Index::new(),
    };
    for module in &model.modules {
        let base = ItemPath::module(module.id.as_deref());
        for service in module.services.iter().filter(|s| !s.is_property_service()) {
            let Some(def) = plan
                .services
                .iter()
                .find(|d| d.wire == service.wire_identifier)
            else {
                continue;
            };
            let path = base.then(Step::Service(service.identifier.clone()));
            walk.put(&path, Role::Method, &def.method);
            if let Some(input) = &def.input {
                walk.put(&path, Role::InputType, input);
                walk.params(&path, input, &service.inputs, Step::Input);
            }
            if let Some(output) = &def.output {
                walk.put(&path, Role::OutputType, output);
                walk.params(&path, output, &service.outputs, Step::Output);
            }
        }
        for event in &module.events {
            // The planner's first doc line of an event struct: "What the event `id` ...".
            let head = format!("What the event `{}`", event.wire_identifier);
            let found = plan.types.iter().find_map(|t| match t {
                TypeDef::Struct(s)
                    if s.docs.first().is_some_and(|d| {
                        d.strip_prefix(&head)
                            .is_some_and(|rest| rest.starts_with(' '))
                    }) =>
                {
                    Some(s.name.clone())
                }
                _ => None,
            });
            if let Some(name) = found {
                let path = base.then(Step::Event(event.identifier.clone()));
                walk.put(&path, Role::EventType, &name);
                walk.params(&path, &name, &event.outputs, Step::Output);
            }
        }
        // A read-only property's enum or struct is named after it (`{module }{identifier}`,
        // as the planner's candidate) unless a collision renamed it; found by that name
        // and checked against its keys or members.
        for property in module.properties.iter().filter(|p| !p.access.is_writable()) {
            let prefix = module
                .id
                .as_deref()
                .map(|m| format!("{m} "))
                .unwrap_or_default();
            let base_name = type_ident(&format!("{prefix}{}", property.identifier), TYPE_FALLBACK);
            // The plain name, then the numbered ones a collision gives (`Mode2`, `Wgs84_2`).
            let names = std::iter::once(base_name.clone()).chain((2..=9).map(|n| {
                if base_name.ends_with(|c: char| c.is_ascii_digit()) {
                    format!("{base_name}_{n}")
                } else {
                    format!("{base_name}{n}")
                }
            }));
            let found = names
                .into_iter()
                .find_map(|name| match &property.data_type {
                    DataType::Enum(spec)
                        if walk.enums.get(name.as_str()).is_some_and(|e| {
                            e.variants
                                .iter()
                                .map(|v| v.key)
                                .eq(spec.values.iter().map(|v| v.value))
                        }) =>
                    {
                        Some(TypeRef::Enum(name))
                    }
                    DataType::Struct(spec)
                        if walk.structs.get(name.as_str()).is_some_and(|s| {
                            s.fields
                                .iter()
                                .map(|f| f.wire.as_str())
                                .eq(spec.members.iter().map(|m| m.identifier.as_str()))
                        }) =>
                    {
                        Some(TypeRef::Struct(name))
                    }
                    _ => None,
                });
            let Some(ty) = found else {
                continue;
            };
            let path = base.then(Step::Property(property.identifier.clone()));
            walk.value(&path, &ty, &property.data_type);
        }
        if let Some(set) = &plan.property_set {
            for property in module.properties.iter().filter(|p| p.access.is_writable()) {
                if let Some(field) = set
                    .fields
                    .iter()
                    .find(|f| f.wire == property.wire_identifier)
                {
                    let path = base.then(Step::Property(property.identifier.clone()));
                    walk.put(&path, Role::Setter, &field.name);
                    walk.value(&path, &field.ty, &property.data_type);
                }
            }
        }
    }
    walk.out
}

struct Walk<'p> {
    structs: HashMap<&'p str, &'p StructDef>,
    enums: HashMap<&'p str, &'p EnumDef>,
    out: Index,
}

impl Walk<'_> {
    fn put(&mut self, path: &ItemPath, role: Role, name: &str) {
        self.out
            .entry((path.clone(), role))
            .or_insert_with(|| name.to_string());
    }

    /// The fields of struct `name` made from `params`, each under `step(identifier)`.
    fn params(&mut self, path: &ItemPath, name: &str, params: &[Param], step: fn(String) -> Step) {
        let Some(def) = self.structs.get(name).copied() else {
            return;
        };
        for param in params {
            if let Some(field) = def.fields.iter().find(|f| f.wire == param.identifier) {
                let at = path.then(step(param.identifier.clone()));
                self.put(&at, Role::Field, &field.name);
                self.value(&at, &field.ty, &param.data_type);
            }
        }
    }

    /// The type of a value and what it holds.
    fn value(&mut self, path: &ItemPath, ty: &TypeRef, data_type: &DataType) {
        self.put(path, Role::Shape, &shape(ty));
        match (ty, data_type) {
            (TypeRef::Enum(name), _) => {
                self.put(path, Role::Type, name);
                if let Some(def) = self.enums.get(name.as_str()).copied() {
                    for v in &def.variants {
                        self.put(&path.then(Step::EnumKey(v.key)), Role::Variant, &v.name);
                    }
                }
            }
            (TypeRef::Struct(name), DataType::Struct(spec)) => {
                self.put(path, Role::Type, name);
                self.params(path, name, &spec.members, Step::Member);
            }
            (TypeRef::Array { item, .. }, DataType::Array(spec)) => {
                self.value(&path.then(Step::Item), item, &spec.item);
            }
            _ => {}
        }
    }
}

/// The Rust type without the generated names: what changes when the type itself does.
fn shape(ty: &TypeRef) -> String {
    match ty {
        TypeRef::Int(_) | TypeRef::AnyEnumKey => "i32".into(),
        TypeRef::Float(_) => "f32".into(),
        TypeRef::Double(_) => "f64".into(),
        TypeRef::Text { .. } => "String".into(),
        TypeRef::Date => "Date".into(),
        TypeRef::Bool => "bool".into(),
        TypeRef::Enum(_) => "a generated enum".into(),
        TypeRef::Struct(_) => "a generated struct".into(),
        TypeRef::Array { item, .. } => format!("Vec<{}>", shape(item)),
    }
}
