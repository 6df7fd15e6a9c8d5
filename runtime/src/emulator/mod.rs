//! A local stand-in for the IoT Platform RPC API, on 127.0.0.1, for tests and local
//! development (feature `emulator`).
//!
//! It answers like the platform (`docs/platform.md` §5–§7):
//!
//! - **Gateway checks**, in order: required common parameters (`Missing<Name>`), `Version`
//!   `2018-01-20` (`InvalidVersion`), a known action (`InvalidAction.NotFound`, 404), the
//!   `Timestamp` format (`IllegalTimestamp`) and skew (`InvalidTimeStamp.Expired`, 15 min by
//!   default), the AccessKeyId (`InvalidAccessKeyId.NotFound`, 404), the signature
//!   (`SignatureDoesNotMatch`, with the server's string to sign in the message, like the real
//!   gateway), the STS token, nonce reuse (`SignatureNonceUsed`), the action's QPS over a
//!   sliding one-second window (`Throttling.User`), and `IotInstanceId` when configured.
//!   Signatures are checked from the raw query and body, independently of
//!   [`crate::sign`]: signature V1 (HMAC-SHA1, parameters in the query and/or a form body)
//!   and ACS3-HMAC-SHA256 (`Authorization` and `x-acs-*` headers).
//! - **Actions**: `InvokeThingService` (sync: the device's [`Responder`] answers within the
//!   sync timeout, 8 s by default, and `Data.Result` is its reply as an escaped JSON string;
//!   async: `MessageId`), `InvokeThingsService`, `BatchPub`, `SetDeviceProperty`,
//!   `SetDevicesProperty`, `QueryThingModel` (the internal `ThingModelJson`) and
//!   `GetThingModelTsl` (TSL, or simplified TSL with `Simple=true`); see [`export`].
//!   `Args` and `Items` are checked as strictly as the platform does: a `float` written `10`
//!   or a `bool` written `true` is refused with `iot.check.InvalidFormattedParameter` and a
//!   message naming the field.
//! - **Answers** in the platform's shapes: `{"RequestId","Success":true,"Code":"","Data"}`;
//!   business errors `{"RequestId","Success":false,"Code","ErrorMessage"}` (HTTP 200);
//!   gateway errors HTTP 4xx `{"RequestId","HostId","Code","Message","Recommend"}`.
//!
//! For tests, the [`RunningEmulator`] records every request ([`RecordedRequest`]: whether
//! the emulator acted on it and which devices it reached) and every message a device
//! received ([`DeviceMessage`]), takes devices offline or makes them slow, runs its clock
//! ahead of the client's ([`Emulator::clock_ahead`]), and injects
//! [`Fault`]s into the next requests of an action: instead of acting (a reset, a 5xx, a
//! malformed answer, ...) or, with [`Fault::After`], once the devices got the call. For long
//! runs, [`Emulator::keep_history`]`(false)` keeps nothing per request,
//! [`Emulator::on_request`] sees each one as it is answered (a request log,
//! [`RecordedRequest::log_line`]), and [`Emulator::any_device`] accepts every device name
//! of a served product without keeping anything per device.
//!
//! Where the platform's behaviour is not documented (`docs/platform.md` marks it UNVERIFIED), the
//! emulator picks the stricter reading and says so in its message: `Timestamp` without
//! milliseconds, `Format` JSON only, `DeviceName.N` duplicates counted once, the 256 KB
//! BatchPub limit applied to the decoded message, business errors on HTTP 200. A request
//! whose URL is longer than 64 KiB is refused with a bare HTTP 414 by the HTTP layer
//! (hyper's limit) before the emulator sees it, so it is not recorded: send large `BatchPub`
//! messages in a form body.
//!
//! ```
//! use tsl_runtime::emulator::{Device, Emulator};
//! use tsl_runtime::model::Model;
//! use tsl_runtime::sign::{sign_rpc_v1, CommonParams, Credentials};
//!
//! let model = Model::load(concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/models/street-lamp.json"))?.model;
//! let emulator = Emulator::new()
//!     .model(model)
//!     .credentials("testid", "testsecret")
//!     .device(Device::new("a1StreetLmp", "lamp-1"))
//!     .start()?;
//! assert!(emulator.endpoint().starts_with("http://127.0.0.1:"));
//!
//! // A signed GetThingModelTsl, sent over a plain socket.
//! let creds = Credentials::new("testid", "testsecret")?;
//! let mut params = CommonParams::fresh(&creds).into_params();
//! params.push(("Action".into(), "GetThingModelTsl".into()));
//! params.push(("ProductKey".into(), "a1StreetLmp".into()));
//! let signed = sign_rpc_v1("GET", params, &creds);
//! let answer = http_get(emulator.addr(), &signed.query)?;
//! assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
//! assert!(answer.contains(r#""Success":true"#));
//!
//! let recorded = emulator.requests();
//! assert_eq!(recorded[0].action.as_deref(), Some("GetThingModelTsl"));
//! assert_eq!(recorded[0].param("ProductKey"), Some("a1StreetLmp"));
//! emulator.shutdown();
//!
//! fn http_get(addr: std::net::SocketAddr, query: &str) -> std::io::Result<String> {
//!     use std::io::{Read, Write};
//!     let mut stream = std::net::TcpStream::connect(addr)?;
//!     write!(stream, "GET /?{query} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n")?;
//!     let mut answer = String::new();
//!     stream.read_to_string(&mut answer)?;
//!     Ok(answer)
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! [`Responder`]: crate::alink::Responder

