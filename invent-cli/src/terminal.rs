//! Server text on a terminal: control characters (C0 except newline and tab, DEL, C1, and so every
//! ESC sequence) are written as visible escapes, so an answer cannot move the cursor, retitle the
//! window or hide text. Output that is not a terminal gets the bytes as they are.

use std::borrow::Cow;
use std::io::{self, Write};

/// Whether `c` would be interpreted by a terminal rather than shown: C0 controls other than `\n` and
/// `\t` (ESC starts every escape sequence, CR overwrites a line), DEL, and the C1 controls (U+0080 to
/// U+009F; U+009B is a one-character CSI on some terminals).
pub(crate) fn is_dangerous(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}'..='\u{1f}' | '\u{7f}'..='\u{9f}')
}

/// `text` with every dangerous character as `\u{XX}` (plain text: error messages, bodies that are
/// not JSON). Borrowed when there is nothing to escape.
pub(crate) fn escape_text(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_dangerous) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:02x}}}", u32::from(c)));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `text` for a stream that is a terminal (`escape`) or not.
pub(crate) fn for_stream(text: &str, escape: bool) -> Cow<'_, str> {
    if escape {
        escape_text(text)
    } else {
        Cow::Borrowed(text)
    }
}

/// serde_json's output with DEL and C1 characters written as JSON escapes (`\u007f`, `\u009b`):
/// serde_json already escapes C0 (ESC is `\u001b`), and in valid JSON these characters can only be
/// inside strings, so the result is the same JSON value and still valid JSON.
pub(crate) struct JsonForTerminal<W: Write> {
    inner: W,
    /// A UTF-8 lead byte 0xC2 seen at the end of the previous write (its continuation decides).
    pending_c2: bool,
}

impl<W: Write> JsonForTerminal<W> {
    pub(crate) fn new(inner: W) -> Self {
        JsonForTerminal { inner, pending_c2: false }
    }
}

impl<W: Write> Write for JsonForTerminal<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut out = Vec::with_capacity(buf.len());
        for &byte in buf {
            if std::mem::take(&mut self.pending_c2) {
                if (0x80..=0x9f).contains(&byte) {
                    out.extend_from_slice(format!("\\u{:04x}", byte).as_bytes());
                    continue;
                }
                out.push(0xc2);
            }
            match byte {
                0x7f => out.extend_from_slice(b"\\u007f"),
                0xc2 => self.pending_c2 = true,
                _ => out.push(byte),
            }
        }
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.pending_c2) {
            self.inner.write_all(&[0xc2])?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn through_terminal(value: &serde_json::Value, chunk: usize) -> String {
        let text = serde_json::to_vec(value).unwrap();
        let mut writer = JsonForTerminal::new(Vec::new());
        for piece in text.chunks(chunk.max(1)) {
            writer.write_all(piece).unwrap();
        }
        writer.flush().unwrap();
        String::from_utf8(writer.inner).unwrap()
    }

    #[test]
    fn plain_text_escapes_controls_but_keeps_newlines_tabs_and_unicode() {
        assert_eq!(escape_text("ok\n\tü €"), "ok\n\tü €");
        assert!(matches!(escape_text("ok"), Cow::Borrowed(_)));
        assert_eq!(escape_text("\u{1b}[2J\u{1b}]0;owned\u{7}x"), "\\u{1b}[2J\\u{1b}]0;owned\\u{07}x");
        assert_eq!(escape_text("a\rb\u{7f}c\u{9b}31m"), "a\\u{0d}b\\u{7f}c\\u{9b}31m");
        assert_eq!(for_stream("\u{1b}", false), "\u{1b}");
    }

    #[test]
    fn serde_json_already_escapes_c0_and_the_terminal_writer_escapes_del_and_c1() {
        let value = serde_json::json!({ "text": "\u{1b}[31mred\u{7f}\u{9b}\u{85}é€" });
        let plain = serde_json::to_string(&value).unwrap();
        assert!(plain.contains("\\u001b"), "{plain}");
        assert!(plain.contains('\u{7f}') && plain.contains('\u{9b}'), "serde_json leaves DEL and C1 raw: {plain}");
        let shown = through_terminal(&value, 1);
        assert!(!shown.chars().any(is_dangerous), "{shown:?}");
        assert!(shown.contains("\\u007f\\u009b\\u0085é€"), "{shown}");
    }

    proptest! {
        /// Any string, any chunking: the terminal form is the same JSON value and shows no control character.
        #[test]
        fn terminal_json_is_the_same_value_without_controls(text in any::<String>(), chunk in 1usize..7) {
            let value = serde_json::json!({ "k": text, "n": [1, "x"] });
            let shown = through_terminal(&value, chunk);
            prop_assert!(!shown.chars().any(is_dangerous));
            let back: serde_json::Value = serde_json::from_str(&shown).unwrap();
            prop_assert_eq!(back, value);
        }

        /// Plain text: nothing dangerous survives, and text without controls is unchanged.
        #[test]
        fn escaped_text_has_no_controls(text in any::<String>()) {
            let escaped = escape_text(&text);
            prop_assert!(!escaped.chars().any(is_dangerous));
            if !text.chars().any(is_dangerous) {
                prop_assert_eq!(escaped.as_ref(), text.as_str());
            }
        }
    }
}
