//! Structs and enums, each with its `TslValue` impl: checks, wire form, reading from JSON.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, inline, Context};
use tsl_runtime::model::Bound;

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
    let setters = def
        .fields
        .iter()
        .filter_map(|f| Some((f, f.setter.as_ref()?)));
    let constants = setters.clone().map(|(f, setter)| {
        let constant = ident(&setter.constant);
        let wire = &f.wire;
        let doc = doc_attrs(&setter.constant_docs);
        quote! { #doc pub const #constant: &str = #wire; }
    });
    let inline = inline();
    let setters = setters.map(|(f, setter)| {
        let field = ident(&f.name);
        let ty = rust_type(&f.ty, cx);
        let doc = doc_attrs(&setter.docs);
        quote! {
            #doc
            #[must_use]
            #inline
            pub fn #field(mut self, value: #ty) -> Self {
                self.#field = ::core::option::Option::Some(value);
                self
            }
        }
    });
    tokens.extend(quote! {
        impl #name {
            #(#constants)*
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
    let type_attrs = cx.type_attrs(&def.name, def.identifier.as_deref());
    let default = default.then(|| quote!(Default,));
    let eq = def.eq.then(|| cx.eq_hash());
    let serde = cx.serde_impls(&name);
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

    // `fields`: one line per field, visited to check it against its spec or to write it
    // (see `tsl_runtime::value::Fields`); number limits in one constant table, already
    // parsed (see `tsl_runtime::value::lim`).
    let mut limits = Vec::new();
    let visits: Vec<TokenStream> = def
        .fields
        .iter()
        .zip(names.iter().zip(&keys))
        .map(|(f, (field, key))| {
            let value = if f.optional {
                quote!(self.#field.as_ref())
            } else {
                quote!(&self.#field)
            };
            let visit = field_visit(&f.ty, &value, &quote!(#key), &mut limits, rt);
            quote!(#visit;)
        })
        .collect();
    let table = limits_table(&limits, rt);
    let inline = inline();
    let fields_fn = (!visits.is_empty()).then(|| {
        quote! {
            #inline
            fn fields(&self, f: &mut #rt::value::Fields<'_>) {
                #table
                #(#visits)*
            }
        }
    });

    let identifier = def.identifier.as_ref().map(|wire| {
        let doc = doc_attrs(&def.identifier_docs);
        quote! {
            impl #name {
                #doc
                pub const IDENTIFIER: &str = #wire;
            }
        }
    });

    // One expression of the fields: a field that cannot be read is noted by the reader and
    // given a placeholder, and the struct is thrown away at the end (see
    // `tsl_runtime::value::Reader`). Every problem is found in one call, and there is no
    // exit per field (which would drop the fields read so far at each: code that grows
    // with the square of the field count, 15% of a 300-service crate's build).
    let reads = def
        .fields
        .iter()
        .zip(names.iter().zip(&keys))
        .map(|(f, (field, key))| {
            if f.optional {
                quote! { #field: r.optional(#key) }
            } else {
                quote! { #field: r.required(#key) }
            }
        });
    let reader = if def.fields.is_empty() {
        quote!(_)
    } else {
        quote!(r)
    };
    let read = quote! {
        #inline
        fn read(#reader: &mut #rt::value::Reader<'_>) -> Self {
            Self { #(#reads),* }
        }
    };

    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #eq #default #(#derives,)*)]
        #( #[#attributes] )*
        #type_attrs
        pub struct #name {
            #(#fields)*
        }

        impl #rt::value::Generated for #name {
            #fields_fn
            #read
        }

        #identifier
        #serde
    }
}

/// The constant table of a function's number limits, `L`, which its field visits index.
pub(crate) fn limits_table(limits: &[TokenStream], rt: &TokenStream) -> Option<TokenStream> {
    let count = proc_macro2::Literal::usize_unsuffixed(limits.len());
    (!limits.is_empty()).then(|| quote! { const L: [#rt::value::Limits; #count] = [#(#limits),*]; })
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

/// The visit of one field: a call of `Fields` with its spec, as an expression (`key` is
/// the field's wire key or what holds it). Number limits go into `limits`, referred to by
/// index.
pub(crate) fn field_visit(
    ty: &TypeRef,
    value: &TokenStream,
    key: &TokenStream,
    limits: &mut Vec<TokenStream>,
    rt: &TokenStream,
) -> TokenStream {
    let mut limit = |bounds: &Bounds| {
        limits.push(limits_entry(bounds, rt));
        proc_macro2::Literal::usize_unsuffixed(limits.len() - 1)
    };
    match ty {
        TypeRef::Int(b) if !b.is_empty() => {
            let i = limit(b);
            quote! { f.int(#key, #value, &L[#i]) }
        }
        TypeRef::Float(b) if !b.is_empty() => {
            let i = limit(b);
            quote! { f.float(#key, #value, &L[#i]) }
        }
        TypeRef::Double(b) if !b.is_empty() => {
            let i = limit(b);
            quote! { f.double(#key, #value, &L[#i]) }
        }
        TypeRef::Text {
            length: Some(length),
        } => {
            // `388`, not `388u32`: the parameter's type says what it is.
            let length = proc_macro2::Literal::u32_unsuffixed(*length);
            quote! { f.text(#key, #value, #length) }
        }
        TypeRef::Array { item, size } => {
            let size = proc_macro2::Literal::u32_unsuffixed(*size);
            match &**item {
                TypeRef::Int(b) if !b.is_empty() => {
                    let i = limit(b);
                    quote! { f.ints(#key, #value, #size, &L[#i]) }
                }
                TypeRef::Float(b) if !b.is_empty() => {
                    let i = limit(b);
                    quote! { f.floats(#key, #value, #size, &L[#i]) }
                }
                TypeRef::Double(b) if !b.is_empty() => {
                    let i = limit(b);
                    quote! { f.doubles(#key, #value, #size, &L[#i]) }
                }
                TypeRef::Text {
                    length: Some(length),
                } => {
                    let length = proc_macro2::Literal::u32_unsuffixed(*length);
                    quote! { f.texts(#key, #value, #size, #length) }
                }
                // The size, and whatever the items check of themselves.
                _ => quote! { f.values(#key, #value, #size) },
            }
        }
        // Types that check themselves (a float is finite, a date not before 1970, a struct
        // its fields) or have nothing to check (bool, enum, unbounded int, text).
        _ => quote! { f.value(#key, #value) },
    }
}

/// A field's limits: `lim("-180", "180", "0.000001")` when the runtime's compile-time
/// reader reads every text to the same value as the model's reader did, otherwise each
/// bound written out whole. A text that does not read at all is no bound (the model's
/// validation has reported it).
fn limits_entry(bounds: &Bounds, rt: &TokenStream) -> TokenStream {
    let parsed = |text: &Option<String>| {
        text.as_deref()
            .and_then(|t| Bound::parse(t).ok())
            .map(|b| (b.text().trim().to_string(), b))
    };
    let (min, max, step) = (
        parsed(&bounds.min),
        parsed(&bounds.max),
        parsed(&bounds.step),
    );
    let short = [&min, &max, &step].iter().all(|b| match b {
        None => true,
        Some((text, bound)) => {
            !text.is_empty() && tsl_runtime::value::reads_as(text, bound.value(), bound.exact())
        }
    });
    // `step_check = strict`: the runtime refuses a value off this step.
    let strict = (bounds.strict_step && step.is_some()).then(|| quote!(.strict_step()));
    if short {
        let text =
            |b: &Option<(String, Bound)>| b.as_ref().map_or(String::new(), |(t, _)| t.clone());
        let (min, max, step) = (text(&min), text(&max), text(&step));
        return quote!(#rt::value::lim(#min, #max, #step) #strict);
    }
    let whole = |b: &Option<(String, Bound)>| match b {
        None => quote!(::core::option::Option::None),
        Some((text, bound)) => {
            let value = proc_macro2::Literal::f64_unsuffixed(bound.value());
            match bound.exact() {
                Some(exact) => {
                    let mantissa = proc_macro2::Literal::i128_unsuffixed(exact.mantissa());
                    let scale = proc_macro2::Literal::u32_unsuffixed(exact.scale());
                    quote!(::core::option::Option::Some(#rt::value::StaticBound::new(#text, #value, #mantissa, #scale)))
                }
                None => {
                    quote!(::core::option::Option::Some(#rt::value::StaticBound::inexact(#text, #value)))
                }
            }
        }
    };
    let (min, max, step) = (whole(&min), whole(&max), whole(&step));
    quote!(#rt::value::Limits { min: #min, max: #max, step: #step } #strict)
}

fn enum_def(def: &EnumDef, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let name = ident(&def.name);
    let type_attrs = cx.type_attrs(&def.name, None);
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
    let variant_docs = def.variants.iter().map(|v| doc_attrs(&v.docs));
    let serde = cx.serde_impls(&name);
    let eq = cx.eq_hash();
    // One table (`MEMBERS`) holds each member's key and label; everything else an enum
    // has (the `Generated` impl, `ALL`, `key()`, `from_key()`, `label()`, `Display`,
    // `FromStr`, `TryFrom<i64>`) is the runtime's `enum_impls!`, reading that table, so a
    // member costs three lines and an enum a handful more.
    quote! {
        #doc
        #[derive(Debug, Clone, Copy, PartialEq, #eq #(#derives,)*)]
        #( #[#attributes] )*
        #type_attrs
        pub enum #name {
            #( #variant_docs #variants, )*
        }

        impl #name {
            /// Every member with its key on the wire and its label, in the model's order.
            pub const MEMBERS: &'static [(Self, i64, &'static str)] = &[
                #( (Self::#variants, #keys, #labels), )*
            ];
        }

        #rt::__private::enum_impls!(#name);

        #serde
    }
}
