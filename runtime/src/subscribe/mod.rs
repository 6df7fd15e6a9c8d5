//! Receiving what devices send: the platform's AMQP 1.0 server-side subscription
//! (feature `subscribe`), decoded and checked against the thing model.
//!
//! - [`Subscriber`]: a consumer of one consumer group on fe2o3-amqp: SASL PLAIN with the
//!   `aksign` user name and a fresh HMAC password per connection, `idle-time-out` on Open,
//!   one receiver link whose credit is the backpressure, each message accepted only after the
//!   handler returns `Ok` (at-least-once), reconnects with jittered backoff, clean shutdown.
//! - [`Decoder`]: topic classification and model-checked bodies into [`Message`]s.
//! - Generated types on the cloud side: [`EventPost::decode`], [`Reply::output_as`] and
//!   [`PropertyPost::property`] read a message into the payload, output and property types
//!   `tsl-codegen` generates, checked against the model.
//! - [`Replies`]: async service calls and property sets completed by their replies, matched
//!   by `MessageId`, with a timeout.
//!
//! Platform facts and their sources: docs/subscription.md.

mod auth;
mod consumer;
mod decode;
mod endpoint;
mod error;
mod replies;
mod tls;
mod typed;

/// Moved to [`crate::value::Timed`] (the lean build has it); named here too.
pub use crate::value::Timed;
pub use auth::{Identity, SaslPlain, SignMethod};
pub use consumer::{Subscriber, Summary, CONNECT_TIMEOUT, IDLE_TIMEOUT_RANGE, SOURCE_ADDRESS};
pub use decode::Decoder;
pub use endpoint::{Endpoint, DEFAULT_TLS_PORT};
pub use error::SubscribeError;
// The message types live in the lean `received` module (generated code needs them without
// AMQP); named here too, and as `super::message` for this module's files.
use crate::received::message;
pub use crate::received::{
    CheckFailed, EventPost, Invalid, Kind, Message, Other, Problem, PropertyItem, PropertyPost,
    RawMessage, Received, Reply, Status,
};
pub use replies::{PendingReply, Replies, ReplyOutcome, EARLY_REPLIES_KEPT};
