//! `trialdose audit`, run as a clinic would: the outlier site of a generated cohort is the one
//! alarm, the worklist puts safety first and its pseudonyms behave, the page keeps ids out
//! and small cells hidden, outputs are reproducible, and bad input gets exit code 2 or 65.

mod util;

use std::path::{Path, PathBuf};

use util::*;

/// Runs the binary with the pseudonym key set to `key` (or removed).
fn with_key(args: &[&str], key: Option<&str>) -> Run {
    trialdose_with_env(args, &[("TRIALDOSE_PSEUDONYM_KEY", key)])
}

/// A generated cohort of 600 with "Site D" as the outlier (a quarter of the usual response).
fn outlier_cohort(tmp: &Path) -> PathBuf {
    let dir = tmp.join("outlier");
    let run = trialdose([
        "generate",
        dir.to_str().unwrap(),
        "--participants",
        "600",
        "--seed",
        "7",
        "--outlier-site",
        "Site D",
    ]);
    assert_eq!(run.code, 0, "{run}");
    dir
}

fn audit(cohort: &Path, out: &Path, extra: &[&str]) -> Run {
    run_ok("audit", cohort, out, extra)
}

#[test]
fn the_outlier_site_is_the_only_alarm() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = outlier_cohort(tmp.path());
    for benchmark in ["cohort", "dream", "0.5"] {
        for over in [None, Some("multiplicative"), Some("additive")] {
            let out = tmp.path().join(format!("a-{benchmark}-{over:?}"));
            let mut extra = vec!["--benchmark", benchmark];
            if let Some(o) = over {
                extra.extend(["--overdispersion", o]);
            }
            audit(&cohort, &out, &extra);
            let units = Table::read(&out.join("units.csv"));
            assert_eq!(
                units.column("unit"),
                ["Site A", "Site B", "Site C", "Site D"]
            );
            for row in &units.rows {
                let outlier = row["unit"] == "Site D";
                if !outlier {
                    assert_ne!(
                        row["verdict"], "alarm",
                        "benchmark {benchmark}, overdispersion {over:?}: {row:?}"
                    );
                } else if over.is_none() {
                    // Exact limits: the outlier is an alarm, below.
                    assert_eq!(
                        (row["verdict"].as_str(), row["direction"].as_str()),
                        ("alarm", "low"),
                        "benchmark {benchmark}: {row:?}"
                    );
                } else {
                    // Four units: phi is inflated by the outlier itself, which can pull it back
                    // to an alert; it is never within (the audit notes the few units).
                    assert_ne!(row["verdict"], "within", "{row:?}");
                    assert_eq!(row["direction"], "low");
                }
            }
            if over.is_none() {
                let svg = std::fs::read_to_string(out.join("funnel.svg")).unwrap();
                assert!(svg.contains("Site D (alarm)"), "the outlier is labelled");
            }
        }
    }
    // Without the option the same seed has no alarm anywhere.
    let plain = tmp.path().join("plain");
    let run = trialdose([
        "generate",
        plain.to_str().unwrap(),
        "--participants",
        "600",
        "--seed",
        "7",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let out = tmp.path().join("a-plain");
    audit(&plain, &out, &[]);
    let units = Table::read(&out.join("units.csv"));
    assert!(
        units.rows.iter().all(|r| r["verdict"] != "alarm"),
        "{}",
        units.text
    );
}

#[test]
fn units_csv_is_consistent_with_its_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = outlier_cohort(tmp.path());
    let out = tmp.path().join("by-therapist");
    audit(&cohort, &out, &["--by", "therapist", "--benchmark", "0.45"]);
    let units = Table::read(&out.join("units.csv"));
    assert_eq!(units.rows.len(), 19, "the generator's 19 therapists");
    let f = |r: &Row, c: &str| r[c].parse::<f64>().unwrap();
    for r in &units.rows {
        // With a fixed rate the point is the plain rate and the expected rate is the rate.
        assert_eq!(r["adjusted_rate"], r["rate"]);
        assert_eq!(f(r, "expected_rate"), 0.45);
        let y = f(r, "rate");
        let band = if y < f(r, "limit_low_998") || y > f(r, "limit_high_998") {
            "alarm"
        } else if y < f(r, "limit_low_95") || y > f(r, "limit_high_95") {
            "alert"
        } else {
            "within"
        };
        assert_eq!(r["verdict"], band, "{r:?}");
        let n: u64 = r["n"].parse().unwrap();
        let responders: u64 = r["responders"].parse().unwrap();
        assert_eq!(y, responders as f64 / n as f64);
        assert!(f(r, "rate_low") <= y && y <= f(r, "rate_high"));
    }
}

