use tsl_macros::tsl_model;

// With a broken model the module has only its own items. The model's error is the one
// reported: code naming generated items does not bury it under errors of its own.
#[tsl_model(path = "tests/models/int32.json")]
mod fan {}

fn main() {
    let _ = fan::PRODUCT_KEY;
}
