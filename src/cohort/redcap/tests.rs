//! Tests of the REDCap translation: the example cohort back to its own rows, a hand-written
//! project with every kind of row and fault (each expected table written out), the usage
//! errors, and garbage input.

use super::*;

const PEOPLE: &[u8] = include_bytes!("../../../data/dream-like/participants.csv");
const SESSIONS: &[u8] = include_bytes!("../../../data/dream-like/sessions.csv");
const SCORES: &[u8] = include_bytes!("../../../data/dream-like/scores.csv");

/// `[source.redcap]` and `[source.codes]` of a trial.toml's text.
fn source_of(toml_text: &str) -> (RedcapSpec, Codes) {
    let doc: toml::Table = toml::from_str(toml_text).expect("valid TOML");
    let source = doc["source"].as_table().expect("[source]");
    let spec = RedcapSpec::from_toml(source["redcap"].as_table().expect("[source.redcap]"))
        .expect("valid spec");
    let mut codes = Codes::new();
    if let Some(c) = source.get("codes").and_then(|c| c.as_table()) {
        for (column, map) in c {
            let map = map.as_table().expect("codes table");
            codes.insert(
                column.clone(),
                map.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().expect("string").to_owned()))
                    .collect(),
            );
        }
    }
    (spec, codes)
}

fn example() -> Example {
    write_example(PEOPLE, SESSIONS, SCORES).expect("example")
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).expect("UTF-8")
}

#[test]
fn the_example_translates_back_to_the_cohort_byte_for_byte() {
    let ex = example();
    let dictionary = Dictionary::parse(&ex.dictionary).expect("dictionary");
    let (spec, codes) = source_of(&ex.source_toml);
    let t = translate_with(&ex.export, &dictionary, &spec, &codes, &[], 1).expect("translates");
    assert_eq!(text(&t.participants.csv()), text(PEOPLE));
    assert_eq!(text(&t.sessions.csv()), text(SESSIONS));
    assert_eq!(text(&t.scores.csv()), text(SCORES));
    for table in [&t.participants, &t.sessions, &t.scores] {
        assert!(table.rejected.is_empty(), "{:?}", &table.rejected[..1]);
    }
    // Every export row accounted for: 228 baseline rows (participants and week-0 scores), one
    // per session, the week-5 rows, and 228 empty follow-up rows ignored.
    let export_rows = text(&ex.export).matches("\r\n").count() as u64 - 1;
    assert_eq!(t.rows, export_rows);
    let (people, sessions, scores) = (228u64, 2306u64, 452u64);
    assert_eq!(t.participants.rows_fed(), people);
    assert_eq!(t.sessions.rows_fed(), sessions);
    assert_eq!(t.scores.rows_fed(), scores);
    assert_eq!(t.ignored.len() as u64, people);
    assert!(
        t.ignored
            .iter()
            .all(|(_, why)| why == "event `follow_up_arm_1` carries none of the mapped fields")
    );
    // Baseline rows feed two tables, so the distinct rows are fewer than the rows fed.
    assert_eq!(export_rows, people + sessions + (scores - people) + people);
    assert!(t.balanced());
    // Each record's line is the export line it came from: same record id, same event.
    let lines: Vec<&str> = text(&ex.export).split("\r\n").collect();
    for (table, event) in [
        (&t.participants, "\"baseline_arm_1\""),
        (&t.sessions, "\"treatment_arm_1\""),
    ] {
        let csv = table.csv();
        let records: Vec<&str> = text(&csv).lines().skip(1).collect();
        assert_eq!(records.len(), table.lines().len());
        for (record, &line) in records.iter().zip(&table.lines()) {
            let id = record.split(',').next().unwrap();
            let export_line = lines[line as usize - 1];
            assert!(
                export_line.starts_with(&format!("\"{id}\",{event},")),
                "{line}: {export_line}"
            );
        }
    }
}

