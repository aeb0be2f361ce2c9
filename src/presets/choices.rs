//! Filter choices: the values each dashboard's filters can take, read from the caller's team's
//! data (most used first), so a client offers real values instead of free text.

use super::model::DashboardKind;
use crate::domains::api_usage::entity::{Column as Log, Entity as RequestLogs};
use crate::domains::chat::entity::{ChatExperiments, ChatParticipants, ChatSessions, ChatTags};
use crate::domains::executive::entity::ExecOrders;
use crate::domains::product::entity::ProductEvents;
use crate::domains::publishing::entity::PubPublishLogs;
use crate::kernel::sql::{ms, rows_as};
use crate::kernel::window::TimeWindow;
use crate::kernel::{AppResult, TeamScope};
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

/// Where one filter's values live.
struct Source {
    field: &'static str,
    table: DynIden,
    value: DynIden,
    /// A display name (ids are shown by name).
    label: Option<DynIden>,
    /// Counted within the window when set; all rows otherwise.
    time: Option<DynIden>,
    only: Option<Expr>,
}

fn source(field: &'static str, table: impl IntoIden, value: impl IntoIden) -> Source {
    Source {
        field,
        table: table.into_iden(),
        value: value.into_iden(),
        label: None,
        time: None,
        only: None,
    }
}

impl Source {
    fn labelled(mut self, label: impl IntoIden) -> Source {
        self.label = Some(label.into_iden());
        self
    }
    fn timed(mut self, time: impl IntoIden) -> Source {
        self.time = Some(time.into_iden());
        self
    }
    fn only(mut self, e: Expr) -> Source {
        self.only = Some(e);
        self
    }
}

fn sources(dashboard: DashboardKind) -> Vec<Source> {
    use ProductEvents as P;
    match dashboard {
        DashboardKind::ApiUsage => vec![
            source("models", RequestLogs, Log::ModelName).timed(Log::CreatedAtMs),
            source("countries", RequestLogs, Log::CountryCode).timed(Log::CreatedAtMs),
            source("endpoints", RequestLogs, Log::Endpoint).timed(Log::CreatedAtMs),
            source("userIds", RequestLogs, Log::UserId).timed(Log::CreatedAtMs),
        ],
        DashboardKind::Chat => vec![
            source("experimentIds", ChatExperiments::Table, ChatExperiments::Id)
                .labelled(ChatExperiments::Name)
                .only(Expr::col(ChatExperiments::IsArchived).eq(false)),
            source("platforms", ChatSessions::Table, ChatSessions::Platform),
            source(
                "participantIds",
                ChatParticipants::Table,
                ChatParticipants::Id,
            )
            .labelled(ChatParticipants::Name),
            source("tagIds", ChatTags::Table, ChatTags::Id).labelled(ChatTags::Name),
        ],
        DashboardKind::Publishing => vec![source(
            "platforms",
            PubPublishLogs::Table,
            PubPublishLogs::Platform,
        )],
        DashboardKind::Executive => {
            vec![source("customers", ExecOrders::Table, ExecOrders::Customer)]
        }
        DashboardKind::Product => vec![
            source("channels", P::Table, P::Channel).timed(P::EventTimeMs),
            source("regions", P::Table, P::Region).timed(P::EventTimeMs),
            source("platforms", P::Table, P::Platform).timed(P::EventTimeMs),
        ],
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
    s: Source,
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

/// The choices of every filter field of `dashboard`, for the caller's team.
pub async fn filter_choices(
    db: &DatabaseConnection,
    scope: &TeamScope,
    dashboard: DashboardKind,
    window: &TimeWindow,
) -> AppResult<Vec<FilterChoices>> {
    let reads = sources(dashboard)
        .into_iter()
        .map(|s| choices_of(db, scope, window, s));
    futures::future::try_join_all(reads).await
}
