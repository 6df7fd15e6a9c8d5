//! The generated `Properties`: every property of the model with its time, decoded item by
//! item from what a report carries, every value checked against the model, and every
//! property that does not fit kept with its JSON (never dropped).

use serde_json::{json, Value};
use tsl_golden::street_lamp as lamp;
use tsl_golden::street_lamp_modules as modules;
use tsl_runtime::value::{Rejected, Timed};

fn items(report: &Value) -> Vec<(&str, &Value, Option<i64>)> {
    report
        .as_object()
        .expect("an object")
        .iter()
        .map(|(id, item)| (id.as_str(), &item["value"], item["time"].as_i64()))
        .collect()
}

#[test]
fn values_within_the_model_are_read_with_their_time() {
    let report = json!({
        "LightSwitch": {"value": 1, "time": 1700000000000i64},
        "Voltage": {"value": 230.5, "time": 1700000000001i64},
        "WorkMode": {"value": 2},
        "Location": {"value": {"Longitude": 120.1, "Latitude": 30.2, "Street": "Wensan Rd"}},
        "LuxHistory": {"value": [1.5, 2.0]},
    });
    let (properties, rejected) = lamp::Properties::decode(items(&report));
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(
        properties.light_switch,
        Some(Timed {
            value: true,
            time: Some(1700000000000)
        })
    );
    assert_eq!(properties.voltage.unwrap().value, 230.5);
    assert_eq!(
        properties.work_mode.unwrap().value,
        lamp::WorkMode::LightSensor
    );
    assert_eq!(properties.location.unwrap().value.street, "Wensan Rd");
    assert_eq!(properties.lux_history.unwrap().value, vec![1.5, 2.0]);
    assert_eq!(properties.brightness, None);
}

#[test]
fn values_that_fail_the_model_and_unknown_identifiers_are_rejected_with_their_json() {
    let report = json!({
        "Brightness": {"value": 140, "time": 5},
        "WorkMode": {"value": 7},
        "Firmware": {"value": 3},
        "Mood": {"value": "happy"},
        "LightSwitch": {"value": 0},
    });
    let (properties, rejected) = lamp::Properties::decode(items(&report));
    assert_eq!(properties.light_switch.map(|t| t.value), Some(false));
    assert_eq!(properties.brightness, None);
    let by_id = |id: &str| rejected.iter().find(|r| r.identifier() == id).unwrap();
    assert_eq!(rejected.len(), 4, "{rejected:?}");
    match by_id("Brightness") {
        Rejected::Invalid {
            errors, raw, time, ..
        } => {
            assert_eq!(raw, &json!(140));
            assert_eq!(*time, Some(5));
            assert!(errors.to_string().contains("100"), "{errors}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(by_id("WorkMode"), Rejected::Invalid { raw, .. } if raw == &json!(7)));
    assert!(matches!(by_id("Firmware"), Rejected::Invalid { .. }));
    assert!(matches!(by_id("Mood"), Rejected::Unknown { raw, .. } if raw == &json!("happy")));
}

/// Module properties are keyed `module:identifier` on the wire and read into the fields the
/// plan names for them.
#[test]
fn module_properties_are_read_by_their_wire_identifier() {
    let report = json!({
        "battery:Charge": {"value": 80, "time": 9},
        "Charge": {"value": 80},
    });
    let (properties, rejected) = modules::Properties::decode(items(&report));
    assert_eq!(properties.battery_charge.map(|t| t.time), Some(Some(9)));
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0].identifier(), "Charge");
}