/// The example cohort 24 times over (several MiB of export, so it is read in chunks), ids made
/// unique per copy, and in odd copies every seventh participant without any given two
/// contraindications written out of the dictionary's order, and cleared: the contract tables
/// and their export.
fn big_example() -> (Vec<u8>, Vec<u8>, Vec<u8>, Example) {
    let (mut p, mut s, mut sc) = (Vec::new(), Vec::new(), Vec::new());
    for (file, out) in [(PEOPLE, &mut p), (SESSIONS, &mut s), (SCORES, &mut sc)] {
        let mut lines = text(file).lines();
        out.extend_from_slice(lines.next().unwrap().as_bytes());
        out.push(b'\n');
        let body: Vec<&str> = lines.collect();
        for copy in 0..24 {
            for (i, line) in body.iter().enumerate() {
                let mut line = format!("C{copy}{line}");
                if std::ptr::eq(file, PEOPLE) && copy % 2 == 1 && i % 7 == 0 && line.ends_with(",,")
                {
                    line = format!("{},burn;recent_fracture,yes", line.trim_end_matches(','));
                }
                out.extend_from_slice(line.as_bytes());
                out.push(b'\n');
            }
        }
    }
    let ex = write_example(&p, &s, &sc).expect("example");
    assert!(ex.export.len() > 3 << 20, "{}", ex.export.len());
    (p, s, sc, ex)
}

#[test]
fn the_result_does_not_depend_on_the_threads() {
    let (p, s, sc, ex) = big_example();

    let dictionary = Dictionary::parse(&ex.dictionary).expect("dictionary");
    let (spec, codes) = source_of(&ex.source_toml);
    let one = same_on_any_threads(&ex.export, &dictionary, &spec, &codes);
    // The checkbox lists its choices in the dictionary's order.
    let want_people = text(&p).replace("burn;recent_fracture", "recent_fracture;burn");
    assert_eq!(text(&one.participants.csv()), want_people);
    assert!(want_people.contains("recent_fracture;burn,yes"));
    assert_eq!(one.sessions.csv(), s);
    assert_eq!(one.scores.csv(), sc);
    assert!(one.balanced());
}

/// The translation of `export` on one thread, once it is known to be the same on 2 and 4
/// (records, their lines, rejections, ignored rows, rows).
fn same_on_any_threads(
    export: &[u8],
    dictionary: &Dictionary,
    spec: &RedcapSpec,
    codes: &Codes,
) -> Translation {
    let one = translate_with(export, dictionary, spec, codes, &[], 1).expect("one");
    for threads in [2, 4] {
        let many = translate_with(export, dictionary, spec, codes, &[], threads).expect("many");
        for (a, b) in [
            (&one.participants, &many.participants),
            (&one.sessions, &many.sessions),
            (&one.scores, &many.scores),
        ] {
            assert_eq!(a.csv(), b.csv());
            assert_eq!(a.lines(), b.lines());
            assert_eq!(a.rejected, b.rejected);
        }
        assert_eq!(one.ignored, many.ignored);
        assert_eq!(one.rows, many.rows);
    }
    one
}

