//! The operations commands (`invoke`, `set`, `publish`, `fetch`) run as a user runs them,
//! against the runtime's emulator on 127.0.0.1, started in this test process. Every run's
//! stdout and stderr is checked for the AccessKey secret.

use std::process::Command;

use serde_json::Value;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use tsl_runtime::alink::{DeviceError, Reply, Request, Responder};
use tsl_runtime::emulator::{self, Emulator, Fault, MessageKind};
use tsl_runtime::model::Model;

mod ops_support;
use ops_support::*;

#[test]
fn invoke_one_device_prints_the_sync_reply_and_sends_floats_with_a_point() {
    let emulator = emulator(["lamp-1"]);
    let out = run(
        &emulator,
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--service",
            "Blink",
            "--args",
            r#"{"Times":3,"Interval":1}"#,
            "--qos",
            "1",
        ],
    );
    assert_exit(&out, 0);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.action.as_deref(), Some("InvokeThingService"));
    assert_eq!(request.param("Args"), Some(r#"{"Times":3,"Interval":1.0}"#));
    assert_eq!(request.param("ProductKey"), Some(PK));
    assert_eq!(request.param("DeviceName"), Some("lamp-1"));
    assert_eq!(request.param("Qos"), Some("1"));
    assert_eq!(request.code(), None, "accepted");

    let lines = lines(&out);
    assert_eq!(lines.len(), 1, "{}", stdout(&out));
    let line = &lines[0];
    assert_eq!(line["product_key"], PK);
    assert_eq!(line["device_name"], "lamp-1");
    assert_eq!(line["status"], "accepted");
    assert_eq!(line["request_id"], request_ids(&emulator)[0].as_str());
    assert_eq!(line["reply"]["code"], 200);
    assert!(line["reply"]["data"].is_object(), "{line}");
    let raw: Value = serde_json::from_str(line["raw"].as_str().expect("raw is text")).unwrap();
    assert_eq!(raw["code"], 200);
    assert!(line["message_id"].is_string(), "{line}");

    // The same call signed with ACS3 is accepted too.
    let out = run(
        &emulator,
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--service",
            "Blink",
            "--args",
            r#"{"Times":1,"Interval":0.5}"#,
            "--signature",
            "acs3",
        ],
    );
    assert_exit(&out, 0);
    assert_eq!(emulator.requests().len(), 2);
    assert!(emulator.requests()[1].header("authorization").is_some());
}

