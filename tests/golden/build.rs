//! Generates code for the real models in `../shared/models/real/` (third-party data, never
//! copied into the repository) into `OUT_DIR`, so the crate compiles and clippy checks it
//! when they are at hand. Without them, only the committed goldens are compiled.

use std::env;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use tsl_codegen::model::Model;
use tsl_codegen::{Generator, Settings};

fn main() {
    println!("cargo::rustc-check-cfg=cfg(tsl_real_models)");
    let manifest = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let shared = manifest.join("../../../shared/models");
    // Cargo reruns a build script on every build while a watched path is missing, so the
    // models are watched only when present; `build.rs` itself is always watched, which keeps
    // edits elsewhere in the crate from rerunning it. Models added later are picked up after
    // `touch tests/golden/build.rs`.
    println!("cargo::rerun-if-changed=build.rs");
    if shared.is_dir() {
        println!("cargo::rerun-if-changed={}", shared.display());
    }
    let mut files: Vec<PathBuf> = ["real", "query-thing-model"]
        .iter()
        .filter_map(|dir| fs::read_dir(shared.join(dir)).ok())
        .flatten()
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    if files.is_empty() {
        println!(
            "cargo::warning=../shared/models not found: only the committed goldens are compiled"
        );
        return;
    }
    files.sort();
    let mut out = String::new();
    for path in &files {
        println!("cargo::rerun-if-changed={}", path.display());
        let model = match Model::load(path) {
            Ok(parsed) => parsed.model,
            Err(err) => panic!("{} does not parse:\n{err}", path.display()),
        };
        let module = module_name(path);
        let settings = Settings::new().module_name(module);
        let code = Generator::new(&settings)
            .generate_file(&model, &[&file_name(path)])
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        writeln!(out, "{code}").expect("writing to a String");
    }
    let dest = PathBuf::from(env::var_os("OUT_DIR").expect("set by cargo")).join("real_models.rs");
    fs::write(&dest, out).expect("OUT_DIR is writable");
    println!("cargo::rustc-cfg=tsl_real_models");
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `query-thing-model/lamp-sample.json` → `lamp_sample`.
fn module_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut name: String = stem
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
