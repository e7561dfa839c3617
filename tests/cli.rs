//! Integration tests of the `trialdose` binary: each test writes a small cohort into a
//! temporary directory, runs the real binary, and checks its exit code, its messages and the
//! files it writes against the data contract (`data/README.md`).
//!
//! Expected values come from the contract: file, line, column and value of every rejection
//! where the contract fixes them, a key phrase of the reason, the row counts, the derivation
//! rules and their boundaries, and the output columns in the contract's order.

mod util;

use util::*;

/// Rejections of single bad rows: one case per rule of the contract. Each case adds one bad
/// row to an otherwise clean cohort and expects exit 65, exactly that row rejected, and a
/// ledger record naming file, line, column, value and the rule.
mod bad_rows {
    use super::*;

    const GOOD_PARTICIPANT: &str = "P1,60x2,45,F,Seattle,2013-01-07,,";
    const GOOD_SESSION: &str = "P1,2013-01-07,60,attended,T1,none";
    const GOOD_SCORES: [&str; 2] = ["P1,0,7,20", "P1,5,4,12"];

    #[derive(Clone, Copy)]
    enum File {
        Participants,
        Sessions,
        Scores,
    }

    impl File {
        fn name(self) -> &'static str {
            match self {
                File::Participants => "participants.csv",
                File::Sessions => "sessions.csv",
                File::Scores => "scores.csv",
            }
        }
    }

    struct Case {
        name: &'static str,
        file: File,
        row: String,
        /// `None` where the contract does not fix the column.
        column: Option<&'static str>,
        /// The value as written in the input (`None`: not fixed by the contract).
        value: Option<String>,
        phrases: &'static [&'static str],
    }

    fn case(
        name: &'static str,
        file: File,
        row: &str,
        column: Option<&'static str>,
        value: Option<&str>,
        phrases: &'static [&'static str],
    ) -> Case {
        Case {
            name,
            file,
            row: row.to_owned(),
            column,
            value: value.map(str::to_owned),
            phrases,
        }
    }

    /// Runs one case; `Err` describes what went wrong.
    fn check(c: &Case) -> Result<(), String> {
        let mut participants = vec![GOOD_PARTICIPANT];
        let mut sessions = vec![GOOD_SESSION];
        let mut scores = GOOD_SCORES.to_vec();
        let target = match c.file {
            File::Participants => &mut participants,
            File::Sessions => &mut sessions,
            File::Scores => &mut scores,
        };
        target.push(&c.row);
        let good_rows = target.len() as u64 - 1;
        let line = good_rows + 2;
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &participants),
            &csv(SESSIONS_HEADER, &sessions),
            &csv(SCORES_HEADER, &scores),
        );
        let (run, ledger) = cohort.validate();
        if run.code != 65 {
            return Err(format!("expected exit 65\n{run}"));
        }
        check_record(
            &ledger,
            c.file.name(),
            line,
            c.column,
            c.value.as_deref(),
            c.phrases,
        )
        .map_err(|e| format!("{e}\n{run}"))?;
        let others: Vec<&Row> = ledger
            .rows
            .iter()
            .filter(|r| r["file"] != c.file.name() || r["line"] != line.to_string())
            .collect();
        if !others.is_empty() {
            return Err(format!(
                "only {} line {line} should be rejected; the ledger:\n{}",
                c.file.name(),
                ledger.text
            ));
        }
        let counts = printed_counts(&run.stdout);
        let expected = Counts::of(good_rows + 1, good_rows, 1, 0);
        if counts.get(c.file.name()) != Some(&expected) {
            return Err(format!(
                "expected the counts {expected:?} for {}, got {counts:?}\n{run}",
                c.file.name()
            ));
        }
        if !run.all_output().contains(&format!("line {line}")) {
            return Err(format!(
                "the first problems printed should name line {line}\n{run}"
            ));
        }
        Ok(())
    }

    fn run_cases(cases: &[Case]) {
        let failures: Vec<String> = cases
            .iter()
            .filter_map(|c| check(c).err().map(|e| format!("== case `{}`: {e}", c.name)))
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {} cases failed:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        );
    }

    #[test]
    fn participants_rows() {
        use File::Participants as P;
        let long_id = "x".repeat(65);
        let cases = [
            case(
                "empty participant_id",
                P,
                ",60x2,45,F,Seattle,2013-01-07,,",
                Some("participant_id"),
                Some(""),
                &["required"],
            ),
            case(
                "participant_id longer than 64 characters",
                P,
                &format!("{long_id},60x2,45,F,Seattle,2013-01-07,,"),
                Some("participant_id"),
                Some(long_id.as_str()),
                &["64"],
            ),
            // The reason lists the trial's arms (the allowed values).
            case(
                "unknown arm",
                P,
                "P2,90x9,45,F,Seattle,2013-01-07,,",
                Some("arm"),
                Some("90x9"),
                &["control", "60x3"],
            ),
            case(
                "age with a decimal point",
                P,
                "P2,60x2,45.0,F,Seattle,2013-01-07,,",
                Some("age"),
                Some("45.0"),
                &["whole"],
            ),
            case(
                "age above 120",
                P,
                "P2,60x2,121,F,Seattle,2013-01-07,,",
                Some("age"),
                Some("121"),
                &["0 to 120"],
            ),
            case(
                "negative age",
                P,
                "P2,60x2,-1,F,Seattle,2013-01-07,,",
                Some("age"),
                Some("-1"),
                &["0 to 120"],
            ),
            case(
                "randomized_on that is not a calendar date",
                P,
                "P2,60x2,45,F,Seattle,2013-02-30,,",
                Some("randomized_on"),
                Some("2013-02-30"),
                &["randomized_on"],
            ),
            case(
                "randomized_on in another format",
                P,
                "P2,60x2,45,F,Seattle,07/01/2013,,",
                Some("randomized_on"),
                Some("07/01/2013"),
                &["YYYY-MM-DD"],
            ),
            case(
                "unknown contraindication code",
                P,
                "P2,60x2,45,F,Seattle,2013-01-07,blood_clot;back_pain,",
                Some("contraindications"),
                Some("blood_clot;back_pain"),
                &["back_pain", "recent_fracture"],
            ),
            case(
                "medical_clearance maybe",
                P,
                "P2,60x2,45,F,Seattle,2013-01-07,,maybe",
                Some("medical_clearance"),
                Some("maybe"),
                &["yes", "no"],
            ),
            case("too few fields", P, "P2,60x2,45", None, None, &["fields"]),
            case(
                "too many fields",
                P,
                "P2,60x2,45,F,Seattle,2013-01-07,,,extra",
                None,
                None,
                &["fields"],
            ),
        ];
        run_cases(&cases);
    }

    #[test]
    fn sessions_rows() {
        use File::Sessions as S;
        let cases = [
            case(
                "participant not in participants.csv",
                S,
                "P9,2013-01-10,60,attended,T1,none",
                Some("participant_id"),
                Some("P9"),
                &["not in participants.csv"],
            ),
            case(
                "empty date",
                S,
                "P1,,60,attended,T1,none",
                Some("date"),
                Some(""),
                &["required"],
            ),
            case(
                "date that is not a calendar date",
                S,
                "P1,2013-02-30,60,attended,T1,none",
                Some("date"),
                Some("2013-02-30"),
                &["date"],
            ),
            case(
                "date in another format",
                S,
                "P1,10/01/2013,60,attended,T1,none",
                Some("date"),
                Some("10/01/2013"),
                &["YYYY-MM-DD"],
            ),
            case(
                "attended without minutes",
                S,
                "P1,2013-01-10,,attended,T1,none",
                Some("minutes"),
                Some(""),
                &["attended"],
            ),
            case(
                "empty status (attended) without minutes",
                S,
                "P1,2013-01-10,,,T1,none",
                Some("minutes"),
                Some(""),
                &["attended"],
            ),
            case(
                "minutes 0",
                S,
                "P1,2013-01-10,0,attended,T1,none",
                Some("minutes"),
                Some("0"),
                &["240"],
            ),
            case(
                "minutes 241",
                S,
                "P1,2013-01-10,241,attended,T1,none",
                Some("minutes"),
                Some("241"),
                &["240"],
            ),
            case(
                "minutes with an exponent",
                S,
                "P1,2013-01-10,1e2,attended,T1,none",
                Some("minutes"),
                Some("1e2"),
                &["exponent"],
            ),
            case(
                "minutes with 19 significant digits",
                S,
                "P1,2013-01-10,1.234567890123456789,attended,T1,none",
                Some("minutes"),
                Some("1.234567890123456789"),
                &["18"],
            ),
            case(
                "minutes out of range on a missed row",
                S,
                "P1,2013-01-10,300,missed,T1,none",
                Some("minutes"),
                Some("300"),
                &["240"],
            ),
            case(
                "unknown status",
                S,
                "P1,2013-01-10,60,done,T1,none",
                Some("status"),
                Some("done"),
                &["attended", "missed", "cancelled"],
            ),
            case(
                "unknown adverse_event",
                S,
                "P1,2013-01-10,60,attended,T1,extreme",
                Some("adverse_event"),
                Some("extreme"),
                &["mild", "moderate", "severe"],
            ),
        ];
        run_cases(&cases);
    }

    #[test]
    fn scores_rows() {
        use File::Scores as S;
        let cases = [
            case(
                "week with a decimal point",
                S,
                "P1,5.0,4,12",
                Some("week"),
                Some("5.0"),
                &["whole"],
            ),
            case(
                "week above 104",
                S,
                "P1,105,4,12",
                Some("week"),
                Some("105"),
                &["0 to 104"],
            ),
            case(
                "empty week",
                S,
                "P1,,4,12",
                Some("week"),
                Some(""),
                &["required"],
            ),
            case(
                "pain above the default max 10",
                S,
                "P1,3,11,12",
                Some("pain"),
                Some("11"),
                &["0 to 10"],
            ),
            case(
                "negative pain",
                S,
                "P1,3,-0.5,12",
                Some("pain"),
                Some("-0.5"),
                &["0 to 10"],
            ),
            case(
                "ndi above the default max 50",
                S,
                "P1,3,4,51",
                Some("ndi"),
                Some("51"),
                &["0 to 50"],
            ),
            case(
                "pain nan",
                S,
                "P1,3,nan,12",
                Some("pain"),
                Some("nan"),
                &["number"],
            ),
            case(
                "pain inf",
                S,
                "P1,3,inf,12",
                Some("pain"),
                Some("inf"),
                &["number"],
            ),
            case(
                "pain with an exponent",
                S,
                "P1,3,5e0,12",
                Some("pain"),
                Some("5e0"),
                &["exponent"],
            ),
            case(
                "no pain, ndi or marker",
                S,
                "P1,3,,",
                None,
                None,
                &["at least one"],
            ),
            case(
                "negative week",
                S,
                "P1,-1,4,12",
                Some("week"),
                Some("-1"),
                &["0 to 104"],
            ),
            case(
                "pain with 19 decimal places",
                S,
                "P1,3,0.0000000000000000001,12",
                Some("pain"),
                Some("0.0000000000000000001"),
                &["18"],
            ),
            case(
                "participant not in participants.csv",
                S,
                "P9,3,4,12",
                Some("participant_id"),
                Some("P9"),
                &["not in participants.csv"],
            ),
        ];
        run_cases(&cases);
    }

    /// The scale maxima come from trial.toml when it sets them.
    #[test]
    fn scale_maxima_come_from_trial_toml() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &[GOOD_PARTICIPANT]),
            &csv(SESSIONS_HEADER, &[GOOD_SESSION]),
            &csv(
                SCORES_HEADER,
                &["P1,0,70,80", "P1,5,11,60", "P1,6,101,20", "P1,7,5,101"],
            ),
        )
        .with_trial("[outcomes.pain]\nmax = 100\n[outcomes.ndi]\nmax = 100\n");
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        assert_record(
            &ledger,
            "scores.csv",
            4,
            Some("pain"),
            Some("101"),
            &["0 to 100"],
        );
        assert_record(
            &ledger,
            "scores.csv",
            5,
            Some("ndi"),
            Some("101"),
            &["0 to 100"],
        );
        assert_eq!(ledger.rows.len(), 2, "{}", ledger.text);
    }

    /// Values on the edges of every range are accepted, and optional cells may be empty.
    #[test]
    fn boundary_values_are_accepted() {
        let id64 = "y".repeat(64);
        let participants = csv(
            PARTICIPANTS_HEADER,
            &[
                &format!("{id64},60x2,0,,,2012-02-29,,"),
                "P2,control,120,,,,recent_fracture;burn,yes",
                "P3,30x3,,,,,,no",
            ],
        );
        let sessions = csv(
            SESSIONS_HEADER,
            &[
                &format!("{id64},2013-01-07,240,attended,,"),
                &format!("{id64},2013-01-08,0.5,,,mild"),
                "P2,2013-01-09,,missed,,moderate",
                "P3,2013-01-09,,cancelled,,severe",
                "P3,2013-01-10,30,attended,T2,none",
            ],
        );
        let scores = csv(
            SCORES_HEADER,
            &[
                &format!("{id64},0,10,50"),
                &format!("{id64},104,0,0"),
                "P2,0,0.000000000000000001,",
                "P3,1,,25",
            ],
        );
        let cohort = Cohort::new(&participants, &sessions, &scores);
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 0, "every row is valid\n{run}\n{}", ledger.text);
        assert_eq!(ledger.text, "file,line,column,value,reason\n");
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["participants.csv"], Counts::of(3, 3, 0, 0), "{run}");
        assert_eq!(counts["sessions.csv"], Counts::of(5, 5, 0, 0), "{run}");
        assert_eq!(counts["scores.csv"], Counts::of(4, 4, 0, 0), "{run}");
    }
}

