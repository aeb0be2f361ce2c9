//! Funnels: ordered steps with counts and conversions (null when the denominator is 0).

use super::kpi::ratio;
use async_graphql::SimpleObject;
use serde::{Deserialize, Serialize};

/// One step of a funnel.
#[derive(SimpleObject, Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FunnelStep {
    /// The step, e.g. an event name.
    pub name: String,
    /// Users (or items) that reached the step.
    pub count: i32,
    /// `count / first step's count`.
    pub conversion_from_start: Option<f64>,
    /// `count / previous step's count`.
    pub conversion_from_previous: Option<f64>,
    /// Users at this step whose time to reach the next one has not run out (null when the
    /// funnel has no time limit).
    pub in_progress: Option<i32>,
}

/// A funnel from `(name, count, in progress)` steps, in order.
pub fn funnel(steps: Vec<(String, usize, Option<usize>)>) -> Vec<FunnelStep> {
    let first = steps.first().map_or(0, |s| s.1) as f64;
    let mut previous = first;
    steps
        .into_iter()
        .map(|(name, count, in_progress)| {
            let c = count as f64;
            let step = FunnelStep {
                name,
                count: count as i32,
                conversion_from_start: ratio(c, first),
                conversion_from_previous: ratio(c, previous),
                in_progress: in_progress.map(|n| n as i32),
            };
            previous = c;
            step
        })
        .collect()
}
