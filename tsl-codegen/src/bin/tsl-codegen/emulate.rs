//! `tsl-codegen emulate`: the local platform emulator for development, on 127.0.0.1.
//!
//! The emulator keeps no history here (`Emulator::keep_history(false)`): each request is
//! printed (and written to `--log`) as it is answered, and forgotten, so a run of millions
//! of requests holds no memory per request, and with `--any-device` none per device.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tsl_runtime::emulator::{
    Device, Emulator, Fault, Outcome, RecordedRequest, RunningEmulator, UplinkMessage, DEFAULT_QPS,
};
use tsl_runtime::model::Model;

mod specs;

use specs::{device_spec, parse_fault, parse_qps, read_devices_file};

/// The AccessKey pair the emulator accepts when the environment gives none. Local only:
/// it opens nothing but 127.0.0.1.
const LOCAL_ID: &str = "emulator-id";
const LOCAL_SECRET: &str = "emulator-secret";

/// How many request lines may wait for stdout before new ones are counted, not shown.
const STDOUT_QUEUE: usize = 4096;

/// How many device names the startup lines show per product.
const NAMES_SHOWN: usize = 10;

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
    /// Simulated devices from a file: one `NAME` or `PRODUCT_KEY/NAME` a line; blank lines
    /// and lines starting with `#` are skipped, a UTF-8 BOM is ignored.
    #[arg(long, value_name = "FILE")]
    devices_file: Option<PathBuf>,
    /// Accept every device name of a loaded product, as an online device with default
    /// answers. Nothing is kept per device, so a million names cost no memory. Names
    /// given with --device/--devices-file are then only checked, not registered.
    #[arg(long)]
    any_device: bool,
    /// An action's limit in calls per sliding second, `ACTION=N` (repeatable); the
    /// platform's documented limits otherwise.
    #[arg(long = "qps", value_name = "ACTION=N")]
    qps: Vec<String>,
    /// No QPS limit on any action.
    #[arg(long, conflicts_with = "qps")]
    no_limits: bool,
    /// How a call's Args or Items with a number off its model's `step` is answered: `warn`
    /// (the default: accepted, as the platform may, with a warning in the log: `-v`),
    /// `strict` (refused: iot.check.InvalidFormattedParameter) or `off` (accepted). docs/checks.md.
    #[arg(long = "step-check", value_name = "MODE", default_value = "warn")]
    step_check: tsl_runtime::value::StepCheck,
    /// Answer the next COUNT (default 1) requests of ACTION (`*`: any action) badly:
    /// `ACTION=KIND[:COUNT]`, repeatable, applied in order. KIND: throttle, reset, close,
    /// malformed, truncated, an HTTP status (500), delay=2s, business=CODE[,MESSAGE],
    /// raw=STATUS,BODY, empty-object, empty-array, request-id-only; `after-KIND` (e.g.
    /// after-reset, after-500, after-empty-object) acts first, then answers so; stall=30s
    /// acts, then holds the answer back.
    #[arg(long = "fault", value_name = "ACTION=KIND[:COUNT]")]
    faults: Vec<String>,
    /// Write one JSON line per request to FILE (created afresh), flushed per line:
    /// {"seq","time_ms","action","device_names","request_id","outcome","acted","status",
    /// "code","fault"}.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
    /// No line per request on stdout: the global `-q/--quiet`, set by `main`.
    #[arg(skip)]
    pub quiet: bool,
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
    /// `{"device":"lamp-1","status":"offline"}`, or `{"topic":"..","body":..}` as is. A
    /// properties or event line with `"time":EPOCH_MS` is recorded as the device's state at
    /// that time (for `get` and `history`) instead of being published.
    #[arg(long)]
    post_stdin: bool,
    /// Every online device reports all its properties (valid default values) on the
    /// subscription every this many milliseconds.
    #[arg(long, value_name = "MS")]
    report_every: Option<u64>,
    /// The most messages a consumer group keeps for its clients; past it the oldest are
    /// dropped (and counted at the end), so a run with no consumer stays in bounded memory.
    #[arg(long, value_name = "MESSAGES", default_value_t = tsl_runtime::emulator::DEFAULT_SUBSCRIPTION_BACKLOG)]
    backlog: usize,
}

/// A usage error: printed, exit 2.
struct Usage(String);

