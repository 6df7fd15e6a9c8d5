//! The seam between generated code and the client: which device, what a call returns, the
//! per-device report of a batch, and the [`Cloud`] trait that the HTTP client (and any
//! stand-in a test wants) implements.
//!
//! Generated device and fleet handles are generic over `C: Cloud`, so they hold no HTTP
//! code of their own and work the same against the real platform, the emulator or a mock.
//! [`InProcess`] is the runtime's own stand-in for tests and offline examples.

mod calls;
pub mod in_process;

pub use calls::{Call, DeviceCalls, FleetCalls};
pub use in_process::InProcess;

use std::future::Future;
use std::io;

use serde::{Deserialize, Serialize};

use crate::alink;
use crate::error::Error;
use crate::value::{from_json, TslValue};

/// One device: by `IotId`, or by product key and device name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Device {
    /// The platform's id of the device (wins over names when both are known).
    IotId(String),
    /// `ProductKey` + `DeviceName`.
    Name {
        /// The product.
        product_key: String,
        /// The device.
        device_name: String,
    },
}

impl Device {
    /// The device `device_name` of product `product_key`.
    pub fn named(product_key: impl Into<String>, device_name: impl Into<String>) -> Device {
        Device::Name {
            product_key: product_key.into(),
            device_name: device_name.into(),
        }
    }

    /// The device with this `IotId`.
    pub fn iot_id(iot_id: impl Into<String>) -> Device {
        Device::IotId(iot_id.into())
    }
}

/// What `InvokeThingService` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invoked {
    /// The call's `RequestId`.
    pub request_id: String,
    /// `Data.MessageId`, as text (it can exceed 2^53).
    pub message_id: Option<String>,
    /// `Data.Result` of a sync service: the device's Alink reply, as escaped JSON text.
    pub result: Option<String>,
}

impl Invoked {
    /// The device's reply of a sync call, read from `Data.Result`.
    pub fn alink_reply(&self) -> Result<alink::Reply, Error> {
        let raw = self.result.as_deref().ok_or_else(|| Error::BadAnswer {
            problem: "a sync call's answer has no Data.Result".to_string(),
            raw: String::new(),
        })?;
        alink::Reply::from_json(raw).map_err(|e| Error::BadAnswer {
            problem: format!("Data.Result is not an Alink reply: {e}"),
            raw: raw.to_string(),
        })
    }
}

/// The typed answer of a sync service.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply<T> {
    /// The service's outputs.
    pub output: T,
    /// The call's `RequestId`.
    pub request_id: String,
    /// `Data.MessageId`.
    pub message_id: Option<String>,
    /// The device's reply as the platform passed it on (`Data.Result`).
    pub raw: String,
}

/// Reads a sync call's typed output: the Alink reply in `Data.Result`, its code (anything
/// but 200 is [`Error::Device`]) and its `data` against the model. Called by generated code
/// (also as `tsl_runtime::__private::sync_output`).
#[doc(hidden)]
pub fn sync_output<T: TslValue>(invoked: Invoked) -> Result<Reply<T>, Error> {
    let reply = invoked.alink_reply()?;
    let raw = invoked.result.unwrap_or_default();
    if let Some(error) = reply.device_error() {
        return Err(Error::Device {
            error,
            request_id: invoked.request_id,
            raw,
        });
    }
    match from_json::<T>(&reply.data) {
        Ok(output) => Ok(Reply {
            output,
            request_id: invoked.request_id,
            message_id: invoked.message_id,
            raw,
        }),
        Err(errors) => Err(Error::BadAnswer {
            problem: format!("the device's reply does not fit the model:\n{errors}"),
            raw,
        }),
    }
}

/// A request the platform accepted: sent, not yet executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accepted {
    /// The call's `RequestId`.
    pub request_id: String,
    /// `Data.MessageId`, when the platform gives one.
    pub message_id: Option<String>,
}

impl From<Invoked> for Accepted {
    fn from(invoked: Invoked) -> Accepted {
        Accepted {
            request_id: invoked.request_id,
            message_id: invoked.message_id,
        }
    }
}

