//! What a service's own `tracing` subscriber sees (docs/observability.md): the client's
//! `tsl.call` span (action, attempts, QPS wait, RequestId, outcome) with its `retrying`
//! events, the batch's `tsl.batch` span holding its calls and ending with the tally, the
//! emulator's event per request, and the subscription's `tsl.subscribe` span — and that no
//! secret, STS token or signature appears in any span or event.
#![cfg(all(feature = "client", feature = "emulator", feature = "subscribe"))]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Subscriber as TracingSubscriber};
use tracing_subscriber::layer::{Context, SubscriberExt as _};
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::Layer;
use tsl_runtime::client::{
    Client, InvokeThingService, InvokeThingsService, RetryPolicy, SetDeviceProperty,
};
use tsl_runtime::cloud::Device as Target;
use tsl_runtime::emulator::{Device, Emulator, Fault, RunningEmulator};
use tsl_runtime::sign::Credentials;
use tsl_runtime::subscribe::{Decoder, Subscriber};

const PK: &str = "a1StreetLmp";
const KEY_ID: &str = "LTAIobserved";
/// The client signs with a temporary key, so its requests carry an STS token too.
const STS_ID: &str = "STS.observed";
const SECRET: &str = "observed-secret-value-7f3a";
const TOKEN: &str = "sts-token-observed-91c2";
const GROUP: &str = "g-observed";

/// A span or an event as the test's layer saw it.
#[derive(Debug, Clone)]
struct Captured {
    /// `span` or `event`.
    kind: &'static str,
    /// The span's name, or the event's message.
    name: String,
    level: tracing::Level,
    fields: BTreeMap<String, String>,
    /// The names of the spans it is inside, innermost first.
    scope: Vec<String>,
}

impl Captured {
    fn field(&self, name: &str) -> Option<&str> {
        self.fields.get(name).map(String::as_str)
    }
}

#[derive(Default)]
struct Fields(BTreeMap<String, String>);

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().to_string(), value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().to_string(), format!("{value:?}"));
    }
}

/// Spans are kept by id while open, with fields recorded later merged in; closed spans and
/// events go to the log.
#[derive(Default)]
struct Log {
    spans: BTreeMap<u64, Captured>,
    closed: Vec<Captured>,
}

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Log>>);

impl Capture {
    fn lock(&self) -> MutexGuard<'_, Log> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Everything seen so far: closed spans, open spans, events.
    fn all(&self) -> Vec<Captured> {
        let log = self.lock();
        log.closed
            .iter()
            .chain(log.spans.values())
            .cloned()
            .collect()
    }

    fn clear(&self) {
        let mut log = self.lock();
        log.closed.clear();
        log.spans.clear();
    }
}

fn scope<S>(ctx: &Context<'_, S>, parent: Option<&Id>) -> Vec<String>
where
    S: TracingSubscriber + for<'a> LookupSpan<'a>,
{
    let Some(span) = parent.and_then(|id| ctx.span(id)) else {
        return Vec::new();
    };
    span.scope().map(|s| s.name().to_string()).collect()
}

impl<S> Layer<S> for Capture
where
    S: TracingSubscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let parent = attrs.parent().cloned().or_else(|| {
            attrs
                .is_contextual()
                .then(|| ctx.current_span().id().cloned())
                .flatten()
        });
        let captured = Captured {
            kind: "span",
            name: attrs.metadata().name().to_string(),
            level: *attrs.metadata().level(),
            fields: fields.0,
            scope: scope(&ctx, parent.as_ref()),
        };
        self.lock().spans.insert(id.into_u64(), captured);
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, _ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        if let Some(span) = self.lock().spans.get_mut(&id.into_u64()) {
            span.fields.extend(fields.0);
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let name = fields.0.remove("message").unwrap_or_default();
        let scope = ctx
            .event_scope(event)
            .map(|s| s.map(|span| span.name().to_string()).collect())
            .unwrap_or_default();
        self.lock().closed.push(Captured {
            kind: "event",
            name,
            level: *event.metadata().level(),
            fields: fields.0,
            scope,
        });
    }

    fn on_close(&self, id: Id, _ctx: Context<'_, S>) {
        let mut log = self.lock();
        if let Some(span) = log.spans.remove(&id.into_u64()) {
            log.closed.push(span);
        }
    }
}

/// The process-wide capture (spans and events come from the emulator's and the client's
/// threads alike, so a thread-local subscriber would miss some), and a lock that runs the
/// tests of this file one at a time.
async fn capture() -> (Capture, tokio::sync::MutexGuard<'static, ()>) {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let capture = CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        let subscriber = tracing_subscriber::registry().with(capture.clone());
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        capture
    });
    let serial = SERIAL.lock().await;
    capture.clear();
    (capture.clone(), serial)
}

