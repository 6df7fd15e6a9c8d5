//! Rust names for TSL things: case conversion, keywords, digit-first and empty names, enum
//! labels, names the generated API already uses, collisions.
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
//!
//! Conversion and keywords live in `ident`, collisions in `namespace`; rustdoc text
//! escaping is [`crate::doc`], re-exported here so `names::doc_text` keeps working.

mod ident;
mod namespace;

pub use ident::*;
pub use namespace::*;

pub use crate::doc::{code_span, comment_text, doc_text};

#[cfg(test)]
pub(crate) mod test_support {
    use syn::ext::IdentExt;

    /// Parses a generated identifier as Rust would see it.
    pub(crate) fn parses(name: &str) -> bool {
        if let Some(bare) = name.strip_prefix("r#") {
            // A raw identifier must be a keyword-shaped identifier that may be raw.
            syn::parse_str::<syn::Ident>(name).is_ok()
                && syn::parse::Parser::parse_str(syn::Ident::parse_any, bare).is_ok()
        } else {
            syn::parse_str::<syn::Ident>(name).is_ok()
        }
    }
}
