//! Time, injectable.
//!
//! The client waits in three places: before a call when usage is high, between
//! retries, and (implicitly) while an object is paused. Going through a [`Clock`]
//! lets tests assert *how long* the client decided to wait without waiting:
//! [`ManualClock`] records every sleep and advances its own time instead.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A boxed sleep future.
pub type Sleep = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// The source of "now" and of waiting.
pub trait Clock: Send + Sync + fmt::Debug {
    fn now(&self) -> Instant;
    fn sleep(&self, duration: Duration) -> Sleep;
}

/// Real time through tokio (so tokio's paused test time, where enabled, applies too).
#[derive(Debug, Default, Clone, Copy)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        tokio::time::Instant::now().into_std()
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        Box::pin(tokio::time::sleep(duration))
    }
}

/// A clock for tests: `sleep` returns at once, records the duration and moves
/// this clock's time forward by it; `advance` moves time by hand.
#[derive(Debug, Clone)]
pub struct ManualClock {
    inner: Arc<Mutex<ManualInner>>,
}

#[derive(Debug)]
struct ManualInner {
    start: Instant,
    offset: Duration,
    sleeps: Vec<Duration>,
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl ManualClock {
    pub fn new() -> Self {
        ManualClock {
            inner: Arc::new(Mutex::new(ManualInner {
                start: Instant::now(),
                offset: Duration::ZERO,
                sleeps: Vec::new(),
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ManualInner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves time forward without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.lock().offset += by;
    }

    /// Every sleep requested so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.lock().sleeps.clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        let inner = self.lock();
        inner.start + inner.offset
    }
    fn sleep(&self, duration: Duration) -> Sleep {
        let mut inner = self.lock();
        inner.sleeps.push(duration);
        inner.offset += duration;
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn manual_clock_records_and_advances() {
        let c = ManualClock::new();
        let t0 = c.now();
        c.sleep(Duration::from_secs(3)).await;
        c.advance(Duration::from_secs(2));
        assert_eq!(c.now() - t0, Duration::from_secs(5));
        assert_eq!(c.sleeps(), vec![Duration::from_secs(3)]);
    }

    #[tokio::test]
    async fn tokio_clock_is_monotonic_and_zero_sleep_returns() {
        let c = TokioClock;
        let t0 = c.now();
        c.sleep(Duration::ZERO).await;
        assert!(c.now() >= t0);
    }
}
