use tsl_macros::tsl_model;

// Both problems of the model, each with its line:col and JSON path.
#[tsl_model(path = "tests/models/invalid.json")]
mod fan {}

fn main() {}
