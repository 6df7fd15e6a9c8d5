//! `tsl-codegen emulate`: the local platform emulator for development, on 127.0.0.1.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::Value;
use tsl_runtime::emulator::{Device, Emulator, Outcome, RunningEmulator, UplinkMessage};
use tsl_runtime::model::Model;

/// The AccessKey pair the emulator accepts when the environment gives none. Local only:
/// it opens nothing but 127.0.0.1.
const LOCAL_ID: &str = "emulator-id";
const LOCAL_SECRET: &str = "emulator-secret";

#[derive(clap::Args)]
pub struct Args {
    /// Model files: each file's product key names its product; files of one product (a
    /// default module and its custom modules) are read together.
    #[arg(long = "model", required = true, value_name = "MODEL")]
    models: Vec<PathBuf>,
    /// A simulated device, `NAME` (when there is one product) or `PRODUCT_KEY/NAME`;
    /// repeatable. Devices answer sync services with valid default outputs.
    #[arg(long = "device", value_name = "DEVICE")]
    devices: Vec<String>,
    /// The port on 127.0.0.1 (0: any free port).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Require this `IotInstanceId` on every request.
    #[arg(long, value_name = "ID")]
    iot_instance_id: Option<String>,
    /// Stop after this many seconds instead of at Ctrl-C.
    #[arg(long, value_name = "SECONDS")]
    seconds: Option<u64>,
    /// A consumer group of the AMQP subscription it serves; repeatable.
    #[arg(
        long = "consumer-group",
        value_name = "GROUP",
        default_value = "DEFAULT_GROUP"
    )]
    consumer_groups: Vec<String>,
    /// Read device messages to publish on the subscription from stdin, one JSON object a
    /// line: `{"device":"lamp-1","properties":{"Brightness":40}}`,
    /// `{"device":"lamp-1","event":"LampFailure","value":{..}}`,
    /// `{"device":"lamp-1","status":"offline"}`, or `{"topic":"..","body":..}` as is.
    #[arg(long)]
    post_stdin: bool,
    /// Every online device reports all its properties (valid default values) on the
    /// subscription every this many milliseconds.
    #[arg(long, value_name = "MS")]
    report_every: Option<u64>,
}