/// Repeated ids and repeated (participant, week) rows; rejected participants take their
/// sessions and scores with them.
mod duplicates {
    use super::*;

    /// The reason of a dependent row points at participants.csv and one of `lines` there.
    fn points_at_participant(ledger: &Table, file: &str, line: u64, id: &str, lines: &[u64]) {
        let at = ledger.records_at(file, line);
        let ok = at.iter().any(|r| {
            r["column"] == "participant_id"
                && r["value"] == id
                && r["reason"].contains("participants.csv")
                && lines
                    .iter()
                    .any(|l| r["reason"].contains(&format!("line {l}")))
        });
        assert!(
            ok,
            "{file} line {line} should be rejected with a reason pointing at participants.csv \
             line {lines:?}; the ledger:\n{}",
            ledger.text
        );
    }

    #[test]
    fn conflicting_participant_rows_are_all_rejected_with_their_sessions_and_scores() {
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,60x2,45,F,Seattle,2013-01-07,,",
                    "P2,60x2,45,F,Seattle,2013-01-07,,",
                    "P2,60x2,46,F,Seattle,2013-01-07,,",
                ],
            ),
            &csv(
                SESSIONS_HEADER,
                &[
                    "P1,2013-01-07,60,attended,T1,none",
                    "P2,2013-01-08,60,attended,T1,none",
                ],
            ),
            &csv(
                SCORES_HEADER,
                &["P1,0,7,20", "P1,5,4,12", "P2,0,6,20", "P2,5,3,10"],
            ),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        for line in [3, 4] {
            assert_record(
                &ledger,
                "participants.csv",
                line,
                Some("participant_id"),
                Some("P2"),
                &["conflicting duplicate"],
            );
        }
        points_at_participant(&ledger, "sessions.csv", 3, "P2", &[3, 4]);
        points_at_participant(&ledger, "scores.csv", 4, "P2", &[3, 4]);
        points_at_participant(&ledger, "scores.csv", 5, "P2", &[3, 4]);
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["participants.csv"], Counts::of(3, 1, 2, 0), "{run}");
        assert_eq!(counts["sessions.csv"], Counts::of(2, 1, 1, 0), "{run}");
        assert_eq!(counts["scores.csv"], Counts::of(4, 2, 2, 0), "{run}");
        assert!(
            ledger.records_at("participants.csv", 2).is_empty(),
            "P1 is fine:\n{}",
            ledger.text
        );
    }

    #[test]
    fn rejected_participant_takes_sessions_and_scores_with_a_pointer_to_the_line() {
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,60x2,45,F,Seattle,2013-01-07,,",
                    "P2,60x2,121,F,Seattle,2013-01-07,,",
                ],
            ),
            &csv(
                SESSIONS_HEADER,
                &[
                    "P2,2013-01-08,60,attended,T1,none",
                    "P1,2013-01-07,60,attended,T1,none",
                ],
            ),
            &csv(SCORES_HEADER, &["P1,0,7,20", "P2,0,6,20"]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        assert_record(
            &ledger,
            "participants.csv",
            3,
            Some("age"),
            Some("121"),
            &["0 to 120"],
        );
        points_at_participant(&ledger, "sessions.csv", 2, "P2", &[3]);
        points_at_participant(&ledger, "scores.csv", 3, "P2", &[3]);
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["participants.csv"], Counts::of(2, 1, 1, 0), "{run}");
        assert_eq!(counts["sessions.csv"], Counts::of(2, 1, 1, 0), "{run}");
        assert_eq!(counts["scores.csv"], Counts::of(2, 1, 1, 0), "{run}");
    }

    #[test]
    fn identical_participant_rows_are_kept_once_and_counted_as_ignored() {
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,60x2,45,F,Seattle,2013-01-07,,",
                    "P2,control,50,M,Seattle,2013-01-07,,",
                    "P2,control,50,M,Seattle,2013-01-07,,",
                ],
            ),
            &csv(
                SESSIONS_HEADER,
                &[
                    "P1,2013-01-07,60,attended,T1,none",
                    "P2,2013-01-08,,missed,,",
                ],
            ),
            &csv(
                SCORES_HEADER,
                &["P1,0,7,20", "P1,5,4,12", "P2,0,6,20", "P2,5,6,20"],
            ),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 0, "an exact duplicate is not a rejection\n{run}");
        assert_eq!(ledger.text, "file,line,column,value,reason\n");
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["participants.csv"], Counts::of(3, 2, 0, 1), "{run}");
        assert_eq!(counts["sessions.csv"], Counts::of(2, 2, 0, 0), "{run}");
        assert_eq!(counts["scores.csv"], Counts::of(4, 4, 0, 0), "{run}");

        let out = cohort.analyze_ok("out", &[]);
        let participants = Table::read(&out.join("participants.csv"));
        assert_eq!(participants.column("participant_id"), ["P1", "P2"]);
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(
            summary_counts(&summary)["participants.csv"],
            Counts::of(3, 2, 0, 1)
        );
    }

    #[test]
    fn conflicting_score_rows_are_all_rejected() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &["P1,0,7,20", "P1,5,4,12", "P1,5,5,12"]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        for line in [3, 4] {
            assert_record(
                &ledger,
                "scores.csv",
                line,
                None,
                None,
                &["conflicting duplicate"],
            );
        }
        assert!(
            ledger.records_at("scores.csv", 2).is_empty(),
            "{}",
            ledger.text
        );
        assert_eq!(
            printed_counts(&run.stdout)["scores.csv"],
            Counts::of(3, 1, 2, 0),
            "{run}"
        );
    }

    /// Two rows that agree and a third that disagrees: the key conflicts, so nothing is
    /// guessed and all three rows are rejected.
    #[test]
    fn a_conflict_rejects_the_agreeing_rows_of_the_key_too() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &[]),
            &csv(
                SCORES_HEADER,
                &["P1,0,7,20", "P1,5,4,12", "P1,5,4.0,12", "P1,5,5,12"],
            ),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        for line in [3, 4, 5] {
            assert_record(
                &ledger,
                "scores.csv",
                line,
                None,
                None,
                &["conflicting duplicate"],
            );
        }
        assert_eq!(
            printed_counts(&run.stdout)["scores.csv"],
            Counts::of(4, 1, 3, 0),
            "{run}"
        );
    }

    #[test]
    fn exact_score_duplicate_compared_as_numbers_is_ignored() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &["P1,0,7.0,20", "P1,5,4,12", "P1,0,7,20.00"]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 0, "7.0 equals 7: an exact duplicate\n{run}");
        assert_eq!(ledger.text, "file,line,column,value,reason\n");
        assert_eq!(
            printed_counts(&run.stdout)["scores.csv"],
            Counts::of(3, 2, 0, 1),
            "{run}"
        );
    }

    /// Duplicates are looked for among rows that pass their own checks: a bad row with the
    /// same key is rejected for its own problem and does not make the good row a conflict.
    #[test]
    fn duplicates_are_looked_for_among_valid_rows_only() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &["P1,0,7,20", "P1,5,4,12", "P1,5,11,12"]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        assert_record(
            &ledger,
            "scores.csv",
            4,
            Some("pain"),
            Some("11"),
            &["0 to 10"],
        );
        assert!(
            !ledger.text.contains("conflicting"),
            "no conflict among valid rows:\n{}",
            ledger.text
        );
        assert!(
            ledger.records_at("scores.csv", 3).is_empty(),
            "{}",
            ledger.text
        );
        assert_eq!(
            printed_counts(&run.stdout)["scores.csv"],
            Counts::of(3, 2, 1, 0),
            "{run}"
        );
    }
}

/// The CSV dialect: BOM, CRLF, quoting, embedded line breaks, blank lines, trimming, unknown
/// columns, empty and header-only files.
mod dialect {
    use super::*;

    #[test]
    fn bom_crlf_quotes_multiline_fields_and_blank_lines_keep_physical_lines() {
        let participants = concat!(
            "\u{feff}participant_id,arm,age,sex,site,randomized_on,contraindications,medical_clearance,notes\r\n",
            " P1 ,60x2,45,F,\"Clinic, North\",2013-01-07,,,first\r\n",
            "P2,60x2,45,F,\"Clinic\r\nSouth\",2013-01-07,,,\r\n",
            "P3,60x2,121,F,X,2013-01-07,,,\r\n",
            "\r\n",
            "P4,60x2,-1,F,X,2013-01-07,,,\r\n",
            "\r\n",
            "\r\n",
            "P5,control,30,M,\"He said \"\"hi\"\"\",2013-01-07,,,\r\n",
            "\"P6\",60x2,200,F,\"a\r\nb\r\nc\",2013-01-07,,,\r\n",
            "P7,60x2,130,F,X,2013-01-07,,,\r\n",
        );
        let sessions = concat!(
            "participant_id,date,minutes,status,therapist,adverse_event\n",
            "P1,2013-01-07,60,attended,T1,none\n",
            "\n",
            "P1,2013-01-10,0,attended,T1,none\n",
        );
        // CRLF, no final line end.
        let scores = "participant_id,week,pain,ndi\r\nP1,0,7,20\r\nP1,5,4,12\r\nP1,6,11,12";
        let cohort = Cohort::new(participants, sessions, scores);
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        for (line, value) in [(5, "121"), (7, "-1"), (11, "200"), (14, "130")] {
            assert_record(
                &ledger,
                "participants.csv",
                line,
                Some("age"),
                Some(value),
                &["0 to 120"],
            );
        }
        assert_record(
            &ledger,
            "sessions.csv",
            4,
            Some("minutes"),
            Some("0"),
            &["240"],
        );
        assert_record(
            &ledger,
            "scores.csv",
            4,
            Some("pain"),
            Some("11"),
            &["0 to 10"],
        );
        assert_eq!(
            ledger.rows.len(),
            6,
            "nothing else is rejected (the BOM is not part of the first column name, \
             quoted fields are read whole):\n{}",
            ledger.text
        );
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["participants.csv"], Counts::of(7, 3, 4, 0), "{run}");
        assert_eq!(counts["sessions.csv"], Counts::of(2, 1, 1, 0), "{run}");
        assert_eq!(counts["scores.csv"], Counts::of(3, 2, 1, 0), "{run}");
        assert!(
            run.all_output().contains("notes"),
            "the unknown column `notes` gets a notice\n{run}"
        );

