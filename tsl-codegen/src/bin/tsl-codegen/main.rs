//! `tsl-codegen`: check thing models and generate typed Rust from them.

mod diff;
mod emulate;
mod generate;
mod listen;
mod logging;
mod manual;
mod ops;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser, Subcommand};

/// See `mimalloc` in Cargo.toml: generation is allocation-bound.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use tsl_runtime::model::{Model, Parsed};

/// Typed Rust from Alibaba Cloud IoT Platform thing models (TSL).
#[derive(Parser)]
#[command(name = "tsl-codegen", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// More detail on stderr: -v each call and batch (info), -vv every span and event
    /// (debug), -vvv trace. RUST_LOG, when set, is used instead (e.g.
    /// `RUST_LOG=tsl_runtime=debug`).
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet")]
    verbose: u8,
    /// Less on stderr: no warnings, progress line or summary, only errors (`emulate`: no
    /// line per request on stdout either).
    #[arg(short, long, global = true)]
    quiet: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Check model files: exit 0 when every one is valid (warnings are printed),
    /// 1 with the diagnostics otherwise.
    ///
    /// Accepts TSL exports, simplified TSL, GetThingModelTsl and QueryThingModel responses,
    /// and bare ThingModelJson. Several files are checked together as the modules of one
    /// product (a default module and its custom modules).
    Check {
        /// Model files (JSON).
        #[arg(required = true, value_name = "MODEL")]
        models: Vec<PathBuf>,
    },
    /// Generate typed Rust from model files: to stdout, or to FILE (written only when its
    /// content changes). Several files are the modules of one product.
    Generate(generate::Args),
    /// Call a service on one device (InvokeThingService) or many (InvokeThingsService),
    /// with the arguments checked against the model.
    Invoke(ops::InvokeArgs),
    /// Set properties of one device (SetDeviceProperty) or many (SetDevicesProperty),
    /// checked against the model.
    Set(ops::SetArgs),
    /// Publish a message to a custom topic of many devices (BatchPub).
    Publish(ops::PublishArgs),
    /// Fetch a product's model (GetThingModelTsl or QueryThingModel) as a file `generate`
    /// accepts.
    Fetch(ops::FetchArgs),
    /// Compare two versions of a model: every change classified as wire-breaking,
    /// code-breaking or compatible; exit 1 when something breaks.
    Diff(diff::Args),
    /// Run the local IoT Platform emulator on 127.0.0.1 with these models and simulated
    /// devices, until Ctrl-C: the RPC API with its signatures, limits and error shapes.
    Emulate(emulate::Args),
    /// A device's latest reported properties (QueryDevicePropertyStatus), one JSON line per
    /// property, read against the model.
    Get(ops::GetArgs),
    /// A device's desired properties: set (with versions), get, clear.
    Desired(ops::DesiredArgs),
    /// A device's property values, events or service calls in a time window, paged, as
    /// JSON lines or CSV read against the model.
    History(ops::HistoryArgs),
    /// Receive device messages from a consumer group of the AMQP subscription and print one
    /// JSON line per message, decoded and checked against the model.
    Listen(listen::Args),
    /// Print a shell completion script: `tsl-codegen completions bash > ~/.local/share/
    /// bash-completion/completions/tsl-codegen` (also zsh, fish, elvish, powershell).
    Completions {
        /// The shell.
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) on stdout, or write one page per command to DIR:
    /// `tsl-codegen man | man -l -`.
    Man {
        /// Write `tsl-codegen.1` and `tsl-codegen-COMMAND.1` to this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(cli.verbose, cli.quiet);
    let quiet = cli.quiet;
    match cli.command {
        Command::Check { models } => check(&models, quiet),
        Command::Generate(args) => generate::run(&args),
        Command::Invoke(mut args) => {
            args.run.quiet = quiet;
            ops::invoke(&args)
        }
        Command::Set(mut args) => {
            args.run.quiet = quiet;
            ops::set(&args)
        }
        Command::Publish(mut args) => {
            args.run.quiet = quiet;
            ops::publish(&args)
        }
        Command::Fetch(args) => ops::fetch(&args),
        Command::Diff(args) => diff::run(&args),
        Command::Emulate(mut args) => {
            args.quiet = quiet;
            emulate::run(&args)
        }
        Command::Listen(args) => listen::run(&args),
        Command::Get(args) => ops::get(&args),
        Command::Desired(mut args) => {
            args.quiet = quiet;
            ops::desired(&args)
        }
        Command::History(args) => ops::history(&args),
        Command::Completions { shell } => manual::completions(Cli::command(), shell),
        Command::Man { dir } => manual::man(Cli::command(), dir.as_deref()),
    }
}

fn check(paths: &[PathBuf], quiet: bool) -> ExitCode {
    match Model::load_all(paths) {
        Ok(Parsed { model, warnings }) => {
            if !quiet {
                for warning in &warnings {
                    eprintln!("{warning}");
                }
                println!("{}", summary(&model, warnings.len()));
            }
            ExitCode::SUCCESS
        }
        Err(err) => {
            for d in &err.diagnostics {
                if !quiet || d.is_error() {
                    eprintln!("{d}");
                }
            }
            let errors = err.errors().count();
            eprintln!(
                "error: {} invalid: {errors} error{}",
                if paths.len() == 1 {
                    "model is"
                } else {
                    "models are"
                },
                if errors == 1 { "" } else { "s" }
            );
            ExitCode::FAILURE
        }
    }
}

/// One line: `ok: product a1b2c3 — 2 modules, 12 properties, 3 events, 5 services (1 warning)`.
fn summary(model: &Model, warnings: usize) -> String {
    let product = model
        .product_key
        .as_deref()
        .map(|k| format!("product {k}"))
        .unwrap_or_else(|| "model without product key".into());
    format!(
        "ok: {product}: {} module{}, {} properties, {} events, {} services ({warnings} warning{})",
        model.modules.len(),
        if model.modules.len() == 1 { "" } else { "s" },
        model.properties().count(),
        model.events().count(),
        model.services().count(),
        if warnings == 1 { "" } else { "s" },
    )
}
