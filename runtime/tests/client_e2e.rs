//! The client against the emulator on 127.0.0.1, which checks every signature on its own,
//! enforces per-action QPS in a sliding window and injects faults.
#![cfg(all(feature = "emulator", feature = "client"))]

mod emulator_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use emulator_support::clients::{
    answer, client, credentials, lamps, max_in_window, names_sent, requests_of, requests_when,
};
use emulator_support::{lamp_emulator, lamp_model, KEY_ID, LAMP as PK, SECRET};
use tsl_runtime::alink::{Reply, Request, Responder};
use tsl_runtime::client::{
    BatchPub, Client, GetThingModelTsl, InvokeThingService, InvokeThingsService, Qos,
    QueryThingModel, RetryPolicy, SetDeviceProperty, SetDevicesProperty, SignatureVersion,
    MAX_MESSAGE_BYTES,
};
use tsl_runtime::cloud::{Cloud, Device, Outcome};
use tsl_runtime::emulator::{self, Emulator, Fault, MessageKind};
use tsl_runtime::Error;

/// A `MessageId` above 2^53, as the platform has sent it (a number, not a string).
const BIG_MESSAGE_ID: &str = "1894186889322557440";
/// Arguments of the async `UploadSchedule` (a batch calls async services only).
const SCHEDULE: &str = r#"{"Schedule":[],"ValidFrom":"0"}"#;

fn platform(error: Error) -> tsl_runtime::PlatformError {
    match error {
        Error::Platform(e) => e,
        other => panic!("not a platform error: {other:?}"),
    }
}

/// The lamp product, the test key, and any device name.
fn fleet() -> emulator::RunningEmulator {
    lamp_emulator().any_device().start().unwrap()
}

/// The lamp product, any device name, and the test key as an STS key with its token.
fn sts_fleet() -> emulator::RunningEmulator {
    Emulator::new()
        .model(lamp_model())
        .sts_credentials(KEY_ID, SECRET, "CAIS-sts-token-value")
        .any_device()
        .start()
        .unwrap()
}

/// A sync `Blink` on `device` without arguments.
fn blink(device: Device) -> InvokeThingService {
    InvokeThingService::new(device, "Blink", "{}")
}

/// A device that answers every service with the identifier it was called with.
struct Echo;

