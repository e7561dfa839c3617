//! The Word and Markdown documents of `trialdose report` and `trialdose audit` on the example
//! cohort: `report.docx` and `audit.docx` are opened as the zips they are and their tables read
//! cell by cell from `word/document.xml`; the numbers must equal the CSV files (`analyze`'s
//! for the report, the audit's own `units.csv` and `safety.csv`), the charts must be embedded
//! PNG images drawn at print resolution (300 dpi at the size Word sets them), small cells must
//! stay hidden under `--min-cell` in every table and paragraph of every format, and participant
//! ids must appear only with `--show-ids`. The Markdown and HTML documents must hold the same
//! cells. (tests/reference/report_docx.py and audit_docx.py make the same checks with
//! python-docx.)

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

    fn entry(&self, name: &str) -> &[u8] {
        &self
            .entries
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("no {name} in the document"))
            .1
    }
}

/// EMU (the unit of a drawing's extent in Office Open XML) in an inch.
const EMU_PER_INCH: f64 = 914_400.0;
/// The resolution the charts are drawn at for the Word documents.
const PRINT_DPI: f64 = 300.0;
/// How far a chart's resolution may be from [`PRINT_DPI`]: the width in EMU is whole, so the
/// resolution is exact to about 1e-6; half a dot per inch allows for rounding a pixel.
const DPI_TOLERANCE: f64 = 0.5;

/// A PNG's width and height in pixels (its IHDR chunk) and its pHYs resolution in pixels per
/// metre, if it has one.
fn png_size(bytes: &[u8]) -> ((u32, u32), Option<u32>) {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let be = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    assert_eq!(&bytes[12..16], b"IHDR");
    let size = (be(16), be(20));
    // Chunks follow IHDR: length, type, data, CRC.
    let mut at = 8;
    while at + 8 <= bytes.len() {
        let (len, kind) = (be(at) as usize, &bytes[at + 4..at + 8]);
        if kind == b"pHYs" {
            return (size, Some(be(at + 8)));
        }
        if kind == b"IDAT" {
            break;
        }
        at += 12 + len;
    }
    (size, None)
}

/// Every image of `word` is drawn at print resolution: its pixels over the width Word sets it
/// at (its extent) make 300 dpi, the extent keeps the image's proportions, and the PNG records
/// 300 dpi (11,811 pixels a metre). Returns the images' pixel sizes, in order.
fn assert_print_resolution(word: &Word) -> Vec<(u32, u32)> {
    let xml = word.xml();
    let extents: Vec<(f64, f64)> = elements(&xml, "wp:inline")
        .into_iter()
        .map(|inline| {
            let tag = &inline[inline.find("<wp:extent ").expect("an extent")..];
            let attr = |name: &str| -> f64 {
                let at = tag.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
                tag[at..at + tag[at..].find('"').unwrap()].parse().unwrap()
            };
            (attr("cx"), attr("cy"))
        })
        .collect();
    assert!(!extents.is_empty(), "no image set inline");
    let mut sizes = Vec::new();
    for (i, (cx, cy)) in extents.iter().enumerate() {
        // docx-rs names each image after its relationship, rIdImageN, in document order.
        let bytes = word.entry(&format!("word/media/rIdImage{}.png", i + 1));
        let ((w, h), per_metre) = png_size(bytes);
        let dpi = f64::from(w) / (cx / EMU_PER_INCH);
        assert!(
            (dpi - PRINT_DPI).abs() <= DPI_TOLERANCE,
            "image {}: {w} pixels over {cx} EMU is {dpi} dpi",
            i + 1
        );
        let vertical = f64::from(h) / (cy / EMU_PER_INCH);
        assert!(
            (vertical - PRINT_DPI).abs() <= DPI_TOLERANCE,
            "image {}: {h} pixels over {cy} EMU is {vertical} dpi",
            i + 1
        );
        assert!(w >= 1880, "image {}: {w} pixels wide", i + 1);
        assert_eq!(per_metre, Some(11_811), "image {}: pHYs", i + 1);
        sizes.push((w, h));
    }
    sizes
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

/// The row of `rows` whose first cell is `key`.
fn row_of<'a>(rows: &'a [Vec<String>], key: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r[0] == key)
        .unwrap_or_else(|| panic!("no row for {key}"))
}

fn table<'a>(all: &'a [(String, Vec<Vec<String>>)], caption: &str) -> &'a [Vec<String>] {
    &all.iter()
        .find(|(c, _)| c.contains(caption))
        .unwrap_or_else(|| panic!("no table captioned {caption:?}"))
        .1
}

