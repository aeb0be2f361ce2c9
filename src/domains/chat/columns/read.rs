//! Reading a team's conversations into their kept form: every session (with the tags it and
//! its messages carry), the counted messages and traces from an instant on, and the message
//! tag links with their message's instant and session.

use super::{Base, Link, Message, Participant, Session, Tag, Trace};
use crate::domains::chat::entity::{
    ChatMessageTags as Mt, ChatMessages as M, ChatParticipants as P, ChatSessionTags as St,
    ChatSessions as S, ChatTags as T, ChatTraces as Tr,
};
use crate::domains::chat::filter::EVALUATIONS;
use crate::domains::chat::metrics::links_with_messages;
use crate::kernel::AppResult;
use crate::kernel::changes::TimeSpan;
use crate::kernel::interner::Interner;
use crate::kernel::sql::rows_as;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::collections::HashMap;

#[derive(FromQueryResult)]
struct SessionRow {
    id: String,
    experiment_id: String,
    participant_id: String,
    platform: Option<String>,
    status: String,
    created_at_ms: i64,
    ended_at_ms: Option<i64>,
}

#[derive(FromQueryResult)]
struct ParticipantRow {
    id: String,
    platform: Option<String>,
    created_at_ms: i64,
}

#[derive(FromQueryResult)]
struct TagRow {
    id: String,
    name: String,
    category: String,
}

#[derive(FromQueryResult)]
struct SessionTagRow {
    session_id: String,
    tag_id: String,
}

#[derive(FromQueryResult)]
struct LinkRow {
    session_id: String,
    tag_id: String,
    created_at_ms: i64,
}

#[derive(FromQueryResult)]
struct MessageRow {
    session_id: String,
    message_type: String,
    created_at_ms: i64,
}

#[derive(FromQueryResult)]
struct TraceRow {
    session_id: String,
    timestamp_ms: i64,
    duration_ms: f64,
}

/// `[from, to]` of `column`, as a condition (`to` `None`: no end).
fn within(column: Expr, from: i64, to: Option<i64>) -> Expr {
    let from = column.clone().gte(from);
    match to {
        Some(to) => from.and(column.lte(to)),
        None => from,
    }
}

/// The counted (`human`/`ai`) messages of `team` inside `[from, to]`.
fn messages(team: i64, from: i64, to: Option<i64>) -> SelectStatement {
    Query::select()
        .columns([M::SessionId, M::MessageType, M::CreatedAtMs])
        .from(M::Table)
        .and_where(Expr::col(M::TeamId).eq(team))
        .and_where(Expr::col(M::MessageType).is_in(["human", "ai"]))
        .and_where(within(Expr::col(M::CreatedAtMs), from, to))
        .to_owned()
}

/// The traces of `team` inside `[from, to]`.
fn traces(team: i64, from: i64, to: Option<i64>) -> SelectStatement {
    Query::select()
        .columns([Tr::SessionId, Tr::TimestampMs])
        .expr_as(
            Expr::col(Tr::DurationMs).cast_as(Alias::new("DOUBLE PRECISION")),
            Tr::DurationMs,
        )
        .from(Tr::Table)
        .and_where(Expr::col(Tr::TeamId).eq(team))
        .and_where(Expr::col(Tr::SessionId).is_not_null())
        .and_where(within(Expr::col(Tr::TimestampMs), from, to))
        .to_owned()
}

/// Messages and traces of `[from, to]` as kept rows (`None` when one names a session not
/// kept: the sessions changed, read the team again).
pub(super) async fn events(
    db: &DatabaseConnection,
    team: i64,
    base: &Base,
    from: i64,
    to: Option<i64>,
) -> AppResult<Option<(Vec<Message>, Vec<Trace>)>> {
    let (m, t) = (messages(team, from, to), traces(team, from, to));
    let (m, t) = tokio::try_join!(rows_as::<MessageRow>(db, &m), rows_as::<TraceRow>(db, &t),)?;
    let mut out_m = Vec::with_capacity(m.len());
    for r in m {
        let Some(session) = base.ids.get(&r.session_id) else {
            return Ok(None);
        };
        let human = r.message_type == "human";
        let participant = base.sessions[session as usize].participant;
        out_m.push(Message::new(r.created_at_ms, session, participant, human));
    }
    let mut out_t = Vec::with_capacity(t.len());
    for r in t {
        let Some(session) = base.ids.get(&r.session_id) else {
            return Ok(None);
        };
        out_t.push(Trace {
            ms: r.timestamp_ms,
            session,
            duration_ms: r.duration_ms,
        });
    }
    out_m.sort_by_key(|m| m.ms);
    out_t.sort_by_key(|t| t.ms);
    Ok(Some((out_m, out_t)))
}

