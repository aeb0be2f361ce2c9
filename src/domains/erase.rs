//! Erasing one person: every row of the team that identifies them, as the datasets declare
//! (today: request logs by `user_id`, product events by user or device identity, memberships
//! by user, chat participants by id or identifier — with their sessions, messages, traces and
//! tags, which reference them) — deleted in the caller's transaction.

use super::datasets::{self, Dataset, Kind};
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
/// that can identify a person is listed, zeros included). The datasets say which of their
/// columns identify a person (`datasets::person`, `Dataset::person_key`); rows that reference
/// an erased row go with it (a participant's sessions, messages, traces and tags).
pub async fn erase(db: &impl ConnectionTrait, scope: &TeamScope, user: &str) -> AppResult<Erased> {
    let all: Vec<&'static Dataset> = registry::all().collect();
    let mut erased = Erased::new();
    for ds in &all {
        let columns = ds.person_columns();
        if columns.is_empty() {
            continue;
        }
        erased.entry(ds.name).or_insert(0);
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        if !referenced(&all, ds) {
            let n = delete_where(db, scope, ds.name, &columns, user).await?;
            *erased.entry(ds.name).or_insert(0) += n;
            continue;
        }
        let mut any = Condition::any();
        for c in &columns {
            any = any.add(Expr::col(Alias::new(*c)).eq(user));
        }
        let rows = Query::select()
            .column(Alias::new("id"))
            .from(Alias::new(ds.name))
            .and_where(Expr::col(Alias::new("team_id")).eq(scope.team_id().0))
            .cond_where(any)
            .to_owned();
        let ids = db
            .query_all(&rows)
            .await?
            .iter()
            .map(|r| get::<String>(r, 0))
            .collect::<Result<Vec<_>, _>>()?;
        if let Ok(done) = datasets::delete(db, scope, &all, ds, &ids, true).await? {
            for (name, n) in done.deleted {
                *erased.entry(name).or_insert(0) += n;
            }
        }
    }
    Ok(erased)
}

/// Whether rows of another dataset reference `ds` (deleting them cascades).
fn referenced(all: &[&'static Dataset], ds: &Dataset) -> bool {
    all.iter()
        .flat_map(|other| other.fields)
        .any(|f| matches!(f.kind, Kind::Ref(to) | Kind::OptRef(to) if to == ds.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field whose name says it holds a person, and that says nothing, fails here: either
    /// mark it (`datasets::person`) or make it a reference to a dataset of persons.
    #[test]
    fn every_field_that_looks_like_a_person_is_erasable() {
        let all: Vec<&'static Dataset> = registry::all().collect();
        let persons: Vec<&str> = all
            .iter()
            .filter(|d| !d.person_columns().is_empty())
            .map(|d| d.name)
            .collect();
        let looks = |name: &str| {
            [
                "user",
                "participant",
                "identifier",
                "identity",
                "email",
                "e_mail",
                "person",
            ]
            .iter()
            .any(|w| name.contains(w))
        };
        for ds in &all {
            for field in ds.fields.iter().filter(|f| looks(f.name)) {
                let to_person =
                    matches!(field.kind, Kind::Ref(to) | Kind::OptRef(to) if persons.contains(&to));
                assert!(
                    field.person || to_person,
                    "{}.{} looks like a person but erasure would not find it",
                    ds.name,
                    field.name
                );
            }
        }
        assert!(persons.contains(&"request_logs") && persons.contains(&"chat_participants"));
    }
}