#[test]
fn invoke_many_devices_goes_100_names_a_call_with_a_line_per_device() {
    let names = lamps(250);
    let emulator = emulator(names.iter().map(String::as_str));
    let dir = scratch("invoke-many");
    let file = dir.join("devices.txt");
    // 200 names in the file (with a comment and a blank line), 50 on the command line.
    let mut listing = String::from("# the fleet\n\n");
    for name in &names[50..] {
        listing.push_str(name);
        listing.push('\n');
    }
    std::fs::write(&file, listing).unwrap();
    let mut args: Vec<&str> = vec![
        "invoke",
        "--model",
        LAMP,
        "--service",
        "UploadSchedule",
        "--args",
        r#"{"Schedule":[{"At":60,"Brightness":40,"Enabled":true}],"ValidFrom":1700000000000}"#,
    ];
    for name in &names[..50] {
        args.extend(["--device", name.as_str()]);
    }
    let file_arg = file.display().to_string();
    args.extend(["--devices-file", file_arg.as_str()]);
    let out = run(&emulator, &args);
    assert_exit(&out, 0);

    let requests = emulator.requests();
    assert_eq!(requests.len(), 3, "250 devices are 3 calls");
    let mut sent = Vec::new();
    for request in &requests {
        assert_eq!(request.action.as_deref(), Some("InvokeThingsService"));
        assert_eq!(request.code(), None, "accepted");
        assert_eq!(
            request.param("Args"),
            Some(
                r#"{"Schedule":[{"At":60,"Brightness":40,"Enabled":1}],"ValidFrom":"1700000000000"}"#
            )
        );
        let in_call: Vec<&str> = request
            .params
            .iter()
            .filter(|(name, _)| name.starts_with("DeviceName."))
            .map(|(_, value)| value.as_str())
            .collect();
        assert!(in_call.len() <= 100);
        sent.extend(in_call.into_iter().map(str::to_string));
    }
    sent.sort();
    assert_eq!(sent, names, "every device in exactly one call");

    let lines = lines(&out);
    assert_eq!(lines.len(), 250);
    let ids = request_ids(&emulator);
    // Lines come as calls end: each device exactly once, in any order of the calls.
    let mut reported: Vec<&str> = lines
        .iter()
        .filter_map(|l| l["device_name"].as_str())
        .collect();
    reported.sort_unstable();
    assert_eq!(reported, names, "every device exactly once");
    for line in &lines {
        assert_eq!(line["status"], "accepted");
        assert!(
            ids.iter().any(|id| line["request_id"] == id.as_str()),
            "{line}"
        );
    }
    assert!(
        stderr(&out).contains("250 devices: 250 accepted, 0 refused, 0 unknown, 0 not attempted"),
        "{}",
        stderr(&out)
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn arguments_that_break_the_model_are_refused_before_any_request() {
    let emulator = emulator(["lamp-1", "lamp-2"]);
    let cases: [(&[&str], &str); 6] = [
        (
            &[
                "--device",
                "lamp-1",
                "--service",
                "Blink",
                "--args",
                r#"{"Times":30,"Interval":0.25}"#,
            ],
            "`Times`: 30 is above the max 20",
        ),
        (
            &[
                "--device",
                "lamp-1",
                "--service",
                "Blink",
                "--args",
                r#"{"Tims":3}"#,
            ],
            "Tims",
        ),
        (
            &["--device", "lamp-1", "--service", "Blnk"],
            "no service `Blnk`",
        ),
        (
            &[
                "--device",
                "lamp-1",
                "--device",
                "lamp-2",
                "--service",
                "Blink",
                "--args",
                r#"{"Times":3}"#,
            ],
            "InvokeThingsService calls async services only",
        ),
        (
            &["--device", "lamp-1", "--service", "Blink", "--args", "{"],
            "--args is not JSON",
        ),
        (
            &[
                "--device",
                "lamp-1",
                "--service",
                "Blink",
                "--args",
                r#"{"Times":3,"Interval":1.0,"Times":5}"#,
            ],
            "--args gives key `Times` twice",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["invoke", "--model", LAMP];
        args.extend_from_slice(extra);
        let out = run(&emulator, &args);
        assert_exit(&out, 2);
        assert!(
            stderr(&out).contains(expected),
            "{expected}:\n{}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    }
    // Every problem at once: under `--step-check strict` the value off its step is one of
    // them; under the default `warn` it is not an error (docs/checks.md), only the range is.
    let both = r#"{"Times":30,"Interval":0.25}"#;
    let blink = [
        "invoke",
        "--model",
        LAMP,
        "--device",
        "lamp-1",
        "--service",
        "Blink",
    ];
    let strict = run(
        &emulator,
        &[&blink[..], &["--args", both, "--step-check", "strict"]].concat(),
    );
    assert_exit(&strict, 2);
    assert!(
        stderr(&strict).contains("`Times`: 30 is above the max 20")
            && stderr(&strict).contains("`Interval`: 0.25"),
        "{}",
        stderr(&strict)
    );
    let warn = run(&emulator, &[&blink[..], &["--args", both]].concat());
    assert_exit(&warn, 2);
    assert!(
        stderr(&warn).contains("`Times`: 30 is above the max 20")
            && !stderr(&warn).contains("`Interval`"),
        "{}",
        stderr(&warn)
    );
    assert!(emulator.requests().is_empty(), "nothing was sent");
}

#[test]
fn dry_run_prints_signed_urls_and_sends_nothing() {
    let names = lamps(250);
    let emulator = emulator(names.iter().map(String::as_str));
    let out = run(
        &emulator,
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-001",
            "--service",
            "Blink",
            "--args",
            r#"{"Times":3,"Interval":1}"#,
            "--dry-run",
        ],
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    let printed: Vec<&str> = text.lines().collect();
    assert_eq!(printed.len(), 1, "{text}");
    let url = printed[0].strip_prefix("POST ").expect("method first");
    assert!(
        url.starts_with(&format!("{}?", emulator.endpoint())),
        "{url}"
    );
    for part in [
        "Action=InvokeThingService",
        "AccessKeyId=testid",
        "Signature=",
        "SignatureNonce=",
        "DeviceName=lamp-001",
        "Args=%7B%22Times%22%3A3%2C%22Interval%22%3A1.0%7D",
    ] {
        assert!(url.contains(part), "{part} in {url}");
    }
    assert!(stderr(&out).contains("nothing sent"), "{}", stderr(&out));
    assert!(emulator.requests().is_empty(), "a dry run sends nothing");

    // The printed request is the real one: sent as printed, the emulator accepts it.
    let answer = post(url);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains(r#""Success":true"#), "{answer}");
    assert_eq!(emulator.requests().len(), 1);
    emulator.clear_requests();

    let mut args = vec![
        "invoke",
        "--model",
        LAMP,
        "--service",
        "UploadSchedule",
        "--dry-run",
    ];
    for name in &names {
        args.extend(["--device", name.as_str()]);
    }
    let out = run(&emulator, &args);
    assert_exit(&out, 0);
    let text = stdout(&out);
    let printed: Vec<&str> = text.lines().collect();
    assert_eq!(printed.len(), 3, "one line per call:\n{text}");
    for line in &printed {
        assert!(line.starts_with("POST http://127.0.0.1:"), "{line}");
        assert!(line.contains("Action=InvokeThingsService"), "{line}");
        assert!(line.contains("DeviceName.1="), "{line}");
    }
    assert!(printed[0].contains("DeviceName.100=lamp-099"));
    assert!(!printed[2].contains("DeviceName.51="));
    assert!(emulator.requests().is_empty(), "a dry run sends nothing");
}

#[test]
fn set_checks_properties_against_the_model() {
    let emulator = emulator(["lamp-1", "lamp-2"]);
    let out = run(
        &emulator,
        &[
            "set",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--props",
            r#"{"Brightness":40,"Voltage":230,"Colour":1}"#,
        ],
    );
    assert_exit(&out, 2);
    let err = stderr(&out);
    assert!(err.contains("`Voltage` is read-only"), "{err}");
    assert!(err.contains("`Colour` is not a property"), "{err}");
    assert!(
        err.contains("writable properties: LightSwitch, Brightness"),
        "{err}"
    );
    assert!(emulator.requests().is_empty(), "nothing was sent");

    let out = run(
        &emulator,
        &[
            "set",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--props",
            r#"{"LightSwitch":true,"Brightness":40}"#,
        ],
    );
    assert_exit(&out, 0);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].action.as_deref(), Some("SetDeviceProperty"));
    assert_eq!(
        requests[0].param("Items"),
        Some(r#"{"LightSwitch":1,"Brightness":40}"#)
    );
    let line = &lines(&out)[0];
    assert_eq!(line["status"], "accepted");
    assert_eq!(line["request_id"], request_ids(&emulator)[0].as_str());

    let out = run(
        &emulator,
        &[
            "set",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--device",
            "lamp-2",
            "--props",
            r#"{"WorkMode":"timer"}"#,
        ],
    );
    assert_exit(&out, 0);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].action.as_deref(), Some("SetDevicesProperty"));
    assert_eq!(requests[1].param("Items"), Some(r#"{"WorkMode":1}"#));
    assert_eq!(lines(&out).len(), 2);
}

#[test]
fn publish_sends_the_message_to_every_device() {
    let emulator = emulator(["lamp-1", "lamp-2", "lamp-3"]);
    let out = run(
        &emulator,
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-1",
            "--device",
            "lamp-2",
            "--device",
            "lamp-3",
            "--topic",
            "cmd/reboot",
            "--message",
            "reboot at 03:00",
            "--qos",
            "1",
        ],
    );
    assert_exit(&out, 0);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].action.as_deref(), Some("BatchPub"));
    assert_eq!(requests[0].param("TopicShortName"), Some("cmd/reboot"));
    let messages = emulator.messages();
    assert_eq!(messages.len(), 3);
    for (message, name) in messages.iter().zip(["lamp-1", "lamp-2", "lamp-3"]) {
        match &message.kind {
            MessageKind::Publish {
                topic,
                payload,
                qos,
            } => {
                assert_eq!(topic, &format!("/{PK}/{name}/user/cmd/reboot"));
                assert_eq!(payload, b"reboot at 03:00");
                assert_eq!(*qos, 1);
            }
            other => panic!("{other:?}"),
        }
    }
    let lines = lines(&out);
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|line| line["status"] == "accepted"));

    // Any bytes, from stdin.
    emulator.clear_messages();
    let bytes: &[u8] = &[0, 159, 146, 150, 255, b'\n'];
    let out = run_with(
        &emulator.endpoint(),
        SECRET,
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-2",
            "--topic",
            "raw",
            "--message-file",
            "-",
        ],
        Some(bytes),
    );
    assert_exit(&out, 0);
    match &emulator.messages()[0].kind {
        MessageKind::Publish { payload, .. } => assert_eq!(payload, bytes),
        other => panic!("{other:?}"),
    }

    // Limits are checked before sending.
    emulator.clear_requests();
    let out = run(
        &emulator,
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-1",
            "--topic",
            "/abs",
            "--message",
            "x",
        ],
    );
    assert_exit(&out, 2);
    let out = run(
        &emulator,
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-1",
            "--topic",
            "t",
        ],
    );
    assert_exit(&out, 2);
    assert!(emulator.requests().is_empty());
}

