//! Texts as dense numbers: each distinct text once, numbered in first-seen order, so rows can
//! hold 4-byte numbers and sets of them can be bitmaps or vectors indexed by number.

use foldhash::HashMap;
use std::sync::Arc;

/// Texts and their numbers.
#[derive(Debug, Clone, Default)]
pub struct Interner {
    texts: Vec<Arc<str>>,
    numbers: HashMap<Arc<str>, u32>,
}

impl Interner {
    /// The number of `text`, added when new.
    pub fn intern(&mut self, text: &str) -> u32 {
        if let Some(&n) = self.numbers.get(text) {
            return n;
        }
        let n = self.texts.len() as u32;
        let text: Arc<str> = Arc::from(text);
        self.texts.push(text.clone());
        self.numbers.insert(text, n);
        n
    }

    /// The number of `text`, if it was interned.
    pub fn get(&self, text: &str) -> Option<u32> {
        self.numbers.get(text).copied()
    }

    /// The text of number `n`.
    pub fn text(&self, n: u32) -> &str {
        &self.texts[n as usize]
    }

    /// Texts interned.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether nothing was interned.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Every text, by number.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.texts.iter().map(|t| &**t)
    }

    /// Bytes held, roughly (for caches' weights).
    pub fn bytes(&self) -> usize {
        self.texts.iter().map(|t| t.len() + 48).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_get_dense_numbers_in_first_seen_order() {
        let mut i = Interner::default();
        assert_eq!((i.intern("b"), i.intern("a"), i.intern("b")), (0, 1, 0));
        assert_eq!(
            (i.get("a"), i.get("c"), i.text(0), i.len()),
            (Some(1), None, "b", 2)
        );
    }
}
