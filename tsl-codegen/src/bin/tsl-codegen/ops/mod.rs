//! The operations commands: `invoke`, `set`, `publish`, `fetch`, calls to the IoT Platform
//! RPC API through `tsl_runtime::client`.
//!
//! Every command checks what it can before anything is sent (flags, files, values against
//! the model) and then runs its calls on a tokio runtime of its own. What each device's call
//! became is printed as one JSON line per device on stdout; errors go to stderr with the
//! platform's code, message and `RequestId`. The AccessKey secret is never printed: the
//! commands only hand the credentials to the client, whose `Debug` and errors hide it.

mod connection;
mod devices;
mod dry_run;
mod fetch;
mod invoke;
mod journal;
mod output;
mod publish;
mod run;
mod set;
mod signals;
mod state;

use std::process::ExitCode;

pub(crate) use connection::Connection;
pub use fetch::Args as FetchArgs;
pub use invoke::Args as InvokeArgs;
pub use publish::Args as PublishArgs;
pub use set::Args as SetArgs;
pub use state::{desired, get, history, DesiredArgs, GetArgs, HistoryArgs};

/// What every operations command's `--help` ends with: exit codes and credentials.
macro_rules! exit_codes {
    () => {
        "Exit codes:
  0    every device was accepted (for a sync service: the device answered with code 200)
  1    a device was refused, unknown or not attempted
  2    usage: bad flags, unreadable files, values that do not fit the model, no
       credentials, an unusable endpoint or journal; nothing was sent
  130  interrupted by SIGINT (Ctrl-C), 143 by SIGTERM: every device is still reported
     (errors print the platform's code, message and RequestId on stderr)

Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID, ALIBABA_CLOUD_ACCESS_KEY_SECRET and
ALIBABA_CLOUD_SECURITY_TOKEN (STS), else the aliyun CLI's ~/.aliyun/config.json
(ALIBABA_CLOUD_PROFILE). The secret is never printed."
    };
}

/// `--help` of the commands that address devices.
pub(crate) const DEVICES_HELP: &str = concat!(
    "Output: one JSON line per device on stdout, written as its call ends,
  {\"product_key\",\"device_name\",\"status\":\"accepted\",\"request_id\"}
      the platform answered Success: true
  {...,\"status\":\"refused\",\"code\",\"message\",\"request_id\"}
      the platform answered with an error, or the name cannot exist (code client.*)
  {...,\"status\":\"unknown\",\"reason\",\"request_id\"}
      sent, then no answer said what happened (reset, HTTP 5xx, timeout, unreadable
      answer): the platform may have acted, so it is never retried automatically
  {...,\"status\":\"not_attempted\",\"reason\"}
      nothing was sent: interrupted, a duplicate, a batch stopped early
A single device's line adds \"message_id\" and, for a sync service, the device's \"reply\"
({\"id\",\"code\",\"data\",\"message\"}) and its \"raw\" text. Lines read from a --journal
add \"from_journal\":true. On a terminal, a progress line shows on stderr for runs
longer than a second.

Ctrl-C or SIGTERM starts no new call, lets the calls in flight finish and reports every
device; a second one abandons the calls in flight (reported unknown).

",
    exit_codes!()
);

/// `--help` of `fetch`.
pub(crate) const FETCH_HELP: &str = exit_codes!();

/// Why a command stopped.
#[derive(Debug)]
pub(crate) enum Failure {
    /// Nothing was sent: a flag, a file, a value or the configuration is unusable.
    Usage(String),
    /// A call was made and failed, or failed before it was made.
    Call {
        /// The action (`InvokeThingService`).
        action: &'static str,
        /// What went wrong.
        error: tsl_runtime::Error,
    },
    /// Something after the calls went wrong (writing the output).
    Output(String),
}

impl Failure {
    pub(crate) fn usage(message: impl Into<String>) -> Failure {
        Failure::Usage(message.into())
    }

    pub(crate) fn call(action: &'static str) -> impl FnOnce(tsl_runtime::Error) -> Failure {
        move |error| Failure::Call { action, error }
    }
}

/// Runs `command` and reports a failure on stderr, with the exit code it means.
pub(crate) fn finish(result: Result<ExitCode, Failure>) -> ExitCode {
    match result {
        Ok(code) => code,
        Err(failure) => {
            eprintln!("{}", output::describe(&failure));
            output::exit_code(&failure)
        }
    }
}

/// A runtime for the command's calls: one thread is enough, the client's batches interleave
/// their calls on it.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::Output(format!("cannot start the async runtime: {e}")))
}

/// `--qos 0|1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum QosArg {
    /// At most once.
    #[value(name = "0")]
    AtMostOnce,
    /// At least once (kept up to 7 days for an offline device).
    #[value(name = "1")]
    AtLeastOnce,
}

impl QosArg {
    pub(crate) fn qos(self) -> tsl_runtime::client::Qos {
        match self {
            QosArg::AtMostOnce => tsl_runtime::client::Qos::AtMostOnce,
            QosArg::AtLeastOnce => tsl_runtime::client::Qos::AtLeastOnce,
        }
    }

    /// The `Qos` parameter as sent.
    pub(crate) fn wire(self) -> &'static str {
        match self {
            QosArg::AtMostOnce => "0",
            QosArg::AtLeastOnce => "1",
        }
    }
}

/// Reads the model files of one product; warnings go to stderr.
pub(crate) fn load_model(
    paths: &[std::path::PathBuf],
) -> Result<tsl_runtime::model::Model, Failure> {
    match tsl_runtime::model::Model::load_all(paths) {
        Ok(parsed) => {
            for warning in &parsed.warnings {
                eprintln!("{warning}");
            }
            Ok(parsed.model)
        }
        Err(err) => Err(Failure::usage(format!(
            "the model is invalid; nothing was sent:\n{err}"
        ))),
    }
}

/// `--product-key`, else the model's own.
pub(crate) fn product_key(
    flag: Option<&str>,
    model: &tsl_runtime::model::Model,
) -> Result<String, Failure> {
    let given = flag.filter(|key| !key.trim().is_empty());
    let from_model = model
        .product_key
        .as_deref()
        .filter(|key| !key.trim().is_empty() && !key.contains(['<', '>', ' ']));
    given
        .or(from_model)
        .map(str::to_string)
        .ok_or_else(|| Failure::usage("the model names no product key; give --product-key PK"))
}

/// `--step-check`, shared by the commands that encode values against the model (`invoke
/// --args`, `set --props`, `desired set --props`).
#[derive(clap::Args, Debug, Clone, Copy)]
pub(crate) struct StepArg {
    /// How a number off its model's `step` is treated: `warn` (the default: sent, with a
    /// warning on stderr), `strict` (refused; nothing is sent) or `off`. The platform is not
    /// known to refuse such values (docs/checks.md).
    #[arg(long = "step-check", value_name = "MODE", default_value = "warn")]
    pub check: tsl_runtime::value::StepCheck,
}

/// Writes each value `--step-check warn` let pass to stderr, naming `flag` (unless
/// `quiet`).
pub(crate) fn warn_off_step(flag: &str, warnings: &[tsl_runtime::value::ValueError], quiet: bool) {
    if quiet {
        return;
    }
    for warning in warnings {
        eprintln!(
            "warning: {flag} {warning}; sent as given (the platform is not known to refuse \
             it; --step-check strict refuses it)"
        );
    }
}

/// Indents every line of `text` by two spaces.
pub(crate) fn indent(text: &str) -> String {
    text.lines()
        .map(|line| format!("  {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn invoke(args: &InvokeArgs) -> ExitCode {
    finish(invoke::run(args))
}

pub fn set(args: &SetArgs) -> ExitCode {
    finish(set::run(args))
}

pub fn publish(args: &PublishArgs) -> ExitCode {
    finish(publish::run(args))
}

pub fn fetch(args: &FetchArgs) -> ExitCode {
    finish(fetch::run(args))
}
