//! The plan of what devices send, as the cloud receives it: the `Properties` struct (every
//! property with its time) and the message enum's variants (one per event, one per
//! service's successful reply). Planned after the rest, from the same type slots, so the
//! payloads are the structs the device side uses.

use std::collections::HashSet;

use tsl_runtime::model::Model;

use super::{docs, module_prefix, name_fields, PendingField, Planner, HANDLE_METHODS};
use crate::ir::{EventDef, Plan, StateMethods, StructDef, TypeDef, TypeRef};
use crate::names::{Kind, NameCollision, Namespace, TRAIT_METHODS};
use crate::settings::Settings;

/// Variants of the message enum that are not an event's or a service's.
pub(crate) const FIXED_VARIANTS: &[&str] = &[
    "PropertyPost",
    "PropertySetReply",
    "ServiceError",
    "Status",
    "Other",
    "Invalid",
];

/// An event before its variant is named.
pub(super) struct PendingEvent {
    /// What the variant name is made from (`{module}_{identifier}`).
    pub naming: String,
    /// The identifier on the wire.
    pub wire: String,
    /// The payload struct's slot.
    pub slot: usize,
}

impl<'m> Planner<'m> {
    /// Every property of every module, optional, named as the property set names them.
    pub(super) fn all_properties(&mut self, model: &'m Model) -> Vec<PendingField> {
        let mut fields = Vec::new();
        for module in &model.modules {
            let prefix = module_prefix(module);
            for property in &module.properties {
                fields.push(self.property_field(module, &prefix, property));
            }
        }
        fields
    }
}

