//! Two files as the modules of one product, settings as arguments, the runtime under
//! another path, and the module's own items and attributes kept.
use tsl_macros::tsl_model;

mod rt {
    pub use ::tsl_runtime::*;
}

#[tsl_model(
    path = "tests/models/fan.json",
    path = "tests/models/fan-filter.json",
    derive(PartialOrd),
    attribute(must_use),
    type_attribute("Oscillate" = derive(Default), "Speed" = derive(Ord)),
    serde = true,
    runtime = crate::rt,
    device = false,
    collisions = "error",
)]
pub mod fan {
    //! The desk fan and its filter.
    #![allow(clippy::float_cmp)]

    /// A helper of our own, next to the generated items.
    pub fn gentle() -> OscillateInput {
        OscillateInput { angle: 30, period: 10.0 }
    }
}

// `collisions = "resolve"` (the default): `tempC` and `temp_c` both get a name.
#[tsl_model(
    path = "tests/models/collide.json",
    types = true,
    cloud = false,
    device = false,
    step_check = "strict"
)]
mod collide {}

fn main() {
    // A custom module's service is addressed as `filter:Reset`, its input typed as usual.
    let reset = fan::FilterResetInput { hours: 0 };
    assert_eq!(rt::value::to_args(&reset).unwrap(), r#"{"Hours":0}"#);
    assert!(fan::gentle() < fan::OscillateInput { angle: 45, period: 10.0 });
    // `type_attribute`: the service's structs and the enum got theirs.
    let _ = (fan::OscillateInput::default(), fan::OscillateOutput::default());
    assert!(fan::Speed::ALL.windows(2).all(|w| w[0].cmp(&w[1]).is_lt()));
    // `serde = true`: the wire form through serde, with no serde dependency of our own.
    let text = rt::serde_json::to_string(&fan::gentle()).unwrap();
    assert_eq!(text, rt::value::to_args(&fan::gentle()).unwrap());
    let back: fan::OscillateInput = rt::serde_json::from_str(&text).unwrap();
    assert_eq!(back, fan::gentle());
    let set = collide::PropertySet::default().temp_c(21.5).temp_c_2(22.0);
    assert_eq!(rt::value::to_args(&set).unwrap(), r#"{"tempC":22.0,"temp_c":21.5}"#);
    // `step_check = "strict"`: 21.3 is off the step 0.5, an error rather than a warning.
    let off = collide::PropertySet::default().temp_c(21.3);
    assert!(rt::value::to_args(&off).is_err());
}
