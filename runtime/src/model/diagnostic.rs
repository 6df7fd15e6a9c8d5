//! Diagnostics: what is wrong with a model, where, and what to do about it.

use std::fmt;

use super::number::NumberError;

/// How bad a problem is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The model cannot be used.
    Error,
    /// Legal but suspicious; the model is used as read.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A 1-based line and column (in characters) in the model's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Location {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

impl fmt::Display for Location {
    /// `line:column`, as diagnostics print it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// One problem found in a model.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// The file (or label) the model came from; for a model embedded in an API response
    /// as a string, `file#/Data/TslStr`, and `location` is inside that string.
    pub origin: String,
    /// The JSON pointer of the offending value, e.g. `/services/2/inputData/0/dataType/specs/min`.
    pub pointer: String,
    /// Where the value starts, when known.
    pub location: Option<Location>,
    /// What is wrong.
    pub problem: Problem,
}

impl Diagnostic {
    /// An error at `pointer`.
    pub fn error(origin: &str, pointer: &str, problem: Problem) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            origin: origin.to_string(),
            pointer: pointer.to_string(),
            location: None,
            problem,
        }
    }

    /// A warning at `pointer`.
    pub fn warning(origin: &str, pointer: &str, problem: Problem) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(origin, pointer, problem)
        }
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.origin)?;
        if let Some(loc) = self.location {
            write!(f, ":{}:{}", loc.line, loc.column)?;
        }
        let pointer = if self.pointer.is_empty() {
            "/"
        } else {
            &self.pointer
        };
        write!(f, ": {}: {} (at {pointer})", self.severity, self.problem)?;
        if let Some(hint) = self.problem.hint() {
            write!(f, "\n  hint: {hint}")?;
        }
        Ok(())
    }
}

/// Every problem that kept a model from being read (and the warnings found with them).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub struct ModelError {
    /// Errors first, then warnings; each group in the order of the text.
    pub diagnostics: Vec<Diagnostic>,
}

impl ModelError {
    /// An error of these diagnostics, sorted errors first.
    pub fn new(mut diagnostics: Vec<Diagnostic>) -> ModelError {
        diagnostics.sort_by(|a, b| {
            (a.severity, &a.origin, a.location).cmp(&(b.severity, &b.origin, b.location))
        });
        ModelError { diagnostics }
    }

    /// An error of one diagnostic.
    pub fn single(diagnostic: Diagnostic) -> ModelError {
        ModelError {
            diagnostics: vec![diagnostic],
        }
    }

