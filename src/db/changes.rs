//! Changes across instances on one PostgreSQL database. Every change an instance writes
//! (ingestion, deletes, erasures) is announced with `NOTIFY` on a channel of its schema; each
//! instance listens on that channel and bumps the cache generation of the teams the others
//! changed, so a batch ingested through one instance shows on every instance's next read.
//! While the listening connection is down, changes may be missed: once it is back, every
//! team's cache starts over.

use crate::config::Settings;
use crate::db::replica::Replica;
use crate::kernel::TeamId;
use crate::kernel::cache::PanelCache;
use sea_orm::sqlx::postgres::PgListener;
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement};
use std::sync::Arc;
use std::time::Duration;

/// This instance's end of the change feed.
pub struct ChangeFeed {
    db: DatabaseConnection,
    channel: String,
    /// Tells this instance's own announcements apart from the others'.
    instance: u64,
}

impl ChangeFeed {
    /// Starts listening for other instances' changes; `None` on SQLite (one process owns the
    /// file) or when `DASHGATE_NOTIFY_CHANGES=false`.
    pub async fn start(
        settings: &Settings,
        db: &DatabaseConnection,
        cache: Arc<PanelCache>,
        replica: Option<Arc<Replica>>,
    ) -> anyhow::Result<Option<Arc<ChangeFeed>>> {
        if !settings.notify_changes || db.get_database_backend() != DbBackend::Postgres {
            return Ok(None);
        }
        let schema = super::current_schema(db)
            .await
            .unwrap_or_else(|| "public".into());
        // One channel per schema: instances of another database schema never wake this one.
        let mut channel = format!("dashgate_changes_{schema}");
        channel.truncate(63);
        let mut listener = PgListener::connect(&settings.database_url).await?;
        listener.listen(&channel).await?;
        let instance = rand::random::<u64>();
        tokio::spawn(listen(listener, cache, replica, instance, channel.clone()));
        Ok(Some(Arc::new(ChangeFeed {
            db: db.clone(),
            channel,
            instance,
        })))
    }

    /// Tells the other instances that `team`'s data changed (up to the primary's WAL position
    /// `wrote`, for their replica routing). Best effort: a failure is logged, and they see the
    /// change within the cache TTL anyway.
    pub async fn announce(&self, team: TeamId, wrote: Option<u64>) {
        let payload = match wrote {
            Some(at) => format!("{}:{}:{at}", team.0, self.instance),
            None => format!("{}:{}", team.0, self.instance),
        };
        let stmt = Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [self.channel.clone().into(), payload.into()],
        );
        if let Err(e) = self.db.execute_raw(stmt).await {
            tracing::warn!(error = %e, team = team.0, "could not announce a change to other instances");
        }
    }
}

/// Bumps the teams other instances announce. After a lost connection, once PostgreSQL answers
/// again (what was announced meanwhile is lost), every team — not before: while the database
/// is away, cached answers are all there is to serve.
async fn listen(
    mut listener: PgListener,
    cache: Arc<PanelCache>,
    replica: Option<Arc<Replica>>,
    instance: u64,
    channel: String,
) {
    loop {
        match listener.try_recv().await {
            Ok(Some(n)) => {
                let mut parts = n.payload().split(':');
                let team = parts.next().and_then(|t| t.parse::<i64>().ok());
                let from = parts.next().and_then(|i| i.parse::<u64>().ok());
                let wrote = parts.next().and_then(|l| l.parse::<u64>().ok());
                match (team, from) {
                    (Some(_), Some(from)) if from == instance => {}
                    (Some(team), _) => {
                        if let (Some(replica), Some(at)) = (&replica, wrote) {
                            replica.wrote(TeamId(team), at);
                        }
                        cache.bump(TeamId(team));
                    }
                    _ => tracing::warn!(payload = n.payload(), "unreadable change notification"),
                }
            }
            Ok(None) | Err(_) => {
                tracing::warn!("change feed connection lost; reconnecting");
                while let Err(e) = listener.listen(&channel).await {
                    tracing::debug!(error = %e, "change feed still down");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                tracing::info!("change feed back; every team's cache starts over");
                cache.bump_all();
            }
        }
    }
}
