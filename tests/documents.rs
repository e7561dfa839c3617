//! `trialdose report`'s Word and Markdown documents on the example cohort: `report.docx` is
//! opened as the zip it is and its tables read cell by cell from `word/document.xml`; the
//! numbers must equal `analyze`'s CSV files, the charts must be embedded PNG images, small
//! cells must stay hidden under `--min-cell`, and participant ids must appear only with
//! `--show-ids`. `report.md` must hold the same cells. (tests/reference/report_docx.py makes
//! the same checks with python-docx.)

mod util;

use std::io::Read as _;
use std::path::Path;

use util::*;

/// Runs `report` on the example cohort into `rep/` of a temporary folder.
fn report(extra: &[&str]) -> tempfile::TempDir {
    report_example(extra)
}

/// A Word document as read back: every entry of its zip, by name.
struct Word {
    entries: Vec<(String, Vec<u8>)>,
}

impl Word {
    fn open(path: &Path) -> Word {
        let file = std::fs::File::open(path).unwrap();
        let mut zip = zip::ZipArchive::new(file).expect("report.docx is a zip");
        let mut entries = Vec::new();
        for i in 0..zip.len() {
            let mut e = zip.by_index(i).unwrap();
            let mut bytes = Vec::new();
            e.read_to_end(&mut bytes).unwrap();
            entries.push((e.name().to_owned(), bytes));
        }
        Word { entries }
    }

    fn xml(&self) -> String {
        let (_, bytes) = self
            .entries
            .iter()
            .find(|(n, _)| n == "word/document.xml")
            .expect("word/document.xml");
        String::from_utf8(bytes.clone()).expect("UTF-8 XML")
    }

    fn media(&self) -> Vec<&(String, Vec<u8>)> {
        self.entries
            .iter()
            .filter(|(n, _)| n.starts_with("word/media/") && !n.ends_with('/'))
            .collect()
    }
}

/// The text of every `<w:t>` run inside `xml`, joined, with XML's entities undone.
fn text_of(xml: &str) -> String {
    let mut out = String::new();
    let mut rest = xml;
    while let Some(start) = rest.find("<w:t") {
        let after = &rest[start + 4..];
        // `<w:t>` or `<w:t xml:space="preserve">`, not `<w:tbl>`, `<w:tc>`, `<w:tr>`.
        if !(after.starts_with('>') || after.starts_with(' ')) {
            rest = after;
            continue;
        }
        let open_end = after.find('>').unwrap();
        let body = &after[open_end + 1..];
        let close = body.find("</w:t>").unwrap();
        out.push_str(&body[..close]);
        rest = &body[close..];
    }
    out.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// `xml` cut into the parts between `<TAG>`/`<TAG ...>` and `</TAG>`.
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        if !(after.starts_with('>') || after.starts_with(' ')) {
            rest = after;
            continue;
        }
        let end = after.find(&close).unwrap();
        out.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    out
}

/// Every table: its caption (the paragraph before it) and its rows of cell texts.
fn tables(xml: &str) -> Vec<(String, Vec<Vec<String>>)> {
    let body = &xml[xml.find("<w:body>").unwrap()..];
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("<w:tbl>") {
        let before = &rest[..start];
        let caption = before
            .rfind("<w:p ")
            .or_else(|| before.rfind("<w:p>"))
            .map(|p| text_of(&before[p..]))
            .unwrap_or_default();
        let end = rest[start..].find("</w:tbl>").unwrap() + start;
        let table = &rest[start..end];
        let rows = elements(table, "w:tr")
            .into_iter()
            .map(|r| elements(r, "w:tc").into_iter().map(text_of).collect())
            .collect();
        out.push((caption, rows));
        rest = &rest[end..];
    }
    out
}

fn table<'a>(all: &'a [(String, Vec<Vec<String>>)], caption: &str) -> &'a [Vec<String>] {
    &all.iter()
        .find(|(c, _)| c.contains(caption))
        .unwrap_or_else(|| panic!("no table captioned {caption:?}"))
        .1
}

/// Does `text` hold `number` as a whole number (not the end of 12/38 or 57.9%)?
fn has_number(text: &str, number: &str) -> bool {
    text.match_indices(number).any(|(i, _)| {
        !text[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_digit() || c == '.')
    })
}

