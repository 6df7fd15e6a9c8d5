//! Generation time for a large synthetic model, as ratios to `serde_json` parsing the same
//! text in the same run (issue 3: plan + emit under 10× the parse), and the wall time of
//! the whole `tsl-codegen generate` command (target: under 1 s).
//!
//! ```sh
//! cargo bench -p tsl-codegen --bench generate
//! ```
//!
//! The model: 300 properties, 300 services of 5 inputs and 5 outputs, 100 events of 5
//! outputs, every TSL type in a cycle, plus the `post` event and `set`/`get` services a
//! console export derives from the properties (`support/synthetic_model.rs`).
//!
//! A plain `harness = false` program rather than criterion: the figures that matter are
//! ratios of timings taken side by side on a busy machine, which criterion does not print.
//! The stages are timed in turn within each round, so load that comes and goes hits all of
//! them alike; each figure is the median over the rounds (`TSL_BENCH_ROUNDS`, default 25),
//! each round timing enough calls to last at least 20 ms. Without `--bench` (that is, under
//! `cargo test --benches`) it makes one quick round to show that it runs. It never asserts a
//! timing.
//!
//! For profiling: `TSL_BENCH_ONLY=KEY` times only the stage with that key (`serde`, `parse`,
//! `plan`, `tokens`, `syn`, `pretty`, `file`) and skips the CLI;
//! `TSL_BENCH_SAVE_MODEL=FILE` writes the synthetic model to FILE, to run the CLI by hand.

#[path = "support/synthetic_model.rs"]
mod synthetic_model;

use std::fs;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use tsl_codegen::model::{Model, Parsed};
use tsl_codegen::{plan, Generator, Settings};

