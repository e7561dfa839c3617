//! Numbers as people read them: the one place that decides how a rate, a difference in
//! percentage points, a ratio, a p-value or a confidence level is written in the console
//! tables, the report and the audit page, so the three always agree. (Machine outputs, CSV and
//! JSON, write full-precision numbers through `output` and `export` instead.) Every function
//! writes `-` for a missing value; HTML callers escape the result like any other text.

/// `v` with `digits` decimals (`-` when missing or not finite; never `-0.0`).
#[must_use]
pub fn fixed(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x.is_finite() => format!("{:.*}", digits, if x == 0.0 { 0.0 } else { x }),
        _ => "-".to_owned(),
    }
}

/// A share as a percentage with one decimal, without the sign: `0.6316` -> `63.2`.
#[must_use]
pub fn percent(v: Option<f64>) -> String {
    fixed(v.map(|x| 100.0 * x), 1)
}

/// A share as a percentage with one decimal and the sign: `0.6316` -> `63.2%`.
#[must_use]
pub fn percent_sign(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{:.1}%", 100.0 * x))
}

/// A difference of shares in percentage points, signed: `0.3684` -> `+36.8`.
#[must_use]
pub fn points(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{:+.1}", 100.0 * x))
}

/// A ratio with two decimals: `2.4` -> `2.40`.
#[must_use]
pub fn ratio(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_owned(), |x| format!("{x:.2}"))
}

/// A p-value with three decimals, `<0.001` below that.
#[must_use]
pub fn p_value(p: Option<f64>) -> String {
    match p {
        Some(p) if p < 0.001 => "<0.001".to_owned(),
        Some(p) => format!("{p:.3}"),
        None => "-".to_owned(),
    }
}

/// A confidence level as a percentage without float noise: `0.95` -> `95`, `0.575` -> `57.5`.
#[must_use]
pub fn level_percent(level: f64) -> String {
    let text = format!("{:.10}", level * 100.0);
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_form_as_the_tables_print_it() {
        assert_eq!(fixed(Some(-0.0), 1), "0.0");
        assert_eq!(fixed(Some(f64::NAN), 1), "-");
        assert_eq!(percent(Some(24.0 / 38.0)), "63.2");
        assert_eq!(percent_sign(Some(24.0 / 38.0)), "63.2%");
        assert_eq!(points(Some(14.0 / 38.0)), "+36.8");
        assert_eq!(points(Some(-0.05)), "-5.0");
        assert_eq!(ratio(Some(2.4)), "2.40");
        assert_eq!(p_value(Some(0.0004)), "<0.001");
        assert_eq!(p_value(Some(0.0123)), "0.012");
        assert_eq!(p_value(None), "-");
        assert_eq!(level_percent(0.95), "95");
        assert_eq!(level_percent(0.575), "57.5");
    }
}