        let out = cohort.analyze_ok("out", &["--skip-invalid"]);
        let p = Table::read(&out.join("participants.csv"));
        assert_eq!(p.column("participant_id"), ["P1", "P2", "P5"]);
        let p1 = p.row("participant_id", "P1");
        assert_eq!(p1["site"], "Clinic, North");
        assert_eq!(
            p1["sessions_attended"], "1",
            "the padded id ` P1 ` is trimmed and matches the sessions of P1"
        );
        let p2_site = &p.row("participant_id", "P2")["site"];
        assert!(
            p2_site.starts_with("Clinic") && p2_site.ends_with("South") && p2_site.contains('\n'),
            "the multi-line site is read whole: {p2_site:?}"
        );
        assert_eq!(p.row("participant_id", "P5")["site"], "He said \"hi\"");
    }

    #[test]
    fn spaces_and_tabs_around_cells_are_trimmed() {
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &["P1 ,\t60x2 , 45\t,F,Seattle, 2013-01-07 ,\tblood_clot ; burn ,\tyes"],
            ),
            &csv(
                SESSIONS_HEADER,
                &["\tP1, 2013-01-07 , 60 , attended ,T1, none "],
            ),
            &csv(SCORES_HEADER, &[" P1 , 0 , 7 , 20 ", "P1,5,4,12"]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 0, "{run}\n{}", ledger.text);
    }

    #[test]
    fn an_empty_participants_file_is_rejected_at_line_1() {
        let cohort = Cohort::new("", &csv(SESSIONS_HEADER, &[]), &csv(SCORES_HEADER, &[]));
        let (run, ledger) = cohort.validate();
        assert_eq!(
            run.code, 65,
            "an empty file (not even a header) is a data error\n{run}"
        );
        assert_record(&ledger, "participants.csv", 1, None, None, &[]);
        let counts = printed_counts(&run.stdout);
        assert!(counts.values().all(Counts::balanced), "{counts:?}\n{run}");
        let (run, out) = cohort.analyze("out", &[]);
        assert_eq!(run.code, 65, "{run}");
        assert_eq!(list_dir(&out), ["rejections.csv"]);
    }

    #[test]
    fn empty_sessions_or_scores_files_are_rejected_at_line_1() {
        let participants = csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]);
        let sessions = csv(SESSIONS_HEADER, &["P1,2013-01-07,60,attended,T1,none"]);
        let scores = csv(SCORES_HEADER, &["P1,0,7,20"]);
        let mut failures = Vec::new();
        for (file, cohort) in [
            ("sessions.csv", Cohort::new(&participants, "", &scores)),
            ("scores.csv", Cohort::new(&participants, &sessions, "")),
        ] {
            let (run, ledger) = cohort.validate();
            if run.code != 65 || ledger.records_at(file, 1).is_empty() {
                failures.push(format!(
                    "== empty {file}: expected exit 65 and a record at line 1\n{run}\n{}",
                    ledger.text
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    /// A quote inside an unquoted-looking field, text after a closing quote, or a quote that
    /// is never closed is not RFC 4180: the record is rejected at the line where it starts.
    #[test]
    fn malformed_quoting_is_rejected_at_the_record_line() {
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,60x2,45,F,Seattle,2013-01-07,,",
                    "P2,60x2,45,F,\"Clinic\"North,2013-01-07,,",
                    "P3,60x2,45,F,Seattle,2013-01-07,,",
                ],
            ),
            &csv(SESSIONS_HEADER, &[]),
            &csv(
                SCORES_HEADER,
                &["P1,0,7,20", "P3,0,\"5,20", "P3,5,4,12", "P1,5,4,12"],
            ),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        assert_record(&ledger, "participants.csv", 3, None, None, &["quote"]);
        assert_record(&ledger, "scores.csv", 3, None, None, &["quote"]);
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["participants.csv"], Counts::of(3, 2, 1, 0), "{run}");
        let scores = counts["scores.csv"];
        assert!(
            scores.balanced() && scores.rejected >= 1,
            "{scores:?}\n{run}"
        );
    }

    /// The files are UTF-8: a cell that is not is rejected, not read as something else.
    #[test]
    fn a_cell_that_is_not_utf8_is_rejected() {
        let mut participants =
            csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]).into_bytes();
        participants.extend_from_slice(b"P2,60x2,45,F,Z\xfcrich,2013-01-07,,\n");
        let cohort = Cohort::from_bytes(
            &participants,
            csv(SESSIONS_HEADER, &[]).as_bytes(),
            csv(SCORES_HEADER, &[]).as_bytes(),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        assert_record(
            &ledger,
            "participants.csv",
            3,
            Some("site"),
            None,
            &["UTF-8"],
        );
    }

    #[test]
    fn header_only_files_are_fine() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &[]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 0, "{run}\n{}", ledger.text);
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["sessions.csv"], Counts::of(0, 0, 0, 0), "{run}");
        assert_eq!(counts["scores.csv"], Counts::of(0, 0, 0, 0), "{run}");

        let all_empty = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &[]),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &[]),
        );
        let (run, ledger) = all_empty.validate();
        assert_eq!(run.code, 0, "{run}\n{}", ledger.text);
    }

    #[test]
    fn column_order_is_free() {
        let cohort = Cohort::new(
            "arm,medical_clearance,participant_id,age\n60x2,,P1,45\ncontrol,yes,P2,50\n",
            "date,participant_id,minutes\n2013-01-07,P1,60\n",
            "ndi,week,participant_id,pain\n20,0,P1,7\n12,5,P1,4\n",
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 0, "{run}\n{}", ledger.text);
        let out = cohort.analyze_ok("out", &[]);
        let p = Table::read(&out.join("participants.csv"));
        let p1 = p.row("participant_id", "P1");
        assert_eq!(p1["arm"], "60x2");
        assert_eq!(p1["pain_baseline"], "7");
        assert_eq!(p1["ndi_checkpoint"], "12");
        assert_eq!(p1["minutes_delivered"], "60");
    }

    #[test]
    fn a_missing_required_column_rejects_every_row_of_the_file() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            "participant_id,minutes\nP1,60\nP1,30\n",
            &csv(SCORES_HEADER, &["P1,0,7,20"]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        for line in [2, 3] {
            let at = ledger.records_at("sessions.csv", line);
            assert!(
                at.iter().any(|r| r["reason"].contains("date")),
                "sessions.csv line {line} should say the `date` column is missing:\n{}",
                ledger.text
            );
        }
        assert_eq!(
            printed_counts(&run.stdout)["sessions.csv"],
            Counts::of(2, 0, 2, 0),
            "{run}"
        );
    }
}

/// A cohort with a bit of everything, used by the counting and strictness tests.
///
/// participants.csv: 7 rows = 3 accepted (P1, P2, P4) + 3 rejected (P3 age; P5 twice,
/// conflicting) + 1 ignored (P4 again). sessions.csv: 5 rows = 2 + 3 + 0 (bad minutes; P3 and
/// P5 rejected). scores.csv: 10 rows = 4 + 5 + 1 (P1 week 5 repeated as `4.0,12.0`; P2 week
/// 5 conflicting twice; P3 rejected; P4 week 2 with two problems, one row; P4 week 3 empty).
/// Ledger records: 3 + 3 + 6 = 12.
fn messy_cohort() -> Cohort {
    Cohort::new(
        &csv(
            PARTICIPANTS_HEADER,
            &[
                "P1,60x2,45,F,Seattle,2013-01-07,,",
                "P2,control,50,M,Seattle,2013-01-07,,",
                "P3,60x3,121,F,Seattle,2013-01-07,,",
                "P4,60x1,30,F,Boston,2013-01-07,,",
                "P4,60x1,30,F,Boston,2013-01-07,,",
                "P5,30x2,40,M,Boston,2013-01-07,,",
                "P5,30x2,41,M,Boston,2013-01-07,,",
            ],
        ),
        &csv(
            SESSIONS_HEADER,
            &[
                "P1,2013-01-07,60,attended,T1,none",
                "P1,2013-01-10,0,attended,T1,none",
                "P3,2013-01-08,60,attended,T1,none",
                "P5,2013-01-08,30,attended,T2,none",
                "P2,2013-01-09,,missed,,none",
            ],
        ),
        &csv(
            SCORES_HEADER,
            &[
                "P1,0,7,20",
                "P1,5,4,12",
                "P1,5,4.0,12.0",
                "P2,0,6,18",
                "P2,5,6,18",
                "P2,5,5,18",
                "P3,0,5,10",
                "P4,0,5,10",
                "P4,2,11,51",
                "P4,3,,",
            ],
        ),
    )
}

const MESSY_COUNTS: [(&str, Counts); 3] = [
    ("participants.csv", Counts::of(7, 3, 3, 1)),
    ("sessions.csv", Counts::of(5, 2, 3, 0)),
    ("scores.csv", Counts::of(10, 4, 5, 1)),
];

/// Every row is accounted for: accepted + rejected + ignored duplicates = rows.
mod counts {
    use super::*;

    #[test]
    fn validate_prints_balanced_counts_for_every_file() {
        let cohort = messy_cohort();
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts.len(), 3, "one counts line per file\n{run}");
        for (file, c) in &counts {
            assert!(c.balanced(), "{file}: {c:?} does not add up\n{run}");
        }
        for (file, expected) in MESSY_COUNTS {
            assert_eq!(counts[file], expected, "{file}\n{run}\n{}", ledger.text);
        }
        assert_eq!(ledger.rows.len(), 12, "{}", ledger.text);
        assert_eq!(
            ledger.records_at("scores.csv", 10).len(),
            2,
            "a row that breaks two rules has two records:\n{}",
            ledger.text
        );
    }

    #[test]
    fn analyze_skip_invalid_records_balanced_counts_in_summary_json() {
        let cohort = messy_cohort();
        let out = cohort.analyze_ok("out", &["--skip-invalid"]);
        let summary = read_json(&out.join("summary.json"));
        let counts = summary_counts(&summary);
        assert_eq!(counts.len(), 3, "{summary:#}");
        for (file, c) in &counts {
            assert!(c.balanced(), "{file}: {c:?} does not add up");
        }
        for (file, expected) in MESSY_COUNTS {
            assert_eq!(counts[file], expected, "{file}");
        }
        let ledger = Table::read(&out.join("rejections.csv"));
        assert_eq!(ledger.rows.len(), 12, "{}", ledger.text);
        let participants = Table::read(&out.join("participants.csv"));
        assert_eq!(participants.column("participant_id"), ["P1", "P2", "P4"]);
    }
}

/// Exit codes and the messages that go with them.
mod exit_codes {
    use super::*;
    use std::ffi::OsStr;

