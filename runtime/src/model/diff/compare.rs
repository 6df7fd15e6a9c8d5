//! The comparison itself: two models walked side by side, items matched by identifier,
//! each difference named by a rule. Positions are found afterwards (`locate.rs`).

use std::cmp::Ordering;

use super::change::{Field, ItemPath, Step};
use super::rules::Rule;
use crate::model::{
    AccessMode, Bound, CallType, DataType, EnumSpec, Event, EventType, Model, Module, NumberSpec,
    Param, Property, Service, MAX_ARRAY_SIZE,
};

/// A change before its positions are known: the path on each side (they differ only when a
/// module's id changed).
pub(super) struct Raw {
    pub rule: Rule,
    pub old: ItemPath,
    pub new: ItemPath,
    pub message: String,
}

/// Every difference between `old` and `new`, in the order of the old model (additions
/// where they are met in the new one).
pub(super) fn compare(old: &Model, new: &Model) -> Vec<Raw> {
    let mut out = Out(Vec::new());
    let mut removed = Vec::new();
    for old_module in &old.modules {
        match new.module(old_module.id.as_deref()) {
            Some(new_module) => module(&mut out, old_module, new_module),
            None => removed.push(old_module),
        }
    }
    let mut added: Vec<&Module> = new
        .modules
        .iter()
        .filter(|m| old.module(m.id.as_deref()).is_none())
        .collect();
    for old_module in removed {
        // A custom module under another id: same name, or the same items.
        let renamed = added.iter().position(|new_module| {
            old_module.id.is_some()
                && new_module.id.is_some()
                && (old_module.name.is_some() && old_module.name == new_module.name
                    || same_items(old_module, new_module))
        });
        let old_path = ItemPath::module(old_module.id.as_deref());
        match renamed {
            Some(i) => {
                let new_module = added.remove(i);
                let new_path = ItemPath::module(new_module.id.as_deref());
                out.push2(
                    Rule::ModuleIdChanged,
                    old_path,
                    new_path,
                    format!(
                        "module id `{}` → `{}`: every identifier in it goes on the wire as `{}:…` now",
                        old_module.id.as_deref().unwrap_or_default(),
                        new_module.id.as_deref().unwrap_or_default(),
                        new_module.id.as_deref().unwrap_or_default()
                    ),
                );
                module(&mut out, old_module, new_module);
            }
            None => out.push(
                Rule::ModuleRemoved,
                old_path,
                format!(
                    "removed with its {} properties, {} services and {} events",
                    old_module.properties.len(),
                    old_module.services.len(),
                    old_module.events.len()
                ),
            ),
        }
    }
    for new_module in added {
        out.push(
            Rule::ModuleAdded,
            ItemPath::module(new_module.id.as_deref()),
            "added".to_string(),
        );
    }
    out.0
}

struct Out(Vec<Raw>);

impl Out {
    fn push(&mut self, rule: Rule, path: ItemPath, message: String) {
        self.0.push(Raw {
            rule,
            old: path.clone(),
            new: path,
            message,
        });
    }

    fn push2(&mut self, rule: Rule, old: ItemPath, new: ItemPath, message: String) {
        self.0.push(Raw {
            rule,
            old,
            new,
            message,
        });
    }
}

fn same_items(a: &Module, b: &Module) -> bool {
    let ids = |m: &Module| {
        let mut ids: Vec<String> = m
            .properties
            .iter()
            .map(|p| format!("p:{}", p.identifier))
            .chain(m.services.iter().map(|s| format!("s:{}", s.identifier)))
            .chain(m.events.iter().map(|e| format!("e:{}", e.identifier)))
            .collect();
        ids.sort();
        ids
    };
    let a = ids(a);
    !a.is_empty() && a == ids(b)
}

