//! A service call or property set with a typed input, on one device or many: what each
//! method of a generated `Device` or `Fleet` does, written once here.
//!
//! A generated `Device` holds a [`DeviceCalls`], a generated `Fleet` a [`FleetCalls`], and
//! each of their methods is one call of a method of these. Each checks and encodes its
//! input against the model (through the input's generated [`TslValue`] impl) when called,
//! so a bad input is an error before anything is sent, then calls the [`Cloud`] when
//! awaited. Generated methods are one line rather than `async fn`s of their own: the
//! handles of a 300-service model then compile to far less code (BENCHMARKS.md, "Compact
//! generated code").

use std::future::Future;

use super::{sync_output, Accepted, BatchReport, Cloud, Device, Reply};
use crate::error::Error;
use crate::value::{to_args, TslValue};

/// A call in flight: a future resolving to the call's result, `T` or the [`Error`] that
/// ended it. What the methods of generated handles return; `.await` it.
pub trait Call<T>: Future<Output = Result<T, Error>> {}

impl<T, F: Future<Output = Result<T, Error>>> Call<T> for F {}

/// One device and the cloud its calls go through: what a generated `Device` holds.
#[derive(Debug)]
pub struct DeviceCalls<'c, C: ?Sized> {
    cloud: &'c C,
    device: Device,
}

// Not derived: a derive would ask `C: Clone`, and only the reference is copied.
impl<C: ?Sized> Clone for DeviceCalls<'_, C> {
    fn clone(&self) -> Self {
        DeviceCalls {
            cloud: self.cloud,
            device: self.device.clone(),
        }
    }
}

impl<'c, C: ?Sized> DeviceCalls<'c, C> {
    /// Calls to `device`, through `cloud`.
    pub fn new(cloud: &'c C, device: Device) -> Self {
        DeviceCalls { cloud, device }
    }

    /// What the calls go through.
    pub fn cloud(&self) -> &'c C {
        self.cloud
    }

    /// Which device the calls go to.
    pub fn device(&self) -> &Device {
        &self.device
    }
}

impl<C: Cloud + ?Sized> DeviceCalls<'_, C> {
    /// Calls the sync service `identifier` with `input` (`&()` for none) and reads the
    /// device's reply as `O`; a device error code is [`Error::Device`].
    pub fn call_sync<'a, O: TslValue>(
        &'a self,
        identifier: &'a str,
        input: &dyn TslValue,
    ) -> impl Call<Reply<O>> + 'a {
        let args = to_args(input);
        async move {
            let invoked = self
                .cloud
                .invoke_thing_service(&self.device, identifier, &args?)
                .await?;
            sync_output(invoked)
        }
    }

    /// Calls the async service `identifier` with `input` (`&()` for none); resolves once
    /// the platform accepted the call, with its message id.
    pub fn call_async<'a>(
        &'a self,
        identifier: &'a str,
        input: &dyn TslValue,
    ) -> impl Call<Accepted> + 'a {
        let args = to_args(input);
        async move {
            let invoked = self
                .cloud
                .invoke_thing_service(&self.device, identifier, &args?)
                .await?;
            Ok(invoked.into())
        }
    }

    /// Sets the properties `properties` holds.
    pub fn set_one<'a>(&'a self, properties: &dyn TslValue) -> impl Call<Accepted> + 'a {
        let items = to_args(properties);
        async move { self.cloud.set_device_property(&self.device, &items?).await }
    }
}

/// The devices of one product and the cloud their calls go through: what a generated
/// `Fleet` holds.
#[derive(Debug)]
pub struct FleetCalls<'c, C: ?Sized> {
    cloud: &'c C,
    product_key: String,
}

impl<C: ?Sized> Clone for FleetCalls<'_, C> {
    fn clone(&self) -> Self {
        FleetCalls {
            cloud: self.cloud,
            product_key: self.product_key.clone(),
        }
    }
}

impl<'c, C: ?Sized> FleetCalls<'c, C> {
    /// Calls to devices of product `product_key`, through `cloud`.
    pub fn new(cloud: &'c C, product_key: String) -> Self {
        FleetCalls { cloud, product_key }
    }

    /// What the calls go through.
    pub fn cloud(&self) -> &'c C {
        self.cloud
    }

    /// The product.
    pub fn product_key(&self) -> &str {
        &self.product_key
    }
}

impl<C: Cloud + ?Sized> FleetCalls<'_, C> {
    /// Calls the async service `identifier` with `input` (`&()` for none) on every device
    /// in `device_names`; the report accounts for every device.
    pub fn call_many<'a>(
        &'a self,
        device_names: &'a [String],
        identifier: &'a str,
        input: &dyn TslValue,
    ) -> impl Call<BatchReport> + 'a {
        let args = to_args(input);
        async move {
            self.cloud
                .invoke_things_service(&self.product_key, device_names, identifier, &args?)
                .await
        }
    }

    /// Sets the properties `properties` holds on every device in `device_names`.
    pub fn set_many<'a>(
        &'a self,
        device_names: &'a [String],
        properties: &dyn TslValue,
    ) -> impl Call<BatchReport> + 'a {
        let items = to_args(properties);
        async move {
            self.cloud
                .set_devices_property(&self.product_key, device_names, &items?)
                .await
        }
    }
}