fn models() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/models");
    vec![
        dir.join("street-lamp.json"),
        dir.join("street-lamp-battery.json"),
    ]
}

fn emulator() -> RunningEmulator {
    Emulator::new()
        .model_files(PK, &models())
        .credentials(KEY_ID, SECRET)
        .sts_credentials(STS_ID, SECRET, TOKEN)
        .consumer_group(GROUP)
        .device(Device::new(PK, "lamp-1"))
        .device(Device::new(PK, "lamp-2"))
        .start()
        .unwrap()
}

fn client(emulator: &RunningEmulator) -> Client {
    Client::builder()
        .endpoint(emulator.endpoint())
        .allow_http(true)
        .credentials(Credentials::new(STS_ID, SECRET).unwrap())
        .security_token(TOKEN)
        .retry(RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
        })
        .build()
        .unwrap()
}

/// Every text a subscriber could print: names, messages and field values.
fn printed(captured: &[Captured]) -> String {
    let mut text = String::new();
    for c in captured {
        let _ = writeln!(
            text,
            "{} {} {} {:?} {:?}",
            c.kind, c.level, c.name, c.fields, c.scope
        );
    }
    text
}

/// No secret, STS token (as sent: percent-encoded too) or request signature was captured.
fn assert_no_secrets(captured: &[Captured], emulator: &RunningEmulator) {
    let text = printed(captured);
    for secret in [SECRET, TOKEN] {
        assert!(!text.contains(secret), "`{secret}` was captured:\n{text}");
    }
    let signatures: Vec<String> = emulator
        .requests()
        .iter()
        .flat_map(|r| r.params.clone())
        .filter(|(name, _)| name == "Signature")
        .map(|(_, value)| value)
        .collect();
    assert!(!signatures.is_empty(), "the emulator recorded no signature");
    for signature in signatures {
        assert!(
            !text.contains(&signature),
            "a signature was captured:\n{text}"
        );
    }
}

fn spans<'a>(captured: &'a [Captured], name: &str) -> Vec<&'a Captured> {
    captured
        .iter()
        .filter(|c| c.kind == "span" && c.name == name)
        .collect()
}

