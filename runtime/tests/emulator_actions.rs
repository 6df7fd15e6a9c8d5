//! The emulator's actions: service calls through simulated devices, many-device calls,
//! BatchPub, property sets, and the thing model answers.
#![cfg(feature = "emulator")]

mod emulator_support;

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use emulator_support::*;
use serde_json::{json, Value};
use tsl_runtime::alink::{DeviceError, Reply, Request, Responder};
use tsl_runtime::emulator::{Device, MessageKind, RunningEmulator};
use tsl_runtime::model::{Format, Model};

/// A device that remembers what it was asked and answers with `answer`.
struct Recorder {
    seen: Mutex<Vec<Request>>,
    answer: fn(&Request) -> Reply,
}

impl Recorder {
    fn new(answer: fn(&Request) -> Reply) -> Arc<Recorder> {
        Arc::new(Recorder {
            seen: Mutex::new(Vec::new()),
            answer,
        })
    }

    fn seen(&self) -> Vec<Request> {
        self.seen.lock().unwrap().clone()
    }

    /// Waits (at most 5 s) until `count` requests arrived.
    fn wait_for(&self, count: usize) -> Vec<Request> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.seen().len() < count && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.seen()
    }
}

impl Responder for Recorder {
    fn respond<'a>(
        &'a self,
        request: &'a Request,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        self.seen.lock().unwrap().push(request.clone());
        let reply = (self.answer)(request);
        Box::pin(async move { reply })
    }
}

fn invoke(client: &Client, device: &str, identifier: &str, args: &str) -> Answer {
    client.call(
        "InvokeThingService",
        &[
            ("ProductKey", LAMP),
            ("DeviceName", device),
            ("Identifier", identifier),
            ("Args", args),
        ],
    )
}

fn start() -> (RunningEmulator, Client) {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    (emulator, client)
}

/// `Data.Result` read as the device's reply.
fn result(answer: &Answer) -> Reply {
    let body = answer.assert_success();
    let text = body["Data"]["Result"]
        .as_str()
        .unwrap_or_else(|| panic!("Data.Result is not a string: {body}"));
    Reply::from_json(text).unwrap()
}

#[test]
fn a_sync_service_answers_with_the_devices_reply() {
    let (emulator, client) = start();
    let answer = invoke(&client, "lamp-1", "Blink", r#"{"Times":3,"Interval":1.0}"#);
    let body = answer.assert_success();
    assert_eq!(body["Code"], "");
    let message_id = body["Data"]["MessageId"].as_str().unwrap().to_string();
    // Above 2^53, as real ids are.
    assert!(message_id.parse::<u64>().unwrap() > 1 << 53);
    let reply = result(&answer);
    assert!(reply.is_ok());
    assert_eq!(reply.id, message_id);
    // The default device echoes the declared outputs with valid values.
    let blink = lamp_model();
    let blink = blink.service_by_wire_identifier("Blink").unwrap();
    tsl_runtime::value::encode_params(&blink.outputs, &reply.data).unwrap();
    assert_eq!(
        reply.data.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["Blinked"]
    );

    let messages = emulator.messages();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].device_name, "lamp-1");
    assert_eq!(messages[0].message_id, message_id);
    assert_eq!(
        messages[0].kind,
        MessageKind::Service {
            identifier: "Blink".into(),
            args: json!({"Times": 3, "Interval": 1.0}),
            sync: true
        }
    );

    // IotId wins over ProductKey + DeviceName.
    let iot_id = emulator.iot_id(LAMP, "lamp-2").unwrap();
    client
        .call(
            "InvokeThingService",
            &[
                ("IotId", &iot_id),
                ("ProductKey", LAMP),
                ("DeviceName", "lamp-1"),
                ("Identifier", "Diagnose"),
                ("Args", "{}"),
            ],
        )
        .assert_success();
    assert_eq!(emulator.messages()[1].device_name, "lamp-2");
}

