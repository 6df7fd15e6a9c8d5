//! Faults injected by tests: the next N requests of an action answered badly on purpose,
//! either instead of acting ([`Fault::Status`], [`Fault::Reset`], ...) or after acting
//! ([`Fault::After`]): the devices got the call, the request is recorded as
//! [`RecordedRequest::acted`](super::RecordedRequest::acted), and only then is the answer
//! lost, delayed or spoiled. The second kind is what a client cannot tell from the first,
//! and must not retry (issue 10).

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A way to answer badly.
///
/// Faults have a text form, read by [`Fault::from_str`] and written by `Display` (the CLI's
/// `--fault ACTION=KIND`):
///
/// | text | fault |
/// | --- | --- |
/// | `throttle` | [`Fault::Throttle`] |
/// | `500`, `502`, `503`, ... | [`Fault::Status`] |
/// | `reset`, `close` | [`Fault::Reset`], [`Fault::Close`] |
/// | `delay=2s`, `delay=250ms` | [`Fault::Delay`] |
/// | `malformed` | [`Fault::MalformedJson`] |
/// | `truncated` | [`Fault::Truncated`] |
/// | `business=CODE` or `business=CODE,MESSAGE` | [`Fault::Business`] |
/// | `raw=STATUS,BODY` | [`Fault::Raw`] |
/// | `empty-object`, `empty-array`, `request-id-only` | [`Fault::Raw`] with HTTP 200 and `{}`, `[]`, `{"RequestId":"R1"}` |
/// | `after-KIND` (e.g. `after-reset`, `after-500`, `after-empty-object`) | [`Fault::After`] |
/// | `stall=DURATION` | `after-delay=DURATION` |
///
/// ```
/// use std::time::Duration;
/// use tsl_runtime::emulator::Fault;
///
/// let fault: Fault = "after-reset".parse()?;
/// assert_eq!(fault, Fault::after(Fault::Reset));
/// assert_eq!("stall=30s".parse::<Fault>()?, Fault::after(Fault::Delay(Duration::from_secs(30))));
/// assert_eq!(Fault::empty_object().to_string(), "empty-object");
/// # Ok::<(), tsl_runtime::emulator::FaultParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `Throttling.User`, HTTP 400, as when the QPS is exceeded.
    Throttle,
    /// An HTTP error status (500, 503, ...) with a gateway-shaped body (`InternalError`,
    /// `ServiceUnavailable`, `BadGateway`).
    Status(u16),
    /// The connection is reset (TCP RST) without an answer.
    Reset,
    /// The connection is closed without an answer.
    Close,
    /// The request is handled normally after this delay. After acting
    /// (`Fault::after(Fault::Delay(d))`): the answer is held back this long, a stall past
    /// the client's timeout.
    Delay(Duration),
    /// HTTP 200 with a body that is not valid JSON. After acting: the real answer's body
    /// cut in half (a complete HTTP message whose JSON ends early).
    MalformedJson,
    /// The headers promise the whole body, half of it is sent, and the connection is
    /// closed: the client sees the answer break off. Before acting the body is a gateway
    /// 503's; after acting, the real answer's.
    Truncated,
    /// A business error: HTTP 200, `{"RequestId","Success":false,"Code","ErrorMessage"}`.
    Business {
        /// The `Code`.
        code: String,
        /// The `ErrorMessage`.
        message: String,
    },
    /// Exactly these bytes, with this HTTP status (and a JSON content type).
    Raw {
        /// The HTTP status.
        status: u16,
        /// The body, sent as is.
        body: Vec<u8>,
    },
    /// The request is handled in full first (devices get the call; the recorded request
    /// says `acted` and lists the devices), then answered with the inner fault instead of
    /// the real answer. `After(After(f))` is `After(f)`.
    After(Box<Fault>),
}

/// The body of [`Fault::request_id_only`].
const REQUEST_ID_ONLY: &str = r#"{"RequestId":"R1"}"#;

impl Fault {
    /// [`Fault::After`]: act, then answer with `fault`.
    pub fn after(fault: Fault) -> Fault {
        match fault {
            Fault::After(inner) => Fault::After(inner),
            other => Fault::After(Box::new(other)),
        }
    }

    /// [`Fault::Business`] with this code and message.
    pub fn business(code: impl Into<String>, message: impl Into<String>) -> Fault {
        Fault::Business {
            code: code.into(),
            message: message.into(),
        }
    }

    /// [`Fault::Raw`]: exactly `body` with `status`.
    pub fn raw(status: u16, body: impl Into<Vec<u8>>) -> Fault {
        Fault::Raw {
            status,
            body: body.into(),
        }
    }

