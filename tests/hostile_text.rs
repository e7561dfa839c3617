//! Text from the input never reaches the terminal raw: escape sequences and bidirectional
//! overrides in ids, header names, site names and paths are printed as visible escapes.

mod util;

use util::{Cohort, PARTICIPANTS_HEADER, SCORES_HEADER, SESSIONS_HEADER, csv, day, trialdose};

/// True when `text` holds a character a terminal would act on (ESC, BEL, CSI, CR, bidi).
fn has_hostile(text: &str) -> bool {
    text.chars().any(|c| {
        (c.is_control() && c != '\n' && c != '\t')
            || ('\u{202a}'..='\u{202e}').contains(&c)
            || ('\u{2066}'..='\u{2069}').contains(&c)
    })
}

fn hostile_cohort() -> Cohort {
    let participants = csv(
        &format!("{PARTICIPANTS_HEADER},\u{1b}[31mextra\u{7}"),
        &[
            "P\u{1b}]0;owned\u{7}1,control,40,F,Site\u{1b}[2J A,2013-01-07,,,x",
            "P2,60x2,41,M,Site\u{202e} B,2013-01-07,,,x",
        ],
    );
    let sessions = csv(
        SESSIONS_HEADER,
        &[&format!("P2,{},60,attended,T\u{9b}1,no", day(0))],
    );
    let scores = csv(
        SCORES_HEADER,
        &["P\u{1b}]0;owned\u{7}1,0,6,20", "P2,0,6,20", "P2,5,2,10"],
    );
    Cohort::new(&participants, &sessions, &scores)
}

#[test]
fn validate_prints_no_raw_escape_sequences() {
    let cohort = hostile_cohort();
    let (run, _) = cohort.validate();
    assert!(
        !has_hostile(&run.stdout) && !has_hostile(&run.stderr),
        "raw control characters reached the terminal\n{run:?}",
        run = format!("{:?} {:?}", run.stdout, run.stderr)
    );
    assert!(
        run.all_output().contains("\\x1b"),
        "the escape should be shown visibly\n{run}"
    );
}

#[test]
fn analyze_and_audit_print_no_raw_escape_sequences() {
    let cohort = hostile_cohort();
    let (run, out) = cohort.analyze("results", &["--skip-invalid"]);
    assert!(
        !has_hostile(&run.stdout) && !has_hostile(&run.stderr),
        "analyze: {:?} {:?}",
        run.stdout,
        run.stderr
    );
    let audit_out = out.with_file_name("audit");
    let run = trialdose([
        "audit".as_ref(),
        cohort.dir().as_os_str(),
        "--out".as_ref(),
        audit_out.as_os_str(),
    ]);
    assert!(
        !has_hostile(&run.stdout) && !has_hostile(&run.stderr),
        "audit: {:?} {:?}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn an_error_naming_a_hostile_path_is_printed_escaped() {
    let run = trialdose([
        "analyze",
        "/nonexistent/\u{1b}[31mcohort\u{7}",
        "--out",
        "/tmp/x",
    ]);
    assert_ne!(run.code, 0);
    assert!(!has_hostile(&run.stderr), "{:?}", run.stderr);
    assert!(run.stderr.contains("\\x1b[31mcohort"), "{:?}", run.stderr);
}
