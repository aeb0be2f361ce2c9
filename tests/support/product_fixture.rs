//! Product rows for hand-computed tests, and the same rows as `InlineTelemetryInput`.

use super::TestApp;
use dashgate::kernel::Principal;
use serde_json::{Value, json};

/// A `product_events` row.
pub fn ev(id: &str, user: Option<&str>, name: &str, at: &str, props: Value) -> Value {
    json!({"id": id, "user_id": user, "event_name": name, "event_time": at, "properties": props})
}

/// A `product_memberships` row (dates as `YYYY-MM-DD`, midnight UTC).
pub fn membership(
    id: &str,
    user: &str,
    plan: &str,
    amount: f64,
    start: &str,
    expire: Option<&str>,
    status: &str,
) -> Value {
    json!({"id": id, "user_id": user, "plan_type": plan, "amount": amount, "currency": "USD",
           "start_at": format!("{start}T00:00:00Z"), "expire_at": expire.map(|e| format!("{e}T00:00:00Z")),
           "status": status})
}

/// Ingested rows in the shape of `InlineTelemetryInput` (camelCase keys).
pub fn inline_telemetry(events: &[Value], memberships: &[Value]) -> Value {
    let camel = |v: &Value| -> Value {
        let obj = v.as_object().unwrap().iter().map(|(k, v)| {
            let mut parts = k.split('_');
            let mut key = parts.next().unwrap().to_string();
            for p in parts {
                key += &(p[..1].to_uppercase() + &p[1..]);
            }
            (key, v.clone())
        });
        Value::Object(obj.collect())
    };
    json!({"events": events.iter().map(camel).collect::<Vec<_>>(),
           "memberships": memberships.iter().map(camel).collect::<Vec<_>>()})
}

/// Runs `product(<args>) { <selection> }` as `p`; with `inline` given, on those rows
/// (`source: INLINE`). The response must have no errors; returns `data.product`.
pub async fn product(
    app: &TestApp,
    p: &Principal,
    args: &str,
    selection: &str,
    inline: Option<Value>,
) -> Value {
    let (vars, args) = match &inline {
        Some(_) => (
            "($inline: InlineTelemetryInput)",
            format!("{args} inline: $inline"),
        ),
        None => ("", args.to_string()),
    };
    let open = if args.trim().is_empty() {
        String::new()
    } else {
        format!("({args})")
    };
    let q = format!("query{vars} {{ product{open} {{ {selection} }} }}");
    let variables = json!({"inline": inline});
    let request = async_graphql::Request::new(q)
        .variables(async_graphql::Variables::from_json(variables))
        .data(p.clone());
    let response = serde_json::to_value(Box::pin(app.schema.execute(request)).await).unwrap();
    assert!(response.get("errors").is_none(), "{response:#}");
    response["data"]["product"].clone()
}
