//! The typed operations: what each request holds, how it goes on the wire, what comes back.

use base64::Engine as _;

use super::answer::Answer;
use super::batch::BatchCall;
use super::Client;
use crate::addressing::check_topic_short_name;
use crate::cloud::{Accepted, BatchReport, Cloud, Device, Invoked};
use crate::error::Error;

/// The largest `BatchPub` message, before base64: [`crate::limits::MAX_MESSAGE_BYTES`]
/// (whether the platform counts before or after base64 is unverified: `docs/platform.md` §6).
pub const MAX_MESSAGE_BYTES: usize = crate::limits::MAX_MESSAGE_BYTES;

/// `Qos`: 0 at most once, 1 at least once (kept up to 7 days for an offline device).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Qos {
    /// 0.
    AtMostOnce,
    /// 1.
    AtLeastOnce,
}

impl Qos {
    fn wire(self) -> &'static str {
        match self {
            Qos::AtMostOnce => "0",
            Qos::AtLeastOnce => "1",
        }
    }
}

/// `InvokeThingService`: one service call on one device. Sync services answer with the
/// device's reply (`Data.Result`); async ones only with `MessageId`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeThingService {
    /// The device (an `IotId` wins over names on the platform).
    pub device: Device,
    /// The wire identifier: `Blink`, or `module:identifier` for a custom module.
    pub identifier: String,
    /// `Args`: the inputs as a JSON object (`{}` for none), encoded against the model.
    pub args: String,
    /// `Qos`, when not the platform's default.
    pub qos: Option<Qos>,
}

impl InvokeThingService {
    /// Calls `identifier` on `device` with `args`.
    pub fn new(device: Device, identifier: impl Into<String>, args: impl Into<String>) -> Self {
        InvokeThingService {
            device,
            identifier: identifier.into(),
            args: args.into(),
            qos: None,
        }
    }

    /// With this `Qos`.
    #[must_use]
    pub fn qos(mut self, qos: Qos) -> Self {
        self.qos = Some(qos);
        self
    }
}

/// `InvokeThingsService`: one async service call on many devices of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeThingsService {
    /// The product.
    pub product_key: String,
    /// The devices, any number: sent 100 a call.
    pub device_names: Vec<String>,
    /// The wire identifier.
    pub identifier: String,
    /// `Args`, a JSON object.
    pub args: String,
    /// `Qos`, when not the platform's default.
    pub qos: Option<Qos>,
}

impl InvokeThingsService {
    /// Calls `identifier` with `args` on every device named.
    pub fn new(
        product_key: impl Into<String>,
        device_names: Vec<String>,
        identifier: impl Into<String>,
        args: impl Into<String>,
    ) -> Self {
        InvokeThingsService {
            product_key: product_key.into(),
            device_names,
            identifier: identifier.into(),
            args: args.into(),
            qos: None,
        }
    }

    /// With this `Qos`.
    #[must_use]
    pub fn qos(mut self, qos: Qos) -> Self {
        self.qos = Some(qos);
        self
    }
}

/// `BatchPub`: one message to a custom topic of many devices,
/// `/${productKey}/${deviceName}/user/${TopicShortName}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchPub {
    /// The product.
    pub product_key: String,
    /// The devices, any number: sent 100 a call.
    pub device_names: Vec<String>,
    /// `TopicShortName`: the part after `user/`.
    pub topic_short_name: String,
    /// The message, any bytes, at most [`MAX_MESSAGE_BYTES`]; sent as base64.
    pub message: Vec<u8>,
    /// `Qos`, when not the platform's default.
    pub qos: Option<Qos>,
}

impl BatchPub {
    /// Publishes `message` on `topic_short_name` of every device named.
    pub fn new(
        product_key: impl Into<String>,
        device_names: Vec<String>,
        topic_short_name: impl Into<String>,
        message: impl Into<Vec<u8>>,
    ) -> Self {
        BatchPub {
            product_key: product_key.into(),
            device_names,
            topic_short_name: topic_short_name.into(),
            message: message.into(),
            qos: None,
        }
    }

    /// With this `Qos`.
    #[must_use]
    pub fn qos(mut self, qos: Qos) -> Self {
        self.qos = Some(qos);
        self
    }
}

/// `SetDeviceProperty`: set properties of one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDeviceProperty {
    /// The device.
    pub device: Device,
    /// `Items`: identifier → value, a JSON object encoded against the model.
    pub items: String,
    /// `Qos`, when not the platform's default.
    pub qos: Option<Qos>,
}