#[test]
fn line_ends_and_line_breaks_in_quotes_number_alike_on_any_threads() {
    // The big export with lone CRs and bare LFs for some of its CRLFs, a quoted line break in
    // some session rows (a field that is not mapped, and one that is), and in one variant a
    // quoted field of 1.5 MB of lines across the middle, so that the cut for two threads
    // falls inside it and the export is read again in one piece. Every record, rejection
    // and ignored row keeps the line one pass over the file gives it.
    let (_, _, _, ex) = big_example();
    let dictionary = Dictionary::parse(&ex.dictionary).expect("dictionary");
    let (spec, codes) = source_of(&ex.source_toml);
    let export = text(&ex.export);
    let mut rows: Vec<String> = export.split("\r\n").map(str::to_owned).collect();
    // The quoted line breaks in the first tenth only, so that no cut for 2 or 4 threads falls
    // inside one in the first variant (that one is read in chunks, the second in one piece).
    let tenth = rows.len() / 10;
    for (i, row) in rows.iter_mut().enumerate().take(tenth) {
        if i % 97 == 50 && row.contains("\"session\"") {
            *row = format!(
                "{}\"a\nnote\r\nover lines\"",
                row.trim_end_matches(char::is_numeric)
            );
        }
        if i % 199 == 7 && row.contains("\"session\"") {
            *row = row.replacen("\"T0", "\"T\n0", 1);
        }
    }
    // Rows all through the file that the translation rejects (a sex code the dictionary does
    // not define), so that rejections are numbered in every chunk.
    let header: Vec<String> = rows[0].split(',').map(str::to_owned).collect();
    let sex = header.iter().position(|h| h == "sex").expect("sex");
    let event = header
        .iter()
        .position(|h| h == "redcap_event_name")
        .expect("events");
    let mut baseline = 0;
    for row in rows.iter_mut().skip(1) {
        let mut fields: Vec<&str> = row.split(',').collect();
        if fields.len() == header.len() && fields[event] == "\"baseline_arm_1\"" {
            baseline += 1;
            if baseline % 50 == 7 {
                fields[sex] = "9";
                *row = fields.join(",");
            }
        }
    }
    let mut plain = String::new();
    for (i, row) in rows.iter().enumerate() {
        plain.push_str(row);
        if i + 1 < rows.len() {
            plain.push_str(match i % 613 {
                17 => "\r",
                300 => "\n",
                _ => "\r\n",
            });
        }
    }
    let middle = rows.len() / 2;
    let mut spanning = rows.clone();
    let note = "x\n".repeat(750_000);
    spanning[middle] = format!(
        "{}\"{note}\"",
        spanning[middle].trim_end_matches(char::is_numeric)
    );
    let spanning = spanning.join("\r\n");
    for variant in [plain, spanning] {
        let one = same_on_any_threads(variant.as_bytes(), &dictionary, &spec, &codes);
        assert!(one.balanced());
        // The lines are the file's: the record after a lone CR or a quoted line break is
        // where a line count of the whole file puts it.
        let starts: Vec<usize> = std::iter::once(0)
            .chain(variant.match_indices(['\n', '\r']).filter_map(|(at, c)| {
                let after = at + 1;
                (c == "\n" || variant.as_bytes().get(after) != Some(&b'\n')).then_some(after)
            }))
            .collect();
        assert!(one.participants.rejected.len() > 20);
        for problem in &one.participants.rejected {
            let at = starts[problem.location as usize - 1];
            assert!(variant[at..].starts_with(&format!("\"{}\",", problem.id)));
        }
        for table in [&one.participants, &one.sessions, &one.scores] {
            for (line, cells) in table.records.records() {
                let id = text(&cells[0]);
                let at = starts[line as usize - 1];
                assert!(
                    variant[at..].starts_with(&format!("\"{id}\",")),
                    "line {line}: {:?}",
                    &variant[at..(at + 40).min(variant.len())]
                );
            }
        }
    }
}

/// The shipped example (`data/dream-like-redcap/`) is what the writer makes of
/// `data/dream-like`; `TRIALDOSE_BLESS=1` rewrites it.
#[test]
fn the_shipped_example_is_current() {
    let ex = example();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/dream-like-redcap");
    let toml = format!(
        "# The example cohort data/dream-like as a REDCap project exports it (synthetic data):\n\
         # export.csv is the records export (CSV, raw data), dictionary.csv the data dictionary.\n\
         # Written by cohort::redcap::write_example; `trialdose convert` gives back data/dream-like.\n\n{}",
        ex.source_toml
    );
    let files = [
        ("export.csv", ex.export.clone()),
        ("dictionary.csv", ex.dictionary.clone()),
        ("trial.toml", toml.into_bytes()),
    ];
    if std::env::var("TRIALDOSE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(&dir).expect("mkdir");
        for (name, bytes) in &files {
            std::fs::write(dir.join(name), bytes).expect("write");
        }
    }
    for (name, bytes) in &files {
        let shipped = std::fs::read(dir.join(name)).expect("shipped file");
        assert!(
            &shipped == bytes,
            "data/dream-like-redcap/{name} is not what write_example makes of data/dream-like; run with TRIALDOSE_BLESS=1"
        );
    }
    // The shipped trial.toml is the whole trial.toml: its [source] reads the shipped files.
    let (spec, codes) = source_of(text(&files[2].1));
    let dictionary = Dictionary::parse(&files[1].1).expect("dictionary");
    let t = translate(&files[0].1, &dictionary, &spec, &codes, &[]).expect("translates");
    assert_eq!(t.participants.csv(), PEOPLE);
}

// A hand-written project: every kind of row and fault, each expected table written out.

