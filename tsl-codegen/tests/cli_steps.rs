//! `--step-check` on the dynamic path, the binary run as a process against
//! `tsl-codegen emulate` on 127.0.0.1: a value off its model's step (the street lamp's
//! `Blink` takes an `Interval` from 0.2 to 5, step 0.1) is sent with a warning by default,
//! refused before sending under `strict`, and the emulator answers it as its own
//! `--step-check` says (docs/checks.md).

mod ops_support;

use std::process::Output;

use ops_support::EmulateProcess;
use serde_json::Value;

/// `tsl-codegen emulate` of the street lamp with device `lamp-1`, and `extra` flags.
fn emulate(extra: &[&str]) -> EmulateProcess {
    let mut args = vec![
        "--model",
        "examples/models/street-lamp.json",
        "--device",
        "lamp-1",
        "--quiet",
        "--seconds",
        "60",
    ];
    args.extend_from_slice(extra);
    EmulateProcess::start(&args)
}

/// `invoke` of `Blink` on `lamp-1` with `args`, and any `extra` flags.
fn blink(emulate: &EmulateProcess, args: &str, extra: &[&str]) -> Output {
    let mut command = vec![
        "invoke",
        "--model",
        "examples/models/street-lamp.json",
        "--service",
        "Blink",
        "--device",
        "lamp-1",
        "--args",
        args,
    ];
    command.extend_from_slice(extra);
    emulate.cli(&command)
}

fn status(output: &Output) -> String {
    let line = String::from_utf8_lossy(&output.stdout);
    let line: Value = serde_json::from_str(line.trim()).unwrap_or_else(|e| panic!("{e}: {line}"));
    line["status"].as_str().unwrap_or_default().to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const OFF_STEP: &str = r#"{"Times":2,"Interval":0.25}"#;

#[test]
fn an_off_step_value_is_sent_with_a_warning_by_default() {
    let emulate = emulate(&[]);
    let sent = blink(&emulate, OFF_STEP, &[]);
    assert!(sent.status.success(), "{}", stderr(&sent));
    assert_eq!(status(&sent), "accepted");
    let warning = stderr(&sent);
    assert!(
        warning.contains(
            "warning: --args `Interval`: 0.25 is not 0.2 plus a multiple of the step 0.1"
        ) && warning.contains("--step-check strict"),
        "{warning}"
    );
    // -q: the same call, no warning.
    let quiet = blink(&emulate, OFF_STEP, &["-q"]);
    assert_eq!(status(&quiet), "accepted");
    assert!(!stderr(&quiet).contains("warning"), "{}", stderr(&quiet));
    // A value on its step: nothing to say.
    let fits = blink(&emulate, r#"{"Times":2,"Interval":0.3}"#, &[]);
    assert_eq!(status(&fits), "accepted");
    assert!(stderr(&fits).is_empty(), "{}", stderr(&fits));
}

#[test]
fn strict_refuses_before_sending_and_a_strict_emulator_refuses_what_is_sent() {
    let emulate = emulate(&["--step-check", "strict"]);
    let refused = blink(&emulate, OFF_STEP, &["--step-check", "strict"]);
    assert!(!refused.status.success());
    assert!(refused.stdout.is_empty(), "nothing sent, no line");
    let message = stderr(&refused);
    assert!(
        message.contains("nothing was sent") && message.contains("multiple of the step 0.1"),
        "{message}"
    );
    // Sent anyway (`off`), the emulator playing a strict platform refuses it.
    let sent = blink(&emulate, OFF_STEP, &["--step-check", "off"]);
    assert_eq!(
        status(&sent),
        "refused",
        "{}",
        String::from_utf8_lossy(&sent.stdout)
    );
    let line = String::from_utf8_lossy(&sent.stdout);
    assert!(
        line.contains("iot.check.InvalidFormattedParameter") && line.contains("step 0.1"),
        "{line}"
    );
    assert!(!stderr(&sent).contains("warning"), "off says nothing");
}
