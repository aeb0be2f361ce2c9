//! The `request_logs` dataset, described as data (see `domains::datasets`): append-only, a
//! known id is a duplicate. `cost_usd` is stored exactly as integer micro-dollars.

use crate::domains::datasets::{Dataset, History, Key, Kind, f, stored_as};
use crate::domains::rollups::{DAY_MS, Dim, HOUR_MS, Measure, Rollup, Sql, sketch};

/// API request logs (spec/api_usage.md).
pub const REQUEST_LOGS: Dataset = Dataset {
    name: "request_logs",
    key: Key::Id,
    history: History::AppendOnly,
    rollup: Some(&REQUEST_LOG_ROLLUP),
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

/// Request logs per team and UTC hour: totals, and by status code, model, country and user;
/// users per UTC day too. The user dimensions are presence rollups: distinct users of a window
/// are the distinct keys of its days and hours, never a sum of per-bucket counts.
pub const REQUEST_LOG_ROLLUP: Rollup = Rollup {
    table: "request_log_rollups",
    source: "request_logs",
    key: "id",
    time: "created_at_ms",
    version: 3,
    dims: &[
        Dim {
            name: "total",
            key: Sql::Text("''"),
            grain_ms: HOUR_MS,
        },
        Dim {
            name: "status",
            key: Sql::Text("CAST(status_code AS TEXT)"),
            grain_ms: HOUR_MS,
        },
        Dim {
            name: "model",
            key: Sql::Text("model_name"),
            grain_ms: HOUR_MS,
        },
        Dim {
            name: "country",
            key: Sql::Text("country_code"),
            grain_ms: HOUR_MS,
        },
        Dim {
            name: "user",
            key: Sql::Text("user_id"),
            grain_ms: HOUR_MS,
        },
        // Latency as a quantile sketch (counts per log-linear bin), per hour and per day.
        Dim {
            name: "latency",
            key: Sql::Built(latency_bin),
            grain_ms: HOUR_MS,
        },
        Dim {
            name: "latency_day",
            key: Sql::Built(latency_bin),
            grain_ms: DAY_MS,
        },
        // Users per UTC day: distinct users of whole UTC days read one row per user and day.
        Dim {
            name: "user_day",
            key: Sql::Text("user_id"),
            grain_ms: DAY_MS,
        },
    ],
    measures: &[
        Measure {
            column: "n",
            per_row: "1",
            count: true,
        },
        Measure {
            column: "errors",
            per_row: "CASE WHEN status_code >= 400 THEN 1 ELSE 0 END",
            count: true,
        },
        Measure {
            column: "cost_micros",
            per_row: "COALESCE(CAST(cost_micros AS DOUBLE PRECISION), 0)",
            count: false,
        },
        Measure {
            column: "cost_n",
            per_row: "CASE WHEN cost_micros IS NULL THEN 0 ELSE 1 END",
            count: true,
        },
        Measure {
            column: "latency_ms",
            per_row: "CAST(latency_ms AS DOUBLE PRECISION)",
            count: false,
        },
        Measure {
            column: "tokens",
            per_row: "COALESCE(CAST(tokens AS DOUBLE PRECISION), 0)",
            count: false,
        },
    ],
};

/// The sketch bin of a request's latency (see `rollups::sketch`).
fn latency_bin(backend: sea_orm::DatabaseBackend) -> String {
    sketch::bin_sql("latency_ms", backend)
}