/// Does `text` hold `number` as a whole number (not the end of 12/38 or 57.9%, nor the start
/// of 2/50 or 4.5)?
fn has_number(text: &str, number: &str) -> bool {
    let digit = |c: char| c.is_ascii_digit();
    text.match_indices(number).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let rest = &text[i + number.len()..];
        let continues =
            rest.starts_with(digit) || (rest.starts_with('.') && rest[1..].starts_with(digit));
        !before.is_some_and(|c| digit(c) || c == '.') && !continues
    })
}

/// A cell of a Markdown pipe table as `report.md` and `audit.md` print it.
fn md_cell(text: &str) -> String {
    format!("| {} |", text.replace('[', "\\[").replace(']', "\\]"))
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
            let cells = row_of(rows, &row["arm"]);
            let x = &row[&format!("{o}_responders")];
            let n = &row[&format!("{o}_n")];
            let rate = 100.0 * num(row, &format!("{o}_rate"));
            let low = 100.0 * num(row, &format!("{o}_rate_low"));
            let high = 100.0 * num(row, &format!("{o}_rate_high"));
            let want = format!("{x}/{n} ({rate:.1}% [{low:.1} to {high:.1}])");
            assert_eq!(cells[1], want, "{caption} {}", row["arm"]);
            // The Markdown file has the same cell (its brackets escaped).
            assert!(md.contains(&md_cell(&want)), "report.md: {want}");
        }
        let comparisons = Table::read(&a.join("comparisons.csv"));
        for row in comparisons.rows.iter().filter(|r| r["outcome"] == o) {
            let cells = row_of(rows, &row["arm"]);
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
        let s = row_of(safety, &row["arm"]);
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
    // Drawn for print; the chart files beside the report keep their screen size.
    let sizes = assert_print_resolution(&word);
    let ((rates, _), _) =
        png_size(&std::fs::read(tmp.path().join("rep/charts/rates.png")).unwrap());
    assert_eq!(sizes[0].0, 1880, "the rates chart for print");
    assert_eq!(rates, 1200, "charts/rates.png at its own size");
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

/// The participant ids of the example cohort.
fn participant_ids() -> Vec<String> {
    let cohort = dream_like().unwrap();
    Table::read(&cohort.join("participants.csv"))
        .column("participant_id")
        .into_iter()
        .map(str::to_owned)
        .collect()
}

#[test]
fn participant_ids_only_with_show_ids() {
    let ids = participant_ids();
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

/// After a run with every document, `COMMAND --documents md,docx --format svg` into the same
/// folder: the earlier `STEM.html` is removed, `STEM.docx` keeps its bytes (it embeds the
/// charts drawn for print, whatever `--format` says), `STEM.md` points at the SVG charts
/// (`svg_link`); then `--documents html` writes the page alone, and an unknown document is a
/// usage error. Returns the `md,docx` run.
fn documents_choose_fewer(command: &str, stem: &str, svg_link: &str) -> Run {
    let tmp = example_into(command, "out", &[]);
    let out = tmp.path().join("out");
    let file = |ext: &str| out.join(format!("{stem}.{ext}"));
    let first = std::fs::read(file("docx")).unwrap();
    let cohort = dream_like().unwrap();
    let again = |documents: &str, extra: &[&str]| {
        let mut args = vec!["--documents", documents];
        args.extend_from_slice(extra);
        run_ok(command, &cohort, &out, &args)
    };
    let run = again("md,docx", &["--format", "svg"]);
    assert!(!file("html").exists(), "an earlier {stem}.html is removed");
    assert_eq!(std::fs::read(file("docx")).unwrap(), first, "same bytes");
    let md = std::fs::read_to_string(file("md")).unwrap();
    assert!(
        md.contains(svg_link),
        "SVG charts only: {stem}.md points at them"
    );
    again("html", &[]);
    assert!(file("html").is_file() && !file("md").exists() && !file("docx").exists());
    let bad = trialdose([
        command,
        cohort.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--documents",
        "html,pdf",
    ]);
    assert_eq!(bad.code, 2, "{bad}");
    run
}

#[test]
fn documents_chooses_fewer_and_the_bytes_repeat() {
    let run = documents_choose_fewer("report", "report", "](charts/rates.svg)");
    assert!(run.stdout.contains("report.md") && !run.stdout.contains("report.html"));
}

#[test]
fn audit_documents_chooses_fewer_and_the_bytes_repeat() {
    documents_choose_fewer("audit", "audit", "](funnel.svg)");
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

/// Runs `audit` on the example cohort into `aud/` of a new temporary folder, with `extra`
/// arguments; the run must succeed.
fn audit(extra: &[&str]) -> tempfile::TempDir {
    example_into("audit", "aud", extra)
}

/// The audit's three documents in `dir`: the Word document's text, its tables, the Markdown
/// and the HTML page's text.
struct AuditDocuments {
    word: Word,
    text: String,
    tables: Vec<(String, Vec<Vec<String>>)>,
    md: String,
    html: String,
}

impl AuditDocuments {
    fn read(dir: &Path) -> AuditDocuments {
        let word = Word::open(&dir.join("audit.docx"));
        let xml = word.xml();
        AuditDocuments {
            text: text_of(&xml),
            tables: tables(&xml),
            word,
            md: std::fs::read_to_string(dir.join("audit.md")).unwrap(),
            html: html_text(&std::fs::read_to_string(dir.join("audit.html")).unwrap()),
        }
    }

    /// Does any of the three hold `number` as a whole number? (The Markdown's brackets are
    /// escaped; numbers and `/` are not.)
    fn any_has(&self, number: &str) -> bool {
        [&self.text, &self.md, &self.html]
            .iter()
            .any(|t| has_number(t, number))
    }
}

/// `x/n (rate% [low to high])` as the documents print a rate from the CSV columns.
fn rate_cell(row: &Row, x: &str, n: &str, rate: &str, low: &str, high: &str) -> String {
    format!(
        "{}/{} ({:.1}% [{:.1} to {:.1}])",
        row[x],
        row[n],
        100.0 * num(row, rate),
        100.0 * num(row, low),
        100.0 * num(row, high)
    )
}

#[test]
fn audit_documents_hold_the_numbers_of_units_csv_and_safety_csv() {
    let tmp = audit(&[]);
    let dir = tmp.path().join("aud");
    let docs = AuditDocuments::read(&dir);
    let units = Table::read(&dir.join("units.csv"));
    let rows = table(&docs.tables, "Table 1: Responder rates by site");
    assert_eq!(
        rows.len(),
        units.rows.len() + 1,
        "header and one row per unit"
    );
    for u in &units.rows {
        let cells = row_of(rows, &u["unit"]);
        let rate = rate_cell(u, "responders", "n", "rate", "rate_low", "rate_high");
        assert_eq!(cells[1], u["patients"], "{} patients", u["unit"]);
        assert_eq!(cells[3], rate, "{} rate", u["unit"]);
        assert_eq!(
            cells[4],
            format!("{:.1}%", 100.0 * num(u, "expected_rate")),
            "{} expected",
            u["unit"]
        );
        assert_eq!(cells[6], format!("{:+.2}", num(u, "z")), "{} z", u["unit"]);
        assert!(cells[7].starts_with(&u["verdict"]), "{} verdict", u["unit"]);
        // The same cells in the Markdown table and on the page.
        assert!(docs.md.contains(&md_cell(&rate)), "audit.md: {rate}");
        assert!(docs.html.contains(&rate), "audit.html: {rate}");
    }
    let safety = Table::read(&dir.join("safety.csv"));
    let rows = table(&docs.tables, "adverse event by site");
    assert_eq!(rows.len(), safety.rows.len() + 1);
    for s in &safety.rows {
        let cells = row_of(rows, &s["unit"]);
        assert_eq!(cells[1], s["treated"], "{} treated", s["unit"]);
        let events = rate_cell(
            s,
            "with_adverse_event",
            "treated",
            "share",
            "share_low",
            "share_high",
        );
        assert_eq!(cells[2], events, "{} events", s["unit"]);
        assert!(docs.md.contains(&md_cell(&events)), "audit.md: {events}");
    }
    // Every numbered table is captioned in order, in Word and in Markdown.
    let numbered: Vec<&String> = docs
        .tables
        .iter()
        .map(|(c, _)| c)
        .filter(|c| c.starts_with("Table "))
        .collect();
    assert_eq!(numbered.len(), 4, "{numbered:?}");
    for (i, c) in numbered.iter().enumerate() {
        assert!(c.starts_with(&format!("Table {}: ", i + 1)), "{c}");
        assert!(docs.md.contains(&format!("\n: {c}\n")), "audit.md: {c}");
    }
    // Sections after the first start on a new page.
    assert!(docs.word.xml().matches("<w:pageBreakBefore").count() >= 7);
}

#[test]
fn audit_charts_are_embedded_at_print_resolution_and_markdown_points_at_them() {
    let tmp = audit(&["--over-time", "month"]);
    let dir = tmp.path().join("aud");
    let docs = AuditDocuments::read(&dir);
    let captions = docs.word.xml().matches("Figure ").count();
    // The funnel, the run chart and the four sites' CUSUM charts.
    assert_eq!(captions, 6);
    assert_eq!(docs.word.media().len(), captions, "one image per figure");
    let sizes = assert_print_resolution(&docs.word);
    let ((funnel, _), dpi) = png_size(&std::fs::read(dir.join("funnel.png")).unwrap());
    assert_eq!(
        (funnel, dpi),
        (900, None),
        "funnel.png at its own size, as before"
    );
    assert_eq!(
        sizes[0],
        (1880, 1253),
        "the funnel for print: 900 x 600 times 1880/900"
    );
    let links: Vec<&str> = docs
        .md
        .lines()
        .filter(|l| l.starts_with("![Figure "))
        .collect();
    assert_eq!(links.len(), captions);
    assert!(links[0].ends_with("](funnel.png)"), "{}", links[0]);
    for l in links {
        let path = &l[l.rfind("](").unwrap() + 2..l.len() - 1];
        assert!(dir.join(path).is_file(), "{path} missing");
    }
    assert!(docs.html.contains("Site D: CUSUM with its threshold"));
}

#[test]
fn audit_hides_small_counts_in_every_table_and_paragraph_of_every_format() {
    let truth = audit(&["--by", "therapist"]);
    let tmp = audit(&["--by", "therapist", "--min-cell", "5"]);
    let dir = tmp.path().join("aud");
    let docs = AuditDocuments::read(&dir);
    let full = Table::read(&truth.path().join("aud/units.csv"));
    let shown = Table::read(&dir.join("units.csv"));
    let mut hidden = 0;
    for (t, s) in full.rows.iter().zip(&shown.rows) {
        let (x, n) = (&t["responders"], &t["n"]);
        if s["responders"].is_empty() {
            hidden += 1;
            for leak in [format!("{x}/{n}"), format!("{x} of {n}")] {
                assert!(!docs.any_has(&leak), "{}: {leak} shown", t["unit"]);
            }
        }
        if s["adherent_share"].is_empty() {
            let share = format!("{:.0}%", 100.0 * num(t, "adherent_share"));
            let row = row_of(
                table(&docs.tables, "Responder rates by therapist"),
                &t["unit"],
            );
            assert_eq!(row[2], "[c]", "{}: adherent {share} shown", t["unit"]);
        }
    }
    assert!(
        hidden >= 5,
        "the premise: units with hidden responders ({hidden})"
    );
    let full = Table::read(&truth.path().join("aud/safety.csv"));
    let shown = Table::read(&dir.join("safety.csv"));
    for (t, s) in full.rows.iter().zip(&shown.rows) {
        if s["with_adverse_event"].is_empty() {
            let (e, n) = (&t["with_adverse_event"], &t["treated"]);
            for leak in [format!("{e}/{n}"), format!("{e} of {n}")] {
                assert!(!docs.any_has(&leak), "{}: {leak} shown", t["unit"]);
            }
        }
    }
    // Every count in every table is 0, at least 5, or [c].
    let small = |text: &str| {
        let count = text.split(" (").next().unwrap();
        count
            .split(['/', ' '])
            .filter(|p| *p != "of")
            .any(|p| p != "[c]" && p != "-" && p.parse::<u64>().is_ok_and(|v| (1..5).contains(&v)))
    };
    for (caption, columns) in [
        ("Responder rates by therapist", &[1usize, 3][..]),
        ("adverse event by therapist", &[1, 2]),
        ("Checkpoint status", &[1]),
        ("Safety flags", &[1]),
    ] {
        for row in &table(&docs.tables, caption)[1..] {
            for &c in columns {
                assert!(!small(&row[c]), "{caption} {}: {}", row[0], row[c]);
            }
        }
    }
    // The paragraphs' counts too: treated and control participants in the settings.
    for text in [&docs.text, &docs.md, &docs.html] {
        let settings = &text[text.find("Settings: units by").unwrap()..];
        let sentence = &settings[..settings.find("left out").unwrap()];
        for part in sentence.split("; ") {
            let count = part.rsplit(". ").next().unwrap().split(' ').next().unwrap();
            assert!(!small(count), "settings: {part}");
        }
    }
    for (what, text) in [("docx", &docs.text), ("md", &docs.md), ("html", &docs.html)] {
        assert!(
            text.contains("[c] of") || text.contains("\\[c\\] of"),
            "{what}: suppressed cells are marked"
        );
    }
}

#[test]
fn audit_lists_participant_ids_only_with_show_ids() {
    let ids = participant_ids();
    let plain = audit(&[]);
    let docs = AuditDocuments::read(&plain.path().join("aud"));
    for id in &ids {
        assert!(!docs.any_has(id), "{id} shown without --show-ids");
    }
    let shown = audit(&["--show-ids"]);
    let docs = AuditDocuments::read(&shown.path().join("aud"));
    let listed = &table(&docs.tables, "Participants needing attention")[1..];
    assert!(listed.len() >= 7, "{} participants listed", listed.len());
    for row in listed {
        assert!(ids.contains(&row[0]), "{} is a participant id", row[0]);
        assert!(docs.md.contains(&row[0]) && docs.html.contains(&row[0]));
    }
}
