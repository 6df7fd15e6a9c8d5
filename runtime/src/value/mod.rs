//! The wire encoding of TSL values, checked against the model: the one place that decides
//! the exact text the IoT Platform receives.
//!
//! - [`Wire`]: an encoded value tree. Floats and doubles always carry a decimal point and
//!   never an exponent (`10.0`, `0.0000001`), bools are `0`/`1`, enums their integer key,
//!   dates a string of epoch milliseconds (`"1635839462000"`).
//! - [`check()`] and the `check_*` functions: bounds, step, text length, array size and
//!   enum membership, pushing every problem onto a list rather than stopping at the first.
//!   Generated code calls them field by field.
//! - [`encode`], [`encode_params`], [`encode_args`]: JSON in (the CLI, anyone without
//!   generated code), checked wire value or text out.
//! - [`ValueError`] / [`ValueErrors`]: what is wrong, as data, each naming the
//!   [`FieldPath`], the value and the bound as the model wrote it.
//!
//! ```
//! use serde_json::json;
//! use tsl_runtime::model::{Bound, DataType, NumberSpec, Param};
//! use tsl_runtime::value::encode_args;
//!
//! let temp = Param {
//!     identifier: "temp".into(),
//!     name: None,
//!     desc: None,
//!     data_type: DataType::Double(NumberSpec {
//!         max: Bound::parse("50").ok(),
//!         ..NumberSpec::default()
//!     }),
//! };
//! let params = [temp];
//! assert_eq!(encode_args(&params, &json!({"temp": 10})).unwrap(), r#"{"temp":10.0}"#);
//! let errors = encode_args(&params, &json!({"temp": 60})).unwrap_err();
//! assert_eq!(errors.to_string(), "`temp`: 60.0 is above the max 50");
//! ```

mod check;
mod dynamic;
mod error;
mod generated;
mod json;
mod number;
// `Serialize for Wire` and the helpers of the generator's `serde` setting.
pub(crate) mod serde_form;
mod timed;
mod typed;
mod unknown_member;
mod wire;

#[cfg(feature = "emulator")]
pub(crate) use check::with_all_steps;
pub use check::{
    check, check_array_len, check_date, check_double, check_double_in, check_enum, check_float,
    check_float_in, check_int, check_int_in, check_params, check_text, check_text_len, StepCheck,
};
pub use dynamic::{encode, encode_args, encode_args_with, encode_params, Encoded};
pub use error::{FieldPath, PathSegment, ValueError, ValueErrors};
// Called by generated code only (`docs/checks.md`).
#[doc(hidden)]
pub use generated::{
    all, keys, labels, lim, reads_as, Fields, Generated, Limits, Placeholder, Present, Reader,
    StaticBound,
};
pub use json::{parse_json, JsonError};
pub use number::{format_f32, format_f64, NotFinite};
pub use timed::{Rejected, Timed};
// Called by generated `Properties::decode` only.
#[doc(hidden)]
pub use timed::timed;
pub use typed::{from_json, read_checked, step_warnings, to_args, Date, TslValue};
// Only generated code calls these: hidden here, and public as `tsl_runtime::__private::*`,
// the path the generator is to emit (lib.rs).
#[doc(hidden)]
pub use typed::{
    check_len, enum_key, no_unknown_fields, not_in_enum, object, object_of, optional, required,
    Field,
};
pub use unknown_member::UnknownMember;
// Called by generated enums' `TryFrom<i64>` and `FromStr` only.
#[doc(hidden)]
pub use unknown_member::{index_by_key, index_by_text, index_of_key};
pub use wire::{ObjectBuilder, Wire};
