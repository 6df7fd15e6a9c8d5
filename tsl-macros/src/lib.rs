//! `#[tsl_model(...)]`: typed Rust from an Alibaba Cloud IoT Platform thing model, written
//! as an attribute on a module. A thin front end over the `tsl-codegen` generator: it reads
//! the model file, calls the generator and maps its diagnostics to spans in your code.
//!
//! The attribute arrives with the generator; until then this crate exports nothing.
#![deny(missing_docs)]
