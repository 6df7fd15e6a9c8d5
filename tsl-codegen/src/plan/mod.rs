//! Plan: decide every Rust name and type of the output from a `Model`, once.
//!
//! Two passes, so that names never depend on the order they are met in:
//! 1. walk the model (properties, then services, then events, module by module) and
//!    collect a *slot* for every struct and enum it needs, each with a candidate name; a
//!    type met twice (the property `mode` and the argument `mode` of the same type) gets
//!    one slot;
//! 2. name all slots together in one [`Namespace`], then every struct's fields, every
//!    enum's members and every service method in their own namespaces, and resolve slot
//!    references to names.

mod docs;
mod messages;

pub(crate) use messages::FIXED_VARIANTS;

use std::collections::{HashMap, HashSet};

use tsl_runtime::model::{
    CallType, DataType, EnumSpec, Model, Module, NumberSpec, Param, Property, MAX_ARRAY_SIZE,
};

use crate::ir::{
    ApiNames, Bounds, EnumDef, FieldDef, Plan, ServiceDef, SetterDef, StateMethods, StructDef,
    TypeDef, TypeRef, VariantDef,
};
use crate::names::{Kind, NameCollision, Namespace, TRAIT_METHODS};
use crate::settings::{Settings, StepCheck};

/// Methods of the generated handles and handler besides one per service.
const HANDLE_METHODS: &[&str] = &["new", "named", "device", "cloud", "product_key"];

/// The names of the fixed API items. They are the same for every model: a model type or
/// service that wants one is renamed instead.
fn api_names() -> ApiNames {
    ApiNames {
        device: "Device".to_string(),
        fleet: "Fleet".to_string(),
        handler: "Handler".to_string(),
        responder: "Responder".to_string(),
        property_set: "PropertySet".to_string(),
        properties: "Properties".to_string(),
        message: "Message".to_string(),
        set_properties: "set_properties".to_string(),
    }
}

/// Plans the output for `model`. Fails only when the settings ask for name collisions
/// to be errors and some are found; all of them are returned.
pub fn plan(model: &Model, settings: &Settings) -> Result<Plan, Vec<NameCollision>> {
    let mut planner = Planner {
        step_check: settings.step_check,
        ..Planner::default()
    };
    for module in &model.modules {
        planner.properties(module);
    }
    let mut services = Vec::new();
    for module in &model.modules {
        services.extend(planner.services(module));
    }
    for module in &model.modules {
        planner.events(module);
    }
    let property_set = planner.property_set(model);
    let properties = planner.all_properties(model);
    let events = std::mem::take(&mut planner.events);
    let mut plan = planner.finish(model, settings, services, property_set)?;
    messages::finish(&mut plan, properties, events, settings)?;
    Ok(plan)
}

#[derive(Default)]
struct Planner<'m> {
    /// How steps are checked: decides each number's [`Bounds`].
    step_check: StepCheck,
    slots: Vec<Slot>,
    /// (module, identifier) → (type, slot) in the order met, so a type met twice is
    /// emitted once. Indexed: a linear search made planning quadratic in big models.
    memo: HashMap<MemoKey<'m>, Vec<(&'m DataType, usize)>>,
    /// Every event with its payload struct's slot, for the message enum.
    events: Vec<messages::PendingEvent>,
}

/// A module (`None` for the default one) and a TSL identifier.
type MemoKey<'m> = (Option<&'m str>, String);

struct Slot {
    candidate: String,
    docs: Vec<String>,
    body: SlotBody,
    /// The wire identifier of the service or event whose parameters the struct holds.
    identifier: Option<String>,
}

enum SlotBody {
    Struct(Vec<PendingField>),
    Enum(Vec<(i64, String)>),
}

struct PendingField {
    /// What the Rust name is made from.
    naming: String,
    wire: String,
    docs: Vec<String>,
    ty: Ty,
    optional: bool,
}

/// A [`TypeRef`] whose structs and enums are still slot numbers.
#[derive(Clone)]
enum Ty {
    Int(Bounds),
    Float(Bounds),
    Double(Bounds),
    Text(Option<u32>),
    Date,
    Bool,
    AnyEnumKey,
    Enum(usize),
    Struct(usize),
    Array(Box<Ty>, u32),
}

