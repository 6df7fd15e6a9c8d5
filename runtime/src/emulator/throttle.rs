//! Per-action QPS with a sliding one-second window: a call is admitted when fewer than
//! `limit` calls of its action were admitted in the second before it.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

/// The documented per-account QPS of each action: the emulator enforces the same table the
/// client paces itself by, [`crate::limits::QPS`] (`docs/platform.md` §6). Actions the
/// emulator does not serve are refused before they are counted.
pub const DEFAULT_QPS: [(&str, u32); crate::limits::QPS.len()] = crate::limits::QPS;

const WINDOW: Duration = crate::limits::QPS_WINDOW;

#[derive(Debug)]
pub(crate) struct Throttle {
    limits: HashMap<String, u32>,
    admitted: HashMap<String, VecDeque<Instant>>,
}

impl Throttle {
    pub(crate) fn new(limits: HashMap<String, u32>) -> Throttle {
        Throttle {
            limits,
            admitted: HashMap::new(),
        }
    }

    /// Whether a call of `action` at `now` is within its QPS; an admitted call counts.
    /// Actions without a limit are always admitted.
    pub(crate) fn admit(&mut self, action: &str, now: Instant) -> bool {
        let Some(&limit) = self.limits.get(action) else {
            return true;
        };
        let window = self.admitted.entry(action.to_string()).or_default();
        while window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= WINDOW)
        {
            window.pop_front();
        }
        if window.len() >= limit as usize {
            return false;
        }
        window.push_back(now);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_slides() {
        let mut throttle = Throttle::new(HashMap::from([("A".to_string(), 2)]));
        let t0 = Instant::now();
        assert!(throttle.admit("A", t0));
        assert!(throttle.admit("A", t0 + Duration::from_millis(500)));
        assert!(!throttle.admit("A", t0 + Duration::from_millis(900)));
        // The first call left the window; the refused one never counted.
        assert!(throttle.admit("A", t0 + Duration::from_millis(1000)));
        assert!(!throttle.admit("A", t0 + Duration::from_millis(1400)));
        assert!(throttle.admit("A", t0 + Duration::from_millis(1500)));
        assert!(throttle.admit("B", t0));
    }
}
