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
//! - [`device_state`]: a device's reported and desired properties as generated handles
//!   read them ([`device_state::DeviceState`]).
//! - [`error`]: errors of calls, keeping the platform's `Code`, message and `RequestId`.
//! - [`received`]: what devices send on the platform's AMQP subscription, read by topic
//!   without a model (the types generated `Message::decode` builds on).
//! - [`limits`]: the platform's documented limits (100 names a call, 256 KB messages, the
//!   8 s sync wait, each action's QPS), defined once.
//! - `sign` (feature `sign`, on with `client` and `emulator`): the RPC request signature
//!   (V1, HMAC-SHA1; and ACS3-HMAC-SHA256), and where credentials come from.
//! - `client` (feature `client`, on by default): the signed HTTP client, its typed
//!   operations, QPS limits and batches.
//! - `emulator` (feature `emulator`, off by default): a local stand-in for the platform's
//!   RPC API on 127.0.0.1, with simulated devices, for tests.
//! - `subscribe` (feature `subscribe`, off by default): device messages from the platform's
//!   AMQP 1.0 subscription, decoded and checked against the model.
//!
//! With `default-features = false` the crate is what generated code needs and nothing
//! more: no HTTP, TLS, async runtime or crypto crates (a device build's dependency line is
//! in the README; `tests/lean_deps.rs` checks it).
//!
//! Generated code (from `tsl-codegen` or `#[tsl_model]`) is the usual way in; the model and
//! its encoding also work on their own, for a model known only at run time:
//!
//! ```
//! use tsl_runtime::model::Model;
//! use tsl_runtime::value::encode_args;
//!
//! let model = Model::parse(
//!     r#"{"profile": {"productKey": "a1DeskFan"}, "properties": [], "events": [],
//!         "services": [{"identifier": "SetSpeed", "name": "Set speed", "callType": "async",
//!           "method": "thing.service.SetSpeed", "outputData": [],
//!           "inputData": [{"identifier": "Level", "name": "Level", "dataType":
//!             {"type": "float", "specs": {"min": "0", "max": "10", "step": "0.5"}}}]}]}"#,
//!     "fan.json",
//! )?
//! .model;
//! let set_speed = model.service_by_wire_identifier("SetSpeed").expect("the model has it");
//!
//! // A float goes out with a decimal point, however the caller wrote it.
//! let args = encode_args(&set_speed.inputs, &serde_json::json!({"Level": 3}))?;
//! assert_eq!(args, r#"{"Level":3.0}"#);
//!
//! // Out of range: the error names the field, the value and the bound.
//! let refused = encode_args(&set_speed.inputs, &serde_json::json!({"Level": 12}));
//! let message = refused.unwrap_err().to_string();
//! assert!(message.contains("Level") && message.contains("12") && message.contains("10"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
#![deny(missing_docs)]

pub mod addressing;
pub mod alink;
#[cfg(feature = "client")]
pub mod client;
#[cfg(any(feature = "subscribe", feature = "emulator"))]
mod clock;
pub mod cloud;
pub mod device_state;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod error;
mod float;
pub mod limits;
pub mod model;
pub mod received;
#[cfg(feature = "sign")]
pub mod sign;
#[cfg(feature = "subscribe")]
pub mod subscribe;
mod sync;
pub mod value;

pub use error::{Error, PlatformError};
/// Re-exported so generated code names JSON values without the user depending on it.
pub use serde_json;

/// The helpers only generated code calls: not an API to program against, so hidden from
/// the docs and free to change with the generator. Generated code names them here; their
/// old paths (`value::object`, `alink::answer`, ...) still work, hidden too.
#[doc(hidden)]
pub mod __private {
    pub use crate::alink::{answer, bad_parameters, serve, serve_unknown, unknown_service};
    pub use crate::cloud::sync_output;
    // The generator's `serde` setting: generated impls name serde through the runtime, so
    // a crate using them needs no serde dependency of its own to compile.
    pub use crate::__tsl_enum_impls as enum_impls;
    pub use crate::value::serde_form::{deserialize, serialize};
    pub use crate::value::{
        all, check_len, enum_key, lim, no_unknown_fields, not_in_enum, object, optional, reads_as,
        required, timed, Fields, Generated, Limits, Present, Reader, Rejected, StaticBound, Timed,
    };
    pub use serde;
}
