//! `#[tsl_model(...)]`: typed Rust from an Alibaba Cloud IoT Platform thing model, written
//! as an attribute on a module. A thin front end over the `tsl-codegen` generator: it reads
//! the model files, calls the generator and maps its diagnostics to spans in your code.
//!
//! ```
//! use tsl_macros::tsl_model;
//!
//! // A desk fan's model (tests/models/fan.json of this crate).
//! #[tsl_model(path = "tests/models/fan.json")]
//! #[allow(dead_code)] // a binary rarely calls every service
//! mod fan {}
//!
//! // The service's arguments as the platform wants them: a double always with a point.
//! let args = tsl_runtime::value::to_args(&fan::OscillateInput { angle: 45, period: 2.0 })?;
//! assert_eq!(args, r#"{"Angle":45,"Period":2.0}"#);
//!
//! // Out of the model's range: refused before anything is sent, naming field and bound.
//! let too_wide = tsl_runtime::value::to_args(&fan::OscillateInput { angle: 200, period: 2.0 });
//! assert!(too_wide.unwrap_err().to_string().contains("Angle"));
//! # Ok::<(), tsl_runtime::value::ValueErrors>(())
//! ```
//!
//! The module is filled with the generated items (`PRODUCT_KEY`, the input, output and event
//! structs, enums, `PropertySet`, `Device`, `Fleet`, `Handler`, `dispatch`, `Responder`);
//! items you write in it stay, before the generated ones. The crate needs `tsl-runtime` as a
//! dependency, which the generated code names as `::tsl_runtime` unless `runtime` says
//! otherwise.
//!
//! # Arguments
//!
//! | argument | meaning | default |
//! | --- | --- | --- |
//! | `path = "models/lamp.json"` | a model file, relative to the folder of the crate's `Cargo.toml`; repeat it for the modules of one product (a default module and its custom modules) | required |
//! | `derive(PartialOrd)` | extra derives on every generated struct and enum; every field type must have them too. `Eq` and `Hash` are already derived on every type without a float inside (and on every enum); for serde use `serde = true`, as a derived `serde::Serialize` would write Rust field names and dates as numbers rather than the wire form | none |
//! | `attribute(non_exhaustive)` | extra outer attributes on every generated struct and enum, written without `#[...]` | none |
//! | `type_attribute("WorkMode" = derive(PartialOrd, Ord), "Blink" = non_exhaustive)` | outer attributes, written without `#[...]`, on the types a name picks: a generated Rust type name, or a service or event identifier (its input, output or payload structs); a name that picks no type is an error at that name | none |
//! | `serde = true` | `serde::Serialize` and `serde::Deserialize` on every generated type in the wire form (wire keys, bools as `0`/`1`, enum keys, dates as strings of milliseconds), through the runtime's encoding and checked against the model; no serde dependency needed to compile | `false` |
//! | `step_check = "warn"` | a number off its model's `step`: `"warn"` lets it pass and `tsl_runtime::value::step_warnings` reports it, `"strict"` refuses it, `"off"` ignores steps; the platform is not known to refuse such values (`docs/checks.md` in the repository) | `"warn"` |
//! | `runtime = ::tsl_runtime` | the path generated code names the runtime by | `::tsl_runtime` |
//! | `types = true` | emit the types (always on when `cloud` or `device` is) | `true` |
//! | `cloud = true` | emit the cloud side: `Device` and `Fleet` | `true` |
//! | `device = true` | emit the device side: `Handler`, `dispatch` and `Responder` | `true` |
//! | `collisions = "resolve"` | TSL identifiers that meet after case conversion: `"resolve"` numbers them, `"error"` refuses the model naming both | `"resolve"` |
//!
//! All together:
//!
//! ```
//! # use tsl_macros::tsl_model;
//! #[tsl_model(
//!     path = "tests/models/fan.json",
//!     path = "tests/models/fan-filter.json", // the fan's `filter` module
//!     derive(PartialOrd),
//!     attribute(non_exhaustive),
//!     type_attribute("Speed" = derive(Ord)), // one type picked by its Rust name
//!     serde = true,
//!     runtime = ::tsl_runtime,
//!     cloud = true,
//!     device = false,
//!     collisions = "error",
//! )]
//! pub mod fan {}
//! # fn main() {}
//! ```
//!
//! # Errors
//!
//! Problems become compile errors at the code that caused them, all of them in one build:
//! a bad argument at that argument; a model file that cannot be read, is not JSON or is not
//! a valid model at its `path = "..."` literal, one error per problem, each naming the
//! model's `file:line:col`, the JSON path and what is wrong. The module is still emitted as
//! written, so the rest of the crate keeps compiling. Model warnings are not shown (a
//! procedural macro cannot emit warnings on stable Rust); `tsl-codegen check` prints them.
//!
//! # Rebuilds
//!
//! The expansion includes each model file with `include_bytes!` (into an unnamed constant
//! the optimizer drops), so editing a model rebuilds the crate, and nothing else does.
//!
//! The macro hands tokens straight to the compiler and does not format them; to read what
//! it generates, run `tsl-codegen generate` on the same files.
//!
//! # Build time
//!
//! For a small model the attribute costs nothing measurable over a checked-in file. For a
//! model of 300 services, expanding it takes about 2.5 s of a 5 s rebuild, against 0.6 s
//! for the compiler to read the same code from a file; compiling the macro optimized halves
//! that (`BENCHMARKS.md`, "Build times"):
//!
//! ```toml
//! [profile.dev.build-override]
//! opt-level = 3
//! ```
//!
//! # Testing with trybuild
//!
//! trybuild compiles test files in a copy of the crate under `target/`, where
//! `CARGO_MANIFEST_DIR` points to the copy. Set `TSL_MACROS_BASE_DIR` to your crate's folder
//! in the test (before `trybuild::TestCases::new()`) and paths resolve against it instead.
#![deny(missing_docs)]

mod args;
mod errors;
mod expand;

use proc_macro::TokenStream;

/// Fills the annotated module with code generated from thing model files. See the
/// [crate documentation](crate) for the arguments.
#[proc_macro_attribute]
pub fn tsl_model(args: TokenStream, item: TokenStream) -> TokenStream {
    expand::expand(args.into(), item.into()).into()
}
