//! Keeping a rollup equal to its raw rows: contributions of rows computed by the database from
//! the stored rows themselves (added after they are written, retracted before they are replaced
//! or deleted), full rebuilds, and a check that recomputes and compares.

use super::settle::{self, Stale};
use super::{Agg, Dim, Measure, Rollup};
use crate::kernel::AppResult;
use crate::kernel::sql::get;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};

/// Keys per statement when rows are named by key.
const KEYS_PER_STATEMENT: usize = 1_000;

/// The rollup rows of the raw rows `r`, each measure times `sign` (presence dimensions: one row
/// per bucket and key, see `Dim::presence`): one SELECT per dimension.
pub(super) fn contributions(rollup: &Rollup, sign: i64, backend: DatabaseBackend) -> String {
    contributions_of(rollup, rollup.dims.iter(), sign, backend)
}

/// `contributions` of some of the rollup's dimensions.
fn contributions_of<'a>(
    rollup: &Rollup,
    dims: impl Iterator<Item = &'a Dim>,
    sign: i64,
    backend: DatabaseBackend,
) -> String {
    dims.map(|d| {
        let bucket = rollup.bucket_sql(d);
        let key = d.key.render(backend);
        let sums = each_measure_at(rollup, |i, m| match (d.presence, m.agg) {
            // Present: the count is 1, the other sums 0, extremes unknown.
            (true, Agg::Sum) if i == 0 => format!("1 AS \"{}\"", m.column),
            (true, Agg::Sum) => format!("0 AS \"{}\"", m.column),
            // A NULL of the measure's type (a bare NULL is text to PostgreSQL in a subquery).
            (true, _) => format!(
                "{}(CASE WHEN 1 = 0 THEN {} END) AS \"{}\"",
                m.agg.extreme_sql(),
                m.per_row,
                m.column
            ),
            (false, Agg::Sum) => format!("{sign} * SUM({}) AS \"{}\"", m.per_row, m.column),
            (false, extreme) => format!(
                "{}({}) AS \"{}\"",
                extreme.extreme_sql(),
                m.per_row,
                m.column
            ),
        });
        let group_by = rollup.group_by_sql(d, &key);
        format!(
            "SELECT \"team_id\", '{dim}' AS \"dim\", {bucket} AS \"bucket_ms\", {key} AS \"key\", {sums} \
             FROM r WHERE ({key}) IS NOT NULL GROUP BY \"team_id\", {group_by}",
            dim = d.name,
        )
    })
    .collect::<Vec<_>>()
    .join(" UNION ALL ")
}

/// `WITH r AS (SELECT * FROM <source> WHERE <cond>) <rest>`, with the condition's values bound.
pub(super) fn with_rows(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    cond: Condition,
    rest: &str,
) -> Statement {
    let select = Query::select()
        .expr(Expr::cust("*"))
        .from(Alias::new(rollup.source))
        .cond_where(cond)
        .to_owned();
    let raw = db.get_database_backend().build(&select);
    Statement {
        // Read once, aggregated once per dimension (SQLite would otherwise inline it).
        sql: format!("WITH r AS MATERIALIZED ({}) {rest}", raw.sql),
        ..raw
    }
}

/// `f` of every measure, comma-separated.
pub(super) fn each_measure(rollup: &Rollup, f: impl Fn(&Measure) -> String) -> String {
    each_measure_at(rollup, |_, m| f(m))
}

/// `f` of every measure and its position, comma-separated.
fn each_measure_at(rollup: &Rollup, f: impl Fn(usize, &Measure) -> String) -> String {
    rollup
        .measures
        .iter()
        .enumerate()
        .map(|(i, m)| f(i, m))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `INSERT INTO <rollup> SELECT <contributions of r to dims> … ON CONFLICT <on_conflict>`.
fn insert_sql<'a>(
    rollup: &Rollup,
    dims: impl Iterator<Item = &'a Dim>,
    sign: i64,
    backend: DatabaseBackend,
    on_conflict: &str,
) -> String {
    // `WHERE true` keeps SQLite from reading `ON CONFLICT` as a join constraint.
    format!(
        "INSERT INTO \"{table}\" (\"team_id\", \"dim\", \"bucket_ms\", \"key\", {columns}) \
         SELECT * FROM ({union}) AS c WHERE true \
         ON CONFLICT (\"team_id\", \"dim\", \"bucket_ms\", \"key\") {on_conflict}",
        table = rollup.table,
        columns = each_measure(rollup, |m| format!("\"{}\"", m.column)),
        union = contributions_of(rollup, dims, sign, backend),
    )
}

