//! The device side: a `Handler` trait with a method per service, `dispatch` from an Alink
//! request to a typed call and back, and a `Responder` wrapper for emulators.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, Context};
use crate::ir::Plan;

pub fn handler(plan: &Plan, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let handler = ident(&plan.api.handler);
    let responder = ident(&plan.api.responder);

    let mut methods = Vec::new();
    let mut arms = Vec::new();
    for service in &plan.services {
        let method = ident(&service.method);
        let wire = &service.wire;
        let output = match &service.output {
            Some(output) => {
                let output = ident(output);
                quote!(#output)
            }
            None => quote!(()),
        };
        let doc = doc_attrs(&service.docs);
        let (param, call) = match &service.input {
            Some(input) => {
                let input = ident(input);
                (
                    quote!(input: #input),
                    quote!(|input| handler.#method(input)),
                )
            }
            // No input: the request's `params` must still be empty.
            None => (quote!(), quote!(|()| handler.#method())),
        };
        methods.push(quote! {
            #doc
            fn #method(&self, #param) -> impl #rt::alink::Handled<#output>;
        });
        // `serve` reads and checks the input as the method's parameter type (or refuses
        // it), calls the method and answers: one generic async function in the runtime,
        // not an `await` per service here.
        arms.push(quote! {
            Some(#wire) => serve(request, #call),
        });
    }
    if plan.property_set.is_some() {
        let set_properties = ident(&plan.api.set_properties);
        let property_set = ident(&plan.api.property_set);
        methods.push(quote! {
            /// Sets the `Some` properties of `properties` (`thing.service.property.set`).
            fn #set_properties(&self, properties: #property_set) -> impl #rt::alink::Handled<()>;
        });
        arms.push(quote! {
            Some("property.set") => serve(request, |properties| handler.#set_properties(properties)),
        });
    }

    // A model without services leaves `dispatch` only its fallback.
    let (handler_param, body) = if arms.is_empty() {
        (
            quote!(_handler),
            quote!(#rt::__private::serve_unknown(request)),
        )
    } else {
        (
            quote!(handler),
            quote! {
                use ::core::option::Option::Some;
                use #rt::__private::serve;
                match request.service_identifier() {
                    #(#arms)*
                    _ => #rt::__private::serve_unknown(request),
                }
            },
        )
    };

    quote! {
        /// What a device of this product does when the cloud calls it: a method per
        /// service. Arguments arrive checked against the model; outputs are checked before
        /// they are sent. Implement it with `async fn`s returning
        /// `Result<Output, tsl_runtime::alink::DeviceError>` (see `alink::Handled`).
        pub trait #handler: ::core::marker::Send + ::core::marker::Sync {
            #(#methods)*
        }

        /// Answers one Alink request with `handler`: reads and checks the arguments
        /// (code 460 when they do not fit the model), calls the method of the service the
        /// request's `method` names, and turns its result into the reply. Await it.
        pub fn dispatch<'a, H: #handler + ?::core::marker::Sized>(
            #handler_param: &'a H,
            request: &'a #rt::alink::Request,
        ) -> #rt::alink::Serving<'a> {
            #body
        }

        /// A handler as an `alink::Responder`, for an emulator or a test to call.
        pub struct #responder<H>(pub H);

        impl<H: #handler> #rt::alink::Responder for #responder<H> {
            fn respond<'a>(&'a self, request: &'a #rt::alink::Request) -> #rt::alink::Serving<'a> {
                dispatch(&self.0, request)
            }
        }
    }
}
