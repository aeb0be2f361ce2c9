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
    /// funnel has no time limit; 0 on the last step).
    pub in_progress: Option<i32>,
    /// Users at this step whose time to reach the next one ran out without reaching it (null
    /// when the funnel has no time limit; 0 on the last step). On a timed funnel
    /// `count = next step's count + inProgress + droppedOff`.
    pub dropped_off: Option<i32>,
}

/// Where the users of a step of a timed funnel stand (those that did not go further).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Still within their time limit.
    pub in_progress: usize,
    /// Out of time.
    pub dropped_off: usize,
}

/// A funnel from `(name, count, progress)` steps, in order (`progress` only on timed funnels).
pub fn funnel(steps: Vec<(String, usize, Option<Progress>)>) -> Vec<FunnelStep> {
    let first = steps.first().map_or(0, |s| s.1) as f64;
    let mut previous = first;
    steps
        .into_iter()
        .map(|(name, count, progress)| {
            let c = count as f64;
            let step = FunnelStep {
                name,
                count: count as i32,
                conversion_from_start: ratio(c, first),
                conversion_from_previous: ratio(c, previous),
                in_progress: progress.map(|p| p.in_progress as i32),
                dropped_off: progress.map(|p| p.dropped_off as i32),
            };
            previous = c;
            step
        })
        .collect()
}
