//! What is wrong with a value: every problem as data, naming the field, the value and the
//! bound it broke.

use std::fmt;

use crate::model::EnumSpec;

/// How many enum members or struct fields an error lists before it stops: enough to see
/// the pattern, short enough that the message still fits a terminal.
const LISTED: usize = 10;

/// One step of a [`FieldPath`]: a struct member or parameter, or an array element.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathSegment {
    /// A field by its TSL identifier.
    Field(String),
    /// An array element, from 0.
    Index(usize),
}

/// Where a value sits inside what is being sent: `brightness`, `color.r`,
/// `timers[2].enable`. The empty path is the value itself and displays as `(value)`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct FieldPath {
    segments: Vec<PathSegment>,
}

impl FieldPath {
    /// The value itself, before any field or index.
    pub fn root() -> FieldPath {
        FieldPath::default()
    }

    /// The path of a top-level field (a property, a service argument): `brightness`.
    pub fn field(identifier: impl Into<String>) -> FieldPath {
        FieldPath::root().child(identifier)
    }

    /// This path followed by a member: `color` → `color.r`.
    pub fn child(&self, identifier: impl Into<String>) -> FieldPath {
        self.with(PathSegment::Field(identifier.into()))
    }

    /// This path followed by an array index: `timers` → `timers[2]`.
    pub fn index(&self, index: usize) -> FieldPath {
        self.with(PathSegment::Index(index))
    }

    /// The steps from the root.
    pub fn segments(&self) -> &[PathSegment] {
        &self.segments
    }

    /// Whether this is the value itself.
    pub fn is_root(&self) -> bool {
        self.segments.is_empty()
    }

    fn with(&self, segment: PathSegment) -> FieldPath {
        let mut segments = Vec::with_capacity(self.segments.len() + 1);
        segments.extend(self.segments.iter().cloned());
        segments.push(segment);
        FieldPath { segments }
    }
}

impl fmt::Display for FieldPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // A path that starts with an index has no name to hang it on.
        if !matches!(self.segments.first(), Some(PathSegment::Field(_))) {
            f.write_str("(value)")?;
        }
        for (i, segment) in self.segments.iter().enumerate() {
            match segment {
                PathSegment::Field(name) if i == 0 => f.write_str(name)?,
                PathSegment::Field(name) => write!(f, ".{name}")?,
                PathSegment::Index(index) => write!(f, "[{index}]")?,
            }
        }
        Ok(())
    }
}