#[test]
fn fetch_writes_a_model_that_round_trips_in_both_formats() {
    let emulator = emulator(["lamp-1"]);
    let original = lamp_model();
    let identifiers = |model: &Model| {
        let mut ids: Vec<String> = model
            .properties()
            .map(|(_, p)| format!("p:{}:{:?}", p.wire_identifier, p.access))
            .chain(
                model
                    .services()
                    .map(|(_, s)| format!("s:{}:{:?}", s.wire_identifier, s.call_type)),
            )
            .chain(
                model
                    .events()
                    .map(|(_, e)| format!("e:{}", e.wire_identifier)),
            )
            .collect();
        ids.sort();
        ids
    };
    let dir = scratch("fetch");
    for (format, action) in [
        ("tsl", "GetThingModelTsl"),
        ("thing-model-json", "QueryThingModel"),
    ] {
        let file = dir.join(format!("lamp-{format}.json"));
        let file_arg = file.display().to_string();
        let out = run(
            &emulator,
            &[
                "fetch",
                "--product-key",
                PK,
                "--format",
                format,
                "-o",
                file_arg.as_str(),
            ],
        );
        assert_exit(&out, 0);
        assert!(
            stderr(&out).contains("11 properties, 3 events, 5 services"),
            "{}",
            stderr(&out)
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let fetched = Model::parse(&text, &file_arg)
            .expect("the fetched model parses")
            .model;
        assert_eq!(identifiers(&fetched), identifiers(&original), "{format}");
        assert_eq!(fetched.product_key.as_deref(), Some(PK));
        assert_eq!(
            emulator
                .requests()
                .last()
                .and_then(|r| r.action.clone())
                .as_deref(),
            Some(action)
        );
        // `check` and `generate` accept what was written.
        let check = run(&emulator, &["check", file_arg.as_str()]);
        assert_exit(&check, 0);
        let generate = run(&emulator, &["generate", file_arg.as_str()]);
        assert_exit(&generate, 0);
        assert!(stdout(&generate).contains("pub struct BlinkInput"));

        // Without -o, the model goes to stdout.
        let out = run(
            &emulator,
            &["fetch", "--product-key", PK, "--format", format],
        );
        assert_exit(&out, 0);
        let fetched = Model::parse(&stdout(&out), "stdout")
            .expect("stdout parses")
            .model;
        assert_eq!(identifiers(&fetched), identifiers(&original), "{format}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn platform_errors_print_code_message_and_request_id_and_exit_1() {
    let emulator = emulator(["lamp-1"]);
    let out = run(
        &emulator,
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-404",
            "--service",
            "Diagnose",
        ],
    );
    assert_exit(&out, 1);
    let request_id = request_ids(&emulator).pop().expect("one request");
    let err = stderr(&out);
    assert!(err.contains("code: iot.device.NotExistedDevice"), "{err}");
    assert!(err.contains("message: The device `lamp-404`"), "{err}");
    assert!(err.contains(&format!("request id: {request_id}")), "{err}");
    let line = &lines(&out)[0];
    assert_eq!(line["status"], "refused");
    assert_eq!(line["code"], "iot.device.NotExistedDevice");
    assert_eq!(line["request_id"], request_id.as_str());

    // A server error injected on the next call: InvokeThingService may have reached the
    // device, so it is not retried, and its outcome is unknown, not refused.
    emulator.inject_fault("InvokeThingService", Fault::Status(500), 1);
    let out = run(
        &emulator,
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--service",
            "Blink",
            "--args",
            r#"{"Times":1,"Interval":1}"#,
        ],
    );
    assert_exit(&out, 1);
    let request_id = request_ids(&emulator).pop().expect("the faulty answer");
    let err = stderr(&out);
    assert!(err.contains("InvokeThingService: outcome unknown"), "{err}");
    assert!(!err.contains("refused"), "{err}");
    assert!(err.contains("InternalError"), "{err}");
    assert!(err.contains(&format!("request id: {request_id}")), "{err}");
    assert_eq!(lines(&out)[0]["status"], "unknown");
    assert_eq!(lines(&out)[0]["request_id"], request_id.as_str());
    let invokes = emulator
        .requests()
        .iter()
        .filter(|r| r.action.as_deref() == Some("InvokeThingService"))
        .count();
    assert_eq!(invokes, 2, "not retried");

    // A read is retried (4 tries by default); when every try fails, the last answer shows.
    let before = emulator.requests().len();
    emulator.inject_fault("GetThingModelTsl", Fault::Status(500), 4);
    let out = run(&emulator, &["fetch", "--product-key", PK]);
    assert_exit(&out, 1);
    assert_eq!(emulator.requests().len(), before + 4, "retried, bounded");
    let request_id = request_ids(&emulator).pop().expect("the last answer");
    let err = stderr(&out);
    assert!(err.contains("GetThingModelTsl was refused"), "{err}");
    assert!(err.contains(&format!("request id: {request_id}")), "{err}");
    assert!(stdout(&out).is_empty(), "no model written");

    // In a batch: the report says which devices, stderr the first refusal.
    let out = run(
        &emulator,
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-1",
            "--device",
            "ghost",
            "--topic",
            "t",
            "--message",
            "m",
        ],
    );
    assert_exit(&out, 1);
    let lines = lines(&out);
    assert_eq!(lines.len(), 2);
    assert!(
        lines.iter().all(|line| line["status"] == "refused"),
        "{lines:?}"
    );
    assert!(stderr(&out).contains("code: iot.device.NotExistedDevice"));
}

