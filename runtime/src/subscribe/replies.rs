//! Async calls completed: a reply on the subscription matched to the call that asked for it
//! by the call's `MessageId` (the reply's `requestId`, docs/subscription.md "Messages").
//!
//! Register the `MessageId` an async `InvokeThingService` or `SetDeviceProperty` returned with
//! [`Replies::expect`], feed every received message to [`Replies::offer`] from the subscriber's
//! handler, and await the [`PendingReply`]: it resolves to the device's reply (typed output
//! checked against the model), to the reply's problems when it failed the model, or to
//! [`ReplyOutcome::NoReply`] after the timeout. A reply that arrives before `expect` (the
//! device can be faster than the code that registers) is kept for a while and matched then.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::oneshot;

use super::message::{Kind, Message, Problem, Received, Reply};
pub use crate::received::ReplyOutcome;
use crate::received::{AwaitDeviceReply, AwaitReply};

/// How many early replies (arrived before their `expect`) are kept; the oldest go first.
pub const EARLY_REPLIES_KEPT: usize = 4096;

enum Arrived {
    Reply(Reply),
    Invalid { problems: Vec<Problem>, raw: String },
}

#[derive(Default)]
struct State {
    waiting: HashMap<String, oneshot::Sender<Arrived>>,
    early: HashMap<String, Arrived>,
    early_order: VecDeque<String>,
    /// Calls without a MessageId of their own (a batch's devices), waiting for the next
    /// reply of a device to a service: `{pk}/{dn}/{service or property/set}`.
    by_device: HashMap<String, VecDeque<oneshot::Sender<Arrived>>>,
}

/// The key of a device's reply to `service` (`None`: a property set).
fn device_key(product_key: &str, device_name: &str, service: Option<&str>) -> String {
    format!(
        "{product_key}/{device_name}/{}",
        service.unwrap_or("property/set")
    )
}

/// The calls waiting for their replies. Cheap to clone: clones share the waiting calls.
#[derive(Clone, Default)]
pub struct Replies {
    state: Arc<Mutex<State>>,
}

impl std::fmt::Debug for Replies {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = self.lock();
        f.debug_struct("Replies")
            .field("waiting", &state.waiting.len())
            .field("early", &state.early.len())
            .finish()
    }
}

/// One call waiting for its reply.
#[derive(Debug)]
pub struct PendingReply {
    message_id: String,
    /// Set for a wait by device ([`Replies::expect_from`]).
    device_key: Option<String>,
    receive: oneshot::Receiver<Arrived>,
    replies: Replies,
}

impl std::fmt::Debug for Arrived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Arrived::Reply(reply) => reply.fmt(f),
            Arrived::Invalid { problems, .. } => problems.fmt(f),
        }
    }
}

