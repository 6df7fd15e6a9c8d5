//! Decoding a property report into the generated types (issue 12), as a ratio to a
//! baseline measured in the same run: `serde_json::from_slice::<Value>` of the same body.
//!
//! ```sh
//! cargo bench -p tsl-golden --bench messages
//! ```
//!
//! A plain `harness = false` program: it prints the figures and ratios; it asserts only
//! that the report decodes with every property and no rejection.

use std::hint::black_box;
use std::time::{Duration, Instant};

use serde_json::json;
use tsl_golden::street_lamp as lamp;
use tsl_runtime::received::RawMessage;

const PK: &str = "a1StreetLmp";

/// How many calls of `f` last about 2 ms.
fn calibrate(f: &mut dyn FnMut()) -> u64 {
    let mut calls = 1u64;
    loop {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        if start.elapsed() >= Duration::from_millis(2) || calls >= 1 << 30 {
            return calls;
        }
        calls *= 2;
    }
}

/// The fastest round's nanoseconds per call of each of `fs`, over 61 short rounds in which
/// they take turns: on a shared machine the fastest round is the least disturbed, and
/// taking turns exposes every function to the same load.
fn measure_together(fs: &mut [&mut dyn FnMut()]) -> Vec<f64> {
    let calls: Vec<u64> = fs.iter_mut().map(|f| calibrate(*f)).collect();
    let mut rounds: Vec<Vec<f64>> = vec![Vec::new(); fs.len()];
    for _ in 0..61 {
        for (i, f) in fs.iter_mut().enumerate() {
            let start = Instant::now();
            for _ in 0..calls[i] {
                f();
            }
            rounds[i].push(start.elapsed().as_nanos() as f64 / calls[i] as f64);
        }
    }
    rounds
        .into_iter()
        .map(|r| r.into_iter().fold(f64::INFINITY, f64::min))
        .collect()
}

fn main() {
    // The same report as runtime/benches/subscribe.rs: all 11 properties of the street lamp.
    let items = json!({
        "LightSwitch": 1, "Brightness": 80, "ColorTemperature": 4000, "Voltage": 220.5,
        "PowerConsumption": 1234.567, "WorkMode": 1, "Firmware": "v1.2.3",
        "LastMaintenance": "1700000000000",
        "Location": {"Longitude": 120.123456, "Latitude": 30.654321, "Street": "Main Street"},
        "Schedule": [{"At": 360, "Brightness": 100, "Enabled": 1}, {"At": 1320, "Brightness": 30, "Enabled": 1}],
        "LuxHistory": [12.5, 13.0, 40.2]
    });
    let mut wrapped = serde_json::Map::new();
    if let serde_json::Value::Object(items) = items {
        for (id, value) in items {
            wrapped.insert(id, json!({"value": value, "time": 1_700_000_000_000_i64}));
        }
    }
    let body = json!({
        "iotId": "Q7uOhVRdZRRlDnTLv0001", "requestId": "123", "productKey": PK,
        "deviceName": "lamp-1", "gmtCreate": 1_700_000_000_000_i64, "items": wrapped
    })
    .to_string()
    .into_bytes();
    let raw = RawMessage {
        topic: format!("/{PK}/lamp-1/thing/event/property/post"),
        message_id: "1900000000000000001".into(),
        generate_time: Some(1_700_000_000_000),
        body: body.clone(),
    };
    match lamp::Message::decode(&raw) {
        lamp::Message::PropertyPost {
            properties,
            rejected,
            ..
        } => assert!(
            rejected.is_empty() && properties.lux_history.is_some(),
            "the benchmark's report must decode whole: {rejected:?}"
        ),
        other => panic!("the benchmark's report must decode: {other:?}"),
    }

    let mut baseline = || {
        black_box(serde_json::from_slice::<serde_json::Value>(black_box(&body)).unwrap());
    };
    let mut message = || {
        black_box(lamp::Message::decode(black_box(&raw)));
    };
    let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let report_items: Vec<(&str, &serde_json::Value, Option<i64>)> = parsed["items"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(id, item)| (id.as_str(), &item["value"], item["time"].as_i64()))
        .collect();
    let mut properties = || {
        black_box(lamp::Properties::decode(black_box(
            report_items.iter().copied(),
        )));
    };
    let figures = measure_together(&mut [&mut baseline, &mut message, &mut properties]);
    let (baseline, message, properties) = (figures[0], figures[1], figures[2]);
    println!(
        "decoding a property report into generated types ({} bytes, 11 properties):",
        body.len()
    );
    println!("  serde_json::from_slice::<Value> (baseline)       {baseline:>9.0} ns  1.00");
    println!(
        "  lamp::Message::decode (parse, topic, typed, checked) {message:>6.0} ns  {:.2}",
        message / baseline
    );
    println!(
        "  lamp::Properties::decode of parsed items only    {properties:>9.0} ns  {:.2}",
        properties / baseline
    );
}