impl SetDeviceProperty {
    /// Sets `items` on `device`.
    pub fn new(device: Device, items: impl Into<String>) -> Self {
        SetDeviceProperty {
            device,
            items: items.into(),
            qos: None,
        }
    }
}

/// `SetDevicesProperty`: set properties of many devices of a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetDevicesProperty {
    /// The product.
    pub product_key: String,
    /// The devices, any number: sent 100 a call.
    pub device_names: Vec<String>,
    /// `Items`, a JSON object.
    pub items: String,
    /// `Qos`, when not the platform's default.
    pub qos: Option<Qos>,
}

impl SetDevicesProperty {
    /// Sets `items` on every device named.
    pub fn new(
        product_key: impl Into<String>,
        device_names: Vec<String>,
        items: impl Into<String>,
    ) -> Self {
        SetDevicesProperty {
            product_key: product_key.into(),
            device_names,
            items: items.into(),
            qos: None,
        }
    }
}

/// `QueryThingModel`: a product's model as `ThingModelJson` (the draft, unless a version is
/// named).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct QueryThingModel {
    /// The product.
    pub product_key: String,
    /// A custom module; the default module without.
    pub function_block_id: Option<String>,
    /// A published version; the draft without.
    pub model_version: Option<String>,
}

impl QueryThingModel {
    /// The draft model of `product_key`'s default module.
    pub fn new(product_key: impl Into<String>) -> Self {
        QueryThingModel {
            product_key: product_key.into(),
            ..QueryThingModel::default()
        }
    }
}

/// `GetThingModelTsl`: a product's model as TSL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetThingModelTsl {
    /// The product.
    pub product_key: String,
    /// A custom module; the default module without.
    pub function_block_id: Option<String>,
    /// A published version; the draft without.
    pub model_version: Option<String>,
    /// `Simple=true`: identifiers and data types only.
    pub simple: bool,
}

impl GetThingModelTsl {
    /// The draft TSL of `product_key`'s default module.
    pub fn new(product_key: impl Into<String>) -> Self {
        GetThingModelTsl {
            product_key: product_key.into(),
            ..GetThingModelTsl::default()
        }
    }
}

/// What `QueryThingModel` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingModelJson {
    /// The call's `RequestId`.
    pub request_id: String,
    /// `Data.ThingModelJson`: the model, JSON text ([`Model::parse`](crate::model::Model)
    /// reads it, or the whole `body`).
    pub thing_model_json: String,
    /// The whole answer, as received.
    pub body: String,
}

/// What `GetThingModelTsl` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThingModelTsl {
    /// The call's `RequestId`.
    pub request_id: String,
    /// `Data.TslStr`: the TSL, JSON text.
    pub tsl: String,
    /// `Data.TslUri`: the same on OSS, valid for 60 minutes.
    pub tsl_uri: Option<String>,
    /// The whole answer, as received.
    pub body: String,
}

/// The device's parameters: `IotId`, or `ProductKey` and `DeviceName`.
pub(crate) fn device_params<'a>(device: &'a Device, params: &mut Vec<(&'static str, &'a str)>) {
    match device {
        Device::IotId(id) => params.push(("IotId", id)),
        Device::Name {
            product_key,
            device_name,
        } => {
            params.push(("ProductKey", product_key));
            params.push(("DeviceName", device_name));
        }
    }
}

pub(crate) fn check_device(device: &Device) -> Result<(), Error> {
    match device {
        Device::IotId(id) if id.is_empty() => Err(Error::Refused("the IotId is empty".into())),
        Device::Name {
            product_key,
            device_name,
        } => crate::addressing::check_product_key(product_key)
            .and_then(|()| crate::addressing::check_device_name(device_name))
            .map_err(|problem| Error::Refused(problem.to_string())),
        Device::IotId(_) => Ok(()),
    }
}

/// `Args` and `Items` must be a JSON object: anything else fails on the platform with
/// `iot.check.InvalidFormattedParameter`, after the round trip.
pub(crate) fn check_object(name: &str, text: &str) -> Result<(), Error> {
    // Read as a `serde_json::Value` would be (same parser, same errors), without building
    // one: the tree was a visible part of the client's time per call (issue 17).
    if let Err(e) = serde_json::from_str::<Json>(text) {
        return Err(Error::Refused(format!("{name} is not JSON: {e}")));
    }
    // Valid JSON is an object exactly when it opens with `{` after JSON's whitespace.
    if text
        .trim_start_matches([' ', '\t', '\n', '\r'])
        .starts_with('{')
    {
        Ok(())
    } else {
        Err(Error::Refused(format!(
            "{name} must be a JSON object (`{{}}` for none)"
        )))
    }
}