fn events<'a>(captured: &'a [Captured], message: &str) -> Vec<&'a Captured> {
    captured
        .iter()
        .filter(|c| c.kind == "event" && c.name == message)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_and_its_retries_are_spans_with_action_request_id_and_outcome() {
    let (capture, _serial) = capture().await;
    let emulator = emulator();
    let client = client(&emulator);

    let invoked = client
        .invoke_thing_service(&InvokeThingService::new(
            Target::named(PK, "lamp-1"),
            "Blink",
            r#"{"Times":3,"Interval":1.0}"#,
        ))
        .await
        .unwrap();
    // Throttled once, then accepted: one span, two attempts, one `retrying` event inside it.
    emulator.inject_fault("SetDeviceProperty", Fault::Throttle, 1);
    let set = client
        .set_device_property(&SetDeviceProperty::new(
            Target::named(PK, "lamp-1"),
            r#"{"Brightness":40}"#,
        ))
        .await
        .unwrap();
    // A business error keeps its code and RequestId in the span.
    emulator.inject_fault(
        "InvokeThingService",
        Fault::Business {
            code: "iot.device.NotOnline".into(),
            message: "the device is offline".into(),
        },
        1,
    );
    let failed = client
        .invoke_thing_service(&InvokeThingService::new(
            Target::named(PK, "lamp-2"),
            "Blink",
            r#"{"Times":1,"Interval":1.0}"#,
        ))
        .await
        .unwrap_err();

    let captured = capture.all();
    let calls = spans(&captured, "tsl.call");
    assert_eq!(calls.len(), 3, "{}", printed(&captured));
    let by_id = |id: &str| {
        calls
            .iter()
            .find(|c| c.field("request_id") == Some(id))
            .unwrap_or_else(|| panic!("no span with RequestId {id}:\n{}", printed(&captured)))
    };
    let invoke = by_id(&invoked.request_id);
    assert_eq!(invoke.field("action"), Some("InvokeThingService"));
    assert_eq!(invoke.field("outcome"), Some("ok"));
    assert_eq!(invoke.field("attempts"), Some("1"));
    assert!(invoke.field("qps_wait_ms").is_some());

    let retried = by_id(&set.request_id);
    assert_eq!(retried.field("action"), Some("SetDeviceProperty"));
    assert_eq!(retried.field("attempts"), Some("2"));
    assert_eq!(retried.field("outcome"), Some("ok"));
    let retrying = events(&captured, "retrying");
    assert_eq!(retrying.len(), 1, "{}", printed(&captured));
    assert_eq!(retrying[0].level, tracing::Level::INFO);
    assert_eq!(retrying[0].field("error"), Some("Throttling.User"));
    assert_eq!(retrying[0].field("attempt"), Some("1"));
    assert_eq!(
        retrying[0].scope.first().map(String::as_str),
        Some("tsl.call")
    );

    let refused = by_id(failed.request_id().expect("the business error's RequestId"));
    assert_eq!(refused.field("outcome"), Some("iot.device.NotOnline"));

    // The emulator's own event per request, with the action and the same RequestId.
    let answered = events(&captured, "emulator answered");
    assert!(
        answered
            .iter()
            .any(|e| e.field("action") == Some("InvokeThingService")
                && e.field("request_id") == Some(invoked.request_id.as_str())),
        "{}",
        printed(&captured)
    );
    assert_no_secrets(&captured, &emulator);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_a_span_holding_its_calls_and_ends_with_the_tally() {
    let (capture, _serial) = capture().await;
    let emulator = emulator();
    let client = client(&emulator);
    let names = vec!["lamp-1".to_string(), "lamp-2".to_string(), String::new()];
    let report = client
        .invoke_things_service(&InvokeThingsService::new(
            PK,
            names,
            "UploadSchedule",
            r#"{"Schedule":[],"ValidFrom":"0"}"#,
        ))
        .await
        .unwrap();
    assert_eq!(report.devices.len(), 3);

    let captured = capture.all();
    let batch = spans(&captured, "tsl.batch");
    assert_eq!(batch.len(), 1, "{}", printed(&captured));
    assert_eq!(batch[0].field("action"), Some("InvokeThingsService"));
    assert_eq!(batch[0].field("product_key"), Some(PK));
    let call = spans(&captured, "tsl.call");
    assert_eq!(call.len(), 1, "{}", printed(&captured));
    assert_eq!(call[0].scope.first().map(String::as_str), Some("tsl.batch"));
    assert_eq!(call[0].field("outcome"), Some("ok"));
    let ended = events(&captured, "batch ended");
    assert_eq!(ended.len(), 1, "{}", printed(&captured));
    assert_eq!(ended[0].field("accepted"), Some("2"));
    assert_eq!(ended[0].field("not_attempted"), Some("1"));
    assert_eq!(ended[0].field("unknown"), Some("0"));
    let call_ended = events(&captured, "batch call ended");
    assert_eq!(call_ended[0].field("devices"), Some("2"));
    assert_eq!(call_ended[0].field("status"), Some("accepted"));
    assert_no_secrets(&captured, &emulator);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_subscription_reports_its_link_and_messages_but_never_its_password() {
    let (capture, _serial) = capture().await;
    let emulator = emulator();
    emulator.post_status(PK, "lamp-1", true).unwrap();
    let lamp = tsl_runtime::model::Model::load_all(&models())
        .unwrap()
        .model;
    let subscriber = |secret: &str| {
        Subscriber::new(
            &emulator.amqp_endpoint().unwrap(),
            GROUP,
            Credentials::new(KEY_ID, secret).unwrap(),
        )
        .unwrap()
        .decoder(Decoder::new().model_for(PK, lamp.clone()))
        .backoff(Duration::from_millis(10), Duration::from_millis(50))
        .max_attempts(3)
    };
    let done = Arc::new(tokio::sync::Notify::new());
    let notify = done.clone();
    let summary = subscriber(SECRET)
        .run(
            move |_received| {
                let notify = notify.clone();
                async move {
                    notify.notify_one();
                    Ok::<(), String>(())
                }
            },
            async move {
                let _ = tokio::time::timeout(Duration::from_secs(10), done.notified()).await;
            },
        )
        .await
        .unwrap();
    assert_eq!(summary.accepted, 1);
    let wrong = "a-wrong-secret-5e1d";
    let refused = subscriber(wrong)
        .run(
            |_received| async { Ok::<(), String>(()) },
            tokio::time::sleep(Duration::from_secs(10)),
        )
        .await;
    assert!(refused.is_err());

    let captured = capture.all();
    let subscriptions = spans(&captured, "tsl.subscribe");
    assert_eq!(subscriptions.len(), 2, "{}", printed(&captured));
    assert_eq!(subscriptions[0].field("consumer_group"), Some(GROUP));
    let received = events(&captured, "message received");
    assert_eq!(received.len(), 1, "{}", printed(&captured));
    assert_eq!(
        received[0].field("topic"),
        Some("/as/mqtt/status/a1StreetLmp/lamp-1")
    );
    assert_eq!(
        received[0].scope.first().map(String::as_str),
        Some("tsl.subscribe")
    );
    assert_eq!(events(&captured, "receiver link open").len(), 1);
    assert!(
        !events(&captured, "subscription refused").is_empty(),
        "{}",
        printed(&captured)
    );
    let text = printed(&captured);
    for secret in [SECRET, wrong] {
        assert!(!text.contains(secret), "`{secret}` was captured:\n{text}");
    }
}
