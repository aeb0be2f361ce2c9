//! GraphQL surface of the product dashboard: the root field (stored or inline telemetry) and
//! its lazily computed sections. Stored telemetry is read at most once per request and each
//! section is cached per team; inline telemetry is never cached and never touches stored rows.

mod growth;
mod inline;
mod sections;

pub use growth::ProductGrowth;
pub use inline::{InlineEventInput, InlineMembershipInput, InlineTelemetryInput};
pub use sections::{ProductExecutive, ProductLearning, ProductMonetization, ProductOps};

use super::filter::{ProductFilter, ProductFilterInput};
use super::metrics::{self, Telemetry, TelemetrySource};
use crate::graphql::dashboard::{Panels, RootArgs, on_own_task, open};
use crate::kernel::cache::RefreshPolicy;
use crate::kernel::window::{ResolvedWindow, TimeWindow, WindowInput};
use crate::kernel::{AppError, AppResult, TeamScope};
use crate::presets::Preset;
use crate::state::AppState;
use async_graphql::{Context, ID, Object, Result};
use serde::Serialize;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Root field of the product dashboard.
#[derive(Default)]
pub struct ProductRoot;

/// Root field of the product dashboard.
#[Object]
impl ProductRoot {
    /// Product analytics of the caller's team — executive, growth, monetization, learning and
    /// ops sections — from its stored events and memberships, or from `inline` rows.
    pub async fn product(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range and buckets; defaults to the last 7 days.")] window: Option<
            WindowInput,
        >,
        #[graphql(desc = "Narrows events by their properties and memberships by their users.")]
        filter: Option<ProductFilterInput>,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "`FORCE` recomputes the selected sections now (rate-limited per team).")]
        refresh: Option<RefreshPolicy>,
        #[graphql(
            desc = "Compute from these rows instead of stored data (nothing stored is read)."
        )]
        inline: Option<InlineTelemetryInput>,
    ) -> Result<Product> {
        let args = RootArgs {
            window,
            filter,
            preset_id,
            refresh,
        };
        let saved = |p: &Preset| p.product_filter().map(|f| f.clone().into_input());
        let opened = open(ctx, args, saved, ProductFilterInput::overlay).await?;
        let currency = opened.scope.team().currency.clone();
        let telemetry = Arc::new(OnceCell::new());
        let source = match inline {
            None => TelemetrySource::Database,
            Some(input) => {
                let rows = inline::telemetry(input, &currency)?;
                let _ = telemetry.set(Arc::new(rows));
                TelemetrySource::Inline
            }
        };
        Ok(Product(Arc::new(Inner {
            source,
            panels: opened.panels(),
            state: opened.state,
            telemetry,
            q: Arc::new(ProductQuery {
                scope: opened.scope,
                window: opened.window,
                filter: ProductFilter::from_input(opened.filter)?,
                currency,
            }),
        })))
    }
}

/// One product request: the team, the resolved window, the filter and the currency.
#[derive(Debug, Clone, Serialize)]
pub struct ProductQuery {
    #[serde(skip)]
    pub scope: TeamScope,
    pub window: TimeWindow,
    pub filter: ProductFilter,
    /// The team's currency, which money cards carry (part of the cache key, so a changed
    /// currency never serves cards cached under the old one).
    pub currency: String,
}

/// The product dashboard.
pub struct Product(Arc<Inner>);

/// What every section of one product request shares.
pub(super) struct Inner {
    pub(super) q: Arc<ProductQuery>,
    source: TelemetrySource,
    state: AppState,
    panels: Panels,
    telemetry: Arc<OnceCell<Arc<Telemetry>>>,
}

