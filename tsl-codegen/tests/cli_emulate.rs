//! `tsl-codegen emulate` run as a user runs it: a process on 127.0.0.1, driven with the
//! runtime's client, read through its stdout and its `--log` file, stopped with SIGTERM.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use tsl_runtime::client::{Client, InvokeThingsService, QueryThingModel, RetryPolicy};
use tsl_runtime::cloud::Device;
use tsl_runtime::sign::Credentials;
use tsl_runtime::Error;

const PK: &str = "a1StreetLmp";
const LAMP: &str = "examples/models/street-lamp.json";
const SCHEDULE: &str = r#"{"Schedule":[],"ValidFrom":"0"}"#;
const BLINK: &str = r#"{"Times":3,"Interval":1.0}"#;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A scratch directory of this test, emptied first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tsl-cli-emulate-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"));
    command.arg("emulate").args(args).current_dir(root());
    for (name, _) in std::env::vars() {
        if name.starts_with("ALIBABA_CLOUD_") || name.starts_with("ALIYUN_") {
            command.env_remove(name);
        }
    }
    command
}

/// A running `emulate`; SIGTERM and a bounded wait when dropped.
struct Emulate {
    child: Child,
    stdout: Option<BufReader<ChildStdout>>,
    endpoint: String,
    /// The startup lines after the first, up to `use it from another shell:`.
    banner: Vec<String>,
}

impl Emulate {
    fn start(args: &[&str]) -> Emulate {
        let mut child = command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("a first line");
        let endpoint = match first.trim().strip_prefix("emulator listening on ") {
            Some(endpoint) => endpoint.to_string(),
            None => {
                let mut stderr = String::new();
                if let Some(mut pipe) = child.stderr.take() {
                    let _ = pipe.read_to_string(&mut stderr);
                }
                panic!("unexpected first line {first:?}; stderr: {stderr}");
            }
        };
        let mut banner = Vec::new();
        loop {
            let mut line = String::new();
            stdout.read_line(&mut line).expect("the startup lines");
            if line.is_empty() || line.starts_with("use it from another shell") {
                break;
            }
            banner.push(line.trim_end().to_string());
        }
        Emulate {
            child,
            stdout: Some(stdout),
            endpoint,
            banner,
        }
    }

    fn client(&self) -> Client {
        Client::builder()
            .endpoint(self.endpoint.clone())
            .credentials(Credentials::new("emulator-id", "emulator-secret").unwrap())
            .retry(RetryPolicy::none())
            .qps("QueryThingModel", 1_000)
            .qps("InvokeThingsService", 1_000)
            .build()
            .expect("a client of the emulator")
    }