/// One problem with a value. Numbers are shown as they go on the wire, bounds as the model
/// wrote them.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// Smaller than the spec's `min`.
    #[error("`{path}`: {value} is below the min {min}")]
    BelowMin {
        /// Where.
        path: FieldPath,
        /// The value.
        value: String,
        /// The model's `min`.
        min: String,
    },
    /// Larger than the spec's `max`.
    #[error("`{path}`: {value} is above the max {max}")]
    AboveMax {
        /// Where.
        path: FieldPath,
        /// The value.
        value: String,
        /// The model's `max`.
        max: String,
    },
    /// Not `base + k * step` for an integer `k`.
    #[error(
        "`{path}`: {value} is not {}a multiple of the step {step}",
        from_base(base)
    )]
    OffStep {
        /// Where.
        path: FieldPath,
        /// The value.
        value: String,
        /// The model's `step`.
        step: String,
        /// Where the steps count from: the model's `min`, or `0` without one.
        base: String,
    },
    /// A fraction where an integer is required (`int`, `enum`, `date`).
    #[error("`{path}`: {value} is not an integer")]
    NotAnInteger {
        /// Where.
        path: FieldPath,
        /// The value.
        value: String,
    },
    /// An `int` outside the signed 32-bit range.
    #[error("`{path}`: {value} is outside the range of an int (-2147483648 to 2147483647)")]
    IntOutOfRange {
        /// Where.
        path: FieldPath,
        /// The value.
        value: String,
    },
    /// A `float` beyond what single precision holds.
    #[error("`{path}`: {value} is outside the range of a float (single precision)")]
    FloatOutOfRange {
        /// Where.
        path: FieldPath,
        /// The value.
        value: String,
    },
    /// NaN or an infinity, which JSON cannot carry.
    #[error("`{path}`: {value} cannot be sent; only finite numbers can")]
    NotFinite {
        /// Where.
        path: FieldPath,
        /// `NaN`, `inf` or `-inf`.
        value: String,
    },
    /// A `text` longer than its `length`.
    #[error("`{path}`: the text has {chars} characters, more than the length {max}")]
    TooLong {
        /// Where.
        path: FieldPath,
        /// Its length in characters.
        chars: usize,
        /// The model's `length`.
        max: u32,
    },
    /// An `array` with more elements than its `size`.
    #[error("`{path}`: the array has {len} items, more than the size {max}")]
    TooManyItems {
        /// Where.
        path: FieldPath,
        /// Its number of items.
        len: usize,
        /// The model's `size` (or the platform's cap of 512).
        max: u32,
    },
    /// A key the `enum` does not list.
    #[error("`{path}`: {value} is not one of the enum's values: {allowed}")]
    NotInEnum {
        /// Where.
        path: FieldPath,
        /// The key given.
        value: String,
        /// The members as `key (label)`, cut short after ten.
        allowed: String,
    },
    /// A string that is no `enum` member's label.
    #[error("`{path}`: {label:?} is not the label of any of the enum's values: {allowed}")]
    UnknownEnumLabel {
        /// Where.
        path: FieldPath,
        /// The text given.
        label: String,
        /// The members as `key (label)`, cut short after ten.
        allowed: String,
    },
    /// A string that is the label of several `enum` members, so the key is unknown.
    #[error(
        "`{path}`: {label:?} is the label of several of the enum's values ({keys}); give the key"
    )]
    AmbiguousEnumLabel {
        /// Where.
        path: FieldPath,
        /// The text given.
        label: String,
        /// The keys with that label.
        keys: String,
    },
    /// A number other than `0` and `1` for a `bool`.
    #[error("`{path}`: {value} is not a bool; use true, false, 0 or 1")]
    NotABool {
        /// Where.
        path: FieldPath,
        /// The value.
        value: String,
    },
    /// A value of another type than the model's.
    #[error("`{path}`: expected {expected}, found {found}")]
    WrongType {
        /// Where.
        path: FieldPath,
        /// What the model's type takes.
        expected: String,
        /// What was given.
        found: String,
    },
    /// A field the model does not have; nothing is silently dropped.
    #[error("{}unknown field `{field}`; the known fields are: {known}", at(path))]
    UnknownField {
        /// The object that holds it.
        path: FieldPath,
        /// The field's name.
        field: String,
        /// The model's fields, cut short after ten.
        known: String,
    },
    /// The same field twice in one object.
    #[error("{}field `{field}` is given more than once", at(path))]
    DuplicateField {
        /// The object that holds it.
        path: FieldPath,
        /// The field's name.
        field: String,
    },
    /// A `date` before 1970.
    #[error("`{path}`: {value} is before 1970; a date is non-negative epoch milliseconds")]
    NegativeDate {
        /// Where.
        path: FieldPath,
        /// The milliseconds given.
        value: i64,
    },
    /// A field a generated type requires is absent from a reply or request.
    #[error("{}field `{field}` is missing", at(path))]
    MissingField {
        /// The object that should hold it.
        path: FieldPath,
        /// The field's TSL identifier.
        field: String,
    },
    /// A `date` beyond what epoch milliseconds in 64 bits hold.
    #[error(
        "`{path}`: {value} is outside the range of a date (0 to {} epoch milliseconds)",
        i64::MAX
    )]
    DateOutOfRange {
        /// Where.
        path: FieldPath,
        /// The value as given.
        value: String,
    },
    /// A `date` string that is not epoch milliseconds.
    #[error("`{path}`: {text:?} is not a date; give epoch milliseconds as digits")]
    InvalidDate {
        /// Where.
        path: FieldPath,
        /// The text given.
        text: String,
    },
}

impl ValueError {
    /// Where the problem is (for [`ValueError::UnknownField`] and
    /// [`ValueError::DuplicateField`], the object that holds the field).
    pub fn path(&self) -> &FieldPath {
        match self {
            ValueError::BelowMin { path, .. }
            | ValueError::AboveMax { path, .. }
            | ValueError::OffStep { path, .. }
            | ValueError::NotAnInteger { path, .. }
            | ValueError::IntOutOfRange { path, .. }
            | ValueError::FloatOutOfRange { path, .. }
            | ValueError::NotFinite { path, .. }
            | ValueError::TooLong { path, .. }
            | ValueError::TooManyItems { path, .. }
            | ValueError::NotInEnum { path, .. }
            | ValueError::UnknownEnumLabel { path, .. }
            | ValueError::AmbiguousEnumLabel { path, .. }
            | ValueError::NotABool { path, .. }
            | ValueError::WrongType { path, .. }
            | ValueError::UnknownField { path, .. }
            | ValueError::DuplicateField { path, .. }
            | ValueError::NegativeDate { path, .. }
            | ValueError::DateOutOfRange { path, .. }
            | ValueError::MissingField { path, .. }
            | ValueError::InvalidDate { path, .. } => path,
        }
    }
}

/// Every problem found in a value, in the order of its fields. Never empty when returned
/// as an error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ValueErrors(pub Vec<ValueError>);

impl ValueErrors {
    /// `Ok` when nothing was found, else all of it as one error. The usual end of a run of
    /// `check_*` calls.
    pub fn ok_if_empty(errors: Vec<ValueError>) -> Result<(), ValueErrors> {
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ValueErrors(errors))
        }
    }

    /// The problems.
    pub fn iter(&self) -> std::slice::Iter<'_, ValueError> {
        self.0.iter()
    }
}

impl From<ValueError> for ValueErrors {
    fn from(error: ValueError) -> ValueErrors {
        ValueErrors(vec![error])
    }
}

