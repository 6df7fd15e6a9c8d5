//! What a TSL thing model is: one definition for the generator (build time) and the runtime
//! (checking dynamic `Args`, dispatching device requests).
//!
//! [`Model::parse`] reads every shape a model comes in (console export, `GetThingModelTsl`,
//! simplified TSL, legacy 2018 TSL, `QueryThingModel`'s internal `ThingModelJson`, bare or
//! inside the API response) and normalises it into one [`Model`]. Problems are collected,
//! not stopped at: the error lists every [`Diagnostic`], each with the file, `line:col`, the
//! JSON path and what is wrong.

mod collect;
mod data_type;
mod diagnostic;
pub mod diff;
mod number;
pub(crate) mod parse;
mod position;
mod validate;

pub use data_type::{
    ArraySpec, BoolSpec, DataType, EnumSpec, EnumValue, NumberSpec, StructSpec, TextSpec,
    MAX_ARRAY_SIZE, MAX_TEXT_LENGTH,
};
pub use diagnostic::{Diagnostic, Location, ModelError, Problem, Severity};
pub use number::{Bound, NumberError};
pub use parse::MAX_MODEL_BYTES;

use std::path::Path;

/// A product's thing model: its default module and any custom modules (function blocks).
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The product key, when the model names a real one (placeholders such as
    /// `<- productKey ->` and `""` read as `None`).
    pub product_key: Option<String>,
    /// The modules, default module first when present; custom modules in the order given.
    pub modules: Vec<Module>,
}

/// A model that parsed, with the warnings found on the way.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// The model.
    pub model: Model,
    /// Suspicious but legal things (sentinel bounds, reserved identifiers, ...). A file
    /// lists at most its first 1,000; one `Problem::TooManyProblems` entry counts the rest.
    pub warnings: Vec<Diagnostic>,
}

/// One module (function block) of a product: the default module or a custom one.
#[derive(Debug, Clone, PartialEq)]
pub struct Module {
    /// `None` for the default module; the `functionBlockId` of a custom module.
    pub id: Option<String>,
    /// The `functionBlockName` of a custom module.
    pub name: Option<String>,
    /// Where the module was read from and in which shape.
    pub source: Source,
    /// Properties, in the model's order.
    pub properties: Vec<Property>,
    /// Events, in the model's order.
    pub events: Vec<Event>,
    /// Services, in the model's order (including the generated `set`/`get` when present).
    pub services: Vec<Service>,
    /// Custom modules the default module lists in `functionBlocks`.
    pub function_blocks: Vec<FunctionBlock>,
}

impl Module {
    /// The identifier as it goes on the wire: `module:identifier` in a custom module,
    /// `identifier` in the default module.
    pub fn wire_identifier(&self, identifier: &str) -> String {
        match &self.id {
            Some(module) => format!("{module}:{identifier}"),
            None => identifier.to_string(),
        }
    }

    /// The property with this TSL identifier.
    pub fn property(&self, identifier: &str) -> Option<&Property> {
        self.properties.iter().find(|p| p.identifier == identifier)
    }

    /// The service with this TSL identifier.
    pub fn service(&self, identifier: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.identifier == identifier)
    }

    /// The event with this TSL identifier.
    pub fn event(&self, identifier: &str) -> Option<&Event> {
        self.events.iter().find(|e| e.identifier == identifier)
    }
}

/// Where a module came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file name (or another label) given to the parser.
    pub origin: String,
    /// The model's shape.
    pub format: Format,
    /// The API response the model was wrapped in, if any.
    pub envelope: Envelope,
    /// `schema`, when the model names one.
    pub schema: Option<String>,
    /// `profile.version` (TSL) or `_ppk.version` (ThingModelJson).
    pub version: Option<String>,
}