impl Responder for Echo {
    fn respond<'a>(
        &'a self,
        request: &'a Request,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Reply> + Send + 'a>> {
        let echo = request.service_identifier().unwrap_or_default().to_string();
        Box::pin(async move { Reply::ok(request.id.clone(), serde_json::json!({ "Echo": echo })) })
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_1050_devices_make_11_calls_at_10_per_second_without_throttling() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    let devices = lamps(1050);
    let start = Instant::now();
    let report = client
        .invoke_things_service(&InvokeThingsService::new(
            PK,
            devices.clone(),
            "UploadSchedule",
            SCHEDULE,
        ))
        .await
        .unwrap();
    let elapsed = start.elapsed();
    println!("1,050 devices, 11 calls at 10 per sliding second: {elapsed:?} (ideal 1.0 s)");

    let calls = requests_of(&emulator, "InvokeThingsService");
    assert_eq!(
        calls.len(),
        11,
        "{:?}",
        calls.iter().map(answer).collect::<Vec<_>>()
    );
    assert!(
        calls.iter().all(|c| answer(c) == "ok"),
        "a call was throttled or refused"
    );
    assert!(calls.iter().all(|c| names_sent(c).len() <= 100));
    let mut sent: Vec<String> = calls.iter().flat_map(names_sent).collect();
    sent.sort();
    assert_eq!(sent, devices, "every device sent exactly once");
    assert!(max_in_window(&calls) <= 10);

    assert_eq!(report.devices.len(), 1050);
    assert!(report.all_accepted());
    let request_ids: std::collections::HashSet<&str> = report
        .devices
        .iter()
        .map(|d| match &d.outcome {
            Outcome::Accepted { request_id } => request_id.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        request_ids.len(),
        11,
        "each device carries its call's RequestId"
    );
    assert_eq!(
        report.devices[1049].device_name, "lamp-1049",
        "in the order given"
    );
    assert!(
        elapsed >= Duration::from_millis(950),
        "the 11th call waited for the window: {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_clones_share_one_window() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    let other = client.clone();
    let request = QueryThingModel::new(PK);
    let start = Instant::now();
    let one = async {
        for _ in 0..12 {
            client.query_thing_model(&request).await.unwrap();
        }
    };
    let two = async {
        for _ in 0..12 {
            other.query_thing_model(&request).await.unwrap();
        }
    };
    tokio::join!(one, two);
    let calls = requests_of(&emulator, "QueryThingModel");
    assert_eq!(calls.len(), 24);
    assert!(calls.iter().all(|c| answer(c) == "ok"));
    assert!(max_in_window(&calls) <= 10);
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "24 calls at 10 per second"
    );
}

#[tokio::test]
async fn client_invoke_thing_service_sync_result_and_big_message_id() {
    let emulator = Emulator::new()
        .model(lamp_model())
        .credentials(KEY_ID, SECRET)
        .iot_instance_id("iot-06z00ax1o")
        .device(emulator::Device::new(PK, "lamp-1").responder(Arc::new(Echo)))
        .device(emulator::Device::new(PK, "lamp-2").iot_id("Q7uOhVRdZRRlDnTLv****"))
        .start()
        .unwrap();
    let client = client(&emulator)
        .iot_instance_id("iot-06z00ax1o")
        .build()
        .unwrap();
    let invoked = client
        .invoke_thing_service(
            &InvokeThingService::new(
                Device::named(PK, "lamp-1"),
                "battery:Calibrate",
                r#"{"FullCapacity":80.0}"#,
            )
            .qos(Qos::AtLeastOnce),
        )
        .await
        .unwrap();
    let reply = invoked.alink_reply().unwrap();
    assert_eq!(reply.code, 200);
    assert_eq!(reply.data["Echo"], "battery:Calibrate");
    let delivered = &emulator.messages()[0];
    assert_eq!(
        invoked.message_id.as_deref(),
        Some(delivered.message_id.as_str())
    );
    assert!(matches!(
        &delivered.kind,
        MessageKind::Service { sync: true, .. }
    ));
    let seen = &requests_of(&emulator, "InvokeThingService")[0];
    assert_eq!(seen.param("Identifier"), Some("battery:Calibrate"));
    assert_eq!(seen.param("Qos"), Some("1"));
    assert_eq!(seen.param("IotInstanceId"), Some("iot-06z00ax1o"));
    assert_eq!(seen.param("DeviceName"), Some("lamp-1"));

    let by_id = client
        .invoke_thing_service(&blink(Device::iot_id("Q7uOhVRdZRRlDnTLv****")))
        .await
        .unwrap();
    let seen = &requests_of(&emulator, "InvokeThingService")[1];
    assert_eq!(Some(by_id.request_id.as_str()), seen.request_id());
    assert_eq!(seen.param("IotId"), Some("Q7uOhVRdZRRlDnTLv****"));
    assert_eq!(seen.param("ProductKey"), None);
    assert_eq!(seen.device_names, ["lamp-2"], "the IotId's device got it");

    // A MessageId sent as a JSON number above 2^53 is read as written, never through f64.
    emulator.inject_fault(
        "InvokeThingService",
        Fault::raw(
            200,
            format!(
                r#"{{"RequestId":"R-big","Success":true,"Data":{{"MessageId":{BIG_MESSAGE_ID},"Result":"{{}}"}}}}"#
            ),
        ),
        1,
    );
    let big = client
        .invoke_thing_service(&blink(Device::named(PK, "lamp-1")))
        .await
        .unwrap();
    assert_eq!(big.message_id.as_deref(), Some(BIG_MESSAGE_ID));
    assert_eq!(big.request_id, "R-big");
}

#[tokio::test]
async fn client_signs_acs3_and_sts_tokens_and_hides_them() {
    let emulator = sts_fleet();
    for version in [SignatureVersion::V1, SignatureVersion::Acs3] {
        let client = client(&emulator)
            .signature(version)
            .security_token("CAIS-sts-token-value")
            .build()
            .unwrap();
        let answer = client
            .set_device_property(&SetDeviceProperty::new(
                Device::named(PK, "lamp-1"),
                r#"{"Brightness":50}"#,
            ))
            .await
            .unwrap_or_else(|e| panic!("{version:?}: {e}"));
        let delivered = emulator.messages();
        assert_eq!(
            answer.message_id.as_deref(),
            delivered.last().map(|m| m.message_id.as_str())
        );
        let signed = client
            .sign("SetDeviceProperty", &[("Items", "{}")])
            .unwrap();
        let debug = format!("{client:?} {signed:?}");
        assert!(
            !debug.contains("CAIS-sts-token-value") && !debug.contains(SECRET),
            "{debug}"
        );
        assert!(debug.contains(KEY_ID));
    }
    assert_eq!(requests_of(&emulator, "SetDeviceProperty").len(), 2);
    let v1 = &requests_of(&emulator, "SetDeviceProperty")[0];
    assert_eq!(v1.param("SecurityToken"), Some("CAIS-sts-token-value"));
    let acs3 = &requests_of(&emulator, "SetDeviceProperty")[1];
    assert!(acs3
        .header("authorization")
        .is_some_and(|a| a.starts_with("ACS3-HMAC-SHA256 ")));
}

#[tokio::test]
async fn client_a_wrong_secret_is_refused_and_never_printed() {
    let emulator = sts_fleet();
    let wrong = tsl_runtime::sign::Credentials::new(KEY_ID, "wrong-Secret-123")
        .unwrap()
        .with_security_token("CAIS-sts-token-value")
        .unwrap();
    let client = client(&emulator).credentials(wrong).build().unwrap();
    let error = client
        .invoke_thing_service(&blink(Device::named(PK, "d")))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");
    assert!(!text.contains("wrong-Secret-123"), "{text}");
    assert!(
        !text.contains("CAIS-sts-token-value"),
        "the emulator echoes its string to sign: {text}"
    );
    assert_eq!(emulator.requests().len(), 1, "never retried");
}

#[tokio::test]
async fn client_retries_throttling_bursts_within_bounds() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    let request = InvokeThingService::new(Device::named(PK, "lamp-1"), "Blink", "{}");
    emulator.inject_fault_any(Fault::Throttle, 2);
    client.invoke_thing_service(&request).await.unwrap();
    let answers: Vec<String> = emulator.requests().iter().map(answer).collect();
    assert_eq!(answers, ["Throttling.User", "Throttling.User", "ok"]);
    let nonces: std::collections::HashSet<String> = emulator
        .requests()
        .iter()
        .filter_map(|s| s.param("SignatureNonce").map(str::to_string))
        .collect();
    assert_eq!(nonces.len(), 3, "each attempt signed afresh");

    emulator.inject_fault_any(Fault::Throttle, 5);
    let error = platform(client.invoke_thing_service(&request).await.unwrap_err());
    assert_eq!(error.code, "Throttling.User");
    assert_eq!(emulator.requests().len(), 3 + 4, "4 attempts in all");
}

#[tokio::test]
async fn client_server_errors_are_retried_only_when_safe() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    let invoke = InvokeThingService::new(Device::named(PK, "lamp-1"), "Blink", "{}");

