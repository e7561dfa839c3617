//! Random command lines for every command: each flag present or not, its value usually one of
//! the documented choices and sometimes out of range or malformed (which must give exit 2,
//! never a panic). Outputs always go under `{WORK}/out`; a cohort is `{WORK}/cohort`.

use super::stream::Stream;

/// The command families, drawn with [`WEIGHTS`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Validate,
    Analyze,
    Report,
    Audit,
    Plot,
    Compare,
    Clinic,
    Trial,
    SampleSize,
    Merge,
}

/// Families in the order of [`WEIGHTS`].
pub const FAMILIES: [Family; 10] = [
    Family::Validate,
    Family::Analyze,
    Family::Report,
    Family::Audit,
    Family::Plot,
    Family::Compare,
    Family::Clinic,
    Family::Trial,
    Family::SampleSize,
    Family::Merge,
];

/// How often each family is drawn.
pub const WEIGHTS: [u32; 10] = [16, 22, 8, 14, 10, 8, 6, 5, 3, 8];

impl Family {
    /// True when the command reads a cohort folder.
    pub fn reads_cohort(self) -> bool {
        matches!(
            self,
            Family::Validate | Family::Analyze | Family::Report | Family::Audit | Family::Plot
        )
    }
}

const COHORT: &str = "{WORK}/cohort";
const OUT: &str = "{WORK}/out";

/// Appends the value of a flag: one of `valid` with probability 0.95, else one of `invalid`
/// (a case has several flags; most cases should get past the usage checks).
fn choice(s: &mut Stream, valid: &[&str], invalid: &[&str]) -> String {
    if invalid.is_empty() || s.chance(0.95) {
        (*s.pick(valid)).to_owned()
    } else {
        (*s.pick(invalid)).to_owned()
    }
}

/// With probability `p`, appends `flag` and a value drawn by [`choice`].
fn opt(
    s: &mut Stream,
    args: &mut Vec<String>,
    p: f64,
    flag: &str,
    valid: &[&str],
    invalid: &[&str],
) {
    if s.chance(p) {
        args.push(flag.to_owned());
        args.push(choice(s, valid, invalid));
    }
}

/// With probability `p`, appends a bare flag.
fn flag(s: &mut Stream, args: &mut Vec<String>, p: f64, flag: &str) {
    if s.chance(p) {
        args.push(flag.to_owned());
    }
}

