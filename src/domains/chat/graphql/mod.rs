//! GraphQL surface of chat: the root field, its panels and output objects. Thin: every
//! number comes from `metrics`, through the panel cache; row objects come from the loaders.

mod bots;
mod breakdowns;
mod kpis;
mod series;

pub use bots::{BotPerformanceColumn, BotPerformanceOrder, BotPerformanceTable, SortDirection};
pub use breakdowns::{ChannelBreakdown, TagCategory, category_label};
pub use kpis::ChatKpis;
pub use series::{ActiveParticipantsPoint, MessageVolumePoint, ResponseTimePoint, SessionsPoint};

use super::columns::Columns;
use super::filter::{ChatFilter, ChatFilterInput};
use super::loaders::{ChatObjects, chat_objects};
use super::metrics::{
    self, ActiveSession, ChatKpiKey, ChatQuery, SessionLengthBin, TraceSums, WindowActivity,
};
use crate::graphql::dashboard::{Panels, RootArgs, list_limit, open};
use crate::kernel::AppResult;
use crate::kernel::cache::RefreshPolicy;
use crate::kernel::window::{ResolvedWindow, WindowInput};
use crate::presets::Preset;
use crate::state::AppState;
use async_graphql::{Context, ID, Object, Result};
use sea_orm::DatabaseConnection;
use std::collections::BTreeSet;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::OnceCell;

/// Root field of the chat dashboard.
#[derive(Default)]
pub struct ChatRoot;

/// Root field of the chat dashboard.
#[Object]
impl ChatRoot {
    /// The chatbot usage dashboard of the caller's team: participants, sessions, messages,
    /// bots, engagement, channels and tags. Only the selected panels and KPIs are computed.
    pub async fn chat(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Time range; defaults to the last 7 days in the team's timezone.")]
        window: Option<WindowInput>,
        #[graphql(desc = "Narrows every panel and KPI.")] filter: Option<ChatFilterInput>,
        #[graphql(desc = "A saved filter preset to apply (explicit arguments win).")]
        preset_id: Option<ID>,
        #[graphql(desc = "`FORCE` recomputes the selected panels now (rate-limited per team).")]
        refresh: Option<RefreshPolicy>,
    ) -> Result<Chat> {
        let args = RootArgs {
            window,
            filter,
            preset_id,
            refresh,
        };
        let saved = |p: &Preset| p.chat_filter().map(|f| f.clone().into_input());
        let opened = open(ctx, args, saved, ChatFilterInput::overlay).await?;
        let db = opened.state.db.clone();
        let mut q = ChatQuery {
            scope: opened.scope.clone(),
            window: opened.window.clone(),
            filter: ChatFilter::from_input(opened.filter.clone())?,
            rollups: opened.state.settings.rollups,
            columns: None,
        };
        let state = &opened.state;
        q.columns = Columns::of(
            &state.chat_conversations,
            &db,
            &state.cache,
            &q.scope,
            q.earliest(),
        );
        Ok(Chat {
            objects: Arc::new(chat_objects(db.clone(), opened.scope.clone())),
            panels: opened.panels(),
            db,
            activity: Arc::default(),
            kpis_selected: ctx.look_ahead().field("kpis").exists(),
            traces: Arc::default(),
            sessions: Arc::default(),
            q: Arc::new(q),
        })
    }
}

/// The chat dashboard for one window and filter.
pub struct Chat {
    q: Arc<ChatQuery>,
    panels: Panels,
    db: DatabaseConnection,
    objects: Arc<ChatObjects>,
    /// The per-bucket message scan shared by three series and the KPIs, computed at most once.
    activity: Arc<OnceCell<Arc<WindowActivity>>>,
    /// Whether the request selects `kpis` (the activity scan then covers the previous window).
    kpis_selected: bool,
    /// Trace sums per bucket, shared by the response-time series and KPI.
    traces: Arc<OnceCell<Arc<Vec<TraceSums>>>>,
    /// The window's active sessions, shared by the tables and breakdowns, read at most once.
    sessions: Arc<OnceCell<Arc<Vec<ActiveSession>>>>,
}

/// A future that owns what it reads (the cache may run it in the background).
type Owned<T> = std::pin::Pin<Box<dyn Future<Output = AppResult<T>> + Send + 'static>>;

