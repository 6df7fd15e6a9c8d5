//! Hostile input for the model parser: whatever it is given, `Model::parse` must return
//! (never panic, overflow the stack or hang) and explain a refusal with diagnostics.
//!
//! Covered: nesting 100,000 deep, numbers beyond `f64` in specs and elsewhere, a 10 MB
//! model (valid, and with an error in every property), input over `MAX_MODEL_BYTES`,
//! bytes that are not UTF-8, degenerate documents, API responses nested in each other,
//! and three property tests (arbitrary bytes, random TSL-shaped JSON, mutated models).
//! The fuzz target in `fuzz/` runs the same parser on far more inputs.

use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use serde_json::{json, Map, Value};
use tsl_runtime::model::{
    DataType, Diagnostic, Model, ModelError, NumberError, Parsed, Problem, Severity,
    MAX_MODEL_BYTES,
};

/// A small but complete lamp: every data type, events, the derived `set`/`get` services
/// and a custom service; written for these tests.
const LAMP: &str = r#"{
  "schema": "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
  "profile": {"version": "1.0", "productKey": "a1LampDemo"},
  "properties": [
    {"identifier": "LightSwitch", "name": "开关", "accessMode": "rw", "required": true,
     "dataType": {"type": "bool", "specs": {"0": "关", "1": "开"}}},
    {"identifier": "Brightness", "name": "Brightness", "accessMode": "rw", "required": false,
     "dataType": {"type": "int", "specs": {"min": "0", "max": "100", "step": "1", "unit": "%", "unitName": "百分比"}}},
    {"identifier": "ColorTemperature", "name": "Color temperature", "accessMode": "rw",
     "dataType": {"type": "float", "specs": {"min": "2700.0", "max": "6500.0", "step": "0.5", "unit": "K"}}},
    {"identifier": "Power", "name": "Power", "accessMode": "r",
     "dataType": {"type": "double", "specs": {"min": "0", "max": "1000", "step": "0.01", "unit": "W"}}},
    {"identifier": "Mode", "name": "Mode", "accessMode": "rw",
     "dataType": {"type": "enum", "specs": {"0": "day", "1": "night", "2": "reading"}}},
    {"identifier": "Label", "name": "Label", "accessMode": "rw",
     "dataType": {"type": "text", "specs": {"length": "64"}}},
    {"identifier": "LastOn", "name": "Last switched on", "accessMode": "r",
     "dataType": {"type": "date", "specs": {}}},
    {"identifier": "Color", "name": "Color", "accessMode": "rw",
     "dataType": {"type": "struct", "specs": [
       {"identifier": "Red", "name": "红", "dataType": {"type": "int", "specs": {"min": "0", "max": "255", "step": "1"}}},
       {"identifier": "Green", "name": "绿", "dataType": {"type": "int", "specs": {"min": "0", "max": "255", "step": "1"}}},
       {"identifier": "Blue", "name": "蓝", "dataType": {"type": "int", "specs": {"min": "0", "max": "255", "step": "1"}}}
     ]}},
    {"identifier": "Schedule", "name": "Schedule", "accessMode": "rw",
     "dataType": {"type": "array", "specs": {"size": "8", "item": {"type": "int", "specs": {"min": "0", "max": "1439", "step": "1"}}}}}
  ],
  "events": [
    {"identifier": "post", "name": "post", "type": "info", "required": true, "method": "thing.event.property.post",
     "outputData": [
       {"identifier": "LightSwitch", "name": "开关", "dataType": {"type": "bool", "specs": {"0": "关", "1": "开"}}},
       {"identifier": "Brightness", "name": "Brightness", "dataType": {"type": "int", "specs": {"min": "0", "max": "100", "step": "1"}}}
     ]},
    {"identifier": "Overheat", "name": "Overheat", "type": "alert", "method": "thing.event.Overheat.post",
     "outputData": [
       {"identifier": "Temperature", "name": "Temperature", "dataType": {"type": "float", "specs": {"min": "-40", "max": "200", "step": "0.1", "unit": "°C"}}}
     ]}
  ],
  "services": [
    {"identifier": "set", "name": "set", "required": true, "callType": "async", "method": "thing.service.property.set",
     "inputData": [
       {"identifier": "LightSwitch", "name": "开关", "dataType": {"type": "bool", "specs": {"0": "关", "1": "开"}}}
     ],
     "outputData": []},
    {"identifier": "get", "name": "get", "required": true, "callType": "async", "method": "thing.service.property.get",
     "inputData": ["LightSwitch", "Brightness", "Mode"],
     "outputData": [
       {"identifier": "LightSwitch", "name": "开关", "dataType": {"type": "bool", "specs": {"0": "关", "1": "开"}}}
     ]},
    {"identifier": "Blink", "name": "Blink", "callType": "sync", "method": "thing.service.Blink",
     "inputData": [
       {"identifier": "Times", "name": "Times", "dataType": {"type": "int", "specs": {"min": "1", "max": "10", "step": "1"}}}
     ],
     "outputData": [
       {"identifier": "Done", "name": "Done", "dataType": {"type": "bool", "specs": {"0": "no", "1": "yes"}}}
     ]}
  ]
}"#;

/// Nesting depth of the hostile documents: far past any recursion limit.
const DEEP: usize = 100_000;

const ORIGIN: &str = "hostile.json";

// ---------------------------------------------------------------------------------------
// Checks shared by every test
// ---------------------------------------------------------------------------------------

/// A diagnostic renders to something and points at a value with a well-formed pointer.
fn check_diagnostic(d: &Diagnostic) {
    let shown = d.to_string();
    assert!(!shown.trim().is_empty(), "empty Display for {d:?}");
    assert!(
        d.pointer.is_empty() || d.pointer.starts_with('/'),
        "malformed JSON pointer {:?} in {shown}",
        d.pointer
    );
    assert!(
        !d.problem.to_string().trim().is_empty(),
        "empty problem text in {d:?}"
    );
}

/// Either outcome is fine on hostile input, as long as it is coherent: a model whose
/// wire identifiers end with the identifiers, or diagnostics that render.
fn check_outcome(result: &Result<Parsed, ModelError>) {
    match result {
        Ok(parsed) => {
            for module in &parsed.model.modules {
                let wire = |id: &str| match &module.id {
                    Some(m) => format!("{m}:{id}"),
                    None => id.to_string(),
                };
                for p in &module.properties {
                    assert!(
                        p.wire_identifier.ends_with(&p.identifier),
                        "property wire identifier {:?} does not end with {:?}",
                        p.wire_identifier,
                        p.identifier
                    );
                    assert_eq!(p.wire_identifier, wire(&p.identifier));
                }
                for e in &module.events {
                    assert_eq!(e.wire_identifier, wire(&e.identifier));
                }
                for s in &module.services {
                    assert_eq!(s.wire_identifier, wire(&s.identifier));
                }
            }
            for warning in &parsed.warnings {
                assert_eq!(warning.severity, Severity::Warning, "{warning}");
                check_diagnostic(warning);
            }
        }
        Err(err) => {
            assert!(!err.diagnostics.is_empty(), "an error without diagnostics");
            assert!(
                err.diagnostics.iter().any(Diagnostic::is_error),
                "an error with only warnings:\n{err}"
            );
            for d in &err.diagnostics {
                check_diagnostic(d);
            }
            assert!(!err.to_string().is_empty());
        }
    }
}