mod actions;
pub mod amqp;
mod answer;
mod delivery;
mod devices;
pub mod export;
mod faults;
mod gateway;
mod params;
mod record;
mod server;
mod signature;
mod state;
mod strict;
mod throttle;
mod twin;
mod twin_original;
mod twin_params;
mod twin_properties;
mod twin_store;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use actions::{MAX_DEVICE_NAMES, MAX_MESSAGE_BYTES};

/// How many messages a consumer group keeps for its clients by default.
pub const DEFAULT_SUBSCRIPTION_BACKLOG: usize = 100_000;
pub use amqp::{AmqpStats, UplinkMessage};
pub use devices::{default_params, default_value, DefaultResponder, Device};
pub use faults::{Fault, FaultParseError};
pub use gateway::API_VERSION;
pub use record::{DeviceMessage, MessageKind, Outcome, RecordedRequest};
pub use throttle::DEFAULT_QPS;

use crate::alink::Responder;
use crate::model::{Model, ModelError, Parsed};
use devices::DeviceState;
use server::Server;
use state::{lock, Config, Credential, Devices, Observer, Shared};
use throttle::Throttle;

/// How long a sync `InvokeThingService` waits for the device: the platform's
/// [`crate::limits::SYNC_WAIT`].
pub const DEFAULT_SYNC_TIMEOUT: Duration = crate::limits::SYNC_WAIT;

/// How far a request's timestamp may be from the emulator's clock (Alibaba's gateway
/// tables: 15 minutes).
pub const DEFAULT_TIMESTAMP_SKEW: Duration = Duration::from_secs(15 * 60);