/// Any JSON value, read through and dropped: what `serde_json::Value` accepts (numbers are
/// still converted, so one out of `f64`'s range is refused as there), nothing kept.
struct Json;

impl<'de> serde::Deserialize<'de> for Json {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> serde::de::Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any valid JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<Json, E> {
        Ok(Json)
    }

    fn visit_i64<E>(self, _: i64) -> Result<Json, E> {
        Ok(Json)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Json, E> {
        Ok(Json)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Json, E> {
        Ok(Json)
    }

    fn visit_str<E>(self, _: &str) -> Result<Json, E> {
        Ok(Json)
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json)
    }

    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        while seq.next_element::<Json>()?.is_some() {}
        Ok(Json)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        while map.next_key::<Json>()?.is_some() {
            map.next_value::<Json>()?;
        }
        Ok(Json)
    }
}

fn check_identifier(identifier: &str) -> Result<(), Error> {
    if identifier.is_empty() {
        return Err(Error::Refused("the Identifier is empty".into()));
    }
    Ok(())
}

fn check_topic(topic: &str) -> Result<(), Error> {
    check_topic_short_name(topic).map_err(|problem| Error::Refused(problem.to_string()))
}

/// `BatchPub`'s local checks: topic, and a message neither empty nor over the limit.
fn check_message(topic: &str, message: &[u8]) -> Result<(), Error> {
    check_topic(topic)?;
    if message.is_empty() {
        return Err(Error::Refused("the message is empty".into()));
    }
    if message.len() > MAX_MESSAGE_BYTES {
        return Err(Error::Refused(format!(
            "the message is {} bytes, over BatchPub's {MAX_MESSAGE_BYTES}",
            message.len()
        )));
    }
    Ok(())
}

fn qos_param(qos: Option<Qos>) -> Option<(&'static str, String)> {
    qos.map(|qos| ("Qos", qos.wire().to_string()))
}

impl InvokeThingsService {
    /// What every call of this batch sends, checked: see [`Client::run_batch`].
    ///
    /// # Errors
    /// [`Error::Refused`] for a product key the platform cannot have, an empty identifier,
    /// or `Args` that is not a JSON object.
    pub fn batch_call(&self) -> Result<BatchCall, Error> {
        invoke_things_call(&self.product_key, &self.identifier, &self.args, self.qos)
    }
}

fn invoke_things_call(
    product_key: &str,
    identifier: &str,
    args: &str,
    qos: Option<Qos>,
) -> Result<BatchCall, Error> {
    check_identifier(identifier)?;
    check_object("Args", args)?;
    let mut params = vec![
        ("Identifier", identifier.to_string()),
        ("Args", args.to_string()),
    ];
    params.extend(qos_param(qos));
    BatchCall::new("InvokeThingsService", product_key, params)
}

impl SetDevicesProperty {
    /// What every call of this batch sends, checked: see [`Client::run_batch`].
    ///
    /// # Errors
    /// [`Error::Refused`] for a product key the platform cannot have, or `Items` that is not
    /// a JSON object.
    pub fn batch_call(&self) -> Result<BatchCall, Error> {
        set_devices_call(&self.product_key, &self.items, self.qos)
    }
}

fn set_devices_call(product_key: &str, items: &str, qos: Option<Qos>) -> Result<BatchCall, Error> {
    check_object("Items", items)?;
    let mut params = vec![("Items", items.to_string())];
    params.extend(qos_param(qos));
    BatchCall::new("SetDevicesProperty", product_key, params)
}

impl BatchPub {
    /// What every call of this batch sends, checked: see [`Client::run_batch`].
    ///
    /// # Errors
    /// [`Error::Refused`] for a product key the platform cannot have, a topic it would not
    /// publish where meant, an empty message or one over [`MAX_MESSAGE_BYTES`].
    pub fn batch_call(&self) -> Result<BatchCall, Error> {
        check_message(&self.topic_short_name, &self.message)?;
        let content = base64::engine::general_purpose::STANDARD.encode(&self.message);
        let mut params = vec![
            ("TopicShortName", self.topic_short_name.clone()),
            ("MessageContent", content),
        ];
        params.extend(qos_param(self.qos));
        BatchCall::new("BatchPub", &self.product_key, params)
    }
}

