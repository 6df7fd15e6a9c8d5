//! The generated message enum end to end: the emulator's simulated device posts over its
//! AMQP endpoint, `tsl_runtime::subscribe::Subscriber` receives (no model given to it), and
//! `lamp::Message::from_received` types every message with the generated structs; and
//! `lamp::Message::decode` of raw messages for what the emulator does not send.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::Notify;
use tsl_golden::street_lamp as lamp;
use tsl_runtime::emulator::{self, Emulator, UplinkMessage};
use tsl_runtime::model::Model;
use tsl_runtime::received::{Kind, Problem, RawMessage, Received};
use tsl_runtime::sign::Credentials;
use tsl_runtime::subscribe::Subscriber;
use tsl_runtime::value::Rejected;

const ID: &str = "LTAI-enum";
const SECRET: &str = "enum-secret-never-printed";
const PK: &str = "a1StreetLmp";

fn lamp_model() -> Model {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/models/street-lamp.json"
    );
    Model::load(path).expect("the bundled model loads").model
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_message_arrives_typed() {
    let emulator = Emulator::new()
        .model(lamp_model())
        .credentials(ID, SECRET)
        .consumer_group("app")
        .device(emulator::Device::new(PK, "lamp-1"))
        .start()
        .expect("the emulator starts");
    emulator
        .post_properties(
            PK,
            "lamp-1",
            &json!({"WorkMode": -1, "Brightness": 140, "Voltage": 230.5}),
        )
        .unwrap();
    emulator
        .post_event(
            PK,
            "lamp-1",
            "LampFailure",
            &json!({"ErrorCode": 2, "Detail": "hot"}),
        )
        .unwrap();
    emulator
        .post_event(PK, "lamp-1", "DuskDetected", &json!({"Lux": -5.0}))
        .unwrap();
    emulator
        .post_service_reply(
            PK,
            "lamp-1",
            "77",
            "Diagnose",
            200,
            &json!({"Healthy": 1, "DriverTemperature": 41.5, "Faults": ["none"]}),
        )
        .unwrap();
    emulator
        .post_service_reply(PK, "lamp-1", "78", "Diagnose", 9201, &json!({}))
        .unwrap();
    emulator
        .post_property_set_reply(PK, "lamp-1", "79", 200)
        .unwrap();
    emulator.post_status(PK, "lamp-1", false).unwrap();
    emulator
        .publish(UplinkMessage {
            topic: "/a1Other/x/thing/event/property/post".into(),
            message_id: "foreign".into(),
            generate_time: 1,
            body: br#"{"items":{"Brightness":{"value":1}}}"#.to_vec(),
        })
        .unwrap();
    const POSTED: usize = 8;

    let seen: Arc<Mutex<Vec<lamp::Message>>> = Arc::default();
    let enough = Arc::new(Notify::new());
    let (seen2, enough2) = (seen.clone(), enough.clone());
    let subscriber = Subscriber::new(
        &emulator.amqp_endpoint().unwrap(),
        "app",
        Credentials::new(ID, SECRET).unwrap(),
    )
    .unwrap();
    subscriber
        .run(
            move |received: Received| {
                let (seen, enough) = (seen2.clone(), enough2.clone());
                async move {
                    let mut seen = seen.lock().unwrap();
                    seen.push(lamp::Message::from_received(received));
                    if seen.len() >= POSTED {
                        enough.notify_one();
                    }
                    Ok::<(), String>(())
                }
            },
            async move {
                let _ = tokio::time::timeout(Duration::from_secs(10), enough.notified()).await;
            },
        )
        .await
        .unwrap();

    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), POSTED, "{seen:#?}");
    let find = |wanted: fn(&lamp::Message) -> bool| {
        seen.iter()
            .find(|m| wanted(m))
            .unwrap_or_else(|| panic!("{seen:#?}"))
    };

    // Properties: what fits is typed with its time, the out-of-bounds one is rejected with
    // its JSON, not dropped.
    let lamp::Message::PropertyPost {
        envelope,
        properties,
        rejected,
        ..
    } = find(
        |m| matches!(m, lamp::Message::PropertyPost { envelope, .. } if envelope.product_key.as_deref() == Some(PK)),
    )
    else {
        unreachable!()
    };
    assert_eq!(envelope.device_name.as_deref(), Some("lamp-1"));
    let mode = properties.work_mode.as_ref().unwrap();
    assert_eq!(mode.value, lamp::WorkMode::Maintenance);
    assert!(mode.time.is_some());
    assert_eq!(properties.voltage.as_ref().unwrap().value, 230.5);
    assert_eq!(properties.brightness, None);
    assert!(
        matches!(&rejected[..], [Rejected::Invalid { identifier, raw, .. }] if identifier == "Brightness" && raw == &json!(140)),
        "{rejected:?}"
    );

    // Events: the payload struct; a value out of bounds makes the message invalid with
    // its problems and the raw body.
    let lamp::Message::LampFailure { event, .. } =
        find(|m| matches!(m, lamp::Message::LampFailure { .. }))
    else {
        unreachable!()
    };
    assert_eq!(
        event.error_code,
        lamp::LampFailureErrorCode::DriverOverTemperature
    );
    assert_eq!(event.detail, "hot");
    let lamp::Message::Invalid {
        expected,
        problems,
        raw,
        ..
    } = find(|m| matches!(m, lamp::Message::Invalid { .. }))
    else {
        unreachable!()
    };
    assert_eq!(*expected, Kind::Event);
    assert!(
        matches!(&problems[..], [Problem::Value { identifier, .. }] if identifier == "DuskDetected")
    );
    assert!(raw.contains("-5.0"), "{raw}");

    // Replies: the service's output type; an error code; a property set.
    let lamp::Message::DiagnoseReply { reply, output, .. } =
        find(|m| matches!(m, lamp::Message::DiagnoseReply { .. }))
    else {
        unreachable!()
    };
    assert_eq!(reply.request_id, "77");
    assert!(output.healthy);
    assert_eq!(output.driver_temperature, 41.5);
    let lamp::Message::ServiceError { reply, .. } =
        find(|m| matches!(m, lamp::Message::ServiceError { .. }))
    else {
        unreachable!()
    };
    assert_eq!(
        (reply.code, reply.service.as_deref()),
        (9201, Some("Diagnose"))
    );
    let lamp::Message::PropertySetReply { reply, .. } =
        find(|m| matches!(m, lamp::Message::PropertySetReply { .. }))
    else {
        unreachable!()
    };
    assert_eq!((reply.request_id.as_str(), reply.code), ("79", 200));

    // Status, and another product's report kept whole.
    let lamp::Message::Status { status, .. } = find(|m| matches!(m, lamp::Message::Status { .. }))
    else {
        unreachable!()
    };
    assert!(!status.online);
    let lamp::Message::Other { other, envelope } =
        find(|m| matches!(m, lamp::Message::Other { .. }))
    else {
        unreachable!()
    };
    assert_eq!(envelope.message_id, "foreign");
    assert!(other.reason.contains("a1Other"), "{}", other.reason);
    assert_eq!(other.body["items"]["Brightness"]["value"], json!(1));
}

