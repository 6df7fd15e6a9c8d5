//! Running a command's calls and reporting every device as its call ends: one JSON line on
//! stdout (flushed per call), the same line in the `--journal` (synced per call), a progress
//! line on a terminal, Ctrl-C and SIGTERM handled (`signals`), and a summary whose words
//! match the statuses.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tsl_runtime::client::{BatchCall, BatchControl, BatchSink, BatchTally, Client, NameSet};
use tsl_runtime::cloud::{DeviceReport, Outcome};

use super::connection::Connection;
use super::devices::{DeviceArgs, Devices};
use super::dry_run::DryRunFormat;
use super::journal::{Fingerprint, Journal};
use super::output::{self, REFUSED};
use super::signals::{self, Interrupts};
use super::Failure;

/// The flags every command that addresses devices shares.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    #[command(flatten)]
    pub devices: DeviceArgs,
    /// Print the signed requests instead of sending them: `text` (the default: method and
    /// URL, the headers that matter, and the form body when there is one) or `json` (one
    /// line per request: {"action","method","url","headers","body","device_names"}).
    #[arg(
        long,
        value_enum,
        value_name = "FORMAT",
        num_args = 0..=1,
        require_equals = true,
        default_missing_value = "text"
    )]
    pub dry_run: Option<DryRunFormat>,
    /// Append every device's report line to FILE as its call ends, synced to disk. Run the
    /// same command again with the same FILE to resume: devices it holds as accepted (or
    /// unknown) are not called again, and their lines are printed from it.
    #[arg(long, value_name = "FILE")]
    pub journal: Option<PathBuf>,
    /// With --journal: call devices whose outcome was unknown again (check first that the
    /// platform did not act on them).
    #[arg(long, requires = "journal")]
    pub retry_unknown: bool,
    /// No progress line and no summary on stderr: the global `-q/--quiet`, set by `main`.
    #[arg(skip)]
    pub quiet: bool,
    #[command(flatten)]
    pub connection: Connection,
}

impl RunArgs {
    /// The journal, opened for this run.
    pub fn journal(&self, fingerprint: &Fingerprint) -> Result<Option<Journal>, Failure> {
        self.journal
            .as_deref()
            .map(|path| Journal::open(path, fingerprint, self.retry_unknown))
            .transpose()
    }
}

/// Prints the lines of the devices file whose names cannot exist; they are reported
/// refused, each on its own line, and not sent.
pub fn warn_bad_lines(devices: &Devices) {
    for bad in &devices.bad_lines {
        eprintln!("warning: {}; reported refused, not sent", bad.problem);
    }
    let more = devices.bad_count - devices.bad_lines.len() as u64;
    if more > 0 {
        eprintln!("warning: ... and {more} more names the platform cannot have");
    }
}

/// Runs a batch on every device and reports each one as its call ends.
pub fn batch(
    client: &Client,
    call: &BatchCall,
    devices: &mut Devices,
    journal: Option<Journal>,
    quiet: bool,
) -> Result<ExitCode, Failure> {
    warn_bad_lines(devices);
    if let Some(journal) = journal.as_ref().filter(|j| j.resumed > 0 && !quiet) {
        eprintln!(
            "journal: {} lines from an earlier run; {} devices in it are done (accepted or \
             unknown) and are not called again",
            journal.resumed,
            journal.done_count()
        );
    }
    let runtime = super::runtime()?;
    let total = devices.count;
    let control = BatchControl::new();
    let reporter = Shared(Arc::new(Mutex::new(Reporter::new(
        journal,
        Progress::new(Some(total), quiet),
        control.clone(),
    ))));
    let (interrupts, read_error) = runtime.block_on(async {
        let interrupts = signals::watch(control.clone())
            .map_err(|e| Failure::Output(format!("cannot watch for Ctrl-C: {e}")))?;
        let mut names = devices.names();
        let pending = Pending {
            names: &mut names,
            reporter: reporter.clone(),
            product_key: call.product_key(),
            seen: NameSet::new(),
        };
        let mut sink = reporter.clone();
        client.run_batch(call, pending, &control, &mut sink).await;
        Ok::<_, Failure>((interrupts, names.error.take()))
    })?;
    let mut reporter = reporter.lock();
    reporter.finish()?;
    if let Some(error) = read_error {
        eprintln!("error: {error}; the names after it were not read");
    }
    reporter.summary(call.action(), quiet);
    Ok(reporter.exit_code(&interrupts))
}

/// Names still to call: devices the journal holds as done are reported from it instead.
struct Pending<'a, I> {
    names: &'a mut I,
    reporter: Shared,
    product_key: &'a str,
    /// Journal devices already reported, so that a repeat is a duplicate.
    seen: NameSet,
}

