//! What a running emulator holds, shared by the server tasks and the test-facing handle.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use super::devices::DeviceState;
use super::faults::Faults;
use super::record::{DeviceMessage, RecordedRequest};
use super::throttle::Throttle;
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
    pub sync_timeout: Duration,
}

/// The devices, by product key and name, and by IotId.
#[derive(Default)]
pub(crate) struct Devices {
    pub by_name: HashMap<(String, String), DeviceState>,
    pub by_iot_id: HashMap<String, (String, String)>,
}

impl Devices {
    pub(crate) fn get_mut(
        &mut self,
        product_key: &str,
        device_name: &str,
    ) -> Option<&mut DeviceState> {
        self.by_name
            .get_mut(&(product_key.to_string(), device_name.to_string()))
    }

    pub(crate) fn get(&self, product_key: &str, device_name: &str) -> Option<&DeviceState> {
        self.by_name
            .get(&(product_key.to_string(), device_name.to_string()))
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

pub(crate) struct Shared {
    pub config: Config,
    pub devices: Mutex<Devices>,
    pub throttle: Mutex<Throttle>,
    pub nonces: Mutex<Nonces>,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub messages: Mutex<Vec<DeviceMessage>>,
    seq: AtomicU64,
    message_ids: AtomicU64,
    /// The AMQP subscription, when served: device replies to async calls go there.
    pub uplink: std::sync::OnceLock<Arc<super::amqp::Uplink>>,
}

impl Shared {
    pub(crate) fn new(config: Config, devices: Devices, throttle: Throttle) -> Shared {
        Shared {
            config,
            devices: Mutex::new(devices),
            throttle: Mutex::new(throttle),
            nonces: Mutex::new(Nonces::default()),
            faults: Mutex::new(Faults::default()),
            requests: Mutex::new(Vec::new()),
            messages: Mutex::new(Vec::new()),
            seq: AtomicU64::new(0),
            message_ids: AtomicU64::new(FIRST_MESSAGE_ID),
            uplink: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn next_seq(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn next_message_id(&self) -> String {
        self.message_ids.fetch_add(1, Ordering::Relaxed).to_string()
    }
}

/// Locks a mutex; a panic elsewhere while it was held leaves data that is still usable
/// here (lists and maps), so poisoning is ignored rather than spread.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

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
