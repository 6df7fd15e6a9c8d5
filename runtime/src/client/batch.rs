//! Many devices in calls of at most 100 unique names, run side by side within the action's
//! QPS, with a report line for every device given.
//!
//! Duplicates are not merged silently: the first occurrence is sent, later ones are reported
//! "not attempted" as duplicates; empty names likewise. A call refused with an error every
//! other call would get too (bad signature, unknown product, no permission) stops the batch:
//! calls not yet sent are reported "not attempted" with that reason, rather than sent to
//! fail the same way.

use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};

use futures_util::StreamExt as _;

use super::{Client, Sent};
use crate::cloud::{BatchReport, DeviceReport, Outcome};
use crate::error::Error;

/// The platform's maximum of `DeviceName.N` per call: [`crate::limits::MAX_DEVICE_NAMES`].
pub const MAX_NAMES: usize = crate::limits::MAX_DEVICE_NAMES;

/// Marks in `Batch::slot` for devices that get no call.
const DUPLICATE: u32 = u32::MAX;
const EMPTY: u32 = u32::MAX - 1;

/// One batch: the action, its fixed parameters, and which call carries which device.
pub(crate) struct Batch<'a> {
    action: &'static str,
    product_key: &'a str,
    names: &'a [String],
    params: Vec<(&'static str, &'a str)>,
    /// For each device given: the index of its call, or [`DUPLICATE`] / [`EMPTY`].
    slot: Vec<u32>,
    /// For each call: the indices of its devices, in the order given.
    calls: Vec<Vec<u32>>,
}

impl<'a> Batch<'a> {
    /// Plans the calls with the platform's 100 names a call; [`Batch::run`] re-plans with
    /// the client's batch size.
    pub(crate) fn new(
        action: &'static str,
        product_key: &'a str,
        names: &'a [String],
        params: Vec<(&'static str, &'a str)>,
    ) -> Result<Batch<'a>, Error> {
        if product_key.is_empty() {
            return Err(Error::Refused("the ProductKey is empty".into()));
        }
        if u32::try_from(names.len()).map_or(true, |n| n >= EMPTY) {
            return Err(Error::Refused(format!(
                "{} devices in one batch; split the list",
                names.len()
            )));
        }
        Ok(Batch {
            action,
            product_key,
            names,
            params,
            slot: Vec::new(),
            calls: Vec::new(),
        })
    }

    /// Assigns devices to calls of at most `size` names, first come first served.
    fn plan(&mut self, size: usize) {
        let size = size.clamp(1, MAX_NAMES);
        let mut seen: HashSet<&str> = HashSet::with_capacity(self.names.len());
        self.slot = Vec::with_capacity(self.names.len());
        self.calls = Vec::with_capacity(self.names.len() / size + 1);
        for (index, name) in self.names.iter().enumerate() {
            if name.is_empty() {
                self.slot.push(EMPTY);
                continue;
            }
            if !seen.insert(name.as_str()) {
                self.slot.push(DUPLICATE);
                continue;
            }
            if self.calls.last().is_none_or(|call| call.len() >= size) {
                self.calls.push(Vec::with_capacity(size));
            }
            let call = self.calls.len() - 1;
            // Both fit: the length was checked against u32 in `new`.
            self.calls[call].push(index as u32);
            self.slot.push(call as u32);
        }
    }

    /// Makes the calls, at most `max_in_flight` at once, and reports every device.
    pub(crate) async fn run(mut self, client: &Client) -> Result<BatchReport, Error> {
        self.plan(client.inner.batch_size);
        let stopped: Mutex<Option<String>> = Mutex::new(None);
        // The futures are made first, then run `max_in_flight` at a time: a stream mapped
        // through a closure here trips the compiler's check that the future is `Send`.
        let this = &self;
        let calls: Vec<_> = this
            .calls
            .iter()
            .enumerate()
            .map(|(index, call)| this.send(client, index, call, &stopped))
            .collect();
        let mut outcomes: Vec<(usize, Outcome)> = futures_util::stream::iter(calls)
            .buffer_unordered(client.inner.max_in_flight)
            .collect()
            .await;
        outcomes.sort_unstable_by_key(|(index, _)| *index);
        let devices = self
            .names
            .iter()
            .zip(&self.slot)
            .map(|(name, &slot)| {
                let outcome = match slot {
                    DUPLICATE => Outcome::NotAttempted {
                        reason: "duplicate: the name was given earlier in the list".to_string(),
                    },
                    EMPTY => Outcome::NotAttempted {
                        reason: "empty device name".to_string(),
                    },
                    call => outcomes
                        .get(call as usize)
                        .map(|(_, outcome)| outcome.clone())
                        .unwrap_or_else(|| Outcome::NotAttempted {
                            reason: "no call was planned for it".to_string(),
                        }),
                };
                DeviceReport {
                    product_key: self.product_key.to_string(),
                    device_name: name.clone(),
                    outcome,
                }
            })
            .collect();
        Ok(BatchReport { devices })
    }
}