#[test]
fn a_wrong_secret_is_refused_and_never_printed() {
    let emulator = emulator(["lamp-1"]);
    let wrong = "Wr0ng-S3cret-d41d8cd98f00";
    for args in [
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--service",
            "Diagnose",
        ][..],
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-1",
            "--topic",
            "t",
            "--message",
            "m",
        ],
        &["fetch", "--product-key", PK, "--format", "thing-model-json"],
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--service",
            "Diagnose",
            "--dry-run",
        ],
    ] {
        let out = run_with(&emulator.endpoint(), wrong, args, None);
        if args.contains(&"--dry-run") {
            assert_exit(&out, 0);
            continue;
        }
        assert_exit(&out, 1);
        let err = stderr(&out);
        assert!(err.contains("code: SignatureDoesNotMatch"), "{err}");
        assert!(err.contains("request id: "), "{err}");
    }
}

#[test]
fn configuration_problems_are_usage_errors_before_any_request() {
    let emulator = emulator(["lamp-1"]);
    let out = run(
        &emulator,
        &[
            "fetch",
            "--product-key",
            PK,
            "--endpoint",
            "http://iot.example.com/",
        ],
    );
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("plain http is accepted only for 127.0.0.1"),
        "{}",
        stderr(&out)
    );

    let mut command = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"));
    for (name, _) in std::env::vars() {
        if name.starts_with("ALIBABA_CLOUD_") || name.starts_with("ALIYUN_") {
            command.env_remove(name);
        }
    }
    let endpoint = emulator.endpoint();
    let out = command
        .current_dir(root())
        .env("ALIBABA_CLOUD_CLI_PROFILE_DISABLED", "true")
        .args([
            "fetch",
            "--product-key",
            PK,
            "--endpoint",
            endpoint.as_str(),
        ])
        .output()
        .unwrap();
    assert_exit(&out, 2);
    assert!(
        stderr(&out).contains("ALIBABA_CLOUD_ACCESS_KEY_ID"),
        "{}",
        stderr(&out)
    );

    let out = run(
        &emulator,
        &[
            "invoke",
            "--model",
            "missing.json",
            "--device",
            "d",
            "--service",
            "Blink",
        ],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("missing.json"), "{}", stderr(&out));
    let out = run(
        &emulator,
        &["invoke", "--model", LAMP, "--service", "Blink"],
    );
    assert_exit(&out, 2);
    assert!(stderr(&out).contains("no device"), "{}", stderr(&out));
    assert!(emulator.requests().is_empty());
}

