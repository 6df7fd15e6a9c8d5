//! Identifiers from TSL text: case conversion, keywords, digit-first and empty names, enum
//! labels, the prelude and trait-method names a generated name must not take, and the
//! [`Kind`] of a name, which decides its case, fallback and numbered alternatives.

use heck::{ToSnakeCase, ToUpperCamelCase};

/// Keywords in any edition from 2015 to 2024, strict or reserved for the future, that can be
/// written as raw identifiers (`r#type`). Generated code may be included into a crate of any
/// edition, so `async`, `await`, `dyn`, `try` and `gen` count even where the including
/// crate's edition would accept them bare.
///
/// Weak keywords (`union`, `macro_rules`, `raw`, `safe`, `auto`, `default`) are ordinary
/// identifiers in the places generated names go (fields, methods, variables), so they stay
/// bare.
#[rustfmt::skip]
const RAW_KEYWORDS: &[&str] = &[
    // Strict, 2015.
    "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for", "if",
    "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref", "return",
    "static", "struct", "trait", "true", "type", "unsafe", "use", "where", "while",
    // Strict since 2018.
    "async", "await", "dyn",
    // Reserved.
    "abstract", "become", "box", "do", "final", "macro", "override", "priv", "typeof",
    "unsized", "virtual", "yield",
    // Reserved since 2018 and 2024.
    "try", "gen",
];

/// Keywords that cannot be raw identifiers: a snake_case name equal to one of them gets a
/// trailing `_` (`self_`). (`Self` only arises in UpperCamel names; see [`TYPE_SUFFIX`].)
const UNRAWABLE_KEYWORDS: &[&str] = &["self", "super", "crate"];

/// UpperCamel names that a type made from a TSL identifier must not take.
///
/// Generated code names every outside type by its full path (`::core::option::Option`), so
/// shadowing these would still compile inside the generated module. They are renamed anyway
/// because users write `use generated::*;`, and a glob import shadows the prelude: a model
/// with a property `result` would silently turn every `Result` in the user's module into
/// the generated enum. The list is the std prelude of every edition (types, traits and
/// variants), the derive macros users import next to them (`Debug`, `Hash`), and `Self`,
/// which is a keyword and cannot name a type at all.
#[rustfmt::skip]
const PRELUDE_NAMES: &[&str] = &[
    "Self",
    // Types and variants.
    "Option", "Some", "None", "Result", "Ok", "Err", "Box", "Vec", "String",
    // Traits.
    "Copy", "Send", "Sized", "Sync", "Unpin", "Drop", "Fn", "FnMut", "FnOnce", "ToOwned",
    "Clone", "PartialEq", "PartialOrd", "Eq", "Ord", "AsRef", "AsMut", "Into", "From",
    "Default", "Iterator", "Extend", "IntoIterator", "DoubleEndedIterator", "ExactSizeIterator",
    "ToString", "TryFrom", "TryInto", "FromIterator", "Future", "IntoFuture",
    // Derive macros users import by these names.
    "Debug", "Hash",
];

/// Appended to a type name that equals a prelude name or `Self`: `Option` → `OptionType`.
/// A camel-case word rather than `_`, because `Option_` trips `non_camel_case_types`.
pub const TYPE_SUFFIX: &str = "Type";

/// Appended to an enum member named `Self` (the one keyword an UpperCamel label can spell):
/// `SelfValue`. Prelude names (`None`, `Ok`, `Some`) are fine as members: they live inside
/// the enum and shadow nothing.
pub const VARIANT_SUFFIX: &str = "Value";

/// Put before a snake_case name that starts with a digit: `1st` → `_1st`.
pub const FIELD_DIGIT_PREFIX: &str = "_";

/// Put before an UpperCamel type name that starts with a digit: `1st` → `T1st`.
pub const TYPE_DIGIT_PREFIX: &str = "T";