#[test]
fn a_device_responder_gets_the_alink_request_and_its_errors_come_back() {
    let device = Recorder::new(|request| {
        if request.params["Times"] == 7 {
            panic!("the simulated device crashed");
        }
        if request.params["Times"] == 13 {
            Reply::error(&request.id, &DeviceError::new(100_013, "unlucky"))
        } else {
            Reply::ok(&request.id, json!({"Blinked": request.params["Times"]}))
        }
    });
    let emulator = lamp_emulator()
        .device(Device::new(LAMP, "custom").responder(device.clone()))
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    let reply = result(&invoke(
        &client,
        "custom",
        "Blink",
        r#"{"Times":4,"Interval":0.5}"#,
    ));
    assert_eq!(reply.data, json!({"Blinked": 4}));
    let failed = result(&invoke(
        &client,
        "custom",
        "Blink",
        r#"{"Times":13,"Interval":0.5}"#,
    ));
    assert_eq!(
        failed.device_error(),
        Some(DeviceError::new(100_013, "unlucky"))
    );
    // A device that panics fails the call, not the emulator.
    invoke(&client, "custom", "Blink", r#"{"Times":7,"Interval":0.5}"#)
        .assert_business("iot.messagebroker.RrpcException");
    let seen = device.seen();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].method, "thing.service.Blink");
    assert_eq!(seen[0].version, "1.0");
    assert_eq!(seen[0].params, json!({"Times": 4, "Interval": 0.5}));

    // Replaced while running.
    emulator
        .set_responder(
            LAMP,
            "custom",
            Recorder::new(|r| Reply::ok(&r.id, json!({"Blinked": 0}))),
        )
        .unwrap();
    let reply = result(&invoke(
        &client,
        "custom",
        "Blink",
        r#"{"Times":4,"Interval":0.5}"#,
    ));
    assert_eq!(reply.data, json!({"Blinked": 0}));
}

#[test]
fn module_services_are_addressed_as_module_colon_identifier() {
    let (emulator, client) = start();
    let reply = result(&invoke(
        &client,
        "lamp-1",
        "battery:Calibrate",
        r#"{"FullCapacity":12.5}"#,
    ));
    assert!(reply.data.get("Charge").is_some(), "{:?}", reply);
    let reply = result(&invoke(
        &client,
        "lamp-1",
        "sensor:Calibrate",
        r#"{"Reference":1.0}"#,
    ));
    assert!(reply.data.get("Offset").is_some(), "{:?}", reply);
    // Without its module the identifier is another (unknown) service.
    let message = invoke(&client, "lamp-1", "Calibrate", r#"{"FullCapacity":12.5}"#)
        .assert_business("iot.check.InvalidFormattedParameter");
    assert!(message.contains("`Calibrate`"), "{message}");
    assert_eq!(emulator.messages().len(), 2);
}

#[test]
fn an_async_service_answers_a_message_id_and_reaches_the_device() {
    let device = Recorder::new(|r| Reply::ok(&r.id, json!({})));
    let emulator = lamp_emulator()
        .device(Device::new(LAMP, "custom").responder(device.clone()))
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    let args =
        r#"{"Schedule":[{"At":60,"Brightness":80,"Enabled":1}],"ValidFrom":"1635839462000"}"#;
    let body = invoke(&client, "custom", "UploadSchedule", args).assert_success();
    assert!(body["Data"]["MessageId"].is_string(), "{body}");
    assert!(body["Data"].get("Result").is_none(), "{body}");
    let seen = device.wait_for(1);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "thing.service.UploadSchedule");
    assert_eq!(seen[0].id, body["Data"]["MessageId"].as_str().unwrap());
    assert!(matches!(
        &emulator.messages()[0].kind,
        MessageKind::Service { sync: false, .. }
    ));
}

