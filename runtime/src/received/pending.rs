//! Async calls completed in generated code: a call's reply on the subscription, typed.
//!
//! An async `InvokeThingService` or `SetDeviceProperty` returns once the platform accepted
//! it, with a `MessageId`; the device's reply comes later on the AMQP subscription with
//! that `MessageId` as its `requestId` (docs/subscription.md, "Messages"). [`AwaitReply`]
//! is whatever matches replies to calls (`subscribe::Replies`, fed by the subscriber's
//! handler); [`PendingOutput`] is one call's handle, resolving to the service's generated
//! output type. Lean: generated code names these without the `subscribe` feature.

use std::future::Future;
use std::marker::PhantomData;
use std::time::Duration;

use serde_json::Value;

use super::message::{Problem, Reply};
use crate::cloud::Accepted;
use crate::error::Error;
use crate::value::{read_checked, TslValue, ValueErrors};

/// How a call ended on the subscription.
#[derive(Debug, Clone, PartialEq)]
pub enum ReplyOutcome {
    /// The device replied with code 200; for a service, `reply.output` is its checked
    /// output when the decoder had the model.
    Replied(Reply),
    /// The device replied with an error code.
    ReplyError(Reply),
    /// A reply arrived but failed the model; every problem and the raw body.
    Invalid {
        /// What is wrong.
        problems: Vec<Problem>,
        /// The reply's body as received.
        raw: String,
    },
    /// No reply within the timeout.
    NoReply {
        /// How long it waited.
        waited: Duration,
    },
}

/// What matches replies on the subscription to the calls waiting for them.
/// `tsl_runtime::subscribe::Replies` implements it.
pub trait AwaitReply {
    /// One call's wait.
    type Wait: Future<Output = ReplyOutcome> + Send;

    /// Waits for the reply whose `requestId` is `message_id`, for at most `timeout`.
    fn reply_to(&self, message_id: String, timeout: Duration) -> Self::Wait;
}

/// A call's end, typed: the service's generated output (`()` for a property set or a
/// service without outputs).
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutcome<T> {
    /// The device replied with code 200 and an output that fits the model.
    Replied {
        /// The output.
        output: T,
        /// The reply as received.
        reply: Reply,
    },
    /// The device replied with an error code (`reply.code`, `reply.message`).
    ReplyError(Reply),
    /// A reply arrived and fails the model; every problem and the raw body.
    Invalid {
        /// What is wrong.
        problems: Vec<Problem>,
        /// The body, or the reply's `data`, as received.
        raw: String,
    },
    /// No reply within the timeout: the call was accepted, the device did not answer (or
    /// the answer was not received) in time.
    NoReply {
        /// How long it waited.
        waited: Duration,
    },
}

/// One accepted call waiting for its reply; `outcome().await` resolves it.
#[must_use = "a pending reply does nothing unless its outcome is awaited"]
pub struct PendingOutput<T, W> {
    message_id: String,
    service: Option<String>,
    wait: W,
    output: PhantomData<fn() -> T>,
}

impl<T, W> std::fmt::Debug for PendingOutput<T, W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingOutput")
            .field("message_id", &self.message_id)
            .field("service", &self.service)
            .finish_non_exhaustive()
    }
}

impl<T: TslValue, W: Future<Output = ReplyOutcome>> PendingOutput<T, W> {
    /// The wait for the reply to the accepted call `accepted` of `service` (`None` for a
    /// property set), through `replies`, for at most `timeout`.
    ///
    /// # Errors
    /// [`Error::BadAnswer`] when the platform's answer carried no `MessageId` (nothing to
    /// match a reply with).
    pub fn of<R: AwaitReply<Wait = W> + ?Sized>(
        accepted: Accepted,
        service: Option<&str>,
        replies: &R,
        timeout: Duration,
    ) -> Result<Self, Error> {
        let Some(message_id) = accepted.message_id else {
            return Err(Error::BadAnswer {
                problem: format!(
                    "the accepted call (RequestId {}) carries no MessageId to match its reply with",
                    accepted.request_id
                ),
                raw: String::new(),
            });
        };
        Ok(PendingOutput {
            wait: replies.reply_to(message_id.clone(), timeout),
            message_id,
            service: service.map(str::to_string),
            output: PhantomData,
        })
    }

    /// The call's `MessageId`.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// Waits for the reply (or the timeout) and reads its output as `T`.
    pub async fn outcome(self) -> CallOutcome<T> {
        let service = self.service;
        typed(self.wait.await, service.as_deref())
    }
}

/// A reply's outcome with its output read as `T` and checked against the model.
pub fn typed<T: TslValue>(outcome: ReplyOutcome, service: Option<&str>) -> CallOutcome<T> {
    match outcome {
        ReplyOutcome::Replied(reply) => match output::<T>(&reply, service) {
            Ok(output) => CallOutcome::Replied { output, reply },
            Err(errors) => CallOutcome::Invalid {
                problems: vec![Problem::Value {
                    identifier: service.unwrap_or("property/set").to_string(),
                    errors,
                }],
                raw: reply.data.to_string(),
            },
        },
        ReplyOutcome::ReplyError(reply) => CallOutcome::ReplyError(reply),
        ReplyOutcome::Invalid { problems, raw } => CallOutcome::Invalid { problems, raw },
        ReplyOutcome::NoReply { waited } => CallOutcome::NoReply { waited },
    }
}

/// A service's output: the checked one when the decoder had the model, else `data`
/// (`{}` when absent). A property set's reply has none: `T` is `()`, read from `null`.
fn output<T: TslValue>(reply: &Reply, service: Option<&str>) -> Result<T, ValueErrors> {
    if service.is_none() {
        return read_checked(&Value::Null);
    }
    let from_wire = reply
        .output
        .as_ref()
        .and_then(|wire| wire.to_json().ok())
        .and_then(|text| serde_json::from_str::<Value>(&text).ok());
    match (from_wire, &reply.data) {
        (Some(json), _) => read_checked(&json),
        (None, Value::Null) => read_checked(&Value::Object(serde_json::Map::new())),
        (None, data) => read_checked(data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(code: i64, data: Value) -> Reply {
        Reply {
            request_id: "7".into(),
            code,
            message: None,
            reply_topic: "/sys/pk/dn/thing/service/Check_reply".into(),
            service: Some("Check".into()),
            output: None,
            data,
        }
    }

    #[test]
    fn outputs_are_read_as_their_type_and_failures_are_invalid() {
        let ok: CallOutcome<Vec<i32>> = typed(
            ReplyOutcome::Replied(reply(200, serde_json::json!([1, 2]))),
            Some("Check"),
        );
        assert!(matches!(ok, CallOutcome::Replied { output, .. } if output == vec![1, 2]));
        let bad: CallOutcome<i32> = typed(
            ReplyOutcome::Replied(reply(200, serde_json::json!("x"))),
            Some("Check"),
        );
        assert!(matches!(bad, CallOutcome::Invalid { raw, .. } if raw == "\"x\""));
        let set: CallOutcome<()> = typed(
            ReplyOutcome::Replied(reply(200, serde_json::json!({"a": 1}))),
            None,
        );
        assert!(matches!(set, CallOutcome::Replied { .. }));
        let error: CallOutcome<()> =
            typed(ReplyOutcome::ReplyError(reply(9201, Value::Null)), None);
        assert!(matches!(error, CallOutcome::ReplyError(r) if r.code == 9201));
    }
}