/// Put before an enum member name that starts with a digit (`1st gear` → `V1stGear`), and
/// the whole member name when its label has no ASCII letter (`关闭` = 0 → `V0`).
pub const VARIANT_PREFIX: &str = "V";

/// Spells a negative enum key in a fallback member name: `-1` → `VMinus1`.
pub const VARIANT_MINUS: &str = "Minus";

/// The snake_case name [`Namespace`](super::Namespace) uses when a [`Kind::Field`] item has no ASCII letter
/// or digit.
pub const FIELD_FALLBACK: &str = "field";

/// The UpperCamel name [`Namespace`](super::Namespace) uses when a [`Kind::Type`] item has no ASCII letter or
/// digit.
pub const TYPE_FALLBACK: &str = "Unnamed";

/// Methods that derives and common traits put on generated types (`Clone`, `PartialEq`,
/// `Debug`, `Default`, `Hash`, serde, `From`/`Into`, `ToString`). An inherent method of
/// the same name would shadow the trait method at every call site (`handle.clone()` calling
/// a service named `clone`), so callers add these to the reserved names of a
/// [`Namespace`](super::Namespace) of methods.
pub const TRAIT_METHODS: &[&str] = &[
    "clone",
    "clone_from",
    "eq",
    "ne",
    "partial_cmp",
    "cmp",
    "fmt",
    "default",
    "hash",
    "serialize",
    "deserialize",
    "from",
    "into",
    "try_from",
    "try_into",
    "to_string",
    "to_owned",
    "as_ref",
    "as_mut",
    "borrow",
    "borrow_mut",
    "type_id",
    // `tsl_runtime::value::TslValue`'s own: a property named `check` would otherwise give
    // `PropertySet::check`, and `set.check(..)` would call the setter.
    "check",
    "to_wire",
    "from_json",
];

/// Converts a name to snake_case, keeping only ASCII letters and digits.
///
/// Every other character (`-`, spaces, punctuation, Chinese) separates words and is
/// dropped, so the result matches `[a-z0-9_]*` with no leading, trailing or doubled `_`.
/// It may be empty, start with a digit or be a keyword: [`field_ident`] makes it an
/// identifier.
///
/// ```
/// # use tsl_codegen::names::to_snake;
/// assert_eq!(to_snake("tempC"), "temp_c");
/// assert_eq!(to_snake("Power-Switch"), "power_switch");
/// assert_eq!(to_snake("温度"), "");
/// ```
pub fn to_snake(tsl: &str) -> String {
    ascii_words(tsl).to_snake_case()
}

/// Converts a name to UpperCamelCase, keeping only ASCII letters and digits.
///
/// Every other character separates words and is dropped, so the result matches
/// `[A-Za-z0-9]*`. It may be empty or start with a digit: [`type_ident`] and
/// [`enum_variant`] make it an identifier.
///
/// ```
/// # use tsl_codegen::names::to_upper_camel;
/// assert_eq!(to_upper_camel("temp_c"), "TempC");
/// assert_eq!(to_upper_camel("light sensor"), "LightSensor");
/// assert_eq!(to_upper_camel("WGS_84"), "Wgs84");
/// ```
pub fn to_upper_camel(tsl: &str) -> String {
    ascii_words(tsl).to_upper_camel_case()
}

/// The snake_case identifier for a field, method, variable or module named `tsl`.
///
/// - keywords become raw identifiers: `type` → `r#type`, `gen` → `r#gen`;
/// - `self`, `super` and `crate`, which cannot be raw, get a trailing `_`: `self_`;
/// - a leading digit gets [`FIELD_DIGIT_PREFIX`]: `1st` → `_1st`;
/// - a name with no ASCII letter or digit (empty, `温度`, `---`) takes `fallback`, itself
///   converted the same way, or [`FIELD_FALLBACK`] if that is empty too.
///
/// The result is a non-empty ASCII identifier (possibly `r#`-prefixed).
///
/// ```
/// # use tsl_codegen::names::field_ident;
/// assert_eq!(field_ident("TempC", "value"), "temp_c");
/// assert_eq!(field_ident("type", "value"), "r#type");
/// assert_eq!(field_ident("self", "value"), "self_");
/// assert_eq!(field_ident("1st", "value"), "_1st");
/// assert_eq!(field_ident("温度", "value"), "value");
/// ```
pub fn field_ident(tsl: &str, fallback: &str) -> String {
    snake_finish(&snake_base(tsl, fallback))
}

