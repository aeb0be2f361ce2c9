//! The chat scans over kept conversations: the same answers as the SQL of `metrics` (the
//! property test `chat_rollups` compares them), computed by one pass over the time-sorted
//! messages, traces or links of the range. Distinct counts per bucket use stamps: the pass
//! meets buckets in order, so "counted in this bucket yet" is "stamped with this bucket".

use super::Conversations;
use crate::domains::chat::filter::ChatFilter;
use crate::domains::chat::metrics::{ActiveSession, ActivityCounts, TagCount, TraceSums};
use std::collections::{HashMap, HashSet};

/// Which sessions pass: countable and every filter of spec/chat.md's session column.
pub struct Passing(Vec<bool>);

impl Conversations {
    /// The sessions passing `filter`.
    pub fn passing(&self, filter: &ChatFilter) -> Passing {
        let t = &self.texts;
        let numbers = |index: &HashMap<std::sync::Arc<str>, u32>, ids: &[String]| {
            ids.iter()
                .filter_map(|id| index.get(id.as_str()).copied())
                .collect::<HashSet<u32>>()
        };
        let experiments = numbers(&t.experiments.index, &filter.experiment_ids);
        let participants = numbers(&t.participants.index, &filter.participant_ids);
        let platforms = numbers(&t.platforms.index, &filter.platforms);
        let tags: HashSet<u32> = self
            .tags
            .iter()
            .enumerate()
            .filter(|(_, tag)| filter.tag_ids.contains(&tag.id))
            .map(|(i, _)| i as u32)
            .collect();
        let pass = self
            .sessions
            .iter()
            .map(|s| {
                s.countable
                    && (filter.experiment_ids.is_empty() || experiments.contains(&s.experiment))
                    && (filter.participant_ids.is_empty() || participants.contains(&s.participant))
                    && (filter.platforms.is_empty()
                        || s.platform.is_some_and(|p| platforms.contains(&p)))
                    && (filter.tag_ids.is_empty() || s.tags.iter().any(|t| tags.contains(t)))
            })
            .collect();
        Passing(pass)
    }

    /// The kept messages of `[from, to)`.
    fn messages_in(&self, from: i64, to: i64) -> &[super::Message] {
        let a = self.messages.partition_point(|m| m.ms < from);
        let b = self.messages.partition_point(|m| m.ms < to);
        &self.messages[a..b.max(a)]
    }

    /// Per bucket `[bounds[i], bounds[i+1])`: messages, distinct sessions and writers, and
    /// (`experiments`: the filtered experiments' ids) completed sessions and distinct
    /// experiments among those sessions.
    pub fn activity(
        &self,
        pass: &Passing,
        bounds: &[i64],
        experiments: Option<&HashSet<String>>,
    ) -> Vec<ActivityCounts> {
        let n = bounds.len().saturating_sub(1);
        let mut out = vec![ActivityCounts::default(); n];
        if n == 0 {
            return out;
        }
        let filtered: Vec<bool> = self
            .texts
            .experiments
            .texts
            .iter()
            .map(|e| experiments.is_some_and(|set| set.contains(&**e)))
            .collect();
        let mut session_seen = vec![0u32; self.sessions.len()];
        let mut writer_seen = vec![0u32; self.texts.participants.texts.len()];
        let mut experiment_seen = vec![0u32; filtered.len()];
        let mut b = 0;
        for m in self.messages_in(bounds[0], bounds[n]) {
            while m.ms >= bounds[b + 1] {
                b += 1;
            }
            let s = m.session as usize;
            if !pass.0[s] {
                continue;
            }
            let (stamp, c, session) = (b as u32 + 1, &mut out[b], &self.sessions[s]);
            if m.human {
                c.human += 1;
                let p = session.participant as usize;
                if writer_seen[p] != stamp {
                    writer_seen[p] = stamp;
                    c.participants += 1;
                }
            } else {
                c.ai += 1;
            }
            if session_seen[s] != stamp {
                session_seen[s] = stamp;
                c.sessions += 1;
                if experiments.is_some() {
                    c.completed_sessions += i64::from(session.length_ms.is_some());
                    let e = session.experiment as usize;
                    if filtered[e] && experiment_seen[e] != stamp {
                        experiment_seen[e] = stamp;
                        c.experiments += 1;
                    }
                }
            }
        }
        out
    }

    /// Every passing session with a counted message in `[from, to)`, with its counts.
    pub fn active_sessions(&self, pass: &Passing, from: i64, to: i64) -> Vec<ActiveSession> {
        // (human, ai, latest human message) per session, 0/0 for sessions without one.
        let mut counts: HashMap<u32, (i64, i64, Option<i64>)> = HashMap::new();
        for m in self.messages_in(from, to) {
            if !pass.0[m.session as usize] {
                continue;
            }
            let c = counts.entry(m.session).or_insert((0, 0, None));
            if m.human {
                c.0 += 1;
                c.2 = Some(c.2.map_or(m.ms, |l| l.max(m.ms)));
            } else {
                c.1 += 1;
            }
        }
        let t = &self.texts;
        counts
            .into_iter()
            .map(|(s, (human, ai, last_human_ms))| {
                let session = &self.sessions[s as usize];
                ActiveSession {
                    participant_id: t.participants.texts[session.participant as usize].to_string(),
                    experiment_id: t.experiments.texts[session.experiment as usize].to_string(),
                    platform: session.platform.map_or("unknown".to_string(), |p| {
                        t.platforms.texts[p as usize].to_string()
                    }),
                    human,
                    ai,
                    last_human_ms,
                    length_ms: session.length_ms,
                }
            })
            .collect()
    }

    /// Trace counts and durations per bucket, of the passing sessions active (with a counted
    /// message) anywhere in `[bounds[0], bounds[last])`.
    pub fn traces(&self, pass: &Passing, bounds: &[i64]) -> Vec<TraceSums> {
        let n = bounds.len().saturating_sub(1);
        let mut out = vec![TraceSums::default(); n];
        if n == 0 {
            return out;
        }
        let mut active = vec![false; self.sessions.len()];
        for m in self.messages_in(bounds[0], bounds[n]) {
            active[m.session as usize] = true;
        }
        let a = self.traces.partition_point(|t| t.ms < bounds[0]);
        let mut b = 0;
        for t in &self.traces[a..] {
            if t.ms >= bounds[n] {
                break;
            }
            while t.ms >= bounds[b + 1] {
                b += 1;
            }
            let s = t.session as usize;
            if pass.0[s] && active[s] {
                out[b].count += 1;
                out[b].total_ms += t.duration_ms;
            }
        }
        out
    }

    /// Message tag links on messages of `[from, to)` of passing sessions, per tag (category
    /// `experiment_version` left out).
    pub fn tag_counts(&self, pass: &Passing, from: i64, to: i64) -> Vec<TagCount> {
        let a = self.links.partition_point(|l| l.ms < from);
        let b = self.links.partition_point(|l| l.ms < to).max(a);
        let mut counts = vec![0i64; self.tags.len()];
        for l in &self.links[a..b] {
            if pass.0[l.session as usize] {
                counts[l.tag as usize] += 1;
            }
        }
        self.tags
            .iter()
            .zip(counts)
            .filter(|(tag, n)| *n > 0 && tag.category != "experiment_version")
            .map(|(tag, count)| TagCount {
                tag_id: tag.id.clone(),
                name: tag.name.clone(),
                category: tag.category.clone(),
                count,
            })
            .collect()
    }
}