/// A service before its method is named.
struct PendingService {
    naming: String,
    wire: String,
    docs: Vec<String>,
    sync: bool,
    input: Option<usize>,
    output: Option<usize>,
}

impl<'m> Planner<'m> {
    fn properties(&mut self, module: &'m Module) {
        let prefix = module_prefix(module);
        for property in &module.properties {
            self.type_of(
                module.id.as_deref(),
                &prefix,
                &property.identifier,
                &property.data_type,
                &docs::name_and_desc(
                    property.name.as_deref(),
                    &property.identifier,
                    property.desc.as_deref(),
                ),
            );
        }
    }

    fn services(&mut self, module: &'m Module) -> Vec<PendingService> {
        let prefix = module_prefix(module);
        let mut out = Vec::new();
        for service in module.services.iter().filter(|s| !s.is_property_service()) {
            let owner = format!("{prefix}{} ", service.identifier);
            let about = service_name(service.name.as_deref(), &service.identifier);
            let input = (!service.inputs.is_empty()).then(|| {
                self.params_struct(
                    module,
                    &owner,
                    &format!("{owner}Input"),
                    vec![format!("Arguments of {about}.")],
                    &service.inputs,
                    &service.wire_identifier,
                )
            });
            let output = (!service.outputs.is_empty()).then(|| {
                self.params_struct(
                    module,
                    &owner,
                    &format!("{owner}Output"),
                    vec![format!("What {about} answers.")],
                    &service.outputs,
                    &service.wire_identifier,
                )
            });
            let sync = service.call_type == CallType::Sync;
            let mut docs = docs::name_and_desc(
                service.name.as_deref(),
                &service.wire_identifier,
                service.desc.as_deref(),
            );
            docs.push(String::new());
            docs.push(if sync {
                "Sync service: the platform waits up to 8 s for the device's reply.".to_string()
            } else {
                "Async service: the platform accepts the call and the device answers later."
                    .to_string()
            });
            out.push(PendingService {
                naming: format!("{prefix}{}", service.identifier),
                wire: service.wire_identifier.clone(),
                docs,
                sync,
                input,
                output,
            });
        }
        out
    }

    fn events(&mut self, module: &'m Module) {
        let prefix = module_prefix(module);
        for event in &module.events {
            let owner = format!("{prefix}{} ", event.identifier);
            let mut docs = vec![format!(
                "What the event {} carries ({}).",
                service_name(event.name.as_deref(), &event.wire_identifier),
                match event.kind {
                    tsl_runtime::model::EventType::Info => "info",
                    tsl_runtime::model::EventType::Alert => "alert",
                    tsl_runtime::model::EventType::Error => "error",
                }
            )];
            if let Some(desc) = event.desc.as_deref() {
                let text = crate::names::doc_text(desc);
                if !text.is_empty() {
                    docs.push(String::new());
                    docs.extend(text.lines().map(str::to_string));
                }
            }
            let slot = self.params_struct(
                module,
                &owner,
                &format!("{owner}Event"),
                docs,
                &event.outputs,
                &event.wire_identifier,
            );
            self.events.push(messages::PendingEvent {
                naming: format!("{prefix}{}", event.identifier),
                wire: event.wire_identifier.clone(),
                slot,
            });
        }
    }

    fn params_struct(
        &mut self,
        module: &'m Module,
        owner: &str,
        candidate: &str,
        docs: Vec<String>,
        params: &'m [Param],
        identifier: &str,
    ) -> usize {
        let fields = params
            .iter()
            .map(|param| self.field(module.id.as_deref(), owner, param, false))
            .collect();
        let slot = self.push(candidate.to_string(), docs, SlotBody::Struct(fields));
        self.slots[slot].identifier = Some(identifier.to_string());
        slot
    }

    fn field(
        &mut self,
        module: Option<&'m str>,
        owner: &str,
        param: &'m Param,
        optional: bool,
    ) -> PendingField {
        // The type's docs are the field's first lines; made once (doc_text is not free).
        let type_docs = docs::name_and_desc(
            param.name.as_deref(),
            &param.identifier,
            param.desc.as_deref(),
        );
        let docs = docs::with_type(type_docs.clone(), &param.data_type);
        PendingField {
            naming: param.identifier.clone(),
            wire: param.identifier.clone(),
            docs,
            ty: self.type_of(
                module,
                owner,
                &param.identifier,
                &param.data_type,
                &type_docs,
            ),
            optional,
        }
    }

