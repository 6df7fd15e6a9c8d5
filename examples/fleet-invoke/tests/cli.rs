//! `fleet-invoke` as an operator runs it, against the local emulator it starts when no
//! endpoint or region is configured.

use std::path::PathBuf;
use std::process::{Command, Output};

fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fleet-invoke-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fleet-invoke"))
        .args(args)
        .env_remove("ALIBABA_CLOUD_IOT_ENDPOINT")
        .env_remove("ALIBABA_CLOUD_REGION_ID")
        .output()
        .expect("fleet-invoke runs")
}

#[test]
fn every_device_of_the_file_gets_a_report_line() {
    let dir = scratch("report");
    let devices = dir.join("lamps.txt");
    std::fs::write(&devices, "# two lamps\nnorth-1\n\nsouth-2\n").unwrap();
    let report = dir.join("report.jsonl");
    let out = run(&[
        "--devices",
        devices.to_str().unwrap(),
        "--on",
        "19:15",
        "--brightness",
        "60",
        "--valid-from",
        "1767225600000",
        "--report",
        report.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("2 device(s): 2 accepted"), "{stderr}");
    let lines: Vec<String> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    for (line, name) in lines.iter().zip(["north-1", "south-2"]) {
        assert!(
            line.starts_with(&format!(
                "{{\"product_key\":\"a1StreetLmp\",\"device_name\":\"{name}\",\"status\":\"accepted\""
            )),
            "{line}"
        );
    }
}

#[test]
fn arguments_outside_the_model_send_nothing() {
    let out = run(&["--brightness", "120"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("nothing was sent"), "{stderr}");
    assert!(
        stderr.contains("`Schedule[0].Brightness`: 120 is above the max 100"),
        "{stderr}"
    );
}

#[test]
fn an_unreadable_devices_file_is_a_usage_error() {
    let dir = scratch("missing");
    let out = run(&["--devices", dir.join("none.txt").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read the devices file"));
}