/// `INSERT INTO <rollup> SELECT <contributions of r> … ON CONFLICT DO UPDATE SET <sums>`, over
/// the summed dimensions (presence dimensions: `presence_insert_sql`).
fn upsert_sql(rollup: &Rollup, sign: i64, backend: DatabaseBackend) -> String {
    let table = rollup.table;
    let update = each_measure(rollup, |m| match (m.agg, sign > 0) {
        (Agg::Sum, _) => format!(
            "\"{c}\" = \"{table}\".\"{c}\" + excluded.\"{c}\"",
            c = m.column
        ),
        // The larger (smaller) of the two; a NULL on either side keeps the other.
        (extreme, true) => format!(
            "\"{c}\" = CASE WHEN excluded.\"{c}\" IS NULL OR \"{table}\".\"{c}\" {keeps} excluded.\"{c}\" \
             THEN \"{table}\".\"{c}\" ELSE excluded.\"{c}\" END",
            c = m.column,
            keeps = if extreme == Agg::Min { "<=" } else { ">=" },
        ),
        // Retracted rows: recomputed once the raw rows are final (`settle`).
        (_, false) => format!("\"{c}\" = \"{table}\".\"{c}\"", c = m.column),
    });
    let summed = rollup.dims.iter().filter(|d| !d.presence);
    insert_sql(
        rollup,
        summed,
        sign,
        backend,
        &format!("DO UPDATE SET {update}"),
    )
}

/// The presence rows of the raw rows `r` that are not there yet (`None` without presence
/// dimensions): a key already present in its bucket writes nothing — no row version, no index
/// entry — which is what makes presence cheap to maintain under repeated keys.
fn presence_insert_sql(rollup: &Rollup, backend: DatabaseBackend) -> Option<String> {
    let mut present = rollup.dims.iter().filter(|d| d.presence).peekable();
    present.peek()?;
    Some(insert_sql(rollup, present, 1, backend, "DO NOTHING"))
}

/// PostgreSQL: `insert` (an `INSERT … ON CONFLICT DO NOTHING` into the rollup's dataset) and the
/// contribution of the rows it inserted, in one statement that answers how many it inserted —
/// the inserted rows go straight from the insert to the rollup, without being looked up.
pub fn insert_and_add_sql(rollup: &Rollup, insert: &str) -> String {
    let backend = DatabaseBackend::Postgres;
    let present = presence_insert_sql(rollup, backend)
        .map(|p| format!(", present AS ({p})"))
        .unwrap_or_default();
    format!(
        "WITH r AS ({insert} RETURNING *), added AS ({}){present} SELECT COUNT(*) FROM r",
        upsert_sql(rollup, 1, backend)
    )
}

/// Adds (`sign` 1) or retracts (`sign` -1) the sums of the raw rows matching `cond`.
/// Retracting leaves rows whose count is zero; `seal` removes them.
async fn apply_where(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    cond: Condition,
    sign: i64,
) -> AppResult<()> {
    let backend = db.get_database_backend();
    let rest = upsert_sql(rollup, sign, backend);
    db.execute_raw(with_rows(db, rollup, cond.clone(), &rest))
        .await?;
    if sign > 0
        && let Some(present) = presence_insert_sql(rollup, backend)
    {
        db.execute_raw(with_rows(db, rollup, cond, &present))
            .await?;
    }
    Ok(())
}

/// Retracts the contribution of the team's raw rows matching `cond` (about to be replaced or
/// deleted): their sums are subtracted, and the rollup rows whose extremes or presence they
/// gave are noted in `stale`, for `settle` once the raw rows are final.
async fn retract(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: i64,
    cond: Condition,
    stale: &mut Stale,
) -> AppResult<()> {
    apply_where(db, rollup, cond.clone(), -1).await?;
    settle::note(
        db,
        rollup,
        team,
        |rest| with_rows(db, rollup, cond, rest),
        stale,
    )
    .await
}

fn team_rows(team: i64) -> Condition {
    Condition::all().add(Expr::col(Alias::new("team_id")).eq(team))
}

fn keyed(rollup: &Rollup, team: i64, keys: &[String]) -> Condition {
    team_rows(team).add(Expr::col(Alias::new(rollup.key)).is_in(keys.iter().cloned()))
}

