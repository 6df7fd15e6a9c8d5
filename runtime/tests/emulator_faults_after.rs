//! Faults after the emulator acted (issue 10): the devices got the call and the record says
//! so (`acted`, `device_names`), then the answer is lost, late or spoiled; and the faults
//! that answer instead of acting leave no trace on any device. Also `any_device`,
//! `keep_history(false)` with `on_request`, and the request log line.
#![cfg(all(feature = "emulator", feature = "client"))]

mod emulator_support;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emulator_support::*;
use serde_json::Value;
use tsl_runtime::emulator::{Device, Fault, MessageKind, Outcome, RecordedRequest};
use tsl_runtime::sign::sign_rpc_v1;

const SCHEDULE: &str = r#"{"Schedule":[],"ValidFrom":"0"}"#;
const BLINK: &str = r#"{"Times":3,"Interval":1.0}"#;

/// `InvokeThingsService` of the async `UploadSchedule` on `lamp-1` and `lamp-2`.
fn batch_params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("ProductKey", LAMP),
        ("Identifier", "UploadSchedule"),
        ("Args", SCHEDULE),
        ("DeviceName.1", "lamp-1"),
        ("DeviceName.2", "lamp-2"),
    ]
}

fn blink_params(device: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("ProductKey", LAMP),
        ("DeviceName", device),
        ("Identifier", "Blink"),
        ("Args", BLINK),
    ]
}

/// The bytes the server sent before it closed or reset the connection, and whether it
/// reset it.
fn raw_exchange(client: &Client, action: &str, params: &[(&str, &str)]) -> (Vec<u8>, bool) {
    let signed = sign_rpc_v1("GET", client.params(action, params), &client.creds);
    let mut stream = TcpStream::connect(client.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "GET /?{} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
        signed.query, client.addr
    )
    .unwrap();
    let mut received = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk) {
            Ok(0) => return (received, false),
            Ok(n) => received.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => return (received, true),
            Err(e) => panic!("reading the answer: {e}"),
        }
    }
}

fn last(emulator: &tsl_runtime::emulator::RunningEmulator) -> RecordedRequest {
    emulator.requests().pop().expect("a recorded request")
}

#[test]
fn after_a_reset_the_devices_got_the_call_and_the_record_says_so() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);

    // Before acting: nothing reached a device.
    emulator.inject_fault("InvokeThingsService", Fault::Reset, 1);
    let (bytes, reset) = raw_exchange(&client, "InvokeThingsService", &batch_params());
    assert!(
        bytes.is_empty() && reset,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let before = last(&emulator);
    assert_eq!(before.outcome, Outcome::Dropped { reset: true });
    assert!(!before.acted);
    assert!(before.device_names.is_empty());
    assert_eq!(before.fault, Some(Fault::Reset));
    assert!(emulator.messages().is_empty());

    // After acting: both devices got it, and only then was the connection reset.
    emulator.inject_fault("InvokeThingsService", Fault::after(Fault::Reset), 1);
    let (bytes, reset) = raw_exchange(&client, "InvokeThingsService", &batch_params());
    assert!(
        bytes.is_empty() && reset,
        "{}",
        String::from_utf8_lossy(&bytes)
    );
    let after = last(&emulator);
    assert_eq!(after.outcome, Outcome::Dropped { reset: true });
    assert!(after.acted);
    assert_eq!(after.device_names, ["lamp-1", "lamp-2"]);
    assert_eq!(after.fault, Some(Fault::after(Fault::Reset)));
    let messages = emulator.messages();
    let reached: Vec<&str> = messages.iter().map(|m| m.device_name.as_str()).collect();
    assert_eq!(reached, ["lamp-1", "lamp-2"]);
    assert!(matches!(
        &messages[0].kind,
        MessageKind::Service { identifier, sync: false, .. } if identifier == "UploadSchedule"
    ));

    // After a close, the same.
    emulator.inject_fault("InvokeThingsService", Fault::after(Fault::Close), 1);
    let (bytes, reset) = raw_exchange(&client, "InvokeThingsService", &batch_params());
    assert!(bytes.is_empty() && !reset);
    let closed = last(&emulator);
    assert_eq!(closed.outcome, Outcome::Dropped { reset: false });
    assert!(closed.acted);
    assert_eq!(emulator.messages().len(), 4);
}

