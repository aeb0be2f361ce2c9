//! The experiment, participant and tag objects that panel rows point at, loaded through one
//! per-request DataLoader bound to the caller's team: all rows of a panel cost one query per
//! object kind, never one per row, and another team's ids resolve to nothing.

use super::entity::{ChatExperiments as E, ChatParticipants as P, ChatTags as T};
use crate::kernel::TeamScope;
use crate::kernel::sql::rows_as;
use async_graphql::dataloader::{DataLoader, HashMapCache, Loader};
use async_graphql::{Object, Result, SimpleObject};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query, SelectStatement};
use sea_orm::{DatabaseConnection, FromQueryResult};
use std::collections::HashMap;

/// A chatbot.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(name = "ChatExperiment")]
pub struct Experiment {
    pub id: String,
    pub name: String,
    pub is_archived: bool,
    pub created_at: Option<DateTime<Utc>>,
}

/// A person talking to the bots.
#[derive(Debug, Clone, PartialEq)]
pub struct Participant {
    pub id: String,
    pub identifier: String,
    pub name: Option<String>,
    pub platform: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
}

/// A person talking to the bots.
#[Object(name = "ChatParticipant")]
impl Participant {
    async fn id(&self) -> &str {
        &self.id
    }
    /// Email, phone number or handle.
    async fn identifier(&self) -> &str {
        &self.identifier
    }
    async fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// The name, or the identifier when there is none.
    async fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.identifier)
    }
    async fn platform(&self) -> Option<&str> {
        self.platform.as_deref()
    }
    async fn created_at(&self) -> Option<DateTime<Utc>> {
        self.created_at
    }
}

/// A label on messages or sessions.
#[derive(SimpleObject, Debug, Clone, PartialEq)]
#[graphql(name = "ChatTag")]
pub struct Tag {
    pub id: String,
    pub name: String,
    /// Raw category; empty for user-defined tags.
    pub category: String,
}

/// Keys of the three object kinds (the team is the loader's).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ExperimentId(pub String);
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ParticipantId(pub String);
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TagId(pub String);

/// Loads chat objects of one team.
pub struct ChatLoader {
    db: DatabaseConnection,
    scope: TeamScope,
}

/// The per-request loader of a chat dashboard. It keeps what it loaded for the request, so a
/// participant shown by two panels is read once.
pub type ChatObjects = DataLoader<ChatLoader, HashMapCache>;

/// A new per-request loader for the caller's team.
pub fn chat_objects(db: DatabaseConnection, scope: TeamScope) -> ChatObjects {
    DataLoader::with_cache(ChatLoader { db, scope }, tokio::spawn, HashMapCache::new())
}

/// Loads the object a panel row points at; a row always points at a stored object, so a
/// missing one is an internal error (it was deleted between the panel query and the load).
pub async fn required<K, V>(objects: &ChatObjects, key: K, what: &str, id: &str) -> Result<V>
where
    K: Send + Sync + std::hash::Hash + Eq + Clone + 'static,
    ChatLoader: Loader<K, Value = V, Error = async_graphql::Error>,
{
    objects.load_one(key).await?.ok_or_else(|| {
        let msg = format!("{what} `{id}` vanished");
        crate::kernel::AppError::internal(anyhow::anyhow!(msg)).into()
    })
}

fn instant(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.and_then(DateTime::from_timestamp_millis)
}

impl ChatLoader {
    /// Runs `select` (already narrowed to the ids) for the loader's team, reading each row
    /// into `R` and keying it with `read`.
    async fn rows<R: FromQueryResult, K: Clone + Eq + std::hash::Hash, V>(
        &self,
        mut select: SelectStatement,
        team_col: impl sea_orm::sea_query::IntoColumnRef,
        read: impl Fn(R) -> (K, V),
    ) -> Result<HashMap<K, V>, async_graphql::Error> {
        select.and_where(Expr::col(team_col).eq(self.scope.team_id().0));
        let rows = rows_as::<R>(&self.db, &select)
            .await
            .map_err(crate::kernel::AppError::from)?;
        Ok(rows.into_iter().map(read).collect())
    }
}

impl Loader<ExperimentId> for ChatLoader {
    type Value = Experiment;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ExperimentId],
    ) -> Result<HashMap<ExperimentId, Experiment>, Self::Error> {
        let select = Query::select()
            .columns([E::Id, E::Name, E::IsArchived, E::CreatedAtMs])
            .from(E::Table)
            .and_where(Expr::col(E::Id).is_in(keys.iter().map(|k| k.0.clone())))
            .to_owned();
        #[derive(FromQueryResult)]
        struct Row {
            id: String,
            name: String,
            is_archived: bool,
            created_at_ms: Option<i64>,
        }
        self.rows(select, E::TeamId, |r: Row| {
            let e = Experiment {
                id: r.id.clone(),
                name: r.name,
                is_archived: r.is_archived,
                created_at: instant(r.created_at_ms),
            };
            (ExperimentId(r.id), e)
        })
        .await
    }
}

impl Loader<ParticipantId> for ChatLoader {
    type Value = Participant;
    type Error = async_graphql::Error;

    async fn load(
        &self,
        keys: &[ParticipantId],
    ) -> Result<HashMap<ParticipantId, Participant>, Self::Error> {
        let select = Query::select()
            .columns([P::Id, P::Identifier, P::Name, P::Platform, P::CreatedAtMs])
            .from(P::Table)
            .and_where(Expr::col(P::Id).is_in(keys.iter().map(|k| k.0.clone())))
            .to_owned();
        #[derive(FromQueryResult)]
        struct Row {
            id: String,
            identifier: String,
            name: Option<String>,
            platform: Option<String>,
            created_at_ms: Option<i64>,
        }
        self.rows(select, P::TeamId, |r: Row| {
            let p = Participant {
                id: r.id.clone(),
                identifier: r.identifier,
                name: r.name,
                platform: r.platform,
                created_at: instant(r.created_at_ms),
            };
            (ParticipantId(r.id), p)
        })
        .await
    }
}

impl Loader<TagId> for ChatLoader {
    type Value = Tag;
    type Error = async_graphql::Error;

    async fn load(&self, keys: &[TagId]) -> Result<HashMap<TagId, Tag>, Self::Error> {
        let select = Query::select()
            .columns([T::Id, T::Name, T::Category])
            .from(T::Table)
            .and_where(Expr::col(T::Id).is_in(keys.iter().map(|k| k.0.clone())))
            .to_owned();
        #[derive(FromQueryResult)]
        struct Row {
            id: String,
            name: String,
            category: String,
        }
        self.rows(select, T::TeamId, |r: Row| {
            let t = Tag {
                id: r.id.clone(),
                name: r.name,
                category: r.category,
            };
            (TagId(r.id), t)
        })
        .await
    }
}
