//! The bot performance table: ordering by any column, pagination, experiment objects through
//! the DataLoader.

use crate::domains::chat::loaders::{ChatObjects, Experiment, ExperimentId, required};
use crate::domains::chat::metrics::BotRow;
use crate::kernel::AppError;
use async_graphql::{Enum, InputObject, Object, Result, SimpleObject};
use std::cmp::Ordering;
use std::sync::Arc;

/// Columns of the bot performance table.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BotPerformanceColumn {
    ExperimentName,
    Participants,
    #[default]
    Sessions,
    Messages,
    AvgSessionDurationMinutes,
    CompletionRate,
    AvgMessagesPerSession,
}

/// Sort direction.
#[derive(Enum, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortDirection {
    Asc,
    #[default]
    Desc,
}

/// How to order the table: a column and a direction (nulls sort as 0; ties by experiment
/// name, then id, ascending).
#[derive(InputObject, Debug, Clone, Copy, Default)]
pub struct BotPerformanceOrder {
    #[graphql(default)]
    pub column: BotPerformanceColumn,
    #[graphql(default)]
    pub direction: SortDirection,
}

fn number(row: &BotRow, column: BotPerformanceColumn) -> f64 {
    use BotPerformanceColumn::*;
    match column {
        ExperimentName => 0.0,
        Participants => row.participants as f64,
        Sessions => row.sessions as f64,
        Messages => row.messages as f64,
        AvgSessionDurationMinutes => row.avg_session_duration_minutes.unwrap_or(0.0),
        CompletionRate => row.completion_rate.unwrap_or(0.0),
        AvgMessagesPerSession => row.avg_messages_per_session.unwrap_or(0.0),
    }
}

/// Sorts rows by `order`; ties (and the name column itself) by name then id.
pub fn sort(rows: &mut [BotRow], order: BotPerformanceOrder) {
    let tie = |a: &BotRow, b: &BotRow| {
        a.name
            .cmp(&b.name)
            .then_with(|| a.experiment_id.cmp(&b.experiment_id))
    };
    rows.sort_by(|a, b| {
        let primary = if order.column == BotPerformanceColumn::ExperimentName {
            tie(a, b)
        } else {
            number(a, order.column)
                .partial_cmp(&number(b, order.column))
                .unwrap_or(Ordering::Equal)
        };
        let primary = match order.direction {
            SortDirection::Asc => primary,
            SortDirection::Desc => primary.reverse(),
        };
        primary.then_with(|| tie(a, b))
    });
}

/// One page of the table.
#[derive(SimpleObject)]
pub struct BotPerformanceTable {
    pub rows: Vec<BotPerformanceRow>,
    /// Rows of the whole table (every filtered experiment).
    pub total_count: i64,
}

/// One experiment's activity in the window.
pub struct BotPerformanceRow {
    pub(super) row: BotRow,
    pub(super) objects: Arc<ChatObjects>,
}

/// One experiment's activity in the window.
#[Object]
impl BotPerformanceRow {
    /// The experiment (bot).
    async fn experiment(&self) -> Result<Experiment> {
        let id = &self.row.experiment_id;
        required(&self.objects, ExperimentId(id.clone()), "experiment", id).await
    }
    /// Distinct participants of its active sessions.
    async fn participants(&self) -> i64 {
        self.row.participants
    }
    /// Its active sessions.
    async fn sessions(&self) -> i64 {
        self.row.sessions
    }
    /// Human + ai messages of the window in those sessions.
    async fn messages(&self) -> i64 {
        self.row.messages
    }
    /// Mean `ended_at − created_at` of its active sessions that ended; null when none ended.
    async fn avg_session_duration_minutes(&self) -> Option<f64> {
        self.row.avg_session_duration_minutes
    }
    /// Ended / active sessions; null without sessions.
    async fn completion_rate(&self) -> Option<f64> {
        self.row.completion_rate
    }
    /// Messages / sessions; null without sessions.
    async fn avg_messages_per_session(&self) -> Option<f64> {
        self.row.avg_messages_per_session
    }
}

/// The page `[offset, offset + limit)` of the sorted rows.
pub fn page(
    mut rows: Vec<BotRow>,
    order: BotPerformanceOrder,
    limit: usize,
    offset: Option<i32>,
    objects: &Arc<ChatObjects>,
) -> Result<BotPerformanceTable> {
    let offset = match offset {
        None => 0,
        Some(n) if n >= 0 => n as usize,
        Some(_) => return Err(AppError::bad_input("offset", "`offset` must be ≥ 0").into()),
    };
    sort(&mut rows, order);
    let total_count = rows.len() as i64;
    let rows = rows
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|row| BotPerformanceRow {
            row,
            objects: objects.clone(),
        })
        .collect();
    Ok(BotPerformanceTable { rows, total_count })
}
