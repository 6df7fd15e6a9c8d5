//! The attribute's arguments: read loosely first (`key`, `key = value`, `key(...)`), then
//! each one checked on its own, so every bad argument is reported in one build.

use proc_macro2::{Span, TokenStream, TokenTree};
use quote::ToTokens;
use syn::parse::{Parse, ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Ident, LitBool, LitStr, Token};
use tsl_codegen::names::CollisionPolicy;
use tsl_codegen::{Settings, StepCheck};

use crate::errors::Errors;

/// The argument names, as listed in messages.
const KNOWN: &str =
    "`path`, `derive`, `attribute`, `type_attribute`, `runtime`, `types`, `cloud`, `device`, \
     `serde`, `step_check`, `collisions`";

/// The arguments, checked: the model files and the generator's settings.
pub struct Args {
    /// Model files as written, relative to the crate's manifest folder.
    pub paths: Vec<LitStr>,
    /// The settings, with the module name left unset (the annotated module is the module).
    pub settings: Settings,
    /// Where each setting that the generator parses again was written, for its errors.
    pub spans: Vec<(&'static str, Span)>,
    /// Where each `type_attribute` name was written: the generator refuses a name that
    /// picks no type, and the error goes to that name.
    pub type_attribute_names: Vec<(String, Span)>,
}

/// One `"Name" = attribute` of `type_attribute(...)`.
struct TypeAttribute {
    name: LitStr,
    meta: syn::Meta,
}

impl Parse for TypeAttribute {
    fn parse(input: ParseStream) -> syn::Result<TypeAttribute> {
        let name: LitStr = input.parse()?;
        if name.value().trim().is_empty() {
            return Err(syn::Error::new(
                name.span(),
                "the type's name is empty; give a Rust type name or a service or event \
                 identifier",
            ));
        }
        input.parse::<Token![=]>()?;
        let meta = input.parse()?;
        Ok(TypeAttribute { name, meta })
    }
}

/// One argument before it is checked.
struct RawArg {
    key: Ident,
    value: RawValue,
}

enum RawValue {
    /// `key`
    Flag,
    /// `key = tokens`, up to the next top-level comma.
    Eq(TokenStream),
    /// `key(tokens)`
    List(proc_macro2::Group),
}

impl Parse for RawArg {
    fn parse(input: ParseStream) -> syn::Result<RawArg> {
        let key = input.call(syn::ext::IdentExt::parse_any)?;
        let value = if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let mut tokens = TokenStream::new();
            while !input.is_empty() && !input.peek(Token![,]) {
                tokens.extend([input.parse::<TokenTree>()?]);
            }
            RawValue::Eq(tokens)
        } else if input.peek(syn::token::Paren) {
            match input.parse::<TokenTree>()? {
                TokenTree::Group(group) => RawValue::List(group),
                other => return Err(syn::Error::new(other.span(), "expected `(...)`")),
            }
        } else {
            RawValue::Flag
        };
        Ok(RawArg { key, value })
    }
}

impl RawArg {
    fn span(&self) -> Span {
        let mut tokens = self.key.to_token_stream();
        match &self.value {
            RawValue::Flag => {}
            RawValue::Eq(value) => tokens.extend(value.clone()),
            RawValue::List(group) => tokens.extend([TokenTree::Group(group.clone())]),
        }
        tokens.span()
    }

    /// The value of `key = value`, parsed as `T`.
    fn eq_value<T: Parse>(&self, what: &str) -> syn::Result<T> {
        let name = self.key.to_string();
        match &self.value {
            RawValue::Eq(tokens) if tokens.is_empty() => Err(syn::Error::new(
                self.span(),
                format!("`{name}` needs a value: `{name} = {what}`"),
            )),
            RawValue::Eq(tokens) => syn::parse2(tokens.clone())
                .map_err(|e| syn::Error::new(tokens.span(), format!("`{name}` takes {what}; {e}"))),
            _ => Err(syn::Error::new(
                self.span(),
                format!("write `{name} = {what}`"),
            )),
        }
    }

    /// The comma-separated contents of `key(...)`, each parsed as `T`.
    fn list_values<T: Parse>(&self, what: &str) -> syn::Result<Vec<T>> {
        let name = self.key.to_string();
        match &self.value {
            RawValue::List(group) => {
                let parser = Punctuated::<T, Token![,]>::parse_terminated;
                let items = parser.parse2(group.stream()).map_err(|e| {
                    syn::Error::new(e.span(), format!("`{name}(...)` lists {what}; {e}"))
                })?;
                if items.is_empty() {
                    return Err(syn::Error::new(
                        group.span(),
                        format!("`{name}(...)` is empty; list {what} or leave it out"),
                    ));
                }
                Ok(items.into_iter().collect())
            }
            _ => Err(syn::Error::new(
                self.span(),
                format!("write `{name}({what}, ...)`"),
            )),
        }
    }
}

