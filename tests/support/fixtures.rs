//! Request-log rows for hand-computed tests.

use serde_json::{Value, json};

/// A request log; `extra` overrides or adds fields.
pub fn log(id: &str, at: &str, status: i64, latency: f64, extra: Value) -> Value {
    let mut row = json!({
        "id": id,
        "created_at": at,
        "endpoint": "/v1/chat/completions",
        "status_code": status,
        "latency_ms": latency,
    });
    if let (Some(row), Some(extra)) = (row.as_object_mut(), extra.as_object()) {
        for (k, v) in extra {
            row.insert(k.clone(), v.clone());
        }
    }
    row
}

/// The hand-computed fixture of `tests/api_usage.rs` (see the table there).
pub fn api_usage_rows() -> Vec<Value> {
    vec![
        log(
            "r1",
            "2026-03-01T01:00:00Z",
            200,
            100.0,
            json!({"model_name": "A", "country_code": "US", "cost_usd": 0.10, "tokens": 100, "user_id": "u1"}),
        ),
        log(
            "r2",
            "2026-03-01T02:00:00Z",
            500,
            300.0,
            json!({"model_name": "A", "country_code": "us", "cost_usd": null, "user_id": "u2"}),
        ),
        log(
            "r3",
            "2026-03-01T23:59:59.999Z",
            200,
            50.0,
            json!({"endpoint": "/v1/embeddings", "model_name": "B", "country_code": "DE", "cost_usd": "0.02", "tokens": 20, "user_id": "u1"}),
        ),
        log(
            "r4",
            "2026-03-02T10:00:00Z",
            429,
            10.0,
            json!({"model_name": "B", "country_code": "ZZ", "cost_usd": 0, "tokens": 0, "user_id": ""}),
        ),
        log(
            "r5",
            "2026-03-02T12:00:00Z",
            200,
            20.0,
            json!({"endpoint": "/v1/models", "model_name": "", "user_id": "u3"}),
        ),
        log(
            "r6",
            "2026-03-03T00:00:00Z",
            200,
            1000.0,
            json!({"model_name": "A", "country_code": "US", "cost_usd": 5.0, "tokens": 5000, "user_id": "u9"}),
        ),
        log(
            "p1",
            "2026-02-28T12:00:00Z",
            200,
            200.0,
            json!({"model_name": "A", "country_code": "US", "cost_usd": 0.30, "tokens": 300, "user_id": "u1"}),
        ),
        log(
            "p2",
            "2026-02-27T00:00:00Z",
            404,
            40.0,
            json!({"model_name": "A", "country_code": "FR", "user_id": "u4"}),
        ),
        log(
            "p0",
            "2026-02-26T23:59:59Z",
            200,
            7.0,
            json!({"model_name": "A", "user_id": "u8"}),
        ),
    ]
}