/// Names the `Properties` fields and the message enum's variants.
pub(super) fn finish(
    plan: &mut Plan,
    properties: Vec<PendingField>,
    events: Vec<PendingEvent>,
    settings: &Settings,
) -> Result<(), Vec<NameCollision>> {
    let policy = settings.collisions;
    let mut collisions = Vec::new();
    // Slots were emitted in order: the n-th type is the n-th slot.
    let type_names: Vec<String> = plan
        .types
        .iter()
        .map(|def| match def {
            TypeDef::Struct(def) => def.name.clone(),
            TypeDef::Enum(def) => def.name.clone(),
        })
        .collect();

    let mut reserved: Vec<&str> = TRAIT_METHODS.to_vec();
    reserved.extend_from_slice(&["new", "decode"]);
    let fields = name_fields(&properties, &reserved, policy, &type_names, &mut collisions);
    let without_eq = structs_with_floats(&plan.types);
    let eq = fields.iter().all(|f| !floats(&f.ty, &without_eq));
    plan.properties = StructDef {
        name: plan.api.properties.clone(),
        docs: vec![
            "Every property of the model, each with the time it was measured: what a property"
                .to_string(),
            "report decodes into. `None` for a property the report did not carry.".to_string(),
        ],
        fields,
        identifier: None,
        identifier_docs: Vec::new(),
        eq,
    };

    let mut variants = Namespace::new(FIXED_VARIANTS, policy);
    let reply_namings: Vec<String> = plan
        .services
        .iter()
        .map(|s| format!("{}_reply", s.method.trim_start_matches("r#")))
        .collect();
    let items: Vec<(&str, Kind)> = events
        .iter()
        .map(|e| (e.naming.as_str(), Kind::Type))
        .chain(reply_namings.iter().map(|n| (n.as_str(), Kind::Type)))
        .collect();
    let names = variants.plan(&items).unwrap_or_else(|errors| {
        collisions.extend(errors);
        (0..items.len()).map(|i| format!("Variant{i}")).collect()
    });
    let (event_names, reply_names) = names.split_at(events.len());
    plan.events = events
        .iter()
        .zip(event_names)
        .map(|(e, variant)| EventDef {
            variant: variant.clone(),
            wire: e.wire.clone(),
            payload: type_names[e.slot].clone(),
            docs: docs::event_variant(&e.wire),
        })
        .collect();
    plan.reply_variants = reply_names.to_vec();
    for service in &mut plan.services {
        service.reply_docs = docs::reply_variant(&service.wire);
    }

    // `{method}_with_reply` beside each async service's method, clear of every other
    // method of the handle.
    let set_properties = plan.api.set_properties.clone();
    let mut reserved: Vec<&str> = TRAIT_METHODS.to_vec();
    reserved.extend_from_slice(HANDLE_METHODS);
    reserved.push(&set_properties);
    reserved.extend(plan.services.iter().map(|s| s.method.as_str()));
    let mut methods = Namespace::new(&reserved, policy);
    let async_services: Vec<usize> = (0..plan.services.len())
        .filter(|&i| !plan.services[i].sync)
        .collect();
    let namings: Vec<String> = async_services
        .iter()
        .map(|&i| {
            format!(
                "{}_with_reply",
                plan.services[i].method.trim_start_matches("r#")
            )
        })
        .chain([format!("{set_properties}_with_reply")])
        .collect();
    let items: Vec<(&str, Kind)> = namings.iter().map(|n| (n.as_str(), Kind::Field)).collect();
    let names = methods.plan(&items).unwrap_or_else(|errors| {
        collisions.extend(errors);
        (0..items.len())
            .map(|i| format!("method_{i}_with_reply"))
            .collect()
    });
    plan.reply_methods = vec![None; plan.services.len()];
    for (&i, name) in async_services.iter().zip(&names) {
        plan.reply_methods[i] = Some(name.clone());
        let service = &mut plan.services[i];
        service.with_reply_docs = docs::with_reply(&service.wire, &service.method);
    }
    plan.set_reply_method = names.last().cloned().unwrap_or_default();

    // `{method}_with_replies` on `Fleet`, likewise.
    let namings: Vec<String> = async_services
        .iter()
        .map(|&i| {
            format!(
                "{}_with_replies",
                plan.services[i].method.trim_start_matches("r#")
            )
        })
        .chain([format!("{set_properties}_with_replies")])
        .collect();
    let items: Vec<(&str, Kind)> = namings.iter().map(|n| (n.as_str(), Kind::Field)).collect();
    let names = methods.plan(&items).unwrap_or_else(|errors| {
        collisions.extend(errors);
        (0..items.len())
            .map(|i| format!("method_{i}_with_replies"))
            .collect()
    });
    plan.fleet_reply_methods = vec![None; plan.services.len()];
    for (&i, name) in async_services.iter().zip(&names) {
        plan.fleet_reply_methods[i] = Some(name.clone());
        let service = &mut plan.services[i];
        service.with_replies_docs = docs::with_replies(&service.wire, &service.method);
    }
    plan.fleet_set_reply_method = names.last().cloned().unwrap_or_default();

    // `Device`'s state methods: a name another method of the handle has (a service's, a
    // reply method's) gets `_state`, then a number, until it is free. Not a `Namespace`:
    // these are the toolkit's names, so a model never collides with them as an error.
    let mut taken: HashSet<String> = TRAIT_METHODS
        .iter()
        .chain(HANDLE_METHODS)
        .map(|m| m.to_string())
        .chain([set_properties.clone(), plan.set_reply_method.clone()])
        .chain(plan.services.iter().map(|s| s.method.clone()))
        .chain(plan.reply_methods.iter().flatten().cloned())
        .map(|m| m.trim_start_matches("r#").to_string())
        .collect();
    let mut free = |name: &str| {
        let mut candidate = name.to_string();
        let mut n = 1;
        while taken.contains(&candidate) {
            candidate = if n == 1 {
                format!("{name}_state")
            } else {
                format!("{name}_state_{n}")
            };
            n += 1;
        }
        taken.insert(candidate.clone());
        candidate
    };
    plan.state_methods = StateMethods {
        properties: free("properties"),
        desired: free("desired"),
        set_desired: free("set_desired"),
    };
    if collisions.is_empty() {
        Ok(())
    } else {
        Err(collisions)
    }
}

/// The structs with a float inside (planned without `eq`).
fn structs_with_floats(defs: &[TypeDef]) -> HashSet<&str> {
    defs.iter()
        .filter_map(|def| match def {
            TypeDef::Struct(def) if !def.eq => Some(def.name.as_str()),
            _ => None,
        })
        .collect()
}

