//! API keys: random, shown once, stored as SHA-256, revocable.

use super::entity::{api_key, team};
use super::teams;
use crate::kernel::{AppError, AppResult, Principal, Role};
use rand::Rng;
use rand::distr::Alphanumeric;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};
use sha2::{Digest, Sha256};

/// Every API key starts with this, so it is told apart from a JWT.
pub const KEY_PREFIX: &str = "dg_";

/// Publishable keys (role PUBLISHABLE) start with this, so they are recognisable in a page.
pub const PUBLISHABLE_PREFIX: &str = "dg_pk_";

pub fn hash(key: &str) -> String {
    Sha256::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A newly created key: the secret is only ever shown here.
pub struct CreatedKey {
    pub id: i64,
    pub prefix: String,
    pub secret: String,
}

/// Creates an API key for a team.
pub async fn create(
    db: &impl ConnectionTrait,
    team_slug: &str,
    name: &str,
    role: Role,
    now_ms: i64,
) -> AppResult<CreatedKey> {
    let team = teams::find_by_slug(db, team_slug)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("team `{team_slug}`")))?;
    let random: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(40)
        .map(char::from)
        .collect();
    let secret = if role == Role::Publishable {
        format!("{PUBLISHABLE_PREFIX}{random}")
    } else {
        format!("{KEY_PREFIX}{random}")
    };
    let prefix = secret[..11].to_string();
    let model = api_key::ActiveModel {
        team_id: Set(team.id.0),
        name: Set(name.into()),
        prefix: Set(prefix.clone()),
        key_hash: Set(hash(&secret)),
        role: Set(role.as_str().into()),
        created_at_ms: Set(now_ms),
        revoked_at_ms: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(CreatedKey {
        id: model.id,
        prefix,
        secret,
    })
}

/// Revokes the key whose prefix (its first 11 characters) matches; returns how many.
pub async fn revoke(db: &impl ConnectionTrait, prefix: &str, now_ms: i64) -> AppResult<u64> {
    let res = api_key::Entity::update_many()
        .col_expr(
            api_key::Column::RevokedAtMs,
            sea_orm::sea_query::Expr::val(now_ms),
        )
        .filter(api_key::Column::Prefix.eq(prefix))
        .filter(api_key::Column::RevokedAtMs.is_null())
        .exec(db)
        .await?;
    Ok(res.rows_affected)
}

/// The principal of a live API key.
pub async fn authenticate(db: &impl ConnectionTrait, secret: &str) -> AppResult<Principal> {
    let invalid = || AppError::InvalidCredentials("unknown or revoked API key".into());
    // One query for the key and its team: this runs on every API-key request.
    let (key, team) = api_key::Entity::find()
        .find_also_related(team::Entity)
        .filter(api_key::Column::KeyHash.eq(hash(secret)))
        .filter(api_key::Column::RevokedAtMs.is_null())
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let team = teams::info(team.ok_or_else(invalid)?)?;
    let role = key.role.parse().map_err(|_| invalid())?;
    Ok(Principal {
        team,
        user: format!("api-key:{}", key.prefix),
        role,
    })
}
