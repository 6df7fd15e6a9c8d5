//! What generated code calls, and nothing else does: field checks against specs the
//! generator has already read, a struct's field reader, and enum tables.
//!
//! Specs are constants: `lim("-180", "180", "0.000001")` is a `const fn`, evaluated when the
//! generated crate compiles (the generator puts every call in a `const`), so no bound text
//! is parsed while a program runs, and a text that does not parse is a compile error, never
//! a silently missing bound. The generator only writes this short form for texts it has
//! checked read the same here as in [`crate::model::Bound::parse`]; any other bound is
//! written out whole with [`StaticBound::new`].

use std::fmt;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use super::check::BoundLike;
use super::error::{field_names, FieldPath, ValueError};
use super::typed::{object, TslValue};
use super::wire::Wire;

/// A bound or step of a number, read by the generator: the text as the model wrote it
/// (trimmed), its nearest `f64`, and its exact decimal value when it has one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StaticBound {
    text: &'static str,
    value: f64,
    exact: Option<Decimal>,
    /// As a step: whether a value off it is an error rather than a warning.
    strict: bool,
}

impl StaticBound {
    /// A bound whose exact value is `mantissa × 10^-scale`.
    ///
    /// # Panics
    /// When the mantissa needs more than 96 bits or the scale is over 28 (at compile time,
    /// in a `const`).
    pub const fn new(text: &'static str, value: f64, mantissa: i128, scale: u32) -> StaticBound {
        StaticBound {
            text,
            value,
            exact: Some(decimal(mantissa, scale)),
            strict: false,
        }
    }

    /// A bound with no exact decimal form (more than 28 significant digits).
    pub const fn inexact(text: &'static str, value: f64) -> StaticBound {
        StaticBound {
            text,
            value,
            exact: None,
            strict: false,
        }
    }

    /// Reads decimal notation (`-180`, `0.000001`, `1E1`) at compile time, for texts whose
    /// value is exact in `f64` arithmetic: at most 15 significant digits and a power of
    /// ten within ±22. `None` for `""` (no bound).
    ///
    /// # Panics
    /// On anything else (at compile time, in a `const`): the generator writes such bounds
    /// with [`StaticBound::new`] instead.
    pub const fn parse(text: &'static str) -> Option<StaticBound> {
        match read_decimal(text) {
            Read::Empty => None,
            Read::Number { value, exact } => Some(StaticBound {
                text,
                value,
                exact: Some(exact),
                strict: false,
            }),
            Read::NotShort => panic!("not a short decimal bound: write it with StaticBound::new"),
        }
    }

    /// The text as the model wrote it.
    pub fn text(&self) -> &'static str {
        self.text
    }

    /// The nearest `f64`.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The exact decimal value, when it has one.
    pub fn exact(&self) -> Option<Decimal> {
        self.exact
    }
}

impl fmt::Display for StaticBound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text)
    }
}

impl BoundLike for StaticBound {
    fn value(&self) -> f64 {
        self.value
    }

    fn exact(&self) -> Option<Decimal> {
        self.exact
    }

    fn strict_step(&self) -> bool {
        self.strict
    }
}

/// The `min`, `max` and `step` of a number field, each optional.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// The smallest value allowed.
    pub min: Option<StaticBound>,
    /// The largest value allowed.
    pub max: Option<StaticBound>,
    /// Values are `min + k × step` (`k × step` without a min).
    pub step: Option<StaticBound>,
}

impl Limits {
    /// These limits with a value off the step refused (`step_check = strict`). By default
    /// a value off a generated step passes `check` and is reported by
    /// [`step_warnings`](super::step_warnings): the platform may accept it
    /// (`docs/checks.md`).
    pub const fn strict_step(self) -> Limits {
        let step = match self.step {
            Some(step) => Some(StaticBound {
                strict: true,
                ..step
            }),
            None => None,
        };
        Limits { step, ..self }
    }
}

/// Limits from short bound texts, `""` for none: `const L: Limits = lim("0", "100", "1");`.
/// See [`StaticBound::parse`].
pub const fn lim(min: &'static str, max: &'static str, step: &'static str) -> Limits {
    Limits {
        min: StaticBound::parse(min),
        max: StaticBound::parse(max),
        step: StaticBound::parse(step),
    }
}

/// Whether the generator may write `text` in the short form: [`StaticBound::parse`] reads
/// it, to the same value and exact decimal as `expected`.
pub fn reads_as(text: &str, value: f64, exact: Option<Decimal>) -> bool {
    match read_decimal(text) {
        Read::Number { value: v, exact: e } => v == value && Some(e) == exact,
        Read::Empty | Read::NotShort => false,
    }
}