#[test]
fn worklist_puts_safety_first_and_lists_every_treated_participant() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    let out = tmp.path().join("a");
    let run = audit(&cohort, &out, &[]);
    let list = Table::read(&out.join("worklist.csv"));
    let participants = Table::read(&cohort.join("participants.csv"));
    let treated = participants
        .rows
        .iter()
        .filter(|r| r["arm"] != "control")
        .count();
    assert_eq!(list.rows.len(), treated);
    let rank = |r: &Row| {
        if r["needs_clearance"] == "true" {
            0
        } else if r["adverse_event"] == "true" {
            1
        } else if r["age_outside_evidence"] == "true" {
            2
        } else {
            3
        }
    };
    let ranks: Vec<u8> = list.rows.iter().map(rank).collect();
    assert!(ranks.windows(2).all(|w| w[0] <= w[1]), "safety first");
    assert!(ranks.contains(&0) && ranks.contains(&1), "{}", list.text);
    for r in &list.rows {
        if r["needs_clearance"] == "true" {
            assert!(r["action"].starts_with("do not treat until a doctor clears"));
        }
    }
    // The example cohort is complete: everyone's checkpoint has passed.
    assert!(
        list.rows
            .iter()
            .all(|r| !["due", "not_due"].contains(&r["checkpoint_status"].as_str()))
    );
    assert!(run.stdout.contains("needs_clearance 1"), "{run}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("audit.json")).unwrap()).unwrap();
    assert_eq!(json["treated_participants"], treated);
    assert_eq!(
        json["control_participants_left_out"],
        participants.rows.len() - treated
    );
}

#[test]
fn an_audit_date_mid_trial_finds_patients_due_and_in_treatment() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    let out = tmp.path().join("a");
    audit(&cohort, &out, &["--as-of", "2011-03-01"]);
    let list = Table::read(&out.join("worklist.csv"));
    let as_of = "2011-03-01";
    for r in &list.rows {
        let c = r["checkpoint_date"].as_str();
        match r["checkpoint_status"].as_str() {
            // ISO dates compare as text.
            "not_due" => assert!(c > as_of, "{r:?}"),
            "due" => assert!(c <= as_of, "{r:?}"),
            _ => {}
        }
    }
    let count = |s: &str| {
        list.rows
            .iter()
            .filter(|r| r["checkpoint_status"] == s)
            .count()
    };
    assert!(
        count("not_due") > 0 && count("continue") > 0,
        "{}",
        list.text
    );
    let units = Table::read(&out.join("units.csv"));
    for u in &units.rows {
        let n = |c: &str| u[c].parse::<u64>().unwrap();
        assert_eq!(n("patients"), n("judged") + n("pending"), "{u:?}");
    }
    assert!(units.rows.iter().any(|u| u["pending"] != "0"));
    // Rows still in treatment show the state on that date, not what the files say later.
    for r in list
        .rows
        .iter()
        .filter(|r| r["checkpoint_status"] == "not_due")
    {
        for c in [
            "adherent",
            "pain_checkpoint",
            "pain_responder",
            "ndi_checkpoint",
            "ndi_responder",
        ] {
            assert_eq!(r[c], "", "{c} of a not_due row: {r:?}");
        }
        assert_eq!(r["judged"], "false");
    }
    // Every listed unit has someone in it.
    assert!(
        units.rows.iter().all(|u| u["patients"] != "0"),
        "{}",
        units.text
    );
    // Participants randomized after the date had not started: left out, and counted.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("audit.json")).unwrap()).unwrap();
    let later = json["not_started_left_out"].as_u64().unwrap();
    let participants = Table::read(&cohort.join("participants.csv"));
    let randomized_later = participants
        .rows
        .iter()
        .filter(|r| r["arm"] != "control" && r["randomized_on"].as_str() > as_of)
        .count();
    assert!(later > 0);
    assert_eq!(later as usize, randomized_later);
    assert_eq!(list.rows.len() + randomized_later, 190);
    // Before anyone started there is nothing to audit.
    let run = trialdose([
        "audit",
        cohort.to_str().unwrap(),
        "--out",
        tmp.path().join("early").to_str().unwrap(),
        "--as-of",
        "2009-01-01",
    ]);
    assert_eq!(run.code, 65, "{run}");
    assert!(
        run.stderr
            .contains("no treated participant had started by 2009-01-01"),
        "{run}"
    );
}

