//! Deterministic demo data: the same seed always gives the same rows, so demos, screenshots
//! and benchmarks are reproducible.

mod chat;
mod executive;
mod product;
mod publishing;
mod request_logs;

use crate::accounts::teams;
use crate::domains::api_usage::ingest::REQUEST_LOGS;
use crate::domains::datasets::{Batch, Dataset};
use crate::domains::registry;
use crate::kernel::{AppResult, Principal, Role, TeamInfo, TeamScope};
use chrono::{DateTime, Utc};
use sea_orm::DatabaseConnection;

pub use chat::{DatasetRows, generate_chat};
pub use executive::generate_executive;
pub use product::generate_product;
pub use publishing::generate_publishing;
pub use request_logs::{DemoLog, generate_request_logs};

/// The slug of the demo team.
pub const DEMO_TEAM: &str = "demo";
/// Request logs in the demo profile.
pub const DEMO_ROWS: usize = 250_000;
/// Days of history in the demo profile.
pub const DEMO_DAYS: i64 = 120;
/// Videos in the demo profile (each with a few clips, jobs and publications).
pub const DEMO_VIDEOS: usize = 400;
/// Chat participants in the demo profile (sessions: about 110 a day).
pub const DEMO_CHAT_PARTICIPANTS: usize = 3_000;
/// Learners of the product dashboard in the demo profile.
pub const DEMO_LEARNERS: usize = 3_000;

/// What a seed run wrote.
#[derive(Debug, Clone)]
pub struct Seeded {
    pub team: TeamInfo,
    /// New request logs.
    pub request_logs: u64,
    /// New rows over the nine chat datasets.
    pub chat_rows: u64,
    /// New rows over the five publishing datasets.
    pub publishing_rows: u64,
    /// New (or replaced) rows over the executive datasets, real-user events included.
    pub executive_rows: u64,
    /// New product events and memberships.
    pub product_rows: u64,
}

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

/// Seeds `rows` request logs, the chat workload, the publishing pipeline and the learning
/// app's product telemetry over the `DEMO_DAYS` days before `now`, and two years of executive
/// figures,
/// into team `slug` (created when missing). Re-running is idempotent: rows keep their ids.
pub async fn seed(
    db: &DatabaseConnection,
    slug: &str,
    rows: usize,
    now: DateTime<Utc>,
) -> AppResult<Seeded> {
    seed_scaled(db, slug, rows, 1, now).await
}

/// `seed` with every workload multiplied by `scale` (at least 1): `rows × scale` request
/// logs, and `scale` times the chat participants and their sessions per day, the videos and the
/// learners — to try any dashboard at 10× or 100× the demo. The executive figures (monthly, per
/// customer) stay as they are.
pub async fn seed_scaled(
    db: &DatabaseConnection,
    slug: &str,
    rows: usize,
    scale: usize,
    now: DateTime<Utc>,
) -> AppResult<Seeded> {
    let k = scale.max(1);
    let rows = rows.saturating_mul(k);
    let team = ensure_team(db, slug, "Europe/London", now).await?;
    let principal = Principal {
        team: team.clone(),
        user: "seed".into(),
        role: Role::Admin,
    };
    let scope = TeamScope::require(Some(&principal), Role::Editor)?;
    let logs = generate_request_logs(rows, now, DEMO_DAYS, 42);
    let logs = logs.iter().map(|l| l.to_json());
    let request_logs = seed_rows(db, &scope, &REQUEST_LOGS, logs).await?;
    let chat = generate_chat(DEMO_CHAT_PARTICIPANTS * k, 110 * k, now, DEMO_DAYS, 7);
    let chat_rows = seed_tables(db, &scope, chat).await?;
    let publishing = generate_publishing(DEMO_VIDEOS * k, now, DEMO_DAYS, 11);
    let publishing_rows = seed_tables(db, &scope, publishing).await?;
    let (mut executive, events) = generate_executive(now, team.timezone, 13);
    executive.push(("rum_events", events));
    let executive_rows = seed_tables(db, &scope, executive).await?;
    let product_rows = seed_product(db, &scope, DEMO_LEARNERS * k, now, DEMO_DAYS).await?;
    Ok(Seeded {
        team,
        request_logs,
        chat_rows,
        publishing_rows,
        executive_rows,
        product_rows,
    })
}

/// Generates `learners` learners' product telemetry over the `days` days before `now`,
/// validates it like the ingest endpoints and writes it; returns the new rows.
pub async fn seed_product(
    db: &DatabaseConnection,
    scope: &TeamScope,
    learners: usize,
    now: DateTime<Utc>,
    days: i64,
) -> AppResult<u64> {
    let (events, memberships) = generate_product(learners, now, days, 17);
    let datasets = vec![
        ("product_events", events),
        ("product_memberships", memberships),
    ];
    seed_tables(db, scope, datasets).await
}

/// Writes generated rows of one dataset through the ingestion path (validated, versioned,
/// chunked, in one transaction); a rejected row is a bug in the generator and says where.
pub async fn seed_rows(
    db: &DatabaseConnection,
    scope: &TeamScope,
    ds: &'static Dataset,
    rows: impl IntoIterator<Item = serde_json::Value>,
) -> AppResult<u64> {
    let txn = crate::db::begin_write(db).await?;
    let mut batch = Batch::new(ds, scope);
    for (i, row) in rows.into_iter().enumerate() {
        batch.push(&txn, i + 1, row).await?;
    }
    match batch.finish(&txn).await? {
        Ok(written) => {
            txn.commit().await?;
            Ok(written.outcome.inserted + written.outcome.updated)
        }
        Err(errors) => {
            let e = &errors[0];
            let msg = format!(
                "demo {}: line {}, field `{}`: {}",
                ds.name,
                e.line,
                e.field.as_deref().unwrap_or(""),
                e.message
            );
            Err(crate::kernel::AppError::internal(anyhow::anyhow!(msg)))
        }
    }
}

/// Writes generated rows of several datasets (in dependency order) through the ingestion
/// path; returns the rows new (or changed) for the team.
pub async fn seed_tables(
    db: &DatabaseConnection,
    scope: &TeamScope,
    datasets: DatasetRows,
) -> AppResult<u64> {
    let mut written = 0;
    for (name, values) in datasets {
        let ds = registry::find(name).ok_or_else(|| {
            crate::kernel::AppError::internal(anyhow::anyhow!("no dataset `{name}`"))
        })?;
        written += seed_rows(db, scope, ds, values).await?;
    }
    Ok(written)
}

/// On the first start of an empty embedded database (no team at all), seeds the `demo` team
/// with `rows` request logs and the chat workload. Returns what was seeded, or `None` when nothing was
/// done (PostgreSQL, demo disabled, or teams already exist).
pub async fn seed_if_empty(
    state: &crate::state::AppState,
    rows: usize,
) -> AppResult<Option<Seeded>> {
    let settings = &state.settings;
    if !settings.is_sqlite() || !settings.demo || teams::any(&state.db).await? {
        return Ok(None);
    }
    let seeded = seed(&state.db, DEMO_TEAM, rows, state.clock.now()).await?;
    Ok(Some(seeded))
}