/// The shape a model was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TSL as the console exports it and `GetThingModelTsl` returns it.
    Tsl,
    /// TSL with only `identifier` and `dataType` per item (`GetThingModelTsl` with `Simple=true`).
    SimplifiedTsl,
    /// The platform's internal storage format (`QueryThingModel`'s `ThingModelJson`).
    ThingModelJson,
}

/// The API response a model was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// The file is the model itself.
    Bare,
    /// `{"Data":{"TslStr":"..."}}` from `GetThingModelTsl`/`GetThingModelTslPublished`.
    GetThingModelTsl,
    /// `{"Data":{"ThingModelJson":"..."}}` from `QueryThingModel`/`QueryThingModelPublished`.
    QueryThingModel,
}

/// A custom module listed by the default module.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionBlock {
    /// `functionBlockId`.
    pub id: String,
    /// `functionBlockName`.
    pub name: Option<String>,
}

/// Read and write access to a property.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccessMode {
    /// `r` / `READ_ONLY`.
    ReadOnly,
    /// `rw` / `READ_WRITE`.
    ReadWrite,
    /// `w` / `WRITE_ONLY`.
    WriteOnly,
}

impl AccessMode {
    /// Whether the cloud may set it (`SetDeviceProperty`).
    pub fn is_writable(self) -> bool {
        matches!(self, AccessMode::ReadWrite | AccessMode::WriteOnly)
    }
}

/// A property of a device.
#[derive(Debug, Clone, PartialEq)]
pub struct Property {
    /// The TSL identifier, as the model writes it.
    pub identifier: String,
    /// `module:identifier` in a custom module, else the identifier.
    pub wire_identifier: String,
    /// The display name.
    pub name: Option<String>,
    /// The description.
    pub desc: Option<String>,
    /// Read/write access; `ReadWrite` when the model does not say (simplified TSL).
    pub access: AccessMode,
    /// Whether the product template requires it.
    pub required: bool,
    /// The value's type.
    pub data_type: DataType,
}

/// The kind of an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// `info` / `INFO_EVENT_TYPE`.
    Info,
    /// `alert` / `ALERT_EVENT_TYPE`.
    Alert,
    /// `error` / `ERROR_EVENT_TYPE`.
    Error,
}

/// An event a device posts.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The TSL identifier.
    pub identifier: String,
    /// `module:identifier` in a custom module, else the identifier.
    pub wire_identifier: String,
    /// The display name.
    pub name: Option<String>,
    /// The description.
    pub desc: Option<String>,
    /// The kind; `Info` when the model does not say.
    pub kind: EventType,
    /// Whether the product template requires it.
    pub required: bool,
    /// The Alink method: `thing.event.{identifier}.post`, `thing.event.property.post` for `post`.
    pub method: String,
    /// The payload.
    pub outputs: Vec<Param>,
}

/// How a service is called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallType {
    /// The API returns once the request is sent; the result comes back as a message.
    Async,
    /// The API waits (up to 8 s) for the device's reply.
    Sync,
}

/// A service the cloud calls on a device.
#[derive(Debug, Clone, PartialEq)]
pub struct Service {
    /// The TSL identifier.
    pub identifier: String,
    /// `module:identifier` in a custom module, else the identifier: the `Identifier` of
    /// `InvokeThingService`.
    pub wire_identifier: String,
    /// The display name.
    pub name: Option<String>,
    /// The description.
    pub desc: Option<String>,
    /// Whether the product template requires it.
    pub required: bool,
    /// Sync or async; `Async` when the model does not say.
    pub call_type: CallType,
    /// The Alink method: `thing.service.{identifier}`, `thing.service.property.set|get`.
    pub method: String,
    /// The arguments.
    pub inputs: Vec<Param>,
    /// Property identifiers listed as strings in `inputData` (the `get` service).
    pub input_names: Vec<String>,
    /// The reply's data.
    pub outputs: Vec<Param>,
}

