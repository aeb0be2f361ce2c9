//! SQL for every apiUsage KPI and panel. Each function takes the team-scoped query and
//! returns kernel types; bucket boundaries come from the kernel calendar.

mod breakdowns;
mod kpis;
mod percentiles;
mod series;
mod sums;

pub use breakdowns::{CountryRow, ModelRow, countries, errors, models};
pub use kpis::{KpiKey, kpi_values};
pub use percentiles::{EXACT_UP_TO, latency_percentiles};
pub use series::{CostPoint, LatencyPoint, RequestPoint, costs, latency, requests};
pub use sums::{WindowSums, window_sums};

use super::entity::{Column, Entity};
use super::filter::ApiUsageFilter;
use super::ingest::REQUEST_LOG_ROLLUP;
use crate::domains::rollups;
use crate::kernel::TeamScope;
use crate::kernel::sql::{bucket_index, ms};
use crate::kernel::window::TimeWindow;
use sea_orm::sea_query::{Alias, Expr, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, DatabaseBackend};
use serde::Serialize;

/// One apiUsage request: the team, the resolved window and the filter.
#[derive(Debug, Clone, Serialize)]
pub struct ApiUsageQuery {
    #[serde(skip)]
    pub scope: TeamScope,
    pub window: TimeWindow,
    pub filter: ApiUsageFilter,
    /// Read rollups where they cover the window (`DASHGATE_ROLLUPS`).
    #[serde(skip)]
    pub rollups: bool,
}

impl ApiUsageQuery {
    /// Team, filter and `[from, to)` — the WHERE clause of every query.
    fn condition(&self, from: i64, to: i64) -> Condition {
        Condition::all()
            .add(Column::TeamId.eq(self.scope.team_id().0))
            .add(Column::CreatedAtMs.gte(from))
            .add(Column::CreatedAtMs.lt(to))
            .add(self.filter.condition())
    }

    /// `SELECT <bucket index> AS b, <columns> FROM request_logs WHERE …` over ascending
    /// `bounds`; `extra` narrows further.
    fn by_bounds(
        &self,
        bounds: &[i64],
        columns: &[Column],
        extra: Option<Condition>,
    ) -> SelectStatement {
        let from = bounds[0];
        let to = bounds[bounds.len() - 1];
        let mut cond = self.condition(from, to);
        if let Some(extra) = extra {
            cond = cond.add(extra);
        }
        Query::select()
            .expr_as(
                bucket_index(Expr::col(Column::CreatedAtMs), bounds),
                Alias::new("b"),
            )
            .columns(columns.iter().copied())
            .from(Entity)
            .cond_where(cond)
            .to_owned()
    }

    /// Rows `b` (bucket of `bounds`), `key` (of `dim`) and the request-log rollup's measures
    /// (`n`, `errors`, `cost_micros`, `cost_n`, `latency_ms`, `tokens`): rollup rows for the
    /// whole hours of each bucket, raw rows for the rest — raw rows only when a filter is set
    /// (the rollup has no endpoint or user-id dimension to filter by).
    fn source(&self, backend: DatabaseBackend, dim: &str, bounds: &[i64]) -> SelectStatement {
        self.tiered(backend, &[&format!("{dim}_day"), dim], bounds)
    }

    /// `source` over several dimensions with the same key, coarsest grain first.
    fn tiered(&self, backend: DatabaseBackend, dims: &[&str], bounds: &[i64]) -> SelectStatement {
        let rollup = &REQUEST_LOG_ROLLUP;
        let tiers: Vec<_> = dims.iter().map(|d| rollup.dim(d)).collect();
        let rolled = self.rolled();
        rollups::source(
            backend,
            rollup,
            &tiers,
            self.scope.team_id().0,
            bounds,
            rolled,
            self.filter.condition(),
        )
    }

    /// Whether rollups serve this query: they are on, and no filter needs raw rows.
    fn rolled(&self) -> bool {
        self.rollups && self.filter == ApiUsageFilter::default()
    }

    /// `[start, end)` as bounds of one bucket.
    fn window_bounds(&self) -> [i64; 2] {
        [ms(self.window.start), ms(self.window.end)]
    }
}
