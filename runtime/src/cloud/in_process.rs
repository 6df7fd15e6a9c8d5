//! [`InProcess`]: a [`Cloud`] that needs no network, for tests and offline examples.
//!
//! It records every call generated code makes (the exact `Args`/`Items` text), answers from
//! a script when a test queues answers, and otherwise delivers each call to the device's
//! [`Responder`] in this process (a generated `Responder(handler)` wraps a device's typed
//! `Handler`), so a sync service returns the device's own reply. It checks nothing the
//! gateway checks (signatures, QPS, the model): for the platform's behaviour over HTTP, use
//! the emulator (feature `emulator`).
//!
//! ```
//! use tsl_runtime::alink::{Reply, Request, Responder};
//! use tsl_runtime::cloud::in_process::{Call, InProcess};
//! use tsl_runtime::cloud::{Cloud, Device};
//!
//! struct Lamp;
//! impl Responder for Lamp {
//!     fn respond<'a>(
//!         &'a self,
//!         request: &'a Request,
//!     ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>> {
//!         Box::pin(async move { Reply::ok(request.id.clone(), serde_json::json!({"Blinked": 3})) })
//!     }
//! }
//!
//! let cloud = InProcess::new().device(Device::named("a1StreetLmp", "lamp-1"), Lamp);
//! # let runtime = tokio::runtime::Builder::new_current_thread().build()?;
//! # runtime.block_on(async {
//! let invoked = cloud
//!     .invoke_thing_service(&Device::named("a1StreetLmp", "lamp-1"), "Blink", r#"{"Times":3}"#)
//!     .await?;
//! assert_eq!(invoked.alink_reply()?.data["Blinked"], 3);
//! // A device this platform does not know is refused, as the platform does.
//! let unknown = cloud
//!     .invoke_thing_service(&Device::named("a1StreetLmp", "ghost"), "Blink", "{}")
//!     .await;
//! assert_eq!(unknown.unwrap_err().code(), Some("iot.device.NotExistedDevice"));
//! assert_eq!(cloud.calls()[0].action(), "InvokeThingService");
//! assert_eq!(cloud.calls()[0].json(), r#"{"Times":3}"#);
//! # Ok::<(), tsl_runtime::Error>(())
//! # })?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use super::{
    Accepted, BatchReport, Cloud, Device, DeviceReport, Invoked, Outcome as DeviceOutcome,
};
use crate::alink::{Request, Responder};
use crate::error::{Error, PlatformError};
use crate::sync::lock;

/// The code of a device the platform does not know.
const NOT_EXISTED_DEVICE: &str = "iot.device.NotExistedDevice";

/// One call as it reached [`InProcess`]: the action's parameters as generated code passed
/// them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// `InvokeThingService`.
    Invoke {
        /// The device.
        device: Device,
        /// The wire identifier (`Blink`, `pump:Start`).
        identifier: String,
        /// `Args` as sent.
        args: String,
    },
    /// `InvokeThingsService`.
    InvokeMany {
        /// The product.
        product_key: String,
        /// The devices, in the order given.
        device_names: Vec<String>,
        /// The wire identifier.
        identifier: String,
        /// `Args` as sent.
        args: String,
    },
    /// `SetDeviceProperty`.
    Set {
        /// The device.
        device: Device,
        /// `Items` as sent.
        items: String,
    },
    /// `SetDevicesProperty`.
    SetMany {
        /// The product.
        product_key: String,
        /// The devices, in the order given.
        device_names: Vec<String>,
        /// `Items` as sent.
        items: String,
    },
}

