//! A document as data, before any format: sections with a heading, paragraphs, notes, lists,
//! tables (a caption, a number, a header and rows of cells already formatted and already
//! suppressed) and figures (a caption, a number and the chart as SVG and PNG).
//!
//! Why: `report` and `audit` are each written as HTML, Word and Markdown, and the three must
//! show the same numbers, the same suppression and the same numbering. Each builds one
//! [`Document`] from its model (where `--min-cell` has already been applied:
//! [`super::report::model`], [`super::audit::model`]) and each renderer ([`html`],
//! [`markdown`], [`docx`]) only lays it out: no renderer computes, rounds or hides anything.
//!
//! Text is kept apart by who wrote it ([`Span`]): trialdose's own words, data from the input
//! (a title, an arm id, a folder name) and code. Each renderer escapes data for its format.

pub mod docx;
pub mod html;
pub mod markdown;

/// A chart as PNG (a figure's image in the Word document).
pub use crate::render::charts::Png;

/// A document: a title and its sections, tables and figures numbered in order.
#[derive(Debug, Clone)]
pub struct Document {
    /// The title (from the input: escaped by each renderer).
    pub title: String,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

impl Document {
    /// A document of `sections`; numbers the tables that take a number ("Table 1", "Table 2",
    /// ...) and every figure ("Figure 1", ...) in reading order.
    #[must_use]
    pub fn new(title: String, mut sections: Vec<Section>) -> Document {
        let (mut tables, mut figures) = (0, 0);
        for block in sections.iter_mut().flat_map(|s| s.blocks.iter_mut()) {
            match block {
                Block::Table(t) if t.numbered => {
                    tables += 1;
                    t.number = Some(tables);
                }
                Block::Figure(f) => {
                    figures += 1;
                    f.number = figures;
                }
                _ => {}
            }
        }
        Document { title, sections }
    }

    /// Every table, in order.
    pub fn tables(&self) -> impl Iterator<Item = &Table> {
        self.blocks().filter_map(|b| match b {
            Block::Table(t) => Some(t),
            _ => None,
        })
    }

    /// Every figure, in order.
    pub fn figures(&self) -> impl Iterator<Item = &Figure> {
        self.blocks().filter_map(|b| match b {
            Block::Figure(f) => Some(f),
            _ => None,
        })
    }

    fn blocks(&self) -> impl Iterator<Item = &Block> {
        self.sections.iter().flat_map(|s| s.blocks.iter())
    }
}

/// A section: an anchor, a heading and its blocks. Each starts a new page when printed.
#[derive(Debug, Clone)]
pub struct Section {
    /// The anchor (`id` in HTML).
    pub id: &'static str,
    /// The heading (trialdose's words).
    pub heading: String,
    /// What the section holds, in order.
    pub blocks: Vec<Block>,
}

impl Section {
    /// An empty section.
    #[must_use]
    pub fn new(id: &'static str, heading: impl Into<String>) -> Section {
        Section {
            id,
            heading: heading.into(),
            blocks: Vec::new(),
        }
    }

    /// Adds a block.
    #[must_use]
    pub fn with(mut self, block: Block) -> Section {
        self.blocks.push(block);
        self
    }
}

/// One block of a section.
#[derive(Debug, Clone)]
pub enum Block {
    /// A paragraph.
    Paragraph(Text),
    /// A note under a table or figure (smaller type).
    Note(Text),
    /// A bulleted list.
    List(Vec<Text>),
    /// A table.
    Table(Table),
    /// A figure.
    Figure(Figure),
}

/// Inline text: spans of trialdose's words, input data and code.
#[derive(Debug, Clone, Default)]
pub struct Text(pub Vec<Span>);

impl Text {
    /// Text of trialdose's own words only.
    #[must_use]
    pub fn prose(s: impl Into<String>) -> Text {
        Text(vec![Span::Prose(s.into())])
    }

    /// Text that came from the input only.
    #[must_use]
    pub fn data(s: impl Into<String>) -> Text {
        Text(vec![Span::Data(s.into())])
    }

    /// Appends trialdose's words.
    #[must_use]
    pub fn and(mut self, s: impl Into<String>) -> Text {
        self.0.push(Span::Prose(s.into()));
        self
    }

    /// Appends input data.
    #[must_use]
    pub fn and_data(mut self, s: impl Into<String>) -> Text {
        self.0.push(Span::Data(s.into()));
        self
    }

