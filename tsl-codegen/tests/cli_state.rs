//! `tsl-codegen get`, `desired set|get|clear` and `history`, run as processes against
//! `tsl-codegen emulate` on 127.0.0.1 (issue 14). The emulator's state is given on its
//! stdin (`{"device":..,"properties":..,"time":..}` lines).

mod ops_support;

use std::io::Write;
use std::process::Output;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ops_support::EmulateProcess;
use serde_json::{json, Value};

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// A running `emulate --post-stdin` of both lamp models with device `lamp-1`.
fn emulate(extra: &[&str]) -> EmulateProcess {
    let mut args = vec![
        "--model",
        "examples/models/street-lamp.json",
        "--model",
        "examples/models/street-lamp-battery.json",
        "--device",
        "lamp-1",
        "--post-stdin",
        "--quiet",
        "--seconds",
        "60",
    ];
    args.extend_from_slice(extra);
    EmulateProcess::start(&args)
}

/// Records state lines on the emulator's stdin and waits (boundedly) until each is
/// confirmed.
fn record(emulate: &mut EmulateProcess, lines: &[Value]) {
    for line in lines {
        writeln!(emulate.stdin, "{line}").unwrap();
    }
    emulate.stdin.flush().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut confirmed = 0;
    while confirmed < lines.len() {
        let left = deadline.saturating_duration_since(Instant::now());
        let line = emulate
            .lines
            .recv_timeout(left)
            .expect("the emulator confirms each line");
        if line.starts_with("recorded state of ") {
            confirmed += 1;
        }
    }
}

const MODELS: [&str; 4] = [
    "--model",
    "examples/models/street-lamp.json",
    "--model",
    "examples/models/street-lamp-battery.json",
];

fn json_lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn cli_get_prints_every_type_in_wire_form() {
    let mut emulate = emulate(&[]);
    let t = now_ms() - 1000;
    let values = json!({
        "LightSwitch": 1,
        "Brightness": 70,
        "Voltage": 229.5,
        "PowerConsumption": 1234.125,
        "WorkMode": -1,
        "Firmware": "v2.1",
        "LastMaintenance": "1700000000000",
        "Location": {"Longitude": 121.5, "Latitude": 31.25, "Street": "Nanjing Rd"},
        "Schedule": [{"At": 360, "Brightness": 80, "Enabled": 1}],
        "LuxHistory": [0.5, 12.0],
    });
    record(
        &mut emulate,
        &[
            json!({"device": "lamp-1", "properties": values, "time": t}),
            json!({"device": "lamp-1", "properties": {"battery:Charge": 85}, "time": t}),
        ],
    );
    let mut args = vec!["get"];
    args.extend(MODELS);
    args.extend(["--device", "lamp-1"]);
    let output = emulate.cli(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let lines = json_lines(&output);
    let mut got = serde_json::Map::new();
    for line in &lines {
        assert_eq!(line["time"], json!(t), "{line}");
        got.insert(
            line["identifier"].as_str().unwrap().to_string(),
            line["value"].clone(),
        );
    }
    let mut expected = values.as_object().unwrap().clone();
    // The module's property comes from its own query.
    expected.insert("battery:Charge".into(), json!(85));
    assert_eq!(Value::Object(got), Value::Object(expected));

    // --property picks, and an unknown one is a usage error before sending.
    let mut one = args.clone();
    one.extend(["--property", "battery:Charge"]);
    let output = emulate.cli(&one);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        json_lines(&output),
        vec![json!({"identifier": "battery:Charge", "time": t, "value": 85})]
    );
    let mut unknown = args.clone();
    unknown.extend(["--property", "Nope"]);
    let output = emulate.cli(&unknown);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("`Nope`"));
}

#[test]
fn cli_get_reports_a_value_that_does_not_fit() {
    let mut emulate = emulate(&[]);
    record(
        &mut emulate,
        &[json!({
            "device": "lamp-1",
            "properties": {"Brightness": 250, "Firmware": "ok"},
            "time": now_ms() - 1000,
        })],
    );
    let mut args = vec!["get"];
    args.extend(MODELS);
    args.extend(["--device", "lamp-1"]);
    let output = emulate.cli(&args);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let lines = json_lines(&output);
    let bad = lines
        .iter()
        .find(|l| l["identifier"] == "Brightness")
        .unwrap();
    assert_eq!(bad["value_raw"], "250");
    assert!(bad["error"].as_str().unwrap().contains("max 100"), "{bad}");
    let good = lines
        .iter()
        .find(|l| l["identifier"] == "Firmware")
        .unwrap();
    assert_eq!(good["value"], "ok");
    assert!(stderr(&output).contains("do not fit the model"));
}

