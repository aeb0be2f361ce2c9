//! Engagement: participants ranked by the human messages they wrote in the window, and the
//! distribution of session lengths.

use super::ActiveSession;
use foldhash::HashMap;

/// One participant's activity in the window.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ParticipantActivity {
    pub participant_id: String,
    /// Human messages written.
    pub messages: i64,
    /// Distinct sessions among those messages.
    pub sessions: i64,
    /// The latest of those messages (epoch ms).
    pub last_active_ms: i64,
}

/// The `limit` most (`most_active`) or least active participants with ≥ 1 human message;
/// ordered by messages (desc or asc), ties by participant id (byte order).
pub fn participant_activity(
    sessions: &[ActiveSession],
    most_active: bool,
    limit: usize,
) -> Vec<ParticipantActivity> {
    // (messages, sessions, latest human message) per participant.
    let mut by_participant: HashMap<&str, (i64, i64, i64)> = HashMap::default();
    for s in sessions.iter().filter(|s| s.human > 0) {
        let p = by_participant
            .entry(&s.participant_id)
            .or_insert((0, 0, i64::MIN));
        p.0 += s.human;
        p.1 += 1;
        p.2 = p.2.max(s.last_human_ms.unwrap_or(i64::MIN));
    }
    let mut rows: Vec<(&str, (i64, i64, i64))> = by_participant.into_iter().collect();
    let order = |a: &(&str, (i64, i64, i64)), b: &(&str, (i64, i64, i64))| {
        let by_messages = if most_active {
            b.1.0.cmp(&a.1.0)
        } else {
            a.1.0.cmp(&b.1.0)
        };
        by_messages.then_with(|| a.0.cmp(b.0))
    };
    // Only the first `limit` are ordered (the order is total: ids are unique).
    if limit < rows.len() {
        rows.select_nth_unstable_by(limit, order);
        rows.truncate(limit);
    }
    rows.sort_unstable_by(order);
    rows.into_iter()
        .map(|(id, (messages, sessions, last))| ParticipantActivity {
            participant_id: id.to_string(),
            messages,
            sessions,
            last_active_ms: last,
        })
        .collect()
}

/// One bin of the session-length histogram, in minutes.
#[derive(
    async_graphql::SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize,
)]
pub struct SessionLengthBin {
    /// Lower edge (inclusive), minutes.
    pub start: f64,
    /// Upper edge (exclusive; the last bin includes it), minutes.
    pub end: f64,
    /// Ended active sessions whose length falls in the bin.
    pub count: i64,
}

/// Number of equal-width bins.
const BINS: i64 = 10;

/// Lengths (`ended_at − created_at`) of the window's active sessions that ended, in 10
/// equal-width bins from the shortest to the longest; the last bin is closed on the right.
/// No ended session: no bins. All equal: the last bin holds them all.
pub fn session_lengths(sessions: &[ActiveSession]) -> Vec<SessionLengthBin> {
    let lengths: Vec<i64> = sessions.iter().filter_map(|s| s.length_ms).collect();
    let (Some(&min), Some(&max)) = (lengths.iter().min(), lengths.iter().max()) else {
        return Vec::new();
    };
    let mut counts = vec![0i64; BINS as usize];
    for d in &lengths {
        // floor((d − min) × 10 / (max − min)) in integers: no float edge effects.
        let bin = if max == min {
            BINS - 1
        } else {
            ((d - min) as i128 * BINS as i128 / (max - min) as i128).min(BINS as i128 - 1) as i64
        };
        counts[bin as usize] += 1;
    }
    let minutes = |ms: f64| ms / 60_000.0;
    let width = (max - min) as f64 / BINS as f64;
    counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| SessionLengthBin {
            start: minutes(min as f64 + width * i as f64),
            end: minutes(if i as i64 == BINS - 1 {
                max as f64
            } else {
                min as f64 + width * (i + 1) as f64
            }),
            count,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(length_min: i64) -> ActiveSession {
        ActiveSession {
            participant_id: "p".into(),
            experiment_id: "x".into(),
            platform: "web".into(),
            human: 1,
            ai: 0,
            last_human_ms: Some(0),
            length_ms: Some(length_min * 60_000),
        }
    }

    #[test]
    fn lengths_fill_ten_bins_with_a_closed_last_bin() {
        let bins = session_lengths(&[ended(0), ended(5), ended(9), ended(10)]);
        assert_eq!(bins.len(), 10);
        assert_eq!((bins[0].start, bins[0].end, bins[0].count), (0.0, 1.0, 1));
        assert_eq!(bins[5].count, 1);
        assert_eq!((bins[9].start, bins[9].end, bins[9].count), (9.0, 10.0, 2));
        let equal = session_lengths(&[ended(3), ended(3)]);
        assert_eq!(
            equal.iter().map(|b| b.count).collect::<Vec<_>>(),
            [0, 0, 0, 0, 0, 0, 0, 0, 0, 2]
        );
        assert!(session_lengths(&[]).is_empty());
    }
}