#[test]
fn checkpoint_status_follows_the_dates() {
    // Checkpoint week 5: day 0 + 35. Audit on day 40 (2013-02-16); two weeks' grace to score.
    let p = |id: &str, randomized: &str| format!("{id},60x2,45,female,Site A,{randomized},,");
    let rows = [
        p("DUE", &day(0)),       // checkpoint day 35, no week-5 scores, 5 days ago
        p("LATE", "2012-11-01"), // checkpoint 2012-12-06, long past, no week-5 scores
        p("SOON", &day(20)),     // checkpoint day 55: in treatment
        p("DONE", &day(0)),      // scored: a responder
        p("NOBASE", &day(0)),    // no baseline
    ];
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    let sessions: Vec<String> = ["DUE", "SOON", "DONE", "NOBASE"]
        .iter()
        .map(|id| format!("{id},{},60,attended,T1,none", day(21)))
        .chain(std::iter::once(
            "LATE,2012-11-02,60,attended,T1,none".to_owned(),
        ))
        .collect();
    let sessions: Vec<&str> = sessions.iter().map(String::as_str).collect();
    let cohort = Cohort::new(
        &csv(PARTICIPANTS_HEADER, &rows),
        &csv(SESSIONS_HEADER, &sessions),
        &csv(
            SCORES_HEADER,
            &[
                "DUE,0,6,20",
                "LATE,0,6,20",
                "SOON,0,6,20",
                "DONE,0,6,20",
                "DONE,5,3,12",
                "NOBASE,5,3,12",
            ],
        ),
    );
    let out = cohort.path("out");
    let as_of = day(40);
    let run = trialdose([
        "audit",
        cohort.dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--as-of",
        &as_of,
    ]);
    assert_eq!(run.code, 0, "{run}");
    let list = Table::read(&out.join("worklist.csv"));
    let status = |id: &str| list.row("participant_id", id)["checkpoint_status"].clone();
    assert_eq!(status("DUE"), "due");
    assert_eq!(status("LATE"), "missing_scores");
    assert_eq!(status("SOON"), "not_due");
    assert_eq!(status("DONE"), "continue");
    assert_eq!(status("NOBASE"), "missing_scores");
    assert_eq!(
        list.row("participant_id", "DUE")["checkpoint_date"],
        day(35)
    );
    // Judged: LATE (two weeks past, unscored: a non-responder) and DONE; NOBASE's checkpoint
    // is 5 days past, so it waits like DUE, with SOON: 1 responder of 2, 3 pending.
    let units = Table::read(&out.join("units.csv"));
    let a = units.row("unit", "Site A");
    assert_eq!(
        (
            a["n"].as_str(),
            a["responders"].as_str(),
            a["pending"].as_str()
        ),
        ("2", "1", "3")
    );
    // On a date two weeks later, DUE's scores are missing too.
    let later = cohort.path("later");
    let run = trialdose([
        "audit",
        cohort.dir().to_str().unwrap(),
        "--out",
        later.to_str().unwrap(),
        "--as-of",
        &day(49),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let list = Table::read(&later.join("worklist.csv"));
    assert_eq!(
        list.row("participant_id", "DUE")["checkpoint_status"],
        "missing_scores"
    );
}

#[test]
fn pseudonyms_are_keyed_stable_and_never_the_id() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    let cohort = cohort.to_str().unwrap();
    let run_with = |out: &str, key: Option<&str>, extra: &[&str]| {
        let out = tmp.path().join(out);
        let mut args = vec![
            "audit",
            cohort,
            "--out",
            out.to_str().unwrap(),
            "--pseudonymize",
        ];
        args.extend_from_slice(extra);
        (with_key(&args, key), out)
    };
    let key1 = "a clinic secret of some length";
    let (r1, o1) = run_with("k1", Some(key1), &["--show-ids"]);
    assert_eq!(r1.code, 0, "{r1}");
    let (r2, o2) = run_with("k1again", Some(key1), &[]);
    assert_eq!(r2.code, 0, "{r2}");
    let (r3, o3) = run_with("k2", Some("another secret, also long"), &[]);
    assert_eq!(r3.code, 0, "{r3}");
    let ids = |o: &Path| {
        Table::read(&o.join("worklist.csv"))
            .column("participant_id")
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<Vec<_>>()
    };
    let (a, b, c) = (ids(&o1), ids(&o2), ids(&o3));
    assert_eq!(a, b, "stable for one key");
    let raw = Table::read(&Path::new(cohort).join("participants.csv"));
    let raw_ids: std::collections::HashSet<&str> =
        raw.column("participant_id").into_iter().collect();
    let html = std::fs::read_to_string(o1.join("audit.html")).unwrap();
    let worklist = std::fs::read_to_string(o1.join("worklist.csv")).unwrap();
    for p in &a {
        assert!(p.starts_with("PS-") && p.len() == 19, "{p}");
        assert!(!raw_ids.contains(p.as_str()));
        assert!(!c.contains(p), "differs across keys");
    }
    for id in &raw_ids {
        assert!(!worklist.contains(id), "raw id {id} in the worklist");
        assert!(!html.contains(id), "raw id {id} in the page");
    }
    assert!(html.contains(&a[0]), "--show-ids lists pseudonyms");
    let unique: std::collections::HashSet<&String> = a.iter().collect();
    assert_eq!(unique.len(), a.len());

    // No key, or a short one: a usage error naming the variable, and nothing written.
    let (r, o) = run_with("nokey", None, &[]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("TRIALDOSE_PSEUDONYM_KEY"), "{r}");
    assert!(!o.join("worklist.csv").exists());
    let (r, _) = run_with("short", Some("short"), &[]);
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("at least 16"), "{r}");
}

