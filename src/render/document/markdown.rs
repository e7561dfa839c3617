//! A [`Document`] as Markdown for Quarto or pandoc: `#` headings, pipe tables with their
//! numbered caption after them (`: Table N: caption`, pandoc's table-caption syntax), figures
//! as `![Figure N: caption](charts/NAME.png)` pointing at the chart files written beside the
//! document, notes in italics, strong cells in bold. Input data is escaped so it cannot
//! become markup; a cell that spans columns is printed in its first column and the others are
//! left empty (pipe tables have no spans).

use std::fmt::Write as _;

use super::{Block, CellKind, Document, Figure, Span, Table, Text};

/// Backslash-escapes every character Markdown (CommonMark, pandoc) could read as markup, and
/// turns line breaks and control characters into spaces and U+FFFD.
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | '`' | '*' | '_' | '{' | '}' | '[' | ']' | '<' | '>' | '#' | '|' | '!' | '$'
            | '~' | '^' | '@' | '&' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// Code in backticks: a run of backticks longer than any inside it, so nothing ends it early.
fn code(text: &str) -> String {
    let clean: String = text
        .chars()
        .map(|c| if c.is_control() { '\u{fffd}' } else { c })
        .collect();
    let longest = clean.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    // A space inside the fence only where the code starts or ends with a backtick (CommonMark
    // strips one on each side).
    if clean.starts_with('`') || clean.ends_with('`') {
        format!("{fence} {clean} {fence}")
    } else {
        format!("{fence}{clean}{fence}")
    }
}

/// The document. `chart_ext` is the chart files' extension the figures point at (`png`
/// when PNG files are written, else `svg`).
#[must_use]
pub fn document(doc: &Document, chart_ext: &str) -> String {
    let mut s = format!("# {}\n", escape(&doc.title));
    for section in &doc.sections {
        let _ = write!(s, "\n## {}\n", escape(&section.heading));
        for block in &section.blocks {
            s.push('\n');
            match block {
                Block::Paragraph(t) => {
                    s.push_str(&text(t));
                    s.push('\n');
                }
                Block::Note(t) => {
                    let _ = writeln!(s, "*{}*", text(t));
                }
                Block::List(items) => {
                    for item in items {
                        let _ = writeln!(s, "- {}", text(item));
                    }
                }
                Block::Table(t) => table(&mut s, t),
                Block::Figure(f) => figure(&mut s, f, chart_ext),
            }
        }
    }
    s
}

fn text(t: &Text) -> String {
    t.0.iter()
        .map(|span| match span {
            Span::Prose(p) | Span::Data(p) => escape(p),
            Span::Code(c) => code(c),
        })
        .collect()
}

fn table(s: &mut String, t: &Table) {
    let cols = t.header.len();
    s.push('|');
    for h in &t.header {
        let _ = write!(s, " {} |", escape(h));
    }
    s.push_str("\n|");
    for i in 0..cols {
        s.push_str(if i == 0 { " :--- |" } else { " ---: |" });
    }
    s.push('\n');
    for row in &t.rows {
        s.push('|');
        let mut used = 0;
        for c in row {
            let shown = if c.kind == CellKind::Code {
                code(&c.text)
            } else {
                escape(&c.text)
            };
            if c.strong {
                let _ = write!(s, " **{shown}** |");
            } else {
                let _ = write!(s, " {shown} |");
            }
            for _ in 1..c.span {
                s.push_str("  |");
            }
            used += c.span;
        }
        for _ in used..cols {
            s.push_str("  |");
        }
        s.push('\n');
    }
    let _ = writeln!(s, "\n: {}", escape(&t.full_caption()));
}

fn figure(s: &mut String, f: &Figure, ext: &str) {
    let _ = writeln!(s, "![{}]({}.{ext})", escape(&f.full_caption()), f.file);
}

#[cfg(test)]
mod tests {
    use super::{code, escape};

    #[test]
    fn markup_in_data_is_escaped() {
        assert_eq!(escape("a|b*c_[x](y)"), "a\\|b\\*c\\_\\[x\\](y)");
        assert_eq!(escape("<script>\n"), "\\<script\\> ");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`a"), "`` `a ``");
    }
}
