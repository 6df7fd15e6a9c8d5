//! What a running emulator holds, shared by the server tasks and the test-facing handle.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::devices::DeviceState;
use super::faults::Faults;
use super::record::{MessageLog, RecordedRequest, RequestLog};
use super::throttle::Throttle;
use crate::alink::Responder;
use crate::model::Model;

/// The first message id handed out: above 2^53, like real ones
/// (github.com/aliyun/alibabacloud-java-sdk/issues/39), so a client that reads ids
/// through `f64` is caught.
const FIRST_MESSAGE_ID: u64 = 1_894_186_889_322_557_440;

/// An accepted key pair.
#[derive(Clone)]
pub(crate) struct Credential {
    pub secret: String,
    /// The STS token requests must carry, when the pair is temporary.
    pub token: Option<String>,
}

/// Settings fixed at start.
pub(crate) struct Config {
    pub products: HashMap<String, Arc<Model>>,
    pub credentials: HashMap<String, Credential>,
    pub iot_instance_id: Option<String>,
    pub timestamp_skew: Duration,
    /// How far the emulator's clock runs ahead of the machine's (`Emulator::clock_ahead`).
    pub clock_ahead: Duration,
    pub sync_timeout: Duration,
    /// Every name of a served product is a device (`Emulator::any_device`).
    pub any_device: bool,
    /// How `Args` and `Items` off a step are treated (`Emulator::step_check`).
    pub step_check: crate::value::StepCheck,
    /// Each product's [`DefaultResponder`](super::DefaultResponder), shared by its devices
    /// that have no responder of their own.
    pub default_responders: HashMap<String, Arc<dyn Responder>>,
}

/// The registered devices: a list, indexed by product key and name, and by the IotIds
/// given explicitly. A generated IotId is this registry's random prefix and the device's
/// place in the list, so it needs no storage and no index of its own.
pub(crate) struct Devices {
    list: Vec<DeviceState>,
    by_name: HashMap<Arc<str>, HashMap<Arc<str>, usize>>,
    by_iot_id: HashMap<Box<str>, usize>,
    prefix: String,
}

/// Why a device cannot be added: this name or IotId is taken.
#[derive(Debug)]
pub(crate) struct Taken(pub String);

impl Default for Devices {
    fn default() -> Devices {
        // 12 hex digits drawn once: generated IotIds of two emulators do not meet.
        let prefix = uuid::Uuid::new_v4().simple().to_string()[..12].to_string();
        Devices {
            list: Vec::new(),
            by_name: HashMap::new(),
            by_iot_id: HashMap::new(),
            prefix,
        }
    }
}

impl Devices {
    fn index(&self, product_key: &str, device_name: &str) -> Option<usize> {
        self.by_name.get(product_key)?.get(device_name).copied()
    }

    pub(crate) fn get(&self, product_key: &str, device_name: &str) -> Option<&DeviceState> {
        self.list.get(self.index(product_key, device_name)?)
    }

    pub(crate) fn get_mut(
        &mut self,
        product_key: &str,
        device_name: &str,
    ) -> Option<&mut DeviceState> {
        let index = self.index(product_key, device_name)?;
        self.list.get_mut(index)
    }

    /// The device with this IotId, given or generated.
    /// Every online device: (product key, name, IotId).
    pub(crate) fn online(&self) -> Vec<(String, String, String)> {
        self.list
            .iter()
            .filter(|device| device.online)
            .map(|device| {
                (
                    device.product_key.to_string(),
                    device.device_name.to_string(),
                    self.iot_id(device),
                )
            })
            .collect()
    }

    pub(crate) fn by_iot_id(&self, iot_id: &str) -> Option<&DeviceState> {
        if let Some(index) = self.by_iot_id.get(iot_id) {
            return self.list.get(*index);
        }
        let index: usize = iot_id.strip_prefix(self.prefix.as_str())?.parse().ok()?;
        let device = self.list.get(index)?;
        // Only the exact generated form (`..0042`, not `..42`) of a device without its own.
        (device.iot_id.is_none() && self.generated(index) == iot_id).then_some(device)
    }

    /// A device's IotId.
    pub(crate) fn iot_id(&self, device: &DeviceState) -> String {
        match &device.iot_id {
            Some(iot_id) => iot_id.to_string(),
            None => self
                .index(&device.product_key, &device.device_name)
                .map(|index| self.generated(index))
                .unwrap_or_default(),
        }
    }

    fn generated(&self, index: usize) -> String {
        format!("{}{index:010}", self.prefix)
    }