/// A device whose every service fails with code 100001.
struct Jammed;

impl Responder for Jammed {
    fn respond<'a>(
        &'a self,
        request: &'a Request,
    ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
        Box::pin(
            async move { Reply::error(request.id.clone(), &DeviceError::new(100_001, "jammed")) },
        )
    }
}

#[test]
fn a_device_error_in_a_sync_reply_exits_1_with_the_reply_printed() {
    let emulator = Emulator::new()
        .model(lamp_model())
        .credentials(ID, SECRET)
        .device(emulator::Device::new(PK, "lamp-1").responder(Arc::new(Jammed)))
        .start()
        .expect("the emulator starts");
    let out = run(
        &emulator,
        &[
            "invoke",
            "--model",
            LAMP,
            "--device",
            "lamp-1",
            "--service",
            "Diagnose",
        ],
    );
    assert_exit(&out, 1);
    let line = &lines(&out)[0];
    assert_eq!(line["status"], "accepted", "the platform accepted the call");
    assert_eq!(line["reply"]["code"], 100_001);
    assert_eq!(line["reply"]["message"], "jammed");
    assert!(
        line["raw"]
            .as_str()
            .is_some_and(|raw| raw.contains("jammed")),
        "{line}"
    );
    let err = stderr(&out);
    assert!(
        err.contains("the device answered with code 100001: jammed"),
        "{err}"
    );
    assert!(err.contains(&request_ids(&emulator)[0]), "{err}");
}

