//! The parser's rules, on small models written for each rule.

use serde_json::{json, Value};

use crate::model::{
    CallType, DataType, Envelope, Format, Model, ModelError, Parsed, Problem, Severity,
};

fn tsl(properties: Value, services: Value) -> String {
    json!({
        "schema": "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
        "profile": {"version": "1.5", "productKey": "a1Test"},
        "properties": properties,
        "events": [],
        "services": services,
    })
    .to_string()
}

fn prop(identifier: &str, data_type: Value) -> Value {
    json!({"identifier": identifier, "name": identifier, "accessMode": "rw", "required": false, "dataType": data_type})
}

fn ok(text: &str) -> Parsed {
    Model::parse(text, "t.json").unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> ModelError {
    match Model::parse(text, "t.json") {
        Ok(parsed) => panic!("accepted: {:?}", parsed.model),
        Err(e) => e,
    }
}

/// The one error of a model, with its pointer.
fn only_error(text: &str) -> (String, Problem) {
    let e = err(text);
    let errors: Vec<_> = e.errors().collect();
    assert_eq!(errors.len(), 1, "{e}");
    (errors[0].pointer.clone(), errors[0].problem.clone())
}

#[test]
fn struct_in_struct_and_array_in_struct_are_refused() {
    for inner in ["struct", "array"] {
        let model = tsl(
            json!([prop(
                "S",
                json!({"type": "struct", "specs": [
                    {"identifier": "Inner", "name": "Inner", "dataType": {"type": inner, "specs": []}}
                ]})
            )]),
            json!([]),
        );
        let (ptr, problem) = only_error(&model);
        assert_eq!(ptr, "/properties/0/dataType/specs/0/dataType/type");
        assert!(
            matches!(problem, Problem::UnsupportedStructMember { .. }),
            "{problem:?}"
        );
    }
}

#[test]
fn arrays_hold_only_numbers_text_and_structs() {
    for (item, allowed) in [
        ("int", true),
        ("float", true),
        ("double", true),
        ("text", true),
        ("struct", true),
        ("bool", false),
        ("enum", false),
        ("date", false),
        ("array", false),
    ] {
        let specs = if item == "struct" || item == "array" {
            json!([])
        } else {
            json!({})
        };
        let model = tsl(
            json!([prop(
                "A",
                json!({"type": "array", "specs": {"size": "4", "item": {"type": item, "specs": specs}}})
            )]),
            json!([]),
        );
        match Model::parse(&model, "t.json") {
            Ok(_) => assert!(allowed, "{item} accepted"),
            Err(e) => {
                assert!(!allowed, "{item}: {e}");
                assert!(e
                    .errors()
                    .any(|d| matches!(d.problem, Problem::UnsupportedArrayItem { .. })));
            }
        }
    }
}

#[test]
fn array_size_is_one_to_512() {
    for (size, valid) in [
        ("1", true),
        ("512", true),
        ("0", false),
        ("513", false),
        ("x", false),
    ] {
        let model = tsl(
            json!([prop(
                "A",
                json!({"type": "array", "specs": {"size": size, "item": {"type": "int"}}})
            )]),
            json!([]),
        );
        assert_eq!(Model::parse(&model, "t.json").is_ok(), valid, "size {size}");
    }
}

#[test]
fn enum_keys_may_be_negative_and_must_be_integers() {
    let model = tsl(
        json!([prop(
            "E",
            json!({"type": "enum", "specs": {"-1": "below", "0": "zero", "7": "seven"}})
        )]),
        json!([]),
    );
    let parsed = ok(&model);
    let DataType::Enum(spec) = &parsed.model.modules[0].properties[0].data_type else {
        panic!()
    };
    assert_eq!(spec.get(-1).unwrap().label, "below");
    assert_eq!(spec.values.len(), 3);

    let (ptr, problem) = only_error(&tsl(
        json!([prop("E", json!({"type": "enum", "specs": {"1.5": "x"}}))]),
        json!([]),
    ));
    assert_eq!(ptr, "/properties/0/dataType/specs/1.5");
    assert_eq!(problem, Problem::InvalidEnumKey { key: "1.5".into() });
}

#[test]
fn int_bounds_are_32_bit_integers() {
    let (_, problem) = only_error(&tsl(
        json!([prop(
            "I",
            json!({"type": "int", "specs": {"min": "0.5", "max": "10"}})
        )]),
        json!([]),
    ));
    assert!(matches!(
        problem,
        Problem::IntBoundNotInteger { field: "min", .. }
    ));
    let (_, problem) = only_error(&tsl(
        json!([prop(
            "I",
            json!({"type": "int", "specs": {"min": "0", "max": "2147483648"}})
        )]),
        json!([]),
    ));
    assert!(matches!(
        problem,
        Problem::IntBoundOutOfRange { field: "max", .. }
    ));
}

#[test]
fn step_must_be_positive() {
    let (ptr, problem) = only_error(&tsl(
        json!([prop(
            "F",
            json!({"type": "float", "specs": {"min": "0", "max": "1", "step": "-0.1"}})
        )]),
        json!([]),
    ));
    assert_eq!(ptr, "/properties/0/dataType/specs/step");
    assert!(matches!(problem, Problem::StepNotPositive { .. }));
}

#[test]
fn identifiers_are_letters_digits_and_underscores() {
    let (ptr, problem) = only_error(&tsl(
        json!([prop("温度", json!({"type": "int"}))]),
        json!([]),
    ));
    assert_eq!(ptr, "/properties/0/identifier");
    assert!(matches!(problem, Problem::InvalidIdentifier { .. }));
    let long = "a".repeat(51);
    let (_, problem) = only_error(&tsl(
        json!([prop(&long, json!({"type": "int"}))]),
        json!([]),
    ));
    assert!(matches!(problem, Problem::InvalidIdentifier { reason, .. } if reason.contains("50")));
    // A leading digit is allowed by the schema.
    ok(&tsl(
        json!([prop("1st", json!({"type": "int"}))]),
        json!([]),
    ));
}

#[test]
fn reserved_identifiers_warn_except_on_the_platforms_own_items() {
    let parsed = ok(&tsl(
        json!([prop("time", json!({"type": "date"}))]),
        json!([{"identifier": "set", "name": "set", "callType": "async", "method": "thing.service.property.set", "inputData": [], "outputData": []}]),
    ));
    let reserved: Vec<_> = parsed
        .warnings
        .iter()
        .filter(|w| matches!(w.problem, Problem::ReservedIdentifier { .. }))
        .map(|w| w.pointer.as_str())
        .collect();
    assert_eq!(reserved, ["/properties/0/identifier"]);
}

#[test]
fn methods_are_derived_and_mismatches_warned() {
    let parsed = ok(&tsl(
        json!([]),
        json!([
            {"identifier": "Reboot", "name": "Reboot", "callType": "sync", "inputData": [], "outputData": []},
            {"identifier": "Wipe", "name": "Wipe", "method": "thing.service.Erase", "inputData": [], "outputData": []}
        ]),
    ));
    let services = &parsed.model.modules[0].services;
    assert_eq!(services[0].method, "thing.service.Reboot");
    assert_eq!(services[0].call_type, CallType::Sync);
    assert_eq!(services[1].call_type, CallType::Async);
    assert!(parsed.warnings.iter().any(|w| w.pointer == "/services/1/method"
        && matches!(&w.problem, Problem::MethodMismatch { expected, .. } if expected == "thing.service.Wipe")));
}

#[test]
fn get_names_unknown_properties_with_a_warning() {
    let parsed = ok(&tsl(
        json!([prop("Power", json!({"type": "bool"}))]),
        json!([{"identifier": "get", "name": "get", "callType": "async", "method": "thing.service.property.get", "inputData": ["Power", "Ghost"], "outputData": []}]),
    ));
    assert_eq!(
        parsed.model.modules[0].services[0].input_names,
        ["Power", "Ghost"]
    );
    assert!(parsed.warnings.iter().any(
        |w| matches!(&w.problem, Problem::UnknownPropertyName { identifier } if identifier == "Ghost")
    ));
}

#[test]
fn duplicate_parameters_and_members_are_errors() {
    let (ptr, problem) = only_error(&tsl(
        json!([]),
        json!([{"identifier": "Go", "name": "Go", "inputData": [
            {"identifier": "x", "name": "x", "dataType": {"type": "int"}},
            {"identifier": "x", "name": "x", "dataType": {"type": "text"}}
        ], "outputData": []}]),
    ));
    assert_eq!(ptr, "/services/0/inputData/1/identifier");
    assert!(matches!(
        problem,
        Problem::DuplicateIdentifier {
            kind: "parameter",
            ..
        }
    ));
}

#[test]
fn all_problems_are_reported_not_only_the_first() {
    let e = err(&tsl(
        json!([
            prop("A", json!({"type": "int32"})),
            prop(
                "B",
                json!({"type": "int", "specs": {"min": "5", "max": "1"}})
            ),
            prop("C", json!({"type": "text", "specs": {"length": "0"}})),
        ]),
        json!([]),
    ));
    assert_eq!(e.errors().count(), 3, "{e}");
    assert!(e.to_string().ends_with("3 errors, 0 warnings"));
}

#[test]
fn get_thing_model_tsl_response_is_unwrapped_and_located_inside_the_string() {
    let inner = tsl(
        json!([prop(
            "T",
            json!({"type": "float", "specs": {"min": "9", "max": "1"}})
        )]),
        json!([]),
    );
    let response = json!({"RequestId": "r", "Success": true, "Data": {"TslStr": inner, "TslUri": "https://x"}});
    let e = err(&response.to_string());
    let d = e.errors().next().unwrap();
    assert_eq!(d.origin, "t.json#/Data/TslStr");
    assert_eq!(d.pointer, "/properties/0/dataType/specs");
    let loc = d.location.unwrap();
    // The inner text is one line; the column points into it.
    assert_eq!(loc.line, 1);
    assert!(inner[..].chars().nth(loc.column - 1) == Some('{'));

    let parsed = ok(&json!({"Data": {"TslStr": tsl(json!([]), json!([]))}}).to_string());
    assert_eq!(
        parsed.model.modules[0].source.envelope,
        Envelope::GetThingModelTsl
    );
    assert_eq!(parsed.model.product_key.as_deref(), Some("a1Test"));
}

#[test]
fn api_error_responses_are_named_as_such() {
    let (_, problem) = only_error(
        &json!({"RequestId": "r", "Success": false, "Code": "iot.prod.NotExistedProduct", "ErrorMessage": "no such product"}).to_string(),
    );
    let Problem::NotAModel { found } = problem else {
        panic!()
    };
    assert!(
        found.contains("iot.prod.NotExistedProduct") && found.contains("no such product"),
        "{found}"
    );
}

#[test]
fn thing_model_json_is_recognised_bare() {
    let tmj = json!({"productKey": "a1Test", "properties": [{
        "identifier": "Level", "name": "Level", "rwFlag": "READ_WRITE", "dataType": "INT",
        "dataSpecs": {"dataType": "INT", "min": "0", "max": "10", "step": "1"}
    }], "events": [], "services": [{
        "identifier": "Go", "serviceName": "Go", "callType": "SYNC",
        "inputParams": [
            {"identifier": "b", "name": "b", "dataType": "TEXT", "dataSpecs": {"dataType": "TEXT", "length": 16}, "paraOrder": 1},
            {"identifier": "a", "name": "a", "dataType": "DATE", "paraOrder": 0}
        ],
        "outputParams": []
    }]});
    let parsed = ok(&tmj.to_string());
    let module = &parsed.model.modules[0];
    assert_eq!(module.source.format, Format::ThingModelJson);
    let go = module.service("Go").unwrap();
    assert_eq!(go.call_type, CallType::Sync);
    // Ordered by paraOrder, not by position.
    let order: Vec<_> = go.inputs.iter().map(|p| p.identifier.as_str()).collect();
    assert_eq!(order, ["a", "b"]);
    assert!(matches!(&go.inputs[1].data_type, DataType::Text(t) if t.length == Some(16)));
}

#[test]
fn thing_model_json_refuses_both_spec_forms() {
    let tmj = json!({"_ppk": {}, "properties": [{
        "identifier": "X", "rwFlag": "READ_ONLY", "dataType": "ENUM",
        "dataSpecs": {}, "dataSpecsList": [{"value": 1, "name": "one"}]
    }]});
    let (ptr, problem) = only_error(&tmj.to_string());
    assert_eq!(ptr, "/properties/0");
    assert_eq!(problem, Problem::BothDataSpecs);
}

#[test]
fn simplified_tsl_is_recognised() {
    let parsed = ok(&json!({"properties": [{"identifier": "on", "dataType": {"type": "bool"}}], "events": [{"identifier": "post"}]}).to_string());
    assert_eq!(parsed.model.modules[0].source.format, Format::SimplifiedTsl);
    assert_eq!(
        parsed.model.modules[0].events[0].method,
        "thing.event.property.post"
    );
}

#[test]
fn documents_that_are_no_model_say_what_they_are() {
    for (text, says) in [
        ("[]", "an array"),
        ("{}", "no properties"),
        ("{\"hello\": 1}", "`hello`"),
        ("\"x\"", "a string"),
    ] {
        let (_, problem) = only_error(text);
        assert!(problem.to_string().contains(says), "{text}: {problem}");
    }
    let (_, problem) = only_error("");
    assert!(matches!(problem, Problem::InvalidJson { .. }));
}

#[test]
fn combining_checks_modules_and_product_keys() {
    let default = ok(&tsl(json!([]), json!([])));
    let module = |id: &str, key: &str| {
        ok(&json!({"profile": {"productKey": key}, "functionBlockId": id, "properties": [prop("P", json!({"type": "int"}))]}).to_string())
    };
    let combined = Model::combine(vec![module("m1", "a1Test"), default.clone()]).unwrap();
    assert_eq!(combined.model.modules[0].id, None, "default module first");
    assert_eq!(
        combined.model.modules[1].properties[0].wire_identifier,
        "m1:P"
    );

    let e = Model::combine(vec![default.clone(), module("m1", "a1Other")]).unwrap_err();
    assert!(e
        .errors()
        .any(|d| matches!(d.problem, Problem::ProductKeyMismatch { .. })));
    let e = Model::combine(vec![default.clone(), default]).unwrap_err();
    assert!(e
        .errors()
        .any(|d| matches!(&d.problem, Problem::DuplicateModule { module } if module == "default")));
}

#[test]
fn module_ids_follow_the_pattern() {
    let (ptr, problem) =
        only_error(&json!({"functionBlockId": "bad-id", "properties": []}).to_string());
    assert_eq!(ptr, "/functionBlockId");
    assert!(matches!(problem, Problem::InvalidModuleId { .. }));
}

#[test]
fn warnings_alone_do_not_fail_a_model() {
    let parsed = ok(&tsl(
        json!([prop(
            "D",
            json!({"type": "double", "specs": {"min": "-4.9E-324", "max": "1.7976931348623157E308"}})
        )]),
        json!([]),
    ));
    assert_eq!(parsed.warnings.len(), 2);
    assert!(parsed
        .warnings
        .iter()
        .all(|w| w.severity == Severity::Warning));
    let DataType::Double(spec) = &parsed.model.modules[0].properties[0].data_type else {
        panic!()
    };
    assert!(spec.min.is_none() && spec.max.is_none());
}

#[test]
fn a_repeated_key_is_an_error_naming_both_places() {
    let text = "{\n  \"schema\": \"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json\",\n  \"profile\": {\"productKey\": \"a1Test\"},\n  \"properties\": [{\"identifier\": \"level\", \"name\": \"Level\", \"accessMode\": \"rw\", \"required\": false,\n    \"dataType\": {\"type\": \"int\", \"specs\": {\"min\": \"0\", \"max\": \"10\",\n      \"max\": \"100\"}}}],\n  \"events\": [], \"services\": []\n}";
    let e = err(text);
    let errors: Vec<_> = e.errors().collect();
    assert_eq!(errors.len(), 1, "{e}");
    let d = errors[0];
    assert_eq!(d.pointer, "/properties/0/dataType/specs/max");
    let second = d.location.expect("located");
    assert_eq!((second.line, second.column), (6, 7));
    match &d.problem {
        Problem::DuplicateKey { key, first } => {
            assert_eq!(key, "max");
            assert_eq!((first.line, first.column), (5, 55));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        e.to_string()
            .contains("t.json:6:7: error: key `max` appears twice in one object (first at 5:55)"),
        "{e}"
    );
}

#[test]
fn product_keys_are_real_placeholders_or_refused() {
    let with_key = |key: &str| {
        json!({
            "schema": "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
            "profile": {"productKey": key},
            "properties": [], "events": [], "services": [],
        })
        .to_string()
    };
    assert_eq!(
        ok(&with_key("a1Test")).model.product_key.as_deref(),
        Some("a1Test")
    );
    for placeholder in [
        "",
        "<productKey>",
        "${productKey}",
        "***",
        "{pk}",
        "a114xeJ****",
    ] {
        assert_eq!(
            ok(&with_key(placeholder)).model.product_key,
            None,
            "{placeholder}"
        );
    }
    for bad in ["a1 Lamp", "a1\"Lamp", "a1'Lamp"] {
        let (pointer, problem) = only_error(&with_key(bad));
        assert_eq!(pointer, "/profile/productKey");
        assert_eq!(
            problem,
            Problem::InvalidProductKey {
                key: bad.to_string()
            }
        );
    }
}
