//! Many devices in calls of at most 100 unique names, run side by side within the action's
//! QPS, with a report line for every device given, delivered as each call ends.
//!
//! Device names are pulled from an iterator as calls are made, so a list of a million names
//! is never held whole: only the names of the calls in flight and a compact set of the names
//! seen (to spot duplicates). Each device gets exactly one [`Outcome`]:
//!
//! - a name the platform cannot have is `refused` locally (`client.InvalidDeviceName`), on
//!   its own line, never sent to spoil the call it would have travelled in;
//! - an empty name and a repeated one are `not_attempted` (the first occurrence is sent);
//! - a call's devices share its outcome (`accepted`, `refused`, `unknown`, see
//!   [`Outcome::of_error`]);
//! - a call refused with an error every call would get (bad signature, unknown product, no
//!   permission) stops the batch: calls not yet sent are `not_attempted` with that reason;
//! - [`BatchControl::stop`] does the same on request; [`BatchControl::abort`] also abandons
//!   the calls in flight (`unknown` if the request may have gone out, else `not_attempted`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use futures_util::stream::FuturesUnordered;
use futures_util::StreamExt as _;
use tracing::Instrument as _;

use super::control::BatchControl;
use super::name_set::NameSet;
use super::{Client, Sent, SignedCall};
use crate::addressing::{check_device_name, check_product_key};
use crate::cloud::{BatchReport, DeviceReport, Outcome};
use crate::error::Error;

/// The platform's maximum of `DeviceName.N` per call: [`crate::limits::MAX_DEVICE_NAMES`].
pub const MAX_NAMES: usize = crate::limits::MAX_DEVICE_NAMES;

/// One action on many devices of a product: what every call of the batch sends besides the
/// device names. Made by [`InvokeThingsService::batch_call`](super::InvokeThingsService::batch_call),
/// [`SetDevicesProperty::batch_call`](super::SetDevicesProperty::batch_call) and
/// [`BatchPub::batch_call`](super::BatchPub::batch_call), which check what they can first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchCall {
    action: &'static str,
    product_key: String,
    params: Vec<(&'static str, String)>,
}

impl BatchCall {
    /// `action` on devices of `product_key`, each call carrying `params` too.
    ///
    /// # Errors
    /// [`Error::Refused`] for a product key the platform cannot have.
    pub(crate) fn new(
        action: &'static str,
        product_key: &str,
        params: Vec<(&'static str, String)>,
    ) -> Result<BatchCall, Error> {
        check_product_key(product_key).map_err(|problem| Error::Refused(problem.to_string()))?;
        Ok(BatchCall {
            action,
            product_key: product_key.to_string(),
            params,
        })
    }

    /// The action: `InvokeThingsService`, `SetDevicesProperty`, `BatchPub`.
    pub fn action(&self) -> &'static str {
        self.action
    }

    /// The product.
    pub fn product_key(&self) -> &str {
        &self.product_key
    }

    /// The parameters of one call carrying `devices`, in the order they are signed in.
    fn params<'a>(&'a self, devices: &'a [(usize, String)]) -> Vec<(&'a str, &'a str)> {
        let mut params: Vec<(&str, &str)> =
            Vec::with_capacity(self.params.len() + 1 + devices.len());
        params.extend(
            self.params
                .iter()
                .map(|(name, value)| (*name, value.as_str())),
        );
        params.push(("ProductKey", self.product_key.as_str()));
        for (n, (_, name)) in devices.iter().enumerate() {
            params.push((device_name_key(n), name.as_str()));
        }
        params
    }

    /// Plans calls of at most `size` names (clamped to 1..=100) over `devices`, as the client
    /// makes them: what `--dry-run` prints.
    pub fn plan<I: IntoIterator<Item = String>>(
        &self,
        devices: I,
        size: usize,
    ) -> Plan<I::IntoIter> {
        Plan {
            devices: devices.into_iter(),
            size: size.clamp(1, MAX_NAMES),
            next_index: 0,
            seen: NameSet::new(),
            partial: Vec::new(),
        }
    }
}

/// A step of a [`Plan`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Planned {
    /// A call carrying these devices: (position in the list given, name).
    Call(Vec<(usize, String)>),
    /// A device that gets no call, and why.
    Skipped {
        /// Its position in the list given.
        index: usize,
        /// The name as given.
        device_name: String,
        /// `refused` (a name the platform cannot have) or `not_attempted` (empty, duplicate).
        outcome: Outcome,
    },
}

