//! GraphQL surface of apiUsage: the root field, its panels and output objects. Thin: every
//! number comes from `metrics`, through the panel cache.

mod breakdowns;
mod kpis;

pub use breakdowns::{CountryBreakdown, CountryBreakdownRow, ModelBreakdown, ModelBreakdownRow};
pub use kpis::ApiUsageKpis;

use super::filter::{ApiUsageFilter, ApiUsageFilterInput};
use super::metrics::{
    self, ApiUsageQuery, CostPoint, KpiKey, LatencyPoint, RequestPoint, WindowSums,
};
use crate::domains::countries::country_name;
use crate::graphql::dashboard::{Panels, RootArgs, list_limit, open, selects};
use crate::kernel::AppResult;
use crate::kernel::breakdown::{Breakdown, rank};
use crate::kernel::cache::RefreshPolicy;
use crate::kernel::kpi::ratio;
use crate::kernel::window::{ResolvedWindow, WindowInput};
use crate::presets::Preset;
use crate::state::AppState;
use async_graphql::{Context, ID, Object, Result};
use sea_orm::DatabaseConnection;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Root field of the API usage dashboard.
#[derive(Default)]
pub struct ApiUsageRoot;

/// Root field of the API usage dashboard.
#[Object]
impl ApiUsageRoot {
    /// The API usage dashboard: traffic, errors, models, cost, countries and latency of the
    /// caller's team. Only the selected panels and KPIs are computed.
    pub async fn api_usage(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range; defaults to the last 7 days in the team's timezone.")]
        window: Option<WindowInput>,
        #[graphql(desc = "Narrows every panel and KPI.")] filter: Option<ApiUsageFilterInput>,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "`FORCE` recomputes the selected panels now (rate-limited per team).")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<ApiUsage> {
        let args = RootArgs {
            window,
            filter,
            preset_id,
            refresh,
        };
        let saved = |p: &Preset| p.api_usage_filter().map(|f| f.clone().into_input());
        let opened = open(ctx, args, saved, ApiUsageFilterInput::overlay).await?;
        // Every apiUsage answer is computed from the request logs inside its window (and the
        // previous window for KPI deltas) alone, so a batch of logs from other times leaves it
        // cached (see `kernel::changes`).
        let w = &opened.window;
        Ok(ApiUsage {
            panels: opened.panels().reading(w.start, w.end),
            db: opened.state.db.clone(),
            sums: Arc::default(),
            q: Arc::new(ApiUsageQuery {
                scope: opened.scope,
                window: opened.window,
                filter: ApiUsageFilter::from_input(opened.filter)?,
                rollups: opened.state.settings.rollups,
            }),
        })
    }
}

/// The API usage dashboard for one window and filter.
pub struct ApiUsage {
    q: Arc<ApiUsageQuery>,
    panels: Panels,
    db: DatabaseConnection,
    /// The shared window scan, computed at most once per request, by the first panel that
    /// needs it (see `metrics::sums`).
    sums: Arc<OnceCell<Arc<WindowSums>>>,
}

impl ApiUsage {
    /// The shared window scan of this request, as a future that owns what it reads.
    fn sums(&self) -> impl Future<Output = AppResult<Arc<WindowSums>>> + Send + 'static {
        let (cell, db, q) = (self.sums.clone(), self.db.clone(), self.q.clone());
        async move {
            cell.get_or_try_init(|| async { metrics::window_sums(&db, &q).await.map(Arc::new) })
                .await
                .cloned()
        }
    }
}

/// The API usage dashboard for one window and filter: KPI cards, series and breakdowns.
#[Object]
impl ApiUsage {
    /// The resolved window (echoed back).
    async fn window(&self) -> ResolvedWindow {
        self.q.window.resolved()
    }

    /// The KPI cards; only the selected ones are computed.
    async fn kpis(&self, ctx: &Context<'_>) -> Result<ApiUsageKpis> {
        let state = ctx.data::<AppState>()?;
        let keys: BTreeSet<KpiKey> = ctx
            .field()
            .selection_set()
            .filter_map(|f| KpiKey::from_field(f.name()))
            .collect();
        // The previous window is read only when a card's `previous` or `delta` is selected.
        let with_previous = selects(ctx.field(), &["previous", "delta"], 2);
        let (db, q, sums) = (state.db.clone(), self.q.clone(), self.sums());
        let args = (&*self.q, &keys, with_previous);
        let wanted = keys.clone();
        let compute =
            async move { metrics::kpi_values(&db, &q, &wanted, with_previous, sums).await };
        let panels = match with_previous {
            true => self
                .panels
                .reading(self.q.window.previous_start, self.q.window.end),
            false => self.panels.clone(),
        };
        let values = panels.get(ctx, "apiUsage.kpis", &args, compute).await?;
        let cards = values
            .into_iter()
            .map(|(k, values)| (k, k.def().card(values, "USD")))
            .collect();
        Ok(ApiUsageKpis { cards })
    }

