//! The client against a test server on 127.0.0.1 that checks every signature on its own,
//! enforces per-action QPS in a sliding window and injects faults (tests/support).

mod support;

use std::time::{Duration, Instant};

use support::{client, lamps, Fault, Server, BIG_MESSAGE_ID, KEY_ID, SECRET};
use tsl_runtime::client::{
    BatchPub, Client, GetThingModelTsl, InvokeThingService, InvokeThingsService, Qos,
    QueryThingModel, RetryPolicy, SetDeviceProperty, SetDevicesProperty, SignatureVersion,
    MAX_MESSAGE_BYTES,
};
use tsl_runtime::cloud::{Cloud, Device, Outcome};
use tsl_runtime::Error;

const PK: &str = "a1StreetLmp";

fn platform(error: Error) -> tsl_runtime::PlatformError {
    match error {
        Error::Platform(e) => e,
        other => panic!("not a platform error: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_1050_devices_make_11_calls_at_10_per_second_without_throttling() {
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    let devices = lamps(1050);
    let start = Instant::now();
    let report = client
        .invoke_things_service(&InvokeThingsService::new(
            PK,
            devices.clone(),
            "Blink",
            r#"{"Times":3}"#,
        ))
        .await
        .unwrap();
    let elapsed = start.elapsed();
    println!("1,050 devices, 11 calls at 10 per sliding second: {elapsed:?} (ideal 1.0 s)");

    let calls = server.seen_of("InvokeThingsService");
    assert_eq!(
        calls.len(),
        11,
        "{:?}",
        calls.iter().map(|c| &c.answer).collect::<Vec<_>>()
    );
    assert!(
        calls.iter().all(|c| c.answer == "ok"),
        "a call was throttled or refused"
    );
    assert!(calls.iter().all(|c| c.device_names().len() <= 100));
    let mut sent: Vec<String> = calls.iter().flat_map(|c| c.device_names()).collect();
    sent.sort();
    assert_eq!(sent, devices, "every device sent exactly once");
    assert!(server.max_in_window("InvokeThingsService") <= 10);

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
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
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
    let calls = server.seen_of("QueryThingModel");
    assert_eq!(calls.len(), 24);
    assert!(calls.iter().all(|c| c.answer == "ok"));
    assert!(server.max_in_window("QueryThingModel") <= 10);
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "24 calls at 10 per second"
    );
}

#[tokio::test]
async fn client_invoke_thing_service_sync_result_and_big_message_id() {
    let server = Server::start().await;
    let client = client(&server)
        .iot_instance_id("iot-06z00ax1o")
        .build()
        .unwrap();
    let invoked = client
        .invoke_thing_service(
            &InvokeThingService::new(
                Device::named(PK, "lamp-1"),
                "battery:Calibrate",
                r#"{"Level":80}"#,
            )
            .qos(Qos::AtLeastOnce),
        )
        .await
        .unwrap();
    assert_eq!(invoked.message_id.as_deref(), Some(BIG_MESSAGE_ID));
    let reply = invoked.alink_reply().unwrap();
    assert_eq!(reply.code, 200);
    assert_eq!(reply.data["Echo"], "battery:Calibrate");
    let seen = &server.seen_of("InvokeThingService")[0];
    assert_eq!(seen.param("Identifier"), Some("battery:Calibrate"));
    assert_eq!(seen.param("Qos"), Some("1"));
    assert_eq!(seen.param("IotInstanceId"), Some("iot-06z00ax1o"));
    assert_eq!(seen.param("DeviceName"), Some("lamp-1"));

    let by_id = client
        .invoke_thing_service(&InvokeThingService::new(
            Device::iot_id("Q7uOhVRdZRRlDnTLv****"),
            "Blink",
            "{}",
        ))
        .await
        .unwrap();
    assert!(by_id.request_id.starts_with("REQ-"));
    let seen = &server.seen_of("InvokeThingService")[1];
    assert_eq!(seen.param("IotId"), Some("Q7uOhVRdZRRlDnTLv****"));
    assert_eq!(seen.param("ProductKey"), None);
}

#[tokio::test]
async fn client_signs_acs3_and_sts_tokens_and_hides_them() {
    let server = Server::start().await;
    for version in [SignatureVersion::V1, SignatureVersion::Acs3] {
        let client = client(&server)
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
        assert_eq!(answer.message_id.as_deref(), Some(BIG_MESSAGE_ID));
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
    assert_eq!(server.seen_of("SetDeviceProperty").len(), 2);
    let v1 = &server.seen_of("SetDeviceProperty")[0];
    assert_eq!(v1.param("SecurityToken"), Some("CAIS-sts-token-value"));
}

#[tokio::test]
async fn client_a_wrong_secret_is_refused_and_never_printed() {
    let server = Server::start().await;
    let wrong = tsl_runtime::sign::Credentials::new(KEY_ID, "wrong-Secret-123")
        .unwrap()
        .with_security_token("CAIS-sts-token-value")
        .unwrap();
    let client = client(&server).credentials(wrong).build().unwrap();
    let error = client
        .invoke_thing_service(&InvokeThingService::new(
            Device::named(PK, "d"),
            "Blink",
            "{}",
        ))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");
    assert!(!text.contains("wrong-Secret-123"), "{text}");
    assert!(
        !text.contains("CAIS-sts-token-value"),
        "the server echoes its string to sign: {text}"
    );
    assert_eq!(server.seen().len(), 1, "never retried");
}

#[tokio::test]
async fn client_retries_throttling_bursts_within_bounds() {
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    let request = InvokeThingService::new(Device::named(PK, "lamp-1"), "Blink", "{}");
    server.inject(None, Fault::Throttle);
    server.inject(None, Fault::Throttle);
    client.invoke_thing_service(&request).await.unwrap();
    let answers: Vec<String> = server.seen().iter().map(|s| s.answer.clone()).collect();
    assert_eq!(answers, ["Throttling.User", "Throttling.User", "ok"]);
    let nonces: std::collections::HashSet<String> = server
        .seen()
        .iter()
        .filter_map(|s| s.param("SignatureNonce").map(str::to_string))
        .collect();
    assert_eq!(nonces.len(), 3, "each attempt signed afresh");

    for _ in 0..5 {
        server.inject(None, Fault::Throttle);
    }
    let error = platform(client.invoke_thing_service(&request).await.unwrap_err());
    assert_eq!(error.code, "Throttling.User");
    assert_eq!(server.seen().len(), 3 + 4, "4 attempts in all");
}

#[tokio::test]
async fn client_server_errors_are_retried_only_when_safe() {
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    let invoke = InvokeThingService::new(Device::named(PK, "lamp-1"), "Blink", "{}");

    let system = r#"{"RequestId":"R-5","Success":false,"Code":"iot.system.SystemException","ErrorMessage":"A system exception occurred."}"#;
    server.inject(None, Fault::Status(503, system.to_string()));
    let error = client.invoke_thing_service(&invoke).await.unwrap_err();
    assert_eq!(error.code(), Some("iot.system.SystemException"));
    assert_eq!(
        server.seen().len(),
        1,
        "a system error may come after the platform acted: not retried"
    );
    assert!(matches!(
        Outcome::of_error(&error),
        Outcome::Unknown { reason, request_id: Some(id) } if reason.contains("may have acted") && id == "R-5"
    ));
    client.invoke_thing_service(&invoke).await.unwrap();
    assert_eq!(server.seen().len(), 2);

    server.inject(
        None,
        Fault::Status(
            500,
            r#"{"RequestId":"R-6","Code":"InternalError","Message":"oops"}"#.into(),
        ),
    );
    let error = platform(client.invoke_thing_service(&invoke).await.unwrap_err());
    assert_eq!(
        (error.code.as_str(), error.http_status),
        ("InternalError", Some(500))
    );
    assert_eq!(error.request_id.as_deref(), Some("R-6"));
    assert_eq!(
        server.seen().len(),
        3,
        "the device may have acted: not retried"
    );

    server.inject(None, Fault::Status(502, "<html>Bad Gateway</html>".into()));
    let tsl = client
        .get_thing_model_tsl(&GetThingModelTsl::new(PK))
        .await
        .unwrap();
    assert_eq!(server.seen().len(), 5, "a read is retried after a 5xx");
    assert!(tsl.tsl.contains("schema"));
    assert_eq!(tsl.tsl_uri.as_deref(), Some("https://oss.example/tsl.json"));

    server.inject(
        None,
        Fault::Business("iot.device.NotExistedDevice", "The device does not exist."),
    );
    let error = platform(client.invoke_thing_service(&invoke).await.unwrap_err());
    assert_eq!(error.code, "iot.device.NotExistedDevice");
    assert_eq!(error.message, "The device does not exist.");
    assert_eq!(error.http_status, Some(200));
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn client_connection_reset_is_not_retried_for_device_calls() {
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    server.inject(None, Fault::Reset);
    let error = client
        .invoke_thing_service(&InvokeThingService::new(
            Device::named(PK, "lamp-1"),
            "Blink",
            "{}",
        ))
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
    assert_eq!(server.seen().len(), 1);

    server.inject(None, Fault::Reset);
    client
        .query_thing_model(&QueryThingModel::new(PK))
        .await
        .unwrap();
    assert_eq!(server.seen().len(), 3, "a read is retried after a reset");
}

#[tokio::test]
async fn client_slow_answer_times_out_and_is_not_retried() {
    let server = Server::start().await;
    let client = client(&server)
        .invoke_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    server.inject(None, Fault::Slow(Duration::from_secs(2)));
    let start = Instant::now();
    let error = client
        .invoke_thing_service(&InvokeThingService::new(
            Device::named(PK, "lamp-1"),
            "Blink",
            "{}",
        ))
        .await
        .unwrap_err();
    assert!(
        matches!(error, Error::Timeout(d) if d == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        server.seen_of("InvokeThingService").len(),
        0,
        "still sleeping, then answered nobody"
    );
}

#[tokio::test]
async fn client_malformed_json_is_a_bad_answer_with_the_text() {
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    server.inject(None, Fault::Malformed);
    match client
        .set_device_property(&SetDeviceProperty::new(Device::named(PK, "d"), "{}"))
        .await
    {
        Err(Error::BadAnswer { raw, .. }) => assert_eq!(raw, r#"{"RequestId": "R", "Success": tr"#),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn client_expired_timestamp_stops_a_batch() {
    let server = Server::start().await;
    let client = client(&server).max_in_flight(1).build().unwrap();
    server.skew_clock(time::Duration::hours(1));
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
    assert_eq!(server.seen().len(), 1, "the rest were not sent");
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
        .credentials(support::credentials())
        .retry(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(50),
            max_delay: Duration::from_millis(50),
        })
        .build()
        .unwrap();
    let start = Instant::now();
    let error = client
        .invoke_thing_service(&InvokeThingService::new(
            Device::named(PK, "d"),
            "Blink",
            "{}",
        ))
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
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    let mut names = lamps(150);
    names[120] = "ghost".to_string(); // the platform refuses the second call
    names.push("lamp-0003".to_string()); // a duplicate
    names.push(String::new());
    let report = client
        .invoke_things_service(&InvokeThingsService::new(PK, names.clone(), "Blink", "{}"))
        .await
        .unwrap();
    assert_eq!(report.devices.len(), 152);
    assert_eq!(report.accepted().count(), 100);
    assert_eq!(report.refused().count(), 50);
    assert_eq!(report.not_attempted().count(), 2);
    match &report.devices[130].outcome {
        Outcome::Refused {
            code,
            message,
            request_id,
        } => {
            assert_eq!(code, "iot.device.NotExistedDevice");
            assert_eq!(message, "The device does not exist.");
            assert!(request_id
                .as_deref()
                .is_some_and(|id| id.starts_with("REQ-")));
        }
        other => panic!("{other:?}"),
    }
    assert!(
        matches!(&report.devices[150].outcome, Outcome::NotAttempted { reason } if reason.contains("duplicate"))
    );
    let mut lines = Vec::new();
    report.write_json_lines(&mut lines).unwrap();
    assert_eq!(String::from_utf8(lines).unwrap().lines().count(), 152);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn client_batch_pub_sends_base64_and_refuses_limits_locally() {
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    let message: Vec<u8> = (0..=255u8).cycle().take(1000).collect();
    let report = client
        .batch_pub(&BatchPub::new(PK, lamps(3), "update", message.clone()).qos(Qos::AtMostOnce))
        .await
        .unwrap();
    assert!(report.all_accepted());
    let seen = &server.seen_of("BatchPub")[0];
    use base64::Engine as _;
    let sent = base64::engine::general_purpose::STANDARD
        .decode(seen.param("MessageContent").unwrap())
        .unwrap();
    assert_eq!(sent, message);
    assert_eq!(seen.param("TopicShortName"), Some("update"));
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
        let client = support::client(&server).signature(version).build().unwrap();
        let report = client.batch_pub(&largest).await.unwrap();
        assert!(
            report.all_accepted(),
            "{version:?}: {:?}",
            report.devices[0].outcome
        );
        let seen = server.seen_of("BatchPub");
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
    assert_eq!(server.seen().len(), 3, "nothing sent for a refused request");
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
        .set_device_property(&Device::named(PK, "lamp-1"), "{}")
        .await?;
    let fleet = cloud
        .invoke_things_service(PK, &lamps(5), "Blink", "{}")
        .await?;
    Ok((
        report.accepted().count() + fleet.accepted().count(),
        invoked.request_id,
    ))
}

#[tokio::test]
async fn client_implements_cloud() {
    let server = Server::start().await;
    let client = client(&server).build().unwrap();
    let (accepted, request_id) = through_the_seam(&client).await.unwrap();
    assert_eq!(accepted, 125);
    assert!(request_id.starts_with("REQ-"));
    let thing_model = client
        .query_thing_model(&QueryThingModel::new(PK))
        .await
        .unwrap();
    assert!(thing_model.thing_model_json.contains("_ppk"));
    assert!(thing_model.body.contains("ThingModelJson"));
}