    /// Appends code (a flag, a folder name).
    #[must_use]
    pub fn and_code(mut self, s: impl Into<String>) -> Text {
        self.0.push(Span::Code(s.into()));
        self
    }

    /// The text without markup.
    #[must_use]
    pub fn plain(&self) -> String {
        self.0.iter().map(Span::text).collect()
    }
}

/// A run of text, by who wrote it.
#[derive(Debug, Clone)]
pub enum Span {
    /// trialdose's own words (no markup; HTML escapes only `&`, `<` and `>`).
    Prose(String),
    /// Text from the input (a title, an id, a note naming a flag): escaped in full.
    Data(String),
    /// Code: set in a fixed-width font; escaped in full.
    Code(String),
}

impl Span {
    /// The span's text.
    #[must_use]
    pub fn text(&self) -> &str {
        match self {
            Span::Prose(s) | Span::Data(s) | Span::Code(s) => s,
        }
    }
}

/// A table. Cells hold the text every format prints, already formatted and suppressed.
#[derive(Debug, Clone)]
pub struct Table {
    /// Its number ("Table N"), set by [`Document::new`] when [`Self::numbered`].
    pub number: Option<usize>,
    /// Does it take a number? (The provenance's file list does not: it is not a result.)
    pub numbered: bool,
    /// The caption, without its number.
    pub caption: String,
    /// Does the HTML page print the caption? (It leaves it to the section heading where the
    /// heading says the same; the Word and Markdown documents always print it, numbered.)
    pub caption_in_html: bool,
    /// Column headings.
    pub header: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A numbered table whose caption the page prints.
    #[must_use]
    pub fn new(caption: impl Into<String>, header: Vec<String>) -> Table {
        Table {
            number: None,
            numbered: true,
            caption: caption.into(),
            caption_in_html: true,
            header,
            rows: Vec::new(),
        }
    }

    /// The caption with its number: `Table N: caption`, or the caption alone.
    #[must_use]
    pub fn full_caption(&self) -> String {
        match self.number {
            Some(n) => format!("Table {n}: {}", self.caption),
            None => self.caption.clone(),
        }
    }
}

/// How a cell's text is set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CellKind {
    /// A number or a short label (right-aligned after the first column).
    #[default]
    Value,
    /// Running text (left-aligned).
    Words,
    /// Code (a digest): fixed width.
    Code,
}

/// A table cell.
#[derive(Debug, Clone)]
pub struct Cell {
    /// The text printed.
    pub text: String,
    /// How many columns it spans (1 or more).
    pub span: usize,
    /// How it is set.
    pub kind: CellKind,
    /// Set in bold: what the reader should not miss (an audit's alert or alarm).
    pub strong: bool,
}

impl Cell {
    /// A one-column value cell.
    #[must_use]
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            span: 1,
            kind: CellKind::Value,
            strong: false,
        }
    }

    /// Set in bold when `strong`.
    #[must_use]
    pub fn strong(mut self, strong: bool) -> Cell {
        self.strong = strong;
        self
    }

    /// Spans `n` columns.
    #[must_use]
    pub fn spanning(mut self, n: usize) -> Cell {
        self.span = n;
        self
    }

    /// Set as `kind`.
    #[must_use]
    pub fn kind(mut self, kind: CellKind) -> Cell {
        self.kind = kind;
        self
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Cell {
        Cell::new(text)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Cell {
        Cell::new(text)
    }
}

/// A figure: a chart and its caption.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Its number ("Figure N"), set by [`Document::new`].
    pub number: usize,
    /// The caption, without its number.
    pub caption: String,
    /// The chart's files beside the document, as a relative path without the extension
    /// (`charts/rates` for `charts/rates.png` and `charts/rates.svg`; the Markdown document
    /// points at them).
    pub file: String,
    /// The chart as an SVG document (the HTML page inlines it).
    pub svg: String,
    /// The chart as PNG drawn for print ([`docx::CHART_WIDTH_PX`] wide: the Word document
    /// embeds it), when drawn.
    pub png: Option<Png>,
}

impl Figure {
    /// The caption with its number: `Figure N: caption`.
    #[must_use]
    pub fn full_caption(&self) -> String {
        format!("Figure {}: {}", self.number, self.caption)
    }
}