fn analyze(out: &Path) {
    let cohort = dream_like().unwrap();
    let run = trialdose([
        "analyze",
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{run}");
}

#[test]
fn word_tables_hold_the_numbers_of_analyze() {
    let tmp = report(&[]);
    let word = Word::open(&tmp.path().join("rep/report.docx"));
    let all = tables(&word.xml());
    let a = tmp.path().join("a");
    analyze(&a);
    let arms = Table::read(&a.join("arms.csv"));
    let md = std::fs::read_to_string(tmp.path().join("rep/report.md")).unwrap();
    for (o, caption) in [
        ("pain", "Table 2: Pain responders"),
        ("ndi", "Table 3: NDI responders"),
    ] {
        let rows = table(&all, caption);
        assert_eq!(
            rows.len(),
            arms.rows.len() + 1,
            "{caption}: header and one row per arm"
        );
        for row in &arms.rows {
            let cells = rows
                .iter()
                .find(|r| r[0] == row["arm"])
                .unwrap_or_else(|| panic!("{caption}: no row for {}", row["arm"]));
            let x = &row[&format!("{o}_responders")];
            let n = &row[&format!("{o}_n")];
            let rate = 100.0 * num(row, &format!("{o}_rate"));
            let low = 100.0 * num(row, &format!("{o}_rate_low"));
            let high = 100.0 * num(row, &format!("{o}_rate_high"));
            let want = format!("{x}/{n} ({rate:.1}% [{low:.1} to {high:.1}])");
            assert_eq!(cells[1], want, "{caption} {}", row["arm"]);
            // The Markdown file has the same cell (its brackets escaped).
            let md_cell = want.replace('[', "\\[").replace(']', "\\]");
            assert!(
                md.contains(&format!("| {md_cell} |")),
                "report.md: {md_cell}"
            );
        }
        let comparisons = Table::read(&a.join("comparisons.csv"));
        for row in comparisons.rows.iter().filter(|r| r["outcome"] == o) {
            let cells = rows.iter().find(|r| r[0] == row["arm"]).unwrap();
            let rd = format!(
                "{:+.1} [{:+.1} to {:+.1}]",
                100.0 * num(row, "risk_difference"),
                100.0 * num(row, "rd_low"),
                100.0 * num(row, "rd_high")
            );
            let rr = format!(
                "{:.2} [{:.2} to {:.2}]",
                num(row, "risk_ratio"),
                num(row, "rr_low"),
                num(row, "rr_high")
            );
            assert_eq!(cells[2], rd, "{caption} {}", row["arm"]);
            assert_eq!(cells[3], rr, "{caption} {}", row["arm"]);
        }
    }
    // Table 1's n and the safety table's counts are analyze's.
    let one = table(&all, "Table 1: Baseline characteristics");
    let safety = table(&all, "adverse event by arm");
    for (i, row) in arms.rows.iter().enumerate() {
        assert_eq!(one[0][i + 1], row["arm"]);
        assert_eq!(
            one[1][i + 1],
            row["randomized"],
            "Table 1 n of {}",
            row["arm"]
        );
        let s = safety.iter().find(|r| r[0] == row["arm"]).unwrap();
        let events = &row["adverse_event_participants"];
        assert!(
            s[2] == *events || s[2].starts_with(&format!("{events} (")),
            "safety {}: {} against {events}",
            row["arm"],
            s[2]
        );
    }
    // Every numbered table is captioned in order, Table 1 to Table N.
    let numbered: Vec<&String> = all
        .iter()
        .map(|(c, _)| c)
        .filter(|c| c.starts_with("Table "))
        .collect();
    for (i, c) in numbered.iter().enumerate() {
        assert!(c.starts_with(&format!("Table {}: ", i + 1)), "{c}");
    }
    assert!(numbered.len() >= 7, "{numbered:?}");
}

#[test]
fn charts_are_embedded_png_images_and_markdown_points_at_them() {
    let tmp = report(&[]);
    let word = Word::open(&tmp.path().join("rep/report.docx"));
    let xml = word.xml();
    let media = word.media();
    let figures = text_of(&xml).matches("Figure ").count();
    assert!(media.len() >= 6, "{} images", media.len());
    assert_eq!(media.len(), figures, "one image per figure caption");
    for (name, bytes) in media {
        assert!(name.ends_with(".png"), "{name}");
        assert!(
            bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
            "{name} is not a PNG"
        );
    }
    assert_eq!(
        xml.matches("<pic:pic").count(),
        figures,
        "each drawn inline"
    );
    // Sections after the first start on a new page.
    assert!(xml.matches("<w:pageBreakBefore").count() >= 8);
    let md = std::fs::read_to_string(tmp.path().join("rep/report.md")).unwrap();
    let links: Vec<&str> = md.lines().filter(|l| l.starts_with("![Figure ")).collect();
    assert_eq!(links.len(), figures);
    for l in links {
        let path = &l[l.rfind("](").unwrap() + 2..l.len() - 1];
        assert!(path.ends_with(".png"), "{l}");
        assert!(
            tmp.path().join("rep").join(path).is_file(),
            "{path} missing"
        );
    }
}

#[test]
fn no_small_count_in_any_table_or_paragraph_under_min_cell() {
    let tmp = report(&["--min-cell", "5"]);
    let word = Word::open(&tmp.path().join("rep/report.docx"));
    let xml = word.xml();
    let text = text_of(&xml);
    let md = std::fs::read_to_string(tmp.path().join("rep/report.md")).unwrap();
    // NDI control 4/38, 30x3 NDI 2/38, 30x2 NDI 3/38 (tests/report.rs): none of them, nor
    // their rates, appears; the suppressed cells say [c].
    for leak in ["4/38", "2/38", "3/38", "10.5%", "5.3%", "7.9%"] {
        assert!(!has_number(&text, leak), "{leak} in report.docx");
        assert!(!has_number(&md, leak), "{leak} in report.md");
    }
    assert!(text.contains("[c] of 38"));
    assert!(md.contains("\\[c\\] of 38"));
    // Every count of the decisions and safety tables is 0, at least 5, or [c].
    let all = tables(&xml);
    for caption in ["Checkpoint decisions", "adverse event by arm"] {
        for row in &table(&all, caption)[1..] {
            for cell in &row[1..] {
                let count = cell.split(" (").next().unwrap();
                let ok = count == "[c]" || count.parse::<u64>().is_ok_and(|v| v == 0 || v >= 5);
                assert!(ok, "{caption} {}: {cell}", row[0]);
            }
        }
    }
    // The individual charts are left out: fewer images than without suppression.
    assert!(word.media().len() < 8);
}

#[test]
fn participant_ids_only_with_show_ids() {
    let cohort = dream_like().unwrap();
    let ids: Vec<String> = Table::read(&cohort.join("participants.csv"))
        .rows
        .iter()
        .map(|r| r["participant_id"].clone())
        .collect();
    let plain = report(&[]);
    let text = text_of(&Word::open(&plain.path().join("rep/report.docx")).xml());
    let md = std::fs::read_to_string(plain.path().join("rep/report.md")).unwrap();
    for id in &ids {
        assert!(
            !text.contains(id.as_str()) && !md.contains(id.as_str()),
            "{id} shown"
        );
    }
    let shown = report(&["--show-ids"]);
    let xml = Word::open(&shown.path().join("rep/report.docx")).xml();
    let listed = table(&tables(&xml), "Participants needing attention").len() - 1;
    assert!(listed >= 7, "{listed} participants listed");
}

#[test]
fn documents_chooses_fewer_and_the_bytes_repeat() {
    let tmp = report(&[]);
    let out = tmp.path().join("rep");
    let first = std::fs::read(out.join("report.docx")).unwrap();
    let cohort = dream_like().unwrap();
    let run = trialdose([
        "report",
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--documents",
        "md,docx",
        "--format",
        "svg",
    ]);
    assert_eq!(run.code, 0, "{run}");
    assert!(
        !out.join("report.html").exists(),
        "an earlier report.html is removed"
    );
    assert_eq!(
        std::fs::read(out.join("report.docx")).unwrap(),
        first,
        "same bytes"
    );
    let md = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        md.contains("](charts/rates.svg)"),
        "SVG charts only: Markdown points at them"
    );
    assert!(run.stdout.contains("report.md") && !run.stdout.contains("report.html"));
    let bad = trialdose([
        "report",
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--documents",
        "pdf",
    ]);
    assert_eq!(bad.code, 2, "{bad}");
}

#[test]
fn hostile_title_stays_text() {
    let tmp = report(&["--title", "A <b>&amp; \u{1b}[31m | *x* </w:t>"]);
    let xml = Word::open(&tmp.path().join("rep/report.docx")).xml();
    assert!(
        !xml.contains('\u{1b}'),
        "a control character reached the XML"
    );
    assert!(text_of(&xml).contains("A <b>&amp; \u{fffd}[31m | *x* </w:t>"));
    let md = std::fs::read_to_string(tmp.path().join("rep/report.md")).unwrap();
    assert!(
        md.starts_with("# A \\<b\\>\\&amp; \u{fffd}\\[31m \\| \\*x\\* \\</w:t\\>\n"),
        "{md}"
    );
}
