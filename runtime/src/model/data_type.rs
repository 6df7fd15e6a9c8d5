//! The TSL data types and their specs, normalised from every model shape.

use super::number::Bound;
use super::Param;

/// The type of a property, a parameter or a struct member, with its specs.
///
/// The same type reads from TSL (`{"type":"int","specs":{...}}`) and from the
/// internal ThingModelJson format (`"dataType":"INT"`, `dataSpecs`).
#[derive(Debug, Clone, PartialEq)]
pub enum DataType {
    /// `int`: a signed 32-bit integer, written as a JSON integer.
    Int(NumberSpec),
    /// `float`: single precision, written with a decimal point (`10.0`).
    Float(NumberSpec),
    /// `double`: double precision, written with a decimal point (`10.0`).
    Double(NumberSpec),
    /// `text`: a string of at most `length` characters.
    Text(TextSpec),
    /// `date`: UTC epoch milliseconds, written as a JSON string (`"1635839462000"`).
    Date,
    /// `bool`: written as the integer `0` or `1`, never `true`/`false`.
    Bool(BoolSpec),
    /// `enum`: written as its integer key, never the label.
    Enum(EnumSpec),
    /// `struct`: a JSON object keyed by member identifier.
    Struct(StructSpec),
    /// `array`: a JSON array of one item type.
    Array(ArraySpec),
}

impl DataType {
    /// The TSL name of the type: `int`, `float`, `double`, `text`, `date`, `bool`, `enum`, `struct`, `array`.
    pub fn tsl_name(&self) -> &'static str {
        match self {
            DataType::Int(_) => "int",
            DataType::Float(_) => "float",
            DataType::Double(_) => "double",
            DataType::Text(_) => "text",
            DataType::Date => "date",
            DataType::Bool(_) => "bool",
            DataType::Enum(_) => "enum",
            DataType::Struct(_) => "struct",
            DataType::Array(_) => "array",
        }
    }

    /// The numeric spec of `int`, `float` and `double`.
    pub fn number_spec(&self) -> Option<&NumberSpec> {
        match self {
            DataType::Int(spec) | DataType::Float(spec) | DataType::Double(spec) => Some(spec),
            _ => None,
        }
    }
}

/// Range, step and unit of `int`, `float` and `double`.
///
/// Bounds read as "no bound" when absent or when the model gave a sentinel such as
/// `1.7976931348623157E308` (Java's `Double.MAX_VALUE`); the parser warns about the latter.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NumberSpec {
    /// The smallest value allowed.
    pub min: Option<Bound>,
    /// The largest value allowed.
    pub max: Option<Bound>,
    /// Values must be `min + k * step` (or `k * step` without a min).
    pub step: Option<Bound>,
    /// Unit symbol, e.g. `°C`.
    pub unit: Option<String>,
    /// Unit name, e.g. `摄氏度`.
    pub unit_name: Option<String>,
}

/// Spec of `text`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextSpec {
    /// The most characters (Unicode scalar values) a value may have.
    pub length: Option<u32>,
}

/// Labels of a `bool`'s two values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoolSpec {
    /// Label of `0`.
    pub false_label: Option<String>,
    /// Label of `1`.
    pub true_label: Option<String>,
}

/// Members of an `enum`, in the model's order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnumSpec {
    /// The allowed values. Empty when the model gives none (simplified TSL): then any
    /// integer is accepted.
    pub values: Vec<EnumValue>,
}

impl EnumSpec {
    /// The member with this key.
    pub fn get(&self, value: i64) -> Option<&EnumValue> {
        self.values.iter().find(|v| v.value == value)
    }
}

/// One member of an `enum`: its integer key and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumValue {
    /// The key, sent on the wire. Negative keys are allowed.
    pub value: i64,
    /// The label shown in the console.
    pub label: String,
}

/// Members of a `struct`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StructSpec {
    /// The members, in the model's order; none is itself a struct or an array.
    pub members: Vec<Param>,
}

/// Spec of an `array`.
#[derive(Debug, Clone, PartialEq)]
pub struct ArraySpec {
    /// The most elements a value may have (1..=512).
    pub size: Option<u32>,
    /// The element type: `int`, `float`, `double`, `text` or `struct`.
    pub item: Box<DataType>,
}

/// The platform's cap on array sizes.
pub const MAX_ARRAY_SIZE: u32 = 512;
/// The longest `text` length a TSL export declares (`"10240"`).
pub const MAX_TEXT_LENGTH: u32 = 10240;
