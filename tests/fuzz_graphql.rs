//! Fuzzing the GraphQL surface in-process: documents built from the schema's own
//! introspection (every root field, argument and input type), then mutated (spans deleted and
//! repeated, brackets nested thousands deep, stray tokens, broken strings, odd numbers, fragment
//! fan-out chains, fragment cycles, aliases spread hundreds of times). The
//! process must survive and every answer must be data or coded errors of the expected kinds.
//!
//! The seed is random per run and printed on failure; `DASHGATE_TEST_FUZZ_SEED` replays one,
//! `DASHGATE_TEST_FUZZ_CASES` changes the number of documents (default 10 000).

use crate::support::{Backend, TestApp};
use dashgate::kernel::{Principal, Role};
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::HashMap;

const INTROSPECTION: &str = include_str!("support/introspection.graphql");

/// Codes a client may legitimately cause; anything else (INTERNAL, TIMEOUT, a missing code)
/// fails the run.
const CLIENT_CODES: [&str; 10] = [
    "RATE_LIMITED",
    "GRAPHQL_PARSE_FAILED",
    "GRAPHQL_VALIDATION_FAILED",
    "QUERY_TOO_COMPLEX",
    "BAD_USER_INPUT",
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "NOT_FOUND",
    "BAD_REQUEST",
    "PAYLOAD_TOO_LARGE",
];