#[test]
fn args_are_checked_as_strictly_as_the_platform() {
    let (emulator, client) = start();
    let refused = |args: &str| {
        invoke(&client, "lamp-1", "Blink", args)
            .assert_business("iot.check.InvalidFormattedParameter")
    };
    let message = refused(r#"{"Times":3,"Interval":1}"#);
    assert!(
        message.contains("`Interval`: 1 is a float without a decimal point"),
        "{message}"
    );
    let message = refused(r#"{"Times":3.0,"Interval":1.0}"#);
    assert!(message.contains("`Times`: 3.0 is not an int"), "{message}");
    let message = refused(r#"{"Times":30,"Interval":1.0}"#);
    assert!(
        message.contains("`Times`: 30 is above the max"),
        "{message}"
    );
    let message = refused(r#"{"Times":3,"Interval":1.0,"Colour":1}"#);
    assert!(message.contains("`Colour`: not an input"), "{message}");
    let message = refused(r#"[{"key":"Times","value":3}]"#);
    assert_eq!(message, "The args parameter format is invalid.");
    let message = invoke(
        &client,
        "lamp-1",
        "UploadSchedule",
        r#"{"Schedule":[{"At":60,"Enabled":true}],"ValidFrom":1635839462000}"#,
    )
    .assert_business("iot.check.InvalidFormattedParameter");
    assert!(
        message.contains("`Schedule[0].Enabled`: true is not a bool"),
        "{message}"
    );
    assert!(
        message.contains("`ValidFrom`: 1635839462000 is not a date"),
        "{message}"
    );
    // Nothing reached a device.
    assert!(emulator.messages().is_empty());
    // Missing Args is a gateway error.
    client
        .call(
            "InvokeThingService",
            &[
                ("ProductKey", LAMP),
                ("DeviceName", "lamp-1"),
                ("Identifier", "Blink"),
            ],
        )
        .assert_gateway(400, "MissingArgs");
    // Qos is 0 or 1.
    client
        .call(
            "InvokeThingService",
            &[
                ("ProductKey", LAMP),
                ("DeviceName", "lamp-1"),
                ("Identifier", "Diagnose"),
                ("Args", "{}"),
                ("Qos", "2"),
            ],
        )
        .assert_business("iot.check.InvalidFormattedParameter");
}

#[test]
fn unknown_products_devices_and_ids_are_refused() {
    let (_emulator, client) = start();
    invoke(&client, "lamp-9", "Diagnose", "{}").assert_business("iot.device.NotExistedDevice");
    client
        .call(
            "InvokeThingService",
            &[
                ("ProductKey", "a1Nope"),
                ("DeviceName", "lamp-1"),
                ("Identifier", "Diagnose"),
                ("Args", "{}"),
            ],
        )
        .assert_business("iot.prod.NotExistedProduct");
    client
        .call(
            "InvokeThingService",
            &[
                ("IotId", "no-such-id"),
                ("Identifier", "Diagnose"),
                ("Args", "{}"),
            ],
        )
        .assert_business("iot.device.InvalidIoTId");
    client
        .call(
            "InvokeThingService",
            &[
                ("ProductKey", LAMP),
                ("Identifier", "Diagnose"),
                ("Args", "{}"),
            ],
        )
        .assert_business("iot.device.NullDeviceName");
}

#[test]
fn devices_can_be_added_while_running() {
    let (emulator, client) = start();
    let iot_id = emulator
        .add_device(
            Device::new(LAMP, "late")
                .iot_id("lateIotId0001")
                .slow(Duration::from_millis(20)),
        )
        .unwrap();
    assert_eq!(iot_id, "lateIotId0001");
    assert_eq!(
        emulator.iot_id(LAMP, "late").as_deref(),
        Some("lateIotId0001")
    );
    client
        .call(
            "InvokeThingService",
            &[
                ("IotId", "lateIotId0001"),
                ("Identifier", "Diagnose"),
                ("Args", "{}"),
            ],
        )
        .assert_success();
    assert!(emulator.add_device(Device::new(LAMP, "late")).is_err());
    assert!(emulator
        .add_device(Device::new(LAMP, "other").iot_id("lateIotId0001"))
        .is_err());
    assert!(emulator.add_device(Device::new("a1Nope", "x")).is_err());
    // Generated IotIds differ.
    assert_ne!(
        emulator.iot_id(LAMP, "lamp-1"),
        emulator.iot_id(LAMP, "lamp-2")
    );
}

#[test]
fn offline_devices_answer_offline() {
    let emulator = lamp_emulator()
        .device(Device::new(LAMP, "sleeper").offline())
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    let message =
        invoke(&client, "sleeper", "Diagnose", "{}").assert_business("iot.messagebroker.OFFLINE");
    assert!(message.contains("sleeper"), "{message}");
    emulator.set_offline(LAMP, "sleeper", false).unwrap();
    invoke(&client, "sleeper", "Diagnose", "{}").assert_success();
    emulator.set_offline(LAMP, "lamp-1", true).unwrap();
    invoke(&client, "lamp-1", "Diagnose", "{}").assert_business("iot.messagebroker.OFFLINE");
    client
        .call(
            "SetDeviceProperty",
            &[
                ("ProductKey", LAMP),
                ("DeviceName", "lamp-1"),
                ("Items", r#"{"Brightness":10}"#),
            ],
        )
        .assert_business("iot.messagebroker.OFFLINE");
    assert!(emulator.set_offline(LAMP, "ghost", true).is_err());
}

#[test]
fn a_slow_device_times_out_past_the_sync_timeout() {
    let emulator = lamp_emulator()
        .sync_timeout(Duration::from_millis(300))
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    emulator
        .set_slow(LAMP, "lamp-1", Duration::from_millis(1500))
        .unwrap();
    let started = Instant::now();
    let message =
        invoke(&client, "lamp-1", "Diagnose", "{}").assert_business("iot.messagebroker.TIMEOUT");
    let waited = started.elapsed();
    assert!(waited >= Duration::from_millis(300), "{waited:?}");
    assert!(waited < Duration::from_millis(1500), "{waited:?}");
    assert!(message.contains("300 ms"), "{message}");
    // Slow but within the timeout.
    emulator
        .set_slow(LAMP, "lamp-1", Duration::from_millis(50))
        .unwrap();
    invoke(&client, "lamp-1", "Diagnose", "{}").assert_success();
    // The device still got the timed-out call.
    assert_eq!(emulator.messages().len(), 2);
}

fn many(names: &[String]) -> Vec<(String, String)> {
    names
        .iter()
        .enumerate()
        .map(|(i, n)| (format!("DeviceName.{}", i + 1), n.clone()))
        .collect()
}

fn call_many(client: &Client, action: &str, params: &[(&str, &str)], names: &[String]) -> Answer {
    let mut all = client.params(action, params);
    all.extend(many(names));
    client.send_v1("POST", all)
}

#[test]
fn invoke_things_service_reaches_every_device_and_keeps_the_limits() {
    let emulator = lamp_emulator()
        .device(Device::new(LAMP, "sleeper").offline())
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    let args = r#"{"Schedule":[],"ValidFrom":"0"}"#;
    let common = [
        ("ProductKey", LAMP),
        ("Identifier", "UploadSchedule"),
        ("Args", args),
    ];
    let names: Vec<String> = ["lamp-1", "lamp-2", "sleeper", "lamp-1"]
        .map(String::from)
        .to_vec();
    let body = call_many(&client, "InvokeThingsService", &common, &names).assert_success();
    assert!(body.get("Data").is_none(), "{body}");
    let messages = emulator.messages();
    let reached: Vec<(&str, bool)> = messages
        .iter()
        .map(|m| (m.device_name.as_str(), m.online))
        .collect();
    assert_eq!(
        reached,
        [("lamp-1", true), ("lamp-2", true), ("sleeper", false)]
    );

    let too_many: Vec<String> = (0..101).map(|i| format!("d{i}")).collect();
    call_many(&client, "InvokeThingsService", &common, &too_many)
        .assert_business("iot.check.ParameterIsNotLessThanMax");
    call_many(&client, "InvokeThingsService", &common, &[])
        .assert_business("iot.device.NoneDeviceNameElement");
    let mut all = client.params("InvokeThingsService", &common);
    all.push(("DeviceName.01".into(), "lamp-1".into()));
    let message = client
        .send_v1("GET", all)
        .assert_business("iot.check.InvalidFormattedParameter");
    assert!(message.contains("`DeviceName.01`"), "{message}");
    let sync = [
        ("ProductKey", LAMP),
        ("Identifier", "Blink"),
        ("Args", r#"{"Times":1,"Interval":1.0}"#),
    ];
    let message = call_many(&client, "InvokeThingsService", &sync, &names[..1])
        .assert_business("iot.check.InvalidFormattedParameter");
    assert!(message.contains("async services only"), "{message}");
    call_many(
        &client,
        "InvokeThingsService",
        &common,
        &["lamp-1".to_string(), "ghost".to_string()],
    )
    .assert_business("iot.device.NotExistedDevice");
    assert_eq!(emulator.messages().len(), 3);
}

#[test]
fn batch_pub_delivers_decoded_messages_within_the_limits() {
    let (emulator, client) = start();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let names: Vec<String> = vec!["lamp-1".into(), "lamp-2".into()];
    let hello = b64("héllo".as_bytes());
    let params = [
        ("ProductKey", LAMP),
        ("TopicShortName", "cmd/light"),
        ("MessageContent", hello.as_str()),
        ("Qos", "1"),
    ];
    let body = call_many(&client, "BatchPub", &params, &names).assert_success();
    assert!(body.get("Data").is_none(), "{body}");
    let messages = emulator.messages();
    assert_eq!(messages.len(), 2);
    assert_eq!(
        messages[1].kind,
        MessageKind::Publish {
            topic: "/a1StreetLmp/lamp-2/user/cmd/light".into(),
            payload: "héllo".as_bytes().to_vec(),
            qos: 1
        }
    );

    // 256 KB decoded is the most. A message that large only fits in a form body: the URL
    // of a request is limited to 64 KiB (hyper's limit; the gateway's is not documented).
    let in_form = |params: &[(&str, &str)], names: &[String]| {
        let mut all = client.params("BatchPub", params);
        all.extend(many(names));
        client.send_form(all)
    };
    let largest = b64(&vec![b'x'; 256 * 1024]);
    let params = [
        ("ProductKey", LAMP),
        ("TopicShortName", "bulk"),
        ("MessageContent", largest.as_str()),
    ];
    in_form(&params, &names[..1]).assert_success();
    let too_large = b64(&vec![b'x'; 256 * 1024 + 1]);
    let params = [
        ("ProductKey", LAMP),
        ("TopicShortName", "bulk"),
        ("MessageContent", too_large.as_str()),
    ];
    in_form(&params, &names[..1]).assert_business("iot.check.ParameterIsNotLessThanMax");
    let mut all = client.params("BatchPub", &params);
    all.extend(many(&names[..1]));
    let signed = tsl_runtime::sign::sign_rpc_v1("POST", all, &client.creds);
    let long_url = send_raw(
        emulator.addr(),
        "POST",
        &format!("/?{}", signed.query),
        &[],
        b"",
    )
    .unwrap();
    assert_eq!(long_url.status, 414);

    let bad = [
        ("ProductKey", LAMP),
        ("TopicShortName", "bulk"),
        ("MessageContent", "not base64!"),
    ];
    call_many(&client, "BatchPub", &bad, &names)
        .assert_business("iot.messagebroker.MessageContentIsNotBase64Encode");
    let empty = [
        ("ProductKey", LAMP),
        ("TopicShortName", "bulk"),
        ("MessageContent", ""),
    ];
    call_many(&client, "BatchPub", &empty, &names)
        .assert_business("iot.messagebroker.NullMessageContent");
    for topic in ["a/#", "/lead", "two//slashes", "sp ace"] {
        let params = [
            ("ProductKey", LAMP),
            ("TopicShortName", topic),
            ("MessageContent", hello.as_str()),
        ];
        call_many(&client, "BatchPub", &params, &names)
            .assert_business("iot.messagebroker.InvalidFormattedTopicName");
    }
    let qos2 = [
        ("ProductKey", LAMP),
        ("TopicShortName", "t"),
        ("MessageContent", hello.as_str()),
        ("Qos", "2"),
    ];
    call_many(&client, "BatchPub", &qos2, &names)
        .assert_business("iot.check.InvalidFormattedParameter");
    let too_many: Vec<String> = (0..101).map(|i| format!("d{i}")).collect();
    let ok = [
        ("ProductKey", LAMP),
        ("TopicShortName", "t"),
        ("MessageContent", hello.as_str()),
    ];
    call_many(&client, "BatchPub", &ok, &too_many)
        .assert_business("iot.check.ParameterIsNotLessThanMax");
    let no_content = [("ProductKey", LAMP), ("TopicShortName", "t")];
    call_many(&client, "BatchPub", &no_content, &names)
        .assert_gateway(400, "MissingMessageContent");
    assert_eq!(emulator.messages().len(), 3);
}

#[test]
fn properties_are_set_only_when_writable_and_valid() {
    let device = Recorder::new(|r| Reply::ok(&r.id, json!({})));
    let emulator = lamp_emulator()
        .device(Device::new(LAMP, "custom").responder(device.clone()))
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    let set = |device: &str, items: &str| {
        client.call(
            "SetDeviceProperty",
            &[
                ("ProductKey", LAMP),
                ("DeviceName", device),
                ("Items", items),
            ],
        )
    };
    let items = r#"{"Brightness":50,"WorkMode":-1,"battery:ChargeLimit":55}"#;
    let body = set("custom", items).assert_success();
    assert!(body["Data"]["MessageId"].is_string(), "{body}");
    let seen = device.wait_for(1);
    assert_eq!(seen[0].method, "thing.service.property.set");
    assert_eq!(
        seen[0].params,
        serde_json::from_str::<Value>(items).unwrap()
    );

    let message = set("custom", r#"{"Voltage":220.0}"#)
        .assert_business("iot.check.InvalidFormattedParameter");
    assert!(
        message.contains("`Voltage`: the property is read-only"),
        "{message}"
    );
    let message = set(
        "custom",
        r#"{"Brightness":50.0,"LightSwitch":true,"battery:ChargeLimit":52}"#,
    )
    .assert_business("iot.check.InvalidFormattedParameter");
    assert!(
        message.contains("`Brightness`: 50.0 is not an int"),
        "{message}"
    );
    assert!(
        message.contains("`LightSwitch`: true is not a bool"),
        "{message}"
    );
    // 52 is off ChargeLimit's step: under the emulator's default `step_check` (warn) it
    // is accepted, as the platform may, so it is not among the problems (docs/checks.md;
    // `--step-check strict` refusing it: tsl-codegen/tests/cli_steps.rs).
    assert!(!message.contains("`battery:ChargeLimit`"), "{message}");
    let message = set("custom", r#"{"ChargeLimit":55}"#)
        .assert_business("iot.check.InvalidFormattedParameter");
    assert!(
        message.contains("`ChargeLimit`: not a property"),
        "{message}"
    );
    client
        .call(
            "SetDeviceProperty",
            &[("ProductKey", LAMP), ("DeviceName", "custom")],
        )
        .assert_gateway(400, "MissingItems");

    let names: Vec<String> = vec!["lamp-1".into(), "lamp-2".into()];
    let params = [("ProductKey", LAMP), ("Items", r#"{"LightSwitch":1}"#)];
    let body = call_many(&client, "SetDevicesProperty", &params, &names).assert_success();
    assert!(body.get("Data").is_none(), "{body}");
    let sets: Vec<String> = emulator
        .messages()
        .iter()
        .filter(|m| {
            m.kind
                == MessageKind::PropertySet {
                    items: json!({"LightSwitch": 1}),
                }
        })
        .map(|m| m.device_name.clone())
        .collect();
    assert_eq!(sets, names);
    let bad = [("ProductKey", LAMP), ("Items", r#"{"LightSwitch":2}"#)];
    call_many(&client, "SetDevicesProperty", &bad, &names)
        .assert_business("iot.check.InvalidFormattedParameter");
}

/// The module as the emulator holds it, for comparison: where it was read from is not
/// part of what the platform answers.
fn comparable(module: &tsl_runtime::model::Module) -> tsl_runtime::model::Module {
    let mut module = module.clone();
    module.source = tsl_runtime::model::Source {
        origin: String::new(),
        format: Format::Tsl,
        envelope: tsl_runtime::model::Envelope::Bare,
        schema: None,
        version: None,
    };
    module
}

#[test]
fn the_thing_model_answers_read_back_into_the_model() {
    let (_emulator, client) = start();
    let model = lamp_model();

    let answer = client.call("GetThingModelTsl", &[("ProductKey", LAMP)]);
    let body = answer.assert_success();
    assert!(body["Data"]["TslStr"].is_string(), "{body}");
    let parsed = Model::parse(&answer.body, "GetThingModelTsl")
        .unwrap()
        .model;
    assert_eq!(parsed.product_key.as_deref(), Some(LAMP));
    assert_eq!(parsed.modules[0].source.format, Format::Tsl);
    assert_eq!(
        comparable(&parsed.modules[0]),
        comparable(model.default_module().unwrap())
    );

    let answer = client.call(
        "GetThingModelTsl",
        &[("ProductKey", LAMP), ("FunctionBlockId", "battery")],
    );
    let parsed = Model::parse(&answer.body, "battery").unwrap().model;
    assert_eq!(
        comparable(&parsed.modules[0]),
        comparable(model.module(Some("battery")).unwrap())
    );

    let answer = client.call(
        "GetThingModelTsl",
        &[("ProductKey", LAMP), ("Simple", "true")],
    );
    let parsed = Model::parse(&answer.body, "simple").unwrap().model;
    assert_eq!(parsed.modules[0].source.format, Format::SimplifiedTsl);
    let ids = |m: &tsl_runtime::model::Module| -> Vec<String> {
        m.properties
            .iter()
            .map(|p| format!("{}:{}", p.identifier, p.data_type.tsl_name()))
            .collect()
    };
    assert_eq!(
        ids(&parsed.modules[0]),
        ids(model.default_module().unwrap())
    );

    let answer = client.call(
        "QueryThingModel",
        &[("ProductKey", LAMP), ("FunctionBlockId", "sensor")],
    );
    let body = answer.assert_success();
    assert_eq!(body["ProductKey"], LAMP);
    assert!(body["Data"]["ThingModelJson"].is_string(), "{body}");
    let parsed = Model::parse(&answer.body, "QueryThingModel").unwrap().model;
    assert_eq!(parsed.modules[0].source.format, Format::ThingModelJson);
    assert_eq!(
        comparable(&parsed.modules[0]),
        comparable(model.module(Some("sensor")).unwrap())
    );

    client
        .call(
            "QueryThingModel",
            &[("ProductKey", LAMP), ("FunctionBlockId", "nope")],
        )
        .assert_business("iot.check.InvalidFormattedParameter");
    client
        .call("QueryThingModel", &[("ProductKey", "a1Nope")])
        .assert_business("iot.prod.NotExistedProduct");
    client
        .call(
            "GetThingModelTsl",
            &[("ProductKey", LAMP), ("Simple", "yes")],
        )
        .assert_business("iot.check.InvalidFormattedParameter");
}
