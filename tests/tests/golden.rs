//! The golden files in `tests/golden/src/` are what the generator writes today.
//!
//! A change to the generator shows up here as a diff; after reviewing it, refresh them all
//! with `TSL_BLESS=1 cargo test -p tsl-tests --test golden`. The golden crate is a
//! workspace member, so `cargo clippy --workspace` and `#![deny(warnings)]` cover the
//! refreshed code too.

use std::fs;

use tsl_codegen::model::Model;
use tsl_codegen::{Generator, Settings};
use tsl_tests::{repo_file, workspace_root};

/// Each golden, the models it is generated from, as paths from the workspace root (the
/// models appear in the `@generated` header, as the CLI writes them when run from the root),
/// and the settings. The street lamp's golden is the checked-in example's stub: one file,
/// compiled by both.
type Golden = (&'static str, &'static [&'static str], fn() -> Settings);

const GOLDENS: &[Golden] = &[
    (
        "examples/checked-in/src/lamp.rs",
        &["examples/models/street-lamp.json"],
        Settings::new,
    ),
    (
        "tests/golden/src/street_lamp_modules.rs",
        &[
            "examples/models/street-lamp.json",
            "examples/models/street-lamp-battery.json",
            "examples/models/street-lamp-sensor-query-thing-model.json",
        ],
        Settings::new,
    ),
    (
        "tests/golden/src/torture.rs",
        &["tests/golden/models/torture.json"],
        Settings::new,
    ),
    (
        "tests/golden/src/pump_module.rs",
        &["tests/golden/models/pump-module.json"],
        Settings::new,
    ),
    (
        "tests/golden/src/street_lamp_attributes.rs",
        &["examples/models/street-lamp.json"],
        attributes,
    ),
    (
        "tests/golden/src/street_lamp_serde.rs",
        &["examples/models/street-lamp.json"],
        serde,
    ),
];

/// Non-default settings: serde's traits in the wire form.
fn serde() -> Settings {
    Settings::new().serde(true)
}

/// Non-default settings: attributes on types picked by Rust name and by service identifier.
fn attributes() -> Settings {
    Settings::new()
        .type_attribute("WorkMode", "derive(PartialOrd, Ord)")
        .type_attribute("ScheduleItem", "derive(Default)")
        .type_attribute("Blink", "derive(Default)")
}

#[test]
fn goldens_are_what_the_generator_writes() {
    let bless = std::env::var_os("TSL_BLESS").is_some_and(|v| v != "0");
    let mut stale = Vec::new();
    for (golden, models, settings) in GOLDENS {
        let paths: Vec<_> = models.iter().map(|m| repo_file(m)).collect();
        let model = Model::load_all(&paths)
            .unwrap_or_else(|e| panic!("{golden}: models do not load:\n{e}"))
            .model;
        let code = Generator::new(&settings())
            .generate_file(&model, models)
            .unwrap_or_else(|e| panic!("{golden}: {e}"));
        let path = workspace_root().join(golden);
        let current = fs::read_to_string(&path).unwrap_or_default();
        if current == code {
            continue;
        }
        if bless {
            fs::write(&path, &code).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
            eprintln!("blessed {}", path.display());
        } else {
            stale.push(format!("{golden}{}", first_difference(&current, &code)));
        }
    }
    assert!(
        stale.is_empty(),
        "stale goldens (review the change, then refresh with \
         `TSL_BLESS=1 cargo test -p tsl-tests --test golden`):\n{}",
        stale.join("\n")
    );
}

#[test]
fn the_cli_writes_the_same_as_the_library() {
    let output = std::process::Command::new(env!("CARGO"))
        .current_dir(workspace_root())
        .args(["run", "-q", "-p", "tsl-codegen", "--", "generate"])
        .arg("examples/models/street-lamp.json")
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let golden = fs::read_to_string(repo_file("examples/checked-in/src/lamp.rs")).unwrap();
    assert!(
        String::from_utf8_lossy(&output.stdout) == golden,
        "`tsl-codegen generate examples/models/street-lamp.json` differs from the golden"
    );
}

#[test]
fn generation_is_deterministic() {
    let model = Model::load(repo_file("tests/golden/models/torture.json"))
        .unwrap()
        .model;
    let generator = Generator::new(&Settings::new());
    let first = generator.generate_file(&model, &["torture.json"]).unwrap();
    for _ in 0..3 {
        assert_eq!(
            generator.generate_file(&model, &["torture.json"]).unwrap(),
            first
        );
    }
}

/// ` (line N: "old" vs "new")` at the first line that differs.
fn first_difference(old: &str, new: &str) -> String {
    let mut old_lines = old.lines();
    let mut new_lines = new.lines();
    for n in 1.. {
        match (old_lines.next(), new_lines.next()) {
            (Some(a), Some(b)) if a == b => continue,
            (None, None) => return String::new(),
            (a, b) => {
                return format!(
                    " (line {n}: {:?} vs {:?})",
                    a.unwrap_or("<end>"),
                    b.unwrap_or("<end>")
                )
            }
        }
    }
    String::new()
}
