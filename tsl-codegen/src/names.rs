//! Rust names for TSL things: case conversion, keywords, digit-first and empty names, enum
//! labels, names the generated API already uses, collisions, and free text for rustdoc.
//!
//! Every name decided here is plain ASCII, so the generated code is the same on every
//! machine and compiles without a single lint firing (`non_ascii_idents`,
//! `uncommon_codepoints`, `mixed_script_confusables`, `non_camel_case_types`,
//! `non_snake_case`). TSL identifiers are ASCII on the platform (letters, digits, `_`), but
//! enum labels and custom-module names are often Chinese or contain spaces; what cannot be
//! spelled in ASCII falls back to a name the caller gives (or `V{value}` for enum members).
//!
//! Naming is two-phase, as in typify: a [`Namespace`] first collects the candidate name of
//! every item, then decides. The outcome does not depend on the order of the items, and a
//! collision is either resolved with a numbered suffix or reported with both TSL
//! identifiers ([`CollisionPolicy`]); it never panics and never yields a name that does not
//! compile.
//!
//! The TSL identifier itself stays next to every Rust name in the generated code (serde
//! `rename`, constants): the wire name is never derived back from a name made here.

use std::collections::{BTreeMap, BTreeSet};

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

/// The snake_case name [`Namespace`] uses when a [`Kind::Field`] item has no ASCII letter
/// or digit.
pub const FIELD_FALLBACK: &str = "field";

/// The UpperCamel name [`Namespace`] uses when a [`Kind::Type`] item has no ASCII letter or
/// digit.
pub const TYPE_FALLBACK: &str = "Unnamed";

/// Methods that derives and common traits put on generated types (`Clone`, `PartialEq`,
/// `Debug`, `Default`, `Hash`, serde, `From`/`Into`, `ToString`). An inherent method of
/// the same name would shadow the trait method at every call site (`handle.clone()` calling
/// a service named `clone`), so callers add these to the reserved names of a
/// [`Namespace`] of methods.
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
/// Two labels can give the same name (`On`, `ON`); a [`Namespace`] with
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
    fn base(self, tsl: &str) -> String {
        match self {
            Kind::Field => snake_base(tsl, FIELD_FALLBACK),
            Kind::Type => type_base(tsl, TYPE_FALLBACK),
            Kind::Variant(value) => variant_base(tsl, value),
        }
    }

    /// The identifier for a base (keywords, prelude names).
    fn finish(self, base: &str) -> String {
        match self {
            Kind::Field => snake_finish(base),
            Kind::Type => type_finish(base),
            Kind::Variant(_) => variant_finish(base),
        }
    }

    /// The `n`th alternative to a base (`n` ≥ 2): `temp_c_2`, `TempC2`, `Wgs84_2`.
    fn numbered(self, base: &str, n: u64) -> String {
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

/// What a [`Namespace`] does when two items want the same Rust name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CollisionPolicy {
    /// Give one of them the plain name and number the others (the default).
    #[default]
    Resolve,
    /// Refuse with a [`NameCollision`] per clash, so the model gets renamed instead.
    Error,
}

/// Two TSL items that want one Rust name, or one that wants a name the generated API
/// already uses. Raised only under [`CollisionPolicy::Error`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameCollision {
    /// Two TSL identifiers convert to the same Rust name.
    #[error(
        "TSL identifiers `{first}` and `{second}` both become the Rust name `{rust}`; \
         rename one of them in the model"
    )]
    Identifiers {
        /// The identifier that would keep the name under [`CollisionPolicy::Resolve`].
        first: String,
        /// The other identifier.
        second: String,
        /// The Rust name both convert to.
        rust: String,
    },
    /// A TSL identifier converts to a name the generated code already uses.
    #[error(
        "TSL identifier `{tsl}` becomes the Rust name `{rust}`, which the generated code \
         already uses; rename it in the model"
    )]
    Reserved {
        /// The TSL identifier.
        tsl: String,
        /// The Rust name it converts to.
        rust: String,
    },
}