/// Compares two modules. Paths are made from the old module's id for matched items, so a
/// module whose id changed is still compared item by item.
fn module(out: &mut Out, old: &Module, new: &Module) {
    let old_base = ItemPath::module(old.id.as_deref());
    let new_base = ItemPath::module(new.id.as_deref());
    let pair = |step: Step| (old_base.then(step.clone()), new_base.then(step));

    for p in &old.properties {
        let (o, n) = pair(Step::Property(p.identifier.clone()));
        match new.property(&p.identifier) {
            Some(q) => property(out, &o, &n, p, q),
            None => {
                let twins = new.properties.iter().filter(|q| {
                    old.property(&q.identifier).is_none() && q.data_type == p.data_type
                });
                out.push2(
                    Rule::PropertyRemoved,
                    o,
                    n,
                    removed_message(twins.map(|q| &q.identifier)),
                );
            }
        }
    }
    for q in new
        .properties
        .iter()
        .filter(|q| old.property(&q.identifier).is_none())
    {
        let (o, n) = pair(Step::Property(q.identifier.clone()));
        out.push2(Rule::PropertyAdded, o, n, "added".into());
    }

    // `set`/`get` and the `post` event mirror the properties: their changes are the
    // properties' changes, reported once, on the properties.
    let (old_services, new_services) = (services(old), services(new));
    for s in &old_services {
        let (o, n) = pair(Step::Service(s.identifier.clone()));
        match new_services.iter().find(|t| t.identifier == s.identifier) {
            Some(t) => service(out, &o, &n, s, t),
            None => {
                let twins = new_services.iter().filter(|t| {
                    !old_services.iter().any(|s| s.identifier == t.identifier)
                        && t.inputs == s.inputs
                        && t.outputs == s.outputs
                });
                out.push2(
                    Rule::ServiceRemoved,
                    o,
                    n,
                    removed_message(twins.map(|t| &t.identifier)),
                );
            }
        }
    }
    for t in new_services
        .iter()
        .filter(|t| !old_services.iter().any(|s| s.identifier == t.identifier))
    {
        let (o, n) = pair(Step::Service(t.identifier.clone()));
        out.push2(Rule::ServiceAdded, o, n, "added".into());
    }

    let (old_events, new_events) = (events(old), events(new));
    for e in &old_events {
        let (o, n) = pair(Step::Event(e.identifier.clone()));
        match new_events.iter().find(|f| f.identifier == e.identifier) {
            Some(f) => event(out, &o, &n, e, f),
            None => {
                let twins = new_events.iter().filter(|f| {
                    !old_events.iter().any(|e| e.identifier == f.identifier)
                        && f.outputs == e.outputs
                });
                out.push2(
                    Rule::EventRemoved,
                    o,
                    n,
                    removed_message(twins.map(|f| &f.identifier)),
                );
            }
        }
    }
    for f in new_events
        .iter()
        .filter(|f| !old_events.iter().any(|e| e.identifier == f.identifier))
    {
        let (o, n) = pair(Step::Event(f.identifier.clone()));
        out.push2(Rule::EventAdded, o, n, "added".into());
    }
}

fn property(out: &mut Out, o: &ItemPath, n: &ItemPath, p: &Property, q: &Property) {
    if p.access != q.access {
        // Narrowed when a way in is lost: rw → r or w, r ↔ w; widened when one is gained.
        let rule = match (p.access, q.access) {
            (AccessMode::ReadOnly | AccessMode::WriteOnly, AccessMode::ReadWrite) => {
                Rule::AccessModeWidened
            }
            _ => Rule::AccessModeNarrowed,
        };
        let lost = match (p.access.is_writable(), q.access.is_writable()) {
            (true, false) => ": the cloud can no longer set it",
            _ => "",
        };
        field(
            out,
            o,
            n,
            Field::Access,
            rule,
            format!("{} → {}{lost}", access(p.access), access(q.access)),
        );
    }
    docs_and_required(
        out,
        o,
        n,
        (&p.name, &q.name),
        (&p.desc, &q.desc),
        (p.required, q.required),
    );
    data_type(out, o, n, &p.data_type, &q.data_type);
}

fn service(out: &mut Out, o: &ItemPath, n: &ItemPath, s: &Service, t: &Service) {
    if s.call_type != t.call_type {
        let why = match t.call_type {
            CallType::Sync => "callers now wait up to 8 s for the device's reply",
            CallType::Async => "callers no longer get the device's reply in the API's answer",
        };
        field(
            out,
            o,
            n,
            Field::CallType,
            Rule::CallTypeChanged,
            format!("{} → {}: {why}", call(s.call_type), call(t.call_type)),
        );
    }
    docs_and_required(
        out,
        o,
        n,
        (&s.name, &t.name),
        (&s.desc, &t.desc),
        (s.required, t.required),
    );
    params(
        out,
        o,
        n,
        &s.inputs,
        &t.inputs,
        Step::Input,
        (Rule::ServiceInputRemoved, Rule::ServiceInputAdded),
    );
    params(
        out,
        o,
        n,
        &s.outputs,
        &t.outputs,
        Step::Output,
        (Rule::ServiceOutputRemoved, Rule::ServiceOutputAdded),
    );
}