    /// HTTP 200 `{}`: no `Success`, no `Code`, no `RequestId`.
    pub fn empty_object() -> Fault {
        Fault::raw(200, "{}")
    }

    /// HTTP 200 `[]`.
    pub fn empty_array() -> Fault {
        Fault::raw(200, "[]")
    }

    /// HTTP 200 `{"RequestId":"R1"}`: an id, but no `Success` and no `Code`.
    pub fn request_id_only() -> Fault {
        Fault::raw(200, REQUEST_ID_ONLY)
    }

    /// Whether the request is handled (and its devices reached) before the fault answers.
    pub fn acts_first(&self) -> bool {
        matches!(self, Fault::After(_))
    }
}

/// Why a fault's text form was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("fault `{text}`: {problem}")]
pub struct FaultParseError {
    /// The text given.
    pub text: String,
    /// What is wrong with it.
    pub problem: String,
}

impl FromStr for Fault {
    type Err = FaultParseError;

    fn from_str(text: &str) -> Result<Fault, FaultParseError> {
        let error = |problem: &str| FaultParseError {
            text: text.to_string(),
            problem: problem.to_string(),
        };
        if let Some(inner) = text.strip_prefix("after-") {
            let inner: Fault = inner
                .parse()
                .map_err(|e: FaultParseError| FaultParseError {
                    text: text.to_string(),
                    problem: e.problem,
                })?;
            return Ok(Fault::after(inner));
        }
        if let Some(value) = text.strip_prefix("stall=") {
            let delay = parse_duration(value).ok_or_else(|| error(DURATION))?;
            return Ok(Fault::after(Fault::Delay(delay)));
        }
        if let Some(value) = text.strip_prefix("delay=") {
            let delay = parse_duration(value).ok_or_else(|| error(DURATION))?;
            return Ok(Fault::Delay(delay));
        }
        if let Some(value) = text.strip_prefix("business=") {
            let (code, message) = value
                .split_once(',')
                .unwrap_or((value, "An error injected by the emulator."));
            if code.is_empty() {
                return Err(error("business=CODE needs a code"));
            }
            return Ok(Fault::business(code, message));
        }
        if let Some(value) = text.strip_prefix("raw=") {
            let (status, body) = value
                .split_once(',')
                .ok_or_else(|| error("raw=STATUS,BODY needs a status and a body"))?;
            let status = parse_status(status).ok_or_else(|| error(STATUS))?;
            return Ok(Fault::raw(status, body));
        }
        match text {
            "throttle" => Ok(Fault::Throttle),
            "reset" => Ok(Fault::Reset),
            "close" => Ok(Fault::Close),
            "malformed" => Ok(Fault::MalformedJson),
            "truncated" => Ok(Fault::Truncated),
            "empty-object" => Ok(Fault::empty_object()),
            "empty-array" => Ok(Fault::empty_array()),
            "request-id-only" => Ok(Fault::request_id_only()),
            digits if digits.bytes().all(|b| b.is_ascii_digit()) && !digits.is_empty() => {
                parse_status(digits)
                    .map(Fault::Status)
                    .ok_or_else(|| error(STATUS))
            }
            _ => Err(error(
                "not a fault; one of throttle, reset, close, malformed, truncated, \
                 an HTTP status (500), delay=DURATION, stall=DURATION, business=CODE[,MESSAGE], \
                 raw=STATUS,BODY, empty-object, empty-array, request-id-only, \
                 or after-KIND for any of them",
            )),
        }
    }
}

const DURATION: &str = "a duration is a number and a unit: 250ms, 2s";
const STATUS: &str = "an HTTP status is 100 to 599";

fn parse_status(text: &str) -> Option<u16> {
    text.parse::<u16>().ok().filter(|s| (100..=599).contains(s))
}

/// `250ms`, `2s`, `1m`.
fn parse_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    match unit {
        "ms" => Some(Duration::from_millis(number)),
        "s" => Some(Duration::from_secs(number)),
        "m" => number.checked_mul(60).map(Duration::from_secs),
        _ => None,
    }
}

