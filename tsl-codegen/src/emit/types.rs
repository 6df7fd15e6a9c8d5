//! Structs and enums, each with its `TslValue` impl: checks, wire form, reading from JSON.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, Context};
use crate::ir::{Bounds, EnumDef, FieldDef, StructDef, TypeDef, TypeRef};

pub fn type_def(def: &TypeDef, cx: &Context) -> TokenStream {
    match def {
        TypeDef::Struct(def) => struct_def(def, cx, false),
        TypeDef::Enum(def) => enum_def(def, cx),
    }
}

/// The property set: a struct of optional fields with `Default` and a setter per field.
pub fn property_set(def: &StructDef, cx: &Context) -> TokenStream {
    let mut tokens = struct_def(def, cx, true);
    let name = ident(&def.name);
    let setters = def.fields.iter().map(|f| {
        let field = ident(&f.name);
        let ty = rust_type(&f.ty, cx);
        let doc = doc_attrs(&[format!("Sets `{}`.", f.wire)]);
        quote! {
            #doc
            #[must_use]
            pub fn #field(mut self, value: #ty) -> Self {
                self.#field = ::core::option::Option::Some(value);
                self
            }
        }
    });
    tokens.extend(quote! {
        impl #name {
            #(#setters)*
        }
    });
    tokens
}

