//! A crate whose build script runs `Builder`, built by Cargo: the script prints
//! `cargo:rerun-if-changed` for its model, a second build with nothing changed does not
//! re-run it, and editing the model does.
//!
//! The crate is built in a target folder kept under Cargo's temporary folder for tests, so
//! only the first run compiles the builder's dependencies (about a minute on two cores);
//! later runs take seconds.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

const BUILD_RS: &str = r#"
fn main() {
    if let Err(e) = tsl_codegen::Builder::new()
        .model("models/lamp.json")
        .out_file("lamp.rs")
        .generate_to_out_dir()
    {
        eprintln!("{e}");
        std::process::exit(1);
    }
}
"#;

fn cargo_build(krate: &Path, target: &Path) -> String {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .args(["build", "-v", "--offline", "--manifest-path"])
        .arg(krate.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", target)
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "cargo build failed:\n{stderr}");
    stderr
}

/// The `Running`/`Fresh` line cargo prints for the probe's build script run.
fn script_ran(log: &str) -> bool {
    log.lines()
        .any(|l| l.contains("Running") && l.contains("build-script-build"))
}

#[test]
fn a_no_change_rebuild_does_not_rerun_the_build_script() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let krate = tmp.join("builder-fresh-probe");
    let target = tmp.join("builder-fresh-target");
    let _ = fs::remove_dir_all(&krate);
    fs::create_dir_all(krate.join("src")).unwrap();
    fs::create_dir_all(krate.join("models")).unwrap();
    let codegen = root().join("tsl-codegen");
    fs::write(
        krate.join("Cargo.toml"),
        format!(
            "[package]\nname = \"builder-fresh-probe\"\nversion = \"0.0.0\"\nedition = \"2021\"\n\
             publish = false\n\n[build-dependencies]\n\
             tsl-codegen = {{ path = {:?}, default-features = false }}\n\n[workspace]\n",
            codegen.to_str().unwrap()
        ),
    )
    .unwrap();
    // The workspace's lock file, so the probe resolves to crates already downloaded.
    fs::copy(root().join("Cargo.lock"), krate.join("Cargo.lock")).unwrap();
    fs::write(krate.join("build.rs"), BUILD_RS).unwrap();
    fs::write(krate.join("src/lib.rs"), "").unwrap();
    let model = krate.join("models/lamp.json");
    fs::copy(root().join("examples/models/street-lamp.json"), &model).unwrap();

    let first = cargo_build(&krate, &target);
    assert!(
        script_ran(&first),
        "the first build runs the script:\n{first}"
    );

    // What the script told Cargo: the model, and not the output.
    let output = find_script_output(&target.join("debug/build"));
    let watched: Vec<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("cargo:rerun-if-changed="))
        .collect();
    assert_eq!(watched, vec![model.to_str().unwrap()], "{output}");

    let second = cargo_build(&krate, &target);
    assert!(
        !script_ran(&second),
        "nothing changed, so the script must not run again:\n{second}"
    );
    assert!(
        second
            .lines()
            .any(|l| l.contains("Fresh builder-fresh-probe")),
        "{second}"
    );

    // Editing the model re-runs it.
    let text = fs::read_to_string(&model).unwrap();
    fs::write(
        &model,
        text.replace("Blink the lamp", "Blink the lamp twice"),
    )
    .unwrap();
    let third = cargo_build(&krate, &target);
    assert!(
        script_ran(&third),
        "an edited model re-runs the script:\n{third}"
    );
}

/// The `output` file of the probe's build script run (its stdout, as Cargo keeps it).
fn find_script_output(build: &Path) -> String {
    for entry in fs::read_dir(build).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if name.starts_with("builder-fresh-probe-") && dir.join("output").exists() {
            return fs::read_to_string(dir.join("output")).unwrap();
        }
    }
    panic!("no build script output under {}", build.display());
}
