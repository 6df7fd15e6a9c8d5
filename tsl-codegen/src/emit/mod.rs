//! Emit: the plan as tokens, one `quote!` per item, no I/O and no formatting.
//!
//! Every outside name is written by its full path (`::core::result::Result`, the runtime
//! by the configured path) so the output means the same wherever it is included, even in a
//! module with its own `Result` alias.

mod cloud;
mod device;
mod messages;
mod state;
mod types;

use proc_macro2::{Span, TokenStream};
use quote::quote;

use crate::ir::{Plan, TypeDef};
use crate::settings::Parts;

/// What emit needs besides the plan: settings already parsed into tokens.
pub struct Context {
    /// The runtime's path, e.g. `::tsl_runtime`.
    pub rt: TokenStream,
    /// Extra derives.
    pub derives: Vec<syn::Path>,
    /// Extra outer attributes.
    pub attributes: Vec<syn::Meta>,
    /// Extra outer attributes of the types a name picks (`Settings::type_attribute`).
    pub type_attributes: Vec<(String, syn::Meta)>,
    /// The wrapping module, if any.
    pub module: Option<syn::Ident>,
    /// What to emit.
    pub parts: Parts,
    /// Whether types implement serde's traits in the wire form.
    pub serde: bool,
}

impl Context {
    /// `#[...]` for each type attribute that picks the type named `name` holding the
    /// service or event `identifier`.
    pub(crate) fn type_attrs(&self, name: &str, identifier: Option<&str>) -> TokenStream {
        let picked = self
            .type_attributes
            .iter()
            .filter(|(pick, _)| picks(pick, name, identifier))
            .map(|(_, meta)| meta);
        quote!( #( #[#picked] )* )
    }

    /// The first type attribute's name that picks no type of `plan`.
    pub(crate) fn unpicked_type_attribute<'a>(&'a self, plan: &Plan) -> Option<&'a str> {
        let set = plan.property_set.as_ref().map(|s| (s.name.as_str(), None));
        let types: Vec<(&str, Option<&str>)> = plan
            .types
            .iter()
            .map(|def| match def {
                TypeDef::Struct(def) => (def.name.as_str(), def.identifier.as_deref()),
                TypeDef::Enum(def) => (def.name.as_str(), None),
            })
            .chain(set)
            .collect();
        self.type_attributes
            .iter()
            .map(|(pick, _)| pick.as_str())
            .find(|pick| {
                !types
                    .iter()
                    .any(|(name, identifier)| picks(pick, name, *identifier))
            })
    }

    /// `Serialize` and `Deserialize` for the type `name` in the wire form, when asked for:
    /// both call the runtime, which goes through `TslValue` (`docs/checks.md`).
    pub(crate) fn serde_impls(&self, name: &syn::Ident) -> Option<TokenStream> {
        let rt = &self.rt;
        self.serde.then(|| {
            quote! {
                /// The wire form (`TslValue::to_wire`), after checking against the model.
                impl #rt::__private::serde::Serialize for #name {
                    fn serialize<S: #rt::__private::serde::Serializer>(
                        &self,
                        serializer: S,
                    ) -> ::core::result::Result<S::Ok, S::Error> {
                        #rt::__private::serialize(self, serializer)
                    }
                }

                /// From the wire form (`TslValue::from_json`), checked against the model.
                impl<'de> #rt::__private::serde::Deserialize<'de> for #name {
                    fn deserialize<D: #rt::__private::serde::Deserializer<'de>>(
                        deserializer: D,
                    ) -> ::core::result::Result<Self, D::Error> {
                        #rt::__private::deserialize(deserializer)
                    }
                }
            }
        })
    }

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

