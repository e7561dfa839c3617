//! A REDCap data dictionary, read once into the facts the translation needs: each field's
//! form, type, label, choices and text validation.
//!
//! The dictionary is what makes a raw export readable: the export holds codes (`2`), the
//! dictionary says that field `arm` is a radio button whose code 2 is labelled `60x2`. REDCap
//! writes the dictionary as CSV with long column titles ("Variable / Field Name", ...); its API
//! writes the same columns with short names (`field_name`, ...). Both are accepted, matched
//! without regard to case. Choices are written `1, Label | 2, Label`: the code is what comes
//! before the first comma, the label everything after it (labels may hold commas), both
//! trimmed.

use super::RedcapError;
use crate::cohort::csvfile::{CsvSource, Record, Tokenizer};

/// A field's type, as the dictionary's "Field Type" column names it.
#[derive(Clone, Copy, Debug, Eq, PartialEq)]
pub enum FieldType {
    /// `text` (dates and numbers too, told apart by the validation).
    Text,
    /// `notes`: long text.
    Notes,
    /// `radio`: one coded choice.
    Radio,
    /// `dropdown`: one coded choice.
    Dropdown,
    /// `checkbox`: exported as one 0/1 column per choice, `field___code`.
    Checkbox,
    /// `yesno`: 1 = Yes, 0 = No.
    YesNo,
    /// `truefalse`: 1 = True, 0 = False.
    TrueFalse,
    /// `calc`: a calculated number.
    Calc,
    /// `slider`: a number from 0 to 100.
    Slider,
    /// Anything else (`descriptive`, `file`, `sql`, `signature`...): holds no value the
    /// contract can take.
    Other,
}

impl FieldType {
    fn parse(text: &str) -> FieldType {
        match text.trim().to_ascii_lowercase().as_str() {
            "text" => FieldType::Text,
            "notes" => FieldType::Notes,
            "radio" => FieldType::Radio,
            "dropdown" => FieldType::Dropdown,
            "checkbox" => FieldType::Checkbox,
            "yesno" => FieldType::YesNo,
            "truefalse" => FieldType::TrueFalse,
            "calc" => FieldType::Calc,
            "slider" => FieldType::Slider,
            _ => FieldType::Other,
        }
    }

    /// The name REDCap uses, for messages.
    pub fn name(self) -> &'static str {
        match self {
            FieldType::Text => "text",
            FieldType::Notes => "notes",
            FieldType::Radio => "radio",
            FieldType::Dropdown => "dropdown",
            FieldType::Checkbox => "checkbox",
            FieldType::YesNo => "yesno",
            FieldType::TrueFalse => "truefalse",
            FieldType::Calc => "calc",
            FieldType::Slider => "slider",
            FieldType::Other => "other",
        }
    }

    /// True for the types whose export value is a code with a label.
    pub fn coded(self) -> bool {
        matches!(
            self,
            FieldType::Radio | FieldType::Dropdown | FieldType::YesNo | FieldType::TrueFalse
        )
    }
}

/// One field of the dictionary.
#[derive(Clone, Debug)]
pub struct Field {
    /// "Variable / Field Name".
    pub name: String,
    /// "Form Name" (the instrument).
    pub form: String,
    /// "Field Type"; `other_type` keeps the text when it is [`FieldType::Other`].
    pub kind: FieldType,
    /// The type as written, for messages.
    pub type_text: String,
    /// "Field Label".
    pub label: String,
    /// The choices (code, label) of a radio, dropdown or checkbox field, in dictionary order;
    /// those of yesno (`1` Yes, `0` No) and truefalse (`1` True, `0` False) as REDCap defines
    /// them.
    pub choices: Vec<(String, String)>,
    /// "Text Validation Type OR Show Slider Number" (e.g. `date_ymd`, `integer`), lowercase.
    pub validation: String,
    /// The dictionary line the field is on.
    pub line: u64,
}

impl Field {
    /// True for a text field holding a date (REDCap exports every date as `YYYY-MM-DD`).
    pub fn is_date(&self) -> bool {
        self.kind == FieldType::Text && self.validation.starts_with("date_")
    }

