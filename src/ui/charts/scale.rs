//! Value axes: round ("nice") tick values and the linear map from values to
//! coordinates.

/// Round tick values covering `[min, max]` and zero, about `target` of them, with
/// steps of 1, 2, 2.5 or 5 times a power of ten. With `integer` (counts) the step is
/// a whole number. Degenerate input (empty or all-equal data, NaN) still yields a
/// usable axis: all zeros give `[0, 1]` for counts.
///
/// ```
/// use fanfare::ui::charts::nice_ticks;
/// assert_eq!(nice_ticks(0.0, 97.0, 5, true), vec![0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
/// assert_eq!(nice_ticks(-1.0, 1.0, 5, false), vec![-1.0, -0.5, 0.0, 0.5, 1.0]);
/// ```
pub fn nice_ticks(min: f64, max: f64, target: usize, integer: bool) -> Vec<f64> {
    let (mut lo, mut hi) = (finite_or_zero(min), finite_or_zero(max));
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    // Honest baselines: the axis always shows zero.
    lo = lo.min(0.0);
    hi = hi.max(0.0);
    if (hi - lo).abs() < f64::EPSILON {
        hi = lo + 1.0;
    }
    let step = nice_step((hi - lo) / target.max(2) as f64, integer);
    // The epsilon keeps float noise (-0.3 / 0.1 = -2.9999…) from adding a tick.
    let first = (lo / step + 1e-9).floor() as i64;
    let last = (hi / step - 1e-9).ceil() as i64;
    let decimals = decimals_of(step);
    (first..=last)
        .map(|i| round_to(i as f64 * step, decimals))
        .collect()
}

fn finite_or_zero(v: f64) -> f64 {
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

fn nice_step(raw: f64, integer: bool) -> f64 {
    let magnitude = 10f64.powf(raw.log10().floor());
    let residual = raw / magnitude;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        // 2.5 × 1 is not a whole number.
        .filter(|m| !(integer && magnitude < 10.0 && *m == 2.5))
        .find(|m| *m >= residual - 1e-9)
        .unwrap_or(10.0);
    let step = nice * magnitude;
    if integer {
        step.max(1.0).round()
    } else {
        step
    }
}

/// Decimals needed to print multiples of `step` exactly (0.25 needs 2).
fn decimals_of(step: f64) -> i32 {
    (0..10)
        .find(|d| {
            let scaled = step * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6
        })
        .unwrap_or(10)
}

fn round_to(v: f64, decimals: i32) -> f64 {
    let f = 10f64.powi(decimals);
    let r = (v * f).round() / f;
    // -0.0 prints as "-0" in some formatters.
    if r == 0.0 {
        0.0
    } else {
        r
    }
}

/// Maps a value domain onto a coordinate range (which may be inverted, as the y
/// axis is in SVG).
#[derive(Debug, Clone, Copy)]
pub struct Linear {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Linear {
    pub fn new(domain: (f64, f64), range: (f64, f64)) -> Linear {
        Linear {
            d0: domain.0,
            d1: domain.1,
            r0: range.0,
            r1: range.1,
        }
    }

    pub fn map(&self, v: f64) -> f64 {
        let span = self.d1 - self.d0;
        if span.abs() < f64::EPSILON {
            return self.r0;
        }
        self.r0 + (v - self.d0) / span * (self.r1 - self.r0)
    }
}

/// Smallest and largest finite value of all inputs, if any.
pub fn extent<'a>(values: impl IntoIterator<Item = &'a f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .copied()
        .filter(|v| v.is_finite())
        .fold(None, |acc, v| match acc {
            None => Some((v, v)),
            Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_get_round_whole_steps() {
        assert_eq!(
            nice_ticks(0.0, 97.0, 5, true),
            [0., 20., 40., 60., 80., 100.]
        );
        assert_eq!(nice_ticks(0.0, 3.0, 5, true), [0., 1., 2., 3.]);
        assert_eq!(nice_ticks(0.0, 7.0, 5, true), [0., 2., 4., 6., 8.]);
        assert_eq!(
            nice_ticks(0.0, 1234.0, 5, true),
            [0., 250., 500., 750., 1000., 1250.]
        );
        assert_eq!(nice_ticks(12.0, 40.0, 5, true), [0., 10., 20., 30., 40.]);
    }

    #[test]
    fn all_zero_or_empty_data_gets_a_unit_axis() {
        assert_eq!(nice_ticks(0.0, 0.0, 5, true), [0., 1.]);
        assert_eq!(nice_ticks(f64::NAN, f64::NAN, 5, true), [0., 1.]);
        assert_eq!(nice_ticks(0.0, 0.0, 5, false), [0., 0.2, 0.4, 0.6, 0.8, 1.]);
    }

    #[test]
    fn negative_ranges_include_zero_and_print_exactly() {
        assert_eq!(nice_ticks(-1.0, 1.0, 5, false), [-1., -0.5, 0., 0.5, 1.]);
        assert_eq!(
            nice_ticks(-0.35, 0.8, 5, false),
            [-0.5, -0.25, 0., 0.25, 0.5, 0.75, 1.]
        );
        assert_eq!(nice_ticks(-0.3, -0.1, 5, false), [-0.3, -0.2, -0.1, 0.]);
        // No float noise such as 0.30000000000000004.
        for t in nice_ticks(0.0, 0.9, 5, false) {
            assert_eq!(t, (t * 10.0).round() / 10.0);
        }
    }

    #[test]
    fn ticks_cover_the_data() {
        for (lo, hi) in [(0.0, 0.013), (-7.0, 3.0), (5.0, 5.0), (0.0, 999_999.0)] {
            let t = nice_ticks(lo, hi, 5, false);
            assert!(
                t[0] <= lo.min(0.0) && *t.last().unwrap() >= hi,
                "{lo} {hi} {t:?}"
            );
            assert!(t.len() >= 2 && t.len() <= 8, "{t:?}");
        }
    }

    #[test]
    fn linear_maps_and_inverts() {
        let y = Linear::new((-1.0, 1.0), (200.0, 0.0));
        assert_eq!(y.map(0.0), 100.0);
        assert_eq!(y.map(1.0), 0.0);
        assert!(y.map(-0.5) > y.map(0.0));
    }
}