/// The calls of a batch, planned as the names come: see [`BatchCall::plan`].
pub struct Plan<I> {
    devices: I,
    size: usize,
    next_index: usize,
    seen: NameSet,
    /// The call being filled; a skipped device is handed out at once, before it.
    partial: Vec<(usize, String)>,
}

impl<I: Iterator<Item = String>> Iterator for Plan<I> {
    type Item = Planned;

    fn next(&mut self) -> Option<Planned> {
        loop {
            let Some(name) = self.devices.next() else {
                return (!self.partial.is_empty())
                    .then(|| Planned::Call(std::mem::take(&mut self.partial)));
            };
            let index = self.next_index;
            self.next_index += 1;
            if let Some(outcome) = self.skip(&name) {
                return Some(Planned::Skipped {
                    index,
                    device_name: name,
                    outcome,
                });
            }
            self.partial.push((index, name));
            if self.partial.len() >= self.size {
                return Some(Planned::Call(std::mem::take(&mut self.partial)));
            }
        }
    }
}

impl<I> Plan<I> {
    /// Why `name` gets no call, if it gets none.
    fn skip(&mut self, name: &str) -> Option<Outcome> {
        if name.is_empty() {
            return Some(Outcome::NotAttempted {
                reason: "empty device name".to_string(),
            });
        }
        if let Err(problem) = check_device_name(name) {
            return Some(Outcome::Refused {
                code: "client.InvalidDeviceName".to_string(),
                message: format!("{problem}; not sent"),
                request_id: None,
            });
        }
        self.seen.insert(name, ()).map(|()| Outcome::NotAttempted {
            reason: "duplicate: the name was given earlier in the list".to_string(),
        })
    }
}

/// How many devices of a batch ended each way.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BatchTally {
    /// `accepted`.
    pub accepted: u64,
    /// `refused`.
    pub refused: u64,
    /// `unknown`.
    pub unknown: u64,
    /// `not_attempted`.
    pub not_attempted: u64,
}

impl BatchTally {
    /// Counts one outcome.
    pub fn count(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Accepted { .. } => self.accepted += 1,
            Outcome::Refused { .. } => self.refused += 1,
            Outcome::Unknown { .. } => self.unknown += 1,
            Outcome::NotAttempted { .. } => self.not_attempted += 1,
        }
    }

    /// Devices counted.
    pub fn total(&self) -> u64 {
        self.accepted + self.refused + self.unknown + self.not_attempted
    }

    /// Whether every device counted was accepted.
    pub fn all_accepted(&self) -> bool {
        self.accepted == self.total()
    }
}

/// Where a batch's report lines go, as each call ends. Any `FnMut(usize, DeviceReport)`
/// is one.
pub trait BatchSink: Send {
    /// One device's line, with its position in the list given.
    fn device(&mut self, index: usize, report: DeviceReport);

    /// Every device of a call that was sent has been handed over: a place to flush and
    /// make the lines durable.
    fn call_ended(&mut self) {}
}

impl<F: FnMut(usize, DeviceReport) + Send> BatchSink for F {
    fn device(&mut self, index: usize, report: DeviceReport) {
        self(index, report);
    }
}

/// Hands lines to the sink and counts them.
struct Reporter<'a, S: ?Sized> {
    sink: &'a mut S,
    tally: BatchTally,
    product_key: &'a str,
}

impl<S: BatchSink + ?Sized> Reporter<'_, S> {
    fn device(&mut self, index: usize, device_name: String, outcome: Outcome) {
        self.tally.count(&outcome);
        self.sink.device(
            index,
            DeviceReport {
                product_key: self.product_key.to_string(),
                device_name,
                outcome,
            },
        );
    }
}

/// A call in flight: its devices, and whether its request may have gone out.
struct InFlight {
    devices: Arc<[(usize, String)]>,
    sent: Arc<AtomicBool>,
}

