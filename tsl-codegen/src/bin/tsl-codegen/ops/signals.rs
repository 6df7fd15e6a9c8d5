//! Ctrl-C and SIGTERM during a run: the first one starts no new call and lets the calls in
//! flight finish; the second abandons them. Either way every device is still reported and
//! the command exits 130 (SIGINT) or 143 (SIGTERM).

use std::sync::{Arc, OnceLock};

use tsl_runtime::client::BatchControl;

/// A signal that interrupted the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interrupt {
    /// SIGINT (Ctrl-C).
    Int,
    /// SIGTERM.
    Term,
}

impl Interrupt {
    /// The exit code: 128 + the signal's number.
    pub fn exit_code(self) -> u8 {
        match self {
            Interrupt::Int => 130,
            Interrupt::Term => 143,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Interrupt::Int => "SIGINT",
            Interrupt::Term => "SIGTERM",
        }
    }
}

/// The first signal received, once one is.
#[derive(Debug, Clone, Default)]
pub struct Interrupts {
    first: Arc<OnceLock<Interrupt>>,
}

impl Interrupts {
    /// The signal that interrupted the run, if one did.
    pub fn received(&self) -> Option<Interrupt> {
        self.first.get().copied()
    }
}

/// Watches SIGINT and SIGTERM for the rest of the process, on the current tokio runtime:
/// the first stops `control`, the second aborts it. Called inside the runtime, before the
/// first call goes out.
pub fn watch(control: BatchControl) -> std::io::Result<Interrupts> {
    let interrupts = Interrupts::default();
    let first = Arc::clone(&interrupts.first);
    let mut signals = Signals::new()?;
    tokio::spawn(async move {
        let mut count = 0u32;
        loop {
            let Some(signal) = signals.next().await else {
                return;
            };
            count += 1;
            let _ = first.set(signal);
            if count == 1 {
                eprintln!(
                    "\n{}: no new call is started; the calls in flight finish and every device \
                     is reported (send it again to abandon them)",
                    signal.name()
                );
                control.stop(format!(
                    "interrupted ({}) before its call was sent",
                    signal.name()
                ));
            } else {
                eprintln!("\n{}: abandoning the calls in flight", signal.name());
                control.abort(format!("interrupted ({})", signal.name()));
            }
        }
    });
    Ok(interrupts)
}

#[cfg(unix)]
struct Signals {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

#[cfg(unix)]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Signals {
            int: signal(SignalKind::interrupt())?,
            term: signal(SignalKind::terminate())?,
        })
    }

    async fn next(&mut self) -> Option<Interrupt> {
        tokio::select! {
            got = self.int.recv() => got.map(|()| Interrupt::Int),
            got = self.term.recv() => got.map(|()| Interrupt::Term),
        }
    }
}

#[cfg(not(unix))]
struct Signals;

#[cfg(not(unix))]
impl Signals {
    fn new() -> std::io::Result<Signals> {
        Ok(Signals)
    }

    async fn next(&mut self) -> Option<Interrupt> {
        tokio::signal::ctrl_c().await.ok().map(|()| Interrupt::Int)
    }
}