/// Adds the contribution of the team's rows with these keys (just written).
pub async fn add_keys(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: i64,
    keys: &[String],
) -> AppResult<()> {
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        apply_where(db, rollup, keyed(rollup, team, chunk), 1).await?;
    }
    Ok(())
}

/// Retracts the contribution of the team's rows with these keys (about to be replaced or
/// deleted); `settle` the stale rows once they are.
pub async fn retract_keys(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: i64,
    keys: &[String],
    stale: &mut Stale,
) -> AppResult<()> {
    for chunk in keys.chunks(KEYS_PER_STATEMENT) {
        retract(db, rollup, team, keyed(rollup, team, chunk), stale).await?;
    }
    Ok(())
}

/// Retracts the contribution of the team's rows matching `cond` (about to be deleted);
/// `settle` the stale rows once they are.
pub async fn retract_where(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: i64,
    cond: Condition,
    stale: &mut Stale,
) -> AppResult<()> {
    retract(db, rollup, team, team_rows(team).add(cond), stale).await
}

/// Removes the team's rollup rows that no raw row contributes to any more (count zero).
pub async fn seal(db: &impl ConnectionTrait, rollup: &Rollup, team: i64) -> AppResult<()> {
    let count = rollup.measures[0].column;
    let stmt = Query::delete()
        .from_table(Alias::new(rollup.table))
        .and_where(Expr::col(Alias::new("team_id")).eq(team))
        .and_where(Expr::col(Alias::new(count)).lte(0))
        .to_owned();
    db.execute(&stmt).await?;
    Ok(())
}

pub(super) fn scope_of(team: Option<i64>) -> Condition {
    team.map_or_else(Condition::all, team_rows)
}

/// Recomputes the rollup from the raw rows (of one team, or all), in the caller's transaction,
/// which it frees from the statement timeout (PostgreSQL): a rebuild reads every raw row.
pub async fn rebuild(
    db: &impl ConnectionTrait,
    rollup: &Rollup,
    team: Option<i64>,
) -> AppResult<()> {
    if db.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
        db.execute_unprepared("SET LOCAL statement_timeout = 0")
            .await?;
    }
    let stmt = Query::delete()
        .from_table(Alias::new(rollup.table))
        .cond_where(scope_of(team))
        .to_owned();
    db.execute(&stmt).await?;
    apply_where(db, rollup, scope_of(team), 1).await
}

/// Rebuilds every rollup whose stored version differs from its definition (a database
/// migrated from before the rollup existed, or a changed definition), each in a transaction.
pub async fn ensure_current(
    db: &sea_orm::DatabaseConnection,
    rollups: &[&'static Rollup],
) -> AppResult<Vec<&'static str>> {
    let mut rebuilt = Vec::new();
    for rollup in rollups {
        if recorded_version(db, rollup.table).await? == Some(rollup.version) {
            continue;
        }
        let txn = crate::db::begin_write(db).await?;
        rebuild(&txn, rollup, None).await?;
        record_version(&txn, rollup.table, rollup.version).await?;
        txn.commit().await?;
        rebuilt.push(rollup.table);
    }
    Ok(rebuilt)
}

/// The definition version a rollup or tally table was last built from.
pub(super) async fn recorded_version(
    db: &impl ConnectionTrait,
    table: &str,
) -> AppResult<Option<i32>> {
    let select = Query::select()
        .column(Alias::new("version"))
        .from(Alias::new("rollup_versions"))
        .and_where(Expr::col(Alias::new("name")).eq(table))
        .to_owned();
    Ok(match db.query_one(&select).await? {
        Some(row) => Some(get::<i32>(&row, 0)?),
        None => None,
    })
}

/// Records the definition version a rollup or tally table was just built from.
pub(super) async fn record_version(
    db: &impl ConnectionTrait,
    table: &'static str,
    version: i32,
) -> AppResult<()> {
    let mut upsert = Query::insert();
    upsert
        .into_table(Alias::new("rollup_versions"))
        .columns([Alias::new("name"), Alias::new("version")])
        .values_panic([table.into(), version.into()])
        .on_conflict(
            sea_orm::sea_query::OnConflict::column(Alias::new("name"))
                .update_column(Alias::new("version"))
                .to_owned(),
        );
    db.execute(&upsert).await?;
    Ok(())
}