enum Read {
    Empty,
    Number { value: f64, exact: Decimal },
    NotShort,
}

/// `[+-]digits[.digits][(e|E)[+-]digits]`, in a `const fn`: integer arithmetic for the
/// exact value, one rounding step for the `f64` (exact operands, so correctly rounded).
const fn read_decimal(text: &str) -> Read {
    let b = text.as_bytes();
    if b.is_empty() {
        return Read::Empty;
    }
    let mut i = 0;
    let negative = b[0] == b'-';
    if b[0] == b'-' || b[0] == b'+' {
        i += 1;
    }
    let mut mantissa: i128 = 0;
    let mut digits = 0u32;
    let mut significant = 0u32;
    let mut fraction = 0i32;
    let mut seen_point = false;
    while i < b.len() && (b[i].is_ascii_digit() || (b[i] == b'.' && !seen_point)) {
        if b[i] == b'.' {
            seen_point = true;
        } else {
            digits += 1;
            if mantissa > 0 || b[i] != b'0' {
                significant += 1;
            }
            if significant > 15 {
                return Read::NotShort;
            }
            mantissa = mantissa * 10 + (b[i] - b'0') as i128;
            if seen_point {
                fraction += 1;
            }
        }
        i += 1;
    }
    if digits == 0 {
        return Read::NotShort;
    }
    let mut exponent = 0i32;
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        let mut exp_negative = false;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            exp_negative = b[i] == b'-';
            i += 1;
        }
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            if exponent > 1000 {
                return Read::NotShort;
            }
            exponent = exponent * 10 + (b[i] - b'0') as i32;
            i += 1;
        }
        if i == start {
            return Read::NotShort;
        }
        if exp_negative {
            exponent = -exponent;
        }
    }
    if i != b.len() {
        return Read::NotShort;
    }
    // value = mantissa × 10^(exponent - fraction)
    let power = exponent - fraction;
    if power < -22 || power > 22 {
        return Read::NotShort;
    }
    let mut ten_power = 1.0f64;
    let mut k = 0;
    while k < power.unsigned_abs() {
        ten_power *= 10.0;
        k += 1;
    }
    let magnitude = if power >= 0 {
        mantissa as f64 * ten_power
    } else {
        mantissa as f64 / ten_power
    };
    let value = if negative { -magnitude } else { magnitude };
    // The exact decimal: scale = -power when negative, else the mantissa scaled up.
    let (exact_mantissa, scale) = if power >= 0 {
        let mut m = mantissa;
        let mut k = 0;
        while k < power {
            m *= 10;
            k += 1;
        }
        (m, 0)
    } else {
        (mantissa, power.unsigned_abs())
    };
    if scale > 28 || exact_mantissa >= 1i128 << 96 {
        return Read::NotShort;
    }
    let signed = if negative {
        -exact_mantissa
    } else {
        exact_mantissa
    };
    Read::Number {
        value,
        exact: decimal(signed, scale),
    }
}

/// `mantissa × 10^-scale` as a `Decimal`, in a `const fn`.
const fn decimal(mantissa: i128, scale: u32) -> Decimal {
    let negative = mantissa < 0;
    let m = mantissa.unsigned_abs();
    assert!(m < 1u128 << 96 && scale <= 28, "outside a decimal's range");
    Decimal::from_parts(
        m as u32,
        (m >> 32) as u32,
        (m >> 64) as u32,
        negative,
        scale,
    )
}

/// A field's value as a visit takes it: the value of a required field, or that of an
/// optional one when present.
pub trait Present<'v, T: 'v> {
    /// The value, when there is one.
    fn present(self) -> Option<&'v T>;
}

impl<'v, T> Present<'v, T> for &'v T {
    fn present(self) -> Option<&'v T> {
        Some(self)
    }
}

/// An optional field, as `field.as_ref()` (not `&Option<T>`, which would leave the
/// item type of a generic check ambiguous).
impl<'v, T> Present<'v, T> for Option<&'v T> {
    fn present(self) -> Option<&'v T> {
        self
    }
}

/// A struct's fields, visited by its generated `fields`: each field with its wire key and
/// spec. The same visit checks the fields against their specs (`to_args`, `read_checked`)
/// or writes them to the wire (`to_wire`), so the generated code names each field once.
pub struct Fields<'a> {
    mode: Mode<'a>,
}

enum Mode<'a> {
    Check {
        path: &'a FieldPath,
        errors: &'a mut Vec<ValueError>,
    },
    Wire(Vec<(String, Wire)>),
}

