//! The platform's AMQP 1.0 server-side subscription, served on 127.0.0.1 (fe2o3-amqp's
//! acceptor) next to the RPC API: enable it with [`Emulator::consumer_group`].
//!
//! - **Login**: SASL PLAIN with the `aksign` user name and HMAC password, checked exactly
//!   (docs/subscription.md): a wrong signature, a timestamp off by more than the emulator's
//!   timestamp skew, an unknown AccessKey ID, instance or consumer group is refused with SASL
//!   outcome `auth` and the reason as additional data (never the secret).
//! - **Delivery**: each consumer group has one queue; its connected clients (up to 64) take
//!   turns on it, each limited by its link credit. A message is done when the client accepts
//!   it; released, or unsettled when its connection drops, it goes back to the front of the
//!   queue and is delivered again (at-least-once). A client that does not open its receiver
//!   link within 15 s is disconnected.
//! - **Devices**: [`RunningEmulator::post_properties`], [`RunningEmulator::post_event`],
//!   [`RunningEmulator::post_status`] and the reply helpers publish what a device would send,
//!   in the platform's forwarded shapes; [`RunningEmulator::publish`] sends any topic and
//!   body (a malformed body, a lifecycle message).
//! - **Faults**: [`RunningEmulator::drop_amqp_after`] drops a connection mid-stream;
//!   [`RunningEmulator::drop_amqp_connections`] drops every open one now.
//!
//! [`Emulator::consumer_group`]: crate::emulator::Emulator::consumer_group

mod broker;
mod sasl;
mod server;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Map, Value};
use tokio::sync::oneshot;

use super::state::lock;
use super::{EmulatorError, RunningEmulator};
use broker::Broker;
pub(crate) use sasl::Login;

/// A message as the platform publishes it to a consumer group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UplinkMessage {
    /// The `topic` application property.
    pub topic: String,
    /// The `messageId` application property.
    pub message_id: String,
    /// The `generateTime` application property (epoch ms).
    pub generate_time: i64,
    /// The body (a data section), normally JSON.
    pub body: Vec<u8>,
}

/// What the subscription endpoint has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AmqpStats {
    /// Messages published (each goes to every group).
    pub published: u64,
    /// Transfers made, redeliveries included.
    pub deliveries: u64,
    /// Deliveries the clients accepted.
    pub accepted: u64,
    /// Messages put back for redelivery (released, or unsettled when a connection dropped).
    pub redelivered: u64,
    /// Deliveries the clients released.
    pub released: u64,
    /// Deliveries the clients rejected (not redelivered).
    pub rejected: u64,
    /// Clients that logged in and opened their link.
    pub connections: u64,
    /// Logins refused.
    pub refused: u64,
    /// Messages waiting in the groups' queues.
    pub queued: u64,
    /// Messages delivered and not yet settled.
    pub in_flight: u64,
    /// Connected clients per consumer group.
    pub clients: HashMap<String, usize>,
}

/// The running AMQP listener.
pub(crate) struct AmqpServer {
    pub addr: SocketAddr,
    pub broker: Arc<Broker>,
    /// Cleared on stop: ends the periodic reporter ([`RunningEmulator::report_every`]).
    reporting: Arc<std::sync::atomic::AtomicBool>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl AmqpServer {
    /// Binds 127.0.0.1 on a free port and serves on a thread of its own.
    pub(crate) fn spawn(login: Login) -> std::io::Result<AmqpServer> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let broker = Arc::new(Broker::new(login));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("tsl-emulator-amqp")
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel();
        let served = broker.clone();
        let thread = std::thread::Builder::new()
            .name("tsl-emulator-amqp".to_string())
            .spawn(move || {
                runtime.block_on(async move {
                    match tokio::net::TcpListener::from_std(listener) {
                        Ok(listener) => server::serve(listener, served.clone(), stopped).await,
                        Err(_) => return,
                    }
                    // Open connections end with the runtime below; drop them first so
                    // clients see the connection go rather than hang.
                    served.drop_all();
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })?;
        Ok(AmqpServer {
            addr,
            broker,
            reporting: Arc::new(std::sync::atomic::AtomicBool::new(true)),
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// The handle the RPC side publishes device replies with.
    pub(crate) fn uplink(&self) -> Uplink {
        Uplink {
            broker: self.broker.clone(),
        }
    }

    pub(crate) fn stop(&mut self) {
        self.reporting.store(false, Ordering::Release);
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for AmqpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Publishes what simulated devices answer to async calls (services and property sets made
/// through the RPC API), as the platform forwards it: a `thing/downlink/reply/message` whose
/// `requestId` is the call's `MessageId`.
pub(crate) struct Uplink {
    broker: Arc<Broker>,
}

impl Uplink {
    pub(crate) fn publish_reply(
        &self,
        product_key: &str,
        device_name: &str,
        request: &crate::alink::Request,
        reply: &crate::alink::Reply,
    ) {
        let service = request
            .method
            .strip_prefix("thing.service.")
            .unwrap_or(&request.method);
        let suffix = if service == "property.set" {
            "property/set_reply".to_string()
        } else {
            format!("{service}_reply")
        };
        self.broker.publish(reply_message(
            product_key,
            device_name,
            &request.id,
            &suffix,
            reply.code,
            reply.message.as_deref(),
            &reply.data,
        ));
    }
}

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
fn reply_message(
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

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

impl RunningEmulator {
    fn amqp_server(&self) -> Result<&AmqpServer, EmulatorError> {
        self.amqp.as_ref().ok_or(EmulatorError::NoSubscription)
    }

    /// The subscription endpoint, `amqp://127.0.0.1:PORT`, when a consumer group was
    /// configured.
    pub fn amqp_endpoint(&self) -> Option<String> {
        self.amqp.as_ref().map(|s| format!("amqp://{}", s.addr))
    }

    /// What the subscription endpoint has done so far.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn amqp_stats(&self) -> Result<AmqpStats, EmulatorError> {
        Ok(self.amqp_server()?.broker.stats())
    }

    /// Publishes a message to every consumer group, as is: any topic, any body.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn publish(&self, message: UplinkMessage) -> Result<(), EmulatorError> {
        self.amqp_server()?.broker.publish(message);
        Ok(())
    }

    /// Drops the connection that makes the `n`-th delivery from now (`n >= 1`), right after
    /// sending it: what that client had not accepted is delivered again.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn drop_amqp_after(&self, n: u32) -> Result<(), EmulatorError> {
        let broker = &self.amqp_server()?.broker;
        broker.drop_after.store(n.max(1), Ordering::Release);
        broker.drop_armed.store(true, Ordering::Release);
        Ok(())
    }

    /// Drops every open subscription connection now; returns how many.
    ///
    /// # Errors
    /// [`EmulatorError::NoSubscription`] without a consumer group.
    pub fn drop_amqp_connections(&self) -> Result<usize, EmulatorError> {
        Ok(self.amqp_server()?.broker.drop_all())
    }

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
                    let devices: Vec<(String, String, String)> = lock(&shared.devices)
                        .by_name
                        .values()
                        .filter(|d| d.online)
                        .map(|d| {
                            (
                                d.product_key.clone(),
                                d.device_name.clone(),
                                d.iot_id.clone(),
                            )
                        })
                        .collect();
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
        body.insert("time".into(), json!(now_ms()));
        body.insert("value".into(), value.clone());
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
