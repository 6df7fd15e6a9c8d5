use tsl_macros::tsl_model;

// Every bad argument is reported, each at itself.
#[tsl_model(
    path = "tests/models/fan.json",
    cloud = "yes",
    derives(Eq),
    collisions = "ignore",
    device = true,
    device = false,
    runtime = "tsl_runtime",
    type_attribute(Speed = derive(Ord)),
    serde = 1,
    step_check = "lenient",
)]
mod fan {}

fn main() {}
