//! Bounds on a GraphQL document checked *before* it reaches the (recursive) parser: how deeply
//! brackets nest and how many tokens it has. One pass over the text with a small lexer that
//! knows strings, block strings and comments, so brackets inside them do not count.

/// What a document is allowed to be, before parsing.
#[derive(Debug, Clone, Copy)]
pub struct DocumentBounds {
    /// Deepest nesting of `{`, `[` and `(` together.
    pub max_nesting: usize,
    /// Most lexical tokens (names, numbers, strings, punctuators).
    pub max_tokens: usize,
}

/// Why a document was refused before parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundsError {
    TooDeep { limit: usize },
    TooManyTokens { limit: usize },
}

impl BoundsError {
    /// The message shown to the client.
    pub fn message(&self) -> String {
        match self {
            BoundsError::TooDeep { limit } => format!(
                "the document nests brackets (`{{`, `[`, `(`) more than {limit} levels deep"
            ),
            BoundsError::TooManyTokens { limit } => {
                format!("the document has more than {limit} tokens")
            }
        }
    }
}

impl DocumentBounds {
    /// The bounds the settings configure (`DASHGATE_MAX_NESTING`, `DASHGATE_MAX_TOKENS`).
    pub fn of(s: &crate::config::Settings) -> Self {
        DocumentBounds {
            max_nesting: s.max_nesting,
            max_tokens: s.max_tokens,
        }
    }

    /// Checks `text` in one pass without allocating; stops at the first bound crossed.
    pub fn check(&self, text: &str) -> Result<(), BoundsError> {
        let bytes = text.as_bytes();
        let (mut i, mut depth, mut tokens) = (0usize, 0usize, 0usize);
        while i < bytes.len() {
            let b = bytes[i];
            match b {
                b' ' | b'\t' | b'\n' | b'\r' | b',' => {
                    i += 1;
                    continue;
                }
                b'#' => {
                    while i < bytes.len() && bytes[i] != b'\n' && bytes[i] != b'\r' {
                        i += 1;
                    }
                    continue;
                }
                b'"' => i = skip_string(bytes, i),
                b'{' | b'[' | b'(' => {
                    depth += 1;
                    if depth > self.max_nesting {
                        return Err(BoundsError::TooDeep {
                            limit: self.max_nesting,
                        });
                    }
                    i += 1;
                }
                b'}' | b']' | b')' => {
                    depth = depth.saturating_sub(1);
                    i += 1;
                }
                b'.' if bytes[i..].starts_with(b"...") => i += 3,
                c if c.is_ascii_alphanumeric() || c == b'_' || c == b'-' => {
                    // A name or a number (sign, fraction, exponent included): one token.
                    while i < bytes.len()
                        && (bytes[i].is_ascii_alphanumeric()
                            || matches!(bytes[i], b'_' | b'.' | b'+' | b'-'))
                    {
                        i += 1;
                    }
                }
                _ => i += utf8_len(b),
            }
            tokens += 1;
            if tokens > self.max_tokens {
                return Err(BoundsError::TooManyTokens {
                    limit: self.max_tokens,
                });
            }
        }
        Ok(())
    }
}

/// The index just past the string starting at `start` (a `"…"` or a `"""…"""` block string);
/// an unterminated string runs to the end (the parser then reports it).
fn skip_string(bytes: &[u8], start: usize) -> usize {
    if bytes[start..].starts_with(b"\"\"\"") {
        let mut i = start + 3;
        while i < bytes.len() {
            if bytes[i..].starts_with(b"\\\"\"\"") {
                i += 4;
            } else if bytes[i..].starts_with(b"\"\"\"") {
                return i + 3;
            } else {
                i += 1;
            }
        }
        return bytes.len();
    }
    let mut i = start + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            b'\n' | b'\r' => return i,
            _ => i += 1,
        }
    }
    bytes.len()
}

/// The length of the UTF-8 sequence a byte starts (1 for a stray continuation byte).
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0..=0xFF => 4,
        0xE0..=0xEF => 3,
        0xC0..=0xDF => 2,
        _ => 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: DocumentBounds = DocumentBounds {
        max_nesting: 8,
        max_tokens: 40,
    };

    #[test]
    fn brackets_of_every_kind_nest_together() {
        assert!(BOUNDS.check("{ a(b: [[{c: 1}]]) { d } }").is_ok());
        let deep = format!("{{ a(f: {}1{}) }}", "[".repeat(7), "]".repeat(7));
        assert_eq!(BOUNDS.check(&deep), Err(BoundsError::TooDeep { limit: 8 }));
        // Unbalanced: the opens alone count.
        assert!(BOUNDS.check(&"[".repeat(9)).is_err());
    }

    #[test]
    fn brackets_in_strings_and_comments_do_not_count() {
        let quoted = format!(r#"{{ a(s: "{}") }}"#, "[".repeat(50));
        assert!(BOUNDS.check(&quoted).is_ok());
        let block = format!("{{ a(s: \"\"\"{} \\\"\"\" {{\"\"\") }}", "{".repeat(50));
        assert!(BOUNDS.check(&block).is_ok());
        let comment = format!("{{ a # {}\n }}", "(".repeat(50));
        assert!(BOUNDS.check(&comment).is_ok());
        let escaped = format!(r#"{{ a(s: "\"{}") }}"#, "[".repeat(50));
        assert!(BOUNDS.check(&escaped).is_ok());
    }

    #[test]
    fn tokens_are_counted() {
        assert!(BOUNDS.check("{ a b c }").is_ok());
        let many: String = (0..41).map(|i| format!("f{i} ")).collect();
        assert_eq!(
            BOUNDS.check(&many),
            Err(BoundsError::TooManyTokens { limit: 40 })
        );
        // Commas are insignificant; numbers with signs and exponents are one token.
        let numbers = "{ a(x: [-1.5e-3, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]) }";
        assert!(BOUNDS.check(numbers).is_ok());
    }

    #[test]
    fn any_text_is_scanned_without_panicking() {
        for text in [
            "\"",
            "\"\"\"",
            "#",
            "\\",
            "é[",
            "\u{1F600}{",
            "\"\\",
            "...",
            "-",
            "--",
        ] {
            let _ = BOUNDS.check(text);
        }
    }
}