/// Parses and checks the arguments; every problem found is in `errors`.
pub fn parse(tokens: TokenStream, errors: &mut Errors) -> Option<Args> {
    let raw = match Punctuated::<RawArg, Token![,]>::parse_terminated.parse2(tokens) {
        Ok(raw) => raw,
        Err(e) => {
            errors.push(e);
            return None;
        }
    };
    let mut paths = Vec::new();
    let mut settings = Settings::new();
    let mut spans = Vec::new();
    let mut type_attribute_names = Vec::new();
    let mut seen: Vec<(String, Span)> = Vec::new();
    for arg in &raw {
        let key = arg.key.to_string();
        let single = !matches!(
            key.as_str(),
            "path" | "derive" | "attribute" | "type_attribute"
        );
        if single {
            if let Some((_, first)) = seen.iter().find(|(k, _)| *k == key) {
                let mut e = syn::Error::new(arg.span(), format!("`{key}` is given twice"));
                e.combine(syn::Error::new(*first, format!("first `{key}` here")));
                errors.push(e);
                continue;
            }
            seen.push((key.clone(), arg.span()));
        }
        let result = match key.as_str() {
            "path" => arg
                .eq_value::<LitStr>("\"models/lamp.json\"")
                .and_then(|lit| {
                    if lit.value().is_empty() {
                        Err(syn::Error::new(lit.span(), "the model path is empty"))
                    } else {
                        paths.push(lit);
                        Ok(())
                    }
                }),
            "derive" => arg.list_values::<syn::Path>("paths").map(|derives| {
                spans.push(("derive", arg.span()));
                for path in derives {
                    settings = std::mem::take(&mut settings).derive(tokens_text(&path));
                }
            }),
            "attribute" => arg.list_values::<syn::Meta>("attributes").map(|attrs| {
                spans.push(("attribute", arg.span()));
                for meta in attrs {
                    settings = std::mem::take(&mut settings).attribute(tokens_text(&meta));
                }
            }),
            "type_attribute" => arg
                .list_values::<TypeAttribute>("`\"Name\" = attribute` pairs")
                .map(|pairs| {
                    spans.push(("type_attribute", arg.span()));
                    for TypeAttribute { name, meta } in pairs {
                        type_attribute_names.push((name.value(), name.span()));
                        settings = std::mem::take(&mut settings)
                            .type_attribute(name.value(), tokens_text(&meta));
                    }
                }),
            "runtime" => arg
                .eq_value::<syn::Path>("a path such as `::tsl_runtime`")
                .map(|p| {
                    spans.push(("runtime_path", arg.span()));
                    settings = std::mem::take(&mut settings).runtime_path(tokens_text(&p));
                }),
            "types" | "cloud" | "device" | "serde" => {
                arg.eq_value::<LitBool>("`true` or `false`").map(|b| {
                    let s = std::mem::take(&mut settings);
                    settings = match key.as_str() {
                        "types" => s.types(b.value),
                        "cloud" => s.cloud(b.value),
                        "serde" => s.serde(b.value),
                        _ => s.device(b.value),
                    };
                })
            }
            "step_check" => arg
                .eq_value::<LitStr>("\"warn\", \"strict\" or \"off\"")
                .and_then(|lit| {
                    let check = lit
                        .value()
                        .parse::<StepCheck>()
                        .map_err(|e| syn::Error::new(lit.span(), e))?;
                    settings = std::mem::take(&mut settings).step_check(check);
                    Ok(())
                }),
            "collisions" => arg
                .eq_value::<LitStr>("\"resolve\" or \"error\"")
                .and_then(|lit| {
                    let policy = match lit.value().as_str() {
                        "resolve" => CollisionPolicy::Resolve,
                        "error" => CollisionPolicy::Error,
                        other => {
                            return Err(syn::Error::new(
                                lit.span(),
                                format!(
                                    "unknown collision policy {other:?}; \
                                     expected \"resolve\" or \"error\""
                                ),
                            ))
                        }
                    };
                    settings = std::mem::take(&mut settings).collisions(policy);
                    Ok(())
                }),
            other => Err(syn::Error::new(
                arg.key.span(),
                format!("unknown argument `{other}`; expected one of {KNOWN}"),
            )),
        };
        if let Err(e) = result {
            errors.push(e);
        }
    }
    if paths.is_empty() && !raw.iter().any(|a| a.key == "path") {
        errors.push(syn::Error::new(
            Span::call_site(),
            "name the model file: #[tsl_model(path = \"models/lamp.json\")] \
             (relative to the folder of Cargo.toml)",
        ));
    }
    Some(Args {
        paths,
        settings,
        spans,
        type_attribute_names,
    })
}

/// Tokens as the text the generator parses again (`serde :: Serialize` is fine for it).
fn tokens_text(tokens: &impl ToTokens) -> String {
    tokens.to_token_stream().to_string()
}
