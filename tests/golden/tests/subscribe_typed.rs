//! The subscription read into generated types: the same event payload, service output and
//! property types the device side uses, decoded on the cloud side from messages the emulator
//! publishes over AMQP, and a property set made by generated code completed by its reply.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::json;
use tokio::sync::Notify;
use tsl_golden::street_lamp as lamp;
use tsl_runtime::client::Client;
use tsl_runtime::emulator::{self, Emulator};
use tsl_runtime::model::Model;
use tsl_runtime::sign::Credentials;
use tsl_runtime::subscribe::{Decoder, Message, Received, Replies, ReplyOutcome, Subscriber};

const ID: &str = "LTAI-sub";
const SECRET: &str = "sub-secret-never-printed";
const PK: &str = "a1StreetLmp";

fn lamp_model() -> Model {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/models/street-lamp.json"
    );
    Model::load(path).expect("the bundled model loads").model
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_read_into_the_generated_types() {
    let emulator = Emulator::new()
        .model(lamp_model())
        .credentials(ID, SECRET)
        .consumer_group("app")
        .device(emulator::Device::new(PK, "lamp-1"))
        .start()
        .expect("the emulator starts");
    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(ID, SECRET).unwrap())
        .build()
        .unwrap();

    emulator
        .post_properties(PK, "lamp-1", &json!({"WorkMode": -1, "Location": {"Longitude": 120.5, "Latitude": 30.25, "Street": "Main"}}))
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
        .post_service_reply(
            PK,
            "lamp-1",
            "77",
            "Diagnose",
            200,
            &json!({"Healthy": 1, "DriverTemperature": 41.5, "Faults": ["none"]}),
        )
        .unwrap();

    let replies = Replies::new();
    let seen: Arc<Mutex<Vec<Received>>> = Arc::default();
    let enough = Arc::new(Notify::new());
    let (feed, seen2, enough2) = (replies.clone(), seen.clone(), enough.clone());
    let subscriber = Subscriber::new(
        &emulator.amqp_endpoint().unwrap(),
        "app",
        Credentials::new(ID, SECRET).unwrap(),
    )
    .unwrap()
    .decoder(Decoder::new().model(lamp_model()));
    let consumer = tokio::spawn(subscriber.run(
        move |received: Received| {
            let (feed, seen, enough) = (feed.clone(), seen2.clone(), enough2.clone());
            async move {
                feed.offer(&received);
                let mut seen = seen.lock().unwrap();
                seen.push(received);
                if seen.len() >= 4 {
                    enough.notify_one();
                }
                Ok::<(), String>(())
            }
        },
        async move {
            let _ = tokio::time::timeout(Duration::from_secs(10), enough.notified()).await;
        },
    ));

    // A property set through the generated handle, completed by the device's reply.
    let accepted = lamp::Device::named(&client, "lamp-1")
        .set_properties(&lamp::PropertySet::default().brightness(40))
        .await
        .expect("accepted");
    let outcome = replies
        .expect(accepted.message_id.expect("a MessageId"))
        .wait(Duration::from_secs(5))
        .await;
    assert!(matches!(outcome, ReplyOutcome::Replied(_)), "{outcome:?}");
    consumer.await.unwrap().unwrap();

    let seen = seen.lock().unwrap();
    let Message::PropertyPost(post) = &seen[0].message else {
        panic!("{:?}", seen[0]);
    };
    let mode = post
        .property::<lamp::WorkMode>("WorkMode")
        .unwrap()
        .unwrap();
    assert_eq!(mode.value, lamp::WorkMode::Maintenance);
    assert!(mode.time.is_some());
    let location = post
        .property::<lamp::Location>("Location")
        .unwrap()
        .unwrap()
        .value;
    assert_eq!(location.street, "Main");
    let Message::Event(event) = &seen[1].message else {
        panic!("{:?}", seen[1]);
    };
    let failure: lamp::LampFailureEvent = event.decode().unwrap();
    assert_eq!(
        failure.error_code,
        lamp::LampFailureErrorCode::DriverOverTemperature
    );
    assert_eq!(failure.detail, "hot");
    // The wrong type is an error with its problems, not a wrong value.
    assert!(event.decode::<lamp::DuskDetectedEvent>().is_err());
    let Message::ServiceReply(reply) = &seen[2].message else {
        panic!("{:?}", seen[2]);
    };
    let output: lamp::DiagnoseOutput = reply.output_as().unwrap().unwrap();
    assert!(output.healthy);
    assert_eq!(output.driver_temperature, 41.5);
}
