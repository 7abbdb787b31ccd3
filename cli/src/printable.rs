//! Text from a message made safe for a terminal: a header value, a
//! certificate name or a problem quoting them is attacker-chosen, and a
//! control character (ESC sequences that recolour, move the cursor, set
//! the window title, CR overwriting the line) or a bidirectional override
//! (Trojan Source, CVE-2021-42574) would let it forge what the reader
//! sees. Each is replaced by U+FFFD, so the output stays one line per
//! item and shows that something was there.

/// The bidirectional embedding, override and isolate controls (U+202A to
/// U+202E, U+2066 to U+2069).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character (C0, DEL, C1: CR and LF
/// included) and every bidi control replaced by U+FFFD.
pub fn printable(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || is_bidi_control(c) {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn escapes_controls_and_bidi_overrides_are_replaced() {
        assert_eq!(
            printable("a\u{1b}]0;owned\u{7}b\r\nc\u{9b}31m\u{7f}"),
            "a\u{fffd}]0;owned\u{fffd}b\u{fffd}\u{fffd}c\u{fffd}31m\u{fffd}"
        );
        for bidi in ['\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}'] {
            assert_eq!(printable(&format!("x{bidi}y")), "x\u{fffd}y");
        }
    }

    #[test]
    fn printable_text_is_kept_as_is() {
        let text = "Ålice <alice@example.org> \u{200f}ok: 100% \u{2065}";
        assert_eq!(printable(text), text);
    }
}
