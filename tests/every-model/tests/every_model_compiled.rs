//! The build script compiled every model `check` accepts: none was skipped on the way. (The
//! compile itself is the real test: a warning in any generated file fails the crate.)

use std::fs;
use std::path::{Path, PathBuf};

use tsl_codegen::model::Model;
use tsl_every_model::COMPILED;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn models_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                models_under(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

#[test]
fn every_model_check_accepts_is_compiled() {
    let root = root();
    let mut models = Vec::new();
    for dir in ["tests", "examples/models"] {
        models_under(&root.join(dir), &mut models);
    }
    let shared = root.join("../shared/models");
    if shared.is_dir() {
        for dir in ["real", "query-thing-model"] {
            models_under(&shared.join(dir), &mut models);
        }
    } else {
        eprintln!("note: ../shared/models not found; only the repository's models are checked");
    }
    let mut missing = Vec::new();
    let mut accepted = 0;
    for path in &models {
        if Model::load(path).is_err() {
            continue;
        }
        accepted += 1;
        let shown = path
            .strip_prefix(&root)
            .expect("under the root")
            .display()
            .to_string();
        if !COMPILED.contains(&shown.as_str()) {
            missing.push(shown);
        }
    }
    assert!(missing.is_empty(), "not compiled: {missing:?}");
    assert_eq!(COMPILED.len(), accepted, "compiled: {COMPILED:?}");
}

#[test]
fn the_fixtures_without_services_are_among_them() {
    for fixture in [
        "tests/every-model/models/empty.json",
        "tests/every-model/models/events-only.json",
        "tests/every-model/models/read-only.json",
    ] {
        assert!(COMPILED.contains(&fixture), "{fixture} is not compiled");
    }
}
