//! What devices send, as the cloud receives it: `Properties` (every property with its
//! time, decoded and checked item by item) and, later in this file, the message enum.

use proc_macro2::TokenStream;
use quote::quote;

use super::types::{field_visit, limits_table, rust_type};
use super::{doc_attrs, ident, inline, Context};
use crate::ir::{Plan, ServiceDef};

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
            let visit = field_visit(&f.ty, &quote!(v), &quote!(k), &mut limits, rt);
            quote! {
                #key => {
                    out.#field = timed(item, rejected, |k, v, f| #visit);
                }
            }
        })
        .collect();
    let table = limits_table(&limits, rt);
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
            use #rt::__private::timed;
            #table
            let mut out = Self::default();
            let rejected = &mut ::std::vec::Vec::new();
            for item in items {
                match item.0 {
                    #(#arms)*
                    _ => rejected.push(#rt::value::Rejected::unknown(item.0, item.1, item.2)),
                }
            }
            (out, ::core::mem::take(rejected))
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

/// The message enum: what a device of this product sends, decoded from a subscription
/// message into the generated types (`tsl_runtime::received`, docs/subscription.md).
pub fn message_enum(plan: &Plan, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let inline = inline();
    let message = ident(&plan.api.message);
    let properties = ident(&plan.properties.name);
    let envelope_doc = quote! {
        /// Where it came from: topic, message ID, product and device.
    };

    let event_variants = plan.events.iter().map(|e| {
        let variant = ident(&e.variant);
        let payload = ident(&e.payload);
        let doc = doc_attrs(&e.docs);
        quote! {
            #doc
            #variant {
                #envelope_doc
                envelope: #rt::received::Envelope,
                /// What it carries, checked against the model.
                event: #payload,
                /// When it happened (epoch ms), if sent.
                time: ::core::option::Option<i64>,
                /// Values the platform itself flagged (`checkFailedData`), as sent.
                check_failed: ::std::vec::Vec<#rt::received::CheckFailed>,
            },
        }
    });
    // The arms below are written with the names `from_parsed` imports (`Ok`, `Err`, `Some`,
    // `Kind`): a `use` inside a function is not shadowed by the user's items, as a path
    // written out is not, and keeps an arm to a few lines.
    let event_arms = plan.events.iter().map(|e| {
        let variant = ident(&e.variant);
        let wire = &e.wire;
        quote! {
            #wire => match event.read() {
                Ok((event, time, check_failed)) => Self::#variant { envelope, event, time, check_failed },
                Err(problem) => Self::invalid(envelope, Kind::Event, problem, raw),
            },
        }
    });

    let reply_variants = plan
        .services
        .iter()
        .zip(&plan.reply_variants)
        .map(|(s, variant)| {
            let variant = ident(variant);
            let doc = doc_attrs(&s.reply_docs);
            let output = s.output.as_ref().map(|output| {
                let output = ident(output);
                quote! {
                    /// The service's output, checked against the model.
                    output: #output,
                }
            });
            quote! {
                #doc
                #variant {
                    #envelope_doc
                    envelope: #rt::received::Envelope,
                    /// The reply's code, message, request ID and `data` as sent.
                    reply: #rt::received::ReplyBody,
                    #output
                },
            }
        });
    let reply_arms = plan
        .services
        .iter()
        .zip(&plan.reply_variants)
        .map(|(s, variant)| {
            let variant = ident(variant);
            let wire = &s.wire;
            match &s.output {
                Some(_) => quote! {
                    Some(#wire) => match reply.read() {
                        Ok(output) => Self::#variant { envelope, reply, output },
                        Err(problem) => Self::invalid(envelope, Kind::ServiceReply, problem, raw),
                    },
                },
                None => quote! {
                    Some(#wire) => Self::#variant { envelope, reply },
                },
            }
        });
    // Only arms that read a value name `Ok` and `Err`.
    let reads = !plan.events.is_empty() || plan.services.iter().any(|s| s.output.is_some());
    let use_result = reads.then(|| quote! { use ::core::result::Result::{Err, Ok}; });
    let unknown_event = quote! {
        Self::invalid(
            envelope,
            Kind::Event,
            #rt::received::Problem::Unknown { what: "event", identifier: event.identifier },
            raw,
        )
    };
    // A match of only `_` is not written (clippy::match_single_binding).
    let event_match = if plan.events.is_empty() {
        quote!(#unknown_event)
    } else {
        quote! {
            match event.identifier.as_str() {
                #(#event_arms)*
                _ => #unknown_event,
            }
        }
    };
    let product_key = match &plan.product_key {
        Some(_) => quote!(::core::option::Option::Some(PRODUCT_KEY)),
        None => quote!(::core::option::Option::None),
    };
    let envelope_arms = plan
        .events
        .iter()
        .map(|e| &e.variant)
        .chain(&plan.reply_variants)
        .map(String::as_str)
        .chain(crate::plan::FIXED_VARIANTS.iter().copied())
        .map(|v| {
            let v = ident(v);
            quote!(Self::#v { envelope, .. })
        });

    quote! {
        /// A message from a device of this product as the platform's AMQP subscription
        /// delivers it, decoded into the generated types and checked against the model.
        /// Nothing is dropped: what fails the model is `Invalid` (or, for a single property,
        /// in `rejected`), with the JSON as sent; what is not a thing-model message is `Other`.
        // Decoded once and then matched: boxing the large variants would cost an
        // allocation per message for nothing.
        #[allow(clippy::large_enum_variant)]
        #[derive(Debug, Clone, PartialEq)]
        pub enum #message {
            /// Properties reported (`thing/event/property/post`).
            PropertyPost {
                #envelope_doc
                envelope: #rt::received::Envelope,
                /// The properties that fit the model, each with its time.
                properties: #properties,
                /// The properties that did not (a value failing the model, an identifier
                /// it does not have), each with its JSON.
                rejected: ::std::vec::Vec<#rt::value::Rejected>,
                /// Values the platform itself flagged (`checkFailedData`), as sent.
                check_failed: ::std::vec::Vec<#rt::received::CheckFailed>,
                /// When the platform received it (epoch ms, `gmtCreate`).
                gmt_create: ::core::option::Option<i64>,
            },
            #(#event_variants)*
            #(#reply_variants)*
            /// A service's reply with an error code; `reply.service` names the service.
            ServiceError {
                #envelope_doc
                envelope: #rt::received::Envelope,
                /// The reply's code, message, request ID and `data` as sent.
                reply: #rt::received::ReplyBody,
            },
            /// A reply to a property set (`reply.code` 200 for success).
            PropertySetReply {
                #envelope_doc
                envelope: #rt::received::Envelope,
                /// The reply's code, message, request ID and `data` as sent.
                reply: #rt::received::ReplyBody,
            },
            /// The device went online or offline; order by `status.last_time`.
            Status {
                #envelope_doc
                envelope: #rt::received::Envelope,
                /// The notice.
                status: #rt::received::Status,
            },
            /// Not a thing-model message of this product (lifecycle, topology, custom
            /// topics, another product); kept whole.
            Other {
                #envelope_doc
                envelope: #rt::received::Envelope,
                /// Why, and the body.
                other: #rt::received::Other,
            },
            /// A thing-model message that fails: every problem and the body as received.
            Invalid {
                #envelope_doc
                envelope: #rt::received::Envelope,
                /// What it would have been.
                expected: #rt::received::Kind,
                /// Every problem found.
                problems: ::std::vec::Vec<#rt::received::Problem>,
                /// The body as received.
                raw: ::std::string::String,
            },
        }

        impl #message {
            /// Decodes a message received on the subscription (e.g. by
            /// `tsl_runtime::subscribe::Subscriber`). Never fails: see the variants.
            #inline
            pub fn decode(raw: &#rt::received::RawMessage) -> Self {
                let (envelope, parsed) = #rt::received::parse_for(raw, #product_key);
                Self::from_parsed(envelope, parsed, &::std::string::String::from_utf8_lossy(&raw.body))
            }

            /// Decodes a message as a `tsl_runtime::subscribe::Subscriber` hands it over:
            /// with no model given to its decoder (the default), a thing-model message comes
            /// as JSON and is typed here without parsing it again.
            #inline
            pub fn from_received(received: #rt::received::Received) -> Self {
                let (envelope, parsed, raw) = #rt::received::parse_received(received, #product_key);
                Self::from_parsed(envelope, parsed, &raw)
            }

            #inline
            fn from_parsed(
                envelope: #rt::received::Envelope,
                parsed: #rt::received::Parsed,
                raw: &str,
            ) -> Self {
                use ::core::option::Option::{None, Some};
                #use_result
                use #rt::received::Kind;
                match parsed {
                    #rt::received::Parsed::PropertyPost(post) => {
                        let (properties, rejected) = #properties::decode(post.items());
                        Self::PropertyPost {
                            envelope,
                            properties,
                            rejected,
                            check_failed: post.check_failed,
                            gmt_create: post.gmt_create,
                        }
                    }
                    #rt::received::Parsed::Event(event) => #event_match,
                    #rt::received::Parsed::Reply(reply) => match reply.service.as_deref() {
                        None => Self::PropertySetReply { envelope, reply },
                        Some(_) if reply.code != 200 => Self::ServiceError { envelope, reply },
                        #(#reply_arms)*
                        Some(service) => {
                            let identifier = service.to_string();
                            Self::invalid(
                                envelope,
                                Kind::ServiceReply,
                                #rt::received::Problem::Unknown { what: "service", identifier },
                                raw,
                            )
                        }
                    },
                    #rt::received::Parsed::Status(status) => Self::Status { envelope, status },
                    #rt::received::Parsed::Other(other) => Self::Other { envelope, other },
                    #rt::received::Parsed::Invalid(invalid) => Self::Invalid {
                        envelope,
                        expected: invalid.expected,
                        problems: invalid.problems,
                        raw: invalid.raw,
                    },
                }
            }

            /// Where it came from: topic, message ID, product and device.
            #inline
            pub fn envelope(&self) -> &#rt::received::Envelope {
                match self {
                    #(#envelope_arms)|* => envelope,
                }
            }

            #inline
            fn invalid(
                envelope: #rt::received::Envelope,
                expected: #rt::received::Kind,
                problem: #rt::received::Problem,
                raw: &str,
            ) -> Self {
                let invalid = #rt::received::Invalid::new(expected, ::std::vec![problem], raw.as_bytes());
                Self::Invalid {
                    envelope,
                    expected: invalid.expected,
                    problems: invalid.problems,
                    raw: invalid.raw,
                }
            }
        }
    }
}

