//! A [`Document`] as one self-contained HTML page: CSS inline, charts as inline SVG, nothing
//! fetched (no script, font or image URL). Input data is escaped ([`escape`]); trialdose's own
//! words have `&`, `<` and `>` escaped; the numbers (`Table N`) are left to the section
//! headings and captions, as the pages printed them before the document model existed.
//! Printable: the print stylesheet keeps tables and figures whole and starts each section on a
//! new page.

use std::fmt::Write as _;

use super::{Block, Cell, CellKind, Document, Figure, Section, Span, Table, Text};

/// Escapes text for HTML. Control characters other than tab, line feed and carriage return
/// (an escape sequence in a `--title` or an id, say), which HTML and XML forbid, become the
/// replacement character U+FFFD, so the page stays well formed and shows that something was
/// there.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// trialdose's own words: only what could start markup is escaped.
fn prose(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
}

/// The stylesheet of every page (the report's and the audit's).
pub const CSS: &str = "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}\
h1{font-size:1.7em}h2{border-bottom:2px solid #0072B2;padding-bottom:.2em;margin-top:2em}\
table{border-collapse:collapse;margin:1em 0;font-size:.92em}th,td{border:1px solid #bbb;padding:.3em .6em;text-align:right}\
th:first-child,td:first-child{text-align:left}thead th{background:#eef4fa}caption{text-align:left;font-weight:bold;margin-bottom:.4em}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}figcaption{font-size:.9em;color:#444}\
.note{font-size:.9em;color:#444}.list td,.list th,td.t{text-align:left}code{font-size:.95em}\
@media print{body{max-width:none;margin:0}section{page-break-before:always}section:first-of-type{page-break-before:avoid}table,figure{page-break-inside:avoid}h2{border-color:#000}}";

/// The page: `<!DOCTYPE html>` to `</html>`, with [`CSS`] inline.
#[must_use]
pub fn page(doc: &Document) -> String {
    let mut s = String::new();
    let title = escape(&doc.title);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title><style>{CSS}</style></head><body>\n<h1>{title}</h1>\n"
    );
    for section in &doc.sections {
        self::section(&mut s, section);
    }
    s.push_str("</body></html>\n");
    s
}

/// One `<section>`, ending with a line break.
fn section(s: &mut String, section: &Section) {
    let _ = write!(s, "<section id=\"{}\"><h2>", section.id);
    prose(s, &section.heading);
    s.push_str("</h2>");
    for block in &section.blocks {
        self::block(s, block);
    }
    s.push_str("</section>\n");
}

fn block(s: &mut String, block: &Block) {
    match block {
        Block::Paragraph(t) => {
            s.push_str("<p>");
            text(s, t);
            s.push_str("</p>");
        }
        Block::Note(t) => {
            s.push_str("<p class=\"note\">");
            text(s, t);
            s.push_str("</p>");
        }
        Block::List(items) => {
            s.push_str("<ul>");
            for item in items {
                s.push_str("<li>");
                text(s, item);
                s.push_str("</li>");
            }
            s.push_str("</ul>");
        }
        Block::Table(t) => table(s, t),
        Block::Figure(f) => figure(s, f),
    }
}

/// Inline text.
fn text(s: &mut String, t: &Text) {
    for span in &t.0 {
        match span {
            Span::Prose(p) => prose(s, p),
            Span::Data(d) => s.push_str(&escape(d)),
            Span::Code(c) => {
                let _ = write!(s, "<code>{}</code>", escape(c));
            }
        }
    }
}

/// A `<table>` with its caption (when the page prints it), header and rows. A table of running
/// text only (a list of participants and what to do) is a `list`: left-aligned throughout,
/// headings included.
fn table(s: &mut String, t: &Table) {
    let list = !t.rows.is_empty() && t.rows.iter().flatten().all(|c| c.kind == CellKind::Words);
    s.push_str(if list {
        "<table class=\"list\">"
    } else {
        "<table>"
    });
    if t.caption_in_html {
        let _ = write!(s, "<caption>{}</caption>", escape(&t.caption));
    }
    s.push_str("<thead><tr>");
    for h in &t.header {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr></thead><tbody>");
    for row in &t.rows {
        s.push_str("<tr>");
        for c in row {
            cell(s, c, list);
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table>");
}

/// A `<td>`; running text is left-aligned (by its table, in a `list`).
fn cell(s: &mut String, c: &Cell, list: bool) {
    s.push_str("<td");
    if c.span > 1 {
        let _ = write!(s, " colspan=\"{}\"", c.span);
    }
    if c.kind == CellKind::Words && !list {
        s.push_str(" class=\"t\"");
    }
    s.push('>');
    if c.strong {
        s.push_str("<strong>");
    }
    if c.kind == CellKind::Code {
        let _ = write!(s, "<code>{}</code>", escape(&c.text));
    } else {
        s.push_str(&escape(&c.text));
    }
    if c.strong {
        s.push_str("</strong>");
    }
    s.push_str("</td>");
}

/// A `<figure>`: the chart's SVG inline, its caption below.
fn figure(s: &mut String, f: &Figure) {
    // The SVG document's XML prolog, if any, is not allowed inside HTML.
    let body = f.svg.trim_start_matches(|c| c != '<');
    let body = if body.starts_with("<?xml") {
        body.split_once("?>").map_or(body, |(_, rest)| rest)
    } else {
        body
    };
    // Inline SVG in HTML needs no namespace declaration: leave out the only URL it holds.
    let body = body
        .replace(" xmlns=\"http://www.w3.org/2000/svg\"", "")
        .replace(" xmlns:xlink=\"http://www.w3.org/1999/xlink\"", "");
    let _ = write!(
        s,
        "<figure>{body}<figcaption>{}</figcaption></figure>",
        escape(&f.caption)
    );
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escape_makes_markup_and_control_characters_harmless() {
        assert_eq!(
            escape("<b>\"a&b'</b>\t\n"),
            "&lt;b&gt;&quot;a&amp;b&#39;&lt;/b&gt;\t\n"
        );
        assert_eq!(
            escape("\u{1b}[31mred\u{7f}\u{85}"),
            "\u{fffd}[31mred\u{fffd}\u{fffd}"
        );
    }
}