impl<'a> Fields<'a> {
    /// A visit checking the fields of the struct at `path`.
    pub fn checking(path: &'a FieldPath, errors: &'a mut Vec<ValueError>) -> Fields<'a> {
        Fields {
            mode: Mode::Check { path, errors },
        }
    }

    /// A visit writing the fields that have a value, in order, as a [`Wire::Object`].
    pub fn writing() -> Fields<'static> {
        Fields {
            mode: Mode::Wire(Vec::new()),
        }
    }

    /// The object written (empty after a checking visit).
    pub fn into_wire(self) -> Wire {
        match self.mode {
            Mode::Wire(fields) => Wire::Object(fields),
            Mode::Check { .. } => Wire::Object(Vec::new()),
        }
    }

    // Build time of generated crates (BENCHMARKS.md, "Compact generated code"): every
    // method below is called once per field of every generated struct, so the work is done
    // by `visit`, which is not generic (the value goes in as `&dyn TslValue`, the check as
    // `&dyn Fn`), and what is generic per type is a few instructions.

    /// One field: written as it is, or checked with `check` (at the field's path).
    fn visit(
        &mut self,
        key: &str,
        value: &dyn TslValue,
        check: &dyn Fn(&FieldPath, &mut Vec<ValueError>),
    ) {
        match &mut self.mode {
            Mode::Check { path, errors } => check(&path.child(key), errors),
            Mode::Wire(fields) => fields.push((key.to_string(), value.to_wire())),
        }
    }

    /// A field whose type checks itself: a struct, a date, a float without bounds, and
    /// types with nothing to check (bool, enum, int without bounds, text without length).
    pub fn value<'v, T: TslValue + 'v>(&mut self, key: &str, value: impl Present<'v, T>) {
        if let Some(v) = value.present() {
            self.itself(key, v, None);
        }
    }

    /// A field that checks itself (an array of such items with its length against
    /// `size`): not generic, so a field of each type costs one call.
    fn itself(&mut self, key: &str, value: &dyn TslValue, size: Option<(usize, u32)>) {
        self.visit(key, value, &|path, errors| {
            if let Some((len, size)) = size {
                super::typed::check_len(len, size, path, errors);
            }
            value.check(path, errors);
        });
    }

    /// An `int` field.
    pub fn int<'v>(&mut self, key: &str, value: impl Present<'v, i32>, limits: &Limits) {
        if let Some(v) = value.present() {
            self.visit(key, v, &|path, errors| {
                super::check::check_int_in(limits, i64::from(*v), path, errors);
            });
        }
    }

    /// A `float` field.
    pub fn float<'v>(&mut self, key: &str, value: impl Present<'v, f32>, limits: &Limits) {
        if let Some(v) = value.present() {
            self.visit(key, v, &|path, errors| {
                super::check::check_float_in(limits, *v, path, errors);
            });
        }
    }

    /// A `double` field.
    pub fn double<'v>(&mut self, key: &str, value: impl Present<'v, f64>, limits: &Limits) {
        if let Some(v) = value.present() {
            self.visit(key, v, &|path, errors| {
                super::check::check_double_in(limits, *v, path, errors);
            });
        }
    }

    /// A `text` field of at most `length` (see [`super::check_text`] for how it counts).
    pub fn text<'v>(&mut self, key: &str, value: impl Present<'v, String>, length: u32) {
        if let Some(v) = value.present() {
            self.visit(key, v, &|path, errors| {
                super::check::check_text_len(length, v, path, errors);
            });
        }
    }

    /// An `array` of `int` of at most `size` items.
    pub fn ints<'v>(&mut self, key: &str, v: impl Present<'v, Vec<i32>>, size: u32, l: &Limits) {
        if let Some(v) = v.present() {
            self.each(key, v, v.len(), size, &|i, path, errors| {
                super::check::check_int_in(l, i64::from(v[i]), path, errors);
            });
        }
    }

    /// An `array` of `float`.
    pub fn floats<'v>(&mut self, key: &str, v: impl Present<'v, Vec<f32>>, size: u32, l: &Limits) {
        if let Some(v) = v.present() {
            self.each(key, v, v.len(), size, &|i, path, errors| {
                super::check::check_float_in(l, v[i], path, errors);
            });
        }
    }

    /// An `array` of `double`.
    pub fn doubles<'v>(&mut self, key: &str, v: impl Present<'v, Vec<f64>>, size: u32, l: &Limits) {
        if let Some(v) = v.present() {
            self.each(key, v, v.len(), size, &|i, path, errors| {
                super::check::check_double_in(l, v[i], path, errors);
            });
        }
    }

    /// An `array` of `text` of at most `length` each.
    pub fn texts<'v>(
        &mut self,
        key: &str,
        v: impl Present<'v, Vec<String>>,
        size: u32,
        length: u32,
    ) {
        if let Some(v) = v.present() {
            self.each(key, v, v.len(), size, &|i, path, errors| {
                super::check::check_text_len(length, &v[i], path, errors);
            });
        }
    }

    /// An `array` of items that check themselves.
    pub fn values<'v, T: TslValue + 'v>(
        &mut self,
        key: &str,
        v: impl Present<'v, Vec<T>>,
        size: u32,
    ) {
        if let Some(v) = v.present() {
            self.each(key, v, v.len(), size, &|i, path, errors| {
                v[i].check(path, errors)
            });
        }
    }

    /// An array of `len` items: its length against `size`, then each item with `check`
    /// (given the item's index and path).
    fn each(
        &mut self,
        key: &str,
        value: &dyn TslValue,
        len: usize,
        size: u32,
        check: &dyn Fn(usize, &FieldPath, &mut Vec<ValueError>),
    ) {
        self.visit(key, value, &|path, errors| {
            super::typed::check_len(len, size, path, errors);
            for i in 0..len {
                check(i, &path.index(i), errors);
            }
        });
    }
}

