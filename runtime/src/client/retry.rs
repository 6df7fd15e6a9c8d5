//! When a failed call is tried again, and after how long.
//!
//! Retried: throttling (`Throttling.User`, `Throttling`, `iot.messagebroker.RateLimit`: the
//! gateway refuses these on arrival, before the action runs) and connections that failed
//! before a byte was sent. Anything after the request went out (a system error, HTTP 5xx, a
//! reset, a timeout, an unreadable answer) may have reached the device, so it is retried
//! only for actions that only read (`QueryThingModel`, `GetThingModelTsl`); for the others
//! the error is returned and a batch reports the devices `unknown`. Sources and reasoning:
//! `docs/batches.md`.

use std::time::Duration;

use crate::error::Error;

/// How many times, and how far apart, a call is tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all, the first included; 1 turns retries off.
    pub max_attempts: u32,
    /// The pause before the first retry; each retry doubles it.
    pub base_delay: Duration,
    /// The longest pause.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    /// 4 tries, pauses of about 0.2 s, 0.4 s, 0.8 s (jittered), at most 5 s.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries: every failure is returned as it came.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            ..RetryPolicy::default()
        }
    }

    /// The pause before retry `retry` (1 for the first): the doubled delay, capped, then
    /// "equal jitter" (a random point in its upper half), so clients throttled together do
    /// not come back together yet none comes back at once.
    pub fn delay(&self, retry: u32) -> Duration {
        let doubled = self.base_delay.saturating_mul(
            1u32.checked_shl(retry.saturating_sub(1))
                .unwrap_or(u32::MAX),
        );
        let capped = doubled.min(self.max_delay);
        let half = capped / 2;
        half + half.mul_f64(jitter())
    }
}

/// A number in [0, 1): from a random UUID, which asks the OS; retries are rare enough.
fn jitter() -> f64 {
    let bits = uuid::Uuid::new_v4().as_u128() as u64 >> 11;
    bits as f64 / (1u64 << 53) as f64
}

/// Actions that only read: trying them twice cannot act twice.
pub(crate) fn is_read_only(action: &str) -> bool {
    matches!(
        action,
        "QueryThingModel"
            | "QueryThingModelPublished"
            | "GetThingModelTsl"
            | "GetThingModelTslPublished"
    )
}

/// Whether `error` from a call of `action` may be retried.
pub(crate) fn should_retry(action: &str, error: &Error) -> bool {
    match error {
        Error::Platform(e) => {
            e.is_throttling()
                || is_read_only(action)
                    && (e.http_status.is_some_and(|status| status >= 500)
                        || matches!(
                            e.code.as_str(),
                            "ServiceUnavailable" | "iot.system.SystemException"
                        ))
        }
        Error::Transport {
            may_have_been_sent, ..
        } => !may_have_been_sent || is_read_only(action),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PlatformError;

    fn platform(code: &str, status: u16) -> Error {
        Error::Platform(PlatformError {
            code: code.to_string(),
            message: "m".to_string(),
            request_id: None,
            http_status: Some(status),
        })
    }

    #[test]
    fn client_retries_only_what_cannot_act_twice() {
        for code in [
            "Throttling.User",
            "Throttling",
            "iot.messagebroker.RateLimit",
        ] {
            assert!(
                should_retry("InvokeThingService", &platform(code, 400)),
                "{code}"
            );
        }
        // A system error may come after the platform acted: only reads are tried again.
        for code in ["iot.system.SystemException", "ServiceUnavailable"] {
            assert!(
                !should_retry("InvokeThingsService", &platform(code, 200)),
                "{code}"
            );
            assert!(
                should_retry("QueryThingModel", &platform(code, 200)),
                "{code}"
            );
        }
        assert!(!should_retry(
            "InvokeThingService",
            &platform("InternalError", 500)
        ));
        assert!(should_retry(
            "QueryThingModel",
            &platform("InternalError", 500)
        ));
        assert!(!should_retry(
            "InvokeThingService",
            &platform("iot.messagebroker.TIMEOUT", 200)
        ));
        assert!(!should_retry(
            "QueryThingModel",
            &platform("iot.prod.NotExistedProduct", 400)
        ));
        let refused = Error::Transport {
            message: "connection refused".into(),
            may_have_been_sent: false,
        };
        let reset = Error::Transport {
            message: "connection reset".into(),
            may_have_been_sent: true,
        };
        assert!(should_retry("BatchPub", &refused));
        assert!(!should_retry("BatchPub", &reset));
        assert!(should_retry("GetThingModelTsl", &reset));
        assert!(!should_retry(
            "InvokeThingService",
            &Error::Timeout(Duration::from_secs(12))
        ));
        assert!(!should_retry(
            "InvokeThingService",
            &Error::BadAnswer {
                problem: "p".into(),
                raw: "r".into()
            }
        ));
    }

    #[test]
    fn client_backoff_doubles_is_capped_and_jittered() {
        let policy = RetryPolicy::default();
        for retry in 1..=40 {
            let delay = policy.delay(retry);
            let full = (policy.base_delay * 2u32.saturating_pow(retry - 1)).min(policy.max_delay);
            assert!(
                delay >= full / 2 && delay <= full,
                "retry {retry}: {delay:?} vs {full:?}"
            );
        }
        assert_eq!(RetryPolicy::none().max_attempts, 1);
    }
}