#[test]
fn after_a_5xx_the_sync_service_ran_on_its_device() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    for (status, code) in [(500, "InternalError"), (502, "BadGateway")] {
        emulator.inject_fault("InvokeThingService", Fault::after(Fault::Status(status)), 1);
        client
            .call("InvokeThingService", &blink_params("lamp-1"))
            .assert_gateway(status, code);
        let recorded = last(&emulator);
        assert!(recorded.acted, "{status}");
        assert_eq!(recorded.device_names, ["lamp-1"]);
        assert_eq!(recorded.code(), Some(code));
        assert_eq!(recorded.outcome_label(), "refused");
    }
    let messages = emulator.messages();
    assert_eq!(messages.len(), 2);
    assert!(messages
        .iter()
        .all(|m| matches!(&m.kind, MessageKind::Service { sync: true, .. })));

    // The same status before acting reaches nobody.
    emulator.inject_fault("InvokeThingService", Fault::Status(500), 1);
    client
        .call("InvokeThingService", &blink_params("lamp-1"))
        .assert_gateway(500, "InternalError");
    assert!(!last(&emulator).acted);
    assert_eq!(emulator.messages().len(), 2);
}

#[test]
fn a_stall_after_acting_outlasts_the_client_and_is_on_record_at_once() {
    let emulator = lamp_emulator()
        .unlimited("SetDeviceProperty")
        .start()
        .unwrap();
    let client = tsl_runtime::client::Client::builder()
        .endpoint(emulator.endpoint())
        .credentials(tsl_runtime::sign::Credentials::new(KEY_ID, SECRET).unwrap())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    emulator.inject_fault(
        "SetDeviceProperty",
        Fault::after(Fault::Delay(Duration::from_secs(3))),
        1,
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let result = runtime.block_on(client.set_device_property(
        &tsl_runtime::client::SetDeviceProperty::new(
            tsl_runtime::cloud::Device::named(LAMP, "lamp-1"),
            r#"{"Brightness":40}"#,
        ),
    ));
    assert!(
        matches!(result, Err(tsl_runtime::Error::Timeout(_))),
        "{result:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(2), "not retried");
    // The stalled request is recorded before its answer goes out; the client did not try
    // again (a timeout after sending may have acted).
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert!(requests[0].acted);
    assert_eq!(requests[0].device_names, ["lamp-1"]);
    assert_eq!(requests[0].outcome_label(), "stalled");
    assert!(matches!(
        &emulator.messages()[0].kind,
        MessageKind::PropertySet { items } if items["Brightness"] == 40
    ));
}

#[test]
fn a_reset_after_acting_is_not_retried_by_the_client() {
    let emulator = lamp_emulator().start().unwrap();
    let client = tsl_runtime::client::Client::builder()
        .endpoint(emulator.endpoint())
        .credentials(tsl_runtime::sign::Credentials::new(KEY_ID, SECRET).unwrap())
        .build()
        .unwrap();
    emulator.inject_fault("InvokeThingService", Fault::after(Fault::Reset), 1);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let result = runtime.block_on(client.invoke_thing_service(
        &tsl_runtime::client::InvokeThingService::new(
            tsl_runtime::cloud::Device::named(LAMP, "lamp-2"),
            "Blink",
            BLINK,
        ),
    ));
    assert!(
        matches!(
            result,
            Err(tsl_runtime::Error::Transport {
                may_have_been_sent: true,
                ..
            })
        ),
        "{result:?}"
    );
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1, "one call, not retried");
    assert!(requests[0].acted);
    assert_eq!(requests[0].device_names, ["lamp-2"]);
}

#[test]
fn a_malformed_or_truncated_answer_after_acting_is_the_real_answer_cut() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);

    emulator.inject_fault("InvokeThingService", Fault::after(Fault::MalformedJson), 1);
    let malformed = client.call("InvokeThingService", &blink_params("lamp-1"));
    assert_eq!(malformed.status, 200);
    assert!(malformed.body.starts_with('{'), "{}", malformed.body);
    assert!(serde_json::from_str::<Value>(&malformed.body).is_err());
    let recorded = last(&emulator);
    assert!(recorded.acted);
    assert_eq!(recorded.outcome_label(), "malformed");

    emulator.inject_fault("InvokeThingService", Fault::after(Fault::Truncated), 1);
    let (bytes, _reset) = raw_exchange(&client, "InvokeThingService", &blink_params("lamp-1"));
    let text = String::from_utf8_lossy(&bytes);
    let (head, body) = text.split_once("\r\n\r\n").expect("the head was sent");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let promised: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().to_string())
        })
        .expect("a Content-Length")
        .parse()
        .unwrap();
    assert!(
        !body.is_empty() && body.len() < promised,
        "{} of {promised}: {body}",
        body.len()
    );
    let recorded = last(&emulator);
    assert!(recorded.acted);
    assert_eq!(recorded.outcome_label(), "truncated");
    assert_eq!(emulator.messages().len(), 2);

    // Before acting, a truncated answer reaches nobody.
    emulator.inject_fault("InvokeThingService", Fault::Truncated, 1);
    let (bytes, _) = raw_exchange(&client, "InvokeThingService", &blink_params("lamp-1"));
    assert!(String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 503"));
    assert!(!last(&emulator).acted);
    assert_eq!(emulator.messages().len(), 2);
}