/// What a service's reply methods take and give: the input parameter (none without
/// inputs), the argument passing it on, and the output type (`()` without outputs).
struct Signature {
    param: TokenStream,
    arg: TokenStream,
    output: TokenStream,
}

fn signature(s: &ServiceDef) -> Signature {
    let (param, arg) = match &s.input {
        Some(input) => {
            let input = ident(input);
            (quote!(input: &#input,), quote!(input))
        }
        None => (quote!(), quote!(&())),
    };
    let output = match &s.output {
        Some(output) => {
            let output = ident(output);
            quote!(#output)
        }
        None => quote!(()),
    };
    Signature { param, arg, output }
}

/// A `with_reply` method of `Device`: one call of `tsl_runtime::cloud::DeviceCalls::
/// with_reply` (see `cloud.rs` in this folder for why methods are not `async fn`s). `wire`
/// is the service's identifier, `None` for the property set.
fn with_reply_method(
    doc: TokenStream,
    name: &syn::Ident,
    (param, arg): (TokenStream, TokenStream),
    output: TokenStream,
    wire: TokenStream,
    cx: &Context,
) -> TokenStream {
    let rt = &cx.rt;
    quote! {
        #doc
        pub fn #name<'a, R: #rt::received::AwaitReply>(
            &'a self,
            #param
            replies: &'a R,
            timeout: ::core::time::Duration,
        ) -> impl #rt::cloud::Call<#rt::received::PendingOutput<#output, R::Wait>> + use<'a, C, R> {
            self.calls.with_reply(#wire, #arg, replies, timeout)
        }
    }
}

/// A `with_replies` method of `Fleet`, as [`with_reply_method`] is of `Device`.
fn with_replies_method(
    doc: TokenStream,
    name: &syn::Ident,
    (param, arg): (TokenStream, TokenStream),
    output: TokenStream,
    wire: TokenStream,
    cx: &Context,
) -> TokenStream {
    let rt = &cx.rt;
    quote! {
        #doc
        pub fn #name<'a, R: #rt::received::AwaitDeviceReply>(
            &'a self,
            device_names: &'a [::std::string::String],
            #param
            replies: &'a R,
            timeout: ::core::time::Duration,
        ) -> impl #rt::cloud::Call<#rt::received::RepliedReport<#output>> + use<'a, C, R> {
            self.calls.with_replies(device_names, #wire, #arg, replies, timeout)
        }
    }
}

/// A second `impl` of the cloud-side `Device` handle: each async service's call and the
/// property set, returning a handle on the device's reply (`tsl_runtime::received::
/// PendingOutput`) matched by the call's `MessageId` on the subscription.
pub fn reply_handles(plan: &Plan, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let device = ident(&plan.api.device);
    let methods = plan
        .services
        .iter()
        .zip(&plan.reply_methods)
        .filter_map(|(s, m)| m.as_ref().map(|m| (s, m)))
        .map(|(s, with_reply)| {
            let wire = &s.wire;
            let Signature { param, arg, output } = signature(s);
            with_reply_method(
                doc_attrs(&s.with_reply_docs),
                &ident(with_reply),
                (param, arg),
                output,
                quote!(::core::option::Option::Some(#wire)),
                cx,
            )
        })
        .collect::<Vec<_>>();
    let set = plan.property_set.as_ref().map(|_| {
        let property_set = ident(&plan.api.property_set);
        with_reply_method(
            quote! {
                /// Sets properties as `set_properties` does; once the platform accepted the call,
                /// returns a handle that resolves to the device's reply, as it arrives on the
                /// subscription that feeds `replies` (matched by the call's MessageId), or to
                /// `NoReply` after `timeout`.
            },
            &ident(&plan.set_reply_method),
            (quote!(properties: &#property_set,), quote!(properties)),
            quote!(()),
            quote!(::core::option::Option::None),
            cx,
        )
    });
    if methods.is_empty() && set.is_none() {
        return TokenStream::new();
    }
    quote! {
        impl<'c, C: #rt::cloud::Cloud> #device<'c, C> {
            #(#methods)*
            #set
        }
    }
}

/// A second `impl` of the cloud-side `Fleet` handle: each async service's batch call and
/// the property set, with the devices' replies merged into the report
/// (`tsl_runtime::received::RepliedReport`).
pub fn fleet_reply_handles(plan: &Plan, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let fleet = ident(&plan.api.fleet);
    let methods = plan
        .services
        .iter()
        .zip(&plan.fleet_reply_methods)
        .filter_map(|(s, m)| m.as_ref().map(|m| (s, m)))
        .map(|(s, with_replies)| {
            let wire = &s.wire;
            let Signature { param, arg, output } = signature(s);
            with_replies_method(
                doc_attrs(&s.with_replies_docs),
                &ident(with_replies),
                (param, arg),
                output,
                quote!(::core::option::Option::Some(#wire)),
                cx,
            )
        })
        .collect::<Vec<_>>();
    let set = plan.property_set.as_ref().map(|_| {
        let property_set = ident(&plan.api.property_set);
        with_replies_method(
            quote! {
                /// Sets properties on every device in `device_names` as `set_properties` does,
                /// then waits for each accepted device's reply on the subscription that feeds
                /// `replies` (matched by device, registered before the call), at most `timeout`
                /// from the call.
            },
            &ident(&plan.fleet_set_reply_method),
            (quote!(properties: &#property_set,), quote!(properties)),
            quote!(()),
            quote!(::core::option::Option::None),
            cx,
        )
    });
    if methods.is_empty() && set.is_none() {
        return TokenStream::new();
    }
    quote! {
        impl<'c, C: #rt::cloud::Cloud> #fleet<'c, C> {
            #(#methods)*
            #set
        }
    }
}
