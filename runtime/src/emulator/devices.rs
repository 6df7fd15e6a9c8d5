//! Simulated devices: who they are, whether they are online, how slow, and what answers
//! their Alink requests.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::alink::{DeviceError, Reply, Request, Responder};
use crate::model::{DataType, Model, NumberSpec, Param};

/// A device to register with the emulator.
///
/// ```
/// use tsl_runtime::emulator::Device;
///
/// let lamp = Device::new("a1StreetLmp", "lamp-1").iot_id("lampIotId0001").offline();
/// assert_eq!(lamp.device_name(), "lamp-1");
/// ```
#[derive(Clone)]
pub struct Device {
    pub(crate) product_key: String,
    pub(crate) device_name: String,
    pub(crate) iot_id: Option<String>,
    pub(crate) online: bool,
    pub(crate) slow: Duration,
    pub(crate) responder: Option<Arc<dyn Responder>>,
}

impl std::fmt::Debug for Device {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Device")
            .field("product_key", &self.product_key)
            .field("device_name", &self.device_name)
            .field("iot_id", &self.iot_id)
            .field("online", &self.online)
            .field("slow", &self.slow)
            .field("responder", &self.responder.as_ref().map(|_| "custom"))
            .finish()
    }
}

impl Device {
    /// An online device of `product_key` named `device_name`, answered by a
    /// [`DefaultResponder`], with a generated IotId.
    pub fn new(product_key: impl Into<String>, device_name: impl Into<String>) -> Device {
        Device {
            product_key: product_key.into(),
            device_name: device_name.into(),
            iot_id: None,
            online: true,
            slow: Duration::ZERO,
            responder: None,
        }
    }

    /// Gives the device this IotId instead of a generated one.
    #[must_use]
    pub fn iot_id(mut self, iot_id: impl Into<String>) -> Device {
        self.iot_id = Some(iot_id.into());
        self
    }

    /// Starts the device offline.
    #[must_use]
    pub fn offline(mut self) -> Device {
        self.online = false;
        self
    }

    /// Delays every answer of the device by `delay` (past the sync timeout, sync calls
    /// fail with `iot.messagebroker.TIMEOUT`).
    #[must_use]
    pub fn slow(mut self, delay: Duration) -> Device {
        self.slow = delay;
        self
    }

    /// Answers the device's Alink requests with `responder` (a generated dispatcher around
    /// a device handler, or any simulation).
    #[must_use]
    pub fn responder(mut self, responder: Arc<dyn Responder>) -> Device {
        self.responder = Some(responder);
        self
    }

    /// The product key.
    pub fn product_key(&self) -> &str {
        &self.product_key
    }

    /// The device name.
    pub fn device_name(&self) -> &str {
        &self.device_name
    }
}

/// A registered device. Kept small (a fleet of a million is registered in one emulator):
/// the product key is shared by its devices, the name is shared with the name index, and a
/// generated IotId is not stored (see `Devices`).
pub(crate) struct DeviceState {
    pub product_key: Arc<str>,
    pub device_name: Arc<str>,
    /// An IotId given with [`Device::iot_id`]; `None`: the generated one.
    pub iot_id: Option<Box<str>>,
    pub online: bool,
    pub slow: Duration,
    pub responder: Arc<dyn Responder>,
}

/// The answer of a device that has no responder of its own: for each service, the declared
/// outputs with valid default values taken from the model (a number's `min`, or 0 moved
/// into range; an enum's first key; `0` for a bool; `""`; `"0"` for a date; structs member
/// by member; empty arrays). A property set is acknowledged with no data; an identifier the
/// model does not have is answered with code 460.
#[derive(Debug, Clone)]
pub struct DefaultResponder {
    model: Arc<Model>,
}

impl DefaultResponder {
    /// A responder for devices of this model.
    pub fn new(model: Arc<Model>) -> DefaultResponder {
        DefaultResponder { model }
    }

    /// The reply this responder gives to `request`.
    pub fn reply(&self, request: &Request) -> Reply {
        match request.service_identifier() {
            Some("property.set") => Reply::ok(&request.id, json!({})),
            Some(identifier) => match self.model.service_by_wire_identifier(identifier) {
                Some(service) => Reply::ok(&request.id, default_params(&service.outputs)),
                None => Reply::error(
                    &request.id,
                    &DeviceError::bad_parameters(format!("no service `{identifier}`")),
                ),
            },
            None => Reply::error(
                &request.id,
                &DeviceError::bad_parameters(format!("unknown method `{}`", request.method)),
            ),
        }
    }
}

impl Responder for DefaultResponder {
    fn respond<'a>(
        &'a self,
        request: &'a Request,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        let reply = self.reply(request);
        Box::pin(async move { reply })
    }
}

/// An object holding a valid default for each parameter.
pub fn default_params(params: &[Param]) -> Value {
    Value::Object(
        params
            .iter()
            .map(|p| (p.identifier.clone(), default_value(&p.data_type)))
            .collect::<Map<String, Value>>(),
    )
}

/// A value valid for `data_type`, as JSON the platform accepts.
pub fn default_value(data_type: &DataType) -> Value {
    match data_type {
        DataType::Int(spec) => {
            let value = in_range(spec).round();
            // i32 bounds are exact in f64.
            json!(value.clamp(f64::from(i32::MIN), f64::from(i32::MAX)) as i64)
        }
        DataType::Float(spec) | DataType::Double(spec) => json!(in_range(spec)),
        DataType::Text(_) => json!(""),
        DataType::Date => json!("0"),
        DataType::Bool(_) => json!(0),
        DataType::Enum(spec) => json!(spec.values.first().map_or(0, |v| v.value)),
        DataType::Struct(spec) => default_params(&spec.members),
        DataType::Array(_) => json!([]),
    }
}

/// `min` when given, else 0 moved into `..=max`.
fn in_range(spec: &NumberSpec) -> f64 {
    match (&spec.min, &spec.max) {
        (Some(min), _) => min.value(),
        (None, Some(max)) if max.value() < 0.0 => max.value(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;

    #[test]
    fn the_default_answer_is_valid_for_the_model() {
        let parsed = Model::load(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../examples/models/street-lamp.json"
        ))
        .unwrap();
        let model = Arc::new(parsed.model);
        let responder = DefaultResponder::new(model.clone());
        for (_, service) in model.services() {
            let request = Request::service("1", &service.wire_identifier, json!({}));
            let reply = responder.reply(&request);
            assert!(reply.is_ok(), "{}", service.identifier);
            let encoded = crate::value::encode_params(&service.outputs, &reply.data);
            assert!(encoded.is_ok(), "{}: {encoded:?}", service.identifier);
        }
        let unknown = responder.reply(&Request::service("2", "Nope", json!({})));
        assert_eq!(unknown.code, crate::alink::codes::BAD_PARAMETERS);
    }
}