/// Reads a struct's fields from a JSON object, every problem at once: a missing required
/// field, a field of the wrong type, a field the struct does not have.
///
/// A field that cannot be read is noted and given a placeholder ([`Placeholder`]), so a
/// struct's `read` is one expression of its fields, with no exit per field; the struct is
/// thrown away at the end when any field failed. (An exit per field would drop the fields
/// read so far at each: code that grows with the square of the field count.)
pub struct Reader<'a> {
    object: &'a Map<String, Value>,
    path: &'a FieldPath,
    errors: &'a mut Vec<ValueError>,
    known: Vec<&'static str>,
    /// Where the struct's problems start: unknown fields are reported first, as a reader
    /// of the whole object would meet them.
    start: usize,
    /// Whether a required field was missing or a field could not be read.
    failed: bool,
    /// The path of the field being read.
    at: FieldPath,
}

impl<'a> Reader<'a> {
    /// A reader of `value`, or `None` (with the problem pushed) when it is not an object.
    pub fn new(
        value: &'a Value,
        path: &'a FieldPath,
        errors: &'a mut Vec<ValueError>,
    ) -> Option<Reader<'a>> {
        let object = object(value, path, errors)?;
        Some(Reader::of(object, path, errors))
    }

    fn of(
        object: &'a Map<String, Value>,
        path: &'a FieldPath,
        errors: &'a mut Vec<ValueError>,
    ) -> Reader<'a> {
        let start = errors.len();
        Reader {
            object,
            path,
            errors,
            known: Vec::new(),
            start,
            failed: false,
            at: FieldPath::root(),
        }
    }

    /// The field `key`; a problem when absent or `null`, and then a placeholder.
    pub fn required<T: Placeholder>(&mut self, key: &'static str) -> T {
        // Nothing here to drop: the field's path is kept in the reader, so each
        // field type's copy of this is a few instructions (BENCHMARKS.md, "Compact
        // generated code").
        if let Some(value) = self.field(key, true) {
            if let Some(read) = T::from_json(value, &self.at, self.errors) {
                return read;
            }
        }
        self.failed = true;
        T::placeholder()
    }

    /// The field `key` when present and not `null`.
    pub fn optional<T: TslValue>(&mut self, key: &'static str) -> Option<T> {
        let value = self.field(key, false)?;
        let read = T::from_json(value, &self.at, self.errors);
        self.failed |= read.is_none();
        read
    }

    /// The field `key` when present and not `null`, noted as known, its path kept in
    /// `at`; a missing `required` one is a problem. The part of a read that does not
    /// depend on the field's type, compiled once.
    fn field(&mut self, key: &'static str, required: bool) -> Option<&'a Value> {
        self.known.push(key);
        let value = if required {
            super::typed::present_or_missing(self.object, key, self.path, self.errors)
        } else {
            self.object.get(key).filter(|v| !v.is_null())
        }?;
        self.at = self.path.child(key);
        Some(value)
    }

    /// Reports the fields of the object no read asked for; whether every field was read.
    pub fn finish(self) -> bool {
        let unknown: Vec<ValueError> = self
            .object
            .keys()
            .filter(|k| !self.known.contains(&k.as_str()))
            .map(|k| ValueError::UnknownField {
                path: self.path.clone(),
                field: k.clone(),
                known: field_names(self.known.iter().copied()),
            })
            .collect();
        let at = self.start.min(self.errors.len());
        self.errors.splice(at..at, unknown);
        !self.failed
    }
}