/// The UpperCamel identifier for a type (struct, enum) named `tsl`.
///
/// - a name equal to a prelude item or `Self` gets [`TYPE_SUFFIX`]: `Option` →
///   `OptionType`, `self` → `SelfType` (why: see *Prelude names* below);
/// - a leading digit gets [`TYPE_DIGIT_PREFIX`]: `1st` → `T1st`;
/// - a name with no ASCII letter or digit takes `fallback`, itself converted the same way,
///   or [`TYPE_FALLBACK`] if that is empty too.
///
/// The result is a non-empty ASCII identifier that passes `non_camel_case_types`.
///
/// ```
/// # use tsl_codegen::names::type_ident;
/// assert_eq!(type_ident("temp_c", "Value"), "TempC");
/// assert_eq!(type_ident("result", "Value"), "ResultType");
/// assert_eq!(type_ident("1st", "Value"), "T1st");
/// ```
///
/// # Prelude names
///
/// Generated code uses full paths, so shadowing the prelude would compile; such names are
/// still renamed because a user's `use generated::*;` would shadow the prelude in the
/// user's own module.
pub fn type_ident(tsl: &str, fallback: &str) -> String {
    type_finish(&type_base(tsl, fallback))
}

/// The UpperCamel name of the enum member with this `label` and key `value`.
///
/// The label's ASCII words make the name (`light sensor` → `LightSensor`, `WGS_84` →
/// `Wgs84`, `GCJ_02` → `Gcj02`). A label with no ASCII letter (`关闭`, `上传成功`, `1档`,
/// `-`) gives `V{value}` instead: `V0`, `V1`, and for negative keys `VMinus1`. A name that
/// starts with a digit gets [`VARIANT_PREFIX`] (`1st gear` → `V1stGear`), and `Self` gets
/// [`VARIANT_SUFFIX`].
///
/// Two labels can give the same name (`On`, `ON`); a [`Namespace`](super::Namespace) with
/// [`Kind::Variant`] items settles that.
///
/// ```
/// # use tsl_codegen::names::enum_variant;
/// assert_eq!(enum_variant("light sensor", 1), "LightSensor");
/// assert_eq!(enum_variant("关闭", 0), "V0");
/// assert_eq!(enum_variant("关闭", -1), "VMinus1");
/// ```
pub fn enum_variant(label: &str, value: i64) -> String {
    variant_finish(&variant_base(label, value))
}

/// The spelling of a fallback enum member name for key `value`: `V3`, `VMinus3`.
fn variant_fallback(value: i64) -> String {
    if value < 0 {
        format!("{VARIANT_PREFIX}{VARIANT_MINUS}{}", value.unsigned_abs())
    } else {
        format!("{VARIANT_PREFIX}{value}")
    }
}

/// Replaces every character that is not an ASCII letter or digit by a space, which heck
/// treats as a word boundary. heck alone would keep Chinese letters (they are alphabetic).
fn ascii_words(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// A snake_case name before keyword handling: non-empty, `[a-z0-9_]`, not digit-first.
fn snake_base(tsl: &str, fallback: &str) -> String {
    let mut name = to_snake(tsl);
    if name.is_empty() {
        name = to_snake(fallback);
    }
    if name.is_empty() {
        name = FIELD_FALLBACK.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, FIELD_DIGIT_PREFIX);
    }
    name
}

