//! A batch call's report merged with the devices' replies on the subscription: each
//! accepted device then ends `replied`, `reply_error`, `reply_invalid` or `no_reply` within
//! the timeout; the others keep the batch's own status (docs/batches.md). A batch's answer
//! carries no MessageId per device, so replies are matched by device and service, waits
//! registered before the call (docs/subscription.md, "Replies to batch calls").

use std::collections::HashMap;
use std::future::Future;
use std::time::Duration;

use super::pending::{typed, AwaitReply, CallOutcome, ReplyOutcome};
use crate::cloud::{BatchReport, Outcome};
use crate::value::TslValue;

/// Replies matched by device, for batch calls. `tsl_runtime::subscribe::Replies`
/// implements it.
pub trait AwaitDeviceReply: AwaitReply {
    /// Registers, now, a wait for the next reply of `device_name` to `service` (`None`: a
    /// property set), ending at most `timeout` from now.
    fn device_reply(
        &self,
        product_key: &str,
        device_name: &str,
        service: Option<&str>,
        timeout: Duration,
    ) -> Self::Wait;
}

/// One device of a batch with its reply.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceReplied<T> {
    /// The device's product.
    pub product_key: String,
    /// The device.
    pub device_name: String,
    /// What the batch call did for it (accepted, refused, unknown, not attempted).
    pub outcome: Outcome,
    /// For an accepted device, how its reply went; `None` otherwise (nothing to wait for).
    pub reply: Option<CallOutcome<T>>,
}

impl<T> DeviceReplied<T> {
    /// `replied`, `reply_error`, `reply_invalid`, `no_reply` for an accepted device, else
    /// the batch's own status (`refused`, `unknown`, `not_attempted`).
    pub fn status(&self) -> &'static str {
        match &self.reply {
            Some(CallOutcome::Replied { .. }) => "replied",
            Some(CallOutcome::ReplyError(_)) => "reply_error",
            Some(CallOutcome::Invalid { .. }) => "reply_invalid",
            Some(CallOutcome::NoReply { .. }) => "no_reply",
            None => self.outcome.status(),
        }
    }
}

/// Every device of a batch call with its reply, in the order given.
#[derive(Debug, Clone, PartialEq)]
pub struct RepliedReport<T> {
    /// One entry per device given.
    pub devices: Vec<DeviceReplied<T>>,
}

impl<T> RepliedReport<T> {
    /// The devices that replied with code 200 and a valid output.
    pub fn replied(&self) -> impl Iterator<Item = &DeviceReplied<T>> {
        self.devices.iter().filter(|d| d.status() == "replied")
    }

    /// Whether every device replied with code 200 and a valid output.
    pub fn all_replied(&self) -> bool {
        self.replied().count() == self.devices.len()
    }
}

/// The waits of a batch call, registered before it is made (generated code only).
#[doc(hidden)]
pub fn expect_batch<R: AwaitDeviceReply + ?Sized>(
    replies: &R,
    product_key: &str,
    device_names: &[String],
    service: Option<&str>,
    timeout: Duration,
) -> HashMap<String, R::Wait> {
    let mut waits = HashMap::with_capacity(device_names.len());
    for name in device_names {
        if !waits.contains_key(name) {
            let wait = replies.device_reply(product_key, name, service, timeout);
            waits.insert(name.clone(), wait);
        }
    }
    waits
}

/// `report` with each accepted device's reply, read as `T`. Waits not needed (a device
/// not accepted) are dropped at once; the others end by their common deadline.
pub async fn merge_replies<T: TslValue, W: Future<Output = ReplyOutcome>>(
    report: BatchReport,
    mut waits: HashMap<String, W>,
    service: Option<&str>,
) -> RepliedReport<T> {
    let accepted: Vec<bool> = report
        .devices
        .iter()
        .map(|d| matches!(d.outcome, Outcome::Accepted { .. }))
        .collect();
    let mut mine: Vec<Option<W>> = report
        .devices
        .iter()
        .zip(&accepted)
        .map(|(d, ok)| {
            if *ok {
                waits.remove(&d.device_name)
            } else {
                None
            }
        })
        .collect();
    drop(waits);
    let mut devices = Vec::with_capacity(report.devices.len());
    for (device, wait) in report.devices.into_iter().zip(mine.iter_mut()) {
        let reply = match wait.take() {
            Some(wait) => Some(typed::<T>(wait.await, service)),
            None => None,
        };
        devices.push(DeviceReplied {
            product_key: device.product_key,
            device_name: device.device_name,
            outcome: device.outcome,
            reply,
        });
    }
    RepliedReport { devices }
}
