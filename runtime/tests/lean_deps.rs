//! A device build can afford the runtime: with `default-features = false` its dependency
//! tree holds no HTTP, TLS, async runtime or crypto crate, and `sign` alone adds only the
//! signing crates. Read from `cargo tree` (offline, from `Cargo.lock`), the same graph a
//! device crate gets.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

/// Crates a device build must not link: HTTP and TLS stacks, async runtimes, and the crypto
/// and encoding crates of signing.
const FORBIDDEN_IN_A_DEVICE_BUILD: [&str; 27] = [
    // HTTP, TLS, sockets.
    "reqwest",
    "hyper",
    "hyper-util",
    "http",
    "http-body",
    "http-body-util",
    "h2",
    "rustls",
    "tokio-rustls",
    "webpki-roots",
    "native-tls",
    "openssl",
    "socket2",
    // Async runtimes and their plumbing.
    "tokio",
    "futures-util",
    "mio",
    // Crypto and the encodings of signing.
    "ring",
    "aws-lc-rs",
    "hmac",
    "sha1",
    "sha2",
    "digest",
    "base64",
    "percent-encoding",
    "hex",
    "uuid",
    "getrandom",
];

/// The crates (names only) `tsl-runtime` pulls in as normal dependencies with `args`.
fn normal_deps(args: &[&str]) -> BTreeSet<String> {
    package_deps("tsl-runtime", args)
}

/// The crates (names only) `package` pulls in as normal dependencies with `args`.
fn package_deps(package: &str, args: &[&str]) -> BTreeSet<String> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let output = Command::new(env!("CARGO"))
        .args(["tree", "--offline", "--locked", "--manifest-path"])
        .arg(&manifest)
        .args(["-p", package, "-e", "normal", "--prefix", "none"])
        .args(["--format", "{p}"])
        .args(args)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "cargo tree failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| line.split_whitespace().next())
        .map(str::to_string)
        .collect()
}

#[test]
fn a_device_build_links_no_http_tls_async_or_crypto_crate() {
    let deps = normal_deps(&["--no-default-features"]);
    // The tree was read: the runtime and what generated code needs are in it.
    for needed in [
        "tsl-runtime",
        "serde",
        "serde_json",
        "thiserror",
        "rust_decimal",
    ] {
        assert!(deps.contains(needed), "{needed} missing from {deps:?}");
    }
    let found: Vec<&str> = FORBIDDEN_IN_A_DEVICE_BUILD
        .iter()
        .copied()
        .filter(|name| deps.contains(*name))
        .collect();
    assert!(
        found.is_empty(),
        "a device build links {found:?}; all: {deps:?}"
    );
}

#[test]
fn sign_alone_adds_the_signing_crates_but_no_http_or_async_runtime() {
    let deps = normal_deps(&["--no-default-features", "--features", "sign"]);
    for signing in ["hmac", "sha1", "sha2", "base64"] {
        assert!(deps.contains(signing), "{signing} missing from {deps:?}");
    }
    for network in ["reqwest", "hyper", "tokio", "rustls"] {
        assert!(!deps.contains(network), "`sign` pulls in {network}");
    }
}

#[test]
fn build_scripts_and_the_macro_get_the_lean_runtime_too() {
    // `tsl-codegen` without its CLI is what build scripts and `tsl-macros` link.
    let deps = package_deps("tsl-codegen", &["--no-default-features"]);
    assert!(deps.contains("tsl-runtime"), "{deps:?}");
    let found: Vec<&str> = FORBIDDEN_IN_A_DEVICE_BUILD
        .iter()
        .copied()
        .filter(|name| deps.contains(*name))
        .collect();
    assert!(
        found.is_empty(),
        "tsl-codegen without its CLI links {found:?}"
    );
}