impl Chat {
    fn active_sessions(&self) -> Owned<Arc<Vec<ActiveSession>>> {
        let (cell, db, q) = (self.sessions.clone(), self.db.clone(), self.q.clone());
        Box::pin(async move {
            cell.get_or_try_init(|| async { metrics::active_sessions(&db, &q).await.map(Arc::new) })
                .await
                .cloned()
        })
    }

    /// The window's activity per bucket (and the previous window's, in the same scan, when the
    /// KPIs are selected).
    fn window_activity(&self) -> Owned<Arc<WindowActivity>> {
        let (cell, db, q) = (self.activity.clone(), self.db.clone(), self.q.clone());
        let with_previous = self.kpis_selected;
        Box::pin(async move {
            cell.get_or_try_init(|| async {
                metrics::window_activity(&db, &q, with_previous)
                    .await
                    .map(Arc::new)
            })
            .await
            .cloned()
        })
    }

    /// Trace sums per bucket of the window, read at most once.
    fn traces(&self) -> Owned<Arc<Vec<TraceSums>>> {
        let (cell, db, q) = (self.traces.clone(), self.db.clone(), self.q.clone());
        Box::pin(async move {
            cell.get_or_try_init(|| async {
                let bounds = q.window.bucket_bounds();
                metrics::traces_in(&db, &q, &bounds).await.map(Arc::new)
            })
            .await
            .cloned()
        })
    }
}

/// The chat dashboard for one window and filter: KPI cards, series, tables and breakdowns.
#[Object]
impl Chat {
    /// The resolved window (echoed back).
    async fn window(&self) -> ResolvedWindow {
        self.q.window.resolved()
    }

    /// The normalised filter in effect.
    async fn filter(&self) -> ChatFilter {
        self.q.filter.clone()
    }

    /// The KPI cards; only the selected ones are computed.
    async fn kpis(&self, ctx: &Context<'_>) -> Result<ChatKpis> {
        let keys: BTreeSet<ChatKpiKey> = ctx
            .field()
            .selection_set()
            .filter_map(|f| ChatKpiKey::from_field(f.name()))
            .collect();
        let (db, q, wanted) = (self.db.clone(), self.q.clone(), keys.clone());
        let shared = metrics::Shared {
            sessions: self.active_sessions(),
            activity: self.window_activity(),
            traces: self.traces(),
        };
        let compute = async move { metrics::kpi_values(&db, &q, &wanted, shared).await };
        let values = self
            .panels
            .get(ctx, "chat.kpis", &(&*self.q, &keys), compute)
            .await?;
        let currency = &self.q.scope.team().currency;
        let cards = values
            .into_iter()
            .map(|(k, values)| (k, k.def().card(values, currency)))
            .collect();
        Ok(ChatKpis { cards })
    }

    /// Per bucket: distinct participants who wrote a human message.
    async fn active_participants(&self, ctx: &Context<'_>) -> Result<Vec<ActiveParticipantsPoint>> {
        let (q, activity) = (self.q.clone(), self.window_activity());
        let compute = async move {
            Ok(series::active_participants(
                &q.window,
                &activity.await?.buckets,
            ))
        };
        self.panels
            .get(ctx, "chat.activeParticipants", &*self.q, compute)
            .await
    }

    /// Per bucket: active sessions and active participants.
    async fn sessions(&self, ctx: &Context<'_>) -> Result<Vec<SessionsPoint>> {
        let (q, activity) = (self.q.clone(), self.window_activity());
        let compute = async move { Ok(series::sessions(&q.window, &activity.await?.buckets)) };
        self.panels
            .get(ctx, "chat.sessions", &*self.q, compute)
            .await
    }

    /// Per bucket: participant (human), bot (ai) and total messages.
    async fn message_volume(&self, ctx: &Context<'_>) -> Result<Vec<MessageVolumePoint>> {
        let (q, activity) = (self.q.clone(), self.window_activity());
        let compute =
            async move { Ok(series::message_volume(&q.window, &activity.await?.buckets)) };
        self.panels
            .get(ctx, "chat.messageVolume", &*self.q, compute)
            .await
    }

    /// Per bucket: mean trace duration (s) of the window's active sessions.
    async fn response_time(&self, ctx: &Context<'_>) -> Result<Vec<ResponseTimePoint>> {
        let (q, traces) = (self.q.clone(), self.traces());
        let compute = async move { Ok(series::response_time(&q.window, &traces.await?)) };
        self.panels
            .get(ctx, "chat.responseTime", &*self.q, compute)
            .await
    }