/// A value of the type that stands in for a field [`Reader`] could not read, until the
/// struct holding it is thrown away: never seen by users. Zero, empty, an enum's first
/// member, a struct of placeholders.
pub trait Placeholder: TslValue + Sized {
    /// The placeholder.
    fn placeholder() -> Self;
}

macro_rules! placeholder {
    ($($ty:ty => $value:expr),* $(,)?) => {
        $(impl Placeholder for $ty {
            fn placeholder() -> Self {
                $value
            }
        })*
    };
}

placeholder! {
    i32 => 0,
    f32 => 0.0,
    f64 => 0.0,
    bool => false,
    String => String::new(),
    super::typed::Date => super::typed::Date(0),
}

impl<T: TslValue> Placeholder for Vec<T> {
    fn placeholder() -> Self {
        Vec::new()
    }
}

impl<G: Generated> Placeholder for G {
    fn placeholder() -> G {
        G::read(&mut Scratch::default().reader())
    }
}

/// What a [`Reader`] of nothing borrows: a struct's placeholder is the struct read from an
/// empty object, every field a placeholder in turn, the problems thrown away.
#[derive(Default)]
struct Scratch {
    object: Map<String, Value>,
    path: FieldPath,
    errors: Vec<ValueError>,
}

impl Scratch {
    fn reader(&mut self) -> Reader<'_> {
        Reader::of(&self.object, &self.path, &mut self.errors)
    }
}

/// What a generated struct or enum implements; [`TslValue`] comes with it. A struct
/// visits its fields ([`Fields`]) and reads itself ([`Reader`]); an enum lists its members
/// with their keys and labels, the `n`-th being the variant of discriminant `n`.
pub trait Generated: Clone + 'static {
    /// An enum's members, `(member, key, label)` in the model's order; empty for a struct.
    const MEMBERS: &'static [(Self, i64, &'static str)] = &[];

    /// The keys of [`MEMBERS`](Generated::MEMBERS), in order ([`keys`], at compile time).
    const KEYS: &'static [i64] = &[];

    /// The labels of [`MEMBERS`](Generated::MEMBERS), in order ([`labels`]).
    const LABELS: &'static [&'static str] = &[];

    /// Visits a struct's fields in order (an enum has none).
    fn fields(&self, _: &mut Fields<'_>) {}

    /// Reads a struct's fields, a placeholder in each that fails (see [`Reader`]). An
    /// enum is not read this way: this default, which gives its first member, is what
    /// stands in for an enum field that could not be read.
    fn read(_: &mut Reader<'_>) -> Self {
        Self::MEMBERS[0].0.clone()
    }

    /// An enum value's index in [`MEMBERS`](Generated::MEMBERS) (its discriminant); `0`
    /// for a struct.
    fn index(&self) -> usize {
        0
    }
}

