//! `tsl-codegen listen` and the subscription side of `tsl-codegen emulate`, run as
//! processes: messages posted to the emulator's stdin arrive as JSON lines, two listeners
//! share a consumer group and one is killed mid-stream without loss, a wrong secret is
//! refused without printing it.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

const ID: &str = "emulator-id";
const SECRET: &str = "emulator-secret";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running `emulate --post-stdin`, its AMQP endpoint, and its stdout lines.
struct Emulate {
    child: Child,
    stdin: ChildStdin,
    amqp: String,
    lines: mpsc::Receiver<String>,
}

impl Drop for Emulate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn lines_of(out: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

fn emulate() -> Emulate {
    emulate_with(&[])
}

fn emulate_with(extra: &[&str]) -> Emulate {
    let mut child = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"))
        .args([
            "emulate",
            "--model",
            "examples/models/street-lamp.json",
            "--device",
            "lamp-1",
            "--consumer-group",
            "lamps",
            "--post-stdin",
            "--seconds",
            "30",
        ])
        .args(extra)
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdin = child.stdin.take().expect("piped");
    let lines = lines_of(child.stdout.take().expect("piped"));
    let first = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("a first line");
    assert!(
        first.starts_with("emulator listening on http://127.0.0.1:"),
        "{first}"
    );
    let second = lines
        .recv_timeout(Duration::from_secs(10))
        .expect("a second line");
    let amqp = second
        .strip_prefix("subscription (AMQP 1.0) on ")
        .and_then(|rest| rest.split(',').next())
        .unwrap_or_else(|| panic!("unexpected second line {second:?}"))
        .to_string();
    assert!(amqp.starts_with("amqp://127.0.0.1:"), "{amqp}");
    Emulate {
        child,
        stdin,
        amqp,
        lines,
    }
}

fn listen(amqp: &str, secret: &str, extra: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"));
    command
        .args([
            "listen",
            "--model",
            "examples/models/street-lamp.json",
            "--consumer-group",
            "lamps",
            "--endpoint",
            amqp,
        ])
        .args(extra)
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
        .current_dir(root());
    command
}

/// The IDs the emulator printed for `n` posts (`posted ... ID`).
fn posted_ids(emulate: &Emulate, n: usize) -> Vec<String> {
    let mut ids = Vec::new();
    while ids.len() < n {
        let line = emulate
            .lines
            .recv_timeout(Duration::from_secs(10))
            .expect("the emulator confirms each post");
        if let Some(rest) = line.strip_prefix("posted ") {
            ids.push(rest.rsplit(' ').next().unwrap().to_string());
        }
    }
    ids
}

#[test]
fn listen_prints_each_posted_message_as_a_json_line() {
    let mut emulate = emulate();
    let child = listen(&emulate.amqp, SECRET, &["--count", "3", "--seconds", "20"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(
        emulate.stdin,
        r#"{{"device":"lamp-1","properties":{{"Brightness":40,"PowerConsumption":12}}}}"#
    )
    .unwrap();
    writeln!(
        emulate.stdin,
        r#"{{"device":"lamp-1","properties":{{"Brightness":400}}}}"#
    )
    .unwrap();
    writeln!(emulate.stdin, r#"{{"device":"lamp-1","status":"offline"}}"#).unwrap();
    let ids = posted_ids(&emulate, 3);
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    let json: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(json[0]["kind"], "property_post");
    assert_eq!(json[0]["message_id"], ids[0].as_str());
    assert_eq!(json[0]["product_key"], "a1StreetLmp");
    assert_eq!(json[0]["device_name"], "lamp-1");
    // Wire form: a double keeps its decimal point.
    assert!(
        lines[0].contains(r#""PowerConsumption":{"value":12.0,"#),
        "{}",
        lines[0]
    );
    assert_eq!(json[1]["kind"], "invalid");
    assert_eq!(
        json[1]["problems"][0],
        "`Brightness`: 400 is above the max 100"
    );
    assert_eq!(json[2]["kind"], "status");
    assert_eq!(json[2]["status"], "offline");
}

#[test]
fn two_listeners_share_a_group_and_killing_one_loses_nothing() {
    let mut emulate = emulate();
    let spawn = |client: &str| {
        let mut child = listen(
            &emulate.amqp,
            SECRET,
            &["--client-id", client, "--seconds", "25"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
        let lines = lines_of(child.stdout.take().unwrap());
        (child, lines)
    };
    let (mut first, first_lines) = spawn("first");
    let (mut second, second_lines) = spawn("second");
    // Give both time to log in and open their links before the stream starts.
    std::thread::sleep(Duration::from_millis(500));
    let total = 300;
    for n in 0..total {
        writeln!(
            emulate.stdin,
            r#"{{"device":"lamp-1","properties":{{"Brightness":{}}}}}"#,
            n % 100
        )
        .unwrap();
    }
    emulate.stdin.flush().unwrap();
    let ids = posted_ids(&emulate, total);
    let id_of = |line: &str| -> String {
        let json: Value = serde_json::from_str(line).unwrap();
        json["message_id"].as_str().unwrap().to_string()
    };
    let mut handled = HashSet::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    // Kill the first listener once it has printed a few messages, mid-stream.
    let mut first_count = 0;
    while first_count < 5 {
        let line = first_lines
            .recv_timeout(Duration::from_secs(10))
            .expect("the first listener receives its share");
        handled.insert(id_of(&line));
        first_count += 1;
    }
    first.kill().unwrap();
    first.wait().unwrap();
    for line in first_lines.try_iter() {
        handled.insert(id_of(&line));
    }
    let mut second_count = 0;
    while !ids.iter().all(|id| handled.contains(id)) {
        assert!(
            Instant::now() < deadline,
            "lost: {} of {total} handled",
            handled.len()
        );
        if let Ok(line) = second_lines.recv_timeout(Duration::from_millis(200)) {
            handled.insert(id_of(&line));
            second_count += 1;
        }
    }
    assert!(second_count > 0, "the second listener took over");
    second.kill().unwrap();
    second.wait().unwrap();
}

/// `--md5` and `--sha256` sign the login with the other methods the platform documents;
/// the emulator checks each.
#[test]
fn listen_logs_in_with_md5_and_sha256() {
    let mut emulate = emulate();
    for (i, flag) in ["--md5", "--sha256"].into_iter().enumerate() {
        let child = listen(
            &emulate.amqp,
            SECRET,
            &[flag, "--count", "1", "--seconds", "20"],
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
        writeln!(
            emulate.stdin,
            r#"{{"device":"lamp-1","properties":{{"Brightness":{i}}}}}"#
        )
        .unwrap();
        let ids = posted_ids(&emulate, 1);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{flag}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let line: Value =
            serde_json::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap();
        assert_eq!(line["message_id"], ids[0].as_str(), "{flag}");
    }
}

#[test]
fn listen_with_a_wrong_secret_is_refused_without_printing_it() {
    let emulate = emulate();
    let wrong = "wrong-secret-do-not-print";
    let out = listen(&emulate.amqp, wrong, &["--seconds", "10"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("refused the login"), "{stderr}");
    assert!(stderr.contains("authId=emulator-id"), "{stderr}");
    assert!(
        !stderr.contains(wrong) && !stderr.contains(SECRET),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn emulate_reports_at_a_rate_with_report_every() {
    let emulate = emulate_with(&["--report-every", "50"]);
    let out = listen(&emulate.amqp, SECRET, &["--count", "3", "--seconds", "20"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for line in &lines {
        assert_eq!(line["kind"], "property_post", "{line}");
        assert!(line["items"]["Brightness"]["value"].is_number(), "{line}");
    }
}