#[test]
fn cli_desired_set_get_conflict_clear() {
    let emulate = emulate(&[]);
    let target = |command: &[&'static str]| {
        let mut args: Vec<&str> = command.to_vec();
        args.extend(MODELS);
        args.extend(["--device", "lamp-1"]);
        args
    };
    let mut set = target(&["desired", "set"]);
    set.extend([
        "--props",
        r#"{"Brightness":40}"#,
        "--version",
        "Brightness=0",
    ]);
    let output = emulate.cli(&set);
    assert!(output.status.success(), "{}", stderr(&output));
    let line = &json_lines(&output)[0];
    assert_eq!(line["status"], "accepted");
    assert_eq!(line["versions"], json!({"Brightness": 1}));

    let mut get = target(&["desired", "get"]);
    get.extend(["--property", "Brightness"]);
    let output = emulate.cli(&get);
    assert!(output.status.success(), "{}", stderr(&output));
    let line = &json_lines(&output)[0];
    assert_eq!(line["identifier"], "Brightness");
    assert_eq!(line["version"], 1);
    assert_eq!(line["value"], 40);

    // The same version again is stale now.
    let output = emulate.cli(&set);
    assert_eq!(output.status.code(), Some(1));
    let line = &json_lines(&output)[0];
    assert_eq!(line["status"], "version_conflict", "{line}");
    assert!(line["request_id"].is_string());
    assert!(stderr(&output).contains("iot.device.DesiredPropertyVersionConflict"));

    // Read-only and out-of-range values never leave.
    let mut read_only = target(&["desired", "set"]);
    read_only.extend(["--props", r#"{"Voltage":220.0}"#]);
    let output = emulate.cli(&read_only);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("read-only"));

    let mut clear = target(&["desired", "clear"]);
    clear.extend(["--property", "Brightness"]);
    let output = emulate.cli(&clear);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(json_lines(&output)[0]["versions"], json!({"Brightness": 2}));
    let output = emulate.cli(&get);
    let line = &json_lines(&output)[0];
    assert_eq!(line["version"], 2);
    assert!(line.get("value").is_none(), "{line}");
}

#[test]
fn cli_history_pages_as_json_and_csv() {
    let mut emulate = emulate(&[]);
    let base = now_ms() - 120_000;
    let mut lines: Vec<Value> = (0..12)
        .map(
            |n| json!({"device": "lamp-1", "properties": {"Brightness": n}, "time": base + n * 10}),
        )
        .collect();
    lines.push(json!({"device": "lamp-1", "properties": {"Brightness": 300}, "time": base + 200}));
    lines.push(json!({"device": "lamp-1", "event": "DuskDetected", "value": {"Lux": 2.5}, "time": base + 5}));
    record(&mut emulate, &lines);
    let from = base.to_string();
    let to = (base + 1000).to_string();
    let mut args = vec!["history"];
    args.extend(MODELS);
    args.extend([
        "--device",
        "lamp-1",
        "--property",
        "Brightness",
        "--from",
        &from,
        "--to",
        &to,
        "--page-size",
        "5",
    ]);
    let output = emulate.cli(&args);
    // The last value (300) does not fit: reported, exit 1.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let records = json_lines(&output);
    assert_eq!(records.len(), 13);
    let values: Vec<Value> = records[..12].iter().map(|r| r["value"].clone()).collect();
    assert_eq!(values, (0..12).map(|n| json!(n)).collect::<Vec<_>>());
    assert_eq!(records[12]["value_raw"], "300");

    let mut csv = args.clone();
    csv.extend(["--format", "csv"]);
    let output = emulate.cli(&csv);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let rows: Vec<&str> = text.lines().collect();
    assert_eq!(rows[0], "time,identifier,value,error");
    assert_eq!(rows[1], format!("{base},Brightness,0,"));
    assert_eq!(rows.len(), 14);
    assert!(
        rows[13].starts_with(&format!("{},Brightness,300,", base + 200)),
        "{}",
        rows[13]
    );

    let mut events = vec!["history"];
    events.extend(MODELS);
    events.extend([
        "--device",
        "lamp-1",
        "--event",
        "DuskDetected",
        "--from",
        "-1h",
    ]);
    let output = emulate.cli(&events);
    assert!(output.status.success(), "{}", stderr(&output));
    let records = json_lines(&output);
    assert_eq!(records.len(), 1);
    assert_eq!(records[0]["value"], json!({"Lux": 2.5}));
    assert_eq!(records[0]["event_type"], "info");

    // A window older than the platform keeps is refused before sending.
    let mut old = vec!["history"];
    old.extend(MODELS);
    old.extend([
        "--device",
        "lamp-1",
        "--property",
        "Brightness",
        "--from",
        "-40d",
    ]);
    let output = emulate.cli(&old);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("30 days"), "{}", stderr(&output));
}

