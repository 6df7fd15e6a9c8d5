//! The `tsl-codegen` command line, run as a user runs it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsl-codegen"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("the tsl-codegen binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn check_accepts_the_bundled_model_and_summarises_it() {
    let out = run(&["check", "examples/models/street-lamp.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "ok: product a1StreetLmp: 1 module, 11 properties, 3 events, 5 services (0 warnings)"
    );
}

#[test]
fn check_reads_the_modules_of_one_product_together() {
    let out = run(&[
        "check",
        "examples/models/street-lamp.json",
        "examples/models/street-lamp-battery.json",
        "examples/models/street-lamp-sensor-query-thing-model.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("3 modules, 16 properties, 6 events, 9 services"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn check_reports_every_problem_with_file_line_column_and_path() {
    let out = run(&["check", "tests/fixtures/broken-lamp.json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    for expected in [
        "tests/fixtures/broken-lamp.json:9:45: error: min 100 is greater than max 0 (at /properties/0/dataType/specs)",
        "error: `accessMode` is `read`",
        "unknown data type `string` (at /properties/2/dataType/type)",
        "hint: TSL's string type is `text`",
        "property `Brightness` is defined twice (first at /properties/0) (at /properties/3/identifier)",
        "bool specs must have the keys \"0\" and \"1\"",
        "`step` is the JSON number 1",
        "warning: `max` 1.7976931348623157E308 is a placeholder",
        "error: model is invalid: 6 errors",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn check_quiet_prints_only_errors() {
    let out = run(&["check", "-q", "tests/fixtures/broken-lamp.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(!text(&out.stderr).contains("warning:"));
    let ok = run(&["check", "-q", "examples/models/street-lamp.json"]);
    assert!(ok.status.success());
    assert!(ok.stdout.is_empty());
}

#[test]
fn check_refuses_missing_files_and_non_json_without_panicking() {
    let out = run(&["check", "no/such/model.json"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("no/such/model.json: error: cannot read the model"),
        "{err}"
    );

    let dir = std::env::temp_dir().join(format!("tsl-codegen-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("trailing-comma.json");
    std::fs::write(&bad, "{\n  \"properties\": [],\n}\n").unwrap();
    let out = run(&["check", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(
        err.contains("trailing-comma.json:3:1: error: invalid JSON"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn check_without_models_is_a_usage_error() {
    let out = run(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("MODEL"));
}

#[test]
fn check_refuses_the_look_alikes() {
    let Some(dir) = shared("lookalikes") else {
        return;
    };
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let out = run(&["check", path.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(1), "{}", path.display());
        assert!(
            text(&out.stderr).contains("this looks like"),
            "{}",
            text(&out.stderr)
        );
        seen += 1;
    }
    assert_eq!(seen, 4);
}

#[test]
fn check_accepts_every_real_model() {
    let Some(dir) = shared("real") else {
        return;
    };
    let mut models: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    models.sort();
    assert_eq!(models.len(), 31);
    for path in models {
        let out = run(&["check", "-q", path.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            text(&out.stderr)
        );
    }
}

/// `../shared/models/<name>` beside the checkout, or a note and `None` when absent.
fn shared(name: &str) -> Option<PathBuf> {
    let dir = root().join("../shared/models").join(name);
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("note: {} is absent; skipping", dir.display());
        None
    }
}

/// A fresh scratch directory under the target dir (never outside the build tree).
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn generate_prints_the_golden_to_stdout() {
    let out = run(&["generate", "examples/models/street-lamp.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let golden = std::fs::read_to_string(root().join("examples/checked-in/src/lamp.rs")).unwrap();
    assert!(
        text(&out.stdout) == golden,
        "stdout differs from examples/checked-in/src/lamp.rs"
    );
}

/// `--serde` writes what `Settings::serde` writes: the golden whose round trips
/// `tests/golden/tests/serde_wire.rs` checks.
#[test]
fn generate_serde_prints_the_serde_golden() {
    let out = run(&["generate", "--serde", "examples/models/street-lamp.json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let golden =
        std::fs::read_to_string(root().join("tests/golden/src/street_lamp_serde.rs")).unwrap();
    assert!(
        text(&out.stdout) == golden,
        "stdout differs from tests/golden/src/street_lamp_serde.rs"
    );
}

#[test]
fn generate_writes_only_when_the_content_changes() {
    let dir = scratch("generate-writes");
    let file = dir.join("lamp.rs");
    let file_arg = file.to_str().unwrap();
    let out = run(&[
        "generate",
        "-o",
        file_arg,
        "examples/models/street-lamp.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("wrote:"),
        "{}",
        text(&out.stderr)
    );
    let written = std::fs::metadata(&file).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    let out = run(&[
        "generate",
        "-o",
        file_arg,
        "examples/models/street-lamp.json",
    ]);
    assert!(out.status.success());
    assert!(
        text(&out.stderr).contains("unchanged:"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        std::fs::metadata(&file).unwrap().modified().unwrap(),
        written
    );
}

#[test]
fn generate_check_says_which_file_is_stale() {
    let dir = scratch("generate-check");
    let file = dir.join("lamp.rs");
    let file_arg = file.to_str().unwrap();
    let model = "examples/models/street-lamp.json";

    let out = run(&["generate", "--check", "-o", file_arg, model]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("does not exist"),
        "{}",
        text(&out.stderr)
    );

    assert!(run(&["generate", "-o", file_arg, model]).status.success());
    let out = run(&["generate", "--check", "-o", file_arg, model]);
    assert!(out.status.success(), "{}", text(&out.stderr));

    std::fs::write(&file, "// edited by hand\n").unwrap();
    let out = run(&["generate", "--check", "-o", file_arg, model]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{file_arg} is stale")), "{err}");
    assert!(err.contains("tsl-codegen generate -o"), "{err}");
    // --check never writes.
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "// edited by hand\n"
    );
}

#[test]
fn generate_refuses_an_invalid_model_with_its_diagnostics() {
    let out = run(&["generate", "tests/fixtures/broken-lamp.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        out.stdout.is_empty(),
        "code was printed for an invalid model"
    );
    let err = text(&out.stderr);
    assert!(
        err.contains("tests/fixtures/broken-lamp.json:9:45: error:"),
        "{err}"
    );
    assert!(err.contains("nothing generated"), "{err}");
}

#[test]
fn generate_takes_settings_from_flags() {
    let out = run(&[
        "generate",
        "--module-name",
        "lamp",
        "--derive",
        "PartialOrd",
        "--no-cloud",
        "examples/models/street-lamp.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let code = text(&out.stdout);
    assert!(code.contains("pub mod lamp {"), "module name");
    assert!(code.contains("PartialEq, PartialOrd)]"), "extra derive");
    assert!(!code.contains("pub struct Fleet"), "--no-cloud");
    assert!(code.contains("pub trait Handler"), "device side kept");

    let out = run(&[
        "generate",
        "--type-attribute",
        "WorkMode=derive(PartialOrd, Ord)",
        "--type-attribute",
        "Blink=non_exhaustive",
        "examples/models/street-lamp.json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let code = text(&out.stdout);
    let before = |item: &str| {
        let at = code
            .find(item)
            .unwrap_or_else(|| panic!("{item} in the output"));
        code[..at]
            .rsplit("\n\n")
            .next()
            .unwrap_or_default()
            .to_string()
    };
    assert!(
        before("pub enum WorkMode").contains("#[derive(PartialOrd, Ord)]"),
        "{}",
        before("pub enum WorkMode")
    );
    assert!(before("pub struct BlinkInput").contains("#[non_exhaustive]"));
    assert!(before("pub struct BlinkOutput").contains("#[non_exhaustive]"));
    for (flag, says) in [
        ("Nope=derive(Ord)", "type_attribute"),
        ("WorkMode", "NAME=ATTRIBUTE"),
    ] {
        let out = run(&[
            "generate",
            "--type-attribute",
            flag,
            "examples/models/street-lamp.json",
        ]);
        assert_ne!(out.status.code(), Some(0), "{flag}");
        assert!(
            text(&out.stderr).contains(says),
            "{flag}: {}",
            text(&out.stderr)
        );
    }

    let out = run(&[
        "generate",
        "--module-name",
        "not a name",
        "examples/models/street-lamp.json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("module_name"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn emulate_serves_the_models_on_loopback_and_logs_each_request() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;

    let mut child = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"))
        .args([
            "emulate",
            "--model",
            "examples/models/street-lamp.json",
            "--device",
            "lamp-1",
            "--seconds",
            "3",
        ])
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_ID")
        .env_remove("ALIBABA_CLOUD_ACCESS_KEY_SECRET")
        .current_dir(root())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    let mut stdout = BufReader::new(child.stdout.take().expect("piped"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("a first line");
    let endpoint = first
        .trim()
        .strip_prefix("emulator listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {first:?}"))
        .to_string();
    let addr = endpoint
        .strip_prefix("http://")
        .and_then(|rest| rest.strip_suffix('/'))
        .expect("http://127.0.0.1:PORT/");
    assert!(addr.starts_with("127.0.0.1:"), "{addr}");

    // An unsigned request: the gateway answers like the platform's.
    let mut stream = std::net::TcpStream::connect(addr).expect("the emulator listens");
    write!(
        stream,
        "GET /?Action=QueryThingModel HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""Code":"MissingVersion""#), "{answer}");

    let status = child.wait().expect("it stops after --seconds");
    assert!(status.success());
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert!(
        rest.contains("export ALIBABA_CLOUD_ACCESS_KEY_ID=emulator-id"),
        "{rest}"
    );
    assert!(
        rest.contains("QueryThingModel 400 MissingVersion"),
        "{rest}"
    );
    assert!(rest.contains("emulator stopped"), "{rest}");
}

#[test]
fn emulate_refuses_an_unknown_product_for_a_device() {
    let out = run(&[
        "emulate",
        "--model",
        "examples/models/street-lamp.json",
        "--device",
        "a1Nope/lamp-1",
        "--seconds",
        "1",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("no model has product key a1Nope"),
        "{}",
        text(&out.stderr)
    );
}
