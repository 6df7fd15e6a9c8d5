//! Stopping a batch from outside: [`BatchControl::stop`] starts no new call and lets those
//! in flight finish; [`BatchControl::abort`] abandons those in flight too. Either way every
//! device still gets its report line (`docs/batches.md`, "Interrupts").

use std::sync::Arc;

use tokio::sync::watch;

#[derive(Debug, Clone, Default)]
struct State {
    stop: Option<String>,
    abort: bool,
}

/// A handle to stop batches; clones control the same batches. A CLI calls
/// [`stop`](BatchControl::stop) on the first Ctrl-C and [`abort`](BatchControl::abort) on
/// the second.
#[derive(Debug, Clone)]
pub struct BatchControl {
    state: Arc<watch::Sender<State>>,
}

impl Default for BatchControl {
    fn default() -> Self {
        BatchControl::new()
    }
}

impl BatchControl {
    /// A control that has not been used.
    pub fn new() -> BatchControl {
        BatchControl {
            state: Arc::new(watch::Sender::new(State::default())),
        }
    }

    /// Start no new call: calls not yet sent are reported `not_attempted` with `reason`;
    /// calls in flight finish (within their timeout) and are reported as they end. The first
    /// reason given is kept.
    pub fn stop(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.state.send_if_modified(|state| {
            if state.stop.is_some() {
                return false;
            }
            state.stop = Some(reason);
            true
        });
    }

    /// Stop, and abandon the calls in flight: their devices are reported `unknown` (the
    /// request may have arrived) or `not_attempted` (it had not gone out yet).
    pub fn abort(&self, reason: impl Into<String>) {
        let reason = reason.into();
        self.state.send_if_modified(|state| {
            let changed = !state.abort || state.stop.is_none();
            state.stop.get_or_insert(reason);
            state.abort = true;
            changed
        });
    }

    /// Why it was stopped, if it was.
    pub fn stopped(&self) -> Option<String> {
        self.state.borrow().stop.clone()
    }

    /// Whether it was aborted.
    pub fn is_aborted(&self) -> bool {
        self.state.borrow().abort
    }

    /// Waits until it is stopped (at once if it is), and gives the reason.
    pub async fn wait_stopped(&self) -> String {
        let mut receiver = self.state.subscribe();
        let reason = match receiver.wait_for(|state| state.stop.is_some()).await {
            Ok(state) => state.stop.clone(),
            // The sender lives in `self`: it cannot be gone while we borrow it.
            Err(_) => None,
        };
        match reason {
            Some(reason) => reason,
            None => std::future::pending().await,
        }
    }

    /// Waits until it is aborted (at once if it is).
    pub async fn wait_aborted(&self) {
        let mut receiver = self.state.subscribe();
        if receiver.wait_for(|state| state.abort).await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn stop_keeps_the_first_reason_and_abort_implies_stop() {
        let control = BatchControl::new();
        assert_eq!(control.stopped(), None);
        let waiting = control.clone();
        let waiter = tokio::spawn(async move { waiting.wait_stopped().await });
        control.stop("interrupted (SIGINT)");
        control.stop("second");
        assert_eq!(waiter.await.unwrap(), "interrupted (SIGINT)");
        assert!(!control.is_aborted());
        control.abort("again");
        assert!(control.is_aborted());
        assert_eq!(control.stopped().as_deref(), Some("interrupted (SIGINT)"));
        control.wait_aborted().await;

        let fresh = BatchControl::new();
        fresh.abort("at once");
        assert_eq!(fresh.stopped().as_deref(), Some("at once"));
        assert_eq!(fresh.wait_stopped().await, "at once");
    }
}