#[test]
fn answers_without_success_after_acting_are_sent_exactly() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let cases = [
        (Fault::empty_object(), "{}", None),
        (Fault::empty_array(), "[]", None),
        (
            Fault::request_id_only(),
            r#"{"RequestId":"R1"}"#,
            Some("R1"),
        ),
    ];
    for (fault, body, request_id) in cases {
        emulator.inject_fault("SetDevicesProperty", Fault::after(fault.clone()), 1);
        let answer = client.call(
            "SetDevicesProperty",
            &[
                ("ProductKey", LAMP),
                ("Items", r#"{"Brightness":10}"#),
                ("DeviceName.1", "lamp-2"),
            ],
        );
        assert_eq!((answer.status, answer.body.as_str()), (200, body));
        let recorded = last(&emulator);
        assert!(recorded.acted, "{fault}");
        assert_eq!(recorded.device_names, ["lamp-2"]);
        assert_eq!(recorded.request_id(), request_id);
        assert_eq!(recorded.outcome_label(), "raw");
        assert_eq!(recorded.code(), None);
    }
    assert_eq!(emulator.messages().len(), 3);
}

#[test]
fn business_and_raw_faults_before_acting_reach_nobody() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    emulator.inject_fault(
        "InvokeThingService",
        Fault::business("iot.device.NotExistedDevice", "No such device."),
        1,
    );
    let message = client
        .call("InvokeThingService", &blink_params("lamp-1"))
        .assert_business("iot.device.NotExistedDevice");
    assert_eq!(message, "No such device.");
    assert!(!last(&emulator).acted);

    emulator.inject_fault(
        "InvokeThingService",
        Fault::raw(418, b"\xffnot json".to_vec()),
        1,
    );
    let (bytes, _) = raw_exchange(&client, "InvokeThingService", &blink_params("lamp-1"));
    assert!(bytes.starts_with(b"HTTP/1.1 418"));
    assert!(bytes.ends_with(b"\r\n\r\n\xffnot json"));
    assert!(!last(&emulator).acted);
    assert!(emulator.messages().is_empty());

    // After acting, the business error is what the client sees; the device got the call.
    emulator.inject_fault(
        "InvokeThingService",
        Fault::after(Fault::business("iot.messagebroker.TIMEOUT", "late")),
        1,
    );
    client
        .call("InvokeThingService", &blink_params("lamp-1"))
        .assert_business("iot.messagebroker.TIMEOUT");
    assert!(last(&emulator).acted);
    assert_eq!(emulator.messages().len(), 1);
}