    /// The errors (without the warnings).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics.iter().filter(|d| d.is_error())
    }
}

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{d}")?;
        }
        let errors = self.errors().count();
        let warnings = self.diagnostics.len() - errors;
        write!(
            f,
            "{errors} error{}, {warnings} warning{}",
            plural(errors),
            plural(warnings)
        )
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// What is wrong, as data: each variant carries the values involved.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum Problem {
    /// The file could not be read.
    #[error("cannot read the model: {reason}")]
    Unreadable {
        /// The operating system's message.
        reason: String,
    },
    /// The file is larger than the parser accepts.
    #[error("the model is {bytes} bytes, more than the {limit} bytes accepted")]
    TooLarge {
        /// The size of the input.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The bytes are not UTF-8.
    #[error("the model is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 {
        /// Offset of the first invalid byte.
        offset: usize,
    },
    /// The text is not JSON.
    #[error("invalid JSON: {reason}")]
    InvalidJson {
        /// The JSON parser's message.
        reason: String,
    },
    /// JSON of another platform's thing-model format.
    #[error("this looks like {format}, not an Alibaba Cloud IoT Platform TSL model ({evidence})")]
    LookAlike {
        /// What the file appears to be.
        format: &'static str,
        /// What gave it away.
        evidence: String,
    },
    /// JSON, but no thing model in any known shape.
    #[error("not a thing model: {found}")]
    NotAModel {
        /// What was found instead.
        found: String,
    },
    /// A field the model needs is absent.
    #[error("missing `{field}`")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A value of the wrong JSON type.
    #[error("expected {expected}, found {found}")]
    WrongJsonType {
        /// What the format requires.
        expected: &'static str,
        /// The JSON type found.
        found: &'static str,
    },
    /// A data type TSL does not have.
    #[error("unknown data type `{name}`")]
    UnknownDataType {
        /// The type name found.
        name: String,
    },
    /// A data type the JSON schema lists but the platform does not use.
    #[error("data type `{name}` is not supported")]
    UnsupportedDataType {
        /// The type name found.
        name: String,
    },
    /// A spec number that cannot be read.
    #[error("`{field}`: {reason}")]
    InvalidNumber {
        /// The spec field.
        field: &'static str,
        /// Why.
        reason: NumberError,
    },
    /// A spec value written as a JSON number instead of a string.
    #[error("`{field}` is the JSON number {value}; TSL writes spec values as strings")]
    NumberNotString {
        /// The spec field.
        field: &'static str,
        /// The number as written.
        value: String,
    },
    /// `min` greater than `max`.
    #[error("min {min} is greater than max {max}")]
    MinAboveMax {
        /// The min as written.
        min: String,
        /// The max as written.
        max: String,
    },
    /// `step` zero or negative.
    #[error("step {step} must be greater than zero")]
    StepNotPositive {
        /// The step as written.
        step: String,
    },
    /// A bound or step of an `int` that is not an integer.
    #[error("`{field}` of an int must be an integer, found {value}")]
    IntBoundNotInteger {
        /// The spec field.
        field: &'static str,
        /// The value as written.
        value: String,
    },
    /// A bound of an `int` outside the 32-bit range.
    #[error("`{field}` {value} is outside the int range -2147483648..=2147483647")]
    IntBoundOutOfRange {
        /// The spec field.
        field: &'static str,
        /// The value as written.
        value: String,
    },
    /// A "no limit" placeholder such as `1.7976931348623157E308`.
    #[error(
        "`{field}` {value} is a placeholder for \"no limit\", not a real bound; it is ignored"
    )]
    SentinelBound {
        /// The spec field.
        field: &'static str,
        /// The value as written.
        value: String,
    },
    /// `length` of `text` that is not a positive integer.
    #[error("text length {value} must be a whole number from 1 to {max}")]
    InvalidTextLength {
        /// The value as written.
        value: String,
        /// The largest length TSL exports declare.
        max: u32,
    },
    /// `size` of `array` outside 1..=512.
    #[error("array size {value} must be a whole number from 1 to {max}")]
    InvalidArraySize {
        /// The value as written.
        value: String,
        /// The platform's limit.
        max: u32,
    },
    /// An enum key that is not an integer.
    #[error("enum key `{key}` is not an integer")]
    InvalidEnumKey {
        /// The key as written.
        key: String,
    },
    /// A JSON object with the same key twice (the JSON reader would keep only the last).
    #[error("key `{key}` appears twice in one object (first at {first})")]
    DuplicateKey {
        /// The key.
        key: String,
        /// Where the first one is.
        first: Location,
    },
    /// A product key the platform could not have issued.
    #[error("product key {key:?} has characters a product key cannot have")]
    InvalidProductKey {
        /// The key as written.
        key: String,
    },
    /// The same enum key twice.
    #[error("enum key {key} appears more than once")]
    DuplicateEnumKey {
        /// The key.
        key: i64,
    },
    /// An enum without values.
    #[error("enum has no values; any integer will be accepted")]
    EnumWithoutValues,
    /// `bool` specs with keys other than `0` and `1`.
    #[error("bool specs must have the keys \"0\" and \"1\", found {keys}")]
    InvalidBoolKeys {
        /// The keys found.
        keys: String,
    },
    /// An array of a type the platform does not allow as an element.
    #[error("array elements of type `{item}` are not supported (allowed: int, float, double, text, struct)")]
    UnsupportedArrayItem {
        /// The element type.
        item: &'static str,
    },
    /// A struct member that is itself a struct or an array.
    #[error("struct member of type `{member}` is not supported (members are int, float, double, text, date, bool or enum)")]
    UnsupportedStructMember {
        /// The member's type.
        member: &'static str,
    },
    /// An identifier with characters TSL does not allow, empty, or too long.
    #[error("identifier `{identifier}` {reason}")]
    InvalidIdentifier {
        /// The identifier.
        identifier: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An identifier the platform reserves.
    #[error("identifier `{identifier}` is reserved by the platform (set, get, post, property, event, time, value)")]
    ReservedIdentifier {
        /// The identifier.
        identifier: String,
    },
    /// Two items of one list with the same identifier.
    #[error("{kind} `{identifier}` is defined twice (first at {first})")]
    DuplicateIdentifier {
        /// What kind of item.
        kind: &'static str,
        /// The identifier.
        identifier: String,
        /// JSON pointer of the first definition.
        first: String,
    },
    /// A value not among those allowed.
    #[error("`{field}` is `{value}`; expected one of {expected}")]
    UnknownKeyword {
        /// The field.
        field: &'static str,
        /// The value found.
        value: String,
        /// The values allowed.
        expected: &'static str,
    },
    /// A method that does not match the identifier.
    #[error("method `{found}` does not match the identifier; expected `{expected}`")]
    MethodMismatch {
        /// The method derived from the identifier.
        expected: String,
        /// The method found.
        found: String,
    },
    /// `get` lists a property the model does not have.
    #[error("`{identifier}` is not a property of this module")]
    UnknownPropertyName {
        /// The identifier listed.
        identifier: String,
    },
    /// A `functionBlockId` that does not match `^[_a-zA-Z0-9]{1,30}$`.
    #[error("module id `{id}` must be 1 to 30 letters, digits or `_`")]
    InvalidModuleId {
        /// The id.
        id: String,
    },
    /// Both `dataSpecs` and `dataSpecsList` in ThingModelJson.
    #[error("both `dataSpecs` and `dataSpecsList` are present; the format allows one")]
    BothDataSpecs,
    /// `extendConfig` that is not JSON text.
    #[error("`extendConfig` is not JSON text: {reason}")]
    InvalidExtendConfig {
        /// The parser's message.
        reason: String,
    },
    /// Models of different products combined.
    #[error("product key `{second}` differs from `{first}` of another file")]
    ProductKeyMismatch {
        /// The first product key seen.
        first: String,
        /// This file's product key.
        second: String,
    },
    /// The same module given twice.
    #[error("module `{module}` is given more than once")]
    DuplicateModule {
        /// The module id, or `default`.
        module: String,
    },
    /// A custom module the default module does not list.
    #[error("module `{module}` is not listed in the default module's functionBlocks")]
    ModuleNotListed {
        /// The module id.
        module: String,
    },
    /// More problems than are worth printing.
    #[error("{omitted} more problems not shown")]
    TooManyProblems {
        /// How many were left out.
        omitted: usize,
    },
}

