//! What the emulator saw: every request as received, and every message a device got.

use std::time::SystemTime;

use serde_json::Value;

/// One request as the emulator received it, with how it was answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// Order of arrival, from 0.
    pub seq: u64,
    /// When it arrived.
    pub received_at: SystemTime,
    /// `GET` or `POST` (or whatever was sent).
    pub method: String,
    /// The action, from the `Action` parameter or the ACS3 `x-acs-action` header; `None`
    /// when neither was sent.
    pub action: Option<String>,
    /// Every parameter, decoded: the query's, then the form body's, in the order sent.
    pub params: Vec<(String, String)>,
    /// The query string exactly as received (after `?`).
    pub raw_query: String,
    /// The body exactly as received (lossy UTF-8).
    pub raw_body: String,
    /// The headers, names in lower case.
    pub headers: Vec<(String, String)>,
    /// How the emulator answered.
    pub outcome: Outcome,
}

impl RecordedRequest {
    /// The first value of a parameter.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// A header's value (`name` in any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The error code of the answer (`Throttling.User`, `iot.messagebroker.OFFLINE`);
    /// `None` on success or when no answer was sent.
    pub fn code(&self) -> Option<&str> {
        match &self.outcome {
            Outcome::Answered { code, .. } => code.as_deref(),
            Outcome::Dropped { .. } => None,
        }
    }
}

/// How a request was answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An HTTP answer.
    Answered {
        /// The HTTP status.
        status: u16,
        /// The answer's `RequestId`.
        request_id: String,
        /// The error `Code`, `None` on success.
        code: Option<String>,
    },
    /// No answer: the connection was closed or reset by an injected fault.
    Dropped {
        /// Whether it was a reset (`true`) or a close.
        reset: bool,
    },
}

/// A message a simulated device received.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceMessage {
    /// The device's product.
    pub product_key: String,
    /// The device's name.
    pub device_name: String,
    /// When the message arrived.
    pub received_at: SystemTime,
    /// The message id the API answered with (as text: it can exceed 2^53).
    pub message_id: String,
    /// Whether the device was online. Messages to offline devices are recorded too: QoS 1
    /// messages wait on the platform for the device.
    pub online: bool,
    /// What it was.
    pub kind: MessageKind,
}

/// What a device received.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    /// A service call (InvokeThingService, InvokeThingsService).
    Service {
        /// The wire identifier (`Blink`, `battery:Calibrate`).
        identifier: String,
        /// The arguments as sent.
        args: Value,
        /// Whether the API waited for the reply.
        sync: bool,
    },
    /// A property set (SetDeviceProperty, SetDevicesProperty): identifier → value.
    PropertySet {
        /// The items as sent.
        items: Value,
    },
    /// A message on a custom topic (BatchPub).
    Publish {
        /// `/${productKey}/${deviceName}/user/${TopicShortName}`.
        topic: String,
        /// The decoded `MessageContent`.
        payload: Vec<u8>,
        /// `0` or `1`.
        qos: u8,
    },
}
