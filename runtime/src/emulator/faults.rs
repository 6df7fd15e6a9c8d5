//! Faults injected by tests: the next N requests of an action answered badly on purpose.

use std::collections::VecDeque;
use std::time::Duration;

/// A way to answer badly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `Throttling.User`, HTTP 400, as when the QPS is exceeded.
    Throttle,
    /// An HTTP error status (500, 503, ...) with a gateway-shaped body (`InternalError`,
    /// `ServiceUnavailable`).
    Status(u16),
    /// The connection is reset (TCP RST) without an answer.
    Reset,
    /// The connection is closed without an answer.
    Close,
    /// The request is handled normally after this delay.
    Delay(Duration),
    /// HTTP 200 with a body that is not valid JSON.
    MalformedJson,
}

/// Pending faults, matched in the order injected.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    pending: VecDeque<Pending>,
}

#[derive(Debug)]
struct Pending {
    /// `None`: any action.
    action: Option<String>,
    fault: Fault,
    remaining: u32,
}

impl Faults {
    pub(crate) fn inject(&mut self, action: Option<String>, fault: Fault, times: u32) {
        if times > 0 {
            self.pending.push_back(Pending {
                action,
                fault,
                remaining: times,
            });
        }
    }

    /// The fault for a request of `action`, used up by this call.
    pub(crate) fn take(&mut self, action: Option<&str>) -> Option<Fault> {
        let index = self
            .pending
            .iter()
            .position(|p| p.action.is_none() || p.action.as_deref() == action)?;
        let pending = self.pending.get_mut(index)?;
        pending.remaining -= 1;
        let fault = pending.fault.clone();
        if pending.remaining == 0 {
            self.pending.remove(index);
        }
        Some(fault)
    }

    pub(crate) fn clear(&mut self) {
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_are_used_up_in_order_per_action() {
        let mut faults = Faults::default();
        faults.inject(Some("BatchPub".into()), Fault::Status(503), 2);
        faults.inject(None, Fault::Close, 1);
        assert_eq!(faults.take(Some("QueryThingModel")), Some(Fault::Close));
        assert_eq!(faults.take(Some("QueryThingModel")), None);
        assert_eq!(faults.take(Some("BatchPub")), Some(Fault::Status(503)));
        assert_eq!(faults.take(Some("BatchPub")), Some(Fault::Status(503)));
        assert_eq!(faults.take(Some("BatchPub")), None);
        faults.inject(None, Fault::Reset, 0);
        assert_eq!(faults.take(None), None);
    }
}
