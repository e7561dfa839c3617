//! Case-mix adjustment (`audit --adjust-casemix baseline,age[,sex]`): each judged patient's
//! expected probability of responding from a logistic model, so a unit that treats worse
//! baselines or older patients is not blamed for them.
//!
//! Why: a clinic whose patients start with more severe pain responds less often by the 30%
//! rule for reasons it does not control. Indirect standardisation by arm (the default) cannot
//! see that; a patient-level model can. Health-care audits compare units on observed/expected
//! (O/E) with expected counts from such a model (Spiegelhalter 2005, §2; the NHS SHMI and the
//! national clinical audits do so), with exact limits for the sum of the patients' Bernoulli
//! probabilities ([`crate::stats::poisson_binomial`]).
//!
//! The model: `logit P(respond) = β₀ + Σ β_a [arm = a] + β_b baseline + β_g age + Σ β_s [sex =
//! s]`, one indicator per treatment arm but the first (the schedule is part of the case mix,
//! as in the per-arm benchmark), the baseline score of the audited outcome, age in years, and
//! one indicator per sex value but the most frequent (sex is free text in participants.csv, so
//! it enters as categories). Fitted by maximum likelihood ([`crate::stats::glm`], the solver
//! `analyze --adjust` uses) on the judged, counted participants with every covariate, of the
//! units in control (the in-control search of `benchmark.rs` refits it without a unit far off),
//! or on every such participant of a reference cohort (`--reference COHORT`), whose fit is then
//! applied unchanged. A participant missing a covariate, on an arm or with a sex value the
//! model has not seen, has no expected probability and is not benchmarked (counted apart).
//! Adherence is a process measure the clinic controls: it is never a case-mix covariate.

use std::collections::BTreeMap;

use crate::stats::glm::{self, Design, FitError, Model};

/// The covariates of the case-mix model (the arm is always in it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct CaseMix {
    /// The audited outcome's baseline score.
    pub baseline: bool,
    /// Age in years.
    pub age: bool,
    /// Sex, as categories.
    pub sex: bool,
}

impl CaseMix {
    /// Parses a comma-separated list of `baseline`, `age` and `sex`.
    ///
    /// # Errors
    /// A message naming the value and the allowed words.
    pub fn parse(text: &str) -> Result<CaseMix, String> {
        let mut mix = CaseMix {
            baseline: false,
            age: false,
            sex: false,
        };
        for word in text.split(',').map(str::trim) {
            let slot = match word {
                "baseline" => &mut mix.baseline,
                "age" => &mut mix.age,
                "sex" => &mut mix.sex,
                _ => {
                    return Err(format!(
                        "{text}: `{word}` is not a case-mix covariate; give a comma-separated list of baseline, age and sex, e.g. baseline,age (adherence is a process measure and is never adjusted for)"
                    ));
                }
            };
            if *slot {
                return Err(format!("{text}: `{word}` is given twice"));
            }
            *slot = true;
        }
        Ok(mix)
    }

    /// The spelling of [`CaseMix::parse`].
    #[must_use]
    pub fn label(self) -> String {
        let words: Vec<&str> = [
            (self.baseline, "baseline"),
            (self.age, "age"),
            (self.sex, "sex"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, w)| *w)
        .collect();
        words.join(",")
    }
}

/// One participant's covariates (those the model does not use may be `None`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Subject<'a> {
    /// Arm id.
    pub arm: &'a str,
    /// Baseline score of the audited outcome.
    pub baseline: Option<f64>,
    /// Age in years.
    pub age: Option<f64>,
    /// Sex, as written.
    pub sex: Option<&'a str>,
}

/// A fitted case-mix model.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Fitted {
    /// The covariates.
    pub covariates: CaseMix,
    /// The coefficients by name (`intercept`, `arm:ID`, `baseline`, `age`, `sex:VALUE`), in
    /// the design's order.
    pub coefficients: Vec<(String, f64)>,
    /// Participants the model was fitted on.
    pub rows: usize,
    /// The reference arm (the first treatment arm in the fitting data).
    #[serde(skip)]
    arms: Vec<String>,
    /// The reference sex value (the most frequent).
    #[serde(skip)]
    sexes: Vec<String>,
}