/// Why the emulator cannot start, or a change to a running one cannot be made.
#[derive(Debug, thiserror::Error)]
pub enum EmulatorError {
    /// Only 127.0.0.1 is ever bound.
    #[error("the emulator binds 127.0.0.1 only, not {0}")]
    NotLoopback(SocketAddr),
    /// A model did not load, or the modules of one product do not combine.
    #[error("the model of product `{product_key}` is invalid: {source}")]
    Model {
        /// The product.
        product_key: String,
        /// What is wrong.
        source: ModelError,
    },
    /// [`Emulator::model`] got a model that names no product key.
    #[error("a model names no product key; give one with `Emulator::model_for`")]
    NoProductKey,
    /// A device of a product without a model.
    #[error("device `{device_name}`: no model for its product `{product_key}`")]
    UnknownProduct {
        /// The product.
        product_key: String,
        /// The device.
        device_name: String,
    },
    /// The device is not registered.
    #[error("no device `{device_name}` of product `{product_key}`")]
    UnknownDevice {
        /// The product.
        product_key: String,
        /// The device.
        device_name: String,
    },
    /// Two devices with one name in one product, or one IotId.
    #[error("a device `{0}` is registered twice")]
    DuplicateDevice(String),
    /// A subscription call on an emulator without a consumer group
    /// ([`Emulator::consumer_group`]).
    #[error("the emulator serves no AMQP subscription; add a consumer group with `Emulator::consumer_group`")]
    NoSubscription,
    /// Binding or starting the server failed.
    #[error("the emulator could not start: {0}")]
    Io(#[from] std::io::Error),
}

/// What the emulator serves; [`Emulator::start`] runs it.
///
/// Defaults: no products, no keys, QPS from [`DEFAULT_QPS`], sync timeout
/// [`DEFAULT_SYNC_TIMEOUT`], timestamp skew [`DEFAULT_TIMESTAMP_SKEW`], no `IotInstanceId`,
/// a free port on 127.0.0.1.
pub struct Emulator {
    models: Vec<(Option<String>, Result<Parsed, EmulatorError>)>,
    credentials: HashMap<String, Credential>,
    iot_instance_id: Option<String>,
    qps: HashMap<String, u32>,
    sync_timeout: Duration,
    timestamp_skew: Duration,
    clock_ahead: Duration,
    devices: Vec<Device>,
    any_device: bool,
    step_check: crate::value::StepCheck,
    keep_history: bool,
    observer: Option<Observer>,
    addr: SocketAddr,
    consumer_groups: Vec<String>,
    backlog: usize,
}

impl std::fmt::Debug for Emulator {
    /// Shows key ids, never secrets or tokens.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut keys: Vec<&String> = self.credentials.keys().collect();
        keys.sort();
        f.debug_struct("Emulator")
            .field(
                "products",
                &self.models.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("access_key_ids", &keys)
            .field("iot_instance_id", &self.iot_instance_id)
            .field("qps", &self.qps)
            .field("sync_timeout", &self.sync_timeout)
            .field("timestamp_skew", &self.timestamp_skew)
            .field("clock_ahead", &self.clock_ahead)
            .field("devices", &self.devices)
            .field("any_device", &self.any_device)
            .field("step_check", &self.step_check)
            .field("keep_history", &self.keep_history)
            .field("on_request", &self.observer.is_some())
            .field("addr", &self.addr)
            .finish()
    }
}

impl Default for Emulator {
    fn default() -> Emulator {
        Emulator::new()
    }
}

impl Emulator {
    /// An emulator with the defaults above.
    pub fn new() -> Emulator {
        Emulator {
            models: Vec::new(),
            credentials: HashMap::new(),
            iot_instance_id: None,
            qps: DEFAULT_QPS
                .iter()
                .map(|(action, qps)| (action.to_string(), *qps))
                .collect(),
            sync_timeout: DEFAULT_SYNC_TIMEOUT,
            timestamp_skew: DEFAULT_TIMESTAMP_SKEW,
            clock_ahead: Duration::ZERO,
            devices: Vec::new(),
            any_device: false,
            step_check: crate::value::StepCheck::Warn,
            keep_history: true,
            observer: None,
            addr: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            consumer_groups: Vec::new(),
            backlog: DEFAULT_SUBSCRIPTION_BACKLOG,
        }
    }

    /// Serves a model under its own product key. Give a product's modules one by one (or
    /// combined): models of one product key are combined with [`Model::combine`].
    #[must_use]
    pub fn model(mut self, model: Model) -> Emulator {
        let key = model.product_key.clone();
        let parsed = match key {
            Some(_) => Ok(Parsed {
                model,
                warnings: Vec::new(),
            }),
            None => Err(EmulatorError::NoProductKey),
        };
        self.models.push((key, parsed));
        self
    }

    /// Serves a model under `product_key` (for models that name none, or another).
    #[must_use]
    pub fn model_for(mut self, product_key: impl Into<String>, mut model: Model) -> Emulator {
        let key = product_key.into();
        model.product_key = Some(key.clone());
        self.models.push((
            Some(key),
            Ok(Parsed {
                model,
                warnings: Vec::new(),
            }),
        ));
        self
    }

    /// Serves the model files of one product (a default module and custom modules) under
    /// `product_key`. Problems are reported by [`Emulator::start`].
    #[must_use]
    pub fn model_files<P: AsRef<Path>>(
        mut self,
        product_key: impl Into<String>,
        paths: &[P],
    ) -> Emulator {
        let key = product_key.into();
        let parsed = Model::load_all(paths).map_err(|source| EmulatorError::Model {
            product_key: key.clone(),
            source,
        });
        self.models.push((Some(key), parsed));
        self
    }

    /// Accepts requests signed with this key pair.
    #[must_use]
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
    ) -> Emulator {
        self.credentials.insert(
            access_key_id.into(),
            Credential {
                secret: secret.into(),
                token: None,
            },
        );
        self
    }