    fn clean_cohort() -> Cohort {
        Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &["P1,2013-01-07,60,attended,T1,none"]),
            &csv(SCORES_HEADER, &["P1,0,7,20", "P1,5,4,12"]),
        )
    }

    #[test]
    fn missing_scores_file_is_66_and_names_the_path() {
        let cohort = clean_cohort();
        cohort.remove("scores.csv");
        let path = cohort.dir().join("scores.csv");
        let run = trialdose([OsStr::new("validate"), cohort.dir().as_os_str()]);
        assert_eq!(run.code, 66, "{run}");
        assert!(
            run.stderr.contains(&path.display().to_string()),
            "stderr should name {}\n{run}",
            path.display()
        );
        let (run, _) = cohort.analyze("out", &[]);
        assert_eq!(run.code, 66, "{run}");
        assert!(run.stderr.contains(&path.display().to_string()), "{run}");
    }

    #[test]
    fn missing_cohort_folder_is_66_and_names_the_path() {
        let cohort = clean_cohort();
        let missing = cohort.path("no-such-cohort");
        let run = trialdose([OsStr::new("validate"), missing.as_os_str()]);
        assert_eq!(run.code, 66, "{run}");
        assert!(
            run.stderr.contains(&missing.display().to_string()),
            "stderr should name {}\n{run}",
            missing.display()
        );
        let out = cohort.path("out");
        let run = trialdose([
            OsStr::new("analyze"),
            missing.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ]);
        assert_eq!(run.code, 66, "{run}");
        assert!(run.stderr.contains(&missing.display().to_string()), "{run}");
    }

    #[test]
    fn a_cohort_that_is_a_file_is_66_and_names_the_path() {
        let cohort = clean_cohort();
        let file = cohort.dir().join("participants.csv");
        let run = trialdose([OsStr::new("validate"), file.as_os_str()]);
        assert_eq!(run.code, 66, "{run}");
        assert!(
            run.stderr.contains(&file.display().to_string()),
            "stderr should name {}\n{run}",
            file.display()
        );
    }

    #[test]
    fn bad_trial_toml_is_2_and_names_the_key() {
        let cases: [(&str, &str, &[&str]); 7] = [
            ("unknown key", "colour = 3\n", &["colour"]),
            (
                "two controls",
                "[[arms]]\nid = \"control\"\ncontrol = true\n\
                 [[arms]]\nid = \"waitlist\"\ncontrol = true\n\
                 [[arms]]\nid = \"60x2\"\nminutes = 60\nper_week = 2\n",
                &["arms", "control"],
            ),
            (
                "treatment arm without minutes",
                "[[arms]]\nid = \"control\"\ncontrol = true\n\
                 [[arms]]\nid = \"60x2\"\nper_week = 2\n",
                &["arms[2].minutes", "60x2"],
            ),
            (
                "checkpoint week out of range",
                "checkpoint_week = 0\n",
                &["checkpoint_week"],
            ),
            (
                "unknown key in a table",
                "[outcomes.pain]\nmaximum = 10\n",
                &["maximum"],
            ),
            (
                "adherence threshold above 1",
                "adherence_threshold = 1.5\n",
                &["adherence_threshold"],
            ),
            ("not TOML", "arms = [\n", &["trial.toml"]),
        ];
        let mut failures = Vec::new();
        for (name, toml, phrases) in cases {
            let cohort = clean_cohort().with_trial(toml);
            let run = trialdose([OsStr::new("validate"), cohort.dir().as_os_str()]);
            if run.code != 2 || !phrases.iter().all(|p| run.stderr.contains(p)) {
                failures.push(format!(
                    "== {name}: expected exit 2 and stderr naming {phrases:?}\n{run}"
                ));
            }
            let (run, _) = cohort.analyze("out", &[]);
            if run.code != 2 || !phrases.iter().all(|p| run.stderr.contains(p)) {
                failures.push(format!(
                    "== {name} (analyze): expected exit 2 and stderr naming {phrases:?}\n{run}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    }

    #[test]
    fn a_valid_trial_toml_replaces_the_default_arms() {
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,massage,45,F,Seattle,2013-01-07,,",
                    "P2,waitlist,45,F,Seattle,2013-01-07,,",
                ],
            ),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &["P1,0,7,20", "P1,6,4,12", "P2,0,7,20"]),
        )
        .with_trial(
            "name = \"custom\"\ncheckpoint_week = 6\n\
             [[arms]]\nid = \"waitlist\"\ncontrol = true\n\
             [[arms]]\nid = \"massage\"\nminutes = 45\nper_week = 1\nweeks = 6\n",
        );
        let out = cohort.analyze_ok("out", &[]);
        let arms = Table::read(&out.join("arms.csv"));
        assert_eq!(arms.column("arm"), ["waitlist", "massage"]);
        let massage = arms.row("arm", "massage");
        assert_eq!(massage["weeks"], "6");
        assert_eq!(massage["minutes"], "45");
        let p = Table::read(&out.join("participants.csv"));
        let p1 = p.row("participant_id", "P1");
        assert_eq!(p1["pain_checkpoint"], "4", "the checkpoint is week 6");
        assert_eq!(p1["sessions_planned"], "6");
    }

    /// `--out` below a regular file cannot be created: exit 73, checked before any work (even
    /// before the cohort is read), and nothing is written.
    #[test]
    fn unwritable_out_is_73_before_any_work() {
        let cohort = clean_cohort();
        let blocker = cohort.path("blocker");
        std::fs::write(&blocker, "keep me").expect("writing a regular file");
        let out = blocker.join("out");
        let missing_cohort = cohort.path("no-such-cohort");
        let runs = [
            (
                "analyze",
                trialdose([
                    OsStr::new("analyze"),
                    cohort.dir().as_os_str(),
                    OsStr::new("--out"),
                    out.as_os_str(),
                ]),
            ),
            (
                "analyze of a missing cohort",
                trialdose([
                    OsStr::new("analyze"),
                    missing_cohort.as_os_str(),
                    OsStr::new("--out"),
                    out.as_os_str(),
                ]),
            ),
            (
                "validate",
                trialdose([
                    OsStr::new("validate"),
                    cohort.dir().as_os_str(),
                    OsStr::new("--out"),
                    out.as_os_str(),
                ]),
            ),
            (
                "generate",
                trialdose([
                    OsStr::new("generate"),
                    out.as_os_str(),
                    OsStr::new("--participants"),
                    OsStr::new("5"),
                    OsStr::new("--seed"),
                    OsStr::new("1"),
                ]),
            ),
        ];
        let mut failures = Vec::new();
        for (name, run) in &runs {
            if run.code != 73 || !run.stderr.contains(&blocker.display().to_string()) {
                failures.push(format!(
                    "== {name}: expected exit 73 and stderr naming {}\n{run}",
                    blocker.display()
                ));
            }
            if run.stdout.contains("rows =") || run.stderr.contains("rows =") {
                failures.push(format!("== {name}: the cohort was read anyway\n{run}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        assert_eq!(std::fs::read_to_string(&blocker).unwrap(), "keep me");
        assert_eq!(list_dir(&cohort.path("")), ["blocker", "cohort"]);
        assert_eq!(
            list_dir(&cohort.dir()),
            ["participants.csv", "scores.csv", "sessions.csv"]
        );
    }

    #[test]
    fn bad_flags_are_2() {
        let cohort = clean_cohort();
        let dir = cohort.dir().display().to_string();
        let dir = dir.as_str();
        let out = cohort.path("out").display().to_string();
        let out = out.as_str();
        let gen_out = cohort.path("gen").display().to_string();
        let gen_out = gen_out.as_str();
        let cases: Vec<(Vec<&str>, &str)> = vec![
            (vec!["analyze", dir, "--out", out, "--bogus"], "--bogus"),
            (
                vec!["analyze", dir, "--out", out, "--population", "everyone"],
                "everyone",
            ),
            (
                vec!["analyze", dir, "--out", out, "--missing", "sometimes"],
                "sometimes",
            ),
            (vec!["analyze", dir], "--out"),
            (
                vec!["analyze", dir, "--out", out, "--threads", "0"],
                "--threads",
            ),
            (vec!["validate", dir, "--threads", "0"], "--threads"),
            (vec!["validate", dir, "--threads", "many"], "many"),
            (
                vec!["generate", gen_out, "--participants", "0", "--seed", "1"],
                "participant",
            ),
            (
                vec![
                    "generate",
                    gen_out,
                    "--participants",
                    "5",
                    "--seed",
                    "1",
                    "--profile",
                    "nope",
                ],
                "nope",
            ),
            (vec!["generate", gen_out, "--seed", "1"], "--participants"),
            (vec!["frobnicate"], "frobnicate"),
        ];
        let mut failures = Vec::new();
        for (args, phrase) in &cases {
            let run = trialdose(args);
            if run.code != 2 || !run.stderr.contains(phrase) {
                failures.push(format!(
                    "== expected exit 2 and stderr containing {phrase:?}\n{run}"
                ));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n\n"));
        assert!(
            !cohort.path("gen").exists(),
            "generate with bad flags wrote nothing"
        );
    }
}

/// Strict by default; `--skip-invalid` analyses the accepted rows.
mod strictness {
    use super::*;

    #[test]
    fn strict_analyze_writes_only_the_ledger_and_says_where_it_is() {
        let cohort = messy_cohort();
        let (run, out) = cohort.analyze("out", &[]);
        assert_eq!(run.code, 65, "{run}");
        assert_eq!(
            list_dir(&out),
            ["rejections.csv"],
            "strict mode writes only rejections.csv\n{run}"
        );
        let ledger_path = out.join("rejections.csv");
        assert!(
            run.stderr.contains(&ledger_path.display().to_string()),
            "stderr should say where the full list is ({})\n{run}",
            ledger_path.display()
        );
        assert!(
            run.stderr.contains("--skip-invalid"),
            "stderr should name the way out\n{run}"
        );
        assert!(
            run.stderr.contains("participants.csv line 4"),
            "stderr shows the first problems\n{run}"
        );
        let ledger = Table::read(&ledger_path);
        assert_eq!(ledger.header, ["file", "line", "column", "value", "reason"]);
        assert_eq!(ledger.rows.len(), 12, "{}", ledger.text);
        assert_record(
            &ledger,
            "participants.csv",
            4,
            Some("age"),
            Some("121"),
            &["0 to 120"],
        );
    }

    #[test]
    fn skip_invalid_exits_0_and_records_the_rejections() {
        let cohort = messy_cohort();
        let (run, out) = cohort.analyze("out", &["--skip-invalid"]);
        assert_eq!(run.code, 0, "{run}");
        assert_eq!(
            list_dir(&out),
            [
                "arms.csv",
                "comparisons.csv",
                "participants.csv",
                "rejections.csv",
                "summary.json",
                "table1.csv",
                "trend.csv"
            ]
        );
        let summary = read_json(&out.join("summary.json"));
        let counts = summary_counts(&summary);
        let rejected: u64 = counts.values().map(|c| c.rejected).sum();
        assert_eq!(rejected, 3 + 3 + 5, "{summary:#}");
        assert_eq!(summary["rejections"], 12, "{summary:#}");
        assert_eq!(summary["settings"]["skip_invalid"], true, "{summary:#}");
    }

    #[test]
    fn clean_cohort_writes_everything_and_a_header_only_ledger() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &["P1,2013-01-07,60,attended,T1,none"]),
            &csv(SCORES_HEADER, &["P1,0,7,20", "P1,5,4,12"]),
        );
        let out = cohort.analyze_ok("out", &[]);
        assert_eq!(
            std::fs::read_to_string(out.join("rejections.csv")).unwrap(),
            "file,line,column,value,reason\n"
        );
        let summary = read_json(&out.join("summary.json"));
        for (file, c) in summary_counts(&summary) {
            assert_eq!(c.rejected + c.ignored, 0, "{file}");
            assert!(c.balanced(), "{file}");
        }
        let files = summary["files"].as_array().expect("files");
        let participants = files
            .iter()
            .find(|f| f["file"] == "participants.csv")
            .expect("participants.csv in summary.json");
        // `printf '<the file>' | sha256sum` (GNU coreutils 9.1) and `wc -c`.
        assert_eq!(
            participants["sha256"],
            "74400613be690dc36504a38f618610d3d04079b069840a1cffd90e777d0b1f28"
        );
        assert_eq!(participants["bytes"], 116);
    }
}

/// The per-participant derivation, through participants.csv.
mod derivation {
    use super::*;

    /// Minutes with more than six decimals are kept exactly beside the compact session
    /// records, also when the file is read in two chunks whose tables of such values differ
    /// (the second chunk's are renumbered when merged), and the totals agree for 1 and 2
    /// threads.
    #[test]
    fn minutes_with_many_decimals_are_summed_exactly() {
        let mut sessions = vec![
            "P1,2013-01-07,0.5000001,attended,T1,none".to_owned(),
            "P1,2013-01-08,10,attended,T1,none".to_owned(),
        ];
        // About 2.4 MB of sessions outside the 28-day window, so the file is split in two
        // near its middle, inside the first run: the second chunk meets 1.0000001 first,
        // then 3.0000003, then 2.0000002, while the whole file met 0.5000001 first.
        sessions.extend((0..31_000).map(|_| "P1,2015-01-01,1.0000001,attended,T1,none".to_owned()));
        sessions.extend((0..29_000).map(|i| {
            let m = if i < 100 || i % 2 == 0 {
                "3.0000003"
            } else {
                "2.0000002"
            };
            format!("P1,2015-01-01,{m},attended,T1,none")
        }));
        sessions.extend([
            "P2,2013-01-07,2.0000002,attended,T1,none".to_owned(),
            "P2,2013-01-08,3.0000003,attended,T1,none".to_owned(),
            "P2,2013-01-09,60,attended,T1,none".to_owned(),
            "P2,2013-01-10,0.5000001,attended,T1,none".to_owned(),
        ]);
        let rows: Vec<&str> = sessions.iter().map(String::as_str).collect();
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,60x2,45,F,S1,2013-01-07,,",
                    "P2,60x2,45,F,S1,2013-01-07,,",
                ],
            ),
            &csv(SESSIONS_HEADER, &rows),
            &csv(SCORES_HEADER, &["P1,0,7,20", "P2,0,7,20"]),
        );
        let two = cohort.analyze_ok("two", &["--threads", "2"]);
        let one = cohort.analyze_ok("one", &["--threads", "1"]);
        let p = Table::read(&two.join("participants.csv"));
        assert_eq!(
            p.row("participant_id", "P1")["minutes_delivered"],
            "10.5000001"
        );
        assert_eq!(
            p.row("participant_id", "P2")["minutes_delivered"],
            "65.5000006"
        );
        assert_eq!(
            std::fs::read(two.join("participants.csv")).unwrap(),
            std::fs::read(one.join("participants.csv")).unwrap()
        );
    }

    /// Every participant is randomized on 2013-01-07 = day(0) unless stated; the default
    /// arms give 60x2 8 planned sessions in a 28-day window (days 0 to 27).
    fn cohort() -> Cohort {
        let participants = csv(
            PARTICIPANTS_HEADER,
            &[
                "R1,60x2,45,F,S1,2013-01-07,,",
                "R2,60x2,45,F,S1,2013-01-07,,",
                "N1,60x2,45,F,S1,2013-01-07,,",
                "N2,60x2,45,F,S1,2013-01-07,,",
                "A6,60x2,45,F,S1,2013-01-07,,",
                "A5,60x2,45,F,S1,2013-01-07,,",
                "W27,60x2,45,F,S1,2013-01-07,,",
                "W28,60x2,45,F,S1,2013-01-07,,",
                "F0,60x2,45,F,S1,,,",
                "Z0,60x2,45,F,S1,2013-01-07,,",
                "NC,60x2,45,F,S1,2013-01-07,,",
                "C1,control,65,M,S2,2013-01-07,,",
                "C2,control,64,M,S2,2013-01-07,,",
                "Y19,60x2,19,F,S1,2013-01-07,blood_clot,",
                "Y20,60x2,20,F,S1,2013-01-07,blood_clot;anticoagulants,yes",
                "NO,60x2,30,F,S1,2013-01-07,recent_fracture,no",
                "NEG,60x2,45,F,S1,2013-01-07,,",
                "OVER,60x1,45,F,S1,2013-01-07,,",
                "C3,control,,M,S2,2013-01-07,,",
            ],
        );
        let mut sessions: Vec<String> = Vec::new();
        let mut add = |id: &str, offsets: &[u32], minutes: &str, status: &str, ae: &str| {
            for &o in offsets {
                sessions.push(format!("{id},{},{minutes},{status},T1,{ae}", day(o)));
            }
        };
        add("A6", &[0, 3, 7, 10, 14, 17], "60", "attended", "none");
        add("A6", &[21, 24], "", "missed", "none");
        add("A5", &[0, 3, 7, 10, 14], "60", "attended", "none");
        add("A5", &[17, 21], "", "missed", "");
        add("A5", &[24], "", "cancelled", "none");
        // 60x1 plans 4 sessions; 6 attended give adherence min(6, 4) / 4 = 1.
        add("OVER", &[0, 3, 7, 10, 14, 17], "60", "attended", "none");
        // Only attended sessions make a control participant "treated".
        add("C3", &[5], "", "missed", "none");
        add("W27", &[0, 3, 7, 10, 14, 27], "60", "attended", "none");
        add("W28", &[0, 3, 7, 10, 14, 28], "60", "attended", "none");
        // F0 has no randomized_on: day 0 is its earliest session (a missed one), so the
        // attended session 28 days later is outside the window.
        add("F0", &[0], "", "missed", "none");
        add("F0", &[1, 4, 8, 11, 15, 18, 28], "60", "attended", "none");
        add("C1", &[27], "45", "attended", "none");
        add("C2", &[28], "45", "attended", "none");
        // An adverse event counts whatever the date or status.
        add("Y19", &[40], "", "missed", "mild");
        let session_rows: Vec<&str> = sessions.iter().map(String::as_str).collect();

        let scores = csv(
            SCORES_HEADER,
            &[
                "R1,0,7.0,20",
                "R1,2,9,20",
                "R1,5,4.9,20",
                "R2,0,7.0,20",
                "R2,5,4.91,20",
                "N1,0,,14",
                "N1,5,,9",
                "N2,0,,14",
                "N2,5,,9.5",
                "A6,0,6,20",
                "A6,5,6,20",
                "A5,0,6,20",
                "A5,5,6,20",
                "W27,0,6,20",
                "W27,5,6,20",
                "W28,0,6,20",
                "W28,5,6,20",
                "F0,0,6,20",
                "F0,5,6,20",
                "Z0,0,0,10",
                "Z0,5,0,10",
                "NC,0,6,20",
                "C1,0,6,20",
                "C1,5,6,20",
                "C2,0,6,20",
                "C2,5,5,20",
                "Y19,0,0,10",
                "Y19,5,0,10",
                "Y20,0,5,20",
                "Y20,5,5,20",
                "NO,0,5,20",
                "NO,5,5,20",
                "NEG,0,5,20",
                "NEG,5,6.5,20",
                "OVER,0,6,20",
                "OVER,5,6,20",
                "C3,0,6,20",
                "C3,5,6,20",
            ],
        );
        Cohort::new(&participants, &csv(SESSIONS_HEADER, &session_rows), &scores)
    }

    fn participants() -> Table {
        let cohort = cohort();
        let out = cohort.analyze_ok("out", &[]);
        Table::read(&out.join("participants.csv"))
    }

    /// Checks `expected` (column, value) pairs of one participant; collects mismatches.
    fn expect(t: &Table, id: &str, expected: &[(&str, &str)], failures: &mut Vec<String>) {
        let row = t.row("participant_id", id);
        for (column, value) in expected {
            match row.get(*column) {
                Some(v) if v == value => {}
                got => failures.push(format!("{id}.{column}: expected {value:?}, got {got:?}")),
            }
        }
    }

    fn check(expected: &[(&str, &[(&str, &str)])]) {
        let t = participants();
        let mut failures = Vec::new();
        for (id, cells) in expected {
            expect(&t, id, cells, &mut failures);
        }
        assert!(
            failures.is_empty(),
            "{}\nparticipants.csv:\n{}",
            failures.join("\n"),
            t.text
        );
    }

    #[test]
    fn rows_follow_participants_csv() {
        let t = participants();
        assert_eq!(
            t.column("participant_id"),
            [
                "R1", "R2", "N1", "N2", "A6", "A5", "W27", "W28", "F0", "Z0", "NC", "C1", "C2",
                "Y19", "Y20", "NO", "NEG", "OVER", "C3"
            ]
        );
    }

    #[test]
    fn pain_responder_boundary_is_exact() {
        check(&[
            (
                "R1",
                &[
                    ("pain_baseline", "7"),
                    ("pain_checkpoint", "4.9"),
                    ("pain_improvement", "2.1"),
                    ("pain_responder", "true"),
                ],
            ),
            (
                "R2",
                &[
                    ("pain_baseline", "7"),
                    ("pain_checkpoint", "4.91"),
                    ("pain_improvement", "2.09"),
                    ("pain_responder", "false"),
                ],
            ),
        ]);
        let t = participants();
        let pct = num(t.row("participant_id", "R1"), "pain_improvement_pct");
        // 100 * 2.1 / 7 = 30; the float may be off in the last bits, not more.
        assert!((pct - 30.0).abs() < 1e-9, "R1 pain_improvement_pct {pct}");
    }

    #[test]
    fn ndi_responder_boundary_is_inclusive() {
        check(&[
            (
                "N1",
                &[
                    ("ndi_baseline", "14"),
                    ("ndi_checkpoint", "9"),
                    ("ndi_improvement", "5"),
                    ("ndi_responder", "true"),
                    ("pain_responder", ""),
                    ("pain_baseline", ""),
                ],
            ),
            (
                "N2",
                &[
                    ("ndi_checkpoint", "9.5"),
                    ("ndi_improvement", "4.5"),
                    ("ndi_responder", "false"),
                ],
            ),
        ]);
    }

    #[test]
    fn adherence_threshold_is_inclusive() {
        check(&[
            (
                "A6",
                &[
                    ("sessions_planned", "8"),
                    ("sessions_attended", "6"),
                    ("adherence", "0.75"),
                    ("adherent", "true"),
                    ("minutes_delivered", "360"),
                ],
            ),
            (
                "A5",
                &[
                    ("sessions_planned", "8"),
                    ("sessions_attended", "5"),
                    ("adherence", "0.625"),
                    ("adherent", "false"),
                    ("minutes_delivered", "300"),
                ],
            ),
            (
                "R2",
                &[
                    ("sessions_attended", "0"),
                    ("adherence", "0"),
                    ("adherent", "false"),
                    ("minutes_delivered", "0"),
                ],
            ),
            (
                "OVER",
                &[
                    ("sessions_planned", "4"),
                    ("sessions_attended", "6"),
                    ("adherence", "1"),
                    ("adherent", "true"),
                    ("minutes_delivered", "360"),
                    ("decision", "adjust"),
                ],
            ),
        ]);
    }

    #[test]
    fn the_window_is_days_0_to_27() {
        check(&[
            (
                "W27",
                &[
                    ("sessions_attended", "6"),
                    ("adherence", "0.75"),
                    ("adherent", "true"),
                    ("minutes_delivered", "360"),
                ],
            ),
            (
                "W28",
                &[
                    ("sessions_attended", "5"),
                    ("adherence", "0.625"),
                    ("adherent", "false"),
                    ("minutes_delivered", "300"),
                ],
            ),
        ]);
    }

    #[test]
    fn day_0_falls_back_to_the_earliest_session_of_any_status() {
        check(&[(
            "F0",
            &[
                ("sessions_attended", "6"),
                ("adherence", "0.75"),
                ("adherent", "true"),
                ("minutes_delivered", "360"),
            ],
        )]);
    }

    #[test]
    fn pain_baseline_zero() {
        check(&[(
            "Z0",
            &[
                ("pain_baseline", "0"),
                ("pain_checkpoint", "0"),
                ("pain_improvement", "0"),
                ("pain_improvement_pct", ""),
                ("pain_responder", "false"),
                ("flags", "pain_baseline_zero"),
            ],
        )]);
    }

    #[test]
    fn decisions() {
        check(&[
            ("R1", &[("decision", "continue")]),
            ("N1", &[("decision", "continue")]),
            ("A6", &[("decision", "adjust")]),
            ("W27", &[("decision", "adjust")]),
            ("F0", &[("decision", "adjust")]),
            ("A5", &[("decision", "incomplete_dose")]),
            ("R2", &[("decision", "incomplete_dose")]),
            ("N2", &[("decision", "incomplete_dose")]),
            ("Z0", &[("decision", "incomplete_dose")]),
            (
                "NC",
                &[
                    ("decision", "no_checkpoint"),
                    ("pain_baseline", "6"),
                    ("pain_checkpoint", ""),
                    ("pain_improvement", ""),
                    ("pain_responder", ""),
                    ("ndi_responder", ""),
                ],
            ),
            ("C1", &[("decision", "control")]),
            ("C2", &[("decision", "control")]),
        ]);
    }

    #[test]
    fn control_participants() {
        check(&[
            (
                "C1",
                &[
                    ("sessions_planned", ""),
                    ("sessions_attended", "1"),
                    ("adherence", ""),
                    ("adherent", ""),
                    ("minutes_delivered", "45"),
                ],
            ),
            (
                "C2",
                &[
                    ("sessions_planned", ""),
                    ("sessions_attended", "0"),
                    ("adherence", ""),
                    ("adherent", ""),
                    ("pain_improvement", "1"),
                ],
            ),
        ]);
    }

    #[test]
    fn flags_are_sorted_and_semicolon_separated() {
        check(&[
            ("C1", &[("flags", "age_outside_evidence;control_treated")]),
            ("C2", &[("flags", "")]),
            (
                "Y19",
                &[(
                    "flags",
                    "adverse_event;age_outside_evidence;needs_clearance;pain_baseline_zero",
                )],
            ),
            ("Y20", &[("flags", ""), ("age", "20")]),
            ("NO", &[("flags", "needs_clearance")]),
            (
                "C3",
                &[("flags", ""), ("age", ""), ("sessions_attended", "0")],
            ),
            ("R1", &[("flags", ""), ("age", "45"), ("site", "S1")]),
        ]);
    }

    #[test]
    fn negative_improvements_are_plain_numbers() {
        check(&[(
            "NEG",
            &[
                ("pain_checkpoint", "6.5"),
                ("pain_improvement", "-1.5"),
                ("pain_responder", "false"),
            ],
        )]);
        let t = participants();
        let pct = num(t.row("participant_id", "NEG"), "pain_improvement_pct");
        assert!((pct + 30.0).abs() < 1e-9, "NEG pain_improvement_pct {pct}");
        let line = t
            .text
            .lines()
            .find(|l| l.starts_with("NEG,"))
            .expect("the NEG line");
        assert!(line.contains(",-1.5,"), "written as a plain number: {line}");
        assert!(!line.contains('\''), "numbers are not neutralised: {line}");
    }
}

