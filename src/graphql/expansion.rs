//! How many fields a document selects once every fragment spread is replaced by its fragment —
//! counted without expanding anything.
//!
//! A chain of fragments that each spread the next one twice is a few hundred bytes of text and
//! 2^30 fields after expansion; validation, execution and the response's field ordering all walk
//! the expanded form. So the expanded size is computed first, in time linear in the text: each
//! fragment's size once (fields plus the sizes of the fragments it spreads), resolved in
//! dependency order, with saturating arithmetic. A fragment cycle never resolves and is reported
//! instead of followed. No recursion: the walk uses an explicit stack.

use async_graphql::parser::types::{ExecutableDocument, Selection, SelectionSet};
use std::collections::{HashMap, HashSet};

/// Why a document's expanded size could not be accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpansionError {
    /// More fields than `limit` after fragment expansion (`fields` saturates at `usize::MAX`).
    TooLarge { fields: usize, limit: usize },
    /// Fragments that spread themselves, directly or through others.
    Cycle { fragment: String },
}

impl ExpansionError {
    /// The message shown to the client.
    pub fn message(&self) -> String {
        match self {
            ExpansionError::TooLarge { fields, limit } if *fields == usize::MAX => format!(
                "the document selects more than {limit} fields once its fragments are expanded"
            ),
            ExpansionError::TooLarge { fields, limit } => format!(
                "the document selects {fields} fields once its fragments are expanded; the limit is {limit}"
            ),
            ExpansionError::Cycle { fragment } => {
                format!(
                    "fragment `{fragment}` spreads itself (directly or through other fragments)"
                )
            }
        }
    }
}

/// The fields a selection set selects itself (nested ones included) and the fragments it
/// spreads (once per spread).
struct Shape<'d> {
    fields: usize,
    spreads: Vec<&'d str>,
}

fn shape(set: &SelectionSet) -> Shape<'_> {
    let mut shape = Shape {
        fields: 0,
        spreads: Vec::new(),
    };
    let mut stack = vec![set];
    while let Some(set) = stack.pop() {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    shape.fields = shape.fields.saturating_add(1);
                    stack.push(&f.node.selection_set.node);
                }
                Selection::InlineFragment(f) => stack.push(&f.node.selection_set.node),
                Selection::FragmentSpread(s) => {
                    shape.spreads.push(s.node.fragment_name.node.as_str())
                }
            }
        }
    }
    shape
}

/// The largest expanded size of any operation or fragment of `doc`; an error when it exceeds
/// `limit` or when fragments form a cycle. Unknown fragments count 0 (validation names them).
pub fn check(doc: &ExecutableDocument, limit: usize) -> Result<usize, ExpansionError> {
    let shapes: HashMap<&str, Shape<'_>> = doc
        .fragments
        .iter()
        .map(|(name, f)| (name.as_str(), shape(&f.node.selection_set.node)))
        .collect();
    let mut sizes: HashMap<&str, usize> = HashMap::with_capacity(shapes.len());
    // Post-order walk over the spread graph with an explicit stack: a fragment's size is known
    // once the sizes of all it spreads are; meeting a fragment still on the stack is a cycle.
    for root in shapes.keys() {
        if sizes.contains_key(root) {
            continue;
        }
        let mut on_stack: HashSet<&str> = HashSet::from([*root]);
        let mut stack: Vec<(&str, usize)> = vec![(root, 0)];
        while let Some((name, next)) = stack.last_mut() {
            let shape = &shapes[*name];
            if let Some(child) = shape.spreads.get(*next).copied() {
                *next += 1;
                if sizes.contains_key(child) || !shapes.contains_key(child) {
                    continue;
                }
                if !on_stack.insert(child) {
                    return Err(ExpansionError::Cycle {
                        fragment: child.to_string(),
                    });
                }
                stack.push((child, 0));
            } else {
                let name = *name;
                sizes.insert(name, expanded(shape, &sizes));
                on_stack.remove(name);
                stack.pop();
            }
        }
    }
    let operations = doc
        .operations
        .iter()
        .map(|(_, op)| expanded(&shape(&op.node.selection_set.node), &sizes));
    let largest = sizes.values().copied().chain(operations).max().unwrap_or(0);
    if largest > limit {
        return Err(ExpansionError::TooLarge {
            fields: largest,
            limit,
        });
    }
    Ok(largest)
}

fn expanded(shape: &Shape<'_>, sizes: &HashMap<&str, usize>) -> usize {
    shape.spreads.iter().fold(shape.fields, |total, s| {
        total.saturating_add(sizes.get(s).copied().unwrap_or(0))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn fan_out(levels: usize) -> String {
        let mut text = String::from("query Q { ...F0 }\n");
        for i in 0..levels {
            text.push_str(&format!(
                "fragment F{i} on Query {{ ...F{n} ...F{n} }}\n",
                n = i + 1
            ));
        }
        text.push_str(&format!("fragment F{levels} on Query {{ health }}\n"));
        text
    }

    #[test]
    fn fan_out_is_counted_without_expanding() {
        let doc = parse_query(fan_out(10)).unwrap();
        assert_eq!(check(&doc, 10_000), Ok(1024));
        let doc = parse_query(fan_out(200)).unwrap();
        let started = std::time::Instant::now();
        assert!(matches!(
            check(&doc, 5_000),
            Err(ExpansionError::TooLarge {
                fields: usize::MAX,
                ..
            })
        ));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn nested_fields_inline_fragments_and_aliases_count() {
        let doc = parse_query(
            "{ a: health b: health ... on Query { c: health } ...F } fragment F on Query { x { y z } }",
        )
        .unwrap();
        assert_eq!(check(&doc, 100), Ok(6));
        assert!(check(&doc, 5).is_err());
    }

    #[test]
    fn cycles_are_reported_not_followed() {
        let doc = parse_query(
            "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A health }",
        )
        .unwrap();
        assert!(matches!(
            check(&doc, 100),
            Err(ExpansionError::Cycle { .. })
        ));
        let doc = parse_query("{ ...S } fragment S on Query { health ...S }").unwrap();
        assert!(matches!(
            check(&doc, 100),
            Err(ExpansionError::Cycle { .. })
        ));
    }

    #[test]
    fn unknown_fragments_count_nothing() {
        let doc = parse_query("{ health ...Missing }").unwrap();
        assert_eq!(check(&doc, 100), Ok(1));
    }
}