/// Whether a type attribute's name picks a type: its Rust name (a raw `r#` name without
/// the prefix), or the service or event whose structs it holds.
fn picks(pick: &str, name: &str, identifier: Option<&str>) -> bool {
    name.trim_start_matches("r#") == pick || identifier == Some(pick)
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
        if let (Some(pk), Some(docs)) = (&plan.product_key, &plan.product_docs) {
            let doc = doc_attrs(&docs.constant);
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
            items.extend(messages::properties(plan, cx));
        }
    }
    if tail && cx.parts.cloud {
        items.extend(cloud::handles(plan, cx));
        items.extend(messages::message_enum(plan, cx));
        items.extend(messages::reply_handles(plan, cx));
        items.extend(messages::fleet_reply_handles(plan, cx));
        items.extend(state::device_state(plan, cx));
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

/// What every function the generator writes without type parameters carries:
/// `#[cfg_attr(debug_assertions, inline)]`. In a debug build a library crate holding
/// generated code then compiles none of them to machine code, and the crate that uses them
/// compiles, incrementally, only those it uses: the library of a 300-service model builds
/// in half the time. In a release build the library compiles them once, as any function,
/// so that each rebuild of the crate using them does not optimise them again (BENCHMARKS.md,
/// "Compact generated code", fifth pass). Generic functions (the handles over `C: Cloud`,
/// `dispatch`) are compiled where used in any case. The runtime's `enum_impls!` does the
/// same.
pub(crate) fn inline() -> TokenStream {
    quote!(#[cfg_attr(debug_assertions, inline)])
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

    use crate::{GenerateError, Generator, Settings};

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
            // The enum, the property set, `Properties`, and the message enum, which holds
            // values of types without `Eq` (JSON) and so derives neither.
            assert_eq!(code.matches("#[derive(").count(), 4, "{code}");
            let lines: Vec<&str> = code.lines().collect();
            let derives = lines.windows(2).filter(|pair| {
                pair[0].starts_with("#[derive(") && !pair[1].starts_with("pub enum Message")
            });
            for line in derives.map(|pair| pair[0]) {
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

    /// `step_check`: warn writes the step as it is (the runtime warns), strict marks it,
    /// off leaves it out; min and max stay in every mode.
    #[test]
    fn step_check_decides_how_steps_are_written() {
        use crate::StepCheck;
        let model = r#"{"schema":"s","profile":{"productKey":"a1Test"},"events":[],"services":[],
          "properties":[
            {"identifier":"level","name":"l","accessMode":"rw","required":false,
             "dataType":{"type":"int","specs":{"min":"0","max":"10","step":"2"}}},
            {"identifier":"temp","name":"t","accessMode":"rw","required":false,
             "dataType":{"type":"double","specs":{"min":"0","max":"50","step":"0.01"}}}]}"#;
        let model = Model::parse(model, "m.json").unwrap().model;
        let code = |check| {
            Generator::new(&Settings::new().step_check(check))
                .generate_file(&model, &[])
                .unwrap()
        };
        let warn = code(StepCheck::Warn);
        assert_eq!(
            warn,
            Generator::new(&Settings::new())
                .generate_file(&model, &[])
                .unwrap()
        );
        assert!(warn.contains(r#"lim("0", "10", "2"),"#), "{warn}");
        assert!(warn.contains(r#"lim("0", "50", "0.01"),"#), "{warn}");
        assert!(!warn.contains("strict_step"), "{warn}");
        let strict = code(StepCheck::Strict);
        assert!(
            strict.contains(r#"lim("0", "10", "2").strict_step()"#),
            "{strict}"
        );
        assert!(
            strict.contains(r#"lim("0", "50", "0.01").strict_step()"#),
            "{strict}"
        );
        let off = code(StepCheck::Off);
        assert!(off.contains(r#"lim("0", "10", ""),"#), "{off}");
        assert!(off.contains(r#"lim("0", "50", ""),"#), "{off}");
        // The docs still say what the model says.
        assert!(off.contains("step `0.01`"), "{off}");
    }

    /// A type attribute lands on the types its name picks, and only there; a name that
    /// picks nothing is an error naming it.
    #[test]
    fn type_attributes_go_where_their_name_points() {
        let model = Model::parse(MODEL, "m.json").unwrap().model;
        let settings = Settings::new()
            .type_attribute("Mode", "derive(PartialOrd)")
            .type_attribute("PropertySet", "non_exhaustive");
        let code = Generator::new(&settings)
            .generate_file(&model, &[])
            .unwrap();
        assert_eq!(
            code.matches("#[derive(PartialOrd)]\npub enum Mode").count(),
            1,
            "{code}"
        );
        assert_eq!(
            code.matches("#[non_exhaustive]\npub struct PropertySet")
                .count(),
            1
        );
        assert_eq!(code.matches("#[derive(PartialOrd)]").count(), 1);

        let err = Generator::new(&Settings::new().type_attribute("Mood", "non_exhaustive"))
            .generate_file(&model, &[])
            .unwrap_err();
        assert!(
            matches!(&err, GenerateError::Setting { setting: "type_attribute", value, .. } if value == "Mood"),
            "{err}"
        );
        let err = Generator::new(&Settings::new().type_attribute("Mode", "not an attribute"))
            .generate_file(&model, &[])
            .unwrap_err();
        assert!(
            matches!(
                err,
                GenerateError::Setting {
                    setting: "type_attribute",
                    ..
                }
            ),
            "{err}"
        );
    }

    /// Every function the generator writes with a body and no type parameters is inline in
    /// debug builds (see `inline()`).
    #[test]
    fn every_function_a_library_would_compile_is_inline() {
        let model = r#"{"schema":"s","profile":{"productKey":"a1Test"},
          "properties":[
            {"identifier":"level","name":"l","accessMode":"rw","required":false,
             "dataType":{"type":"int","specs":{"min":"0","max":"10","step":"1"}}},
            {"identifier":"spot","name":"s","accessMode":"r","required":false,
             "dataType":{"type":"struct","specs":[{"identifier":"x","name":"x",
               "dataType":{"type":"double","specs":{"min":"-1","max":"1"}}}]}}],
          "events":[{"identifier":"alarm","name":"a","type":"alert","outputData":[
            {"identifier":"code","name":"c","dataType":{"type":"enum","specs":{"0":"a","1":"b"}}}]}],
          "services":[{"identifier":"go","name":"g","callType":"async","inputData":[
            {"identifier":"n","name":"n","dataType":{"type":"text","specs":{"length":"8"}}}],
            "outputData":[]}]}"#;
        let model = Model::parse(model, "m.json").unwrap().model;
        for settings in [Settings::new(), Settings::new().serde(true)] {
            let code = Generator::new(&settings)
                .generate_file(&model, &[])
                .unwrap();
            let file = syn::parse_file(&code).unwrap();
            let mut checked = 0;
            for item in &file.items {
                let syn::Item::Impl(block) = item else {
                    continue;
                };
                if block.generics.type_params().next().is_some() {
                    continue;
                }
                for item in &block.items {
                    let syn::ImplItem::Fn(f) = item else { continue };
                    let generic = f.sig.generics.type_params().next().is_some()
                        || f.sig.inputs.iter().any(|input| {
                            matches!(input, syn::FnArg::Typed(t) if matches!(*t.ty, syn::Type::ImplTrait(_)))
                        });
                    if generic {
                        continue;
                    }
                    let wanted = super::inline().to_string();
                    let inline = f
                        .attrs
                        .iter()
                        .any(|a| quote::quote!(#a).to_string() == wanted);
                    assert!(
                        inline,
                        "`fn {}` is not inline in debug builds:\n{code}",
                        f.sig.ident
                    );
                    checked += 1;
                }
            }
            // `fields` and `read` of the struct, the service's input and the event, the
            // property set's setter, `Message`'s five.
            assert!(checked >= 12, "{checked}");
        }
    }
}
