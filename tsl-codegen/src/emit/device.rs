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
        let (param, read, call) = match &service.input {
            Some(input) => {
                let input = ident(input);
                (
                    quote!(input: #input),
                    quote!(#rt::value::read_checked::<#input>(&request.params)),
                    quote!(handler.#method(input).await),
                )
            }
            None => (
                quote!(),
                quote!(#rt::value::read_checked::<()>(&request.params)),
                quote!(handler.#method().await),
            ),
        };
        let bind = if service.input.is_some() {
            quote!(input)
        } else {
            quote!(())
        };
        methods.push(quote! {
            #doc
            fn #method(&self, #param) -> impl ::core::future::Future<
                Output = ::core::result::Result<#output, #rt::alink::DeviceError>,
            > + ::core::marker::Send;
        });
        arms.push(quote! {
            ::core::option::Option::Some(#wire) => match #read {
                ::core::result::Result::Ok(#bind) => #rt::alink::answer(request, #call),
                ::core::result::Result::Err(errors) => #rt::alink::bad_parameters(request, &errors),
            },
        });
    }
    if plan.property_set.is_some() {
        let set_properties = ident(&plan.api.set_properties);
        let property_set = ident(&plan.api.property_set);
        methods.push(quote! {
            /// Sets the `Some` properties of `properties` (`thing.service.property.set`).
            fn #set_properties(&self, properties: #property_set) -> impl ::core::future::Future<
                Output = ::core::result::Result<(), #rt::alink::DeviceError>,
            > + ::core::marker::Send;
        });
        arms.push(quote! {
            ::core::option::Option::Some("property.set") => {
                match #rt::value::read_checked::<#property_set>(&request.params) {
                    ::core::result::Result::Ok(properties) => {
                        #rt::alink::answer(request, handler.#set_properties(properties).await)
                    }
                    ::core::result::Result::Err(errors) => #rt::alink::bad_parameters(request, &errors),
                }
            }
        });
    }

    // A model without services leaves `dispatch` only its fallback.
    let (handler_param, body) = if arms.is_empty() {
        (
            quote!(_handler),
            quote!(#rt::alink::unknown_service(request)),
        )
    } else {
        (
            quote!(handler),
            quote! {
                match request.service_identifier() {
                    #(#arms)*
                    _ => #rt::alink::unknown_service(request),
                }
            },
        )
    };

    quote! {
        /// What a device of this product does when the cloud calls it: a method per
        /// service. Arguments arrive checked against the model; outputs are checked before
        /// they are sent. Implement it with `async fn`.
        pub trait #handler: ::core::marker::Send + ::core::marker::Sync {
            #(#methods)*
        }

        /// Answers one Alink request with `handler`: reads and checks the arguments
        /// (code 460 when they do not fit the model), calls the method of the service the
        /// request's `method` names, and turns its result into the reply.
        pub async fn dispatch<H: #handler + ?::core::marker::Sized>(
            #handler_param: &H,
            request: &#rt::alink::Request,
        ) -> #rt::alink::Reply {
            #body
        }

        /// A handler as an `alink::Responder`, for an emulator or a test to call.
        pub struct #responder<H>(pub H);

        impl<H: #handler> #rt::alink::Responder for #responder<H> {
            fn respond<'a>(
                &'a self,
                request: &'a #rt::alink::Request,
            ) -> ::core::pin::Pin<
                ::std::boxed::Box<dyn ::core::future::Future<Output = #rt::alink::Reply> + ::core::marker::Send + 'a>,
            > {
                ::std::boxed::Box::pin(dispatch(&self.0, request))
            }
        }
    }
}
