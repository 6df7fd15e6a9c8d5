//! `Settings::serde`: generated types through serde in the wire form. Serializing writes
//! the text `to_wire` writes, deserializing a wire JSON gives the same value back, and a
//! value the model refuses is a serde error naming the field, the value and the bound.

use tsl_golden::street_lamp_serde::{
    BlinkInput, Location, PropertySet, ScheduleItem, UploadScheduleInput, WorkMode,
};
use tsl_runtime::value::{to_args, Date, TslValue};

fn schedule() -> UploadScheduleInput {
    UploadScheduleInput {
        schedule: vec![ScheduleItem {
            at: 390,
            brightness: 80,
            enabled: true,
        }],
        valid_from: Date(1_635_839_462_000),
    }
}

#[test]
fn serializing_writes_the_wire_text() {
    let input = schedule();
    let text = serde_json::to_string(&input).unwrap();
    assert_eq!(text, input.to_wire().to_json().unwrap());
    // Wire keys, bools as 0/1, dates as strings of milliseconds.
    assert_eq!(
        text,
        r#"{"Schedule":[{"At":390,"Brightness":80,"Enabled":1}],"ValidFrom":"1635839462000"}"#
    );
    // Floats with a decimal point, enums as keys, unset properties left out.
    let blink = BlinkInput {
        times: 3,
        interval: 1.0,
    };
    assert_eq!(
        serde_json::to_string(&blink).unwrap(),
        to_args(&blink).unwrap()
    );
    assert_eq!(
        serde_json::to_string(&blink).unwrap(),
        r#"{"Times":3,"Interval":1.0}"#
    );
    let set = PropertySet::default()
        .work_mode(WorkMode::Maintenance)
        .light_switch(false);
    assert_eq!(
        serde_json::to_string(&set).unwrap(),
        r#"{"LightSwitch":0,"WorkMode":-1}"#
    );
    assert_eq!(serde_json::to_string(&WorkMode::LightSensor).unwrap(), "2");
}

#[test]
fn deserializing_a_wire_json_gives_the_value_back() {
    let text =
        r#"{"Schedule":[{"At":390,"Brightness":80,"Enabled":1}],"ValidFrom":"1635839462000"}"#;
    let input: UploadScheduleInput = serde_json::from_str(text).unwrap();
    assert_eq!(input, schedule());
    let location = Location {
        longitude: 120.1,
        latitude: 30.25,
        street: "西湖路 1 号".to_string(),
    };
    let back: Location = serde_json::from_str(&serde_json::to_string(&location).unwrap()).unwrap();
    assert_eq!(back, location);
    let set: PropertySet = serde_json::from_str(r#"{"WorkMode":-1}"#).unwrap();
    assert_eq!(set, PropertySet::default().work_mode(WorkMode::Maintenance));
    let mode: WorkMode = serde_json::from_str("1").unwrap();
    assert_eq!(mode, WorkMode::Timer);
}

#[test]
fn a_value_out_of_range_is_a_serde_error_naming_field_value_and_bound() {
    let err = serde_json::from_str::<BlinkInput>(r#"{"Times":21,"Interval":1.0}"#).unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("Times") && message.contains("21") && message.contains("20"),
        "{message}"
    );
    let too_many = BlinkInput {
        times: 0,
        interval: 1.0,
    };
    let message = serde_json::to_string(&too_many).unwrap_err().to_string();
    assert!(
        message.contains("Times") && message.contains('0') && message.contains("min 1"),
        "{message}"
    );
    // Not the wire form: a Rust field name, an enum key the model does not list.
    assert!(serde_json::from_str::<BlinkInput>(r#"{"times":3,"interval":1.0}"#).is_err());
    let message = serde_json::from_str::<WorkMode>("7")
        .unwrap_err()
        .to_string();
    assert!(message.contains('7'), "{message}");
}
