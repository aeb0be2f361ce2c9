//! Reading and changing presets. Every function takes the caller's `TeamScope`: a preset of
//! another team, or another member's personal preset, does not exist for the caller.

use super::entity::{self, Column, Entity};
use super::model::{DashboardKind, Preset, PresetFilter, PresetVisibility, UserError};
use crate::db::writers::Writers;
use crate::kernel::window::WindowInput;
use crate::kernel::{AppError, AppResult, Role, TeamScope};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    Set,
};

/// A new preset.
pub struct Draft {
    pub name: String,
    pub visibility: PresetVisibility,
    pub is_default: bool,
    pub window: WindowInput,
    pub filter: PresetFilter,
}

/// Changes to a preset; `None` keeps the current value.
#[derive(Default)]
pub struct Changes {
    pub name: Option<String>,
    pub visibility: Option<PresetVisibility>,
    pub is_default: Option<bool>,
    pub window: Option<WindowInput>,
    pub filter: Option<PresetFilter>,
}

const MAX_NAME: usize = 100;

async fn team_presets(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    dashboard: Option<DashboardKind>,
) -> AppResult<Vec<Preset>> {
    let mut query = Entity::find().filter(Column::TeamId.eq(scope.team_id().0));
    if let Some(d) = dashboard {
        query = query.filter(Column::Dashboard.eq(d.as_str()));
    }
    let mut presets = Vec::new();
    for m in query.all(db).await? {
        let p = Preset::from_model(m)?;
        if p.visible_to(scope) {
            presets.push(p);
        }
    }
    Ok(presets)
}

/// The caller's presets (own and team), default first, then by name.
pub async fn list(
    db: &DatabaseConnection,
    scope: &TeamScope,
    dashboard: Option<DashboardKind>,
) -> AppResult<Vec<Preset>> {
    let mut presets = team_presets(db, scope, dashboard).await?;
    let mine_default = |p: &Preset| !(p.is_default && p.owner == scope.user());
    presets.sort_by(|a, b| {
        (mine_default(a), a.name.to_lowercase(), a.id).cmp(&(
            mine_default(b),
            b.name.to_lowercase(),
            b.id,
        ))
    });
    Ok(presets)
}

/// A preset the caller may see.
pub async fn get(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    id: i64,
) -> AppResult<Option<Preset>> {
    let found = Entity::find_by_id(id)
        .filter(Column::TeamId.eq(scope.team_id().0))
        .one(db)
        .await?;
    Ok(found
        .map(Preset::from_model)
        .transpose()?
        .filter(|p| p.visible_to(scope)))
}

/// The caller's default preset for a dashboard.
pub async fn default_for(
    db: &DatabaseConnection,
    scope: &TeamScope,
    dashboard: DashboardKind,
) -> AppResult<Option<Preset>> {
    let presets = team_presets(db, scope, Some(dashboard)).await?;
    Ok(presets
        .into_iter()
        .find(|p| p.is_default && p.owner == scope.user()))
}