/// The Rust names of one scope (the fields of a struct, the members of an enum, the
/// methods of a handle, the types of a module), decided together.
///
/// Names that are already taken (methods the generated handle has: `new`, `invoke`,
/// `device`, ...; see also [`TRAIT_METHODS`]) are given at creation; every successful
/// [`plan`](Namespace::plan) takes its names too, so a scope can be filled in steps.
///
/// # How collisions are settled
///
/// All candidates of one `plan` call are computed first. Items whose names clash (`tempC`,
/// `TempC` and `temp_c` all want `temp_c`) are ranked: the item whose TSL text already *is*
/// the Rust name comes first, then one whose text is the name before keyword or prelude
/// handling (`self` for `self_`, `Option` for `OptionType`), then byte order of the TSL
/// text (then the enum key). Under
/// [`CollisionPolicy::Resolve`] the first keeps the plain name unless it is reserved, and
/// the others take the first free numbered name in rank order (`temp_c_2`, `temp_c_3`;
/// `TempC2`; `Wgs84_2`), after every plain name of the call has been claimed. So the
/// result does not depend on the order of the items, and a numbered name never steals the
/// plain name of another item.
#[derive(Debug, Clone, Default)]
pub struct Namespace {
    /// Names in use, compared without `r#`.
    taken: BTreeSet<String>,
    /// Names given at creation or through [`Namespace::reserve`].
    reserved: BTreeSet<String>,
    policy: CollisionPolicy,
}

impl Namespace {
    /// A scope whose `reserved` Rust names (`new`, `r#type`, `Builder`) no item may take.
    pub fn new(reserved: &[&str], policy: CollisionPolicy) -> Self {
        let mut namespace = Namespace {
            policy,
            ..Namespace::default()
        };
        for name in reserved {
            namespace.reserve(name);
        }
        namespace
    }

    /// Marks one more Rust name as used by the generated code.
    pub fn reserve(&mut self, name: &str) {
        let key = unraw(name).to_string();
        self.reserved.insert(key.clone());
        self.taken.insert(key);
    }

    /// Whether `name` is reserved or was given to an item.
    pub fn is_taken(&self, name: &str) -> bool {
        self.taken.contains(unraw(name))
    }

    /// Decides the Rust name of every item: `(TSL text, kind)`, where the text is the TSL
    /// identifier, or the label for [`Kind::Variant`]. The names come back in the items'
    /// order, are distinct from each other and from every name taken before, and are taken
    /// from now on.
    ///
    /// Under [`CollisionPolicy::Error`] every clash is reported (not only the first) and
    /// no name is taken.
    pub fn plan(&mut self, items: &[(&str, Kind)]) -> Result<Vec<String>, Vec<NameCollision>> {
        let bases: Vec<String> = items.iter().map(|&(tsl, kind)| kind.base(tsl)).collect();
        let plains: Vec<String> = items
            .iter()
            .zip(&bases)
            .map(|(&(_, kind), base)| kind.finish(base))
            .collect();

        // Phase one: group by the plain name, then rank each group.
        let mut groups: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, plain) in plains.iter().enumerate() {
            groups.entry(unraw(plain)).or_default().push(i);
        }
        let rank = |&i: &usize| {
            let (tsl, kind) = items[i];
            // `self_` is spelled exactly so; `self` is the keyword `self_` stands for.
            let exact = unraw(&plains[i]) == tsl;
            let exact_base = bases[i] == tsl;
            (!exact, !exact_base, tsl, kind, i)
        };
        for members in groups.values_mut() {
            members.sort_by_key(rank);
        }

        if self.policy == CollisionPolicy::Error {
            let mut collisions = Vec::new();
            for (&plain, members) in &groups {
                let first = items[members[0]].0;
                if self.taken.contains(plain) {
                    collisions.extend(members.iter().map(|&i| NameCollision::Reserved {
                        tsl: items[i].0.to_string(),
                        rust: plains[i].clone(),
                    }));
                } else {
                    collisions.extend(members[1..].iter().map(|&i| NameCollision::Identifiers {
                        first: first.to_string(),
                        second: items[i].0.to_string(),
                        rust: plains[i].clone(),
                    }));
                }
            }
            if !collisions.is_empty() {
                return Err(collisions);
            }
        }

