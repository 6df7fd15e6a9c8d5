//! What simulated devices send on the subscription, in the platform's forwarded shapes
//! (docs/subscription.md, "Messages"): property reports (on demand and at a rate), events,
//! status changes and replies.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde_json::{json, Map, Value};

use super::UplinkMessage;
use crate::clock::now_ms;
use crate::emulator::state::lock;
use crate::emulator::{EmulatorError, RunningEmulator};

/// A property report as the platform forwards it: `items` `{"Id": value}` become
/// `{"Id":{"value":..,"time":..}}`.
fn property_post(
    product_key: &str,
    device_name: &str,
    iot_id: Option<&str>,
    items: &Value,
) -> UplinkMessage {
    let now = now_ms();
    let mut wrapped = Map::new();
    if let Value::Object(items) = items {
        for (id, value) in items {
            wrapped.insert(id.clone(), json!({"value": value, "time": now}));
        }
    }
    let body = json!({
        "iotId": iot_id,
        "requestId": NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed).to_string(),
        "productKey": product_key,
        "deviceName": device_name,
        "gmtCreate": now,
        "items": wrapped,
    });
    UplinkMessage {
        topic: format!("/{product_key}/{device_name}/thing/event/property/post"),
        message_id: NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed).to_string(),
        generate_time: now,
        body: body.to_string().into_bytes(),
    }
}

/// A device's reply as the platform forwards it.
pub(super) fn reply_message(
    product_key: &str,
    device_name: &str,
    request_id: &str,
    reply_suffix: &str,
    code: i64,
    message: Option<&str>,
    data: &Value,
) -> UplinkMessage {
    let now = now_ms();
    let body = json!({
        "requestId": request_id,
        "productKey": product_key,
        "deviceName": device_name,
        "code": code,
        "message": message.unwrap_or(if code == 200 { "success" } else { "device error" }),
        "topic": format!("/sys/{product_key}/{device_name}/thing/service/{reply_suffix}"),
        "data": data,
        "gmtCreate": now,
    });
    UplinkMessage {
        topic: format!("/{product_key}/{device_name}/thing/downlink/reply/message"),
        message_id: NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed).to_string(),
        generate_time: now,
        body: body.to_string().into_bytes(),
    }
}

static NEXT_MESSAGE_ID: AtomicU64 = AtomicU64::new(1_900_000_000_000_000_001);

