//! Fuzzing ingestion: valid rows of several datasets with mutated values (huge, negative,
//! non-finite-looking, `-0`, NUL and control characters, wrong types, missing and unknown
//! fields, deep nesting, repeated ids), broken JSON and odd content types. Every answer is 200
//! or a coded 4xx — never a 500 — and no rejected batch writes a row: the rows stored equal
//! the rows the answers say were inserted.
//!
//! Seed and count: `DASHGATE_TEST_FUZZ_SEED`, `DASHGATE_TEST_FUZZ_CASES` (default 4 000 here, half per database).

use crate::both_dbs_with;
use crate::fuzz_graphql::{cases, seed};
use axum::http::StatusCode;
use dashgate::kernel::Role;
use rand::prelude::*;
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::HashMap;

const AT: &str = "2026-03-09T10:00:00Z";

/// A valid row of each fuzzed (id-keyed, reference-free) dataset.
fn template(dataset: &str, id: &str) -> Value {
    match dataset {
        "request_logs" => {
            json!({"id": id, "created_at": AT, "endpoint": "/v1/x", "status_code": 200,
            "latency_ms": 12.5, "model_name": "m", "country_code": "de", "cost_usd": "0.01", "tokens": 10, "user_id": "u"})
        }
        "product_events" => {
            json!({"id": id, "user_id": "u", "event_name": "app_open", "event_time": AT,
            "properties": {"channel": "web", "duration_seconds": 3, "note": "x"}})
        }
        "rum_events" => json!({"id": id, "name": "page_load", "occurred_at": AT, "session_id": "s",
            "duration_ms": 120, "meta": {"page": "/"}}),
        "exec_orders" => {
            json!({"id": id, "order_date": "2026-03-01", "customer": "c", "amount": 10,
            "profit": -2, "type": "new"})
        }
        "pub_videos" => json!({"id": id, "title": "t", "created_at": AT}),
        _ => json!({"id": id, "name": "n", "is_archived": false, "created_at": AT}),
    }
}

const DATASETS: [&str; 6] = [
    "request_logs",
    "product_events",
    "rum_events",
    "exec_orders",
    "pub_videos",
    "chat_experiments",
];

fn odd_value(rng: &mut ChaCha8Rng) -> Value {
    let deep = "[".repeat(40) + &"]".repeat(40);
    let choices = [
        json!(1e308),
        json!(-1e308),
        json!(-0.0),
        json!(-1),
        json!(9_223_372_036_854_775_807i64),
        json!("NaN"),
        json!("Infinity"),
        json!("1e999"),
        json!("a\u{0}b"),
        json!("line\nbreak"),
        json!("\u{1b}[31m"),
        json!("x".repeat(300)),
        json!("0000-01-01T00:00:00Z"),
        json!("9999-12-31T23:59:59Z"),
        json!(true),
        json!(null),
        json!([]),
        json!({"nested": {"a": [1, 2, {"b": "\u{0}"}]}}),
        serde_json::from_str(&deep).unwrap_or(Value::Null),
        json!(""),
        json!("é\u{1F600}"),
    ];
    choices[rng.random_range(0..choices.len())].clone()
}

/// A row with a few random edits.
fn mutate(rng: &mut ChaCha8Rng, mut row: Value) -> Value {
    let Some(obj) = row.as_object_mut() else {
        return row;
    };
    for _ in 0..rng.random_range(0..3) {
        let keys: Vec<String> = obj.keys().cloned().collect();
        let key = keys[rng.random_range(0..keys.len())].clone();
        match rng.random_range(0..5) {
            0 => {
                obj.remove(&key);
            }
            1 => {
                obj.insert("unknown_field".into(), json!(1));
            }
            _ => {
                obj.insert(key, odd_value(rng));
            }
        }
    }
    row
}

/// A batch body, its content type, and whether it should be accepted as far as we know.
fn batch(rng: &mut ChaCha8Rng, dataset: &str, next_id: &mut u64) -> (String, &'static str) {
    let n = rng.random_range(1..6);
    let mut rows = Vec::new();
    for _ in 0..n {
        *next_id += 1;
        let id = if rng.random_bool(0.1) {
            "dup".to_string()
        } else {
            format!("r{next_id}")
        };
        let row = template(dataset, &id);
        rows.push(if rng.random_bool(0.6) {
            mutate(rng, row)
        } else {
            row
        });
    }
    let mut body = if rng.random_bool(0.5) {
        rows.iter().map(|r| format!("{r}\n")).collect()
    } else {
        Value::Array(rows).to_string()
    };
    if rng.random_bool(0.05) {
        let cut = rng.random_range(0..body.len());
        let mut at = cut;
        while !body.is_char_boundary(at) {
            at -= 1;
        }
        body.truncate(at);
    }
    let ct = [
        "application/x-ndjson",
        "application/json",
        "text/plain",
        "application/x-ndjson",
    ][rng.random_range(0..4)];
    (body, ct)
}

both_dbs_with! {
    |s| s.rate_limit_per_minute = 0;
    async fn fuzzed_batches_get_coded_answers_and_never_write_partially(app) {
        let p = app.team("fuzz", "UTC", Role::Editor).await;
        let token = format!("Bearer {}", app.token(&p));
        let seed = seed();
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut inserted: HashMap<&str, i64> = HashMap::new();
        let mut next_id = 0;
        let (mut ok, mut refused) = (0, 0);
        for _ in 0..cases(4_000) / 2 {
            let dataset = DATASETS[rng.random_range(0..DATASETS.len())];
            let (body, ct) = batch(&mut rng, dataset, &mut next_id);
            let path = format!("/v1/ingest/{dataset}");
            let r = app.send("POST", &path, &[("authorization", &token), ("content-type", ct)], body.clone()).await;
            let answer = r.json();
            match r.status {
                StatusCode::OK => {
                    ok += 1;
                    *inserted.entry(dataset).or_default() += answer["inserted"].as_i64().unwrap();
                }
                StatusCode::UNPROCESSABLE_ENTITY | StatusCode::UNSUPPORTED_MEDIA_TYPE => {
                    refused += 1;
                    let code = answer["error"]["code"].as_str().unwrap_or("<none>");
                    assert!(["BAD_USER_INPUT", "UNSUPPORTED_MEDIA_TYPE"].contains(&code), "seed {seed}: {code} for {body:.300}");
                }
                other => panic!("seed {seed}: {other} for {dataset} {body:.300}: {}", r.body),
            }
        }
        assert!(ok > 50 && refused > 50, "seed {seed}: {ok} accepted, {refused} refused");
        for dataset in DATASETS {
            let n = app.count_rows(dataset).await;
            assert_eq!(n, inserted.get(dataset).copied().unwrap_or(0), "seed {seed}: {dataset}");
        }
    }
}