/// What a generated enum has beside its definition and its `MEMBERS` table: the
/// [`Generated`] impl, `ALL`, `key()`, `from_key()`, `label()`, and `Display`, `FromStr`
/// and `TryFrom<i64>`. The generator writes one call per enum rather than ~45 lines of the
/// same impls each time (BENCHMARKS.md, "Compact generated code"), as prost's generated
/// code derives `prost::Enumeration`. `$name` must be a fieldless `Copy` enum whose `n`-th
/// variant is the `n`-th entry of its inherent `MEMBERS: &[(Self, i64, &str)]`.
///
/// Every method is `#[cfg_attr(debug_assertions, inline)]`, as every function the generator
/// writes: in a debug build a library holding generated code then compiles none of them to
/// machine code, and the crate that uses them compiles only those it uses (BENCHMARKS.md,
/// "Compact generated code", fifth pass).
#[doc(hidden)]
#[macro_export]
macro_rules! __tsl_enum_impls {
    ($name:ident) => {
        impl $crate::value::Generated for $name {
            const MEMBERS: &'static [(Self, i64, &'static str)] = $name::MEMBERS;
            const KEYS: &'static [i64] =
                &$crate::value::keys::<$name, { $name::MEMBERS.len() }>($name::MEMBERS);
            const LABELS: &'static [&'static str] =
                &$crate::value::labels::<$name, { $name::MEMBERS.len() }>($name::MEMBERS);

            #[cfg_attr(debug_assertions, inline)]
            fn index(&self) -> usize {
                *self as usize
            }
        }

        impl $name {
            /// Every member, in the model's order.
            pub const ALL: [Self; $name::MEMBERS.len()] = $crate::value::all($name::MEMBERS);

            /// The key sent on the wire.
            #[cfg_attr(debug_assertions, inline)]
            pub const fn key(self) -> i64 {
                $name::MEMBERS[self as usize].1
            }

            /// The member with this key.
            #[cfg_attr(debug_assertions, inline)]
            pub const fn from_key(key: i64) -> ::core::option::Option<Self> {
                let keys = <$name as $crate::value::Generated>::KEYS;
                match $crate::value::index_of_key(keys, key) {
                    ::core::option::Option::Some(i) => ::core::option::Option::Some($name::ALL[i]),
                    ::core::option::Option::None => ::core::option::Option::None,
                }
            }

            /// The label the model gives the member.
            #[cfg_attr(debug_assertions, inline)]
            pub const fn label(self) -> &'static str {
                $name::MEMBERS[self as usize].2
            }
        }

        /// Writes the key as sent on the wire (`2`), which `FromStr` reads back; the label
        /// is `label()`.
        impl ::core::fmt::Display for $name {
            #[cfg_attr(debug_assertions, inline)]
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                ::core::fmt::Display::fmt(&self.key(), f)
            }
        }

        /// Reads a key's digits (`"2"`), or a label that exactly one member has.
        impl ::core::str::FromStr for $name {
            type Err = $crate::value::UnknownMember;

            #[cfg_attr(debug_assertions, inline)]
            fn from_str(text: &str) -> ::core::result::Result<Self, Self::Err> {
                use $crate::value::Generated as _;
                let name = ::core::stringify!($name);
                match $crate::value::index_by_text(name, $name::KEYS, $name::LABELS, text) {
                    ::core::result::Result::Ok(i) => ::core::result::Result::Ok($name::ALL[i]),
                    ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
                }
            }
        }

        /// The member with this key; the error names the key and the allowed ones.
        impl ::core::convert::TryFrom<i64> for $name {
            type Error = $crate::value::UnknownMember;

            #[cfg_attr(debug_assertions, inline)]
            fn try_from(key: i64) -> ::core::result::Result<Self, Self::Error> {
                use $crate::value::Generated as _;
                let name = ::core::stringify!($name);
                match $crate::value::index_by_key(name, $name::KEYS, $name::LABELS, key) {
                    ::core::result::Result::Ok(i) => ::core::result::Result::Ok($name::ALL[i]),
                    ::core::result::Result::Err(e) => ::core::result::Result::Err(e),
                }
            }
        }
    };
}