impl Client {
    /// `InvokeThingService` on one device. Waits up to the invoke timeout (12 s by default:
    /// a sync service's device has 8 s).
    ///
    /// # Errors
    /// [`Error::Refused`] (nothing sent) for an empty device or identifier or `Args` that is
    /// not a JSON object; otherwise as [`Client::call`].
    pub async fn invoke_thing_service(
        &self,
        request: &InvokeThingService,
    ) -> Result<Invoked, Error> {
        check_device(&request.device)?;
        check_identifier(&request.identifier)?;
        check_object("Args", &request.args)?;
        let mut params = Vec::with_capacity(5);
        device_params(&request.device, &mut params);
        params.push(("Identifier", request.identifier.as_str()));
        params.push(("Args", request.args.as_str()));
        if let Some(qos) = request.qos {
            params.push(("Qos", qos.wire()));
        }
        let answer = self.call("InvokeThingService", &params).await?;
        let [message_id, result] = answer.data_fields(["MessageId", "Result"])?;
        Ok(Invoked {
            message_id,
            result,
            request_id: answer.request_id,
        })
    }

    /// `SetDeviceProperty` on one device.
    ///
    /// # Errors
    /// [`Error::Refused`] for an empty device or `Items` that is not a JSON object;
    /// otherwise as [`Client::call`].
    pub async fn set_device_property(
        &self,
        request: &SetDeviceProperty,
    ) -> Result<Accepted, Error> {
        check_device(&request.device)?;
        check_object("Items", &request.items)?;
        let mut params = Vec::with_capacity(4);
        device_params(&request.device, &mut params);
        params.push(("Items", request.items.as_str()));
        if let Some(qos) = request.qos {
            params.push(("Qos", qos.wire()));
        }
        let answer = self.call("SetDeviceProperty", &params).await?;
        Ok(Accepted {
            message_id: answer.data_field("MessageId")?,
            request_id: answer.request_id,
        })
    }

    /// `QueryThingModel`.
    ///
    /// # Errors
    /// [`Error::BadAnswer`] if the answer has no `Data.ThingModelJson`; otherwise as
    /// [`Client::call`].
    pub async fn query_thing_model(
        &self,
        request: &QueryThingModel,
    ) -> Result<ThingModelJson, Error> {
        let answer = self
            .call(
                "QueryThingModel",
                &model_params(
                    &request.product_key,
                    &request.function_block_id,
                    &request.model_version,
                ),
            )
            .await?;
        let thing_model_json = required(&answer, "ThingModelJson")?;
        Ok(ThingModelJson {
            request_id: answer.request_id.clone(),
            thing_model_json,
            body: answer.body,
        })
    }

    /// `GetThingModelTsl`.
    ///
    /// # Errors
    /// [`Error::BadAnswer`] if the answer has no `Data.TslStr`; otherwise as
    /// [`Client::call`].
    pub async fn get_thing_model_tsl(
        &self,
        request: &GetThingModelTsl,
    ) -> Result<ThingModelTsl, Error> {
        let mut params = model_params(
            &request.product_key,
            &request.function_block_id,
            &request.model_version,
        );
        if request.simple {
            params.push(("Simple", "true"));
        }
        let answer = self.call("GetThingModelTsl", &params).await?;
        let tsl = required(&answer, "TslStr")?;
        Ok(ThingModelTsl {
            request_id: answer.request_id.clone(),
            tsl,
            tsl_uri: answer.data_field("TslUri")?,
            body: answer.body,
        })
    }

    /// `InvokeThingsService` on any number of devices: calls of at most 100 unique names,
    /// side by side within the action's QPS (10 per second by default).
    ///
    /// # Errors
    /// Only when nothing was attempted: [`Error::Refused`] for an empty product key or
    /// identifier, or `Args` that is not a JSON object. Failed calls are in the report.
    pub async fn invoke_things_service(
        &self,
        request: &InvokeThingsService,
    ) -> Result<BatchReport, Error> {
        self.invoke_things(
            &request.product_key,
            &request.device_names,
            &request.identifier,
            &request.args,
            request.qos,
        )
        .await
    }

    async fn invoke_things(
        &self,
        product_key: &str,
        device_names: &[String],
        identifier: &str,
        args: &str,
        qos: Option<Qos>,
    ) -> Result<BatchReport, Error> {
        let call = invoke_things_call(product_key, identifier, args, qos)?;
        Ok(self.collect_batch(&call, device_names).await)
    }

    /// `SetDevicesProperty` on any number of devices, as
    /// [`invoke_things_service`](Client::invoke_things_service) (10 calls per second).
    ///
    /// # Errors
    /// Only when nothing was attempted: [`Error::Refused`] for an empty product key or
    /// `Items` that is not a JSON object.
    pub async fn set_devices_property(
        &self,
        request: &SetDevicesProperty,
    ) -> Result<BatchReport, Error> {
        self.set_devices(
            &request.product_key,
            &request.device_names,
            &request.items,
            request.qos,
        )
        .await
    }

