//! Accumulators that add up exactly, whatever the order: integer counts and sums, and
//! fixed-point sums for real-valued figures. They are what makes the output bit-identical for
//! any number of threads and lets `simulate merge` combine shards into exactly the unsharded
//! answer (floating-point sums would depend on the order of the additions).

use serde::{Deserialize, Serialize};

/// Fixed-point scale for real values: 2⁴⁰ (resolution 1e-12).
pub const SCALE: f64 = 1_099_511_627_776.0;

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
        let q = (v * SCALE).round() as i128;
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
mod as_string {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &i128, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&v.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<i128, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Adds `other` into `this` element by element (histograms of equal length).
pub fn add_counts(this: &mut [u64], other: &[u64]) {
    for (a, b) in this.iter_mut().zip(other) {
        *a += b;
    }
}