impl Fitted {
    /// The covariates the model needs are all present and known to it.
    fn row(&self, s: &Subject<'_>, out: &mut Vec<f64>) -> Option<()> {
        let arm = self.arms.iter().position(|a| a == s.arm)?;
        out.push(1.0);
        out.extend((1..self.arms.len()).map(|a| f64::from(u8::from(a == arm))));
        if self.covariates.baseline {
            out.push(s.baseline.filter(|b| b.is_finite())?);
        }
        if self.covariates.age {
            out.push(s.age.filter(|a| a.is_finite())?);
        }
        if self.covariates.sex {
            let sex = self.sexes.iter().position(|x| Some(x.as_str()) == s.sex)?;
            out.extend((1..self.sexes.len()).map(|k| f64::from(u8::from(k == sex))));
        }
        Some(())
    }

    /// The expected probability of response of `subject`, or `None` when a covariate is
    /// missing or its arm or sex value was not in the fitting data.
    #[must_use]
    pub fn predict(&self, subject: &Subject<'_>) -> Option<f64> {
        let mut x = Vec::with_capacity(self.coefficients.len());
        self.row(subject, &mut x)?;
        let eta: f64 = x
            .iter()
            .zip(&self.coefficients)
            .map(|(x, (_, b))| x * b)
            .sum();
        Some(1.0 / (1.0 + (-eta).exp()))
    }
}

/// Why a case-mix model cannot be fitted.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CaseMixError {
    /// The solver failed.
    #[error("the case-mix model cannot be fitted: {0}")]
    Fit(#[from] FitError),
}