/// What happened to one device of a batch: exactly one of four, and only what is known.
///
/// - `accepted`: the platform answered the call carrying it with `Success: true`.
/// - `refused`: the platform answered with an error (`Code`), or the client refused the
///   device before sending because it can never succeed as given (a name the platform
///   cannot have; code `client.*`). Trying the same again gets the same answer.
/// - `unknown`: the call was sent and then something failed before an answer said what
///   happened (a reset, HTTP 5xx, a timeout, an unreadable answer, an error that says the
///   device may have run it). The platform may have acted: look before you try again.
/// - `not_attempted`: nothing was sent for it (interrupted, a duplicate, an empty name, a
///   connection that never opened, a batch stopped by an error every call would get).
///   Safe to try again.
///
/// Which failures land where, and why: `docs/batches.md`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// The call carrying it was accepted.
    Accepted {
        /// That call's `RequestId`.
        request_id: String,
    },
    /// The call carrying it was refused.
    Refused {
        /// The platform's `Code` (or the client's, `client.*`, for a local refusal).
        code: String,
        /// What was wrong.
        message: String,
        /// That call's `RequestId`, when there was an answer.
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
    },
    /// The call carrying it may or may not have reached the platform.
    Unknown {
        /// What happened after it was sent.
        reason: String,
        /// That call's `RequestId`, when an answer carried one.
        #[serde(skip_serializing_if = "Option::is_none")]
        request_id: Option<String>,
    },
    /// No call for it was made.
    NotAttempted {
        /// Why not (interrupted, an earlier failure stopped the batch, a duplicate, ...).
        reason: String,
    },
}

/// Platform codes after which the device may have run the call (the request reached it,
/// its answer did not come back): `docs/batches.md`.
const MAY_HAVE_ACTED: [&str; 7] = [
    "iot.messagebroker.TIMEOUT",
    "iot.messagebroker.RrpcFailed",
    "iot.messagebroker.RrpcException",
    "iot.messagebroker.PublishMessageFailed",
    "iot.device.InvokeThingServiceFailed",
    "iot.system.SystemException",
    "ServiceUnavailable",
];

impl Outcome {
    /// The status word of the JSON line: `accepted`, `refused`, `unknown`, `not_attempted`.
    pub fn status(&self) -> &'static str {
        match self {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Refused { .. } => "refused",
            Outcome::Unknown { .. } => "unknown",
            Outcome::NotAttempted { .. } => "not_attempted",
        }
    }

    /// What a failed call means for its devices. Only an answer that says the platform did
    /// not act is `refused`; a failure after the request may have arrived is `unknown`; a
    /// failure before anything was sent is `not_attempted`.
    pub fn of_error(error: &Error) -> Outcome {
        let unknown = |reason: String, request_id: Option<&str>| Outcome::Unknown {
            reason: format!("{reason}; the platform may have acted, so it was not retried"),
            request_id: request_id.map(str::to_string),
        };
        match error {
            Error::Platform(e)
                if e.http_status.is_some_and(|status| status >= 500) && !e.is_throttling()
                    || MAY_HAVE_ACTED.contains(&e.code.as_str()) =>
            {
                let status = e
                    .http_status
                    .map(|s| format!("HTTP {s}, "))
                    .unwrap_or_default();
                unknown(
                    format!("{status}{}: {}", e.code, e.message),
                    e.request_id.as_deref(),
                )
            }
            Error::Platform(e) => Outcome::Refused {
                code: e.code.clone(),
                message: e.message.clone(),
                request_id: e.request_id.clone(),
            },
            Error::Timeout(after) => unknown(format!("no answer within {after:?}"), None),
            Error::Transport {
                message,
                may_have_been_sent: true,
            } => unknown(format!("the connection failed: {message}"), None),
            Error::Transport {
                message,
                may_have_been_sent: false,
            } => Outcome::NotAttempted {
                reason: format!("no connection: {message}; nothing was sent"),
            },
            Error::BadAnswer { problem, .. } => {
                unknown(format!("the answer cannot be read: {problem}"), None)
            }
            Error::InvalidArgs(_) | Error::Refused(_) | Error::Config(_) => Outcome::NotAttempted {
                reason: error.to_string(),
            },
            #[cfg(feature = "sign")]
            Error::Credentials(_) => Outcome::NotAttempted {
                reason: error.to_string(),
            },
            Error::Device {
                error, request_id, ..
            } => Outcome::Refused {
                code: format!("device.{}", error.code),
                message: error.message.clone(),
                request_id: Some(request_id.clone()),
            },
        }
    }
}

/// One device's line of a [`BatchReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceReport {
    /// The device's product.
    pub product_key: String,
    /// The device.
    pub device_name: String,
    /// What happened to it.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The fate of every device given to a batch call, in the order given: each one is
/// accepted, refused, unknown or not attempted, none is left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BatchReport {
    /// One entry per device given.
    pub devices: Vec<DeviceReport>,
}