/// ITT with missing as non-responder or excluded, and per-protocol.
///
/// Arms: waitlist control and 60x2 (8 sessions). Pain 8 -> 4 is a responder, 8 -> 8 is not.
/// control: C1 responder, C2 non-responder, C3 without week 5.
/// 60x2: T1 adherent responder, T2 non-adherent responder, T3 adherent without week 5,
/// T4 adherent non-responder.
mod populations {
    use super::*;

    fn cohort() -> Cohort {
        let participants = csv(
            PARTICIPANTS_HEADER,
            &[
                "C1,control,45,F,S,2013-01-07,,",
                "C2,control,45,F,S,2013-01-07,,",
                "C3,control,45,F,S,2013-01-07,,",
                "T1,60x2,45,F,S,2013-01-07,,",
                "T2,60x2,45,F,S,2013-01-07,,",
                "T3,60x2,45,F,S,2013-01-07,,",
                "T4,60x2,45,F,S,2013-01-07,,",
            ],
        );
        let mut sessions = Vec::new();
        for id in ["T1", "T3", "T4"] {
            for o in [0, 3, 7, 10, 14, 17] {
                sessions.push(format!("{id},{},60,attended,T1,none", day(o)));
            }
        }
        // T2 stays non-adherent; its adverse event still counts at arm level.
        sessions.push(format!("T2,{},,missed,,mild", day(3)));
        let session_rows: Vec<&str> = sessions.iter().map(String::as_str).collect();
        let scores = csv(
            SCORES_HEADER,
            &[
                "C1,0,8,", "C1,5,4,", "C2,0,8,", "C2,5,8,", "C3,0,8,", "T1,0,8,", "T1,5,4,",
                "T2,0,8,", "T2,5,4,", "T3,0,8,", "T4,0,8,", "T4,5,8,",
            ],
        );
        Cohort::new(&participants, &csv(SESSIONS_HEADER, &session_rows), &scores).with_trial(
            "[[arms]]\nid = \"control\"\ncontrol = true\n\
             [[arms]]\nid = \"60x2\"\nminutes = 60\nper_week = 2\n",
        )
    }