#[test]
fn the_page_is_self_contained_keeps_ids_out_and_hides_small_cells() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    let out = tmp.path().join("a");
    audit(&cohort, &out, &["--by", "therapist", "--min-cell", "5"]);
    let html = std::fs::read_to_string(out.join("audit.html")).unwrap();
    for id in [
        "provenance",
        "units",
        "charts",
        "overdispersion",
        "safety",
        "worklist",
        "methods",
        "notes",
    ] {
        assert!(
            html.contains(&format!("<section id=\"{id}\">")),
            "section {id}"
        );
    }
    assert!(!html.contains("id=\"attention\""));
    assert!(!html.contains("http://") && !html.contains("https://") && !html.contains("<script"));
    assert!(
        !html.contains("P0000"),
        "no participant id without --show-ids"
    );
    assert!(html.contains("[c]"), "small counts suppressed as [c]");
    assert!(!html.contains("all but"), "no complement is printed");
    // No row that hides a count shows a p-value, a rate or a verdict that would reveal it.
    for row in html.split("<tr>").filter(|r| r.contains("[c] of")) {
        let row = &row[..row.find("</tr>").unwrap_or(row.len())];
        assert!(!row.contains(" ["), "no interval: {row}");
        assert!(
            !row.contains("within") && !row.contains("alert"),
            "no verdict: {row}"
        );
    }
    let png = std::fs::read(out.join("funnel.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");

    let out2 = tmp.path().join("b");
    audit(&cohort, &out2, &["--show-ids"]);
    let html = std::fs::read_to_string(out2.join("audit.html")).unwrap();
    assert!(html.contains("id=\"attention\"") && html.contains("P0000124"));
}

#[test]
fn outputs_are_reproducible_whatever_the_thread_count() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    let a = tmp.path().join("a");
    let b = tmp.path().join("b");
    audit(&cohort, &a, &["--threads", "1", "--by", "therapist"]);
    audit(&cohort, &b, &["--threads", "2", "--by", "therapist"]);
    for f in [
        "units.csv",
        "safety.csv",
        "worklist.csv",
        "audit.json",
        "funnel.svg",
        "funnel.png",
        "audit.html",
        "audit.md",
        "audit.docx",
    ] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn bad_input_is_refused_with_the_documented_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    let c = cohort.to_str().unwrap();
    let out = tmp.path().join("x");
    let o = out.to_str().unwrap();
    for (args, needle) in [
        (vec!["--benchmark", "1.5"], "strictly between 0 and 1"),
        (vec!["--benchmark", "best"], "dream"),
        (vec!["--as-of", "2011-02-30"], "YYYY-MM-DD"),
        (vec!["--min-cell", "0"], "--min-cell 0"),
    ] {
        let mut all = vec!["audit", c, "--out", o];
        all.extend(args);
        let run = trialdose(&all);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(needle), "{run}");
    }
    let run = trialdose([
        "generate",
        tmp.path().join("g").to_str().unwrap(),
        "--participants",
        "10",
        "--seed",
        "1",
        "--outlier-site",
        "Site Z",
    ]);
    assert_eq!(run.code, 2, "{run}");
    assert!(
        run.stderr.contains("Site A, Site B, Site C, Site D"),
        "{run}"
    );

    // A cohort with control participants only has nobody to audit: a data error.
    let only_control = Cohort::new(
        &csv(
            PARTICIPANTS_HEADER,
            &["C1,control,40,female,Site A,2013-01-07,,"],
        ),
        &csv(SESSIONS_HEADER, &[]),
        &csv(SCORES_HEADER, &["C1,0,6,20", "C1,5,5,18"]),
    );
    let out = only_control.path("out");
    let run = trialdose([
        "audit",
        only_control.dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 65, "{run}");
    assert!(
        run.stderr.contains("no participant in a treatment arm"),
        "{run}"
    );
}