    /// Adds a device; its product key is shared with the devices of its product.
    pub(crate) fn insert(
        &mut self,
        product_key: &str,
        device_name: &str,
        iot_id: Option<String>,
        online: bool,
        slow: Duration,
        responder: Arc<dyn Responder>,
    ) -> Result<String, Taken> {
        if self.index(product_key, device_name).is_some() {
            return Err(Taken(device_name.to_string()));
        }
        let index = self.list.len();
        let iot_id = match iot_id {
            Some(given) => {
                if self.by_iot_id(&given).is_some() {
                    return Err(Taken(given));
                }
                Some(given.into_boxed_str())
            }
            None => {
                if self.by_iot_id.contains_key(self.generated(index).as_str()) {
                    return Err(Taken(self.generated(index)));
                }
                None
            }
        };
        let product_key: Arc<str> = match self.by_name.get_key_value(product_key) {
            Some((shared, _)) => shared.clone(),
            None => Arc::from(product_key),
        };
        let device_name: Arc<str> = Arc::from(device_name);
        self.by_name
            .entry(product_key.clone())
            .or_default()
            .insert(device_name.clone(), index);
        if let Some(given) = &iot_id {
            self.by_iot_id.insert(given.clone(), index);
        }
        self.list.push(DeviceState {
            product_key,
            device_name,
            iot_id,
            online,
            slow,
            responder,
        });
        Ok(self.iot_id(&self.list[index]))
    }
}

/// Nonces seen, forgotten once their requests could no longer pass the timestamp check.
#[derive(Default)]
pub(crate) struct Nonces {
    seen: HashMap<String, Instant>,
    order: VecDeque<(Instant, String)>,
}

impl Nonces {
    /// Records `nonce`; `false` when it was seen within `keep`.
    pub(crate) fn first_use(&mut self, nonce: &str, now: Instant, keep: Duration) -> bool {
        while let Some((at, _)) = self.order.front() {
            if now.saturating_duration_since(*at) < keep {
                break;
            }
            if let Some((_, old)) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        if self.seen.contains_key(nonce) {
            return false;
        }
        self.seen.insert(nonce.to_string(), now);
        self.order.push_back((now, nonce.to_string()));
        true
    }
}

/// Called with each request once it is answered (`Emulator::on_request`).
pub(crate) type Observer = Arc<dyn Fn(&RecordedRequest) + Send + Sync>;

pub(crate) struct Shared {
    pub config: Config,
    /// Whether requests and device messages are kept for [`RunningEmulator::requests`] and
    /// [`RunningEmulator::messages`](super::RunningEmulator::messages); off, a long run holds
    /// no memory per request (`Emulator::keep_history`).
    ///
    /// [`RunningEmulator::requests`]: super::RunningEmulator::requests
    pub keep_history: bool,
    pub observer: Option<Observer>,
    pub devices: Mutex<Devices>,
    pub throttle: Mutex<Throttle>,
    pub nonces: Mutex<Nonces>,
    pub faults: Mutex<Faults>,
    /// The history of requests (record.rs [`RequestLog`]).
    pub requests: Mutex<RequestLog>,
    /// The history of device messages (record.rs [`MessageLog`]).
    pub messages: Mutex<MessageLog>,
    /// Whether either history has entries not yet compacted ([`Shared::settle_history`]).
    unsettled: std::sync::atomic::AtomicBool,
    /// Device state: reported properties, desired values, events, service calls.
    pub twin: Mutex<super::twin_store::Twin>,
    seq: AtomicU64,
    message_ids: AtomicU64,
    request_ids: RequestIds,
    /// The AMQP subscription, when served: device replies to async calls go there.
    pub uplink: std::sync::OnceLock<Arc<dyn ReplySink>>,
}

impl Shared {
    pub(crate) fn new(
        config: Config,
        devices: Devices,
        throttle: Throttle,
        keep_history: bool,
        observer: Option<Observer>,
    ) -> Shared {
        Shared {
            config,
            keep_history,
            observer,
            devices: Mutex::new(devices),
            throttle: Mutex::new(throttle),
            nonces: Mutex::new(Nonces::default()),
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(RequestLog::default()),
            messages: Mutex::new(MessageLog::default()),
            unsettled: std::sync::atomic::AtomicBool::new(false),
            twin: Mutex::new(super::twin_store::Twin::default()),
            seq: AtomicU64::new(0),
            message_ids: AtomicU64::new(FIRST_MESSAGE_ID),
            request_ids: RequestIds::new(),
            uplink: std::sync::OnceLock::new(),
        }
    }

