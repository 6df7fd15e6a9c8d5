//! The street-lamp fleet program (`examples/shared/`), its typed code a file generated once
//! and checked in: `src/lamp.rs`, regenerated from the workspace root with
//!
//! ```sh
//! cargo run -p tsl-codegen -- generate -o examples/checked-in/src/lamp.rs examples/models/street-lamp.json
//! ```
//!
//! and kept fresh by `tests/fresh.rs` (or `tsl-codegen generate --check` in CI).
//!
//! `cargo run -p example-checked-in`

use std::process::ExitCode;

/// The street lamp's typed code. Formatted by prettyplease, not rustfmt: skipped by
/// `cargo fmt` so the file stays exactly as generated.
#[rustfmt::skip]
#[allow(dead_code)] // a program rarely calls every service
mod lamp;

#[path = "../../shared/fleet_program.rs"]
mod fleet_program;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    fleet_program::main("the checked-in src/lamp.rs").await
}