    /// Accepts requests signed with this temporary (STS) key pair and carrying `token`.
    #[must_use]
    pub fn sts_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret: impl Into<String>,
        token: impl Into<String>,
    ) -> Emulator {
        self.credentials.insert(
            access_key_id.into(),
            Credential {
                secret: secret.into(),
                token: Some(token.into()),
            },
        );
        self
    }

    /// Requires `IotInstanceId` to be this ID on every call (an instance with an ID).
    /// Without it, a call that sends one is refused as for an unknown instance.
    #[must_use]
    pub fn iot_instance_id(mut self, id: impl Into<String>) -> Emulator {
        self.iot_instance_id = Some(id.into());
        self
    }

    /// Sets an action's QPS (calls admitted per sliding second).
    #[must_use]
    pub fn qps(mut self, action: impl Into<String>, limit: u32) -> Emulator {
        self.qps.insert(action.into(), limit);
        self
    }

    /// Lifts an action's QPS limit.
    #[must_use]
    pub fn unlimited(mut self, action: &str) -> Emulator {
        self.qps.remove(action);
        self
    }

    /// How long a sync service call waits for the device.
    #[must_use]
    pub fn sync_timeout(mut self, timeout: Duration) -> Emulator {
        self.sync_timeout = timeout;
        self
    }

    /// How far a request's timestamp may be from the clock.
    #[must_use]
    pub fn timestamp_skew(mut self, skew: Duration) -> Emulator {
        self.timestamp_skew = skew;
        self
    }

    /// Runs the emulator's clock this far ahead of the machine's, as a gateway whose clock
    /// differs from the client's: every request's `Timestamp` looks that much older, so past
    /// the allowed skew ([`Emulator::timestamp_skew`]) requests are refused with
    /// `InvalidTimeStamp.Expired`. For testing how a client with a drifting clock fails.
    #[must_use]
    pub fn clock_ahead(mut self, ahead: Duration) -> Emulator {
        self.clock_ahead = ahead;
        self
    }

    /// Registers a device.
    #[must_use]
    pub fn device(mut self, device: Device) -> Emulator {
        self.devices.push(device);
        self
    }

    /// Accepts any device name of a served product as an online device answered by the
    /// product's [`DefaultResponder`], as if registered. Nothing is kept per device that
    /// is not registered, so a million names cost no memory; such devices have no IotId
    /// (a call by `IotId` finds registered devices only). Registered devices keep their
    /// own settings (offline, slow, responder).
    #[must_use]
    pub fn any_device(mut self) -> Emulator {
        self.any_device = true;
        self
    }

    /// How a call's `Args` or `Items` with a number off its model's `step` is answered:
    /// [`StepCheck::Warn`](crate::value::StepCheck::Warn) (the default) accepts it, as the
    /// platform may (whether it refuses such values is not established, docs/checks.md),
    /// logging a `tracing` warning per value; `Strict` refuses it (`iot.check.InvalidFormattedParameter`),
    /// as a value out of range; `Off` accepts it silently.
    #[must_use]
    pub fn step_check(mut self, step_check: crate::value::StepCheck) -> Emulator {
        self.step_check = step_check;
        self
    }

    /// Whether every request and device message is kept for
    /// [`RunningEmulator::requests`] and [`RunningEmulator::messages`] (the default).
    /// `false` for long runs: memory then stays flat however many requests come, and
    /// [`Emulator::on_request`] is the way to see them.
    #[must_use]
    pub fn keep_history(mut self, keep: bool) -> Emulator {
        self.keep_history = keep;
        self
    }

    /// Calls `observer` with each request once its answer is decided (before a stalled
    /// answer is sent, so a stall is seen at once): a request log. It runs on the
    /// server's tasks, so it should be quick (a buffered write).
    #[must_use]
    pub fn on_request(
        mut self,
        observer: impl Fn(&RecordedRequest) + Send + Sync + 'static,
    ) -> Emulator {
        self.observer = Some(Arc::new(observer));
        self
    }

    /// The most messages a consumer group keeps for its clients (default
    /// [`DEFAULT_SUBSCRIPTION_BACKLOG`]): past it the oldest are dropped and counted
    /// ([`AmqpStats::dropped`]), so a long run with no consumer does not grow without end.
    #[must_use]
    pub fn subscription_backlog(mut self, messages: usize) -> Emulator {
        self.backlog = messages.max(1);
        self
    }

    /// Serves the AMQP subscription (see [`amqp`]) with this consumer group; call again for
    /// more groups. Without any, no AMQP endpoint is started.
    #[must_use]
    pub fn consumer_group(mut self, group: impl Into<String>) -> Emulator {
        self.consumer_groups.push(group.into());
        self
    }

    /// Listens on this port of 127.0.0.1 (0, the default: any free port).
    #[must_use]
    pub fn port(mut self, port: u16) -> Emulator {
        self.addr.set_port(port);
        self
    }

    /// Listens on this address, which must be 127.0.0.1 ([`Emulator::start`] refuses any
    /// other).
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Emulator {
        self.addr = addr;
        self
    }

    /// Checks the configuration, binds the port and starts serving on a thread of its own.
    ///
    /// # Errors
    /// A non-loopback address, a model that is invalid or names no product, a device of an
    /// unknown product or registered twice, or a port that cannot be bound.
    pub fn start(self) -> Result<RunningEmulator, EmulatorError> {
        if self.addr.ip() != IpAddr::V4(Ipv4Addr::LOCALHOST) {
            return Err(EmulatorError::NotLoopback(self.addr));
        }
        let mut grouped: HashMap<String, Vec<Parsed>> = HashMap::new();
        for (key, parsed) in self.models {
            let parsed = parsed?;
            let key = key.ok_or(EmulatorError::NoProductKey)?;
            grouped.entry(key).or_default().push(parsed);
        }
        let mut products = HashMap::new();
        for (key, parts) in grouped {
            let combined = Model::combine(parts).map_err(|source| EmulatorError::Model {
                product_key: key.clone(),
                source,
            })?;
            let mut model = combined.model;
            model.product_key = Some(key.clone());
            products.insert(key, Arc::new(model));
        }
        let default_responders: HashMap<String, Arc<dyn Responder>> = products
            .iter()
            .map(|(key, model)| {
                let responder: Arc<dyn Responder> = Arc::new(DefaultResponder::new(model.clone()));
                (key.clone(), responder)
            })
            .collect();
        let mut devices = Devices::default();
        for device in self.devices {
            register(&mut devices, &default_responders, device)?;
        }
        let amqp = if self.consumer_groups.is_empty() {
            None
        } else {
            Some(amqp::AmqpServer::spawn(
                amqp::Login {
                    secrets: self
                        .credentials
                        .iter()
                        .map(|(id, c)| (id.clone(), c.secret.clone()))
                        .collect(),
                    iot_instance_id: self.iot_instance_id.clone(),
                    groups: self.consumer_groups,
                    skew: self.timestamp_skew,
                },
                self.backlog,
            )?)
        };
        let listener = std::net::TcpListener::bind(self.addr)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(
            Config {
                products,
                credentials: self.credentials,
                iot_instance_id: self.iot_instance_id,
                timestamp_skew: self.timestamp_skew,
                clock_ahead: self.clock_ahead,
                sync_timeout: self.sync_timeout,
                any_device: self.any_device,
                step_check: self.step_check,
                default_responders,
            },
            devices,
            Throttle::new(self.qps),
            self.keep_history,
            self.observer,
        ));
        if let Some(amqp) = &amqp {
            let _ = shared.uplink.set(Arc::new(amqp.uplink()));
        }
        let server = Server::spawn(listener, shared.clone())?;
        Ok(RunningEmulator {
            addr,
            shared,
            server,
            amqp,
        })
    }
}

