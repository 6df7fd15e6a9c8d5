//! Run-time support for Alibaba Cloud IoT Platform thing models (TSL).
//!
//! - [`model`]: what a TSL model is, read from every shape the platform and its users
//!   produce, with diagnostics that name the file, line, column and JSON path.
//! - [`value`]: the wire encoding of every TSL type, checked against the model: floats
//!   always with a decimal point, bools as `0`/`1`, enums as their key, dates as a string
//!   of epoch milliseconds.
#![deny(missing_docs)]

pub mod model;
pub mod sign;
pub mod value;