fn parse(text: &str) -> Result<Parsed, ModelError> {
    let result = Model::parse(text, ORIGIN);
    check_outcome(&result);
    result
}

fn parse_bytes(bytes: &[u8]) -> Result<Parsed, ModelError> {
    let result = Model::parse_bytes(bytes, ORIGIN);
    check_outcome(&result);
    result
}

#[track_caller]
fn expect_err(text: &str) -> ModelError {
    match parse(text) {
        Ok(parsed) => panic!(
            "accepted a hostile model ({} bytes): {:?}",
            text.len(),
            parsed.model
        ),
        Err(err) => err,
    }
}

/// The diagnostic at `pointer`, error or warning, whether or not the model was accepted.
#[track_caller]
fn diagnostic_at(text: &str, pointer: &str) -> Diagnostic {
    let diagnostics = match parse(text) {
        Ok(parsed) => parsed.warnings,
        Err(err) => err.diagnostics,
    };
    diagnostics
        .iter()
        .find(|d| d.pointer == pointer)
        .cloned()
        .unwrap_or_else(|| {
            let all: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
            panic!("nothing reported at {pointer}; got: {all:#?}")
        })
}

/// The one diagnostic of a document the JSON parser refused for its nesting.
#[track_caller]
fn assert_refused_for_nesting(err: &ModelError) {
    let nesting = err.diagnostics.iter().find(|d| {
        let text = d.to_string().to_lowercase();
        matches!(d.problem, Problem::InvalidJson { .. })
            && (text.contains("recursion") || text.contains("nest") || text.contains("depth"))
    });
    let Some(d) = nesting else {
        panic!("no diagnostic about the nesting:\n{err}");
    };
    assert!(d.is_error());
    assert!(d.location.is_some(), "no line:col for {d}");
}

// ---------------------------------------------------------------------------------------
// The sample itself
// ---------------------------------------------------------------------------------------

#[test]
fn the_lamp_sample_is_a_valid_model() {
    let parsed = parse(LAMP).unwrap_or_else(|e| panic!("{e}"));
    assert!(parsed.warnings.is_empty(), "{:?}", parsed.warnings);
    let module = parsed.model.default_module().expect("default module");
    assert_eq!(module.properties.len(), 9);
    assert_eq!(module.events.len(), 2);
    assert_eq!(module.services.len(), 3);
    assert!(matches!(
        module.property("Schedule").map(|p| &p.data_type),
        Some(DataType::Array(_))
    ));
}

// ---------------------------------------------------------------------------------------
// Nesting
// ---------------------------------------------------------------------------------------

fn deep_arrays(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 2);
    s.push_str(&"[".repeat(depth));
    s.push_str(&"]".repeat(depth));
    s
}

