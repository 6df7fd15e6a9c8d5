//! The generated `Device` handle's device state (issue 14), end to end: the runtime's HTTP
//! client → the emulator on 127.0.0.1 → `properties()`, `desired()` and `set_desired(...)`
//! read into the generated types, module properties included.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::json;
use tsl_golden::{street_lamp as lamp, street_lamp_modules as modules};
use tsl_runtime::client::Client;
use tsl_runtime::emulator::{self, Emulator, RunningEmulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;
use tsl_runtime::value::{Date, Rejected, Timed};
use tsl_runtime::Error;

const ID: &str = "LTAI-state";
const SECRET: &str = "state-secret";
const PK: &str = "a1StreetLmp";

fn model(files: &[&str]) -> Model {
    let paths: Vec<String> = files
        .iter()
        .map(|f| format!("{}/../../examples/models/{f}", env!("CARGO_MANIFEST_DIR")))
        .collect();
    Model::load_all(&paths)
        .expect("the bundled models load")
        .model
}

fn start(model: Model) -> (RunningEmulator, Client) {
    let emulator = Emulator::new()
        .model(model)
        .credentials(ID, SECRET)
        .device(emulator::Device::new(PK, "lamp-1"))
        .start()
        .expect("the emulator starts");
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(ID, SECRET).unwrap())
        .build()
        .unwrap();
    (emulator, client)
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_properties_of_every_type_with_their_time() {
    let (emulator, client) = start(model(&["street-lamp.json"]));
    let t = now_ms() - 500;
    emulator
        .report_properties(
            PK,
            "lamp-1",
            &json!({
                "LightSwitch": 1,
                "Brightness": 70,
                "Voltage": 229.5,
                "PowerConsumption": 1234.125,
                "WorkMode": 2,
                "Firmware": "v2.1",
                "LastMaintenance": "1700000000000",
                "Location": {"Longitude": 121.5, "Latitude": 31.25, "Street": "Nanjing Rd"},
                "Schedule": [{"At": 360, "Brightness": 80, "Enabled": 1}],
                "LuxHistory": [0.5, 12.0],
                "ColorTemperature": 9999,
            }),
            t,
        )
        .unwrap();
    let device = lamp::Device::named(&client, "lamp-1");
    let (properties, rejected) = device.properties().await.unwrap();
    assert_eq!(
        properties.light_switch,
        Some(Timed {
            value: true,
            time: Some(t)
        })
    );
    assert_eq!(properties.brightness.unwrap().value, 70);
    assert_eq!(properties.voltage.unwrap().value, 229.5);
    assert_eq!(properties.power_consumption.unwrap().value, 1234.125);
    assert_eq!(
        properties.work_mode.unwrap().value,
        lamp::WorkMode::LightSensor
    );
    assert_eq!(properties.firmware.unwrap().value, "v2.1");
    assert_eq!(
        properties.last_maintenance.unwrap().value,
        Date(1_700_000_000_000)
    );
    assert_eq!(properties.location.unwrap().value.street, "Nanjing Rd");
    let schedule = properties.schedule.unwrap().value;
    assert_eq!((schedule[0].at, schedule[0].enabled), (360, true));
    assert_eq!(properties.lux_history.unwrap().value, vec![0.5, 12.0]);
    // 9999 K is above the model's 6500: reported with its JSON, not dropped.
    assert_eq!(properties.color_temperature, None);
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    match &rejected[0] {
        Rejected::Invalid {
            identifier, raw, ..
        } => assert_eq!(
            (identifier.as_str(), raw),
            ("ColorTemperature", &json!(9999))
        ),
        other => panic!("{other:?}"),
    }
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_module_properties_come_from_their_module() {
    let (emulator, client) = start(model(&[
        "street-lamp.json",
        "street-lamp-battery.json",
        "street-lamp-sensor-query-thing-model.json",
    ]));
    emulator
        .report_properties(
            PK,
            "lamp-1",
            &json!({"Brightness": 5, "battery:Charge": 85}),
            now_ms() - 100,
        )
        .unwrap();
    let (properties, rejected) = modules::Device::named(&client, "lamp-1")
        .properties()
        .await
        .unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(properties.brightness.unwrap().value, 5);
    assert_eq!(properties.battery_charge.unwrap().value, 85);
    let calls = emulator
        .requests()
        .iter()
        .filter(|r| r.action.as_deref() == Some("QueryDevicePropertyStatus"))
        .map(|r| r.param("FunctionBlockId").map(str::to_string))
        .collect::<Vec<_>>();
    assert!(
        calls.contains(&None) && calls.contains(&Some("battery".into())),
        "{calls:?}"
    );
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_desired_set_read_and_conflict() {
    let (emulator, client) = start(model(&["street-lamp.json"]));
    let device = lamp::Device::named(&client, "lamp-1");
    let set = lamp::PropertySet {
        brightness: Some(40),
        work_mode: Some(lamp::WorkMode::Timer),
        ..Default::default()
    };
    let versions = device.set_desired(&set, &BTreeMap::new()).await.unwrap();
    assert_eq!(versions.get("Brightness"), Some(&1));
    let (desired, rejected, versions) = device.desired().await.unwrap();
    assert!(rejected.is_empty(), "{rejected:?}");
    assert_eq!(desired.brightness.unwrap().value, 40);
    assert_eq!(desired.work_mode.unwrap().value, lamp::WorkMode::Timer);
    assert_eq!(desired.light_switch, None);
    assert_eq!(versions.get("Brightness"), Some(&1));
    assert_eq!(versions.get("LightSwitch"), Some(&0));

    // With the version read: accepted; with it again (now stale): a conflict.
    let next = lamp::PropertySet {
        brightness: Some(45),
        ..Default::default()
    };
    let read = BTreeMap::from([("Brightness".to_string(), 1)]);
    device.set_desired(&next, &read).await.unwrap();
    match device.set_desired(&next, &read).await {
        Err(Error::Platform(e)) => assert!(e.is_version_conflict(), "{e}"),
        other => panic!("{other:?}"),
    }
    // A value outside the model never leaves.
    let bad = lamp::PropertySet {
        brightness: Some(101),
        ..Default::default()
    };
    assert!(matches!(
        device.set_desired(&bad, &BTreeMap::new()).await,
        Err(Error::InvalidArgs(_))
    ));
    emulator.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typed_history_of_events_services_and_properties_pages_until_it_ends() {
    use futures_util::StreamExt;
    use tsl_runtime::client::TypedHistory;

    let (emulator, client) = start(model(&["street-lamp.json", "street-lamp-battery.json"]));
    let base = now_ms() - 60_000;
    // 120 posts of LampFailure: more than two pages of 50. Post 70 has an ErrorCode the
    // enum does not have.
    for n in 0..120i64 {
        let code = if n == 70 { 9 } else { 1 + n % 3 };
        emulator
            .report_event(
                PK,
                "lamp-1",
                "LampFailure",
                &json!({"ErrorCode": code, "Detail": format!("#{n}")}),
                base + n,
            )
            .unwrap();
    }
    let device = modules::Device::named(&client, "lamp-1");
    let events: Vec<_> = device
        .event_history::<modules::LampFailureEvent>(
            modules::LampFailureEvent::IDENTIFIER,
            base,
            base + 1000,
        )
        .map(|item| item.expect("no call fails"))
        .collect()
        .await;
    assert_eq!(events.len(), 120);
    let first = events[0].as_ref().unwrap();
    assert_eq!(
        (first.value.detail.as_str(), first.time),
        ("#0", Some(base))
    );
    match &events[70] {
        Err(Rejected::Invalid { raw, time, .. }) => {
            assert_eq!(
                (raw["ErrorCode"].clone(), *time),
                (json!(9), Some(base + 70))
            )
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(events.iter().filter(|e| e.is_err()).count(), 1);
    let pages = emulator
        .requests()
        .iter()
        .filter(|r| r.action.as_deref() == Some("QueryDeviceEventData"))
        .count();
    assert_eq!(pages, 3, "120 records of 50 a page");

    // Service calls into their input and output types (a module's service too).
    emulator
        .report_service_call(
            PK,
            "lamp-1",
            "Blink",
            &json!({"Times": 3, "Interval": 0.5}),
            Some(&json!({"Blinked": 3})),
            base + 5,
        )
        .unwrap();
    emulator
        .report_service_call(
            PK,
            "lamp-1",
            "Blink",
            &json!({"Times": 99, "Interval": 0.5}),
            None,
            base + 6,
        )
        .unwrap();
    let calls: Vec<_> = device
        .service_history::<modules::BlinkInput, modules::BlinkOutput>(
            modules::BlinkInput::IDENTIFIER,
            base,
            base + 1000,
        )
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(calls.len(), 2);
    let call = calls[0].as_ref().unwrap();
    assert_eq!((call.input.times, call.time), (3, base + 5));
    assert_eq!(call.output.as_ref().map(|o| o.blinked), Some(3));
    // Times 99 is above the model's 20: reported with its input as sent.
    assert!(matches!(&calls[1], Err(Rejected::Invalid { raw, .. }) if raw["Times"] == 99));

    // Properties, one and several (a module's among them), into `Properties`.
    for n in 0..60i64 {
        emulator
            .report_properties(
                PK,
                "lamp-1",
                &json!({"Brightness": n, "Firmware": format!("{n}")}),
                base + n,
            )
            .unwrap();
    }
    emulator
        .report_properties(PK, "lamp-1", &json!({"battery:Charge": 85}), base + 3)
        .unwrap();
    emulator
        .report_properties(PK, "lamp-1", &json!({"Brightness": 300}), base + 61)
        .unwrap();
    let brightness: Vec<_> = device
        .property_history(&["Brightness"], base, base + 1000)
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(brightness.len(), 61);
    assert_eq!(
        brightness[59]
            .as_ref()
            .unwrap()
            .brightness
            .clone()
            .unwrap()
            .value,
        59
    );
    assert!(matches!(&brightness[60], Err(Rejected::Invalid { raw, .. }) if *raw == json!(300)));
    let several: Vec<_> = device
        .property_history(&["Firmware", "battery:Charge"], base, base + 1000)
        .map(Result::unwrap)
        .collect()
        .await;
    assert_eq!(several.len(), 61);
    let texts: Vec<String> = several
        .iter()
        .filter_map(|p| p.as_ref().unwrap().firmware.clone())
        .map(|t| t.value)
        .collect();
    // A text property whose text reads as a number stays text.
    assert_eq!(texts, (0..60).map(|n| n.to_string()).collect::<Vec<_>>());
    let charge = several
        .iter()
        .find_map(|p| p.as_ref().unwrap().battery_charge.clone())
        .unwrap();
    assert_eq!((charge.value, charge.time), (85, Some(base + 3)));
    emulator.shutdown();
}
