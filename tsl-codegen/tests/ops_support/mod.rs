//! What the tests of the operations commands share: the bundled lamp model, an emulator
//! serving it on 127.0.0.1, and the `tsl-codegen` binary run as a user runs it, with every
//! output checked for the AccessKey secret. Each test file uses a part of it.
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tsl_runtime::emulator::{self, Emulator, RunningEmulator};
use tsl_runtime::model::Model;

pub const PK: &str = "a1StreetLmp";
pub const ID: &str = "testid";
/// Distinctive enough that finding it anywhere in the output can only mean it leaked.
pub const SECRET: &str = "Sup3r-S3cret-4b7e19-never-printed";
pub const LAMP: &str = "examples/models/street-lamp.json";

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn lamp_model() -> Model {
    Model::load(root().join(LAMP))
        .expect("the bundled model loads")
        .model
}

/// An emulator serving the street lamp with these devices.
pub fn emulator<'a>(devices: impl IntoIterator<Item = &'a str>) -> RunningEmulator {
    let mut builder = Emulator::new().model(lamp_model()).credentials(ID, SECRET);
    for name in devices {
        builder = builder.device(emulator::Device::new(PK, name));
    }
    builder.start().expect("the emulator starts on 127.0.0.1")
}

pub fn lamps(count: usize) -> Vec<String> {
    (0..count).map(|n| format!("lamp-{n:03}")).collect()
}

/// A scratch directory of this test, emptied first.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("tsl-cli-ops-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

/// Runs the binary with the emulator's endpoint and the test's credentials in the
/// environment (and nothing else of Alibaba's from the parent), with `secret` as the key's
/// secret, and checks that no output holds it.
pub fn run_with(endpoint: &str, secret: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    run_with_env(endpoint, secret, &[], args, stdin)
}

/// [`run_with`] with more variables in the environment.
pub fn run_with_env(
    endpoint: &str,
    secret: &str,
    env: &[(&str, &str)],
    args: &[&str],
    stdin: Option<&[u8]>,
) -> Output {
    let mut command = command(endpoint, secret, env, args);
    command.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    let mut child = command.spawn().expect("the tsl-codegen binary runs");
    if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
        pipe.write_all(bytes).expect("stdin is written");
    }
    let output = child.wait_with_output().expect("the binary ends");
    assert_clean(&output, secret, env);
    output
}

/// The binary with `args`, run from the repository's root, with the emulator's endpoint and
/// the test's credentials in the environment (and nothing else of Alibaba's from the
/// parent); stdout and stderr piped.
pub fn command(endpoint: &str, secret: &str, env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"));
    command.args(args).current_dir(root());
    for (name, _) in std::env::vars() {
        if name.starts_with("ALIBABA_CLOUD_") || name.starts_with("ALIYUN_") {
            command.env_remove(name);
        }
    }
    command
        .env("ALIBABA_CLOUD_ACCESS_KEY_ID", ID)
        .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", secret)
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
        .env("ALIBABA_CLOUD_IOT_ENDPOINT", endpoint)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

/// Neither stream holds the secret (or an STS token of `env`), nor a panic.
pub fn assert_clean(output: &Output, secret: &str, env: &[(&str, &str)]) {
    for (stream, bytes) in [("stdout", &output.stdout), ("stderr", &output.stderr)] {
        let text = String::from_utf8_lossy(bytes);
        assert!(
            !text.contains(secret) && !text.contains(SECRET),
            "the secret appears in {stream}:\n{text}"
        );
        for (name, value) in env {
            assert!(
                !name.ends_with("SECURITY_TOKEN") || !text.contains(value),
                "the STS token appears in {stream}:\n{text}"
            );
        }
        assert!(!text.contains("panicked"), "{stream}:\n{text}");
    }
}

pub fn run(emulator: &RunningEmulator, args: &[&str]) -> Output {
    run_with(&emulator.endpoint(), SECRET, args, None)
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn lines(output: &Output) -> Vec<Value> {
    stdout(output)
        .lines()
        .map(|line| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"))
        })
        .collect()
}

pub fn assert_exit(output: &Output, code: i32) {
    assert_eq!(
        output.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(output),
        stderr(output)
    );
}

/// The request ids the emulator answered with, in order.
pub fn request_ids(emulator: &RunningEmulator) -> Vec<String> {
    emulator
        .requests()
        .iter()
        .filter_map(|r| match &r.outcome {
            emulator::Outcome::Answered { request_id, .. } => Some(request_id.clone()),
            emulator::Outcome::Dropped { .. } => None,
        })
        .collect()
}

/// POSTs a URL the CLI printed, as curl would, and returns the answer.
pub fn post(url: &str) -> String {
    let rest = url.strip_prefix("http://").expect("an http URL");
    let (host, path) = rest.split_once('/').expect("a path");
    assert!(host.starts_with("127.0.0.1:"), "only 127.0.0.1: {host}");
    let mut stream = TcpStream::connect(host).expect("the emulator accepts connections");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(
        stream,
        "POST /{path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("an answer");
    answer
}

/// `tsl-codegen emulate ARGS` run as a process on 127.0.0.1 with its own default
/// credentials (no AccessKey from the parent's environment), its stdin piped and its
/// stdout read line by line; killed when dropped.
pub struct EmulateProcess {
    child: Child,
    /// The emulator's stdin (`--post-stdin` reads state lines from it).
    pub stdin: ChildStdin,
    /// The endpoint its first line printed.
    pub endpoint: String,
    /// Its stdout's lines after the first.
    pub lines: mpsc::Receiver<String>,
}

/// The AccessKey `emulate` accepts when none is given to it.
pub const EMULATE_ID: &str = "emulator-id";
pub const EMULATE_SECRET: &str = "emulator-secret";

impl Drop for EmulateProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl EmulateProcess {
    /// Starts it and waits (at most 10 s) for the line naming its endpoint.
    pub fn start(args: &[&str]) -> EmulateProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"))
            .arg("emulate")
            .args(args)
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
            .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
            .current_dir(root())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the binary starts");
        let stdin = child.stdin.take().expect("piped");
        let out = child.stdout.take().expect("piped");
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if send.send(line).is_err() {
                    break;
                }
            }
        });
        let first = lines
            .recv_timeout(Duration::from_secs(10))
            .expect("a first line");
        let endpoint = first
            .strip_prefix("emulator listening on ")
            .unwrap_or_else(|| panic!("{first}"))
            .to_string();
        EmulateProcess {
            child,
            stdin,
            endpoint,
            lines,
        }
    }

    /// Runs the binary with `args`, this emulator's endpoint and the AccessKey it accepts
    /// (and no credentials profile).
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_tsl-codegen"))
            .args(args)
            .args(["--endpoint", &self.endpoint])
            .env("ALIBABA_CLOUD_ACCESS_KEY_ID", EMULATE_ID)
            .env("ALIBABA_CLOUD_ACCESS_KEY_SECRET", EMULATE_SECRET)
            .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
            .current_dir(root())
            .output()
            .expect("the binary runs")
    }
}