    /// The type of a value named `identifier` inside `owner` (a candidate name prefix).
    fn type_of(
        &mut self,
        module: Option<&'m str>,
        owner: &str,
        identifier: &str,
        data_type: &'m DataType,
        docs: &[String],
    ) -> Ty {
        match data_type {
            DataType::Int(spec) => Ty::Int(bounds(spec, self.step_check)),
            DataType::Float(spec) => Ty::Float(bounds(spec, self.step_check)),
            DataType::Double(spec) => Ty::Double(bounds(spec, self.step_check)),
            DataType::Text(spec) => Ty::Text(spec.length),
            DataType::Date => Ty::Date,
            DataType::Bool(_) => Ty::Bool,
            DataType::Enum(spec) if spec.values.is_empty() => Ty::AnyEnumKey,
            DataType::Enum(spec) => {
                let slot = self.memoised(module, identifier, data_type, |planner| {
                    planner.push(
                        format!("{owner}{identifier}"),
                        docs.to_vec(),
                        SlotBody::Enum(enum_members(spec)),
                    )
                });
                Ty::Enum(slot)
            }
            DataType::Struct(spec) => {
                let slot = self.memoised(module, identifier, data_type, |planner| {
                    let candidate = format!("{owner}{identifier}");
                    let inner_owner = format!("{candidate} ");
                    let fields = spec
                        .members
                        .iter()
                        .map(|member| planner.field(module, &inner_owner, member, false))
                        .collect();
                    planner.push(candidate, docs.to_vec(), SlotBody::Struct(fields))
                });
                Ty::Struct(slot)
            }
            DataType::Array(spec) => {
                let item = self.type_of(
                    module,
                    owner,
                    &format!("{identifier} item"),
                    &spec.item,
                    docs,
                );
                Ty::Array(Box::new(item), spec.size.unwrap_or(MAX_ARRAY_SIZE))
            }
        }
    }

    fn memoised(
        &mut self,
        module: Option<&'m str>,
        identifier: &str,
        data_type: &'m DataType,
        make: impl FnOnce(&mut Self) -> usize,
    ) -> usize {
        let key = (module, identifier.to_string());
        let found = self.memo.get(&key).and_then(|types| {
            types
                .iter()
                .find(|(t, _)| std::ptr::eq(*t, data_type) || *t == data_type)
        });
        if let Some(&(_, slot)) = found {
            return slot;
        }
        let slot = make(self);
        self.memo.entry(key).or_default().push((data_type, slot));
        slot
    }

    fn push(&mut self, candidate: String, docs: Vec<String>, body: SlotBody) -> usize {
        self.slots.push(Slot {
            candidate,
            docs,
            body,
            identifier: None,
        });
        self.slots.len() - 1
    }

    fn property_set(&mut self, model: &'m Model) -> Option<Vec<PendingField>> {
        let mut fields = Vec::new();
        for module in &model.modules {
            let prefix = module_prefix(module);
            for property in module.properties.iter().filter(|p| p.access.is_writable()) {
                fields.push(self.property_field(module, &prefix, property));
            }
        }
        (!fields.is_empty()).then_some(fields)
    }

    /// A property of `module` as an optional field: the property set and `Properties`
    /// both take their fields from here, so a property's struct type is planned once
    /// (met again, it is the same slot).
    fn property_field(
        &mut self,
        module: &'m Module,
        prefix: &str,
        property: &'m Property,
    ) -> PendingField {
        let docs = docs::with_type(
            docs::name_and_desc(
                property.name.as_deref(),
                &property.wire_identifier,
                property.desc.as_deref(),
            ),
            &property.data_type,
        );
        let type_docs = docs::name_and_desc(
            property.name.as_deref(),
            &property.identifier,
            property.desc.as_deref(),
        );
        PendingField {
            naming: format!("{prefix}{}", property.identifier),
            wire: property.wire_identifier.clone(),
            docs,
            ty: self.type_of(
                module.id.as_deref(),
                prefix,
                &property.identifier,
                &property.data_type,
                &type_docs,
            ),
            optional: true,
        }
    }