#[test]
fn dry_run_hides_an_sts_token_and_the_acs3_headers_are_printed() {
    let token = "CAIS-sts-token-9c1f-not-for-printing";
    let emulator = Emulator::new()
        .model(lamp_model())
        .sts_credentials(ID, SECRET, token)
        .device(emulator::Device::new(PK, "lamp-1"))
        .start()
        .expect("the emulator starts");
    let env = [("ALIBABA_CLOUD_SECURITY_TOKEN", token)];
    let args = ["fetch", "--product-key", PK];
    // Sent for real, the token is accepted...
    let out = run_with_env(&emulator.endpoint(), SECRET, &env, &args, None);
    assert_exit(&out, 0);
    assert_eq!(emulator.requests()[0].param("SecurityToken"), Some(token));
    // ...and in a dry run it is shown as `***` (run_with_env checks every output for it).
    let out = run_with_env(
        &emulator.endpoint(),
        SECRET,
        &env,
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-1",
            "--topic",
            "t",
            "--message",
            "m",
            "--dry-run",
        ],
        None,
    );
    assert_exit(&out, 0);
    assert!(
        stdout(&out).contains("SecurityToken=***"),
        "{}",
        stdout(&out)
    );
    let out = run_with_env(
        &emulator.endpoint(),
        SECRET,
        &env,
        &[
            "publish",
            "--product-key",
            PK,
            "--device",
            "lamp-1",
            "--topic",
            "t",
            "--message",
            "m",
            "--dry-run",
            "--signature",
            "acs3",
        ],
        None,
    );
    assert_exit(&out, 0);
    let text = stdout(&out);
    assert!(text.starts_with("POST http://127.0.0.1:"), "{text}");
    assert!(
        text.contains("\n  authorization: ACS3-HMAC-SHA256 Credential=testid,"),
        "{text}"
    );
    assert!(text.contains("\n  x-acs-security-token: ***"), "{text}");
    assert_eq!(emulator.requests().len(), 1, "dry runs send nothing");
}