    /// One row per filtered experiment (zeros without activity), ordered and paginated.
    #[graphql(complexity = "limit.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn bot_performance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Column and direction (default: sessions, descending).")] order_by: Option<
            BotPerformanceOrder,
        >,
        #[graphql(desc = "Rows per page (default 10).")] limit: Option<i32>,
        #[graphql(desc = "Rows to skip (default 0).")] offset: Option<i32>,
    ) -> Result<BotPerformanceTable> {
        let state = ctx.data::<AppState>()?;
        let limit = list_limit(state, limit, 10)?;
        let (db, q, sessions) = (self.db.clone(), self.q.clone(), self.active_sessions());
        let compute = async move { metrics::bot_rows(&db, &q, sessions).await };
        let rows = self.panels.get(ctx, "chat.bots", &*self.q, compute).await?;
        bots::page(
            rows,
            order_by.unwrap_or_default(),
            limit,
            offset,
            &self.objects,
        )
    }

    /// Most and least active participants, and session lengths.
    async fn engagement(&self) -> ChatEngagement<'_> {
        ChatEngagement { chat: self }
    }

    /// Active sessions, messages and participants per platform, with totals.
    async fn channel_breakdown(&self, ctx: &Context<'_>) -> Result<ChannelBreakdown> {
        let sessions = self.active_sessions();
        let compute = async move { Ok(metrics::channels(&sessions.await?)) };
        let (rows, totals) = self
            .panels
            .get(ctx, "chat.channels", &*self.q, compute)
            .await?;
        Ok(breakdowns::channel_breakdown(rows, totals))
    }

    /// Message tags of the window by category (without `experiment_version`).
    async fn tags(&self, ctx: &Context<'_>) -> Result<Vec<TagCategory>> {
        let (db, q) = (self.db.clone(), self.q.clone());
        let compute = async move { metrics::tag_counts(&db, &q).await };
        let rows = self.panels.get(ctx, "chat.tags", &*self.q, compute).await?;
        Ok(breakdowns::tag_categories(rows, &self.objects))
    }
}

/// Engagement of the window's participants.
pub struct ChatEngagement<'a> {
    chat: &'a Chat,
}

impl ChatEngagement<'_> {
    async fn ranked(
        &self,
        ctx: &Context<'_>,
        most_active: bool,
        limit: Option<i32>,
    ) -> Result<Vec<breakdowns::ParticipantEngagement>> {
        let c = self.chat;
        let limit = list_limit(ctx.data::<AppState>()?, limit, 10)?;
        let panel = if most_active {
            "chat.mostActive"
        } else {
            "chat.leastActive"
        };
        let sessions = c.active_sessions();
        let compute = async move {
            let sessions = sessions.await?;
            Ok(metrics::participant_activity(&sessions, most_active, limit))
        };
        let rows = c.panels.get(ctx, panel, &(&*c.q, limit), compute).await?;
        let window = &c.q.window;
        Ok(rows
            .into_iter()
            .map(|row| breakdowns::ParticipantEngagement {
                last_active_at: window.local_ms(row.last_active_ms),
                row,
                objects: c.objects.clone(),
            })
            .collect())
    }
}

/// Engagement of the window's participants.
#[Object]
impl ChatEngagement<'_> {
    /// Participants with the most human messages in the window (ties by id).
    #[graphql(complexity = "limit.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn most_active(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Number of rows (default 10).")] limit: Option<i32>,
    ) -> Result<Vec<breakdowns::ParticipantEngagement>> {
        self.ranked(ctx, true, limit).await
    }

    /// Participants with the fewest (but at least one) human messages (ties by id).
    #[graphql(complexity = "limit.unwrap_or(10).max(1) as usize * child_complexity")]
    async fn least_active(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Number of rows (default 10).")] limit: Option<i32>,
    ) -> Result<Vec<breakdowns::ParticipantEngagement>> {
        self.ranked(ctx, false, limit).await
    }

    /// Lengths of the window's active sessions that ended, in 10 equal-width bins (minutes)
    /// from the shortest to the longest; empty when none ended.
    async fn session_length_distribution(
        &self,
        ctx: &Context<'_>,
    ) -> Result<Vec<SessionLengthBin>> {
        let c = self.chat;
        let sessions = c.active_sessions();
        let compute = async move { Ok(metrics::session_lengths(&sessions.await?)) };
        c.panels
            .get(ctx, "chat.sessionLengths", &*c.q, compute)
            .await
    }
}
