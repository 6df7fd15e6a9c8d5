//! The reply-awaiting forms of the typed calls of [`crate::cloud`]: what each
//! `…_with_reply` method of a generated `Device` and `…_with_replies` method of a generated
//! `Fleet` does, written once here (see `cloud/calls.rs` for why generated methods are one
//! call of a runtime method).

use std::time::Duration;

use super::{
    expect_batch, merge_replies, AwaitDeviceReply, AwaitReply, PendingOutput, RepliedReport,
};
use crate::cloud::{Call, Cloud, DeviceCalls, FleetCalls};
use crate::value::{to_args, TslValue};

impl<C: Cloud + ?Sized> DeviceCalls<'_, C> {
    /// [`call_async`](DeviceCalls::call_async) (`identifier` `Some`) or
    /// [`set_one`](DeviceCalls::set_one) (`None`), then a handle that resolves to the
    /// device's reply with its output read as `O`, as it arrives on the subscription that
    /// feeds `replies` (matched by the call's MessageId), or to `NoReply` after `timeout`.
    pub fn with_reply<'a, O, R>(
        &'a self,
        identifier: Option<&'a str>,
        input: &dyn TslValue,
        replies: &'a R,
        timeout: Duration,
    ) -> impl Call<PendingOutput<O, R::Wait>> + 'a
    where
        O: TslValue,
        R: AwaitReply + ?Sized,
    {
        let args = to_args(input);
        async move {
            let args = args?;
            let (cloud, device) = (self.cloud(), self.device());
            let accepted = match identifier {
                Some(identifier) => cloud
                    .invoke_thing_service(device, identifier, &args)
                    .await?
                    .into(),
                None => cloud.set_device_property(device, &args).await?,
            };
            PendingOutput::of(accepted, identifier, replies, timeout)
        }
    }
}

impl<C: Cloud + ?Sized> FleetCalls<'_, C> {
    /// [`call_many`](FleetCalls::call_many) (`identifier` `Some`) or
    /// [`set_many`](FleetCalls::set_many) (`None`), with each accepted device's reply
    /// awaited on the subscription that feeds `replies` (matched by device and service,
    /// registered before the call), at most `timeout` from the call: the report says, per
    /// device, replied, reply error, invalid reply or no reply, and keeps the batch's
    /// status for the others.
    pub fn with_replies<'a, O, R>(
        &'a self,
        device_names: &'a [String],
        identifier: Option<&'a str>,
        input: &dyn TslValue,
        replies: &'a R,
        timeout: Duration,
    ) -> impl Call<RepliedReport<O>> + 'a
    where
        O: TslValue,
        R: AwaitDeviceReply + ?Sized,
    {
        let args = to_args(input);
        async move {
            let args = args?;
            let (cloud, product_key) = (self.cloud(), self.product_key());
            let waits = expect_batch(replies, product_key, device_names, identifier, timeout);
            let report = match identifier {
                Some(identifier) => {
                    cloud
                        .invoke_things_service(product_key, device_names, identifier, &args)
                        .await?
                }
                None => {
                    cloud
                        .set_devices_property(product_key, device_names, &args)
                        .await?
                }
            };
            Ok(merge_replies(report, waits, identifier).await)
        }
    }
}
