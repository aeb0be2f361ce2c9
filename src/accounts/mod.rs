//! Teams, API keys and JWTs: who may call dashgate, and as which team.

pub mod api_keys;
pub mod entity;
pub mod teams;
pub mod tokens;

pub use tokens::JwtKeys;

use crate::kernel::{AppError, AppResult, Principal};
use sea_orm::DatabaseConnection;

/// Turns a bearer credential (an API key `dg_…` or a JWT) into a principal.
pub async fn authenticate(
    db: &DatabaseConnection,
    jwt: &JwtKeys,
    credential: &str,
    now: i64,
) -> AppResult<Principal> {
    if credential.starts_with(api_keys::KEY_PREFIX) {
        return api_keys::authenticate(db, credential).await;
    }
    let claims = jwt.verify(credential, now)?;
    let team = teams::find_by_slug(db, &claims.team)
        .await?
        .ok_or_else(|| AppError::InvalidCredentials("the token's team does not exist".into()))?;
    let role = claims
        .role
        .parse()
        .map_err(|_: String| AppError::InvalidCredentials("the token's role is unknown".into()))?;
    Ok(Principal {
        team,
        user: claims.sub,
        role,
    })
}
