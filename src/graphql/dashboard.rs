//! The resolver glue every dashboard root field shares: the caller's scope, a saved preset laid under the
//! explicit arguments, the resolved window, the refresh policy, and panels through the cache.

use crate::kernel::cache::{CacheReport, Lookup, RefreshPolicy};
use crate::kernel::changes::Reads;
use crate::kernel::window::{Resolver, TimeWindow, WindowInput};
use crate::kernel::{AppError, AppResult, Principal, Role, TeamScope};
use crate::presets::model::Preset;
use crate::state::AppState;
use async_graphql::{Context, ID, Result};
use chrono::{DateTime, Utc};
use std::future::Future;
use std::sync::{Arc, Mutex};

/// Collects what every dashboard root field of a request resolved, by response key (alias or
/// field name), for callers outside GraphQL: export names its files with the window even when
/// the query did not select it, and can carry the window, filter and preset with the rows.
#[derive(Default)]
pub struct WindowsSeen(pub Mutex<Vec<(String, Resolved)>>);

/// A dashboard's resolved arguments.
#[derive(Clone)]
pub struct Resolved {
    pub window: TimeWindow,
    /// The filter applied: the preset's lists with the explicit ones laid over them.
    pub filter: async_graphql::Value,
    pub preset_id: Option<String>,
}

impl WindowsSeen {
    /// The window of the root field answering under `key`.
    pub fn get(&self, key: &str) -> Option<TimeWindow> {
        self.resolved(key).map(|r| r.window)
    }

    /// Everything the root field answering under `key` resolved.
    pub fn resolved(&self, key: &str) -> Option<Resolved> {
        let seen = self.0.lock().ok()?;
        seen.iter().find(|(k, _)| k == key).map(|(_, r)| r.clone())
    }
}

/// Marks a live subscription's recomputation while other instances' changes cannot be heard:
/// its panels are computed afresh, as with `refresh: FORCE` (see `graphql::live`).
pub struct LiveRecheck;

/// A dashboard request after its arguments are resolved.
pub struct Opened<I> {
    pub state: AppState,
    pub scope: TeamScope,
    pub window: TimeWindow,
    /// The filter input: the preset's filter with the explicit lists laid over it.
    pub filter: I,
    /// `refresh: FORCE` was asked for (and allowed by the team's refresh rate limit).
    pub force: bool,
}

impl<I> Opened<I> {
    /// The panel computer of this request.
    pub fn panels(&self) -> Panels {
        Panels {
            scope: self.scope.clone(),
            force: self.force,
            reads: None,
        }
    }
}

/// The root-field arguments every dashboard takes.
pub struct RootArgs<I> {
    pub window: Option<WindowInput>,
    pub filter: Option<I>,
    pub preset_id: Option<ID>,
    pub refresh: Option<RefreshPolicy>,
}

/// Authenticates, applies the preset (`saved` reads its filter, `None` when the preset belongs
/// to another dashboard), resolves the window and checks the refresh rate limit.
pub async fn open<I: Default + async_graphql::InputType>(
    ctx: &Context<'_>,
    args: RootArgs<I>,
    saved: impl FnOnce(&Preset) -> Option<I>,
    overlay: impl FnOnce(I, I) -> I,
) -> Result<Opened<I>> {
    open_with(ctx, args, saved, overlay, TimeWindow::resolve).await
}