    /// The label of choice `code`, if the field defines it.
    pub fn choice(&self, code: &str) -> Option<&str> {
        self.choices
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, l)| l.as_str())
    }

    /// The choices as `1 = Label, 2 = Label`, for messages.
    pub fn choices_text(&self) -> String {
        if self.choices.is_empty() {
            return "none".to_owned();
        }
        self.choices
            .iter()
            .map(|(c, l)| format!("{c} = {l}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The export column of checkbox choice `code`: `field___code`, the code lowercased and
    /// every character other than a letter, a digit or `_` written `_` (REDCap writes code
    /// `-1` as `field____1`).
    pub fn checkbox_column(&self, code: &str) -> String {
        let code: String = code
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '_' {
                    c.to_ascii_lowercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("{}___{code}", self.name)
    }
}

/// A parsed data dictionary: its fields in dictionary order (the first is the record id).
#[derive(Clone, Debug)]
pub struct Dictionary {
    fields: Vec<Field>,
}

/// The dictionary columns read, as REDCap's CSV download and its API name them.
const COLUMNS: [(&str, &str); 6] = [
    ("variable / field name", "field_name"),
    ("form name", "form_name"),
    ("field type", "field_type"),
    ("field label", "field_label"),
    (
        "choices, calculations, or slider labels",
        "select_choices_or_calculations",
    ),
    (
        "text validation type or show slider number",
        "text_validation_type_or_show_slider_number",
    ),
];

impl Dictionary {
    /// Reads a dictionary CSV (BOM, CRLF and quoted cells allowed).
    ///
    /// # Errors
    /// [`RedcapError::Dictionary`] when the file lacks one of the columns "Variable / Field
    /// Name", "Form Name" or "Field Type", has no field, or has a malformed record or a
    /// field name twice (naming the line).
    pub fn parse(bytes: &[u8]) -> Result<Dictionary, RedcapError> {
        let source = CsvSource::new(bytes);
        let bad = |line: u64, problem: String| RedcapError::Dictionary { line, problem };
        if let Some(p) = source.header_problem() {
            return Err(bad(source.header_line(), format!("header {p}")));
        }
        let header: Vec<String> = source
            .header()
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let index: Vec<Option<usize>> = COLUMNS
            .iter()
            .map(|(long, short)| header.iter().position(|h| h == long || h == short))
            .collect();
        for (k, (long, _)) in COLUMNS.iter().enumerate().take(3) {
            if index[k].is_none() {
                return Err(bad(
                    source.header_line(),
                    format!(
                        "has no \"{}\" column; give REDCap's data dictionary (Project Setup > Data Dictionary > Download the current Data Dictionary), whose header is: {:?}",
                        title(long),
                        source.header()
                    ),
                ));
            }
        }
        let mut fields: Vec<Field> = Vec::new();
        let mut names = rustc_hash::FxHashMap::default();
        let chunk = source.chunks(1, 1);
        for part in &chunk.parts {
            let mut tok = Tokenizer::new(part.bytes, part.first_line);
            let mut rec = Record::default();
            while tok.next_record(&mut rec) {
                let line = rec.line();
                if let Some(p) = rec.malformed() {
                    return Err(bad(line, format!("record {p}")));
                }
                let cell = |k: usize| -> Result<String, RedcapError> {
                    match index[k] {
                        Some(i) if i < rec.len() => std::str::from_utf8(rec.get(i))
                            .map(|s| s.trim().to_owned())
                            .map_err(|_| bad(line, "holds text that is not UTF-8".to_owned())),
                        _ => Ok(String::new()),
                    }
                };
                let name = cell(0)?;
                if name.is_empty() {
                    return Err(bad(line, "has a row without a field name".to_owned()));
                }
                let type_text = cell(2)?;
                let kind = FieldType::parse(&type_text);
                let choices = match kind {
                    FieldType::Radio | FieldType::Dropdown | FieldType::Checkbox => {
                        parse_choices(&cell(4)?)
                    }
                    FieldType::YesNo => vec![pair("1", "Yes"), pair("0", "No")],
                    FieldType::TrueFalse => vec![pair("1", "True"), pair("0", "False")],
                    _ => Vec::new(),
                };
                if let Some(first) = names.insert(name.clone(), line) {
                    return Err(bad(
                        line,
                        format!(
                            "defines field `{name}` twice (lines {first} and {line}); keep one"
                        ),
                    ));
                }
                fields.push(Field {
                    name,
                    form: cell(1)?,
                    kind,
                    type_text,
                    label: cell(3)?,
                    choices,
                    validation: cell(5)?.to_ascii_lowercase(),
                    line,
                });
            }
        }
        if fields.is_empty() {
            return Err(bad(
                source.header_line(),
                "defines no field; give the project's data dictionary".to_owned(),
            ));
        }
        Ok(Dictionary { fields })
    }

    /// Every field, in dictionary order.
    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The record id field: the project's first field.
    pub fn record_id(&self) -> &Field {
        // `parse` refuses a dictionary without fields.
        &self.fields[0]
    }

    /// The forms (instruments) in dictionary order, each once.
    pub fn forms(&self) -> Vec<&str> {
        let mut forms: Vec<&str> = Vec::new();
        for f in &self.fields {
            if !forms.contains(&f.form.as_str()) {
                forms.push(&f.form);
            }
        }
        forms
    }
}

fn pair(code: &str, label: &str) -> (String, String) {
    (code.to_owned(), label.to_owned())
}

/// `1, Label | 2, Label, with a comma` -> [("1", "Label"), ("2", "Label, with a comma")]. A
/// choice without a comma is its own code and label; empty choices are skipped.
pub fn parse_choices(text: &str) -> Vec<(String, String)> {
    text.split('|')
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| match c.split_once(',') {
            Some((code, label)) => pair(code.trim(), label.trim()),
            None => pair(c, c),
        })
        .collect()
}

/// "variable / field name" -> "Variable / Field Name" (REDCap's spelling, for messages).
fn title(lower: &str) -> String {
    lower
        .split(' ')
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}
