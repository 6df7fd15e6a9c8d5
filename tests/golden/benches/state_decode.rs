//! Decoding a `QueryDevicePropertyStatus` answer of 100 properties (every TSL type) into
//! the generated `Properties` (typed, every value checked against the model), as a ratio
//! to `serde_json::from_slice::<Value>` of the same bytes, measured in the same run.
//!
//! `cargo bench -p tsl-golden --bench state_decode` (a plain program: it prints, never
//! asserts).

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tsl_macros::tsl_model;
use tsl_runtime::device_state::{items, reported_from_answer};

/// The generated types of `models/hundred-properties.json`.
#[tsl_model(path = "models/hundred-properties.json")]
mod hundred {}

/// The answer as the platform writes it: every value a string, with its `DataType`.
fn answer() -> Vec<u8> {
    let model: Value = serde_json::from_str(include_str!("../models/hundred-properties.json"))
        .expect("the model is JSON");
    let list: Vec<Value> = model["properties"]
        .as_array()
        .expect("properties")
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let kind = p["dataType"]["type"].as_str().unwrap();
            let value = match kind {
                "int" => format!("{}", i * 37),
                "float" => format!("{}.5", i),
                "double" => format!("{}.125", i * 11),
                "text" => format!("firmware build {i} \"stable\""),
                "enum" => "2".to_string(),
                "bool" => "1".to_string(),
                "date" => "1700000000000".to_string(),
                "struct" => {
                    r#"{"Lon":121.473701,"Lat":31.230416,"Label":"Nanjing Rd"}"#.to_string()
                }
                _ => "[0.5,12.0,88.8,140.2,3.0,4.5,7.7,9.9]".to_string(),
            };
            json!({
                "Identifier": p["identifier"],
                "Name": p["name"],
                "DataType": kind,
                "Unit": "",
                "Value": value,
                "Time": (1_700_000_000_000i64 + i as i64).to_string(),
            })
        })
        .collect();
    json!({
        "RequestId": "6B3C9A1E-0000-4000-8000-000000000000",
        "Success": true,
        "Code": "",
        "Data": {"List": {"PropertyStatusInfo": list}},
    })
    .to_string()
    .into_bytes()
}

/// Mean time of `f` over enough runs to take about `budget`.
fn time(budget: Duration, mut f: impl FnMut()) -> Duration {
    for _ in 0..200 {
        f();
    }
    let mut runs = 0u32;
    let start = Instant::now();
    while start.elapsed() < budget {
        for _ in 0..100 {
            f();
        }
        runs += 100;
    }
    start.elapsed() / runs
}

fn main() {
    let body = answer();
    // The typed decode must read every value, or the figure means nothing.
    let reported = reported_from_answer(&body).expect("the answer reads");
    let (properties, rejected) = hundred::Properties::decode(items(&reported));
    assert_eq!(reported.len(), 100);
    assert!(rejected.is_empty(), "{rejected:?}");
    assert!(properties.p099.is_some() && properties.p007.is_some());

    let budget = Duration::from_millis(1500);
    let baseline = time(budget, || {
        let value: Value = serde_json::from_slice(black_box(&body)).unwrap();
        black_box(value);
    });
    let typed = time(budget, || {
        let reported = reported_from_answer(black_box(&body)).unwrap();
        let decoded = hundred::Properties::decode(items(&reported));
        black_box(decoded);
    });
    println!(
        "QueryDevicePropertyStatus answer, 100 properties ({} bytes):",
        body.len()
    );
    println!(
        "  serde_json::from_slice::<Value> (baseline): {:>8.1} µs",
        baseline.as_secs_f64() * 1e6
    );
    println!(
        "  into the generated Properties, checked:      {:>8.1} µs  ({:.2}x the baseline)",
        typed.as_secs_f64() * 1e6,
        typed.as_secs_f64() / baseline.as_secs_f64()
    );
}