    async fn set_devices(
        &self,
        product_key: &str,
        device_names: &[String],
        items: &str,
        qos: Option<Qos>,
    ) -> Result<BatchReport, Error> {
        let call = set_devices_call(product_key, items, qos)?;
        Ok(self.collect_batch(&call, device_names).await)
    }

    /// `BatchPub` of one message to any number of devices, 100 a call (50 calls per second).
    ///
    /// # Errors
    /// Only when nothing was attempted: [`Error::Refused`] for an empty product key, an
    /// empty or malformed topic, an empty message or one over [`MAX_MESSAGE_BYTES`].
    pub async fn batch_pub(&self, request: &BatchPub) -> Result<BatchReport, Error> {
        let call = request.batch_call()?;
        Ok(self.collect_batch(&call, &request.device_names).await)
    }
}

fn model_params<'a>(
    product_key: &'a str,
    function_block_id: &'a Option<String>,
    model_version: &'a Option<String>,
) -> Vec<(&'static str, &'a str)> {
    let mut params = vec![("ProductKey", product_key)];
    if let Some(id) = function_block_id {
        params.push(("FunctionBlockId", id));
    }
    if let Some(version) = model_version {
        params.push(("ModelVersion", version));
    }
    params
}

fn required(answer: &Answer, field: &str) -> Result<String, Error> {
    answer.data_field(field)?.ok_or_else(|| Error::BadAnswer {
        problem: format!("the answer has no Data.{field}"),
        raw: answer.body.clone(),
    })
}

impl Cloud for Client {
    async fn invoke_thing_service(
        &self,
        device: &Device,
        identifier: &str,
        args: &str,
    ) -> Result<Invoked, Error> {
        let request = InvokeThingService::new(device.clone(), identifier, args);
        Client::invoke_thing_service(self, &request).await
    }

    async fn invoke_things_service(
        &self,
        product_key: &str,
        device_names: &[String],
        identifier: &str,
        args: &str,
    ) -> Result<BatchReport, Error> {
        self.invoke_things(product_key, device_names, identifier, args, None)
            .await
    }

    async fn set_device_property(&self, device: &Device, items: &str) -> Result<Accepted, Error> {
        let request = SetDeviceProperty::new(device.clone(), items);
        Client::set_device_property(self, &request).await
    }

    async fn set_devices_property(
        &self,
        product_key: &str,
        device_names: &[String],
        items: &str,
    ) -> Result<BatchReport, Error> {
        self.set_devices(product_key, device_names, items, None)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_local_checks_refuse_before_sending() {
        assert!(check_object("Args", "{}").is_ok());
        for bad in ["", "[]", "1", r#"[{"key":"a","value":1}]"#, "{"] {
            assert!(
                matches!(check_object("Args", bad), Err(Error::Refused(_))),
                "{bad}"
            );
        }
        assert!(check_topic("cmd/get").is_ok());
        assert!(check_topic("get").is_ok());
        for bad in ["", "/get", "user/get", "a/+", "a/#", "a b", "a\n", "../x"] {
            assert!(check_topic(bad).is_err(), "{bad:?}");
        }
        assert!(check_device(&Device::iot_id("")).is_err());
        assert!(check_device(&Device::named("pk", "")).is_err());
        assert!(check_device(&Device::named("pk", "d")).is_ok());
    }

    /// The same verdict and message as reading the text into a `serde_json::Value`.
    #[test]
    fn object_check_answers_as_a_value_tree_would() {
        let as_value = |text: &str| match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(_)) => Ok(()),
            Ok(_) => Err("Args must be a JSON object (`{}` for none)".to_string()),
            Err(e) => Err(format!("Args is not JSON: {e}")),
        };
        for text in [
            "{}",
            " \t\r\n{\"a\":[1,-2,3.5e2,true,null,\"x\\u00e9\"],\"b\":{\"c\":{}}} ",
            r#"{"a":1e400}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a":1,"a":2}"#,
            r#"{"a":"\ud800"}"#,
            r#"{"a":01}"#,
            r#"{"a":1,}"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            "{} x",
            "\u{feff}{}",
            "[{}]",
            "\"{}\"",
            "null",
            "",
            "  ",
        ] {
            let ours = check_object("Args", text).map_err(|e| match e {
                Error::Refused(message) => message,
                other => panic!("{other:?}"),
            });
            assert_eq!(ours, as_value(text), "{text:?}");
        }
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert_eq!(
            check_object("Args", &format!("{{\"a\":{deep}}}")).is_err(),
            as_value(&format!("{{\"a\":{deep}}}")).is_err()
        );
    }
}
