//! GraphQL surface of presets: queries, mutations with `userErrors`, and the `FilterPreset`
//! object.

use super::model::{DashboardKind, Preset, PresetFilter, PresetVisibility, UserError};
use super::service::{self, Changes, Draft};
use crate::domains::api_usage::filter::{ApiUsageFilter, ApiUsageFilterInput};
use crate::domains::chat::filter::{ChatFilter, ChatFilterInput};
use crate::domains::executive::filter::{ExecutiveFilter, ExecutiveFilterInput};
use crate::domains::product::filter::{ProductFilter, ProductFilterInput};
use crate::domains::publishing::filter::{PublishingFilter, PublishingFilterInput};
use crate::kernel::calendar::Granularity;
use crate::kernel::choices::{FilterChoices, read_choices};
use crate::kernel::window::{RangePreset, TimeWindow, WindowInput};
use crate::kernel::{AppError, Principal, Role, TeamScope};
use crate::state::AppState;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

fn scope<'c>(ctx: &Context<'c>) -> Result<(TeamScope, &'c AppState)> {
    let scope = TeamScope::require(ctx.data_opt::<Principal>(), Role::Viewer)?;
    Ok((scope, ctx.data::<AppState>()?))
}

/// A preset id, or `NOT_FOUND` for anything that is not one.
pub fn parse_id(id: &ID) -> Result<i64, AppError> {
    id.parse::<i64>()
        .map_err(|_| AppError::NotFound(format!("filter preset `{}`", id.as_str())))
}

/// A saved window and filter for one dashboard.
pub struct FilterPreset {
    preset: Preset,
    can_edit: bool,
}

/// The window a preset stores (as given: resolved when the preset is applied).
#[derive(SimpleObject)]
pub struct WindowSpec {
    pub preset: Option<RangePreset>,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub timezone: Option<String>,
    pub granularity: Option<Granularity>,
}

/// A saved window and filter for one dashboard.
#[Object]
impl FilterPreset {
    async fn id(&self) -> ID {
        ID(self.preset.id.to_string())
    }
    /// The dashboard it applies to.
    async fn dashboard(&self) -> DashboardKind {
        self.preset.dashboard
    }
    async fn name(&self) -> &str {
        &self.preset.name
    }
    async fn visibility(&self) -> PresetVisibility {
        self.preset.visibility
    }
    /// The user who created it.
    async fn owner(&self) -> &str {
        &self.preset.owner
    }
    /// Whether it is its owner's default for the dashboard.
    async fn is_default(&self) -> bool {
        self.preset.is_default
    }
    /// Increases with every change; pass it as `expectedVersion` to update.
    async fn version(&self) -> i32 {
        self.preset.version
    }
    /// Whether the caller may change or delete it.
    async fn can_edit(&self) -> bool {
        self.can_edit
    }
    async fn window(&self) -> WindowSpec {
        let w = self.preset.window.clone();
        WindowSpec {
            preset: w.preset,
            start: w.start,
            end: w.end,
            timezone: w.timezone,
            granularity: w.granularity,
        }
    }
    /// The filter, when this is an `API_USAGE` preset.
    async fn api_usage(&self) -> Option<ApiUsageFilter> {
        self.preset.api_usage_filter().cloned()
    }
    /// The filter, when this is a `PUBLISHING` preset.
    async fn publishing(&self) -> Option<PublishingFilter> {
        self.preset.publishing_filter().cloned()
    }
    /// The filter, when this is an `EXECUTIVE` preset.
    async fn executive(&self) -> Option<ExecutiveFilter> {
        self.preset.executive_filter().cloned()
    }
    /// The filter, when this is a `PRODUCT` preset.
    async fn product(&self) -> Option<ProductFilter> {
        self.preset.product_filter().cloned()
    }
    /// The filter, when this is a `CHAT` preset.
    async fn chat(&self) -> Option<ChatFilter> {
        self.preset.chat_filter().cloned()
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.preset.created_at_ms)
    }
    async fn updated_at(&self) -> Option<DateTime<Utc>> {
        DateTime::from_timestamp_millis(self.preset.updated_at_ms)
    }
}

fn object(preset: Preset, scope: &TeamScope) -> FilterPreset {
    FilterPreset {
        can_edit: preset.editable_by(scope),
        preset,
    }
}

/// Preset queries.
#[derive(Default)]
pub struct PresetsQuery;

