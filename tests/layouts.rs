//! The layouts people hand in (sessions by date or shuffled, columns in another order, Excel's
//! quoting with CRLF and a byte-order mark, ids without padding, markers) give the analysis
//! of the same cohort in the contract's layout; and no cell, however long, costs more than
//! its reading (a 10 MB site name is one rejection, found in well under a second).

mod util;

use std::path::Path;
use std::time::Instant;

use util::{Cohort, PARTICIPANTS_HEADER, SCORES_HEADER, SESSIONS_HEADER, csv, trialdose};

fn generate(dir: &Path, layout: &str) {
    let run = trialdose([
        "generate".as_ref(),
        dir.as_os_str(),
        "--participants".as_ref(),
        "3000".as_ref(),
        "--seed".as_ref(),
        "11".as_ref(),
        "--layout".as_ref(),
        layout.as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run}");
}

fn analyze(dir: &Path, out: &Path) {
    let run = trialdose([
        "analyze".as_ref(),
        dir.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--threads".as_ref(),
        "2".as_ref(),
    ]);
    assert_eq!(run.code, 0, "{run}");
}

/// The output files whose bytes do not name the input files' digests.
const SAME_FILES: [&str; 3] = ["participants.csv", "arms.csv", "comparisons.csv"];

#[test]
fn every_layout_gives_the_analysis_of_the_contract_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("grouped");
    generate(&base, "grouped");
    analyze(&base, &tmp.path().join("out-grouped"));
    for layout in [
        "chronological",
        "shuffled",
        "columns",
        "excel",
        "chronological,columns,excel",
    ] {
        let dir = tmp.path().join(layout.replace(',', "+"));
        generate(&dir, layout);
        let text = std::fs::read(dir.join("sessions.csv")).unwrap();
        assert_ne!(text, std::fs::read(base.join("sessions.csv")).unwrap());
        let out = tmp.path().join(format!("out-{}", layout.replace(',', "+")));
        analyze(&dir, &out);
        for f in SAME_FILES {
            let want = std::fs::read(tmp.path().join("out-grouped").join(f)).unwrap();
            let got = std::fs::read(out.join(f)).unwrap();
            assert!(
                got == want,
                "{layout}: {f} differs from the grouped layout's"
            );
        }
    }
    // Unpadded ids and markers change the ids and add a marker: analyze reads them all.
    for layout in ["unpadded", "markers", "all"] {
        let dir = tmp.path().join(layout);
        generate(&dir, layout);
        let out = tmp.path().join(format!("out-{layout}"));
        analyze(&dir, &out);
        let participants = std::fs::read_to_string(out.join("participants.csv")).unwrap();
        assert_eq!(participants.lines().count(), 3001, "{layout}");
        if layout != "unpadded" {
            let comparisons = std::fs::read_to_string(out.join("comparisons.csv")).unwrap();
            assert!(comparisons.contains("walk_minutes"), "{layout}");
        }
    }
}

#[test]
fn generate_refuses_an_unknown_layout() {
    let tmp = tempfile::tempdir().unwrap();
    let run = trialdose([
        "generate".as_ref(),
        tmp.path().join("c").as_os_str(),
        "--participants".as_ref(),
        "10".as_ref(),
        "--seed".as_ref(),
        "1".as_ref(),
        "--layout".as_ref(),
        "sorted".as_ref(),
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(run.stderr.contains("unknown layout `sorted`"), "{run}");
}

#[test]
fn a_ten_megabyte_cell_is_one_quick_rejection() {
    let site = "S".repeat(10 << 20);
    let participants = csv(
        PARTICIPANTS_HEADER,
        &[
            "P1,60x2,40,female,Site A,2013-01-07,,",
            &format!("P2,60x2,41,male,{site},2013-01-07,,"),
            "P3,control,42,male,Site A,2013-01-07,,",
        ],
    );
    let sessions = csv(
        SESSIONS_HEADER,
        &[
            "P1,2013-01-08,60,attended,T1,none",
            "P2,2013-01-08,60,attended,T1,none",
        ],
    );
    let scores = csv(SCORES_HEADER, &["P1,0,6,20", "P2,0,6,20", "P3,0,6,20"]);
    let cohort = Cohort::new(&participants, &sessions, &scores);
    let start = Instant::now();
    let (run, ledger) = cohort.validate();
    assert!(
        start.elapsed().as_secs_f64() < 5.0,
        "validate took {:.1?}",
        start.elapsed()
    );
    // Exit 65: a row was rejected.
    assert_eq!(run.code, 65, "{run}");
    let site_row = ledger
        .rows
        .iter()
        .find(|r| r["file"] == "participants.csv" && r["column"] == "site")
        .unwrap_or_else(|| panic!("no rejection of the site\n{run}"));
    assert_eq!(site_row["line"], "3");
    assert!(site_row["value"].starts_with("SSSS"));
    assert!(site_row["value"].len() < 200, "the value is cut short");
    assert!(site_row["value"].contains("10485760 bytes"));
    assert!(
        site_row["reason"].contains("65536 bytes"),
        "{}",
        site_row["reason"]
    );
    // The participant's session goes with them; the audit by site runs quickly too.
    let audit = cohort.path("audit");
    let start = Instant::now();
    let run = trialdose([
        "audit".as_ref(),
        cohort.dir().as_os_str(),
        "--out".as_ref(),
        audit.as_os_str(),
        "--by".as_ref(),
        "site".as_ref(),
    ]);
    assert!(
        start.elapsed().as_secs_f64() < 5.0,
        "audit took {:.1?}",
        start.elapsed()
    );
    assert_ne!(run.code, 101, "{run}");
    assert!(
        !run.all_output().contains(&site[..1000]),
        "the name is never printed whole"
    );
}
