//! Engagement, channel and tag objects of the chat dashboard.

use crate::domains::chat::loaders::{
    ChatObjects, Participant, ParticipantId, Tag, TagId, required,
};
use crate::domains::chat::metrics::{ChannelRow, ChannelTotals, ParticipantActivity, TagCount};
use crate::kernel::kpi::ratio;
use async_graphql::{Object, Result, SimpleObject};
use chrono::{DateTime, FixedOffset};
use std::collections::BTreeMap;
use std::sync::Arc;

/// One participant's human messages in the window.
pub struct ParticipantEngagement {
    pub(super) row: ParticipantActivity,
    pub(super) last_active_at: DateTime<FixedOffset>,
    pub(super) objects: Arc<ChatObjects>,
}

/// One participant's human messages in the window.
#[Object]
impl ParticipantEngagement {
    /// The participant.
    async fn participant(&self) -> Result<Participant> {
        let id = &self.row.participant_id;
        required(&self.objects, ParticipantId(id.clone()), "participant", id).await
    }
    /// Human messages written in the window.
    async fn messages(&self) -> i64 {
        self.row.messages
    }
    /// Distinct sessions among those messages.
    async fn sessions(&self) -> i64 {
        self.row.sessions
    }
    /// The latest of those messages, in the window's timezone.
    async fn last_active_at(&self) -> DateTime<FixedOffset> {
        self.last_active_at
    }
}

/// One platform's share of the window's active sessions.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct ChannelBreakdownRow {
    /// Session platform (`unknown` when the session has none).
    pub platform: String,
    pub sessions: i64,
    /// Human + ai messages.
    pub messages: i64,
    /// Distinct participants who wrote a human message.
    pub participants: i64,
    /// This platform's sessions / all sessions.
    pub share: Option<f64>,
}

/// Totals: `sessions` and `messages` equal the sums of the rows; `participants` counts each
/// person once even when they wrote on two platforms.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct ChannelBreakdownTotals {
    pub sessions: i64,
    pub messages: i64,
    pub participants: i64,
}

/// Sessions, messages and participants per platform, ordered by sessions (desc) then
/// platform.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
pub struct ChannelBreakdown {
    pub rows: Vec<ChannelBreakdownRow>,
    pub totals: ChannelBreakdownTotals,
}

pub fn channel_breakdown(mut rows: Vec<ChannelRow>, totals: ChannelTotals) -> ChannelBreakdown {
    rows.sort_by(|a, b| {
        b.sessions
            .cmp(&a.sessions)
            .then_with(|| a.platform.cmp(&b.platform))
    });
    ChannelBreakdown {
        rows: rows
            .into_iter()
            .map(|r| ChannelBreakdownRow {
                share: ratio(r.sessions as f64, totals.sessions as f64),
                platform: r.platform,
                sessions: r.sessions,
                messages: r.messages,
                participants: r.participants,
            })
            .collect(),
        totals: ChannelBreakdownTotals {
            sessions: totals.sessions,
            messages: totals.messages,
            participants: totals.participants,
        },
    }
}

/// The human name of a tag category.
pub fn category_label(category: &str) -> String {
    match category {
        "" => "User Defined".into(),
        other => other
            .split('_')
            .map(|w| {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            })
            .collect::<Vec<_>>()
            .join(" "),
    }
}

/// How often one tag was put on the window's messages.
pub struct TagUsage {
    pub(super) row: TagCount,
    pub(super) objects: Arc<ChatObjects>,
}

/// How often one tag was put on the window's messages.
#[Object]
impl TagUsage {
    /// The tag.
    async fn tag(&self) -> Result<Tag> {
        let id = &self.row.tag_id;
        required(&self.objects, TagId(id.clone()), "tag", id).await
    }
    /// Messages carrying it.
    async fn count(&self) -> i64 {
        self.row.count
    }
}

/// The tags of one category, most used first (ties by name, then id).
#[derive(SimpleObject)]
pub struct TagCategory {
    /// Raw category; empty for user-defined tags.
    pub category: String,
    /// Human name of the category, e.g. `Bot Response` or `User Defined`.
    pub label: String,
    /// Σ counts of its tags.
    pub total: i64,
    pub tags: Vec<TagUsage>,
}

/// Groups tag counts by category: categories by total (desc) then label.
pub fn tag_categories(rows: Vec<TagCount>, objects: &Arc<ChatObjects>) -> Vec<TagCategory> {
    let mut groups: BTreeMap<String, Vec<TagCount>> = BTreeMap::new();
    for row in rows {
        groups.entry(row.category.clone()).or_default().push(row);
    }
    let mut out: Vec<TagCategory> = groups
        .into_iter()
        .map(|(category, mut tags)| {
            tags.sort_by(|a, b| {
                b.count
                    .cmp(&a.count)
                    .then_with(|| a.name.cmp(&b.name))
                    .then_with(|| a.tag_id.cmp(&b.tag_id))
            });
            TagCategory {
                label: category_label(&category),
                total: tags.iter().map(|t| t.count).sum(),
                category,
                tags: tags
                    .into_iter()
                    .map(|row| TagUsage {
                        row,
                        objects: objects.clone(),
                    })
                    .collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.total.cmp(&a.total).then_with(|| a.label.cmp(&b.label)));
    out
}
