use tsl_macros::tsl_model;

#[tsl_model(path = "tests/models/not-json.json")]
mod fan {}

fn main() {}