/// The allocator of the `tsl-codegen` binary, so the stages are timed as the CLI runs them
/// (generation is allocation-bound; build scripts and the macro use their own allocator).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Each timed sample lasts at least this long (more calls per sample for faster stages).
const MIN_SAMPLE: Duration = Duration::from_millis(20);
const DEFAULT_ROUNDS: usize = 25;
const CLI_RUNS: usize = 11;
const ORIGIN: &str = "synthetic.json";

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
    let only = std::env::var("TSL_BENCH_ONLY").ok();
    let text = synthetic_model::model_json(synthetic_model::ISSUE_3);
    if let Ok(path) = std::env::var("TSL_BENCH_SAVE_MODEL") {
        if let Err(err) = fs::write(&path, &text) {
            eprintln!("error: writing {path}: {err}");
            return ExitCode::FAILURE;
        }
        println!("wrote the synthetic model to {path}");
    }

    let Parsed { model, warnings } = match Model::parse(&text, ORIGIN) {
        Ok(parsed) => parsed,
        Err(err) => {
            for d in &err.diagnostics {
                eprintln!("{d}");
            }
            eprintln!("error: the synthetic model does not parse; nothing measured");
            return ExitCode::FAILURE;
        }
    };
    let generator = Generator::new(&Settings::new());
    let settings = Settings::new();
    let code = match generator.generate_file(&model, &[ORIGIN]) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: generating from the synthetic model: {err}");
            return ExitCode::FAILURE;
        }
    };
    let (types, params) = match plan::plan(&model, &settings) {
        Ok(p) => (p.types.len(), count_params(&model)),
        Err(_) => (0, 0),
    };
    let module = &model.modules[0];
    println!(
        "model: {} bytes, {} properties, {} services, {} events, {} parameters in all; \
         0 errors, {} warnings",
        text.len(),
        module.properties.len(),
        module.services.len(),
        module.events.len(),
        params,
        warnings.len()
    );
    println!(
        "output: {} bytes, {} lines, {} generated structs and enums",
        code.len(),
        code.lines().count(),
        types
    );
    if !full {
        println!("quick run (no --bench): 1 round, figures are not meaningful");
    }

    // Tokens for the format stages, made once: formatting does not depend on which run of
    // the generator made them (the output is deterministic).
    let tokens = match generator.generate_tokens(&model) {
        Ok(tokens) => tokens,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    let file = match syn::parse2::<syn::File>(tokens.clone()) {
        Ok(file) => file,
        Err(err) => {
            eprintln!("error: the generated tokens do not parse: {err}");
            return ExitCode::FAILURE;
        }
    };

    let mut stages: Vec<Stage> = vec![
        Stage::new(
            "serde",
            "(a) `serde_json::from_str::<Value>` (baseline)",
            || {
                black_box(serde_json::from_str::<serde_json::Value>(black_box(&text)).is_ok());
            },
        ),
        Stage::new("parse", "(b) `Model::parse` (parse + validate)", || {
            black_box(Model::parse(black_box(&text), ORIGIN).is_ok());
        }),
        Stage::new("plan", "plan only (`plan::plan`)", || {
            black_box(plan::plan(black_box(&model), &settings).is_ok());
        }),
        Stage::new("tokens", "(c) plan + emit (`generate_tokens`)", || {
            black_box(generator.generate_tokens(black_box(&model)).is_ok());
        }),
        Stage::new(
            "syn",
            "format: `syn::parse2::<syn::File>` of the tokens",
            || {
                black_box(syn::parse2::<syn::File>(black_box(tokens.clone())).is_ok());
            },
        ),
        Stage::new("pretty", "format: `prettyplease::unparse`", || {
            black_box(prettyplease::unparse(black_box(&file)).len());
        }),
        Stage::new("file", "(e) `generate_file` (plan + emit + format)", || {
            black_box(
                generator
                    .generate_file(black_box(&model), &[ORIGIN])
                    .is_ok(),
            );
        }),
    ];
    if let Some(only) = only {
        let Some(stage) = stages.iter_mut().find(|s| s.key == only) else {
            eprintln!("error: TSL_BENCH_ONLY={only}: no such stage");
            return ExitCode::FAILURE;
        };
        stage.calibrate();
        for _ in 0..rounds {
            stage.sample();
        }
        println!(
            "{}: median {} over {rounds} rounds",
            stage.label,
            show(stage.median())
        );
        return ExitCode::SUCCESS;
    }
    for stage in &mut stages {
        stage.calibrate();
    }
    for _ in 0..rounds {
        for stage in &mut stages {
            stage.sample();
        }
    }

    let medians: Vec<Duration> = stages.iter().map(Stage::median).collect();
    let base = medians[0];
    println!();
    println!("{rounds} rounds; median per call; ratio to (a) of the same run");
    println!();
    println!("| stage | median | × (a) | calls per sample |");
    println!("| --- | ---: | ---: | ---: |");
    for (stage, median) in stages.iter().zip(&medians) {
        row(stage.label, *median, base, Some(stage.calls));
    }
    let emit = medians[3].saturating_sub(medians[2]);
    let format = medians[4] + medians[5];
    row("emit only ((c) − plan)", emit, base, None);
    row(
        "(d) format (`syn::parse2` + `prettyplease`)",
        format,
        base,
        None,
    );
    row(
        "(b) + (e): what `generate` does in process",
        medians[1] + medians[6],
        base,
        None,
    );

    println!();
    match cli_runs(&text, if full { CLI_RUNS } else { 1 }) {
        Ok(cli) => {
            println!(
                "CLI `tsl-codegen generate synthetic.json -o out.rs` ({} runs, release binary {}):",
                cli.runs.len(),
                env!("CARGO_BIN_EXE_tsl-codegen")
            );
            println!(
                "  wall time median {} (min {}, max {}); process start-up (`--version`) median {}",
                show(median(&cli.runs)),
                show(cli.runs.iter().copied().min().unwrap_or_default()),
                show(cli.runs.iter().copied().max().unwrap_or_default()),
                show(median(&cli.startup)),
            );
            if !cli.cpu.is_empty() {
                println!(
                    "  CPU time (user + system) median {} (min {}, max {})",
                    show(median(&cli.cpu)),
                    show(cli.cpu.iter().copied().min().unwrap_or_default()),
                    show(cli.cpu.iter().copied().max().unwrap_or_default()),
                );
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!("error: timing the CLI: {err}");
            ExitCode::FAILURE
        }
    }
}

/// One timed stage.
struct Stage<'a> {
    /// What `TSL_BENCH_ONLY` names it by.
    key: &'static str,
    label: &'static str,
    run: Box<dyn FnMut() + 'a>,
    calls: u32,
    samples: Vec<Duration>,
}

