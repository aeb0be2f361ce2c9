//! Changes across instances on one PostgreSQL database. Every change an instance writes
//! (ingestion, deletes, erasures) is announced with `NOTIFY` on a channel of its schema; each
//! instance listens on that channel and drops what the others' changes reach from its cache, so
//! a batch ingested through one instance shows on every instance's next read. An announcement
//! carries the dashboards whose data changed and the span of the rows' instants, so the other
//! instances keep the rest of the team's panels, as the writing instance does
//! (`kernel::changes`); one without them (deletes, erasures, an older instance) reaches the
//! whole team.
//! While the listening connection is down, changes may be missed: once it is back, every
//! team's cache starts over.

use crate::config::Settings;
use crate::db::replica::Replica;
use crate::kernel::TeamId;
use crate::kernel::cache::PanelCache;
use crate::kernel::changes::TimeSpan;
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
    /// `wrote`, for their replica routing): the data of these dashboards, each inside its span
    /// (`None`: anywhere in time), or — with no dashboards — everything of the team. Best
    /// effort: a failure is logged, and they see the change within the cache TTL anyway.
    pub async fn announce(
        &self,
        team: TeamId,
        wrote: Option<u64>,
        dashboards: &[(&str, Option<TimeSpan>)],
    ) {
        let payload = payload(team, self.instance, wrote, dashboards);
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
                let reached = parts.next().and_then(dashboards);
                match (team, from) {
                    (Some(_), Some(from)) if from == instance => {}
                    (Some(team), _) => {
                        let team = TeamId(team);
                        if let (Some(replica), Some(at)) = (&replica, wrote) {
                            replica.wrote(team, at);
                        }
                        cache.changed(team, &reached.unwrap_or_default());
                    }
                    _ => tracing::warn!(payload = n.payload(), "unreadable change notification"),
                }
            }
            Ok(None) | Err(_) => {
                tracing::warn!("change feed connection lost; reconnecting");
                cache.set_deaf(true);
                while let Err(e) = listener.listen(&channel).await {
                    tracing::debug!(error = %e, "change feed still down");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
                tracing::info!("change feed back; every team's cache starts over");
                cache.set_deaf(false);
                cache.bump_all();
            }
        }
    }
}

/// `team:instance:[wrote]:[dashboard@from-to|dashboard@*,…]` (an empty last part: the whole
/// team).
fn payload(
    team: TeamId,
    instance: u64,
    wrote: Option<u64>,
    dashboards: &[(&str, Option<TimeSpan>)],
) -> String {
    let wrote = wrote.map(|at| at.to_string()).unwrap_or_default();
    let reached: Vec<String> = dashboards
        .iter()
        .map(|(d, span)| match span {
            Some(s) => format!("{d}@{}~{}", s.from_ms, s.to_ms),
            None => format!("{d}@*"),
        })
        .collect();
    format!("{}:{instance}:{wrote}:{}", team.0, reached.join(","))
}

/// The dashboards an announcement names, with their spans; `None` for the whole team (no
/// dashboards named, an older instance's announcement, or anything unreadable).
fn dashboards(part: &str) -> Option<Vec<(&str, Option<TimeSpan>)>> {
    if part.is_empty() {
        return None;
    }
    part.split(',')
        .map(|entry| {
            let (dashboard, span) = entry.split_once('@')?;
            if dashboard.is_empty() {
                return None;
            }
            if span == "*" {
                return Some((dashboard, None));
            }
            let (from, to) = span.split_once('~')?;
            Some((
                dashboard,
                Some(TimeSpan {
                    from_ms: from.parse().ok()?,
                    to_ms: to.parse().ok()?,
                }),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_carry_dashboards_and_spans_and_old_ones_reach_the_team() {
        let span = TimeSpan {
            from_ms: -5,
            to_ms: 1_700_000_000_000,
        };
        let p = payload(
            TeamId(7),
            42,
            Some(99),
            &[("apiUsage", Some(span)), ("chat", None)],
        );
        assert_eq!(p, "7:42:99:apiUsage@-5~1700000000000,chat@*");
        let last = p.splitn(4, ':').nth(3).unwrap();
        assert_eq!(
            dashboards(last),
            Some(vec![("apiUsage", Some(span)), ("chat", None)])
        );
        assert_eq!(payload(TeamId(7), 42, None, &[]), "7:42::");
        assert_eq!(dashboards(""), None);
        assert_eq!(dashboards("chat@1~x"), None, "unreadable: the whole team");
        assert_eq!(dashboards("@*"), None);
    }
}