impl Client {
    /// Runs `call` on every device of `devices`, pulling names as calls are made (at most
    /// the client's `max_in_flight` calls at once, within the action's QPS), and hands each
    /// device's report to `sink` with its position in `devices` as soon as its call ends:
    /// in the order calls end, not the order given. Every device is reported exactly once,
    /// whatever `control` asks.
    ///
    /// Runs in a `tsl.batch` span (docs/observability.md) holding each call's `tsl.call`
    /// span; it ends with an `info` event counting each status.
    pub async fn run_batch<I, S>(
        &self,
        call: &BatchCall,
        devices: I,
        control: &BatchControl,
        sink: &mut S,
    ) -> BatchTally
    where
        I: IntoIterator<Item = String>,
        I::IntoIter: Send,
        S: BatchSink + ?Sized,
    {
        let span = tracing::info_span!(
            "tsl.batch",
            action = call.action,
            product_key = call.product_key.as_str()
        );
        let started = std::time::Instant::now();
        let tally = self
            .run_batch_calls(call, devices, control, sink)
            .instrument(span.clone())
            .await;
        span.in_scope(|| {
            tracing::info!(
                accepted = tally.accepted,
                refused = tally.refused,
                unknown = tally.unknown,
                not_attempted = tally.not_attempted,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "batch ended"
            );
        });
        tally
    }

    /// The work of [`Client::run_batch`], inside its span.
    async fn run_batch_calls<I, S>(
        &self,
        call: &BatchCall,
        devices: I,
        control: &BatchControl,
        sink: &mut S,
    ) -> BatchTally
    where
        I: IntoIterator<Item = String>,
        I::IntoIter: Send,
        S: BatchSink + ?Sized,
    {
        let inner = &self.inner;
        // Stopped by this batch's own calls (an error every call would get), as opposed to
        // the caller's `control`.
        let own = BatchControl::new();
        let mut plan = call.plan(devices, inner.batch_size);
        let mut out = Reporter {
            sink,
            tally: BatchTally::default(),
            product_key: &call.product_key,
        };
        let mut running = FuturesUnordered::new();
        let mut in_flight: HashMap<u64, InFlight> = HashMap::new();
        let mut next_id = 0u64;
        let stopped = || control.stopped().or_else(|| own.stopped());
        let mut aborted = false;
        loop {
            while running.len() < inner.max_in_flight.max(1) && stopped().is_none() {
                match plan.next() {
                    Some(Planned::Skipped {
                        index,
                        device_name,
                        outcome,
                    }) => out.device(index, device_name, outcome),
                    Some(Planned::Call(devices)) => {
                        let devices: Arc<[(usize, String)]> = devices.into();
                        let sent = Arc::new(AtomicBool::new(false));
                        in_flight.insert(
                            next_id,
                            InFlight {
                                devices: Arc::clone(&devices),
                                sent: Arc::clone(&sent),
                            },
                        );
                        running.push(self.batch_call(call, next_id, devices, sent, control, &own));
                        next_id += 1;
                    }
                    None => break,
                }
            }
            if running.is_empty() {
                break;
            }
            tokio::select! {
                ended = running.next() => {
                    let Some((id, outcome)) = ended else { break };
                    if let Some(done) = in_flight.remove(&id) {
                        for (index, name) in done.devices.iter() {
                            out.device(*index, name.clone(), outcome.clone());
                        }
                        out.sink.call_ended();
                    }
                }
                () = control.wait_aborted() => {
                    tracing::info!(in_flight = in_flight.len(), "batch aborted");
                    aborted = true;
                    break;
                }
            }
        }
        drop(running);
        let reason = stopped().unwrap_or_else(|| "the batch was stopped".to_string());
        if aborted {
            let mut abandoned: Vec<InFlight> = in_flight.into_values().collect();
            abandoned.sort_by_key(|call| call.devices.first().map(|(index, _)| *index));
            for call in abandoned {
                let outcome = if call.sent.load(Ordering::SeqCst) {
                    Outcome::Unknown {
                        reason: format!(
                            "{reason} while the call was in flight; the platform may have acted"
                        ),
                        request_id: None,
                    }
                } else {
                    Outcome::NotAttempted {
                        reason: reason.clone(),
                    }
                };
                for (index, name) in call.devices.iter() {
                    out.device(*index, name.clone(), outcome.clone());
                }
                out.sink.call_ended();
            }
        }
        // What was never planned into a call: pulled now only to be reported.
        for planned in plan {
            match planned {
                Planned::Skipped {
                    index,
                    device_name,
                    outcome,
                } => out.device(index, device_name, outcome),
                Planned::Call(devices) => {
                    for (index, name) in devices {
                        let outcome = Outcome::NotAttempted {
                            reason: reason.clone(),
                        };
                        out.device(index, name, outcome);
                    }
                }
            }
        }
        out.tally
    }

