//! Device state through the client and the emulator on 127.0.0.1 (issue 14): current
//! properties of every TSL type, desired values with versions, history streams that page,
//! values that do not fit the model, and the per-action QPS over a long read.
#![cfg(feature = "emulator")]

mod emulator_support;

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use emulator_support::{lamp_emulator, lamp_model, KEY_ID, LAMP, SECRET};
use futures_util::StreamExt;
use serde_json::{json, Value};
use tsl_runtime::client::{
    is_version_conflict, record_json, value_json, Client, HistoryQuery, HistoryRecord,
    HistorySource, PropertiesQuery, SetDeviceDesiredProperty, StateDecoder, StateProblem,
};
use tsl_runtime::cloud::Device;
use tsl_runtime::emulator::{Emulator, RunningEmulator};
use tsl_runtime::Error;

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

fn client(emulator: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(tsl_runtime::sign::Credentials::new(KEY_ID, SECRET).unwrap())
        .build()
        .unwrap()
}

fn start(emulator: Emulator) -> RunningEmulator {
    emulator.start().expect("the emulator starts")
}

fn lamp() -> Device {
    Device::named(LAMP, "lamp-1")
}

/// One value of every TSL type, as a device reports them, and the wire form it reads back
/// as.
fn every_type() -> (Value, Value) {
    let reported = json!({
        "LightSwitch": 1,
        "Brightness": 70,
        "Voltage": 229.5,
        "PowerConsumption": 1234.125,
        "WorkMode": -1,
        "Firmware": "v2.1.0 \"stable\"",
        "LastMaintenance": "1700000000000",
        "Location": {"Longitude": 121.5, "Latitude": 31.25, "Street": "Nanjing Rd"},
        "Schedule": [{"At": 360, "Brightness": 80, "Enabled": 1}],
        "LuxHistory": [0.5, 12.0],
        "battery:Charge": 85,
    });
    let wire = json!({
        "LightSwitch": 1,
        "Brightness": 70,
        "Voltage": 229.5,
        "PowerConsumption": 1234.125,
        "WorkMode": -1,
        "Firmware": "v2.1.0 \"stable\"",
        "LastMaintenance": "1700000000000",
        "Location": {"Longitude": 121.5, "Latitude": 31.25, "Street": "Nanjing Rd"},
        "Schedule": [{"At": 360, "Brightness": 80, "Enabled": 1}],
        "LuxHistory": [0.5, 12.0],
        "battery:Charge": 85,
    });
    (reported, wire)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_get_returns_typed_values_of_every_type() {
    let emulator = start(lamp_emulator());
    let (reported, wire) = every_type();
    let t = now_ms() - 1000;
    emulator
        .report_properties(LAMP, "lamp-1", &json!({"Brightness": 10}), t - 10)
        .unwrap();
    emulator
        .report_properties(LAMP, "lamp-1", &reported, t)
        .unwrap();
    let client = client(&emulator);
    let decoder = StateDecoder::new(lamp_model());

    let status = client
        .query_device_property_status(&lamp(), None)
        .await
        .unwrap();
    assert!(!status.request_id.is_empty());
    // Every property of the default module is listed; the ones never reported have no value.
    let color = status
        .properties
        .iter()
        .find(|p| p.identifier == "ColorTemperature")
        .unwrap();
    assert_eq!(color.value, None);
    assert_eq!(color.data_type.as_deref(), Some("int"));
    let decoded = decoder.status(&status);
    let mut got = serde_json::Map::new();
    for value in &decoded {
        let json = value_json(value);
        assert_eq!(json["time"], json!(t), "{json}");
        got.insert(value.identifier.clone(), json["value"].clone());
    }
    // The latest report wins (Brightness 70, not 10); module properties come with their
    // module's query.
    let mut expected = wire.as_object().unwrap().clone();
    expected.remove("battery:Charge");
    assert_eq!(Value::Object(got), Value::Object(expected));

    let battery = client
        .query_device_property_status(&lamp(), Some("battery"))
        .await
        .unwrap();
    let charge = decoder
        .status(&battery)
        .into_iter()
        .find(|v| v.identifier == "battery:Charge")
        .expect("the module property is listed by its wire identifier");
    assert_eq!(value_json(&charge)["value"], json!(85));

    // By IotId too.
    let iot_id = emulator.iot_id(LAMP, "lamp-1").unwrap();
    let by_id = client
        .query_device_property_status(&Device::iot_id(iot_id), None)
        .await
        .unwrap();
    assert_eq!(by_id.properties, status.properties);
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_values_that_do_not_fit_the_model_are_reported() {
    let emulator = start(lamp_emulator());
    let t = now_ms() - 1000;
    emulator
        .report_properties(
            LAMP,
            "lamp-1",
            &json!({"Brightness": 250, "Location": {"Longitude": "east"}, "Firmware": "ok"}),
            t,
        )
        .unwrap();
    let client = client(&emulator);
    let decoder = StateDecoder::new(lamp_model());
    let status = client
        .query_device_property_status(&lamp(), None)
        .await
        .unwrap();
    let decoded = decoder.status(&status);
    let brightness = decoded
        .iter()
        .find(|v| v.identifier == "Brightness")
        .unwrap();
    match &brightness.value {
        Err(StateProblem::Value { errors, .. }) => {
            assert!(errors.to_string().contains("above the max 100"), "{errors}")
        }
        other => panic!("{other:?}"),
    }
    let json = value_json(brightness);
    assert_eq!(json["value_raw"], "250");
    assert!(
        json["error"].as_str().unwrap().contains("Brightness"),
        "{json}"
    );
    let location = decoded.iter().find(|v| v.identifier == "Location").unwrap();
    assert!(location.value.is_err());
    let firmware = decoded.iter().find(|v| v.identifier == "Firmware").unwrap();
    assert!(
        firmware.value.is_ok(),
        "one bad value does not spoil the others"
    );

    // An identifier the model does not know is reported too.
    let unknown = decoder.property("Nope", "1");
    assert!(matches!(unknown, Err(StateProblem::Unknown { .. })));
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_desired_set_query_conflict_clear() {
    let emulator = start(
        lamp_emulator().device(tsl_runtime::emulator::Device::new(LAMP, "lamp-off").offline()),
    );
    let client = client(&emulator);
    let decoder = StateDecoder::new(lamp_model());
    let offline = Device::named(LAMP, "lamp-off");

    // Set on an offline device, from version 0.
    let set = client
        .set_device_desired_property(&SetDeviceDesiredProperty::new(
            offline.clone(),
            r#"{"Brightness":40,"WorkMode":1}"#,
            r#"{"Brightness":0}"#,
        ))
        .await
        .unwrap();
    assert_eq!(set.versions.get("Brightness"), Some(&1));
    assert_eq!(set.versions.get("WorkMode"), Some(&1));

    let desired = client
        .query_device_desired_property(&offline, &["Brightness".into(), "WorkMode".into()], None)
        .await
        .unwrap();
    let brightness = &desired.properties[0];
    assert_eq!(
        (brightness.identifier.as_str(), brightness.version),
        ("Brightness", 1)
    );
    let values: Vec<Value> = decoder.desired(&desired).iter().map(value_json).collect();
    assert_eq!(values[0]["value"], json!(40));
    assert_eq!(values[1]["value"], json!(1));

    // Someone set it since version 0 was read: a conflict, reported as such.
    let stale = client
        .set_device_desired_property(&SetDeviceDesiredProperty::new(
            offline.clone(),
            r#"{"Brightness":45}"#,
            r#"{"Brightness":0}"#,
        ))
        .await
        .unwrap_err();
    assert!(is_version_conflict(&stale), "{stale:?}");
    match &stale {
        Error::Platform(e) => assert!(e.request_id.is_some() && e.message.contains("version 1")),
        other => panic!("{other:?}"),
    }
    // The current version goes through.
    let again = client
        .set_device_desired_property(&SetDeviceDesiredProperty::new(
            offline.clone(),
            r#"{"Brightness":45}"#,
            r#"{"Brightness":1}"#,
        ))
        .await
        .unwrap();
    assert_eq!(again.versions.get("Brightness"), Some(&2));

    // Read-only properties have no desired value; values are checked like SetDeviceProperty.
    for (items, needle) in [
        (r#"{"Voltage":220.0}"#, "read-only"),
        (r#"{"Brightness":101}"#, "Brightness"),
    ] {
        let refused = client
            .set_device_desired_property(&SetDeviceDesiredProperty::new(
                offline.clone(),
                items,
                "{}",
            ))
            .await
            .unwrap_err();
        assert!(!is_version_conflict(&refused));
        assert!(refused.to_string().contains(needle), "{refused}");
    }
    let eleven = format!(
        "{{{}}}",
        (0..11)
            .map(|n| format!("\"P{n}\":1"))
            .collect::<Vec<_>>()
            .join(",")
    );
    assert!(matches!(
        client
            .set_device_desired_property(&SetDeviceDesiredProperty::new(
                offline.clone(),
                eleven,
                "{}"
            ))
            .await,
        Err(Error::Refused(_))
    ));

    // Clear: the value goes, the version moves on.
    let cleared = client
        .clear_device_desired_property(&offline, &["Brightness".into()])
        .await
        .unwrap();
    assert_eq!(cleared.versions.get("Brightness"), Some(&3));
    let after = client
        .query_device_desired_property(&offline, &["Brightness".into()], None)
        .await
        .unwrap();
    assert_eq!(after.properties[0].value, None);
    assert_eq!(after.properties[0].version, 3);
    assert!(decoder.desired(&after).is_empty());
    assert!(matches!(
        client.clear_device_desired_property(&offline, &[]).await,
        Err(Error::Refused(_))
    ));
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_history_pages_until_the_stream_ends() {
    let emulator = start(lamp_emulator());
    let base = now_ms() - 60_000;
    // 23 values, three of them in one millisecond across a page boundary (page size 5:
    // records 4, 5 and 6 share a time).
    let mut times = Vec::new();
    for n in 0..23i64 {
        let time = if (4..=6).contains(&n) {
            base + 4
        } else {
            base + n
        };
        times.push(time);
        emulator
            .report_properties(LAMP, "lamp-1", &json!({"Brightness": n}), time)
            .unwrap();
    }
    // A value outside the window, before and after.
    emulator
        .report_properties(LAMP, "lamp-1", &json!({"Brightness": 99}), base - 5)
        .unwrap();
    emulator
        .report_properties(LAMP, "lamp-1", &json!({"Brightness": 98}), base + 10_000)
        .unwrap();
    let client = client(&emulator);
    let decoder = StateDecoder::new(lamp_model());
    let query = HistoryQuery::new(
        lamp(),
        HistorySource::Property("Brightness".into()),
        base,
        base + 100,
    )
    .page_size(5);
    let records: Vec<HistoryRecord> = client.history(query).map(|r| r.unwrap()).collect().await;
    let values: Vec<Value> = records
        .into_iter()
        .map(|r| record_json(&decoder.record(r))["value"].clone())
        .collect();
    assert_eq!(values, (0..23).map(|n| json!(n)).collect::<Vec<_>>());
    let pages = emulator
        .requests()
        .iter()
        .filter(|r| r.action.as_deref() == Some("QueryDevicePropertyData"))
        .count();
    assert!(pages >= 5, "{pages} pages for 23 records of 5");

    // Events and services page the same way, decoded against the model.
    for n in 0..7i64 {
        emulator
            .report_event(
                LAMP,
                "lamp-1",
                "DuskDetected",
                &json!({"Lux": n as f64 + 0.5}),
                base + n,
            )
            .unwrap();
    }
    emulator
        .report_event(
            LAMP,
            "lamp-1",
            "LampFailure",
            &json!({"ErrorCode": 9, "Detail": "x"}),
            base + 3,
        )
        .unwrap();
    let events: Vec<Value> = client
        .history(
            HistoryQuery::new(
                lamp(),
                HistorySource::Event {
                    identifier: Some("DuskDetected".into()),
                    event_type: None,
                },
                base,
                base + 100,
            )
            .page_size(3),
        )
        .map(|r| record_json(&decoder.record(r.unwrap())))
        .collect()
        .await;
    assert_eq!(events.len(), 7);
    assert_eq!(events[6]["value"], json!({"Lux": 6.5}));
    assert_eq!(events[0]["event_type"], "info");
    // LampFailure's ErrorCode 9 is not one of its enum members: reported, not dropped.
    let failures: Vec<Value> = client
        .history(HistoryQuery::new(
            lamp(),
            HistorySource::Event {
                identifier: None,
                event_type: Some("error".into()),
            },
            base,
            base + 100,
        ))
        .map(|r| record_json(&decoder.record(r.unwrap())))
        .collect()
        .await;
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0]["error"].as_str().unwrap().contains("ErrorCode"),
        "{failures:?}"
    );

    // A service invoked through the emulator is in its history, with the device's output.
    client
        .invoke_thing_service(&tsl_runtime::client::InvokeThingService::new(
            lamp(),
            "Blink",
            r#"{"Times":3,"Interval":0.5}"#,
        ))
        .await
        .unwrap();
    let calls: Vec<Value> = client
        .history(HistoryQuery::new(
            lamp(),
            HistorySource::Service(Some("Blink".into())),
            now_ms() - 60_000,
            now_ms() + 1000,
        ))
        .map(|r| record_json(&decoder.record(r.unwrap())))
        .collect()
        .await;
    assert_eq!(calls.len(), 1, "{calls:?}");
    assert_eq!(calls[0]["input"], json!({"Times": 3, "Interval": 0.5}));
    assert!(calls[0]["output"].is_object(), "{calls:?}");
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_history_refuses_what_the_platform_would() {
    let emulator = start(lamp_emulator());
    let client = client(&emulator);
    let now = now_ms();
    let old = HistoryQuery::new(
        lamp(),
        HistorySource::Property("Brightness".into()),
        now - 31 * 86_400_000,
        now,
    );
    let first: Vec<_> = client.history(old).collect().await;
    assert_eq!(first.len(), 1);
    assert!(matches!(&first[0], Err(Error::Refused(m)) if m.contains("30 days")));
    // A platform error ends the stream after it is yielded.
    let unknown: Vec<_> = client
        .history(HistoryQuery::new(
            lamp(),
            HistorySource::Property("Nope".into()),
            now - 1000,
            now,
        ))
        .collect()
        .await;
    assert_eq!(unknown.len(), 1);
    match &unknown[0] {
        Err(Error::Platform(e)) => {
            assert_eq!(e.code, "iot.check.InvalidFormattedParameter");
            assert!(e.request_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    assert!(emulator
        .requests()
        .iter()
        .all(|r| r.param("StartTime") != Some(&(now - 31 * 86_400_000).to_string())));
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_long_history_read_keeps_to_the_qps() {
    // 5 calls a second on both sides: 60 records, 3 a page, is 20 pages, so at least 3 s.
    let emulator = start(lamp_emulator().qps("QueryDevicePropertyData", 5));
    let base = now_ms() - 60_000;
    for n in 0..60i64 {
        emulator
            .report_properties(LAMP, "lamp-1", &json!({"Brightness": n}), base + n)
            .unwrap();
    }
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(tsl_runtime::sign::Credentials::new(KEY_ID, SECRET).unwrap())
        .qps("QueryDevicePropertyData", 5)
        .build()
        .unwrap();
    let started = Instant::now();
    let read: Vec<_> = client
        .history(
            HistoryQuery::new(
                lamp(),
                HistorySource::Property("Brightness".into()),
                base,
                base + 100,
            )
            .page_size(3),
        )
        .collect()
        .await;
    assert_kept_to_qps(&read, 60, started.elapsed(), &emulator);
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_properties_history_pages_each_property_until_the_stream_ends() {
    let emulator = start(lamp_emulator());
    let base = now_ms() - 60_000;
    // Brightness: 23 values, 4..=6 in one millisecond across a page boundary (page 5), and
    // one (n = 12) above the model's max 100. Voltage: 7 values. ColorTemperature: none.
    for n in 0..23i64 {
        let time = if (4..=6).contains(&n) {
            base + 4
        } else {
            base + n
        };
        let value = if n == 12 { 250 } else { n };
        emulator
            .report_properties(LAMP, "lamp-1", &json!({"Brightness": value}), time)
            .unwrap();
    }
    for n in 0..7i64 {
        emulator
            .report_properties(
                LAMP,
                "lamp-1",
                &json!({"Voltage": 220.5 + n as f64}),
                base + 2 * n,
            )
            .unwrap();
    }
    emulator
        .report_properties(
            LAMP,
            "lamp-1",
            &json!({"Brightness": 1, "Voltage": 1.5}),
            base + 10_000,
        )
        .unwrap();
    let client = client(&emulator);
    let decoder = StateDecoder::new(lamp_model());
    let query = PropertiesQuery::new(
        lamp(),
        vec![
            "Brightness".into(),
            "Voltage".into(),
            "ColorTemperature".into(),
        ],
        base,
        base + 100,
    )
    .page_size(5);
    let lines: Vec<Value> = client
        .properties_history(query)
        .map(|r| record_json(&decoder.record(r.unwrap())))
        .collect()
        .await;
    let of = |id: &str| -> Vec<Value> {
        lines
            .iter()
            .filter(|l| l["identifier"] == id)
            .cloned()
            .collect()
    };
    let brightness = of("Brightness");
    assert_eq!(brightness.len(), 23, "{brightness:?}");
    let values: Vec<Value> = brightness
        .iter()
        .map(|l| l.get("value").cloned().unwrap_or(Value::Null))
        .collect();
    let expected: Vec<Value> = (0..23)
        .map(|n| if n == 12 { json!(null) } else { json!(n) })
        .collect();
    assert_eq!(values, expected);
    // The value that does not fit is a line with its error and its text, not dropped.
    assert_eq!(brightness[12]["value_raw"], "250");
    assert!(brightness[12]["error"]
        .as_str()
        .unwrap()
        .contains("max 100"));
    let voltage = of("Voltage");
    assert_eq!(voltage.len(), 7);
    assert_eq!(voltage[6]["value"], json!(226.5));
    assert!(of("ColorTemperature").is_empty());
    // Several calls, none naming more than 10 properties, each property's records once.
    let calls: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.action.as_deref() == Some("QueryDevicePropertiesData"))
        .collect();
    assert!(calls.len() >= 5, "{} calls", calls.len());
    // The answer stops for all at the NextTime of the property that filled its page.
    assert!(calls
        .iter()
        .skip(1)
        .all(|r| r.param("Identifier.1") == Some("Brightness")));
    assert_eq!(calls[0].param("Identifier.3"), Some("ColorTemperature"));
    assert!(calls.iter().all(|r| r.param("PageSize") == Some("5")));

    // Refused before sending: a repeated identifier; by the emulator: an unknown one.
    let twice: Vec<_> = client
        .properties_history(PropertiesQuery::new(
            lamp(),
            vec!["Brightness".into(), "Brightness".into()],
            base,
            base + 1,
        ))
        .collect()
        .await;
    assert!(matches!(twice.as_slice(), [Err(Error::Refused(_))]));
    let unknown: Vec<_> = client
        .properties_history(PropertiesQuery::new(
            lamp(),
            vec!["Brightness".into(), "Nope".into()],
            base,
            base + 1,
        ))
        .collect()
        .await;
    match unknown.as_slice() {
        [Err(Error::Platform(e))] => assert_eq!(e.code, "iot.check.InvalidFormattedParameter"),
        other => panic!("{other:?}"),
    }
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_properties_history_keeps_to_its_qps() {
    // 5 calls a second on both sides: 40 records, 2 a call, is 20 calls, so at least 3 s.
    let emulator = start(lamp_emulator().qps("QueryDevicePropertiesData", 5));
    let base = now_ms() - 60_000;
    for n in 0..40i64 {
        emulator
            .report_properties(LAMP, "lamp-1", &json!({"Brightness": n % 100}), base + n)
            .unwrap();
    }
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(tsl_runtime::sign::Credentials::new(KEY_ID, SECRET).unwrap())
        .qps("QueryDevicePropertiesData", 5)
        .build()
        .unwrap();
    let started = Instant::now();
    let read: Vec<_> = client
        .properties_history(
            PropertiesQuery::new(lamp(), vec!["Brightness".into()], base, base + 100).page_size(2),
        )
        .collect()
        .await;
    assert_kept_to_qps(&read, 40, started.elapsed(), &emulator);
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_original_variants_page_by_token_and_keep_what_failed_the_model() {
    let emulator = start(lamp_emulator());
    let base = now_ms() - 60_000;
    // 60 identifiers the model does not have (a product without checks) and one of its own
    // with a value above the max: the Original status lists them all, over two pages of 50.
    for n in 0..60i64 {
        emulator
            .report_properties(
                LAMP,
                "lamp-1",
                &json!({ format!("Custom{n}"): n }),
                base + n,
            )
            .unwrap();
    }
    emulator
        .report_properties(LAMP, "lamp-1", &json!({"Brightness": 250}), base + 100)
        .unwrap();
    let client = client(&emulator);
    let decoder = StateDecoder::new(lamp_model());
    let status = client
        .query_device_original_property_status(&lamp())
        .await
        .unwrap();
    assert_eq!(status.properties.len(), 61);
    assert!(!status.request_id.is_empty());
    let pages: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.action.as_deref() == Some("QueryDeviceOriginalPropertyStatus"))
        .collect();
    assert_eq!(pages.len(), 2);
    assert!(pages[1].param("NextPageToken").is_some());
    let decoded = decoder.status(&status);
    let brightness = decoded
        .iter()
        .find(|v| v.identifier == "Brightness")
        .unwrap();
    assert!(value_json(brightness)["error"]
        .as_str()
        .unwrap()
        .contains("max 100"));
    let custom = decoded.iter().find(|v| v.identifier == "Custom7").unwrap();
    assert!(matches!(custom.value, Err(StateProblem::Unknown { .. })));

    // Original history of a custom identifier: 8 records, 3 a page, paged by token.
    for n in 0..7i64 {
        emulator
            .report_properties(LAMP, "lamp-1", &json!({"Custom7": 100 + n}), base + 200 + n)
            .unwrap();
    }
    let query = HistoryQuery::new(
        lamp(),
        HistorySource::Property("Custom7".into()),
        base,
        base + 1000,
    )
    .page_size(3)
    .original(true);
    let records: Vec<HistoryRecord> = client.history(query).map(|r| r.unwrap()).collect().await;
    let values: Vec<&str> = records
        .iter()
        .map(|r| match r {
            HistoryRecord::Property { value, .. } => value.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        values,
        ["7", "100", "101", "102", "103", "104", "105", "106"]
    );
    let calls: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.action.as_deref() == Some("QueryDeviceOriginalPropertyData"))
        .collect();
    assert_eq!(calls.len(), 3);
    assert!(calls
        .iter()
        .all(|c| c.param("StartTime") == Some(&base.to_string())));
    // The checked action refuses an identifier the model does not have.
    let checked: Vec<_> = client
        .history(HistoryQuery::new(
            lamp(),
            HistorySource::Property("Custom7".into()),
            base,
            base + 1000,
        ))
        .collect()
        .await;
    assert!(matches!(checked.as_slice(), [Err(Error::Platform(_))]));

    // Events through the Original action, decoded (and misfits reported) the same way.
    for n in 0..4i64 {
        emulator
            .report_event(
                LAMP,
                "lamp-1",
                "LampFailure",
                &json!({"ErrorCode": if n == 2 { 9 } else { 1 }, "Detail": "x"}),
                base + n,
            )
            .unwrap();
    }
    let events: Vec<Value> = client
        .history(
            HistoryQuery::new(
                lamp(),
                HistorySource::Event {
                    identifier: Some("LampFailure".into()),
                    event_type: None,
                },
                base,
                base + 1000,
            )
            .page_size(3)
            .original(true),
        )
        .map(|r| record_json(&decoder.record(r.unwrap())))
        .collect()
        .await;
    assert_eq!(events.len(), 4);
    assert_eq!(
        events.iter().filter(|e| e.get("error").is_some()).count(),
        1
    );
    // An Original query needs an identifier: refused before sending.
    let unnamed: Vec<_> = client
        .history(
            HistoryQuery::new(lamp(), HistorySource::Service(None), base, base + 1).original(true),
        )
        .collect()
        .await;
    assert!(matches!(unnamed.as_slice(), [Err(Error::Refused(_))]));
    emulator.shutdown();
}

/// A simulated device that remembers the requests it got.
struct Seen(std::sync::Mutex<Vec<tsl_runtime::alink::Request>>);

impl tsl_runtime::alink::Responder for Seen {
    fn respond<'a>(
        &'a self,
        request: &'a tsl_runtime::alink::Request,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = tsl_runtime::alink::Reply> + Send + 'a>>
    {
        self.0.lock().unwrap().push(request.clone());
        Box::pin(async move { tsl_runtime::alink::Reply::ok(&request.id, json!({})) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_desired_values_reach_an_online_device_at_once() {
    let online = std::sync::Arc::new(Seen(Default::default()));
    let offline = std::sync::Arc::new(Seen(Default::default()));
    let emulator = start(
        lamp_emulator()
            .device(tsl_runtime::emulator::Device::new(LAMP, "on").responder(online.clone()))
            .device(
                tsl_runtime::emulator::Device::new(LAMP, "off")
                    .offline()
                    .responder(offline.clone()),
            ),
    );
    let client = client(&emulator);
    let mut message_ids = Vec::new();
    for name in ["on", "off"] {
        let set = client
            .set_device_desired_property(&SetDeviceDesiredProperty::new(
                Device::named(LAMP, name),
                r#"{"Brightness":40,"WorkMode":null}"#,
                "{}",
            ))
            .await
            .unwrap();
        message_ids.push(set.message_id);
    }
    // The online device gets a property set with the values set (not the cleared one).
    let deadline = Instant::now() + Duration::from_secs(5);
    while online.0.lock().unwrap().is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let got = online.0.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].method, "thing.service.property.set");
    assert_eq!(got[0].params, json!({"Brightness": 40}));
    // The offline one gets nothing now; its desired value waits for it.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(offline.0.lock().unwrap().is_empty());
    let pushed: Vec<_> = emulator
        .messages()
        .into_iter()
        .filter(|m| {
            matches!(
                m.kind,
                tsl_runtime::emulator::MessageKind::PropertySet { .. }
            )
        })
        .collect();
    assert_eq!(pushed.len(), 1);
    assert_eq!(pushed[0].device_name, "on");
    // The answer names the message that took the values there (none for the offline one).
    assert_eq!(message_ids, [Some(pushed[0].message_id.clone()), None]);
    // A clear alone sends nothing.
    client
        .set_device_desired_property(&SetDeviceDesiredProperty::new(
            Device::named(LAMP, "on"),
            r#"{"Brightness":null}"#,
            "{}",
        ))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(online.0.lock().unwrap().len(), 1);
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_original_history_keeps_to_its_qps() {
    // 5 calls a second on both sides: 40 records, 2 a page, is 20 pages, so at least 3 s.
    let action = "QueryDeviceOriginalEventData";
    let emulator = start(lamp_emulator().qps(action, 5));
    let base = now_ms() - 60_000;
    for n in 0..40i64 {
        emulator
            .report_event(LAMP, "lamp-1", "DuskDetected", &json!({"Lux": n}), base + n)
            .unwrap();
    }
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(tsl_runtime::sign::Credentials::new(KEY_ID, SECRET).unwrap())
        .qps(action, 5)
        .build()
        .unwrap();
    let started = Instant::now();
    let source = HistorySource::Event {
        identifier: Some("DuskDetected".into()),
        event_type: None,
    };
    let read: Vec<_> = client
        .history(
            HistoryQuery::new(lamp(), source, base, base + 100)
                .page_size(2)
                .original(true),
        )
        .collect()
        .await;
    assert_kept_to_qps(&read, 40, started.elapsed(), &emulator);
    emulator.shutdown();
}

/// What each QPS test checks of a stream read at 5 calls a second: every item read, none
/// an error, the pages spread over at least 3 s (bounded at 15), and no request the
/// emulator throttled.
fn assert_kept_to_qps<T: std::fmt::Debug, E: std::fmt::Debug>(
    read: &[Result<T, E>],
    items: usize,
    elapsed: Duration,
    emulator: &RunningEmulator,
) {
    assert_eq!(read.len(), items);
    assert!(
        read.iter().all(Result::is_ok),
        "no call was throttled: {:?}",
        read.iter().find(|r| r.is_err())
    );
    assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(15), "{elapsed:?}");
    assert!(emulator
        .requests()
        .iter()
        .all(|r| r.code() != Some("Throttling.User")));
}
