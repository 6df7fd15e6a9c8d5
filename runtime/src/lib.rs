//! Run-time support for Alibaba Cloud IoT Platform thing models (TSL).
//!
//! - [`model`]: what a TSL model is, read from every shape the platform and its users
//!   produce, with diagnostics that name the file, line, column and JSON path.
//! - [`value`]: the wire encoding of every TSL type, checked against the model: floats
//!   always with a decimal point, bools as `0`/`1`, enums as their key, dates as a string
//!   of epoch milliseconds.
//! - [`alink`]: the device-side request and reply envelopes.
//! - [`cloud`]: what generated device and fleet handles call ([`cloud::Cloud`]), what a call
//!   returns, and the per-device report of a batch.
//! - [`error`]: errors of calls, keeping the platform's `Code`, message and `RequestId`.
//! - [`sign`]: the RPC request signature (V1, HMAC-SHA1; and ACS3-HMAC-SHA256), and where
//!   credentials come from.
//! - `client` (feature `client`, on by default): the signed HTTP client, its typed
//!   operations, QPS limits and batches.
//! - `emulator` (feature `emulator`, off by default): a local stand-in for the platform's
//!   RPC API on 127.0.0.1, with simulated devices, for tests.
//! - `subscribe` (feature `subscribe`, off by default): device messages from the platform's
//!   AMQP 1.0 subscription, decoded and checked against the model.
#![deny(missing_docs)]

pub mod alink;
#[cfg(feature = "client")]
pub mod client;
pub mod cloud;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
pub mod model;
pub mod sign;
#[cfg(feature = "subscribe")]
pub mod subscribe;
pub mod value;

pub use error::{Error, PlatformError};
/// Re-exported so generated code names JSON values without the user depending on it.
pub use serde_json;
