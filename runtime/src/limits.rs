//! The IoT Platform's documented limits, each defined once here and used by the client,
//! the emulator and the CLI (`docs/platform.md` §6).
//!
//! Plain data with no dependencies, so it is there whatever features are on: a device build
//! can size its own batches and messages by the same numbers.

use std::time::Duration;

/// The most device names (`DeviceName.N`) one call lists: InvokeThingsService,
/// SetDevicesProperty and BatchPub each take at most 100.
pub const MAX_DEVICE_NAMES: usize = 100;

/// The largest BatchPub message: 256 KB, counted here as 256 × 1024 bytes of the message
/// before base64 (whether the platform counts before or after encoding is not documented;
/// `docs/platform.md` marks it UNVERIFIED).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;

/// How long the platform waits for a device to answer a sync InvokeThingService before it
/// answers with a timeout: 8 seconds. Async calls have no such limit.
pub const SYNC_WAIT: Duration = Duration::from_secs(8);

/// The span the QPS limits count calls in: one second.
pub const QPS_WINDOW: Duration = Duration::from_secs(1);

/// The documented calls per second of each action, per Alibaba Cloud account (shared by
/// its RAM users). An action not listed has no documented limit. The device-state actions
/// (current, desired and history) are from each action's API page (`docs/state.md`).
pub const QPS: [(&str, u32); 21] = [
    ("InvokeThingService", 500),
    ("InvokeThingsService", 10),
    ("BatchPub", 50),
    ("SetDeviceProperty", 500),
    ("SetDevicesProperty", 10),
    ("QueryThingModel", 10),
    ("QueryThingModelPublished", 10),
    ("GetThingModelTsl", 20),
    ("GetThingModelTslPublished", 20),
    ("QueryDevicePropertyStatus", 200),
    ("QueryDeviceOriginalPropertyStatus", 50),
    ("QueryDevicePropertyData", 50),
    ("QueryDevicePropertiesData", 10),
    ("QueryDeviceEventData", 50),
    ("QueryDeviceServiceData", 50),
    // UNVERIFIED: no page we could read gives these three a QPS; taken as the checked
    // actions' (docs/state.md §3).
    ("QueryDeviceOriginalPropertyData", 50),
    ("QueryDeviceOriginalEventData", 50),
    ("QueryDeviceOriginalServiceData", 50),
    ("SetDeviceDesiredProperty", 50),
    ("QueryDeviceDesiredProperty", 50),
    ("ClearDeviceDesiredProperty", 50),
];

/// The most records one page of a history query returns (`PageSize` of
/// QueryDevicePropertyData, QueryDeviceEventData, QueryDeviceServiceData): 1 to 50
/// (`docs/state.md`).
pub const MAX_HISTORY_PAGE: u32 = 50;

/// The most records of each property one QueryDevicePropertiesData call returns
/// (`PageSize`, 1 to 100; `docs/state.md`).
pub const MAX_PROPERTIES_PAGE: u32 = 100;

/// The most properties one QueryDevicePropertiesData call names (`Identifier.N`;
/// `docs/state.md`).
pub const MAX_PROPERTIES_PER_QUERY: usize = 10;

/// How far back history can be read on an instance without a storage setting of its own:
/// 30 days from the day a record was made (`docs/state.md`). Enterprise instances with a
/// storage setting may keep more, so the client's check can be lifted.
pub const HISTORY_RETENTION: Duration = Duration::from_secs(30 * 24 * 60 * 60);

/// The most properties one SetDeviceDesiredProperty, QueryDeviceDesiredProperty or
/// ClearDeviceDesiredProperty names (`docs/state.md`).
pub const MAX_DESIRED_PER_CALL: usize = 10;

/// The documented QPS of `action`, when [`QPS`] lists it.
pub fn qps(action: &str) -> Option<u32> {
    QPS.iter()
        .find(|(name, _)| *name == action)
        .map(|(_, calls)| *calls)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_is_listed_once_with_a_positive_limit() {
        for (i, (action, calls)) in QPS.iter().enumerate() {
            assert!(*calls > 0, "{action}");
            assert!(
                QPS[i + 1..].iter().all(|(other, _)| other != action),
                "{action} is listed twice"
            );
        }
    }

    #[test]
    fn qps_reads_the_table() {
        assert_eq!(qps("InvokeThingService"), Some(500));
        assert_eq!(qps("InvokeThingsService"), Some(10));
        assert_eq!(qps("GetThingModelTslPublished"), Some(20));
        assert_eq!(qps("Pub"), None);
    }
}
