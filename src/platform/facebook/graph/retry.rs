//! Backoff between retries: exponential, with jitter so that many workers hit by
//! the same outage do not retry in lockstep.

use std::time::Duration;

use rand::Rng;

/// No single backoff wait exceeds this, however many retries are configured.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// The wait before retry number `attempt` (0 for the first retry):
/// `base × 2^attempt` plus a jitter of `jitter_fraction × base × 2^attempt / 2`,
/// capped at [`MAX_BACKOFF`]. `jitter_fraction` is in `[0, 1)`; the client draws
/// it at random, tests pass fixed values.
pub fn backoff_delay(base: Duration, attempt: u32, jitter_fraction: f64) -> Duration {
    let exp = base.saturating_mul(2u32.saturating_pow(attempt.min(20)));
    let fraction = if jitter_fraction.is_finite() {
        jitter_fraction.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let jitter = exp.mul_f64(fraction / 2.0);
    exp.saturating_add(jitter).min(MAX_BACKOFF)
}

/// [`backoff_delay`] with a random jitter.
pub fn backoff_with_jitter(base: Duration, attempt: u32) -> Duration {
    let fraction: f64 = rand::thread_rng().gen_range(0.0..1.0);
    backoff_delay(base, attempt, fraction)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_per_attempt_plus_bounded_jitter() {
        let base = Duration::from_millis(200);
        assert_eq!(backoff_delay(base, 0, 0.0), Duration::from_millis(200));
        assert_eq!(backoff_delay(base, 1, 0.0), Duration::from_millis(400));
        assert_eq!(backoff_delay(base, 3, 0.0), Duration::from_millis(1600));
        assert_eq!(backoff_delay(base, 1, 1.0), Duration::from_millis(600));
        assert_eq!(backoff_delay(base, 40, 0.5), MAX_BACKOFF);
        assert_eq!(backoff_delay(base, 0, f64::NAN), base);
        for attempt in 0..4 {
            let d = backoff_with_jitter(base, attempt);
            let exp = base * 2u32.pow(attempt);
            assert!(d >= exp && d <= exp + exp / 2, "{attempt}: {d:?}");
        }
    }
}