    fn finish(
        self,
        model: &Model,
        settings: &Settings,
        services: Vec<PendingService>,
        property_set: Option<Vec<PendingField>>,
    ) -> Result<Plan, Vec<NameCollision>> {
        let policy = settings.collisions;
        let mut collisions = Vec::new();
        let api = api_names();

        let mut types = Namespace::new(&api.types(), policy);
        let items: Vec<(&str, Kind)> = self
            .slots
            .iter()
            .map(|s| (s.candidate.as_str(), Kind::Type))
            .collect();
        let type_names = types.plan(&items).unwrap_or_else(|errors| {
            collisions.extend(errors);
            fallback_names(&self.slots)
        });

        let mut defs = Vec::with_capacity(self.slots.len());
        for (slot, name) in self.slots.iter().zip(&type_names) {
            match &slot.body {
                SlotBody::Struct(fields) => defs.push(TypeDef::Struct(StructDef {
                    name: name.clone(),
                    docs: slot.docs.clone(),
                    fields: name_fields(fields, &[], policy, &type_names, &mut collisions),
                    identifier_docs: slot
                        .identifier
                        .as_deref()
                        .map(docs::identifier)
                        .unwrap_or_default(),
                    identifier: slot.identifier.clone(),
                    eq: false,
                })),
                SlotBody::Enum(members) => {
                    let mut variants = Namespace::new(&[], policy);
                    let items: Vec<(&str, Kind)> = members
                        .iter()
                        .map(|(key, label)| (label.as_str(), Kind::Variant(*key)))
                        .collect();
                    let names = variants.plan(&items).unwrap_or_else(|errors| {
                        collisions.extend(errors);
                        members
                            .iter()
                            .map(|(k, _)| format!("V{}", k.unsigned_abs()))
                            .collect()
                    });
                    defs.push(TypeDef::Enum(EnumDef {
                        name: name.clone(),
                        docs: slot.docs.clone(),
                        variants: members
                            .iter()
                            .zip(names)
                            .map(|((key, label), name)| VariantDef {
                                name,
                                key: *key,
                                label: label.clone(),
                                docs: docs::variant(*key, label),
                            })
                            .collect(),
                    }));
                }
            }
        }

        let mut method_reserved: Vec<&str> = TRAIT_METHODS.to_vec();
        method_reserved.extend_from_slice(HANDLE_METHODS);
        method_reserved.push(api.set_properties.as_str());
        let mut methods = Namespace::new(&method_reserved, policy);
        let items: Vec<(&str, Kind)> = services
            .iter()
            .map(|s| (s.naming.as_str(), Kind::Field))
            .collect();
        let method_names = methods.plan(&items).unwrap_or_else(|errors| {
            collisions.extend(errors);
            (0..services.len())
                .map(|i| format!("service_{i}"))
                .collect()
        });
        let services = services
            .into_iter()
            .zip(method_names)
            .map(|(s, method)| ServiceDef {
                method,
                wire: s.wire,
                device_docs: docs::device_call(s.docs.clone(), s.sync),
                fleet_docs: docs::fleet_call(&s.docs),
                // Written by `messages::finish`, which plans the reply variants and methods.
                reply_docs: Vec::new(),
                with_reply_docs: Vec::new(),
                with_replies_docs: Vec::new(),
                docs: s.docs,
                sync: s.sync,
                input: s.input.map(|i| type_names[i].clone()),
                output: s.output.map(|i| type_names[i].clone()),
            })
            .collect();

        let mut property_set = property_set.map(|fields| {
            // Setters share the fields' names, so names of trait methods are kept clear
            // (a property `default` must not shadow `Default::default`).
            let mut reserved: Vec<&str> = TRAIT_METHODS.to_vec();
            reserved.push("new");
            let mut fields = name_fields(&fields, &reserved, policy, &type_names, &mut collisions);
            for field in &mut fields {
                // Field names are planned unique and in ASCII snake case, so their capitals
                // are unique too.
                field.setter = Some(SetterDef {
                    docs: docs::setter(&field.wire),
                    constant: field.name.trim_start_matches("r#").to_uppercase(),
                    constant_docs: docs::wire_constant(&field.wire),
                });
            }
            StructDef {
                name: api.property_set.clone(),
                docs: vec![
                    "Properties to set: each `Some` field is sent, each `None` left as it is."
                        .to_string(),
                    String::new(),
                    "Only writable properties are here.".to_string(),
                ],
                fields,
                identifier: None,
                identifier_docs: Vec::new(),
                eq: false,
            }
        });
        mark_eq(&mut defs, property_set.as_mut());

        if !collisions.is_empty() {
            return Err(collisions);
        }
        Ok(Plan {
            product_key: model.product_key.clone(),
            product_docs: model.product_key.as_deref().map(docs::product),
            summary: docs::summary(model),
            header: docs::header(model),
            types: defs,
            property_set,
            services,
            // `properties` is filled in by `messages::finish`.
            properties: StructDef {
                name: api.properties.clone(),
                docs: Vec::new(),
                fields: Vec::new(),
                identifier: None,
                identifier_docs: Vec::new(),
                eq: false,
            },
            api,
            events: Vec::new(),
            reply_variants: Vec::new(),
            // Planned by `messages::finish`, with the other methods of the handles.
            state_methods: StateMethods::default(),
            reply_methods: Vec::new(),
            set_reply_method: String::new(),
            fleet_reply_methods: Vec::new(),
            fleet_set_reply_method: String::new(),
        })
    }
}

