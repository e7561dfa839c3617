//! Text for a terminal: whatever came from the input (ids, header names, site names, file
//! names) can carry escape sequences that recolour, retitle or rewrite the user's terminal,
//! or bidirectional overrides that reorder what they read. Everything the command line prints
//! for people goes through [`safe`], which shows such characters as visible escapes instead
//! (`\x1b`, `\u{202e}`) and leaves every other character, newlines and tabs included, as is.
//! Data written to stdout on request (`--out -`) is not text for people and is not changed.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that a terminal would act on instead of showing.
fn is_hostile(c: char) -> bool {
    match c {
        '\n' | '\t' => false,
        // C0 controls (ESC, BEL, CR, backspace, ...), DEL and the C1 controls (CSI is U+009B).
        c if c.is_control() => true,
        // Bidirectional embeddings, overrides and isolates ("Trojan Source").
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => true,
        _ => false,
    }
}

/// `text` with every control character other than newline and tab, and every bidirectional
/// override, written as a visible escape.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_hostile) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if !is_hostile(c) {
            out.push(c);
        } else if (c as u32) < 0x80 {
            let _ = write!(out, "\\x{:02x}", c as u32);
        } else {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn plain_text_is_borrowed_unchanged() {
        let text = "Site A\tline 2\nnext";
        assert!(matches!(safe(text), std::borrow::Cow::Borrowed(t) if t == text));
    }

    #[test]
    fn escape_sequences_and_overrides_become_visible() {
        assert_eq!(safe("\u{1b}[31mred\u{7}"), "\\x1b[31mred\\x07");
        assert_eq!(safe("a\rb\u{7f}"), "a\\x0db\\x7f");
        assert_eq!(safe("\u{9b}2J"), "\\u{9b}2J");
        assert_eq!(safe("id\u{202e}gnp.exe"), "id\\u{202e}gnp.exe");
    }
}
