//! Alink, the JSON envelope between the cloud and a device: a service request
//! (`{"id","version","params","method"}`) and its reply (`{"id","code","data","message"}`).
//!
//! The cloud side meets the reply inside `InvokeThingService`'s `Data.Result`, an escaped
//! JSON string; the device side answers requests through a generated dispatcher.

use std::future::Future;
use std::pin::Pin;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::value::{read_checked, FieldPath, TslValue, ValueErrors};

/// Reply codes with a meaning the platform documents.
pub mod codes {
    /// Success.
    pub const OK: i64 = 200;
    /// The request was wrong.
    pub const BAD_REQUEST: i64 = 400;
    /// The device is busy; try later.
    pub const TOO_MANY_REQUESTS: i64 = 429;
    /// The parameters are wrong (unknown service, values outside the model).
    pub const BAD_PARAMETERS: i64 = 460;
    /// The device failed.
    pub const INTERNAL_ERROR: i64 = 500;
}

/// A request to a device: a service call or a property set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// Message id, echoed in the reply. Sent as a string; some devices use numbers.
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    /// Protocol version, `1.0`.
    #[serde(default = "version")]
    pub version: String,
    /// Arguments: an object of identifier → value (a service's inputs, properties to set).
    #[serde(default)]
    pub params: Value,
    /// `thing.service.{identifier}`, `thing.service.{module}:{identifier}` or
    /// `thing.service.property.set`.
    pub method: String,
}

impl Request {
    /// A service call of `wire_identifier` (`Blink`, `battery:Check`) with `params`.
    pub fn service(id: impl Into<String>, wire_identifier: &str, params: Value) -> Request {
        Request {
            id: id.into(),
            version: version(),
            params,
            method: format!("thing.service.{wire_identifier}"),
        }
    }

    /// The service this request calls, as on the wire (`Blink`, `battery:Check`,
    /// `property.set`); `None` when `method` is not a service call.
    pub fn service_identifier(&self) -> Option<&str> {
        self.method.strip_prefix("thing.service.")
    }

    /// Reads a request from its JSON text.
    pub fn from_json(text: &str) -> Result<Request, serde_json::Error> {
        serde_json::from_str(text)
    }
}

/// A device's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reply {
    /// The request's `id`.
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    /// [`codes::OK`] on success; anything else is an error the device reports.
    pub code: i64,
    /// The service's outputs, an object (empty for none).
    #[serde(default = "empty_object")]
    pub data: Value,
    /// What went wrong, in the device's words.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Protocol version, when the device sends one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

impl Reply {
    /// Success, with outputs.
    pub fn ok(id: impl Into<String>, data: Value) -> Reply {
        Reply {
            id: id.into(),
            code: codes::OK,
            data,
            message: Some("success".to_string()),
            version: Some(version()),
        }
    }

    /// A failure with the device's code and message.
    pub fn error(id: impl Into<String>, error: &DeviceError) -> Reply {
        Reply {
            id: id.into(),
            code: error.code,
            data: empty_object(),
            message: Some(error.message.clone()),
            version: Some(version()),
        }
    }

    /// Whether the device reports success.
    pub fn is_ok(&self) -> bool {
        self.code == codes::OK
    }

    /// The reply as a [`DeviceError`] when it reports a failure.
    pub fn device_error(&self) -> Option<DeviceError> {
        (!self.is_ok()).then(|| DeviceError {
            code: self.code,
            message: self.message.clone().unwrap_or_default(),
        })
    }

