//! Accumulators that add up exactly, whatever the order: integer counts and sums, and
//! fixed-point sums for real-valued figures. They are what makes the output bit-identical for
//! any number of threads and lets `simulate merge` combine shards into exactly the unsharded
//! answer (floating-point sums would depend on the order of the additions).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Fixed-point scale for real values: 2⁴⁰ (resolution 1e-12).
pub const SCALE: f64 = 1_099_511_627_776.0;

/// `v` in fixed point: `round(v · 2⁴⁰)`.
#[must_use]
pub fn fixed(v: f64) -> i128 {
    (v * SCALE).round() as i128
}

/// A sum of values and of their squares, kept exactly in fixed point.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FixedSum {
    /// Σ round(v · 2⁴⁰).
    #[serde(with = "as_string")]
    pub sum: i128,
    /// Σ round(v · 2⁴⁰)², in units of 2⁻⁸⁰.
    #[serde(with = "as_string")]
    pub sum_sq: i128,
}

impl FixedSum {
    /// Adds one value (|v| below 2²³ so the square fits).
    pub fn add(&mut self, v: f64) {
        let q = fixed(v);
        self.sum += q;
        self.sum_sq += q * q;
    }

    /// Adds another accumulator.
    pub fn merge(&mut self, other: &FixedSum) {
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// The sum as a float.
    #[must_use]
    pub fn total(&self) -> f64 {
        self.sum as f64 / SCALE
    }

    /// The sum of squares as a float.
    #[must_use]
    pub fn total_sq(&self) -> f64 {
        self.sum_sq as f64 / (SCALE * SCALE)
    }
}

/// A sum of whole numbers and of their squares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntSum {
    /// Σ v.
    #[serde(with = "as_string")]
    pub sum: i128,
    /// Σ v².
    #[serde(with = "as_string")]
    pub sum_sq: i128,
}

impl IntSum {
    /// Adds one value.
    pub fn add(&mut self, v: i64) {
        let v = i128::from(v);
        self.sum += v;
        self.sum_sq += v * v;
    }

    /// Adds another accumulator.
    pub fn merge(&mut self, other: &IntSum) {
        self.sum += other.sum;
        self.sum_sq += other.sum_sq;
    }

    /// Mean and its MCSE over `reps` values, scaled by `scale`.
    #[must_use]
    pub fn mean(&self, reps: u64, scale: f64) -> super::Estimate {
        let e = super::Estimate::mean(self.sum as f64, self.sum_sq as f64, reps);
        super::Estimate {
            estimate: e.estimate * scale,
            mcse: e.mcse * scale,
        }
    }
}

/// 128-bit integers as decimal strings in JSON (JSON numbers lose digits above 2⁵³).
pub(super) mod as_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// The bins of a [`LogHistogram`] as one string, `"-3:1 0:12 5:7"`.
mod bins_as_string {
    use std::collections::BTreeMap;
    use std::fmt::Write as _;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bins: &BTreeMap<i32, u64>, s: S) -> Result<S::Ok, S::Error> {
        let mut text = String::new();
        for (b, c) in bins {
            if !text.is_empty() {
                text.push(' ');
            }
            let _ = write!(text, "{b}:{c}");
        }
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<i32, u64>, D::Error> {
        let text = String::deserialize(d)?;
        let mut bins = BTreeMap::new();
        for pair in text.split_whitespace() {
            let parsed = pair
                .split_once(':')
                .and_then(|(b, c)| Some((b.parse::<i32>().ok()?, c.parse::<u64>().ok()?)));
            let Some((b, c)) = parsed else {
                return Err(serde::de::Error::custom(format!(
                    "bin {pair:?}: expected BIN:COUNT with whole numbers"
                )));
            };
            if bins.insert(b, c).is_some() {
                return Err(serde::de::Error::custom(format!("bin {b} is given twice")));
            }
        }
        Ok(bins)
    }
}

/// Adds `other` into `this` element by element (histograms of equal length).
pub fn add_counts(this: &mut [u64], other: &[u64]) {
    for (a, b) in this.iter_mut().zip(other) {
        *a += b;
    }
}

/// Bins per doubling of a [`LogHistogram`]: a bin spans a factor `2^(1/256)`, 0.27%.
pub const BINS_PER_DOUBLING: f64 = 256.0;

