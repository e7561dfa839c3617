//! `trialdose report` and `trialdose audit` against `trialdose analyze` on the
//! 1,000,000-participant benchmark cohort (the one `benches/pipeline.rs` generates): the report
//! issue's target is a report in under 1.5x the time of the analysis; the audit (whose issue
//! names no target) is held to the same. The three commands run interleaved (so this shared
//! machine's noise hits them alike), five rounds, and the medians and their ratios are printed,
//! for the cohort in every layout of `benches/cohort` (`TRIALDOSE_BENCH_LAYOUTS` picks them).
//! Set `TRIALDOSE_BENCH_PARTICIPANTS` for a smaller cohort.

use std::process::Command;
use std::time::Instant;

mod cohort;

use cohort::{BIN, layout_dir, layouts};

const ROUNDS: usize = 5;

fn time(args: &[&std::ffi::OsStr]) -> f64 {
    let start = Instant::now();
    let out = Command::new(BIN)
        .args(args)
        .output()
        .expect("run trialdose");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    start.elapsed().as_secs_f64()
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let layouts = layouts();
    for l in &layouts {
        layout_dir(l);
    }
    let mut table = Vec::new();
    for layout in &layouts {
        table.push((layout, one_layout(layout)));
    }
    println!("\n| layout | report / analyze | audit / analyze |");
    println!("|---|---|---|");
    for (layout, (a, r, u)) in table {
        println!("| {layout} | {:.2}x | {:.2}x |", r / a, u / a);
    }
}

/// Medians of analyze, report and audit on the cohort in `layout`.
fn one_layout(layout: &str) -> (f64, f64, f64) {
    let dir = layout_dir(layout);
    let tmp = std::env::temp_dir().join("trialdose-report-bench");
    let (analyze_out, report_out, audit_out) =
        (tmp.join("analyze"), tmp.join("report"), tmp.join("audit"));
    let (mut analyze, mut report, mut audit) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        analyze.push(time(&[
            "analyze".as_ref(),
            dir.as_os_str(),
            "--out".as_ref(),
            analyze_out.as_os_str(),
        ]));
        report.push(time(&[
            "report".as_ref(),
            dir.as_os_str(),
            "--out".as_ref(),
            report_out.as_os_str(),
        ]));
        audit.push(time(&[
            "audit".as_ref(),
            dir.as_os_str(),
            "--out".as_ref(),
            audit_out.as_os_str(),
            "--by".as_ref(),
            "therapist".as_ref(),
        ]));
    }
    let (a, r, u) = (median(analyze), median(report), median(audit));
    println!(
        "report and audit vs analyze ({ROUNDS} interleaved rounds, medians), layout {layout}, cohort {}",
        dir.display()
    );
    println!("  trialdose analyze: {a:.2}s");
    println!(
        "  trialdose report:  {r:.2}s  ({:.2}x analyze; target < 1.5x)",
        r / a
    );
    println!(
        "  trialdose audit:   {u:.2}s  ({:.2}x analyze; audit --by therapist)",
        u / a
    );
    (a, r, u)
}