fn event(out: &mut Out, o: &ItemPath, n: &ItemPath, e: &Event, f: &Event) {
    if e.kind != f.kind {
        field(
            out,
            o,
            n,
            Field::EventType,
            Rule::EventTypeChanged,
            format!("{} → {}", event_type(e.kind), event_type(f.kind)),
        );
    }
    docs_and_required(
        out,
        o,
        n,
        (&e.name, &f.name),
        (&e.desc, &f.desc),
        (e.required, f.required),
    );
    params(
        out,
        o,
        n,
        &e.outputs,
        &f.outputs,
        Step::Output,
        (Rule::EventOutputRemoved, Rule::EventOutputAdded),
    );
}

/// Parameters or struct members matched by identifier.
fn params(
    out: &mut Out,
    o: &ItemPath,
    n: &ItemPath,
    old: &[Param],
    new: &[Param],
    step: fn(String) -> Step,
    (removed, added): (Rule, Rule),
) {
    for p in old {
        let (po, pn) = (
            o.then(step(p.identifier.clone())),
            n.then(step(p.identifier.clone())),
        );
        match new.iter().find(|q| q.identifier == p.identifier) {
            Some(q) => {
                docs_and_required(
                    out,
                    &po,
                    &pn,
                    (&p.name, &q.name),
                    (&p.desc, &q.desc),
                    (false, false),
                );
                data_type(out, &po, &pn, &p.data_type, &q.data_type);
            }
            None => {
                let twins = new.iter().filter(|q| {
                    !old.iter().any(|p| p.identifier == q.identifier) && q.data_type == p.data_type
                });
                out.push2(
                    removed,
                    po,
                    pn,
                    removed_message(twins.map(|q| &q.identifier)),
                );
            }
        }
    }
    for q in new
        .iter()
        .filter(|q| !old.iter().any(|p| p.identifier == q.identifier))
    {
        let (po, pn) = (
            o.then(step(q.identifier.clone())),
            n.then(step(q.identifier.clone())),
        );
        out.push2(added, po, pn, format!("added ({})", q.data_type.tsl_name()));
    }
}

fn field(out: &mut Out, o: &ItemPath, n: &ItemPath, f: Field, rule: Rule, message: String) {
    out.push2(
        rule,
        o.then(Step::Field(f)),
        n.then(Step::Field(f)),
        message,
    );
}

type Pair<'a, T> = (&'a T, &'a T);

fn docs_and_required(
    out: &mut Out,
    o: &ItemPath,
    n: &ItemPath,
    name: Pair<'_, Option<String>>,
    desc: Pair<'_, Option<String>>,
    required: (bool, bool),
) {
    if name.0 != name.1 {
        field(
            out,
            o,
            n,
            Field::Name,
            Rule::DocumentationChanged,
            format!("{} → {}", text(name.0), text(name.1)),
        );
    }
    if desc.0 != desc.1 {
        field(
            out,
            o,
            n,
            Field::Desc,
            Rule::DocumentationChanged,
            format!("{} → {}", text(desc.0), text(desc.1)),
        );
    }
    if required.0 != required.1 {
        field(
            out,
            o,
            n,
            Field::Required,
            Rule::RequiredChanged,
            format!("{} → {}", required.0, required.1),
        );
    }
}