impl fmt::Display for Fault {
    /// The text form [`Fault::from_str`] reads back.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::Throttle => f.write_str("throttle"),
            Fault::Status(status) => write!(f, "{status}"),
            Fault::Reset => f.write_str("reset"),
            Fault::Close => f.write_str("close"),
            Fault::Delay(delay) => write!(f, "delay={}ms", delay.as_millis()),
            Fault::MalformedJson => f.write_str("malformed"),
            Fault::Truncated => f.write_str("truncated"),
            Fault::Business { code, message } => write!(f, "business={code},{message}"),
            Fault::Raw { status: 200, body } if body == b"{}" => f.write_str("empty-object"),
            Fault::Raw { status: 200, body } if body == b"[]" => f.write_str("empty-array"),
            Fault::Raw { status: 200, body } if body == REQUEST_ID_ONLY.as_bytes() => {
                f.write_str("request-id-only")
            }
            Fault::Raw { status, body } => {
                write!(f, "raw={status},{}", String::from_utf8_lossy(body))
            }
            Fault::After(inner) => write!(f, "after-{inner}"),
        }
    }
}

/// Pending faults, matched in the order injected.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pending: VecDeque<Pending>,
}

#[derive(Debug)]
struct Pending {
    /// `None`: any action.
    action: Option<String>,
    fault: Fault,
    remaining: u32,
}

impl Faults {
    pub(crate) fn inject(&mut self, action: Option<String>, fault: Fault, times: u32) {
        if times > 0 {
            self.pending.push_back(Pending {
                action,
                fault,
                remaining: times,
            });
        }
    }

    /// The fault for a request of `action`, used up by this call.
    pub(crate) fn take(&mut self, action: Option<&str>) -> Option<Fault> {
        if self.pending.is_empty() {
            return None;
        }
        let index = self
            .pending
            .iter()
            .position(|p| p.action.is_none() || p.action.as_deref() == action)?;
        let pending = self.pending.get_mut(index)?;
        pending.remaining -= 1;
        let fault = pending.fault.clone();
        if pending.remaining == 0 {
            self.pending.remove(index);
        }
        Some(fault)
    }

    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order_per_action() {
        let mut faults = Faults::default();
        faults.inject(Some("BatchPub".into()), Fault::Status(503), 2);
        faults.inject(None, Fault::Close, 1);
        assert_eq!(faults.take(Some("QueryThingModel")), Some(Fault::Close));
        assert_eq!(faults.take(Some("QueryThingModel")), None);
        assert_eq!(faults.take(Some("BatchPub")), Some(Fault::Status(503)));
        assert_eq!(faults.take(Some("BatchPub")), Some(Fault::Status(503)));
        assert_eq!(faults.take(Some("BatchPub")), None);
        faults.inject(None, Fault::Reset, 0);
        assert_eq!(faults.take(None), None);
    }

    #[test]
    fn every_fault_reads_back_from_its_text() {
        let faults = [
            Fault::Throttle,
            Fault::Status(502),
            Fault::Reset,
            Fault::Close,
            Fault::Delay(Duration::from_millis(250)),
            Fault::MalformedJson,
            Fault::Truncated,
            Fault::business("iot.device.NotExistedDevice", "gone, with a, comma"),
            Fault::raw(503, r#"{"a":1}"#),
            Fault::empty_object(),
            Fault::empty_array(),
            Fault::request_id_only(),
            Fault::after(Fault::Reset),
            Fault::after(Fault::Status(500)),
            Fault::after(Fault::Delay(Duration::from_secs(20))),
            Fault::after(Fault::empty_object()),
            Fault::after(Fault::raw(200, "x")),
        ];
        for fault in faults {
            let text = fault.to_string();
            assert_eq!(text.parse::<Fault>(), Ok(fault), "{text}");
        }
    }

    #[test]
    fn texts_and_their_faults() {
        let parse = |t: &str| t.parse::<Fault>();
        assert_eq!(parse("after-500"), Ok(Fault::after(Fault::Status(500))));
        assert_eq!(
            parse("stall=2s"),
            Ok(Fault::after(Fault::Delay(Duration::from_secs(2))))
        );
        assert_eq!(
            parse("after-after-reset"),
            Ok(Fault::after(Fault::Reset)),
            "nested after is one after"
        );
        assert_eq!(
            parse("business=Code.X"),
            Ok(Fault::business(
                "Code.X",
                "An error injected by the emulator."
            ))
        );
        assert_eq!(
            parse(r#"raw=200,{"RequestId":"R1"}"#),
            Ok(Fault::request_id_only())
        );
        for bad in [
            "",
            "after-",
            "600",
            "99",
            "delay=2",
            "delay=s",
            "stall=2h",
            "business=",
            "raw=200",
            "raw=abc,{}",
            "explode",
        ] {
            let error = parse(bad).expect_err(bad);
            assert_eq!(error.text, bad);
            assert!(!error.problem.is_empty());
        }
    }
}
