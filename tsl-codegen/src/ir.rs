//! The plan of the generated code: every Rust name and type decided, every doc line that
//! depends on the model written (and the file header's lines), still independent of token
//! syntax. [`crate::plan`] builds it from a `Model`; emit turns it into tokens and format
//! prints it, and neither sees the model. (Emit's templates keep only the fixed doc text of
//! fixed items, the same for every model.)

/// Everything one output holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The product key, when the model names a real one.
    pub product_key: Option<String>,
    /// Doc lines of the items about the product; `Some` exactly when `product_key` is.
    pub product_docs: Option<ProductDocs>,
    /// Lines of the doc comment of the generated items as a whole (which model, modules).
    pub summary: Vec<String>,
    /// Lines of the file's plain `//` header after the line naming the generator and the
    /// sources: the product and each module's counts, as plain text (no Markdown).
    pub header: Vec<String>,
    /// Structs and enums, in a deterministic order (properties, services, events).
    pub types: Vec<TypeDef>,
    /// The writable properties, all optional: `SetDeviceProperty` items and a device's
    /// property set. `None` when no property is writable.
    pub property_set: Option<StructDef>,
    /// The services the cloud calls (not the property `set`/`get` services).
    pub services: Vec<ServiceDef>,
    /// Names of the generated API items, decided against the model's names.
    pub api: ApiNames,
    /// Every property (module ones too), each optional with its time: what a property
    /// report or a device's property status decodes into.
    pub properties: StructDef,
    /// Every event, with its variant in the message enum.
    pub events: Vec<EventDef>,
    /// The variant of each service's successful reply in the message enum, in the order
    /// of `services`.
    pub reply_variants: Vec<String>,
    /// The `Device` method calling a service and returning a handle on its reply, in the
    /// order of `services`; `None` for a sync service (its reply is the call's answer).
    pub reply_methods: Vec<Option<String>>,
    /// The `Device` method setting properties and returning a handle on the reply.
    pub set_reply_method: String,
    /// The `Fleet` method calling an async service and merging the devices' replies into
    /// its report, in the order of `services`; `None` for a sync service.
    pub fleet_reply_methods: Vec<Option<String>>,
    /// The `Fleet` method setting properties and merging the devices' replies.
    pub fleet_set_reply_method: String,
    /// The `Device` methods reading and setting the device's state.
    pub state_methods: StateMethods,
}

/// The names of `Device`'s state methods (docs/state.md): `properties`, `desired` and
/// `set_desired` unless a service or another method of the handle has the name.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StateMethods {
    /// Reads the latest reported value of every property.
    pub properties: String,
    /// Reads the desired values of the writable properties and their versions.
    pub desired: String,
    /// Sets desired values.
    pub set_desired: String,
}

/// An event as the message enum receives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventDef {
    /// The variant's name.
    pub variant: String,
    /// The event's identifier on the wire (`Alarm`, `battery:Low`).
    pub wire: String,
    /// Its payload struct.
    pub payload: String,
    /// Doc lines of its variant.
    pub docs: Vec<String>,
}

/// Doc lines of the items a product key adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductDocs {
    /// The `PRODUCT_KEY` constant.
    pub constant: Vec<String>,
    /// `Device::named`.
    pub device_named: Vec<String>,
    /// `Fleet::named`.
    pub fleet_named: Vec<String>,
}

/// Names of the fixed items of the generated API, decided by the plan: the plan reserves
/// them before naming the model's types and methods (a model type `Device` becomes
/// `Device2`), and emit names the items by them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiNames {
    /// The cloud-side handle of one device.
    pub device: String,
    /// The cloud-side handle of many devices.
    pub fleet: String,
    /// The device-side trait.
    pub handler: String,
    /// The `alink::Responder` wrapper of a handler.
    pub responder: String,
    /// The property set struct.
    pub property_set: String,
    /// The struct of every property with its time.
    pub properties: String,
    /// The enum of the messages devices send.
    pub message: String,
    /// The method setting properties, on handles and the handler.
    pub set_properties: String,
}

impl ApiNames {
    /// The type names among them, which no model type may take.
    pub fn types(&self) -> [&str; 7] {
        [
            &self.device,
            &self.fleet,
            &self.handler,
            &self.responder,
            &self.property_set,
            &self.properties,
            &self.message,
        ]
    }
}

/// A struct or an enum.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeDef {
    /// A struct.
    Struct(StructDef),
    /// An enum.
    Enum(EnumDef),
}

