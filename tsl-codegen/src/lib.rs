//! Typed Rust from Alibaba Cloud IoT Platform thing models (TSL).
//!
//! The generator core, its build-script builder and the `tsl-codegen` CLI (feature `cli`).
//! The model itself lives in [`tsl_runtime::model`] so that generated code and the CLI share
//! one definition of what a model is.
//!
//! The pipeline reads top to bottom: [`model`] parses and validates, [`plan`] decides every
//! Rust name and type ([`ir`]), `emit` writes tokens with `quote!`, and `format` prints a
//! file with prettyplease. [`Generator`] runs it with [`Settings`].
//!
//! In a build script, [`Builder`] does it all (`Builder::new().model("models/fan.json")
//! .generate_to("fan.rs")`, then `include!` the file); from code:
//!
//! ```
//! use tsl_codegen::{Generator, Settings};
//! use tsl_runtime::model::Model;
//!
//! let model = Model::parse(
//!     r#"{"profile": {"productKey": "a1DeskFan"}, "events": [], "services": [],
//!         "properties": [{"identifier": "Power", "name": "Power", "accessMode": "rw",
//!           "dataType": {"type": "bool", "specs": {"0": "off", "1": "on"}}}]}"#,
//!     "fan.json",
//! )?
//! .model;
//! let code = Generator::new(&Settings::default()).generate_file(&model, &["fan.json"])?;
//! assert!(code.contains("pub struct PropertySet"));
//! assert!(code.contains("pub fn power(mut self, value: bool) -> Self"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![cfg_attr(docsrs, feature(doc_cfg))]
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