/// `open` with a window resolver of the dashboard's own (e.g. whole months).
pub async fn open_with<I: Default + async_graphql::InputType>(
    ctx: &Context<'_>,
    args: RootArgs<I>,
    saved: impl FnOnce(&Preset) -> Option<I>,
    overlay: impl FnOnce(I, I) -> I,
    resolve: Resolver,
) -> Result<Opened<I>> {
    let scope = TeamScope::require(ctx.data_opt::<Principal>(), Role::Viewer)?;
    // Dashboards read from the replica when there is one (and it has the team's writes).
    let state = ctx.data::<AppState>()?.for_reads(scope.team_id()).await;
    let explicit_window = args.window.unwrap_or_default();
    let explicit_filter = args.filter.unwrap_or_default();
    let preset_id = args.preset_id.as_ref().map(|id| id.to_string());
    let (window, filter) = match args.preset_id {
        None => (explicit_window, explicit_filter),
        Some(id) => {
            let id = crate::presets::graphql::parse_id(&id)?;
            let preset = crate::presets::service::get(&state.db, &scope, id)
                .await?
                .ok_or_else(|| AppError::NotFound(format!("filter preset `{id}`")))?;
            let Some(saved) = saved(&preset) else {
                let msg = "this preset belongs to another dashboard";
                return Err(AppError::bad_input("presetId", msg).into());
            };
            let window = preset.window.clone().overlay(explicit_window);
            (window, overlay(saved, explicit_filter))
        }
    };
    let window = resolve(
        &window,
        scope.timezone(),
        state.clock.now(),
        state.settings.max_buckets,
    )?;
    if let Some(seen) = ctx.data_opt::<Arc<WindowsSeen>>()
        && let Ok(mut seen) = seen.0.lock()
    {
        let field = ctx.field();
        let key = field.alias().unwrap_or(field.name());
        let resolved = Resolved {
            window: window.clone(),
            filter: filter.to_value(),
            preset_id,
        };
        seen.push((key.to_string(), resolved));
    }
    // A live recheck (other instances' changes unheard) reads past the panel cache, unmetered.
    let recheck = ctx.data_opt::<LiveRecheck>().is_some();
    let force = args.refresh == Some(RefreshPolicy::Force) || recheck;
    if force
        && !recheck
        && let Err(e) = state.refreshes.check(scope.team_id())
    {
        state.metrics.rate_limited("refresh");
        return Err(e.into());
    }
    Ok(Opened {
        state,
        scope,
        window,
        filter,
        force,
    })
}

/// Computes panels of one dashboard request through the team's panel cache.
#[derive(Clone)]
pub struct Panels {
    pub scope: TeamScope,
    pub force: bool,
    /// The time range the panels read (see `Lookup::reads`); `None` until a dashboard that
    /// reads nothing outside it says so.
    reads: Option<Reads>,
}

impl Panels {
    /// These panels, declared to read only rows inside `[start, end)` — only for a dashboard
    /// whose every answer depends on nothing else (e.g. no "first seen" over all history): a
    /// change whose rows all lie outside then leaves their cached entries valid.
    pub fn reading(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Panels {
        Panels {
            reads: Some(Reads {
                start_ms: start.timestamp_millis(),
                end_ms: end.timestamp_millis(),
            }),
            ..self.clone()
        }
    }

    /// The panel `panel` for `args`, from the cache or computed once by `compute`. `compute`
    /// owns what it reads (`'static`): the cache may run it in the background to refresh a
    /// stale entry.
    pub async fn get<
        T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    >(
        &self,
        ctx: &Context<'_>,
        panel: &str,
        args: &impl serde::Serialize,
        compute: impl Future<Output = AppResult<T>> + Send + 'static,
    ) -> Result<T> {
        let state = ctx.data::<AppState>()?;
        let report = ctx.data_opt::<Arc<CacheReport>>().map(|r| &**r);
        let lookup = Lookup {
            force: self.force,
            report,
            reads: self.reads,
        };
        Ok(state
            .cache
            .get_or_compute(&self.scope, panel, args, lookup, compute)
            .await?)
    }
}

/// Whether a field named in `names` is selected under `field`, up to `depth` levels down (so
/// a panel computes only what was asked for: a previous window, percentiles).
pub fn selects(field: async_graphql::SelectionField<'_>, names: &[&str], depth: usize) -> bool {
    field
        .selection_set()
        .any(|f| names.contains(&f.name()) || (depth > 1 && selects(f, names, depth - 1)))
}

/// A list `limit` argument: `default` when absent, else between 1 and the configured maximum.
pub fn list_limit(state: &AppState, limit: Option<i32>, default: usize) -> Result<usize, AppError> {
    let max = state.settings.max_top_n;
    match limit {
        None => Ok(default.min(max)),
        Some(n) if n >= 1 && n as usize <= max => Ok(n as usize),
        Some(_) => Err(AppError::bad_input(
            "limit",
            format!("`limit` must be between 1 and {max}"),
        )),
    }
}

/// Runs `work` as a task of its own and waits for it. Its database calls then start from a
/// fresh, shallow stack: a pool opening a new PostgreSQL connection (TLS handshake included)
/// deep inside a GraphQL resolver can otherwise exhaust a 2 MiB thread stack.
pub async fn on_own_task<T: Send + 'static>(
    work: impl Future<Output = AppResult<T>> + Send + 'static,
) -> AppResult<T> {
    // The request's database time follows the work onto its task.
    let timing = crate::db::timing::current();
    tokio::spawn(crate::db::timing::carry(timing, work))
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("panel task failed: {e}")))?
}
