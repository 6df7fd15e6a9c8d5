//! The subscription end to end: the emulator's AMQP endpoint on 127.0.0.1 publishes what
//! simulated devices send, and the `Subscriber` receives it decoded against the model.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::Notify;
use tsl_runtime::emulator::{Device, Emulator, RunningEmulator, UplinkMessage};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;
use tsl_runtime::subscribe::{
    Decoder, Kind, Message, Problem, Received, SubscribeError, Subscriber, Summary,
};
use tsl_runtime::value::Wire;

const PK: &str = "a1StreetLmp";
const GROUP: &str = "g-lamps";
const KEY_ID: &str = "LTAItest";
const SECRET: &str = "the-secret-value-42";

fn models() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/models");
    vec![
        dir.join("street-lamp.json"),
        dir.join("street-lamp-battery.json"),
    ]
}

/// A model whose event carries one field of every TSL type.
const EVERY_TYPE: &str = r#"{
  "schema": "https://iotx-tsl.oss-ap-southeast-1.aliyuncs.com/schema.json",
  "profile": {"productKey": "a1EveryType"},
  "properties": [],
  "services": [{
    "identifier": "Measure", "name": "Measure", "callType": "async", "method": "thing.service.Measure",
    "inputData": [],
    "outputData": [
      {"identifier": "v", "name": "v", "dataType": {"type": "double", "specs": {"min": "0", "max": "10", "step": "0.5"}}},
      {"identifier": "ok", "name": "ok", "dataType": {"type": "bool", "specs": {"0": "no", "1": "yes"}}}
    ]
  }],
  "events": [{
    "identifier": "Sample", "name": "Sample", "type": "info", "method": "thing.event.Sample.post",
    "outputData": [
      {"identifier": "i", "name": "i", "dataType": {"type": "int", "specs": {"min": "-10", "max": "10", "step": "1"}}},
      {"identifier": "f", "name": "f", "dataType": {"type": "float", "specs": {"min": "0", "max": "100", "step": "0.1"}}},
      {"identifier": "d", "name": "d", "dataType": {"type": "double", "specs": {"min": "0", "max": "100", "step": "0.01"}}},
      {"identifier": "t", "name": "t", "dataType": {"type": "text", "specs": {"length": "16"}}},
      {"identifier": "b", "name": "b", "dataType": {"type": "bool", "specs": {"0": "off", "1": "on"}}},
      {"identifier": "e", "name": "e", "dataType": {"type": "enum", "specs": {"0": "zero", "2": "two"}}},
      {"identifier": "w", "name": "w", "dataType": {"type": "date", "specs": {}}},
      {"identifier": "s", "name": "s", "dataType": {"type": "struct", "specs": [
        {"identifier": "x", "name": "x", "dataType": {"type": "int", "specs": {"min": "0", "max": "9", "step": "1"}}}
      ]}},
      {"identifier": "a", "name": "a", "dataType": {"type": "array", "specs": {"size": "3", "item": {"type": "double"}}}}
    ]
  }]
}"#;

fn every_type_model() -> Model {
    Model::parse(EVERY_TYPE, "every-type.json").unwrap().model
}

fn emulator() -> RunningEmulator {
    Emulator::new()
        .model_files(PK, &models())
        .model(every_type_model())
        .credentials(KEY_ID, SECRET)
        .consumer_group(GROUP)
        .device(Device::new(PK, "lamp-1"))
        .device(Device::new(PK, "lamp-2"))
        .device(Device::new("a1EveryType", "probe"))
        .start()
        .unwrap()
}

fn decoder() -> Decoder {
    let lamp = Model::load_all(&models()).unwrap().model;
    Decoder::new().model_for(PK, lamp).model(every_type_model())
}

fn subscriber(emulator: &RunningEmulator, secret: &str) -> Subscriber {
    Subscriber::new(
        &emulator.amqp_endpoint().unwrap(),
        GROUP,
        Credentials::new(KEY_ID, secret).unwrap(),
    )
    .unwrap()
    .decoder(decoder())
    .backoff(Duration::from_millis(20), Duration::from_millis(200))
    .max_attempts(50)
}

