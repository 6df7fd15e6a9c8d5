//! The cloud side: a handle for one device (`InvokeThingService`, `SetDeviceProperty`)
//! and one for many devices of the product (`InvokeThingsService`, `SetDevicesProperty`).

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_attrs, ident, Context};
use crate::ir::{Plan, ServiceDef};

pub fn handles(plan: &Plan, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let device = ident(&plan.api.device);
    let fleet = ident(&plan.api.fleet);
    let set_properties = ident(&plan.api.set_properties);
    let property_set = ident(&plan.api.property_set);

    let named = plan.product_docs.as_ref().map(|docs| {
        let doc = doc_attrs(&docs.device_named);
        quote! {
            #doc
            pub fn named(cloud: &'c C, device_name: impl ::core::convert::Into<::std::string::String>) -> Self {
                Self::new(cloud, #rt::cloud::Device::named(PRODUCT_KEY, device_name))
            }
        }
    });
    let fleet_named = plan.product_docs.as_ref().map(|docs| {
        let doc = doc_attrs(&docs.fleet_named);
        quote! {
            #doc
            pub fn named(cloud: &'c C) -> Self {
                Self::new(cloud, PRODUCT_KEY)
            }
        }
    });

    let device_methods = plan.services.iter().map(|s| device_method(s, cx));
    // InvokeThingsService runs async services only (`docs/platform.md` §6): a sync service is
    // called device by device through `Device`.
    let fleet_methods = plan
        .services
        .iter()
        .filter(|s| !s.sync)
        .map(|s| fleet_method(s, cx));
    let (device_set, fleet_set) = match &plan.property_set {
        Some(_) => (
            Some(quote! {
                /// Sets the `Some` properties of `properties` (`SetDeviceProperty`), after
                /// checking them against the model. Success means sent, not yet applied.
                pub fn #set_properties(
                    &self,
                    properties: &#property_set,
                ) -> impl #rt::cloud::Call<#rt::cloud::Accepted> + use<'_, C> {
                    self.calls.set_one(properties)
                }
            }),
            Some(quote! {
                /// Sets the `Some` properties of `properties` on every device in
                /// `device_names` (`SetDevicesProperty`, at most 100 names a call), after
                /// checking them against the model. The report accounts for every device.
                pub fn #set_properties<'a>(
                    &'a self,
                    device_names: &'a [::std::string::String],
                    properties: &#property_set,
                ) -> impl #rt::cloud::Call<#rt::cloud::BatchReport> + use<'a, C> {
                    self.calls.set_many(device_names, properties)
                }
            }),
        ),
        None => (None, None),
    };

    quote! {
        /// One device of this product, seen from the cloud: a method per service. Each call
        /// checks its arguments against the model before anything is sent.
        pub struct #device<'c, C> {
            calls: #rt::cloud::DeviceCalls<'c, C>,
        }

        impl<'c, C: #rt::cloud::Cloud> #device<'c, C> {
            /// The device `device`, reached through `cloud`.
            pub fn new(cloud: &'c C, device: #rt::cloud::Device) -> Self {
                Self { calls: #rt::cloud::DeviceCalls::new(cloud, device) }
            }

            #named

            /// Which device this is.
            pub fn device(&self) -> &#rt::cloud::Device {
                self.calls.device()
            }

            /// What the calls go through.
            pub fn cloud(&self) -> &'c C {
                self.calls.cloud()
            }

            #(#device_methods)*

            #device_set
        }

        /// Many devices of this product, seen from the cloud: a method per async service,
        /// sent to every device named (`InvokeThingsService`, at most 100 names a call,
        /// within the action's rate limit), and property sets. Each call checks its
        /// arguments once, before anything is sent. The platform runs only async services
        /// on many devices at once; call sync services device by device with `Device`.
        pub struct #fleet<'c, C> {
            calls: #rt::cloud::FleetCalls<'c, C>,
        }

        impl<'c, C: #rt::cloud::Cloud> #fleet<'c, C> {
            /// The devices of product `product_key`, reached through `cloud`.
            pub fn new(cloud: &'c C, product_key: impl ::core::convert::Into<::std::string::String>) -> Self {
                Self { calls: #rt::cloud::FleetCalls::new(cloud, product_key.into()) }
            }

            #fleet_named

            /// The product.
            pub fn product_key(&self) -> &str {
                self.calls.product_key()
            }

            /// What the calls go through.
            pub fn cloud(&self) -> &'c C {
                self.calls.cloud()
            }

            #(#fleet_methods)*

            #fleet_set
        }
    }
}

/// The input parameter, and the input as the call takes it (`&()` for none).
fn input(service: &ServiceDef) -> (TokenStream, TokenStream) {
    match &service.input {
        Some(input) => {
            let input = ident(input);
            (quote!(input: &#input,), quote!(input))
        }
        None => (quote!(), quote!(&())),
    }
}

// Each method is one call of a runtime method rather than an `async fn` of its own:
// the same future for the caller, far less for the compiler to check per service
// (BENCHMARKS.md, "Compact generated code"). `use<..>` says the future borrows the handle
// (and the device names) but not the input, which is encoded when the method is called.
fn device_method(service: &ServiceDef, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let method = ident(&service.method);
    let wire = &service.wire;
    let (param, input) = input(service);
    let (returns, call) = if service.sync {
        let output = match &service.output {
            Some(output) => {
                let output = ident(output);
                quote!(#output)
            }
            None => quote!(()),
        };
        (quote!(#rt::cloud::Reply<#output>), quote!(call_sync))
    } else {
        (quote!(#rt::cloud::Accepted), quote!(call_async))
    };
    let doc = doc_attrs(&service.device_docs);
    quote! {
        #doc
        pub fn #method(
            &self,
            #param
        ) -> impl #rt::cloud::Call<#returns> + use<'_, C> {
            self.calls.#call(#wire, #input)
        }
    }
}

fn fleet_method(service: &ServiceDef, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let method = ident(&service.method);
    let wire = &service.wire;
    let (param, input) = input(service);
    let doc = doc_attrs(&service.fleet_docs);
    quote! {
        #doc
        pub fn #method<'a>(
            &'a self,
            device_names: &'a [::std::string::String],
            #param
        ) -> impl #rt::cloud::Call<#rt::cloud::BatchReport> + use<'a, C> {
            self.calls.call_many(device_names, #wire, #input)
        }
    }
}
