//! The executive datasets: four month-keyed tables and orders described as data (see
//! `domains::tables`), and real-user timing events with their meta map, validated and written
//! here (one event from a browser or a batch, the same rules).

use super::entity::{RumEventMeta, RumEvents};
use crate::domains::tables::{Dataset, Key, Kind, f};
use crate::kernel::record::{FieldError, MAX_DURATION_MS, Record, has_control};
use crate::kernel::{AppResult, TeamScope};
use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use std::collections::{BTreeMap, HashSet};

/// Every table-driven executive dataset.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "exec_revenue_months",
        key: Key::Month,
        fields: &[
            f("recognized", Kind::NumberOrZero),
            f("booked", Kind::NumberOrZero),
            f("backlog", Kind::OptNumber),
        ],
    },
    Dataset {
        name: "exec_uptime_months",
        key: Key::Month,
        // A ratio; values above 1 are percentages (read as such by the metrics).
        fields: &[f("uptime", Kind::AtMost(100))],
    },
    Dataset {
        name: "exec_nrr_months",
        key: Key::Month,
        // A ratio that may exceed 1; values above 3 are percentages.
        fields: &[f("nrr", Kind::AtMost(1000))],
    },
    Dataset {
        name: "exec_pipeline_months",
        key: Key::Month,
        fields: &[
            f("pipeline", Kind::Number),
            f("win_rate", Kind::AtMost(100)),
        ],
    },
    Dataset {
        name: "exec_orders",
        key: Key::Id,
        fields: &[
            f("order_date", Kind::Date),
            f("customer", Kind::Str(200)),
            f("amount", Kind::Number),
            f("profit", Kind::Signed),
            f("type", Kind::Lower(32)),
        ],
    },
];

/// The dataset name of real-user timing events.
pub const RUM_EVENTS: &str = "rum_events";

/// Most meta entries one event may carry.
pub const MAX_META: usize = 32;

/// One validated real-user timing event.
#[derive(Debug, Clone, PartialEq)]
pub struct RumEvent {
    pub id: String,
    pub name: String,
    pub occurred_at_ms: i64,
    pub session_id: String,
    pub duration_ms: Option<f64>,
    pub meta: BTreeMap<String, String>,
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Validates one event. With `now` (a browser event), `id` and `occurred_at` may be left out:
/// the gateway fills in a random id and its clock.
pub fn validate_event(
    value: &serde_json::Value,
    now: Option<DateTime<Utc>>,
) -> Result<RumEvent, FieldError> {
    let fields = [
        "id",
        "name",
        "occurred_at",
        "session_id",
        "duration_ms",
        "meta",
    ];
    let r = Record::new(value, &fields)?;
    let id = match (r.opt_string("id", 64)?, now) {
        (Some(id), _) => id,
        (None, Some(_)) => {
            let random: String = rand::rng()
                .sample_iter(Alphanumeric)
                .take(24)
                .map(char::from)
                .collect();
            format!("rum_{random}")
        }
        (None, None) => return Err(err("id", "is required")),
    };
    let occurred_at = match (value.get("occurred_at"), now) {
        (None | Some(serde_json::Value::Null), Some(now)) => now,
        _ => r.instant("occurred_at")?,
    };
    let duration_ms = match value.get("duration_ms") {
        None | Some(serde_json::Value::Null) => None,
        Some(_) => Some(r.number("duration_ms", 0.0, MAX_DURATION_MS)?),
    };
    Ok(RumEvent {
        id,
        name: r.string("name", 64)?,
        occurred_at_ms: occurred_at.timestamp_millis(),
        session_id: r.string("session_id", 128)?,
        duration_ms,
        meta: meta(value.get("meta"))?,
    })
}

fn meta(value: Option<&serde_json::Value>) -> Result<BTreeMap<String, String>, FieldError> {
    let obj = match value {
        None | Some(serde_json::Value::Null) => return Ok(BTreeMap::new()),
        Some(serde_json::Value::Object(obj)) => obj,
        Some(_) => return Err(err("meta", "must be an object of strings")),
    };
    if obj.len() > MAX_META {
        return Err(err("meta", format!("has more than {MAX_META} entries")));
    }
    let mut out = BTreeMap::new();
    for (k, v) in obj {
        let field = format!("meta.{k}");
        if k.is_empty() || k.chars().count() > 64 || has_control(k) {
            return Err(err(
                &field,
                "keys have 1–64 characters, none a control character",
            ));
        }
        let v = match v {
            serde_json::Value::String(s) if has_control(s) => {
                return Err(err(&field, "must not contain control characters"));
            }
            serde_json::Value::String(s) if s.chars().count() <= 500 => s.clone(),
            serde_json::Value::String(_) => {
                return Err(err(&field, "is longer than 500 characters"));
            }
            _ => return Err(err(&field, "must be a string")),
        };
        out.insert(k.clone(), v);
    }
    Ok(out)
}

/// Writes the events the team does not have yet (by id), each with its meta, inside `txn`;
/// returns how many were new.
pub async fn write_events(
    txn: &DatabaseTransaction,
    scope: &TeamScope,
    events: &[RumEvent],
) -> AppResult<u64> {
    let team = scope.team_id().0;
    let mut known: HashSet<String> = HashSet::new();
    for chunk in events.chunks(500) {
        let stmt = Query::select()
            .column(RumEvents::Id)
            .from(RumEvents::Table)
            .and_where(Expr::col(RumEvents::TeamId).eq(team))
            .and_where(Expr::col(RumEvents::Id).is_in(chunk.iter().map(|e| e.id.clone())))
            .to_owned();
        for row in txn.query_all(&stmt).await? {
            known.insert(crate::kernel::sql::get(&row, 0)?);
        }
    }
    let fresh: Vec<&RumEvent> = events
        .iter()
        .filter(|e| known.insert(e.id.clone()))
        .collect();
    let mut inserted = 0;
    for chunk in fresh.chunks(1_000) {
        let mut insert = Query::insert();
        insert.into_table(RumEvents::Table).columns([
            RumEvents::TeamId,
            RumEvents::Id,
            RumEvents::Name,
            RumEvents::OccurredAtMs,
            RumEvents::SessionId,
            RumEvents::DurationMs,
        ]);
        for e in chunk {
            insert.values_panic([
                team.into(),
                e.id.clone().into(),
                e.name.clone().into(),
                e.occurred_at_ms.into(),
                e.session_id.clone().into(),
                e.duration_ms.into(),
            ]);
        }
        insert.on_conflict(
            OnConflict::columns([RumEvents::TeamId, RumEvents::Id])
                .do_nothing()
                .to_owned(),
        );
        inserted += txn.execute(&insert).await?.rows_affected();
    }
    let entries: Vec<(&str, &String, &String)> = fresh
        .iter()
        .flat_map(|e| e.meta.iter().map(|(k, v)| (e.id.as_str(), k, v)))
        .collect();
    for chunk in entries.chunks(2_000) {
        let mut insert = Query::insert();
        insert.into_table(RumEventMeta::Table).columns([
            RumEventMeta::TeamId,
            RumEventMeta::EventId,
            RumEventMeta::Key,
            RumEventMeta::Value,
        ]);
        for (id, k, v) in chunk {
            insert.values_panic([
                team.into(),
                (*id).into(),
                (*k).clone().into(),
                (*v).clone().into(),
            ]);
        }
        insert.on_conflict(
            OnConflict::columns([
                RumEventMeta::TeamId,
                RumEventMeta::EventId,
                RumEventMeta::Key,
            ])
            .do_nothing()
            .to_owned(),
        );
        txn.execute(&insert).await?;
    }
    Ok(inserted)
}
