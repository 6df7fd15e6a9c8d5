//! Generated code, compiled. Each module below is a golden file: what `tsl-codegen
//! generate` writes for one of the models in `tests/golden/models/` (or `examples/models/`).
//! `tests/tests/golden.rs` checks they are fresh; `TSL_BLESS=1 cargo test -p tsl-tests
//! --test golden` rewrites them.
#![deny(warnings, missing_docs)]

/// `examples/models/street-lamp.json`: every type, sync and async services, function blocks.
#[rustfmt::skip]
pub mod street_lamp;

/// Code generated at build time from the real models in `../shared/models/` (not in the
/// repository; see `build.rs`).
#[cfg(tsl_real_models)]
pub mod real {
    include!(concat!(env!("OUT_DIR"), "/real_models.rs"));
}
