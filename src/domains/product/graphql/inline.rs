//! Inline telemetry: events and memberships posted with the request, validated by the same
//! code as ingestion, computed by the same code as stored rows.

use crate::domains::datasets;
use crate::domains::product::ingest::{MEMBERSHIPS, validate_event};
use crate::domains::product::metrics::{Event, Membership, Props, Symbols, Telemetry};
use crate::kernel::{AppError, AppResult};
use async_graphql::{InputObject, Json};
use chrono::{DateTime, Utc};
use serde_json::json;

/// Most events, and most memberships, one inline request may carry.
pub const MAX_INLINE_ROWS: usize = 10_000;

/// One event, as `product_events` takes it.
#[derive(InputObject, Debug, Clone)]
pub struct InlineEventInput {
    /// Optional here; rows are numbered when it is left out.
    pub id: Option<String>,
    pub user_id: Option<String>,
    pub event_name: String,
    pub event_time: DateTime<Utc>,
    /// A JSON object; the well-known properties must have their types.
    pub properties: Option<Json<serde_json::Value>>,
}

/// One membership, as `product_memberships` takes it.
#[derive(InputObject, Debug, Clone)]
pub struct InlineMembershipInput {
    /// Optional here; rows are numbered when it is left out.
    pub id: Option<String>,
    pub user_id: String,
    /// `monthly`, `quarterly`, `yearly`, `lifetime`, …
    pub plan_type: String,
    pub start_at: DateTime<Utc>,
    pub expire_at: Option<DateTime<Utc>>,
    /// `active`, `cancelled`, `expired` or `refunded`.
    pub status: String,
    pub amount: f64,
    /// ISO 4217; defaults to the team's.
    pub currency: Option<String>,
}

/// Raw events and memberships to compute the dashboard from, instead of stored data.
#[derive(InputObject, Debug, Clone, Default)]
pub struct InlineTelemetryInput {
    /// At most 10 000 events.
    pub events: Vec<InlineEventInput>,
    /// At most 10 000 memberships.
    #[graphql(default)]
    pub memberships: Vec<InlineMembershipInput>,
}

fn bad(list: &str, i: usize, field: &str, message: &str) -> AppError {
    let field = if field.is_empty() {
        format!("inline.{list}.{i}")
    } else {
        format!("inline.{list}.{i}.{field}")
    };
    AppError::bad_input(field, message.to_string())
}

/// Validates inline rows into telemetry (events sorted by time).
pub fn telemetry(input: InlineTelemetryInput, currency: &str) -> AppResult<Telemetry> {
    for (list, n) in [
        ("events", input.events.len()),
        ("memberships", input.memberships.len()),
    ] {
        if n > MAX_INLINE_ROWS {
            return Err(AppError::bad_input(
                format!("inline.{list}"),
                format!("at most {MAX_INLINE_ROWS} {list} per request ({n} given)"),
            ));
        }
    }
    let mut events = Vec::with_capacity(input.events.len());
    for (i, e) in input.events.into_iter().enumerate() {
        let value = json!({"id": e.id, "user_id": e.user_id, "event_name": e.event_name,
            "event_time": e.event_time.to_rfc3339(), "properties": e.properties.map(|p| p.0)});
        let event = validate_event(&value, Some(format!("inline-{i}")))
            .map_err(|err| bad("events", i, &err.field, &err.message))?;
        events.push(event);
    }
    // As stored rows are read: by time, then id.
    events.sort_by(|a, b| (a.event_time_ms, &a.id).cmp(&(b.event_time_ms, &b.id)));
    let mut symbols = Symbols::default();
    let events = events
        .into_iter()
        .map(|e| Event {
            identity: e.identity.map(|u| symbols.intern(&u)),
            event_name: symbols.intern(&e.event_name),
            event_time_ms: e.event_time_ms,
            props: Props::from_map(e.properties, &mut symbols),
        })
        .collect();
    let mut memberships = Vec::with_capacity(input.memberships.len());
    for (i, m) in input.memberships.into_iter().enumerate() {
        let value = json!({"id": m.id.unwrap_or_else(|| format!("inline-{i}")),
            "user_id": m.user_id, "plan_type": m.plan_type, "start_at": m.start_at.to_rfc3339(),
            "expire_at": m.expire_at.map(|t| t.to_rfc3339()), "status": m.status,
            "amount": m.amount, "currency": m.currency.unwrap_or_else(|| currency.to_string())});
        let row = datasets::validate(&MEMBERSHIPS, &value)
            .map_err(|err| bad("memberships", i, &err.field, &err.message))?;
        memberships.push(Membership::from_row(&row, &mut symbols));
    }
    Ok(Telemetry::new(events, memberships, symbols))
}
