//! Teams, API keys and JWTs: who may call dashgate, and as which team.

pub mod api_keys;
pub mod entity;
pub mod teams;
pub mod tokens;

pub use tokens::JwtKeys;

use crate::kernel::{AppError, AppResult, Principal, TeamInfo};
use moka::sync::Cache;
use sea_orm::DatabaseConnection;
use std::time::Duration;

/// What authentication looked up recently: API keys (by their hash) and teams (by slug), kept
/// a few seconds so that a request answered from the panel cache costs no database round
/// trip. A revoked key or a changed team takes effect within that time.
#[derive(Clone)]
pub struct Lookups {
    keys: Option<Cache<String, Principal>>,
    teams: Option<Cache<String, TeamInfo>>,
}

impl Lookups {
    /// Lookups kept `ttl` (zero: none kept).
    pub fn new(ttl: Duration) -> Self {
        Lookups {
            keys: kept(ttl),
            teams: kept(ttl),
        }
    }
}

/// A cache of at most 10 000 entries living `ttl`; none for a zero `ttl`.
fn kept<V: Clone + Send + Sync + 'static>(ttl: Duration) -> Option<Cache<String, V>> {
    (!ttl.is_zero()).then(|| {
        Cache::builder()
            .max_capacity(10_000)
            .time_to_live(ttl)
            .build()
    })
}

/// Turns a bearer credential (an API key `dg_…` or a JWT) into a principal. The JWT's
/// signature and expiry are checked every time; only database lookups are remembered.
pub async fn authenticate(
    db: &DatabaseConnection,
    jwt: &JwtKeys,
    lookups: &Lookups,
    credential: &str,
    now: i64,
) -> AppResult<Principal> {
    if credential.starts_with(api_keys::KEY_PREFIX) {
        let hash = api_keys::hash(credential);
        if let Some(p) = lookups.keys.as_ref().and_then(|c| c.get(&hash)) {
            return Ok(p);
        }
        let principal = api_keys::authenticate(db, credential).await?;
        if let Some(c) = &lookups.keys {
            c.insert(hash, principal.clone());
        }
        return Ok(principal);
    }
    let claims = jwt.verify(credential, now)?;
    let cached = lookups.teams.as_ref().and_then(|c| c.get(&claims.team));
    let team = match cached {
        Some(team) => team,
        None => {
            let team = teams::find_by_slug(db, &claims.team)
                .await?
                .ok_or_else(|| {
                    AppError::InvalidCredentials("the token's team does not exist".into())
                })?;
            if let Some(c) = &lookups.teams {
                c.insert(claims.team.clone(), team.clone());
            }
            team
        }
    };
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
