//! Errors of calls to the IoT Platform, as data: the platform's `Code`, message and
//! `RequestId` are kept, and [`Error::is_retryable`] says whether trying again can help.

use std::time::Duration;

use crate::alink::DeviceError;
use crate::value::ValueErrors;

/// The `Code` of a `SetDeviceDesiredProperty` refused because a `Versions` entry is not the
/// property's current desired version. UNVERIFIED: the API page says such a request is
/// refused but names no code (`docs/state.md`); the emulator answers with this one.
pub const DESIRED_VERSION_CONFLICT: &str = "iot.device.DesiredPropertyVersionConflict";

/// The platform refused a request: a gateway error (HTTP 4xx with `Code`/`Message`) or a
/// business error (`Success: false` with `Code`/`ErrorMessage`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}{}", request_id.as_deref().map(|id| format!(" (RequestId {id})")).unwrap_or_default())]
pub struct PlatformError {
    /// The platform's `Code`, e.g. `Throttling.User`, `iot.device.NotExistedDevice`.
    pub code: String,
    /// `Message` or `ErrorMessage`.
    pub message: String,
    /// `RequestId`, to quote to support.
    pub request_id: Option<String>,
    /// The HTTP status of the answer.
    pub http_status: Option<u16>,
}

impl PlatformError {
    /// Whether the same request may be sent again without risk of acting twice: only
    /// throttling, which the gateway decides before the request is run. A system error or
    /// an HTTP 5xx can come after the platform acted (`docs/batches.md`), so retrying them
    /// is the caller's decision.
    pub fn is_retryable(&self) -> bool {
        self.is_throttling()
    }

    /// Flow control: `Throttling.User`, `Throttling`, `iot.messagebroker.RateLimit`. The
    /// request was refused on arrival and not run.
    pub fn is_throttling(&self) -> bool {
        matches!(
            self.code.as_str(),
            "Throttling.User" | "Throttling" | "iot.messagebroker.RateLimit"
        )
    }

    /// Whether this is the platform refusing a desired value whose `Versions` is stale
    /// ([`DESIRED_VERSION_CONFLICT`]): the property was set since its version was read.
    pub fn is_version_conflict(&self) -> bool {
        self.code == DESIRED_VERSION_CONFLICT
    }

    /// Whether the failure happened after the request may have reached the device.
    pub fn may_have_reached_device(&self) -> bool {
        matches!(
            self.code.as_str(),
            "iot.messagebroker.TIMEOUT"
                | "iot.messagebroker.RrpcFailed"
                | "iot.messagebroker.RrpcException"
                | "iot.device.InvokeThingServiceFailed"
        )
    }
}

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The arguments broke the model; nothing was sent.
    #[error("the arguments do not fit the model; nothing was sent:\n{0}")]
    InvalidArgs(ValueErrors),
    /// The request breaks a platform limit (100 names, 256 KB, ...); nothing was sent.
    #[error("{0}; nothing was sent")]
    Refused(String),
    /// The platform refused the request.
    #[error(transparent)]
    Platform(#[from] PlatformError),
    /// The device answered with an error code.
    #[error("{error} (RequestId {request_id})")]
    Device {
        /// The device's code and message.
        error: DeviceError,
        /// The call's `RequestId`.
        request_id: String,
        /// The reply as the platform passed it on (`Data.Result`).
        raw: String,
    },
    /// An answer that cannot be read: not JSON, missing fields, or a device's reply that
    /// does not fit the model.
    #[error("unreadable answer: {problem}")]
    BadAnswer {
        /// What is wrong with it.
        problem: String,
        /// The text received.
        raw: String,
    },
    /// The request could not be completed over the network.
    #[error("{message}{}", if *.may_have_been_sent { " (the request may have been sent)" } else { " (the request was not sent)" })]
    Transport {
        /// What happened.
        message: String,
        /// `false` only when the failure came before any byte was sent (connection
        /// refused), so a retry cannot act twice.
        may_have_been_sent: bool,
    },
    /// No answer in time.
    #[error("no answer within {0:?} (the request may have been sent)")]
    Timeout(Duration),
    /// The credentials are missing or unusable, or the request could not be signed;
    /// nothing was sent. The message never holds a secret. Only with the `sign` feature:
    /// without it nothing signs (the enum is `#[non_exhaustive]`, so matches stay valid).
    #[cfg(feature = "sign")]
    #[error("credentials: {0}")]
    Credentials(#[from] crate::sign::SignError),
    /// A client setting is unusable (no endpoint, plain http to a remote host, ...).
    #[error("client configuration: {0}")]
    Config(String),
}

impl Error {
    /// Whether trying again can help without risk of acting twice.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Platform(e) => e.is_retryable(),
            Error::Transport {
                may_have_been_sent, ..
            } => !may_have_been_sent,
            Error::Device { error, .. } => error.code == crate::alink::codes::TOO_MANY_REQUESTS,
            _ => false,
        }
    }

    /// The platform's `Code`, when the platform answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            Error::Platform(e) => Some(&e.code),
            _ => None,
        }
    }

    /// A short name of what happened, for logs and metrics: the platform's `Code` when it
    /// answered with one, else the kind (`timeout`, `transport`, `bad_answer`, ...).
    pub fn label(&self) -> &str {
        match self {
            Error::InvalidArgs(_) => "invalid_args",
            Error::Refused(_) => "refused",
            Error::Platform(e) => &e.code,
            Error::Device { .. } => "device_error",
            Error::BadAnswer { .. } => "bad_answer",
            Error::Transport { .. } => "transport",
            Error::Timeout(_) => "timeout",
            #[cfg(feature = "sign")]
            Error::Credentials(_) => "credentials",
            Error::Config(_) => "config",
        }
    }

    /// The call's `RequestId`, when an answer carried one.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Platform(e) => e.request_id.as_deref(),
            Error::Device { request_id, .. } => Some(request_id),
            _ => None,
        }
    }
}

impl From<ValueErrors> for Error {
    fn from(errors: ValueErrors) -> Error {
        Error::InvalidArgs(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn platform(code: &str, status: u16) -> PlatformError {
        PlatformError {
            code: code.to_string(),
            message: "m".to_string(),
            request_id: Some("R-1".to_string()),
            http_status: Some(status),
        }
    }

    #[test]
    fn platform_errors_keep_code_message_and_request_id() {
        let e = Error::from(platform("Throttling.User", 400));
        assert_eq!(e.to_string(), "Throttling.User: m (RequestId R-1)");
        assert_eq!(e.code(), Some("Throttling.User"));
        assert_eq!(e.request_id(), Some("R-1"));
        assert!(e.is_retryable());
    }

    #[test]
    fn only_safe_failures_are_retryable() {
        assert!(!Error::from(platform("iot.device.NotExistedDevice", 200)).is_retryable());
        assert!(!Error::from(platform("iot.messagebroker.TIMEOUT", 503)).is_retryable());
        assert!(!Error::from(platform("InternalError", 503)).is_retryable());
        assert!(!Error::from(platform("iot.system.SystemException", 200)).is_retryable());
        assert!(Error::Transport {
            message: "connection refused".into(),
            may_have_been_sent: false
        }
        .is_retryable());
        assert!(!Error::Timeout(Duration::from_secs(9)).is_retryable());
    }
}
