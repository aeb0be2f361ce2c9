//! The chat scans over kept conversations: the same answers as the SQL of `metrics` (the
//! property test `chat_rollups` compares them), computed by one pass over the time-sorted
//! messages, traces or links of the range. Distinct counts per bucket use stamps: the pass
//! meets buckets in order, so "counted in this bucket yet" is "stamped with this bucket".

use super::{Conversations, Message};
use crate::domains::chat::filter::{ChatFilter, EVALUATIONS};
use crate::domains::chat::metrics::{ActiveSession, ActivityCounts, TagCount, TraceSums};
use crate::kernel::interner::Interner;
use std::collections::HashSet;

/// Which sessions pass: countable and every filter of spec/chat.md's session column.
pub struct Passing(Vec<bool>);

/// The numbers of `ids` (ids not kept have none).
fn numbers(interner: &Interner, ids: &[String]) -> HashSet<u32> {
    ids.iter().filter_map(|id| interner.get(id)).collect()
}

impl Conversations {
    /// Per session: whether it passes the filters that do not depend on its status or
    /// platform (experiments, participants, tags) — the sessions through which experiments
    /// and participants are filtered.
    fn through(&self, filter: &ChatFilter) -> Vec<bool> {
        let b = &self.base;
        let experiments = numbers(&b.texts.experiments, &filter.experiment_ids);
        let participants = numbers(&b.texts.participants, &filter.participant_ids);
        let tags: HashSet<u32> = (b.tags.iter().enumerate())
            .filter(|(_, tag)| filter.tag_ids.contains(&tag.id))
            .map(|(i, _)| i as u32)
            .collect();
        b.sessions
            .iter()
            .map(|s| {
                (filter.experiment_ids.is_empty() || experiments.contains(&s.experiment))
                    && (filter.participant_ids.is_empty() || participants.contains(&s.participant))
                    && (filter.tag_ids.is_empty() || s.tags.iter().any(|t| tags.contains(t)))
            })
            .collect()
    }

    /// The sessions passing `filter`.
    pub fn passing(&self, filter: &ChatFilter) -> Passing {
        let b = &self.base;
        let platforms = numbers(&b.texts.platforms, &filter.platforms);
        let through = self.through(filter);
        let pass = (b.sessions.iter().zip(through))
            .map(|(s, through)| {
                through
                    && s.countable
                    && (filter.platforms.is_empty()
                        || s.platform.is_some_and(|p| platforms.contains(&p)))
            })
            .collect();
        Passing(pass)
    }

    /// `[now, before start]` of the all-time participants set: participants not on
    /// `evaluations` passing every filter (through any session of theirs for the experiment
    /// and tag filters), and those of them created before `start`.
    pub fn participants(&self, filter: &ChatFilter, start: i64) -> [i64; 2] {
        let b = &self.base;
        let through_sessions = !filter.experiment_ids.is_empty() || !filter.tag_ids.is_empty();
        let mut with_session = vec![!through_sessions; b.participants.len()];
        if through_sessions {
            for (s, through) in b.sessions.iter().zip(self.through(filter)) {
                with_session[s.participant as usize] |= through;
            }
        }
        let wanted = numbers(&b.texts.participants, &filter.participant_ids);
        let platforms = numbers(&b.texts.platforms, &filter.platforms);
        let evaluations = b.texts.platforms.get(EVALUATIONS);
        let mut out = [0, 0];
        for (i, p) in b.participants.iter().enumerate() {
            let counted = p.created_ms != i64::MAX
                && (p.platform.is_none() || p.platform != evaluations)
                && (filter.participant_ids.is_empty() || wanted.contains(&(i as u32)))
                && (filter.platforms.is_empty()
                    || p.platform.is_some_and(|pl| platforms.contains(&pl)))
                && with_session[i];
            if counted {
                out[0] += 1;
                out[1] += i64::from(p.created_ms < start);
            }
        }
        out
    }

    /// The kept messages of `[from, to)`.
    fn messages_in(&self, from: i64, to: i64) -> &[Message] {
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
        let b = &self.base;
        let filtered: Vec<bool> = (b.texts.experiments.texts())
            .map(|e| experiments.is_some_and(|set| set.contains(e)))
            .collect();
        let mut session_seen = vec![0u32; b.sessions.len()];
        let mut writer_seen = vec![0u32; b.participants.len()];
        let mut experiment_seen = vec![0u32; filtered.len()];
        let mut i = 0;
        for m in self.messages_in(bounds[0], bounds[n]) {
            while m.ms >= bounds[i + 1] {
                i += 1;
            }
            let s = m.session as usize;
            if !pass.0[s] {
                continue;
            }
            let (stamp, c) = (i as u32 + 1, &mut out[i]);
            if m.human() {
                c.human += 1;
                let p = m.participant();
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
                    let session = &b.sessions[s];
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
        struct Counts {
            session: u32,
            human: i64,
            ai: i64,
            last_human_ms: Option<i64>,
        }
        // Each active session's place in `counts`, plus one (0: none yet).
        let b = &self.base;
        let mut place = vec![0u32; b.sessions.len()];
        let mut counts: Vec<Counts> = Vec::new();
        for m in self.messages_in(from, to) {
            let s = m.session as usize;
            if !pass.0[s] {
                continue;
            }
            if place[s] == 0 {
                counts.push(Counts {
                    session: m.session,
                    human: 0,
                    ai: 0,
                    last_human_ms: None,
                });
                place[s] = counts.len() as u32;
            }
            let c = &mut counts[place[s] as usize - 1];
            if m.human() {
                c.human += 1;
                // Messages come by time: the latest is the last seen.
                c.last_human_ms = Some(m.ms);
            } else {
                c.ai += 1;
            }
        }
        let t = &b.texts;
        counts
            .into_iter()
            .map(|c| {
                let session = &b.sessions[c.session as usize];
                let platform = match session.platform {
                    Some(p) => t.platforms.text(p).to_string(),
                    None => "unknown".to_string(),
                };
                ActiveSession {
                    participant_id: t.participants.text(session.participant).to_string(),
                    experiment_id: t.experiments.text(session.experiment).to_string(),
                    platform,
                    human: c.human,
                    ai: c.ai,
                    last_human_ms: c.last_human_ms,
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
        let mut active = vec![false; self.base.sessions.len()];
        for m in self.messages_in(bounds[0], bounds[n]) {
            active[m.session as usize] = true;
        }
        let a = self.traces.partition_point(|t| t.ms < bounds[0]);
        let mut i = 0;
        for t in &self.traces[a..] {
            if t.ms >= bounds[n] {
                break;
            }
            while t.ms >= bounds[i + 1] {
                i += 1;
            }
            let s = t.session as usize;
            if pass.0[s] && active[s] {
                out[i].count += 1;
                out[i].total_ms += t.duration_ms;
            }
        }
        out
    }

    /// Message tag links on messages of `[from, to)` of passing sessions, per tag (category
    /// `experiment_version` left out).
    pub fn tag_counts(&self, pass: &Passing, from: i64, to: i64) -> Vec<TagCount> {
        let b = &self.base;
        let first = b.links.partition_point(|l| l.ms < from);
        let last = b.links.partition_point(|l| l.ms < to).max(first);
        let mut counts = vec![0i64; b.tags.len()];
        for l in &b.links[first..last] {
            if pass.0[l.session as usize] {
                counts[l.tag as usize] += 1;
            }
        }
        (b.tags.iter().zip(counts))
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
