//! The models bundled in `examples/models/` and the README's examples: they run in every
//! clone, with or without `../shared`.

use serde_json::json;
use tsl_runtime::model::{
    AccessMode, CallType, DataType, Envelope, EventType, Format, Model, Problem,
};
use tsl_runtime::value::encode_args;
use tsl_tests::repo_file;

fn lamp_product() -> Model {
    let parsed = Model::load_all(&[
        repo_file("examples/models/street-lamp.json"),
        repo_file("examples/models/street-lamp-battery.json"),
        repo_file("examples/models/street-lamp-sensor-query-thing-model.json"),
    ])
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    parsed.model
}

#[test]
fn readme_value_example_holds() {
    let parsed = Model::load(repo_file("examples/models/street-lamp.json")).unwrap();
    let blink = parsed.model.service_by_wire_identifier("Blink").unwrap();
    let args = encode_args(&blink.inputs, &json!({"Times": 3, "Interval": 1})).unwrap();
    assert_eq!(args, r#"{"Times":3,"Interval":1.0}"#);

    let err = encode_args(&blink.inputs, &json!({"Times": 30, "Interval": 1})).unwrap_err();
    assert_eq!(err.to_string(), "`Times`: 30 is above the max 20");
}

#[test]
fn the_lamp_product_combines_three_modules_in_two_formats() {
    let model = lamp_product();
    assert_eq!(model.product_key.as_deref(), Some("a1StreetLmp"));
    let ids: Vec<_> = model.modules.iter().map(|m| m.id.as_deref()).collect();
    assert_eq!(ids, [None, Some("battery"), Some("sensor")]);

    let default = model.default_module().unwrap();
    assert_eq!(default.source.format, Format::Tsl);
    assert_eq!(default.function_blocks.len(), 2);

    let sensor = model.module(Some("sensor")).unwrap();
    assert_eq!(sensor.source.format, Format::ThingModelJson);
    assert_eq!(sensor.source.envelope, Envelope::QueryThingModel);
    assert_eq!(sensor.source.version.as_deref(), Some("1700000000000"));
    assert!(sensor.source.origin.ends_with("#/Data/ThingModelJson"));
}

#[test]
fn module_items_carry_their_wire_identifiers() {
    let model = lamp_product();
    let calibrate = model
        .service_by_wire_identifier("battery:Calibrate")
        .unwrap();
    assert_eq!(calibrate.identifier, "Calibrate");
    assert_eq!(calibrate.call_type, CallType::Sync);
    assert_eq!(calibrate.method, "thing.service.Calibrate");
    let limit = model
        .property_by_wire_identifier("battery:ChargeLimit")
        .unwrap();
    assert_eq!(limit.access, AccessMode::ReadWrite);
    // The default module's items are unprefixed, and a module's own `Calibrate` does not
    // shadow another's.
    assert!(model.service_by_wire_identifier("Calibrate").is_none());
    assert!(model
        .service_by_wire_identifier("sensor:Calibrate")
        .is_some());
}

#[test]
fn thing_model_json_maps_field_by_field() {
    let model = lamp_product();
    let sensor = model.module(Some("sensor")).unwrap();
    let lux = sensor.property("Lux").unwrap();
    assert_eq!(lux.access, AccessMode::ReadOnly);
    let DataType::Float(spec) = &lux.data_type else {
        panic!("{:?}", lux.data_type)
    };
    assert_eq!(spec.max.as_ref().unwrap().text(), "100000");
    assert_eq!(spec.step.as_ref().unwrap().text(), "0.1");
    assert_eq!(spec.unit.as_deref(), Some("Lux"));

    let DataType::Enum(sensitivity) = &sensor.property("Sensitivity").unwrap().data_type else {
        panic!()
    };
    assert_eq!(sensitivity.get(1).unwrap().label, "high");
    let DataType::Bool(enabled) = &sensor.property("Enabled").unwrap().data_type else {
        panic!()
    };
    assert_eq!(enabled.true_label.as_deref(), Some("on"));

    let dirty = sensor.event("Dirty").unwrap();
    assert_eq!(dirty.kind, EventType::Alert);
    assert_eq!(dirty.name.as_deref(), Some("Lens dirty"));
    assert_eq!(dirty.method, "thing.event.Dirty.post");
    assert_eq!(dirty.outputs[0].identifier, "Transmission");

    let calibrate = sensor.service("Calibrate").unwrap();
    assert_eq!(calibrate.inputs[0].identifier, "Reference");
    assert_eq!(calibrate.outputs[0].identifier, "Offset");
}

#[test]
fn every_type_of_the_lamp_reads_with_its_specs() {
    let model = lamp_product();
    let lamp = model.default_module().unwrap();
    let DataType::Enum(mode) = &lamp.property("WorkMode").unwrap().data_type else {
        panic!()
    };
    assert_eq!(mode.get(-1).unwrap().label, "maintenance");
    let DataType::Array(schedule) = &lamp.property("Schedule").unwrap().data_type else {
        panic!()
    };
    assert_eq!(schedule.size, Some(8));
    let DataType::Struct(entry) = schedule.item.as_ref() else {
        panic!()
    };
    assert_eq!(entry.members.len(), 3);
    assert!(matches!(
        lamp.property("LastMaintenance").unwrap().data_type,
        DataType::Date
    ));
    let get = lamp.service("get").unwrap();
    assert!(get.is_property_service());
    assert_eq!(get.input_names.len(), lamp.properties.len());
    let set = lamp.service("set").unwrap();
    let writable = lamp
        .properties
        .iter()
        .filter(|p| p.access.is_writable())
        .count();
    assert_eq!(set.inputs.len(), writable);
}

#[test]
fn the_broken_fixture_reports_each_problem_as_data() {
    let err = Model::load(repo_file("tests/fixtures/broken-lamp.json")).unwrap_err();
    let found: Vec<(&str, &Problem)> = err
        .diagnostics
        .iter()
        .map(|d| (d.pointer.as_str(), &d.problem))
        .collect();
    assert!(found
        .iter()
        .any(|(ptr, p)| *ptr == "/properties/0/dataType/specs"
            && matches!(p, Problem::MinAboveMax { min, max } if min == "100" && max == "0")));
    assert!(found
        .iter()
        .any(|(ptr, p)| *ptr == "/properties/2/dataType/type"
            && matches!(p, Problem::UnknownDataType { name } if name == "string")));
    assert!(found.iter().any(|(ptr, p)| *ptr == "/properties/3/identifier"
        && matches!(p, Problem::DuplicateIdentifier { first, .. } if first == "/properties/0")));
    assert!(found
        .iter()
        .any(|(_, p)| matches!(p, Problem::SentinelBound { field: "max", .. })));
    assert_eq!(err.errors().count(), 6);
    assert!(err.diagnostics.iter().all(|d| d.location.is_some()));
}