const DICTIONARY: &str = "\u{feff}\"Variable / Field Name\",\"Form Name\",\"Section Header\",\"Field Type\",\"Field Label\",\"Choices, Calculations, OR Slider Labels\",\"Field Note\",\"Text Validation Type OR Show Slider Number\"\r\n\
study_id,enrolment,,text,Study ID,,,\r\n\
arm,enrolment,,radio,Arm,\"1, control | 2, 60x2 | 3, Sixty, three times\",,\r\n\
age,enrolment,,text,Age,,,integer\r\n\
sex,enrolment,,dropdown,Sex,\"F, female | M, male\",,\r\n\
rand_date,enrolment,,text,Randomized,,,date_ymd\r\n\
contra,enrolment,,checkbox,Contraindications,\"RF, recent_fracture | M1, Blood clot | 3, burn\",,\r\n\
cleared,enrolment,,yesno,Cleared?,,,\r\n\
note,enrolment,,notes,Notes,,,\r\n\
weight,enrolment,,text,Weight,,,number\r\n\
visit_date,visit,,text,Date,,,date_ymd\r\n\
visit_min,visit,,text,Minutes,,,number\r\n\
visit_status,visit,,radio,Status,\"1, attended | 2, missed | 3, cancelled\",,\r\n\
therapist,visit,,text,Therapist,,,\r\n\
pain,outcomes,,text,Pain,,,number\r\n\
ndi,outcomes,,text,NDI,,,integer\r\n\
grip,outcomes,,text,Grip,,,number\r\n\
lab,labs,,text,Lab value,,,\r\n";

/// Lines 2 to 15 (line 11 spans two lines): see [`project_rows_go_where_they_belong`].
const EXPORT: &str = "\u{feff}study_id,redcap_event_name,redcap_repeat_instrument,redcap_repeat_instance,redcap_data_access_group,arm,age,sex,rand_date,contra___rf,contra___m1,contra___3,cleared,note,enrolment_complete,visit_date,visit_min,visit_status,therapist,visit_complete,pain,ndi,grip,outcomes_complete,lab\r\n\
1,\"baseline_arm_1\",,,\"site_a\",2,45,\"F\",\"2020-01-02\",1,1,0,1,,2,,,,,,5.5,20,3,2,\r\n\
1,\"treatment_arm_1\",\"visit\",1,\"site_a\",,,,,0,0,0,,,,\"2020-01-03\",60,1,\"Smith, J\",2,,,,,\r\n\
1,\"treatment_arm_1\",\"visit\",2,\"site_a\",,,,,0,0,0,,,,\"2020-01-05\",,2,\"T2\",2,,,,,\r\n\
1,\"treatment_arm_1\",\"labs\",1,\"site_a\",,,,,0,0,0,,,,,,,,,,,,,7\r\n\
1,\"week_5_arm_1\",,,\"site_a\",,,,,0,0,0,,,,,,,,,3.0,12,,2,\r\n\
1,\"follow_up_arm_1\",,,\"site_a\",,,,,0,0,0,,,,,,,,,,,,,\r\n\
2,\"baseline_arm_1\",,,\"site_b\",7,50,\"M\",\"2020-02-01\",0,0,0,0,,2,,,,,,6,,,2,\r\n\
2,\"week_9_arm_1\",,,\"site_b\",,,,,0,0,0,,,,,,,,,4,,,2,\r\n\
2,\"week_5_arm_1\",,,\"site_b\",1,,,,0,0,0,,,,,,,,,,,,,\r\n\
3,\"baseline_arm_1\",,,,3,61,,\"2020-03-01\",0,0,0,,\"two\r\nlines\",2,,,,,,,,,,\r\n\
3,\"treatment_arm_1\",\"visit\",1,,,,,,0,0,0,,,,\"2020-03-02\",30,9,\"T3\",2,,,,,\r\n\
4,\"baseline_arm_1\",,,\"site_a\",1,,,,0,2,0,,,2,,,,,,,,,,\r\n\
5,\"baseline_arm_1\",,,\"site_a\",1,30\r\n";

const SPEC: &str = r#"
participants_event = "baseline_arm_1"
[participants]
arm = "arm"
age = "age"
sex = "sex"
site = "dag"
randomized_on = "rand_date"
contraindications = "contra"
medical_clearance = "cleared"
[sessions]
instrument = "visit"
date = "visit_date"
minutes = "visit_min"
status = "visit_status"
therapist = "therapist"
[scores]
pain = "pain"
ndi = "ndi"
grip = "grip"
[scores.weeks]
"baseline_arm_1" = 0
"week_5_arm_1" = 5
"#;

fn spec(text: &str) -> Result<RedcapSpec, RedcapError> {
    RedcapSpec::from_toml(&toml::from_str(text).expect("TOML"))
}

fn codes() -> Codes {
    let mut c = Codes::new();
    let mut put = |col: &str, from: &str, to: &str| {
        c.entry(col.to_owned())
            .or_default()
            .insert(from.to_owned(), to.to_owned());
    };
    put("arm", "2", "60x3");
    put("contraindications", "M1", "blood_clot");
    put("site", "site_a", "Site A");
    c
}

