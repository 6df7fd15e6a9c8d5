//! The generator's depth does not grow with the model. Before, a struct of 30,000 fields
//! was one 30,000-call method chain, which overflowed the stack.
//!
//! In CI: 5,000 properties on a 1 MiB stack. The 30,000-property and 1,000-service models themselves take minutes in a debug build,
//! so they are `#[ignore]`d here; run them with
//! `cargo test --release -p tsl-codegen --test large_models -- --ignored`.

#[path = "../benches/support/synthetic_model.rs"]
#[allow(dead_code)]
mod synthetic_model;

use synthetic_model::Size;
use tsl_codegen::model::Model;
use tsl_codegen::{Generator, Settings};

fn generate(size: Size) -> String {
    let text = synthetic_model::model_json(size);
    let model = Model::parse(&text, "synthetic.json")
        .unwrap_or_else(|e| panic!("the synthetic model does not parse: {e}"))
        .model;
    // On a thread with a small stack (the default of a spawned thread is 2 MiB; a build
    // script's main thread has 8 MiB), so depth that grows with the model shows.
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(move || Generator::new(&Settings::new()).generate_file(&model, &["synthetic.json"]))
        .expect("a thread")
        .join()
        .expect("the generator does not overflow its stack")
        .expect("generates")
}

#[test]
#[ignore = "minutes in a debug build; run with --release -- --ignored"]
fn thirty_thousand_properties_generate() {
    let code = generate(Size {
        properties: 30_000,
        services: 0,
        events: 0,
        params: 0,
    });
    assert!(code.contains("pub struct PropertySet"));
    assert!(code.contains("29999`"), "the last property is there");
}

#[test]
#[ignore = "minutes in a debug build; run with --release -- --ignored"]
fn a_thousand_services_generate() {
    let code = generate(Size {
        properties: 0,
        services: 1_000,
        events: 0,
        params: 2,
    });
    assert!(code.matches("pub async fn ").count() >= 1_000);
}

/// What CI runs: 5,000 properties (a 5,000-field property set, `post` event and `get`
/// output) on a 1 MiB stack, which a depth growing with the fields does not fit.
#[test]
fn five_thousand_properties_generate_on_a_small_stack() {
    let text = synthetic_model::model_json(Size {
        properties: 5_000,
        services: 0,
        events: 0,
        params: 0,
    });
    let model = Model::parse(&text, "synthetic.json")
        .unwrap_or_else(|e| panic!("the synthetic model does not parse: {e}"))
        .model;
    let code = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || Generator::new(&Settings::new()).generate_file(&model, &["synthetic.json"]))
        .expect("a thread")
        .join()
        .expect("the generator does not overflow its stack")
        .expect("generates");
    assert!(code.contains("4999`"), "the last property is there");
}
