//! Generated code, compiled. Each module below is a golden file: what `tsl-codegen
//! generate` writes for one of the models in `tests/golden/models/` (or `examples/models/`).
//! `tests/tests/golden.rs` checks they are fresh; `TSL_BLESS=1 cargo test -p tsl-tests
//! --test golden` rewrites them.
#![deny(warnings, missing_docs)]

/// `examples/models/street-lamp.json`: every type, sync and async services, function blocks.
/// The file is the checked-in example's stub, so the golden and the example are one.
#[rustfmt::skip]
#[path = "../../../examples/checked-in/src/lamp.rs"]
pub mod street_lamp;
/// The street lamp with its custom modules `battery` (TSL) and `sensor` (a QueryThingModel
/// response): module services and properties on the wire as `module:identifier`.
#[rustfmt::skip]
pub mod street_lamp_modules;
/// `tests/golden/models/torture.json`: keywords, digit-first and prelude names, names that
/// collide after case conversion or with the generated API, Chinese labels, every type and
/// array, sentinel and E-notation bounds, hostile free text in docs.
#[rustfmt::skip]
pub mod torture;
/// The street lamp again, with `Settings::type_attribute`: `WorkMode` ordered, `ScheduleItem`
/// and the `Blink` service's input and output with `Default`.
#[rustfmt::skip]
pub mod street_lamp_attributes;
/// The street lamp again, with `Settings::serde`: `Serialize` and `Deserialize` in the wire
/// form on every type.
#[rustfmt::skip]
pub mod street_lamp_serde;
/// `tests/golden/models/pump-module.json`: a custom module on its own, its services and
/// properties on the wire as `pump:identifier`.
#[rustfmt::skip]
pub mod pump_module;

/// Code generated at build time from the real models in `../shared/models/` (not in the
/// repository; see `build.rs`).
#[cfg(tsl_real_models)]
pub mod real {
    include!(concat!(env!("OUT_DIR"), "/real_models.rs"));
}