    let system = r#"{"RequestId":"R-5","Success":false,"Code":"iot.system.SystemException","ErrorMessage":"A system exception occurred."}"#;
    emulator.inject_fault_any(Fault::raw(503, system), 1);
    let error = client.invoke_thing_service(&invoke).await.unwrap_err();
    assert_eq!(error.code(), Some("iot.system.SystemException"));
    assert_eq!(
        emulator.requests().len(),
        1,
        "a system error may come after the platform acted: not retried"
    );
    assert!(matches!(
        Outcome::of_error(&error),
        Outcome::Unknown { reason, request_id: Some(id) } if reason.contains("may have acted") && id == "R-5"
    ));
    client.invoke_thing_service(&invoke).await.unwrap();
    assert_eq!(emulator.requests().len(), 2);

    emulator.inject_fault_any(
        Fault::raw(
            500,
            r#"{"RequestId":"R-6","Code":"InternalError","Message":"oops"}"#,
        ),
        1,
    );
    let error = platform(client.invoke_thing_service(&invoke).await.unwrap_err());
    assert_eq!(
        (error.code.as_str(), error.http_status),
        ("InternalError", Some(500))
    );
    assert_eq!(error.request_id.as_deref(), Some("R-6"));
    assert_eq!(
        emulator.requests().len(),
        3,
        "the device may have acted: not retried"
    );