impl Service {
    /// Whether this is the property `set` or `get` service the platform derives from the
    /// properties (the cloud sets properties with `SetDeviceProperty` instead).
    pub fn is_property_service(&self) -> bool {
        self.method == "thing.service.property.set" || self.method == "thing.service.property.get"
    }
}

/// A service argument or output, an event field, or a struct member.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    /// The TSL identifier (the JSON key on the wire).
    pub identifier: String,
    /// The display name.
    pub name: Option<String>,
    /// The description (ThingModelJson only).
    pub desc: Option<String>,
    /// The type.
    pub data_type: DataType,
}

impl Model {
    /// Reads a model from JSON text in any supported shape. `origin` names the source in
    /// diagnostics (usually the file path).
    pub fn parse(text: &str, origin: &str) -> Result<Parsed, ModelError> {
        parse::parse(text.as_bytes(), origin)
    }

    /// Reads a model from JSON bytes (which must be UTF-8).
    pub fn parse_bytes(bytes: &[u8], origin: &str) -> Result<Parsed, ModelError> {
        parse::parse(bytes, origin)
    }

    /// Reads a model file.
    pub fn load(path: impl AsRef<Path>) -> Result<Parsed, ModelError> {
        let path = path.as_ref();
        let origin = path.display().to_string();
        match std::fs::read(path) {
            Ok(bytes) => parse::parse(&bytes, &origin),
            Err(err) => Err(ModelError::single(Diagnostic::error(
                &origin,
                "",
                Problem::Unreadable {
                    reason: err.to_string(),
                },
            ))),
        }
    }

    /// Reads several model files of one product (a default module and its custom modules)
    /// into one model. See [`Model::combine`].
    pub fn load_all<P: AsRef<Path>>(paths: &[P]) -> Result<Parsed, ModelError> {
        let mut parts = Vec::new();
        let mut errors = Vec::new();
        for path in paths {
            match Model::load(path) {
                Ok(parsed) => parts.push(parsed),
                Err(err) => errors.extend(err.diagnostics),
            }
        }
        if !errors.is_empty() {
            return Err(ModelError::new(errors));
        }
        Model::combine(parts)
    }

    /// Combines the modules of one product into one model: modules must not repeat, the
    /// product keys must agree (placeholders aside), and there is at most one default module.
    pub fn combine(parts: Vec<Parsed>) -> Result<Parsed, ModelError> {
        validate::combine(parts)
    }

    /// The default module, when present.
    pub fn default_module(&self) -> Option<&Module> {
        self.modules.iter().find(|m| m.id.is_none())
    }

    /// The module with this `functionBlockId` (`None`: the default module).
    pub fn module(&self, id: Option<&str>) -> Option<&Module> {
        self.modules.iter().find(|m| m.id.as_deref() == id)
    }

    /// Every service of every module.
    pub fn services(&self) -> impl Iterator<Item = (&Module, &Service)> {
        self.modules
            .iter()
            .flat_map(|m| m.services.iter().map(move |s| (m, s)))
    }

    /// Every property of every module.
    pub fn properties(&self) -> impl Iterator<Item = (&Module, &Property)> {
        self.modules
            .iter()
            .flat_map(|m| m.properties.iter().map(move |p| (m, p)))
    }

    /// Every event of every module.
    pub fn events(&self) -> impl Iterator<Item = (&Module, &Event)> {
        self.modules
            .iter()
            .flat_map(|m| m.events.iter().map(move |e| (m, e)))
    }

    /// A service by its wire identifier (`id` or `module:id`).
    pub fn service_by_wire_identifier(&self, wire: &str) -> Option<&Service> {
        self.services()
            .map(|(_, s)| s)
            .find(|s| s.wire_identifier == wire)
    }

    /// A property by its wire identifier (`id` or `module:id`).
    pub fn property_by_wire_identifier(&self, wire: &str) -> Option<&Property> {
        self.properties()
            .map(|(_, p)| p)
            .find(|p| p.wire_identifier == wire)
    }
}