    /// Resident memory of the process, from `/proc` (Linux).
    fn rss_kib(&self) -> Option<u64> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).ok()?;
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
    }

    /// SIGTERM, then what it printed after the startup lines.
    fn stop(mut self) -> (std::process::ExitStatus, String) {
        // Read while it stops: it may have more to print than a pipe holds.
        let mut stdout = self.stdout.take().expect("read once");
        let reader = std::thread::spawn(move || {
            let mut rest = String::new();
            stdout
                .read_to_string(&mut rest)
                .map(|_| rest)
                .unwrap_or_default()
        });
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(10);
        let exit = loop {
            if let Some(exit) = self.child.try_wait().expect("wait") {
                break exit;
            }
            assert!(Instant::now() < deadline, "emulate did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        };
        let rest = reader.join().expect("stdout is read");
        (exit, rest)
    }
}

impl Drop for Emulate {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn run(args: &[&str]) -> Output {
    command(args).output().expect("the binary runs")
}

fn log_lines(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("the log exists")
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

#[test]
fn a_devices_file_faults_after_acting_and_the_request_log() {
    let dir = scratch("log");
    let devices = dir.join("devices.txt");
    // A BOM, comments, blank lines, and a PRODUCT_KEY/NAME line.
    std::fs::write(
        &devices,
        "\u{feff}lamp-1\n# not a device\n\n  lamp-2  \na1StreetLmp/lamp-3\n",
    )
    .unwrap();
    let log = dir.join("requests.jsonl");
    let emulate = Emulate::start(&[
        "--model",
        LAMP,
        "--devices-file",
        devices.to_str().unwrap(),
        "--fault",
        "InvokeThingsService=after-reset",
        "--fault",
        "InvokeThingService=after-empty-object:2",
        "--log",
        log.to_str().unwrap(),
    ]);
    assert!(
        emulate
            .banner
            .iter()
            .any(|l| l == "  product a1StreetLmp: 3 device(s) lamp-1, lamp-2, lamp-3"),
        "{:?}",
        emulate.banner
    );
    assert!(emulate
        .banner
        .contains(&"  fault: InvokeThingsService=after-reset".to_string()));
    let client = emulate.client();
    let rt = runtime();
    let names = vec!["lamp-1".to_string(), "lamp-3".to_string()];
    let batch = InvokeThingsService::new(PK, names, "UploadSchedule", SCHEDULE);
    // The connection is reset after the devices got the call.
    let reset = rt.block_on(client.invoke_things_service(&batch));
    let report = format!("{reset:?}");
    // Then the same call goes through.
    let accepted = rt
        .block_on(client.invoke_things_service(&batch))
        .expect("the batch runs");
    assert_eq!(accepted.accepted().count(), 2, "{report}");
    // Two `{}` answers to a sync call after the device ran it (what the client makes of
    // `{}` is the client's business; the log below shows what happened).
    for _ in 0..2 {
        let _ = rt.block_on(client.invoke_thing_service(
            &tsl_runtime::client::InvokeThingService::new(
                Device::named(PK, "lamp-2"),
                "Blink",
                BLINK,
            ),
        ));
    }
    let unknown = rt.block_on(client.invoke_thing_service(
        &tsl_runtime::client::InvokeThingService::new(Device::named(PK, "ghost"), "Blink", BLINK),
    ));
    assert!(matches!(unknown, Err(Error::Platform(_))), "{unknown:?}");

    let lines = log_lines(&log);
    assert_eq!(lines.len(), 5, "{lines:#?}");
    let first = &lines[0];
    assert_eq!(first["action"], "InvokeThingsService");
    assert_eq!(first["outcome"], "reset");
    assert_eq!(first["acted"], true);
    assert_eq!(
        first["device_names"],
        serde_json::json!(["lamp-1", "lamp-3"])
    );
    assert_eq!(first["fault"], "after-reset");
    assert_eq!(first["request_id"], Value::Null);
    assert_eq!(lines[1]["outcome"], "ok");
    assert_eq!(lines[1]["acted"], true);
    assert_eq!(lines[1]["status"], 200);
    assert_eq!(
        lines[1]["request_id"].as_str().map(str::len),
        Some(36),
        "{}",
        lines[1]
    );
    for line in &lines[2..4] {
        assert_eq!(line["action"], "InvokeThingService");
        assert_eq!(line["outcome"], "raw");
        assert_eq!(line["fault"], "after-empty-object");
        assert_eq!(line["acted"], true);
        assert_eq!(line["device_names"], serde_json::json!(["lamp-2"]));
    }
    assert_eq!(lines[4]["outcome"], "refused");
    assert_eq!(lines[4]["code"], "iot.device.NotExistedDevice");
    assert_eq!(lines[4]["acted"], false);

    let (exit, rest) = emulate.stop();
    assert!(exit.success(), "{exit:?}");
    assert!(
        rest.contains("InvokeThingsService reset [fault after-reset]"),
        "{rest}"
    );
    assert!(rest.contains("InvokeThingsService 200 ok"), "{rest}");
    assert!(rest.ends_with("emulator stopped\n"), "{rest}");
}

#[test]
fn any_device_holds_no_memory_per_device() {
    // Async calls make device replies for the subscription: with no consumer, a small
    // backlog keeps them from being counted as memory per device.
    let emulate = Emulate::start(&[
        "--model",
        LAMP,
        "--any-device",
        "--no-limits",
        "--quiet",
        "--backlog",
        "100",
    ]);
    assert!(
        emulate
            .banner
            .contains(&"  product a1StreetLmp: any device name (0 listed)".to_string()),
        "{:?}",
        emulate.banner
    );
    let client = emulate.client();
    let rt = runtime();
    let mut next = 0usize;
    let mut calls = |count: usize| {
        rt.block_on(async {
            for _ in 0..count {
                let names: Vec<String> =
                    (next..next + 100).map(|i| format!("any-{i:07}")).collect();
                next += 100;
                let report = client
                    .invoke_things_service(&InvokeThingsService::new(
                        PK,
                        names,
                        "UploadSchedule",
                        SCHEDULE,
                    ))
                    .await
                    .expect("the batch runs");
                assert_eq!(report.accepted().count(), 100);
            }
        })
    };
    calls(50);
    let Some(before) = emulate.rss_kib() else {
        eprintln!("SKIP the memory check: no /proc/PID/status here");
        return;
    };
    // 30,000 more devices never seen before: registered devices cost a few hundred bytes
    // each (about 9 MB here); unregistered ones must cost nothing.
    calls(300);
    let after = emulate.rss_kib().expect("still running");
    assert!(
        after.saturating_sub(before) < 3 * 1024,
        "RSS grew from {before} KiB to {after} KiB over 30,000 new devices"
    );
    let (exit, _) = emulate.stop();
    assert!(exit.success());
}

#[test]
fn qps_limits_can_be_set_and_lifted() {
    let limited = Emulate::start(&["--model", LAMP, "--qps", "QueryThingModel=1", "--quiet"]);
    assert!(limited
        .banner
        .contains(&"  limit: QueryThingModel=1 calls/s".to_string()));
    let client = limited.client();
    let rt = runtime();
    let query = QueryThingModel::new(PK);
    rt.block_on(client.query_thing_model(&query))
        .expect("the first call is admitted");
    match rt.block_on(client.query_thing_model(&query)) {
        Err(Error::Platform(e)) => assert_eq!(e.code, "Throttling.User"),
        other => panic!("the second call in a second is throttled: {other:?}"),
    }
    drop(limited);

    // The platform's 10 calls/s, lifted: 30 calls at once all pass.
    let free = Emulate::start(&["--model", LAMP, "--no-limits", "--quiet"]);
    let client = free.client();
    rt.block_on(async {
        for _ in 0..30 {
            client.query_thing_model(&query).await.expect("no limit");
        }
    });
}

#[test]
fn bad_arguments_are_refused_naming_what_is_wrong() {
    let dir = scratch("bad");
    let devices = dir.join("devices.txt");
    std::fs::write(&devices, "lamp-1\nlamp 2\n").unwrap();
    let devices = devices.to_str().unwrap();
    let twice = dir.join("twice.txt");
    std::fs::write(&twice, "lamp-1\n# a comment\nlamp-1\n").unwrap();
    let twice = twice.to_str().unwrap();
    let cases: [(&[&str], &str); 7] = [
        (
            &["--devices-file", twice],
            "twice.txt:3: a device `lamp-1` is registered twice",
        ),
        (
            &["--devices-file", devices],
            "devices.txt:2: device name \"lamp 2\"",
        ),
        (
            &["--fault", "Nope=reset"],
            "--fault Nope=reset: the emulator serves no action",
        ),
        (
            &["--fault", "BatchPub=explode"],
            "--fault BatchPub=explode: not a fault",
        ),
        (
            &["--fault", "BatchPub=reset:0"],
            "count \"0\" is not 1 or more",
        ),
        (&["--qps", "BatchPub=0"], "--qps BatchPub=0"),
        (
            &["--devices-file", "no/such/file"],
            "--devices-file no/such/file",
        ),
    ];
    for (args, expected) in cases {
        let mut all = vec!["--model", LAMP, "--seconds", "1"];
        all.extend_from_slice(args);
        let out = run(&all);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

#[test]
fn a_stdout_nobody_reads_never_holds_up_the_server() {
    // Each request line carries its fault, 4 KB here: 100 of them are more than a pipe
    // holds, and this test reads nothing until the end.
    let body = format!("{{\"{}\":1}}", "x".repeat(4_000));
    let fault = format!("QueryThingModel=raw=200,{body}:100");
    let emulate = Emulate::start(&["--model", LAMP, "--no-limits", "--fault", &fault]);
    let client = Client::builder()
        .endpoint(emulate.endpoint.clone())
        .credentials(Credentials::new("emulator-id", "emulator-secret").unwrap())
        .retry(RetryPolicy::none())
        .qps("QueryThingModel", 1_000)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let rt = runtime();
    rt.block_on(async {
        for i in 0..100 {
            let answer = client.query_thing_model(&QueryThingModel::new(PK)).await;
            assert!(
                !matches!(answer, Err(Error::Timeout(_))),
                "call {i} waited for stdout: {answer:?}"
            );
        }
    });
    let (exit, rest) = emulate.stop();
    assert!(exit.success());
    let shown = rest
        .lines()
        .filter(|l| l.starts_with("QueryThingModel 200 ok [fault raw=200,"))
        .count();
    assert_eq!(shown, 100, "{}", &rest[rest.len().saturating_sub(300)..]);
    assert!(rest.ends_with("emulator stopped\n"));
}