fn deep_objects(depth: usize) -> String {
    let mut s = String::with_capacity(depth * 6 + 1);
    s.push_str(&r#"{"a":"#.repeat(depth));
    s.push('1');
    s.push_str(&"}".repeat(depth));
    s
}

#[test]
fn arrays_nested_100000_deep_are_refused() {
    assert_refused_for_nesting(&expect_err(&deep_arrays(DEEP)));
    // Unclosed, and with whitespace between the brackets.
    assert_refused_for_nesting(&expect_err(&"[".repeat(DEEP)));
    assert_refused_for_nesting(&expect_err(&"[ \n".repeat(DEEP)));
}

#[test]
fn objects_nested_100000_deep_are_refused() {
    assert_refused_for_nesting(&expect_err(&deep_objects(DEEP)));
    assert_refused_for_nesting(&expect_err(&r#"{"a":"#.repeat(DEEP)));
    // Mixed: objects holding arrays holding objects.
    let mixed = format!(
        "{}1{}",
        r#"{"properties":["#.repeat(DEEP / 2),
        "]}".repeat(DEEP / 2)
    );
    assert_refused_for_nesting(&expect_err(&mixed));
}

#[test]
fn deep_nesting_inside_a_model_is_refused() {
    let in_properties = format!(r#"{{"schema":"s","properties":[{}]}}"#, deep_arrays(DEEP));
    assert_refused_for_nesting(&expect_err(&in_properties));
    let in_objects = format!(r#"{{"properties":[{}]}}"#, deep_objects(DEEP));
    assert_refused_for_nesting(&expect_err(&in_objects));
    let in_data_type = format!(
        r#"{{"properties":[{{"identifier":"Deep","dataType":{{"type":"struct","specs":[{}]}}}}]}}"#,
        deep_objects(DEEP)
    );
    assert_refused_for_nesting(&expect_err(&in_data_type));
    let in_specs = format!(
        r#"{{"properties":[{{"identifier":"Deep","dataType":{{"type":"int","specs":{{"min":{}}}}}}}]}}"#,
        deep_arrays(DEEP)
    );
    assert_refused_for_nesting(&expect_err(&in_specs));
    // The same through `parse_bytes`.
    let err = parse_bytes(in_properties.as_bytes()).expect_err("deep nesting accepted");
    assert_refused_for_nesting(&err);
}

#[test]
fn deep_nesting_inside_an_embedded_model_is_refused() {
    let inner = format!(r#"{{"properties":[{}]}}"#, deep_arrays(DEEP));
    let response = json!({"RequestId": "r", "Success": true, "Data": {"TslStr": inner}});
    let err = expect_err(&response.to_string());
    assert_refused_for_nesting(&err);
    let d = err.errors().next().expect("an error");
    assert!(
        d.origin.ends_with("#/Data/TslStr"),
        "the error is not placed in the embedded text: {d}"
    );
}

#[test]
fn nesting_just_below_the_json_limit_is_reported_not_crashed() {
    // Deep enough to reach the readers and the position scan, shallow enough for serde_json.
    for depth in [64, 100, 120] {
        let desc = format!(
            r#"{{"properties":[{{"identifier":"Deep","desc":{},"dataType":{{"type":"date"}}}}]}}"#,
            deep_arrays(depth)
        );
        let d = diagnostic_at(&desc, "/properties/0/desc");
        assert!(matches!(d.problem, Problem::WrongJsonType { .. }), "{d}");
        assert!(d.location.is_some(), "{d}");
        let specs = format!(
            r#"{{"properties":[{{"identifier":"Deep","dataType":{{"type":"struct","specs":{}}}}}]}}"#,
            deep_objects(depth)
        );
        let d = diagnostic_at(&specs, "/properties/0/dataType/specs");
        assert!(matches!(d.problem, Problem::WrongJsonType { .. }), "{d}");
    }
}

// ---------------------------------------------------------------------------------------
// Huge numbers
// ---------------------------------------------------------------------------------------

/// A model with one property `Level` of `ty` with these specs (JSON text).
fn one_property(ty: &str, specs: &str) -> String {
    format!(
        r#"{{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json","profile":{{"productKey":"a1LampDemo"}},"properties":[{{"identifier":"Level","name":"Level","accessMode":"rw","required":false,"dataType":{{"type":"{ty}","specs":{specs}}}}}],"events":[],"services":[]}}"#
    )
}

const SPECS: &str = "/properties/0/dataType/specs";

#[track_caller]
fn refused_at(text: &str, field: &str) -> Problem {
    let pointer = format!("{SPECS}/{field}");
    let d = diagnostic_at(text, &pointer);
    assert!(d.is_error(), "only a warning: {d}");
    assert!(d.location.is_some(), "no line:col: {d}");
    assert!(parse(text).is_err());
    d.problem
}

#[test]
fn spec_bounds_beyond_a_double_are_refused() {
    for ty in ["int", "float", "double"] {
        let text = one_property(ty, r#"{"min":"1e999999999","max":"100"}"#);
        assert_eq!(
            refused_at(&text, "min"),
            Problem::InvalidNumber {
                field: "min",
                reason: NumberError::OutOfRange("1e999999999".into())
            },
            "{ty}"
        );
        let text = one_property(ty, r#"{"min":"0","max":"-1e400"}"#);
        assert_eq!(
            refused_at(&text, "max"),
            Problem::InvalidNumber {
                field: "max",
                reason: NumberError::OutOfRange("-1e400".into())
            },
            "{ty}"
        );
        // An exponent too long for any integer type.
        let text = one_property(ty, r#"{"max":"1e99999999999999999999999999999"}"#);
        assert!(matches!(
            refused_at(&text, "max"),
            Problem::InvalidNumber { field: "max", .. }
        ));
    }
}

#[test]
fn ten_thousand_digit_numbers_in_specs_are_refused_or_warned() {
    let nines = "9".repeat(10_000);
    for ty in ["int", "float", "double"] {
        let text = one_property(ty, &format!(r#"{{"max":"{nines}"}}"#));
        assert!(matches!(
            refused_at(&text, "max"),
            Problem::InvalidNumber {
                field: "max",
                reason: NumberError::OutOfRange(_)
            }
        ));
        let text = one_property(ty, &format!(r#"{{"min":"-{nines}.{nines}"}}"#));
        assert!(matches!(
            refused_at(&text, "min"),
            Problem::InvalidNumber { field: "min", .. }
        ));
        let text = one_property(ty, &format!(r#"{{"step":"{nines}"}}"#));
        assert!(matches!(
            refused_at(&text, "step"),
            Problem::InvalidNumber { field: "step", .. }
        ));
    }
    // A 10,000-digit fraction, 1e-10000: too small for a double and for a decimal of 28
    // digits. Refused or warned about, or read as zero; never a panic.
    let tiny = format!("0.{}1", "0".repeat(9_998));
    for ty in ["int", "float", "double"] {
        let text = one_property(ty, &format!(r#"{{"min":"{tiny}"}}"#));
        match parse(&text) {
            Ok(parsed) if parsed.warnings.is_empty() => {
                let (_, property) = parsed.model.properties().next().expect("a property");
                let min = property.data_type.number_spec().and_then(|s| s.min.clone());
                assert_eq!(min.map(|b| b.value()), Some(0.0), "{ty}");
            }
            _ => {
                diagnostic_at(&text, &format!("{SPECS}/min"));
            }
        }
    }
    // 10,000 digits that are a plain integer in range once the zeros are dropped.
    let one = format!("1.{}", "0".repeat(10_000));
    if let Ok(parsed) = parse(&one_property("int", &format!(r#"{{"min":"{one}"}}"#))) {
        let spec = parsed
            .model
            .properties()
            .next()
            .map(|(_, p)| p.data_type.clone());
        let Some(DataType::Int(spec)) = spec else {
            panic!("not an int: {spec:?}");
        };
        assert_eq!(spec.min.map(|b| b.value()), Some(1.0));
    }
    // Text length and array size of 10,000 digits.
    let text = one_property("text", &format!(r#"{{"length":"{nines}"}}"#));
    assert!(matches!(
        refused_at(&text, "length"),
        Problem::InvalidTextLength { .. }
    ));
    let text = one_property(
        "array",
        &format!(r#"{{"size":"{nines}","item":{{"type":"int"}}}}"#),
    );
    assert!(matches!(
        refused_at(&text, "size"),
        Problem::InvalidArraySize { .. }
    ));
}

#[test]
fn a_step_that_underflows_is_refused() {
    for ty in ["float", "double"] {
        let text = one_property(ty, r#"{"min":"0","max":"1","step":"1e-400"}"#);
        assert!(
            matches!(refused_at(&text, "step"), Problem::StepNotPositive { .. }),
            "{ty}"
        );
    }
    let text = one_property("int", r#"{"min":"0","max":"1","step":"1e-400"}"#);
    assert!(matches!(
        refused_at(&text, "step"),
        Problem::IntBoundNotInteger { field: "step", .. }
    ));
}

#[test]
fn sizes_and_lengths_out_of_range_are_refused() {
    let text = one_property(
        "array",
        r#"{"size":"99999999999999999999","item":{"type":"int"}}"#,
    );
    assert_eq!(
        refused_at(&text, "size"),
        Problem::InvalidArraySize {
            value: "99999999999999999999".into(),
            max: 512
        }
    );
    for length in ["-1", "0", "4294967296", "1e3", "99999999999999999999"] {
        let text = one_property("text", &format!(r#"{{"length":"{length}"}}"#));
        assert!(
            matches!(refused_at(&text, "length"), Problem::InvalidTextLength { value, .. } if value == length),
            "{length}"
        );
    }
    for size in ["-1", "0", "513", "4294967296"] {
        let text = one_property(
            "array",
            &format!(r#"{{"size":"{size}","item":{{"type":"int"}}}}"#),
        );
        assert!(
            matches!(refused_at(&text, "size"), Problem::InvalidArraySize { .. }),
            "{size}"
        );
    }
}

#[test]
fn int_bounds_beyond_32_bits_are_refused() {
    for (min, max) in [
        ("-2147483649", "0"),
        ("0", "2147483648"),
        ("-99999999999999999999", "0"),
        ("0", "1e308"),
    ] {
        let text = one_property("int", &format!(r#"{{"min":"{min}","max":"{max}"}}"#));
        let err = expect_err(&text);
        assert!(
            err.errors()
                .any(|d| d.pointer.starts_with(SPECS) && d.pointer.len() > SPECS.len()),
            "{err}"
        );
    }
}

#[test]
fn placeholder_bounds_near_the_double_limits_are_warned() {
    let text = one_property(
        "double",
        r#"{"min":"-1e308","max":"1.7976931348623157E308"}"#,
    );
    let parsed = parse(&text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.warnings.len(), 2, "{:?}", parsed.warnings);
    for d in &parsed.warnings {
        assert!(matches!(d.problem, Problem::SentinelBound { .. }), "{d}");
    }
}

#[test]
fn json_numbers_beyond_a_double_are_refused_anywhere() {
    let lamp: Value = serde_json::from_str(LAMP).expect("the sample is JSON");
    let lamp = lamp.to_string();
    let nines = "9".repeat(10_000);
    // Spliced in as raw text: serde_json cannot hold these numbers in a `Value`.
    let places = [
        (r#""required": true"#, r#""required":true"#),
        (r#""version": "1.0""#, r#""version":"1.0""#),
        (r#""min": "0""#, r#""min":"0""#),
        (
            r#""productKey": "a1LampDemo""#,
            r#""productKey":"a1LampDemo""#,
        ),
    ];
    for huge in ["1e400", "-1e400", "1e999999999", nines.as_str()] {
        for (_, compact) in places {
            let key = &compact[..compact.find(':').expect("a member") + 1];
            let text = lamp.replacen(compact, &format!("{key}{huge}"), 1);
            assert_ne!(text, lamp, "{compact} not found");
            let err = expect_err(&text);
            let d = err.errors().next().expect("an error");
            assert!(
                matches!(d.problem, Problem::InvalidJson { .. }),
                "{huge} at {key}: {d}"
            );
            assert!(d.location.is_some(), "{d}");
        }
        // As the whole document, as a top-level member and as an array element.
        expect_err(huge);
        expect_err(&format!(r#"{{"properties":[],"x":{huge}}}"#));
        expect_err(&format!(r#"{{"properties":[{huge}]}}"#));
    }
    // Numbers a double holds, where strings or objects belong.
    for number in [
        "1e308",
        "-1e308",
        "1e-400",
        "-0",
        "5e-324",
        "18446744073709551616",
    ] {
        let text = format!(
            r#"{{"properties":[{{"identifier":{number},"required":{number},"dataType":{{"type":"int","specs":{{"min":{number}}}}}}}]}}"#
        );
        let err = expect_err(&text);
        assert!(
            err.errors()
                .any(|d| matches!(d.problem, Problem::WrongJsonType { .. })),
            "{err}"
        );
        assert!(
            err.errors()
                .any(|d| matches!(d.problem, Problem::NumberNotString { field: "min", .. })),
            "{err}"
        );
    }
}

#[test]
fn huge_numbers_in_thing_model_json_are_refused() {
    // ThingModelJson writes spec values as strings or JSON numbers.
    let model = |specs: &str| {
        format!(
            r#"{{"_ppk":{{"version":"1"}},"productKey":"a1LampDemo","properties":[{{"identifier":"Level","name":"Level","rwFlag":"READ_WRITE","dataType":{specs}}}]}}"#
        )
    };
    let cases = [
        (r#""DOUBLE","dataSpecs":{"min":"1e999999999"}"#, "min"),
        (r#""INT","dataSpecs":{"min":0,"max":1e308}"#, "max"),
        (r#""INT","dataSpecs":{"max":99999999999999999999}"#, "max"),
        (r#""FLOAT","dataSpecs":{"step":1e-400}"#, "step"),
        (r#""TEXT","dataSpecs":{"length":-1}"#, "length"),
        (r#""TEXT","dataSpecs":{"length":1e300}"#, "length"),
        (
            r#""ARRAY","dataSpecs":{"size":99999999999999999999,"childDataType":"INT"}"#,
            "size",
        ),
    ];
    for (specs, field) in cases {
        let pointer = format!("/properties/0/dataSpecs/{field}");
        let d = diagnostic_at(&model(specs), &pointer);
        assert!(d.is_error(), "{specs}: {d}");
    }
    for key in ["1e300", "99999999999999999999", "-1e308", r#""1e3""#] {
        let text = model(&format!(
            r#""ENUM","dataSpecsList":[{{"value":{key},"name":"x"}}]"#
        ));
        let d = diagnostic_at(&text, "/properties/0/dataSpecsList/0/value");
        assert!(matches!(d.problem, Problem::InvalidEnumKey { .. }), "{d}");
    }
    expect_err(&model(r#""INT","dataSpecs":{"min":1e400}"#));
}

// ---------------------------------------------------------------------------------------
// Size
// ---------------------------------------------------------------------------------------

/// One data type of each kind in turn, for generated models.
fn data_type_json(i: usize) -> String {
    match i % 9 {
        0 => r#"{"type":"int","specs":{"min":"-100","max":"100","step":"1","unit":"°C","unitName":"摄氏度"}}"#.into(),
        1 => r#"{"type":"float","specs":{"min":"-1.5","max":"1e3","step":"0.5"}}"#.into(),
        2 => r#"{"type":"double","specs":{"min":"0","max":"1.7976931348623157E308","step":"0.01"}}"#.into(),
        3 => r#"{"type":"text","specs":{"length":"10240"}}"#.into(),
        4 => r#"{"type":"date","specs":{}}"#.into(),
        5 => r#"{"type":"bool","specs":{"0":"关","1":"开"}}"#.into(),
        6 => r#"{"type":"enum","specs":{"0":"low","1":"medium","2":"high","-1":"unknown"}}"#.into(),
        7 => r#"{"type":"struct","specs":[{"identifier":"x","name":"X","dataType":{"type":"int","specs":{"min":"0","max":"9"}}},{"identifier":"label","name":"标签","dataType":{"type":"text","specs":{"length":"32"}}},{"identifier":"on","name":"On","dataType":{"type":"bool","specs":{"0":"off","1":"on"}}}]}"#.into(),
        _ => r#"{"type":"array","specs":{"size":"16","item":{"type":"struct","specs":[{"identifier":"t","name":"T","dataType":{"type":"double","specs":{"min":"0","max":"1"}}}]}}}"#.into(),
    }
}

/// A console-style export of `target` bytes or a little more: every property is also in
/// the `post` event, the `set` service (when writable) and the `get` service, as real
/// exports have them.
fn big_valid_model(target: usize) -> (String, usize) {
    let mut properties = String::new();
    let mut post = String::new();
    let mut set = String::new();
    let mut get = String::new();
    let mut count = 0;
    // `post` goes out twice: the event's data and the `get` service's reply.
    while properties.len() + 2 * post.len() + set.len() + get.len() < target {
        let i = count;
        let data_type = data_type_json(i);
        let access = if i % 4 == 3 { "r" } else { "rw" };
        let sep = if i == 0 { "" } else { "," };
        properties.push_str(&format!(
            r#"{sep}{{"identifier":"p{i}","name":"属性 {i}","accessMode":"{access}","required":false,"desc":"generated property number {i} of a very large model","dataType":{data_type}}}"#
        ));
        let param = format!(r#"{{"identifier":"p{i}","name":"属性 {i}","dataType":{data_type}}}"#);
        post.push_str(sep);
        post.push_str(&param);
        if access == "rw" {
            if !set.is_empty() {
                set.push(',');
            }
            set.push_str(&param);
        }
        get.push_str(&format!(r#"{sep}"p{i}""#));
        count += 1;
    }
    let text = format!(
        r#"{{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json","profile":{{"version":"1.0","productKey":"a1BigModel"}},
"properties":[{properties}],
"events":[{{"identifier":"post","name":"post","type":"info","required":true,"method":"thing.event.property.post","outputData":[{post}]}},
{{"identifier":"Overheat","name":"Overheat","type":"alert","method":"thing.event.Overheat.post","outputData":[{{"identifier":"t","name":"t","dataType":{{"type":"float","specs":{{"min":"0","max":"1"}}}}}}]}}],
"services":[{{"identifier":"set","name":"set","required":true,"callType":"async","method":"thing.service.property.set","inputData":[{set}],"outputData":[]}},
{{"identifier":"get","name":"get","required":true,"callType":"async","method":"thing.service.property.get","inputData":[{get}],"outputData":[{post}]}}]}}"#
    );
    (text, count)
}

const TEN_MB: usize = 10 * 1024 * 1024;

#[test]
fn a_ten_megabyte_model_parses() {
    let (text, count) = big_valid_model(TEN_MB);
    assert!(text.len() >= TEN_MB);
    let started = Instant::now();
    let result = Model::parse(&text, ORIGIN);
    let elapsed = started.elapsed();
    eprintln!(
        "10 MB valid model: {} bytes, {count} properties, parsed in {elapsed:.2?}",
        text.len()
    );
    let parsed = result.unwrap_or_else(|e| panic!("{e}"));
    check_outcome(&Ok(parsed.clone()));
    let module = parsed.model.default_module().expect("default module");
    assert_eq!(module.properties.len(), count);
    assert_eq!(module.events[0].outputs.len(), count);
    assert_eq!(
        module.service("get").map(|s| s.input_names.len()),
        Some(count)
    );
    // Only the `double` placeholder maxima are warned about; past the first thousand the
    // warnings are counted, not listed, and the count accounts for every one.
    let listed = parsed
        .warnings
        .iter()
        .filter(|w| matches!(w.problem, Problem::SentinelBound { .. }))
        .count();
    let counted: usize = parsed
        .warnings
        .iter()
        .filter_map(|w| match w.problem {
            Problem::TooManyProblems { omitted } => Some(omitted),
            _ => None,
        })
        .sum();
    assert!(
        parsed.warnings.iter().all(|w| matches!(
            w.problem,
            Problem::SentinelBound { .. } | Problem::TooManyProblems { .. }
        )),
        "unexpected warning kinds"
    );
    assert!(listed <= 1_000, "{listed} warnings listed");
    if counted > 0 {
        assert_eq!(listed, 1_000, "warnings counted before the list was full");
        assert_eq!(parsed.warnings.len(), 1_001);
    }
    eprintln!("warnings: {listed} listed, {counted} more counted");
}

/// A property with one error, of a kind that depends on `i`.
fn broken_property(i: usize) -> String {
    let (identifier, access, data_type) = match i % 9 {
        0 => (format!("p-{i}"), "rw", data_type_json(i)),
        1 => (format!("p{i}"), "rx", data_type_json(i)),
        2 => (format!("p{i}"), "rw", r#"{"type":"integer"}"#.into()),
        3 => (
            format!("p{i}"),
            "rw",
            r#"{"type":"int","specs":{"min":"10","max":"1"}}"#.into(),
        ),
        4 => (
            format!("p{i}"),
            "rw",
            r#"{"type":"text","specs":{"length":"0"}}"#.into(),
        ),
        5 => (
            format!("p{i}"),
            "rw",
            r#"{"type":"array","specs":{"size":"513","item":{"type":"int"}}}"#.into(),
        ),
        6 => (
            format!("p{i}"),
            "rw",
            r#"{"type":"enum","specs":{"0":"a","01":"b"}}"#.into(),
        ),
        7 => (
            format!("p{i}"),
            "rw",
            r#"{"type":"struct","specs":[{"identifier":"inner","dataType":{"type":"struct","specs":[]}}]}"#.into(),
        ),
        _ => (
            format!("p{i}"),
            "rw",
            r#"{"type":"float","specs":{"min":"abc"}}"#.into(),
        ),
    };
    // A long description keeps the count near 20,000: one error each, located in the text.
    let desc = "broken on purpose; ".repeat(16);
    format!(
        r#"{{"identifier":"{identifier}","name":"坏 {i}","accessMode":"{access}","desc":"property number {i}, {desc}","dataType":{data_type}}}"#
    )
}

#[test]
fn a_ten_megabyte_model_with_an_error_in_every_property_reports_a_capped_list() {
    let mut properties = Vec::new();
    let mut size = 0;
    while size < TEN_MB {
        let p = broken_property(properties.len());
        size += p.len() + 1;
        properties.push(p);
    }
    let count = properties.len();
    let text = format!(
        r#"{{"schema":"https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json","properties":[{}]}}"#,
        properties.join(",")
    );
    drop(properties);
    let started = Instant::now();
    let result = Model::parse(&text, ORIGIN);
    let elapsed = started.elapsed();
    eprintln!(
        "10 MB model with {count} broken properties: {} bytes, refused in {elapsed:.2?}",
        text.len()
    );
    let err = result.expect_err("a model with errors everywhere was accepted");
    check_outcome(&Err(err.clone()));
    assert_eq!(
        err.diagnostics.len(),
        201,
        "200 problems and the count of the rest"
    );
    let omitted: Vec<usize> = err
        .diagnostics
        .iter()
        .filter_map(|d| match d.problem {
            Problem::TooManyProblems { omitted } => Some(omitted),
            _ => None,
        })
        .collect();
    assert_eq!(omitted, vec![count - 200], "one error per property");
    assert_eq!(err.errors().count(), 200);
    // Those listed are in the order of the text, each with its line:col.
    let locations: Vec<_> = err.errors().map(|d| d.location).collect();
    assert!(locations.iter().all(Option::is_some), "{err}");
    assert!(locations.windows(2).all(|w| w[0] <= w[1]), "{err}");
}

/// `{"schema":"s","properties":[{},{},...]}` of at least `size` bytes.
fn empty_items(size: usize) -> String {
    let mut text = String::from(r#"{"schema":"s","properties":["#);
    while text.len() < size {
        text.push_str("{},");
    }
    text.push_str("{}]}");
    text
}

/// 10 MB of `{}` items: about 7 million "missing field" errors, of which 200 are listed.
/// Refused in time that grows with the input, not its square: measured against 1 MB of the
/// same shape in the same run (a ratio, so a loaded machine slows both alike; linear work
/// is about 10x, quadratic about 100x).
#[test]
fn ten_megabytes_of_empty_items_is_refused_in_linear_time() {
    let small = empty_items(TEN_MB / 10);
    let started = Instant::now();
    let small_err = Model::parse(&small, ORIGIN).expect_err("empty items accepted");
    let small_elapsed = started.elapsed();
    assert_eq!(small_err.diagnostics.len(), 201);

    let text = empty_items(TEN_MB);
    let started = Instant::now();
    let result = Model::parse(&text, ORIGIN);
    let elapsed = started.elapsed();
    let ratio = elapsed.as_secs_f64() / small_elapsed.as_secs_f64().max(1e-3);
    eprintln!(
        "empty items: 1 MB refused in {small_elapsed:.2?}, 10 MB in {elapsed:.2?} ({ratio:.1}x)"
    );
    let err = result.expect_err("empty items accepted");
    assert_eq!(err.diagnostics.len(), 201);
    assert!(ratio < 40.0, "10x the input took {ratio:.1}x the time");
}

#[test]
fn input_over_the_size_limit_is_refused_before_reading() {
    let bytes = vec![b' '; MAX_MODEL_BYTES + 1];
    let err = Model::parse_bytes(&bytes, ORIGIN).expect_err("oversized input accepted");
    check_outcome(&Err(err.clone()));
    assert_eq!(err.diagnostics.len(), 1);
    assert_eq!(
        err.diagnostics[0].problem,
        Problem::TooLarge {
            bytes: MAX_MODEL_BYTES + 1,
            limit: MAX_MODEL_BYTES
        }
    );
    // The same through `parse(&str)`, with text that would otherwise be a model.
    let mut bytes = bytes;
    bytes[..2].copy_from_slice(b"{}");
    let text = std::str::from_utf8(&bytes).expect("ASCII");
    let err = Model::parse(text, ORIGIN).expect_err("oversized input accepted");
    assert!(matches!(
        err.diagnostics[0].problem,
        Problem::TooLarge { .. }
    ));
    // Invalid UTF-8 past the limit does not matter: size is checked first.
    bytes[MAX_MODEL_BYTES] = 0xff;
    let err = Model::parse_bytes(&bytes, ORIGIN).expect_err("oversized input accepted");
    assert!(matches!(
        err.diagnostics[0].problem,
        Problem::TooLarge { .. }
    ));
}

// ---------------------------------------------------------------------------------------
// Encoding and degenerate documents
// ---------------------------------------------------------------------------------------

#[test]
fn bytes_that_are_not_utf8_are_refused_with_their_offset() {
    let cases: [(&[u8], usize); 7] = [
        (b"\xff", 0),
        (b"{\"properties\":[\xff]}", 15),
        (b"{\"name\":\"\xe6\xb8\"}", 9),     // a character cut short
        (b"{\"name\":\"\xc0\x80\"}", 9),     // overlong NUL
        (b"{\"name\":\"\xed\xa0\x80\"}", 9), // a UTF-16 surrogate
        (b"{\"name\":\"\xf4\x90\x80\x80\"}", 9), // beyond U+10FFFF
        (b"\xef\xbb\xbf{\"a\":\"\xfe\"}", 9), // after a BOM
    ];
    for (bytes, offset) in cases {
        let err = parse_bytes(bytes).expect_err("invalid UTF-8 accepted");
        assert_eq!(err.diagnostics.len(), 1, "{err}");
        let d = &err.diagnostics[0];
        assert_eq!(d.problem, Problem::NotUtf8 { offset }, "{bytes:?}");
        assert!(d.location.is_some(), "{d}");
    }
    // A model that is fine up to its last byte.
    let mut bytes = LAMP.as_bytes().to_vec();
    bytes.push(0x80);
    let err = parse_bytes(&bytes).expect_err("invalid UTF-8 accepted");
    assert_eq!(
        err.diagnostics[0].problem,
        Problem::NotUtf8 { offset: LAMP.len() }
    );
}

#[test]
fn escaped_lone_surrogates_are_refused() {
    for escaped in [r"\ud800", r"\udfff", r"\ud800\u0041"] {
        let text = format!(
            r#"{{"properties":[{{"identifier":"a{escaped}","dataType":{{"type":"date"}}}}]}}"#
        );
        let err = expect_err(&text);
        assert!(
            matches!(err.diagnostics[0].problem, Problem::InvalidJson { .. }),
            "{err}"
        );
    }
}

#[test]
fn a_bom_before_a_model_is_skipped() {
    let with_bom = format!("\u{feff}{LAMP}");
    let parsed = parse(&with_bom).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(parsed.model.properties().count(), 9);
    parse_bytes(with_bom.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    // In an API response, around the embedded text too.
    let response = json!({"Data": {"TslStr": with_bom}}).to_string();
    parse(&format!("\u{feff}{response}")).unwrap_or_else(|e| panic!("{e}"));
    // Two BOMs are one too many, and a BOM alone is no model.
    expect_err(&format!("\u{feff}\u{feff}{LAMP}"));
    expect_err("\u{feff}");
    // A diagnostic after a BOM still has a location.
    let broken = format!("\u{feff}{}", LAMP.replacen("\"int\"", "\"integer\"", 1));
    let err = expect_err(&broken);
    assert!(err.errors().all(|d| d.location.is_some()), "{err}");
}

#[test]
fn degenerate_documents_are_refused() {
    let cases = [
        "",
        " ",
        "\n\t",
        "null",
        "[]",
        "[{}]",
        "\"x\"",
        "{}",
        "0",
        "-0",
        "true",
        "1e400",
        "{",
        "}",
        "[",
        "\"",
        "{\"properties\"",
        "{\"properties\":null}",
        "{\"properties\":{}}",
        "{\"properties\":\"x\"}",
        "{\"properties\":[]}{}",
        "{\"Data\":{}}",
        "{\"Data\":null}",
        "{\"Data\":{\"TslStr\":\"\"}}",
        "{\"Data\":{\"TslStr\":\"null\"}}",
        "{\"Data\":{\"TslStr\":1}}",
        "{\"TslStr\":\"{}\"}",
        "{\"Success\":false,\"Code\":\"x\"}",
        "\u{0}",
        "{\"\u{0}\":1}",
    ];
    for text in cases {
        let result = parse(text);
        assert!(
            !matches!(result, Ok(ref p) if p.model.properties().count() > 0),
            "{text:?}"
        );
    }
    for text in ["", "null", "[]", "\"x\"", "{}", "0", "true"] {
        let err = expect_err(text);
        assert_eq!(err.errors().count(), 1, "{text:?}: {err}");
        assert!(
            matches!(
                err.diagnostics[0].problem,
                Problem::InvalidJson { .. } | Problem::NotAModel { .. }
            ),
            "{text:?}: {err}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Responses inside responses
// ---------------------------------------------------------------------------------------

/// `{"Data":{"TslStr":<inner>}}` around `inner`, `levels` times, the model as a decoded
/// object at each level.
fn nested_objects(inner: Value, levels: usize) -> Value {
    (0..levels).fold(inner, |inner, _| json!({"Data": {"TslStr": inner}}))
}

#[test]
fn responses_nested_fifty_levels_deep_are_bounded() {
    let lamp: Value = serde_json::from_str(LAMP).expect("the sample is JSON");

    // As decoded objects: 50 levels of `{"Data":{"TslStr":{...}}}`.
    let text = nested_objects(lamp.clone(), 50).to_string();
    let started = Instant::now();
    let result = parse(&text);
    assert!(started.elapsed().as_secs() < 10);
    assert!(result.is_err(), "only one level of response is unwrapped");
    // One level is a valid response.
    parse(&nested_objects(lamp.clone(), 1).to_string()).unwrap_or_else(|e| panic!("{e}"));

    // As JSON text in a string in a string ...: every level doubles the escapes, so the
    // text grows as 2^levels; go as deep as 2 MB allows, then 50 levels of objects inside.
    let mut text = nested_objects(lamp.clone(), 50).to_string();
    let mut levels = 0;
    while levels < 50 {
        let wrapped = json!({"Data": {"TslStr": text}}).to_string();
        if wrapped.len() > 2 * 1024 * 1024 {
            break;
        }
        text = wrapped;
        levels += 1;
    }
    assert!(levels >= 10, "only {levels} levels of strings fit");
    let started = Instant::now();
    let result = parse(&text);
    assert!(started.elapsed().as_secs() < 10);
    assert!(result.is_err());

    // Strings inside strings around the real model: still only one level is read.
    let mut text = LAMP.to_string();
    for _ in 0..levels {
        text = json!({"Data": {"TslStr": text}}).to_string();
    }
    let result = parse(&text);
    assert!(result.is_err());
    // The same mixing the two response shapes.
    let mut text = LAMP.to_string();
    for level in 0..levels {
        let key = if level % 2 == 0 {
            "TslStr"
        } else {
            "ThingModelJson"
        };
        text = json!({"Data": {key: text}}).to_string();
    }
    parse(&text).expect_err("nested responses accepted");
}

// ---------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------

/// Cases per property test: together about 1,500 inputs, a few seconds in debug builds.
const CASES: u32 = 512;

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        // Shrinking a failure of the parser is worth the time; looping forever is not.
        max_shrink_iters: 2_000,
        // Next to this file (`hostile_input.proptest-regressions`), only when a case fails.
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    }
}

/// Strings the readers compare against, and strings they should not trip over.
const WORDS: &[&str] = &[
    "int",
    "float",
    "double",
    "text",
    "date",
    "bool",
    "enum",
    "struct",
    "array",
    "long",
    "INT",
    "FLOAT",
    "TEXT",
    "ENUM",
    "BOOL",
    "STRUCT",
    "ARRAY",
    "1e308",
    "-1e308",
    "1.7976931348623157E308",
    "4.9E-324",
    "1e-400",
    "1e999999999",
    "99999999999999999999",
    "-0",
    "0",
    "1",
    "-1",
    "10",
    "512",
    "513",
    "10240",
    "0.1",
    "",
    ",",
    " ",
    "温度",
    "开关",
    "r",
    "rw",
    "w",
    "READ_WRITE",
    "sync",
    "async",
    "info",
    "alert",
    "set",
    "get",
    "post",
    "Temp",
    "Brightness",
    "a",
    "_x",
    "a:b",
    "a/b",
    "~1",
    "thing.service.property.get",
    "thing.event.property.post",
    "<- productKey ->",
    "aliyun",
    "int32",
];

/// Keys of every model shape.
const KEYS: &[&str] = &[
    "properties",
    "events",
    "services",
    "identifier",
    "name",
    "desc",
    "dataType",
    "type",
    "specs",
    "min",
    "max",
    "step",
    "unit",
    "length",
    "size",
    "item",
    "inputData",
    "outputData",
    "accessMode",
    "required",
    "method",
    "callType",
    "0",
    "1",
    "01",
    "functionBlockId",
    "functionBlocks",
    "profile",
    "productKey",
    "schema",
    "Data",
    "TslStr",
    "ThingModelJson",
    "_ppk",
    "rwFlag",
    "dataSpecs",
    "dataSpecsList",
    "childDataType",
    "value",
    "inputParams",
    "outputParams",
    "extendConfig",
];

/// Keys found in `specs`.
const SPEC_KEYS: &[&str] = &[
    "min", "max", "step", "unit", "unitName", "length", "size", "item", "0", "1", "2", "-1", "01",
    "true", "mapping",
];

/// Valid identifiers, so that a good share of the generated models are accepted.
const IDENTIFIERS: &[&str] = &[
    "Temp",
    "Brightness",
    "LightSwitch",
    "a",
    "_x",
    "p1",
    "Power2",
    "x_y_z",
    "A1b2",
];

/// Spec numbers: ordinary, extreme, and not numbers at all.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "10",
    "100",
    "0.5",
    "0.01",
    "-2147483648",
    "2147483647",
    "1e3",
    "1e308",
    "-1e308",
    "1.7976931348623157E308",
    "4.9E-324",
    "1e-400",
    "1e400",
    "99999999999999999999",
    "-0",
    "",
    " 5 ",
    ".5",
    "0x10",
    "NaN",
];

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(WORDS).prop_map(String::from)
}

/// Mostly one of `common`, now and then any word.
fn mostly(common: &'static [&'static str]) -> impl Strategy<Value = String> {
    prop_oneof![
        12 => prop::sample::select(common).prop_map(String::from),
        1 => word(),
    ]
}

fn identifier() -> impl Strategy<Value = String> {
    prop_oneof![
        25 => prop::sample::select(IDENTIFIERS).prop_map(String::from),
        1 => word(),
    ]
}

/// A spec number: usually one of `ordinary`, sometimes an extreme one or not a number.
fn number_like(ordinary: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        20 => prop::sample::select(ordinary).prop_map(|n| Value::String(n.into())),
        2 => mostly(NUMBERS).prop_map(Value::String),
        1 => leaf(),
    ]
    .boxed()
}

fn number() -> BoxedStrategy<Value> {
    number_like(&["1", "10", "100", "512"])
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        6 => word().prop_map(Value::String),
        1 => Just(Value::Null),
        1 => any::<bool>().prop_map(Value::Bool),
        1 => any::<i64>().prop_map(Value::from),
        1 => prop::sample::select(&[0.0, -0.0, 0.5, 1e308, -1e308, 5e-324, 1e-7][..])
            .prop_map(|f| json!(f)),
    ]
    .boxed()
}

fn object(entries: Vec<(&str, Value)>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<Map<String, Value>>(),
    )
}

/// Any JSON, keyed with the models' keys.
fn tree() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(5, 48, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(object),
            ]
        })
        .boxed()
}

/// Now and then a few members of any kind, to mix into an object.
fn extras() -> impl Strategy<Value = Vec<(&'static str, Value)>> {
    prop_oneof![
        20 => Just(Vec::new()),
        1 => prop::collection::vec((prop::sample::select(KEYS), tree()), 1..3),
    ]
}

/// Copies `extra` into `map` without overwriting what is there.
fn merge(map: &mut Map<String, Value>, extra: Vec<(&str, Value)>) {
    for (k, v) in extra {
        map.entry(k.to_string()).or_insert(v);
    }
}

/// A scalar type with plausible specs, or a type name with any specs.
fn scalar_data_type() -> BoxedStrategy<Value> {
    let numeric = (
        mostly(&["int", "float", "double"]),
        prop::option::of(number_like(&["0", "-1", "-100"])),
        prop::option::of(number_like(&["10", "100", "2147483647"])),
        prop::option::of(number_like(&["1", "2"])),
        prop::option::of(word()),
    )
        .prop_map(|(ty, min, max, step, unit)| {
            let mut specs = Map::new();
            for (key, value) in [("min", min), ("max", max), ("step", step)] {
                if let Some(value) = value {
                    specs.insert(key.into(), value);
                }
            }
            if let Some(unit) = unit {
                specs.insert("unit".into(), json!(unit));
            }
            json!({"type": ty, "specs": specs})
        });
    let enum_key = prop_oneof![
        6 => prop::sample::select(&["0", "1", "2", "-1", "10"][..]),
        1 => prop::sample::select(&["01", "-0", "x", "99999999999999999999"][..]),
    ];
    prop_oneof![
        24 => numeric,
        6 => prop::option::of(number()).prop_map(|length| match length {
            Some(length) => json!({"type": "text", "specs": {"length": length}}),
            None => json!({"type": "text"}),
        }),
        3 => Just(json!({"type": "date", "specs": {}})),
        6 => (word(), word()).prop_map(|(f, t)| json!({"type": "bool", "specs": {"0": f, "1": t}})),
        6 => prop::collection::vec((enum_key, word()), 0..4).prop_map(
            |values| {
                let values: Vec<(&str, Value)> =
                    values.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
                json!({"type": "enum", "specs": object(values)})
            }
        ),
        2 => (word(), prop::collection::vec((prop::sample::select(SPEC_KEYS), leaf()), 0..5))
            .prop_map(|(ty, specs)| json!({"type": ty, "specs": object(specs)})),
        1 => tree(),
    ]
    .boxed()
}

/// An array of `item`.
fn array_of(item: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    let size = prop_oneof![
        6 => prop::sample::select(&["1", "8", "512"][..]).prop_map(|n| Value::String(n.into())),
        1 => number(),
    ];
    (mostly(&["array"]), size, item)
        .prop_map(|(ty, size, item)| json!({"type": ty, "specs": {"size": size, "item": item}}))
        .boxed()
}

/// A struct of members of type `member`, with distinct identifiers.
fn struct_of(member: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Value> {
    (
        mostly(&["struct"]),
        prop::collection::vec((identifier(), member), 0..4),
    )
        .prop_map(|(ty, members)| {
            let members: Vec<Value> = members
                .into_iter()
                .enumerate()
                .map(|(i, (id, dt))| {
                    let id = format!("{id}{i}");
                    json!({"identifier": id, "name": id, "dataType": dt})
                })
                .collect();
            json!({"type": ty, "specs": members})
        })
        .boxed()
}

/// `{"type": ..., "specs": ...}`: mostly scalars, structs of scalars and arrays of those
/// (what the platform allows), sometimes any nesting.
fn data_type() -> BoxedStrategy<Value> {
    let nested = scalar_data_type().prop_recursive(3, 12, 3, |inner| {
        prop_oneof![array_of(inner.clone()), struct_of(inner)]
    });
    prop_oneof![
        12 => scalar_data_type(),
        2 => struct_of(scalar_data_type()),
        1 => array_of(scalar_data_type()),
        1 => array_of(struct_of(scalar_data_type())),
        1 => nested,
    ]
    .boxed()
}

/// A parameter: `{"identifier", "name", "dataType"}`.
fn param() -> BoxedStrategy<Value> {
    (identifier(), data_type(), extras())
        .prop_map(|(id, dt, extra)| {
            let mut map = Map::new();
            map.insert("identifier".into(), json!(id));
            map.insert("name".into(), json!(id));
            map.insert("dataType".into(), dt);
            merge(&mut map, extra);
            Value::Object(map)
        })
        .boxed()
}

/// `key: value` when present.
fn put(map: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(value) = value {
        map.insert(key.into(), Value::String(value));
    }
}

fn property() -> BoxedStrategy<Value> {
    let data_type = prop_oneof![
        40 => data_type(),
        1 => mostly(&["INT", "TEXT", "DATE"]).prop_map(Value::String),
        1 => tree(),
    ];
    (
        identifier(),
        prop::option::of(word()),
        prop::option::of(mostly(&["r", "rw", "w"])),
        data_type,
        extras(),
    )
        .prop_map(|(id, name, access, data_type, extra)| {
            let mut map = Map::new();
            map.insert("identifier".into(), json!(id));
            put(&mut map, "name", name);
            put(&mut map, "accessMode", access);
            map.insert("dataType".into(), data_type);
            merge(&mut map, extra);
            Value::Object(map)
        })
        .boxed()
}

fn event() -> BoxedStrategy<Value> {
    (
        identifier(),
        prop::option::of(mostly(&["info", "alert", "error"])),
        prop::option::of(word()),
        prop::collection::vec(param(), 0..3),
        extras(),
    )
        .prop_map(|(id, kind, method, outputs, extra)| {
            let mut map = Map::new();
            map.insert("identifier".into(), json!(id));
            put(&mut map, "type", kind);
            put(&mut map, "method", method.filter(|_| id.len() % 3 == 0));
            map.insert("outputData".into(), Value::Array(outputs));
            merge(&mut map, extra);
            Value::Object(map)
        })
        .boxed()
}

fn service() -> BoxedStrategy<Value> {
    let input = prop_oneof![3 => param(), 1 => identifier().prop_map(Value::String)];
    (
        identifier(),
        prop::option::of(mostly(&["sync", "async"])),
        prop::collection::vec(input, 0..3),
        prop::collection::vec(param(), 0..3),
        extras(),
    )
        .prop_map(|(id, call_type, inputs, outputs, extra)| {
            let mut map = Map::new();
            map.insert("identifier".into(), json!(id));
            put(&mut map, "callType", call_type);
            map.insert("inputData".into(), Value::Array(inputs));
            map.insert("outputData".into(), Value::Array(outputs));
            merge(&mut map, extra);
            Value::Object(map)
        })
        .boxed()
}

/// Makes the identifiers of a list distinct (when asked to), as valid models have them.
fn numbered(items: Vec<Value>, distinct: bool) -> Value {
    Value::Array(
        items
            .into_iter()
            .enumerate()
            .map(|(i, mut item)| {
                if let (true, Some(Value::String(id))) = (distinct, item.get_mut("identifier")) {
                    id.push_str(&format!("_{i}"));
                }
                item
            })
            .collect(),
    )
}

/// A document shaped like a model, sometimes wrapped in an API response, sometimes not a
/// model at all.
fn document() -> impl Strategy<Value = String> {
    let model = (
        (
            prop::collection::vec(property(), 0..5),
            prop::collection::vec(event(), 0..3),
            prop::collection::vec(service(), 0..3),
            prop::bool::weighted(0.8),
        ),
        prop::option::of(mostly(&[
            "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
        ])),
        prop::option::of(word()),
        prop::option::of(mostly(&["Lamp_2", "m1", "Module"])),
        extras(),
    )
        .prop_map(
            |((properties, events, services, distinct), schema, product_key, module, extra)| {
                let mut map = Map::new();
                map.insert("properties".into(), numbered(properties, distinct));
                map.insert("events".into(), numbered(events, distinct));
                map.insert("services".into(), numbered(services, distinct));
                put(&mut map, "schema", schema);
                if let Some(key) = product_key {
                    map.insert("profile".into(), json!({"productKey": key}));
                }
                put(&mut map, "functionBlockId", module);
                merge(&mut map, extra);
                Value::Object(map)
            },
        )
        .boxed();
    prop_oneof![
        6 => model.clone().prop_map(|m| m.to_string()),
        1 => model.clone().prop_map(|m| json!({"Data": {"TslStr": m.to_string()}}).to_string()),
        1 => model.prop_map(|m| json!({"Data": {"TslStr": m}}).to_string()),
        1 => tree().prop_map(|v| v.to_string()),
    ]
}

/// One edit of a byte string.
#[derive(Debug, Clone)]
enum Edit {
    Delete(usize),
    Insert(usize, u8),
    Replace(usize, u8),
}

fn interesting_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(&b"{}[]\",:\\0123456789-+.eE ntfu\xff\xe6\x80"[..]),
        1 => any::<u8>(),
    ]
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        any::<usize>().prop_map(Edit::Delete),
        (any::<usize>(), interesting_byte()).prop_map(|(at, b)| Edit::Insert(at, b)),
        (any::<usize>(), interesting_byte()).prop_map(|(at, b)| Edit::Replace(at, b)),
    ]
}

fn apply(bytes: &mut Vec<u8>, edit: &Edit) {
    match *edit {
        Edit::Delete(at) if !bytes.is_empty() => {
            bytes.remove(at % bytes.len());
        }
        Edit::Insert(at, b) => bytes.insert(at % (bytes.len() + 1), b),
        Edit::Replace(at, b) if !bytes.is_empty() => {
            let at = at % bytes.len();
            bytes[at] = b;
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(config())]

    /// (a) Whatever the bytes, the parser returns.
    #[test]
    fn arbitrary_input_never_panics(
        input in prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            any::<String>().prop_map(String::into_bytes),
            "[\\[\\]{}\":,0-9a-zA-Z.eE+\\- \\\\]{0,256}".prop_map(String::into_bytes),
        ]
    ) {
        let _ = parse_bytes(&input);
    }

    /// (b) Random JSON shaped like models: a model whose wire identifiers are right, or
    /// diagnostics with pointers.
    #[test]
    fn model_shaped_json_never_panics(text in document()) {
        let _ = parse(&text);
    }

    /// (c) A valid model with a few bytes deleted, inserted or replaced.
    #[test]
    fn mutated_models_never_panic(edits in prop::collection::vec(edit(), 1..8)) {
        let mut bytes = LAMP.as_bytes().to_vec();
        for edit in &edits {
            apply(&mut bytes, edit);
        }
        let _ = parse_bytes(&bytes);
    }
}
