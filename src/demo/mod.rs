//! Deterministic demo data: the same seed always gives the same rows, so demos, screenshots
//! and benchmarks are reproducible.

mod request_logs;

use crate::accounts::teams;
use crate::kernel::{AppResult, Principal, Role, TeamInfo, TeamScope};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

pub use request_logs::generate_request_logs;

/// The slug of the demo team.
pub const DEMO_TEAM: &str = "demo";
/// Request logs in the demo profile.
pub const DEMO_ROWS: usize = 250_000;
/// Days of history in the demo profile.
pub const DEMO_DAYS: i64 = 120;

/// Finds or creates a team for seeding.
pub async fn ensure_team(
    db: &DatabaseConnection,
    slug: &str,
    timezone: &str,
    now: DateTime<Utc>,
) -> AppResult<TeamInfo> {
    if let Some(team) = teams::find_by_slug(db, slug).await? {
        return Ok(team);
    }
    let name = if slug == DEMO_TEAM {
        "Demo Team".to_string()
    } else {
        format!("Team {slug}")
    };
    teams::create(db, slug, &name, timezone, "USD", now.timestamp_millis()).await
}

/// Seeds `rows` request logs over the `DEMO_DAYS` days before `now` into team `slug`
/// (created when missing). Re-running is idempotent: rows keep their ids.
/// Returns the team and how many rows were new.
pub async fn seed(
    db: &DatabaseConnection,
    slug: &str,
    rows: usize,
    now: DateTime<Utc>,
) -> AppResult<(TeamInfo, u64)> {
    let team = ensure_team(db, slug, "Europe/London", now).await?;
    let principal = Principal {
        team: team.clone(),
        user: "seed".into(),
        role: Role::Admin,
    };
    let scope = TeamScope::require(Some(&principal), Role::Editor)?;
    let logs = generate_request_logs(rows, now, DEMO_DAYS, 42);
    let mut inserted = 0;
    for batch in logs.chunks(50_000) {
        let txn = db.begin().await?;
        inserted += crate::domains::api_usage::ingest::write(&txn, &scope, batch).await?;
        txn.commit().await?;
    }
    Ok((team, inserted))
}

/// On the first start of an empty embedded database (no team at all), seeds the `demo` team
/// with `rows` request logs. Returns how many rows were seeded, or `None` when nothing was
/// done (PostgreSQL, demo disabled, or teams already exist).
pub async fn seed_if_empty(state: &crate::app::AppState, rows: usize) -> AppResult<Option<u64>> {
    let settings = &state.settings;
    if !settings.is_sqlite() || !settings.demo || teams::any(&state.db).await? {
        return Ok(None);
    }
    let (_, n) = seed(&state.db, DEMO_TEAM, rows, state.clock.now()).await?;
    Ok(Some(n))
}