    /// Reads a reply from its JSON text (what `Data.Result` holds).
    pub fn from_json(text: &str) -> Result<Reply, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The compact JSON text of the reply.
    pub fn to_json(&self) -> String {
        // A struct of strings, integers and `Value`s always serialises.
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// A failure a device reports: its code (`460`, `429`, `100000`–`110000` device-specific)
/// and message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the device answered code {code}: {message}")]
pub struct DeviceError {
    /// The Alink code.
    pub code: i64,
    /// The device's message.
    pub message: String,
}

impl DeviceError {
    /// A failure with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> DeviceError {
        DeviceError {
            code,
            message: message.into(),
        }
    }

    /// `460`: the request's parameters do not fit the model.
    pub fn bad_parameters(message: impl Into<String>) -> DeviceError {
        DeviceError::new(codes::BAD_PARAMETERS, message)
    }
}

/// What a generated `Handler`'s method returns: a future of the service's output or the
/// device's error, `Send` so a dispatcher can run on any thread. Implement the method with
/// `async fn name(&self, input: Input) -> Result<Output, DeviceError>`; any such future
/// is one (a blanket impl), this is only a shorter name for the bound.
pub trait Handled<T>: Future<Output = Result<T, DeviceError>> + Send {}

impl<T, F: Future<Output = Result<T, DeviceError>> + Send> Handled<T> for F {}

/// The reply to `request` from a handler's result: its outputs with code 200, or its error.
#[doc(hidden)]
pub fn answer<T: TslValue>(request: &Request, result: Result<T, DeviceError>) -> Reply {
    // Generic only in handing the output on: one copy per service, each a few
    // instructions (BENCHMARKS.md, "Compact generated code").
    match &result {
        Ok(output) => output_reply(request, output),
        Err(error) => Reply::error(request.id.clone(), error),
    }
}

/// The reply carrying a handler's output, checked against the model first.
fn output_reply(request: &Request, output: &dyn TslValue) -> Reply {
    let mut errors = Vec::new();
    output.check(&FieldPath::root(), &mut errors);
    let text = ValueErrors::ok_if_empty(errors)
        .map_err(|errors| errors.to_string())
        .and_then(|()| output.to_wire().to_json().map_err(|e| e.to_string()));
    match text.map(|text| serde_json::from_str::<Value>(&text)) {
        Ok(Ok(data)) => Reply::ok(request.id.clone(), data),
        // The handler's own output breaks the model: the device's fault, said so.
        Ok(Err(e)) => Reply::error(
            request.id.clone(),
            &DeviceError::new(codes::INTERNAL_ERROR, e.to_string()),
        ),
        Err(problem) => Reply::error(
            request.id.clone(),
            &DeviceError::new(
                codes::INTERNAL_ERROR,
                format!("the device's output does not fit the model: {problem}"),
            ),
        ),
    }
}

/// A request's `params` read and checked as `T`, or the reply refusing them (code 460,
/// every problem): what [`serve`] does before it calls the handler.
fn params<T: TslValue>(request: &Request) -> Result<T, Reply> {
    match read_checked::<T>(&request.params) {
        Ok(params) => Ok(params),
        Err(errors) => Err(bad_parameters(request, &errors)),
    }
}

/// The reply to come: what a generated `dispatch` returns (and [`Responder::respond`]).
pub type Serving<'a> = Pin<Box<dyn Future<Output = Reply> + Send + 'a>>;

/// One service's arm of a generated `dispatch`: reads and checks the request's `params` as
/// the handler method's input (or refuses them, code 460), calls it, and answers with its
/// output checked. Generic and async here, once, rather than an `await` per service in
/// each generated crate's `dispatch` (BENCHMARKS.md, "Compact generated code").
#[doc(hidden)]
pub fn serve<'a, I, O, F>(request: &'a Request, call: impl FnOnce(I) -> F) -> Serving<'a>
where
    I: TslValue,
    O: TslValue,
    F: Future<Output = Result<O, DeviceError>> + Send + 'a,
{
    match params::<I>(request) {
        Ok(input) => {
            let answered = call(input);
            Box::pin(async move { answer(request, answered.await) })
        }
        Err(refused) => Box::pin(std::future::ready(refused)),
    }
}

