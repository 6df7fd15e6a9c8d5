//! Typed Rust from Alibaba Cloud IoT Platform thing models (TSL).
//!
//! The generator core, its build-script builder and the `tsl-codegen` CLI (feature `cli`).
//! The model itself lives in [`tsl_runtime::model`] so that generated code and the CLI share
//! one definition of what a model is.
#![deny(missing_docs)]

pub mod names;

pub use tsl_runtime::model;
