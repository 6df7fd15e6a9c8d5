use tsl_macros::tsl_model;

#[tsl_model(path = "tests/models/int32.json")]
mod fan {}

fn main() {}
