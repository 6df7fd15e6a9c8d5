//! A stand-in for the IoT Platform that delivers every call to simulated lamps in this
//! process, through the generated device-side `dispatch`, and remembers what was sent. It
//! implements `tsl_runtime::cloud::Cloud`, as the runtime's HTTP client does, so the
//! program runs offline and the same code works against the real platform.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use tsl_runtime::alink::{self, DeviceError};
use tsl_runtime::cloud::{Accepted, BatchReport, Cloud, Device, DeviceReport, Invoked, Outcome};
use tsl_runtime::serde_json::{self, Value};
use tsl_runtime::{Error, PlatformError};

use crate::lamp;

/// What a simulated lamp does when called: the generated `Handler`.
pub struct Lamp;

impl lamp::Handler for Lamp {
    async fn blink(&self, input: lamp::BlinkInput) -> Result<lamp::BlinkOutput, DeviceError> {
        Ok(lamp::BlinkOutput {
            blinked: input.times,
        })
    }

    async fn diagnose(&self) -> Result<lamp::DiagnoseOutput, DeviceError> {
        Ok(lamp::DiagnoseOutput {
            healthy: true,
            driver_temperature: 41.5,
            faults: Vec::new(),
        })
    }

    async fn upload_schedule(&self, _input: lamp::UploadScheduleInput) -> Result<(), DeviceError> {
        Ok(())
    }

    async fn set_properties(&self, _properties: lamp::PropertySet) -> Result<(), DeviceError> {
        Ok(())
    }
}

/// One call as it reached the stand-in: the action, the device(s) and the JSON sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// `InvokeThingService`, `InvokeThingsService`, `SetDeviceProperty`, `SetDevicesProperty`.
    pub action: &'static str,
    /// The devices addressed.
    pub devices: Vec<String>,
    /// `Args` or `Items` as sent.
    pub json: String,
}

/// The stand-in: the lamps it knows, by device name, and the calls it received.
pub struct InProcessCloud {
    lamps: BTreeSet<String>,
    sent: Mutex<Vec<Sent>>,
    next_id: AtomicU64,
}

impl InProcessCloud {
    /// A platform where these lamps exist.
    pub fn with_lamps(names: &[String]) -> InProcessCloud {
        InProcessCloud {
            lamps: names.iter().cloned().collect(),
            sent: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Every call received, in order.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn record(&self, action: &'static str, devices: Vec<String>, json: &str) -> String {
        if let Ok(mut sent) = self.sent.lock() {
            sent.push(Sent {
                action,
                devices,
                json: json.to_string(),
            });
        }
        format!(
            "IN-PROCESS-{}",
            self.next_id.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Delivers an Alink request to the lamp `name`, or says why not.
    async fn deliver(&self, name: &str, request: &alink::Request) -> Result<alink::Reply, String> {
        if !self.lamps.contains(name) {
            return Err(format!("no device {name:?} in this product"));
        }
        Ok(lamp::dispatch(&Lamp, request).await)
    }

    /// One call on many devices, with a report line for each.
    async fn batch(
        &self,
        action: &'static str,
        product_key: &str,
        device_names: &[String],
        request: alink::Request,
    ) -> BatchReport {
        let request_id = self.record(action, device_names.to_vec(), &request.params.to_string());
        let mut devices = Vec::new();
        for name in device_names {
            let outcome = match self.deliver(name, &request).await {
                Ok(_) => Outcome::Accepted {
                    request_id: request_id.clone(),
                },
                Err(message) => Outcome::Refused {
                    code: "iot.device.NotExistedDevice".to_string(),
                    message,
                    request_id: Some(request_id.clone()),
                },
            };
            devices.push(DeviceReport {
                product_key: product_key.to_string(),
                device_name: name.clone(),
                outcome,
            });
        }
        BatchReport { devices }
    }
}

fn device_name(device: &Device) -> String {
    match device {
        Device::Name { device_name, .. } => device_name.clone(),
        Device::IotId(id) => id.clone(),
    }
}

fn params(json: &str) -> Value {
    serde_json::from_str(json).unwrap_or(Value::Null)
}

/// What the platform answers for a device it does not know.
fn refused(message: String, request_id: String) -> Error {
    Error::Platform(PlatformError {
        code: "iot.device.NotExistedDevice".to_string(),
        message,
        request_id: Some(request_id),
        http_status: None,
    })
}

impl Cloud for InProcessCloud {
    async fn invoke_thing_service(
        &self,
        device: &Device,
        identifier: &str,
        args: &str,
    ) -> Result<Invoked, Error> {
        let name = device_name(device);
        let request_id = self.record("InvokeThingService", vec![name.clone()], args);
        let request = alink::Request::service(request_id.clone(), identifier, params(args));
        match self.deliver(&name, &request).await {
            Ok(reply) => Ok(Invoked {
                message_id: Some(request_id.clone()),
                result: Some(reply.to_json()),
                request_id,
            }),
            Err(message) => Err(refused(message, request_id)),
        }
    }

    async fn invoke_things_service(
        &self,
        product_key: &str,
        device_names: &[String],
        identifier: &str,
        args: &str,
    ) -> Result<BatchReport, Error> {
        let request = alink::Request::service("batch", identifier, params(args));
        Ok(self
            .batch("InvokeThingsService", product_key, device_names, request)
            .await)
    }

    async fn set_device_property(&self, device: &Device, items: &str) -> Result<Accepted, Error> {
        let name = device_name(device);
        let request_id = self.record("SetDeviceProperty", vec![name.clone()], items);
        let request = alink::Request::service(request_id.clone(), "property.set", params(items));
        match self.deliver(&name, &request).await {
            Ok(_) => Ok(Accepted {
                message_id: None,
                request_id,
            }),
            Err(message) => Err(refused(message, request_id)),
        }
    }

    async fn set_devices_property(
        &self,
        product_key: &str,
        device_names: &[String],
        items: &str,
    ) -> Result<BatchReport, Error> {
        let request = alink::Request::service("batch", "property.set", params(items));
        Ok(self
            .batch("SetDevicesProperty", product_key, device_names, request)
            .await)
    }
}