    /// (pain_responders, pain_n) of control and 60x2 in arms.csv and comparisons.csv.
    fn pain_counts(cohort: &Cohort, out: &str, flags: &[&str]) -> [(String, String); 2] {
        let out = cohort.analyze_ok(out, flags);
        let arms = Table::read(&out.join("arms.csv"));
        assert_eq!(arms.column("arm"), ["control", "60x2"]);
        let t = arms.row("arm", "60x2");
        assert_eq!(t["randomized"], "4", "{flags:?}");
        assert_eq!(t["adherent"], "3", "every accepted participant, {flags:?}");
        assert_eq!(t["adherence_rate"], "0.75", "{flags:?}");
        assert_eq!(arms.row("arm", "control")["randomized"], "3", "{flags:?}");
        let comparisons = Table::read(&out.join("comparisons.csv"));
        let pain: Vec<&Row> = comparisons
            .rows
            .iter()
            .filter(|r| r["arm"] == "60x2" && r["outcome"] == "pain")
            .collect();
        assert_eq!(pain.len(), 1, "{}", comparisons.text);
        let c = arms.row("arm", "control");
        assert_eq!(
            (pain[0]["responders"].as_str(), pain[0]["n"].as_str()),
            (t["pain_responders"].as_str(), t["pain_n"].as_str()),
            "comparisons.csv agrees with arms.csv, {flags:?}"
        );
        assert_eq!(
            (
                pain[0]["control_responders"].as_str(),
                pain[0]["control_n"].as_str()
            ),
            (c["pain_responders"].as_str(), c["pain_n"].as_str()),
            "comparisons.csv agrees with arms.csv, {flags:?}"
        );
        [
            (c["pain_responders"].clone(), c["pain_n"].clone()),
            (t["pain_responders"].clone(), t["pain_n"].clone()),
        ]
    }

    fn pair(r: &str, n: &str) -> (String, String) {
        (r.to_owned(), n.to_owned())
    }

    #[test]
    fn itt_counts_a_missing_checkpoint_as_non_responder_by_default() {
        let cohort = cohort();
        let expected = [pair("1", "3"), pair("2", "4")];
        assert_eq!(pain_counts(&cohort, "default", &[]), expected);
        assert_eq!(
            pain_counts(
                &cohort,
                "explicit",
                &["--population", "itt", "--missing", "nonresponder"]
            ),
            expected
        );
    }

    #[test]
    fn missing_exclude_shrinks_the_denominator() {
        let cohort = cohort();
        assert_eq!(
            pain_counts(&cohort, "out", &["--missing", "exclude"]),
            [pair("1", "2"), pair("2", "3")]
        );
    }

    #[test]
    fn per_protocol_drops_non_adherent_treatment_participants_but_keeps_controls() {
        let cohort = cohort();
        assert_eq!(
            pain_counts(&cohort, "out", &["--population", "per-protocol"]),
            [pair("1", "2"), pair("1", "2")]
        );
        let out = cohort.path("out");
        let arms = Table::read(&out.join("arms.csv"));
        let treated = arms.row("arm", "60x2");
        // T1 (4) and T4 (0): the mean improvement of the per-protocol 60x2 participants.
        assert_eq!(treated["pain_improvement_mean"], "2");
        assert_eq!(
            treated["adverse_event_participants"], "1",
            "T2 is outside the population but its adverse event counts"
        );
        let comparisons = Table::read(&out.join("comparisons.csv"));
        let pain = comparisons
            .rows
            .iter()
            .find(|r| r["arm"] == "60x2" && r["outcome"] == "pain")
            .expect("the 60x2 pain comparison");
        assert_eq!(pain["risk_difference"], "0", "1/2 versus 1/2");
        assert_eq!(pain["nnt"], "", "empty when the difference is 0");
        let summary = read_json(&out.join("summary.json"));
        assert_eq!(
            summary["settings"]["population"], "per-protocol",
            "{summary:#}"
        );
    }

    /// Relative tolerance for values computed in a handful of float operations.
    const FLOAT_TOLERANCE: f64 = 1e-12;

    fn close(what: &str, actual: f64, expected: f64) {
        assert!(
            (actual - expected).abs() <= FLOAT_TOLERANCE * expected.abs().max(1.0),
            "{what}: {actual} is not {expected}"
        );
    }

    /// Means and SDs (n-1) of the ITT improvements, and the comparison of 60x2 with control.
    /// Expected values worked by hand from the cohort above.
    #[test]
    fn means_sds_risk_difference_and_nnt() {
        let cohort = cohort();
        let out = cohort.analyze_ok("out", &[]);
        let arms = Table::read(&out.join("arms.csv"));
        let control = arms.row("arm", "control");
        let treated = arms.row("arm", "60x2");
        // control: C1 4, C2 0 (C3 has no checkpoint): mean 2, SD sqrt(8).
        close("control mean", num(control, "pain_improvement_mean"), 2.0);
        close(
            "control SD",
            num(control, "pain_improvement_sd"),
            8f64.sqrt(),
        );
        // 60x2: T1 4, T2 4, T4 0: mean 8/3, SD sqrt(((4/3)^2 * 2 + (8/3)^2) / 2) = sqrt(16/3).
        close(
            "60x2 mean",
            num(treated, "pain_improvement_mean"),
            8.0 / 3.0,
        );
        close(
            "60x2 SD",
            num(treated, "pain_improvement_sd"),
            (16.0f64 / 3.0).sqrt(),
        );
        assert_eq!(treated["adverse_event_participants"], "1");
        // No NDI value at all: no mean, no SD.
        assert_eq!(control["ndi_improvement_mean"], "");
        assert_eq!(control["ndi_improvement_sd"], "");
        let comparisons = Table::read(&out.join("comparisons.csv"));
        let pain = comparisons
            .rows
            .iter()
            .find(|r| r["arm"] == "60x2" && r["outcome"] == "pain")
            .expect("the 60x2 pain comparison");
        assert_eq!(pain["rate"], "0.5");
        close("control rate", num(pain, "control_rate"), 1.0 / 3.0);
        // 2/4 - 1/3 = 1/6, so NNT 6.
        close("risk difference", num(pain, "risk_difference"), 1.0 / 6.0);
        close("nnt", num(pain, "nnt"), 6.0);
        close(
            "improvement difference",
            num(pain, "improvement_difference"),
            8.0 / 3.0 - 2.0,
        );
        let (low, high) = (num(pain, "rd_low"), num(pain, "rd_high"));
        assert!(low < 1.0 / 6.0 && 1.0 / 6.0 < high, "[{low}, {high}]");
        let p = num(pain, "p_value");
        assert!((0.0..=1.0).contains(&p), "p {p}");
    }

    #[test]
    fn excluded_missing_outcomes_leave_an_empty_rate() {
        let cohort = cohort();
        let out = cohort.analyze_ok("out", &["--missing", "exclude"]);
        let arms = Table::read(&out.join("arms.csv"));
        for arm in ["control", "60x2"] {
            let row = arms.row("arm", arm);
            assert_eq!(row["ndi_n"], "0", "{arm}: nobody has an NDI value");
            assert_eq!(row["ndi_rate"], "", "{arm}: 0/0 is no rate");
        }
    }
}

/// Function markers declared in trial.toml: read from scores.csv, derived in the declared
/// direction with an inclusive threshold, and part of the decision and the comparisons.
mod markers {
    use super::*;

    const TRIAL: &str = "[[markers]]\ncolumn = \"walk_minutes\"\nbetter = \"higher\"\n\
        responder_min_improvement = 5\n\
        [[markers]]\ncolumn = \"awakenings\"\nbetter = \"lower\"\nresponder_min_improvement = 1\n";

    fn cohort() -> Cohort {
        Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "M1,60x2,45,F,S,2013-01-07,,",
                    "M2,60x2,45,F,S,2013-01-07,,",
                    "M3,60x2,45,F,S,2013-01-07,,",
                    "M4,60x2,45,F,S,2013-01-07,,",
                    "MC,control,45,F,S,2013-01-07,,",
                ],
            ),
            &csv(SESSIONS_HEADER, &[]),
            &csv(
                "participant_id,week,pain,ndi,walk_minutes,awakenings,comment",
                &[
                    "M1,0,,,10,,x",
                    "M1,5,,,15,,",
                    "M2,0,,,10,3,",
                    "M2,5,,,14.9,2,",
                    "M3,0,,,10,3,",
                    "M3,5,,,14,2.5,",
                    "M4,0,6,20,,,",
                    "M4,5,6,20,,,",
                    "M4,2,,,abc,,",
                    "MC,0,,,10,3,",
                    "MC,5,,,10,3,",
                    "M1,1,,,,,",
                ],
            ),
        )
        .with_trial(TRIAL)
    }

    #[test]
    fn marker_rows_are_checked() {
        let (run, ledger) = cohort().validate();
        assert_eq!(run.code, 65, "{run}");
        assert_record(
            &ledger,
            "scores.csv",
            10,
            Some("walk_minutes"),
            Some("abc"),
            &["walk_minutes"],
        );
        assert_record(&ledger, "scores.csv", 13, None, None, &["at least one"]);
        assert_eq!(ledger.rows.len(), 2, "{}", ledger.text);
        assert!(
            run.all_output().contains("comment"),
            "the unknown column `comment` gets a notice\n{run}"
        );
    }

    #[test]
    fn markers_are_derived_and_decide() {
        let cohort = cohort();
        let out = cohort.analyze_ok("out", &["--skip-invalid"]);
        let t = Table::read(&out.join("participants.csv"));
        let mut expected_header: Vec<String> = "participant_id,arm,site,age,sessions_planned,\
            sessions_attended,adherence,adherent,minutes_delivered,pain_baseline,\
            pain_checkpoint,pain_improvement,pain_improvement_pct,pain_responder,ndi_baseline,\
            ndi_checkpoint,ndi_improvement,ndi_responder,decision,flags"
            .split(',')
            .map(str::to_owned)
            .collect();
        for m in ["walk_minutes", "awakenings"] {
            for suffix in ["baseline", "checkpoint", "improvement", "responder"] {
                expected_header.push(format!("{m}_{suffix}"));
            }
        }
        assert_eq!(t.header, expected_header);
        let mut failures = Vec::new();
        let mut expect = |id: &str, cells: &[(&str, &str)]| {
            let row = t.row("participant_id", id);
            for (column, value) in cells {
                if row[*column] != *value {
                    failures.push(format!(
                        "{id}.{column}: expected {value:?}, got {:?}",
                        row[*column]
                    ));
                }
            }
        };
        expect(
            "M1",
            &[
                ("walk_minutes_baseline", "10"),
                ("walk_minutes_checkpoint", "15"),
                ("walk_minutes_improvement", "5"),
                ("walk_minutes_responder", "true"),
                ("awakenings_responder", ""),
                ("pain_responder", ""),
                ("decision", "continue"),
            ],
        );
        expect(
            "M2",
            &[
                ("walk_minutes_improvement", "4.9"),
                ("walk_minutes_responder", "false"),
                ("awakenings_improvement", "1"),
                ("awakenings_responder", "true"),
                ("decision", "continue"),
            ],
        );
        expect(
            "M3",
            &[
                ("walk_minutes_improvement", "4"),
                ("walk_minutes_responder", "false"),
                ("awakenings_improvement", "0.5"),
                ("awakenings_responder", "false"),
                ("decision", "incomplete_dose"),
            ],
        );
        expect(
            "M4",
            &[
                ("walk_minutes_baseline", ""),
                ("walk_minutes_responder", ""),
                ("pain_responder", "false"),
                ("decision", "incomplete_dose"),
            ],
        );
        expect(
            "MC",
            &[("decision", "control"), ("awakenings_improvement", "0")],
        );
        assert!(failures.is_empty(), "{}\n{}", failures.join("\n"), t.text);

        let comparisons = Table::read(&out.join("comparisons.csv"));
        let outcomes: Vec<&str> = comparisons
            .rows
            .iter()
            .filter(|r| r["arm"] == "60x2")
            .map(|r| r["outcome"].as_str())
            .collect();
        assert_eq!(outcomes, ["pain", "ndi", "walk_minutes", "awakenings"]);
        for (outcome, responders) in [("walk_minutes", "1"), ("awakenings", "1")] {
            let row = comparisons
                .rows
                .iter()
                .find(|r| r["arm"] == "60x2" && r["outcome"] == outcome)
                .expect("a marker comparison");
            assert_eq!(row["responders"], responders, "{outcome}");
            assert_eq!(
                row["n"], "4",
                "{outcome}: ITT counts every 60x2 participant"
            );
            assert_eq!(row["control_n"], "1", "{outcome}");
        }
    }
}