/// Preset queries.
#[Object]
impl PresetsQuery {
    /// The values each filter of `dashboard` can take, from the team's data: most used first
    /// (at most 200 per filter). Request logs and product events count within `window`
    /// (default: the last 7 days in the team's timezone); the other filters' values come
    /// from all of the team's rows.
    async fn filter_choices(
        &self,
        ctx: &Context<'_>,
        dashboard: DashboardKind,
        window: Option<WindowInput>,
    ) -> Result<Vec<FilterChoices>> {
        let (scope, state) = scope(ctx)?;
        let window = TimeWindow::resolve(
            &window.unwrap_or_default(),
            scope.timezone(),
            state.clock.now(),
            state.settings.max_buckets,
        )?;
        let sources = match dashboard {
            DashboardKind::ApiUsage => crate::domains::api_usage::filter::choices(),
            DashboardKind::Chat => crate::domains::chat::filter::choices(),
            DashboardKind::Publishing => crate::domains::publishing::filter::choices(),
            DashboardKind::Executive => crate::domains::executive::filter::choices(),
            DashboardKind::Product => crate::domains::product::filter::choices(),
        };
        Ok(read_choices(&state.db, &scope, &window, sources).await?)
    }

    /// The caller's presets and the team's shared ones, the caller's default first, then by name.
    async fn filter_presets(
        &self,
        ctx: &Context<'_>,
        dashboard: Option<DashboardKind>,
    ) -> Result<Vec<FilterPreset>> {
        let (scope, state) = scope(ctx)?;
        let presets = service::list(&state.db, &scope, dashboard).await?;
        Ok(presets.into_iter().map(|p| object(p, &scope)).collect())
    }

    /// One preset, or null when the caller cannot see it.
    async fn filter_preset(&self, ctx: &Context<'_>, id: ID) -> Result<Option<FilterPreset>> {
        let (scope, state) = scope(ctx)?;
        let Ok(id) = parse_id(&id) else {
            return Ok(None);
        };
        Ok(service::get(&state.db, &scope, id)
            .await?
            .map(|p| object(p, &scope)))
    }

    /// The caller's default preset for a dashboard.
    async fn default_filter_preset(
        &self,
        ctx: &Context<'_>,
        dashboard: DashboardKind,
    ) -> Result<Option<FilterPreset>> {
        let (scope, state) = scope(ctx)?;
        Ok(service::default_for(&state.db, &scope, dashboard)
            .await?
            .map(|p| object(p, &scope)))
    }
}

/// A new preset. Exactly the filter of `dashboard` may be set.
#[derive(InputObject)]
pub struct CreateFilterPresetInput {
    pub dashboard: DashboardKind,
    /// 1–100 characters, unique among the presets its owner can see for the dashboard.
    pub name: String,
    /// Defaults to `PERSONAL`; `TEAM` needs role EDITOR.
    pub visibility: Option<PresetVisibility>,
    /// Make it the caller's default for the dashboard.
    pub is_default: Option<bool>,
    pub window: Option<WindowInput>,
    #[graphql(flatten)]
    pub filters: FilterInputs,
}

/// Changes to a preset; absent fields keep their value.
#[derive(InputObject)]
pub struct UpdateFilterPresetInput {
    pub name: Option<String>,
    pub visibility: Option<PresetVisibility>,
    pub is_default: Option<bool>,
    pub window: Option<WindowInput>,
    #[graphql(flatten)]
    pub filters: FilterInputs,
}

/// The result of a preset mutation: the preset, or what is wrong with the input.
#[derive(SimpleObject)]
pub struct FilterPresetPayload {
    pub preset: Option<FilterPreset>,
    pub user_errors: Vec<UserError>,
}

/// The result of `deleteFilterPreset`.
#[derive(SimpleObject)]
pub struct DeleteFilterPresetPayload {
    /// The id of the deleted preset.
    pub deleted_id: Option<ID>,
    pub user_errors: Vec<UserError>,
}

/// The dashboard filters a mutation input may carry (at most one is set); flattened into the
/// create and update inputs.
#[derive(InputObject)]
pub struct FilterInputs {
    pub api_usage: Option<ApiUsageFilterInput>,
    pub chat: Option<ChatFilterInput>,
    pub publishing: Option<PublishingFilterInput>,
    pub executive: Option<ExecutiveFilterInput>,
    pub product: Option<ProductFilterInput>,
}