    /// Records a request in the history (its compact form comes later:
    /// [`Shared::settle_history`]).
    pub(crate) fn keep_request(&self, request: RecordedRequest, decoded: bool) {
        lock(&self.requests).push((request, decoded));
        self.unsettled
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Records a device message in the history, as [`Shared::keep_request`].
    pub(crate) fn keep_message(&self, message: super::record::DeviceMessage) {
        lock(&self.messages).push(message);
        self.unsettled
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Compacts what the histories got since the last call: run by a connection once it has
    /// written its answers (server.rs), so it is off the request's path.
    pub(crate) fn settle_history(&self) {
        if self
            .unsettled
            .swap(false, std::sync::atomic::Ordering::Acquire)
        {
            lock(&self.requests).compact();
            lock(&self.messages).compact();
        }
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    /// A fresh `RequestId`, shaped like the platform's (upper-case UUID).
    pub(crate) fn next_request_id(&self) -> String {
        self.request_ids.next()
    }

    pub(crate) fn next_message_id(&self) -> String {
        self.message_ids.fetch_add(1, Ordering::Relaxed).to_string()
    }
}

/// `RequestId`s that look random and never repeat within a run, without a system call
/// each: a random seed drawn once, and a counter through a bijective mix (the splitmix64
/// finalizer), so distinct counts give distinct ids. A `getrandom` call per request was a
/// visible part of a call's cost (issue 17).
struct RequestIds {
    seed: (u64, u64),
    count: AtomicU64,
}

impl RequestIds {
    fn new() -> RequestIds {
        let seed = uuid::Uuid::new_v4().as_u64_pair();
        RequestIds {
            seed,
            count: AtomicU64::new(0),
        }
    }

    fn next(&self) -> String {
        let n = self.count.fetch_add(1, Ordering::Relaxed);
        let high = mix(n ^ self.seed.0);
        let low = mix(n.wrapping_add(self.seed.1));
        let bytes = (u128::from(high) << 64 | u128::from(low)).to_be_bytes();
        // Version 4, variant 1, like a v4 UUID.
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .hyphenated()
            .encode_upper(&mut uuid::Uuid::encode_buffer())
            .to_string()
    }
}

/// The splitmix64 finalizer: a bijection of u64 that scatters neighbouring inputs.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Locks a mutex; a panic elsewhere while it was held leaves data that is still usable
/// here (lists and maps), so poisoning is ignored rather than spread.
/// Where devices' replies to async calls go when the emulator serves a subscription (the
/// AMQP side implements it; the state only holds it, so it imports nothing of that side).
pub(crate) trait ReplySink: Send + Sync {
    /// Publishes `reply`, the answer of `device_name` to `request`, on the reply topic.
    fn publish_reply(
        &self,
        product_key: &str,
        device_name: &str,
        request: &crate::alink::Request,
        reply: &crate::alink::Reply,
    );
}

pub(crate) use crate::sync::lock;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_found_by_name_and_by_given_or_generated_iot_id() {
        let responder: Arc<dyn Responder> =
            Arc::new(super::super::DefaultResponder::new(Arc::new(
                crate::model::Model::load(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../examples/models/street-lamp.json"
                ))
                .unwrap()
                .model,
            )));
        let mut devices = Devices::default();
        let add = |devices: &mut Devices, name: &str, iot_id: Option<&str>| {
            devices.insert(
                "pk",
                name,
                iot_id.map(str::to_string),
                true,
                Duration::ZERO,
                responder.clone(),
            )
        };
        let first = add(&mut devices, "d1", None).unwrap();
        let second = add(&mut devices, "d2", Some("given-0001")).unwrap();
        assert_eq!(second, "given-0001");
        assert_ne!(first, second);
        assert_eq!(&*devices.by_iot_id(&first).unwrap().device_name, "d1");
        assert_eq!(&*devices.by_iot_id("given-0001").unwrap().device_name, "d2");
        // d2's generated form is not its IotId; a shortened form is no IotId at all.
        let d2_generated = devices.generated(1);
        assert!(devices.by_iot_id(&d2_generated).is_none());
        let short = format!("{}0", devices.prefix);
        assert!(devices.by_iot_id(&short).is_none());
        assert!(matches!(add(&mut devices, "d1", None), Err(Taken(n)) if n == "d1"));
        assert!(matches!(
            add(&mut devices, "d3", Some(&first)),
            Err(Taken(_))
        ));
        assert!(matches!(
            add(&mut devices, "d3", Some("given-0001")),
            Err(Taken(_))
        ));
        assert_eq!(devices.iot_id(devices.get("pk", "d1").unwrap()), first);
        assert!(devices.get("other", "d1").is_none());
        // The product key is stored once for its devices.
        let a = devices.get("pk", "d1").unwrap().product_key.clone();
        let b = devices.get("pk", "d2").unwrap().product_key.clone();
        assert!(Arc::ptr_eq(&a, &b));
    }

    #[test]
    fn request_ids_are_uuid_shaped_and_distinct() {
        let ids = RequestIds::new();
        let made: std::collections::HashSet<String> = (0..10_000).map(|_| ids.next()).collect();
        assert_eq!(made.len(), 10_000);
        for id in made.iter().take(50) {
            let parsed = uuid::Uuid::parse_str(id).expect("a UUID");
            assert_eq!(parsed.get_version_num(), 4);
            assert_eq!(id, &id.to_ascii_uppercase());
        }
    }

    #[test]
    fn nonces_are_refused_within_the_window_and_forgotten_after() {
        let mut nonces = Nonces::default();
        let t0 = Instant::now();
        let keep = Duration::from_secs(60);
        assert!(nonces.first_use("a", t0, keep));
        assert!(!nonces.first_use("a", t0 + Duration::from_secs(59), keep));
        assert!(nonces.first_use("b", t0 + Duration::from_secs(59), keep));
        assert!(nonces.first_use("a", t0 + Duration::from_secs(60), keep));
        assert_eq!(nonces.seen.len(), 2);
    }
}
