//! Consumer groups: each holds a queue of messages not yet accepted. Every connected client
//! of a group takes from the same queue (so a group's messages are shared among its
//! clients), and a message goes back to the front of the queue when its delivery is
//! released or its connection drops before it was accepted (at-least-once).

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use super::sasl::Login;
use super::{AmqpStats, UplinkMessage};
use crate::emulator::state::lock;

/// A message waiting for, or out on, a delivery.
#[derive(Debug, Clone)]
pub(crate) struct Pending {
    pub seq: u64,
    pub message: Arc<UplinkMessage>,
}

/// One consumer group.
pub(crate) struct Group {
    queue: Mutex<VecDeque<Pending>>,
    notify: Notify,
    /// Connected clients (the platform allows 64).
    pub clients: AtomicUsize,
    /// The most messages it keeps for its clients; past it the oldest is dropped (a run
    /// with no consumer must not grow without end).
    backlog: usize,
    /// Messages dropped for the backlog.
    dropped: AtomicU64,
}

impl Group {
    fn new(backlog: usize) -> Group {
        Group {
            queue: Mutex::new(VecDeque::new()),
            notify: Notify::new(),
            clients: AtomicUsize::new(0),
            backlog: backlog.max(1),
            dropped: AtomicU64::new(0),
        }
    }

    /// The next message, waiting until there is one.
    pub(crate) async fn next(&self) -> Pending {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(pending) = lock(&self.queue).pop_front() {
                return pending;
            }
            notified.await;
        }
    }

    fn push_back(&self, pending: Pending) {
        let mut queue = lock(&self.queue);
        while queue.len() >= self.backlog {
            queue.pop_front();
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
        queue.push_back(pending);
        drop(queue);
        self.notify.notify_one();
    }

    /// Back to the front: a redelivery goes out before newer messages.
    pub(crate) fn requeue(&self, pending: Pending) {
        lock(&self.queue).push_front(pending);
        self.notify.notify_one();
    }

    pub(crate) fn queued(&self) -> usize {
        lock(&self.queue).len()
    }
}

/// Counters (see [`AmqpStats`]).
#[derive(Default)]
pub(crate) struct Counters {
    pub published: AtomicU64,
    pub deliveries: AtomicU64,
    pub accepted: AtomicU64,
    pub redelivered: AtomicU64,
    pub released: AtomicU64,
    pub rejected: AtomicU64,
    pub connections: AtomicU64,
    /// Shared with each connection's SASL check, which counts a refusal before answering.
    pub refused: Arc<AtomicU64>,
    pub in_flight: AtomicU64,
}

/// Everything the AMQP side of the emulator shares.
pub(crate) struct Broker {
    pub login: Arc<Login>,
    pub groups: HashMap<String, Arc<Group>>,
    pub counters: Counters,
    next_seq: AtomicU64,
    /// Fault: drop the connection that makes the next delivery after this many more
    /// (0: no fault pending).
    pub drop_after: AtomicU32,
    pub drop_armed: AtomicBool,
    /// Open connections' kill switches, by connection number.
    pub connections: Mutex<HashMap<u64, std::net::TcpStream>>,
}

impl Broker {
    pub(crate) fn new(login: Login, backlog: usize) -> Broker {
        let groups = login
            .groups
            .iter()
            .map(|g| (g.clone(), Arc::new(Group::new(backlog))))
            .collect();
        Broker {
            login: Arc::new(login),
            groups,
            counters: Counters::default(),
            next_seq: AtomicU64::new(1),
            drop_after: AtomicU32::new(0),
            drop_armed: AtomicBool::new(false),
            connections: Mutex::new(HashMap::new()),
        }
    }

    /// Queues a message for every consumer group.
    pub(crate) fn publish(&self, message: UplinkMessage) {
        let message = Arc::new(message);
        self.counters.published.fetch_add(1, Ordering::Relaxed);
        for group in self.groups.values() {
            let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
            group.push_back(Pending {
                seq,
                message: message.clone(),
            });
        }
    }

    /// `true` when the delivery just made should be followed by a dropped connection.
    pub(crate) fn should_drop_now(&self) -> bool {
        if !self.drop_armed.load(Ordering::Acquire) {
            return false;
        }
        let left = self.drop_after.load(Ordering::Acquire);
        if left <= 1 {
            // Only one connection takes the fault.
            return self.drop_armed.swap(false, Ordering::AcqRel);
        }
        self.drop_after.fetch_sub(1, Ordering::AcqRel);
        false
    }

    /// Shuts every open connection's socket down (both directions): each client sees the
    /// connection drop, as on a network failure.
    pub(crate) fn drop_all(&self) -> usize {
        let connections = lock(&self.connections);
        for socket in connections.values() {
            let _ = socket.shutdown(std::net::Shutdown::Both);
        }
        connections.len()
    }

    pub(crate) fn stats(&self) -> AmqpStats {
        let c = &self.counters;
        AmqpStats {
            published: c.published.load(Ordering::Relaxed),
            deliveries: c.deliveries.load(Ordering::Relaxed),
            accepted: c.accepted.load(Ordering::Relaxed),
            redelivered: c.redelivered.load(Ordering::Relaxed),
            released: c.released.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            connections: c.connections.load(Ordering::Relaxed),
            refused: c.refused.load(Ordering::Relaxed),
            queued: self.groups.values().map(|g| g.queued() as u64).sum(),
            dropped: self
                .groups
                .values()
                .map(|g| g.dropped.load(Ordering::Relaxed))
                .sum(),
            in_flight: c.in_flight.load(Ordering::Relaxed),
            clients: self
                .groups
                .iter()
                .map(|(name, g)| (name.clone(), g.clients.load(Ordering::Relaxed)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(n: u64) -> Pending {
        Pending {
            seq: n,
            message: Arc::new(UplinkMessage {
                topic: "/pk/dn/user/x".into(),
                message_id: n.to_string(),
                generate_time: 0,
                body: Vec::new(),
            }),
        }
    }

    #[tokio::test]
    async fn a_full_backlog_drops_the_oldest_and_counts_them() {
        let group = Group::new(3);
        for n in 1..=5 {
            group.push_back(message(n));
        }
        assert_eq!(group.queued(), 3);
        assert_eq!(group.dropped.load(Ordering::Relaxed), 2);
        assert_eq!(group.next().await.seq, 3, "the newest are kept, in order");
        // A redelivery goes back to the front even when the backlog is full.
        group.requeue(message(9));
        assert_eq!(group.next().await.seq, 9);
    }
}
