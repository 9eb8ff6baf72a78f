//! Medians and percentiles of a sample (nearest rank, no interpolation).

use serde_json::{Value, json};

/// Summary of a sample of durations in milliseconds (or any unit).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Sample size.
    pub n: usize,
    /// Median (nearest rank; the lower middle for an even size).
    pub median: f64,
    /// 90th percentile (nearest rank).
    pub p90: f64,
    /// Smallest value.
    pub min: f64,
    /// Largest value.
    pub max: f64,
    /// Arithmetic mean.
    pub mean: f64,
}

/// The value at percentile `p` (0–100) of sorted `values` by nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Summarises `values` (any order).
pub fn summarize(values: &[f64]) -> Summary {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    let mean = if n == 0 {
        f64::NAN
    } else {
        sorted.iter().sum::<f64>() / n as f64
    };
    Summary {
        n,
        median: percentile(&sorted, 50.0),
        p90: percentile(&sorted, 90.0),
        min: sorted.first().copied().unwrap_or(f64::NAN),
        max: sorted.last().copied().unwrap_or(f64::NAN),
        mean,
    }
}

impl Summary {
    /// JSON object with values rounded to 3 decimals.
    pub fn to_json(&self) -> Value {
        let r = |v: f64| {
            if v.is_finite() {
                json!((v * 1000.0).round() / 1000.0)
            } else {
                Value::Null
            }
        };
        json!({
            "n": self.n,
            "median": r(self.median),
            "p90": r(self.p90),
            "min": r(self.min),
            "max": r(self.max),
            "mean": r(self.mean),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_samples_is_the_nearest_rank() {
        assert_eq!(summarize(&[3.0, 1.0, 2.0]).median, 2.0);
        assert_eq!(summarize(&[4.0, 1.0, 3.0, 2.0]).median, 2.0);
        assert_eq!(summarize(&[1.0; 20]).p90, 1.0);
    }

    #[test]
    fn p90_of_ten_values_is_the_ninth() {
        let v: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(summarize(&v).p90, 9.0);
        assert_eq!(summarize(&v).max, 10.0);
    }
}
