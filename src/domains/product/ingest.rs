//! The product datasets, described as data (see `domains::datasets`): memberships (versioned
//! by `updated_at`: a membership is cancelled, refunded, renewed) and events (append-only)
//! whose `properties` object is checked here — the well-known properties must have their
//! types — and whose identity and filtered properties become indexed columns. Inline
//! telemetry (`product(inline: …)`) goes through the same checks.

use crate::domains::datasets::{Dataset, History, Key, Kind, f, person};
use crate::kernel::record::{FieldError, MAX_AMOUNT, Record, bounded_number, control_in_json};
use serde_json::{Map, Value};

pub const MEMBERSHIP_STATUSES: &[&str] = &["active", "cancelled", "expired", "refunded"];

/// The table-driven product datasets.
pub const DATASETS: &[Dataset] = &[PRODUCT_EVENTS, MEMBERSHIPS];

/// Memberships: a row per purchase, its status following the source.
pub const MEMBERSHIPS: Dataset = Dataset {
    name: "product_memberships",
    key: Key::Id,
    history: History::Versioned,
    rollup: None,
    tallies: &[],
    person_key: false,
    fields: &[
        person(f("user_id", Kind::Str(128))),
        f("plan_type", Kind::Lower(32)),
        f("start_at", Kind::Instant),
        f("expire_at", Kind::OptInstant),
        f("status", Kind::OneOf(MEMBERSHIP_STATUSES)),
        f("amount", Kind::Number),
        f("currency", Kind::Str(3)),
        f("updated_at", Kind::OptInstant),
    ],
};

/// Product events: the identity and the filtered properties are stored as their own columns.
pub const PRODUCT_EVENTS: Dataset = Dataset {
    name: "product_events",
    key: Key::Id,
    history: History::AppendOnly,
    rollup: None,
    tallies: &[],
    person_key: false,
    fields: &[
        person(f("user_id", Kind::OptStr(128))),
        f("event_name", Kind::Str(64)),
        f("event_time", Kind::Instant),
        f("properties", Kind::Json(check_properties)),
        person(f("identity", Kind::Derived(identity_of))),
        f("channel", Kind::Derived(|row| dimension_of(row, "channel"))),
        f("region", Kind::Derived(|row| dimension_of(row, "region"))),
        f(
            "platform",
            Kind::Derived(|row| dimension_of(row, "platform")),
        ),
    ],
};

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

/// A property's text, at most 128 characters; `None` when absent or empty.
fn text_property(properties: &Map<String, Value>, name: &str) -> Option<String> {
    properties
        .get(name)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(128).collect())
}

/// `user_id`, else `properties.device_id`, else `properties.anonymous_id`.
fn identity_of(row: &Value) -> Option<String> {
    let properties = row.get("properties").and_then(Value::as_object);
    row.get("user_id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .or_else(|| properties.and_then(|p| text_property(p, "device_id")))
        .or_else(|| properties.and_then(|p| text_property(p, "anonymous_id")))
}

/// A dimension property of the row, normalised.
fn dimension_of(row: &Value, name: &str) -> Option<String> {
    row.get("properties")
        .and_then(|p| p.get(name))
        .and_then(Value::as_str)
        .and_then(normalise_dimension)
}

/// The `properties` object: at most 8 KiB, no control characters, well-known properties of
/// their types.
pub fn check_properties(value: &Value) -> Result<(), FieldError> {
    let Some(properties) = value.as_object() else {
        return Err(err("properties", "must be a JSON object"));
    };
    if value.to_string().len() > MAX_PROPERTIES_BYTES {
        return Err(err(
            "properties",
            format!("is larger than {MAX_PROPERTIES_BYTES} bytes"),
        ));
    }
    if let Some(text) = control_in_json(value) {
        let shown: String = text.chars().filter(|c| !c.is_control()).take(40).collect();
        let msg = format!("`{shown}…` contains a control character (NUL, line break, …)");
        return Err(err("properties", msg));
    }
    for (key, v) in properties {
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
    Ok(())
}

/// Validates one inline event (`id` is required unless `fallback_id` numbers it), with the
/// checks of stored events.
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
        Some(v @ Value::Object(map)) => {
            check_properties(v)?;
            map.clone()
        }
        Some(_) => return Err(err("properties", "must be a JSON object")),
    };
    let user_id = r.opt_string("user_id", 128)?;
    let identity = identity_of(value);
    Ok(ProductEvent {
        id,
        identity,
        user_id,
        event_name: r.string("event_name", 64)?,
        event_time_ms: r.instant("event_time")?.timestamp_millis(),
        properties,
    })
}