    /// Requests per bucket: `success`, `error`, `total`.
    async fn requests(&self, ctx: &Context<'_>) -> Result<Vec<RequestPoint>> {
        let (q, sums) = (self.q.clone(), self.sums());
        let compute = async move { Ok(metrics::requests(&q, &*sums.await?)) };
        self.panels
            .get(ctx, "apiUsage.requests", &*self.q, compute)
            .await
    }

    /// Error requests (status ≥ 400) by status code.
    #[graphql(complexity = "limit.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn errors_breakdown(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Number of rows (default 10).")] limit: Option<i32>,
    ) -> Result<Breakdown> {
        let state = ctx.data::<AppState>()?;
        let limit = list_limit(state, limit, 10)?;
        let (db, q) = (state.db.clone(), self.q.clone());
        let compute = async move { metrics::errors(&db, &q, limit).await };
        self.panels
            .get(ctx, "apiUsage.errors", &(&*self.q, limit), compute)
            .await
    }

    /// Models by request count, each with its cost, mean latency and error rate.
    #[graphql(complexity = "limit.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn top_models(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Number of rows (default 10).")] limit: Option<i32>,
    ) -> Result<ModelBreakdown> {
        let state = ctx.data::<AppState>()?;
        let limit = list_limit(state, limit, 10)?;
        let (db, q) = (state.db.clone(), self.q.clone());
        let compute = async move { metrics::models(&db, &q).await };
        let groups = self
            .panels
            .get(ctx, "apiUsage.models", &*self.q, compute)
            .await?;
        let r = rank(
            groups,
            limit,
            |m| m.requests as f64,
            |m| m.model.as_str(),
            |m, share| ModelBreakdownRow {
                value: m.requests as f64,
                share,
                cost: m.cost,
                avg_latency_ms: m.avg_latency_ms,
                error_rate: ratio(m.errors as f64, m.requests as f64),
                label: m.model,
            },
        );
        Ok(ModelBreakdown {
            rows: r.rows,
            other: r.other,
            total: r.total,
            has_more: r.has_more,
        })
    }

    /// Σ cost per bucket (USD).
    async fn costs(&self, ctx: &Context<'_>) -> Result<Vec<CostPoint>> {
        let (q, sums) = (self.q.clone(), self.sums());
        let compute = async move { Ok(metrics::costs(&q, &*sums.await?)) };
        self.panels
            .get(ctx, "apiUsage.costs", &*self.q, compute)
            .await
    }

    /// Countries by request count, with their English names.
    #[graphql(complexity = "limit.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn top_countries(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Number of rows (default 10).")] limit: Option<i32>,
    ) -> Result<CountryBreakdown> {
        let state = ctx.data::<AppState>()?;
        let limit = list_limit(state, limit, 10)?;
        let (db, q) = (state.db.clone(), self.q.clone());
        let compute = async move { metrics::countries(&db, &q).await };
        let groups = self
            .panels
            .get(ctx, "apiUsage.countries", &*self.q, compute)
            .await?;
        let r = rank(
            groups,
            limit,
            |c| c.requests as f64,
            |c| c.code.as_str(),
            |c, share| CountryBreakdownRow {
                name: country_name(&c.code),
                value: c.requests as f64,
                share,
                label: c.code,
            },
        );
        Ok(CountryBreakdown {
            rows: r.rows,
            other: r.other,
            total: r.total,
            has_more: r.has_more,
        })
    }

    /// Mean, median and p95 latency per bucket (percentiles are computed only when selected).
    async fn latency(&self, ctx: &Context<'_>) -> Result<Vec<LatencyPoint>> {
        let state = ctx.data::<AppState>()?;
        let with_percentiles = selects(ctx.field(), &["p50Ms", "p95Ms"], 1);
        let (db, q, sums) = (state.db.clone(), self.q.clone(), self.sums());
        let compute = async move { metrics::latency(&db, &q, with_percentiles, sums).await };
        self.panels
            .get(
                ctx,
                "apiUsage.latency",
                &(&*self.q, with_percentiles),
                compute,
            )
            .await
    }
}