fn raw(topic: &str, body: &str) -> RawMessage {
    RawMessage {
        topic: topic.into(),
        message_id: "m".into(),
        generate_time: Some(1),
        body: body.as_bytes().to_vec(),
    }
}

/// What the emulator does not send: malformed bodies, unknown events and services, a
/// successful reply whose output fails the model; each invalid with what went wrong.
#[test]
fn raw_messages_that_fail_are_invalid_with_their_problems() {
    let cases = [
        (
            "/a1StreetLmp/d/thing/event/property/post",
            "{not json",
            Kind::PropertyPost,
        ),
        (
            "/a1StreetLmp/d/thing/event/Nope/post",
            r#"{"value":{}}"#,
            Kind::Event,
        ),
        (
            "/a1StreetLmp/d/thing/downlink/reply/message",
            r#"{"requestId":"1","code":200,"topic":"/sys/a1StreetLmp/d/thing/service/Nope_reply","data":{}}"#,
            Kind::ServiceReply,
        ),
        (
            "/a1StreetLmp/d/thing/downlink/reply/message",
            r#"{"requestId":"1","code":200,"topic":"/sys/a1StreetLmp/d/thing/service/Diagnose_reply","data":{"Healthy":1}}"#,
            Kind::ServiceReply,
        ),
        (
            "/as/mqtt/status/a1StreetLmp/d",
            r#"{"status":"dozing"}"#,
            Kind::Status,
        ),
    ];
    for (topic, body, kind) in cases {
        match lamp::Message::decode(&raw(topic, body)) {
            lamp::Message::Invalid {
                expected,
                problems,
                raw,
                envelope,
            } => {
                assert_eq!(expected, kind, "{topic}");
                assert!(!problems.is_empty());
                assert_eq!(raw, body);
                assert_eq!(envelope.topic, topic);
            }
            other => panic!("{topic}: {other:?}"),
        }
    }
    // A reply to a service without output, and the bare-value item form.
    let blink = lamp::Message::decode(&raw(
        "/a1StreetLmp/d/thing/downlink/reply/message",
        r#"{"requestId":"5","code":200,"topic":"/sys/a1StreetLmp/d/thing/service/UploadSchedule_reply"}"#,
    ));
    assert!(
        matches!(blink, lamp::Message::UploadScheduleReply { .. }),
        "{blink:?}"
    );
    let post = lamp::Message::decode(&raw(
        "/a1StreetLmp/d/thing/event/property/post",
        r#"{"items":{"LightSwitch":1},"checkFailedData":{"Brightness":{"value":500}}}"#,
    ));
    let lamp::Message::PropertyPost {
        properties,
        check_failed,
        ..
    } = post
    else {
        panic!("{post:?}")
    };
    assert_eq!(
        properties.light_switch.map(|t| (t.value, t.time)),
        Some((true, None))
    );
    assert_eq!(check_failed[0].identifier, "Brightness");
}