/// An UpperCamel type name before prelude handling: non-empty, `[A-Za-z0-9]`, not
/// digit-first.
fn type_base(tsl: &str, fallback: &str) -> String {
    let mut name = to_upper_camel(tsl);
    if name.is_empty() {
        name = to_upper_camel(fallback);
    }
    if name.is_empty() {
        name = TYPE_FALLBACK.to_string();
    }
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, TYPE_DIGIT_PREFIX);
    }
    name
}

/// An enum member name before `Self` handling.
fn variant_base(label: &str, value: i64) -> String {
    if !label.chars().any(|c| c.is_ascii_alphabetic()) {
        return variant_fallback(value);
    }
    let mut name = to_upper_camel(label);
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        name.insert_str(0, VARIANT_PREFIX);
    }
    name
}

/// Makes a snake base an identifier: raw for keywords, `_` after `self`/`super`/`crate`.
fn snake_finish(base: &str) -> String {
    if RAW_KEYWORDS.contains(&base) {
        format!("r#{base}")
    } else if UNRAWABLE_KEYWORDS.contains(&base) {
        format!("{base}_")
    } else {
        base.to_string()
    }
}

/// Makes a type base an identifier that shadows nothing.
fn type_finish(base: &str) -> String {
    if PRELUDE_NAMES.contains(&base) {
        format!("{base}{TYPE_SUFFIX}")
    } else {
        base.to_string()
    }
}

/// Makes a variant base an identifier.
fn variant_finish(base: &str) -> String {
    if base == "Self" {
        format!("{base}{VARIANT_SUFFIX}")
    } else {
        base.to_string()
    }
}

/// What a name is for, which decides its case and its fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A snake_case name: a field, method, function, variable or module
    /// ([`field_ident`], fallback [`FIELD_FALLBACK`]).
    Field,
    /// An UpperCamel type name ([`type_ident`], fallback [`TYPE_FALLBACK`]).
    Type,
    /// An enum member named from its label and key ([`enum_variant`]); the item's text is
    /// the label.
    Variant(i64),
}

impl Kind {
    /// The name before keyword/prelude handling and before any collision suffix.
    pub(super) fn base(self, tsl: &str) -> String {
        match self {
            Kind::Field => snake_base(tsl, FIELD_FALLBACK),
            Kind::Type => type_base(tsl, TYPE_FALLBACK),
            Kind::Variant(value) => variant_base(tsl, value),
        }
    }

    /// The identifier for a base (keywords, prelude names).
    pub(super) fn finish(self, base: &str) -> String {
        match self {
            Kind::Field => snake_finish(base),
            Kind::Type => type_finish(base),
            Kind::Variant(_) => variant_finish(base),
        }
    }

