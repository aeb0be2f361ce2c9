//! Deterministic demo data: the same seed always gives the same rows, so demos, screenshots
//! and benchmarks are reproducible.

mod chat;
mod executive;
mod product;
mod publishing;
mod request_logs;

use crate::accounts::teams;
use crate::domains::registry;
use crate::kernel::{AppResult, Principal, Role, TeamInfo, TeamScope};
use chrono::{DateTime, Utc};
use sea_orm::{DatabaseConnection, TransactionTrait};

pub use chat::{DatasetRows, generate_chat};
pub use executive::generate_executive;
pub use product::generate_product;
pub use publishing::generate_publishing;
pub use request_logs::generate_request_logs;

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
    let team = ensure_team(db, slug, "Europe/London", now).await?;
    let principal = Principal {
        team: team.clone(),
        user: "seed".into(),
        role: Role::Admin,
    };
    let scope = TeamScope::require(Some(&principal), Role::Editor)?;
    let logs = generate_request_logs(rows, now, DEMO_DAYS, 42);
    let mut request_logs = 0;
    for batch in logs.chunks(50_000) {
        let txn = db.begin().await?;
        request_logs += crate::domains::api_usage::ingest::write(&txn, &scope, batch).await?;
        txn.commit().await?;
    }
    let chat = generate_chat(DEMO_CHAT_PARTICIPANTS, 110, now, DEMO_DAYS, 7);
    let chat_rows = seed_tables(db, &scope, chat).await?;
    let publishing = generate_publishing(DEMO_VIDEOS, now, DEMO_DAYS, 11);
    let publishing_rows = seed_tables(db, &scope, publishing).await?;
    let (executive, events) = generate_executive(now, team.timezone, 13);
    let mut executive_rows = seed_tables(db, &scope, executive).await?;
    let events = validated("rum_events", &events, |v| {
        crate::domains::executive::ingest::validate_event(v, None)
    })?;
    let txn = db.begin().await?;
    executive_rows +=
        crate::domains::executive::ingest::write_events(&txn, &scope, &events).await?;
    txn.commit().await?;
    let product_rows = seed_product(db, &scope, DEMO_LEARNERS, now, DEMO_DAYS).await?;
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
    use crate::domains::product::ingest;
    let (events, memberships) = generate_product(learners, now, days, 17);
    let events = validated("product_events", &events, |v| {
        ingest::validate_event(v, None)
    })?;
    let txn = db.begin().await?;
    let mut written = ingest::write_events(&txn, scope, &events).await?;
    txn.commit().await?;
    written += seed_tables(db, scope, vec![("product_memberships", memberships)]).await?;
    Ok(written)
}

/// Validates generated rows with `validate` (an ingest validator); a failure is a bug in the
/// generator and says which dataset and field.
fn validated<T>(
    name: &str,
    values: &[serde_json::Value],
    validate: impl Fn(&serde_json::Value) -> Result<T, crate::kernel::record::FieldError>,
) -> AppResult<Vec<T>> {
    values
        .iter()
        .map(validate)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            let msg = format!("demo {name}: field `{}`: {}", e.field, e.message);
            crate::kernel::AppError::internal(anyhow::anyhow!(msg))
        })
}

/// Validates generated rows of table-driven datasets like the ingest endpoint does and writes
/// them in one transaction.
pub async fn seed_tables(
    db: &DatabaseConnection,
    scope: &TeamScope,
    datasets: DatasetRows,
) -> AppResult<u64> {
    use crate::domains::tables;
    let txn = db.begin().await?;
    let mut inserted = 0;
    for (name, values) in datasets {
        let ds = registry::find(name).ok_or_else(|| {
            crate::kernel::AppError::internal(anyhow::anyhow!("no dataset `{name}`"))
        })?;
        let rows = validated(name, &values, |v| tables::validate(ds, v))?;
        let written = tables::write(&txn, scope, ds, &rows).await?;
        inserted += written.inserted + written.replaced;
    }
    txn.commit().await?;
    Ok(inserted)
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