fn markers() -> Vec<String> {
    vec!["grip".to_owned()]
}

fn project(spec_text: &str) -> Result<Translation, RedcapError> {
    let dictionary = Dictionary::parse(DICTIONARY.as_bytes()).expect("dictionary");
    translate_with(
        EXPORT.as_bytes(),
        &dictionary,
        &spec(spec_text)?,
        &codes(),
        &markers(),
        1,
    )
}

fn lines(t: &Table) -> Vec<u64> {
    let mut l: Vec<u64> = t.rejected.iter().map(|p| p.location).collect();
    l.dedup();
    l
}

#[test]
fn project_rows_go_where_they_belong() {
    let t = project(SPEC).expect("translates");
    // Codes before labels (arm 2 is 60x3 by [source.codes.arm], not the label 60x2); a label
    // with a comma quoted; a checkbox with letter codes, one through [source.codes], one by
    // its label; yesno as yes; the DAG as the site, through [source.codes.site].
    assert_eq!(
        text(&t.participants.csv()),
        "participant_id,arm,age,sex,site,randomized_on,contraindications,medical_clearance\n\
         1,60x3,45,female,Site A,2020-01-02,recent_fracture;blood_clot,yes\n\
         3,\"Sixty, three times\",61,,,2020-03-01,,\n"
    );
    assert_eq!(t.participants.lines(), [2, 11]);
    // Undefined arm code (8), participant fields at another event (10), a checkbox holding
    // 2 (14), a record with too few fields (15).
    assert_eq!(lines(&t.participants), [8, 10, 14, 15]);
    let p = &t.participants.rejected;
    assert_eq!((p[0].column.as_str(), p[0].value.as_str()), ("arm", "7"));
    assert!(
        p[0].reason.contains("field `arm`")
            && p[0]
                .reason
                .contains("1 = control, 2 = 60x2, 3 = Sixty, three times")
            && p[0].reason.contains("[source.codes.arm]"),
        "{}",
        p[0].reason
    );
    assert!(p[1].reason.contains("week_5_arm_1") && p[1].reason.contains("participants_event"));
    assert_eq!(
        (p[2].column.as_str(), p[2].value.as_str()),
        ("contraindications", "2")
    );
    assert!(p[2].reason.contains("contra___m1"), "{}", p[2].reason);
    assert!(
        p[3].reason.contains("7 fields") && p[3].reason.contains("25"),
        "{}",
        p[3].reason
    );

    // Session instances: a therapist with a comma quoted; status code 9 rejected.
    assert_eq!(
        text(&t.sessions.csv()),
        "participant_id,date,minutes,status,therapist\n\
         1,2020-01-03,60,attended,\"Smith, J\"\n\
         1,2020-01-05,,missed,T2\n"
    );
    assert_eq!(t.sessions.lines(), [3, 4]);
    assert_eq!(lines(&t.sessions), [13]);
    assert_eq!(t.sessions.rejected[0].column, "status");

    // Scores: the baseline row feeds participants and scores (line 2, and line 8 whose
    // participant part is rejected); the marker column; week 9 has no week.
    assert_eq!(
        text(&t.scores.csv()),
        "participant_id,week,pain,ndi,grip\n1,0,5.5,20,3\n1,5,3.0,12,\n2,0,6,,\n"
    );
    assert_eq!(t.scores.lines(), [2, 6, 8]);
    assert_eq!(lines(&t.scores), [9]);
    let s = &t.scores.rejected[0];
    assert_eq!((s.column.as_str(), s.value.as_str()), ("pain", "4"));
    assert!(
        s.reason.contains("week_9_arm_1") && s.reason.contains("weeks"),
        "{}",
        s.reason
    );

    // Another repeating instrument and an empty follow-up event feed nothing.
    assert_eq!(
        t.ignored,
        [
            (
                5,
                "instance of repeating instrument `labs`, not of the sessions instrument `visit`"
                    .to_owned()
            ),
            (
                7,
                "event `follow_up_arm_1` carries none of the mapped fields".to_owned()
            ),
        ]
    );
    assert_eq!(t.rows, 13);
    assert!(t.balanced());
}