    /// The `n`th alternative to a base (`n` ≥ 2): `temp_c_2`, `TempC2`, `Wgs84_2`.
    pub(super) fn numbered(self, base: &str, n: u64) -> String {
        match self {
            Kind::Field => format!("{base}_{n}"),
            // `TempC_2` would trip `non_camel_case_types` (a cased letter next to `_`); a
            // digit next to `_` does not, and keeps `Wgs84` + 2 apart from `Wgs842`.
            Kind::Type | Kind::Variant(_) => {
                if base.ends_with(|c: char| c.is_ascii_digit()) {
                    format!("{base}_{n}")
                } else {
                    format!("{base}{n}")
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::names::test_support::parses;

    #[test]
    fn snake_and_camel_conversion() {
        for (tsl, snake, camel) in [
            ("tempC", "temp_c", "TempC"),
            ("TempC", "temp_c", "TempC"),
            ("temp_c", "temp_c", "TempC"),
            ("TEMP_C", "temp_c", "TempC"),
            ("PowerSwitch", "power_switch", "PowerSwitch"),
            ("powerSwitch", "power_switch", "PowerSwitch"),
            ("HTTPServer", "http_server", "HttpServer"),
            ("CO2Value", "co2_value", "Co2Value"),
            ("temp1Max", "temp1_max", "Temp1Max"),
            ("WGS_84", "wgs_84", "Wgs84"),
            ("GCJ_02", "gcj_02", "Gcj02"),
            ("light sensor", "light_sensor", "LightSensor"),
            ("power-switch", "power_switch", "PowerSwitch"),
            ("a.b/c", "a_b_c", "ABC"),
            ("__private__", "private", "Private"),
            ("x", "x", "X"),
            ("1st", "1st", "1st"),
            ("", "", ""),
            ("_", "", ""),
            ("---", "", ""),
            ("温度", "", ""),
            ("温度temp", "temp", "Temp"),
            ("temp温度max", "temp_max", "TempMax"),
            ("émoji🎉ok", "moji_ok", "MojiOk"),
        ] {
            assert_eq!(to_snake(tsl), snake, "snake of {tsl:?}");
            assert_eq!(to_upper_camel(tsl), camel, "camel of {tsl:?}");
        }
    }

    #[test]
    fn issue_examples_collide_after_conversion() {
        for tsl in ["tempC", "TempC", "temp_c"] {
            assert_eq!(field_ident(tsl, "f"), "temp_c");
            assert_eq!(type_ident(tsl, "F"), "TempC");
        }
    }

    #[test]
    fn every_raw_keyword_becomes_raw() {
        for &kw in RAW_KEYWORDS {
            let ident = field_ident(kw, "f");
            assert_eq!(ident, format!("r#{kw}"));
            assert!(parses(&ident), "{ident}");
            // Case variants of a keyword convert to the keyword too.
            assert_eq!(field_ident(&kw.to_uppercase(), "f"), ident);
        }
        for kw in [
            "as", "break", "const", "continue", "else", "enum", "extern", "false", "fn", "for",
            "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut", "pub", "ref",
            "return", "static", "struct", "trait", "true", "type", "unsafe", "use", "where",
            "while", "async", "await", "dyn", "abstract", "become", "box", "do", "final", "macro",
            "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "gen",
        ] {
            assert!(RAW_KEYWORDS.contains(&kw), "{kw} missing");
        }
    }

    #[test]
    fn unrawable_keywords_get_an_underscore() {
        assert_eq!(field_ident("self", "f"), "self_");
        assert_eq!(field_ident("Self", "f"), "self_");
        assert_eq!(field_ident("super", "f"), "super_");
        assert_eq!(field_ident("crate", "f"), "crate_");
        assert_eq!(field_ident("_", "f"), "f");
        for name in ["self_", "super_", "crate_"] {
            assert!(parses(name));
        }
        assert!(!parses("r#self"), "syn agrees self cannot be raw");
        assert!(!parses("r#crate"));
    }

    #[test]
    fn weak_keywords_stay_bare() {
        for kw in ["union", "macro_rules", "raw", "safe", "auto", "default"] {
            let ident = field_ident(kw, "f");
            assert_eq!(ident, kw);
            assert!(parses(&ident), "{ident}");
        }
    }

    #[test]
    fn type_names_never_shadow_the_prelude() {
        for &name in PRELUDE_NAMES {
            let ident = type_ident(name, "F");
            assert_eq!(ident, format!("{name}Type"));
            assert!(parses(&ident));
        }
        assert_eq!(type_ident("self", "F"), "SelfType");
        assert_eq!(type_ident("result", "F"), "ResultType");
        assert_eq!(type_ident("option", "F"), "OptionType");
        assert_eq!(type_ident("box", "F"), "BoxType");
        assert_eq!(type_ident("default", "F"), "DefaultType");
        for name in [
            "Option",
            "Result",
            "Some",
            "None",
            "Ok",
            "Err",
            "Box",
            "Vec",
            "String",
            "Default",
            "Clone",
            "Copy",
            "Send",
            "Sync",
            "Sized",
            "Drop",
            "Fn",
            "FnMut",
            "FnOnce",
            "Iterator",
            "ToString",
            "From",
            "Into",
            "PartialEq",
            "Eq",
            "Debug",
            "Self",
        ] {
            assert!(PRELUDE_NAMES.contains(&name), "{name} missing");
        }
        // Fields may carry these names: they are not types.
        assert_eq!(field_ident("Option", "f"), "option");
        assert_eq!(field_ident("result", "f"), "result");
        // Ordinary names are left alone, also ones that merely start like a prelude name.
        assert_eq!(type_ident("OptionList", "F"), "OptionList");
        assert_eq!(type_ident("type", "F"), "Type");
    }

    #[test]
    fn digit_first() {
        assert_eq!(field_ident("1st", "f"), "_1st");
        assert_eq!(field_ident("2ndValue", "f"), "_2nd_value");
        assert_eq!(field_ident("404", "f"), "_404");
        assert_eq!(type_ident("1st", "F"), "T1st");
        assert_eq!(type_ident("2nd_value", "F"), "T2ndValue");
        assert_eq!(enum_variant("1st gear", 1), "V1stGear");
        for name in [
            "_1st",
            "_2nd_value",
            "_404",
            "T1st",
            "T2ndValue",
            "V1stGear",
        ] {
            assert!(parses(name), "{name}");
        }
    }

    #[test]
    fn fallbacks() {
        assert_eq!(field_ident("", "value"), "value");
        assert_eq!(field_ident("!!!", "argValue"), "arg_value");
        assert_eq!(
            field_ident("", "type"),
            "r#type",
            "a fallback is converted too"
        );
        assert_eq!(field_ident("", "1"), "_1");
        assert_eq!(field_ident("", ""), FIELD_FALLBACK);
        assert_eq!(field_ident("温度", "温度"), FIELD_FALLBACK);
        assert_eq!(type_ident("", "value"), "Value");
        assert_eq!(type_ident("", "option"), "OptionType");
        assert_eq!(type_ident("", ""), TYPE_FALLBACK);
        assert_eq!(type_ident("---", "—"), TYPE_FALLBACK);
    }

    #[test]
    fn enum_labels() {
        for (label, value, name) in [
            ("light sensor", 1, "LightSensor"),
            ("WGS_84", 0, "Wgs84"),
            ("GCJ_02", 1, "Gcj02"),
            ("ON", 1, "On"),
            ("off", 0, "Off"),
            ("关闭", 0, "V0"),
            ("打开", 1, "V1"),
            ("上传成功", 2, "V2"),
            ("1档", 3, "V3"),
            ("", 4, "V4"),
            ("-", 5, "V5"),
            ("关闭", -1, "VMinus1"),
            ("错误", i64::MIN, "VMinus9223372036854775808"),
            ("最大", i64::MAX, "V9223372036854775807"),
            ("模式A", 7, "A"),
            ("self", 1, "SelfValue"),
            ("None", 0, "None"),
            ("Ok", 1, "Ok"),
            ("type", 2, "Type"),
        ] {
            let got = enum_variant(label, value);
            assert_eq!(got, name, "{label:?} = {value}");
            assert!(parses(&got));
        }
    }

    proptest! {
        #[test]
        fn any_text_gives_valid_ascii_identifiers(tsl in any::<String>(), fallback in any::<String>()) {
            for name in [field_ident(&tsl, &fallback), type_ident(&tsl, &fallback)] {
                prop_assert!(!name.is_empty());
                prop_assert!(name.is_ascii(), "{name}");
                prop_assert!(parses(&name), "{name}");
            }
        }
        #[test]
        fn identifier_like_text_gives_valid_identifiers(
            tsl in "[A-Za-z0-9_]{0,12}|[a-z]{1,8}|[\\p{Han}a-zA-Z_ -]{0,8}",
            value in any::<i64>(),
        ) {
            for name in [
                field_ident(&tsl, "f"),
                type_ident(&tsl, "F"),
                enum_variant(&tsl, value),
            ] {
                prop_assert!(!name.is_empty());
                prop_assert!(name.is_ascii(), "{name}");
                prop_assert!(parses(&name), "{name}");
            }
        }
    }
}