fn owned(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

const THREADS: &[&str] = &["1", "2", "3", "8"];
const BAD_THREADS: &[&str] = &["0", "257", "-1", "18446744073709551616", "two"];
const LEVELS: &[&str] = &["0.95", "0.9", "0.99", "0.5", "0.999999", "0.01"];
const BAD_LEVELS: &[&str] = &["1", "0", "1.5", "-0.1", "nan", "inf", "1e-320", "95"];
const MIN_CELLS: &[&str] = &["1", "2", "3", "5", "10", "11", "100"];
const BAD_MIN_CELLS: &[&str] = &["0", "18446744073709551615", "-1", "5.5", "1e3"];
const ADJUST: &[&str] = &["baseline", "baseline,age"];
const MARGINS: &[&str] = &["0.1", "0.2", "0.05", "0"];
const BAD_MARGINS: &[&str] = &["1", "-0.1", "nan", "inf", "x", ""];
const HYPOTHESES: &[&str] = &["noninferiority", "superiority", "equivalence"];
const BAD_ADJUST: &[&str] = &["", "age", "baseline,baseline", "baseline,sex", "Baseline"];
const TITLES: &[&str] = &[
    "T",
    "=cmd|calc",
    "\x1b[31mred",
    "<script>alert(1)</script>",
    "a&b\"c'",
];
const FORMATS: &[&str] = &["png", "svg", "both"];
const RD: &[&str] = &["wald", "newcombe", "agresti-caffo", "miettinen-nurminen"];

/// The command line of a case of `family`. `evidence` says the case has a cohort that a
/// simulation may use as evidence; `shards` lists the shard files of a merge case; `sims`
/// lists `(path, is_clinic)` of simulation results a report or plot may chart.
pub fn args(
    s: &mut Stream,
    family: Family,
    evidence: bool,
    shards: &[String],
    sims: &[(String, bool)],
) -> (Vec<String>, Vec<(String, String)>) {
    let mut env = Vec::new();
    let mut a;
    match family {
        Family::Validate => {
            a = owned(&["validate", COHORT]);
            if s.chance(0.7) {
                a.extend(owned(&["--out", OUT]));
            }
            opt(s, &mut a, 0.4, "--threads", THREADS, BAD_THREADS);
        }
        Family::Analyze => {
            a = owned(&["analyze", COHORT, "--out", OUT]);
            opt(
                s,
                &mut a,
                0.4,
                "--population",
                &["itt", "per-protocol"],
                &["pp", ""],
            );
            opt(
                s,
                &mut a,
                0.4,
                "--missing",
                &["nonresponder", "exclude"],
                &["drop"],
            );
            opt(s, &mut a, 0.35, "--adjust", ADJUST, BAD_ADJUST);
            if a.iter().any(|x| x == "--adjust") {
                opt(
                    s,
                    &mut a,
                    0.3,
                    "--cluster",
                    &["site", "therapist"],
                    &["arm"],
                );
                if !a.iter().any(|x| x == "--cluster") {
                    opt(s, &mut a, 0.2, "--robust", &["hc0", "hc1"], &["hc3"]);
                }
            }
            opt(
                s,
                &mut a,
                0.35,
                "--multiplicity",
                &["holm", "bonferroni", "none"],
                &["hochberg"],
            );
            opt(s, &mut a, 0.35, "--rd-method", RD, &["score"]);
            opt(s, &mut a, 0.25, "--level", LEVELS, BAD_LEVELS);
            opt(
                s,
                &mut a,
                0.3,
                "--stratify",
                &["site", "sex", "age", "clearance", "randomized"],
                &["therapist", ""],
            );
            flag(s, &mut a, 0.3, "--sensitivity");
            opt(s, &mut a, 0.2, "--margin", MARGINS, BAD_MARGINS);
            opt(s, &mut a, 0.2, "--hypothesis", HYPOTHESES, &["inferiority"]);
            opt(
                s,
                &mut a,
                0.15,
                "--reference",
                &["60x3", "control", "30x2"],
                &["90x9", ""],
            );
            flag(s, &mut a, 0.5, "--skip-invalid");
            opt(s, &mut a, 0.4, "--threads", THREADS, BAD_THREADS);
        }
        Family::Report => {
            a = owned(&["report", COHORT, "--out", OUT]);
            opt(s, &mut a, 0.6, "--min-cell", MIN_CELLS, BAD_MIN_CELLS);
            opt(s, &mut a, 0.3, "--adjust", ADJUST, BAD_ADJUST);
            opt(s, &mut a, 0.8, "--format", FORMATS, &["pdf"]);
            opt(s, &mut a, 0.2, "--title", TITLES, &[]);
            for (path, _) in sims {
                if s.chance(0.5) {
                    a.extend(["--sim".to_owned(), path.clone()]);
                }
            }
            flag(s, &mut a, 0.15, "--show-ids");
            flag(s, &mut a, 0.6, "--skip-invalid");
            opt(s, &mut a, 0.3, "--threads", THREADS, BAD_THREADS);
        }
        Family::Audit => {
            a = owned(&["audit", COHORT, "--out", OUT]);
            opt(s, &mut a, 0.6, "--by", &["site", "therapist"], &["arm"]);
            opt(
                s,
                &mut a,
                0.5,
                "--benchmark",
                &["dream", "cohort", "0.3", "0.5", "0.999", "0.001"],
                &["0", "1", "1.5", "-0.1", "nan", "1e-320", "0.5x", ""],
            );
            opt(s, &mut a, 0.4, "--outcome", &["pain", "ndi"], &["walk"]);
            opt(
                s,
                &mut a,
                0.4,
                "--overdispersion",
                &["multiplicative", "additive"],
                &["none"],
            );
            opt(
                s,
                &mut a,
                0.3,
                "--missing",
                &["nonresponder", "exclude"],
                &[],
            );
            opt(
                s,
                &mut a,
                0.3,
                "--as-of",
                &[
                    "2010-06-01",
                    "2010-09-01",
                    "2011-06-30",
                    "2013-03-01",
                    "1900-01-01",
                    "9999-12-31",
                ],
                &["2024-02-30", "0000-00-00", "yesterday", "2024-1-1"],
            );
            opt(s, &mut a, 0.4, "--min-cell", MIN_CELLS, BAD_MIN_CELLS);
            if s.chance(0.15) {
                a.push("--pseudonymize".to_owned());
                if s.chance(0.8) {
                    let key = *s.pick(&["k", "a-long-enough-secret-key-0123456789", "\u{e9}"]);
                    env.push(("TRIALDOSE_PSEUDONYM_KEY".to_owned(), key.to_owned()));
                }
            }
            flag(s, &mut a, 0.15, "--show-ids");
            opt(s, &mut a, 0.15, "--title", TITLES, &[]);
            opt(s, &mut a, 0.7, "--format", FORMATS, &[]);
            flag(s, &mut a, 0.6, "--skip-invalid");
            opt(s, &mut a, 0.3, "--threads", THREADS, BAD_THREADS);
        }
        Family::Plot => {
            let kinds = [
                "rates",
                "forest",
                "waterfall",
                "slopes",
                "adherence",
                "consort",
                "dose",
                "dose-ndi",
                "predictive",
                "power",
            ];
            let kind = *s.pick(&kinds);
            a = owned(&["plot", kind, COHORT]);
            let ext = *s.pick(&["png", "svg", "svg", "txt"]);
            a.extend(["--out".to_owned(), format!("{OUT}/chart.{ext}")]);
            let want_clinic = kind == "predictive";
            if (kind == "predictive" || kind == "power")
                && let Some((path, _)) = sims.iter().find(|(_, c)| *c == want_clinic)
            {
                a.extend(["--sim".to_owned(), path.clone()]);
            }
            flag(s, &mut a, 0.6, "--skip-invalid");
            opt(s, &mut a, 0.2, "--threads", THREADS, BAD_THREADS);
        }
        Family::Compare if s.chance(0.25) => {
            // Several strata, now and then one with an empty arm or a malformed table.
            let k = 1 + s.below(4);
            let tables: Vec<String> = (0..k)
                .map(|_| match s.below(12) {
                    0 => format!("{}:0/0", counts(s)),
                    1 => counts(s),
                    _ => format!("{}:{}", counts(s), counts(s)),
                })
                .collect();
            a = owned(&["compare", "--strata"]);
            a.push(tables.join(","));
            opt(s, &mut a, 0.3, "--level", LEVELS, BAD_LEVELS);
            flag(s, &mut a, 0.5, "--json");
        }
        Family::Compare => {
            let (t, c) = (counts(s), counts(s));
            a = vec![
                "compare".to_owned(),
                "--treatment".to_owned(),
                t,
                "--control".to_owned(),
                c,
            ];
            opt(s, &mut a, 0.3, "--level", LEVELS, BAD_LEVELS);
            opt(s, &mut a, 0.3, "--rd-method", RD, &["exact"]);
            opt(s, &mut a, 0.25, "--margin", MARGINS, BAD_MARGINS);
            opt(
                s,
                &mut a,
                0.15,
                "--margin-ratio",
                &["0.8", "0.5", "1.25"],
                BAD_MARGINS,
            );
            opt(s, &mut a, 0.25, "--hypothesis", HYPOTHESES, &[""]);
            flag(s, &mut a, 0.5, "--json");
        }
        Family::Clinic => {
            a = owned(&["simulate", "clinic"]);
            a.push("--schedule".to_owned());
            a.push(choice(
                s,
                &[
                    "60x2",
                    "60x3",
                    "60x2",
                    "60x3",
                    "60x2x4",
                    "30x2",
                    "45x2",
                    "60x1x8",
                    "240x14x52",
                    "1x1x1",
                ],
                &[
                    "0x2", "60x0", "60x2x0", "60x2x4x1", "x", "", "241x1", "60x15", "60x2x53",
                ],
            ));
            a.push("--patients".to_owned());
            a.push(choice(
                s,
                &["1", "10", "40", "300"],
                &["0", "-1", "4294967296"],
            ));
            common(s, &mut a, evidence);
            opt(s, &mut a, 0.3, "--outcome", &["pain", "ndi"], &["walk"]);
        }
        Family::Trial | Family::SampleSize => {
            let sub = if family == Family::Trial {
                "trial"
            } else {
                "sample-size"
            };
            a = owned(&["simulate", sub]);
            a.push("--arms".to_owned());
            a.push(choice(
                s,
                &[
                    "control,60x2",
                    "control,60x2,60x3",
                    "control,30x2",
                    "control,60x2x6,60x3x2",
                ],
                &[
                    "60x2",
                    "control,control",
                    "control,",
                    "",
                    "control,60x2,60x2",
                ],
            ));
            if family == Family::Trial {
                a.push("--per-arm".to_owned());
                a.push(choice(
                    s,
                    &["1", "5", "38", "120"],
                    &["0", "-3", "18446744073709551616"],
                ));
            } else {
                opt(
                    s,
                    &mut a,
                    0.4,
                    "--target-power",
                    &["0.8", "0.5", "0.9"],
                    &["0", "1", "1.5", "nan"],
                );
            }
            opt(s, &mut a, 0.3, "--outcome", &["pain", "ndi"], &[]);
            opt(
                s,
                &mut a,
                0.4,
                "--test",
                &["fisher", "newcombe", "trend"],
                &["t"],
            );
            opt(
                s,
                &mut a,
                0.3,
                "--alpha",
                &["0.05", "0.01", "0.2"],
                &["0", "1", "nan", "-0.05"],
            );
            common(s, &mut a, evidence);
        }
        Family::Merge => {
            a = owned(&["simulate", "merge"]);
            a.extend(shards.iter().cloned());
            flag(s, &mut a, 0.5, "--json");
            if s.chance(0.5) {
                a.extend(["--out".to_owned(), format!("{OUT}/merged.json")]);
            }
        }
    }
    (a, env)
}

/// The options every simulation shares.
fn common(s: &mut Stream, a: &mut Vec<String>, evidence: bool) {
    // A sample-size search runs up to 16 times the replicates at every size it tries.
    let reps = if a.get(1).is_some_and(|c| c == "sample-size") {
        3
    } else {
        5
    };
    if s.chance(0.5) {
        a.push("--evidence".to_owned());
        if evidence && s.chance(0.7) {
            a.push(COHORT.to_owned());
        } else {
            a.push(choice(s, &["dream"], &["/nonexistent", "", "DREAM"]));
        }
    }
    opt(s, a, 0.3, "--model", &["arms", "dose-response"], &["logit"]);
    opt(
        s,
        a,
        0.35,
        "--truth",
        &[
            "control=0.26,60x2=0.63",
            "control=0.26,60x2=0.63,60x3=0.76,30x2=0.3",
            "control=0.3,60x2=0.3",
            "control=0,60x2=1",
        ],
        &[
            "control=1.5",
            "60x2=nan",
            "=",
            "control=0.2,control=0.3",
            "control=-0",
        ],
    );
    opt(
        s,
        a,
        0.2,
        "--attendance",
        &["1", "0.5", "0.01"],
        &["0", "1.5", "nan", "-1"],
    );
    if s.chance(0.05) {
        opt(
            s,
            a,
            1.0,
            "--target-mcse",
            &["0.05", "0.1"],
            &["0", "-1", "nan"],
        );
    } else {
        a.push("--reps".to_owned());
        a.push(choice(
            s,
            &["1", "2", "10", "50", "150"][..reps],
            &["0", "-1"],
        ));
    }
    opt(
        s,
        a,
        0.3,
        "--seed",
        &["0", "1", "18446744073709551615"],
        &["-1", "x"],
    );
    opt(
        s,
        a,
        0.3,
        "--shard",
        &["1/1", "1/2", "2/2", "3/3"],
        &["0/2", "3/2", "1/0", "x", "1/18446744073709551615"],
    );
    opt(s, a, 0.3, "--threads", THREADS, BAD_THREADS);
    flag(s, a, 0.5, "--json");
    flag(s, a, 0.5, "--quiet");
    if s.chance(0.3) {
        a.extend(["--out".to_owned(), format!("{OUT}/sim.json")]);
    }
}

/// A count pair `X/N` for compare: small tables mostly, some large or hostile.
fn counts(s: &mut Stream) -> String {
    match s.below(10) {
        0 => (*s.pick(&[
            "0/0",
            "1/0",
            "5/3",
            "-1/10",
            "a/b",
            "10",
            "1/1e3",
            "/",
            "1//2",
            " 3/10",
            "18446744073709551616/18446744073709551616",
        ]))
        .to_owned(),
        1 => {
            let n = *s.pick(&[
                100_000u64,
                1_000_000,
                10_000_000,
                4_000_000_000,
                1 << 40,
                1 << 62,
                u64::MAX,
            ]);
            let x = match s.below(3) {
                0 => 0,
                1 => n,
                _ => n / 2,
            };
            format!("{x}/{n}")
        }
        _ => {
            let n = s.between(0, 200);
            let x = s.between(0, n);
            format!("{x}/{n}")
        }
    }
}