impl Call {
    /// The platform action: `InvokeThingService`, `InvokeThingsService`,
    /// `SetDeviceProperty` or `SetDevicesProperty`.
    pub fn action(&self) -> &'static str {
        match self {
            Call::Invoke { .. } => "InvokeThingService",
            Call::InvokeMany { .. } => "InvokeThingsService",
            Call::Set { .. } => "SetDeviceProperty",
            Call::SetMany { .. } => "SetDevicesProperty",
        }
    }

    /// How many devices the call addressed.
    pub fn device_count(&self) -> usize {
        match self {
            Call::Invoke { .. } | Call::Set { .. } => 1,
            Call::InvokeMany { device_names, .. } | Call::SetMany { device_names, .. } => {
                device_names.len()
            }
        }
    }

    /// The JSON text sent: `Args` or `Items`.
    pub fn json(&self) -> &str {
        match self {
            Call::Invoke { args, .. } | Call::InvokeMany { args, .. } => args,
            Call::Set { items, .. } | Call::SetMany { items, .. } => items,
        }
    }
}

/// An in-process stand-in for the platform: see the [module](self) documentation.
///
/// Request ids are `IN-PROCESS-1`, `IN-PROCESS-2`, ...; the message id of a call is the
/// same number as text.
#[derive(Default)]
pub struct InProcess {
    devices: HashMap<Device, Arc<dyn Responder>>,
    any_device: bool,
    calls: Mutex<Vec<Call>>,
    scripted: Mutex<VecDeque<Result<Invoked, Error>>>,
    next_id: AtomicU64,
}

impl std::fmt::Debug for InProcess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcess")
            .field("devices", &self.devices.keys().collect::<Vec<_>>())
            .field("any_device", &self.any_device)
            .field("calls", &lock(&self.calls).len())
            .finish_non_exhaustive()
    }
}

impl InProcess {
    /// A platform without devices: every call is refused with
    /// `iot.device.NotExistedDevice` until devices are added.
    pub fn new() -> InProcess {
        InProcess::default()
    }

    /// Adds a device (by name, or by IotId for calls by IotId) answered by `responder`.
    #[must_use]
    pub fn device(mut self, device: Device, responder: impl Responder + 'static) -> InProcess {
        self.devices.insert(device, Arc::new(responder));
        self
    }

    /// Adds the devices `device_names` of `product_key`, all answered by one `responder`.
    #[must_use]
    pub fn devices<I>(
        mut self,
        product_key: &str,
        device_names: I,
        responder: impl Responder + 'static,
    ) -> InProcess
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        let responder: Arc<dyn Responder> = Arc::new(responder);
        for name in device_names {
            self.devices
                .insert(Device::named(product_key, name), responder.clone());
        }
        self
    }

    /// Accepts calls to devices that were not added, as if they existed and were online;
    /// nobody answers for them, so a sync call on one returns no `Data.Result`.
    #[must_use]
    pub fn any_device(mut self) -> InProcess {
        self.any_device = true;
        self
    }

    /// The next `InvokeThingService` is answered with `answer` instead of reaching a
    /// device; answers queue up in the order given.
    pub fn answer_next(&self, answer: Result<Invoked, Error>) {
        lock(&self.scripted).push_back(answer);
    }

    /// Every call received, in order.
    pub fn calls(&self) -> Vec<Call> {
        lock(&self.calls).clone()
    }

    /// Records a call; returns its number (request id and message id).
    fn record(&self, call: Call) -> u64 {
        lock(&self.calls).push(call);
        self.next_id.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Where a call to `device` goes: `Ok(Some)` a device that answers, `Ok(None)` a
    /// device accepted without an answer (`any_device`), `Err` a device that does not exist.
    fn find(&self, device: &Device) -> Result<Option<Arc<dyn Responder>>, String> {
        match self.devices.get(device) {
            Some(responder) => Ok(Some(responder.clone())),
            None if self.any_device => Ok(None),
            None => Err(match device {
                Device::Name {
                    product_key,
                    device_name,
                } => {
                    format!("The device `{device_name}` of product `{product_key}` does not exist.")
                }
                Device::IotId(id) => format!("The device with IotId `{id}` does not exist."),
            }),
        }
    }

    /// One call on many devices, delivered to each, with a report line for each.
    async fn batch(
        &self,
        call: Call,
        product_key: &str,
        identifier: &str,
        json: &str,
    ) -> Result<BatchReport, Error> {
        let names = match &call {
            Call::InvokeMany { device_names, .. } | Call::SetMany { device_names, .. } => {
                device_names.clone()
            }
            Call::Invoke { .. } | Call::Set { .. } => Vec::new(),
        };
        let id = self.record(call);
        let request_id = request_id(id);
        let params = parse(json, &request_id)?;
        let mut devices = Vec::with_capacity(names.len());
        for name in names {
            let outcome = match self.find(&Device::named(product_key, name.as_str())) {
                Ok(responder) => {
                    if let Some(responder) = responder {
                        let request = Request::service(id.to_string(), identifier, params.clone());
                        // An async call or a property set: the platform accepted it whatever
                        // the device then replies.
                        responder.respond(&request).await;
                    }
                    DeviceOutcome::Accepted {
                        request_id: request_id.clone(),
                    }
                }
                Err(message) => DeviceOutcome::Refused {
                    code: NOT_EXISTED_DEVICE.to_string(),
                    message,
                    request_id: Some(request_id.clone()),
                },
            };
            devices.push(DeviceReport {
                product_key: product_key.to_string(),
                device_name: name,
                outcome,
            });
        }
        Ok(BatchReport { devices })
    }
}

