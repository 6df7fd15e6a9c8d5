//! Every model `check` accepts, each generated into a file of its own and included as a user
//! includes it (see `build.rs`): nothing wraps the generated items in an `allow`, so a
//! warning in any of them fails this crate under `#![deny(warnings)]` and the workspace's
//! `cargo clippy -- -D warnings`.
#![deny(warnings, missing_docs)]

include!(concat!(env!("OUT_DIR"), "/models.rs"));
