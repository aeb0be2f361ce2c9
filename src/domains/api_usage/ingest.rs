//! The `request_logs` dataset, described as data (see `domains::datasets`): append-only, a
//! known id is a duplicate. `cost_usd` is stored exactly as integer micro-dollars.

use crate::domains::datasets::{Dataset, History, Key, Kind, f, person, stored_as};
use crate::domains::rollups::{Dim, Measure, Rollup, Sql, sketch};

/// API request logs (spec/api_usage.md).
pub const REQUEST_LOGS: Dataset = Dataset {
    name: "request_logs",
    key: Key::Id,
    history: History::AppendOnly,
    rollup: Some(&REQUEST_LOG_ROLLUP),
    tallies: &[],
    person_key: false,
    fields: &[
        f("created_at", Kind::Instant),
        f("endpoint", Kind::Str(128)),
        f("status_code", Kind::Int(100, 599)),
        f("latency_ms", Kind::Duration),
        f("model_name", Kind::OptStr(128)),
        f("country_code", Kind::Country),
        stored_as("cost_usd", "cost_micros", Kind::Micros),
        f("tokens", Kind::OptInt(0, 1_000_000_000)),
        person(f("user_id", Kind::OptStr(64))),
    ],
};

/// Request logs per team, UTC hour and UTC day: totals, and by status code, model, country,
/// user (presence) and latency bin (a quantile sketch).
pub const REQUEST_LOG_ROLLUP: Rollup = Rollup {
    table: "request_log_rollups",
    source: "request_logs",
    key: "id",
    time: "created_at_ms",
    version: 7,
    // Each dimension per UTC hour and per UTC day (`_day`): a window reads whole days, then
    // whole hours, then raw rows for what is left.
    dims: &[
        Dim::hourly("total", TOTAL),
        Dim::daily("total_day", TOTAL),
        Dim::hourly("status", STATUS),
        Dim::daily("status_day", STATUS),
        Dim::hourly("model", MODEL),
        Dim::daily("model_day", MODEL),
        Dim::hourly("country", COUNTRY),
        Dim::daily("country_day", COUNTRY),
        // Presence: distinct users of a window are the distinct keys of its days (and of raw
        // rows for the rest). Per day only: only the `activeUsers` KPI counts users, over whole
        // windows, and per-hour presence cost more at ingest (a row per user and hour) than the
        // raw edges it saves. Insert-if-absent (`Dim::presence`): a user's later requests of a
        // day write nothing.
        Dim::presence_daily("user_day", USER),
        // Latency as a quantile sketch: counts per log-linear bin, per day only — the sketch
        // serves windows of more than 20 000 requests (smaller ones are exact), which span
        // days; hourly bins cost about a rollup row per two requests at ingest.
        Dim::daily("latency_day", LATENCY),
    ],
    measures: &[
        Measure::sum("n", "1"),
        Measure::sum("errors", "CASE WHEN status_code >= 400 THEN 1 ELSE 0 END"),
        Measure::sum(
            "cost_micros",
            "COALESCE(CAST(cost_micros AS DOUBLE PRECISION), 0)",
        ),
        Measure::sum("cost_n", "CASE WHEN cost_micros IS NULL THEN 0 ELSE 1 END"),
        Measure::sum("latency_ms", "CAST(latency_ms AS DOUBLE PRECISION)"),
        Measure::sum("tokens", "COALESCE(CAST(tokens AS DOUBLE PRECISION), 0)"),
    ],
};

const TOTAL: Sql = Sql::Text("''");
const STATUS: Sql = Sql::Text("CAST(status_code AS TEXT)");
const MODEL: Sql = Sql::Text("model_name");
const COUNTRY: Sql = Sql::Text("country_code");
const USER: Sql = Sql::Text("user_id");
const LATENCY: Sql = Sql::Built(latency_bin);

/// The sketch bin of a request's latency (see `rollups::sketch`).
fn latency_bin(backend: sea_orm::DatabaseBackend) -> String {
    sketch::bin_sql("latency_ms", backend)
}
