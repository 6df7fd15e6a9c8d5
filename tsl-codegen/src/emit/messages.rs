//! What devices send, as the cloud receives it: `Properties` (every property with its
//! time, decoded and checked item by item) and, later in this file, the message enum.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{field_visit, rust_type};
use super::{doc_attrs, ident, Context};
use crate::ir::Plan;

/// `Properties`: a field `Option<Timed<T>>` per property and its `decode`.
pub fn properties(plan: &Plan, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let def = &plan.properties;
    let name = ident(&def.name);
    let doc = doc_attrs(&def.docs);
    // Not the settings' derives: `Timed` has only these, so a user derive (`Serialize`)
    // would not compile here.
    let eq = def.eq.then(|| quote!(Eq, Hash,));
    let fields = def.fields.iter().map(|f| {
        let doc = doc_attrs(&f.docs);
        let field = ident(&f.name);
        let ty = rust_type(&f.ty, cx);
        quote! { #doc pub #field: ::core::option::Option<#rt::value::Timed<#ty>>, }
    });

    // One arm per property: read it as its type and check it with the same field visit its
    // struct field would make (bounds from one constant table, as in structs).
    let mut limits = Vec::new();
    let arms: Vec<TokenStream> = def
        .fields
        .iter()
        .map(|f| {
            let field = ident(&f.name);
            let key = proc_macro2::Literal::string(&f.wire);
            let visit = field_visit(&f.ty, &quote!(v), &key, &mut limits, rt);
            quote! {
                #key => {
                    properties.#field = #rt::__private::timed(identifier, raw, time, &mut rejected, |v, f| {
                        #visit
                    });
                }
            }
        })
        .collect();
    let table = (!limits.is_empty()).then(|| {
        let count = proc_macro2::Literal::usize_unsuffixed(limits.len());
        let short = limits.iter().any(|l| l.short);
        let entries = limits.iter().map(|l| &l.tokens);
        let lim = short.then(|| quote!(use #rt::value::lim;));
        quote! {
            #lim
            const L: [#rt::value::Limits; #count] = [#(#entries),*];
        }
    });
    let body = if arms.is_empty() {
        quote! {
            let mut rejected = ::std::vec::Vec::new();
            for (identifier, raw, time) in items {
                rejected.push(#rt::value::Rejected::unknown(identifier, raw, time));
            }
            (Self {}, rejected)
        }
    } else {
        quote! {
            #table
            let mut properties = Self::default();
            let mut rejected = ::std::vec::Vec::new();
            for (identifier, raw, time) in items {
                match identifier {
                    #(#arms)*
                    _ => rejected.push(#rt::value::Rejected::unknown(identifier, raw, time)),
                }
            }
            (properties, rejected)
        }
    };

    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, #eq Default)]
        pub struct #name {
            #(#fields)*
        }

        impl #name {
            /// Reads reported properties, each `(identifier on the wire, value as sent,
            /// time)`, checking every value against the model. Returns what fits and,
            /// never dropped, every property that does not: a value that fails the model
            /// and an identifier the model does not have, each with the JSON as sent.
            pub fn decode<'a>(
                items: impl ::core::iter::IntoIterator<
                    Item = (&'a str, &'a #rt::serde_json::Value, ::core::option::Option<i64>),
                >,
            ) -> (Self, ::std::vec::Vec<#rt::value::Rejected>) {
                #body
            }
        }
    }
}