/// Sets `eq` on every struct with no float inside, through structs and arrays. Structs
/// are marked by rounds until none changes (TSL nests structs only a few levels deep), so
/// the order of the definitions does not matter and nothing recurses.
fn mark_eq(defs: &mut [TypeDef], property_set: Option<&mut StructDef>) {
    fn floats(ty: &TypeRef, with_floats: &HashSet<String>) -> bool {
        match ty {
            TypeRef::Float(_) | TypeRef::Double(_) => true,
            TypeRef::Struct(name) => with_floats.contains(name),
            TypeRef::Array { item, .. } => floats(item, with_floats),
            _ => false,
        }
    }
    let mut with_floats = HashSet::new();
    loop {
        let before = with_floats.len();
        for def in defs.iter() {
            if let TypeDef::Struct(def) = def {
                if !with_floats.contains(&def.name)
                    && def.fields.iter().any(|f| floats(&f.ty, &with_floats))
                {
                    with_floats.insert(def.name.clone());
                }
            }
        }
        if with_floats.len() == before {
            break;
        }
    }
    for def in defs.iter_mut() {
        if let TypeDef::Struct(def) = def {
            def.eq = !with_floats.contains(&def.name);
        }
    }
    if let Some(set) = property_set {
        set.eq = !set.fields.iter().any(|f| floats(&f.ty, &with_floats));
    }
}

fn name_fields(
    fields: &[PendingField],
    reserved: &[&str],
    policy: crate::names::CollisionPolicy,
    type_names: &[String],
    collisions: &mut Vec<NameCollision>,
) -> Vec<FieldDef> {
    let mut namespace = Namespace::new(reserved, policy);
    let items: Vec<(&str, Kind)> = fields
        .iter()
        .map(|f| (f.naming.as_str(), Kind::Field))
        .collect();
    let names = namespace.plan(&items).unwrap_or_else(|errors| {
        collisions.extend(errors);
        (0..fields.len()).map(|i| format!("field_{i}")).collect()
    });
    fields
        .iter()
        .zip(names)
        .map(|(f, name)| FieldDef {
            name,
            wire: f.wire.clone(),
            docs: f.docs.clone(),
            ty: resolve(&f.ty, type_names),
            optional: f.optional,
            setter: None,
        })
        .collect()
}

fn resolve(ty: &Ty, names: &[String]) -> TypeRef {
    match ty {
        Ty::Int(b) => TypeRef::Int(b.clone()),
        Ty::Float(b) => TypeRef::Float(b.clone()),
        Ty::Double(b) => TypeRef::Double(b.clone()),
        Ty::Text(length) => TypeRef::Text { length: *length },
        Ty::Date => TypeRef::Date,
        Ty::Bool => TypeRef::Bool,
        Ty::AnyEnumKey => TypeRef::AnyEnumKey,
        Ty::Enum(slot) => TypeRef::Enum(names[*slot].clone()),
        Ty::Struct(slot) => TypeRef::Struct(names[*slot].clone()),
        Ty::Array(item, size) => TypeRef::Array {
            item: Box::new(resolve(item, names)),
            size: *size,
        },
    }
}