fn request_id(id: u64) -> String {
    format!("IN-PROCESS-{id}")
}

/// A business error as the platform sends it (HTTP 200).
fn refused(code: &str, message: String, request_id: &str) -> Error {
    Error::Platform(PlatformError {
        code: code.to_string(),
        message,
        request_id: Some(request_id.to_string()),
        http_status: Some(200),
    })
}

/// `Args` or `Items` as JSON: what the device gets.
fn parse(json: &str, request_id: &str) -> Result<Value, Error> {
    serde_json::from_str(json).map_err(|e| {
        refused(
            "iot.check.InvalidFormattedParameter",
            format!("not JSON: {e}"),
            request_id,
        )
    })
}

impl Cloud for InProcess {
    async fn invoke_thing_service(
        &self,
        device: &Device,
        identifier: &str,
        args: &str,
    ) -> Result<Invoked, Error> {
        let id = self.record(Call::Invoke {
            device: device.clone(),
            identifier: identifier.to_string(),
            args: args.to_string(),
        });
        let scripted = lock(&self.scripted).pop_front();
        if let Some(answer) = scripted {
            return answer;
        }
        let request_id = request_id(id);
        let params = parse(args, &request_id)?;
        let responder = self
            .find(device)
            .map_err(|message| refused(NOT_EXISTED_DEVICE, message, &request_id))?;
        let result = match responder {
            Some(responder) => {
                let request = Request::service(id.to_string(), identifier, params);
                Some(responder.respond(&request).await.to_json())
            }
            None => None,
        };
        Ok(Invoked {
            request_id,
            message_id: Some(id.to_string()),
            result,
        })
    }

    async fn invoke_things_service(
        &self,
        product_key: &str,
        device_names: &[String],
        identifier: &str,
        args: &str,
    ) -> Result<BatchReport, Error> {
        let call = Call::InvokeMany {
            product_key: product_key.to_string(),
            device_names: device_names.to_vec(),
            identifier: identifier.to_string(),
            args: args.to_string(),
        };
        self.batch(call, product_key, identifier, args).await
    }

    async fn set_device_property(&self, device: &Device, items: &str) -> Result<Accepted, Error> {
        let id = self.record(Call::Set {
            device: device.clone(),
            items: items.to_string(),
        });
        let request_id = request_id(id);
        let params = parse(items, &request_id)?;
        let responder = self
            .find(device)
            .map_err(|message| refused(NOT_EXISTED_DEVICE, message, &request_id))?;
        if let Some(responder) = responder {
            let request = Request::service(id.to_string(), PROPERTY_SET, params);
            responder.respond(&request).await;
        }
        Ok(Accepted {
            request_id,
            message_id: Some(id.to_string()),
        })
    }

    async fn set_devices_property(
        &self,
        product_key: &str,
        device_names: &[String],
        items: &str,
    ) -> Result<BatchReport, Error> {
        let call = Call::SetMany {
            product_key: product_key.to_string(),
            device_names: device_names.to_vec(),
            items: items.to_string(),
        };
        self.batch(call, product_key, PROPERTY_SET, items).await
    }
}

