//! Positions on both sides, in both shapes, and inside API responses. The rules themselves
//! are tested one by one in `tsl-codegen/tests/diff_rules.rs`, with the code-breaking ones.

use super::*;
use crate::model::{Location, Model};

fn side_changes(old: (&str, &str), new: (&str, &str)) -> Vec<Change> {
    let a = Model::parse(old.1, old.0).unwrap().model;
    let b = Model::parse(new.1, new.0).unwrap().model;
    let mut sa = Sources::new();
    sa.insert(old.0, old.1);
    let mut sb = Sources::new();
    sb.insert(new.0, new.1);
    diff_sides(&Side::new(&a, &sa), &Side::new(&b, &sb))
}

const OLD: &str = r#"{
  "properties": [
    {"identifier": "Level", "accessMode": "rw",
     "dataType": {"type": "int", "specs": {"min": "0", "max": "100"}}}
  ],
  "services": [
    {"identifier": "Blink", "callType": "sync",
     "inputData": [{"identifier": "Times", "dataType": {"type": "int", "specs": {}}}],
     "outputData": []}
  ]
}"#;

const NEW: &str = r#"{
  "properties": [
    {"identifier": "Level", "accessMode": "rw",
     "dataType": {"type": "int", "specs": {"min": "0", "max": "50"}}}
  ],
  "services": [
    {"identifier": "Blink", "callType": "sync", "inputData": [], "outputData": []}
  ]
}"#;

#[test]
fn both_sides_are_located_by_pointer_and_line() {
    let changes = side_changes(("old.json", OLD), ("new.json", NEW));
    assert_eq!(changes.len(), 2, "{changes:#?}");
    let max = &changes[0];
    assert_eq!(max.rule, Rule::BoundsNarrowed);
    assert_eq!(max.old.pointer, "/properties/0/dataType/specs/max");
    assert_eq!(max.new.pointer, "/properties/0/dataType/specs/max");
    assert_eq!(
        max.old.location,
        Some(Location {
            line: 4,
            column: 63
        })
    );
    assert_eq!(max.new.origin, "new.json");
    let input = &changes[1];
    assert_eq!(input.rule, Rule::ServiceInputRemoved);
    assert_eq!(input.old.pointer, "/services/0/inputData/0");
    // Gone on the new side: the list it was in.
    assert_eq!(input.new.pointer, "/services/0/inputData");
    assert_eq!(
        input.new.location,
        Some(Location {
            line: 7,
            column: 62
        })
    );
    assert_eq!(
        input.to_string(),
        "new.json:7:62: wire-breaking SERVICE_INPUT_REMOVED: service `Blink` input `Times`: removed \
         (at /services/0/inputData; was old.json:8:20 at /services/0/inputData/0)"
    );
}

#[test]
fn thing_model_json_is_followed_by_identifier_in_its_own_keys() {
    // Parameters sorted by paraOrder: the model's order is not the file's.
    let tmj = |max: &str| {
        format!(
            r#"{{"_ppk":{{}},"productKey":"a1","properties":[],"events":[],"services":[
  {{"identifier":"Go","serviceName":"Go","callType":"ASYNC","outputParams":[],"inputParams":[
    {{"identifier":"B","paraOrder":1,"dataType":"INT","dataSpecs":{{"dataType":"INT","min":"0","max":"9"}}}},
    {{"identifier":"A","paraOrder":0,"dataType":"ENUM","dataSpecsList":[{{"value":0,"name":"x"}},{{"value":1,"name":"y"}}]}},
    {{"identifier":"C","paraOrder":2,"dataType":"INT","dataSpecs":{{"dataType":"INT","min":"0","max":"{max}"}}}}]}}]}}"#
        )
    };
    let (old, new) = (tmj("9"), tmj("5").replace(r#",{"value":1,"name":"y"}"#, ""));
    let changes = side_changes(("old.json", &old), ("new.json", &new));
    let found: Vec<(Rule, &str, &str)> = changes
        .iter()
        .map(|c| (c.rule, c.old.pointer.as_str(), c.new.pointer.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                Rule::EnumKeyRemoved,
                "/services/0/inputParams/1/dataSpecsList/1",
                "/services/0/inputParams/1/dataSpecsList"
            ),
            (
                Rule::BoundsNarrowed,
                "/services/0/inputParams/2/dataSpecs/max",
                "/services/0/inputParams/2/dataSpecs/max"
            ),
        ]
    );
    assert!(changes.iter().all(|c| c.old.location.is_some()));
}

#[test]
fn models_inside_api_responses_are_located_inside_the_string() {
    let wrap = |tsl: &str| serde_json::json!({"Data": {"TslStr": tsl}}).to_string();
    let changes = side_changes(("old.json", &wrap(OLD)), ("new.json", &wrap(NEW)));
    assert_eq!(changes[0].old.origin, "old.json#/Data/TslStr");
    assert_eq!(
        changes[0].old.location,
        Some(Location {
            line: 4,
            column: 63
        })
    );
}

#[test]
fn missing_texts_leave_pointers_empty_and_unlocated() {
    let a = Model::parse(OLD, "old.json").unwrap().model;
    let b = Model::parse(NEW, "new.json").unwrap().model;
    let none = Sources::new();
    let changes = diff_sides(&Side::new(&a, &none), &Side::new(&b, &none));
    assert_eq!(changes.len(), 2);
    assert!(changes
        .iter()
        .all(|c| c.old.location.is_none() && c.old.pointer.is_empty()));
}

#[test]
fn a_model_compared_with_itself_has_no_changes() {
    assert!(side_changes(("a.json", OLD), ("b.json", OLD)).is_empty());
}

#[test]
fn a_rename_is_a_removal_that_names_its_likely_twin() {
    let renamed = OLD.replace("\"Level\"", "\"Brightness\"");
    let changes = side_changes(("old.json", OLD), ("new.json", &renamed));
    let found: Vec<(Rule, &str)> = changes
        .iter()
        .map(|c| (c.rule, c.message.as_str()))
        .collect();
    assert_eq!(
        found,
        vec![
            (
                Rule::PropertyRemoved,
                "removed (`Brightness` was added with the same definition: renamed?)"
            ),
            (Rule::PropertyAdded, "added"),
        ]
    );
}