/// Fits the model on `subjects` with their outcomes (responder or not). Subjects missing a
/// covariate the model needs are skipped.
///
/// # Errors
/// [`CaseMixError`] when the logistic fit fails (too few rows, separation, collinearity).
pub fn fit<'a>(
    covariates: CaseMix,
    subjects: impl Iterator<Item = (Subject<'a>, bool)> + Clone,
) -> Result<Fitted, CaseMixError> {
    let complete = |s: &Subject<'_>| {
        (!covariates.baseline || s.baseline.is_some_and(f64::is_finite))
            && (!covariates.age || s.age.is_some_and(f64::is_finite))
            && (!covariates.sex || s.sex.is_some())
    };
    // Arms in order of first appearance in the arm list's sort (ids), sex values by frequency.
    let mut arms: Vec<String> = Vec::new();
    let mut sex_counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (s, _) in subjects.clone().filter(|(s, _)| complete(s)) {
        if !arms.iter().any(|a| a == s.arm) {
            arms.push(s.arm.to_owned());
        }
        if covariates.sex {
            *sex_counts.entry(s.sex.unwrap_or_default()).or_default() += 1;
        }
    }
    arms.sort();
    let mut sexes: Vec<(&str, usize)> = sex_counts.into_iter().collect();
    // Most frequent first (the reference), ties by the text.
    sexes.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let mut fitted = Fitted {
        covariates,
        coefficients: Vec::new(),
        rows: 0,
        arms,
        sexes: sexes.iter().map(|(s, _)| (*s).to_owned()).collect(),
    };
    let mut names = vec!["intercept".to_owned()];
    names.extend(fitted.arms.iter().skip(1).map(|a| format!("arm:{a}")));
    if covariates.baseline {
        names.push("baseline".to_owned());
    }
    if covariates.age {
        names.push("age".to_owned());
    }
    names.extend(fitted.sexes.iter().skip(1).map(|s| format!("sex:{s}")));
    let mut x = Vec::new();
    let mut y = Vec::new();
    for (s, responded) in subjects.filter(|(s, _)| complete(s)) {
        fitted
            .row(&s, &mut x)
            .expect("complete subjects have every covariate");
        y.push(f64::from(u8::from(responded)));
    }
    let design = Design {
        x: &x,
        columns: names.len(),
        y: &y,
        trials: None,
    };
    let fit = glm::fit(Model::Logistic, &design)?;
    fitted.rows = y.len();
    fitted.coefficients = names.into_iter().zip(fit.coefficients).collect();
    Ok(fitted)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Against statsmodels 0.15.0 `Logit(...).fit(method="newton", tol=1e-14)` on
    /// tests/fixtures/casemix_fixture.csv (tests/reference/casemix.py writes both files):
    /// coefficients within 1e-8 absolute, expected probabilities within 1e-10.
    #[test]
    fn matches_statsmodels_logit() {
        let fixture = crate::stats::testing::reference_rows(include_str!(
            "../../tests/fixtures/casemix_fixture.csv"
        ));
        let reference = crate::stats::testing::reference_rows(include_str!(
            "../../tests/reference/data/casemix.csv"
        ));
        let value = |what: &str| -> f64 {
            let row = reference.iter().find(|r| r[0] == what).unwrap();
            row[1].parse().unwrap()
        };
        let subjects: Vec<(Subject<'_>, bool)> = fixture
            .iter()
            .map(|r| {
                (
                    Subject {
                        arm: &r[0],
                        baseline: Some(r[1].parse().unwrap()),
                        age: Some(r[2].parse().unwrap()),
                        sex: Some(&r[3]),
                    },
                    r[4] == "1",
                )
            })
            .collect();
        assert_eq!(subjects.len(), 600);
        let fitted = fit(
            CaseMix::parse("baseline,age,sex").unwrap(),
            subjects.iter().copied(),
        )
        .unwrap();
        assert_eq!(fitted.coefficients.len(), 7);
        for (name, b) in &fitted.coefficients {
            let expected = value(name);
            assert!((b - expected).abs() < 1e-8, "{name}: {b} vs {expected}");
        }
        for (i, (s, _)) in subjects.iter().take(25).enumerate() {
            let (ours, theirs) = (fitted.predict(s).unwrap(), value(&format!("p{i}")));
            assert!((ours - theirs).abs() < 1e-10, "p{i}: {ours} vs {theirs}");
        }
    }

    #[test]
    fn parses_the_covariates_and_refuses_others() {
        let m = CaseMix::parse("baseline,age").unwrap();
        assert_eq!((m.baseline, m.age, m.sex), (true, true, false));
        assert_eq!(m.label(), "baseline,age");
        assert_eq!(CaseMix::parse("age, sex").unwrap().label(), "age,sex");
        assert!(
            CaseMix::parse("baseline,adherence")
                .unwrap_err()
                .contains("never adjusted")
        );
        assert!(CaseMix::parse("age,age").is_err());
        assert!(CaseMix::parse("").is_err());
    }

    /// A subject whose arm or sex the model has not seen, or who misses a covariate, has no
    /// expected probability; the others get the logistic function of the fitted predictor.
    #[test]
    fn predictions_need_known_covariates() {
        let mix = CaseMix::parse("baseline,sex").unwrap();
        let subjects: Vec<(Subject<'_>, bool)> = (0..200)
            .map(|i| {
                let s = Subject {
                    arm: if i % 3 == 0 { "A" } else { "B" },
                    baseline: Some(f64::from(i % 7)),
                    age: None,
                    sex: Some(if i % 5 < 2 { "F" } else { "M" }),
                };
                (s, (i * 7919) % 11 < 5 + (i % 7) / 2)
            })
            .collect();
        let fitted = fit(mix, subjects.iter().copied()).unwrap();
        assert_eq!(fitted.rows, 200);
        let names: Vec<&str> = fitted
            .coefficients
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        assert_eq!(names, ["intercept", "arm:B", "baseline", "sex:F"]);
        let s = Subject {
            arm: "B",
            baseline: Some(3.0),
            age: None,
            sex: Some("F"),
        };
        let b: Vec<f64> = fitted.coefficients.iter().map(|c| c.1).collect();
        let eta = b[0] + b[1] + 3.0 * b[2] + b[3];
        assert!((fitted.predict(&s).unwrap() - 1.0 / (1.0 + (-eta).exp())).abs() < 1e-15);
        assert_eq!(fitted.predict(&Subject { arm: "C", ..s }), None);
        assert_eq!(
            fitted.predict(&Subject {
                sex: Some("X"),
                ..s
            }),
            None
        );
        assert_eq!(
            fitted.predict(&Subject {
                baseline: None,
                ..s
            }),
            None
        );
    }
}