impl<I: Iterator<Item = String>> Iterator for Pending<'_, I> {
    type Item = String;

    fn next(&mut self) -> Option<String> {
        loop {
            let name = self.names.next()?;
            let mut reporter = self.reporter.lock();
            let done = reporter
                .journal
                .as_ref()
                .and_then(|journal| journal.done(&name).cloned());
            let Some(outcome) = done else {
                return Some(name);
            };
            let outcome = match self.seen.insert(&name, ()) {
                None => outcome,
                Some(()) => Outcome::NotAttempted {
                    reason: "duplicate: the name was given earlier in the list".to_string(),
                },
            };
            let from_journal =
                matches!(outcome, Outcome::Accepted { .. } | Outcome::Unknown { .. });
            reporter.line(
                DeviceReport {
                    product_key: self.product_key.to_string(),
                    device_name: name,
                    outcome,
                },
                from_journal,
            );
        }
    }
}

/// The reporter, shared by the batch's sink and the journal filter (one thread: never
/// contended).
#[derive(Clone)]
struct Shared(Arc<Mutex<Reporter>>);

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Reporter> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl BatchSink for Shared {
    fn device(&mut self, _index: usize, report: DeviceReport) {
        self.lock().line(report, false);
    }

    fn call_ended(&mut self) {
        self.lock().flush(true);
    }
}

/// Writes the lines and keeps the counts.
pub struct Reporter {
    journal: Option<Journal>,
    progress: Progress,
    /// Lines not yet written to stdout.
    pending: String,
    tally: BatchTally,
    from_journal: u64,
    first_refused: Option<DeviceReport>,
    first_unknown: Option<DeviceReport>,
    /// Stdout or the journal failed: the batch was stopped, this is why.
    failure: Option<Failure>,
    stdout_closed: bool,
    control: BatchControl,
}

impl Reporter {
    fn new(journal: Option<Journal>, progress: Progress, control: BatchControl) -> Reporter {
        Reporter {
            journal,
            progress,
            pending: String::new(),
            tally: BatchTally::default(),
            from_journal: 0,
            first_refused: None,
            first_unknown: None,
            failure: None,
            stdout_closed: false,
            control,
        }
    }

    /// One device's line: to stdout (buffered until the call ends) and the journal.
    fn line(&mut self, report: DeviceReport, from_journal: bool) {
        let extra = if from_journal {
            vec![("from_journal", "true".to_string())]
        } else {
            Vec::new()
        };
        let line = match output::device_line(&report, &extra) {
            Ok(line) => line,
            Err(failure) => return self.fail(failure),
        };
        self.tally.count(&report.outcome);
        if from_journal {
            self.from_journal += 1;
        } else if let Some(journal) = &mut self.journal {
            if let Err(failure) = journal.write_line(&line) {
                self.fail(failure);
            }
        }
        match &report.outcome {
            Outcome::Refused { .. } if self.first_refused.is_none() => {
                self.first_refused = Some(report)
            }
            Outcome::Unknown { .. } if self.first_unknown.is_none() && !from_journal => {
                self.first_unknown = Some(report)
            }
            _ => {}
        }
        self.pending.push_str(&line);
        self.pending.push('\n');
        if self.pending.len() >= 64 * 1024 {
            self.flush(false);
        }
        self.progress.update(&self.tally);
    }

    /// Writes the pending lines to stdout, and makes the journal durable if `sync`.
    fn flush(&mut self, sync: bool) {
        if !self.pending.is_empty() && !self.stdout_closed {
            let written = self
                .progress
                .suspend(|| std::io::stdout().lock().write_all(self.pending.as_bytes()));
            if let Err(e) = written {
                self.stdout_closed = true;
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    self.fail(Failure::Output(format!("writing to stdout: {e}")));
                } else {
                    self.control
                        .stop("stdout was closed: no one reads the report");
                }
            }
        }
        self.pending.clear();
        if sync {
            if let Some(journal) = &mut self.journal {
                if let Err(failure) = journal.sync() {
                    self.fail(failure);
                }
            }
        }
    }

    /// Nothing more can be recorded as promised: stop the batch, keep the first reason.
    fn fail(&mut self, failure: Failure) {
        self.control.stop(format!(
            "not sent: the run stopped ({})",
            output::describe(&failure)
        ));
        self.failure.get_or_insert(failure);
    }

    fn finish(&mut self) -> Result<(), Failure> {
        self.flush(true);
        self.progress.clear();
        match self.failure.take() {
            Some(failure) => Err(failure),
            None => Ok(()),
        }
    }

    /// The summary on stderr: counts in the statuses' own words, and the first refusal and
    /// the first unknown outcome in full.
    fn summary(&self, action: &str, quiet: bool) {
        let t = &self.tally;
        if !quiet {
            let journal = if self.from_journal > 0 {
                format!(" ({} from the journal)", self.from_journal)
            } else {
                String::new()
            };
            eprintln!(
                "{action}: {} device{}{journal}: {} accepted, {} refused, {} unknown, {} not attempted",
                t.total(),
                if t.total() == 1 { "" } else { "s" },
                t.accepted,
                t.refused,
                t.unknown,
                t.not_attempted,
            );
        }
        if let Some(DeviceReport {
            device_name,
            outcome:
                Outcome::Refused {
                    code,
                    message,
                    request_id,
                },
            ..
        }) = &self.first_refused
        {
            let by = if code.starts_with("client.") {
                "refused before sending"
            } else {
                "refused by the platform"
            };
            eprintln!(
                "error: {action} was {by} (first: {device_name})\n  code: {code}\n  message: \
                 {message}\n  request id: {}",
                request_id.as_deref().unwrap_or("(none)")
            );
        }
        if let Some(DeviceReport {
            device_name,
            outcome: Outcome::Unknown { reason, request_id },
            ..
        }) = &self.first_unknown
        {
            eprintln!(
                "error: {} device{} of {action} ended unknown: the call was sent and may have \
                 been run, but no answer said so (first: {device_name})\n  reason: {reason}\n  \
                 request id: {}\n  hint: check the devices before calling them again; a rerun \
                 with --journal skips them unless --retry-unknown",
                t.unknown,
                if t.unknown == 1 { "" } else { "s" },
                request_id.as_deref().unwrap_or("(none)")
            );
        }
    }

    fn exit_code(&self, interrupts: &Interrupts) -> ExitCode {
        if let Some(signal) = interrupts.received() {
            return ExitCode::from(signal.exit_code());
        }
        if self.tally.all_accepted() {
            ExitCode::SUCCESS
        } else {
            ExitCode::from(REFUSED)
        }
    }
}