/// Text cells that a spreadsheet would run as formulas are neutralised; numbers are not.
mod formula_injection {
    use super::*;

    #[test]
    fn ids_starting_with_formula_characters_get_a_quote_prefix() {
        let participants = csv(
            PARTICIPANTS_HEADER,
            &[
                "\"=HYPERLINK(\"\"x\"\")\",60x2,45,F,=cmd,2013-01-07,,",
                "+1,60x2,45,F,S,2013-01-07,,",
                "-x,60x2,45,F,S,2013-01-07,,",
                "@a,60x2,45,F,S,2013-01-07,,",
            ],
        );
        let scores = csv(
            SCORES_HEADER,
            &[
                "\"=HYPERLINK(\"\"x\"\")\",0,5,20",
                "\"=HYPERLINK(\"\"x\"\")\",5,3,20",
                "+1,0,5,20",
                "-x,0,5,20",
                "-x,5,6.5,20",
                "@a,0,5,20",
            ],
        );
        let cohort = Cohort::new(
            &participants,
            &csv(SESSIONS_HEADER, &["-x,2013-01-07,60,attended,T1,none"]),
            &scores,
        );
        let out = cohort.analyze_ok("out", &[]);
        let t = Table::read(&out.join("participants.csv"));
        assert_eq!(
            t.column("participant_id"),
            ["'=HYPERLINK(\"x\")", "'+1", "'-x", "'@a"],
            "{}",
            t.text
        );
        let lines: Vec<&str> = t.text.lines().collect();
        assert!(
            lines[1].starts_with("\"'=HYPERLINK(\"\"x\"\")\",60x2,'=cmd,45,"),
            "quoted as needed: {}",
            lines[1]
        );
        assert!(lines[2].starts_with("'+1,60x2,"), "{}", lines[2]);
        assert!(lines[3].starts_with("'-x,60x2,"), "{}", lines[3]);
        assert!(lines[4].starts_with("'@a,60x2,"), "{}", lines[4]);
        let x = t.row("participant_id", "'-x");
        assert_eq!(x["pain_improvement"], "-1.5");
        assert_eq!(x["sessions_attended"], "1", "the session of -x is matched");
        assert!(lines[3].contains(",-1.5,"), "{}", lines[3]);
        for row in &t.rows {
            for (column, value) in row {
                if !["participant_id", "site"].contains(&column.as_str()) {
                    assert!(
                        !value.starts_with('\''),
                        "{column} is not free text, so it is not prefixed: {value:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_ledger_neutralises_values_too() {
        let cohort = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,60x2,45,F,S,2013-01-07,,",
                    "P2,60x2,=1+1,F,S,2013-01-07,,",
                ],
            ),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &[]),
        );
        let (run, ledger) = cohort.validate();
        assert_eq!(run.code, 65, "{run}");
        let line = ledger
            .text
            .lines()
            .find(|l| l.starts_with("participants.csv,3,age,"))
            .unwrap_or_else(|| panic!("no record for the age of line 3:\n{}", ledger.text));
        assert!(
            line.starts_with("participants.csv,3,age,'=1+1,"),
            "the value is neutralised: {line}"
        );
    }
}

/// `validate --out -`: the ledger CSV on stdout, the summary on stderr.
mod ledger_on_stdout {
    use super::*;
    use std::ffi::OsStr;
    use std::path::Path;

    #[test]
    fn validate_out_dash_prints_the_ledger_csv() {
        let cohort = messy_cohort();
        let run = trialdose([
            OsStr::new("validate"),
            cohort.dir().as_os_str(),
            OsStr::new("--out"),
            OsStr::new("-"),
        ]);
        assert_eq!(run.code, 65, "{run}");
        assert_eq!(
            run.stdout.lines().next(),
            Some("file,line,column,value,reason"),
            "{run}"
        );
        let ledger = Table::parse(Path::new("<stdout>"), run.stdout.clone());
        assert_eq!(ledger.rows.len(), 12, "{run}");
        assert_record(
            &ledger,
            "participants.csv",
            4,
            Some("age"),
            Some("121"),
            &["0 to 120"],
        );
        let counts = printed_counts(&run.stderr);
        for (file, expected) in MESSY_COUNTS {
            assert_eq!(counts.get(file), Some(&expected), "{file} on stderr\n{run}");
        }
        assert!(
            !run.stdout.contains("rows ="),
            "the summary goes to stderr\n{run}"
        );
        assert!(!Path::new("-").exists(), "no folder named `-`");
    }

    #[test]
    fn a_clean_cohort_prints_the_header_only() {
        let cohort = Cohort::new(
            &csv(PARTICIPANTS_HEADER, &["P1,60x2,45,F,Seattle,2013-01-07,,"]),
            &csv(SESSIONS_HEADER, &[]),
            &csv(SCORES_HEADER, &["P1,0,7,20"]),
        );
        let run = trialdose([
            OsStr::new("validate"),
            cohort.dir().as_os_str(),
            OsStr::new("--out"),
            OsStr::new("-"),
        ]);
        assert_eq!(run.code, 0, "{run}");
        assert_eq!(run.stdout, "file,line,column,value,reason\n");
    }
}

/// Same input and options, same bytes; the generator reproduces the committed example.
mod reproducibility {
    use super::*;
    use std::ffi::OsStr;
    use std::path::Path;

    const COHORT_FILES: [&str; 3] = ["participants.csv", "sessions.csv", "scores.csv"];
    const OUTPUT_FILES: [&str; 8] = [
        "arms.csv",
        "comparisons.csv",
        "trend.csv",
        "adjusted.csv",
        "table1.csv",
        "participants.csv",
        "rejections.csv",
        "summary.json",
    ];

    fn generate(out: &Path, participants: u64, seed: u64) -> Run {
        let run = trialdose([
            OsStr::new("generate"),
            out.as_os_str(),
            OsStr::new("--participants"),
            OsStr::new(&participants.to_string()),
            OsStr::new("--seed"),
            OsStr::new(&seed.to_string()),
        ]);
        assert_eq!(run.code, 0, "{run}");
        run
    }

    fn read(dir: &Path, name: &str) -> Vec<u8> {
        std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}/{name}: {e}", dir.display()))
    }

    fn analyze(cohort: &Path, out: &Path, threads: &str) {
        let run = trialdose([
            OsStr::new("analyze"),
            cohort.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
            OsStr::new("--threads"),
            OsStr::new(threads),
            OsStr::new("--adjust"),
            OsStr::new("baseline,age"),
        ]);
        assert_eq!(run.code, 0, "{run}");
    }

    #[test]
    fn analyze_is_byte_identical_whatever_the_thread_count() {
        let Some(cohort) = dream_like() else {
            panic!("data/dream-like does not exist: the committed example cohort is missing");
        };
        let tmp = tempfile::tempdir().unwrap();
        let (a, b) = (tmp.path().join("one"), tmp.path().join("two"));
        analyze(&cohort, &a, "1");
        analyze(&cohort, &b, "2");
        for name in OUTPUT_FILES {
            assert!(
                read(&a, name) == read(&b, name),
                "{name} differs between --threads 1 and --threads 2"
            );
        }
    }

    /// A generated cohort large enough (sessions.csv over 2 MB) for the readers to split files
    /// across threads: the ledger and the outputs must not depend on it.
    #[test]
    fn large_cohort_is_byte_identical_whatever_the_thread_count() {
        let tmp = tempfile::tempdir().unwrap();
        let cohort = tmp.path().join("cohort");
        generate(&cohort, 12_000, 99);
        let size = std::fs::metadata(cohort.join("sessions.csv"))
            .unwrap()
            .len();
        assert!(size > 2 << 20, "sessions.csv is only {size} bytes");
        let (a, b) = (tmp.path().join("one"), tmp.path().join("four"));
        analyze(&cohort, &a, "1");
        analyze(&cohort, &b, "4");
        for name in OUTPUT_FILES {
            assert!(
                read(&a, name) == read(&b, name),
                "{name} differs between --threads 1 and --threads 4"
            );
        }

        // Break two rows (one in the middle, the last one) and check that the ledger names
        // their physical lines whatever the number of threads.
        let path = cohort.join("sessions.csv");
        let text = std::fs::read_to_string(&path).unwrap();
        let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
        let targets = [lines.len() / 2, lines.len() - 1];
        for &i in &targets {
            let mut fields: Vec<&str> = lines[i].split(',').collect();
            fields[2] = "0";
            lines[i] = fields.join(",");
        }
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let validate = |threads: &str| {
            trialdose([
                OsStr::new("validate"),
                cohort.as_os_str(),
                OsStr::new("--out"),
                OsStr::new("-"),
                OsStr::new("--threads"),
                OsStr::new(threads),
            ])
        };
        let (one, four) = (validate("1"), validate("4"));
        assert_eq!(one.code, 65, "{one}");
        assert_eq!(four.code, 65, "{four}");
        assert!(
            one.stdout == four.stdout,
            "the ledger differs between --threads 1 and --threads 4"
        );
        let ledger = Table::parse(Path::new("<stdout>"), four.stdout);
        assert_eq!(ledger.rows.len(), 2, "{}", ledger.text);
        for i in targets {
            assert_record(
                &ledger,
                "sessions.csv",
                i as u64 + 1,
                Some("minutes"),
                Some("0"),
                &["240"],
            );
        }
    }

    #[test]
    fn generate_same_seed_same_bytes_other_seed_other_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let (a, b, c) = (
            tmp.path().join("a"),
            tmp.path().join("b"),
            tmp.path().join("c"),
        );
        generate(&a, 60, 7);
        generate(&b, 60, 7);
        generate(&c, 60, 8);
        for name in COHORT_FILES {
            assert!(
                read(&a, name) == read(&b, name),
                "{name} differs between two runs with seed 7"
            );
        }
        assert!(
            COHORT_FILES.iter().any(|n| read(&a, n) != read(&c, n)),
            "seeds 7 and 8 gave identical cohorts"
        );
        let run = trialdose([OsStr::new("validate"), a.as_os_str()]);
        assert_eq!(run.code, 0, "a generated cohort meets the contract\n{run}");
    }

    #[test]
    fn generate_reproduces_the_committed_dream_like_cohort() {
        let Some(committed) = dream_like() else {
            panic!("data/dream-like does not exist: the committed example cohort is missing");
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("dream-like");
        // The command documented in data/README.md: generate --participants 228 --seed 12.
        generate(&out, 228, 12);
        let mut failures = Vec::new();
        for name in COHORT_FILES {
            let (generated, kept) = (read(&out, name), read(&committed, name));
            if generated != kept {
                let (generated, kept) = (
                    String::from_utf8_lossy(&generated).into_owned(),
                    String::from_utf8_lossy(&kept).into_owned(),
                );
                let first = generated
                    .lines()
                    .zip(kept.lines())
                    .position(|(g, k)| g != k)
                    .unwrap_or(generated.lines().count().min(kept.lines().count()));
                failures.push(format!(
                    "data/dream-like/{name} differs from the generated file at line {}:\n  \
                     generated: {:?}\n  committed: {:?}",
                    first + 1,
                    generated.lines().nth(first).unwrap_or("<end of file>"),
                    kept.lines().nth(first).unwrap_or("<end of file>"),
                ));
            }
        }
        assert!(
            failures.is_empty(),
            "generate --participants 228 --seed 12 does not reproduce the committed cohort:\n{}",
            failures.join("\n")
        );
    }
}