#[test]
fn faults_parsed_from_text_apply_like_built_ones() {
    let emulator = lamp_emulator().start().unwrap();
    let client = Client::new(&emulator);
    let fault: Fault = "after-503".parse().unwrap();
    emulator.inject_fault("InvokeThingService", fault, 1);
    client
        .call("InvokeThingService", &blink_params("lamp-2"))
        .assert_gateway(503, "ServiceUnavailable");
    assert!(last(&emulator).acted);
}

#[test]
fn any_device_accepts_every_name_of_a_served_product_and_keeps_nothing_per_device() {
    let emulator = lamp_emulator()
        .any_device()
        .device(Device::new(LAMP, "sleeper").offline())
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    let reply = client
        .call("InvokeThingService", &blink_params("never-registered-42"))
        .assert_success();
    assert!(reply["Data"]["Result"].is_string(), "{reply}");
    // A registered device keeps its own state.
    client
        .call("InvokeThingService", &blink_params("sleeper"))
        .assert_business("iot.messagebroker.OFFLINE");
    // Another product is still unknown.
    client
        .call(
            "InvokeThingService",
            &[
                ("ProductKey", "a1Nope"),
                ("DeviceName", "x"),
                ("Identifier", "Blink"),
                ("Args", BLINK),
            ],
        )
        .assert_business("iot.prod.NotExistedProduct");
    // Names not registered have no IotId to look up.
    assert_eq!(emulator.iot_id(LAMP, "never-registered-42"), None);
    let names: Vec<String> = (0..100).map(|i| format!("fleet-{i}")).collect();
    let mut params = vec![
        ("ProductKey", LAMP),
        ("Identifier", "UploadSchedule"),
        ("Args", SCHEDULE),
    ];
    let keys: Vec<String> = (1..=100).map(|i| format!("DeviceName.{i}")).collect();
    for (key, name) in keys.iter().zip(&names) {
        params.push((key.as_str(), name.as_str()));
    }
    client.call("InvokeThingsService", &params).assert_success();
    assert_eq!(last(&emulator).device_names, names);
}

#[test]
fn without_history_requests_go_to_the_observer_only() {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let sink = seen.clone();
    let emulator = lamp_emulator()
        .keep_history(false)
        .on_request(move |request| sink.lock().unwrap().push(request.log_line()))
        .start()
        .unwrap();
    let client = Client::new(&emulator);
    client
        .call("InvokeThingsService", &batch_params())
        .assert_success();
    emulator.inject_fault("InvokeThingService", Fault::after(Fault::Reset), 1);
    let _ = raw_exchange(&client, "InvokeThingService", &blink_params("lamp-1"));
    client
        .call("InvokeThingService", &blink_params("ghost"))
        .assert_business("iot.device.NotExistedDevice");
    assert!(emulator.requests().is_empty());
    assert!(emulator.messages().is_empty());

    let lines = seen.lock().unwrap().clone();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["action"], "InvokeThingsService");
    assert_eq!(
        lines[0]["device_names"],
        serde_json::json!(["lamp-1", "lamp-2"])
    );
    assert_eq!(lines[0]["outcome"], "ok");
    assert_eq!(lines[0]["acted"], true);
    assert_eq!(lines[0]["status"], 200);
    assert!(lines[0]["request_id"].is_string());
    assert_eq!(lines[0]["code"], Value::Null);
    assert_eq!(lines[0]["fault"], Value::Null);
    assert_eq!(lines[1]["outcome"], "reset");
    assert_eq!(lines[1]["acted"], true);
    assert_eq!(lines[1]["request_id"], Value::Null);
    assert_eq!(lines[1]["fault"], "after-reset");
    assert_eq!(lines[2]["outcome"], "refused");
    assert_eq!(lines[2]["acted"], false);
    assert_eq!(lines[2]["code"], "iot.device.NotExistedDevice");
    assert_eq!(lines[2]["device_names"], serde_json::json!([]));
    for (i, line) in lines.iter().enumerate() {
        assert_eq!(line["seq"], i as u64);
        assert!(line["time_ms"].as_u64().unwrap() > 1_600_000_000_000);
    }
}