#[test]
fn participants_without_a_therapist_are_listed_not_compared() {
    let p = |id: &str| format!("{id},60x2,45,female,Site A,{},,", day(0));
    let ids = ["A1", "A2", "A3", "B1", "B2", "TIE", "NONE"];
    let rows: Vec<String> = ids.iter().map(|id| p(id)).collect();
    let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
    // NONE never attended; the others saw T1 or T2 (A3: two with T2, one with T1: T2).
    // TIE saw each once.
    let sessions = [
        format!("A1,{},60,attended,T1,none", day(1)),
        format!("A2,{},60,attended,T1,none", day(1)),
        format!("A3,{},60,attended,T1,none", day(1)),
        format!("A3,{},60,attended,T2,none", day(3)),
        format!("A3,{},60,attended,T2,none", day(5)),
        format!("B1,{},60,attended,T2,none", day(1)),
        format!("B2,{},60,attended,T2,mild", day(1)),
        format!("NONE,{},60,missed,T1,none", day(1)),
        // One each: the tie goes to the earlier session (T2), not the earlier row (T1).
        format!("TIE,{},60,attended,T1,none", day(4)),
        format!("TIE,{},60,attended,T2,none", day(2)),
    ];
    let sessions: Vec<&str> = sessions.iter().map(String::as_str).collect();
    let scores: Vec<String> = ids
        .iter()
        .flat_map(|id| [format!("{id},0,6,20"), format!("{id},5,3,12")])
        .collect();
    let scores: Vec<&str> = scores.iter().map(String::as_str).collect();
    let cohort = Cohort::new(
        &csv(PARTICIPANTS_HEADER, &rows),
        &csv(SESSIONS_HEADER, &sessions),
        &csv(SCORES_HEADER, &scores),
    );
    let out = cohort.path("out");
    let run = trialdose([
        "audit",
        cohort.dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--by",
        "therapist",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("not compared on the funnel"), "{run}");
    let units = Table::read(&out.join("units.csv"));
    assert_eq!(units.column("unit"), ["T1", "T2", "(none)"]);
    assert_eq!(units.row("unit", "T1")["patients"], "2");
    assert_eq!(
        units.row("unit", "T2")["patients"],
        "4",
        "A3 goes to T2 (2 of 3 sessions), TIE to T2 (the earlier session)"
    );
    let none = units.row("unit", "(none)");
    assert_eq!(
        (none["patients"].as_str(), none["verdict"].as_str()),
        ("1", "")
    );
    // Safety counts B2's event among the 6 who attended (NONE never did).
    let safety = Table::read(&out.join("safety.csv"));
    let all = safety.row("unit", "all");
    assert_eq!(
        (all["treated"].as_str(), all["with_adverse_event"].as_str()),
        ("6", "1")
    );
}

#[test]
fn unit_counts_agree_with_the_worklist_for_each_outcome_and_missing_rule() {
    // The units' responders and denominators, recounted from worklist.csv by hand.
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    for outcome in ["pain", "ndi"] {
        for missing in ["nonresponder", "exclude"] {
            let out = tmp.path().join(format!("{outcome}-{missing}"));
            audit(
                &cohort,
                &out,
                &[
                    "--outcome",
                    outcome,
                    "--missing",
                    missing,
                    "--benchmark",
                    "0.4",
                ],
            );
            let list = Table::read(&out.join("worklist.csv"));
            let units = Table::read(&out.join("units.csv"));
            for u in &units.rows {
                let judged: Vec<&Row> = list
                    .rows
                    .iter()
                    .filter(|r| r["unit"] == u["unit"] && r["judged"] == "true")
                    .collect();
                let column = format!("{outcome}_responder");
                let responders = judged.iter().filter(|r| r[&column] == "true").count();
                let n = if missing == "exclude" {
                    judged.iter().filter(|r| !r[&column].is_empty()).count()
                } else {
                    judged.len()
                };
                assert_eq!(
                    (u["responders"].clone(), u["n"].clone()),
                    (responders.to_string(), n.to_string()),
                    "{outcome} {missing} {}",
                    u["unit"]
                );
                let adherent = judged.iter().filter(|r| r["adherent"] == "true").count();
                let share: f64 = u["adherent_share"].parse().unwrap();
                assert_eq!(share, adherent as f64 / judged.len() as f64);
            }
        }
    }
}

#[test]
fn the_default_date_reaches_the_checkpoint_scores_in_the_files() {
    // Sessions end in week 3, the week-5 scores are in scores.csv: by default the audit is as
    // of week 5 (the scores' own date), so the checkpoint is decided, not "not due".
    let cohort = Cohort::new(
        &csv(
            PARTICIPANTS_HEADER,
            &[&format!("X1,60x2,45,female,Site A,{},,", day(0))],
        ),
        &csv(
            SESSIONS_HEADER,
            &(0..8)
                .map(|k| format!("X1,{},60,attended,T1,none", day(1 + 3 * k)))
                .collect::<Vec<_>>()
                .iter()
                .map(String::as_str)
                .collect::<Vec<_>>(),
        ),
        &csv(SCORES_HEADER, &["X1,0,6,20", "X1,5,3,12"]),
    );
    let out = cohort.path("out");
    let run = trialdose([
        "audit",
        cohort.dir().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stdout.contains(&format!("as of {}", day(35))), "{run}");
    let list = Table::read(&out.join("worklist.csv"));
    let x = list.row("participant_id", "X1");
    assert_eq!(
        (x["checkpoint_status"].as_str(), x["judged"].as_str()),
        ("continue", "true")
    );
}

#[test]
fn a_closed_stdout_ends_audit_report_and_generate_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = dream_like().expect("example cohort");
    let c = cohort.to_str().unwrap().to_owned();
    let out = |name: &str| tmp.path().join(name).to_str().unwrap().to_owned();
    for args in [
        vec!["audit".to_owned(), c.clone(), "--out".to_owned(), out("a")],
        vec!["report".to_owned(), c.clone(), "--out".to_owned(), out("r")],
        vec![
            "generate".to_owned(),
            out("g"),
            "--participants".to_owned(),
            "5".to_owned(),
            "--seed".to_owned(),
            "1".to_owned(),
        ],
    ] {
        let (code, stderr) = trialdose_with_closed_stdout(&args);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(code, Some(0), "{args:?}: {stderr}");
    }
}

/// The default benchmark flags exactly the units built to be off (issue 18, part 1): generated
/// cohorts of 300 to 30,000 with one poor site (response probabilities a quarter of the
/// others'), one excellent site (2.5 times, capped at 1: nearly everyone there responds) or
/// none, over several seeds. "Flagged"
/// is an alarm (beyond the 99.8% limits); with four sites and exact limits an ordinary unit is
/// an alarm by chance about once in 250 audits. Against the plain cohort benchmark the poor
/// site drags the rate down, and on the large cohorts the ordinary sites become high alarms;
/// the test shows that too, so it fails if the two benchmarks stop differing where they must.
#[test]
fn the_default_benchmark_flags_exactly_the_units_built_to_be_off() {
    let tmp = tempfile::tempdir().unwrap();
    let mut plain_false_alarms = 0;
    for (participants, seed) in [(300, 11), (300, 12), (3000, 21), (3000, 22), (30000, 31)] {
        for built in [None, Some(("Site B", "0.25")), Some(("Site C", "2.5"))] {
            let dir = tmp
                .path()
                .join(format!("c-{participants}-{seed}-{built:?}"));
            let (n, s) = (participants.to_string(), seed.to_string());
            let mut args = vec![
                "generate",
                dir.to_str().unwrap(),
                "--participants",
                &n,
                "--seed",
                &s,
            ];
            if let Some((site, factor)) = built {
                args.extend(["--outlier-site", site, "--outlier-factor", factor]);
            }
            let run = trialdose(&args);
            assert_eq!(run.code, 0, "{run}");
            let alarms = |extra: &[&str], name: &str| {
                let out = dir.join(name);
                audit(&dir, &out, extra);
                let units = Table::read(&out.join("units.csv"));
                units
                    .rows
                    .iter()
                    .filter(|r| r["verdict"] == "alarm")
                    .map(|r| r["unit"].clone())
                    .collect::<Vec<_>>()
            };
            let want: Vec<String> = built.map(|(site, _)| site.to_owned()).into_iter().collect();
            let got = alarms(&[], "default");
            assert_eq!(
                got, want,
                "{participants} participants, seed {seed}, {built:?}"
            );
            // Case-mix adjusted, the in-control model flags the same units.
            let casemix = alarms(&["--adjust-casemix", "baseline,age,sex"], "casemix");
            assert_eq!(
                casemix, want,
                "case mix: {participants} participants, seed {seed}, {built:?}"
            );
            let plain = alarms(&["--benchmark", "cohort-plain"], "plain");
            plain_false_alarms += plain.iter().filter(|u| !want.contains(u)).count();
        }
    }
    assert!(
        plain_false_alarms >= 2,
        "the plain benchmark no longer shows the contamination ({plain_false_alarms} false alarms)"
    );
}

/// A unit left out of the in-control benchmark is named in the page's and the JSON's notes
/// only when its verdict is shown: with `--min-cell` hiding the far-off unit's responders, the
/// note would tell that it is an alarm (its hidden verdict). The console is not suppressed.
#[test]
fn a_hidden_unit_left_out_of_the_benchmark_is_not_named() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("small");
    let run = trialdose([
        "generate",
        dir.to_str().unwrap(),
        "--participants",
        "200",
        "--seed",
        "1",
        "--outlier-site",
        "Site D",
        "--outlier-factor",
        "0.05",
    ]);
    assert_eq!(run.code, 0, "{run}");
    let named = "Site D left out";
    let open = audit(&dir, &tmp.path().join("open"), &[]);
    assert!(open.stderr.contains(named), "{open}");
    let page = std::fs::read_to_string(tmp.path().join("open/audit.html")).unwrap();
    assert!(page.contains(named));
    let hidden = audit(&dir, &tmp.path().join("hidden"), &["--min-cell", "11"]);
    assert!(
        hidden.stderr.contains(named),
        "the console is not suppressed: {hidden}"
    );
    let units = Table::read(&tmp.path().join("hidden/units.csv"));
    let d = units.rows.iter().find(|r| r["unit"] == "Site D").unwrap();
    assert_eq!(
        d["responders"], "",
        "the premise: Site D's responders are hidden"
    );
    for file in ["audit.html", "audit.json"] {
        let text = std::fs::read_to_string(tmp.path().join("hidden").join(file)).unwrap();
        assert!(!text.contains(named), "{file} names the hidden unit");
    }
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("hidden/audit.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(json["benchmark_left_out"], serde_json::json!([]));
}

/// Case-mix adjustment: the point is observed/expected times the benchmark, each unit's
/// verdict follows its own (Poisson-binomial) limits, a reference cohort's model is applied
/// as fitted (the cohort as its own reference gives the plain fit's numbers exactly), and
/// bad settings are refused with exit code 2.
#[test]
fn casemix_audit_uses_the_model_and_its_limits() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = outlier_cohort(tmp.path());
    let out = tmp.path().join("casemix");
    audit(&cohort, &out, &["--adjust-casemix", "baseline,age"]);
    let units = Table::read(&out.join("units.csv"));
    let f = |r: &Row, c: &str| r[c].parse::<f64>().unwrap();
    let alarms: Vec<&str> = units
        .rows
        .iter()
        .filter(|r| r["verdict"] == "alarm")
        .map(|r| r["unit"].as_str())
        .collect();
    assert_eq!(alarms, ["Site D"], "{}", units.text);
    for r in &units.rows {
        let (oe, t, y) = (
            f(r, "observed_expected"),
            f(r, "target"),
            f(r, "adjusted_rate"),
        );
        assert!((oe * t - y).abs() < 1e-12 * y.max(1e-3), "{r:?}");
        let e = f(r, "expected_rate") * f(r, "n");
        assert!((f(r, "responders") / e - oe).abs() < 1e-12, "{r:?}");
        let band = if y < f(r, "limit_low_998") || y > f(r, "limit_high_998") {
            "alarm"
        } else if y < f(r, "limit_low_95") || y > f(r, "limit_high_95") {
            "alert"
        } else {
            "within"
        };
        assert_eq!(r["verdict"], band, "{r:?}");
    }
    let json = read_json(&out.join("audit.json"));
    assert_eq!(json["settings"]["adjust_casemix"], "baseline,age");
    let names: Vec<&str> = json["casemix"]["coefficients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names[0], "intercept");
    assert_eq!(&names[names.len() - 2..], ["baseline", "age"]);
    assert_eq!(json["benchmark_left_out"], serde_json::json!(["Site D"]));

    // The cohort as its own reference: the plain (every unit) fit, applied as fitted.
    let plain = tmp.path().join("plain");
    audit(
        &cohort,
        &plain,
        &[
            "--adjust-casemix",
            "baseline,age",
            "--benchmark",
            "cohort-plain",
        ],
    );
    let referenced = tmp.path().join("referenced");
    audit(
        &cohort,
        &referenced,
        &[
            "--adjust-casemix",
            "baseline,age",
            "--reference",
            cohort.to_str().unwrap(),
        ],
    );
    assert_eq!(
        std::fs::read_to_string(plain.join("units.csv")).unwrap(),
        std::fs::read_to_string(referenced.join("units.csv")).unwrap()
    );
    let json = read_json(&referenced.join("audit.json"));
    assert_eq!(json["casemix"]["fitted_on"], "outlier");

    // Suppressed: the counts of the model are not shown.
    let small = tmp.path().join("small");
    audit(
        &cohort,
        &small,
        &["--adjust-casemix", "baseline", "--min-cell", "5"],
    );
    let json = read_json(&small.join("audit.json"));
    assert!(json["casemix"]["participants_fitted"].is_null());

    for (extra, words) in [
        (
            vec!["--adjust-casemix", "baseline,adherence"],
            "never adjusted for",
        ),
        (
            vec!["--adjust-casemix", "baseline", "--benchmark", "dream"],
            "--benchmark dream",
        ),
        (vec!["--reference", "x"], "--adjust-casemix"),
    ] {
        let mut args = vec!["audit", cohort.to_str().unwrap(), "--out"];
        let bad = tmp.path().join("bad");
        args.push(bad.to_str().unwrap());
        args.extend(extra.iter().copied());
        let run = trialdose(&args);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(words), "{run}");
    }
}