impl Inner {
    /// The telemetry of the request: inline rows, or the stored rows read once (a future
    /// that owns what it reads).
    fn telemetry(&self) -> impl Future<Output = AppResult<Arc<Telemetry>>> + Send + 'static {
        let (cell, state, q) = (self.telemetry.clone(), self.state.clone(), self.q.clone());
        async move {
            let rows = cell
                .get_or_try_init(|| async {
                    let load = async move {
                        let store = &state.product_telemetry;
                        store
                            .telemetry(&state.db, &state.cache, &q.scope, &q.window)
                            .await
                    };
                    Ok::<_, AppError>(Arc::new(on_own_task(load).await?))
                })
                .await?;
            Ok(rows.clone())
        }
    }

    /// A panel: computed from the telemetry, cached per team (under `name` and `args`) for
    /// stored data only. The computation runs on the blocking pool: it is CPU work over every
    /// row, and sections of one request then run side by side without stalling other requests.
    pub(super) async fn panel<
        T: Clone + Send + Sync + Serialize + serde::de::DeserializeOwned + 'static,
    >(
        &self,
        ctx: &Context<'_>,
        name: &str,
        args: &impl Serialize,
        compute: impl FnOnce(&Telemetry, &ProductQuery) -> T + Send + 'static,
    ) -> Result<T> {
        let (telemetry, q) = (self.telemetry(), self.q.clone());
        let run = async move {
            let t = telemetry.await?;
            tokio::task::spawn_blocking(move || compute(&t, &q))
                .await
                .map_err(|e| AppError::internal(anyhow::anyhow!("section failed: {e}")))
        };
        match self.source {
            TelemetrySource::Inline => Ok(run.await?),
            TelemetrySource::Database => self.panels.get(ctx, name, args, run).await,
        }
    }

    /// A section without arguments of its own.
    async fn section<T: Clone + Send + Sync + Serialize + serde::de::DeserializeOwned + 'static>(
        &self,
        ctx: &Context<'_>,
        name: &str,
        compute: impl FnOnce(&Telemetry, &ProductQuery) -> T + Send + 'static,
    ) -> Result<T> {
        self.panel(ctx, name, &*self.q, compute).await
    }
}

/// The product dashboard: sections computed on demand.
#[Object]
impl Product {
    /// The resolved window (echoed back).
    async fn window(&self) -> ResolvedWindow {
        self.0.q.window.resolved()
    }

    /// `DATABASE` (stored rows) or `INLINE` (the posted rows only).
    async fn source(&self) -> TelemetrySource {
        self.0.source
    }

    /// Activity, DAU/WAU/MAU, registrations, memberships, revenue, study time, D1 retention.
    pub async fn executive(&self, ctx: &Context<'_>) -> Result<ProductExecutive> {
        let section = self
            .0
            .section(ctx, "product.executive", |t, q| {
                metrics::executive(t, &q.window, &q.filter, &q.currency)
            })
            .await?;
        Ok(ProductExecutive {
            section,
            state: self.0.state.clone(),
        })
    }

    /// Registrations, payments and active users by segment per bucket; retention cohorts;
    /// the activation funnel.
    async fn growth(&self) -> ProductGrowth {
        ProductGrowth(self.0.clone())
    }

    /// Revenue, MRR, ARPPU, churn and renewals; plan mix; revenue curves; the paywall funnel.
    async fn monetization(&self, ctx: &Context<'_>) -> Result<ProductMonetization> {
        let section = self
            .0
            .section(ctx, "product.monetization", |t, q| {
                metrics::monetization(t, &q.window, &q.filter, &q.currency)
            })
            .await?;
        Ok(ProductMonetization(section))
    }

    /// Lessons, completion, practice; top courses and words; the learning funnel.
    async fn learning(&self, ctx: &Context<'_>) -> Result<ProductLearning> {
        let section = self
            .0
            .section(ctx, "product.learning", |t, q| {
                metrics::learning(t, &q.window, &q.filter)
            })
            .await?;
        Ok(ProductLearning {
            section,
            state: self.0.state.clone(),
        })
    }

    /// AI generation calls: volume, success, latency and cost, per bucket, model and stage.
    async fn ops(&self, ctx: &Context<'_>) -> Result<ProductOps> {
        let section = self
            .0
            .section(ctx, "product.ops", |t, q| {
                metrics::ops(t, &q.window, &q.filter, &q.currency)
            })
            .await?;
        Ok(ProductOps(section))
    }
}
