use tsl_macros::tsl_model;

#[tsl_model(path = "tests/models/fan.json")]
struct Fan;

fn main() {
    // The item is still emitted, so the rest of the crate compiles.
    let _fan = Fan;
}