/// Whether a float is inside `ty`, through structs and arrays.
fn floats(ty: &TypeRef, with_floats: &HashSet<&str>) -> bool {
    match ty {
        TypeRef::Float(_) | TypeRef::Double(_) => true,
        TypeRef::Struct(name) => with_floats.contains(name.as_str()),
        TypeRef::Array { item, .. } => floats(item, with_floats),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use tsl_runtime::model::Model;

    use crate::settings::Settings;

    /// Event variants stay clear of the fixed ones (an event `Status`), reply variants of
    /// event variants, and `*_with_reply` methods of the services' own methods.
    #[test]
    fn variants_and_reply_methods_are_planned_clear_of_each_other() {
        let model = r#"{"schema":"s","profile":{"productKey":"a1Test"},
          "properties":[{"identifier":"Status","name":"s","accessMode":"r","required":false,
             "dataType":{"type":"int","specs":{}}}],
          "events":[
            {"identifier":"Status","name":"s","type":"info","required":false,"method":"thing.event.Status.post","outputData":[]},
            {"identifier":"run_reply","name":"r","type":"info","required":false,"method":"thing.event.run_reply.post","outputData":[]}],
          "services":[
            {"identifier":"run","name":"r","required":false,"callType":"async","method":"thing.service.run",
             "inputData":[],"outputData":[]},
            {"identifier":"run_with_reply","name":"r","required":false,"callType":"async",
             "method":"thing.service.run_with_reply","inputData":[],"outputData":[]},
            {"identifier":"now","name":"n","required":false,"callType":"sync","method":"thing.service.now",
             "inputData":[],"outputData":[]}]}"#;
        let model = Model::parse(model, "m.json").unwrap().model;
        let plan = super::super::plan(&model, &Settings::new()).unwrap();
        let events: Vec<&str> = plan.events.iter().map(|e| e.variant.as_str()).collect();
        assert!(!events.contains(&"Status"), "{events:?}");
        let mut variants: Vec<&str> = events.clone();
        variants.extend(plan.reply_variants.iter().map(String::as_str));
        variants.extend(super::FIXED_VARIANTS);
        let mut unique = variants.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), variants.len(), "{variants:?}");

        let methods: Vec<&str> = plan.services.iter().map(|s| s.method.as_str()).collect();
        let with_reply: Vec<&str> = plan
            .reply_methods
            .iter()
            .flatten()
            .map(String::as_str)
            .collect();
        assert_eq!(
            with_reply.len(),
            2,
            "a sync service has none: {with_reply:?}"
        );
        assert!(plan.reply_methods[2].is_none());
        assert!(
            with_reply.iter().all(|m| !methods.contains(m)),
            "{with_reply:?} {methods:?}"
        );
        assert_eq!(plan.properties.fields.len(), 1);
        assert_eq!(plan.properties.fields[0].wire, "Status");
    }

    #[test]
    fn state_methods_step_aside_for_services_with_their_names() {
        let service = |id: &str| {
            format!(
                r#"{{"identifier":"{id}","name":"x","required":false,"callType":"async",
                   "method":"thing.service.{id}","inputData":[],"outputData":[]}}"#
            )
        };
        let services: Vec<String> = ["properties", "properties_state", "desired", "set_desired"]
            .iter()
            .map(|id| service(id))
            .collect();
        let model = format!(
            r#"{{"schema":"s","profile":{{"productKey":"a1Test"}},"events":[],
               "properties":[{{"identifier":"Level","name":"l","accessMode":"rw","required":false,
                 "dataType":{{"type":"int","specs":{{}}}}}}],
               "services":[{}]}}"#,
            services.join(",")
        );
        let model = Model::parse(&model, "m.json").unwrap().model;
        let plan = super::super::plan(&model, &Settings::new()).unwrap();
        let state = &plan.state_methods;
        assert_eq!(state.properties, "properties_state_2");
        assert_eq!(state.desired, "desired_state");
        assert_eq!(state.set_desired, "set_desired_state");
        let mut all: Vec<&str> = plan.services.iter().map(|s| s.method.as_str()).collect();
        all.extend(plan.reply_methods.iter().flatten().map(String::as_str));
        all.extend([
            state.properties.as_str(),
            state.desired.as_str(),
            state.set_desired.as_str(),
        ]);
        let mut unique = all.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "{all:?}");
    }
}