        // Phase two: every plain name that is free goes to the first of its group, before
        // any numbered name is handed out.
        let mut names: Vec<Option<String>> = vec![None; items.len()];
        let mut losers = Vec::new();
        for (&plain, members) in &groups {
            let mut rest = &members[..];
            if !self.taken.contains(plain) {
                names[members[0]] = Some(plains[members[0]].clone());
                rest = &members[1..];
            }
            losers.extend_from_slice(rest);
        }
        for name in names.iter().flatten() {
            self.taken.insert(unraw(name).to_string());
        }
        // `groups` iterates in name order and members are ranked, so this order is fixed.
        for i in losers {
            let kind = items[i].1;
            let mut n = 2;
            let name = loop {
                let candidate = kind.finish(&kind.numbered(&bases[i], n));
                if !self.taken.contains(unraw(&candidate)) {
                    break candidate;
                }
                n += 1;
            };
            self.taken.insert(unraw(&name).to_string());
            names[i] = Some(name);
        }
        Ok(names.into_iter().flatten().collect())
    }
}

/// The name without a raw prefix: `r#type` and `type` are one name.
fn unraw(name: &str) -> &str {
    name.strip_prefix("r#").unwrap_or(name)
}

/// Makes a model's `name` or `desc` safe as rustdoc text: the lines to put after `///`,
/// joined with `\n`.
///
/// - line breaks (`\r\n`, `\r`, U+2028, U+2029, U+0085) become `\n`; each line is
///   trimmed, so no line is indented into a code block (which rustdoc would run as a
///   doctest); runs of blank lines become one, and blank lines at either end go;
/// - tabs become spaces; control characters and bidirectional-override characters
///   (which rustc rejects in comments) are dropped;
/// - Markdown punctuation is escaped with `\`, so nothing reads as an intra-doc link
///   (`[x]`), HTML (`<b>`), an entity (`&amp;`), code (`` ` ``), emphasis, strike-through,
///   a table, a heading or a list: `` \ ` * [ ] < > ~ | & # ``, `_` unless inside a word,
///   and `-`, `+`, `=` or a number's `.`/`)` at the start of a line;
/// - `http://` and `https://` URLs become autolinks (`<https://...>`), which keeps
///   `rustdoc::bare_urls` quiet.
///
/// ```
/// # use tsl_codegen::names::doc_text;
/// assert_eq!(doc_text("see [manual] <b>now</b>"), r"see \[manual\] \<b\>now\</b\>");
/// assert_eq!(doc_text("  a\r\n\r\n\r\n  b  "), "a\n\nb");
/// ```
pub fn doc_text(s: &str) -> String {
    let normalised = s.replace("\r\n", "\n");
    let mut out: Vec<String> = Vec::new();
    for raw_line in normalised.split(['\n', '\r', '\u{2028}', '\u{2029}', '\u{85}']) {
        let cleaned: String = raw_line
            .chars()
            .map(|c| if c == '\t' { ' ' } else { c })
            .filter(|&c| !c.is_control() && !is_bidi_control(c))
            .collect();
        let line = escape_line(cleaned.trim());
        if line.is_empty() && out.last().is_none_or(|last| last.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|last| last.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// `text` as a Markdown code span, shown verbatim: inside a span a backslash is not an
/// escape, so nothing is escaped (`_battery` stays `_battery`, where [`doc_text`] would
/// show `\_battery`). The fence has one backtick more than the longest run inside, as
/// CommonMark reads it; control characters and line breaks are dropped.
///
/// ```
/// # use tsl_codegen::names::code_span;
/// assert_eq!(code_span("_battery"), "`_battery`");
/// assert_eq!(code_span("a`b"), "``a`b``");
/// assert_eq!(code_span("`x"), "`` `x ``");
/// ```
pub fn code_span(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|&c| !is_bidi_control(c))
        .collect();
    let clean = clean.trim();
    let mut longest = 0;
    let mut run = 0;
    for c in clean.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    // A span starting or ending with a backtick needs a space inside the fence.
    let pad = if clean.starts_with('`') || clean.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{clean}{pad}{fence}")
}

/// `text` for a plain `//` comment: one line, no control or bidi characters, and no
/// Markdown escapes (rustdoc never reads it).
pub fn comment_text(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .filter(|&c| !is_bidi_control(c))
        .collect();
    clean.trim().to_string()
}

/// Characters that reorder text on screen; rustc denies them in comments
/// (`text_direction_codepoint_in_comment`).
fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

/// Escapes one trimmed line of doc text.
fn escape_line(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut out = String::with_capacity(line.len() + 8);
    let mut i = 0;

    // Block markers only matter at the start of a line.
    let digits = chars.iter().take_while(|c| c.is_ascii_digit()).count();
    let list_marker_at = match chars.first() {
        Some('-' | '+' | '=') => Some(0),
        Some(c) if c.is_ascii_digit() && matches!(chars.get(digits), Some('.' | ')')) => {
            Some(digits)
        }
        _ => None,
    };

    while i < chars.len() {
        if let Some(len) = url_at(&chars, i) {
            out.push('<');
            out.extend(&chars[i..i + len]);
            out.push('>');
            i += len;
            continue;
        }
        let c = chars[i];
        let escape = match c {
            '\\' | '`' | '*' | '[' | ']' | '<' | '>' | '~' | '|' | '&' | '#' => true,
            '_' => {
                let inside_word = i > 0
                    && chars[i - 1].is_alphanumeric()
                    && chars.get(i + 1).is_some_and(|n| n.is_alphanumeric());
                !inside_word
            }
            _ => list_marker_at == Some(i),
        };
        if escape {
            out.push('\\');
        }
        out.push(c);
        i += 1;
    }
    out
}

/// The length of the URL starting at `chars[i]`, if one does.
fn url_at(chars: &[char], i: usize) -> Option<usize> {
    if i > 0 && chars[i - 1].is_ascii_alphanumeric() {
        return None;
    }
    let starts = |scheme: &str| {
        let n = scheme.chars().count();
        chars.len() >= i + n
            && chars[i..i + n]
                .iter()
                .zip(scheme.chars())
                .all(|(a, b)| a.eq_ignore_ascii_case(&b))
    };
    let scheme = if starts("https://") {
        8
    } else if starts("http://") {
        7
    } else {
        return None;
    };
    // Characters an autolink may hold (no space, `<`, `>`), less those that read as
    // Markdown or quote the URL.
    let mut len = chars[i..]
        .iter()
        .take_while(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '"' | '`' | '[' | ']'))
        .count();
    // Sentence punctuation after a URL is not part of it.
    while len > scheme {
        let last = chars[i + len - 1];
        let unbalanced_paren = last == ')' && {
            let url = &chars[i..i + len];
            url.iter().filter(|&&c| c == '(').count() < url.iter().filter(|&&c| c == ')').count()
        };
        if matches!(last, '.' | ',' | ';' | ':' | '!' | '?' | '\'') || unbalanced_paren {
            len -= 1;
        } else {
            break;
        }
    }
    (len > scheme).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use syn::ext::IdentExt;

    /// Parses a generated identifier as Rust would see it.
    fn parses(name: &str) -> bool {
        if let Some(bare) = name.strip_prefix("r#") {
            // A raw identifier must be a keyword-shaped identifier that may be raw.
            syn::parse_str::<syn::Ident>(name).is_ok()
                && syn::parse::Parser::parse_str(syn::Ident::parse_any, bare).is_ok()
        } else {
            syn::parse_str::<syn::Ident>(name).is_ok()
        }
    }

    fn plan(reserved: &[&str], items: &[(&str, Kind)]) -> Vec<String> {
        Namespace::new(reserved, CollisionPolicy::Resolve)
            .plan(items)
            .expect("resolve never fails")
    }

    fn fields<'a>(names: &[&'a str]) -> Vec<(&'a str, Kind)> {
        names.iter().map(|&n| (n, Kind::Field)).collect()
    }

    /// Every order of `items`.
    fn permutations<T: Clone>(items: &[T]) -> Vec<Vec<T>> {
        if items.len() <= 1 {
            return vec![items.to_vec()];
        }
        let mut all = Vec::new();
        for i in 0..items.len() {
            let mut rest = items.to_vec();
            let first = rest.remove(i);
            for mut tail in permutations(&rest) {
                tail.insert(0, first.clone());
                all.push(tail);
            }
        }
        all
    }

    /// Plans every order of `items` and checks each gives every item the same name;
    /// returns the names by TSL text.
    fn same_in_every_order(
        reserved: &[&str],
        items: &[(&str, Kind)],
    ) -> BTreeMap<(String, Kind), String> {
        let mut expected: Option<BTreeMap<(String, Kind), String>> = None;
        for order in permutations(items) {
            let names = plan(reserved, &order);
            let got: BTreeMap<(String, Kind), String> = order
                .iter()
                .map(|&(t, k)| (t.to_string(), k))
                .zip(names)
                .collect();
            match &expected {
                None => expected = Some(got),
                Some(e) => assert_eq!(e, &got, "order {order:?}"),
            }
        }
        expected.unwrap()
    }

    fn named(map: &BTreeMap<(String, Kind), String>, tsl: &str) -> String {
        map.iter()
            .find(|((t, _), _)| t == tsl)
            .map(|(_, n)| n.clone())
            .unwrap()
    }

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
    fn chinese_identifiers_never_reach_the_output() {
        assert_eq!(field_ident("温度", "value"), "value");
        assert_eq!(field_ident("当前温度", "current"), "current");
        assert_eq!(field_ident("temp温度", "value"), "temp");
        assert_eq!(type_ident("温度", "Temperature"), "Temperature");
        let got = plan(&[], &[("温度", Kind::Field), ("湿度", Kind::Field)]);
        assert_eq!(got, ["field", "field_2"]);
        assert!(got.iter().all(|n| n.is_ascii()));
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

    #[test]
    fn collisions_resolve_the_same_in_every_order() {
        let names = same_in_every_order(&[], &fields(&["tempC", "TempC", "temp_c"]));
        // `temp_c` already is the Rust name; the others follow in byte order.
        assert_eq!(named(&names, "temp_c"), "temp_c");
        assert_eq!(named(&names, "TempC"), "temp_c_2");
        assert_eq!(named(&names, "tempC"), "temp_c_3");

        let items = [
            ("tempC", Kind::Type),
            ("TempC", Kind::Type),
            ("temp_c", Kind::Type),
        ];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "TempC"), "TempC");
        assert_eq!(named(&names, "tempC"), "TempC2");
        assert_eq!(named(&names, "temp_c"), "TempC3");

        // No exact match: byte order alone decides.
        let names = same_in_every_order(&[], &fields(&["tempC", "TEMP_C", "Temp-C"]));
        assert_eq!(named(&names, "TEMP_C"), "temp_c");
        assert_eq!(named(&names, "Temp-C"), "temp_c_2");
        assert_eq!(named(&names, "tempC"), "temp_c_3");
    }

    #[test]
    fn numbered_names_never_steal_plain_names() {
        // `temp_c_2` is an item's own name: the loser of `temp_c` skips it.
        let names = same_in_every_order(&[], &fields(&["tempC", "temp_c", "temp_c_2"]));
        assert_eq!(named(&names, "temp_c"), "temp_c");
        assert_eq!(named(&names, "temp_c_2"), "temp_c_2");
        assert_eq!(named(&names, "tempC"), "temp_c_3");

        // Chains: each group's losers skip every plain name and each other.
        let items = fields(&["a", "A", "a_2", "A_2", "a_3"]);
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "a"), "a");
        assert_eq!(named(&names, "a_2"), "a_2");
        assert_eq!(named(&names, "a_3"), "a_3");
        assert_eq!(named(&names, "A"), "a_4");
        assert_eq!(named(&names, "A_2"), "a_2_2");

        let items = [
            ("Wgs84", Kind::Type),
            ("WGS_84", Kind::Type),
            ("wgs842", Kind::Type),
        ];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "Wgs84"), "Wgs84");
        assert_eq!(named(&names, "WGS_84"), "Wgs84_2");
        assert_eq!(named(&names, "wgs842"), "Wgs842");
    }

    #[test]
    fn names_are_distinct_after_keyword_and_prelude_handling() {
        // `self` becomes `self_`, which `self_` (heck drops the `_`) also wants.
        let names = same_in_every_order(&[], &fields(&["self", "Self", "self_"]));
        assert_eq!(named(&names, "self_"), "self_");
        assert_eq!(named(&names, "self"), "self_2");
        assert_eq!(named(&names, "Self"), "self_3");
        let names = same_in_every_order(&[], &fields(&["self", "Self"]));
        assert_eq!(named(&names, "self"), "self_");
        assert_eq!(named(&names, "Self"), "self_2");

        // `type` is `r#type`; the runner-up is a plain `type_2`.
        let names = same_in_every_order(&[], &fields(&["type", "Type", "TYPE"]));
        assert_eq!(named(&names, "type"), "r#type");
        assert_eq!(named(&names, "TYPE"), "type_2");
        assert_eq!(named(&names, "Type"), "type_3");

        // `Option` becomes `OptionType`, which `OptionType` is already; a loser is numbered
        // from its own base (`Option2`), not from the renamed form.
        let items = [("Option", Kind::Type), ("OptionType", Kind::Type)];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "OptionType"), "OptionType");
        assert_eq!(named(&names, "Option"), "Option2");
        // `Option` is the spelling `OptionType` stands for; `optionType` is neither.
        let items = [("optionType", Kind::Type), ("Option", Kind::Type)];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "Option"), "OptionType");
        assert_eq!(named(&names, "optionType"), "OptionType2");
        let items = [("OPTION", Kind::Type), ("Option", Kind::Type)];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "Option"), "OptionType");
        assert_eq!(named(&names, "OPTION"), "Option2");
    }

    #[test]
    fn reserved_names_of_the_generated_api() {
        let reserved = ["new", "invoke", "set_properties", "device", "client"];
        let items = fields(&["invoke", "Device", "setProperties", "temperature"]);
        let names = same_in_every_order(&reserved, &items);
        assert_eq!(named(&names, "invoke"), "invoke_2");
        assert_eq!(named(&names, "Device"), "device_2");
        assert_eq!(named(&names, "setProperties"), "set_properties_2");
        assert_eq!(named(&names, "temperature"), "temperature");

        // A reserved raw name covers the bare spelling and the other way round.
        assert_eq!(plan(&["r#type"], &fields(&["type"])), ["type_2"]);
        assert_eq!(plan(&["type"], &fields(&["type"])), ["type_2"]);

        // Trait methods are a ready-made list for method scopes.
        let names = plan(TRAIT_METHODS, &fields(&["clone", "eq", "reboot"]));
        assert_eq!(names, ["clone_2", "eq_2", "reboot"]);
        // ...including `TslValue`'s own, which the property set implements.
        let names = plan(TRAIT_METHODS, &fields(&["check", "to_wire", "from_json"]));
        assert_eq!(names, ["check_2", "to_wire_2", "from_json_2"]);
    }

    #[test]
    fn a_namespace_fills_in_steps() {
        let mut ns = Namespace::new(&["new"], CollisionPolicy::Resolve);
        assert_eq!(ns.plan(&fields(&["tempC"])).unwrap(), ["temp_c"]);
        assert!(ns.is_taken("temp_c"));
        assert!(ns.is_taken("new"));
        assert_eq!(ns.plan(&fields(&["temp_c"])).unwrap(), ["temp_c_2"]);
        ns.reserve("r#gen");
        assert!(ns.is_taken("gen"));
        assert_eq!(ns.plan(&fields(&["gen"])).unwrap(), ["gen_2"]);
    }

    #[test]
    fn enum_members_collide_and_resolve() {
        let items = [
            ("On", Kind::Variant(1)),
            ("ON", Kind::Variant(2)),
            ("打开", Kind::Variant(3)),
            ("V3", Kind::Variant(4)),
            ("关闭", Kind::Variant(-1)),
        ];
        let names = same_in_every_order(&[], &items);
        assert_eq!(named(&names, "On"), "On");
        assert_eq!(named(&names, "ON"), "On2");
        // `V3` is its own spelling; the fallback of `打开` = 3 yields.
        assert_eq!(named(&names, "V3"), "V3");
        assert_eq!(named(&names, "打开"), "V3_2");
        assert_eq!(named(&names, "关闭"), "VMinus1");

        // The same label twice: the key breaks the tie.
        let items = [("Off", Kind::Variant(9)), ("Off", Kind::Variant(0))];
        assert_eq!(plan(&[], &items), ["Off2", "Off"]);
    }

    #[test]
    fn report_mode_names_both_identifiers() {
        let mut ns = Namespace::new(&["invoke"], CollisionPolicy::Error);
        let err = ns
            .plan(&fields(&["tempC", "temp_c", "TempC", "invoke", "ok"]))
            .unwrap_err();
        assert_eq!(
            err,
            [
                NameCollision::Reserved {
                    tsl: "invoke".into(),
                    rust: "invoke".into()
                },
                NameCollision::Identifiers {
                    first: "temp_c".into(),
                    second: "TempC".into(),
                    rust: "temp_c".into()
                },
                NameCollision::Identifiers {
                    first: "temp_c".into(),
                    second: "tempC".into(),
                    rust: "temp_c".into()
                },
            ]
        );
        let message = err[1].to_string();
        assert!(message.contains("`temp_c`") && message.contains("`TempC`"));
        assert!(message.contains("rename"));
        assert!(err[0].to_string().contains("`invoke`"));
        // Nothing was taken by the failed plan.
        assert!(!ns.is_taken("ok"));
        assert_eq!(ns.plan(&fields(&["ok"])).unwrap(), ["ok"]);
        // Clashes with an earlier plan are reported too.
        let err = ns.plan(&fields(&["OK"])).unwrap_err();
        assert_eq!(
            err,
            [NameCollision::Reserved {
                tsl: "OK".into(),
                rust: "ok".into()
            }]
        );
        // Keywords turned raw report their Rust spelling.
        let err = Namespace::new(&[], CollisionPolicy::Error)
            .plan(&fields(&["type", "TYPE"]))
            .unwrap_err();
        assert_eq!(
            err,
            [NameCollision::Identifiers {
                first: "type".into(),
                second: "TYPE".into(),
                rust: "r#type".into()
            }]
        );
    }

    #[test]
    fn report_mode_is_order_independent() {
        let items = fields(&["tempC", "TempC", "temp_c", "x"]);
        let mut expected = None;
        for order in permutations(&items) {
            let err = Namespace::new(&[], CollisionPolicy::Error)
                .plan(&order)
                .unwrap_err();
            match &expected {
                None => expected = Some(err),
                Some(e) => assert_eq!(e, &err),
            }
        }
    }

    #[test]
    fn doc_text_escapes_markdown_and_html() {
        for (input, output) in [
            ("plain text", "plain text"),
            ("see [Foo] and [a](b)", r"see \[Foo\] and \[a\](b)"),
            ("<b>bold</b> & <br>", r"\<b\>bold\</b\> \& \<br\>"),
            ("a `code` b", r"a \`code\` b"),
            ("unbalanced ` tick", r"unbalanced \` tick"),
            ("```rust", r"\`\`\`rust"),
            ("~~~", r"\~\~\~"),
            ("a *b* c", r"a \*b\* c"),
            ("temp_c and _x_", r"temp_c and \_x\_"),
            (r"back\slash", r"back\\slash"),
            ("| a | b |", r"\| a \| b \|"),
            ("# heading", r"\# heading"),
            ("- item", r"\- item"),
            ("+ item", r"\+ item"),
            ("1. first", r"1\. first"),
            ("12) first", r"12\) first"),
            ("===", r"\==="),
            ("a - b 1. c", "a - b 1. c"),
            ("&amp;", r"\&amp;"),
            ("温度[℃]", r"温度\[℃\]"),
            ("*/ end", r"\*/ end"),
        ] {
            assert_eq!(doc_text(input), output, "{input:?}");
        }
    }

    #[test]
    fn doc_text_lines_and_characters() {
        assert_eq!(doc_text("a\r\nb"), "a\nb");
        assert_eq!(doc_text("a\rb"), "a\nb");
        assert_eq!(doc_text("a\u{2028}b\u{2029}c"), "a\nb\nc");
        assert_eq!(doc_text("line   \nnext\t"), "line\nnext");
        assert_eq!(doc_text("    let x = 1;"), "let x = 1;", "no code block");
        assert_eq!(doc_text("\ta\tb"), "a b");
        assert_eq!(doc_text("a\u{0}b\u{7}c\u{1b}d\u{7f}"), "abcd");
        assert_eq!(doc_text("ab\u{202E}cd\u{2066}e"), "abcde");
        assert_eq!(doc_text("\n\n a \n\n\n\n b \n\n"), "a\n\nb");
        assert_eq!(doc_text(""), "");
        assert_eq!(doc_text(" \r\n\t"), "");
    }

    #[test]
    fn doc_text_urls_become_autolinks() {
        for (input, output) in [
            (
                "see https://help.aliyun.com/x_y",
                "see <https://help.aliyun.com/x_y>",
            ),
            ("see http://a.b/c.", "see <http://a.b/c>."),
            ("(http://a.b/c)", r"(<http://a.b/c>)"),
            ("http://a.b/f(x)", "<http://a.b/f(x)>"),
            ("HTTPS://A.B", "<HTTPS://A.B>"),
            ("http://", "http://"),
            ("xhttp://a.b", "xhttp://a.b"),
            ("访问https://a.b/c，谢谢", "访问<https://a.b/c>，谢谢"),
            ("<https://a.b>", r"\<<https://a.b>\>"),
        ] {
            assert_eq!(doc_text(input), output, "{input:?}");
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

        #[test]
        fn plans_are_distinct_and_order_independent(
            tsls in proptest::collection::vec("[a-cA-C_]{0,4}|type|self|[0-9]{1,2}", 0..8),
            reserved in proptest::collection::vec("[a-c_]{1,3}", 0..3),
        ) {
            let reserved: Vec<&str> = reserved.iter().map(String::as_str).collect();
            let mut items: Vec<(&str, Kind)> = tsls.iter().map(|t| (t.as_str(), Kind::Field)).collect();
            items.sort();
            items.dedup();
            let forward = plan(&reserved, &items);
            let mut reversed_items = items.clone();
            reversed_items.reverse();
            let mut backward = plan(&reserved, &reversed_items);
            backward.reverse();
            prop_assert_eq!(&forward, &backward);
            let distinct: BTreeSet<&str> = forward.iter().map(|n| unraw(n)).collect();
            prop_assert_eq!(distinct.len(), forward.len());
            for name in &forward {
                prop_assert!(parses(name), "{}", name);
                prop_assert!(!reserved.contains(&unraw(name)), "{}", name);
            }
        }

        #[test]
        fn doc_text_is_clean(text in any::<String>()) {
            let doc = doc_text(&text);
            for line in doc.lines() {
                prop_assert_eq!(line, line.trim());
                prop_assert!(!line.chars().any(|c| c.is_control() || is_bidi_control(c)));
            }
            prop_assert!(!doc.contains("\n\n\n"));
        }
    }
}
