//! Small-cell suppression tried as an attacker would (issue 13, item 2): for generated cohorts
//! of several sizes and `--min-cell` 3, 5 and 10, the true counts come from an unsuppressed run
//! of the same cohort, and everything the suppressed page and its files show is parsed and used
//! to solve for each hidden count: complements within a total (`n` and `n − x`, "all but"),
//! sums of a row or column with one hidden cell, Table 1 complements, risk differences and
//! ratios against a shown control (every pair of counts consistent with the printed effects is
//! enumerated), the CONSORT diagram's boxes, and the chart labels. A count from 1 to K − 1 that
//! can be determined uniquely fails the test. Charts of individuals must be absent.

mod util;

use std::path::{Path, PathBuf};

use util::*;

/// The mark of a suppressed count (`report::disclosure::SUPPRESSED`).
const MARK: &str = "[c]";

fn small(v: u64, k: u64) -> bool {
    v >= 1 && v < k
}

/// The text of `<section id="ID">` … `</section>`.
fn section<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!("<section id=\"{id}\">"))
        .unwrap_or_else(|| panic!("section {id} missing"));
    let end = html[start..].find("</section>").expect("section end") + start;
    &html[start..end]
}

/// Body rows of every table in `html`: the cells' texts.
fn rows(html: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for tbody in html.split("<tbody>").skip(1) {
        let body = tbody.split("</tbody>").next().unwrap_or("");
        for tr in body.split("<tr>").skip(1) {
            let tr = tr.split("</tr>").next().unwrap_or("");
            let cells = tr
                .split("<td")
                .skip(1)
                .map(|td| {
                    let inner = td.split_once('>').map_or("", |(_, r)| r);
                    html_text(inner.split("</td>").next().unwrap_or(""))
                })
                .collect();
            out.push(cells);
        }
    }
    out
}

/// A count as printed: `Some(v)` for a number (a trailing `(p%)` is ignored), `None` for the
/// suppression mark. Panics on anything else, so a format change is noticed.
fn count(text: &str) -> Option<u64> {
    let t = text.trim();
    if t.starts_with(MARK) {
        return None;
    }
    let head = t.split_whitespace().next().unwrap_or("");
    Some(
        head.parse()
            .unwrap_or_else(|_| panic!("not a count: {text:?}")),
    )
}

/// `x/n (…)` or `x of n` as printed.
fn fraction(text: &str) -> (Option<u64>, Option<u64>) {
    let t = text.trim();
    if let Some((x, n)) = t.split_once(" of ") {
        return (count(x), count(n));
    }
    let head = t.split_whitespace().next().unwrap_or("");
    let (x, n) = head
        .split_once('/')
        .unwrap_or_else(|| panic!("not a fraction: {text:?}"));
    (Some(x.parse().unwrap()), Some(n.parse().unwrap()))
}

/// What the attacker learns from `total = Σ parts` (a `None` part is hidden, and a part never
/// printed, such as the non-responders, is passed as `None` too). With the total and every
/// part but one shown, that one is determined; with every part shown, the total is.
/// `truth` gives the true values (total first) to judge the determined one.
fn solve_sum(
    what: &str,
    total: Option<u64>,
    parts: &[Option<u64>],
    truth: &[u64],
    k: u64,
    leaks: &mut Vec<String>,
) {
    let hidden: Vec<usize> = (0..parts.len()).filter(|&i| parts[i].is_none()).collect();
    match (total, hidden.as_slice()) {
        (Some(t), [i]) => {
            let known: u64 = parts.iter().flatten().sum();
            let v = t
                .checked_sub(known)
                .unwrap_or_else(|| panic!("{what}: parts exceed total"));
            assert_eq!(v, truth[i + 1], "{what}: the sum does not hold");
            if small(v, k) {
                leaks.push(format!("{what}: part {i} = {v} from {t} − {known}"));
            }
        }
        (None, []) => {
            let v: u64 = parts.iter().flatten().sum();
            if small(v, k) {
                leaks.push(format!("{what}: total = {v} from its parts"));
            }
        }
        _ => {}
    }
}

/// A shown count must be the true one, and a small true count must not be shown.
fn check_shown(what: &str, shown: Option<u64>, truth: u64, k: u64, leaks: &mut Vec<String>) {
    if let Some(v) = shown {
        assert_eq!(
            v, truth,
            "{what}: a shown count differs from the unsuppressed run"
        );
        if small(v, k) {
            leaks.push(format!("{what}: {v} shown"));
        }
    }
}