impl Batch<'_> {
    /// Makes call `index`, carrying the devices `call`, unless the batch was stopped.
    async fn send(
        &self,
        client: &Client,
        index: usize,
        call: &[u32],
        stopped: &Mutex<Option<String>>,
    ) -> (usize, Outcome) {
        let mut params = self.params.clone();
        params.reserve(1 + call.len());
        params.push(("ProductKey", self.product_key));
        for (n, &device) in call.iter().enumerate() {
            let name = self.names.get(device as usize).map_or("", String::as_str);
            params.push((device_name_key(n), name));
        }
        let outcome = match client
            .call_unless(self.action, &params, Some(stopped))
            .await
        {
            Sent::Stopped(reason) => Outcome::NotAttempted { reason },
            Sent::Done(result) => {
                if let Some(reason) = result.as_ref().err().and_then(stops_batch) {
                    lock(stopped).get_or_insert(reason);
                }
                outcome(result)
            }
        };
        (index, outcome)
    }
}

fn lock(stopped: &Mutex<Option<String>>) -> std::sync::MutexGuard<'_, Option<String>> {
    stopped.lock().unwrap_or_else(|e| e.into_inner())
}

/// `DeviceName.1` ... `DeviceName.100`, made once.
fn device_name_key(n: usize) -> &'static str {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    let keys = KEYS.get_or_init(|| (1..=MAX_NAMES).map(|n| format!("DeviceName.{n}")).collect());
    keys.get(n).map_or("DeviceName.0", String::as_str)
}

/// What a call's result means for each of its devices.
fn outcome(result: Result<super::Answer, Error>) -> Outcome {
    let refused = |code: &str, message: String| Outcome::Refused {
        code: code.to_string(),
        message,
        request_id: None,
    };
    match result {
        Ok(answer) => Outcome::Accepted {
            request_id: answer.request_id,
        },
        Err(Error::Platform(e)) => Outcome::Refused {
            code: e.code,
            message: e.message,
            request_id: e.request_id,
        },
        Err(Error::Timeout(after)) => refused(
            "client.Timeout",
            format!("no answer within {after:?}; the call may have reached the devices, so it was not retried"),
        ),
        Err(Error::Transport { message, may_have_been_sent: true }) => refused(
            "client.Transport",
            format!("{message}; the call may have reached the devices, so it was not retried"),
        ),
        Err(Error::Transport { message, may_have_been_sent: false }) => refused(
            "client.Transport",
            format!("{message}; the call was not sent"),
        ),
        Err(Error::BadAnswer { problem, .. }) => refused(
            "client.BadAnswer",
            format!("{problem}; the call may have been accepted"),
        ),
        Err(other) => refused("client.Error", other.to_string()),
    }
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

    #[test]
    fn client_batch_plans_unique_names_in_calls_of_at_most_the_size() {
        let list: Vec<String> = (0..250).map(|n| format!("d{n}")).collect();
        let mut batch = Batch::new("A", "pk", &list, Vec::new()).unwrap();
        batch.plan(100);
        assert_eq!(
            batch.calls.iter().map(Vec::len).collect::<Vec<_>>(),
            [100, 100, 50]
        );
        batch.plan(1000);
        assert_eq!(batch.calls.len(), 3, "never more than the platform's 100");

        let list = names(&["a", "b", "a", "", "c", "b"]);
        let mut batch = Batch::new("A", "pk", &list, Vec::new()).unwrap();
        batch.plan(2);
        assert_eq!(batch.calls, vec![vec![0, 1], vec![4]]);
        assert_eq!(batch.slot, vec![0, 0, DUPLICATE, EMPTY, 1, DUPLICATE]);
        assert!(Batch::new("A", "", &list, Vec::new()).is_err());
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
        match outcome(Err(Error::Timeout(std::time::Duration::from_secs(10)))) {
            Outcome::Refused { code, message, .. } => {
                assert_eq!(code, "client.Timeout");
                assert!(message.contains("may have reached"), "{message}");
            }
            other => panic!("{other:?}"),
        }
    }
}
