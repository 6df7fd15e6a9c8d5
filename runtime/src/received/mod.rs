//! What devices send, read without a model and in the lean build: the message types of the
//! platform's AMQP subscription ([`Message`], [`Received`], [`RawMessage`]) and [`parse`],
//! which classifies a message by its topic and reads its body's fields, values left as JSON.
//!
//! Generated `Message::decode` types the values with the generated structs; the
//! `subscribe` feature's `Decoder` checks them against a run-time `Model`, and its
//! `Subscriber` receives the messages over AMQP. Both build on this module, so a device
//! build without AMQP still compiles generated code. Platform facts: docs/subscription.md.

mod batch;
mod calls;
pub(crate) mod message;
pub(crate) mod parse;
mod pending;

#[doc(hidden)]
pub use batch::expect_batch;
pub use batch::{merge_replies, AwaitDeviceReply, DeviceReplied, RepliedReport};
pub use message::{
    CheckFailed, EventPost, Invalid, Kind, Message, Other, Problem, PropertyItem, PropertyPost,
    RawMessage, Received, Reply, Status,
};
pub use parse::{
    parse, parse_for, parse_received, Envelope, Parsed, PostedEvent, PostedProperties, ReplyBody,
};
pub use pending::{typed, AwaitReply, CallOutcome, PendingOutput, ReplyOutcome};