fn check_fields(
    scope: &TeamScope,
    dashboard: DashboardKind,
    name: &str,
    window: &WindowInput,
    max_buckets: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<UserError> {
    let mut errors = Vec::new();
    if name.trim().is_empty() {
        errors.push(UserError::new(
            &["input", "name"],
            "INVALID_NAME",
            "a preset needs a name",
        ));
    } else if name.chars().count() > MAX_NAME {
        errors.push(UserError::new(
            &["input", "name"],
            "INVALID_NAME",
            format!("a name has at most {MAX_NAME} characters"),
        ));
    }
    if let Err(e) = dashboard.resolver()(window, scope.timezone(), now, max_buckets) {
        let field = match &e {
            AppError::BadInput { field, .. } => field.clone(),
            _ => "window".into(),
        };
        let mut path = vec!["input"];
        path.extend(field.split('.'));
        errors.push(UserError::new(&path, "INVALID_WINDOW", e.message()));
    }
    errors
}

async fn duplicate(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    p: &Preset,
) -> AppResult<Option<UserError>> {
    let others = team_presets(db, scope, Some(p.dashboard)).await?;
    let clash = others.iter().any(|o| {
        o.id != p.id
            && o.name.trim().eq_ignore_ascii_case(p.name.trim())
            && (o.visibility == PresetVisibility::Team
                || p.visibility == PresetVisibility::Team
                || o.owner == p.owner)
    });
    Ok(clash.then(|| {
        UserError::new(
            &["input", "name"],
            "DUPLICATE_NAME",
            format!("a preset named `{}` already exists", p.name.trim()),
        )
    }))
}

fn require_team_role(scope: &TeamScope, visibility: PresetVisibility) -> AppResult<()> {
    if visibility == PresetVisibility::Team && scope.role() < Role::Editor {
        return Err(AppError::Forbidden("team presets need role EDITOR".into()));
    }
    Ok(())
}

/// Clears the other defaults of the owner for the dashboard.
async fn clear_defaults(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    p: &Preset,
    now_ms: i64,
) -> AppResult<()> {
    Entity::update_many()
        .col_expr(Column::IsDefault, Expr::value(false))
        .col_expr(Column::Version, Expr::col(Column::Version).add(1))
        .col_expr(Column::UpdatedAtMs, Expr::value(now_ms))
        .filter(Column::TeamId.eq(scope.team_id().0))
        .filter(Column::Owner.eq(p.owner.as_str()))
        .filter(Column::Dashboard.eq(p.dashboard.as_str()))
        .filter(Column::IsDefault.eq(true))
        .filter(Column::Id.ne(p.id))
        .exec(db)
        .await?;
    Ok(())
}

fn active(scope: &TeamScope, p: &Preset) -> entity::ActiveModel {
    entity::ActiveModel {
        team_id: Set(scope.team_id().0),
        owner: Set(p.owner.clone()),
        dashboard: Set(p.dashboard.as_str().into()),
        name: Set(p.name.trim().into()),
        visibility: Set(p.visibility.as_str().into()),
        is_default: Set(p.is_default),
        window_json: Set(serde_json::to_string(&p.window).unwrap_or_else(|_| "{}".into())),
        filter_json: Set(p.filter.to_json()),
        version: Set(p.version),
        created_at_ms: Set(p.created_at_ms),
        updated_at_ms: Set(p.updated_at_ms),
        ..Default::default()
    }
}

/// Creates a preset owned by the caller.
pub async fn create(
    writers: &Writers,
    scope: &TeamScope,
    draft: Draft,
    max_buckets: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Result<Preset, Vec<UserError>>> {
    require_team_role(scope, draft.visibility)?;
    let errors = check_fields(
        scope,
        draft.filter.dashboard(),
        &draft.name,
        &draft.window,
        max_buckets,
        now,
    );
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    let now_ms = now.timestamp_millis();
    let mut preset = Preset {
        id: 0,
        dashboard: draft.filter.dashboard(),
        owner: scope.user().into(),
        name: draft.name.trim().into(),
        visibility: draft.visibility,
        is_default: draft.is_default,
        window: draft.window,
        filter: draft.filter,
        version: 1,
        created_at_ms: now_ms,
        updated_at_ms: now_ms,
    };
    let (_turn, txn) = writers.begin(scope.team_id()).await?;
    if let Some(e) = duplicate(&txn, scope, &preset).await? {
        txn.rollback().await?;
        return Ok(Err(vec![e]));
    }
    let model = active(scope, &preset).insert(&txn).await?;
    preset.id = model.id;
    if preset.is_default {
        clear_defaults(&txn, scope, &preset, now_ms).await?;
    }
    txn.commit().await?;
    Ok(Ok(preset))
}

/// Applies changes if `expected_version` is still current.
pub async fn update(
    writers: &Writers,
    scope: &TeamScope,
    id: i64,
    expected_version: i32,
    changes: Changes,
    max_buckets: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Result<Preset, Vec<UserError>>> {
    let (_turn, txn) = writers.begin(scope.team_id()).await?;
    let outcome = apply_changes(&txn, scope, id, expected_version, changes, max_buckets, now).await;
    match outcome {
        Ok(Ok(preset)) => {
            txn.commit().await?;
            Ok(Ok(preset))
        }
        other => {
            // Never leave a connection idle in a transaction (it would hold its locks).
            txn.rollback().await?;
            other
        }
    }
}

async fn apply_changes(
    txn: &sea_orm::DatabaseTransaction,
    scope: &TeamScope,
    id: i64,
    expected_version: i32,
    changes: Changes,
    max_buckets: usize,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Result<Preset, Vec<UserError>>> {
    let mut preset = editable(txn, scope, id).await?;
    if preset.version != expected_version {
        return Ok(Err(vec![UserError::new(
            &["expectedVersion"],
            "VERSION_CONFLICT",
            format!(
                "the preset is at version {}, not {expected_version}: reload it and retry",
                preset.version
            ),
        )]));
    }
    if let Some(filter) = changes.filter {
        if filter.dashboard() != preset.dashboard {
            let msg = format!("this preset belongs to {}", preset.dashboard.as_str());
            return Ok(Err(vec![UserError::new(
                &["input"],
                "WRONG_DASHBOARD_FILTER",
                msg,
            )]));
        }
        preset.filter = filter;
    }
    if let Some(v) = changes.visibility {
        require_team_role(scope, v)?;
        preset.visibility = v;
    }
    preset.name = changes.name.unwrap_or(preset.name);
    preset.window = changes.window.unwrap_or(preset.window);
    preset.is_default = changes.is_default.unwrap_or(preset.is_default);
    let errors = check_fields(
        scope,
        preset.filter.dashboard(),
        &preset.name,
        &preset.window,
        max_buckets,
        now,
    );
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if let Some(e) = duplicate(txn, scope, &preset).await? {
        return Ok(Err(vec![e]));
    }
    preset.version += 1;
    preset.updated_at_ms = now.timestamp_millis();
    let mut model = active(scope, &preset);
    model.id = Set(preset.id);
    model.update(txn).await?;
    if preset.is_default {
        clear_defaults(txn, scope, &preset, preset.updated_at_ms).await?;
    }
    Ok(Ok(preset))
}

async fn editable(db: &impl ConnectionTrait, scope: &TeamScope, id: i64) -> AppResult<Preset> {
    let preset = get(db, scope, id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("filter preset `{id}`")))?;
    if !preset.editable_by(scope) {
        return Err(AppError::Forbidden(
            "only the owner or an editor changes a team preset".into(),
        ));
    }
    Ok(preset)
}

/// Deletes a preset the caller may change.
pub async fn delete(db: &DatabaseConnection, scope: &TeamScope, id: i64) -> AppResult<()> {
    editable(db, scope, id).await?;
    Entity::delete_by_id(id)
        .filter(Column::TeamId.eq(scope.team_id().0))
        .exec(db)
        .await?;
    Ok(())
}

/// Makes a preset its owner's default for its dashboard (the previous default is cleared).
pub async fn set_default(
    writers: &Writers,
    scope: &TeamScope,
    id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> AppResult<Preset> {
    let (_turn, txn) = writers.begin(scope.team_id()).await?;
    let mut preset = match editable(&txn, scope, id).await {
        Ok(p) => p,
        Err(e) => {
            txn.rollback().await?;
            return Err(e);
        }
    };
    if !preset.is_default {
        preset.is_default = true;
        preset.version += 1;
        preset.updated_at_ms = now.timestamp_millis();
        let mut model = active(scope, &preset);
        model.id = Set(preset.id);
        model.update(&txn).await?;
        clear_defaults(&txn, scope, &preset, preset.updated_at_ms).await?;
    }
    txn.commit().await?;
    Ok(preset)
}
