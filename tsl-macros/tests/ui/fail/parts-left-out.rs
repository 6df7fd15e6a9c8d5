use tsl_macros::tsl_model;

// `cloud = false` and `device = false` leave out `Device`, `Fleet` and `Handler`.
#[tsl_model(path = "tests/models/fan.json", cloud = false, device = false)]
mod fan {}

struct DeskFan;

impl fan::Handler for DeskFan {}

fn main() {
    let _ = fan::OscillateInput { angle: 30, period: 2.0 };
}