/// Adds a device; returns its IotId.
fn register(
    devices: &mut Devices,
    default_responders: &HashMap<String, Arc<dyn Responder>>,
    device: Device,
) -> Result<String, EmulatorError> {
    let Some(default_responder) = default_responders.get(&device.product_key) else {
        return Err(EmulatorError::UnknownProduct {
            product_key: device.product_key,
            device_name: device.device_name,
        });
    };
    // One default responder per product, shared: a fleet of registered devices costs a
    // registry entry each, not a responder each.
    let responder = device
        .responder
        .unwrap_or_else(|| default_responder.clone());
    devices
        .insert(
            &device.product_key,
            &device.device_name,
            device.iot_id,
            device.online,
            device.slow,
            responder,
        )
        .map_err(|taken| EmulatorError::DuplicateDevice(taken.0))
}

/// A running emulator. Dropping it stops the server, as [`RunningEmulator::shutdown`] does.
pub struct RunningEmulator {
    addr: SocketAddr,
    shared: Arc<Shared>,
    server: Server,
    amqp: Option<amqp::AmqpServer>,
}

impl std::fmt::Debug for RunningEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningEmulator")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl RunningEmulator {
    /// The endpoint to give a client: `http://127.0.0.1:PORT/`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The address listened on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in the order answered (none with
    /// [`Emulator::keep_history`]`(false)`).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).requests()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        lock(&self.shared.requests).clear();
    }

    /// Every message devices received so far, in order (none with
    /// [`Emulator::keep_history`]`(false)`).
    pub fn messages(&self) -> Vec<DeviceMessage> {
        lock(&self.shared.messages).messages()
    }

    /// Forgets the recorded messages.
    pub fn clear_messages(&self) {
        lock(&self.shared.messages).clear();
    }

    /// Registers another device; returns its IotId.
    ///
    /// # Errors
    /// [`EmulatorError::UnknownProduct`], [`EmulatorError::DuplicateDevice`].
    pub fn add_device(&self, device: Device) -> Result<String, EmulatorError> {
        register(
            &mut lock(&self.shared.devices),
            &self.shared.config.default_responders,
            device,
        )
    }

    /// The IotId of a device.
    pub fn iot_id(&self, product_key: &str, device_name: &str) -> Option<String> {
        let devices = lock(&self.shared.devices);
        devices
            .get(product_key, device_name)
            .map(|d| devices.iot_id(d))
    }

    /// Takes a device offline (`true`) or back online.
    ///
    /// # Errors
    /// [`EmulatorError::UnknownDevice`].
    pub fn set_offline(
        &self,
        product_key: &str,
        device_name: &str,
        offline: bool,
    ) -> Result<(), EmulatorError> {
        self.with_device(product_key, device_name, |d| d.online = !offline)
    }

    /// Delays every answer of a device (`Duration::ZERO`: prompt again).
    ///
    /// # Errors
    /// [`EmulatorError::UnknownDevice`].
    pub fn set_slow(
        &self,
        product_key: &str,
        device_name: &str,
        delay: Duration,
    ) -> Result<(), EmulatorError> {
        self.with_device(product_key, device_name, |d| d.slow = delay)
    }

    /// Answers a device's requests with `responder` from now on.
    ///
    /// # Errors
    /// [`EmulatorError::UnknownDevice`].
    pub fn set_responder(
        &self,
        product_key: &str,
        device_name: &str,
        responder: Arc<dyn Responder>,
    ) -> Result<(), EmulatorError> {
        self.with_device(product_key, device_name, |d| d.responder = responder)
    }

    /// Answers the next `times` requests of `action` with `fault` instead of (or, for
    /// [`Fault::Delay`], before) the normal answer; with [`Fault::After`], the request is
    /// handled in full first (its devices reached, [`RecordedRequest::acted`] set) and only
    /// the answer is spoiled. Faults apply in the order injected.
    pub fn inject_fault(&self, action: &str, fault: Fault, times: u32) {
        lock(&self.shared.faults).inject(Some(action.to_string()), fault, times);
    }

    /// [`RunningEmulator::inject_fault`] for requests of any action.
    pub fn inject_fault_any(&self, fault: Fault, times: u32) {
        lock(&self.shared.faults).inject(None, fault, times);
    }

    /// Drops the faults not yet used.
    pub fn clear_faults(&self) {
        lock(&self.shared.faults).clear();
    }

    /// Stops the server: no new connections, open ones dropped, background device answers
    /// cancelled. Returns once the server thread has ended.
    pub fn shutdown(mut self) {
        if let Some(amqp) = self.amqp.as_mut() {
            amqp.stop();
        }
        self.server.stop();
    }

    fn with_device(
        &self,
        product_key: &str,
        device_name: &str,
        change: impl FnOnce(&mut DeviceState),
    ) -> Result<(), EmulatorError> {
        let mut devices = lock(&self.shared.devices);
        let device = devices.get_mut(product_key, device_name).ok_or_else(|| {
            EmulatorError::UnknownDevice {
                product_key: product_key.to_string(),
                device_name: device_name.to_string(),
            }
        })?;
        change(device);
        Ok(())
    }
}