impl BatchReport {
    /// The devices whose call was accepted.
    pub fn accepted(&self) -> impl Iterator<Item = &DeviceReport> {
        self.devices
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Accepted { .. }))
    }

    /// The devices whose call was refused.
    pub fn refused(&self) -> impl Iterator<Item = &DeviceReport> {
        self.devices
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Refused { .. }))
    }

    /// The devices whose call may or may not have reached the platform.
    pub fn unknown(&self) -> impl Iterator<Item = &DeviceReport> {
        self.devices
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::Unknown { .. }))
    }

    /// The devices for which no call was made.
    pub fn not_attempted(&self) -> impl Iterator<Item = &DeviceReport> {
        self.devices
            .iter()
            .filter(|d| matches!(d.outcome, Outcome::NotAttempted { .. }))
    }

    /// Whether every device was accepted.
    pub fn all_accepted(&self) -> bool {
        self.accepted().count() == self.devices.len()
    }

    /// Writes one JSON object per device and line:
    /// `{"product_key":"a1","device_name":"lamp-1","status":"accepted","request_id":"..."}`.
    pub fn write_json_lines(&self, mut out: impl io::Write) -> io::Result<()> {
        for device in &self.devices {
            serde_json::to_writer(&mut out, device)?;
            out.write_all(b"\n")?;
        }
        Ok(())
    }
}

/// The platform operations generated code calls. `args`/`items` are JSON text already
/// checked and encoded against the model.
///
/// Implemented by the HTTP client; tests may implement it with a stand-in.
pub trait Cloud: Sync {
    /// `InvokeThingService`: one service call on one device. `identifier` is the wire
    /// identifier (`Blink`, `battery:Check`).
    fn invoke_thing_service(
        &self,
        device: &Device,
        identifier: &str,
        args: &str,
    ) -> impl Future<Output = Result<Invoked, Error>> + Send;

    /// `InvokeThingsService`: one service call on many devices of a product, in calls of
    /// at most 100 names within the action's QPS. `Err` only when nothing was attempted.
    fn invoke_things_service(
        &self,
        product_key: &str,
        device_names: &[String],
        identifier: &str,
        args: &str,
    ) -> impl Future<Output = Result<BatchReport, Error>> + Send;

    /// `SetDeviceProperty`: set properties of one device.
    fn set_device_property(
        &self,
        device: &Device,
        items: &str,
    ) -> impl Future<Output = Result<Accepted, Error>> + Send;

    /// `SetDevicesProperty`: set properties of many devices of a product, in calls of at
    /// most 100 names. `Err` only when nothing was attempted.
    fn set_devices_property(
        &self,
        product_key: &str,
        device_names: &[String],
        items: &str,
    ) -> impl Future<Output = Result<BatchReport, Error>> + Send;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoked(result: Option<&str>) -> Invoked {
        Invoked {
            request_id: "R-1".to_string(),
            message_id: Some("1894186889322557440".to_string()),
            result: result.map(str::to_string),
        }
    }

    #[test]
    fn a_sync_reply_reads_into_its_output() {
        let reply: Reply<Vec<i32>> =
            sync_output(invoked(Some(r#"{"id":"1","code":200,"data":[1,2]}"#))).unwrap();
        assert_eq!(reply.output, vec![1, 2]);
        assert_eq!(reply.message_id.as_deref(), Some("1894186889322557440"));
    }

    #[test]
    fn a_device_error_code_is_a_typed_error() {
        let err = sync_output::<Vec<i32>>(invoked(Some(
            r#"{"id":"1","code":100001,"message":"jammed"}"#,
        )))
        .unwrap_err();
        match err {
            Error::Device {
                error,
                request_id,
                raw,
            } => {
                assert_eq!(error.code, 100_001);
                assert_eq!(error.message, "jammed");
                assert_eq!(request_id, "R-1");
                assert!(raw.contains("jammed"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn unreadable_replies_keep_the_text() {
        let err = sync_output::<Vec<i32>>(invoked(Some("not json"))).unwrap_err();
        assert!(matches!(err, Error::BadAnswer { ref raw, .. } if raw == "not json"));
        let err = sync_output::<Vec<i32>>(invoked(None)).unwrap_err();
        assert!(matches!(err, Error::BadAnswer { .. }));
        let err = sync_output::<Vec<i32>>(invoked(Some(r#"{"id":"1","code":200,"data":{}}"#)))
            .unwrap_err();
        assert!(err.to_string().contains("does not fit the model"), "{err}");
    }

    #[test]
    fn reports_write_a_line_per_device() {
        let report = BatchReport {
            devices: vec![
                DeviceReport {
                    product_key: "a1".into(),
                    device_name: "d1".into(),
                    outcome: Outcome::Accepted {
                        request_id: "R".into(),
                    },
                },
                DeviceReport {
                    product_key: "a1".into(),
                    device_name: "d2".into(),
                    outcome: Outcome::NotAttempted {
                        reason: "duplicate".into(),
                    },
                },
            ],
        };
        let mut out = Vec::new();
        report.write_json_lines(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "{\"product_key\":\"a1\",\"device_name\":\"d1\",\"status\":\"accepted\",\"request_id\":\"R\"}\n\
             {\"product_key\":\"a1\",\"device_name\":\"d2\",\"status\":\"not_attempted\",\"reason\":\"duplicate\"}\n"
        );
        assert!(!report.all_accepted());
        assert_eq!(report.not_attempted().count(), 1);
    }
}
