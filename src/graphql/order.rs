//! Puts response fields back in selection order.
//!
//! async-graphql 7.2 resolves sibling fields concurrently and inserts each as it finishes, so
//! the JSON object comes out in completion order. The GraphQL spec (and every reader in
//! GraphiQL) expects the order of the query; this restores it from the parsed document.

use async_graphql::parser::types::{
    DocumentOperations, ExecutableDocument, Selection, SelectionSet,
};
use async_graphql::{Name, Value};

/// Reorders `data` to follow the selection sets of the executed operation.
pub fn reorder(data: &mut Value, doc: &ExecutableDocument, operation_name: Option<&str>) {
    let op = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => match ops.get(name) {
            Some(op) => op,
            None => return,
        },
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => match ops.values().next() {
            Some(op) => op,
            None => return,
        },
        _ => return,
    };
    order(data, &[&op.node.selection_set.node], doc, 0);
}

type Fields<'a> = Vec<(&'a str, Vec<&'a SelectionSet>)>;

fn collect<'a>(
    set: &'a SelectionSet,
    doc: &'a ExecutableDocument,
    out: &mut Fields<'a>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    for item in &set.items {
        match &item.node {
            Selection::Field(f) => {
                let key = f.node.response_key().node.as_str();
                let sub = &f.node.selection_set.node;
                match out.iter_mut().find(|(k, _)| *k == key) {
                    Some((_, sets)) => sets.push(sub),
                    None => out.push((key, vec![sub])),
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = doc.fragments.get(&spread.node.fragment_name.node) {
                    collect(&fragment.node.selection_set.node, doc, out, depth + 1);
                }
            }
            Selection::InlineFragment(inline) => {
                collect(&inline.node.selection_set.node, doc, out, depth + 1)
            }
        }
    }
}

fn order(value: &mut Value, sets: &[&SelectionSet], doc: &ExecutableDocument, depth: usize) {
    match value {
        Value::List(items) => items.iter_mut().for_each(|v| order(v, sets, doc, depth)),
        Value::Object(map) if depth < 64 => {
            let mut fields = Fields::new();
            for set in sets {
                collect(set, doc, &mut fields, 0);
            }
            let mut old = std::mem::take(map);
            for (key, subsets) in fields {
                if let Some(mut v) = old.shift_remove(key) {
                    order(&mut v, &subsets, doc, depth + 1);
                    map.insert(Name::new(key), v);
                }
            }
            map.extend(old);
        }
        _ => {}
    }
}
