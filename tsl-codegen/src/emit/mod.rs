//! Emit: the plan as tokens, one `quote!` per item, no I/O and no formatting.
//!
//! Every outside name is written by its full path (`::core::result::Result`, the runtime
//! by the configured path) so the output means the same wherever it is included, even in a
//! module with its own `Result` alias.

mod cloud;
mod device;
mod types;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ir::Plan;
use crate::settings::Parts;

/// What emit needs besides the plan: settings already parsed into tokens.
pub struct Context {
    /// The runtime's path, e.g. `::tsl_runtime`.
    pub rt: TokenStream,
    /// Extra derives.
    pub derives: Vec<syn::Path>,
    /// Extra outer attributes.
    pub attributes: Vec<syn::Meta>,
    /// The wrapping module, if any.
    pub module: Option<syn::Ident>,
    /// What to emit.
    pub parts: Parts,
}

impl Context {
    /// `Eq, Hash, ` for a type that can have them, leaving out any the settings already
    /// derive (deriving one twice does not compile).
    pub(crate) fn eq_hash(&self) -> TokenStream {
        let given = |name: &str| {
            self.derives
                .iter()
                .any(|path| path.segments.last().is_some_and(|s| s.ident == name))
        };
        let eq = (!given("Eq")).then(|| quote!(Eq,));
        let hash = (!given("Hash")).then(|| quote!(Hash,));
        quote!(#eq #hash)
    }
}

/// All items of `plan`, wrapped in the settings' module if any.
pub fn emit(plan: &Plan, cx: &Context) -> TokenStream {
    let items = items(plan, cx, Slice::All);
    match &cx.module {
        Some(module) => {
            let doc = doc_attrs(&plan.summary);
            quote! {
                #doc
                #[allow(dead_code)]
                pub mod #module {
                    #items
                }
            }
        }
        None => items,
    }
}

/// Which items of the plan to emit: all, or one of two halves that, emitted in order,
/// make the same items (for formatting on two threads).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice {
    /// Every item.
    All,
    /// The product key and the first `n` types.
    Head(usize),
    /// The types from `n` on, then the property set and the handles.
    Tail(usize),
}

/// The top-level items of `plan` in `slice`, unwrapped.
pub fn items(plan: &Plan, cx: &Context, slice: Slice) -> TokenStream {
    let (types, head, tail) = match slice {
        Slice::All => (&plan.types[..], true, true),
        Slice::Head(n) => (&plan.types[..n.min(plan.types.len())], true, false),
        Slice::Tail(n) => (&plan.types[n.min(plan.types.len())..], false, true),
    };
    let mut items = TokenStream::new();
    if head {
        if let Some(pk) = &plan.product_key {
            let doc = doc_attrs(&["The product key of the model.".to_string()]);
            items.extend(quote! {
                #doc
                pub const PRODUCT_KEY: &str = #pk;
            });
        }
    }
    if cx.parts.types {
        for def in types {
            items.extend(types::type_def(def, cx));
        }
        if tail {
            if let Some(set) = &plan.property_set {
                items.extend(types::property_set(set, cx));
            }
        }
    }
    if tail && cx.parts.cloud {
        items.extend(cloud::handles(plan, cx));
    }
    if tail && cx.parts.device {
        items.extend(device::handler(plan, cx));
    }
    items
}

/// An identifier from a planned name, raw (`r#type`) where the name says so.
pub(crate) fn ident(name: &str) -> syn::Ident {
    match name.strip_prefix("r#") {
        Some(raw) => syn::Ident::new_raw(raw, Span::call_site()),
        None => syn::Ident::new(name, Span::call_site()),
    }
}

/// `#[doc = " line"]` per line, which prettyplease prints as `/// line`.
pub(crate) fn doc_attrs(lines: &[String]) -> TokenStream {
    let lines = lines.iter().map(|line| {
        if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        }
    });
    quote! { #( #[doc = #lines] )* }
}

#[cfg(test)]
mod tests {
    use tsl_runtime::model::Model;

    use crate::{Generator, Settings};

    const MODEL: &str = r#"{"schema":"s","profile":{"productKey":"a1Test"},"events":[],"services":[],
      "properties":[
        {"identifier":"mode","name":"m","accessMode":"rw","required":false,
         "dataType":{"type":"enum","specs":{"0":"off","1":"on"}}}]}"#;

    /// A user's own `Eq` or `Hash` derive replaces the generated one instead of
    /// repeating it (which would not compile).
    #[test]
    fn eq_and_hash_are_derived_once() {
        let model = Model::parse(MODEL, "m.json").unwrap().model;
        for settings in [
            Settings::new(),
            Settings::new().derive("Eq").derive("::core::hash::Hash"),
        ] {
            let code = Generator::new(&settings)
                .generate_file(&model, &[])
                .unwrap();
            assert_eq!(code.matches("#[derive(").count(), 2, "{code}");
            for line in code.lines().filter(|l| l.starts_with("#[derive(")) {
                let names: Vec<&str> = line["#[derive(".len()..line.len() - 2]
                    .split(',')
                    .map(|d| d.trim().rsplit("::").next().unwrap_or_default())
                    .collect();
                for wanted in ["Eq", "Hash"] {
                    let count = names.iter().filter(|n| **n == wanted).count();
                    assert_eq!(count, 1, "{line}");
                }
            }
        }
    }
}
