//! Batches from the command line as a user runs them against the emulator on 127.0.0.1:
//! interrupted by real signals, resumed from a journal, fed files with a BOM or impossible
//! names, and dry runs replayed byte for byte.

mod ops_support;

use std::collections::{HashMap, HashSet};
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Output};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use ops_support::*;
use serde_json::Value;
use tsl_runtime::emulator::RunningEmulator;

const SCHEDULE: &str =
    r#"{"Schedule":[{"At":60,"Brightness":40,"Enabled":true}],"ValidFrom":1700000000000}"#;

/// `invoke` of the lamp's UploadSchedule with the test's schedule, then `extra`.
fn invoke<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![
        "invoke",
        "--model",
        LAMP,
        "--service",
        "UploadSchedule",
        "--args",
        SCHEDULE,
    ];
    args.extend_from_slice(extra);
    args
}

/// `count` lamps served by an emulator, their devices file and a journal path in a scratch
/// directory of the test's own.
struct Fleet {
    names: Vec<String>,
    emulator: RunningEmulator,
    dir: std::path::PathBuf,
    file: String,
    journal: String,
}

impl Fleet {
    fn new(count: usize, test: &str) -> Fleet {
        let names = names(count);
        let emulator = emulator(names.iter().map(String::as_str));
        let dir = scratch(test);
        let file = write_devices(&dir, &names);
        let journal = dir.join("journal.jsonl").display().to_string();
        Fleet {
            names,
            emulator,
            dir,
            file,
            journal,
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn write_devices(dir: &Path, names: &[String]) -> String {
    let path = dir.join("devices.txt");
    std::fs::write(&path, names.join("\n") + "\n").expect("a devices file");
    path.display().to_string()
}

/// The device names the emulator accepted in `InvokeThingsService` calls, with how many
/// accepted calls carried each.
fn accepted_by_emulator(emulator: &RunningEmulator) -> HashMap<String, usize> {
    let mut accepted = HashMap::new();
    for request in emulator.requests() {
        if request.action.as_deref() != Some("InvokeThingsService") || request.code().is_some() {
            continue;
        }
        for (name, value) in &request.params {
            if name.starts_with("DeviceName.") {
                *accepted.entry(value.clone()).or_insert(0) += 1;
            }
        }
    }
    accepted
}

fn parse_lines(text: &str) -> Vec<Value> {
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect()
}

fn by_status<'a>(lines: &'a [Value], status: &str) -> HashSet<&'a str> {
    lines
        .iter()
        .filter(|line| line["status"] == status)
        .filter_map(|line| line["device_name"].as_str())
        .collect()
}

/// Starts `invoke` of UploadSchedule on `devices_file`, sends `signal` once `after` lines
/// are out, and returns the output.
fn interrupted_run(
    emulator: &RunningEmulator,
    devices_file: &str,
    journal: &str,
    signal: &str,
    after: usize,
) -> Output {
    let args = invoke(&["--devices-file", devices_file, "--journal", journal]);
    let mut child: Child = command(&emulator.endpoint(), SECRET, &[], &args)
        .spawn()
        .expect("the binary runs");
    // Lines are read as they come, to send the signal mid-run.
    let stdout = child.stdout.take().expect("piped stdout");
    let (lines_tx, lines_rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut lines = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while lines.len() < after && Instant::now() < deadline {
        if let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(100)) {
            lines.push(line);
        }
    }
    assert!(
        lines.len() >= after,
        "only {} lines before the deadline",
        lines.len()
    );
    let killed = std::process::Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .expect("piped stderr")
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().expect("the binary ends");
    reader.join().unwrap();
    lines.extend(lines_rx.try_iter());
    let output = Output {
        status,
        stdout: (lines.join("\n") + "\n").into_bytes(),
        stderr: stderr.into_bytes(),
    };
    assert_clean(&output, SECRET, &[]);
    output
}

/// Checks one interrupted run: every device once, accepted exactly what the emulator
/// accepted, the rest not attempted because of the signal. Returns the accepted names.
fn check_interrupted(
    output: &Output,
    emulator: &RunningEmulator,
    names: &[String],
    signal: &str,
) -> HashSet<String> {
    let lines = parse_lines(&stdout(output));
    let reported: HashSet<&str> = lines
        .iter()
        .filter_map(|l| l["device_name"].as_str())
        .collect();
    assert_eq!(
        lines.len(),
        names.len(),
        "a line per device:\n{}",
        stderr(output)
    );
    assert_eq!(reported.len(), names.len(), "no device twice");
    let accepted = by_status(&lines, "accepted");
    let on_server: HashSet<String> = accepted_by_emulator(emulator).into_keys().collect();
    let accepted: HashSet<String> = accepted.into_iter().map(str::to_string).collect();
    assert_eq!(accepted, on_server, "accepted = what the emulator accepted");
    assert!(
        !accepted.is_empty() && accepted.len() < names.len(),
        "{} accepted",
        accepted.len()
    );
    for line in &lines {
        if line["status"] == "not_attempted" {
            let reason = line["reason"].as_str().unwrap_or_default();
            assert!(
                reason.contains(&format!("interrupted ({signal})")),
                "{line}"
            );
        } else {
            assert_eq!(line["status"], "accepted", "{line}");
        }
    }
    let err = stderr(output);
    assert!(
        err.contains(&format!("{signal}: no new call is started")),
        "{err}"
    );
    assert!(err.contains("not attempted"), "{err}");
    accepted
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("lamp-{n:04}")).collect()
}

