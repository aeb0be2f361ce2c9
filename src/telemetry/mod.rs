//! Prometheus metrics of one gateway (`GET /metrics`). Every label value comes from a bounded
//! set — route templates, status codes, operation types, error codes, panel and dataset names,
//! cache results — never a team id, a user or a free-form operation name.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Mutex;

mod live;

pub use live::LiveMetrics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteStatus {
    route: String,
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Route {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Operation {
    r#type: String,
    code: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Panel {
    dashboard: String,
    panel: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CacheResult {
    result: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IngestRows {
    dataset: String,
    outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PoolState {
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LoadKind {
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct Limit {
    limit: String,
}

fn seconds_histogram() -> Histogram {
    // 1 ms … ~33 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 16))
}

/// The gateway's metrics and the registry they are written from.
pub struct Metrics {
    registry: Mutex<Registry>,
    http_requests: Family<RouteStatus, Counter>,
    http_duration: Family<Route, Histogram>,
    operations: Family<Operation, Counter>,
    panel_compute: Family<Panel, Histogram>,
    cache: Family<CacheResult, Counter>,
    ingest_rows: Family<IngestRows, Counter>,
    pool: Family<PoolState, Gauge>,
    pool_max: Gauge,
    computations: Family<PoolState, Gauge>,
    computations_max: Gauge,
    rate_limited: Family<Limit, Counter>,
    connections_refused: Counter,
    /// Per column cache (`product`, `chat`).
    column_caches: [ColumnCache; 2],
    /// Live subscriptions.
    pub live: LiveMetrics,
}

/// The metrics of one column cache.
#[derive(Default)]
struct ColumnCache {
    bytes: Gauge,
    loads: Family<LoadKind, Counter>,
}

/// The column caches, in `Metrics::column_caches` order.
const COLUMN_CACHES: [(&str, &str); 2] = [
    (
        "product",
        "decoded product telemetry kept (DASHGATE_PRODUCT_CACHE_MAX_BYTES)",
    ),
    (
        "chat",
        "kept chat conversations (DASHGATE_CHAT_CACHE_MAX_BYTES)",
    ),
];

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("dashgate");
        let live = LiveMetrics::registered(&mut registry);
        let mut m = Metrics {
            registry: Mutex::new(registry),
            live,
            http_requests: Family::default(),
            http_duration: Family::new_with_constructor(seconds_histogram as fn() -> Histogram),
            operations: Family::default(),
            panel_compute: Family::new_with_constructor(seconds_histogram as fn() -> Histogram),
            cache: Family::default(),
            ingest_rows: Family::default(),
            pool: Family::default(),
            pool_max: Gauge::default(),
            computations: Family::default(),
            computations_max: Gauge::default(),
            rate_limited: Family::default(),
            connections_refused: Counter::default(),
            column_caches: Default::default(),
        };
        let families = (
            m.http_requests.clone(),
            m.http_duration.clone(),
            m.operations.clone(),
            m.panel_compute.clone(),
            m.cache.clone(),
            m.ingest_rows.clone(),
            m.pool.clone(),
            m.rate_limited.clone(),
            m.connections_refused.clone(),
            m.computations.clone(),
        );
        let registry = m.registry.get_mut().unwrap_or_else(|e| e.into_inner());
        registry.register(
            "http_requests",
            "HTTP requests answered, by route template and status",
            families.0,
        );
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request, by route template",
            families.1,
        );
        registry.register(
            "graphql_operations",
            "GraphQL operations, by operation type and first error code (OK without errors)",
            families.2,
        );
        registry.register(
            "panel_compute_duration_seconds",
            "Time to compute a dashboard panel on a cache miss",
            families.3,
        );
        registry.register(
            "cache_requests",
            "Panel cache lookups: hit, stale (served while recomputing), miss, bypass (refresh: FORCE)",
            families.4,
        );
        registry.register(
            "ingest_rows",
            "Ingested rows, by dataset and outcome",
            families.5,
        );
        registry.register(
            "db_pool_connections",
            "Database pool connections: idle and in_use",
            families.6,
        );
        registry.register(
            "db_pool_max_connections",
            "Connections the database pool may open (DASHGATE_DB_MAX_CONNECTIONS)",
            m.pool_max.clone(),
        );
        registry.register(
            "rate_limited",
            "Requests refused by a rate or capacity limit",
            families.7,
        );
        registry.register(
            "http_connections_refused",
            "Connections refused because the server was at its connection cap",
            families.8,
        );
        registry.register(
            "panel_computations",
            "Panel computations: running, and waiting for a turn",
            families.9,
        );
        registry.register(
            "panel_computations_max",
            "Panel computations that may run at once (DASHGATE_MAX_CONCURRENT_COMPUTATIONS)",
            m.computations_max.clone(),
        );
        for ((name, what), cache) in COLUMN_CACHES.iter().zip(&m.column_caches) {
            registry.register(
                format!("{name}_column_cache_bytes"),
                format!("Bytes of {what}, read when scraped"),
                cache.bytes.clone(),
            );
            registry.register(
                format!("{name}_column_cache_loads"),
                format!("Kept {name} rows brought up to date: read whole, or spliced by the spans of later batches"),
                cache.loads.clone(),
            );
            for kind in ["whole", "splice"] {
                let _ = cache.loads.get_or_create(&LoadKind {
                    kind: kind.to_string(),
                });
            }
        }
        // Known limits start at zero, so the family is there before anything is refused.
        for limit in [
            "requests",
            "refresh",
            "events",
            "ingest_bytes",
            "computations",
            "live_connections",
        ] {
            let _ = m.rate_limited.get_or_create(&Limit {
                limit: limit.to_string(),
            });
        }
        m
    }

    pub fn http_request(&self, route: &str, status: u16, seconds: f64) {
        let route = route.to_string();
        self.http_requests
            .get_or_create(&RouteStatus {
                route: route.clone(),
                status: status.to_string(),
            })
            .inc();
        self.http_duration
            .get_or_create(&Route { route })
            .observe(seconds);
    }

    pub fn graphql_operation(&self, kind: &str, code: &str) {
        self.operations
            .get_or_create(&Operation {
                r#type: kind.to_string(),
                code: code.to_string(),
            })
            .inc();
    }

    /// `panel` is `dashboard.panel…` (e.g. `apiUsage.kpis`).
    pub fn panel_computed(&self, panel: &str, seconds: f64) {
        let (dashboard, rest) = panel.split_once('.').unwrap_or(("other", panel));
        self.panel_compute
            .get_or_create(&Panel {
                dashboard: dashboard.to_string(),
                panel: rest.to_string(),
            })
            .observe(seconds);
    }

    pub fn cache_lookup(&self, result: &'static str) {
        self.cache
            .get_or_create(&CacheResult {
                result: result.to_string(),
            })
            .inc();
    }

    pub fn ingested(&self, dataset: &str, outcome: &'static str, rows: u64) {
        if rows > 0 {
            self.ingest_rows
                .get_or_create(&IngestRows {
                    dataset: dataset.to_string(),
                    outcome: outcome.to_string(),
                })
                .inc_by(rows);
        }
    }

    pub fn rate_limited(&self, limit: &'static str) {
        self.rate_limited
            .get_or_create(&Limit {
                limit: limit.to_string(),
            })
            .inc();
    }

    pub fn connection_refused(&self) {
        self.connections_refused.inc();
    }

    /// Sets the pool gauges (read when scraped).
    pub fn set_pool(&self, idle: u32, in_use: u32, max: u32) {
        for (state, n) in [("idle", idle), ("in_use", in_use)] {
            self.pool
                .get_or_create(&PoolState {
                    state: state.to_string(),
                })
                .set(i64::from(n));
        }
        self.pool_max.set(i64::from(max));
    }

    /// Sets the panel computation gauges.
    pub fn set_computations(&self, running: usize, waiting: usize, max: usize) {
        for (state, n) in [("running", running), ("waiting", waiting)] {
            self.computations
                .get_or_create(&PoolState {
                    state: state.to_string(),
                })
                .set(n as i64);
        }
        self.computations_max.set(max as i64);
    }

    fn column_cache(&self, cache: &str) -> &ColumnCache {
        let i = COLUMN_CACHES
            .iter()
            .position(|(n, _)| *n == cache)
            .unwrap_or(0);
        &self.column_caches[i]
    }

    /// A team's kept rows of column cache `cache` (`product`, `chat`) were read whole
    /// (`whole`) or spliced (`splice`).
    pub fn column_cache_loaded(&self, cache: &str, kind: &'static str) {
        self.column_cache(cache)
            .loads
            .get_or_create(&LoadKind {
                kind: kind.to_string(),
            })
            .inc();
    }

    /// How many times kept rows of `cache` were loaded so (`whole` or `splice`).
    pub fn column_cache_loads(&self, cache: &str, kind: &'static str) -> u64 {
        self.column_cache(cache)
            .loads
            .get_or_create(&LoadKind {
                kind: kind.to_string(),
            })
            .get()
    }

    /// Sets the bytes kept by `cache` (read when scraped).
    pub fn set_column_cache_bytes(&self, cache: &str, bytes: u64) {
        self.column_cache(cache)
            .bytes
            .set(i64::try_from(bytes).unwrap_or(i64::MAX));
    }

    /// Everything in the classic Prometheus text format (0.0.4), for scrapers that do not
    /// ask for OpenMetrics.
    pub fn render_classic(&self) -> String {
        classic(&self.render())
    }

    /// Everything in the OpenMetrics text format (which Prometheus reads).
    pub fn render(&self) -> String {
        let mut out = String::new();
        if let Ok(registry) = self.registry.lock() {
            let _ = prometheus_client::encoding::text::encode(&mut out, &registry);
        }
        out
    }
}

/// OpenMetrics text as the classic Prometheus text format: no `# EOF` or `# UNIT`, and a
/// counter's `# HELP`/`# TYPE` name its samples (`…_total`), as the classic format wants.
fn classic(open_metrics: &str) -> String {
    let counters: std::collections::HashSet<&str> = open_metrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(open_metrics.len());
    for line in open_metrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                if counters.contains(name) {
                    out.push_str(&format!("{prefix}{name}_total {tail}"));
                } else {
                    out.push_str(line);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_classic_format_names_counters_by_their_samples_and_has_no_eof() {
        let m = super::Metrics::new();
        m.rate_limited("requests");
        let text = m.render_classic();
        assert!(
            text.contains("# TYPE dashgate_rate_limited_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("# HELP dashgate_rate_limited_total "),
            "{text}"
        );
        assert!(
            text.contains("dashgate_rate_limited_total{limit=\"requests\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE dashgate_db_pool_max_connections gauge\n"),
            "{text}"
        );
        assert!(!text.contains("# EOF"), "{text}");
        assert!(m.render().ends_with("# EOF\n"));
    }
}
