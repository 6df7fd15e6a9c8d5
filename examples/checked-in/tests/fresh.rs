//! The checked-in stub is what the generator makes of the model today. When this fails,
//! regenerate it from the workspace root with the command in the message.

use std::path::Path;

use tsl_codegen::model::Model;
use tsl_codegen::{Generator, Settings};

/// The model as the command line names it (the `@generated` header quotes it).
const MODEL: &str = "examples/models/street-lamp.json";
const STUB: &str = "examples/checked-in/src/lamp.rs";

#[test]
fn the_checked_in_stub_is_fresh() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let model = Model::load(root.join(MODEL)).unwrap().model;
    let expected = Generator::new(&Settings::new())
        .generate_file(&model, &[MODEL])
        .unwrap();
    let current = std::fs::read_to_string(root.join(STUB)).unwrap_or_default();
    assert!(
        current == expected,
        "{STUB} is stale; regenerate it from the workspace root with:\n  \
         cargo run -p tsl-codegen -- generate -o {STUB} {MODEL}"
    );
}