impl Problem {
    /// A suggestion for fixing the problem, where one helps.
    pub fn hint(&self) -> Option<String> {
        Some(match self {
            Problem::UnknownDataType { name } => match name.to_ascii_lowercase().as_str() {
                "int32" | "int64" | "integer" | "long" => "TSL's integer type is `int`".into(),
                "string" | "str" => "TSL's string type is `text`".into(),
                "boolean" => "TSL's boolean type is `bool`".into(),
                "number" | "decimal" => "use `float` or `double`".into(),
                "object" => "use `struct`".into(),
                "list" => "use `array`".into(),
                "timestamp" | "datetime" => "use `date` (epoch milliseconds)".into(),
                _ => "TSL types are int, float, double, text, date, bool, enum, struct, array".into(),
            },
            Problem::NumberNotString { field, value } => format!("write \"{field}\": \"{value}\""),
            Problem::InvalidBoolKeys { .. } => {
                "write \"specs\": {\"0\": \"off\", \"1\": \"on\"}; `true`/`false` keys are another platform's format".into()
            }
            Problem::LookAlike { .. } => {
                "export the model from the IoT Platform console (Product > Define Feature > Export TSL), or fetch it with GetThingModelTsl".into()
            }
            Problem::DuplicateIdentifier { .. } => "rename one of them in the model".into(),
            Problem::InvalidProductKey { .. } => {
                "product keys are letters and digits (e.g. a1StreetLmp); write a placeholder such as <productKey> for none".into()
            }
            Problem::DuplicateKey { .. } => {
                "delete one of them: JSON readers keep only one, and which differs between them".into()
            }
            Problem::InvalidIdentifier { .. } => {
                "identifiers are 1 to 50 letters, digits and `_`".into()
            }
            Problem::SentinelBound { .. } => {
                "set a real bound in the model to have it checked".into()
            }
            Problem::ProductKeyMismatch { .. } => {
                "combine only the modules of one product".into()
            }
            Problem::ModuleNotListed { .. } => {
                "pass the default module exported with this module, or ignore this if the default module is older".into()
            }
            Problem::InvalidJson { .. } => {
                "the file must be one JSON document; check for trailing commas or comments".into()
            }
            Problem::NotAModel { .. } => {
                "pass a TSL export, a GetThingModelTsl or QueryThingModel response, or its ThingModelJson".into()
            }
            _ => return None,
        })
    }
}