fn data_type(out: &mut Out, o: &ItemPath, n: &ItemPath, old: &DataType, new: &DataType) {
    match (old, new) {
        (DataType::Int(a), DataType::Int(b))
        | (DataType::Float(a), DataType::Float(b))
        | (DataType::Double(a), DataType::Double(b)) => numbers(out, o, n, a, b),
        (DataType::Text(a), DataType::Text(b)) => limit(
            out,
            o,
            n,
            Field::Length,
            (a.length, b.length),
            u32::MAX,
            (Rule::TextLengthShrunk, Rule::TextLengthGrown),
        ),
        (DataType::Date, DataType::Date) => {}
        (DataType::Bool(a), DataType::Bool(b)) => {
            if a != b {
                let labels = |s: &crate::model::BoolSpec| {
                    format!("0 = {}, 1 = {}", text(&s.false_label), text(&s.true_label))
                };
                field(
                    out,
                    o,
                    n,
                    Field::BoolLabels,
                    Rule::DocumentationChanged,
                    format!("{} → {}", labels(a), labels(b)),
                );
            }
        }
        (DataType::Enum(a), DataType::Enum(b)) => enums(out, o, n, a, b),
        (DataType::Struct(a), DataType::Struct(b)) => params(
            out,
            o,
            n,
            &a.members,
            &b.members,
            Step::Member,
            (Rule::StructMemberRemoved, Rule::StructMemberAdded),
        ),
        (DataType::Array(a), DataType::Array(b)) => {
            limit(
                out,
                o,
                n,
                Field::Size,
                (a.size, b.size),
                MAX_ARRAY_SIZE,
                (Rule::ArraySizeShrunk, Rule::ArraySizeGrown),
            );
            data_type(
                out,
                &o.then(Step::Item),
                &n.then(Step::Item),
                &a.item,
                &b.item,
            );
        }
        _ => {
            let (a, b) = (old.tsl_name(), new.tsl_name());
            let note = match (old, new) {
                (DataType::Int(_), DataType::Float(_) | DataType::Double(_)) => {
                    ": values are now written with a decimal point (10 → 10.0) and devices reading an integer refuse them"
                }
                (DataType::Float(_) | DataType::Double(_), DataType::Int(_)) => {
                    ": values are now written without a decimal point and fractions are refused"
                }
                (DataType::Float(_), DataType::Double(_)) | (DataType::Double(_), DataType::Float(_)) => {
                    ": the precision on both ends changes"
                }
                _ => "",
            };
            field(
                out,
                o,
                n,
                Field::Type,
                Rule::DataTypeChanged,
                format!("{a} → {b}{note}"),
            );
        }
    }
}

fn numbers(out: &mut Out, o: &ItemPath, n: &ItemPath, a: &NumberSpec, b: &NumberSpec) {
    for (f, old, new, raise_narrows) in [
        (Field::Min, &a.min, &b.min, true),
        (Field::Max, &a.max, &b.max, false),
    ] {
        let rule = match (old, new) {
            (None, None) => None,
            (None, Some(_)) => Some(Rule::BoundsNarrowed),
            (Some(_), None) => Some(Rule::BoundsWidened),
            (Some(x), Some(y)) => match cmp_bound(x, y) {
                Ordering::Equal => None,
                Ordering::Less => Some(if raise_narrows {
                    Rule::BoundsNarrowed
                } else {
                    Rule::BoundsWidened
                }),
                Ordering::Greater => Some(if raise_narrows {
                    Rule::BoundsWidened
                } else {
                    Rule::BoundsNarrowed
                }),
            },
        };
        if let Some(rule) = rule {
            field(
                out,
                o,
                n,
                f,
                rule,
                format!("{} → {}", bound(old), bound(new)),
            );
        }
    }
    let step = match (&a.step, &b.step) {
        (None, None) => None,
        (Some(_), None) => Some(Rule::StepRemoved),
        (None, Some(_)) => Some(Rule::StepChanged),
        (Some(x), Some(y)) => (cmp_bound(x, y) != Ordering::Equal).then_some(Rule::StepChanged),
    };
    if let Some(rule) = step {
        field(
            out,
            o,
            n,
            Field::Step,
            rule,
            format!("{} → {}", bound(&a.step), bound(&b.step)),
        );
    }
    if a.unit != b.unit || a.unit_name != b.unit_name {
        let unit = |s: &NumberSpec| match (&s.unit, &s.unit_name) {
            (Some(u), Some(name)) => format!("`{u}` ({name})"),
            (Some(u), None) => format!("`{u}`"),
            (None, Some(name)) => format!("({name})"),
            (None, None) => "none".to_string(),
        };
        field(
            out,
            o,
            n,
            Field::Unit,
            Rule::DocumentationChanged,
            format!("{} → {}", unit(a), unit(b)),
        );
    }
}

/// Exact decimals when both have them (`0.1` = `0.10`), else the nearest doubles.
fn cmp_bound(a: &Bound, b: &Bound) -> Ordering {
    match (a.exact(), b.exact()) {
        (Some(x), Some(y)) => x.cmp(&y),
        _ => a.value().total_cmp(&b.value()),
    }
}

