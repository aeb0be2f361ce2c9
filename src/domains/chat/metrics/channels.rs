//! Channel breakdown: the window's active sessions, their messages and writing participants
//! per session platform (`unknown` when a session has none).

use super::ActiveSession;
use foldhash::HashSet;
use std::collections::BTreeMap;

/// One platform's share of the window.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelRow {
    pub platform: String,
    pub sessions: i64,
    pub messages: i64,
    /// Distinct participants who wrote a human message.
    pub participants: i64,
}

/// Sums over every platform: sessions and messages add up; participants are distinct over
/// all platforms (one person on two platforms counts once).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ChannelTotals {
    pub sessions: i64,
    pub messages: i64,
    pub participants: i64,
}

/// Rows per platform (by platform name) and the totals.
pub fn channels(sessions: &[ActiveSession]) -> (Vec<ChannelRow>, ChannelTotals) {
    let mut by_platform: BTreeMap<&str, (i64, i64, HashSet<&str>)> = BTreeMap::new();
    let mut everyone = HashSet::default();
    for s in sessions {
        let entry = by_platform.entry(&s.platform).or_default();
        entry.0 += 1;
        entry.1 += s.messages();
        if s.human > 0 {
            entry.2.insert(&s.participant_id);
            everyone.insert(&s.participant_id);
        }
    }
    let rows: Vec<ChannelRow> = by_platform
        .into_iter()
        .map(|(platform, (sessions, messages, writers))| ChannelRow {
            platform: platform.to_string(),
            sessions,
            messages,
            participants: writers.len() as i64,
        })
        .collect();
    let totals = ChannelTotals {
        sessions: rows.iter().map(|r| r.sessions).sum(),
        messages: rows.iter().map(|r| r.messages).sum(),
        participants: everyone.len() as i64,
    };
    (rows, totals)
}