#[test]
fn sigint_reports_every_device_and_a_journal_resumes_without_invoking_twice() {
    let fleet = Fleet::new(3000, "sigint");
    let (emulator, names) = (&fleet.emulator, &fleet.names);
    let first = interrupted_run(emulator, &fleet.file, &fleet.journal, "-INT", 300);
    assert_exit(&first, 130);
    let accepted_first = check_interrupted(&first, emulator, names, "SIGINT");

    // The same command again: what was accepted comes from the journal, the rest is sent.
    let second = run(
        emulator,
        &invoke(&["--devices-file", &fleet.file, "--journal", &fleet.journal]),
    );
    assert_exit(&second, 0);
    let lines = lines(&second);
    assert_eq!(lines.len(), names.len());
    let from_journal: HashSet<String> = lines
        .iter()
        .filter(|l| l["from_journal"] == true)
        .filter_map(|l| l["device_name"].as_str().map(str::to_string))
        .collect();
    assert_eq!(
        from_journal, accepted_first,
        "the journal's devices are not called again"
    );
    assert_eq!(by_status(&lines, "accepted").len(), names.len());
    let on_server = accepted_by_emulator(emulator);
    assert_eq!(on_server.len(), names.len(), "every device accepted");
    assert!(
        on_server.values().all(|&calls| calls == 1),
        "each device accepted exactly once over both runs"
    );
    assert!(
        stderr(&second).contains("from the journal"),
        "{}",
        stderr(&second)
    );

    // A journal of another run is refused before anything is sent.
    let before = emulator.requests().len();
    let mut other = invoke(&["--devices-file", &fleet.file, "--journal", &fleet.journal]);
    other[6] = r#"{"Schedule":[],"ValidFrom":1700000000000}"#;
    let other = run(emulator, &other);
    assert_exit(&other, 2);
    assert!(
        stderr(&other).contains("written for another run"),
        "{}",
        stderr(&other)
    );
    assert_eq!(emulator.requests().len(), before);
}

#[test]
fn sigterm_reports_every_device_and_exits_143() {
    let fleet = Fleet::new(3000, "sigterm");
    let output = interrupted_run(&fleet.emulator, &fleet.file, &fleet.journal, "-TERM", 200);
    assert_exit(&output, 143);
    let accepted = check_interrupted(&output, &fleet.emulator, &fleet.names, "SIGTERM");
    // The journal holds the same lines as stdout, after its header.
    let journal_lines = parse_lines(&std::fs::read_to_string(&fleet.journal).unwrap());
    assert_eq!(journal_lines[0]["journal"], "tsl-codegen journal");
    assert_eq!(journal_lines.len(), fleet.names.len() + 1);
    let journaled: HashSet<String> = by_status(&journal_lines, "accepted")
        .into_iter()
        .map(str::to_string)
        .collect();
    assert_eq!(journaled, accepted);
}

