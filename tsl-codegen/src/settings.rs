//! What the generator emits and how: the one set of knobs shared by the CLI, the build
//! script builder and `#[tsl_model]`.

use crate::names::CollisionPolicy;

/// Which parts of the generated code to emit. Types are needed by both the cloud and the
/// device side, so asking for either also emits them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// Structs and enums for service inputs and outputs, event payloads, TSL structs and
    /// enums, and the property set.
    pub types: bool,
    /// `Device` and `Fleet` handles that call the platform through `tsl_runtime::cloud::Cloud`.
    pub cloud: bool,
    /// The `Handler` trait a device implements, `dispatch`, and the `Responder` wrapper.
    pub device: bool,
}

impl Default for Parts {
    fn default() -> Parts {
        Parts {
            types: true,
            cloud: true,
            device: true,
        }
    }
}

/// How generated checks treat a number off its model's `step`: the runtime's
/// [`StepCheck`](tsl_runtime::value::StepCheck), one definition for generated code and
/// the dynamic path (`docs/checks.md`). The default warns.
pub use tsl_runtime::value::StepCheck;

/// Settings of a [`Generator`](crate::Generator).
///
/// ```
/// use tsl_codegen::Settings;
///
/// let settings = Settings::new()
///     .module_name("lamp")
///     .derive("PartialOrd")
///     .device(false);
/// assert_eq!(settings.runtime_path_str(), "::tsl_runtime");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub(crate) derives: Vec<String>,
    pub(crate) attributes: Vec<String>,
    pub(crate) type_attributes: Vec<(String, String)>,
    pub(crate) module_name: Option<String>,
    pub(crate) runtime_path: String,
    pub(crate) parts: Parts,
    pub(crate) collisions: CollisionPolicy,
    pub(crate) serde: bool,
    pub(crate) step_check: StepCheck,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            derives: Vec::new(),
            attributes: Vec::new(),
            type_attributes: Vec::new(),
            module_name: None,
            runtime_path: "::tsl_runtime".to_string(),
            parts: Parts::default(),
            collisions: CollisionPolicy::Resolve,
            serde: false,
            step_check: StepCheck::Warn,
        }
    }
}

impl Settings {
    /// Everything emitted, no extra derives, items at the top level, runtime at
    /// `::tsl_runtime`, name collisions resolved with a numbered suffix.
    pub fn new() -> Settings {
        Settings::default()
    }

    /// Adds a derive to every generated struct and enum, as a path: `"PartialOrd"`,
    /// `"Eq"`. Every field type must implement it too (`i32`, `f32`, `f64`, `bool`,
    /// `String`, `Vec`, `Option`, `tsl_runtime::value::Date` and the generated types).
    /// `Eq` and `Hash` need not be asked for: every enum and every struct without a float
    /// inside (through structs and arrays) derives them, and asking derives them on every
    /// type, which fails on a struct with a float. Not `serde::Serialize`: derived serde
    /// writes Rust field and variant names and dates as numbers, not the wire form; use
    /// [`Settings::serde`].
    pub fn derive(mut self, path: impl Into<String>) -> Settings {
        self.derives.push(path.into());
        self
    }

    /// Adds an outer attribute to every generated struct and enum, without `#[...]`:
    /// `"serde(rename_all = \"camelCase\")"`, `"non_exhaustive"`.
    pub fn attribute(mut self, attribute: impl Into<String>) -> Settings {
        self.attributes.push(attribute.into());
        self
    }

    /// Adds an outer attribute, without `#[...]`, to the generated types `name` picks
    /// (as prost-build's `type_attribute`): the one whose Rust name is `name`
    /// (`"ScheduleItem"`, `"WorkMode"`, `"PropertySet"`), or the structs of the service or
    /// event whose wire identifier is `name` (`"Blink"` picks `BlinkInput` and
    /// `BlinkOutput`, `"battery:LowBattery"` the event's payload). A name that picks no type
    /// is an error when generating, so a typo or a renamed model does not pass unseen.
    ///
    /// ```
    /// use tsl_codegen::Settings;
    ///
    /// let settings = Settings::new()
    ///     .type_attribute("WorkMode", "derive(PartialOrd, Ord)")
    ///     .type_attribute("Blink", "non_exhaustive");
    /// # let _ = settings;
    /// ```
    pub fn type_attribute(
        mut self,
        name: impl Into<String>,
        attribute: impl Into<String>,
    ) -> Settings {
        self.type_attributes.push((name.into(), attribute.into()));
        self
    }

    /// Wraps everything in `pub mod name { ... }` (with `#[allow(dead_code)]`, as a binary
    /// rarely calls every service). Without it, items are emitted at the top level of the
    /// file or of the annotated module.
    pub fn module_name(mut self, name: impl Into<String>) -> Settings {
        self.module_name = Some(name.into());
        self
    }

    /// The path generated code names the runtime by; `::tsl_runtime` by default. Set it
    /// when the runtime is re-exported or renamed, e.g. `"crate::rt"`.
    pub fn runtime_path(mut self, path: impl Into<String>) -> Settings {
        self.runtime_path = path.into();
        self
    }

    /// Whether to emit the types (structs and enums). On by default; the cloud and device
    /// parts need them and turn them on.
    pub fn types(mut self, on: bool) -> Settings {
        self.parts.types = on;
        self
    }

    /// Whether to emit the cloud side: `Device` and `Fleet` handles. On by default.
    pub fn cloud(mut self, on: bool) -> Settings {
        self.parts.cloud = on;
        self
    }

    /// Whether to emit the device side: the `Handler` trait, `dispatch` and `Responder`.
    /// On by default.
    pub fn device(mut self, on: bool) -> Settings {
        self.parts.device = on;
        self
    }

    /// What to do when two TSL identifiers become the same Rust name (`tempC`, `temp_c`):
    /// resolve with a numbered suffix (the default) or fail naming both.
    pub fn collisions(mut self, policy: CollisionPolicy) -> Settings {
        self.collisions = policy;
        self
    }

    /// Whether every generated type implements `serde::Serialize` and `serde::Deserialize`
    /// in the wire form: wire keys, floats with a decimal point, bools as `0`/`1`, enum
    /// keys, dates as strings of milliseconds. The impls go through the same encoding as a
    /// call (`TslValue::to_wire`, `from_json` and `check`), so a value the model refuses is
    /// a serde error naming the field, the value and the bound. Off by default. The impls
    /// name serde through the runtime (`tsl_runtime::__private::serde`), so the crate needs
    /// no serde dependency to compile them.
    ///
    /// ```
    /// use tsl_codegen::Settings;
    ///
    /// let settings = Settings::new().serde(true);
    /// # let _ = settings;
    /// ```
    pub fn serde(mut self, on: bool) -> Settings {
        self.serde = on;
        self
    }

    /// How generated checks treat a number off its `step`: [`StepCheck::Warn`] by default,
    /// as the platform is not known to refuse one (`docs/checks.md`).
    pub fn step_check(mut self, check: StepCheck) -> Settings {
        self.step_check = check;
        self
    }

    /// The runtime path as given.
    pub fn runtime_path_str(&self) -> &str {
        &self.runtime_path
    }

    /// The parts to emit, with types on whenever another part needs them.
    pub fn parts(&self) -> Parts {
        let mut parts = self.parts;
        parts.types |= parts.cloud || parts.device;
        parts
    }
}
