use tsl_macros::tsl_model;

// `tempC` and `temp_c` both become `temp_c`: under "resolve" one is numbered, under
// "error" the model is refused naming both.
#[tsl_model(path = "tests/models/collide.json", collisions = "error")]
mod fan {}

fn main() {}
