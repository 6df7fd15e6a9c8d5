//! The crates' `rust-version` states what building them really needs: no locked dependency
//! asks for a newer compiler than the workspace says (our own code is held to it by clippy's
//! `incompatible_msrv` lint, which reads the same field), and every published crate states
//! the workspace's version. Another toolchain cannot be installed on these machines, so the
//! floor is checked from the dependencies' own `rust-version` fields.

use std::process::Command;

use serde_json::Value;
use tsl_tests::repo_file;

/// `1.90` → `(1, 90, 0)`.
fn version(text: &str) -> (u64, u64, u64) {
    let mut parts = text.split('.').map(|p| p.parse::<u64>().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

#[test]
fn rust_version_covers_every_locked_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .current_dir(repo_file(""))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("JSON from cargo");
    let members: Vec<&str> = metadata["workspace_members"]
        .as_array()
        .expect("workspace members")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let resolved: Vec<&str> = metadata["resolve"]["nodes"]
        .as_array()
        .expect("a resolve graph")
        .iter()
        .filter_map(|node| node["id"].as_str())
        .collect();
    let packages = metadata["packages"].as_array().expect("packages");
    let rust_version = |package: &Value| package["rust_version"].as_str().map(str::to_string);

    let mut newest: Option<(String, String)> = None;
    for package in packages {
        let id = package["id"].as_str().unwrap_or("");
        if members.contains(&id) || !resolved.contains(&id) {
            continue;
        }
        if let Some(needs) = rust_version(package) {
            if newest
                .as_ref()
                .is_none_or(|(_, v)| version(&needs) > version(v))
            {
                newest = Some((package["name"].as_str().unwrap_or("?").to_string(), needs));
            }
        }
    }
    let (needed_by, needs) = newest.expect("some dependency states a rust-version");
    for name in ["tsl-runtime", "tsl-codegen", "tsl-macros"] {
        let package = packages
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} is a member"));
        let states = rust_version(package).unwrap_or_else(|| panic!("{name} states none"));
        println!("{name}: rust-version {states}; newest a dependency needs: {needs} ({needed_by})");
        assert!(
            version(&states) >= version(&needs),
            "{name} says rust-version {states}, but {needed_by} needs {needs}: raise it in Cargo.toml \
             (and the README)"
        );
    }
}