impl Replies {
    /// An empty set of waiting calls.
    pub fn new() -> Replies {
        Replies::default()
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Waits for the reply to the call that returned `message_id`.
    pub fn expect(&self, message_id: impl Into<String>) -> PendingReply {
        let message_id = message_id.into();
        let (send, receive) = oneshot::channel();
        let mut state = self.lock();
        match state.early.remove(&message_id) {
            Some(arrived) => {
                state.early_order.retain(|id| id != &message_id);
                let _ = send.send(arrived);
            }
            None => {
                state.waiting.insert(message_id.clone(), send);
            }
        }
        PendingReply {
            message_id,
            device_key: None,
            receive,
            replies: self.clone(),
        }
    }

    /// Waits for the next reply of device `device_name` of `product_key` to `service`
    /// (`None`: a property set), whatever its `requestId`: for a batch call
    /// (`InvokeThingsService`, `SetDevicesProperty`), whose answer carries no MessageId per
    /// device. Register before making the call; a reply that came earlier is not matched.
    /// A reply to an earlier call of the same service on the same device that arrives late
    /// would be taken for this one: docs/subscription.md, "Replies to batch calls".
    pub fn expect_from(
        &self,
        product_key: &str,
        device_name: &str,
        service: Option<&str>,
    ) -> PendingReply {
        let key = device_key(product_key, device_name, service);
        let (send, receive) = oneshot::channel();
        self.lock()
            .by_device
            .entry(key.clone())
            .or_default()
            .push_back(send);
        PendingReply {
            message_id: String::new(),
            device_key: Some(key),
            receive,
            replies: self.clone(),
        }
    }

    /// Offers a received message: a reply (or a reply that failed the model) completes its
    /// call, or is kept for an `expect` still to come. Returns whether it was a reply.
    pub fn offer(&self, received: &Received) -> bool {
        let (request_id, arrived) = match &received.message {
            Message::ServiceReply(reply) | Message::PropertySetReply(reply) => {
                (reply.request_id.clone(), Arrived::Reply(reply.clone()))
            }
            Message::Invalid(invalid)
                if matches!(
                    invalid.expected,
                    Kind::ServiceReply | Kind::PropertySetReply
                ) =>
            {
                let request_id = serde_json::from_str::<serde_json::Value>(&invalid.raw)
                    .ok()
                    .and_then(|body| match body.get("requestId")? {
                        serde_json::Value::String(s) => Some(s.clone()),
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    });
                let Some(request_id) = request_id else {
                    return false;
                };
                (
                    request_id,
                    Arrived::Invalid {
                        problems: invalid.problems.clone(),
                        raw: invalid.raw.clone(),
                    },
                )
            }
            // A subscriber without the product's model hands replies over untyped.
            Message::Other(other) if received.topic.ends_with("/thing/downlink/reply/message") => {
                let serde_json::Value::Object(mut map) = other.body.clone() else {
                    return false;
                };
                let Ok(body) = crate::received::parse::reply_body(&mut map) else {
                    return false;
                };
                let reply = Reply {
                    request_id: body.request_id,
                    code: body.code,
                    message: body.message,
                    reply_topic: body.reply_topic,
                    service: body.service,
                    output: None,
                    data: body.data,
                };
                (reply.request_id.clone(), Arrived::Reply(reply))
            }
            _ => return false,
        };
        let mut state = self.lock();
        let by_device = match (&arrived, &received.product_key, &received.device_name) {
            (Arrived::Reply(reply), Some(pk), Some(dn))
                if !state.waiting.contains_key(&request_id) =>
            {
                Some(device_key(pk, dn, reply.service.as_deref()))
            }
            _ => None,
        };
        let mut arrived = Some(arrived);
        if let Some(queue) = by_device.and_then(|key| state.by_device.get_mut(&key)) {
            // The oldest call still waiting; senders whose wait ended are skipped.
            while let Some(send) = queue.pop_front() {
                match send.send(arrived.take().expect("not yet sent")) {
                    Ok(()) => break,
                    Err(back) => arrived = Some(back),
                }
            }
        }
        let Some(arrived) = arrived else {
            state.by_device.retain(|_, queue| !queue.is_empty());
            return true;
        };
        match state.waiting.remove(&request_id) {
            Some(send) => {
                let _ = send.send(arrived);
            }
            None => {
                if state.early.insert(request_id.clone(), arrived).is_none() {
                    state.early_order.push_back(request_id);
                }
                while state.early_order.len() > EARLY_REPLIES_KEPT {
                    if let Some(oldest) = state.early_order.pop_front() {
                        state.early.remove(&oldest);
                    }
                }
            }
        }
        true
    }

    /// How many calls are waiting.
    pub fn waiting(&self) -> usize {
        self.lock().waiting.len()
    }

    /// Waits for every call in `pending` at once, each for at most `timeout`: the per-call
    /// outcomes of a fleet call, in the order given.
    pub async fn collect(
        pending: Vec<PendingReply>,
        timeout: Duration,
    ) -> Vec<(String, ReplyOutcome)> {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut outcomes = Vec::with_capacity(pending.len());
        for call in pending {
            let id = call.message_id.clone();
            outcomes.push((id, call.wait_until(deadline, timeout).await));
        }
        outcomes
    }
}

/// Generated `Device` methods (`diagnose_with_reply`, `set_properties_with_reply`) wait
/// through this.
impl AwaitReply for Replies {
    type Wait = std::pin::Pin<Box<dyn std::future::Future<Output = ReplyOutcome> + Send>>;

    fn reply_to(&self, message_id: String, timeout: Duration) -> Self::Wait {
        let pending = self.expect(message_id);
        Box::pin(pending.wait(timeout))
    }
}

/// Generated `Fleet` methods (`upload_schedule_with_replies`) wait through this; the
/// deadline runs from the registration, made before the batch call.
impl AwaitDeviceReply for Replies {
    fn device_reply(
        &self,
        product_key: &str,
        device_name: &str,
        service: Option<&str>,
        timeout: Duration,
    ) -> Self::Wait {
        let pending = self.expect_from(product_key, device_name, service);
        let deadline = tokio::time::Instant::now() + timeout;
        Box::pin(pending.wait_until(deadline, timeout))
    }
}

impl PendingReply {
    /// The `MessageId` waited for.
    pub fn message_id(&self) -> &str {
        &self.message_id
    }

