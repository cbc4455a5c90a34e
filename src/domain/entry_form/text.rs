//! Text hygiene shared by the schema checks and the submission rules.

/// Characters never accepted in any field: C0/C1 controls (NUL, tab, newline,
/// DEL, ...), the Unicode line and paragraph separators, and the bidirectional
/// embedding, override and isolate controls (which can make a name display as
/// something else in the dashboard). Joiners (ZWJ, ZWNJ) and the LRM/RLM marks
/// stay allowed: real names and emoji need them.
pub fn forbidden_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}')
        || ('\u{202A}'..='\u{202E}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

/// Full-width ASCII forms (as typed with Japanese, Chinese or Korean input
/// methods: `１２３－４５６７`) and the ideographic space folded to ASCII. Used
/// for structured fields only (postal code, phone, date), never for names.
pub fn fold_fullwidth(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect()
}

/// True when `s` has more than `max` characters, without walking a huge string
/// to its end.
pub fn longer_than(s: &str, max: usize) -> bool {
    s.len() > max && s.chars().nth(max).is_some()
}

/// Runs of whitespace (any Unicode white space, e.g. no-break space) become one
/// ASCII space; leading and trailing whitespace is removed.
pub fn collapse_whitespace(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forbidden_characters() {
        for c in [
            '\0', '\t', '\n', '\r', '\u{7f}', '\u{85}', '\u{2028}', '\u{202E}', '\u{2066}',
        ] {
            assert!(forbidden_char(c), "{c:?}");
        }
        for c in [
            'a', 'é', 'ß', '李', '😀', '\u{200D}', '\u{200C}', '\u{200F}', ' ', '\u{A0}',
        ] {
            assert!(!forbidden_char(c), "{c:?}");
        }
    }

    #[test]
    fn fullwidth_folding() {
        assert_eq!(fold_fullwidth("１２３－４５６７"), "123-4567");
        assert_eq!(fold_fullwidth("＋８１\u{3000}３"), "+81 3");
        assert_eq!(fold_fullwidth("李 é"), "李 é");
    }

    #[test]
    fn length_limits_count_characters() {
        assert!(!longer_than("ééé", 3));
        assert!(longer_than("éééé", 3));
        assert!(!longer_than("", 0));
        assert!(longer_than(&"x".repeat(1_000_000), 100));
    }

    #[test]
    fn whitespace_collapses() {
        assert_eq!(
            collapse_whitespace("  Ada \u{A0}\u{2003} Lovelace  "),
            "Ada Lovelace"
        );
        assert_eq!(collapse_whitespace(" \u{3000} "), "");
    }
}