/// The committed example cohort analysed end to end.
mod dream_like_analysis {
    use super::*;
    use std::ffi::OsStr;

    const ARMS_COLUMNS: [&str; 23] = [
        "arm",
        "is_control",
        "minutes",
        "per_week",
        "weeks",
        "randomized",
        "adherent",
        "adherence_rate",
        "pain_responders",
        "pain_n",
        "pain_rate",
        "pain_rate_low",
        "pain_rate_high",
        "ndi_responders",
        "ndi_n",
        "ndi_rate",
        "ndi_rate_low",
        "ndi_rate_high",
        "pain_improvement_mean",
        "pain_improvement_sd",
        "ndi_improvement_mean",
        "ndi_improvement_sd",
        "adverse_event_participants",
    ];

    const COMPARISONS_COLUMNS: [&str; 22] = [
        "arm",
        "outcome",
        "responders",
        "n",
        "rate",
        "control_responders",
        "control_n",
        "control_rate",
        "risk_difference",
        "rd_low",
        "rd_high",
        "risk_ratio",
        "rr_low",
        "rr_high",
        "odds_ratio",
        "or_low",
        "or_high",
        "nnt",
        "p_value",
        "improvement_difference",
        "improvement_difference_low",
        "improvement_difference_high",
    ];

    /// The contract's participants.csv header, verbatim.
    const PARTICIPANTS_COLUMNS: &str = "participant_id,arm,site,age,sessions_planned,\
        sessions_attended,adherence,adherent,minutes_delivered,pain_baseline,pain_checkpoint,\
        pain_improvement,pain_improvement_pct,pain_responder,ndi_baseline,ndi_checkpoint,\
        ndi_improvement,ndi_responder,decision,flags";

    /// Calibration of the generator's dream profile (ITT pain responder rates), and the
    /// tolerance for one cohort of 228 (about 38 per arm: a binomial SD near 0.08).
    const CALIBRATION: [(&str, f64); 3] = [("control", 0.26), ("60x2", 0.63), ("60x3", 0.76)];
    const RATE_TOLERANCE: f64 = 0.15;

    #[test]
    fn analyze_dream_like() {
        let Some(cohort) = dream_like() else {
            panic!("data/dream-like does not exist: the committed example cohort is missing");
        };
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let run = trialdose([
            OsStr::new("analyze"),
            cohort.as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ]);
        assert_eq!(run.code, 0, "{run}");

        let arms = Table::read(&out.join("arms.csv"));
        assert_eq!(arms.header, ARMS_COLUMNS);
        assert_eq!(
            arms.column("arm"),
            ["control", "30x2", "30x3", "60x1", "60x2", "60x3"]
        );
        let comparisons = Table::read(&out.join("comparisons.csv"));
        assert_eq!(comparisons.header, COMPARISONS_COLUMNS);
        let pairs: Vec<(&str, &str)> = comparisons
            .rows
            .iter()
            .map(|r| (r["arm"].as_str(), r["outcome"].as_str()))
            .collect();
        let expected: Vec<(&str, &str)> = ["30x2", "30x3", "60x1", "60x2", "60x3"]
            .iter()
            .flat_map(|a| [(*a, "pain"), (*a, "ndi")])
            .collect();
        assert_eq!(pairs, expected);

        let participants = Table::read(&out.join("participants.csv"));
        assert_eq!(participants.header.join(","), PARTICIPANTS_COLUMNS);
        assert_eq!(participants.rows.len(), 228);
        let randomized: f64 = arms.rows.iter().map(|r| num(r, "randomized")).sum();
        assert_eq!(randomized, 228.0);

        let rate = |arm: &str| num(arms.row("arm", arm), "pain_rate");
        assert!(
            rate("60x3") > rate("60x2") && rate("60x2") > rate("control"),
            "pain rates: 60x3 {} > 60x2 {} > control {}",
            rate("60x3"),
            rate("60x2"),
            rate("control")
        );
        for (arm, target) in CALIBRATION {
            let r = rate(arm);
            assert!(
                (r - target).abs() <= RATE_TOLERANCE,
                "{arm}: ITT pain rate {r} is not within {RATE_TOLERANCE} of {target}"
            );
        }
        for row in &arms.rows {
            let (low, rate, high) = (
                num(row, "pain_rate_low"),
                num(row, "pain_rate"),
                num(row, "pain_rate_high"),
            );
            assert!(
                low <= rate && rate <= high,
                "{}: the interval contains the rate",
                row["arm"]
            );
        }
        let summary = read_json(&out.join("summary.json"));
        for (file, c) in summary_counts(&summary) {
            assert!(c.balanced(), "{file}: {c:?}");
        }
        // Numbers are plain decimals: no exponent, no inf or NaN.
        for (table, text_columns) in [
            (&arms, &["arm", "is_control"][..]),
            (&comparisons, &["arm", "outcome"][..]),
        ] {
            for row in &table.rows {
                for (column, value) in row {
                    if text_columns.contains(&column.as_str()) || value.is_empty() {
                        continue;
                    }
                    let plain = value
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
                    assert!(
                        plain && value.parse::<f64>().is_ok_and(f64::is_finite),
                        "{} {column} = {value:?} is not a plain decimal",
                        table.path.display()
                    );
                }
            }
        }
        for row in &comparisons.rows {
            let p = num(row, "p_value");
            assert!((0.0..=1.0).contains(&p), "{row:?}");
        }
    }
}

/// Regressions found in review: each test pins one behaviour that was once wrong.
mod review_regressions {
    use super::*;
    use std::ffi::OsStr;

    fn one_participant(extra_participant_rows: &[&str]) -> Cohort {
        let mut rows = vec!["P1,60x2,40,female,Site A,2013-01-07,,"];
        rows.extend_from_slice(extra_participant_rows);
        Cohort::new(
            &csv(PARTICIPANTS_HEADER, &rows),
            &csv(
                SESSIONS_HEADER,
                &[
                    &format!("P1,{},30.1,attended,T1,none", day(0)),
                    &format!("P1,{},30.2,attended,T1,none", day(2)),
                ],
            ),
            &csv(SCORES_HEADER, &["P1,0,0.03,10", "P1,5,0.021,4"]),
        )
    }

    #[test]
    fn a_participant_rejected_for_its_shape_takes_its_rows_with_a_true_reason() {
        // P2's row has one field too many (an unquoted comma in the site).
        let c = Cohort::new(
            &csv(
                PARTICIPANTS_HEADER,
                &[
                    "P1,60x2,40,female,Site A,2013-01-07,,",
                    "P2,60x2,41,male,Site, B,2013-01-07,,",
                ],
            ),
            &csv(
                SESSIONS_HEADER,
                &[&format!("P2,{},60,attended,T1,none", day(0))],
            ),
            &csv(SCORES_HEADER, &["P1,0,5,10", "P2,0,5,10"]),
        );
        let (run, ledger) = c.validate();
        assert_eq!(run.code, 65, "{run}");
        for file in ["sessions.csv", "scores.csv"] {
            let line = if file == "sessions.csv" { 2 } else { 3 };
            let records = ledger.records_at(file, line);
            assert!(
                records
                    .iter()
                    .any(|r| r["reason"].contains("rejected in participants.csv (line 3")),
                "{file} line {line} should point at participants.csv line 3: {records:?}\n{run}"
            );
        }
    }

    #[test]
    fn exact_minutes_and_percentages() {
        let c = one_participant(&[]);
        let out = c.analyze_ok("out", &[]);
        let t = Table::read(&out.join("participants.csv"));
        let p = t.row("participant_id", "P1");
        // 30.1 + 30.2 as floats is 60.300000000000004; 0.03 -> 0.021 is exactly 30%.
        assert_eq!(p["minutes_delivered"], "60.3");
        assert_eq!(p["pain_improvement_pct"], "30");
        assert_eq!(p["pain_responder"], "true");
    }

    #[test]
    fn out_may_not_be_the_cohort_folder() {
        let c = one_participant(&[]);
        let before = std::fs::read(c.dir().join("participants.csv")).unwrap();
        let run = trialdose([
            OsStr::new("analyze"),
            c.dir().as_os_str(),
            OsStr::new("--out"),
            c.dir().as_os_str(),
        ]);
        assert_eq!(run.code, 2, "{run}");
        assert!(
            run.stderr.contains("itself (the same folder on disk)"),
            "{run}"
        );
        assert_eq!(
            std::fs::read(c.dir().join("participants.csv")).unwrap(),
            before
        );
    }

    #[test]
    fn a_strict_failure_removes_results_of_an_earlier_run() {
        let c = one_participant(&[]);
        let out = c.analyze_ok("out", &[]);
        assert!(out.join("arms.csv").is_file());
        // Break the cohort and run again into the same folder.
        std::fs::write(
            c.dir().join("scores.csv"),
            csv(SCORES_HEADER, &["P1,0,0.03,10", "P1,5,11,4"]),
        )
        .unwrap();
        let (run, out) = c.analyze("out", &[]);
        assert_eq!(run.code, 65, "{run}");
        assert_eq!(list_dir(&out), ["rejections.csv"], "{run}");
    }

    #[test]
    fn threads_out_of_range_is_a_usage_error() {
        let c = one_participant(&[]);
        for n in ["0", "100000"] {
            let (run, _) = c.analyze("out", &["--threads", n]);
            assert_eq!(run.code, 2, "--threads {n}\n{run}");
            assert!(run.stderr.contains("--threads"), "{run}");
        }
    }

    #[test]
    fn cr_only_line_ends_count_lines_and_rows() {
        // Old Mac files end lines with a lone CR; a blank line is a lone CR too.
        let participants =
            "participant_id,arm,age\rP1,60x2,40\r\rP2,60x2,999\rP3,control,30\r".to_owned();
        let c = Cohort::new(&participants, SESSIONS_HEADER, SCORES_HEADER);
        let (run, ledger) = c.validate();
        assert_eq!(run.code, 65, "{run}");
        let counts = printed_counts(&run.stdout);
        assert_eq!(counts["participants.csv"], Counts::of(3, 2, 1, 0), "{run}");
        assert_record(
            &ledger,
            "participants.csv",
            4,
            Some("age"),
            Some("999"),
            &["0 to 120"],
        );
    }

    #[test]
    fn a_closed_stdout_is_a_normal_end() {
        let c = one_participant(&[]);
        let (code, stderr) = trialdose_with_closed_stdout([
            OsStr::new("validate"),
            c.dir().as_os_str(),
            OsStr::new("--out"),
            OsStr::new("-"),
        ]);
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(code.is_some(), "killed by a signal");
    }
}

#[test]
fn the_readme_shows_what_analyze_prints() {
    // The README's first command and the output it quotes, so the two cannot drift apart.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let from = readme.find("It prints").expect("README quotes the output");
    let start = readme[from..].find("```text\n").unwrap() + from + 8;
    let end = readme[start..].find("```").unwrap() + start;
    let quoted = &readme[start..end];
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    let run = trialdose([
        "analyze",
        root.join("data/dream-like").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    let printed = run
        .stdout
        .replace(&format!("results: {}", out.display()), "results: results");
    assert_eq!(printed.trim(), quoted.trim());
}