pub fn run(args: &Args) -> ExitCode {
    let mut emulator = Emulator::new().port(args.port);
    let mut products: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in &args.models {
        match Model::load(path) {
            Ok(parsed) => match parsed.model.product_key.clone() {
                Some(key) => {
                    products.entry(key).or_default();
                    emulator = emulator.model(parsed.model);
                }
                None => {
                    eprintln!(
                        "error: {} names no product key; the emulator needs one per product",
                        path.display()
                    );
                    return ExitCode::FAILURE;
                }
            },
            Err(err) => {
                for d in &err.diagnostics {
                    eprintln!("{d}");
                }
                eprintln!("error: {} is not a valid model", path.display());
                return ExitCode::FAILURE;
            }
        }
    }
    for device in &args.devices {
        let (product_key, name) = match device.split_once('/') {
            Some((pk, name)) => (pk.to_string(), name.to_string()),
            None if products.len() == 1 => {
                let pk = products.keys().next().cloned().unwrap_or_default();
                (pk, device.clone())
            }
            None => {
                eprintln!(
                    "error: --device {device}: several products are loaded; write PRODUCT_KEY/NAME"
                );
                return ExitCode::from(2);
            }
        };
        match products.get_mut(&product_key) {
            Some(names) => names.push(name.clone()),
            None => {
                eprintln!("error: --device {device}: no model has product key {product_key}");
                return ExitCode::from(2);
            }
        }
        emulator = emulator.device(Device::new(product_key, name));
    }
    if let Some(id) = &args.iot_instance_id {
        emulator = emulator.iot_instance_id(id.clone());
    }
    for group in &args.consumer_groups {
        emulator = emulator.consumer_group(group.clone());
    }
    // The caller's own AccessKey when the environment has one (never printed), else a
    // local pair that is printed so the session can be copied.
    let from_env = (
        std::env::var("ALIBABA_CLOUD_ACCESS_KEY_ID").ok(),
        std::env::var("ALIBABA_CLOUD_ACCESS_KEY_SECRET").ok(),
    );
    let (id, local) = match from_env {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            emulator = emulator.credentials(id.clone(), secret);
            (id, false)
        }
        _ => {
            emulator = emulator.credentials(LOCAL_ID, LOCAL_SECRET);
            (LOCAL_ID.to_string(), true)
        }
    };

    let running = match emulator.start() {
        Ok(running) => running,
        Err(e) => {
            eprintln!("error: the emulator did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("emulator listening on {}", running.endpoint());
    if let Some(ms) = args.report_every {
        if let Err(e) = running.report_every(Duration::from_millis(ms)) {
            eprintln!("error: --report-every: {e}");
            return ExitCode::FAILURE;
        }
    }
    let amqp = running.amqp_endpoint().unwrap_or_default();
    println!(
        "subscription (AMQP 1.0) on {amqp}, consumer group(s) {}",
        args.consumer_groups.join(", ")
    );
    for (pk, names) in &products {
        println!(
            "  product {pk}: {} device(s) {}",
            names.len(),
            names.join(", ")
        );
    }
    println!("use it from another shell:");
    println!("  export ALIBABA_CLOUD_IOT_ENDPOINT={}", running.endpoint());
    println!("  export {}={amqp}", crate::listen::ENV_AMQP_ENDPOINT);
    if local {
        println!("  export ALIBABA_CLOUD_ACCESS_KEY_ID={LOCAL_ID}");
        println!("  export ALIBABA_CLOUD_ACCESS_KEY_SECRET={LOCAL_SECRET}");
    } else {
        println!("  (AccessKey {id} from this environment)");
    }

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start a runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let seconds = args.seconds;
    let single_product = (products.len() == 1)
        .then(|| products.keys().next().cloned())
        .flatten();
    let mut posts = if args.post_stdin {
        Some(stdin_lines())
    } else {
        None
    };
    runtime.block_on(async {
        let stop = async {
            match seconds {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => {
                    // Without a signal handler, wait forever; Ctrl-C still ends the process.
                    if tokio::signal::ctrl_c().await.is_err() {
                        std::future::pending::<()>().await;
                    }
                }
            }
        };
        tokio::pin!(stop);
        let mut shown = 0;
        loop {
            tokio::select! {
                _ = &mut stop => break,
                line = next_line(&mut posts) => match line {
                    Some(line) => match post(&running, single_product.as_deref(), &line) {
                        Ok(posted) if posted.is_empty() => {}
                        Ok(posted) => println!("{posted}"),
                        Err(problem) => eprintln!("error: stdin: {problem}"),
                    },
                    // stdin closed: keep serving.
                    None => posts = None,
                },
                _ = tokio::time::sleep(Duration::from_millis(200)) => {
                    let requests = running.requests();
                    for request in requests.iter().skip(shown) {
                        let outcome = match &request.outcome {
                            Outcome::Answered { status, code: Some(code), .. } => format!("{status} {code}"),
                            Outcome::Answered { status, .. } => format!("{status} ok"),
                            Outcome::Dropped { reset } => {
                                if *reset { "reset".to_string() } else { "closed".to_string() }
                            }
                        };
                        println!(
                            "{} {}",
                            request.action.as_deref().unwrap_or("(no action)"),
                            outcome
                        );
                    }
                    shown = requests.len();
                }
            }
        }
    });
    if let Ok(stats) = running.amqp_stats() {
        println!(
            "subscription: {} published, {} delivered, {} accepted, {} redelivered",
            stats.published, stats.deliveries, stats.accepted, stats.redelivered
        );
    }
    running.shutdown();
    println!("emulator stopped");
    ExitCode::SUCCESS
}

/// Lines of stdin, read on a thread of their own (stdin has no async reader here).
fn stdin_lines() -> tokio::sync::mpsc::UnboundedReceiver<String> {
    let (send, receive) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

async fn next_line(
    posts: &mut Option<tokio::sync::mpsc::UnboundedReceiver<String>>,
) -> Option<String> {
    match posts {
        Some(lines) => lines.recv().await,
        None => std::future::pending().await,
    }
}

/// Publishes one stdin line; says what was posted.
fn post(
    running: &RunningEmulator,
    single_product: Option<&str>,
    line: &str,
) -> Result<String, String> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(String::new());
    }
    let value: Value = serde_json::from_str(line).map_err(|e| format!("not JSON ({e}): {line}"))?;
    if let Some(topic) = value.get("topic").and_then(Value::as_str) {
        let body = match value.get("body") {
            Some(Value::String(text)) => text.clone().into_bytes(),
            Some(other) => other.to_string().into_bytes(),
            None => Vec::new(),
        };
        let message_id = format!("stdin-{}", uuid_like());
        running
            .publish(UplinkMessage {
                topic: topic.to_string(),
                message_id: message_id.clone(),
                generate_time: 0,
                body,
            })
            .map_err(|e| e.to_string())?;
        return Ok(format!("posted {topic} {message_id}"));
    }
    let device = value
        .get("device")
        .and_then(Value::as_str)
        .ok_or("a line needs \"device\" (or \"topic\")")?;
    let (pk, name) = match device.split_once('/') {
        Some((pk, name)) => (pk.to_string(), name.to_string()),
        None => (
            single_product
                .ok_or("several products are loaded; write \"PRODUCT_KEY/NAME\"")?
                .to_string(),
            device.to_string(),
        ),
    };
    let (what, id) = if let Some(items) = value.get("properties") {
        ("properties", running.post_properties(&pk, &name, items))
    } else if let Some(event) = value.get("event").and_then(Value::as_str) {
        let empty = Value::Object(Default::default());
        (
            "event",
            running.post_event(&pk, &name, event, value.get("value").unwrap_or(&empty)),
        )
    } else if let Some(status) = value.get("status").and_then(Value::as_str) {
        let online = match status {
            "online" => true,
            "offline" => false,
            other => return Err(format!("status `{other}` is neither online nor offline")),
        };
        ("status", running.post_status(&pk, &name, online))
    } else {
        return Err(format!(
            "nothing to post in {line}: give properties, event or status"
        ));
    };
    let id = id.map_err(|e| e.to_string())?;
    Ok(format!("posted {what} of {pk}/{name} {id}"))
}

/// A process-unique suffix for raw messages' IDs.
fn uuid_like() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}