#[test]
fn without_codes_labels_decide_and_the_dag_is_its_unique_name() {
    let dictionary = Dictionary::parse(DICTIONARY.as_bytes()).expect("dictionary");
    let t = translate_with(
        EXPORT.as_bytes(),
        &dictionary,
        &spec(SPEC).expect("spec"),
        &Codes::new(),
        &markers(),
        1,
    )
    .expect("translates");
    let first = text(&t.participants.csv())
        .lines()
        .nth(1)
        .unwrap()
        .to_owned();
    assert_eq!(
        first,
        "1,60x2,45,female,site_a,2020-01-02,recent_fracture;Blood clot,yes"
    );
}

#[test]
fn a_project_without_events_reads_every_plain_row_as_a_participant() {
    let dictionary = Dictionary::parse(DICTIONARY.as_bytes()).expect("dictionary");
    let export = "study_id,redcap_repeat_instrument,redcap_repeat_instance,arm,cleared\n\
                  1,,,1,0\n1,labs,1,,\n2,,,2,\n";
    let spec_text = "[participants]\narm = \"arm\"\nmedical_clearance = \"cleared\"\n";
    let t = translate_with(
        export.as_bytes(),
        &dictionary,
        &spec(spec_text).expect("spec"),
        &Codes::new(),
        &[],
        1,
    )
    .expect("translates");
    assert_eq!(
        text(&t.participants.csv()),
        "participant_id,arm,medical_clearance\n1,control,no\n2,60x2,\n"
    );
    assert_eq!(t.participants.lines(), [2, 4]);
    assert_eq!(t.ignored.len(), 1);
    assert!(t.ignored[0].1.contains("no [source.redcap.sessions]"));
    assert!(t.balanced());
    // Scores need events.
    let with_scores = format!("{spec_text}[scores]\npain = \"pain\"\n[scores.weeks]\nb = 0\n");
    let e = translate_with(
        export.as_bytes(),
        &dictionary,
        &spec(&with_scores).expect("spec"),
        &Codes::new(),
        &[],
        1,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("source.redcap.scores") && e.contains("events"),
        "{e}"
    );
}

/// The usage error for `SPEC` with `from` replaced by `to`.
fn error_with(from: &str, to: &str) -> String {
    assert!(SPEC.contains(from), "{from}");
    project(&SPEC.replacen(from, to, 1))
        .expect_err("a usage error")
        .to_string()
}

#[test]
fn bad_mappings_are_usage_errors_naming_the_key_and_the_field() {
    for (from, to, wanted) in [
        // A field the dictionary lacks.
        (
            "age = \"age\"",
            "age = \"agee\"",
            &["source.redcap.participants.age", "agee", "no field", "age"][..],
        ),
        // A field the export lacks.
        (
            "age = \"age\"",
            "age = \"weight\"",
            &["weight", "export has no column"],
        ),
        // Wrong types.
        (
            "contraindications = \"contra\"",
            "contraindications = \"arm\"",
            &["contraindications", "checkbox", "radio"],
        ),
        (
            "randomized_on = \"rand_date\"",
            "randomized_on = \"age\"",
            &["randomized_on", "integer"],
        ),
        ("arm = \"arm\"", "arm = \"rand_date\"", &["arm", "date_ymd"]),
        // A session field on another form.
        (
            "date = \"visit_date\"",
            "date = \"rand_date\"",
            &["source.redcap.sessions.date", "enrolment", "visit"],
        ),
        // An instrument the dictionary lacks.
        (
            "instrument = \"visit\"",
            "instrument = \"visits\"",
            &["instrument", "visits", "no form"],
        ),
        // A score key that is not a declared marker.
        (
            "grip = \"grip\"",
            "grap = \"grip\"",
            &["source.redcap.scores.grap", "markers", "grip"],
        ),
        // An event no row has.
        (
            "participants_event = \"baseline_arm_1\"",
            "participants_event = \"baseline_arm1\"",
            &[
                "participants_event",
                "baseline_arm1",
                "`baseline_arm_1`",
                "`week_9_arm_1`",
            ],
        ),
        // participant_id other than the record id.
        (
            "[participants]\n",
            "[participants]\nparticipant_id = \"note\"\n",
            &["participant_id", "study_id"],
        ),
        // The DAG where it may not stand.
        (
            "date = \"visit_date\"",
            "date = \"dag\"",
            &["source.redcap.sessions.date", "dag"],
        ),
    ] {
        let e = error_with(from, to);
        for w in wanted {
            assert!(e.contains(w), "{to}: {e} lacks {w}");
        }
    }
}