/// Counts of non-negative values on a logarithmic grid, for the quantiles of figures that are
/// not whole numbers (such as sessions per responder). Bin `b` holds the values in
/// `[2^(b/256), 2^((b+1)/256))`; 0 and undefined values (ranked above every number) are counted
/// apart; the smallest and largest defined values are kept exactly. Counts, the minimum and the
/// maximum combine in any order to the same result, so the histogram merges exactly.
///
/// A quantile is read as the geometric centre of its bin, clamped to the smallest and largest
/// value: within half a bin (0.14%) of the exact quantile of the values, and exact when every
/// value is the same.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogHistogram {
    /// Values equal to 0.
    pub zero: u64,
    /// Positive values by bin; in JSON one string `"BIN:COUNT BIN:COUNT ..."` in increasing
    /// bin order (a few hundred bins, one line).
    #[serde(with = "bins_as_string")]
    pub bins: BTreeMap<i32, u64>,
    /// Undefined values.
    pub undefined: u64,
    /// The smallest defined value (none yet: `null`).
    pub min: Option<f64>,
    /// The largest defined value.
    pub max: Option<f64>,
}

impl LogHistogram {
    /// Counts one value: `None` is undefined; a defined value must be finite and not negative
    /// (anything else is counted as undefined).
    pub fn add(&mut self, value: Option<f64>) {
        match value {
            Some(v) if v.is_finite() && v >= 0.0 => {
                if v == 0.0 {
                    self.zero += 1;
                } else {
                    let bin = (v.log2() * BINS_PER_DOUBLING).floor() as i32;
                    *self.bins.entry(bin).or_insert(0) += 1;
                }
                self.min = Some(self.min.map_or(v, |m| m.min(v)));
                self.max = Some(self.max.map_or(v, |m| m.max(v)));
            }
            _ => self.undefined += 1,
        }
    }

    /// Adds another histogram.
    pub fn merge(&mut self, other: &LogHistogram) {
        self.zero += other.zero;
        self.undefined += other.undefined;
        for (&b, &c) in &other.bins {
            *self.bins.entry(b).or_insert(0) += c;
        }
        for (mine, theirs, pick) in [
            (&mut self.min, other.min, f64::min as fn(f64, f64) -> f64),
            (&mut self.max, other.max, f64::max),
        ] {
            if let Some(t) = theirs {
                *mine = Some(mine.map_or(t, |m| pick(m, t)));
            }
        }
    }

    /// Values counted, defined or not.
    #[must_use]
    pub fn total(&self) -> u64 {
        self.zero + self.undefined + self.bins.values().sum::<u64>()
    }

    /// The `q` quantile: the value of the first bin whose cumulative count reaches `q` of the
    /// total (the rule of the responders' quantiles), or `None` when that is among the undefined
    /// values (or nothing was counted).
    #[must_use]
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let total = self.total();
        let target = (q * total as f64).max(0.0);
        let reached = |cumulative: u64| cumulative > 0 && cumulative as f64 >= target;
        let (lo, hi) = (self.min?, self.max?);
        if reached(self.zero) {
            return Some(0.0);
        }
        let mut cumulative = self.zero;
        for (&b, &c) in &self.bins {
            cumulative += c;
            if reached(cumulative) {
                let centre = ((f64::from(b) + 0.5) / BINS_PER_DOUBLING).exp2();
                return Some(centre.clamp(lo, hi));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_histogram_quantiles_are_within_half_a_bin_and_merge_exactly() {
        let values: Vec<f64> = (1..=1000).map(|i| f64::from(i) * 0.37).collect();
        let mut all = LogHistogram::default();
        let (mut even, mut odd) = (LogHistogram::default(), LogHistogram::default());
        for (i, &v) in values.iter().enumerate() {
            all.add(Some(v));
            if i % 2 == 0 {
                even.add(Some(v))
            } else {
                odd.add(Some(v))
            }
        }
        all.add(None);
        odd.add(None);
        odd.merge(&even);
        assert_eq!(odd, all);
        // Half a bin: a factor 2^(1/512) either way.
        let half_bin = (0.5 / BINS_PER_DOUBLING).exp2();
        // The rule: the first value whose cumulative count reaches q of the 1001 counted.
        for q in [0.025, 0.5, 0.975] {
            let exact = values[(q * 1001.0_f64).ceil() as usize - 1];
            let got = all.quantile(q).unwrap();
            assert!(
                got <= exact * half_bin && got >= exact / half_bin,
                "{q}: {got} vs {exact}"
            );
        }
        // The last value is undefined: the top quantile is unbounded.
        assert_eq!(all.quantile(1.0), None);
        // One repeated value is exact.
        let mut point = LogHistogram::default();
        for _ in 0..10 {
            point.add(Some(16.0 / 3.0));
        }
        assert_eq!(point.quantile(0.025), Some(16.0 / 3.0));
        assert_eq!(point.quantile(0.975), Some(16.0 / 3.0));
        assert_eq!(LogHistogram::default().quantile(0.5), None);
    }
}