/// Runs `subscriber` until `count` distinct messages were handled (or 10 s passed); returns
/// every delivery handled, redeliveries included.
async fn collect(subscriber: Subscriber, count: usize) -> (Vec<Received>, Summary) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(Notify::new());
    let (seen2, done2) = (seen.clone(), done.clone());
    let run = subscriber.run(
        move |received| {
            let (seen, done) = (seen2.clone(), done2.clone());
            async move {
                let mut seen = seen.lock().unwrap();
                seen.push(received);
                let distinct: std::collections::HashSet<&str> =
                    seen.iter().map(|r| r.message_id.as_str()).collect();
                if distinct.len() >= count {
                    done.notify_one();
                }
                Ok::<(), String>(())
            }
        },
        async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), done.notified()).await;
        },
    );
    let summary = run.await.unwrap();
    let seen = seen.lock().unwrap().clone();
    (seen, summary)
}

fn item<'a>(received: &'a Received, id: &str) -> &'a Wire {
    let Message::PropertyPost(post) = &received.message else {
        panic!("not a property post: {received:?}");
    };
    &post
        .items
        .iter()
        .find(|i| i.identifier == id)
        .unwrap()
        .value
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_property_report_arrives_typed_with_module_properties() {
    let emulator = emulator();
    let id = emulator
        .post_properties(
            PK,
            "lamp-1",
            &json!({
                "LightSwitch": 1,
                "PowerConsumption": 10,
                "Voltage": 220.5,
                "WorkMode": -1,
                "LastMaintenance": "1700000000000",
                "Location": {"Longitude": 120.1, "Latitude": 30.2, "Street": "Main"},
                "battery:Charge": 80
            }),
        )
        .unwrap();
    let (seen, summary) = collect(subscriber(&emulator, SECRET), 1).await;
    assert_eq!(summary.accepted, 1);
    let received = &seen[0];
    assert_eq!(received.message_id, id);
    assert_eq!(received.product_key.as_deref(), Some(PK));
    assert_eq!(received.device_name.as_deref(), Some("lamp-1"));
    assert_eq!(item(received, "LightSwitch"), &Wire::Bool(true));
    assert_eq!(item(received, "PowerConsumption"), &Wire::Double(10.0));
    assert_eq!(item(received, "WorkMode"), &Wire::Enum(-1));
    assert_eq!(
        item(received, "LastMaintenance"),
        &Wire::Date(1_700_000_000_000)
    );
    assert_eq!(item(received, "battery:Charge"), &Wire::Int(80));
    let line = received.to_json_line();
    assert!(
        line.starts_with(
            r#"{"kind":"property_post","topic":"/a1StreetLmp/lamp-1/thing/event/property/post""#
        ),
        "{line}"
    );
    assert!(
        line.contains(r#""PowerConsumption":{"value":10.0,"#),
        "{line}"
    );
    assert!(line.contains(r#""battery:Charge":{"value":80,"#), "{line}");
    serde_json::from_str::<serde_json::Value>(&line).unwrap();
    let stats = emulator.amqp_stats().unwrap();
    assert_eq!(
        (stats.accepted, stats.queued, stats.in_flight),
        (1, 0, 0),
        "{stats:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_with_every_type_is_checked_against_the_model() {
    let emulator = emulator();
    emulator
        .post_event(
            "a1EveryType",
            "probe",
            "Sample",
            &json!({"i": -3, "f": 1.5, "d": 2, "t": "hé", "b": 0, "e": 2, "w": "1700000000000",
                    "s": {"x": 7}, "a": [1.25, 2, 3.5]}),
        )
        .unwrap();
    let (seen, _) = collect(subscriber(&emulator, SECRET), 1).await;
    let Message::Event(event) = &seen[0].message else {
        panic!("{:?}", seen[0]);
    };
    assert_eq!(event.identifier, "Sample");
    assert_eq!(event.event_type.as_deref(), Some("info"));
    assert_eq!(
        event.value.to_json().unwrap(),
        r#"{"i":-3,"f":1.5,"d":2.0,"t":"hé","b":0,"e":2,"w":"1700000000000","s":{"x":7},"a":[1.25,2.0,3.5]}"#
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_value_is_surfaced_with_its_problems_and_raw_json() {
    let emulator = emulator();
    emulator
        .post_properties(PK, "lamp-1", &json!({"Brightness": 150, "NoSuchThing": 1}))
        .unwrap();
    emulator
        .post_event(PK, "lamp-2", "LampFailure", &json!({"ErrorCode": 99}))
        .unwrap();
    let (seen, summary) = collect(subscriber(&emulator, SECRET), 2).await;
    // Invalid messages are handled (and accepted) like any other: nothing is dropped.
    assert_eq!(summary.accepted, 2);
    let Message::Invalid(invalid) = &seen[0].message else {
        panic!("{:?}", seen[0]);
    };
    assert_eq!(invalid.expected, Kind::PropertyPost);
    assert!(
        invalid.raw.contains(r#""Brightness":{"time""#) || invalid.raw.contains("150"),
        "{}",
        invalid.raw
    );
    let problems: Vec<String> = invalid.problems.iter().map(ToString::to_string).collect();
    assert!(
        problems
            .iter()
            .any(|p| p.contains("150 is above the max 100")),
        "{problems:?}"
    );
    assert!(invalid
        .problems
        .iter()
        .any(|p| matches!(p, Problem::Unknown { identifier, .. } if identifier == "NoSuchThing")));
    let Message::Invalid(event) = &seen[1].message else {
        panic!("{:?}", seen[1]);
    };
    assert_eq!(event.expected, Kind::Event);
    let line = seen[1].to_json_line();
    assert!(
        line.contains(r#""kind":"invalid""#) && line.contains("ErrorCode"),
        "{line}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_and_status_changes_are_typed() {
    let emulator = emulator();
    emulator
        .post_service_reply(
            PK,
            "lamp-1",
            "4242",
            "Diagnose",
            200,
            &json!({"Healthy": 1, "DriverTemperature": 41, "Faults": []}),
        )
        .unwrap();
    emulator
        .post_property_set_reply(PK, "lamp-1", "4343", 200)
        .unwrap();
    emulator.post_status(PK, "lamp-2", false).unwrap();
    emulator
        .publish(UplinkMessage {
            topic: format!("/{PK}/lamp-1/thing/lifecycle"),
            message_id: "7".into(),
            generate_time: 1,
            body: br#"{"action":"create"}"#.to_vec(),
        })
        .unwrap();
    let (seen, _) = collect(subscriber(&emulator, SECRET), 4).await;
    let Message::ServiceReply(reply) = &seen[0].message else {
        panic!("{:?}", seen[0]);
    };
    assert_eq!(reply.request_id, "4242");
    assert_eq!(reply.service.as_deref(), Some("Diagnose"));
    assert_eq!(
        reply.output.as_ref().unwrap().get("DriverTemperature"),
        Some(&Wire::Double(41.0))
    );
    let Message::PropertySetReply(set) = &seen[1].message else {
        panic!("{:?}", seen[1]);
    };
    assert_eq!((set.request_id.as_str(), set.code), ("4343", 200));
    let Message::Status(status) = &seen[2].message else {
        panic!("{:?}", seen[2]);
    };
    assert!(!status.online);
    assert!(status.last_time.is_some());
    assert_eq!(seen[3].message.kind(), Kind::Other);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_body_is_kept_and_a_failed_handler_gets_the_message_again() {
    let emulator = emulator();
    emulator
        .publish(UplinkMessage {
            topic: format!("/{PK}/lamp-1/thing/event/property/post"),
            message_id: "m-1".into(),
            generate_time: 1,
            body: b"{not json".to_vec(),
        })
        .unwrap();
    let attempts = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(Notify::new());
    let (attempts2, done2) = (attempts.clone(), done.clone());
    let summary = subscriber(&emulator, SECRET)
        .run(
            move |received: Received| {
                let (attempts, done) = (attempts2.clone(), done2.clone());
                async move {
                    let mut attempts = attempts.lock().unwrap();
                    attempts.push(received);
                    if attempts.len() == 1 {
                        return Err("the handler failed once");
                    }
                    done.notify_one();
                    Ok(())
                }
            },
            async move {
                let _ = tokio::time::timeout(Duration::from_secs(10), done.notified()).await;
            },
        )
        .await
        .unwrap();
    assert_eq!((summary.released, summary.accepted), (1, 1));
    let attempts = attempts.lock().unwrap();
    assert_eq!(attempts[0].message_id, attempts[1].message_id);
    let Message::Invalid(invalid) = &attempts[1].message else {
        panic!("{:?}", attempts[1]);
    };
    assert_eq!(invalid.raw, "{not json");
    assert!(invalid.problems[0].to_string().contains("not JSON"));
    assert_eq!(emulator.amqp_stats().unwrap().released, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_dropped_mid_stream_loses_nothing() {
    let emulator = emulator();
    let mut ids = Vec::new();
    for n in 0..120 {
        ids.push(
            emulator
                .post_properties(PK, "lamp-1", &json!({"Brightness": n % 100}))
                .unwrap(),
        );
    }
    emulator.drop_amqp_after(40).unwrap();
    let (seen, summary) = collect(subscriber(&emulator, SECRET).credit(16), 120).await;
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for r in &seen {
        *counts.entry(r.message_id.as_str()).or_default() += 1;
    }
    for id in &ids {
        assert!(counts.contains_key(id.as_str()), "message {id} was lost");
    }
    let stats = emulator.amqp_stats().unwrap();
    let duplicates: usize = counts.values().map(|c| c - 1).sum();
    assert!(
        duplicates as u64 <= stats.redelivered,
        "{duplicates} duplicates, {stats:?}"
    );
    assert!(summary.connections >= 2, "{summary:?}");
    assert!(stats.redelivered >= 1, "{stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_consumers_share_a_group_and_one_killed_loses_nothing() {
    let emulator = emulator();
    let seen: Arc<Mutex<Vec<(u8, String)>>> = Arc::default();
    let total = 200;
    let start = |who: u8, slow: bool| {
        let seen = seen.clone();
        let sub = subscriber(&emulator, SECRET)
            .client_id(format!("c{who}"))
            .credit(8);
        tokio::spawn(async move {
            sub.run(
                move |r: Received| {
                    let seen = seen.clone();
                    async move {
                        if slow {
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        seen.lock().unwrap().push((who, r.message_id));
                        Ok::<(), String>(())
                    }
                },
                std::future::pending(),
            )
            .await
        })
    };
    let first = start(1, true);
    let second = start(2, true);
    let mut ids = Vec::new();
    for n in 0..total {
        ids.push(
            emulator
                .post_properties(PK, "lamp-2", &json!({"Brightness": n % 100}))
                .unwrap(),
        );
    }
    // Wait until both have handled some, then kill the first mid-stream.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (a, b) = {
            let seen = seen.lock().unwrap();
            (
                seen.iter().filter(|s| s.0 == 1).count(),
                seen.iter().filter(|s| s.0 == 2).count(),
            )
        };
        if a >= 5 && b >= 5 {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "both consumers should receive: {a} {b}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.abort();
    loop {
        let handled: std::collections::HashSet<String> =
            seen.lock().unwrap().iter().map(|s| s.1.clone()).collect();
        if ids.iter().all(|id| handled.contains(id)) {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "lost: {} of {total} handled",
            handled.len()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    second.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_secret_is_refused_clearly_without_the_secret() {
    let emulator = emulator();
    let wrong = "not-the-secret-123";
    let err = subscriber(&emulator, wrong)
        .run(
            |_r: Received| async { Ok::<(), String>(()) },
            std::future::pending(),
        )
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(matches!(err, SubscribeError::Refused { .. }), "{shown}");
    assert!(
        shown.contains("refused the login") && shown.contains("not the signature"),
        "{shown}"
    );
    assert!(!shown.contains(wrong) && !shown.contains(SECRET), "{shown}");
    // A wrong group is refused the same way.
    let err = Subscriber::new(
        &emulator.amqp_endpoint().unwrap(),
        "nobody",
        Credentials::new(KEY_ID, SECRET).unwrap(),
    )
    .unwrap()
    .run(
        |_r: Received| async { Ok::<(), String>(()) },
        std::future::pending(),
    )
    .await
    .unwrap_err();
    assert!(
        err.to_string().contains("unknown consumerGroupId `nobody`"),
        "{err}"
    );
    assert_eq!(emulator.amqp_stats().unwrap().refused, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_async_service_output_arrives_correlated_to_its_invoke_call() {
    use tsl_runtime::client::{Client, InvokeThingService, SetDeviceProperty};
    use tsl_runtime::cloud::Device as Target;
    let emulator = emulator();
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(KEY_ID, SECRET).unwrap())
        .build()
        .unwrap();
    let invoked = client
        .invoke_thing_service(&InvokeThingService::new(
            Target::named("a1EveryType", "probe"),
            "Measure",
            "{}",
        ))
        .await
        .unwrap();
    let call_id = invoked.message_id.unwrap();
    let set = client
        .set_device_property(&SetDeviceProperty::new(
            Target::named(PK, "lamp-1"),
            r#"{"Brightness":40}"#,
        ))
        .await
        .unwrap();
    let set_id = set.message_id.unwrap();
    let (seen, _) = collect(subscriber(&emulator, SECRET), 2).await;
    let reply = seen
        .iter()
        .find_map(|r| match &r.message {
            Message::ServiceReply(reply) => Some(reply),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{seen:?}"));
    assert_eq!(reply.request_id, call_id);
    assert_eq!(reply.service.as_deref(), Some("Measure"));
    let output = reply.output.as_ref().unwrap();
    assert!(
        matches!(output.get("v"), Some(Wire::Double(_))),
        "{output:?}"
    );
    assert!(
        matches!(output.get("ok"), Some(Wire::Bool(_))),
        "{output:?}"
    );
    assert!(seen.iter().any(|r| matches!(&r.message, Message::PropertySetReply(p) if p.request_id == set_id && p.code == 200)), "{seen:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn async_calls_complete_when_their_replies_arrive_or_time_out() {
    use tsl_runtime::client::{Client, InvokeThingService, SetDeviceProperty};
    use tsl_runtime::cloud::Device as Target;
    use tsl_runtime::subscribe::{Replies, ReplyOutcome};
    let emulator = emulator();
    emulator
        .set_slow(PK, "lamp-2", Duration::from_secs(3))
        .unwrap();
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(KEY_ID, SECRET).unwrap())
        .build()
        .unwrap();
    let replies = Replies::new();
    let feed = replies.clone();
    let consumer = tokio::spawn(subscriber(&emulator, SECRET).run(
        move |received: Received| {
            let feed = feed.clone();
            async move {
                feed.offer(&received);
                Ok::<(), String>(())
            }
        },
        std::future::pending(),
    ));
    let invoked = client
        .invoke_thing_service(&InvokeThingService::new(
            Target::named("a1EveryType", "probe"),
            "Measure",
            "{}",
        ))
        .await
        .unwrap();
    let measure = replies.expect(invoked.message_id.unwrap());
    let mut sets = Vec::new();
    for lamp in ["lamp-1", "lamp-2"] {
        // lamp-2 answers after 3 s: too late for the 800 ms below, so no reply in time.
        let accepted = client
            .set_device_property(&SetDeviceProperty::new(
                Target::named(PK, lamp),
                r#"{"Brightness":40}"#,
            ))
            .await
            .unwrap();
        sets.push(replies.expect(accepted.message_id.unwrap()));
    }
    match measure.wait(Duration::from_secs(5)).await {
        ReplyOutcome::Replied(reply) => {
            assert_eq!(reply.service.as_deref(), Some("Measure"));
            assert!(matches!(
                reply.output.as_ref().and_then(|o| o.get("ok")),
                Some(Wire::Bool(_))
            ));
        }
        other => panic!("{other:?}"),
    }
    let outcomes = Replies::collect(sets, Duration::from_millis(800)).await;
    assert_eq!(outcomes.len(), 2);
    assert!(
        matches!(outcomes[0].1, ReplyOutcome::Replied(_)),
        "{outcomes:?}"
    );
    assert!(
        matches!(outcomes[1].1, ReplyOutcome::NoReply { .. }),
        "{outcomes:?}"
    );
    assert_eq!(replies.waiting(), 0);
    consumer.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_reporting_at_a_rate_send_valid_reports() {
    let emulator = emulator();
    emulator.report_every(Duration::from_millis(20)).unwrap();
    let (seen, _) = collect(subscriber(&emulator, SECRET), 6).await;
    let posts: Vec<&Received> = seen
        .iter()
        .filter(|r| r.product_key.as_deref() == Some(PK))
        .collect();
    assert!(!posts.is_empty(), "{seen:?}");
    for received in &seen {
        // Every property of every module, with valid default values.
        let Message::PropertyPost(post) = &received.message else {
            panic!("{received:?}");
        };
        if received.product_key.as_deref() == Some(PK) {
            assert!(
                post.items.iter().any(|i| i.identifier == "battery:Charge"),
                "{post:?}"
            );
        }
    }
}

/// Every sign method the platform documents logs in: HMAC-SHA1, HMAC-SHA256 and HMAC-MD5,
/// each password checked by the emulator's own code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sign_method_logs_in() {
    use tsl_runtime::subscribe::SignMethod;
    let emulator = emulator();
    for (i, method) in [
        SignMethod::HmacSha1,
        SignMethod::HmacSha256,
        SignMethod::HmacMd5,
    ]
    .into_iter()
    .enumerate()
    {
        emulator
            .post_properties(PK, "lamp-1", &serde_json::json!({"Brightness": i}))
            .unwrap();
        let (seen, summary) = collect(subscriber(&emulator, SECRET).sign_method(method), 1).await;
        assert_eq!(summary.connections, 1, "{method:?}");
        assert_eq!(seen.len(), 1, "{method:?}");
    }
    assert_eq!(emulator.amqp_stats().unwrap().refused, 0);
}

/// The consumer's TLS path end to end: the emulator's `amqps://` listener with a self-signed
/// certificate generated at start; trusted, the login and a message go through; not
/// trusted, every attempt fails the TLS handshake and the error says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amqps_with_the_emulators_certificate_carries_the_stream() {
    let emulator = emulator();
    let (endpoint, certificate) = emulator.amqps_endpoint().unwrap();
    assert!(endpoint.starts_with("amqps://127.0.0.1:"), "{endpoint}");
    emulator
        .post_properties(PK, "lamp-1", &serde_json::json!({"Brightness": 7}))
        .unwrap();
    let trusting = Subscriber::new(&endpoint, GROUP, Credentials::new(KEY_ID, SECRET).unwrap())
        .unwrap()
        .decoder(decoder())
        .tls_root_certificate(certificate)
        .max_attempts(5);
    let (seen, summary) = collect(trusting, 1).await;
    assert_eq!(summary.connections, 1);
    assert_eq!(seen.len(), 1);
    assert!(
        matches!(seen[0].message, Message::PropertyPost(_)),
        "{:?}",
        seen[0]
    );

    let err = Subscriber::new(&endpoint, GROUP, Credentials::new(KEY_ID, SECRET).unwrap())
        .unwrap()
        .backoff(Duration::from_millis(10), Duration::from_millis(20))
        .max_attempts(2)
        .run(
            |_r: Received| async { Ok::<(), String>(()) },
            std::future::pending(),
        )
        .await
        .unwrap_err();
    let shown = err.to_string();
    assert!(matches!(err, SubscribeError::Unreachable { .. }), "{shown}");
    assert!(shown.contains("TLS"), "{shown}");
    assert!(!shown.contains(SECRET), "{shown}");
}