impl<'a> IntoIterator for &'a ValueErrors {
    type Item = &'a ValueError;
    type IntoIter = std::slice::Iter<'a, ValueError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl fmt::Display for ValueErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, error) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{error}")?;
        }
        Ok(())
    }
}

/// The members of an enum as `0 (off), 1 (on)`, cut short after ten.
pub(crate) fn enum_members(spec: &EnumSpec) -> String {
    listing(
        spec.values.len(),
        spec.values
            .iter()
            .map(|v| format!("{} ({})", v.value, v.label)),
    )
}

/// Field names as `a, b, c`, cut short after ten; `none` for none.
pub(crate) fn field_names<'a>(names: impl ExactSizeIterator<Item = &'a str>) -> String {
    let count = names.len();
    listing(count, names.map(|n| format!("`{n}`")))
}

fn listing(count: usize, items: impl Iterator<Item = String>) -> String {
    if count == 0 {
        return "none".to_string();
    }
    let mut text = items.take(LISTED).collect::<Vec<_>>().join(", ");
    if count > LISTED {
        text.push_str(&format!(", … ({count} in all)"));
    }
    text
}

/// `` `path`: `` before a message about a field of that object, nothing at the root (where
/// `(value)` would add nothing).
fn at(path: &FieldPath) -> String {
    if path.is_root() {
        String::new()
    } else {
        format!("`{path}`: ")
    }
}

/// `from 20 by` reads badly; "20 plus a multiple" says the same for any base, and the
/// usual base of 0 needs no mention.
fn from_base(base: &str) -> String {
    if base == "0" {
        String::new()
    } else {
        format!("{base} plus ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::EnumValue;

    #[test]
    fn paths_read_like_field_access() {
        assert_eq!(FieldPath::root().to_string(), "(value)");
        assert_eq!(FieldPath::field("brightness").to_string(), "brightness");
        assert_eq!(FieldPath::field("color").child("r").to_string(), "color.r");
        let timer = FieldPath::field("timers").index(2).child("enable");
        assert_eq!(timer.to_string(), "timers[2].enable");
        assert_eq!(timer.segments().len(), 3);
        assert_eq!(FieldPath::root().index(0).to_string(), "(value)[0]");
        assert!(FieldPath::root().is_root());
        assert!(!FieldPath::field("a").is_root());
    }

    #[test]
    fn messages_name_path_value_and_bound() {
        let error = ValueError::AboveMax {
            path: FieldPath::field("brightness"),
            value: "120".into(),
            max: "100".into(),
        };
        assert_eq!(error.to_string(), "`brightness`: 120 is above the max 100");
        assert_eq!(error.path(), &FieldPath::field("brightness"));
        let off = ValueError::OffStep {
            path: FieldPath::field("t"),
            value: "21.3".into(),
            step: "0.5".into(),
            base: "20".into(),
        };
        assert_eq!(
            off.to_string(),
            "`t`: 21.3 is not 20 plus a multiple of the step 0.5"
        );
        let off0 = ValueError::OffStep {
            path: FieldPath::field("t"),
            value: "21.3".into(),
            step: "0.5".into(),
            base: "0".into(),
        };
        assert_eq!(
            off0.to_string(),
            "`t`: 21.3 is not a multiple of the step 0.5"
        );
    }

    #[test]
    fn unknown_fields_name_the_object_unless_root() {
        let root = ValueError::UnknownField {
            path: FieldPath::root(),
            field: "x".into(),
            known: "`a`".into(),
        };
        assert_eq!(
            root.to_string(),
            "unknown field `x`; the known fields are: `a`"
        );
        let nested = ValueError::UnknownField {
            path: FieldPath::field("color"),
            field: "x".into(),
            known: "none".into(),
        };
        assert_eq!(
            nested.to_string(),
            "`color`: unknown field `x`; the known fields are: none"
        );
    }

    #[test]
    fn listings_are_cut_short() {
        let spec = EnumSpec {
            values: (0..12)
                .map(|i| EnumValue {
                    value: i,
                    label: format!("m{i}"),
                })
                .collect(),
        };
        let text = enum_members(&spec);
        assert!(text.starts_with("0 (m0), 1 (m1), "), "{text}");
        assert!(text.ends_with("9 (m9), … (12 in all)"), "{text}");
        assert_eq!(enum_members(&EnumSpec::default()), "none");
        assert_eq!(field_names(["a", "b"].into_iter()), "`a`, `b`");
    }

    #[test]
    fn errors_display_one_per_line() {
        let errors = ValueErrors(vec![
            ValueError::NotAnInteger {
                path: FieldPath::field("a"),
                value: "1.5".into(),
            },
            ValueError::NegativeDate {
                path: FieldPath::field("b"),
                value: -1,
            },
        ]);
        assert_eq!(
            errors.to_string(),
            "`a`: 1.5 is not an integer\n`b`: -1 is before 1970; a date is non-negative epoch milliseconds"
        );
        assert_eq!(errors.iter().count(), 2);
        assert_eq!(ValueErrors::ok_if_empty(Vec::new()), Ok(()));
        assert!(ValueErrors::ok_if_empty(errors.0.clone()).is_err());
    }
}
