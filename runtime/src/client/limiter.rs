//! Per-action call rates: at most N calls in any window of one second, shared by every call
//! made through one [`Client`](super::Client) and its clones.
//!
//! The platform counts a call when it arrives, which the client cannot see: a request can sit
//! in a connection or TLS handshake for a while and arrive late, next to a later one that
//! arrives early. So a call holds its slot while it is in flight and for one window *after
//! its answer came back* (its arrival was before that). A new call goes out only while fewer
//! than N calls are in flight or answered within the last window. Then no N+1 calls can
//! arrive within one window, whatever the network does: of any N+1, the last one sent left
//! at least one window after every other was answered, or it would have waited. Small
//! latencies cost almost nothing (1,050 devices, 11 calls at 10 per second: about 1.0 s on a
//! local server); on a slow network the rate is N per (window + latency), never above.
//!
//! A sliding window rather than a token bucket: a bucket of N refilled at N per second lets
//! 2N calls through in a little over one second.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

/// The documented QPS of each action: the client's default limits, [`crate::limits::QPS`]
/// (`docs/platform.md` §6).
pub const DEFAULT_QPS: [(&str, u32); crate::limits::QPS.len()] = crate::limits::QPS;

/// The limits of every action, each with its own window.
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    windows: HashMap<String, Arc<Window>>,
}

impl Limiter {
    /// A limiter with `limits` (action → calls per window); an action not named runs
    /// unlimited. A limit of 0 is taken as 1, so nothing waits forever.
    pub(crate) fn new<'a>(
        limits: impl IntoIterator<Item = (&'a str, u32)>,
        window: Duration,
    ) -> Limiter {
        let windows = limits
            .into_iter()
            .map(|(action, limit)| {
                let limit = usize::try_from(limit.max(1)).unwrap_or(usize::MAX);
                (action.to_string(), Arc::new(Window::new(limit, window)))
            })
            .collect();
        Limiter { windows }
    }

    /// Waits for a slot of `action`'s window. The slot is released (its answer time noted)
    /// when the permit is dropped.
    pub(crate) async fn acquire(&self, action: &str) -> Permit {
        match self.windows.get(action) {
            Some(window) => {
                window.acquire().await;
                Permit {
                    window: Some(Arc::clone(window)),
                }
            }
            None => Permit { window: None },
        }
    }

    /// The limit of `action` per window, if it has one.
    pub(crate) fn limit(&self, action: &str) -> Option<usize> {
        self.windows.get(action).map(|window| window.limit)
    }
}

/// A slot in a window: a call in flight. Dropping it marks the call answered.
#[derive(Debug)]
pub(crate) struct Permit {
    window: Option<Arc<Window>>,
}

impl Drop for Permit {
    fn drop(&mut self) {
        if let Some(window) = &self.window {
            window.release();
        }
    }
}

#[derive(Debug)]
struct Window {
    limit: usize,
    width: Duration,
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    in_flight: usize,
    /// When each call of the last window was answered, oldest first.
    answered: VecDeque<Instant>,
}

impl Window {
    fn new(limit: usize, width: Duration) -> Window {
        Window {
            limit,
            width,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is two counters; one a panicking holder left behind is still usable.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    async fn acquire(&self) {
        loop {
            // Registered before looking, so a release between the look and the wait wakes us.
            let changed = self.changed.notified();
            let wake_at = {
                let mut state = self.lock();
                let now = Instant::now();
                while state
                    .answered
                    .front()
                    .is_some_and(|&answered| answered + self.width <= now)
                {
                    state.answered.pop_front();
                }
                if state.in_flight + state.answered.len() < self.limit {
                    state.in_flight += 1;
                    return;
                }
                // Full: the oldest answer leaves the window first; with every slot in flight,
                // only a release can help.
                state
                    .answered
                    .front()
                    .map(|&answered| answered + self.width)
            };
            match wake_at {
                Some(at) => {
                    tokio::select! {
                        () = tokio::time::sleep_until(at) => {}
                        () = changed => {}
                    }
                }
                None => changed.await,
            }
        }
    }

    fn release(&self) {
        {
            let mut state = self.lock();
            state.in_flight = state.in_flight.saturating_sub(1);
            state.answered.push_back(Instant::now());
        }
        self.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn client_limiter_never_lets_more_than_n_start_per_window() {
        let limiter = Arc::new(Limiter::new([("A", 3)], Duration::from_secs(1)));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let limiter = Arc::clone(&limiter);
            tasks.push(tokio::spawn(async move {
                let permit = limiter.acquire("A").await;
                let began = Instant::now();
                tokio::time::sleep(Duration::from_millis(50)).await;
                drop(permit);
                (began, Instant::now())
            }));
        }
        let mut calls = Vec::new();
        for task in tasks {
            calls.push(task.await.unwrap());
        }
        calls.sort();
        // Any call started at least one window after every call answered before it,
        // except for the limit's worth of others.
        for (i, &(began, _)) in calls.iter().enumerate() {
            let close = calls
                .iter()
                .enumerate()
                .filter(|&(j, &(_, ended))| {
                    j != i && ended + Duration::from_secs(1) > began && calls[j].0 <= began
                })
                .count();
            assert!(
                close < 3,
                "call {i} started with {close} others within the window"
            );
        }
        // 10 calls at 3 per window: the 10th starts after three full windows plus latency.
        let last = calls.last().unwrap().0 - start;
        assert!(last >= Duration::from_secs(3), "{last:?}");
        assert!(last < Duration::from_secs(4), "{last:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn client_limiter_unlimited_actions_and_zero() {
        let limiter = Limiter::new([("A", 0)], Duration::from_secs(1));
        assert_eq!(limiter.limit("A"), Some(1));
        assert_eq!(limiter.limit("B"), None);
        let start = Instant::now();
        let _many: Vec<Permit> =
            futures_util::future::join_all((0..1000).map(|_| limiter.acquire("B"))).await;
        assert_eq!(Instant::now(), start, "unlimited actions never wait");
        drop(limiter.acquire("A").await);
        drop(limiter.acquire("A").await);
        assert!(Instant::now() - start >= Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn client_limiter_in_flight_calls_hold_their_slot() {
        let limiter = Limiter::new([("A", 1)], Duration::from_secs(1));
        let first = limiter.acquire("A").await;
        let waiting = limiter.acquire("A");
        tokio::pin!(waiting);
        // Held for 5 s: the second call must not start, however long the window is past.
        let waited = tokio::time::timeout(Duration::from_secs(5), waiting.as_mut()).await;
        assert!(waited.is_err());
        let released = Instant::now();
        drop(first);
        let _second = waiting.await;
        assert!(Instant::now() - released >= Duration::from_secs(1));
    }
}