#[test]
fn unknown_and_missing_keys_are_refused_by_name() {
    for (toml_text, wanted) in [
        (
            "[participants]\narms = \"arm\"\n",
            "source.redcap.participants.arms",
        ),
        (
            "participant_event = \"b\"\n[participants]\narm = \"arm\"\n",
            "source.redcap.participant_event",
        ),
        (
            "[participants]\nage = \"age\"\n",
            "source.redcap.participants.arm",
        ),
        (
            "[participants]\narm = 3\n",
            "source.redcap.participants.arm",
        ),
        (
            "[participants]\narm = \"arm\"\n[sessions]\ndate = \"d\"\n",
            "source.redcap.sessions.instrument",
        ),
        (
            "[participants]\narm = \"arm\"\n[sessions]\ninstrument = \"v\"\nminute = \"m\"\n",
            "source.redcap.sessions.minute",
        ),
        (
            "[participants]\narm = \"arm\"\n[scores]\npain = \"p\"\n",
            "source.redcap.scores.weeks",
        ),
        (
            "[participants]\narm = \"arm\"\n[scores]\npain = \"p\"\n[scores.weeks]\nb = 105\n",
            "source.redcap.scores.weeks.b",
        ),
        (
            "[participants]\narm = \"arm\"\n[scores]\npain = \"p\"\n[scores.weeks]\nb = 0\nc = 0\n",
            "week 0",
        ),
        (
            "[participants]\narm = \"arm\"\n[scores]\nweek = \"w\"\n[scores.weeks]\nb = 0\n",
            "source.redcap.scores.week",
        ),
        (
            "sessions = 1\n[participants]\narm = \"arm\"\n",
            "source.redcap.sessions",
        ),
    ] {
        let e = spec(toml_text).expect_err(toml_text).to_string();
        assert!(e.contains(wanted), "{toml_text}: {e}");
    }
    // `dag` may stand for arm, age, sex and site.
    let s = spec("[participants]\narm = \"dag\"\nsex = \"dag\"\n").expect("spec");
    assert_eq!(s.participants()[1].source, Source::Dag);
    assert_eq!(s.participants()[0].source, Source::RecordId);
}

#[test]
fn dictionaries_are_read_in_both_spellings_and_refused_clearly() {
    let d = Dictionary::parse(DICTIONARY.as_bytes()).expect("dictionary");
    assert_eq!(d.record_id().name, "study_id");
    let arm = d.field("arm").expect("arm");
    assert_eq!(arm.kind, FieldType::Radio);
    assert_eq!(arm.choice("3"), Some("Sixty, three times"));
    let contra = d.field("contra").expect("contra");
    assert_eq!(contra.checkbox_column("M1"), "contra___m1");
    assert_eq!(contra.checkbox_column("-1"), "contra____1");
    assert_eq!(
        d.field("cleared").unwrap().choices_text(),
        "1 = Yes, 0 = No"
    );
    assert_eq!(d.forms(), ["enrolment", "visit", "outcomes", "labs"]);
    // The API's short names.
    let api = "field_name,form_name,field_type,field_label,select_choices_or_calculations\n\
               record_id,f,text,Id,\nx,f,dropdown,X,\"a, A | b,B,C\"\n";
    let d = Dictionary::parse(api.as_bytes()).expect("API dictionary");
    assert_eq!(
        d.field("x").unwrap().choices,
        [
            ("a".to_owned(), "A".to_owned()),
            ("b".to_owned(), "B,C".to_owned())
        ]
    );
    for (bad, wanted) in [
        ("", "Variable / Field Name"),
        ("a,b\n1,2\n", "Variable / Field Name"),
        ("field_name,form_name\nx,f\n", "Field Type"),
        ("field_name,form_name,field_type\n", "no field"),
        (
            "field_name,form_name,field_type\nx,f,text\nx,f,text\n",
            "twice",
        ),
        (
            "field_name,form_name,field_type\n\"x,f,text\n",
            "never closed",
        ),
    ] {
        let e = Dictionary::parse(bad.as_bytes())
            .expect_err(bad)
            .to_string();
        assert!(e.contains(wanted), "{bad:?}: {e}");
    }
}