    emulator.inject_fault_any(Fault::raw(502, "<html>Bad Gateway</html>"), 1);
    let tsl = client
        .get_thing_model_tsl(&GetThingModelTsl::new(PK))
        .await
        .unwrap();
    assert_eq!(
        emulator.requests().len(),
        5,
        "a read is retried after a 5xx"
    );
    assert!(tsl.tsl.contains("schema"), "{}", tsl.tsl);
    // The emulator sends no TslUri; the platform may: the client reads it when it comes.
    emulator.inject_fault_any(
        Fault::raw(
            200,
            r#"{"RequestId":"R-7","Success":true,"Data":{"TslStr":"{\"schema\":\"x\",\"properties\":[]}","TslUri":"https://oss.example/tsl.json"}}"#,
        ),
        1,
    );
    let tsl = client
        .get_thing_model_tsl(&GetThingModelTsl::new(PK))
        .await
        .unwrap();
    assert_eq!(tsl.tsl_uri.as_deref(), Some("https://oss.example/tsl.json"));

    emulator.inject_fault_any(
        Fault::business("iot.device.NotExistedDevice", "The device does not exist."),
        1,
    );
    let error = platform(client.invoke_thing_service(&invoke).await.unwrap_err());
    assert_eq!(error.code, "iot.device.NotExistedDevice");
    assert_eq!(error.message, "The device does not exist.");
    assert_eq!(error.http_status, Some(200));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn client_connection_reset_is_not_retried_for_device_calls() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    emulator.inject_fault_any(Fault::Reset, 1);
    let error = client
        .invoke_thing_service(&blink(Device::named(PK, "lamp-1")))
        .await
        .unwrap_err();
    match &error {
        Error::Transport {
            may_have_been_sent,
            message,
        } => {
            assert!(*may_have_been_sent, "{message}");
            assert!(
                !message.contains("Signature="),
                "no URL in errors: {message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(requests_when(&emulator, 1).len(), 1);

    emulator.inject_fault_any(Fault::Reset, 1);
    client
        .query_thing_model(&QueryThingModel::new(PK))
        .await
        .unwrap();
    assert_eq!(
        requests_when(&emulator, 3).len(),
        3,
        "a read is retried after a reset"
    );
}

#[tokio::test]
async fn client_slow_answer_times_out_and_is_not_retried() {
    let emulator = fleet();
    let client = client(&emulator)
        .invoke_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    emulator.inject_fault_any(Fault::Delay(Duration::from_secs(2)), 1);
    let start = Instant::now();
    let error = client
        .invoke_thing_service(&blink(Device::named(PK, "lamp-1")))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout(d) if d == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        requests_of(&emulator, "InvokeThingService").len(),
        0,
        "still sleeping, then answered nobody"
    );
}

#[tokio::test]
async fn client_malformed_json_is_a_bad_answer_with_the_text() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    emulator.inject_fault_any(Fault::MalformedJson, 1);
    let raw = match client
        .set_device_property(&SetDeviceProperty::new(Device::named(PK, "d"), "{}"))
        .await
    {
        Err(Error::BadAnswer { raw, .. }) => raw,
        other => panic!("{other:?}"),
    };
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    let id = requests[0].request_id().unwrap();
    assert_eq!(raw, format!(r#"{{"RequestId":"{id}","Success":tru"#));
}

#[tokio::test]
async fn client_expired_timestamp_stops_a_batch() {
    let emulator = lamp_emulator()
        .any_device()
        .clock_ahead(Duration::from_secs(3600))
        .start()
        .unwrap();
    let client = client(&emulator).max_in_flight(1).build().unwrap();
    let report = client
        .set_devices_property(&SetDevicesProperty::new(
            PK,
            lamps(250),
            r#"{"Brightness":1}"#,
        ))
        .await
        .unwrap();
    assert_eq!(report.devices.len(), 250);
    let refused: Vec<_> = report.refused().collect();
    assert_eq!(refused.len(), 100);
    match &refused[0].outcome {
        Outcome::Refused {
            code, request_id, ..
        } => {
            assert_eq!(code, "InvalidTimeStamp.Expired");
            assert!(request_id.is_some());
        }
        other => panic!("{other:?}"),
    }
    let not_attempted: Vec<_> = report.not_attempted().collect();
    assert_eq!(not_attempted.len(), 150);
    match &not_attempted[0].outcome {
        Outcome::NotAttempted { reason } => {
            assert!(reason.contains("InvalidTimeStamp.Expired"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(emulator.requests().len(), 1, "the rest were not sent");
}

#[tokio::test]
async fn client_connection_refused_before_sending_is_retried() {
    // A port nobody listens on: bound, then released.
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let client = Client::builder()
        .endpoint(format!("http://127.0.0.1:{port}/"))
        .credentials(credentials())
        .retry(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(50),
        })
        .build()
        .unwrap();
    let start = Instant::now();
    let error = client
        .invoke_thing_service(&blink(Device::named(PK, "d")))
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Transport {
                may_have_been_sent: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert!(
        start.elapsed() >= Duration::from_millis(50),
        "two pauses of 25-50 ms"
    );
}

#[tokio::test]
async fn client_batches_report_every_device_duplicates_and_refusals() {
    // Registered devices only: `ghost` does not exist, and the platform refuses the call
    // that names it.
    let emulator = lamps(150)
        .into_iter()
        .fold(lamp_emulator(), |e, name| {
            e.device(emulator::Device::new(PK, name))
        })
        .start()
        .unwrap();
    let client = client(&emulator).build().unwrap();
    let mut names = lamps(150);
    names[120] = "ghost".to_string(); // the platform refuses the second call
    names.push("lamp-0003".to_string()); // a duplicate
    names.push(String::new());
    let report = client
        .invoke_things_service(&InvokeThingsService::new(
            PK,
            names.clone(),
            "UploadSchedule",
            SCHEDULE,
        ))
        .await
        .unwrap();
    assert_eq!(report.devices.len(), 152);
    assert_eq!(report.accepted().count(), 100);
    assert_eq!(report.refused().count(), 50);
    assert_eq!(report.not_attempted().count(), 2);
    let requests = emulator.requests();
    let second = requests
        .iter()
        .find(|r| names_sent(r).iter().any(|n| n == "ghost"))
        .unwrap();
    match &report.devices[130].outcome {
        Outcome::Refused {
            code,
            message,
            request_id,
        } => {
            assert_eq!(code, "iot.device.NotExistedDevice");
            assert!(message.contains("`ghost`"), "{message}");
            assert!(message.contains("does not exist"), "{message}");
            assert_eq!(request_id.as_deref(), second.request_id());
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&report.devices[150].outcome, Outcome::NotAttempted { reason } if reason.contains("duplicate"))
    );
    let mut lines = Vec::new();
    report.write_json_lines(&mut lines).unwrap();
    assert_eq!(String::from_utf8(lines).unwrap().lines().count(), 152);
    assert_eq!(emulator.requests().len(), 2);
}

#[tokio::test]
async fn client_batch_pub_sends_base64_and_refuses_limits_locally() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    let message: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let report = client
        .batch_pub(&BatchPub::new(PK, lamps(3), "update", message.clone()).qos(Qos::AtMostOnce))
        .await
        .unwrap();
    assert!(report.all_accepted());
    let seen = &requests_of(&emulator, "BatchPub")[0];
    use base64::Engine as _;
    let sent = base64::engine::general_purpose::STANDARD
        .decode(seen.param("MessageContent").unwrap())
        .unwrap();
    assert_eq!(sent, message);
    assert_eq!(seen.param("TopicShortName"), Some("update"));
    match &emulator.messages()[0].kind {
        MessageKind::Publish {
            topic,
            payload,
            qos,
        } => {
            assert_eq!(topic, "/a1StreetLmp/lamp-0000/user/update");
            assert_eq!(payload, &message, "the devices got the bytes");
            assert_eq!(*qos, 0);
        }
        other => panic!("{other:?}"),
    }
    // `user/` is the platform's own prefix: `user/update` would publish to `.../user/user/update`.
    let doubled = BatchPub::new(PK, lamps(1), "user/update", b"x".to_vec());
    assert!(matches!(
        client.batch_pub(&doubled).await,
        Err(Error::Refused(message)) if message.contains("user/user")
    ));
    assert_eq!(seen.param("Qos"), Some("0"));

    let too_big = BatchPub::new(PK, lamps(1), "t", vec![b'x'; MAX_MESSAGE_BYTES + 1]);
    assert!(matches!(
        client.batch_pub(&too_big).await,
        Err(Error::Refused(_))
    ));
    let largest = BatchPub::new(PK, lamps(1), "t", vec![b'x'; MAX_MESSAGE_BYTES]);
    for version in [SignatureVersion::V1, SignatureVersion::Acs3] {
        // 349,528 base64 characters: too long for a URL, sent as a form body.
        let client = emulator_support::clients::client(&emulator)
            .signature(version)
            .build()
            .unwrap();
        let report = client.batch_pub(&largest).await.unwrap();
        assert!(
            report.all_accepted(),
            "{version:?}: {:?}",
            report.devices[0].outcome
        );
        let seen = requests_of(&emulator, "BatchPub");
        let sent = seen.last().unwrap().param("MessageContent").unwrap();
        assert_eq!(sent.len(), 349_528);
    }
    for bad in [
        BatchPub::new(PK, lamps(1), "", b"m".to_vec()),
        BatchPub::new(PK, lamps(1), "a/#", b"m".to_vec()),
        BatchPub::new(PK, lamps(1), "t", Vec::new()),
        BatchPub::new("", lamps(1), "t", b"m".to_vec()),
    ] {
        assert!(
            matches!(client.batch_pub(&bad).await, Err(Error::Refused(_))),
            "{bad:?}"
        );
    }
    let bad_args = InvokeThingsService::new(PK, lamps(2), "Blink", r#"[{"key":"a","value":1}]"#);
    assert!(matches!(
        client.invoke_things_service(&bad_args).await,
        Err(Error::Refused(_))
    ));
    assert_eq!(
        emulator.requests().len(),
        3,
        "nothing sent for a refused request"
    );
}

/// What generated code does: generic over `Cloud`.
async fn through_the_seam<C: Cloud>(cloud: &C) -> Result<(usize, String), Error> {
    let invoked = cloud
        .invoke_thing_service(&Device::named(PK, "lamp-1"), "Blink", "{}")
        .await?;
    let report = cloud
        .set_devices_property(PK, &lamps(120), r#"{"Brightness":3}"#)
        .await?;
    cloud
        .set_device_property(&Device::named(PK, "lamp-1"), r#"{"Brightness":3}"#)
        .await?;
    let fleet = cloud
        .invoke_things_service(PK, &lamps(5), "UploadSchedule", SCHEDULE)
        .await?;
    Ok((
        report.accepted().count() + fleet.accepted().count(),
        invoked.request_id,
    ))
}

#[tokio::test]
async fn client_implements_cloud() {
    let emulator = fleet();
    let client = client(&emulator).build().unwrap();
    let (accepted, request_id) = through_the_seam(&client).await.unwrap();
    assert_eq!(accepted, 125);
    assert_eq!(
        Some(request_id.as_str()),
        emulator.requests()[0].request_id()
    );
    let thing_model = client
        .query_thing_model(&QueryThingModel::new(PK))
        .await
        .unwrap();
    assert!(thing_model.thing_model_json.contains("_ppk"));
    assert!(thing_model.body.contains("ThingModelJson"));
}
