//! Sets of interned texts (mostly users) as bitmaps over their dense indices: an insert sets a
//! bit and the size is kept, where a hash set hashed and probed per event (the largest cost
//! of the sections once events were kept in memory).

use super::Sym;

#[derive(Debug, Clone, Default)]
pub struct SymSet {
    words: Vec<u64>,
    len: usize,
}

impl SymSet {
    /// Adds `s`; whether it was new.
    pub fn insert(&mut self, s: Sym) -> bool {
        let (word, bit) = (s.index() / 64, 1u64 << (s.index() % 64));
        if word >= self.words.len() {
            self.words.resize(word + 1, 0);
        }
        let new = self.words[word] & bit == 0;
        self.words[word] |= bit;
        self.len += usize::from(new);
        new
    }

    pub fn contains(&self, s: &Sym) -> bool {
        let (word, bit) = (s.index() / 64, 1u64 << (s.index() % 64));
        self.words.get(word).is_some_and(|w| w & bit != 0)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The members, by index.
    pub fn iter(&self) -> impl Iterator<Item = Sym> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            (0..64)
                .filter(move |b| w & (1u64 << b) != 0)
                .map(move |b| Sym::nth((i * 64 + b) as u32))
        })
    }

    /// Keeps the members `other` holds too.
    pub fn intersect(&mut self, other: &SymSet) {
        self.words.truncate(other.words.len());
        for (w, o) in self.words.iter_mut().zip(&other.words) {
            *w &= o;
        }
        self.len = self.words.iter().map(|w| w.count_ones() as usize).sum();
    }
}

impl FromIterator<Sym> for SymSet {
    fn from_iter<I: IntoIterator<Item = Sym>>(iter: I) -> Self {
        let mut set = SymSet::default();
        for s in iter {
            set.insert(s);
        }
        set
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn behaves_as_a_set() {
        let s = |i: u32| Sym::nth(i);
        let mut a: SymSet = [s(3), s(200), s(3), s(64)].into_iter().collect();
        assert_eq!(a.len(), 3);
        assert!(a.contains(&s(200)) && !a.contains(&s(4)) && !a.contains(&s(9_999)));
        assert!(!a.insert(s(64)) && a.insert(s(0)));
        assert_eq!(a.iter().collect::<Vec<_>>(), [s(0), s(3), s(64), s(200)]);
        a.intersect(&[s(3), s(64), s(7)].into_iter().collect());
        assert_eq!(a.iter().collect::<Vec<_>>(), [s(3), s(64)]);
        assert_eq!(a.len(), 2);
        assert!(SymSet::default().is_empty());
    }
}
