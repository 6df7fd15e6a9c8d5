use tsl_macros::tsl_model;

// A type attribute's name that picks no generated type is an error at that name.
#[tsl_model(
    path = "tests/models/fan.json",
    type_attribute("Speed" = non_exhaustive, "Mood" = non_exhaustive),
)]
mod fan {}

fn main() {}
