//! What each column of each sheet of `results.xlsx` (and of the CSV file of the same name)
//! holds, for the workbook's `about` sheet. The column lists themselves are those of
//! [`crate::render::export`]; a unit test checks that every one of them is described here.
//! The longer explanations are in `data/README.md`.

/// `(column, description)` of every fixed column, per sheet.
pub(super) const DESCRIPTIONS: &[(&str, &[(&str, &str)])] = &[
    (
        "arms",
        &[
            ("arm", "arm id, trial order"),
            ("is_control", "true for the control arm"),
            ("minutes", "planned minutes per session (empty for control)"),
            ("per_week", "planned sessions per week (empty for control)"),
            ("weeks", "planned weeks (empty for control)"),
            ("randomized", "accepted participants in the arm"),
            ("adherent", "adherent participants (empty for control)"),
            (
                "adherence_rate",
                "adherent / randomized (empty for control)",
            ),
            (
                "pain_responders",
                "pain responders in the analysis population",
            ),
            ("pain_n", "denominator of the pain rate"),
            ("pain_rate", "pain_responders / pain_n"),
            (
                "pain_rate_low",
                "Wilson score interval of the pain rate, lower limit",
            ),
            (
                "pain_rate_high",
                "Wilson score interval of the pain rate, upper limit",
            ),
            (
                "ndi_responders",
                "NDI responders in the analysis population",
            ),
            ("ndi_n", "denominator of the NDI rate"),
            ("ndi_rate", "ndi_responders / ndi_n"),
            (
                "ndi_rate_low",
                "Wilson score interval of the NDI rate, lower limit",
            ),
            (
                "ndi_rate_high",
                "Wilson score interval of the NDI rate, upper limit",
            ),
            (
                "pain_improvement_mean",
                "mean of pain baseline - checkpoint",
            ),
            ("pain_improvement_sd", "SD (n-1) of the pain improvement"),
            ("ndi_improvement_mean", "mean of NDI baseline - checkpoint"),
            ("ndi_improvement_sd", "SD (n-1) of the NDI improvement"),
            (
                "adverse_event_participants",
                "participants with any adverse event",
            ),
        ],
    ),
    (
        "comparisons",
        &[
            ("arm", "treatment arm"),
            ("outcome", "pain, ndi, or a marker's column"),
            ("responders", "the arm's responders"),
            ("n", "the arm's denominator"),
            ("rate", "the arm's rate"),
            (
                "control_responders",
                "the comparator's responders (control, or --reference)",
            ),
            ("control_n", "the comparator's denominator"),
            ("control_rate", "the comparator's rate"),
            ("risk_difference", "arm rate minus comparator rate"),
            (
                "rd_low",
                "risk difference interval (--rd-method), lower limit",
            ),
            (
                "rd_high",
                "risk difference interval (--rd-method), upper limit",
            ),
            (
                "risk_ratio",
                "rate ratio (0.5 added to every cell when one is 0)",
            ),
            ("rr_low", "Katz log interval of the risk ratio, lower limit"),
            (
                "rr_high",
                "Katz log interval of the risk ratio, upper limit",
            ),
            (
                "odds_ratio",
                "odds ratio (0.5 added to every cell when one is 0)",
            ),
            (
                "or_low",
                "Woolf logit interval of the odds ratio, lower limit",
            ),
            (
                "or_high",
                "Woolf logit interval of the odds ratio, upper limit",
            ),
            (
                "nnt",
                "1 / risk_difference, signed (empty when the difference is 0)",
            ),
            ("p_value", "Fisher's exact test, two-sided"),
            (
                "improvement_difference",
                "mean improvement, arm minus comparator",
            ),
            ("improvement_difference_low", "Welch interval, lower limit"),
            ("improvement_difference_high", "Welch interval, upper limit"),
            (
                "p_adjusted",
                "Fisher p adjusted over the arms of the outcome (--multiplicity)",
            ),
            (
                "margin_z",
                "Farrington-Manning score statistic against the margin",
            ),
            ("margin_p", "its p-value"),
            (
                "margin_rejected",
                "true: non-inferior, superior or equivalent (--hypothesis)",
            ),
            (
                "reference",
                "the arm the control_* columns describe (--reference)",
            ),
        ],
    ),
    (
        "trend",
        &[
            ("outcome", "outcome"),
            (
                "z",
                "Cochran-Armitage statistic; positive when more minutes go with more responders",
            ),
            ("p_two_sided", "two-sided p"),
            ("p_one_sided", "one-sided p for a rising trend, P(Z >= z)"),
            (
                "scores",
                "the scores used, arm=minutes_per_week joined by ;",
            ),
        ],
    ),
    (
        "adjusted",
        &[
            ("arm", "treatment arm"),
            ("outcome", "outcome"),
            (
                "model",
                "modified_poisson (adjusted risk ratio) or logistic (adjusted odds ratio)",
            ),
            ("estimate", "the adjusted ratio"),
            ("low", "Wald interval at --level, lower limit"),
            ("high", "Wald interval at --level, upper limit"),
            ("p_value", "two-sided Wald p"),
            ("n", "participants in the model (all arms)"),
            (
                "excluded",
                "participants left out for a missing baseline (or age)",
            ),
            ("note", "empty, or why there is no estimate"),
        ],
    ),
    (
        "stratified",
        &[
            ("arm", "treatment arm"),
            ("outcome", "outcome"),
            ("stratified_by", "the participants column of --stratify"),
            ("row", "stratum, or mantel-haenszel for the pooled row"),
            ("stratum", "the stratum's value (empty on the pooled row)"),
            (
                "treatment_responders",
                "the arm's responders in the stratum (pooled: used strata)",
            ),
            ("treatment_n", "the arm's denominator"),
            ("control_responders", "the comparator's responders"),
            ("control_n", "the comparator's denominator"),
            (
                "used",
                "false when the arm or the comparator has nobody in the stratum",
            ),
            ("strata_used", "strata in the pooled estimates"),
            (
                "mh_risk_difference",
                "Mantel-Haenszel common risk difference",
            ),
            (
                "mh_risk_difference_low",
                "its interval (Sato variance), lower limit",
            ),
            (
                "mh_risk_difference_high",
                "its interval (Sato variance), upper limit",
            ),
            (
                "mn_risk_difference_low",
                "stratified Miettinen-Nurminen score interval, lower limit",
            ),
            (
                "mn_risk_difference_high",
                "stratified Miettinen-Nurminen score interval, upper limit",
            ),
            ("mh_risk_ratio", "Mantel-Haenszel risk ratio"),
            (
                "mh_risk_ratio_low",
                "Greenland-Robins interval, lower limit",
            ),
            (
                "mh_risk_ratio_high",
                "Greenland-Robins interval, upper limit",
            ),
            ("mh_odds_ratio", "Mantel-Haenszel odds ratio"),
            (
                "mh_odds_ratio_low",
                "Robins-Breslow-Greenland interval, lower limit",
            ),
            (
                "mh_odds_ratio_high",
                "Robins-Breslow-Greenland interval, upper limit",
            ),
            (
                "cmh_chi2",
                "Cochran-Mantel-Haenszel statistic (no continuity correction)",
            ),
            ("cmh_p", "its p-value"),
            (
                "breslow_day_tarone_chi2",
                "Breslow-Day statistic with Tarone's correction",
            ),
            ("breslow_day_df", "its degrees of freedom"),
            ("breslow_day_tarone_p", "its p-value"),
            (
                "participants_without_value",
                "participants without a value of the column",
            ),
        ],
    ),
    (
        "sensitivity",
        &[
            ("arm", "treatment arm"),
            ("outcome", "outcome"),
            ("estimand", "the ICH E9(R1) estimand of the row"),
            ("population", "analysis population of the row"),
            ("strategy", "strategy for a missing checkpoint outcome"),
            ("responders", "the arm's responders"),
            ("n", "the arm's denominator"),
            ("control_responders", "the comparator's responders"),
            ("control_n", "the comparator's denominator"),
            ("risk_difference", "arm rate minus comparator rate"),
            ("rd_low", "interval (--rd-method, --level), lower limit"),
            ("rd_high", "interval (--rd-method, --level), upper limit"),
            ("p_value", "Fisher's exact test, two-sided"),
            (
                "treatment_missing",
                "the arm's participants without the outcome",
            ),
            (
                "control_missing",
                "the comparator's participants without the outcome",
            ),
            (
                "tipping_point",
                "fewest missing treated outcomes that bring the interval to 0",
            ),
            ("robust", "true when even all of them do not"),
        ],
    ),
    (
        "table1",
        &[
            (
                "arm",
                "arm id, trial order (every accepted participant, as randomized)",
            ),
            ("is_control", "true for the control arm"),
            ("randomized", "accepted participants in the arm"),
            ("age_n", "participants with an age"),
            ("age_mean", "mean age, years"),
            ("age_sd", "SD (n-1) of age"),
            ("female", "women (sex f, female, w or woman, any case)"),
            ("female_share", "female / randomized"),
            ("pain_baseline_n", "participants with a week-0 pain score"),
            ("pain_baseline_mean", "mean pain (0-10) at baseline"),
            ("pain_baseline_sd", "SD (n-1) of pain at baseline"),
            ("ndi_baseline_n", "participants with a week-0 NDI score"),
            ("ndi_baseline_mean", "mean NDI (0-50) at baseline"),
            ("ndi_baseline_sd", "SD (n-1) of NDI at baseline"),
        ],
    ),
    (
        "participants",
        &[
            ("participant_id", "participant id"),
            ("arm", "randomized arm"),
            ("site", "site"),
            ("age", "age, years"),
            ("sessions_planned", "per_week * weeks (empty for control)"),
            (
                "sessions_attended",
                "attended sessions inside the treatment window",
            ),
            (
                "adherence",
                "min(attended, planned) / planned (empty for control)",
            ),
            (
                "adherent",
                "adherence >= the adherence threshold (empty for control)",
            ),
            (
                "minutes_delivered",
                "minutes of attended sessions inside the window",
            ),
            ("pain_baseline", "pain at week 0"),
            ("pain_checkpoint", "pain at the checkpoint week"),
            ("pain_improvement", "baseline - checkpoint"),
            (
                "pain_improvement_pct",
                "100 * improvement / baseline (empty when baseline is 0)",
            ),
            (
                "pain_responder",
                "baseline > 0 and improvement >= the pain threshold",
            ),
            ("ndi_baseline", "NDI at week 0"),
            ("ndi_checkpoint", "NDI at the checkpoint week"),
            ("ndi_improvement", "baseline - checkpoint"),
            ("ndi_responder", "improvement >= the NDI threshold"),
            (
                "decision",
                "continue, adjust, incomplete_dose, no_checkpoint or control",
            ),
            (
                "flags",
                "sorted, ;-separated flags (adverse_event, age_outside_evidence, ...)",
            ),
        ],
    ),
    (
        "rejections",
        &[
            ("file", "input file"),
            ("line", "physical line (1 = header)"),
            ("column", "column"),
            ("value", "the value as read"),
            ("reason", "why the row was rejected"),
        ],
    ),
];