/// Names used only to finish walking the plan after a collision was reported; never
/// emitted, since the plan then fails.
fn fallback_names(slots: &[Slot]) -> Vec<String> {
    (0..slots.len()).map(|i| format!("Type{i}")).collect()
}

/// A number's bounds as checked: the step left out when step checks are off.
fn bounds(spec: &NumberSpec, step_check: StepCheck) -> Bounds {
    let step = spec.step.as_ref().map(|b| b.text().to_string());
    Bounds {
        min: spec.min.as_ref().map(|b| b.text().to_string()),
        max: spec.max.as_ref().map(|b| b.text().to_string()),
        step: step.filter(|_| step_check != StepCheck::Off),
        strict_step: step_check == StepCheck::Strict,
    }
}

fn enum_members(spec: &EnumSpec) -> Vec<(i64, String)> {
    spec.values
        .iter()
        .map(|v| (v.value, v.label.clone()))
        .collect()
}

/// `battery ` for a custom module `battery`, empty for the default module: the start of
/// the candidate names of everything in the module.
fn module_prefix(module: &Module) -> String {
    module
        .id
        .as_deref()
        .map(|id| format!("{id} "))
        .unwrap_or_default()
}

fn service_name(name: Option<&str>, identifier: &str) -> String {
    let name = name.map(crate::names::doc_text).filter(|n| !n.is_empty());
    match name {
        Some(name) if name != identifier => format!("`{identifier}` ({name})"),
        _ => format!("`{identifier}`"),
    }
}

#[cfg(test)]
mod tests {
    use tsl_runtime::model::Model;

    use super::*;
    use crate::names::CollisionPolicy;

