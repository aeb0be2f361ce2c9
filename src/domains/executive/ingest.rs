//! The executive datasets, described as data (see `domains::datasets`): four month-keyed
//! tables (a re-sent month replaces its figures), orders (versioned by `updated_at`), and
//! real-user timing events with their `meta` map (append-only; one event from a browser or a
//! batch, the same rules).

use crate::domains::datasets::{Dataset, History, Key, Kind, f};
use crate::kernel::record::{FieldError, has_control};
use chrono::{DateTime, Utc};
use rand::Rng;
use rand::distr::Alphanumeric;

/// Every table-driven executive dataset.
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "exec_revenue_months",
        key: Key::Month,
        history: History::Replaced,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("recognized", Kind::NumberOrZero),
            f("booked", Kind::NumberOrZero),
            f("backlog", Kind::OptNumber),
        ],
    },
    Dataset {
        name: "exec_uptime_months",
        key: Key::Month,
        history: History::Replaced,
        rollup: None,
        tallies: &[],
        person_key: false,
        // A ratio; values above 1 are percentages (read as such by the metrics).
        fields: &[f("uptime", Kind::AtMost(100))],
    },
    Dataset {
        name: "exec_nrr_months",
        key: Key::Month,
        history: History::Replaced,
        rollup: None,
        tallies: &[],
        person_key: false,
        // A ratio that may exceed 1; values above 3 are percentages.
        fields: &[f("nrr", Kind::AtMost(1000))],
    },
    Dataset {
        name: "exec_pipeline_months",
        key: Key::Month,
        history: History::Replaced,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("pipeline", Kind::Number),
            f("win_rate", Kind::AtMost(100)),
        ],
    },
    Dataset {
        name: "exec_orders",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("order_date", Kind::Date),
            f("customer", Kind::Str(200)),
            f("amount", Kind::Number),
            f("profit", Kind::Signed),
            f("type", Kind::Lower(32)),
            f("updated_at", Kind::OptInstant),
        ],
    },
    RUM_EVENTS,
];

/// Real-user timing events: `meta` is an object of up to 32 strings, kept as JSON.
pub const RUM_EVENTS: Dataset = Dataset {
    name: "rum_events",
    key: Key::Id,
    history: History::AppendOnly,
    rollup: None,
    tallies: &[],
    person_key: false,
    fields: &[
        f("name", Kind::Str(64)),
        f("occurred_at", Kind::Instant),
        f("session_id", Kind::Str(128)),
        f("duration_ms", Kind::OptDuration),
        f("meta", Kind::OptJson(check_meta)),
    ],
};

/// Most meta entries one event may carry.
pub const MAX_META: usize = 32;

fn err(field: &str, message: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        message: message.into(),
    }
}

/// A browser event as a row of `rum_events`: a missing `id` becomes a random one and a
/// missing `occurred_at` the gateway's clock (batches must send both).
pub fn from_browser(mut value: serde_json::Value, now: DateTime<Utc>) -> serde_json::Value {
    if let Some(obj) = value.as_object_mut() {
        if matches!(obj.get("id"), None | Some(serde_json::Value::Null)) {
            let random: String = rand::rng()
                .sample_iter(Alphanumeric)
                .take(24)
                .map(char::from)
                .collect();
            obj.insert("id".into(), format!("rum_{random}").into());
        }
        if matches!(obj.get("occurred_at"), None | Some(serde_json::Value::Null)) {
            let at = now.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
            obj.insert("occurred_at".into(), at.into());
        }
    }
    value
}

/// `meta`: at most 32 entries; keys of 1–64 characters, values strings of at most 500; no
/// control characters anywhere.
fn check_meta(value: &serde_json::Value) -> Result<(), FieldError> {
    let Some(obj) = value.as_object() else {
        return Err(err("meta", "must be an object of strings"));
    };
    if obj.len() > MAX_META {
        return Err(err("meta", format!("has more than {MAX_META} entries")));
    }
    for (k, v) in obj {
        let field = format!("meta.{k}");
        if k.is_empty() || k.chars().count() > 64 || has_control(k) {
            return Err(err(
                &field,
                "keys have 1–64 characters, none a control character",
            ));
        }
        match v {
            serde_json::Value::String(s) if has_control(s) => {
                return Err(err(&field, "must not contain control characters"));
            }
            serde_json::Value::String(s) if s.chars().count() <= 500 => {}
            serde_json::Value::String(_) => {
                return Err(err(&field, "is longer than 500 characters"));
            }
            _ => return Err(err(&field, "must be a string")),
        }
    }
    Ok(())
}
