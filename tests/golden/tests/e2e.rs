//! End to end: generated cloud-side code → the runtime's HTTP client → the local emulator
//! on 127.0.0.1 → generated device-side dispatcher → the device's reply → typed output.
//!
//! Every test starts its own emulator (port 0, 127.0.0.1 only), asserts the outcome, what
//! went on the wire (the emulator's record), and that a batch report accounts for every
//! device given. No loop here is unbounded.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tsl_golden::{pump_module, street_lamp as lamp};
use tsl_runtime::alink::DeviceError;
use tsl_runtime::client::{BatchPub, Client, RetryPolicy};
use tsl_runtime::cloud::Outcome;
use tsl_runtime::emulator::{self, Emulator, Fault, MessageKind, RunningEmulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;
use tsl_runtime::value::Date;
use tsl_runtime::Error;

const ID: &str = "LTAI-e2e";
const SECRET: &str = "e2e-secret-never-printed";
const LAMP_PK: &str = "a1StreetLmp";

fn lamp_model() -> Model {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/models/street-lamp.json"
    );
    Model::load(path).expect("the bundled model loads").model
}

fn pump_model() -> Model {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/models/pump-module.json");
    Model::load(path).expect("the pump module loads").model
}

fn client_for(emulator: &RunningEmulator) -> Client {
    client_with(emulator, SECRET, RetryPolicy::default())
}

fn client_with(emulator: &RunningEmulator, secret: &str, retry: RetryPolicy) -> Client {
    Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(ID, secret).expect("non-empty"))
        .retry(retry)
        .build()
        .expect("the client builds")
}

/// A lamp that does what it is asked and remembers it.
#[derive(Default)]
struct Lamp {
    blinks: Mutex<Vec<lamp::BlinkInput>>,
    schedules: Mutex<Vec<lamp::UploadScheduleInput>>,
    properties: Mutex<Vec<lamp::PropertySet>>,
}

impl lamp::Handler for Lamp {
    async fn blink(&self, input: lamp::BlinkInput) -> Result<lamp::BlinkOutput, DeviceError> {
        if input.times == 13 {
            return Err(DeviceError::new(100_013, "thirteen blinks are bad luck"));
        }
        let blinked = input.times;
        self.blinks.lock().unwrap().push(input);
        Ok(lamp::BlinkOutput { blinked })
    }

    async fn diagnose(&self) -> Result<lamp::DiagnoseOutput, DeviceError> {
        Ok(lamp::DiagnoseOutput {
            healthy: true,
            driver_temperature: 41.5,
            faults: vec!["none".into()],
        })
    }

    async fn upload_schedule(&self, input: lamp::UploadScheduleInput) -> Result<(), DeviceError> {
        self.schedules.lock().unwrap().push(input);
        Ok(())
    }

    async fn set_properties(&self, properties: lamp::PropertySet) -> Result<(), DeviceError> {
        self.properties.lock().unwrap().push(properties);
        Ok(())
    }
}

/// An emulator with the lamp model and `lamp-1` answered by `device`, plus `extra` plain
/// lamps answered by the emulator's default responder.
fn lamp_emulator(device: Arc<lamp::Responder<Lamp>>, extra: usize) -> RunningEmulator {
    let mut builder = Emulator::new()
        .model(lamp_model())
        .credentials(ID, SECRET)
        .device(emulator::Device::new(LAMP_PK, "lamp-1").responder(device));
    for i in 0..extra {
        builder = builder.device(emulator::Device::new(LAMP_PK, format!("lamp-{:04}", i + 2)));
    }
    builder.start().expect("the emulator starts")
}