/// The progress line: on a terminal's stderr, once a run has taken more than a second.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    /// Whether it may be shown at all (stderr is a terminal and not `--quiet`).
    allowed: bool,
    shown: bool,
}

impl Progress {
    /// Devices to come (`None` when not known).
    pub fn new(total: Option<u64>, quiet: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(total, ProgressDrawTarget::hidden());
        let template = if total.is_some() {
            "{elapsed_precise} [{bar:30}] {pos}/{len} devices · {msg} · {per_sec} · ETA {eta}"
        } else {
            "{elapsed_precise} {pos} devices · {msg} · {per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        Progress {
            bar,
            started: Instant::now(),
            allowed: !quiet && std::io::stderr().is_terminal(),
            shown: false,
        }
    }

    fn update(&mut self, tally: &BatchTally) {
        self.bar.set_position(tally.total());
        if !self.allowed {
            return;
        }
        if !self.shown && self.started.elapsed() > Duration::from_secs(1) {
            self.shown = true;
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
            self.bar.enable_steady_tick(Duration::from_millis(250));
        }
        if self.shown {
            self.bar.set_message(format!(
                "{} accepted, {} refused, {} unknown, {} not attempted",
                tally.accepted, tally.refused, tally.unknown, tally.not_attempted
            ));
        }
    }

    fn suspend<T>(&self, f: impl FnOnce() -> T) -> T {
        self.bar.suspend(f)
    }

    fn clear(&self) {
        self.bar.finish_and_clear();
    }
}

/// The outcome of a call on one device, with Ctrl-C handled: the first signal lets the call
/// finish, the second abandons it (`Err` with the signal).
pub fn single<T>(
    runtime: &tokio::runtime::Runtime,
    call: impl std::future::Future<Output = T>,
) -> Result<(T, Option<signals::Interrupt>), signals::Interrupt> {
    runtime.block_on(async {
        let control = BatchControl::new();
        let interrupts = match signals::watch(control.clone()) {
            Ok(interrupts) => interrupts,
            Err(e) => {
                eprintln!("warning: cannot watch for Ctrl-C: {e}");
                Interrupts::default()
            }
        };
        tokio::pin!(call);
        tokio::select! {
            result = &mut call => Ok((result, interrupts.received())),
            () = control.wait_aborted() => Err(interrupts.received().unwrap_or(signals::Interrupt::Int)),
        }
    })
}

/// A single device's line from the journal, if the journal holds it as done: printed, and
/// the exit code it means.
pub fn single_from_journal(
    journal: Option<&Journal>,
    product_key: &str,
    device_name: &str,
) -> Result<Option<ExitCode>, Failure> {
    let Some(outcome) = journal.and_then(|journal| journal.done(device_name)) else {
        return Ok(None);
    };
    let accepted = matches!(outcome, Outcome::Accepted { .. });
    let report = DeviceReport {
        product_key: product_key.to_string(),
        device_name: device_name.to_string(),
        outcome: outcome.clone(),
    };
    output::print_line(&output::device_line(
        &report,
        &[("from_journal", "true".into())],
    )?)?;
    eprintln!(
        "{device_name}: {} in the journal; not called again",
        outcome.status()
    );
    Ok(Some(if accepted {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(REFUSED)
    }))
}

/// Records a single device's line in the journal, durably.
pub fn journal_single(journal: Option<&mut Journal>, line: &str) -> Result<(), Failure> {
    if let Some(journal) = journal {
        journal.write_line(line)?;
        journal.sync()?;
    }
    Ok(())
}