/// Why the emulator cannot start as asked.
enum Refusal {
    /// A model file is invalid: exit 1, as `check` does.
    Model(String),
    /// An argument is wrong: exit 2.
    Usage(Usage),
}

impl From<Usage> for Refusal {
    fn from(usage: Usage) -> Refusal {
        Refusal::Usage(usage)
    }
}

pub fn run(args: &Args) -> ExitCode {
    match prepare(args) {
        Ok(prepared) => serve(args, prepared),
        Err(Refusal::Model(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
        Err(Refusal::Usage(Usage(message))) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// What the arguments made: the emulator to start and what to print about it.
struct Prepared {
    emulator: Emulator,
    /// Product key → devices named (registered, or only checked with `--any-device`).
    products: BTreeMap<String, Named>,
    faults: Vec<(Option<String>, Fault, u32)>,
    key_id: String,
    local_key: bool,
}

#[derive(Default)]
struct Named {
    count: usize,
    shown: Vec<String>,
}

fn prepare(args: &Args) -> Result<Prepared, Refusal> {
    let mut emulator = Emulator::new().port(args.port).keep_history(false);
    let mut products: BTreeMap<String, Named> = BTreeMap::new();
    for path in &args.models {
        let parsed = Model::load(path).map_err(|err| {
            let mut message = String::new();
            for d in &err.diagnostics {
                message.push_str(&format!("{d}\n"));
            }
            Refusal::Model(format!("{message}{} is not a valid model", path.display()))
        })?;
        let Some(key) = parsed.model.product_key.clone() else {
            return Err(Refusal::Model(format!(
                "{} names no product key; the emulator needs one per product",
                path.display()
            )));
        };
        products.entry(key).or_default();
        emulator = emulator.model(parsed.model);
    }
    if args.any_device {
        emulator = emulator.any_device();
    }
    emulator = emulator.step_check(args.step_check);
    for spec in &args.qps {
        let (action, limit) =
            parse_qps(spec).map_err(|problem| Usage(format!("--qps {spec}: {problem}")))?;
        emulator = emulator.qps(action, limit);
    }
    if args.no_limits {
        for (action, _) in DEFAULT_QPS {
            emulator = emulator.unlimited(action);
        }
    }
    let faults = args
        .faults
        .iter()
        .map(|spec| {
            parse_fault(spec).map_err(|problem| Usage(format!("--fault {spec}: {problem}")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let Some(id) = &args.iot_instance_id {
        emulator = emulator.iot_instance_id(id.clone());
    }
    for group in &args.consumer_groups {
        emulator = emulator.consumer_group(group.clone());
    }
    emulator = emulator.subscription_backlog(args.backlog);
    // The caller's own AccessKey when the environment has one (never printed), else a
    // local pair that is printed so the session can be copied.
    let from_env = (
        std::env::var("ALIBABA_CLOUD_ACCESS_KEY_ID").ok(),
        std::env::var("ALIBABA_CLOUD_ACCESS_KEY_SECRET").ok(),
    );
    let (key_id, local_key) = match from_env {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            emulator = emulator.credentials(id.clone(), secret);
            (id, false)
        }
        _ => {
            emulator = emulator.credentials(LOCAL_ID, LOCAL_SECRET);
            (LOCAL_ID.to_string(), true)
        }
    };
    Ok(Prepared {
        emulator,
        products,
        faults,
        key_id,
        local_key,
    })
}

/// Reads `--device` and `--devices-file` (streamed: it may list millions), counts the names
/// per product for the startup lines, and hands each to `register`.
fn register_devices(
    args: &Args,
    products: &mut BTreeMap<String, Named>,
    mut register: impl FnMut(String, String) -> Result<(), String>,
) -> Result<(), Usage> {
    let mut add = |spec: &str, origin: &dyn Fn() -> String| -> Result<(), Usage> {
        let (product_key, name) = device_spec(spec, products)
            .map_err(|problem| Usage(format!("{}: {problem}", origin())))?;
        let named = products.get_mut(&product_key).ok_or_else(|| {
            Usage(format!(
                "{}: no model has product key {product_key}",
                origin()
            ))
        })?;
        named.count += 1;
        if named.shown.len() < NAMES_SHOWN {
            named.shown.push(name.clone());
        }
        register(product_key, name).map_err(|problem| Usage(format!("{}: {problem}", origin())))
    };
    for device in &args.devices {
        add(device, &|| format!("--device {device}"))?;
    }
    if let Some(path) = &args.devices_file {
        read_devices_file(path, |line_number, name| {
            add(name, &|| format!("{}:{line_number}", path.display()))
        })?;
    }
    Ok(())
}

/// A request as the line printed on stdout: `ACTION STATUS CODE|ok`, or `reset`/`closed`.
fn stdout_line(request: &RecordedRequest) -> String {
    let outcome = match &request.outcome {
        Outcome::Answered {
            status,
            code: Some(code),
            ..
        } => format!("{status} {code}"),
        Outcome::Answered { status, .. } => format!("{status} ok"),
        Outcome::Dropped { reset: true } => "reset".to_string(),
        Outcome::Dropped { reset: false } => "closed".to_string(),
    };
    let mut line = format!(
        "{} {outcome}",
        request.action.as_deref().unwrap_or("(no action)")
    );
    if let Some(fault) = &request.fault {
        line.push_str(&format!(" [fault {fault}]"));
    }
    line
}

fn serve(args: &Args, prepared: Prepared) -> ExitCode {
    let Prepared {
        mut emulator,
        products,
        faults,
        key_id,
        local_key,
    } = prepared;
    let log = match &args.log {
        Some(path) => match File::create(path) {
            Ok(file) => Some((path.clone(), Mutex::new(BufWriter::new(file)))),
            Err(e) => {
                eprintln!("error: --log {}: {e}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => None,
    };
    // Request lines go to stdout through a queue and a thread of their own: a stdout that
    // is slow, or a pipe nobody reads, must never hold up the server. Lines that do not fit
    // the queue are counted and the count printed at the end (`--log` has every request).
    let (queue, lines) = if args.quiet {
        (None, None)
    } else {
        let (queue, lines) = std::sync::mpsc::sync_channel::<Option<String>>(STDOUT_QUEUE);
        (Some(queue), Some(lines))
    };
    let unshown = Arc::new(AtomicU64::new(0));
    let unshown_count = unshown.clone();
    let stop_printer = queue.clone();
    let log_path = log.as_ref().map(|(path, _)| path.clone());
    let log_failed = AtomicBool::new(false);
    emulator = emulator.on_request(move |request| {
        if let Some((path, writer)) = &log {
            let mut writer = writer.lock().unwrap_or_else(|e| e.into_inner());
            // One line, flushed at once: whatever ends the process, answered requests
            // are on record.
            let written = serde_json::to_writer(&mut *writer, &request.log_line())
                .map_err(std::io::Error::from)
                .and_then(|()| writer.write_all(b"\n"))
                .and_then(|()| writer.flush());
            if let Err(e) = written {
                if !log_failed.swap(true, Ordering::Relaxed) {
                    eprintln!(
                        "error: --log {}: {e}; requests are no longer logged",
                        path.display()
                    );
                }
            }
        }
        if let Some(queue) = &queue {
            if queue.try_send(Some(stdout_line(request))).is_err() {
                unshown.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    let running = match emulator.start() {
        Ok(running) => running,
        Err(e) => {
            eprintln!("error: the emulator did not start: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Devices are registered one by one on the running emulator, as the file is read: no
    // list of a million `Device`s is held first. With `--any-device` they are only checked.
    let mut products = products;
    let any_device = args.any_device;
    let registered = register_devices(args, &mut products, |product_key, name| {
        if any_device {
            return Ok(());
        }
        running
            .add_device(Device::new(product_key, name))
            .map(|_| ())
            .map_err(|e| e.to_string())
    });
    if let Err(Usage(message)) = registered {
        eprintln!("error: {message}");
        running.shutdown();
        return ExitCode::from(2);
    }
    for (action, fault, count) in faults {
        match action {
            Some(action) => running.inject_fault(&action, fault, count),
            None => running.inject_fault_any(fault, count),
        }
    }
    // Tests and scripts read the endpoint from this first line: keep it first and as is.
    println!("emulator listening on {}", running.endpoint());
    // The subscription's endpoint is the second line, read by tests and scripts too.
    let amqp = running.amqp_endpoint().unwrap_or_default();
    println!(
        "subscription (AMQP 1.0) on {amqp}, consumer group(s) {}",
        args.consumer_groups.join(", ")
    );
    if let Some(ms) = args.report_every {
        if let Err(e) = running.report_every(Duration::from_millis(ms)) {
            eprintln!("error: --report-every: {e}");
            running.shutdown();
            return ExitCode::FAILURE;
        }
    }
    for (pk, named) in &products {
        let mut names = named.shown.join(", ");
        if named.count > named.shown.len() {
            names.push_str(&format!(", ... ({} in all)", named.count));
        }
        let line = if args.any_device {
            format!(
                "  product {pk}: any device name ({} listed) {names}",
                named.count
            )
        } else {
            format!("  product {pk}: {} device(s) {names}", named.count)
        };
        println!("{}", line.trim_end());
    }
    if let Some(path) = &log_path {
        println!("  request log: {}", path.display());
    }
    for spec in &args.faults {
        println!("  fault: {spec}");
    }
    if args.no_limits {
        println!("  limits: none");
    }
    for spec in &args.qps {
        println!("  limit: {spec} calls/s");
    }
    println!("use it from another shell:");
    println!("  export ALIBABA_CLOUD_IOT_ENDPOINT={}", running.endpoint());
    println!("  export {}={amqp}", crate::listen::ENV_AMQP_ENDPOINT);
    if local_key {
        println!("  export ALIBABA_CLOUD_ACCESS_KEY_ID={LOCAL_ID}");
        println!("  export ALIBABA_CLOUD_ACCESS_KEY_SECRET={LOCAL_SECRET}");
    } else {
        println!("  (AccessKey {key_id} from this environment)");
    }
    let _ = std::io::stdout().flush();
    // Started after the startup lines, so request lines never cut into them.
    let printer = lines.map(|lines| {
        std::thread::spawn(move || {
            // `None`: the emulator has stopped.
            for line in lines.iter().map_while(|line| line) {
                println!("{line}");
            }
        })
    });

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
    let mut posts = args.post_stdin.then(stdin_lines);
    runtime.block_on(async {
        let stop = async {
            match seconds {
                Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
                None => stop_signal().await,
            }
        };
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                line = next_line(&mut posts) => match line {
                    Some(line) => match post(&running, single_product.as_deref(), &line) {
                        Ok(posted) if posted.is_empty() => {}
                        Ok(posted) => println!("{posted}"),
                        Err(problem) => eprintln!("error: stdin: {problem}"),
                    },
                    // stdin closed: keep serving.
                    None => posts = None,
                },
            }
        }
    });
    if let Ok(stats) = running.amqp_stats() {
        println!(
            "subscription: {} published, {} delivered, {} accepted, {} redelivered, {} dropped \
             (backlog of {} a group)",
            stats.published,
            stats.deliveries,
            stats.accepted,
            stats.redelivered,
            stats.dropped,
            args.backlog
        );
    }
    running.shutdown();
    // The lines queued before the stop are printed, then the printer ends.
    if let (Some(printer), Some(stop)) = (printer, stop_printer) {
        if stop.send(None).is_ok() {
            let _ = printer.join();
        }
    }
    let unshown = unshown_count.load(Ordering::Relaxed);
    if unshown > 0 {
        println!("({unshown} request lines not shown: stdout was not read fast enough; --log keeps every request)");
    }
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
    // With a `time` (epoch ms), the line is the device's state at that time (what the
    // state queries and history serve) and is not published on the subscription.
    if let Some(time) = value.get("time").and_then(Value::as_i64) {
        let kept = if let Some(items) = value.get("properties") {
            running.report_properties(&pk, &name, items, time)
        } else if let Some(event) = value.get("event").and_then(Value::as_str) {
            let empty = Value::Object(Default::default());
            running.report_event(
                &pk,
                &name,
                event,
                value.get("value").unwrap_or(&empty),
                time,
            )
        } else {
            return Err(format!(
                "a line with \"time\" records properties or an event: {line}"
            ));
        };
        kept.map_err(|e| e.to_string())?;
        return Ok(format!("recorded state of {pk}/{name} at {time}"));
    }
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

/// Ctrl-C, or SIGTERM on Unix.
async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    // Without a signal handler, wait forever; Ctrl-C still ends the process.
    if tokio::signal::ctrl_c().await.is_err() {
        std::future::pending::<()>().await;
    }
}