/// A generated cohort.
fn generated(tmp: &Path, participants: u32, seed: u32) -> PathBuf {
    let dir = tmp.join(format!("g{participants}-{seed}"));
    let run = trialdose([
        "generate",
        dir.to_str().unwrap(),
        "--participants",
        &participants.to_string(),
        "--seed",
        &seed.to_string(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    dir
}

fn report(cohort: &Path, out: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "report",
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let run = trialdose(&args);
    assert_eq!(run.code, 0, "{run}");
    std::fs::read_to_string(out.join("report.html")).unwrap()
}

/// The texts of an SVG's `<text>` elements, in order.
fn svg_texts(svg: &str) -> Vec<String> {
    svg.split("<text")
        .skip(1)
        .map(|t| {
            let inner = t.split_once('>').map_or("", |(_, r)| r);
            html_text(inner.split("</text>").next().unwrap_or(""))
                .trim()
                .to_owned()
        })
        .collect()
}

/// The CONSORT boxes per arm: randomized, adherent, not adherent, lost, with both scores
/// (control: adherent and not are `None`), and the total randomized.
type Flow = (Option<u64>, Vec<[Option<u64>; 5]>, Vec<bool>);

fn consort(svg: &str) -> Flow {
    let texts = svg_texts(svg);
    let after = |t: &str, key: &str| count(t.rsplit_once(key).map_or("", |(_, r)| r));
    let total = texts
        .iter()
        .position(|t| t == "Randomized")
        .map(|i| after(&texts[i + 1], "n = "))
        .expect("randomized box");
    let mut arms = Vec::new();
    let mut present = Vec::new();
    for (i, t) in texts.iter().enumerate() {
        if t.starts_with("Allocated to ") {
            let n = after(&texts[i + 1], "n = ");
            let control = texts[i + 2] == "Wait-list control";
            let (a, b) = if control {
                (None, None)
            } else {
                (
                    after(&texts[i + 3], "): "),
                    after(&texts[i + 4], "Did not: "),
                )
            };
            let rest = &texts[i..];
            let lost = rest
                .iter()
                .find(|t| t.starts_with("(or at baseline): "))
                .map(|t| after(t, "): "))
                .unwrap();
            let both = rest
                .iter()
                .find(|t| t.starts_with("with both scores: "))
                .map(|t| after(t, ": "))
                .unwrap();
            arms.push([n, a, b, lost, both]);
            present.push(!control);
        }
    }
    (total, arms, present)
}

/// The risk ratio as the analysis computes it (0.5 added to every cell when one is zero).
fn risk_ratio(x: u64, n: u64, y: u64, m: u64) -> f64 {
    let corr = if x == 0 || y == 0 || x == n || y == m {
        0.5
    } else {
        0.0
    };
    ((x as f64 + corr) / (n as f64 + 2.0 * corr)) / ((y as f64 + corr) / (m as f64 + 2.0 * corr))
}

/// Every attack on one suppressed report against the unsuppressed one of the same cohort.
fn attack_report(truth: &str, page: &str, out: &Path, full: &Path, k: u64) -> Vec<String> {
    let mut leaks = Vec::new();
    // Table 1.
    let t1 = rows(section(truth, "table1"));
    let s1 = rows(section(page, "table1"));
    let arms = t1[0].len() - 1;
    let n_true: Vec<u64> = (1..=arms).map(|j| count(&t1[0][j]).unwrap()).collect();
    let n_shown: Vec<Option<u64>> = (1..=arms).map(|j| count(&s1[0][j])).collect();
    for j in 0..arms {
        check_shown(
            &format!("table 1 n arm {j}"),
            n_shown[j],
            n_true[j],
            k,
            &mut leaks,
        );
        let f_true = count(&t1[2][j + 1]).unwrap();
        let f = count(&s1[2][j + 1]);
        check_shown(&format!("female arm {j}"), f, f_true, k, &mut leaks);
        // Female and the rest (never printed).
        solve_sum(
            &format!("female complement arm {j}"),
            n_shown[j],
            &[f, None],
            &[n_true[j], f_true, n_true[j] - f_true],
            k,
            &mut leaks,
        );
    }
    // The arms add up to the participants randomized (participants.csv accepted).
    let files = rows(section(page, "provenance"));
    let accepted = files
        .iter()
        .find(|r| r[0] == "participants.csv")
        .map(|r| count(&r[4]))
        .expect("participants.csv row");
    let mut truth_sum = vec![n_true.iter().sum()];
    truth_sum.extend(&n_true);
    solve_sum("arms add up", accepted, &n_shown, &truth_sum, k, &mut leaks);

    // Responders, with the effects against control.
    let tr = rows(section(truth, "responders"));
    let sr = rows(section(page, "responders"));
    assert_eq!(tr.len(), sr.len());
    for (i, (t, s)) in tr.iter().zip(&sr).enumerate() {
        let (tx, tn) = fraction(&t[1]);
        let (tx, tn) = (tx.unwrap(), tn.unwrap());
        let (x, n) = fraction(&s[1]);
        check_shown(&format!("responders row {i}"), x, tx, k, &mut leaks);
        check_shown(&format!("responders n row {i}"), n, tn, k, &mut leaks);
        solve_sum(
            &format!("responders complement row {i}"),
            n,
            &[x, None],
            &[tn, tx, tn - tx],
            k,
            &mut leaks,
        );
    }
    // Each outcome's table: the control row is the one marked "(control)".
    let half = sr.len() / 2;
    for block in [&sr[..half], &sr[half..]] {
        let Some(c) = block.iter().position(|r| r[2] == "(control)") else {
            continue;
        };
        let block_truth = if std::ptr::eq(block.as_ptr(), sr.as_ptr()) {
            &tr[..half]
        } else {
            &tr[half..]
        };
        let (cx, cn) = fraction(&block[c][1]);
        let (tcx, tcn) = fraction(&block_truth[c][1]);
        for (r, row) in block.iter().enumerate() {
            if r == c || row.len() < 5 {
                continue; // the control row, or effects suppressed (one colspan cell)
            }
            let (x, n) = fraction(&row[1]);
            let (tx, tn) = fraction(&block_truth[r][1]);
            let (tx, tn, tcx, tcn) = (tx.unwrap(), tn.unwrap(), tcx.unwrap(), tcn.unwrap());
            let rd = row[2].split_whitespace().next().unwrap().to_owned();
            let rr = row[3].split_whitespace().next().unwrap().to_owned();
            // Every (x, control x) consistent with what is printed.
            let mut xs = std::collections::BTreeSet::new();
            let mut cxs = std::collections::BTreeSet::new();
            for a in 0..=tn {
                if x.is_some_and(|v| v != a) {
                    continue;
                }
                for b in 0..=tcn {
                    if cx.is_some_and(|v| v != b) {
                        continue;
                    }
                    let d = 100.0 * (a as f64 / tn as f64 - b as f64 / tcn as f64);
                    if format!("{d:+.1}") != rd || format!("{:.2}", risk_ratio(a, tn, b, tcn)) != rr
                    {
                        continue;
                    }
                    xs.insert(a);
                    cxs.insert(b);
                }
            }
            assert!(
                xs.contains(&tx) && cxs.contains(&tcx),
                "the effect search misses the truth"
            );
            assert!(
                n.is_some() && cn.is_some(),
                "effects shown with a hidden denominator"
            );
            for (set, total, what) in [(&xs, tn, "arm"), (&cxs, tcn, "control")] {
                if let [v] = set.iter().copied().collect::<Vec<_>>()[..]
                    && (small(v, k) || small(total - v, k))
                {
                    leaks.push(format!(
                        "{what} responders {v} of {total} solved from RD {rd} and RR {rr}"
                    ));
                }
            }
        }
    }

    // Decisions: four columns that add up to the arm.
    let td = rows(section(truth, "decisions"));
    let sd = rows(section(page, "decisions"));
    let names: Vec<String> = rows(section(truth, "safety"))
        .iter()
        .map(|r| r[0].clone())
        .collect();
    for (t, s) in td.iter().zip(&sd) {
        let j = names.iter().position(|a| *a == t[0]).unwrap();
        let truth: Vec<u64> = std::iter::once(n_true[j])
            .chain((1..5).map(|c| count(&t[c]).unwrap()))
            .collect();
        let parts: Vec<Option<u64>> = (1..5).map(|c| count(&s[c])).collect();
        for c in 0..4 {
            check_shown(
                &format!("decision {} {c}", t[0]),
                parts[c],
                truth[c + 1],
                k,
                &mut leaks,
            );
        }
        solve_sum(
            &format!("decisions {}", t[0]),
            n_shown[j],
            &parts,
            &truth,
            k,
            &mut leaks,
        );
    }

    // Safety: with an event and the rest; the event by its worst grade.
    let ts = rows(section(truth, "safety"));
    let ss = rows(section(page, "safety"));
    for (j, (t, s)) in ts.iter().zip(&ss).enumerate() {
        let tv: Vec<u64> = (1..6).map(|c| count(&t[c]).unwrap()).collect();
        let sv: Vec<Option<u64>> = (1..6).map(|c| count(&s[c])).collect();
        for c in 0..5 {
            check_shown(&format!("safety {} {c}", t[0]), sv[c], tv[c], k, &mut leaks);
        }
        solve_sum(
            &format!("adverse complement {}", t[0]),
            sv[0],
            &[sv[1], None],
            &[tv[0], tv[1], tv[0] - tv[1]],
            k,
            &mut leaks,
        );
        if tv[1] == tv[2] + tv[3] + tv[4] {
            solve_sum(
                &format!("adverse grades {}", t[0]),
                sv[1],
                &sv[2..],
                &tv[1..],
                k,
                &mut leaks,
            );
        }
        assert_eq!(n_shown[j], sv[0], "the arm's n is the same cell everywhere");
    }

    // The trend test uses every arm's counts.
    let trend = rows(section(page, "trend"));
    for (o, row) in trend.iter().enumerate().take(2) {
        let block = if o == 0 { &sr[..half] } else { &sr[half..] };
        let any_hidden = block.iter().any(|r| {
            let (x, n) = fraction(&r[1]);
            x.is_none() || n.is_none()
        });
        if any_hidden && row[1] != MARK {
            leaks.push(format!("trend {} shown with a hidden count", row[0]));
        }
    }

    // The CONSORT diagram, as written and as embedded.
    let tc = consort(&std::fs::read_to_string(full.join("charts/consort.svg")).unwrap());
    let svg = std::fs::read_to_string(out.join("charts/consort.svg")).unwrap();
    assert!(
        page.contains("CONSORT 2010 flow diagram"),
        "the diagram is embedded"
    );
    let sc = consort(&svg);
    check_shown("consort total", sc.0, tc.0.unwrap(), k, &mut leaks);
    for (j, (t, s)) in tc.1.iter().zip(&sc.1).enumerate() {
        for c in 0..5 {
            if let Some(tv) = t[c] {
                check_shown(&format!("consort arm {j} box {c}"), s[c], tv, k, &mut leaks);
            }
        }
        let tn = t[0].unwrap();
        if tc.2[j] {
            let (a, b) = (t[1].unwrap(), t[2].unwrap());
            solve_sum(
                &format!("consort dose arm {j}"),
                s[0],
                &[s[1], s[2]],
                &[tn, a, b],
                k,
                &mut leaks,
            );
        }
        let (l, w) = (t[3].unwrap(), t[4].unwrap());
        solve_sum(
            &format!("consort scores arm {j}"),
            s[0],
            &[s[3], s[4]],
            &[tn, l, w],
            k,
            &mut leaks,
        );
        assert_eq!(s[0], n_shown[j], "the diagram's n is Table 1's");
    }
    let parts: Vec<Option<u64>> = sc.1.iter().map(|a| a[0]).collect();
    solve_sum(
        "consort arms add up",
        sc.0,
        &parts,
        &truth_sum,
        k,
        &mut leaks,
    );

    // Chart labels `x/n` (rates chart): no small count nor small complement.
    // The sensitivity section: every count a shown row prints (and what it leaves for its
    // complement) is zero or at least K, the per-protocol rows (counts in no other table) are
    // hidden, and the numbers of missing outcomes a row gives away against the primary row
    // (best case: treated responders plus missing; worst case: control responders plus
    // missing; complete case: participants minus missing) are never small.
    let sens = rows(section(page, "sensitivity"));
    // (arm, outcome) -> ((x, n), (y, m)) of the primary row.
    type Counts = ((u64, u64), (u64, u64));
    let primary: std::collections::BTreeMap<(String, String), Counts> = sens
        .iter()
        .filter(|r| r.len() >= 5 && r[2].starts_with("composite"))
        .map(|r| {
            let (x, n) = fraction(&r[3]);
            let (y, m) = fraction(&r[4]);
            (
                (r[0].clone(), r[1].clone()),
                ((x.unwrap(), n.unwrap()), (y.unwrap(), m.unwrap())),
            )
        })
        .collect();
    for r in &sens {
        if r.len() < 5 {
            continue; // suppressed: one colspan cell
        }
        let what = format!("sensitivity {} {} {}", r[0], r[1], r[2]);
        if r[2].starts_with("principal-stratum") {
            leaks.push(format!("{what}: per-protocol counts shown"));
        }
        let (x, n) = fraction(&r[3]);
        let (y, m) = fraction(&r[4]);
        let (x, n, y, m) = (x.unwrap(), n.unwrap(), y.unwrap(), m.unwrap());
        for (label, v) in [("x", x), ("n - x", n - x), ("y", y), ("m - y", m - y)] {
            if small(v, k) {
                leaks.push(format!("{what}: {label} = {v}"));
            }
        }
        let Some(&((px, pn), (py, pm))) = primary.get(&(r[0].clone(), r[1].clone())) else {
            leaks.push(format!("{what}: shown while the primary row is hidden"));
            continue;
        };
        for (label, v) in [
            (
                "missing treated (vs primary)",
                x.abs_diff(px) + n.abs_diff(pn),
            ),
            (
                "missing control (vs primary)",
                y.abs_diff(py) + m.abs_diff(pm),
            ),
            ("observed treated", n.min(pn)),
            ("observed control", m.min(pm)),
        ] {
            if small(v, k) {
                leaks.push(format!("{what}: {label} = {v}"));
            }
        }
    }
    for name in ["rates", "forest", "dose_pain", "dose_ndi"] {
        let Ok(svg) = std::fs::read_to_string(out.join(format!("charts/{name}.svg"))) else {
            continue;
        };
        for t in svg_texts(&svg) {
            if let Some((a, b)) = t.split_once('/')
                && let (Ok(a), Ok(b)) = (a.trim().parse::<u64>(), b.trim().parse::<u64>())
                && (small(a, k) || (b >= a && small(b - a, k)))
            {
                leaks.push(format!("{name}.svg label {a}/{b}"));
            }
        }
    }
    leaks
}

#[test]
fn no_hidden_count_can_be_recovered_from_the_report() {
    let tmp = tempfile::tempdir().unwrap();
    let mut suppressed_somewhere = 0;
    for (size, seed) in [(40, 2), (60, 3), (100, 1), (300, 5)] {
        let cohort = generated(tmp.path(), size, seed);
        let full = tmp.path().join(format!("full{size}"));
        let truth = report(&cohort, &full, &["--format", "svg"]);
        for k in [3u64, 5, 10] {
            let out = tmp.path().join(format!("s{size}-{k}"));
            let page = report(
                &cohort,
                &out,
                &["--format", "svg", "--min-cell", &k.to_string()],
            );
            suppressed_somewhere += page.matches(MARK).count();
            let leaks = attack_report(&truth, &page, &out, &full, k);
            assert!(
                leaks.is_empty(),
                "{size} participants, seed {seed}, --min-cell {k}: {leaks:#?}"
            );
            // Charts of individuals: neither written nor embedded, and the page says why.
            for name in ["waterfall", "slopes", "adherence"] {
                assert!(!out.join(format!("charts/{name}.svg")).exists(), "{name}");
                assert!(!out.join(format!("charts/{name}.png")).exists(), "{name}");
            }
            assert!(!page.contains("Percent change in pain per participant"));
            assert!(!page.contains("Baseline to checkpoint per participant"));
            assert!(page.contains("are left out: they show each participant"));
            assert!(!page.contains("all but"), "no complement is printed");
            // Every chart the page embeds differs from the unsuppressed one or is absent,
            // unless nothing was suppressed in it.
            assert!(
                !page.contains(tmp.path().to_str().unwrap()),
                "no absolute path"
            );
        }
    }
    assert!(suppressed_somewhere > 0, "the cohorts exercise suppression");
}

#[test]
fn the_issue_13_cohort_leaks_nothing() {
    // generate g100 --participants 100 --seed 1; report --min-cell 5 (issue 13, item 2): the
    // waterfall and slopes were the same with and without the flag, "all but <5 of 16" with
    // RD and RR gave 12/16, and female 14 of 17 gave 3 males.
    let tmp = tempfile::tempdir().unwrap();
    let cohort = generated(tmp.path(), 100, 1);
    let full = tmp.path().join("full");
    let truth = report(&cohort, &full, &[]);
    let out = tmp.path().join("five");
    let page = report(&cohort, &out, &["--min-cell", "5"]);
    assert!(full.join("charts/waterfall.svg").exists());
    assert!(!out.join("charts/waterfall.svg").exists());
    assert!(!out.join("charts/slopes.svg").exists());
    assert!(!page.contains("all but"));
    let female = &rows(section(&page, "table1"))[2];
    assert_eq!(
        female[6], MARK,
        "female 14 of 17 would give 3 men by complement"
    );
    let leaks = attack_report(&truth, &page, &out, &full, 5);
    assert!(leaks.is_empty(), "{leaks:#?}");
}

#[test]
fn min_cell_on_a_small_cohort_does_not_panic() {
    // Issue 13, item 4: generate --participants 60 --seed 3; report --min-cell 5 panicked in
    // the forest plot when every comparison was suppressed.
    let tmp = tempfile::tempdir().unwrap();
    let cohort = generated(tmp.path(), 60, 3);
    for k in ["5", "10", "1000"] {
        let out = tmp.path().join(format!("r{k}"));
        let run = trialdose([
            "report",
            cohort.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
            "--min-cell",
            k,
        ]);
        assert_eq!(run.code, 0, "--min-cell {k}: {run}");
        assert!(out.join("charts/forest.svg").exists());
    }
}

#[test]
fn the_report_names_the_cohort_folder_not_its_path() {
    let tmp = tempfile::tempdir().unwrap();
    let cohort = generated(tmp.path(), 40, 2);
    let out = tmp.path().join("r");
    let page = report(&cohort, &out, &[]);
    let parent = tmp.path().to_str().unwrap();
    assert!(!page.contains(parent), "the absolute path leaked");
    assert!(
        page.contains("<code>g40-2</code>"),
        "the folder's name is shown"
    );
    let page = report(&cohort, &out, &["--full-paths"]);
    assert!(
        page.contains(cohort.to_str().unwrap()),
        "--full-paths shows it"
    );
    let audit_out = tmp.path().join("a");
    let run = trialdose([
        "audit",
        cohort.to_str().unwrap(),
        "--out",
        audit_out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
    for name in [
        "audit.html",
        "audit.json",
        "units.csv",
        "safety.csv",
        "worklist.csv",
    ] {
        let text = std::fs::read_to_string(audit_out.join(name)).unwrap();
        assert!(!text.contains(parent), "{name} holds the absolute path");
    }
    for entry in std::fs::read_dir(out.join("charts")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "svg") {
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                !text.contains(parent),
                "{} holds the absolute path",
                path.display()
            );
        }
    }
}

/// Attacks on one suppressed audit against the unsuppressed one of the same cohort.
fn attack_audit(truth: &Path, out: &Path, k: u64) -> Vec<String> {
    let mut leaks = Vec::new();
    let page = std::fs::read_to_string(out.join("audit.html")).unwrap();
    let full = std::fs::read_to_string(truth.join("audit.html")).unwrap();
    let total_of = |html: &str| {
        let p = html_text(section(html, "provenance"));
        let before = p
            .split(" treated participants audited")
            .next()
            .unwrap()
            .to_owned();
        count(before.rsplit(". ").next().unwrap())
    };
    let (t_total, s_total) = (total_of(&full).unwrap(), total_of(&page));
    check_shown("treated", s_total, t_total, k, &mut leaks);
    // Units: patients add up to the treated; responders and the rest make n.
    let tu = rows(section(&full, "units"));
    let su = rows(section(&page, "units"));
    let tp: Vec<u64> = tu.iter().map(|r| count(&r[1]).unwrap()).collect();
    let sp: Vec<Option<u64>> = su.iter().map(|r| count(&r[1])).collect();
    let mut truth_sum = vec![t_total];
    truth_sum.extend(&tp);
    solve_sum("units add up", s_total, &sp, &truth_sum, k, &mut leaks);
    for (i, (t, s)) in tu.iter().zip(&su).enumerate() {
        check_shown(&format!("unit {i} patients"), sp[i], tp[i], k, &mut leaks);
        if t[3] == "-" {
            continue;
        }
        let (tx, tn) = fraction(&t[3]);
        let (tx, tn) = (tx.unwrap(), tn.unwrap());
        let (x, n) = fraction(&s[3]);
        check_shown(&format!("unit {i} responders"), x, tx, k, &mut leaks);
        check_shown(&format!("unit {i} n"), n, tn, k, &mut leaks);
        solve_sum(
            &format!("unit {i} complement"),
            n,
            &[x, None],
            &[tn, tx, tn - tx],
            k,
            &mut leaks,
        );
    }
    // Statuses and flags against the treated.
    let tw = rows(section(&full, "worklist"));
    let sw = rows(section(&page, "worklist"));
    let statuses = 6;
    let tv: Vec<u64> = tw.iter().map(|r| count(&r[1]).unwrap()).collect();
    let sv: Vec<Option<u64>> = sw.iter().map(|r| count(&r[1])).collect();
    let mut truth_sum = vec![t_total];
    truth_sum.extend(&tv[..statuses]);
    solve_sum(
        "statuses add up",
        s_total,
        &sv[..statuses],
        &truth_sum,
        k,
        &mut leaks,
    );
    for i in 0..tv.len() {
        check_shown(&format!("worklist row {i}"), sv[i], tv[i], k, &mut leaks);
        if i >= statuses {
            solve_sum(
                &format!("flag {i} complement"),
                s_total,
                &[sv[i], None],
                &[t_total, tv[i], t_total - tv[i]],
                k,
                &mut leaks,
            );
        }
    }
    // Safety: events and the rest; the `all` row sums the units.
    let ts = rows(section(&full, "safety"));
    let ss = rows(section(&page, "safety"));
    let mut events = Vec::new();
    for (i, (t, s)) in ts.iter().zip(&ss).enumerate() {
        if t[2] == "-" {
            events.push((Some(0), 0));
            continue;
        }
        let (te, tt) = fraction(&t[2]);
        let (e, tr) = fraction(&s[2]);
        let (te, tt) = (te.unwrap_or(0), tt.unwrap_or(0));
        check_shown(&format!("safety {i} events"), e, te, k, &mut leaks);
        solve_sum(
            &format!("safety {i} complement"),
            tr,
            &[e, None],
            &[tt, te, tt - te],
            k,
            &mut leaks,
        );
        events.push((e, te));
    }
    if let Some(((all, tall), units)) = events.split_last() {
        let mut truth_sum = vec![*tall];
        truth_sum.extend(units.iter().map(|u| u.1));
        let parts: Vec<Option<u64>> = units.iter().map(|u| u.0).collect();
        solve_sum("safety all row", *all, &parts, &truth_sum, k, &mut leaks);
    }
    // The aggregate CSVs hide what the page hides.
    let csv = Table::read(&out.join("units.csv"));
    for (row, s) in csv.rows.iter().zip(&su) {
        let (x, _) = if s[3] == "-" {
            (Some(0), None)
        } else {
            fraction(&s[3])
        };
        if x.is_none() {
            assert!(
                row["responders"].is_empty(),
                "units.csv shows a hidden count"
            );
            assert!(row["rate"].is_empty(), "units.csv shows a hidden rate");
        }
    }
    leaks
}

#[test]
fn no_hidden_count_can_be_recovered_from_the_audit() {
    let tmp = tempfile::tempdir().unwrap();
    let mut suppressed = 0;
    for (size, seed) in [(60, 3), (100, 1), (300, 5)] {
        let cohort = generated(tmp.path(), size, seed);
        for by in ["site", "therapist"] {
            let full = tmp.path().join(format!("a{size}-{by}"));
            let run = trialdose([
                "audit",
                cohort.to_str().unwrap(),
                "--out",
                full.to_str().unwrap(),
                "--by",
                by,
                "--format",
                "svg",
            ]);
            assert_eq!(run.code, 0, "{run}");
            for k in [3u64, 5, 10] {
                let out = tmp.path().join(format!("a{size}-{by}-{k}"));
                let run = trialdose([
                    "audit",
                    cohort.to_str().unwrap(),
                    "--out",
                    out.to_str().unwrap(),
                    "--by",
                    by,
                    "--format",
                    "svg",
                    "--min-cell",
                    &k.to_string(),
                ]);
                assert_eq!(run.code, 0, "{run}");
                let page = std::fs::read_to_string(out.join("audit.html")).unwrap();
                suppressed += page.matches(MARK).count();
                let leaks = attack_audit(&full, &out, k);
                assert!(
                    leaks.is_empty(),
                    "{size} participants by {by}, --min-cell {k}: {leaks:#?}"
                );
            }
        }
    }
    assert!(suppressed > 0, "the cohorts exercise suppression");
}
