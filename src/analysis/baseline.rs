//! Table 1: the baseline characteristics of each randomized arm (participants, age, women,
//! pain and NDI at baseline), the numbers of `table1.csv`, its sheet in `results.xlsx` and
//! the report's "Table 1" section, computed once here so the three cannot disagree.
//!
//! Every accepted participant counts in the arm they were randomized to, whatever the
//! analysis population (a baseline table describes the randomized groups). A mean and its SD
//! (n - 1 divisor, [`stats::mean`] and [`stats::sd`]) use the participants with a value; the
//! SD needs two. "Female" is the `sex` column read as `f`, `female`, `w` or `woman` (any case,
//! surrounding spaces ignored); anything else, empty included, is not counted as a woman.

use serde::Serialize;

use crate::cohort::Cohort;
use crate::derive::Derived;
use crate::stats;

/// Mean and SD of one baseline characteristic over the participants with a value.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct MeanSd {
    /// Participants with a value.
    pub n: u64,
    /// Their mean (`None` without values).
    pub mean: Option<f64>,
    /// Their SD, n - 1 divisor (`None` below two values).
    pub sd: Option<f64>,
}

impl MeanSd {
    fn of(values: &[f64]) -> MeanSd {
        MeanSd {
            n: values.len() as u64,
            mean: stats::mean(values),
            sd: stats::sd(values),
        }
    }
}

/// One arm's row of Table 1.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BaselineArm {
    /// Arm id.
    pub arm: String,
    /// True for the control arm.
    pub is_control: bool,
    /// Accepted participants randomized to the arm.
    pub randomized: u64,
    /// Age in years.
    pub age: MeanSd,
    /// Women (see the module note for what counts).
    pub female: u64,
    /// Pain (0-10) at baseline.
    pub pain: MeanSd,
    /// NDI (0-50) at baseline.
    pub ndi: MeanSd,
}

impl BaselineArm {
    /// `female / randomized` (`None` for an empty arm).
    #[must_use]
    pub fn female_share(&self) -> Option<f64> {
        (self.randomized > 0).then(|| self.female as f64 / self.randomized as f64)
    }
}

/// Is a `sex` cell a woman's? `f`, `female`, `w`, `woman` in any case, spaces around ignored.
#[must_use]
pub fn is_female(sex: Option<&str>) -> bool {
    sex.is_some_and(|x| {
        matches!(
            x.trim().to_ascii_lowercase().as_str(),
            "f" | "female" | "woman" | "w"
        )
    })
}

/// Table 1 over the cohort's accepted participants and their `derived` rows (same order), one
/// row per arm in trial order.
#[must_use]
pub fn baseline_table(cohort: &Cohort, derived: &[Derived]) -> Vec<BaselineArm> {
    let arms = cohort.protocol.arms();
    let mut counts = vec![(0u64, 0u64); arms.len()];
    let mut values: Vec<[Vec<f64>; 3]> = (0..arms.len()).map(|_| Default::default()).collect();
    for (p, d) in cohort.participants.iter().zip(derived) {
        let (n, female) = &mut counts[p.arm];
        *n += 1;
        *female += u64::from(is_female(p.sex.as_deref()));
        let [age, pain, ndi] = &mut values[p.arm];
        if let Some(a) = p.age {
            age.push(a as f64);
        }
        if let Some(b) = d.pain.baseline {
            pain.push(b.to_f64());
        }
        if let Some(b) = d.ndi.baseline {
            ndi.push(b.to_f64());
        }
    }
    arms.iter()
        .zip(counts)
        .zip(values)
        .map(
            |((arm, (randomized, female)), [age, pain, ndi])| BaselineArm {
                arm: arm.id().to_owned(),
                is_control: arm.is_control(),
                randomized,
                age: MeanSd::of(&age),
                female,
                pain: MeanSd::of(&pain),
                ndi: MeanSd::of(&ndi),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::assert_abs;

    /// The reference printed 16 significant digits: a few ulps apart.
    const NUMPY_ABS: f64 = 1e-14;

    #[test]
    fn female_spellings() {
        for yes in ["f", "F", " female ", "Woman", "w"] {
            assert!(is_female(Some(yes)), "{yes}");
        }
        for no in ["m", "male", "", "x", "fem"] {
            assert!(!is_female(Some(no)), "{no}");
        }
        assert!(!is_female(None));
    }

    #[test]
    fn mean_sd_needs_values() {
        assert_eq!(MeanSd::of(&[]), MeanSd::default());
        let one = MeanSd::of(&[4.0]);
        assert_eq!((one.n, one.mean, one.sd), (1, Some(4.0), None));
        // Python 3.11.7: statistics.mean([2, 4, 9]) = 5, statistics.stdev([2, 4, 9]) = 3.605551275463989
        let three = MeanSd::of(&[2.0, 4.0, 9.0]);
        assert_eq!(three.n, 3);
        assert_abs(three.mean.unwrap(), 5.0, NUMPY_ABS, "mean");
        assert_abs(three.sd.unwrap(), 3.605_551_275_463_989, NUMPY_ABS, "sd");
    }
}