    const MODEL: &str = r#"{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
      "profile":{"productKey":"a1Test"},
      "properties":[
        {"identifier":"tempC","name":"t","accessMode":"rw","required":false,"dataType":{"type":"int","specs":{}}},
        {"identifier":"temp_c","name":"t","accessMode":"rw","required":false,"dataType":{"type":"int","specs":{}}},
        {"identifier":"mode","name":"Mode","accessMode":"r","required":false,
         "dataType":{"type":"enum","specs":{"0":"off","1":"on"}}}],
      "events":[],
      "services":[
        {"identifier":"Run","name":"Run","required":false,"callType":"sync","method":"thing.service.Run",
         "inputData":[{"identifier":"mode","name":"Mode","dataType":{"type":"enum","specs":{"0":"off","1":"on"}}}],
         "outputData":[{"identifier":"mode","name":"Mode","dataType":{"type":"enum","specs":{"0":"off","1":"ON"}}}]},
        {"identifier":"clone","name":"c","required":false,"callType":"async","method":"thing.service.clone",
         "inputData":[],"outputData":[]}]}"#;

    fn model() -> Model {
        Model::parse(MODEL, "test.json").unwrap().model
    }

    fn type_names(plan: &Plan) -> Vec<&str> {
        plan.types
            .iter()
            .map(|t| match t {
                TypeDef::Struct(s) => s.name.as_str(),
                TypeDef::Enum(e) => e.name.as_str(),
            })
            .collect()
    }

    #[test]
    fn eq_is_planned_only_where_no_float_is_inside() {
        let model = r#"{"schema":"s","profile":{"productKey":"a1Test"},"events":[],
          "properties":[
            {"identifier":"spots","name":"s","accessMode":"rw","required":false,"dataType":{"type":"array",
             "specs":{"size":"4","item":{"type":"struct","specs":[
               {"identifier":"x","name":"x","dataType":{"type":"double","specs":{}}}]}}}},
            {"identifier":"slots","name":"s","accessMode":"r","required":false,"dataType":{"type":"array",
             "specs":{"size":"4","item":{"type":"struct","specs":[
               {"identifier":"at","name":"a","dataType":{"type":"int","specs":{}}}]}}}}],
          "services":[
            {"identifier":"Go","name":"Go","required":false,"callType":"async","method":"thing.service.Go",
             "inputData":[{"identifier":"spots","name":"s","dataType":{"type":"array",
               "specs":{"size":"4","item":{"type":"struct","specs":[
                 {"identifier":"x","name":"x","dataType":{"type":"float","specs":{}}}]}}}}],
             "outputData":[{"identifier":"when","name":"w","dataType":{"type":"date","specs":{}}}]}]}"#;
        let model = Model::parse(model, "eq.json").unwrap().model;
        let plan = plan(&model, &Settings::new()).unwrap();
        let eq: Vec<(&str, bool)> = plan
            .types
            .iter()
            .filter_map(|t| match t {
                TypeDef::Struct(s) => Some((s.name.as_str(), s.eq)),
                TypeDef::Enum(_) => None,
            })
            .collect();
        assert_eq!(
            eq,
            [
                ("SpotsItem", false),
                ("SlotsItem", true),
                ("GoSpotsItem", false),
                ("GoInput", false),
                ("GoOutput", true)
            ],
            "{eq:?}"
        );
        // Writable `spots` holds floats: the property set has no `Eq`.
        assert!(!plan.property_set.unwrap().eq);
    }

    #[test]
    fn a_type_met_twice_is_planned_once() {
        let plan = plan(&model(), &Settings::new()).unwrap();
        // The property `mode` and the input `mode` share the enum `Mode`; the output
        // `mode` has another label, so it is another type, named after its service.
        // Types a struct holds come before it.
        assert_eq!(
            type_names(&plan),
            vec!["Mode", "RunInput", "RunMode", "RunOutput"]
        );
        let input = plan
            .types
            .iter()
            .find_map(|t| match t {
                TypeDef::Struct(s) if s.name == "RunInput" => Some(s),
                _ => None,
            })
            .unwrap();
        assert_eq!(input.fields[0].ty, TypeRef::Enum("Mode".into()));
    }

    /// The API's names are the plan's: a model type that wants one is renamed, and the
    /// handles keep theirs.
    #[test]
    fn api_names_are_reserved_before_model_types() {
        let model = r#"{"schema":"s","profile":{"productKey":"a1Test"},"events":[],"services":[],
          "properties":[
            {"identifier":"device","name":"d","accessMode":"rw","required":false,"dataType":{"type":"struct",
             "specs":[{"identifier":"at","name":"a","dataType":{"type":"int","specs":{}}}]}}]}"#;
        let model = Model::parse(model, "api.json").unwrap().model;
        let plan = plan(&model, &Settings::new()).unwrap();
        assert_eq!(type_names(&plan), ["Device2"]);
        assert_eq!(plan.api.device, "Device");
        assert!(plan.api.types().contains(&"PropertySet"));
        let set = plan.property_set.unwrap();
        assert_eq!(set.name, plan.api.property_set);
        let setter = set.fields[0].setter.as_ref().unwrap();
        assert_eq!(setter.constant, "DEVICE");
        assert_eq!(setter.docs, ["Sets `device`."]);
    }

    #[test]
    fn collisions_are_resolved_the_same_way_every_time() {
        let plan = plan(&model(), &Settings::new()).unwrap();
        let set = plan.property_set.as_ref().unwrap();
        let fields: Vec<(&str, &str)> = set
            .fields
            .iter()
            .map(|f| (f.wire.as_str(), f.name.as_str()))
            .collect();
        assert_eq!(fields, vec![("tempC", "temp_c_2"), ("temp_c", "temp_c")]);
        // A service named like a trait method does not shadow it.
        let methods: Vec<&str> = plan.services.iter().map(|s| s.method.as_str()).collect();
        assert_eq!(methods, vec!["run", "clone_2"]);
    }

    #[test]
    fn collisions_can_be_errors_naming_both_identifiers() {
        let settings = Settings::new().collisions(CollisionPolicy::Error);
        let errors = plan(&model(), &settings).unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert!(
            text.iter()
                .any(|t| t.contains("`temp_c` and `tempC` both become the Rust name `temp_c`")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|t| t.contains("`clone` becomes the Rust name `clone`")),
            "{text:?}"
        );
    }
}
