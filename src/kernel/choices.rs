//! Filter choices: the values a dashboard's filter fields can take, read from the caller's
//! team's data (most used first), so a client offers real values instead of free text. Each
//! domain's `filter.rs` says where its fields' values live (`ChoiceSource`).

use super::sql::{ms, rows_as};
use super::window::TimeWindow;
use super::{AppResult, TeamScope};
use async_graphql::SimpleObject;
use sea_orm::sea_query::{Alias, DynIden, Expr, ExprTrait, IntoIden, Order, Query};
use sea_orm::{DatabaseConnection, FromQueryResult};

/// Most choices returned per filter.
pub const MAX_CHOICES: u64 = 200;

/// One value a filter can take.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct FilterChoice {
    /// What to put in the filter list (an id for experiments, participants and tags).
    pub value: String,
    /// What to show (a name where the value is an id; always plain text).
    pub label: String,
    /// Rows carrying the value (in the window, for time-stamped data).
    pub count: i32,
}

/// The choices of one filter field of a dashboard's filter input.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct FilterChoices {
    /// The filter input's field, e.g. `models`.
    pub field: String,
    /// Most used first, then by value; at most 200.
    pub choices: Vec<FilterChoice>,
}

/// Where one filter field's values live.
pub struct ChoiceSource {
    field: &'static str,
    table: DynIden,
    value: DynIden,
    /// A display name (ids are shown by name).
    label: Option<DynIden>,
    /// Counted within the window when set; all rows otherwise.
    time: Option<DynIden>,
    only: Option<Expr>,
}

impl ChoiceSource {
    /// The values of `field` are `table.value`, counted over all of the team's rows.
    pub fn new(field: &'static str, table: impl IntoIden, value: impl IntoIden) -> ChoiceSource {
        ChoiceSource {
            field,
            table: table.into_iden(),
            value: value.into_iden(),
            label: None,
            time: None,
            only: None,
        }
    }

    /// Shown by `label` (the value is an id).
    pub fn labelled(mut self, label: impl IntoIden) -> ChoiceSource {
        self.label = Some(label.into_iden());
        self
    }
    /// Counted within the window, by `time` (epoch ms).
    pub fn timed(mut self, time: impl IntoIden) -> ChoiceSource {
        self.time = Some(time.into_iden());
        self
    }
    /// Only rows matching `e`.
    pub fn only(mut self, e: Expr) -> ChoiceSource {
        self.only = Some(e);
        self
    }
}

#[derive(FromQueryResult)]
struct ChoiceRow {
    value: String,
    label: Option<String>,
    n: i64,
}

async fn choices_of(
    db: &DatabaseConnection,
    scope: &TeamScope,
    window: &TimeWindow,
    s: ChoiceSource,
) -> AppResult<FilterChoices> {
    let value = Expr::col((s.table.clone(), s.value.clone()));
    let label = s.label.map_or_else(
        || Expr::col((s.table.clone(), s.value.clone())),
        |l| Expr::col((s.table.clone(), l)),
    );
    let mut q = Query::select();
    q.expr_as(value.clone(), Alias::new("value"))
        .expr_as(label.max(), Alias::new("label"))
        .expr_as(
            Expr::col(sea_orm::sea_query::Asterisk).count(),
            Alias::new("n"),
        )
        .from(s.table.clone())
        .and_where(Expr::col((s.table.clone(), Alias::new("team_id"))).eq(scope.team_id().0))
        .and_where(value.clone().is_not_null())
        .and_where(value.clone().ne(""))
        .group_by_col((s.table.clone(), s.value.clone()))
        .order_by_expr(Expr::col(sea_orm::sea_query::Asterisk).count(), Order::Desc)
        .order_by_expr(value, Order::Asc)
        .limit(MAX_CHOICES);
    if let Some(time) = s.time {
        let t = Expr::col((s.table.clone(), time));
        q.and_where(t.clone().gte(ms(window.start)))
            .and_where(t.lt(ms(window.end)));
    }
    if let Some(only) = s.only {
        q.and_where(only);
    }
    let rows = rows_as::<ChoiceRow>(db, &q).await?;
    Ok(FilterChoices {
        field: s.field.into(),
        choices: rows
            .into_iter()
            .map(|r| FilterChoice {
                label: r.label.filter(|l| !l.is_empty()).unwrap_or(r.value.clone()),
                value: r.value,
                count: i32::try_from(r.n).unwrap_or(i32::MAX),
            })
            .collect(),
    })
}

/// The choices of every field `sources` describe, for the caller's team.
pub async fn read_choices(
    db: &DatabaseConnection,
    scope: &TeamScope,
    window: &TimeWindow,
    sources: Vec<ChoiceSource>,
) -> AppResult<Vec<FilterChoices>> {
    let reads = sources
        .into_iter()
        .map(|s| choices_of(db, scope, window, s));
    futures::future::try_join_all(reads).await
}
