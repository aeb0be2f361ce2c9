//! Creating and finding teams.

use super::entity::team;
use crate::kernel::{AppError, AppResult, TeamId, TeamInfo};
use chrono_tz::Tz;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

pub(super) fn info(m: team::Model) -> AppResult<TeamInfo> {
    let timezone = m.timezone.parse::<Tz>().map_err(|_| {
        AppError::internal(anyhow::anyhow!(
            "team {} has invalid timezone {}",
            m.slug,
            m.timezone
        ))
    })?;
    Ok(TeamInfo {
        id: TeamId(m.id),
        slug: m.slug,
        name: m.name,
        timezone,
        currency: m.currency,
    })
}

/// Creates a team after validating its slug, timezone and currency.
pub async fn create(
    db: &impl ConnectionTrait,
    slug: &str,
    name: &str,
    timezone: &str,
    currency: &str,
    now_ms: i64,
) -> AppResult<TeamInfo> {
    let slug_ok = !slug.is_empty()
        && slug.len() <= 64
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !slug_ok {
        return Err(AppError::bad_input(
            "slug",
            "use 1–64 characters of a-z, 0-9 and -",
        ));
    }
    if name.trim().is_empty() || name.len() > 200 {
        return Err(AppError::bad_input(
            "name",
            "a team name has 1–200 characters",
        ));
    }
    check_settings(timezone, currency)?;
    if find_by_slug(db, slug).await?.is_some() {
        return Err(AppError::bad_input(
            "slug",
            format!("team `{slug}` already exists"),
        ));
    }
    let model = team::ActiveModel {
        slug: Set(slug.into()),
        name: Set(name.into()),
        timezone: Set(timezone.into()),
        currency: Set(currency.into()),
        created_at_ms: Set(now_ms),
        ..Default::default()
    }
    .insert(db)
    .await?;
    info(model)
}

/// A team's timezone must be IANA, its currency an ISO 4217 code.
fn check_settings(timezone: &str, currency: &str) -> AppResult<()> {
    timezone.parse::<Tz>().map_err(|_| {
        AppError::bad_input("timezone", format!("`{timezone}` is not an IANA timezone"))
    })?;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(AppError::bad_input(
            "currency",
            "an ISO 4217 code such as USD",
        ));
    }
    Ok(())
}

/// Changes a team's timezone and/or currency (absent = unchanged); dashboards use them from
/// the next request on.
pub async fn update_settings(
    db: &impl ConnectionTrait,
    slug: &str,
    timezone: Option<&str>,
    currency: Option<&str>,
) -> AppResult<TeamInfo> {
    let model = team::Entity::find()
        .filter(team::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("team `{slug}`")))?;
    let timezone = timezone.unwrap_or(&model.timezone).to_string();
    let currency = currency.unwrap_or(&model.currency).to_string();
    check_settings(&timezone, &currency)?;
    let mut active: team::ActiveModel = model.into();
    active.timezone = Set(timezone);
    active.currency = Set(currency);
    info(active.update(db).await?)
}

/// The team with this slug.
pub async fn find_by_slug(db: &impl ConnectionTrait, slug: &str) -> AppResult<Option<TeamInfo>> {
    team::Entity::find()
        .filter(team::Column::Slug.eq(slug))
        .one(db)
        .await?
        .map(info)
        .transpose()
}

/// Whether any team exists (an empty database gets the demo on first start).
pub async fn any(db: &impl ConnectionTrait) -> AppResult<bool> {
    Ok(team::Entity::find().one(db).await?.is_some())
}
