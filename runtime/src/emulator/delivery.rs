//! How a request reaches a simulated device and how its answer comes back, without waiting
//! for anything but the device (issue 17: BENCHMARKS.md, "Call latency").

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::alink::{Reply, Request, Responder};

/// How a sync call's device answered.
pub(crate) enum Answered {
    /// In time.
    Reply(Reply),
    /// It panicked.
    Panicked,
    /// Not within the timeout; it goes on in the background.
    Late,
}

/// Waits `slow` when the device is slow. A prompt device does not wait at all:
/// `tokio::time::sleep(Duration::ZERO)` is not free, it waits for the timer's next tick (up
/// to 1 ms), which was most of a sync call's latency.
pub(crate) async fn pause(slow: Duration) {
    if !slow.is_zero() {
        tokio::time::sleep(slow).await;
    }
}

/// The device's answer to a sync call, waited for at most `timeout`.
///
/// The device runs in the caller's task, not a task of its own: a spawned task cost a
/// hand-off to another worker thread and back on every call. A device that panics still
/// fails only this call, and one that is too slow is moved to a task of its own to finish
/// its service, as a real device would.
pub(crate) async fn answer_within(
    responder: Arc<dyn Responder>,
    slow: Duration,
    request: Request,
    timeout: Duration,
) -> Answered {
    let mut device: Pin<Box<dyn Future<Output = Reply> + Send>> = Box::pin(async move {
        pause(slow).await;
        responder.respond(&request).await
    });
    match tokio::time::timeout(timeout, CatchUnwind(device.as_mut())).await {
        Ok(Ok(reply)) => Answered::Reply(reply),
        Ok(Err(())) => Answered::Panicked,
        Err(_) => {
            tokio::spawn(CatchUnwind(device));
            Answered::Late
        }
    }
}

/// A future whose panic is its output (`Err`), not the task's end.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, ()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        // Unwind safety: a future that panicked is never polled again; it is dropped.
        match std::panic::catch_unwind(AssertUnwindSafe(|| Pin::new(&mut *inner).poll(cx))) {
            Ok(Poll::Ready(output)) => Poll::Ready(Ok(output)),
            Ok(Poll::Pending) => Poll::Pending,
            Err(_) => Poll::Ready(Err(())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Answers after `delay`, then notes it finished; panics instead when `panics`.
    struct Device {
        delay: Duration,
        panics: bool,
        finished: AtomicBool,
    }

    impl Responder for Device {
        fn respond<'a>(
            &'a self,
            request: &'a Request,
        ) -> Pin<Box<dyn Future<Output = Reply> + Send + 'a>> {
            Box::pin(async move {
                tokio::time::sleep(self.delay).await;
                assert!(!self.panics, "the simulated device crashed");
                self.finished.store(true, Ordering::SeqCst);
                Reply::ok(&request.id, serde_json::json!({}))
            })
        }
    }

    fn device(delay_ms: u64, panics: bool) -> Arc<Device> {
        Arc::new(Device {
            delay: Duration::from_millis(delay_ms),
            panics,
            finished: AtomicBool::new(false),
        })
    }

    fn request() -> Request {
        Request::service("1", "Blink", serde_json::json!({}))
    }

    #[tokio::test]
    async fn a_prompt_device_answers_a_panicking_one_fails_a_late_one_finishes_later() {
        let prompt = device(0, false);
        let answered = answer_within(
            prompt.clone(),
            Duration::ZERO,
            request(),
            Duration::from_secs(5),
        )
        .await;
        assert!(matches!(answered, Answered::Reply(reply) if reply.is_ok()));

        let crashing = device(0, true);
        let answered =
            answer_within(crashing, Duration::ZERO, request(), Duration::from_secs(5)).await;
        assert!(matches!(answered, Answered::Panicked));

        let late = device(200, false);
        let answered = answer_within(
            late.clone(),
            Duration::ZERO,
            request(),
            Duration::from_millis(20),
        )
        .await;
        assert!(matches!(answered, Answered::Late));
        assert!(!late.finished.load(Ordering::SeqCst));
        // Its service goes on in the background and finishes (bounded wait).
        for _ in 0..100 {
            if late.finished.load(Ordering::SeqCst) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            late.finished.load(Ordering::SeqCst),
            "the late device was cancelled"
        );
    }
}
