//! Reading a live request's document: which dashboard it subscribes to, and the form that
//! tells two layouts of one query apart from two queries.

use super::{DASHBOARDS, Kind};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection};

/// Whether the selected operation of `doc` is a subscription, and to which dashboard. A
/// subscription selects exactly one root field (GraphQL's "single root field" rule).
pub(super) fn live_field(doc: &ExecutableDocument, name: Option<&str>) -> Result<Kind, String> {
    let Some((_, op)) = super::super::limits::selected_operation(doc, name) else {
        return Ok(Kind::Once);
    };
    if op.node.ty != OperationType::Subscription {
        return Ok(Kind::Once);
    }
    let items = &op.node.selection_set.node.items;
    let field = match items.as_slice() {
        [one] => match &one.node {
            Selection::Field(f) => Some(f.node.name.node.as_str()),
            _ => None,
        },
        _ => None,
    };
    let Some(field) = field else {
        return Err("a subscription selects exactly one dashboard field, without fragments".into());
    };
    DASHBOARDS
        .iter()
        .find(|d| **d == field)
        .map(|d| Kind::Live(d))
        .ok_or_else(|| format!("`{field}` is not a field of the subscription type"))
}

/// The document with insignificant characters (whitespace, commas, comments) dropped, a
/// space kept only between two name characters, so layouts of one query share an entry.
pub(super) fn normalised(text: &str) -> String {
    let name = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    let mut gap = false;
    while let Some(c) = chars.next() {
        match c {
            '#' => {
                for c in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
                gap = true;
            }
            c if c.is_whitespace() || c == ',' || c == '\u{feff}' => gap = true,
            c => {
                if gap && out.chars().next_back().is_some_and(name) && name(c) {
                    out.push(' ');
                }
                gap = false;
                out.push(c);
                if c == '"' {
                    // Strings are kept verbatim (block strings end at the next `"""`).
                    let block = text_starts_block(&mut chars, &mut out);
                    copy_string(&mut chars, &mut out, block);
                }
            }
        }
    }
    out
}

fn text_starts_block(chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut String) -> bool {
    let mut copy = chars.clone();
    if copy.next() == Some('"') && copy.next() == Some('"') {
        chars.next();
        chars.next();
        out.push_str("\"\"");
        return true;
    }
    false
}

fn copy_string(chars: &mut std::iter::Peekable<std::str::Chars>, out: &mut String, block: bool) {
    let mut quotes = 0;
    while let Some(c) = chars.next() {
        out.push(c);
        match c {
            '\\' if !block => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            '"' if !block => return,
            '"' => {
                quotes += 1;
                if quotes == 3 {
                    return;
                }
            }
            _ => quotes = 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::normalised;

    #[test]
    fn layouts_of_one_document_normalise_alike_and_strings_stay() {
        let a = "subscription {\n  apiUsage(filter: {models: [\"a,  b\"]}) { kpis { requests { value } } }\n}";
        let b =
            "subscription{ apiUsage( filter:{models:[\"a,  b\"]} ) {kpis{requests{value}}} } # x";
        assert_eq!(normalised(a), normalised(b));
        assert!(normalised(a).contains("\"a,  b\""));
        assert_ne!(
            normalised("{ a(x: \"1\") }"),
            normalised("{ a(x: \"1 \") }")
        );
        assert_eq!(
            normalised("{ a(x: \"\"\"q\"\"\") }"),
            "{a(x:\"\"\"q\"\"\")}"
        );
        assert_eq!(normalised("query Q { a }"), "query Q{a}");
    }
}