/// A generated struct.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// The Rust name.
    pub name: String,
    /// Doc lines.
    pub docs: Vec<String>,
    /// Fields, in the model's order.
    pub fields: Vec<FieldDef>,
    /// The wire identifier of the service or event whose inputs, outputs or payload the
    /// struct holds (`Blink`, `battery:Check`), emitted as its `IDENTIFIER` constant.
    pub identifier: Option<String>,
    /// Doc lines of the `IDENTIFIER` constant; empty without an identifier.
    pub identifier_docs: Vec<String>,
    /// Whether no `f32` or `f64` is inside, through structs and arrays: then `Eq` and
    /// `Hash` are derived.
    pub eq: bool,
}

/// A field of a generated struct.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// The Rust name (possibly raw, `r#type`).
    pub name: String,
    /// The key on the wire (TSL identifier, `module:identifier` for module properties).
    pub wire: String,
    /// Doc lines.
    pub docs: Vec<String>,
    /// The type.
    pub ty: TypeRef,
    /// Whether the field is `Option<_>` (property sets).
    pub optional: bool,
    /// What the property set adds for the field; `None` in other structs.
    pub setter: Option<SetterDef>,
}

/// A property set field's setter and its wire-identifier constant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetterDef {
    /// Doc lines of the setter (named as the field).
    pub docs: Vec<String>,
    /// The constant's name (the field's in capitals).
    pub constant: String,
    /// Doc lines of the constant.
    pub constant_docs: Vec<String>,
}

/// The Rust type of a value, with what must be checked at run time.
#[derive(Debug, Clone, PartialEq)]
pub enum TypeRef {
    /// `i32`.
    Int(Bounds),
    /// `f32`.
    Float(Bounds),
    /// `f64`.
    Double(Bounds),
    /// `String`, at most `length` characters.
    Text {
        /// The model's `length`.
        length: Option<u32>,
    },
    /// `tsl_runtime::value::Date`.
    Date,
    /// `bool`.
    Bool,
    /// A generated enum.
    Enum(String),
    /// An enum that lists no values (simplified TSL): any `i32` key.
    AnyEnumKey,
    /// A generated struct.
    Struct(String),
    /// `Vec<item>`, at most `size` items.
    Array {
        /// The element type.
        item: Box<TypeRef>,
        /// The model's `size`, or the platform's cap.
        size: u32,
    },
}

/// Bounds of a number as the model wrote them; `None` for none (or a sentinel).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bounds {
    /// `min`.
    pub min: Option<String>,
    /// `max`.
    pub max: Option<String>,
    /// `step`; `None` also when the settings turn step checks off.
    pub step: Option<String>,
    /// Whether a value off `step` is an error rather than a warning (`StepCheck`).
    pub strict_step: bool,
}

impl Bounds {
    /// Whether any bound is set.
    pub fn is_empty(&self) -> bool {
        self.min.is_none() && self.max.is_none() && self.step.is_none()
    }
}

/// A generated enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDef {
    /// The Rust name.
    pub name: String,
    /// Doc lines.
    pub docs: Vec<String>,
    /// Members, in the model's order.
    pub variants: Vec<VariantDef>,
}

/// A member of a generated enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantDef {
    /// The Rust name.
    pub name: String,
    /// The key on the wire.
    pub key: i64,
    /// The label, as the model gives it (the `label()` text).
    pub label: String,
    /// Doc lines.
    pub docs: Vec<String>,
}

/// A service the cloud can call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceDef {
    /// The Rust method name.
    pub method: String,
    /// `Identifier` on the wire (`Blink`, `battery:Check`).
    pub wire: String,
    /// Doc lines of the handler's method.
    pub docs: Vec<String>,
    /// Doc lines of `Device`'s method (what it returns).
    pub device_docs: Vec<String>,
    /// Doc lines of `Fleet`'s method (async services).
    pub fleet_docs: Vec<String>,
    /// Doc lines of its successful reply's variant in the message enum.
    pub reply_docs: Vec<String>,
    /// Doc lines of `Device`'s method returning a handle on the reply (async services).
    pub with_reply_docs: Vec<String>,
    /// Doc lines of `Fleet`'s method merging the replies into its report (async services).
    pub with_replies_docs: Vec<String>,
    /// Whether the API waits for the device's reply.
    pub sync: bool,
    /// The input struct; `None` for a service without inputs.
    pub input: Option<String>,
    /// The output struct; `None` for a service without outputs.
    pub output: Option<String>,
}