/// The span as the `[from, to]` a re-read covers, clipped to what is kept (`None`: nothing).
pub(super) fn clipped(span: TimeSpan, from_ms: i64) -> Option<(i64, i64)> {
    (span.to_ms >= from_ms).then_some((Ord::max(span.from_ms, from_ms), span.to_ms))
}

/// A team's conversations, with messages and traces from `from_ms` on.
pub(super) async fn whole(db: &DatabaseConnection, team: i64, from_ms: i64) -> AppResult<Base> {
    let participants_q = Query::select()
        .columns([P::Id, P::Platform, P::CreatedAtMs])
        .from(P::Table)
        .and_where(Expr::col(P::TeamId).eq(team))
        .to_owned();
    let sessions_q = Query::select()
        .columns([
            S::Id,
            S::ExperimentId,
            S::ParticipantId,
            S::Platform,
            S::Status,
            S::CreatedAtMs,
            S::EndedAtMs,
        ])
        .from(S::Table)
        .and_where(Expr::col(S::TeamId).eq(team))
        .to_owned();
    let tags_q = Query::select()
        .columns([T::Id, T::Name, T::Category])
        .from(T::Table)
        .and_where(Expr::col(T::TeamId).eq(team))
        .to_owned();
    let session_tags_q = Query::select()
        .columns([St::SessionId, St::TagId])
        .from(St::Table)
        .and_where(Expr::col(St::TeamId).eq(team))
        .to_owned();
    // Every message tag link of the team (any message type, any time: a session's tags
    // include its messages' whenever they were written), with its message.
    let links_q = links_with_messages(team)
        .column((M::Table, M::SessionId))
        .column((Mt::Table, Mt::TagId))
        .column((M::Table, M::CreatedAtMs))
        .to_owned();
    let (participant_rows, session_rows, tag_rows, session_tags, link_rows) = tokio::try_join!(
        rows_as::<ParticipantRow>(db, &participants_q),
        rows_as::<SessionRow>(db, &sessions_q),
        rows_as::<TagRow>(db, &tags_q),
        rows_as::<SessionTagRow>(db, &session_tags_q),
        rows_as::<LinkRow>(db, &links_q),
    )?;
    let mut ids = Interner::default();
    let mut texts = Interners::default();
    let mut participants = Vec::with_capacity(participant_rows.len());
    for r in participant_rows {
        texts.participants.intern(&r.id);
        participants.push(Participant {
            platform: r.platform.map(|p| texts.platforms.intern(&p)),
            created_ms: r.created_at_ms,
        });
    }
    let mut sessions = Vec::with_capacity(session_rows.len());
    for r in session_rows {
        ids.intern(&r.id);
        let countable = r.status != "setup" && r.platform.as_deref() != Some(EVALUATIONS);
        sessions.push(Session {
            participant: texts.participants.intern(&r.participant_id),
            experiment: texts.experiments.intern(&r.experiment_id),
            platform: r.platform.map(|p| texts.platforms.intern(&p)),
            countable,
            length_ms: r.ended_at_ms.map(|e| e - r.created_at_ms),
            tags: Vec::new(),
        });
    }
    let mut tag_index = HashMap::new();
    let tags: Vec<Tag> = tag_rows
        .into_iter()
        .enumerate()
        .map(|(i, r)| {
            tag_index.insert(r.id.clone(), i as u32);
            Tag {
                id: r.id,
                name: r.name,
                category: r.category,
            }
        })
        .collect();
    let tag_of = |session: &str, tag: &str| -> Option<(u32, u32)> {
        Some((ids.get(session)?, *tag_index.get(tag)?))
    };
    for r in session_tags {
        if let Some((s, t)) = tag_of(&r.session_id, &r.tag_id) {
            sessions[s as usize].tags.push(t);
        }
    }
    let mut links = Vec::new();
    for r in link_rows {
        if let Some((s, t)) = tag_of(&r.session_id, &r.tag_id) {
            sessions[s as usize].tags.push(t);
            if r.created_at_ms >= from_ms {
                links.push(Link {
                    ms: r.created_at_ms,
                    session: s,
                    tag: t,
                });
            }
        }
    }
    for s in &mut sessions {
        s.tags.sort_unstable();
        s.tags.dedup();
        s.tags.shrink_to_fit();
    }
    links.sort_by_key(|l| l.ms);
    // (Every session names a stored participant; one read meanwhile gets a placeholder.)
    participants.resize(
        texts.participants.len(),
        Participant {
            platform: None,
            created_ms: i64::MAX,
        },
    );
    Ok(Base {
        sessions,
        ids,
        texts,
        participants,
        tags,
        links,
    })
}

/// The texts sessions refer to.
#[derive(Default, Clone)]
pub(super) struct Interners {
    pub(super) participants: Interner,
    pub(super) experiments: Interner,
    pub(super) platforms: Interner,
}