    /// [`Client::run_batch`] collected into a report in the order given.
    pub(crate) async fn collect_batch(&self, call: &BatchCall, devices: &[String]) -> BatchReport {
        let mut lines: Vec<(usize, DeviceReport)> = Vec::with_capacity(devices.len());
        let mut sink = |index, line| lines.push((index, line));
        self.run_batch(
            call,
            devices.iter().cloned(),
            &BatchControl::new(),
            &mut sink,
        )
        .await;
        lines.sort_unstable_by_key(|(index, _)| *index);
        BatchReport {
            devices: lines.into_iter().map(|(_, line)| line).collect(),
        }
    }

    /// Signs one call of `call` carrying `devices` as it would be sent: `--dry-run`.
    ///
    /// # Errors
    /// As [`Client::sign`].
    pub fn sign_batch_call(
        &self,
        call: &BatchCall,
        devices: &[(usize, String)],
    ) -> Result<SignedCall, Error> {
        self.sign(call.action, &call.params(devices))
    }

    /// Makes one call of the batch, unless it is stopped first.
    async fn batch_call(
        &self,
        call: &BatchCall,
        id: u64,
        devices: Arc<[(usize, String)]>,
        sent: Arc<AtomicBool>,
        control: &BatchControl,
        own: &BatchControl,
    ) -> (u64, Outcome) {
        let params = call.params(&devices);
        let outcome = match self
            .call_unless(call.action, &params, Some((control, own, &sent)))
            .await
        {
            Sent::Stopped(reason) => Outcome::NotAttempted { reason },
            Sent::Done(Ok(answer)) => Outcome::Accepted {
                request_id: answer.request_id,
            },
            Sent::Done(Err(error)) => {
                if let Some(reason) = stops_batch(&error) {
                    tracing::warn!(error = error.label(), %reason, "batch stopped");
                    own.stop(reason);
                }
                Outcome::of_error(&error)
            }
        };
        tracing::debug!(
            devices = devices.len(),
            status = outcome.status(),
            "batch call ended"
        );
        (id, outcome)
    }
}

/// `DeviceName.1` ... `DeviceName.100`, made once.
fn device_name_key(n: usize) -> &'static str {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| (1..=MAX_NAMES).map(|n| format!("DeviceName.{n}")).collect());
    keys.get(n).map_or("DeviceName.0", String::as_str)
}

