//! The risk-adjusted Bernoulli CUSUM of Steiner, Cook, Farewell & Treasure (2000) and the
//! VLAD curve: sequential monitoring of one unit's (clinic's, therapist's) responders against
//! the responses its case mix predicts, patient by patient in checkpoint order.
//!
//! Why: a funnel plot ([`super::funnel`]) compares units once, on totals; a unit whose results
//! worsen part-way through is noticed sooner by a chart that accumulates evidence patient by
//! patient and signals when it is strong enough. Risk adjustment keeps a unit that treats
//! harder patients from being flagged for its case mix.
//!
//! **The chart.** Patient `i` has an expected probability of response `pᵢ` (from the benchmark
//! or case-mix model, `0 < pᵢ < 1`) and an observed outcome. The monitored *failure* is
//! non-response: `yᵢ = 1` for a non-responder, with expected failure probability
//! `qᵢ = 1 − pᵢ`. Under the null hypothesis the odds of failure are `qᵢ/(1 − qᵢ)`; under the
//! alternative they are multiplied by `R_A`. The log-likelihood ratio of patient `i` (Steiner
//! et al. 2000) is the weight
//!
//! ```text
//! Wᵢ = yᵢ ln R_A − ln(1 − qᵢ + R_A qᵢ)
//! ```
//!
//! and the chart is `X₀ = 0`, `Xᵢ = max(0, Xᵢ₋₁ + Wᵢ)`, signalling at the first `i` with
//! `Xᵢ >= h`. `R_A > 1` (default 2, a doubling of the odds of non-response) watches for
//! deterioration. `R_A < 1` watches for improvement with the same recursion: `Wᵢ` is then the
//! log-likelihood ratio of the lower odds and `Xᵢ` accumulates evidence for them. Steiner et
//! al. draw the improvement chart below zero (`Zᵢ = min(0, Zᵢ₋₁ − Wᵢ)`, signal at `Zᵢ <= −h`),
//! which is `−Xᵢ` here: the same signals.
//!
//! **After a signal** the chart restarts at 0 (the next patient starts from `X = 0`), the usual
//! practice when monitoring continues after a signal has been investigated (Grigg & Farewell, "An overview of risk-adjusted charts", JRSS A 167 (2004)
//! 523-539). The path keeps the value that crossed `h` at the signalling patient, so a plot
//! shows the crossing.
//!
//! **VLAD** (variable life-adjusted display; Lovegrove et al., Lancet 350 (1997) 1128-1130;
//! Grigg & Farewell 2004) is the cumulative observed minus expected responders,
//! `Vᵢ = Σⱼ≤ᵢ (oⱼ − pⱼ)` with `oⱼ = 1` for a responder: above 0 the unit has more responders than
//! its case mix predicts. It needs no threshold; it is the picture the CUSUM signals on.
//!
//! The threshold `h` for a stated in-control average run length is found by simulation in
//! `sim::cusum`; this module is pure arithmetic on slices.
//!
//! Reference: S. H. Steiner, R. J. Cook, V. T. Farewell & T. Treasure, "Monitoring surgical
//! performance using risk-adjusted cumulative sum charts", Biostatistics 1 (2000) 441-452.
//! Tests: the weights against the formula worked by hand (exact fractions, Python `math.log`),
//! `E₀[exp W] = 1` (the likelihood-ratio property), the restart, VLAD's end at `O − E`.

/// Invalid input to the CUSUM or the VLAD.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum CusumError {
    /// The alternative odds ratio is not a finite number above 0 other than 1.
    #[error(
        "odds ratio {value}: the alternative odds ratio of non-response must be a finite number \
         above 0 and not 1; give 2 to detect a doubling of the odds, 0.5 to detect a halving"
    )]
    OddsRatio {
        /// The rejected odds ratio.
        value: f64,
    },
    /// The signalling threshold is not a finite number above 0.
    #[error("threshold {value}: the CUSUM threshold h must be a finite number above 0, e.g. 4.5")]
    Threshold {
        /// The rejected threshold.
        value: f64,
    },
    /// An expected probability of response is not strictly between 0 and 1.
    #[error(
        "patient {index}: expected probability of response {value} is outside the open \
         interval (0, 1); the case-mix model must give every patient a probability strictly \
         between 0 and 1"
    )]
    Probability {
        /// 0-based position of the patient in checkpoint order.
        index: usize,
        /// The rejected probability.
        value: f64,
    },
}