/// A length or size: `None` is `unset` (compared as `cap`).
fn limit(
    out: &mut Out,
    o: &ItemPath,
    n: &ItemPath,
    f: Field,
    (a, b): (Option<u32>, Option<u32>),
    cap: u32,
    (shrunk, grown): (Rule, Rule),
) {
    let (x, y) = (a.unwrap_or(cap), b.unwrap_or(cap));
    let rule = match y.cmp(&x) {
        Ordering::Less => shrunk,
        Ordering::Greater => grown,
        Ordering::Equal => return,
    };
    let show = |v: Option<u32>| v.map_or_else(|| "unset".to_string(), |v| v.to_string());
    field(out, o, n, f, rule, format!("{} → {}", show(a), show(b)));
}

fn enums(out: &mut Out, o: &ItemPath, n: &ItemPath, a: &EnumSpec, b: &EnumSpec) {
    let keys = |s: &EnumSpec| {
        s.values
            .iter()
            .map(|v| v.value.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    // An enum listing no keys accepts any integer.
    match (a.values.is_empty(), b.values.is_empty()) {
        (true, true) => return,
        (true, false) => {
            field(
                out,
                o,
                n,
                Field::Type,
                Rule::EnumKeyRemoved,
                format!("any integer key → only {}", keys(b)),
            );
            return;
        }
        (false, true) => {
            field(
                out,
                o,
                n,
                Field::Type,
                Rule::EnumKeyAdded,
                format!("only {} → any integer key", keys(a)),
            );
            return;
        }
        (false, false) => {}
    }
    for v in &a.values {
        let (ko, kn) = (
            o.then(Step::EnumKey(v.value)),
            n.then(Step::EnumKey(v.value)),
        );
        match b.get(v.value) {
            Some(w) if w.label != v.label => out.push2(
                Rule::DocumentationChanged,
                ko,
                kn,
                format!("label `{}` → `{}`", v.label, w.label),
            ),
            Some(_) => {}
            None => out.push2(
                Rule::EnumKeyRemoved,
                ko,
                kn,
                format!("key {} (`{}`) removed", v.value, v.label),
            ),
        }
    }
    for w in b.values.iter().filter(|w| a.get(w.value).is_none()) {
        let (ko, kn) = (
            o.then(Step::EnumKey(w.value)),
            n.then(Step::EnumKey(w.value)),
        );
        out.push2(
            Rule::EnumKeyAdded,
            ko,
            kn,
            format!("key {} (`{}`) added", w.value, w.label),
        );
    }
}

fn access(a: AccessMode) -> &'static str {
    match a {
        AccessMode::ReadOnly => "r",
        AccessMode::ReadWrite => "rw",
        AccessMode::WriteOnly => "w",
    }
}

fn call(c: CallType) -> &'static str {
    match c {
        CallType::Sync => "sync",
        CallType::Async => "async",
    }
}

fn event_type(k: EventType) -> &'static str {
    match k {
        EventType::Info => "info",
        EventType::Alert => "alert",
        EventType::Error => "error",
    }
}

fn bound(b: &Option<Bound>) -> String {
    b.as_ref()
        .map_or_else(|| "unset".to_string(), |b| b.to_string())
}

fn text(t: &Option<String>) -> String {
    t.as_ref()
        .map_or_else(|| "unset".to_string(), |t| format!("`{t}`"))
}

/// "removed", with the items added in the same list that look the same: a rename shows as
/// a removal and an addition, and this says which addition it may be.
fn removed_message<'a>(twins: impl Iterator<Item = &'a String>) -> String {
    let twins: Vec<String> = twins.map(|t| format!("`{t}`")).collect();
    match twins.as_slice() {
        [] => "removed".to_string(),
        [one] => format!("removed ({one} was added with the same definition: renamed?)"),
        many => format!(
            "removed ({} were added with the same definition: renamed?)",
            many.join(", ")
        ),
    }
}

/// The services compared: not `set`/`get`.
fn services(m: &Module) -> Vec<&Service> {
    m.services
        .iter()
        .filter(|s| !s.is_property_service())
        .collect()
}

/// The events compared: not the property report `post`.
fn events(m: &Module) -> Vec<&Event> {
    m.events
        .iter()
        .filter(|e| e.method != "thing.event.property.post")
        .collect()
}
