//! The device's state on the cloud-side `Device` handle (`docs/state.md`): `properties()`
//! (the latest reported value of every property, read into the generated `Properties`),
//! and, when properties are writable, `desired()` and `set_desired(...)` (the device
//! shadow's desired side with its versions), and the one `StateHandle` impl the runtime's
//! generic typed history streams read (`docs/state.md` §4). A second `impl` block with its own bound,
//! `tsl_runtime::device_state::DeviceState`, so a `Cloud` that does not serve state still
//! gets the rest of the handle.

use proc_macro2::TokenStream;
use quote::quote;

use super::{ident, Context};
use crate::ir::Plan;

pub fn device_state(plan: &Plan, cx: &Context) -> TokenStream {
    let rt = &cx.rt;
    let device = ident(&plan.api.device);
    let properties = ident(&plan.api.properties);
    let properties_fn = ident(&plan.state_methods.properties);

    // One QueryDevicePropertyStatus per module that has properties: the default module's
    // and each custom module's (`module:Id` on the wire).
    let mut modules: Vec<Option<String>> = Vec::new();
    for field in &plan.properties.fields {
        let module = field.wire.split_once(':').map(|(m, _)| m.to_string());
        if !modules.contains(&module) {
            modules.push(module);
        }
    }
    let module_count = proc_macro2::Literal::usize_unsuffixed(modules.len());
    let module_tokens = modules.iter().map(|m| match m {
        Some(m) => quote!(::core::option::Option::Some(#m)),
        None => quote!(::core::option::Option::None),
    });

    let desired = plan.property_set.as_ref().map(|set| {
        let property_set = ident(&plan.api.property_set);
        let desired_fn = ident(&plan.state_methods.desired);
        let set_desired_fn = ident(&plan.state_methods.set_desired);
        let wires: Vec<&String> = set.fields.iter().map(|f| &f.wire).collect();
        let count = proc_macro2::Literal::usize_unsuffixed(wires.len());
        quote! {
            /// The desired values of the writable properties and their versions
            /// (`QueryDeviceDesiredProperty`, 10 a call): the values set, read into
            /// the properties struct with the time they were set, every value that does
            /// not fit the model kept, and each property's version to pass to
            /// `set_desired`.
            pub async fn #desired_fn(
                &self,
            ) -> ::core::result::Result<
                (
                    #properties,
                    ::std::vec::Vec<#rt::value::Rejected>,
                    ::std::collections::BTreeMap<::std::string::String, i64>,
                ),
                #rt::Error,
            > {
                const WRITABLE: [&str; #count] = [#(#wires),*];
                let mut desired = ::std::vec::Vec::new();
                for chunk in WRITABLE.chunks(#rt::limits::MAX_DESIRED_PER_CALL) {
                    let identifiers: ::std::vec::Vec<::std::string::String> =
                        chunk.iter().map(|id| (*id).to_string()).collect();
                    desired.extend(self.calls.cloud().desired(self.calls.device(), &identifiers).await?);
                }
                let versions = desired
                    .iter()
                    .map(|d| (d.identifier.clone(), d.version))
                    .collect();
                let (properties, rejected) =
                    #properties::decode(#rt::device_state::desired_items(&desired));
                ::core::result::Result::Ok((properties, rejected, versions))
            }

            /// Sets the desired values of the `Some` properties of `properties`
            /// (`SetDeviceDesiredProperty`, at most 10), checked against the model, each
            /// against the version in `versions` (absent: no check); the device gets them
            /// when it is online. Returns each property's new version. A stale version is
            /// `Error::Platform` for which `is_version_conflict()` is true.
            pub async fn #set_desired_fn(
                &self,
                properties: &#property_set,
                versions: &::std::collections::BTreeMap<::std::string::String, i64>,
            ) -> ::core::result::Result<
                ::std::collections::BTreeMap<::std::string::String, i64>,
                #rt::Error,
            > {
                let items = #rt::value::to_args(properties)?;
                self.calls.cloud().set_desired(self.calls.device(), &items, versions).await
            }
        }
    });

    quote! {
        // The typed history streams (`tsl_runtime::client::TypedHistory`) are generic
        // runtime code over this one impl: nothing per property, event or service here.
        impl<'c, C> #rt::device_state::StateHandle for #device<'c, C> {
            type Cloud = C;
            type Properties = #properties;
            fn state_cloud(&self) -> &C {
                self.calls.cloud()
            }
            fn state_device(&self) -> &#rt::cloud::Device {
                self.calls.device()
            }
        }

        impl #rt::device_state::DecodeProperties for #properties {
            fn decode_properties<'a, I>(
                items: I,
            ) -> (Self, ::std::vec::Vec<#rt::value::Rejected>)
            where
                I: ::core::iter::IntoIterator<
                    Item = (&'a str, &'a #rt::serde_json::Value, ::core::option::Option<i64>),
                >,
            {
                Self::decode(items)
            }
        }

        impl<'c, C: #rt::device_state::DeviceState> #device<'c, C> {
            /// The latest reported value of every property (`QueryDevicePropertyStatus`,
            /// one call per module), with the time it was reported. Values that do not
            /// fit the model are returned beside it, never dropped.
            pub async fn #properties_fn(
                &self,
            ) -> ::core::result::Result<(#properties, ::std::vec::Vec<#rt::value::Rejected>), #rt::Error>
            {
                const MODULES: [::core::option::Option<&str>; #module_count] = [#(#module_tokens),*];
                let mut reported = ::std::vec::Vec::new();
                for module in MODULES {
                    reported.extend(self.calls.cloud().reported(self.calls.device(), module).await?);
                }
                ::core::result::Result::Ok(#properties::decode(#rt::device_state::items(&reported)))
            }

            #desired
        }
    }
}
