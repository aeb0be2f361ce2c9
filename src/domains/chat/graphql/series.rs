//! The chat time series: dense, one point per bucket of the window.

use crate::domains::chat::metrics::{ActivityCounts, TraceSums};
use crate::kernel::window::TimeWindow;
use async_graphql::SimpleObject;
use chrono::{DateTime, FixedOffset};

/// Active participants in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ActiveParticipantsPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Distinct participants who wrote a human message in the bucket.
    pub active_participants: i64,
}

/// Sessions in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SessionsPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Distinct sessions with a human or ai message in the bucket (a session active on
    /// three days counts on each).
    pub active_sessions: i64,
    /// Distinct participants who wrote a human message in the bucket.
    pub active_participants: i64,
}

/// Messages in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MessageVolumePoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// `human` messages.
    pub participant_messages: i64,
    /// `ai` messages.
    pub bot_messages: i64,
    /// Both.
    pub total: i64,
}

/// Bot response time in one bucket.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ResponseTimePoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    /// Mean trace duration in seconds; null when the bucket has no traces.
    pub avg_seconds: Option<f64>,
}

pub fn active_participants(w: &TimeWindow, a: &[ActivityCounts]) -> Vec<ActiveParticipantsPoint> {
    w.frames()
        .zip(a)
        .map(|((start, end, is_partial), a)| ActiveParticipantsPoint {
            start,
            end,
            is_partial,
            active_participants: a.participants,
        })
        .collect()
}

pub fn sessions(w: &TimeWindow, a: &[ActivityCounts]) -> Vec<SessionsPoint> {
    w.frames()
        .zip(a)
        .map(|((start, end, is_partial), a)| SessionsPoint {
            start,
            end,
            is_partial,
            active_sessions: a.sessions,
            active_participants: a.participants,
        })
        .collect()
}

pub fn message_volume(w: &TimeWindow, a: &[ActivityCounts]) -> Vec<MessageVolumePoint> {
    w.frames()
        .zip(a)
        .map(|((start, end, is_partial), a)| MessageVolumePoint {
            start,
            end,
            is_partial,
            participant_messages: a.human,
            bot_messages: a.ai,
            total: a.human + a.ai,
        })
        .collect()
}

pub fn response_time(w: &TimeWindow, t: &[TraceSums]) -> Vec<ResponseTimePoint> {
    w.frames()
        .zip(t)
        .map(|((start, end, is_partial), t)| ResponseTimePoint {
            start,
            end,
            is_partial,
            avg_seconds: t.avg_seconds(),
        })
        .collect()
}
