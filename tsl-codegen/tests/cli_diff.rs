//! `tsl-codegen diff` run as a process: exit codes, the three formats, allowed rules (flag
//! and config file), module sets, `--against git:REF` in a scratch repository and
//! `--against platform:VERSION` against the local emulator.

mod ops_support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ops_support::{root, scratch, LAMP, PK, SECRET};
use serde_json::Value;

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tsl-codegen"))
        .current_dir(dir)
        .arg("diff")
        .args(args)
        .env_remove("ALIBABA_CLOUD_IOT_ENDPOINT")
        .output()
        .expect("the binary runs")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A scratch folder with the lamp as `old.json` and edited as `new.json`.
fn lamp_pair(name: &str, edit: impl Fn(&str) -> String) -> PathBuf {
    let dir = scratch(&format!("diff-{name}"));
    let lamp = fs::read_to_string(root().join(LAMP)).unwrap();
    fs::write(dir.join("old.json"), &lamp).unwrap();
    fs::write(dir.join("new.json"), edit(&lamp)).unwrap();
    dir
}

/// The first `max` of the lamp (Brightness) lowered from 100 to 50.
fn narrowed(lamp: &str) -> String {
    assert!(lamp.contains(r#""max": "100""#));
    lamp.replacen(r#""max": "100""#, r#""max": "50""#, 1)
}

#[test]
fn the_same_model_exits_0_and_says_so() {
    let dir = lamp_pair("same", str::to_string);
    let out = run(&dir, &["old.json", "new.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "0 changes: 0 wire-breaking, 0 code-breaking, 0 compatible\n"
    );
}

#[test]
fn breaking_changes_exit_1_with_both_positions() {
    let dir = lamp_pair("narrowed", narrowed);
    let out = run(&dir, &["old.json", "new.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "new.json:32:18: wire-breaking BOUNDS_NARROWED: property `Brightness` max: 100 → 50 \
             (at /properties/1/dataType/specs/max; was old.json:32:18 at /properties/1/dataType/specs/max)\n"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("1 change: 1 wire-breaking, 0 code-breaking, 0 compatible\n"),
        "{text}"
    );
}

#[test]
fn compatible_changes_exit_0() {
    let dir = lamp_pair("widened", |lamp| {
        lamp.replacen(r#""max": "100""#, r#""max": "1000""#, 1)
    });
    let out = run(&dir, &["old.json", "new.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(stdout(&out).contains("compatible BOUNDS_WIDENED"));
}

#[test]
fn json_lines_carry_rule_class_and_both_sites() {
    let dir = lamp_pair("json", narrowed);
    let out = run(&dir, &["--format", "json", "old.json", "new.json"]);
    assert_eq!(out.status.code(), Some(1));
    let lines: Vec<Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect();
    assert_eq!(lines.len(), 1);
    let first = &lines[0];
    assert_eq!(first["rule"], "BOUNDS_NARROWED");
    assert_eq!(first["class"], "wire-breaking");
    assert_eq!(first["breaking"], true);
    assert_eq!(first["message"], "100 → 50");
    assert_eq!(first["old"]["origin"], "old.json");
    assert_eq!(first["new"]["pointer"], "/properties/1/dataType/specs/max");
    assert_eq!(first["new"]["line"], 32);
    assert_eq!(first["new"]["column"], 18);
}

#[test]
fn github_format_annotates_the_new_file() {
    let dir = lamp_pair("github", narrowed);
    let out = run(&dir, &["--format", "github", "old.json", "new.json"]);
    assert_eq!(out.status.code(), Some(1));
    let first = stdout(&out).lines().next().unwrap_or_default().to_string();
    assert_eq!(
        first,
        "::error file=new.json,line=32,col=18,title=wire-breaking BOUNDS_NARROWED::property \
         `Brightness` max: 100 → 50 (was old.json:32:18 at /properties/1/dataType/specs/max)"
    );
}

#[test]
fn allowed_rules_do_not_fail_by_flag_or_config() {
    let dir = lamp_pair("allow", narrowed);
    let out = run(
        &dir,
        &["--allow", "bounds_narrowed", "old.json", "new.json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("(allowed)"));
    assert!(stdout(&out).contains("(1 breaking allowed)"));

    fs::write(
        dir.join("tsl-diff.json"),
        r#"{"allow": ["BOUNDS_NARROWED"]}"#,
    )
    .unwrap();
    let out = run(&dir, &["--config", "tsl-diff.json", "old.json", "new.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    fs::write(dir.join("bad.json"), r#"{"allow": ["BOUNDS_NAROWED"]}"#).unwrap();
    let out = run(&dir, &["--config", "bad.json", "old.json", "new.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown rule `BOUNDS_NAROWED`"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_and_model_errors_exit_2() {
    let dir = lamp_pair("usage", str::to_string);
    for args in [
        &["old.json"][..],
        &["old.json", "new.json", "new.json"],
        &["--old", "old.json", "new.json"],
        &["--against", "svn:1", "new.json"],
        &["--against", "git:HEAD"],
        &["--allow", "NO_SUCH_RULE", "old.json", "new.json"],
        &["missing.json", "new.json"],
    ] {
        let out = run(&dir, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).starts_with("error: "),
            "{args:?}: {}",
            stderr(&out)
        );
    }
    fs::write(
        dir.join("broken.json"),
        r#"{"properties":[{"identifier":"x","dataType":{"type":"string"}}]}"#,
    )
    .unwrap();
    let out = run(&dir, &["old.json", "broken.json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("broken.json:1:"), "{}", stderr(&out));
    assert!(stderr(&out).contains("error: the new model is invalid"));
}

#[test]
fn module_sets_compare_module_by_module() {
    let dir = scratch("diff-modules");
    let models = root().join("examples/models");
    for name in ["street-lamp.json", "street-lamp-battery.json"] {
        fs::copy(models.join(name), dir.join(format!("old-{name}"))).unwrap();
        fs::copy(models.join(name), dir.join(format!("new-{name}"))).unwrap();
    }
    let out = run(
        &dir,
        &[
            "--old",
            "old-street-lamp.json",
            "--old",
            "old-street-lamp-battery.json",
            "--new",
            "new-street-lamp.json",
            "--new",
            "new-street-lamp-battery.json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
    // The battery module left out of the new side.
    let out = run(
        &dir,
        &[
            "--old",
            "old-street-lamp.json",
            "--old",
            "old-street-lamp-battery.json",
            "--new",
            "new-street-lamp.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("wire-breaking MODULE_REMOVED: module `battery`"),
        "{text}"
    );
    assert!(text.contains("was old-street-lamp-battery.json:"), "{text}");
}

#[test]
fn against_a_git_revision() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("note: git is not installed; skipping against_a_git_revision");
        return;
    }
    let dir = scratch("diff-git");
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .current_dir(&dir)
            .args([
                "-c",
                "user.name=t",
                "-c",
                "user.email=t@example.com",
                "-c",
                "commit.gpgsign=false",
            ])
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
    };
    git(&["init", "-q"]);
    fs::create_dir_all(dir.join("models")).unwrap();
    let lamp = fs::read_to_string(root().join(LAMP)).unwrap();
    fs::write(dir.join("models/lamp.json"), &lamp).unwrap();
    git(&["add", "."]);
    git(&["commit", "-q", "-m", "lamp"]);
    let out = run(&dir, &["--against", "git:HEAD", "models/lamp.json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    fs::write(dir.join("models/lamp.json"), narrowed(&lamp)).unwrap();
    let out = run(&dir, &["--against", "git:HEAD", "models/lamp.json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out)
            .contains("was HEAD:models/lamp.json:32:18 at /properties/1/dataType/specs/max"),
        "{}",
        stdout(&out)
    );
    // A revision that does not exist is git's error, exit 2.
    let out = run(
        &dir,
        &["--against", "git:no-such-branch", "models/lamp.json"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("git show no-such-branch:./lamp.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn against_a_published_version_on_the_platform() {
    let emulator = ops_support::emulator(["lamp-1"]);
    let dir = lamp_pair("platform", narrowed);
    let endpoint = emulator.endpoint();
    let with_platform = |file: &str| {
        let out = ops_support::command(
            &endpoint,
            SECRET,
            &[],
            &[
                "diff",
                "--against",
                "platform:1.0.0",
                "--product-key",
                PK,
                file,
            ],
        )
        .current_dir(&dir)
        .output()
        .unwrap();
        ops_support::assert_clean(&out, SECRET, &[]);
        out
    };
    let out = with_platform("new.json");
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("wire-breaking BOUNDS_NARROWED: property `Brightness` max: 100 → 50"),
        "{text}"
    );
    assert!(text.contains("was platform:1.0.0:"), "{text}");
    // The unchanged file has nothing breaking against what the platform serves.
    let out = with_platform("old.json");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn a_stale_stub_points_to_diff() {
    let dir = lamp_pair("stale", narrowed);
    fs::write(dir.join("lamp.rs"), "// an old stub\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_tsl-codegen"))
        .current_dir(&dir)
        .args(["generate", "--check", "-o", "lamp.rs", "new.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(
            "see what changed in the model: tsl-codegen diff --against git:HEAD new.json"
        ),
        "{}",
        stderr(&out)
    );
}
