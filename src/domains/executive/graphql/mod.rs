//! GraphQL surface of the executive dashboard: the root field and its panels. Thin: the
//! ledger and the quality gates are read once per request through the panel cache, and every
//! card, trend and alert is computed from them.

mod kpis;

pub use kpis::{CardSource, ExecutiveKpis, KpiDrilldown};

use super::filter::{ExecutiveFilter, ExecutiveFilterInput};
use super::metrics::{
    self, Alert, AlertRules, AtRiskCustomer, ExecutiveKpiKey, ExecutiveQuery, Ledger, QualityGate,
    RevenuePoint, UptimePoint,
};
use crate::graphql::dashboard::{Panels, RootArgs, list_limit, on_own_task, open_with};
use crate::kernel::cache::RefreshPolicy;
use crate::kernel::window::{ResolvedWindow, TimeWindow, WindowInput};
use crate::presets::Preset;
use crate::state::AppState;
use async_graphql::{Context, ID, Object, Result};
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Root field of the executive dashboard.
#[derive(Default)]
pub struct ExecutiveRoot;

/// Root field of the executive dashboard.
#[Object]
impl ExecutiveRoot {
    /// Finance and operations KPIs of the caller's team over whole months of its timezone:
    /// cards with previous-period deltas, drill-downs, revenue and uptime trends, customers at
    /// risk, alerts and real-user quality gates.
    pub async fn executive(
        &self,
        ctx: &Context<'_>,
        #[graphql(
            desc = "Whole months: `LAST_6_MONTHS`, `LAST_12_MONTHS` (default), `QUARTER_TO_DATE`, \
                    `YEAR_TO_DATE`, `MONTH_TO_DATE` or `CUSTOM` (widened to the months it \
                    touches); granularity `MONTH` (default) or `QUARTER`."
        )]
        window: Option<WindowInput>,
        #[graphql(desc = "Narrows the order-based figures to some customers.")] filter: Option<
            ExecutiveFilterInput,
        >,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "`FORCE` recomputes the selected panels now (rate-limited per team).")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<Executive> {
        let args = RootArgs {
            window,
            filter,
            preset_id,
            refresh,
        };
        let saved = |p: &Preset| p.executive_filter().map(|f| f.clone().into_input());
        let resolve = TimeWindow::resolve_months;
        let opened = open_with(ctx, args, saved, ExecutiveFilterInput::overlay, resolve).await?;
        Ok(Executive {
            panels: opened.panels(),
            state: opened.state,
            ledger: OnceCell::new(),
            gates: OnceCell::new(),
            q: Arc::new(ExecutiveQuery {
                scope: opened.scope,
                window: opened.window,
                filter: ExecutiveFilter::from_input(opened.filter)?,
            }),
        })
    }
}

/// The executive dashboard.
pub struct Executive {
    q: Arc<ExecutiveQuery>,
    state: AppState,
    panels: Panels,
    ledger: OnceCell<Arc<Ledger>>,
    gates: OnceCell<Vec<QualityGate>>,
}

impl Executive {
    /// The month rows of the request, cached, read at most once per request.
    async fn ledger(&self, ctx: &Context<'_>) -> Result<&Arc<Ledger>> {
        self.ledger
            .get_or_try_init(|| async {
                let (db, q) = (self.state.db.clone(), self.q.clone());
                let compute =
                    on_own_task(async move { Ok(Arc::new(metrics::ledger(&db, &q).await?)) });
                self.panels
                    .get(ctx, "executive.ledger", &*self.q, compute)
                    .await
            })
            .await
    }

    /// The configured quality gates over the window, cached, read at most once per request.
    async fn gates(&self, ctx: &Context<'_>) -> Result<&Vec<QualityGate>> {
        self.gates
            .get_or_try_init(|| async {
                let (db, q) = (self.state.db.clone(), self.q.clone());
                let settings = self.state.settings.clone();
                let args = (&*self.q, &self.state.settings.quality_gates.0);
                let compute = on_own_task(async move {
                    metrics::quality_gates(&db, &q, &settings.quality_gates.0).await
                });
                self.panels
                    .get(ctx, "executive.gates", &args, compute)
                    .await
            })
            .await
    }

    async fn cards(&self, ctx: &Context<'_>) -> Result<CardSource> {
        Ok(CardSource {
            ledger: self.ledger(ctx).await?.clone(),
            q: self.q.clone(),
        })
    }
}

/// The executive dashboard: whole months of the team's timezone.
#[Object]
impl Executive {
    /// The resolved window (whole months) and its previous window.
    async fn window(&self) -> ResolvedWindow {
        self.q.window.resolved()
    }

    /// The team's currency (ISO 4217), which every currency card carries.
    async fn currency(&self) -> &str {
        &self.q.scope.team().currency
    }

    /// Every KPI card, over the window and the previous window.
    async fn kpis(&self, ctx: &Context<'_>) -> Result<ExecutiveKpis> {
        Ok(ExecutiveKpis(self.cards(ctx).await?))
    }

    /// One KPI's card and its value per month (or quarter) of the window.
    async fn kpi(&self, ctx: &Context<'_>, key: ExecutiveKpiKey) -> Result<KpiDrilldown> {
        Ok(self.cards(ctx).await?.drilldown(key))
    }

    /// Per month (or quarter), zero-filled: recognized and booked revenue (sums) and the
    /// period-end backlog.
    async fn revenue_trend(&self, ctx: &Context<'_>) -> Result<Vec<RevenuePoint>> {
        let ledger = self.ledger(ctx).await?;
        Ok(metrics::revenue_trend(ledger, &self.q.window))
    }

    /// Mean uptime ratio per month (or quarter); null where no month has a row.
    async fn uptime(&self, ctx: &Context<'_>) -> Result<Vec<UptimePoint>> {
        let ledger = self.ledger(ctx).await?;
        Ok(metrics::uptime_series(ledger, &self.q.window))
    }

    /// Customers whose recurring (`subscription`, `recurring`) order amount in the window fell
    /// against the previous window, or stopped: largest drop first, ties by name.
    async fn at_risk_customers(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "At most this many customers (default 10).")] limit: Option<i32>,
    ) -> Result<Vec<AtRiskCustomer>> {
        let limit = list_limit(&self.state, limit, 10)?;
        let (db, q) = (self.state.db.clone(), self.q.clone());
        let compute = on_own_task(async move { metrics::at_risk_customers(&db, &q, limit).await });
        let args = (&*self.q, limit);
        self.panels
            .get(ctx, "executive.atRiskCustomers", &args, compute)
            .await
    }

    /// Breached rules on the window's KPIs (thresholds from configuration) and failing quality
    /// gates, CRITICAL first.
    async fn alerts(&self, ctx: &Context<'_>) -> Result<Vec<Alert>> {
        let (ledger, gates) = tokio::try_join!(self.ledger(ctx), self.gates(ctx))?;
        let rules = AlertRules::from_settings(&self.state.settings);
        Ok(metrics::alerts(rules, ledger, self.q.months(), gates))
    }

    /// Each configured quality gate: the p95 of `duration_ms` of its event over the window's
    /// real-user timing events against its threshold.
    async fn quality_gates(&self, ctx: &Context<'_>) -> Result<Vec<QualityGate>> {
        Ok(self.gates(ctx).await?.clone())
    }
}
