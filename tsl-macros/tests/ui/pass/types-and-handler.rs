//! The generated types encode as the platform wants, and a device implements the
//! generated `Handler` and answers through `dispatch`.
use tsl_macros::tsl_model;
use tsl_runtime::alink::{DeviceError, Request};
use tsl_runtime::serde_json::json;
use tsl_runtime::value::to_args;

#[path = "../support/block_on.rs"]
mod block_on;

#[tsl_model(path = "tests/models/fan.json")]
mod fan {}

struct DeskFan;

impl fan::Handler for DeskFan {
    async fn oscillate(&self, input: fan::OscillateInput) -> Result<fan::OscillateOutput, DeviceError> {
        Ok(fan::OscillateOutput { started: input.angle >= 45 })
    }

    async fn reboot(&self) -> Result<(), DeviceError> {
        Err(DeviceError::new(100_001, "busy"))
    }

    async fn set_properties(&self, properties: fan::PropertySet) -> Result<(), DeviceError> {
        assert_eq!(properties.speed, Some(fan::Speed::High));
        Ok(())
    }
}

fn main() {
    assert_eq!(fan::PRODUCT_KEY, "a1DeskFan");

    // Doubles go with a decimal point; values are checked against the model.
    let args = to_args(&fan::OscillateInput { angle: 90, period: 4.0 }).unwrap();
    assert_eq!(args, r#"{"Angle":90,"Period":4.0}"#);
    let err = to_args(&fan::OscillateInput { angle: 135, period: 4.0 }).unwrap_err();
    assert!(err.to_string().contains("Angle"), "{err}");
    // 100 is off the step 15: a warning under the default `step_check`, not an error.
    let off = fan::OscillateInput { angle: 100, period: 4.0 };
    assert!(to_args(&off).is_ok());
    assert_eq!(tsl_runtime::value::step_warnings(&off).len(), 1);

    // Enums as their key, bools as 0/1; only writable properties have setters.
    let set = fan::PropertySet::default().power(true).speed(fan::Speed::High);
    assert_eq!(to_args(&set).unwrap(), r#"{"Power":1,"Speed":3}"#);

    let reply = block_on::block_on(fan::dispatch(
        &DeskFan,
        &Request::service("1", "Oscillate", json!({"Angle": 90, "Period": 4.0})),
    ));
    assert!(reply.is_ok(), "{reply:?}");
    assert_eq!(reply.data, json!({"Started": 1}));

    // Arguments that do not fit the model never reach the handler.
    let reply = block_on::block_on(fan::dispatch(
        &DeskFan,
        &Request::service("2", "Oscillate", json!({"Angle": 10, "Period": 4.0})),
    ));
    assert!(!reply.is_ok());

    let reply = block_on::block_on(fan::dispatch(&DeskFan, &Request::service("3", "Reboot", json!({}))));
    assert_eq!(reply.code, 100_001);
}