fn struct_def(def: &StructDef, cx: &Context, default: bool) -> TokenStream {
    let rt = &cx.rt;
    let name = ident(&def.name);
    let doc = doc_attrs(&def.docs);
    let derives = &cx.derives;
    let attributes = &cx.attributes;
    let default = default.then(|| quote!(Default,));
    // Each field's name and wire key, made once: they appear in every method.
    let names: Vec<syn::Ident> = def.fields.iter().map(|f| ident(&f.name)).collect();
    let keys: Vec<proc_macro2::Literal> = def
        .fields
        .iter()
        .map(|f| proc_macro2::Literal::string(&f.wire))
        .collect();
    let fields = def.fields.iter().zip(&names).map(|(f, field)| {
        let doc = doc_attrs(&f.docs);
        let ty = field_type(f, cx);
        quote! { #doc pub #field: #ty, }
    });

    // Each method imports the runtime functions it calls, so the calls read plainly
    // (`check_int(..)`) and the names cannot meet anything of the user's module.
    let mut used = Used::default();
    let checks: Vec<TokenStream> = def
        .fields
        .iter()
        .zip(names.iter().zip(&keys))
        .filter_map(|(f, (field, key))| field_check(f, field, key, &mut used))
        .collect();
    let check_use = used.import(rt);
    // One flat array, not a builder chain: the depth of the expression must not grow with
    // the number of fields (a chain of 30,000 calls overflowed the generator's stack).
    let wire = names
        .iter()
        .zip(&keys)
        .map(|(field, key)| quote! { (#key, Field::wire(&self.#field)) });
    let to_wire = if def.fields.is_empty() {
        quote!(#rt::value::Wire::Object(::std::vec::Vec::new()))
    } else {
        quote! {
            use #rt::value::{object_of, Field};
            object_of([#(#wire),*])
        }
    };
    let reads = def.fields.iter().zip(&keys).map(|(f, key)| {
        if f.optional {
            quote! { optional(object, #key, path, errors) }
        } else {
            quote! { required(object, #key, path, errors) }
        }
    });
    let assigns = def
        .fields
        .iter()
        .zip(&names)
        .enumerate()
        .map(|(i, (f, field))| {
            let index = syn::Index::from(i);
            if f.optional {
                quote! { #field: fields.#index }
            } else {
                quote! { #field: fields.#index? }
            }
        });
    let mut read_fns = vec![quote!(no_unknown_fields), quote!(object)];
    if def.fields.iter().any(|f| f.optional) {
        read_fns.push(quote!(optional));
    }
    if def.fields.iter().any(|f| !f.optional) {
        read_fns.push(quote!(required));
    }
    // Fields whose types need no checking leave `check` nothing to do with its arguments.
    let check_args = if checks.is_empty() {
        quote!(_: &#rt::value::FieldPath, _: &mut ::std::vec::Vec<#rt::value::ValueError>)
    } else {
        quote!(path: &#rt::value::FieldPath, errors: &mut ::std::vec::Vec<#rt::value::ValueError>)
    };
    let reads = if def.fields.is_empty() {
        quote!()
    } else {
        quote!(let fields = ( #(#reads,)* );)
    };

    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #default #(#derives,)*)]
        #( #[#attributes] )*
        pub struct #name {
            #(#fields)*
        }

        impl #rt::value::TslValue for #name {
            fn check(&self, #check_args) {
                #check_use
                #(#checks)*
            }

            fn to_wire(&self) -> #rt::value::Wire {
                #to_wire
            }

            fn from_json(
                value: &#rt::serde_json::Value,
                path: &#rt::value::FieldPath,
                errors: &mut ::std::vec::Vec<#rt::value::ValueError>,
            ) -> ::core::option::Option<Self> {
                use #rt::value::{#(#read_fns),*};
                let object = object(value, path, errors)?;
                no_unknown_fields(object, &[#(#keys),*], path, errors);
                #reads
                ::core::option::Option::Some(Self { #(#assigns),* })
            }
        }
    }
}

/// The runtime functions a `check` body calls, imported once at its top.
#[derive(Default)]
struct Used {
    names: std::collections::BTreeSet<&'static str>,
}

impl Used {
    fn call(&mut self, name: &'static str) -> syn::Ident {
        self.names.insert(name);
        syn::Ident::new(name, proc_macro2::Span::call_site())
    }

    /// `use rt::value::{...};`, or nothing when no function is called.
    fn import(&self, rt: &TokenStream) -> TokenStream {
        if self.names.is_empty() {
            return TokenStream::new();
        }
        let names = self
            .names
            .iter()
            .map(|n| syn::Ident::new(n, proc_macro2::Span::call_site()));
        quote!(use #rt::value::{#(#names),*};)
    }
}

fn field_type(f: &FieldDef, cx: &Context) -> TokenStream {
    let ty = rust_type(&f.ty, cx);
    if f.optional {
        quote!(::core::option::Option<#ty>)
    } else {
        ty
    }
}

pub(crate) fn rust_type(ty: &TypeRef, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    match ty {
        TypeRef::Int(_) | TypeRef::AnyEnumKey => quote!(i32),
        TypeRef::Float(_) => quote!(f32),
        TypeRef::Double(_) => quote!(f64),
        TypeRef::Text { .. } => quote!(::std::string::String),
        TypeRef::Date => quote!(#rt::value::Date),
        TypeRef::Bool => quote!(bool),
        TypeRef::Enum(name) | TypeRef::Struct(name) => {
            let name = ident(name);
            quote!(#name)
        }
        TypeRef::Array { item, .. } => {
            let item = rust_type(item, cx);
            quote!(::std::vec::Vec<#item>)
        }
    }
}

/// The checks of one field, or `None` when its type alone guarantees it.
fn field_check(
    f: &FieldDef,
    field: &syn::Ident,
    key: &proc_macro2::Literal,
    used: &mut Used,
) -> Option<TokenStream> {
    let path = quote!(path.child(#key));
    if f.optional {
        let check = value_check(&f.ty, &Val::Ref(quote!(value)), &path, used)?;
        Some(quote! {
            if let ::core::option::Option::Some(value) = &self.#field {
                #check
            }
        })
    } else {
        value_check(&f.ty, &Val::Place(quote!(self.#field)), &path, used)
    }
}

/// A value to check: a place of type `T` (`self.level`) or a reference `&T` (`item`).
/// Kept apart so the output never says `*&self.level` or `&*item`.
enum Val {
    Place(TokenStream),
    Ref(TokenStream),
}

impl Val {
    /// The value, for `Copy` numbers.
    fn copied(&self) -> TokenStream {
        match self {
            Val::Place(place) => place.clone(),
            Val::Ref(reference) => quote!(*#reference),
        }
    }

    /// A reference to the value.
    fn by_ref(&self) -> TokenStream {
        match self {
            Val::Place(place) => quote!(&#place),
            Val::Ref(reference) => reference.clone(),
        }
    }

    /// The value as the receiver of a method call (auto-referenced).
    fn receiver(&self) -> TokenStream {
        match self {
            Val::Place(t) | Val::Ref(t) => t.clone(),
        }
    }
}

/// Checks of a value; `path` is an expression of type `FieldPath`.
fn value_check(
    ty: &TypeRef,
    value: &Val,
    path: &TokenStream,
    used: &mut Used,
) -> Option<TokenStream> {
    match ty {
        TypeRef::Int(bounds) if !bounds.is_empty() => {
            let spec = number_spec(bounds, used);
            let check = used.call("check_int");
            let value = value.copied();
            Some(quote! {
                #check(&#spec, i64::from(#value), &#path, errors);
            })
        }
        TypeRef::Float(bounds) | TypeRef::Double(bounds) if !bounds.is_empty() => {
            let spec = number_spec(bounds, used);
            let check = if matches!(ty, TypeRef::Float(_)) {
                used.call("check_float")
            } else {
                used.call("check_double")
            };
            let value = value.copied();
            Some(quote! {
                #check(&#spec, #value, &#path, errors);
            })
        }
        // Without bounds a number still has to be finite; dates not before 1970; structs
        // check their own fields.
        TypeRef::Float(_) | TypeRef::Double(_) | TypeRef::Date | TypeRef::Struct(_) => {
            let tsl_value = used.call("TslValue");
            let value = value.by_ref();
            Some(quote! {
                #tsl_value::check(#value, &#path, errors);
            })
        }
        TypeRef::Text {
            length: Some(length),
        } => {
            let check = used.call("check_text");
            let spec = used.call("text_spec");
            // `388`, not `388u32`: the parameter's type says what it is.
            let length = proc_macro2::Literal::u32_unsuffixed(*length);
            let value = value.by_ref();
            Some(quote! {
                #check(&#spec(#length), #value, &#path, errors);
            })
        }
        TypeRef::Array { item, size } => {
            let item_check = value_check(
                item,
                &Val::Ref(quote!(item)),
                &quote!(array_path.index(i)),
                used,
            );
            let check_len = used.call("check_len");
            let size = proc_macro2::Literal::u32_unsuffixed(*size);
            let receiver = value.receiver();
            let each = item_check.map(|check| {
                quote! {
                    for (i, item) in #receiver.iter().enumerate() {
                        #check
                    }
                }
            });
            Some(quote! {
                {
                    let array_path = #path;
                    #check_len(#receiver.len(), #size, &array_path, errors);
                    #each
                }
            })
        }
        TypeRef::Int(_)
        | TypeRef::Text { length: None }
        | TypeRef::Bool
        | TypeRef::Enum(_)
        | TypeRef::AnyEnumKey => None,
    }
}

fn number_spec(bounds: &Bounds, used: &mut Used) -> TokenStream {
    let number_spec = used.call("number_spec");
    // `""` stands for "no bound" (see `tsl_runtime::value::number_spec`).
    let text = |b: &Option<String>| b.as_deref().unwrap_or("").to_string();
    let (min, max, step) = (text(&bounds.min), text(&bounds.max), text(&bounds.step));
    quote!(#number_spec(#min, #max, #step))
}

fn enum_def(def: &EnumDef, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let name = ident(&def.name);
    let doc = doc_attrs(&def.docs);
    let derives = &cx.derives;
    let attributes = &cx.attributes;
    let variants: Vec<_> = def.variants.iter().map(|v| ident(&v.name)).collect();
    let keys: Vec<_> = def
        .variants
        .iter()
        .map(|v| proc_macro2::Literal::i64_unsuffixed(v.key))
        .collect();
    let labels: Vec<_> = def.variants.iter().map(|v| &v.label).collect();
    let variant_docs = def.variants.iter().map(|v| {
        let label = crate::names::doc_text(&v.label);
        doc_attrs(&[format!("`{}`: {}", v.key, label)])
    });
    let allowed = def
        .variants
        .iter()
        .take(10)
        .map(|v| format!("{} ({})", v.key, v.label))
        .collect::<Vec<_>>()
        .join(", ")
        + &if def.variants.len() > 10 {
            format!(", … ({} in all)", def.variants.len())
        } else {
            String::new()
        };

    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, #(#derives,)*)]
        #( #[#attributes] )*
        pub enum #name {
            #( #variant_docs #variants, )*
        }

        impl #name {
            /// Every member, in the model's order.
            pub const ALL: &'static [Self] = &[#(Self::#variants),*];

            /// The key sent on the wire.
            pub const fn key(self) -> i64 {
                match self {
                    #( Self::#variants => #keys, )*
                }
            }

            /// The member with this key.
            pub const fn from_key(key: i64) -> ::core::option::Option<Self> {
                match key {
                    #( #keys => ::core::option::Option::Some(Self::#variants), )*
                    _ => ::core::option::Option::None,
                }
            }

            /// The label the model gives the member.
            pub const fn label(self) -> &'static str {
                match self {
                    #( Self::#variants => #labels, )*
                }
            }
        }

        impl #rt::value::TslValue for #name {
            fn check(&self, _: &#rt::value::FieldPath, _: &mut ::std::vec::Vec<#rt::value::ValueError>) {}

            fn to_wire(&self) -> #rt::value::Wire {
                #rt::value::Wire::Enum(self.key())
            }

            fn from_json(
                value: &#rt::serde_json::Value,
                path: &#rt::value::FieldPath,
                errors: &mut ::std::vec::Vec<#rt::value::ValueError>,
            ) -> ::core::option::Option<Self> {
                let key = #rt::value::enum_key(value, path, errors)?;
                let member = Self::from_key(key);
                if member.is_none() {
                    errors.push(#rt::value::not_in_enum(key, #allowed, path));
                }
                member
            }
        }
    }
}
