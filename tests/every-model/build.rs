//! Generates every model `check` accepts into its own file in `OUT_DIR`, as a user's build
//! script would, and writes `models.rs`, which includes each one the way the README shows
//! (`mod lamp { include!(...) }`), with no wrapping module and no `allow`. The crate's
//! `#![deny(warnings)]` and the workspace's clippy run then cover every model.
//!
//! The models: `tests/**` and `examples/models/` in the repository, and
//! `../shared/models/{real,query-thing-model}` beside the checkout when present (third-party
//! data, never copied in).

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use tsl_codegen::model::Model;
use tsl_codegen::{Generator, Settings};

fn main() {
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let root = manifest.join("../..");
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo"));

    let mut files = Vec::new();
    for dir in ["tests", "examples/models"] {
        collect(&root, &root.join(dir), &mut files);
    }
    let shared = root.join("../shared/models");
    for dir in ["real", "query-thing-model"] {
        collect(&root, &shared.join(dir), &mut files);
    }
    if !shared.is_dir() {
        println!(
            "cargo::warning=../shared/models not found: only the repository's models are compiled"
        );
    }
    files.sort();

    let mut index = String::new();
    let mut compiled = Vec::new();
    for (shown, path) in &files {
        // A model `check` refuses (the broken fixtures) has nothing to generate.
        let Ok(parsed) = Model::load(path) else {
            continue;
        };
        let module = module_name(shown);
        let code = Generator::new(&Settings::new())
            .generate_file(&parsed.model, &[shown])
            .unwrap_or_else(|e| panic!("{shown}: {e}"));
        let file = format!("{module}.rs");
        fs::write(out.join(&file), code).expect("OUT_DIR is writable");
        writeln!(
            index,
            "/// Generated from `{shown}`.\n#[rustfmt::skip]\npub mod {module} {{\n    include!(concat!(env!(\"OUT_DIR\"), \"/{file}\"));\n}}"
        )
        .expect("writing to a String");
        compiled.push(shown.clone());
    }
    writeln!(
        index,
        "/// Every model compiled here, as a path from the checkout root (`../shared/...` for\n/// the shared models).\npub const COMPILED: &[&str] = &{compiled:?};"
    )
    .expect("writing to a String");
    fs::write(out.join("models.rs"), index).expect("OUT_DIR is writable");
}

/// Every `.json` under `dir` (recursively, skipping build output), as (path shown from the
/// checkout root, path to read). A missing `dir` adds nothing and no rerun trigger.
fn collect(root: &Path, dir: &Path, files: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    println!("cargo::rerun-if-changed={}", dir.display());
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n != "target") {
                collect(root, &path, files);
            }
        } else if path.extension().is_some_and(|e| e == "json") {
            println!("cargo::rerun-if-changed={}", path.display());
            let shown = path
                .strip_prefix(root)
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| path.display().to_string())
                .replace('\\', "/");
            files.push((shown, path));
        }
    }
}

/// `examples/models/street-lamp.json` → `examples_models_street_lamp`.
fn module_name(shown: &str) -> String {
    let stem = shown.strip_suffix(".json").unwrap_or(shown);
    let mut name: String = stem
        .trim_start_matches("../")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        name.insert_str(0, "m_");
    }
    name
}