/// One patient at the checkpoint: what the case mix predicts and what happened.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Patient {
    /// Expected probability of response `p`, strictly between 0 and 1.
    pub expected_response: f64,
    /// Whether the patient responded (pain improved by at least 30%).
    pub responded: bool,
}

/// A risk-adjusted Bernoulli CUSUM: the alternative odds ratio of non-response `R_A` and the
/// signalling threshold `h`, both validated.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct RiskAdjustedCusum {
    odds_ratio: f64,
    threshold: f64,
}

/// The chart of one unit.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct CusumPath {
    /// `Xᵢ` after patient `i` (0-based), before any restart: at a signal it is the value that
    /// reached `h`, and the next patient starts from 0.
    pub values: Vec<f64>,
    /// 0-based indices of the patients at which the chart signalled, increasing.
    pub signals: Vec<usize>,
}

/// Checks an odds ratio: finite, above 0, not 1.
fn check_odds_ratio(value: f64) -> Result<f64, CusumError> {
    if value.is_finite() && value > 0.0 && value != 1.0 {
        Ok(value)
    } else {
        Err(CusumError::OddsRatio { value })
    }
}

/// Checks an expected probability of response of the patient at `index`.
pub fn check_probability(index: usize, value: f64) -> Result<f64, CusumError> {
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(CusumError::Probability { index, value })
    }
}

/// The pair of weights of one patient with expected failure probability `q` under the
/// alternative odds ratio `r`: `(W if non-responder, W if responder)` =
/// `(ln r − ln(1 + (r − 1) q), −ln(1 + (r − 1) q))`, the module's `Wᵢ` with
/// `1 − q + r q = 1 + (r − 1) q` (computed with `ln_1p` so small `q` keeps its digits).
#[must_use]
pub fn weights(odds_ratio: f64, q: f64) -> (f64, f64) {
    let log_denominator = ((odds_ratio - 1.0) * q).ln_1p();
    (odds_ratio.ln() - log_denominator, -log_denominator)
}

/// The failure probability when the odds of failure `q/(1 − q)` are multiplied by `r`:
/// `r q / (1 − q + r q)`.
#[must_use]
pub fn shifted_failure_probability(odds_ratio: f64, q: f64) -> f64 {
    odds_ratio * q / (1.0 + (odds_ratio - 1.0) * q)
}

impl RiskAdjustedCusum {
    /// Steiner et al.'s default alternative: a doubling of the odds of failure.
    pub const DEFAULT_ODDS_RATIO: f64 = 2.0;

    /// Validates the alternative odds ratio of non-response and the threshold.
    ///
    /// # Errors
    /// [`CusumError::OddsRatio`] unless `odds_ratio` is finite, above 0 and not 1;
    /// [`CusumError::Threshold`] unless `threshold` is finite and above 0.
    pub fn new(odds_ratio: f64, threshold: f64) -> Result<RiskAdjustedCusum, CusumError> {
        let odds_ratio = check_odds_ratio(odds_ratio)?;
        if !(threshold.is_finite() && threshold > 0.0) {
            return Err(CusumError::Threshold { value: threshold });
        }
        Ok(RiskAdjustedCusum {
            odds_ratio,
            threshold,
        })
    }

    /// The alternative odds ratio `R_A`.
    #[must_use]
    pub fn odds_ratio(&self) -> f64 {
        self.odds_ratio
    }

    /// The threshold `h`.
    #[must_use]
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The weight `Wᵢ = yᵢ ln R_A − ln(1 − qᵢ + R_A qᵢ)` of one patient, `qᵢ = 1 − pᵢ`,
    /// `yᵢ = 1` for a non-responder (module documentation). `expected_response` is assumed
    /// validated (strictly between 0 and 1).
    #[must_use]
    pub fn weight(&self, expected_response: f64, responded: bool) -> f64 {
        let (fail, respond) = weights(self.odds_ratio, 1.0 - expected_response);
        if responded { respond } else { fail }
    }