/// A generated `dispatch`'s answer to a method the model has no service for.
#[doc(hidden)]
pub fn serve_unknown(request: &Request) -> Serving<'_> {
    Box::pin(std::future::ready(unknown_service(request)))
}

/// The reply to a request whose `params` do not fit the model: code 460, every problem.
#[doc(hidden)]
pub fn bad_parameters(request: &Request, errors: &ValueErrors) -> Reply {
    Reply::error(
        request.id.clone(),
        &DeviceError::bad_parameters(errors.to_string()),
    )
}

/// The reply to a request for a service the model does not have: code 460.
#[doc(hidden)]
pub fn unknown_service(request: &Request) -> Reply {
    Reply::error(
        request.id.clone(),
        &DeviceError::bad_parameters(format!(
            "the model has no service for method `{}`",
            request.method
        )),
    )
}

/// Something that answers a device's Alink requests: a generated dispatcher wrapping a
/// device-side handler, or a simulated device. Object-safe, so an emulator can hold many
/// devices of different products.
pub trait Responder: Send + Sync {
    /// Answers one request. Failures are replies with an error code, never panics.
    fn respond<'a>(&'a self, request: &'a Request) -> Serving<'a>;
}

fn version() -> String {
    "1.0".to_string()
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

fn id_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match Value::deserialize(deserializer)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "`id` must be a string or a number, not {other}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_documented_sync_result_reads() {
        let text = r#"{"code":200,"data":{},"id":"100686","message":"success","version":"1.0"}"#;
        let reply = Reply::from_json(text).unwrap();
        assert!(reply.is_ok());
        assert_eq!(reply.id, "100686");
        assert_eq!(reply.data, json!({}));
        assert_eq!(reply.device_error(), None);
    }

    #[test]
    fn numeric_ids_and_error_codes_read() {
        let reply = Reply::from_json(r#"{"id":7,"code":460,"message":"bad"}"#).unwrap();
        assert_eq!(reply.id, "7");
        assert_eq!(
            reply.device_error(),
            Some(DeviceError::bad_parameters("bad"))
        );
        assert_eq!(
            reply.device_error().unwrap().to_string(),
            "the device answered code 460: bad"
        );
    }

    #[test]
    fn requests_name_their_service() {
        let request = Request::service("1", "battery:Check", json!({"deep": 1}));
        assert_eq!(request.service_identifier(), Some("battery:Check"));
        let text = serde_json::to_string(&request).unwrap();
        assert_eq!(Request::from_json(&text).unwrap(), request);
        let set = Request::from_json(
            r#"{"id":"2","version":"1.0","params":{"on":1},"method":"thing.service.property.set"}"#,
        )
        .unwrap();
        assert_eq!(set.service_identifier(), Some("property.set"));
    }

    #[test]
    fn answers_carry_outputs_or_errors() {
        let request = Request::service("5", "Blink", json!({}));
        let ok = answer(&request, Ok(vec![1.0_f64]));
        assert_eq!(
            (ok.id.as_str(), ok.code, &ok.data),
            ("5", 200, &json!([1.0]))
        );
        let failed = answer::<()>(&request, Err(DeviceError::new(100_002, "stuck")));
        assert_eq!(
            (failed.code, failed.message.as_deref()),
            (100_002, Some("stuck"))
        );
        let broken = answer(&request, Ok(vec![f64::NAN]));
        assert_eq!(broken.code, codes::INTERNAL_ERROR);
        assert_eq!(unknown_service(&request).code, codes::BAD_PARAMETERS);
    }

    #[test]
    fn replies_round_trip() {
        let reply = Reply::ok("9", json!({"level": 80}));
        assert_eq!(Reply::from_json(&reply.to_json()).unwrap(), reply);
        let failed = Reply::error("9", &DeviceError::new(100_001, "jammed"));
        assert_eq!(failed.code, 100_001);
        assert_eq!(failed.message.as_deref(), Some("jammed"));
    }
}