#[test]
fn a_bom_is_dropped_and_impossible_names_are_refused_on_their_own_lines() {
    let emulator = emulator(["lamp-001", "lamp-002", "lamp-003"]);
    let dir = scratch("names");
    let long = "x".repeat(1000);
    let file = dir.join("devices.txt");
    std::fs::write(
        &file,
        format!("\u{feff}lamp-001\na b\nx/y\n{long}\nlamp-002\n# a comment\nlamp-003\nlamp-002\n"),
    )
    .unwrap();
    let file = file.display().to_string();
    let out = run(&emulator, &invoke(&["--devices-file", &file]));
    assert_exit(&out, 1);
    let lines = lines(&out);
    assert_eq!(lines.len(), 7, "a line per name given");
    assert_eq!(
        by_status(&lines, "accepted"),
        HashSet::from(["lamp-001", "lamp-002", "lamp-003"])
    );
    let refused: Vec<&Value> = lines.iter().filter(|l| l["status"] == "refused").collect();
    assert_eq!(refused.len(), 3);
    for line in refused {
        assert_eq!(line["code"], "client.InvalidDeviceName", "{line}");
    }
    let err = stderr(&out);
    for line_no in [2, 3, 4] {
        assert!(
            err.contains(&format!("{file}:{line_no}:")),
            "line {line_no} named:\n{err}"
        );
    }
    assert!(err.contains("refused before sending"), "{err}");
    let sent: Vec<String> = emulator
        .requests()
        .iter()
        .flat_map(|r| {
            r.params
                .iter()
                .filter(|(n, _)| n.starts_with("DeviceName."))
                .map(|(_, v)| v.clone())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        sent,
        ["lamp-001", "lamp-002", "lamp-003"],
        "only possible names, once, no BOM"
    );
    let duplicate = lines
        .iter()
        .find(|l| l["status"] == "not_attempted")
        .unwrap();
    assert!(duplicate["reason"].as_str().unwrap().contains("duplicate"));
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn topics_the_platform_would_misplace_are_refused_before_sending() {
    let emulator = emulator(["lamp-001"]);
    for (topic, says) in [
        ("user/get", "user/user"),
        ("../get", "'.'"),
        ("a//b", "empty field"),
    ] {
        let out = run(
            &emulator,
            &[
                "publish",
                "--product-key",
                PK,
                "--device",
                "lamp-001",
                "--topic",
                topic,
                "--message",
                "hi",
            ],
        );
        assert_exit(&out, 2);
        assert!(stderr(&out).contains(says), "{topic}: {}", stderr(&out));
    }
    assert!(emulator.requests().is_empty());
}

/// Sends a request exactly as a dry run printed it (method, URL, headers, body) and
/// returns the answer.
fn replay(line: &Value) -> String {
    let url = line["url"].as_str().expect("url");
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    assert!(host.starts_with("127.0.0.1:"), "only 127.0.0.1: {host}");
    let body = line["body"].as_str().expect("body");
    let mut request = format!(
        "{} /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {}\r\nConnection: close\r\n",
        line["method"].as_str().expect("method"),
        body.len()
    );
    for (name, value) in line["headers"].as_object().expect("headers") {
        if !name.eq_ignore_ascii_case("host") {
            request.push_str(&format!(
                "{name}: {}\r\n",
                value.as_str().unwrap_or_default()
            ));
        }
    }
    request.push_str("\r\n");
    request.push_str(body);
    let mut stream = TcpStream::connect(host).expect("the emulator accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
}

#[test]
fn a_long_request_dry_run_shows_its_body_and_replays_as_printed() {
    let emulator = emulator(["lamp-001", "lamp-002"]);
    let dir = scratch("dry-run-body");
    let message = dir.join("message.bin");
    std::fs::write(&message, vec![b'z'; 200 * 1024]).unwrap();
    let message = message.display().to_string();
    for signature in ["v1", "acs3"] {
        let args = [
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-001",
            "--device",
            "lamp-002",
            "--topic",
            "update",
            "--message-file",
            &message,
            "--signature",
            signature,
        ];
        let mut text = args.to_vec();
        text.push("--dry-run");
        let out = run(&emulator, &text);
        assert_exit(&out, 0);
        let printed = stdout(&out);
        assert!(
            printed.starts_with("POST http://127.0.0.1:"),
            "{signature}: {printed:.200}"
        );
        assert!(printed.contains("  content-type: application/x-www-form-urlencoded\n"));
        assert!(
            printed.contains("  body: "),
            "{signature}: the body is printed"
        );
        assert!(
            printed.contains("MessageContent=enp6"),
            "{signature}: base64 of zzz"
        );

        let mut json = args.to_vec();
        json.push("--dry-run=json");
        let out = run(&emulator, &json);
        assert_exit(&out, 0);
        let lines = lines(&out);
        assert_eq!(lines.len(), 1, "one call for two devices");
        let line = &lines[0];
        assert_eq!(line["action"], "BatchPub");
        assert_eq!(
            line["device_names"],
            serde_json::json!(["lamp-001", "lamp-002"])
        );
        assert!(
            line["body"].as_str().unwrap().len() > 200 * 1024,
            "the form body"
        );
        assert!(emulator.requests().is_empty(), "a dry run sends nothing");
        // The signature verifies from what was printed.
        let answer = replay(line);
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "{signature}: {answer:.400}"
        );
        assert!(
            answer.contains(r#""Success":true"#),
            "{signature}: {answer:.400}"
        );
        assert_eq!(emulator.requests().len(), 1);
        emulator.clear_requests();
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// `text` as one word of a POSIX shell command.
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[test]
fn a_progress_line_shows_on_a_terminal_and_not_in_a_pipe() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("note: `script` (util-linux) is not installed; the terminal test is skipped");
        return;
    }
    let fleet = Fleet::new(2000, "progress");
    let emulator = &fleet.emulator;
    let out_file = fleet.dir.join("out.jsonl").display().to_string();
    let args = invoke(&["--devices-file", &fleet.file]);
    // On a pseudo-terminal (stdout to a file, stderr the terminal), as a user runs it.
    let shell = std::iter::once(env!("CARGO_BIN_EXE_tsl-codegen"))
        .chain(args.iter().copied())
        .map(sh_quote)
        .collect::<Vec<_>>()
        .join(" ")
        + " > "
        + &sh_quote(&out_file);
    let terminal = std::process::Command::new("script")
        .args(["-qec", &shell, "/dev/null"])
        .current_dir(root())
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", SECRET)
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
        .env("ALIBABA_CLOUD_IOT_ENDPOINT", emulator.endpoint())
        .output()
        .expect("script runs");
    assert_clean(&terminal, SECRET, &[]);
    let screen = String::from_utf8_lossy(&terminal.stdout);
    assert!(
        screen.contains("/2000 devices"),
        "a progress line:\n{screen}"
    );
    assert!(
        screen.contains(" accepted, 0 refused, 0 unknown"),
        "{screen}"
    );
    assert_eq!(
        std::fs::read_to_string(&out_file).unwrap().lines().count(),
        2000
    );

    // The same run with stderr in a pipe: no progress line, the summary only.
    emulator.clear_requests();
    let piped = run(emulator, &args);
    assert_exit(&piped, 0);
    assert!(
        !stderr(&piped).contains("/2000 devices"),
        "{}",
        stderr(&piped)
    );
    assert!(
        stderr(&piped).contains("2000 devices: 2000 accepted"),
        "{}",
        stderr(&piped)
    );
}

#[test]
fn failures_after_the_emulator_acted_are_unknown_and_never_retried() {
    use tsl_runtime::emulator::Fault;
    let names = names(3);
    let emulator = emulator(names.iter().map(String::as_str));
    let args = invoke(&[
        "--device",
        "lamp-0000",
        "--device",
        "lamp-0001",
        "--device",
        "lamp-0002",
        // A short timeout, so that the stall ends the call quickly.
        "--timeout",
        "1.5",
    ]);
    let faults = [
        ("reset", Fault::after(Fault::Reset)),
        ("close", Fault::after(Fault::Close)),
        ("500", Fault::after(Fault::Status(500))),
        ("502", Fault::after(Fault::Status(502))),
        ("stall", Fault::after(Fault::Delay(Duration::from_secs(30)))),
        ("malformed", Fault::after(Fault::MalformedJson)),
        ("truncated", Fault::after(Fault::Truncated)),
        ("{}", Fault::after(Fault::raw(200, "{}"))),
        ("[]", Fault::after(Fault::raw(200, "[]"))),
        (
            "RequestId only",
            Fault::after(Fault::raw(200, r#"{"RequestId":"R1"}"#)),
        ),
        (
            "system error",
            Fault::after(Fault::business(
                "iot.system.SystemException",
                "A system exception occurred.",
            )),
        ),
    ];
    for (name, fault) in faults {
        emulator.clear_requests();
        emulator.inject_fault("InvokeThingsService", fault, 1);
        let out = run(&emulator, &args);
        assert_exit(&out, 1);
        let lines = lines(&out);
        assert_eq!(lines.len(), 3, "{name}");
        for line in &lines {
            assert_eq!(line["status"], "unknown", "{name}: {line}");
            assert!(
                line["reason"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("may have acted"),
                "{name}: {line}"
            );
        }
        let requests = emulator.requests();
        assert_eq!(requests.len(), 1, "{name}: acted once, never sent again");
        assert!(
            requests[0].acted,
            "{name}: the emulator acted before failing"
        );
        let err = stderr(&out);
        assert!(err.contains("3 unknown"), "{name}: {err}");
        assert!(!err.contains("refused by the platform"), "{name}: {err}");
        assert!(err.contains("may have"), "{name}: {err}");
    }
}