/// The wire identifier of a property set (`thing.service.property.set`).
const PROPERTY_SET: &str = "property.set";

#[cfg(test)]
mod tests {
    use std::future::Future;
    use std::pin::{pin, Pin};
    use std::task::{Context, Poll, Waker};

    use serde_json::json;

    use super::*;
    use crate::alink::Reply;

    /// Answers with the method and params it got; records nothing.
    struct Mirror;

    impl Responder for Mirror {
        fn respond<'a>(
            &'a self,
            request: &'a Request,
        ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
            Box::pin(async move {
                Reply::ok(
                    request.id.clone(),
                    json!({"method": request.method, "params": request.params}),
                )
            })
        }
    }

    /// The stand-in never waits: a bounded number of polls finishes any call.
    fn run<F: Future>(future: F) -> F::Output {
        let mut future = pin!(future);
        let mut cx = Context::from_waker(Waker::noop());
        for _ in 0..100 {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
        }
        panic!("the future did not finish");
    }

    #[test]
    fn registered_devices_answer_and_unknown_ones_are_refused() {
        let cloud = InProcess::new().devices("a1", ["d1", "d2"], Mirror);
        let invoked =
            run(cloud.invoke_thing_service(&Device::named("a1", "d1"), "Blink", r#"{"T":1}"#))
                .unwrap();
        assert_eq!(invoked.request_id, "IN-PROCESS-1");
        assert_eq!(invoked.message_id.as_deref(), Some("1"));
        let reply = invoked.alink_reply().unwrap();
        assert_eq!(reply.data["method"], "thing.service.Blink");
        assert_eq!(reply.data["params"], json!({"T": 1}));

        let err = run(cloud.set_device_property(&Device::named("a1", "nope"), "{}")).unwrap_err();
        assert_eq!(err.code(), Some(NOT_EXISTED_DEVICE));
        assert_eq!(err.request_id(), Some("IN-PROCESS-2"));

        let names = vec!["d1".to_string(), "ghost".to_string(), "d2".to_string()];
        let report = run(cloud.set_devices_property("a1", &names, r#"{"B":1}"#)).unwrap();
        let statuses: Vec<&str> = report.devices.iter().map(|d| d.outcome.status()).collect();
        assert_eq!(statuses, ["accepted", "refused", "accepted"]);
        assert_eq!(
            cloud.calls()[2],
            Call::SetMany {
                product_key: "a1".into(),
                device_names: names,
                items: r#"{"B":1}"#.into()
            }
        );
        assert_eq!(cloud.calls()[2].action(), "SetDevicesProperty");
        assert_eq!(cloud.calls()[2].device_count(), 3);
    }

    #[test]
    fn any_device_accepts_without_an_answer_and_scripts_come_first() {
        let cloud = InProcess::new().any_device();
        let invoked =
            run(cloud.invoke_thing_service(&Device::iot_id("Q7u"), "Blink", "{}")).unwrap();
        assert_eq!(invoked.result, None);
        cloud.answer_next(Err(refused("iot.messagebroker.OFFLINE", "off".into(), "R")));
        let err =
            run(cloud.invoke_thing_service(&Device::iot_id("Q7u"), "Blink", "{}")).unwrap_err();
        assert_eq!(err.code(), Some("iot.messagebroker.OFFLINE"));
        let report = run(cloud.invoke_things_service("a1", &["x".into()], "Up", "{}")).unwrap();
        assert!(report.all_accepted());
        assert_eq!(cloud.calls().len(), 3);
    }

    #[test]
    fn arguments_that_are_not_json_are_refused_but_recorded() {
        let cloud = InProcess::new().any_device();
        let err =
            run(cloud.invoke_thing_service(&Device::named("a1", "d"), "Blink", "{")).unwrap_err();
        assert_eq!(err.code(), Some("iot.check.InvalidFormattedParameter"));
        assert_eq!(cloud.calls()[0].json(), "{");
    }
}