/// The description of `column` of the sheet named `sheet` (a `_2`, `_3` continuation sheet is
/// described as its first sheet); marker columns of `participants` are described from their
/// suffix.
pub(super) fn describe(sheet: &str, column: &str) -> String {
    let base = sheet
        .rsplit_once('_')
        .filter(|(_, n)| n.parse::<u32>().is_ok())
        .map_or(sheet, |(b, _)| b);
    let fixed = DESCRIPTIONS
        .iter()
        .find(|(s, _)| *s == base)
        .and_then(|(_, cols)| cols.iter().find(|(c, _)| *c == column))
        .map(|(_, d)| (*d).to_owned());
    if let Some(d) = fixed {
        return d;
    }
    if base == "participants" {
        for (suffix, what) in [
            ("_baseline", "baseline value"),
            ("_checkpoint", "checkpoint value"),
            ("_improvement", "improvement in the declared direction"),
            ("_responder", "improvement >= the marker's threshold"),
        ] {
            if let Some(marker) = column.strip_suffix(suffix) {
                return format!("marker {marker}: {what}");
            }
        }
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::export::*;

    #[test]
    fn every_column_of_every_table_is_described() {
        let optional = [
            "p_adjusted",
            "margin_z",
            "margin_p",
            "margin_rejected",
            "reference",
        ];
        let tables: [(&str, &[&str]); 9] = [
            ("arms", &ARMS_COLUMNS),
            ("comparisons", &COMPARISONS_COLUMNS),
            ("comparisons", &optional),
            ("trend", &TREND_COLUMNS),
            ("adjusted", &ADJUSTED_COLUMNS),
            ("stratified", &STRATIFIED_COLUMNS),
            ("sensitivity", &SENSITIVITY_COLUMNS),
            ("table1", &TABLE1_COLUMNS),
            ("participants", &PARTICIPANTS_COLUMNS),
        ];
        for (sheet, columns) in tables {
            for c in columns {
                assert!(!describe(sheet, c).is_empty(), "{sheet}.{c}");
            }
        }
        for c in REJECTIONS_COLUMNS {
            assert!(!describe("rejections_2", c).is_empty(), "rejections.{c}");
        }
        assert_eq!(
            describe("participants", "crp_baseline"),
            "marker crp: baseline value"
        );
        // And nothing is described that its table lacks (a renamed column would leave one).
        let written = |sheet: &str, c: &str| {
            (sheet == "rejections" && REJECTIONS_COLUMNS.contains(&c))
                || tables
                    .iter()
                    .any(|(s, cols)| *s == sheet && cols.contains(&c))
        };
        for (sheet, cols) in DESCRIPTIONS {
            for (c, _) in *cols {
                assert!(
                    written(sheet, c),
                    "{sheet}.{c} is described but not written"
                );
            }
        }
    }
}