    /// The call's outcome: its reply, or [`ReplyOutcome::NoReply`] after `timeout`.
    pub async fn wait(self, timeout: Duration) -> ReplyOutcome {
        self.wait_until(tokio::time::Instant::now() + timeout, timeout)
            .await
    }

    async fn wait_until(
        mut self,
        deadline: tokio::time::Instant,
        waited: Duration,
    ) -> ReplyOutcome {
        let arrived = tokio::time::timeout_at(deadline, &mut self.receive).await;
        match arrived {
            Ok(Ok(Arrived::Reply(reply))) if reply.code == 200 => ReplyOutcome::Replied(reply),
            Ok(Ok(Arrived::Reply(reply))) => ReplyOutcome::ReplyError(reply),
            Ok(Ok(Arrived::Invalid { problems, raw })) => ReplyOutcome::Invalid { problems, raw },
            // Timed out (or the set was dropped): stop waiting, so a late reply is kept as
            // early instead of going to a closed channel.
            _ => {
                self.receive.close();
                let mut state = self.replies.lock();
                match &self.device_key {
                    Some(key) => {
                        if let Some(queue) = state.by_device.get_mut(key) {
                            queue.retain(|send| !send.is_closed());
                            if queue.is_empty() {
                                state.by_device.remove(key);
                            }
                        }
                    }
                    None => {
                        state.waiting.remove(&self.message_id);
                    }
                }
                ReplyOutcome::NoReply { waited }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::subscribe::{Decoder, RawMessage};

    fn reply(request_id: &str, code: i64) -> Received {
        Decoder::new().model_for("pk", crate::model::Model::parse(
            r#"{"profile":{"productKey":"pk"},"properties":[],"events":[],"services":[]}"#,
            "m.json",
        ).unwrap().model).decode(&RawMessage {
            topic: "/pk/dn/thing/downlink/reply/message".into(),
            message_id: "x".into(),
            generate_time: None,
            body: format!(r#"{{"requestId":"{request_id}","code":{code},"topic":"/sys/pk/dn/thing/service/property/set_reply","data":{{}}}}"#).into_bytes(),
        })
    }

    #[tokio::test]
    async fn a_reply_completes_its_call_whether_it_comes_before_or_after() {
        let replies = Replies::new();
        let pending = replies.expect("1");
        assert!(replies.offer(&reply("1", 200)));
        assert!(
            matches!(pending.wait(Duration::from_secs(1)).await, ReplyOutcome::Replied(r) if r.request_id == "1")
        );
        assert!(replies.offer(&reply("2", 500)));
        let early = replies.expect("2");
        assert!(
            matches!(early.wait(Duration::from_secs(1)).await, ReplyOutcome::ReplyError(r) if r.code == 500)
        );
        assert_eq!(replies.waiting(), 0);
    }

    /// A batch's device waits by device and service: the next reply of that device to that
    /// service completes it, whatever its `requestId`; another service's reply does not.
    #[tokio::test]
    async fn a_wait_by_device_takes_the_next_reply_of_that_device_and_service() {
        let replies = Replies::new();
        let set = replies.expect_from("pk", "dn", None);
        let other = replies.expect_from("pk", "dn", Some("Blink"));
        assert!(replies.offer(&reply("any-id", 200)));
        assert!(matches!(
            set.wait(Duration::from_secs(1)).await,
            ReplyOutcome::Replied(r) if r.request_id == "any-id"
        ));
        assert!(matches!(
            other.wait(Duration::from_millis(20)).await,
            ReplyOutcome::NoReply { .. }
        ));
        assert!(replies.lock().by_device.is_empty());
    }

    #[tokio::test]
    async fn no_reply_within_the_timeout_is_an_outcome_and_stops_waiting() {
        let replies = Replies::new();
        let outcomes = Replies::collect(
            vec![replies.expect("a"), replies.expect("b")],
            Duration::from_millis(30),
        )
        .await;
        assert_eq!(outcomes.len(), 2);
        assert!(outcomes
            .iter()
            .all(|(_, o)| matches!(o, ReplyOutcome::NoReply { .. })));
        assert_eq!(replies.waiting(), 0);
    }
}
