//! Typed Rust from Alibaba Cloud IoT Platform thing models (TSL).
//!
//! The generator core, its build-script builder and the `tsl-codegen` CLI (feature `cli`).
//! The model itself lives in [`tsl_runtime::model`] so that generated code and the CLI share
//! one definition of what a model is.
//!
//! The pipeline reads top to bottom: [`model`] parses and validates, [`plan`] decides every
//! Rust name and type ([`ir`]), `emit` writes tokens with `quote!`, and `format` prints a
//! file with prettyplease. [`Generator`] runs it with [`Settings`].
#![deny(missing_docs)]

mod builder;
pub mod diff;
pub mod doc;
mod emit;
mod format;
mod generator;
pub mod ir;
pub mod names;
pub mod plan;
mod settings;

pub use builder::{BuildError, Builder, Generated};
pub use generator::{GenerateError, Generator};
pub use settings::{Parts, Settings, StepCheck};
pub use tsl_runtime::model;