/// Async calls completed through generated code: the call's handle resolves when the
/// simulated device's reply arrives on the subscription (matched by MessageId, the
/// subscriber given no model), and to `NoReply` when the device is slower than the timeout.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_calls_resolve_to_their_typed_replies_or_time_out() {
    use tsl_runtime::client::Client;
    use tsl_runtime::received::CallOutcome;
    use tsl_runtime::subscribe::Replies;

    let emulator = Emulator::new()
        .model(lamp_model())
        .credentials(ID, SECRET)
        .consumer_group("app")
        .device(emulator::Device::new(PK, "lamp-1"))
        .device(emulator::Device::new(PK, "lamp-slow").slow(Duration::from_secs(3)))
        .start()
        .expect("the emulator starts");
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(ID, SECRET).unwrap())
        .build()
        .unwrap();
    let replies = Replies::new();
    let feed = replies.clone();
    let stop = Arc::new(Notify::new());
    let stop2 = stop.clone();
    let subscriber = Subscriber::new(
        &emulator.amqp_endpoint().unwrap(),
        "app",
        Credentials::new(ID, SECRET).unwrap(),
    )
    .unwrap();
    let consumer = tokio::spawn(subscriber.run(
        move |received: Received| {
            let feed = feed.clone();
            async move {
                feed.offer(&received);
                Ok::<(), String>(())
            }
        },
        async move { stop2.notified().await },
    ));

    let lamp1 = lamp::Device::named(&client, "lamp-1");
    let input = lamp::UploadScheduleInput {
        schedule: vec![lamp::ScheduleItem {
            at: 60,
            brightness: 50,
            enabled: true,
        }],
        valid_from: tsl_runtime::value::Date::from_millis(1_700_000_000_000),
    };
    let pending = lamp1
        .upload_schedule_with_reply(&input, &replies, Duration::from_secs(5))
        .await
        .expect("accepted");
    assert!(!pending.message_id().is_empty());
    let outcome = pending.outcome().await;
    assert!(
        matches!(&outcome, CallOutcome::Replied { reply, .. } if reply.service.as_deref() == Some("UploadSchedule")),
        "{outcome:?}"
    );
    let set = lamp1
        .set_properties_with_reply(
            &lamp::PropertySet::default().brightness(30),
            &replies,
            Duration::from_secs(5),
        )
        .await
        .expect("accepted");
    let outcome = set.outcome().await;
    assert!(
        matches!(outcome, CallOutcome::Replied { .. }),
        "{outcome:?}"
    );

    let slow = lamp::Device::named(&client, "lamp-slow")
        .set_properties_with_reply(
            &lamp::PropertySet::default().brightness(30),
            &replies,
            Duration::from_millis(300),
        )
        .await
        .expect("accepted");
    let outcome = slow.outcome().await;
    assert!(
        matches!(outcome, CallOutcome::NoReply { waited } if waited == Duration::from_millis(300)),
        "{outcome:?}"
    );

    // A batch: replies merged into the report per device.
    let names: Vec<String> = ["lamp-1", "lamp-slow"]
        .iter()
        .map(|n| n.to_string())
        .collect();
    let report = lamp::Fleet::named(&client)
        .upload_schedule_with_replies(&names, &input, &replies, Duration::from_millis(1500))
        .await
        .expect("the batch ran");
    let statuses: Vec<(&str, &str)> = report
        .devices
        .iter()
        .map(|d| (d.device_name.as_str(), d.status()))
        .collect();
    assert_eq!(statuses[0], ("lamp-1", "replied"), "{report:#?}");
    assert_eq!(statuses[1], ("lamp-slow", "no_reply"), "{report:#?}");
    assert!(!report.all_replied());
    // A batch the platform refuses (an unknown device refuses its call): no waiting, the
    // batch's status for every device.
    let names = vec!["lamp-1".to_string(), "lamp-ghost".to_string()];
    let report = lamp::Fleet::named(&client)
        .set_properties_with_replies(
            &names,
            &lamp::PropertySet::default().brightness(10),
            &replies,
            Duration::from_secs(5),
        )
        .await
        .expect("the batch ran");
    assert!(
        report
            .devices
            .iter()
            .all(|d| d.reply.is_none() && d.status() == "refused"),
        "{report:#?}"
    );
    stop.notify_one();
    consumer.await.unwrap().unwrap();
}
