//! A mutex's guard whatever a panicking holder left behind: the state behind every mutex of
//! this crate stays consistent between statements (counters, queues, idle connections),
//! so a panic elsewhere never has to poison the client, the emulator or a stand-in.

use std::sync::{Mutex, MutexGuard};

/// Locks `mutex`, taking the guard back from a poisoned lock.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|e| e.into_inner())
}
