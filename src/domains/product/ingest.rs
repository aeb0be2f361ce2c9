//! The product datasets: memberships described as data (see `domains::tables`), and events
//! with their `properties` object validated here — the well-known properties must have their
//! types; the identity and the filtered properties become indexed columns. Inline telemetry
//! (`product(inline: …)`) goes through the same validation.

use super::entity::ProductEvents as E;
use crate::domains::tables::{Dataset, Key, Kind, f};
use crate::kernel::record::{FieldError, MAX_AMOUNT, Record, bounded_number, control_in_json};
use crate::kernel::{AppResult, TeamScope};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use serde_json::{Map, Value};

pub const MEMBERSHIP_STATUSES: &[&str] = &["active", "cancelled", "expired", "refunded"];

/// The table-driven product datasets.
pub const DATASETS: &[Dataset] = &[Dataset {
    name: "product_memberships",
    key: Key::Id,
    fields: &[
        f("user_id", Kind::Str(128)),
        f("plan_type", Kind::Lower(32)),
        f("start_at", Kind::Instant),
        f("expire_at", Kind::OptInstant),
        f("status", Kind::OneOf(MEMBERSHIP_STATUSES)),
        f("amount", Kind::Number),
        f("currency", Kind::Str(3)),
    ],
}];

/// The dataset name of product events.
pub const PRODUCT_EVENTS: &str = "product_events";

/// Largest `properties` object, serialised.
const MAX_PROPERTIES_BYTES: usize = 8_192;
const STRINGS: [&str; 11] = [
    "channel",
    "region",
    "platform",
    "device_id",
    "anonymous_id",
    "course_id",
    "word",
    "model",
    "stage",
    "session_id",
    "plan_type",
];
const NUMBERS: [&str; 4] = ["duration_seconds", "latency_ms", "cost", "tokens"];
const BOOLS: [&str; 2] = ["correct", "success"];

/// One validated product event.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductEvent {
    pub id: String,
    pub user_id: Option<String>,
    /// `user_id`, else `properties.device_id`, else `properties.anonymous_id`.
    pub identity: Option<String>,
    pub event_name: String,
    pub event_time_ms: i64,
    pub properties: Map<String, Value>,
}

/// A dimension value (`channel`, `region`, `platform`) as it is stored, filtered and
/// grouped: trimmed and lower-cased; `None` when empty.
pub fn normalise_dimension(value: &str) -> Option<String> {
    Some(value.trim().to_lowercase()).filter(|s| !s.is_empty())
}

impl ProductEvent {
    /// A dimension property (`channel`, `region`, `platform`), normalised.
    pub fn dimension(&self, name: &str) -> Option<String> {
        self.properties
            .get(name)
            .and_then(Value::as_str)
            .and_then(normalise_dimension)
    }
}

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// Validates one event (`id` is required unless `inline`, where a missing one is numbered).
pub fn validate_event(
    value: &Value,
    fallback_id: Option<String>,
) -> Result<ProductEvent, FieldError> {
    let r = Record::new(
        value,
        &["id", "user_id", "event_name", "event_time", "properties"],
    )?;
    let id = match (r.opt_string("id", 64)?, fallback_id) {
        (Some(id), _) | (None, Some(id)) => id,
        (None, None) => return Err(err("id", "is required")),
    };
    let properties = match value.get("properties") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(map)) => map.clone(),
        Some(_) => return Err(err("properties", "must be a JSON object")),
    };
    if serde_json::to_string(&properties).map_or(0, |s| s.len()) > MAX_PROPERTIES_BYTES {
        return Err(err(
            "properties",
            format!("is larger than {MAX_PROPERTIES_BYTES} bytes"),
        ));
    }
    if let Some(text) = value.get("properties").and_then(control_in_json) {
        let shown: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
        let msg = format!("`{shown}…` contains a control character (NUL, line break, …)");
        return Err(err("properties", msg));
    }
    for (key, v) in &properties {
        let field = format!("properties.{key}");
        let ok = if STRINGS.contains(&key.as_str()) {
            v.is_string() || v.is_null()
        } else if NUMBERS.contains(&key.as_str()) {
            v.is_null() || bounded_number(v, 0.0, MAX_AMOUNT).is_some()
        } else if BOOLS.contains(&key.as_str()) {
            v.is_boolean() || v.is_null()
        } else if key == "status" {
            v.is_string() || v.is_number() || v.is_null()
        } else {
            true
        };
        if !ok {
            let kind = if STRINGS.contains(&key.as_str()) {
                "a string"
            } else if NUMBERS.contains(&key.as_str()) {
                "a number between 0 and 1e12"
            } else if BOOLS.contains(&key.as_str()) {
                "true or false"
            } else {
                "a string or a number"
            };
            return Err(err(&field, format!("must be {kind}")));
        }
    }
    let user_id = r.opt_string("user_id", 128)?;
    let prop = |k: &str| {
        properties
            .get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(|s| s.chars().take(128).collect::<String>())
    };
    let identity = user_id
        .clone()
        .or_else(|| prop("device_id"))
        .or_else(|| prop("anonymous_id"));
    Ok(ProductEvent {
        id,
        identity,
        user_id,
        event_name: r.string("event_name", 64)?,
        event_time_ms: r.instant("event_time")?.timestamp_millis(),
        properties,
    })
}

/// Writes the events the team does not have yet (by id); returns how many were new.
pub async fn write_events(
    txn: &DatabaseTransaction,
    scope: &TeamScope,
    events: &[ProductEvent],
) -> AppResult<u64> {
    let mut inserted = 0;
    for chunk in events.chunks(1_000) {
        let mut insert = Query::insert();
        insert.into_table(E::Table).columns([
            E::TeamId,
            E::Id,
            E::UserId,
            E::Identity,
            E::EventName,
            E::EventTimeMs,
            E::Channel,
            E::Region,
            E::Platform,
            E::Properties,
        ]);
        for e in chunk {
            insert.values_panic([
                scope.team_id().0.into(),
                e.id.clone().into(),
                e.user_id.clone().into(),
                e.identity.clone().into(),
                e.event_name.clone().into(),
                e.event_time_ms.into(),
                e.dimension("channel").into(),
                e.dimension("region").into(),
                e.dimension("platform").into(),
                Value::Object(e.properties.clone()).to_string().into(),
            ]);
        }
        insert.on_conflict(
            OnConflict::columns([E::TeamId, E::Id])
                .do_nothing()
                .to_owned(),
        );
        inserted += txn.execute(&insert).await?.rows_affected();
    }
    Ok(inserted)
}
