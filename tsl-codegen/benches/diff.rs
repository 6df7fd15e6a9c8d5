//! `diff` of the issue-3 synthetic model (300 properties, 300 services, 100 events) against
//! a copy with 100 scattered changes, as ratios to parsing both models in the same run
//! (issue 13).
//!
//! ```sh
//! cargo bench -p tsl-codegen --bench diff
//! ```
//!
//! The changes, spread evenly over the model: 40 properties lose or gain write access, 40
//! services switch between sync and async, 20 events have their first output renamed (a
//! removal and an addition each). Timed, each round, one after the other:
//! - (a) `Model::parse` of both texts (the baseline);
//! - (b) `model::diff::diff_sides`: the wire-level comparison and its positions (which
//!   parse both texts again as `serde_json::Value` to find the pointers);
//! - (c) `tsl_codegen::diff::diff`: (b) plus planning both models and comparing the names.
//!
//! A plain `harness = false` program, like `generate`: each figure is the median over the
//! rounds (`TSL_BENCH_ROUNDS`, default 15); without `--bench` (`cargo test --benches`) one
//! round shows that it runs. It never asserts a timing.

#[path = "support/synthetic_model.rs"]
mod synthetic_model;

use std::hint::black_box;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tsl_codegen::model::diff::{diff_sides, Side, Sources};
use tsl_codegen::model::Model;
use tsl_codegen::Settings;

/// The binary's allocator, as in the generation benchmark.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const DEFAULT_ROUNDS: usize = 15;
const MIN_SAMPLE: Duration = Duration::from_millis(20);

fn main() -> ExitCode {
    let full = std::env::args().any(|a| a == "--bench");
    let rounds = if full {
        std::env::var("TSL_BENCH_ROUNDS")
            .ok()
            .and_then(|r| r.parse().ok())
            .filter(|&r| r > 0)
            .unwrap_or(DEFAULT_ROUNDS)
    } else {
        1
    };
    let old_text = synthetic_model::model_json(synthetic_model::ISSUE_3);
    let new_text = match changed(&old_text) {
        Ok(text) => text,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let parse = |text: &str, origin: &str| Model::parse(text, origin).map(|p| p.model);
    let (old, new) = match (parse(&old_text, "old.json"), parse(&new_text, "new.json")) {
        (Ok(old), Ok(new)) => (old, new),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: the synthetic models do not parse:\n{e}");
            return ExitCode::FAILURE;
        }
    };
    let mut old_sources = Sources::new();
    old_sources.insert("old.json", old_text.clone());
    let mut new_sources = Sources::new();
    new_sources.insert("new.json", new_text.clone());
    let (old_side, new_side) = (Side::new(&old, &old_sources), Side::new(&new, &new_sources));
    let settings = Settings::new();
    let changes = match tsl_codegen::diff::diff(&old_side, &new_side, &settings) {
        Ok(changes) => changes,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let wire = diff_sides(&old_side, &new_side).len();
    println!(
        "models: {} and {} bytes; 100 edits give {} changes ({} wire-level and compatible, {} code-breaking)",
        old_text.len(),
        new_text.len(),
        changes.len(),
        wire,
        changes.len() - wire
    );
    if !full {
        println!("quick run (no --bench): 1 round, figures are not meaningful");
    }

    let mut parse_both = Vec::new();
    let mut wire_diff = Vec::new();
    let mut full_diff = Vec::new();
    for _ in 0..rounds {
        parse_both.push(sample(|| {
            black_box(parse(black_box(&old_text), "old.json").is_ok());
            black_box(parse(black_box(&new_text), "new.json").is_ok());
        }));
        wire_diff.push(sample(|| {
            black_box(diff_sides(black_box(&old_side), black_box(&new_side)).len());
        }));
        full_diff.push(sample(|| {
            black_box(
                tsl_codegen::diff::diff(black_box(&old_side), black_box(&new_side), &settings)
                    .map(|c| c.len())
                    .ok(),
            );
        }));
    }
    let (a, b, c) = (median(parse_both), median(wire_diff), median(full_diff));
    println!("median of {rounds} rounds:");
    println!(
        "  (a) Model::parse of both models (baseline)   {:>9.2} ms",
        ms(a)
    );
    println!(
        "  (b) model::diff::diff_sides (wire + sites)  {:>9.2} ms  {:.2}x (a)",
        ms(b),
        b.as_secs_f64() / a.as_secs_f64()
    );
    println!(
        "  (c) tsl_codegen::diff::diff (b + names)     {:>9.2} ms  {:.2}x (a)",
        ms(c),
        c.as_secs_f64() / a.as_secs_f64()
    );
    ExitCode::SUCCESS
}

/// 100 edits spread over the model.
fn changed(text: &str) -> Result<String, String> {
    let mut value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let spread = |value: &Value, key: &str, count: usize| -> Vec<usize> {
        let len = value[key].as_array().map_or(0, Vec::len);
        (0..count).map(|i| i * len / count).collect()
    };
    for i in spread(&value, "properties", 40) {
        let access = &mut value["properties"][i]["accessMode"];
        *access = json!(if access == "rw" { "r" } else { "rw" });
    }
    // Services and events other than the derived `set`/`get`/`post`.
    let services: Vec<usize> = (0..value["services"].as_array().map_or(0, Vec::len))
        .filter(|&i| {
            !matches!(
                value["services"][i]["identifier"].as_str(),
                Some("set" | "get")
            )
        })
        .collect();
    for k in 0..40 {
        let i = services[k * services.len() / 40];
        let call = &mut value["services"][i]["callType"];
        *call = json!(if call == "sync" { "async" } else { "sync" });
    }
    let events: Vec<usize> = (0..value["events"].as_array().map_or(0, Vec::len))
        .filter(|&i| value["events"][i]["identifier"] != "post")
        .collect();
    for k in 0..20 {
        let i = events[k * events.len() / 20];
        let output = &mut value["events"][i]["outputData"][0]["identifier"];
        let renamed = format!(
            "{}Renamed",
            output.as_str().ok_or("an event without outputs")?
        );
        *output = json!(renamed);
    }
    serde_json::to_string_pretty(&value).map_err(|e| e.to_string())
}

/// The time of one call, from enough calls to last at least `MIN_SAMPLE`.
fn sample(mut f: impl FnMut()) -> Duration {
    let mut calls = 1u32;
    loop {
        let start = Instant::now();
        for _ in 0..calls {
            f();
        }
        let elapsed = start.elapsed();
        if elapsed >= MIN_SAMPLE || calls >= 1 << 16 {
            return elapsed / calls;
        }
        calls *= 2;
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
