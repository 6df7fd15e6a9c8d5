use tsl_macros::tsl_model;

#[tsl_model(path = "tests/models/fan.json", path = "tests/models/no-such-model.json")]
mod fan {
    pub fn helper() {}
}

fn main() {
    // The module is still emitted as written, so code using its own items compiles.
    fan::helper();
}
