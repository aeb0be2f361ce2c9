//! The `request_logs` dataset, described as data (see `domains::datasets`): append-only, a
//! known id is a duplicate. `cost_usd` is stored exactly as integer micro-dollars.

use crate::domains::datasets::{Dataset, History, Key, Kind, f, stored_as};

/// API request logs (spec/api_usage.md).
pub const REQUEST_LOGS: Dataset = Dataset {
    name: "request_logs",
    key: Key::Id,
    history: History::AppendOnly,
    fields: &[
        f("created_at", Kind::Instant),
        f("endpoint", Kind::Str(128)),
        f("status_code", Kind::Int(100, 599)),
        f("latency_ms", Kind::Duration),
        f("model_name", Kind::OptStr(128)),
        f("country_code", Kind::Country),
        stored_as("cost_usd", "cost_micros", Kind::Micros),
        f("tokens", Kind::OptInt(0, 1_000_000_000)),
        f("user_id", Kind::OptStr(64)),
    ],
};
