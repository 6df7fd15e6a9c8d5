//! One change between two models, as data: which rule, how bad, what changed and where on
//! each side.

use std::fmt;

use super::rules::{Class, Rule};
use crate::model::Location;

/// One step down from a module to the thing that changed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Step {
    /// A property, by TSL identifier.
    Property(String),
    /// A service, by TSL identifier.
    Service(String),
    /// An event, by TSL identifier.
    Event(String),
    /// A service input, by identifier.
    Input(String),
    /// A service or event output, by identifier.
    Output(String),
    /// A struct member, by identifier.
    Member(String),
    /// The element type of an array.
    Item,
    /// An enum member, by key.
    EnumKey(i64),
    /// A field of the item or data type above.
    Field(Field),
}

/// A field of an item or of a data type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The data type's name.
    Type,
    /// `min`.
    Min,
    /// `max`.
    Max,
    /// `step`.
    Step,
    /// `unit` / `unitName`.
    Unit,
    /// A text's `length`.
    Length,
    /// An array's `size`.
    Size,
    /// A bool's labels.
    BoolLabels,
    /// A property's `accessMode` / `rwFlag`.
    Access,
    /// A service's `callType`.
    CallType,
    /// An event's `type` / `eventType`.
    EventType,
    /// `name`.
    Name,
    /// `desc` / `description`.
    Desc,
    /// `required`.
    Required,
}

/// What a change is about: a module (`None`: the default module) and the steps down to the
/// changed thing. The same path names the thing on both sides.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ItemPath {
    /// The custom module's `functionBlockId`; `None` for the default module.
    pub module: Option<String>,
    /// The steps from the module down.
    pub steps: Vec<Step>,
}

impl ItemPath {
    /// The module itself.
    pub fn module(module: Option<&str>) -> ItemPath {
        ItemPath {
            module: module.map(str::to_string),
            steps: Vec::new(),
        }
    }

    /// This path and one more step.
    pub fn then(&self, step: Step) -> ItemPath {
        let mut steps = self.steps.clone();
        steps.push(step);
        ItemPath {
            module: self.module.clone(),
            steps,
        }
    }

    /// This path without its last step (the module for a top-level item).
    pub fn parent(&self) -> ItemPath {
        let mut steps = self.steps.clone();
        steps.pop();
        ItemPath {
            module: self.module.clone(),
            steps,
        }
    }
}

impl fmt::Display for ItemPath {
    /// `service battery:Calibrate input Times max`; `module battery` for a module.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let wire = |id: &str| match &self.module {
            Some(m) => format!("{m}:{id}"),
            None => id.to_string(),
        };
        if self.steps.is_empty() {
            return match &self.module {
                Some(m) => write!(f, "module `{m}`"),
                None => f.write_str("default module"),
            };
        }
        let mut first = true;
        for step in &self.steps {
            if !first {
                f.write_str(" ")?;
            }
            first = false;
            match step {
                Step::Property(id) => write!(f, "property `{}`", wire(id))?,
                Step::Service(id) => write!(f, "service `{}`", wire(id))?,
                Step::Event(id) => write!(f, "event `{}`", wire(id))?,
                Step::Input(id) => write!(f, "input `{id}`")?,
                Step::Output(id) => write!(f, "output `{id}`")?,
                Step::Member(id) => write!(f, "member `{id}`")?,
                Step::Item => f.write_str("item")?,
                Step::EnumKey(k) => write!(f, "enum key {k}")?,
                Step::Field(field) => f.write_str(field.as_str())?,
            }
        }
        Ok(())
    }
}

impl Field {
    /// The field as TSL spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Type => "type",
            Field::Min => "min",
            Field::Max => "max",
            Field::Step => "step",
            Field::Unit => "unit",
            Field::Length => "length",
            Field::Size => "size",
            Field::BoolLabels => "bool labels",
            Field::Access => "accessMode",
            Field::CallType => "callType",
            Field::EventType => "event type",
            Field::Name => "name",
            Field::Desc => "desc",
            Field::Required => "required",
        }
    }
}

/// Where a change is on one side: the file, the JSON pointer and the `line:col`.
///
/// For a thing that exists on one side only, the other side's site is the nearest thing
/// that does exist (the list it would be in, or its item).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    /// The file (or label) the module was read from, as in diagnostics: for a model inside
    /// an API response, `file#/Data/TslStr` and the pointer is inside that string.
    pub origin: String,
    /// JSON pointer (RFC 6901) in that text.
    pub pointer: String,
    /// Where the pointed value starts, when the text was available.
    pub location: Option<Location>,
}

impl fmt::Display for Site {
    /// `file:line:col` (or `file` when the text was not available).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(l) = self.location {
            write!(f, ":{}:{}", l.line, l.column)?;
        }
        Ok(())
    }
}

/// One change between an old and a new model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The rule that found it.
    pub rule: Rule,
    /// What changed.
    pub path: ItemPath,
    /// What happened, in a sentence: ``max 100 → 50``.
    pub message: String,
    /// Where it is in the old model.
    pub old: Site,
    /// Where it is in the new model.
    pub new: Site,
}

impl Change {
    /// The rule's class.
    pub fn class(&self) -> Class {
        self.rule.class()
    }
}

impl fmt::Display for Change {
    /// `new.json:12:7: wire-breaking BOUNDS_NARROWED: property `Brightness` max: 100 → 50 (at /properties/0/dataType/specs/max; was old.json:12:7 at /properties/0/dataType/specs/max)`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}: {}: {} (at {}; was {} at {})",
            self.new,
            self.class(),
            self.rule,
            self.path,
            self.message,
            pointer_text(&self.new.pointer),
            self.old,
            pointer_text(&self.old.pointer),
        )
    }
}

fn pointer_text(pointer: &str) -> &str {
    if pointer.is_empty() {
        "/"
    } else {
        pointer
    }
}