/// Polls `done` every 10 ms, at most 3 s: for deliveries the emulator makes in the
/// background (async services, property sets).
async fn eventually(mut done: impl FnMut() -> bool) -> bool {
    for _ in 0..300 {
        if done() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    done()
}

#[tokio::test]
async fn a_sync_service_round_trips_typed_at_both_ends() {
    let device = Arc::new(lamp::Responder(Lamp::default()));
    let emulator = lamp_emulator(device.clone(), 0);
    let client = client_for(&emulator);
    let lamp = lamp::Device::named(&client, "lamp-1");

    let reply = lamp
        .blink(&lamp::BlinkInput {
            times: 3,
            interval: 1.0,
        })
        .await
        .expect("blink answers");
    assert_eq!(reply.output, lamp::BlinkOutput { blinked: 3 });
    assert!(reply.raw.contains(r#""Blinked":3"#), "{}", reply.raw);
    assert_eq!(
        device.0.blinks.lock().unwrap().as_slice(),
        &[lamp::BlinkInput {
            times: 3,
            interval: 1.0
        }]
    );
    let diagnosis = lamp.diagnose().await.expect("diagnose answers");
    assert_eq!(diagnosis.output.driver_temperature, 41.5);

    // What went on the wire: the float with its decimal point.
    let sent = emulator.requests();
    assert_eq!(sent[0].param("Action"), Some("InvokeThingService"));
    assert_eq!(sent[0].param("Identifier"), Some("Blink"));
    assert_eq!(sent[0].param("Args"), Some(r#"{"Times":3,"Interval":1.0}"#));
    assert_eq!(sent[0].param("ProductKey"), Some(LAMP_PK));
    assert_eq!(sent[0].param("DeviceName"), Some("lamp-1"));
    match &sent[0].outcome {
        emulator::Outcome::Answered { request_id, .. } => assert_eq!(&reply.request_id, request_id),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_async_service_is_accepted_and_delivered() {
    let device = Arc::new(lamp::Responder(Lamp::default()));
    let emulator = lamp_emulator(device.clone(), 0);
    let client = client_for(&emulator);
    let input = lamp::UploadScheduleInput {
        schedule: vec![lamp::ScheduleItem {
            at: 1080,
            brightness: 70,
            enabled: true,
        }],
        valid_from: Date::from_millis(1_700_000_000_000),
    };
    let accepted = lamp::Device::named(&client, "lamp-1")
        .upload_schedule(&input)
        .await
        .expect("accepted");
    assert!(accepted.message_id.is_some());
    assert!(
        eventually(|| device.0.schedules.lock().unwrap().len() == 1).await,
        "the device never got the schedule"
    );
    assert_eq!(device.0.schedules.lock().unwrap()[0], input);
    let messages = emulator.messages();
    assert!(matches!(
        &messages[0].kind,
        MessageKind::Service { identifier, sync: false, .. } if identifier == "UploadSchedule"
    ));
}

#[tokio::test]
async fn properties_are_set_through_the_generated_property_set() {
    let device = Arc::new(lamp::Responder(Lamp::default()));
    let emulator = lamp_emulator(device.clone(), 0);
    let client = client_for(&emulator);
    let set = lamp::PropertySet::default()
        .brightness(55)
        .work_mode(lamp::WorkMode::LightSensor);
    lamp::Device::named(&client, "lamp-1")
        .set_properties(&set)
        .await
        .expect("set accepted");
    assert!(
        eventually(|| !device.0.properties.lock().unwrap().is_empty()).await,
        "the device never got the property set"
    );
    assert_eq!(device.0.properties.lock().unwrap()[0], set);
    assert_eq!(
        emulator.requests()[0].param("Items"),
        Some(r#"{"Brightness":55,"WorkMode":2}"#)
    );
}

#[tokio::test]
async fn module_services_go_out_as_module_identifier() {
    struct Pump;
    impl pump_module::Handler for Pump {
        async fn pump_start(
            &self,
            input: pump_module::PumpStartInput,
        ) -> Result<pump_module::PumpStartOutput, DeviceError> {
            Ok(pump_module::PumpStartOutput {
                started: input.speed > 0,
            })
        }
        async fn pump_stop(&self) -> Result<(), DeviceError> {
            Ok(())
        }
        async fn set_properties(&self, _: pump_module::PropertySet) -> Result<(), DeviceError> {
            Ok(())
        }
    }
    let emulator = Emulator::new()
        .model(pump_model())
        .credentials(ID, SECRET)
        .device(
            emulator::Device::new("a1Torture1", "pump-7")
                .responder(Arc::new(pump_module::Responder(Pump))),
        )
        .start()
        .expect("the emulator starts");
    let client = client_for(&emulator);
    let pump = pump_module::Device::named(&client, "pump-7");
    let reply = pump
        .pump_start(&pump_module::PumpStartInput { speed: 1200 })
        .await
        .expect("start answers");
    assert!(reply.output.started);
    assert_eq!(
        emulator.requests()[0].param("Identifier"),
        Some("pump:Start")
    );
}

#[tokio::test]
async fn a_device_error_code_comes_back_typed() {
    let device = Arc::new(lamp::Responder(Lamp::default()));
    let emulator = lamp_emulator(device, 0);
    let client = client_for(&emulator);
    let err = lamp::Device::named(&client, "lamp-1")
        .blink(&lamp::BlinkInput {
            times: 13,
            interval: 1.0,
        })
        .await
        .unwrap_err();
    match err {
        Error::Device { error, .. } => {
            assert_eq!(
                error,
                DeviceError::new(100_013, "thirteen blinks are bad luck")
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn arguments_outside_the_model_never_reach_the_emulator() {
    let emulator = lamp_emulator(Arc::new(lamp::Responder(Lamp::default())), 0);
    let client = client_for(&emulator);
    let err = lamp::Device::named(&client, "lamp-1")
        .blink(&lamp::BlinkInput {
            times: 0,
            interval: 9.0,
        })
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidArgs(_)), "{err:?}");
    assert!(emulator.requests().is_empty());
}

#[tokio::test]
async fn an_offline_device_is_a_platform_error() {
    let emulator = Emulator::new()
        .model(lamp_model())
        .credentials(ID, SECRET)
        .device(emulator::Device::new(LAMP_PK, "lamp-1").offline())
        .start()
        .unwrap();
    let client = client_for(&emulator);
    let err = lamp::Device::named(&client, "lamp-1")
        .diagnose()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("iot.messagebroker.OFFLINE"), "{err}");
    assert!(err.request_id().is_some());
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_slow_device_past_the_timeout_is_a_platform_timeout() {
    let emulator = Emulator::new()
        .model(lamp_model())
        .credentials(ID, SECRET)
        .sync_timeout(Duration::from_millis(200))
        .device(emulator::Device::new(LAMP_PK, "lamp-1").slow(Duration::from_secs(2)))
        .start()
        .unwrap();
    let client = client_for(&emulator);
    let err = lamp::Device::named(&client, "lamp-1")
        .diagnose()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("iot.messagebroker.TIMEOUT"), "{err}");
    // The device may have acted: not retried.
    assert_eq!(emulator.requests().len(), 1);
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_the_platforms_code() {
    let emulator = lamp_emulator(Arc::new(lamp::Responder(Lamp::default())), 0);
    let client = client_with(&emulator, "not-the-secret", RetryPolicy::default());
    let err = lamp::Device::named(&client, "lamp-1")
        .diagnose()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some("SignatureDoesNotMatch"), "{err}");
    assert!(err.request_id().is_some());
    assert!(!format!("{err} {err:?}").contains("not-the-secret"));
    assert_eq!(
        emulator.requests().len(),
        1,
        "a bad signature is not retried"
    );
}

#[tokio::test]
async fn a_fleet_call_reports_every_device() {
    let emulator = lamp_emulator(Arc::new(lamp::Responder(Lamp::default())), 249);
    let client = client_for(&emulator);
    let mut names: Vec<String> = (0..249).map(|i| format!("lamp-{:04}", i + 2)).collect();
    names.push("lamp-1".into());
    names.push("lamp-1".into()); // given twice: reported, not sent twice
    let schedule = lamp::UploadScheduleInput {
        schedule: vec![],
        valid_from: Date::from_millis(1_700_000_000_000),
    };
    let report = lamp::Fleet::named(&client)
        .upload_schedule(&names, &schedule)
        .await
        .expect("the batch runs");
    assert_eq!(
        report.devices.len(),
        names.len(),
        "every device given is in the report"
    );
    assert_eq!(report.accepted().count(), 250);
    assert_eq!(report.not_attempted().count(), 1);
    let calls: Vec<_> = emulator
        .requests()
        .into_iter()
        .filter(|r| r.param("Action") == Some("InvokeThingsService"))
        .collect();
    assert_eq!(calls.len(), 3, "250 unique names in calls of at most 100");
    for call in &calls {
        let count = call
            .params
            .iter()
            .filter(|(k, _)| k.starts_with("DeviceName."))
            .count();
        assert!(count <= 100, "{count} names in one call");
        assert_eq!(call.param("Identifier"), Some("UploadSchedule"));
        assert_eq!(
            call.param("Args"),
            Some(r#"{"Schedule":[],"ValidFrom":"1700000000000"}"#)
        );
    }
    let mut lines = Vec::new();
    report.write_json_lines(&mut lines).unwrap();
    assert_eq!(
        String::from_utf8(lines).unwrap().lines().count(),
        names.len()
    );
}

#[tokio::test]
async fn a_throttling_burst_is_retried_and_every_device_accounted_for() {
    let emulator = lamp_emulator(Arc::new(lamp::Responder(Lamp::default())), 149);
    emulator.inject_fault("SetDevicesProperty", Fault::Throttle, 2);
    let client = client_for(&emulator);
    let names: Vec<String> = (0..149)
        .map(|i| format!("lamp-{:04}", i + 2))
        .chain(["lamp-1".to_string()])
        .collect();
    let properties = lamp::PropertySet::default().light_switch(true);
    let report = lamp::Fleet::named(&client)
        .set_properties(&names, &properties)
        .await
        .expect("the batch runs");
    assert_eq!(report.devices.len(), 150);
    assert!(
        report.all_accepted(),
        "{:?}",
        report.refused().collect::<Vec<_>>()
    );
    let throttled = emulator
        .requests()
        .iter()
        .filter(|r| r.code() == Some("Throttling.User"))
        .count();
    assert_eq!(throttled, 2);
}

#[tokio::test]
async fn a_call_that_fails_after_sending_is_unknown_for_its_devices_only() {
    let emulator = lamp_emulator(Arc::new(lamp::Responder(Lamp::default())), 149);
    // One call of the batch meets an HTTP 500 (`InternalError`): after the request went
    // out it may have reached devices, so it is not retried, and its devices' outcome is
    // unknown (not refused: nothing says the platform did not act).
    emulator.inject_fault("SetDevicesProperty", Fault::Status(500), 1);
    let client = client_for(&emulator);
    let names: Vec<String> = (0..149)
        .map(|i| format!("lamp-{:04}", i + 2))
        .chain(["lamp-1".to_string()])
        .collect();
    let properties = lamp::PropertySet::default().light_switch(true);
    let report = lamp::Fleet::named(&client)
        .set_properties(&names, &properties)
        .await
        .expect("the batch runs");
    assert_eq!(report.devices.len(), 150, "every device accounted for");
    let unknown: Vec<_> = report.unknown().collect();
    let accepted = report.accepted().count();
    assert_eq!(unknown.len() + accepted, 150);
    assert_eq!(report.refused().count(), 0);
    // The two calls (100 and 50 names) run side by side; the fault meets whichever
    // arrives first, and exactly that call's devices are unknown.
    assert!(
        (unknown.len(), accepted) == (100, 50) || (unknown.len(), accepted) == (50, 100),
        "{} unknown, {accepted} accepted",
        unknown.len()
    );
    for device in unknown {
        assert!(
            matches!(&device.outcome, Outcome::Unknown { reason, .. } if reason.contains("InternalError")),
            "{device:?}"
        );
    }
    assert_eq!(
        emulator
            .requests()
            .iter()
            .filter(|r| r.action.as_deref() == Some("SetDevicesProperty"))
            .count(),
        2,
        "not retried"
    );
}

#[tokio::test]
async fn batch_pub_delivers_bytes_to_every_device() {
    let emulator = lamp_emulator(Arc::new(lamp::Responder(Lamp::default())), 2);
    let client = client_for(&emulator);
    let names = vec!["lamp-1".to_string(), "lamp-0002".into(), "lamp-0003".into()];
    let report = client
        .batch_pub(&BatchPub::new(
            LAMP_PK,
            names.clone(),
            "notice",
            b"hello \x00 world".to_vec(),
        ))
        .await
        .expect("published");
    assert_eq!(report.accepted().count(), 3);
    let payloads: Vec<_> = emulator
        .messages()
        .into_iter()
        .filter_map(|m| match m.kind {
            MessageKind::Publish { topic, payload, .. } => Some((m.device_name, topic, payload)),
            _ => None,
        })
        .collect();
    assert_eq!(payloads.len(), 3);
    assert!(payloads.iter().all(|(_, _, p)| p == b"hello \x00 world"));
    assert!(payloads
        .iter()
        .any(|(d, t, _)| d == "lamp-1" && t == "/a1StreetLmp/lamp-1/user/notice"));
}