impl<'a> Stage<'a> {
    fn new(key: &'static str, label: &'static str, run: impl FnMut() + 'a) -> Stage<'a> {
        Stage {
            key,
            label,
            run: Box::new(run),
            calls: 1,
            samples: Vec::new(),
        }
    }

    /// Warms up and picks enough calls per sample to last [`MIN_SAMPLE`].
    fn calibrate(&mut self) {
        (self.run)();
        let start = Instant::now();
        (self.run)();
        let once = start.elapsed().max(Duration::from_nanos(1));
        self.calls = (MIN_SAMPLE.as_nanos() / once.as_nanos() + 1).min(1 << 20) as u32;
    }

    fn sample(&mut self) {
        let start = Instant::now();
        for _ in 0..self.calls {
            (self.run)();
        }
        self.samples.push(start.elapsed() / self.calls);
    }

    fn median(&self) -> Duration {
        median(&self.samples)
    }
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    sorted.get(sorted.len() / 2).copied().unwrap_or_default()
}

fn row(label: &str, time: Duration, base: Duration, calls: Option<u32>) {
    let ratio = time.as_secs_f64() / base.as_secs_f64().max(1e-12);
    let calls = calls.map(|c| c.to_string()).unwrap_or_default();
    println!("| {label} | {} | {ratio:.2} | {calls} |", show(time));
}

fn show(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn count_params(model: &Model) -> usize {
    model
        .modules
        .iter()
        .map(|m| {
            m.properties.len()
                + m.services
                    .iter()
                    .map(|s| s.inputs.len() + s.outputs.len())
                    .sum::<usize>()
                + m.events.iter().map(|e| e.outputs.len()).sum::<usize>()
        })
        .sum()
}

struct CliTimes {
    runs: Vec<Duration>,
    /// User + system CPU time of each generate run, when `/proc` tells it.
    cpu: Vec<Duration>,
    startup: Vec<Duration>,
}

/// CPU time (user + system) of the children this process has waited for, from
/// `/proc/self/stat` (`cutime` + `cstime`, in clock ticks of 10 ms: Linux's `USER_HZ`).
/// A busy machine stretches wall time but not CPU time, so both are reported.
fn children_cpu() -> Option<Duration> {
    let stat = fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name start at field 3 (`state`).
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |field: usize| fields.get(field - 3)?.parse::<u64>().ok();
    Some(Duration::from_millis(10 * (ticks(16)? + ticks(17)?)))
}

/// Runs the release binary on the model written to a temporary folder: `runs` generate
/// runs, each writing a fresh file, and as many `--version` runs for the start-up cost.
fn cli_runs(text: &str, runs: usize) -> Result<CliTimes, String> {
    let dir = std::env::temp_dir().join(format!("tsl-codegen-bench-{}", std::process::id()));
    let result = cli_runs_in(&dir, text, runs);
    // Best effort: a folder left in the temp dir is harmless.
    let _ = fs::remove_dir_all(&dir);
    result
}

fn cli_runs_in(dir: &Path, text: &str, runs: usize) -> Result<CliTimes, String> {
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_tsl-codegen"));
    fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let model = dir.join("synthetic.json");
    let out = dir.join("out.rs");
    fs::write(&model, text).map_err(|e| format!("writing {}: {e}", model.display()))?;
    let mut times = CliTimes {
        runs: Vec::new(),
        cpu: Vec::new(),
        startup: Vec::new(),
    };
    for _ in 0..runs {
        // A missing output file makes every run write it, as a first generation does.
        let _ = fs::remove_file(&out);
        let cpu_before = children_cpu();
        let start = Instant::now();
        let output = Command::new(&bin)
            .arg("generate")
            .arg(&model)
            .arg("-o")
            .arg(&out)
            .output()
            .map_err(|e| format!("running {}: {e}", bin.display()))?;
        times.runs.push(start.elapsed());
        if let (Some(before), Some(after)) = (cpu_before, children_cpu()) {
            times.cpu.push(after.saturating_sub(before));
        }
        if !output.status.success() {
            return Err(format!(
                "{} generate failed ({}): {}",
                bin.display(),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let start = Instant::now();
        let status = Command::new(&bin)
            .arg("--version")
            .output()
            .map_err(|e| format!("running {}: {e}", bin.display()))?
            .status;
        times.startup.push(start.elapsed());
        if !status.success() {
            return Err(format!("{} --version failed ({status})", bin.display()));
        }
    }
    Ok(times)
}
