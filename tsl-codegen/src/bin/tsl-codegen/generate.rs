//! `tsl-codegen generate`: models in, Rust out; `--check` for CI on checked-in stubs.

use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use tsl_codegen::{Generator, Settings, StepCheck};
use tsl_runtime::model::Model;

#[derive(clap::Args)]
pub struct Args {
    /// Model files (JSON): a default module and any custom modules of one product.
    #[arg(required = true, value_name = "MODEL")]
    models: Vec<PathBuf>,
    /// Write to FILE instead of stdout; the file is left untouched when nothing changed.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Write nothing; exit 1 if FILE is missing or differs from what would be generated.
    #[arg(long, requires = "output")]
    check: bool,
    /// Wrap the items in `pub mod NAME { ... }`.
    #[arg(long, value_name = "NAME")]
    module_name: Option<String>,
    /// Add a derive to every generated type (repeatable), e.g. `PartialOrd`.
    #[arg(long = "derive", value_name = "PATH")]
    derives: Vec<String>,
    /// Add an attribute to the types one name picks (repeatable): a generated Rust type
    /// (`WorkMode`) or a service/event identifier (`Blink`: its input and output), e.g.
    /// `--type-attribute 'WorkMode=derive(PartialOrd, Ord)'`. A name that picks no type is
    /// an error.
    #[arg(long = "type-attribute", value_name = "NAME=ATTRIBUTE", value_parser = parse_type_attribute)]
    type_attributes: Vec<(String, String)>,
    /// The path the code names the runtime by.
    #[arg(long, value_name = "PATH", default_value = "::tsl_runtime")]
    runtime_path: String,
    /// Implement serde's `Serialize`/`Deserialize` on every generated type in the wire form
    /// (wire keys, bools as 0/1, enum keys, dates as strings), checked against the model.
    #[arg(long)]
    serde: bool,
    /// How generated checks treat a number off its model's `step`: `warn` (the default:
    /// the value passes, `value::step_warnings` reports it), `strict` (an error) or `off`.
    /// The platform is not known to refuse such values (docs/checks.md).
    #[arg(long, value_name = "MODE", default_value = "warn")]
    step_check: StepCheck,
    /// Leave out the cloud side (`Device`, `Fleet`).
    #[arg(long)]
    no_cloud: bool,
    /// Leave out the device side (`Handler`, `dispatch`, `Responder`).
    #[arg(long)]
    no_device: bool,
}

/// `NAME=ATTRIBUTE`, both non-empty (the attribute may hold `=` itself).
fn parse_type_attribute(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((name, attribute)) if !name.trim().is_empty() && !attribute.trim().is_empty() => {
            Ok((name.trim().to_string(), attribute.trim().to_string()))
        }
        _ => Err(format!(
            "{text:?} is not NAME=ATTRIBUTE (e.g. 'WorkMode=derive(PartialOrd, Ord)')"
        )),
    }
}

pub fn run(args: &Args) -> ExitCode {
    let parsed = match Model::load_all(&args.models) {
        Ok(parsed) => parsed,
        Err(err) => {
            for d in &err.diagnostics {
                eprintln!("{d}");
            }
            eprintln!("error: nothing generated: the model is invalid");
            return ExitCode::FAILURE;
        }
    };
    for warning in &parsed.warnings {
        eprintln!("{warning}");
    }
    let mut settings = Settings::new()
        .runtime_path(args.runtime_path.clone())
        .cloud(!args.no_cloud)
        .device(!args.no_device)
        .serde(args.serde)
        .step_check(args.step_check);
    if let Some(name) = &args.module_name {
        settings = settings.module_name(name.clone());
    }
    for derive in &args.derives {
        settings = settings.derive(derive.clone());
    }
    for (name, attribute) in &args.type_attributes {
        settings = settings.type_attribute(name.clone(), attribute.clone());
    }
    let sources: Vec<String> = args
        .models
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    let sources: Vec<&str> = sources.iter().map(String::as_str).collect();
    let code = match Generator::new(&settings).generate_file(&parsed.model, &sources) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::FAILURE;
        }
    };
    match (&args.output, args.check) {
        (None, _) => match io::stdout().lock().write_all(code.as_bytes()) {
            Ok(()) => ExitCode::SUCCESS,
            // A closed pipe (`| head`) is not worth a panic.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: writing to stdout: {e}");
                ExitCode::FAILURE
            }
        },
        (Some(path), true) => check_fresh(path, &code, args),
        (Some(path), false) => write_if_changed(path, &code),
    }
}

fn check_fresh(path: &Path, code: &str, args: &Args) -> ExitCode {
    let current = fs::read_to_string(path);
    if current.as_deref().ok() == Some(code) {
        eprintln!("fresh: {}", path.display());
        return ExitCode::SUCCESS;
    }
    let why = match &current {
        Err(e) if e.kind() == io::ErrorKind::NotFound => "does not exist".to_string(),
        Err(e) => format!("cannot be read ({e})"),
        Ok(_) => "is stale: it differs from what the model generates".to_string(),
    };
    let models: Vec<String> = args
        .models
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    eprintln!(
        "error: {} {why}\n  regenerate it with: tsl-codegen generate -o {} {}",
        path.display(),
        path.display(),
        models.join(" ")
    );
    // What changed in the model, and whether it breaks devices or code: `diff` against
    // the version the stub was generated from (usually the last commit).
    if current.is_ok() {
        eprintln!(
            "  see what changed in the model: tsl-codegen diff --against git:HEAD {}",
            models.join(" ")
        );
    }
    ExitCode::FAILURE
}

fn write_if_changed(path: &Path, code: &str) -> ExitCode {
    if fs::read_to_string(path).ok().as_deref() == Some(code) {
        eprintln!("unchanged: {}", path.display());
        return ExitCode::SUCCESS;
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Err(e) = fs::create_dir_all(dir) {
            eprintln!("error: creating {}: {e}", dir.display());
            return ExitCode::FAILURE;
        }
    }
    match fs::write(path, code) {
        Ok(()) => {
            eprintln!("wrote: {}", path.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: writing {}: {e}", path.display());
            ExitCode::FAILURE
        }
    }
}