#[test]
fn exports_without_their_redcap_columns_are_usage_errors() {
    let d = Dictionary::parse(DICTIONARY.as_bytes()).expect("dictionary");
    let s = spec(SPEC).expect("spec");
    for (export, wanted) in [
        ("", "empty"),
        ("record_id,arm\n1,1\n", "`study_id`"),
        (
            "study_id,redcap_event_name,arm\n1,b,1\n",
            "redcap_repeat_instrument",
        ),
        ("\"study_id,x\n", "never closed"),
    ] {
        let e = translate_with(export.as_bytes(), &d, &s, &codes(), &markers(), 1)
            .expect_err(export)
            .to_string();
        assert!(e.contains(wanted), "{export:?}: {e}");
    }
}

#[test]
fn the_starter_guesses_the_example_mapping() {
    let ex = example();
    let d = Dictionary::parse(&ex.dictionary).expect("dictionary");
    let header: Vec<String> = text(&ex.export)
        .trim_start_matches('\u{feff}')
        .lines()
        .next()
        .unwrap()
        .split(',')
        .map(str::to_owned)
        .collect();
    let starter = starter_source(&d, Some(&header), StarterFiles::default());
    let doc: toml::Table = toml::from_str(&starter).expect("the starter is TOML");
    let redcap = doc["source"]["redcap"].as_table().expect("[source.redcap]");
    let s = RedcapSpec::from_toml(redcap).expect("the starter is a valid spec");
    let mapped = |ms: &[Mapping], col: &str| {
        ms.iter()
            .find(|m| m.column == col)
            .map(|m| m.source.clone())
    };
    let f = |n: &str| Some(Source::Field(n.to_owned()));
    assert_eq!(mapped(s.participants(), "arm"), f("arm"));
    assert_eq!(mapped(s.participants(), "site"), Some(Source::Dag));
    assert_eq!(
        mapped(s.participants(), "contraindications"),
        f("contraindications")
    );
    assert_eq!(
        mapped(s.participants(), "medical_clearance"),
        f("medical_clearance")
    );
    let sessions = s.sessions().expect("sessions");
    assert_eq!(sessions.instrument, "session");
    assert_eq!(mapped(&sessions.columns, "date"), f("session_date"));
    assert_eq!(mapped(&sessions.columns, "minutes"), f("session_minutes"));
    assert_eq!(mapped(&sessions.columns, "therapist"), f("therapist"));
    let scores = s.scores().expect("scores");
    assert_eq!(mapped(&scores.columns, "pain"), f("pain"));
    assert_eq!(mapped(&scores.columns, "ndi"), f("ndi"));
    assert!(
        starter.contains("fu_notes"),
        "unused fields are listed:\n{starter}"
    );
    // The guess reads the export (week 5 is left for the user to add: rejected, not lost).
    let t = translate(&ex.export, &d, &s, &Codes::new(), &[]).expect("translates");
    assert!(t.balanced());
    assert_eq!(t.participants.lines().len(), 228);
}

/// A deterministic xorshift stream.
fn noise(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

#[test]
fn garbage_never_panics_and_the_rows_always_balance() {
    let d = Dictionary::parse(DICTIONARY.as_bytes()).expect("dictionary");
    let s = spec(SPEC).expect("spec");
    let alphabet = b",\"\r\n1\xff ab_9";
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    for round in 0..3000 {
        // Half the rounds mutate the project's export, half are pure noise after its header.
        let mut bytes = EXPORT.as_bytes().to_vec();
        if round % 2 == 0 {
            for _ in 0..1 + noise(&mut state) % 8 {
                let at = (noise(&mut state) as usize) % bytes.len();
                bytes[at] = alphabet[(noise(&mut state) as usize) % alphabet.len()];
            }
        } else {
            let header_end = EXPORT.find('\n').unwrap() + 1;
            bytes.truncate(header_end);
            for _ in 0..noise(&mut state) % 300 {
                bytes.push(alphabet[(noise(&mut state) as usize) % alphabet.len()]);
            }
        }
        for threads in [1, 2] {
            if let Ok(t) = translate_with(&bytes, &d, &s, &codes(), &markers(), threads) {
                assert!(
                    t.balanced(),
                    "round {round}: {:?}",
                    String::from_utf8_lossy(&bytes)
                );
            }
        }
        let _ = Dictionary::parse(&bytes);
        let _ = write_example(&bytes, &bytes, &bytes);
        if let Ok(dict) = Dictionary::parse(&bytes) {
            let _ = starter_source(&dict, None, StarterFiles::default());
        }
    }
}
