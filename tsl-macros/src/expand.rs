//! The expansion, top to bottom: the module, the arguments, the model files, the model, the
//! generated items. Each stage collects its problems; whatever went wrong, the annotated
//! item is emitted as written next to the errors, so the rest of the crate still compiles.

use std::path::{Path, PathBuf};

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::LitStr;
use tsl_codegen::model::{Diagnostic, Model, ModelError, Parsed};
use tsl_codegen::{GenerateError, Generator};

use crate::args::{self, Args};
use crate::errors::Errors;

/// Environment variable that, when set, replaces `CARGO_MANIFEST_DIR` as the folder model
/// paths are relative to. For trybuild tests, whose crates are copies under `target/`.
pub const BASE_DIR_OVERRIDE: &str = "TSL_MACROS_BASE_DIR";

/// `#[tsl_model(args)] item`.
pub fn expand(args: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let module = match syn::parse2::<syn::ItemMod>(item.clone()) {
        Ok(module) if module.content.is_some() => Some(module),
        Ok(module) => {
            errors.push(syn::Error::new_spanned(
                &module,
                format!(
                    "#[tsl_model] fills the module in: give it a body, `mod {} {{}}`",
                    module.ident
                ),
            ));
            None
        }
        Err(_) => {
            errors.push(syn::Error::new_spanned(
                &item,
                "#[tsl_model] goes on a module: `#[tsl_model(path = \"models/lamp.json\")] mod lamp {}`",
            ));
            None
        }
    };
    let args = args::parse(args, &mut errors);
    let (Some(module), Some(args)) = (module, args) else {
        return with_errors(item, errors);
    };
    if !errors.is_empty() {
        return with_errors(item, errors);
    }
    let Some(base) = base_dir(&mut errors) else {
        return with_errors(item, errors);
    };
    let files = read_models(&args.paths, &base, &mut errors);
    if !errors.is_empty() {
        return with_errors(item, errors);
    }
    let Some(model) = combine(
        &args.paths,
        files.iter().map(|f| f.parsed.clone()),
        &mut errors,
    ) else {
        return with_errors(item, errors);
    };
    let generated = match Generator::new(&args.settings).generate_tokens(&model) {
        Ok(tokens) => tokens,
        Err(error) => {
            errors.push(generate_error(&args, &error));
            return with_errors(item, errors);
        }
    };
    let triggers = files.iter().map(|f| {
        let path = &f.absolute;
        quote! { const _: &[u8] = ::core::include_bytes!(#path); }
    });
    fill(module, quote! { #(#triggers)* #generated })
}

fn with_errors(item: TokenStream, errors: Errors) -> TokenStream {
    let errors = errors.into_compile_errors();
    quote! { #errors #item }
}

/// The module as written, its own items first, then `items`.
fn fill(module: syn::ItemMod, items: TokenStream) -> TokenStream {
    let syn::ItemMod {
        attrs,
        vis,
        unsafety,
        mod_token,
        ident,
        content,
        ..
    } = module;
    let (outer, inner): (Vec<_>, Vec<_>) = attrs
        .into_iter()
        .partition(|a| matches!(a.style, syn::AttrStyle::Outer));
    let own = content.map(|(_, items)| items).unwrap_or_default();
    quote! {
        #(#outer)*
        #vis #unsafety #mod_token #ident {
            #(#inner)*
            #(#own)*
            #items
        }
    }
}

fn base_dir(errors: &mut Errors) -> Option<PathBuf> {
    let dir =
        std::env::var_os(BASE_DIR_OVERRIDE).or_else(|| std::env::var_os("CARGO_MANIFEST_DIR"));
    if dir.is_none() {
        errors.push(syn::Error::new(
            Span::call_site(),
            "CARGO_MANIFEST_DIR is not set: model paths are relative to it, so build with cargo",
        ));
    }
    dir.map(PathBuf::from)
}

/// A model file, read and parsed on its own.
struct ModelFile {
    /// The absolute path, for `include_bytes!`.
    absolute: String,
    parsed: Parsed,
}

fn read_models(paths: &[LitStr], base: &Path, errors: &mut Errors) -> Vec<ModelFile> {
    let mut files = Vec::new();
    for lit in paths {
        let written = lit.value();
        let absolute = base.join(&written);
        let bytes = match std::fs::read(&absolute) {
            Ok(bytes) => bytes,
            Err(e) => {
                errors.push(syn::Error::new(
                    lit.span(),
                    format!(
                        "cannot read the model file `{written}`: {e}\n  \
                         (paths are relative to the folder of the crate's Cargo.toml)"
                    ),
                ));
                continue;
            }
        };
        let Some(absolute_text) = absolute.to_str().map(str::to_string) else {
            errors.push(syn::Error::new(
                lit.span(),
                format!(
                    "the path of `{written}` is not UTF-8, so it cannot be tracked for rebuilds"
                ),
            ));
            continue;
        };
        // Diagnostics name the file as written: stable across machines, and what the user
        // recognises.
        match Model::parse_bytes(&bytes, &written) {
            Ok(parsed) => files.push(ModelFile {
                absolute: absolute_text,
                parsed,
            }),
            Err(err) => model_errors(paths, &err, errors),
        }
    }
    files
}

fn combine(
    paths: &[LitStr],
    parts: impl Iterator<Item = Parsed>,
    errors: &mut Errors,
) -> Option<Model> {
    match Model::combine(parts.collect()) {
        Ok(parsed) => Some(parsed.model),
        Err(err) => {
            model_errors(paths, &err, errors);
            None
        }
    }
}

/// One error per diagnostic, at the literal of the file it is about (the first one when it
/// is about the files together).
fn model_errors(paths: &[LitStr], err: &ModelError, errors: &mut Errors) {
    let mut any = false;
    for diagnostic in err.errors() {
        errors.push(syn::Error::new(
            literal_of(paths, diagnostic),
            diagnostic.to_string(),
        ));
        any = true;
    }
    if !any {
        errors.push(syn::Error::new(
            paths.first().map_or_else(Span::call_site, LitStr::span),
            err.to_string(),
        ));
    }
}

fn literal_of(paths: &[LitStr], diagnostic: &Diagnostic) -> Span {
    // `file#/Data/TslStr` for a model inside an API response.
    let file = diagnostic
        .origin
        .split_once('#')
        .map_or(diagnostic.origin.as_str(), |(file, _)| file);
    paths
        .iter()
        .find(|lit| lit.value() == file)
        .or(paths.first())
        .map_or_else(Span::call_site, LitStr::span)
}

fn generate_error(args: &Args, error: &GenerateError) -> syn::Error {
    let span = match error {
        // A type attribute's name that picks no type: at that name.
        GenerateError::Setting {
            setting: "type_attribute",
            value,
            ..
        } if args.type_attribute_names.iter().any(|(n, _)| n == value) => args
            .type_attribute_names
            .iter()
            .find(|(name, _)| name == value)
            .map(|(_, span)| *span),
        GenerateError::Setting { setting, .. } => args
            .spans
            .iter()
            .find(|(name, _)| name == setting)
            .map(|(_, span)| *span),
        GenerateError::Collisions(_) => args.paths.first().map(LitStr::span),
        _ => None,
    };
    syn::Error::new(span.unwrap_or_else(Span::call_site), error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(args: &str, item: &str) -> String {
        std::env::set_var(BASE_DIR_OVERRIDE, env!("CARGO_MANIFEST_DIR"));
        expand(args.parse().unwrap(), item.parse().unwrap()).to_string()
    }

    #[test]
    fn the_model_file_is_included_by_its_absolute_path() {
        let out = expand_str(r#"path = "tests/models/fan.json""#, "mod fan {}");
        let absolute = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/models/fan.json");
        let include = format!(
            "const _ : & [u8] = :: core :: include_bytes ! ({:?})",
            absolute.to_str().unwrap()
        );
        assert!(out.contains(&include), "{out}");
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn own_items_and_inner_attributes_stay_first() {
        let out = expand_str(
            r#"path = "tests/models/fan.json""#,
            "#[doc = \"mine\"] pub(crate) mod fan { #![allow(unused)] pub fn mine() {} }",
        );
        let start = "# [doc = \"mine\"] pub (crate) mod fan { # ! [allow (unused)] pub fn mine () { } const _";
        assert!(out.starts_with(start), "{out}");
        assert!(out.contains("pub struct OscillateInput"), "{out}");
    }

    #[test]
    fn on_error_the_item_is_emitted_as_written() {
        let out = expand_str(
            r#"path = "tests/models/int32.json""#,
            "mod fan { fn mine() {} }",
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.ends_with("mod fan { fn mine () { } }"), "{out}");
    }
}