#[test]
fn cli_history_of_several_properties_in_one_stream() {
    let mut emulate = emulate(&[]);
    let base = now_ms() - 120_000;
    let mut lines: Vec<Value> = (0..7)
        .map(|n| {
            json!({"device": "lamp-1", "properties": {"Brightness": n, "Voltage": 220.5}, "time": base + n})
        })
        .collect();
    lines
        .push(json!({"device": "lamp-1", "properties": {"battery:Charge": 500}, "time": base + 3}));
    record(&mut emulate, &lines);
    let from = base.to_string();
    let to = (base + 1000).to_string();
    let mut args = vec!["history"];
    args.extend(MODELS);
    args.extend([
        "--device",
        "lamp-1",
        "--property",
        "Brightness",
        "--property",
        "Voltage",
        "--property",
        "battery:Charge",
        "--from",
        &from,
        "--to",
        &to,
        "--page-size",
        "3",
    ]);
    let output = emulate.cli(&args);
    // battery:Charge 500 is above its max: reported, exit 1.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let records = json_lines(&output);
    assert_eq!(records.len(), 15, "{records:?}");
    let brightness: Vec<Value> = records
        .iter()
        .filter(|r| r["identifier"] == "Brightness")
        .map(|r| r["value"].clone())
        .collect();
    assert_eq!(brightness, (0..7).map(|n| json!(n)).collect::<Vec<_>>());
    let voltage = records
        .iter()
        .filter(|r| r["identifier"] == "Voltage")
        .count();
    assert_eq!(voltage, 7);
    let charge: Vec<&Value> = records
        .iter()
        .filter(|r| r["identifier"] == "battery:Charge")
        .collect();
    assert_eq!(charge.len(), 1);
    assert_eq!(charge[0]["value_raw"], "500");

    // A page of 101 is refused before anything is sent (exit 2).
    let mut big = args.clone();
    *big.last_mut().unwrap() = "101";
    let output = emulate.cli(&big);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
}

#[test]
fn cli_original_get_and_history_include_what_failed_the_model() {
    let mut emulate = emulate(&[]);
    let base = now_ms() - 120_000;
    let mut lines: Vec<Value> = (0..5)
        .map(|n| json!({"device": "lamp-1", "properties": {"RawCounter": n}, "time": base + n}))
        .collect();
    lines.push(json!({"device": "lamp-1", "properties": {"Brightness": 40}, "time": base + 10}));
    record(&mut emulate, &lines);
    let mut get = vec!["get"];
    get.extend(MODELS);
    get.extend(["--device", "lamp-1", "--original"]);
    let output = emulate.cli(&get);
    // RawCounter is not in the model: listed with its error, exit 1.
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let values = json_lines(&output);
    assert_eq!(values.len(), 2, "{values:?}");
    let raw = values
        .iter()
        .find(|v| v["identifier"] == "RawCounter")
        .unwrap();
    assert_eq!(raw["value_raw"], "4");
    let brightness = values
        .iter()
        .find(|v| v["identifier"] == "Brightness")
        .unwrap();
    assert_eq!(brightness["value"], 40);

    let from = base.to_string();
    let mut history = vec!["history"];
    history.extend(MODELS);
    history.extend([
        "--device",
        "lamp-1",
        "--property",
        "RawCounter",
        "--original",
        "--from",
        &from,
        "--page-size",
        "2",
    ]);
    let output = emulate.cli(&history);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let records = json_lines(&output);
    let raws: Vec<Value> = records.iter().map(|r| r["value_raw"].clone()).collect();
    assert_eq!(
        raws,
        (0..5).map(|n| json!(n.to_string())).collect::<Vec<_>>()
    );
    // Without --original the identifier is a usage error: nothing sent.
    let checked: Vec<&str> = history
        .iter()
        .copied()
        .filter(|a| *a != "--original")
        .collect();
    assert_eq!(emulate.cli(&checked).status.code(), Some(2));
}

#[test]
fn cli_history_of_service_calls_made_through_invoke() {
    let emulate = emulate(&[]);
    let mut invoke = vec!["invoke"];
    invoke.extend(["--model", "examples/models/street-lamp.json"]);
    invoke.extend([
        "--device",
        "lamp-1",
        "--service",
        "Blink",
        "--args",
        r#"{"Times":2,"Interval":0.5}"#,
    ]);
    let output = emulate.cli(&invoke);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut args = vec!["history"];
    args.extend(MODELS);
    args.extend(["--device", "lamp-1", "--service", "Blink", "--from", "-5m"]);
    let output = emulate.cli(&args);
    assert!(output.status.success(), "{}", stderr(&output));
    let records = json_lines(&output);
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["input"], json!({"Times": 2, "Interval": 0.5}));
    assert!(records[0]["output"].is_object());
}