/// Monitoring over time: the periods add up to each unit's funnel counts, cusum.csv charts
/// every benchmarked patient in checkpoint order, the far-off site signals and its VLAD ends
/// at observed minus expected, the files are the same whatever the thread count, a run
/// without `--over-time` removes them, small cells are suppressed in periods.csv (and the
/// per-patient charts are not drawn), and bad settings are refused with exit code 2.
#[test]
fn over_time_monitoring_adds_up_and_signals_the_far_off_site() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = outlier_cohort(tmp.path());
    let out = tmp.path().join("monthly");
    let run = audit(&cohort, &out, &["--over-time", "month", "--threads", "1"]);
    assert!(run.stdout.contains("Site D: the CUSUM signalled"), "{run}");
    let units = Table::read(&out.join("units.csv"));
    let periods = Table::read(&out.join("periods.csv"));
    let cusum = Table::read(&out.join("cusum.csv"));
    for u in &units.rows {
        let name = &u["unit"];
        let mine: Vec<&Row> = periods.rows.iter().filter(|r| &r["unit"] == name).collect();
        let sum = |c: &str| mine.iter().map(|r| num(r, c)).sum::<f64>();
        assert_eq!(sum("patients"), num(u, "n"), "{name}");
        assert_eq!(sum("responders"), num(u, "responders"), "{name}");
        for r in &mine {
            assert!(
                r["period"].len() == 7 && r["period"].starts_with("20"),
                "{r:?}"
            );
        }
        let chart: Vec<&Row> = cusum.rows.iter().filter(|r| &r["unit"] == name).collect();
        assert_eq!(chart.len() as f64, num(u, "n"), "{name}");
        assert!(
            chart
                .windows(2)
                .all(|w| w[0]["checkpoint_date"] <= w[1]["checkpoint_date"])
        );
        let o = chart.iter().filter(|r| r["responded"] == "true").count() as f64;
        let e: f64 = chart.iter().map(|r| num(r, "expected")).sum();
        let last = chart.last().unwrap();
        assert!((num(last, "vlad") - (o - e)).abs() < 1e-9, "{name}");
        assert!(
            (e - num(u, "expected_rate") * num(u, "n")).abs() < 1e-6,
            "{name}"
        );
        let signals = chart.iter().filter(|r| r["signal"] == "true").count();
        if name == "Site D" {
            assert!(signals >= 1, "the far-off site signals");
        }
    }
    let json = read_json(&out.join("audit.json"));
    let t = &json["over_time"]["cusum"];
    assert!(t["threshold"].as_f64().unwrap() > 1.0);
    assert!(t["arl1"]["estimate"].as_f64().unwrap() < 200.0);
    assert!(
        list_dir(&out)
            .iter()
            .any(|f| f.starts_with("cusum-") && f.ends_with("site-d.png"))
    );
    let page = std::fs::read_to_string(out.join("audit.html")).unwrap();
    assert!(page.contains("Monitoring over time") && page.contains("Site D: the CUSUM signalled"));

    let again = tmp.path().join("monthly-2");
    audit(&cohort, &again, &["--over-time", "month", "--threads", "2"]);
    for f in [
        "periods.csv",
        "cusum.csv",
        "audit.json",
        "runchart.svg",
        "audit.html",
    ] {
        assert_eq!(
            std::fs::read(out.join(f)).unwrap(),
            std::fs::read(again.join(f)).unwrap(),
            "{f}"
        );
    }
    // Without --over-time, the files of the earlier run go.
    audit(&cohort, &again, &[]);
    assert!(
        !list_dir(&again).iter().any(|f| f.starts_with("cusum")
            || f.starts_with("periods")
            || f.starts_with("runchart")),
        "{:?}",
        list_dir(&again)
    );

    // Small cells: no count from 1 to 9 in periods.csv, no per-patient chart.
    let small = tmp.path().join("small");
    audit(
        &cohort,
        &small,
        &["--over-time", "month", "--min-cell", "10"],
    );
    let periods = Table::read(&small.join("periods.csv"));
    for r in &periods.rows {
        for c in ["patients", "responders"] {
            if let Ok(v) = r[c].parse::<u64>() {
                assert!(v == 0 || v >= 10, "{c} {v} shown: {r:?}");
            } else {
                assert!(r["rate"].is_empty() && r["verdict"].is_empty(), "{r:?}");
            }
        }
    }
    assert!(
        periods.rows.iter().any(|r| r["patients"].is_empty()),
        "some month is small"
    );
    assert!(!list_dir(&small).iter().any(|f| f.starts_with("cusum-")));

    for (extra, words) in [
        (
            vec!["--over-time", "month", "--cusum-odds-ratio", "1"],
            "above 1",
        ),
        (vec!["--over-time", "week"], "month"),
        (
            vec!["--over-time", "quarter", "--cusum-arl", "5"],
            "--cusum-arl 5",
        ),
        (vec!["--cusum-arl", "500"], "--over-time"),
    ] {
        let bad = tmp.path().join("bad");
        let mut args = vec![
            "audit",
            cohort.to_str().unwrap(),
            "--out",
            bad.to_str().unwrap(),
        ];
        args.extend(extra.iter().copied());
        let run = trialdose(&args);
        assert_eq!(run.code, 2, "{run}");
        assert!(run.stderr.contains(words), "{run}");
    }
}