impl RunningEmulator {
    fn device_message(
        &self,
        product_key: &str,
        device_name: &str,
        topic: String,
        body: Map<String, Value>,
    ) -> Result<String, EmulatorError> {
        let server = self.amqp_server()?;
        if self.iot_id(product_key, device_name).is_none() {
            return Err(EmulatorError::UnknownDevice {
                product_key: product_key.to_string(),
                device_name: device_name.to_string(),
            });
        }
        let message_id = NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed).to_string();
        server.broker.publish(UplinkMessage {
            topic,
            message_id: message_id.clone(),
            generate_time: now_ms(),
            body: Value::Object(body).to_string().into_bytes(),
        });
        Ok(message_id)
    }

    fn envelope(&self, product_key: &str, device_name: &str) -> Map<String, Value> {
        let mut body = Map::new();
        body.insert("iotId".into(), json!(self.iot_id(product_key, device_name)));
        body.insert(
            "requestId".into(),
            json!(NEXT_MESSAGE_ID.fetch_add(1, Ordering::Relaxed).to_string()),
        );
        body.insert("productKey".into(), json!(product_key));
        body.insert("deviceName".into(), json!(device_name));
        body
    }

    /// Every online device reports all its properties (valid default values, as the
    /// emulator's default responder answers) every `interval`, until the emulator stops: a
    /// steady stream for trying a consumer. Returns at once; the reports come from a thread.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`], or [`EmulatorError::Io`] if the thread cannot start.
    pub fn report_every(&self, interval: Duration) -> Result<(), EmulatorError> {
        let server = self.amqp_server()?;
        let (broker, shared, running) = (
            server.broker.clone(),
            self.shared.clone(),
            server.reporting.clone(),
        );
        let interval = interval.max(Duration::from_millis(1));
        std::thread::Builder::new()
            .name("tsl-emulator-reporter".to_string())
            .spawn(move || {
                while running.load(Ordering::Acquire) {
                    std::thread::sleep(interval);
                    let devices = lock(&shared.devices).online();
                    for (pk, dn, iot_id) in devices {
                        let Some(model) = shared.config.products.get(&pk) else {
                            continue;
                        };
                        let items: Map<String, Value> = model
                            .properties()
                            .map(|(_, p)| {
                                (
                                    p.wire_identifier.clone(),
                                    crate::emulator::default_value(&p.data_type),
                                )
                            })
                            .collect();
                        if items.is_empty() {
                            continue;
                        }
                        broker.publish(property_post(
                            &pk,
                            &dn,
                            Some(&iot_id),
                            &Value::Object(items),
                        ));
                    }
                }
            })?;
        Ok(())
    }

    /// A device reports properties: `items` is `{"Id": value, ...}` (module properties as
    /// `module:Id`), sent as the platform forwards it, `{"Id":{"value":..,"time":..}}`.
    /// Values go out as given, unchecked: a test can send one that fails the model. Returns
    /// the message's `messageId`.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`], [`EmulatorError::UnknownDevice`].
    pub fn post_properties(
        &self,
        product_key: &str,
        device_name: &str,
        items: &Value,
    ) -> Result<String, EmulatorError> {
        let server = self.amqp_server()?;
        let Some(iot_id) = self.iot_id(product_key, device_name) else {
            return Err(EmulatorError::UnknownDevice {
                product_key: product_key.to_string(),
                device_name: device_name.to_string(),
            });
        };
        let message = property_post(product_key, device_name, Some(&iot_id), items);
        let message_id = message.message_id.clone();
        // Kept as the device's state too, for QueryDevicePropertyStatus and history (twin.rs).
        lock(&self.shared.twin).properties_reported(
            product_key,
            device_name,
            items,
            message.generate_time,
        );
        server.broker.publish(message);
        Ok(message_id)
    }

    /// A device reports event `identifier` (`module:Id` in a custom module) with output
    /// `value` (`{"field": value, ...}`, unchecked). Returns the `messageId`.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`], [`EmulatorError::UnknownDevice`].
    pub fn post_event(
        &self,
        product_key: &str,
        device_name: &str,
        identifier: &str,
        value: &Value,
    ) -> Result<String, EmulatorError> {
        let event = self.shared.config.products.get(product_key).and_then(|m| {
            m.events()
                .map(|(_, e)| e)
                .find(|e| e.wire_identifier == identifier)
                .cloned()
        });
        let mut body = self.envelope(product_key, device_name);
        body.insert("identifier".into(), json!(identifier));
        body.insert(
            "name".into(),
            json!(event
                .as_ref()
                .and_then(|e| e.name.clone())
                .unwrap_or_else(|| identifier.to_string())),
        );
        let kind = event
            .map(|e| format!("{:?}", e.kind).to_lowercase())
            .unwrap_or_else(|| "info".into());
        body.insert("type".into(), json!(kind));
        let time = now_ms();
        body.insert("time".into(), json!(time));
        body.insert("value".into(), value.clone());
        if self.iot_id(product_key, device_name).is_some() {
            // Kept for QueryDeviceEventData too (twin.rs).
            lock(&self.shared.twin).event_posted(product_key, device_name, identifier, value, time);
        }
        self.device_message(
            product_key,
            device_name,
            format!("/{product_key}/{device_name}/thing/event/{identifier}/post"),
            body,
        )
    }

    /// A device goes online (`true`) or offline. Returns the `messageId`.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`], [`EmulatorError::UnknownDevice`].
    pub fn post_status(
        &self,
        product_key: &str,
        device_name: &str,
        online: bool,
    ) -> Result<String, EmulatorError> {
        let now = format_time(now_ms());
        let mut body = Map::new();
        body.insert(
            "status".into(),
            json!(if online { "online" } else { "offline" }),
        );
        body.insert("iotId".into(), json!(self.iot_id(product_key, device_name)));
        body.insert("productKey".into(), json!(product_key));
        body.insert("deviceName".into(), json!(device_name));
        body.insert("time".into(), json!(now));
        body.insert("lastTime".into(), json!(now));
        body.insert("clientIp".into(), json!("127.0.0.1"));
        self.device_message(
            product_key,
            device_name,
            format!("/as/mqtt/status/{product_key}/{device_name}"),
            body,
        )
    }

    /// A device answers service `service` (`module:Id` in a custom module) of the call whose
    /// `MessageId` was `request_id`, with `code` and `data` (the output, unchecked). Returns
    /// the reply message's `messageId`.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`], [`EmulatorError::UnknownDevice`].
    pub fn post_service_reply(
        &self,
        product_key: &str,
        device_name: &str,
        request_id: &str,
        service: &str,
        code: i64,
        data: &Value,
    ) -> Result<String, EmulatorError> {
        self.post_reply(
            product_key,
            device_name,
            request_id,
            &format!("{service}_reply"),
            code,
            data,
        )
    }

    /// A device answers the property set whose `MessageId` was `request_id`.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`], [`EmulatorError::UnknownDevice`].
    pub fn post_property_set_reply(
        &self,
        product_key: &str,
        device_name: &str,
        request_id: &str,
        code: i64,
    ) -> Result<String, EmulatorError> {
        self.post_reply(
            product_key,
            device_name,
            request_id,
            "property/set_reply",
            code,
            &json!({}),
        )
    }

    fn post_reply(
        &self,
        product_key: &str,
        device_name: &str,
        request_id: &str,
        reply: &str,
        code: i64,
        data: &Value,
    ) -> Result<String, EmulatorError> {
        let mut body = self.envelope(product_key, device_name);
        body.insert("requestId".into(), json!(request_id));
        body.insert("code".into(), json!(code));
        body.insert(
            "message".into(),
            json!(if code == 200 {
                "success"
            } else {
                "device error"
            }),
        );
        body.insert(
            "topic".into(),
            json!(format!(
                "/sys/{product_key}/{device_name}/thing/service/{reply}"
            )),
        );
        body.insert("data".into(), data.clone());
        body.insert("gmtCreate".into(), json!(now_ms()));
        self.device_message(
            product_key,
            device_name,
            format!("/{product_key}/{device_name}/thing/downlink/reply/message"),
            body,
        )
    }
}

/// `yyyy-MM-dd HH:mm:ss.SSS` in UTC, the status messages' time format.
fn format_time(ms: i64) -> String {
    let Ok(at) = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000) else {
        return ms.to_string();
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.millisecond()
    )
}
