//! `trialdose report` on the example cohort: every section, nothing fetched, the numbers of
//! `analyze`, the chart files, and small-cell suppression.

mod util;

use util::*;

fn report(extra: &[&str]) -> (tempfile::TempDir, String) {
    let tmp = report_example(extra);
    let html = std::fs::read_to_string(tmp.path().join("rep/report.html")).unwrap();
    (tmp, html)
}

#[test]
fn report_has_every_section_and_fetches_nothing() {
    let (tmp, html) = report(&[]);
    for id in [
        "provenance",
        "table1",
        "responders",
        "trend",
        "sensitivity",
        "decisions",
        "safety",
        "charts",
        "methods",
        "limitations",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id} missing"
        );
    }
    // The sensitivity section: six estimands per treatment arm and outcome, the primary one
    // first, each with its counts and interval (nothing suppressed without --min-cell).
    let sens = html
        .split("<section id=\"sensitivity\">")
        .nth(1)
        .and_then(|s| s.split("</section>").next())
        .unwrap();
    let rows = sens.matches("<tr><td>").count();
    assert!(rows > 0 && rows % 6 == 0, "{rows} rows");
    assert_eq!(
        sens.matches("composite: no checkpoint outcome").count() * 6,
        rows
    );
    assert!(!sens.contains("[c]"));
    assert!(!html.contains("http"), "an external reference");
    assert!(!html.contains("<script"), "a script");
    assert_eq!(html.matches("<svg").count(), 8, "eight inline charts");
    for name in [
        "rates",
        "forest",
        "waterfall",
        "slopes",
        "adherence",
        "consort",
        "dose_pain",
        "dose_ndi",
    ] {
        for ext in ["png", "svg"] {
            assert!(
                tmp.path()
                    .join("rep/charts")
                    .join(format!("{name}.{ext}"))
                    .is_file(),
                "{name}.{ext}"
            );
        }
    }
    // No participant id appears anywhere.
    assert!(!html.contains("P0000001"));
}

#[test]
fn responder_numbers_equal_analyze() {
    let (_tmp, html) = report(&[]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("a");
    let cohort = dream_like().unwrap();
    let run = trialdose([
        "analyze",
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let arms = Table::read(&out.join("arms.csv"));
    for row in &arms.rows {
        for o in ["pain", "ndi"] {
            let x = &row[&format!("{o}_responders")];
            let n = &row[&format!("{o}_n")];
            let rate = 100.0 * num(row, &format!("{o}_rate"));
            let low = 100.0 * num(row, &format!("{o}_rate_low"));
            let high = 100.0 * num(row, &format!("{o}_rate_high"));
            let cell = format!("{x}/{n} ({rate:.1}% [{low:.1} to {high:.1}])");
            assert!(
                html.contains(&cell),
                "{} {o}: {cell} not in the report",
                row["arm"]
            );
        }
    }
    let comparisons = Table::read(&out.join("comparisons.csv"));
    for row in &comparisons.rows {
        let rd = format!("{:+.1}", 100.0 * num(row, "risk_difference"));
        let rr = format!(
            "{:.2} [{:.2} to {:.2}]",
            num(row, "risk_ratio"),
            num(row, "rr_low"),
            num(row, "rr_high")
        );
        assert!(
            html.contains(&rd) && html.contains(&rr),
            "{} {}: {rd} / {rr}",
            row["arm"],
            row["outcome"]
        );
    }
}

#[test]
fn small_cells_are_suppressed() {
    let (_tmp, html) = report(&["--min-cell", "5"]);
    // NDI control has 4/38 responders: suppressed, with no rate.
    assert!(html.contains("[c] of 38"), "suppressed NDI count");
    assert!(!html.contains(">4/38"), "a small count leaked");
    assert!(html.contains("shown as [c]"), "methods say so");
    // Nor in a chart: no count, rate or effect of a small cell (NDI control 4/38 = 10.5%;
    // 30x3 NDI 2/38; 30x2 NDI 3/38) is drawn.
    for leak in [
        ">4/38", "\n4/38", ">2/38", "\n2/38", ">3/38", "\n3/38", "30x3 NDI", "30x2 NDI",
    ] {
        assert!(!html.contains(leak), "{leak} leaked into the report");
    }
    let run = trialdose([
        "report",
        dream_like().unwrap().to_str().unwrap(),
        "--out",
        "/tmp/x-report",
        "--min-cell",
        "0",
    ]);
    assert_eq!(run.code, 2, "{run}");
}

#[test]
fn adjusted_section_and_safety_by_severity() {
    let (_tmp, html) = report(&["--adjust", "baseline"]);
    assert!(html.contains("<section id=\"adjusted\">"));
    // statsmodels 0.15.0 (tests/statistics_cli.rs): pain 60x3 adjusted RR 2.97 [1.70 to 5.20].
    assert!(html.contains("2.97 [1.70 to 5.20]"), "adjusted RR");
    let (_tmp2, plain) = report(&[]);
    assert!(!plain.contains("<section id=\"adjusted\">"));
    // Safety: 60x1 has one participant with an adverse event, moderate at worst.
    assert!(html.contains(
        "<tr><td>60x1</td><td>38</td><td>1 (2.6%)</td><td>0</td><td>1</td><td>0</td></tr>"
    ));
}

#[test]
fn ids_only_with_show_ids() {
    let (_tmp, plain) = report(&[]);
    assert!(!plain.contains("<section id=\"attention\">"));
    let (_tmp2, html) = report(&["--show-ids"]);
    assert!(html.contains("<section id=\"attention\">"));
    // The example cohort's participants with an adverse event are listed by id (7 of them:
    // 2 + 2 + 1 + 2 in the safety table), with their flags.
    let section = &html[html.find("<section id=\"attention\">").unwrap()..];
    let section = &section[..section.find("</section>").unwrap()];
    assert!(section.matches("<td>P").count() >= 7, "{section}");
    assert!(section.contains("adverse_event"));
}
