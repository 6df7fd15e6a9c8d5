//! A service call or property set with a typed input, on one device or many: what each
//! method of a generated `Device` or `Fleet` does, written once here.
//!
//! Each checks and encodes its input against the model (through the input's generated
//! [`TslValue`] impl) when called, so a bad input is an error before anything is sent,
//! then calls the [`Cloud`] when awaited. Generated methods are one call of these rather
//! than `async fn`s of their own: the handles of a 300-service model then compile to far
//! less code (BENCHMARKS.md, "Compact generated code").

use std::future::Future;

use super::{sync_output, Accepted, BatchReport, Cloud, Device, Reply};
use crate::error::Error;
use crate::value::{to_args, TslValue};

/// A call in flight: a future resolving to the call's result, `T` or the [`Error`] that
/// ended it. What the methods of generated handles return; `.await` it.
pub trait Call<T>: Future<Output = Result<T, Error>> {}

impl<T, F: Future<Output = Result<T, Error>>> Call<T> for F {}

/// Calls the sync service `identifier` of `device` with `input` (`&()` for none) and reads
/// the device's reply as `O`; a device error code is [`Error::Device`].
pub fn call_sync<'a, C, O>(
    cloud: &'a C,
    device: &'a Device,
    identifier: &'a str,
    input: &dyn TslValue,
) -> impl Call<Reply<O>> + 'a
where
    C: Cloud + ?Sized,
    O: TslValue,
{
    let args = to_args(input);
    async move {
        let invoked = cloud
            .invoke_thing_service(device, identifier, &args?)
            .await?;
        sync_output(invoked)
    }
}

/// Calls the async service `identifier` of `device` with `input` (`&()` for none); resolves
/// once the platform accepted the call, with its message id.
pub fn call_async<'a, C>(
    cloud: &'a C,
    device: &'a Device,
    identifier: &'a str,
    input: &dyn TslValue,
) -> impl Call<Accepted> + 'a
where
    C: Cloud + ?Sized,
{
    let args = to_args(input);
    async move {
        let invoked = cloud
            .invoke_thing_service(device, identifier, &args?)
            .await?;
        Ok(invoked.into())
    }
}

/// Calls the async service `identifier` with `input` (`&()` for none) on every device in
/// `device_names` of product `product_key`; the report accounts for every device.
pub fn call_many<'a, C>(
    cloud: &'a C,
    product_key: &'a str,
    device_names: &'a [String],
    identifier: &'a str,
    input: &dyn TslValue,
) -> impl Call<BatchReport> + 'a
where
    C: Cloud + ?Sized,
{
    let args = to_args(input);
    async move {
        cloud
            .invoke_things_service(product_key, device_names, identifier, &args?)
            .await
    }
}

/// Sets the properties `properties` holds on `device`.
pub fn set_one<'a, C>(
    cloud: &'a C,
    device: &'a Device,
    properties: &dyn TslValue,
) -> impl Call<Accepted> + 'a
where
    C: Cloud + ?Sized,
{
    let items = to_args(properties);
    async move { cloud.set_device_property(device, &items?).await }
}

/// Sets the properties `properties` holds on every device in `device_names`.
pub fn set_many<'a, C>(
    cloud: &'a C,
    product_key: &'a str,
    device_names: &'a [String],
    properties: &dyn TslValue,
) -> impl Call<BatchReport> + 'a
where
    C: Cloud + ?Sized,
{
    let items = to_args(properties);
    async move {
        cloud
            .set_devices_property(product_key, device_names, &items?)
            .await
    }
}