/// The members of `members`, in order: a generated enum's `ALL`.
pub const fn all<T: Copy, const N: usize>(members: &[(T, i64, &'static str)]) -> [T; N] {
    assert!(members.len() == N && N > 0, "one member per variant");
    let mut out = [members[0].0; N];
    let mut i = 0;
    while i < N {
        out[i] = members[i].0;
        i += 1;
    }
    out
}

/// The keys of `members`, in order: a generated enum's `Generated::KEYS`, computed when
/// the generated crate compiles.
pub const fn keys<T, const N: usize>(members: &[(T, i64, &'static str)]) -> [i64; N] {
    assert!(members.len() == N, "one key per member");
    let mut out = [0; N];
    let mut i = 0;
    while i < N {
        out[i] = members[i].1;
        i += 1;
    }
    out
}

/// The labels of `members`, in order: a generated enum's `Generated::LABELS`.
pub const fn labels<T, const N: usize>(members: &[(T, i64, &'static str)]) -> [&'static str; N] {
    assert!(members.len() == N, "one label per member");
    let mut out = [""; N];
    let mut i = 0;
    while i < N {
        out[i] = members[i].2;
        i += 1;
    }
    out
}

// Build time of generated crates (BENCHMARKS.md, "Compact generated code"): this impl is
// instantiated for every generated type, so it stays small. `if const` on whether the type
// is an enum lets the compiler leave out the other branch for each type (at opt-level 0
// too), and the enum path's work (finding a key, listing the allowed ones) is done by
// functions that are not generic, compiled once in the runtime.
impl<G: Generated> TslValue for G {
    fn check(&self, path: &FieldPath, errors: &mut Vec<ValueError>) {
        G::fields(self, &mut Fields::checking(path, errors));
    }

    fn to_wire(&self) -> Wire {
        if const { G::MEMBERS.is_empty() } {
            let mut fields = Fields::writing();
            G::fields(self, &mut fields);
            return fields.into_wire();
        }
        Wire::Enum(G::KEYS[self.index()])
    }

    // No `?` or `map` here: each would be one more function per generated type.
    #[allow(clippy::question_mark, clippy::manual_map)]
    fn from_json(value: &Value, path: &FieldPath, errors: &mut Vec<ValueError>) -> Option<G> {
        if const { G::MEMBERS.is_empty() } {
            let Some(mut reader) = Reader::new(value, path, errors) else {
                return None;
            };
            let read = G::read(&mut reader);
            return if reader.finish() { Some(read) } else { None };
        }
        match enum_index(G::KEYS, G::LABELS, value, path, errors) {
            Some(i) => Some(G::MEMBERS[i].0.clone()),
            None => None,
        }
    }
}

/// The index of the member `value` holds the key of, or `None` with the problem pushed:
/// an enum's read, compiled once.
fn enum_index(
    keys: &[i64],
    labels: &[&'static str],
    value: &Value,
    path: &FieldPath,
    errors: &mut Vec<ValueError>,
) -> Option<usize> {
    let key = super::typed::enum_key(value, path, errors)?;
    let found = super::unknown_member::index_of_key(keys, key);
    if found.is_none() {
        let allowed = super::unknown_member::Listed::of(keys, labels).text();
        errors.push(super::typed::not_in_enum(key, &allowed, path));
    }
    found
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::Bound;
    use crate::value::{from_json, to_args};

    #[test]
    fn short_bounds_read_as_the_model_reader_reads_them() {
        for text in [
            "0", "-180", "180", "0.000001", "0.1", "1E1", "-4.5e-3", "100210", "0.10",
        ] {
            let model = Bound::parse(text).unwrap();
            let short = StaticBound::parse(text).unwrap();
            assert_eq!(short.value(), model.value(), "{text}");
            assert_eq!(short.exact(), model.exact(), "{text}");
            assert!(reads_as(text, model.value(), model.exact()), "{text}");
        }
        assert_eq!(StaticBound::parse(""), None);
        // Too many digits for the compile-time reader: the generator writes these whole.
        for text in ["0.1234567890123456789", "1e300", "x", "1.", "--1"] {
            assert!(matches!(
                read_decimal(text),
                Read::NotShort | Read::Number { .. }
            ));
        }
        assert!(matches!(
            read_decimal("0.1234567890123456789"),
            Read::NotShort
        ));
        assert!(matches!(read_decimal("1e300"), Read::NotShort));
        assert!(matches!(read_decimal("x"), Read::NotShort));
    }

    #[test]
    fn limits_are_constants() {
        const L: Limits = lim("0", "100", "0.5");
        assert_eq!(L.max.map(|b| b.value()), Some(100.0));
        assert_eq!(L.step.map(|b| b.to_string()), Some("0.5".to_string()));
        let whole = StaticBound::new(
            "1.7976931348623157E3",
            1797.6931348623157,
            17976931348623157,
            13,
        );
        assert_eq!(
            whole.exact(),
            Bound::parse("1.7976931348623157E3").unwrap().exact()
        );
    }

    /// A struct as the generator writes one.
    #[derive(Debug, Clone, PartialEq)]
    struct Reading {
        level: i32,
        note: Option<String>,
        mode: Mode,
    }

    impl Generated for Reading {
        fn fields(&self, f: &mut Fields<'_>) {
            const L: [Limits; 1] = [lim("0", "10", "2")];
            f.int("Level", &self.level, &L[0]);
            f.text("Note", self.note.as_ref(), 3);
            f.value("Mode", &self.mode);
        }

        fn read(r: &mut Reader<'_>) -> Self {
            Self {
                level: r.required("Level"),
                note: r.optional("Note"),
                mode: r.required("Mode"),
            }
        }
    }

    /// An enum as the generator writes one.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Mode {
        Off,
        On,
    }

    impl Mode {
        const MEMBERS: &'static [(Self, i64, &'static str)] =
            &[(Mode::Off, 0, "off"), (Mode::On, 5, "on")];
    }

    crate::__tsl_enum_impls!(Mode);

    /// A struct holding another, as the generator writes one.
    #[derive(Debug, Clone, PartialEq)]
    struct Outer {
        inner: Reading,
        count: i32,
    }

    impl Generated for Outer {
        fn fields(&self, f: &mut Fields<'_>) {
            f.value("Inner", &self.inner);
            f.value("Count", &self.count);
        }

        fn read(r: &mut Reader<'_>) -> Self {
            Self {
                inner: r.required("Inner"),
                count: r.required("Count"),
            }
        }
    }

    #[test]
    fn a_read_finds_every_problem_and_keeps_nothing_of_a_struct_that_failed() {
        let read = |value: serde_json::Value| {
            let mut errors = Vec::new();
            let read = Outer::from_json(&value, &FieldPath::root(), &mut errors);
            (
                read,
                errors.iter().map(ToString::to_string).collect::<Vec<_>>(),
            )
        };
        let (ok, errors) = read(json!({"Inner": {"Level": 2, "Mode": 5}, "Count": 1}));
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(ok.map(|o| (o.inner.mode, o.count)), Some((Mode::On, 1)));
        // A missing inner struct, a missing field, a bad enum key, a bad optional field
        // and an unknown one: all reported, and no struct.
        let (none, errors) = read(json!({"Count": "x", "Extra": 1}));
        assert_eq!(none, None);
        assert_eq!(errors.len(), 3, "{errors:?}");
        let (none, errors) = read(json!({"Inner": {"Mode": 7, "Note": 3}, "Count": 1}));
        assert_eq!(none, None);
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(
            errors.iter().any(|e| e.contains("`Level` is missing")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("Inner.Mode")),
            "{errors:?}"
        );
        assert!(
            errors.iter().any(|e| e.contains("Inner.Note")),
            "{errors:?}"
        );
        // What stands in for a field that failed: zero, empty, the first member.
        let placeholder = Outer::placeholder();
        assert_eq!((placeholder.inner.mode, placeholder.count), (Mode::Off, 0));
    }

    #[test]
    fn enums_convert_by_key_label_and_text() {
        assert_eq!(Mode::ALL, [Mode::Off, Mode::On]);
        assert_eq!(Mode::KEYS, [0, 5]);
        assert_eq!(Mode::LABELS, ["off", "on"]);
        assert_eq!((Mode::On.key(), Mode::On.label()), (5, "on"));
        assert_eq!(Mode::from_key(5), Some(Mode::On));
        assert_eq!(Mode::from_key(1), None);
        assert_eq!(Mode::try_from(0), Ok(Mode::Off));
        assert_eq!("on".parse::<Mode>(), Ok(Mode::On));
        assert_eq!(" 5 ".parse::<Mode>(), Ok(Mode::On));
        assert_eq!(Mode::On.to_string(), "5");
        let err = Mode::try_from(3).unwrap_err().to_string();
        assert_eq!(err, "3 is not a member of Mode: allowed 0 (off), 5 (on)");
        assert_eq!(Mode::On.to_wire(), Wire::Enum(5));
    }

    #[test]
    fn one_visit_checks_and_writes_the_fields() {
        let ok = Reading {
            level: 4,
            note: None,
            mode: Mode::On,
        };
        assert_eq!(to_args(&ok).unwrap(), r#"{"Level":4,"Mode":5}"#);
        let bad = Reading {
            level: 5,
            note: Some("long".into()),
            mode: Mode::Off,
        };
        let errors = to_args(&bad).unwrap_err().to_string();
        assert!(errors.contains("`Note`"), "{errors}");
        // A generated step is a warning unless the generator made it strict: not among
        // the errors, but in `step_warnings`.
        assert!(!errors.contains("step"), "{errors}");
        let warnings: Vec<String> = crate::value::step_warnings(&bad)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(warnings, ["`Level`: 5 is not a multiple of the step 2"]);
        assert!(crate::value::step_warnings(&ok).is_empty());
    }

    /// `step_check = strict`: the generator writes `lim(..).strict_step()`.
    #[derive(Debug, Clone, PartialEq)]
    struct Strict(i32);

    impl Generated for Strict {
        fn fields(&self, f: &mut Fields<'_>) {
            const L: [Limits; 1] = [lim("0", "10", "2").strict_step()];
            f.int("Level", &self.0, &L[0]);
        }

        fn read(r: &mut Reader<'_>) -> Self {
            Strict(r.required("Level"))
        }
    }

    #[test]
    fn a_strict_step_is_an_error() {
        let errors = to_args(&Strict(5)).unwrap_err().to_string();
        assert_eq!(errors, "`Level`: 5 is not a multiple of the step 2");
        assert_eq!(to_args(&Strict(4)).unwrap(), r#"{"Level":4}"#);
        // The flag is the step's alone: min and max are checked the same either way.
        assert!(to_args(&Strict(12))
            .unwrap_err()
            .to_string()
            .contains("max 10"));
    }

    #[test]
    fn reading_reports_every_problem_unknown_fields_first() {
        assert_eq!(
            from_json::<Reading>(&json!({"Level": 2, "Mode": "5", "Note": "ab"})),
            Ok(Reading {
                level: 2,
                note: Some("ab".into()),
                mode: Mode::On
            })
        );
        let err = from_json::<Reading>(&json!({"Level": "x", "Mode": 7, "Extra": 1})).unwrap_err();
        let messages: Vec<String> = err.0.iter().map(ToString::to_string).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].contains("unknown field `Extra`"),
            "{messages:?}"
        );
        assert!(messages[2].contains("5 (on)"), "{messages:?}");
    }
}
