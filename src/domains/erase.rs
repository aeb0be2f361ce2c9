//! Erasing one person: every row of the team that identifies them — request logs by
//! `user_id`, product events by user or device identity, memberships by user, chat
//! participants by id or identifier together with their sessions, messages, traces and tags —
//! deleted in the caller's transaction.

use super::datasets::{self, Dataset};
use super::registry;
use super::rollups;
use crate::kernel::sql::get;
use crate::kernel::{AppResult, TeamScope};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Condition, Expr, ExprTrait, Query};
use std::collections::BTreeMap;

/// Rows deleted per dataset.
pub type Erased = BTreeMap<&'static str, u64>;

/// Deletes the team's rows of `table` matching any of `columns = user`.
async fn delete_where(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    table: &str,
    columns: &[&str],
    user: &str,
) -> AppResult<u64> {
    let mut any = Condition::any();
    for c in columns {
        any = any.add(Expr::col(Alias::new(*c)).eq(user));
    }
    let ds = registry::find(table);
    // Erasure deletes by condition: the units a tally would recompute are not named.
    debug_assert!(
        ds.is_none_or(|ds| ds.tallies.is_empty()),
        "{table} has a tally"
    );
    let rollup = ds.and_then(|ds| ds.rollup);
    let mut stale = rollups::Stale::default();
    if let Some(rollup) = rollup {
        rollups::retract_where(db, rollup, scope.team_id().0, any.clone(), &mut stale).await?;
    }
    let stmt = Query::delete()
        .from_table(Alias::new(table))
        .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
        .cond_where(any)
        .to_owned();
    let deleted = db.execute(&stmt).await?.rows_affected();
    if let Some(rollup) = rollup {
        rollups::settle(db, rollup, scope.team_id().0, stale).await?;
    }
    Ok(deleted)
}

/// Erases `user` from the team's data; answers the rows deleted per dataset (every dataset
/// that can identify a person is listed, zeros included).
pub async fn erase(db: &impl ConnectionTrait, scope: &TeamScope, user: &str) -> AppResult<Erased> {
    let mut erased = Erased::new();
    for (table, columns) in [
        ("request_logs", &["user_id"][..]),
        ("product_events", &["user_id", "identity"][..]),
        ("product_memberships", &["user_id"][..]),
    ] {
        erased.insert(table, delete_where(db, scope, table, columns, user).await?);
    }
    let participants = Query::select()
        .column(Alias::new("id"))
        .from(Alias::new("chat_participants"))
        .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
        .cond_where(
            Condition::any()
                .add(Expr::col(Alias::new("id")).eq(user))
                .add(Expr::col(Alias::new("identifier")).eq(user)),
        )
        .to_owned();
    let ids = db
        .query_all(&participants)
        .await?
        .iter()
        .map(|r| get::<String>(r, 0))
        .collect::<Result<Vec<_>, _>>()?;
    erased.insert("chat_participants", 0);
    let all: Vec<&'static Dataset> = registry::all().collect();
    let chat = registry::find("chat_participants").expect("chat_participants is described");
    if let Ok(done) = datasets::delete(db, scope, &all, chat, &ids, true).await? {
        for (name, n) in done.deleted {
            *erased.entry(name).or_insert(0) += n;
        }
    }
    Ok(erased)
}