/// The filter given in a mutation input, validated, and checked against the dashboard when
/// it is known (create); on update the service checks it against the stored preset.
fn filter_of(
    dashboard: Option<DashboardKind>,
    inputs: FilterInputs,
) -> Result<Option<PresetFilter>, UserError> {
    let invalid =
        |field: &str, e: AppError| UserError::new(&["input", field], "INVALID_FILTER", e.message());
    let mut given = Vec::new();
    if let Some(input) = inputs.api_usage {
        let f = ApiUsageFilter::from_input(input).map_err(|e| invalid("apiUsage", e))?;
        given.push(("apiUsage", PresetFilter::ApiUsage(f)));
    }
    if let Some(input) = inputs.chat {
        let f = ChatFilter::from_input(input).map_err(|e| invalid("chat", e))?;
        given.push(("chat", PresetFilter::Chat(f)));
    }
    if let Some(input) = inputs.publishing {
        let f = PublishingFilter::from_input(input).map_err(|e| invalid("publishing", e))?;
        given.push(("publishing", PresetFilter::Publishing(f)));
    }
    if let Some(input) = inputs.executive {
        let f = ExecutiveFilter::from_input(input).map_err(|e| invalid("executive", e))?;
        given.push(("executive", PresetFilter::Executive(f)));
    }
    if let Some(input) = inputs.product {
        let f = ProductFilter::from_input(input).map_err(|e| invalid("product", e))?;
        given.push(("product", PresetFilter::Product(f)));
    }
    match (given.len(), dashboard) {
        (0, _) => Ok(None),
        (1, None) => Ok(given.pop().map(|(_, f)| f)),
        (1, Some(d)) => {
            let (field, f) = given.remove(0);
            if f.dashboard() == d {
                Ok(Some(f))
            } else {
                let msg = format!("a {} preset takes no `{field}` filter", d.as_str());
                Err(UserError::new(
                    &["input", field],
                    "WRONG_DASHBOARD_FILTER",
                    msg,
                ))
            }
        }
        _ => Err(UserError::new(
            &["input"],
            "WRONG_DASHBOARD_FILTER",
            "set only the filter of the preset's dashboard",
        )),
    }
}

/// The empty filter of a dashboard.
fn no_filter(dashboard: DashboardKind) -> PresetFilter {
    match dashboard {
        DashboardKind::ApiUsage => PresetFilter::ApiUsage(ApiUsageFilter::default()),
        DashboardKind::Chat => PresetFilter::Chat(ChatFilter::default()),
        DashboardKind::Publishing => PresetFilter::Publishing(PublishingFilter::default()),
        DashboardKind::Executive => PresetFilter::Executive(ExecutiveFilter::default()),
        DashboardKind::Product => PresetFilter::Product(ProductFilter::default()),
    }
}

fn payload(result: Result<Preset, Vec<UserError>>, scope: &TeamScope) -> FilterPresetPayload {
    match result {
        Ok(p) => FilterPresetPayload {
            preset: Some(object(p, scope)),
            user_errors: vec![],
        },
        Err(user_errors) => FilterPresetPayload {
            preset: None,
            user_errors,
        },
    }
}

/// Preset mutations.
#[derive(Default)]
pub struct PresetsMutation;

/// Preset mutations.
#[Object]
impl PresetsMutation {
    /// Saves a new preset owned by the caller.
    async fn create_filter_preset(
        &self,
        ctx: &Context<'_>,
        input: CreateFilterPresetInput,
    ) -> Result<FilterPresetPayload> {
        let (scope, state) = scope(ctx)?;
        let filter = match filter_of(Some(input.dashboard), input.filters) {
            Ok(f) => f.unwrap_or_else(|| no_filter(input.dashboard)),
            Err(e) => return Ok(payload(Err(vec![e]), &scope)),
        };
        let draft = Draft {
            name: input.name,
            visibility: input.visibility.unwrap_or_default(),
            is_default: input.is_default.unwrap_or(false),
            window: input.window.unwrap_or_default(),
            filter,
        };
        let result = service::create(
            &state.writers,
            &scope,
            draft,
            state.settings.max_buckets,
            state.clock.now(),
        )
        .await?;
        Ok(payload(result, &scope))
    }

    /// Changes a preset if `expectedVersion` is still its version (`VERSION_CONFLICT` otherwise).
    async fn update_filter_preset(
        &self,
        ctx: &Context<'_>,
        id: ID,
        expected_version: i32,
        input: UpdateFilterPresetInput,
    ) -> Result<FilterPresetPayload> {
        let (scope, state) = scope(ctx)?;
        let id = parse_id(&id)?;
        let filter = match filter_of(None, input.filters) {
            Ok(f) => f,
            Err(e) => return Ok(payload(Err(vec![e]), &scope)),
        };
        let changes = Changes {
            name: input.name,
            visibility: input.visibility,
            is_default: input.is_default,
            window: input.window,
            filter,
        };
        let max = state.settings.max_buckets;
        let result = service::update(
            &state.writers,
            &scope,
            id,
            expected_version,
            changes,
            max,
            state.clock.now(),
        )
        .await?;
        Ok(payload(result, &scope))
    }

    /// Deletes a preset the caller may change.
    async fn delete_filter_preset(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<DeleteFilterPresetPayload> {
        let (scope, state) = scope(ctx)?;
        service::delete(&state.db, &scope, parse_id(&id)?).await?;
        Ok(DeleteFilterPresetPayload {
            deleted_id: Some(id),
            user_errors: vec![],
        })
    }

    /// Makes a preset its owner's default for its dashboard.
    async fn set_default_filter_preset(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> Result<FilterPresetPayload> {
        let (scope, state) = scope(ctx)?;
        let preset =
            service::set_default(&state.writers, &scope, parse_id(&id)?, state.clock.now()).await?;
        Ok(payload(Ok(preset), &scope))
    }
}