pub fn seed() -> u64 {
    std::env::var("DASHGATE_TEST_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random)
}

pub fn cases(default: usize) -> usize {
    std::env::var("DASHGATE_TEST_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// The types of the schema, by name, as introspection describes them.
struct Vocab {
    types: HashMap<String, Value>,
}

impl Vocab {
    fn named(&self, type_ref: &Value) -> Option<&Value> {
        let mut t = type_ref;
        while t["name"].is_null() {
            t = &t["ofType"];
            if t.is_null() {
                return None;
            }
        }
        self.types.get(t["name"].as_str()?)
    }
}

fn type_name(type_ref: &Value) -> String {
    match type_ref["kind"].as_str() {
        Some("NON_NULL") => format!("{}!", type_name(&type_ref["ofType"])),
        Some("LIST") => format!("[{}]", type_name(&type_ref["ofType"])),
        _ => type_ref["name"].as_str().unwrap_or("String").to_string(),
    }
}

const STRINGS: [&str; 12] = [
    "",
    "x",
    "UTC",
    "Asia/Kathmandu",
    "Mars/Olympus",
    "2026-03-01T00:00:00Z",
    "2026-03-01T00:00:00+05:45",
    "0000-01-01T00:00:00Z",
    "a\u{0}b",
    "é\u{1F600}",
    "\"quoted\\",
    "-1",
];

/// A random JSON value of (roughly) the GraphQL input type `type_ref`.
fn json_value(rng: &mut ChaCha8Rng, vocab: &Vocab, type_ref: &Value, depth: usize) -> Value {
    if rng.random_bool(0.05) {
        return Value::Null;
    }
    match type_ref["kind"].as_str() {
        Some("NON_NULL") => return json_value(rng, vocab, &type_ref["ofType"], depth),
        Some("LIST") => {
            let n = if depth > 3 { 0 } else { rng.random_range(0..4) };
            let inner = &type_ref["ofType"];
            return Value::Array(
                (0..n)
                    .map(|_| json_value(rng, vocab, inner, depth + 1))
                    .collect(),
            );
        }
        _ => {}
    }
    let Some(t) = vocab.named(type_ref) else {
        return Value::Null;
    };
    match (t["kind"].as_str(), t["name"].as_str()) {
        (Some("ENUM"), _) => {
            let values = t["enumValues"].as_array().cloned().unwrap_or_default();
            match values.choose(rng) {
                Some(v) if rng.random_bool(0.9) => v["name"].clone(),
                _ => json!("NOT_A_VALUE"),
            }
        }
        (Some("INPUT_OBJECT"), _) => {
            let mut obj = serde_json::Map::new();
            if depth < 4 {
                for f in t["inputFields"].as_array().into_iter().flatten() {
                    if rng.random_bool(0.5) {
                        let v = json_value(rng, vocab, &f["type"], depth + 1);
                        obj.insert(f["name"].as_str().unwrap_or("x").to_string(), v);
                    }
                }
            }
            Value::Object(obj)
        }
        (_, Some("Int")) => json!(
            [0i64, 1, 5, -1, 100, 1001, i32::MAX as i64, i32::MIN as i64][rng.random_range(0..8)]
        ),
        (_, Some("Float")) => json!([0.0, -0.0, 1.5, 1e308, -1e308, 3.0][rng.random_range(0..6)]),
        (_, Some("Boolean")) => json!(rng.random_bool(0.5)),
        (_, Some("ID")) => {
            json!(["1", "42", "-1", "x", "99999999999999999999"][rng.random_range(0..5)])
        }
        _ => json!(STRINGS[rng.random_range(0..STRINGS.len())]),
    }
}

/// A JSON value written as a GraphQL literal (object keys unquoted).
fn literal(v: &Value) -> String {
    match v {
        Value::Object(m) => {
            let fields: Vec<String> = m
                .iter()
                .map(|(k, v)| format!("{k}: {}", literal(v)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        Value::Array(a) => format!("[{}]", a.iter().map(literal).collect::<Vec<_>>().join(", ")),
        // Enum values travel as bare names.
        Value::String(s)
            if s.chars().all(|c| c.is_ascii_uppercase() || c == '_') && !s.is_empty() =>
        {
            s.clone()
        }
        other => other.to_string(),
    }
}

struct Builder<'a> {
    rng: &'a mut ChaCha8Rng,
    vocab: &'a Vocab,
    variables: serde_json::Map<String, Value>,
    declarations: Vec<String>,
}

impl Builder<'_> {
    fn selection(&mut self, t: &Value, depth: usize) -> String {
        let fields = t["fields"].as_array().cloned().unwrap_or_default();
        if fields.is_empty() {
            return "__typename".into();
        }
        let n = self.rng.random_range(1..=fields.len().min(4));
        let mut out = Vec::new();
        for f in fields.choose_multiple(self.rng, n) {
            let name = f["name"].as_str().unwrap_or("__typename");
            let mut text = if self.rng.random_bool(0.1) {
                format!("a{}: {name}", self.rng.random_range(0..100))
            } else {
                name.to_string()
            };
            let mut args = Vec::new();
            for a in f["args"].as_array().into_iter().flatten() {
                if !self.rng.random_bool(0.6) {
                    continue;
                }
                let value = json_value(self.rng, self.vocab, &a["type"], 0);
                let arg = a["name"].as_str().unwrap_or("x");
                if self.rng.random_bool(0.15) {
                    let var = format!("v{}", self.declarations.len());
                    self.declarations
                        .push(format!("${var}: {}", type_name(&a["type"])));
                    self.variables.insert(var.clone(), value);
                    args.push(format!("{arg}: ${var}"));
                } else {
                    args.push(format!("{arg}: {}", literal(&value)));
                }
            }
            if !args.is_empty() {
                text += &format!("({})", args.join(", "));
            }
            if let Some(inner) = self.vocab.named(&f["type"])
                && matches!(inner["kind"].as_str(), Some("OBJECT" | "INTERFACE"))
            {
                let inner = inner.clone();
                let sub = if depth > 5 {
                    "__typename".into()
                } else {
                    self.selection(&inner, depth + 1)
                };
                text += &format!(" {{ {sub} }}");
            }
            out.push(text);
        }
        out.join(" ")
    }
}

/// A document of the schema: a query or a mutation, with literal arguments and variables.
fn document(rng: &mut ChaCha8Rng, vocab: &Vocab) -> (String, Value) {
    let mutation = rng.random_bool(0.2);
    let root = vocab.types[if mutation { "Mutation" } else { "Query" }].clone();
    let mut b = Builder {
        rng,
        vocab,
        variables: serde_json::Map::new(),
        declarations: Vec::new(),
    };
    let body = b.selection(&root, 0);
    let keyword = if mutation { "mutation" } else { "query" };
    let vars = if b.declarations.is_empty() {
        String::new()
    } else {
        format!("({})", b.declarations.join(", "))
    };
    (
        format!("{keyword} Fuzz{vars} {{ {body} }}"),
        Value::Object(b.variables),
    )
}

const TOKENS: [&str; 24] = [
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ":",
    "...",
    "$x",
    "\"",
    "\"\"\"",
    "#",
    "\u{0}",
    "é",
    "@include(if: true)",
    "@skip(if: $x)",
    " fragment F on Query { health } ",
    "...F",
    " query ",
    " mutation ",
    "1e999999",
    "-0",
    "99999999999999999999",
    " __schema { types { name fields { name } } } ",
];

/// The document with a few random edits.
fn mutate(rng: &mut ChaCha8Rng, text: &str) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for _ in 0..rng.random_range(1..4) {
        let at = rng.random_range(0..=chars.len());
        match rng.random_range(0..6) {
            0 if !chars.is_empty() => {
                let end = (at + rng.random_range(1..20)).min(chars.len());
                chars.drain(at.min(end)..end);
            }
            1 if !chars.is_empty() => {
                let end = (at + rng.random_range(1..40)).min(chars.len());
                let span: Vec<char> = chars[at.min(end)..end].to_vec();
                let times = [2, 10, 200][rng.random_range(0..3)];
                for _ in 0..times {
                    chars.splice(at..at, span.iter().copied());
                }
            }
            2 => {
                let n = [10, 31, 33, 100, 400, 5_000][rng.random_range(0..6)];
                let (open, close) =
                    [("[", "]"), ("{a: ", "}"), ("a { ", "}"), ("(", ")")][rng.random_range(0..4)];
                let nested = format!("{}1{}", open.repeat(n), close.repeat(n));
                chars.splice(at..at, nested.chars());
            }
            3 => {
                let token = TOKENS[rng.random_range(0..TOKENS.len())];
                chars.splice(at..at, token.chars());
            }
            _ if !chars.is_empty() => {
                let i = at.min(chars.len() - 1);
                chars[i] = char::from_u32(rng.random_range(0..0x250)).unwrap_or('?');
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

/// The document with fragments and aliases that explode when expanded: a fan-out chain (each
/// fragment spreading the next two or three times), a fragment cycle, or aliased fields spread
/// many times. Each must be refused before validation, quickly.
fn explode(rng: &mut ChaCha8Rng, text: &str) -> String {
    let Some(open) = text.find('{') else {
        return text.to_string();
    };
    let (spread, fragments) = match rng.random_range(0..3) {
        0 => {
            let levels = [5, 12, 20, 30, 60][rng.random_range(0..5)];
            let fan = rng.random_range(2..4);
            let mut defs = String::new();
            for i in 0..levels {
                let next = format!("...G{} ", i + 1).repeat(fan);
                defs.push_str(&format!(" fragment G{i} on Query {{ {next}}}"));
            }
            defs.push_str(&format!(" fragment G{levels} on Query {{ health }}"));
            ("...G0 ".to_string(), defs)
        }
        1 => (
            "...G0 ".to_string(),
            " fragment G0 on Query { ...G1 health } fragment G1 on Query { ...G0 }".to_string(),
        ),
        _ => {
            let aliases: String = (0..25).map(|i| format!("a{i}: health ")).collect();
            let spreads = "...A ".repeat(rng.random_range(2..400));
            (spreads, format!(" fragment A on Query {{ {aliases}}}"))
        }
    };
    format!("{}{spread}{}{fragments}", &text[..=open], &text[open + 1..])
}

fn check(response: &Value, document: &str, seed: u64) {
    let errors = response.get("errors").and_then(Value::as_array);
    assert!(
        errors.is_some() || response.get("data").is_some_and(|d| !d.is_null()),
        "seed {seed}: neither data nor errors for {document:.300}: {response:.500}"
    );
    for e in errors.into_iter().flatten() {
        let code = e["extensions"]["code"].as_str().unwrap_or("<none>");
        assert!(
            CLIENT_CODES.contains(&code),
            "seed {seed}: code {code} for {document:.300}: {e}"
        );
        let len = e["message"].as_str().map_or(0, str::len);
        assert!(
            len <= 2_000,
            "seed {seed}: a {len}-byte message for {document:.300}"
        );
    }
}

#[tokio::test]
async fn generated_and_mutated_documents_never_hurt_the_gateway() {
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.rate_limit_per_minute = 0)
        .await
        .unwrap();
    let editor: Principal = app.team("fuzz", "Asia/Kathmandu", Role::Editor).await;
    let introspection = app.gql(None, INTROSPECTION).await;
    let types = introspection["data"]["__schema"]["types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["name"].as_str().unwrap().to_string(), t.clone()))
        .collect();
    let vocab = Vocab { types };
    let seed = seed();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let (mut valid, mut with_data) = (0, 0);
    for i in 0..cases(10_000) {
        let (mut text, variables) = document(&mut rng, &vocab);
        // A third stay as built (they reach the resolvers), the rest are mutated.
        if i % 3 != 0 {
            text = mutate(&mut rng, &text);
        }
        if i % 11 == 5 {
            text = explode(&mut rng, &text);
        }
        // Valid documents as a member of a team without data reach every resolver;
        // anonymous ones stop at authentication.
        let principal = (i % 4 == 0).then_some(&editor);
        let mut request = async_graphql::Request::new(text.clone())
            .variables(async_graphql::Variables::from_json(variables.clone()));
        if let Some(p) = principal {
            request = request.data(p.clone());
        }
        let response = serde_json::to_value(Box::pin(app.schema.execute(request)).await).unwrap();
        check(&response, &text, seed);
        valid += usize::from(response.get("errors").is_none());
        with_data += usize::from(response["data"].is_object());
        if i % 50 == 0 {
            // The same through HTTP: body, JSON bounds and the handler's own errors.
            let body = json!({ "query": text, "variables": variables }).to_string();
            let token = principal.map(|p| app.token(p));
            let (_, response) = app.http("POST", "/graphql", token.as_deref(), body).await;
            check(&response, &text, seed);
        }
    }
    // The generator must reach the resolvers, not only the parser.
    assert!(
        valid > 50 && with_data > 300,
        "seed {seed}: {valid} valid, {with_data} with data"
    );
}