    /// The chart of `patients` in checkpoint order: `Xᵢ` per patient and the patients at which
    /// it signalled (`Xᵢ >= h`), restarting at 0 after each signal.
    ///
    /// # Errors
    /// [`CusumError::Probability`] naming the first patient whose expected probability of
    /// response is not strictly between 0 and 1 (nothing is computed then).
    pub fn chart(&self, patients: &[Patient]) -> Result<CusumPath, CusumError> {
        for (i, p) in patients.iter().enumerate() {
            check_probability(i, p.expected_response)?;
        }
        let mut values = Vec::with_capacity(patients.len());
        let mut signals = Vec::new();
        let mut x = 0.0f64;
        for (i, p) in patients.iter().enumerate() {
            x = (x + self.weight(p.expected_response, p.responded)).max(0.0);
            values.push(x);
            if x >= self.threshold {
                signals.push(i);
                x = 0.0;
            }
        }
        Ok(CusumPath { values, signals })
    }
}

/// The VLAD curve: after patient `i`, the observed minus the expected responders so far,
/// `Σⱼ≤ᵢ (oⱼ − pⱼ)` (module documentation).
///
/// # Errors
/// [`CusumError::Probability`] naming the first patient whose expected probability of response
/// is not strictly between 0 and 1.
pub fn vlad(patients: &[Patient]) -> Result<Vec<f64>, CusumError> {
    let mut total = 0.0f64;
    patients
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let expected = check_probability(i, p.expected_response)?;
            total += f64::from(u8::from(p.responded)) - expected;
            Ok(total)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::testing::assert_abs;
    use super::*;

    /// The logarithms below are Python 3.11.7 `math.log` values of the exact fractions (17
    /// significant digits); `ln_1p` may differ from them by an ulp or two.
    const HAND: f64 = 1e-15;

    fn patient(p: f64, responded: bool) -> Patient {
        Patient {
            expected_response: p,
            responded,
        }
    }

    #[test]
    fn weights_match_the_formula_by_hand() {
        let c = RiskAdjustedCusum::new(2.0, 4.5).unwrap();
        // p = 0.6, q = 0.4, R_A = 2: 1 − q + R_A q = 1.4.
        // Non-responder: ln 2 − ln 1.4 = 0.6931471805599453 − 0.3364722366212129
        //   = 0.3566749439387324 (= ln(2/1.4) = ln(10/7)).
        assert_abs(
            c.weight(0.6, false),
            0.356_674_943_938_732_4,
            HAND,
            "W fail",
        );
        // Responder: −ln 1.4 = −0.3364722366212129.
        assert_abs(
            c.weight(0.6, true),
            -0.336_472_236_621_212_9,
            HAND,
            "W respond",
        );
        // p = 0.1, q = 0.9: 1 − 0.9 + 1.8 = 1.9. Non-responder ln(2/1.9) = ln(20/19)
        //   = 0.05129329438755048; responder −ln 1.9 = −0.6418538861723947.
        assert_abs(
            c.weight(0.1, false),
            0.051_293_294_387_550_48,
            HAND,
            "W fail q=.9",
        );
        assert_abs(
            c.weight(0.1, true),
            -0.641_853_886_172_394_7,
            HAND,
            "W resp q=.9",
        );
        // Improvement, R_A = 0.5, p = 0.6 (q = 0.4): 1 − 0.4 + 0.2 = 0.8.
        // Non-responder ln 0.5 − ln 0.8 = ln 0.625 = −0.4700036292457356;
        // responder −ln 0.8 = 0.22314355131420976.
        let down = RiskAdjustedCusum::new(0.5, 4.5).unwrap();
        assert_abs(
            down.weight(0.6, false),
            -0.470_003_629_245_735_6,
            HAND,
            "W fail OR .5",
        );
        assert_abs(
            down.weight(0.6, true),
            0.223_143_551_314_209_76,
            HAND,
            "W resp OR .5",
        );
        // Shifted probability at R_A = 2, q = 0.4: 0.8 / 1.4 = 4/7 = 0.5714285714285714.
        assert_abs(
            shifted_failure_probability(2.0, 0.4),
            0.571_428_571_428_571_4,
            HAND,
            "shifted q",
        );
    }

    #[test]
    fn weights_are_a_log_likelihood_ratio_with_mean_one_under_the_null() {
        // E₀[exp W] = q·(R/(1+(R−1)q)) + (1−q)·(1/(1+(R−1)q)) = 1 for every q and R: the
        // property that makes exp(ΣW) a martingale under the null.
        for r in [0.25, 0.5, 1.5, 2.0, 4.0] {
            for q in [0.01, 0.3, 0.5, 0.74, 0.99] {
                let (wf, wr) = weights(r, q);
                let mean = q * wf.exp() + (1.0 - q) * wr.exp();
                assert_abs(mean, 1.0, 1e-15, &format!("E0[exp W], R {r}, q {q}"));
            }
        }
    }

    #[test]
    fn chart_accumulates_floors_at_zero_and_restarts_after_a_signal() {
        // p = 0.6 throughout: a non-responder adds a = ln(10/7), a responder subtracts
        // b = ln 1.4. h = 0.7: two non-responders give 2a = 0.7133498878774648 >= 0.7.
        let a = 0.356_674_943_938_732_4;
        let b = 0.336_472_236_621_212_9;
        let c = RiskAdjustedCusum::new(2.0, 0.7).unwrap();
        let outcomes = [true, false, false, false, true, false, false];
        let patients: Vec<_> = outcomes.iter().map(|&r| patient(0.6, r)).collect();
        let path = c.chart(&patients).unwrap();
        // 0: max(0, −b) = 0; 1: a; 2: 2a -> signal, restart; 3: a; 4: a − b = 0.0202...;
        // 5: 0.0202 + a = 0.3769; 6: 0.3769 + a = 0.7336 -> signal.
        let expected = [0.0, a, 2.0 * a, a, a - b, 2.0 * a - b, 3.0 * a - b];
        for (i, (got, want)) in path.values.iter().zip(expected).enumerate() {
            assert_abs(*got, want, 1e-15, &format!("X_{i}"));
        }
        assert_eq!(path.signals, vec![2, 6]);
        // Without the restart the chart would have reached 4a − b at patient 3 and signalled
        // at every patient from 2 on.
        assert_eq!(path.values.len(), patients.len());
    }

    #[test]
    fn improvement_chart_signals_on_a_run_of_responders() {
        // R_A = 0.5, p = 0.6: a responder adds ln 1.25 = 0.2231435513142098.
        let c = RiskAdjustedCusum::new(0.5, 0.6).unwrap();
        let patients = vec![patient(0.6, true); 3];
        let path = c.chart(&patients).unwrap();
        assert_eq!(path.signals, vec![2]); // 3 × 0.2231 = 0.6694 >= 0.6; 2 × = 0.4463 is not
        let deterioration = RiskAdjustedCusum::new(2.0, 0.6).unwrap();
        assert!(deterioration.chart(&patients).unwrap().signals.is_empty());
    }

    #[test]
    fn vlad_ends_at_observed_minus_expected() {
        let probs = [0.2, 0.35, 0.5, 0.65, 0.8, 0.45, 0.55];
        let outcomes = [false, true, true, false, true, true, false];
        let patients: Vec<_> = probs
            .iter()
            .zip(outcomes)
            .map(|(&p, r)| patient(p, r))
            .collect();
        let curve = vlad(&patients).unwrap();
        // O = 4 responders, E = Σp = 3.5: O − E = 0.5.
        assert_abs(*curve.last().unwrap(), 0.5, 1e-15, "VLAD end");
        // First step: 0 − 0.2; second: −0.2 + 1 − 0.35 = 0.45.
        assert_abs(curve[0], -0.2, 1e-15, "VLAD 1");
        assert_abs(curve[1], 0.45, 1e-15, "VLAD 2");
        assert!(vlad(&[]).unwrap().is_empty());
    }

    #[test]
    fn constructors_and_inputs_are_validated_with_messages_naming_the_value() {
        for bad in [1.0, 0.0, -2.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                RiskAdjustedCusum::new(bad, 4.0),
                Err(CusumError::OddsRatio { .. })
            ));
        }
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                RiskAdjustedCusum::new(2.0, bad),
                Err(CusumError::Threshold { .. })
            ));
        }
        let msg = RiskAdjustedCusum::new(1.0, 4.0).unwrap_err().to_string();
        assert!(
            msg.contains("odds ratio 1") && msg.contains("not 1"),
            "{msg}"
        );
        let c = RiskAdjustedCusum::new(2.0, 4.0).unwrap();
        let bad = [patient(0.5, true), patient(1.0, true)];
        assert_eq!(
            c.chart(&bad),
            Err(CusumError::Probability {
                index: 1,
                value: 1.0
            })
        );
        assert!(matches!(
            vlad(&[patient(0.3, true), patient(f64::NAN, false)]),
            Err(CusumError::Probability { index: 1, .. })
        ));
    }
}
