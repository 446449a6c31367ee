//! Percentiles of a set of measurements.

use std::fmt;

/// Count, p50, p99, mean and max of a set of measurements (nearest-rank percentiles: the
/// p-th percentile is a measured value, never an interpolation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// How many measurements.
    pub count: usize,
    /// Median.
    pub p50: f64,
    /// 99th percentile (the maximum with fewer than 100 measurements).
    pub p99: f64,
    /// Mean.
    pub mean: f64,
    /// Largest.
    pub max: f64,
}

impl Summary {
    /// The summary of `values`; `None` when there are none (or any is not a number).
    pub fn of(values: &[f64]) -> Option<Summary> {
        if values.is_empty() || values.iter().any(|v| v.is_nan()) {
            return None;
        }
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let count = sorted.len();
        let mean = sorted.iter().sum::<f64>() / count as f64;
        Some(Summary {
            count,
            p50: nearest_rank(&sorted, 50.0),
            p99: nearest_rank(&sorted, 99.0),
            mean,
            max: sorted[count - 1],
        })
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "p50 {:.1}, p99 {:.1}, mean {:.1}, max {:.1} (n={})",
            self.p50, self.p99, self.mean, self.max, self.count
        )
    }
}

/// The nearest-rank `percentile` of sorted, non-empty `sorted`.
fn nearest_rank(sorted: &[f64], percentile: f64) -> f64 {
    let rank = (percentile / 100.0 * sorted.len() as f64).ceil();
    // rank is in 1..=len for a percentile in (0, 100]; the casts cannot truncate meaningfully.
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let index = (rank as usize).clamp(1, sorted.len()) - 1;
    sorted[index]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_are_nearest_rank_values() {
        let values: Vec<f64> = (1..=200).rev().map(f64::from).collect();
        let summary = Summary::of(&values).unwrap();
        assert_eq!(summary.count, 200);
        assert_eq!(summary.p50, 100.0);
        assert_eq!(summary.p99, 198.0);
        assert_eq!(summary.max, 200.0);
        assert_eq!(summary.mean, 100.5);
    }

    #[test]
    fn small_sets_take_their_largest_value_as_p99() {
        let summary = Summary::of(&[3.0, 1.0, 2.0]).unwrap();
        assert_eq!((summary.p50, summary.p99), (2.0, 3.0));
        let one = Summary::of(&[7.5]).unwrap();
        assert_eq!((one.p50, one.p99, one.max), (7.5, 7.5, 7.5));
    }

    #[test]
    fn nothing_to_summarise_gives_none() {
        assert_eq!(Summary::of(&[]), None);
        assert_eq!(Summary::of(&[1.0, f64::NAN]), None);
    }
}