/// If `error` is one every call of the batch would get, why the rest are not sent.
fn stops_batch(error: &Error) -> Option<String> {
    let Error::Platform(e) = error else {
        return None;
    };
    let code = e.code.as_str();
    let global = code.starts_with("InvalidAccessKeyId")
        || code.starts_with("InvalidTimeStamp")
        || code.starts_with("Forbidden")
        || matches!(
            code,
            "SignatureDoesNotMatch"
                | "IncompleteSignature"
                | "MissingSignature"
                | "IllegalTimestamp"
                | "InvalidSecurityToken.Expired"
                | "InvalidSecurityToken.Malformed"
                | "InvalidSecurityToken.MismatchWithAccessKey"
                | "iot.system.InstanceNotFound"
                | "iot.Sre.IotInstanceNotFound"
                | "iot.system.UidNotFound"
                | "iot.system.IllegalRequest"
                | "Iot.system.BillIsOverDue"
                | "iot.common.InvalidTenant"
                | "iot.common.RamActionPermissionDeny"
                | "iot.common.AuthActionPermissionDeny"
                | "iot.common.APINotSupportedInInstance"
                | "iot.check.InvalidFormattedParameter"
                | "iot.common.InvalidFormattedParameter"
                | "iot.prod.NotExistedProduct"
                | "iot.prod.NullProductKey"
                | "iot.prod.InvalidFormattedProductkey"
                | "iot.messagebroker.MessageContentIsNotBase64Encode"
                | "iot.messagebroker.NullMessageContent"
                | "iot.messagebroker.InvalidFormattedTopicName"
        );
    global.then(|| {
        format!(
            "not sent: an earlier call of the batch was refused with {code} ({}), which every \
             call would get",
            e.message
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|n| n.to_string()).collect()
    }

    fn call() -> BatchCall {
        BatchCall::new("A", "pk", Vec::new()).unwrap()
    }

    fn calls(plan: impl Iterator<Item = Planned>) -> Vec<Vec<usize>> {
        plan.filter_map(|step| match step {
            Planned::Call(devices) => Some(devices.iter().map(|(index, _)| *index).collect()),
            Planned::Skipped { .. } => None,
        })
        .collect()
    }

    #[test]
    fn client_batch_plans_unique_names_in_calls_of_at_most_the_size() {
        let list: Vec<String> = (0..250).map(|n| format!("d{n}")).collect();
        let sizes: Vec<usize> = calls(call().plan(list.clone(), 100))
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(sizes, [100, 100, 50]);
        assert_eq!(
            calls(call().plan(list, 1000)).len(),
            3,
            "never more than the platform's 100"
        );

        let list = names(&["a", "b", "a", "", "c", "b", "c d"]);
        let plan: Vec<Planned> = call().plan(list, 2).collect();
        assert_eq!(calls(plan.clone().into_iter()), vec![vec![0, 1], vec![4]]);
        let skipped: Vec<(usize, &str)> = plan
            .iter()
            .filter_map(|step| match step {
                Planned::Skipped { index, outcome, .. } => Some((*index, outcome.status())),
                Planned::Call(_) => None,
            })
            .collect();
        assert_eq!(
            skipped,
            [
                (2, "not_attempted"),
                (3, "not_attempted"),
                (5, "not_attempted"),
                (6, "refused")
            ]
        );
        assert!(BatchCall::new("A", "", Vec::new()).is_err());
        assert!(BatchCall::new("A", "a1 b", Vec::new()).is_err());
    }

    #[test]
    fn client_batch_skips_come_out_before_the_call_they_interrupt() {
        let list = names(&["a", "\u{feff}b", "c"]);
        let plan: Vec<Planned> = call().plan(list, 100).collect();
        assert!(
            matches!(&plan[0], Planned::Skipped { index: 1, outcome: Outcome::Refused { code, message, .. }, .. }
            if code == "client.InvalidDeviceName" && message.contains("U+FEFF"))
        );
        assert_eq!(
            plan[1],
            Planned::Call(vec![(0, "a".into()), (2, "c".into())])
        );
        assert_eq!(plan.len(), 2);
    }

    #[test]
    fn client_batch_call_params_in_signing_order() {
        let call = BatchCall::new("BatchPub", "pk", vec![("TopicShortName", "t".into())]).unwrap();
        let devices = vec![(0, "d0".to_string()), (5, "d5".to_string())];
        assert_eq!(
            call.params(&devices),
            [
                ("TopicShortName", "t"),
                ("ProductKey", "pk"),
                ("DeviceName.1", "d0"),
                ("DeviceName.2", "d5")
            ]
        );
    }

    #[test]
    fn client_batch_device_name_keys() {
        assert_eq!(device_name_key(0), "DeviceName.1");
        assert_eq!(device_name_key(99), "DeviceName.100");
        assert_eq!(device_name_key(100), "DeviceName.0");
    }

    #[test]
    fn client_batch_errors_that_stop_it() {
        let platform = |code: &str| {
            Error::Platform(crate::PlatformError {
                code: code.into(),
                message: "m".into(),
                request_id: None,
                http_status: Some(400),
            })
        };
        assert!(stops_batch(&platform("SignatureDoesNotMatch")).is_some());
        assert!(stops_batch(&platform("InvalidAccessKeyId.NotFound")).is_some());
        assert!(stops_batch(&platform("iot.device.NotExistedDevice")).is_none());
        assert!(stops_batch(&platform("Throttling.User")).is_none());
        assert!(stops_batch(&Error::Timeout(std::time::Duration::from_secs(1))).is_none());
    }

    #[test]
    fn client_batch_tally_counts_each_status() {
        let mut tally = BatchTally::default();
        tally.count(&Outcome::Accepted {
            request_id: "R".into(),
        });
        assert!(tally.all_accepted());
        tally.count(&Outcome::Unknown {
            reason: "r".into(),
            request_id: None,
        });
        tally.count(&Outcome::NotAttempted { reason: "r".into() });
        assert_eq!(
            (
                tally.accepted,
                tally.unknown,
                tally.not_attempted,
                tally.total()
            ),
            (1, 1, 1, 3)
        );
        assert!(!tally.all_accepted());
    }
}
