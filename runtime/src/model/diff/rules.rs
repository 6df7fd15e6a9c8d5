//! The named rules of a model comparison, with the class of each: one table, read by the
//! comparison, the `tsl-codegen diff` command line (`--allow RULE`) and `docs/diff.md`.

use std::fmt;
use std::str::FromStr;

/// How much a change breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Breaks devices or callers on the wire: a message valid under the old model is refused
    /// (or read differently) under the new one.
    WireBreaking,
    /// Breaks Rust that compiled against the old generated code, though the wire may be fine.
    CodeBreaking,
    /// Breaks nothing: additions, widened limits, documentation.
    Compatible,
}

impl Class {
    /// `wire-breaking`, `code-breaking` or `compatible`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::WireBreaking => "wire-breaking",
            Class::CodeBreaking => "code-breaking",
            Class::Compatible => "compatible",
        }
    }

    /// Whether a change of this class makes a check fail.
    pub fn is_breaking(self) -> bool {
        self != Class::Compatible
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! rules {
    ($($(#[doc = $doc:literal])* $variant:ident = $name:literal, $class:ident;)*) => {
        /// A named comparison rule. [`Rule::ALL`] is the table documented in `docs/diff.md`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        #[non_exhaustive]
        pub enum Rule {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Rule {
            /// Every rule, in the order of the table.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant,)*];

            /// The rule's name, as `--allow` takes it: `PROPERTY_REMOVED`.
            pub fn name(self) -> &'static str {
                match self {
                    $(Rule::$variant => $name,)*
                }
            }

            /// How much a change under this rule breaks.
            pub fn class(self) -> Class {
                match self {
                    $(Rule::$variant => Class::$class,)*
                }
            }

            /// One sentence on what the rule finds.
            pub fn summary(self) -> &'static str {
                match self {
                    $(Rule::$variant => concat!($($doc),*).trim_ascii(),)*
                }
            }
        }
    };
}

rules! {
    /// A custom module (function block) is gone.
    ModuleRemoved = "MODULE_REMOVED", WireBreaking;
    /// A custom module's `functionBlockId` changed (same name or same items under another
    /// id): every wire identifier `module:identifier` in it changed.
    ModuleIdChanged = "MODULE_ID_CHANGED", WireBreaking;
    /// A property is gone (or renamed: a rename shows as removed plus added).
    PropertyRemoved = "PROPERTY_REMOVED", WireBreaking;
    /// A service is gone (or renamed).
    ServiceRemoved = "SERVICE_REMOVED", WireBreaking;
    /// An event is gone (or renamed).
    EventRemoved = "EVENT_REMOVED", WireBreaking;
    /// A service has a new input: callers that do not send it are refused.
    ServiceInputAdded = "SERVICE_INPUT_ADDED", WireBreaking;
    /// A service lost an input: callers that still send it are refused.
    ServiceInputRemoved = "SERVICE_INPUT_REMOVED", WireBreaking;
    /// A service lost an output: callers reading it find nothing.
    ServiceOutputRemoved = "SERVICE_OUTPUT_REMOVED", WireBreaking;
    /// An event lost an output: consumers reading it find nothing.
    EventOutputRemoved = "EVENT_OUTPUT_REMOVED", WireBreaking;
    /// A struct lost a member.
    StructMemberRemoved = "STRUCT_MEMBER_REMOVED", WireBreaking;
    /// A value's data type changed (int and float/double differ on the wire by the decimal
    /// point too).
    DataTypeChanged = "DATA_TYPE_CHANGED", WireBreaking;
    /// An enum key is gone: values using it are refused.
    EnumKeyRemoved = "ENUM_KEY_REMOVED", WireBreaking;
    /// A number's range is narrower: min raised, max lowered, or a bound set where there
    /// was none.
    BoundsNarrowed = "BOUNDS_NARROWED", WireBreaking;
    /// A number's step was set or changed: values on the old grid may be off the new one.
    StepChanged = "STEP_CHANGED", WireBreaking;
    /// A text's `length` is shorter (or set where there was none).
    TextLengthShrunk = "TEXT_LENGTH_SHRUNK", WireBreaking;
    /// An array's `size` is smaller (or set where there was none).
    ArraySizeShrunk = "ARRAY_SIZE_SHRUNK", WireBreaking;
    /// A service's `callType` changed between sync and async: callers wait for a reply
    /// that no longer comes, or get one they do not wait for.
    CallTypeChanged = "CALL_TYPE_CHANGED", WireBreaking;
    /// A property can no longer be written (`rw` → `r`) or read (`rw` → `w`).
    AccessModeNarrowed = "ACCESS_MODE_NARROWED", WireBreaking;
    /// A name the generator derives changed: a type, field, method or enum member.
    RustNameChanged = "RUST_NAME_CHANGED", CodeBreaking;
    /// A generated type is no longer generated under its old name.
    RustTypeRemoved = "RUST_TYPE_REMOVED", CodeBreaking;
    /// A field's Rust type changed though its wire type did not (an enum that listed no
    /// values, an `i32`, now lists some: a generated enum).
    RustTypeChanged = "RUST_TYPE_CHANGED", CodeBreaking;
    /// A generated enum gained a member: a `match` without a wildcard no longer compiles
    /// (generated enums are not `#[non_exhaustive]` unless the settings add it).
    EnumMemberAdded = "ENUM_MEMBER_ADDED", CodeBreaking;
    /// A generated struct gained a required field: struct literals no longer compile.
    StructFieldAdded = "STRUCT_FIELD_ADDED", CodeBreaking;
    /// The device-side `Handler` trait gained a method (a new service, or the first
    /// writable property): every implementation must add it.
    HandlerMethodAdded = "HANDLER_METHOD_ADDED", CodeBreaking;
    /// A custom module was added.
    ModuleAdded = "MODULE_ADDED", Compatible;
    /// A property was added.
    PropertyAdded = "PROPERTY_ADDED", Compatible;
    /// A service was added.
    ServiceAdded = "SERVICE_ADDED", Compatible;
    /// An event was added.
    EventAdded = "EVENT_ADDED", Compatible;
    /// A service has a new output: old callers ignore it.
    ServiceOutputAdded = "SERVICE_OUTPUT_ADDED", Compatible;
    /// An event has a new output.
    EventOutputAdded = "EVENT_OUTPUT_ADDED", Compatible;
    /// A struct has a new member.
    StructMemberAdded = "STRUCT_MEMBER_ADDED", Compatible;
    /// An enum has a new key.
    EnumKeyAdded = "ENUM_KEY_ADDED", Compatible;
    /// A number's range is wider: min lowered, max raised, or a bound dropped.
    BoundsWidened = "BOUNDS_WIDENED", Compatible;
    /// A number's step was dropped: every old value still fits.
    StepRemoved = "STEP_REMOVED", Compatible;
    /// A text's `length` is longer (or no longer set).
    TextLengthGrown = "TEXT_LENGTH_GROWN", Compatible;
    /// An array's `size` is larger (or no longer set).
    ArraySizeGrown = "ARRAY_SIZE_GROWN", Compatible;
    /// A property can now also be written or read (`r` → `rw`).
    AccessModeWidened = "ACCESS_MODE_WIDENED", Compatible;
    /// An event's type (info, alert, error) changed; its method and payload did not.
    EventTypeChanged = "EVENT_TYPE_CHANGED", Compatible;
    /// An item's `required` flag (a product-template marker) changed.
    RequiredChanged = "REQUIRED_CHANGED", Compatible;
    /// A display name, description, unit, enum label or bool label changed.
    DocumentationChanged = "DOCUMENTATION_CHANGED", Compatible;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A rule name that is not in the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown rule `{0}`; the rules are listed in docs/diff.md")]
pub struct UnknownRule(pub String);

impl FromStr for Rule {
    type Err = UnknownRule;

    /// Reads a rule name, case-insensitively: `property_removed` is `PROPERTY_REMOVED`.
    fn from_str(s: &str) -> Result<Rule, UnknownRule> {
        let wanted = s.trim();
        Rule::ALL
            .iter()
            .copied()
            .find(|r| r.name().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| UnknownRule(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_upper_snake_and_read_back() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            assert!(seen.insert(rule.name()), "{} twice", rule.name());
            assert!(rule
                .name()
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b == b'_'));
            assert_eq!(rule.name().parse::<Rule>(), Ok(*rule));
            assert!(!rule.summary().is_empty());
        }
        assert_eq!("enum_key_added".parse::<Rule>(), Ok(Rule::EnumKeyAdded));
        assert!("NO_SUCH_RULE".parse::<Rule>().is_err());
    }
}
