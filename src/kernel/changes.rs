//! What changed in a team's data, so the panel cache drops only what a change can touch.
//!
//! Three levels, each a number in every cache key: the team's generation (erasure, other
//! instances' announcements, a lost change feed: everything), the generation of one dashboard's
//! data (a batch or delete into the datasets it reads), and — for dashboards whose panels read
//! nothing outside their time range — the latest change of that dashboard's data whose rows lie
//! inside the range a panel reads. A batch of old request logs then leaves a panel over a later
//! window cached; a batch inside the window always reaches it.

use super::tenancy::TeamId;
use std::collections::{HashMap, VecDeque};
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tokio::sync::{broadcast, watch};

/// Instants in milliseconds since the epoch, `from` ≤ `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TimeSpan {
    pub from_ms: i64,
    pub to_ms: i64,
}

impl TimeSpan {
    /// The span of one instant.
    pub fn at(ms: i64) -> Self {
        TimeSpan {
            from_ms: ms,
            to_ms: ms,
        }
    }

    /// The smallest span holding both.
    pub fn hull(self, other: TimeSpan) -> TimeSpan {
        TimeSpan {
            from_ms: self.from_ms.min(other.from_ms),
            to_ms: self.to_ms.max(other.to_ms),
        }
    }
}

/// The half-open range `[start_ms, end_ms)` of instants a panel reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reads {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Whether a change whose rows lie in `span` (`None`: anywhere) may touch a panel reading
/// `reads` (`None`: anything).
fn touches(span: Option<TimeSpan>, reads: Option<Reads>) -> bool {
    match (span, reads) {
        (Some(s), Some(r)) => s.from_ms < r.end_ms && s.to_ms >= r.start_ms,
        _ => true,
    }
}

/// Changes of one dashboard's data kept one by one; older ones are merged (their spans joined),
/// which can only make a panel recompute sooner, never later.
const KEPT: usize = 32;

#[derive(Default)]
struct Log {
    /// Numbers the changes: 1, 2, …
    latest: u64,
    /// `(number, span)` in ascending numbers.
    recent: VecDeque<(u64, Option<TimeSpan>)>,
}

impl Log {
    fn push(&mut self, span: Option<TimeSpan>) {
        self.latest += 1;
        self.recent.push_back((self.latest, span));
        if self.recent.len() > KEPT
            && let (Some((_, a)), Some((n, b))) = (self.recent.pop_front(), self.recent.pop_front())
        {
            let joined = a.zip(b).map(|(a, b)| a.hull(b));
            self.recent.push_front((n, joined));
        }
    }

    /// The number of the latest change that may touch `reads` (0: none).
    fn touching(&self, reads: Option<Reads>) -> u64 {
        self.recent
            .iter()
            .rev()
            .find(|(_, span)| touches(*span, reads))
            .map_or(0, |(n, _)| *n)
    }
}

/// Where one dashboard's data of a team stood when it was read: the team's generation and
/// the number of the dashboard's latest change. Taken *before* reading, so a change that
/// lands during the read is still seen as newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark {
    team: u64,
    latest: u64,
}

/// What changed since a `Mark`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Since {
    /// Nothing.
    Nothing,
    /// Only rows inside these spans (sorted, none overlapping; changes of old rows merged
    /// into hulls: a superset).
    Spans(Vec<TimeSpan>),
    /// Anything (the team as a whole, or a change without a span).
    Everything,
}

/// The dashboard of a panel named `<dashboard>.<name>`.
pub fn dashboard_of(panel: &str) -> &str {
    panel.split('.').next().unwrap_or(panel)
}

/// The spans sorted, overlapping ones joined.
fn disjoint(mut spans: Vec<TimeSpan>) -> Vec<TimeSpan> {
    spans.sort_by_key(|s| s.from_ms);
    let mut out: Vec<TimeSpan> = Vec::with_capacity(spans.len());
    for s in spans {
        match out.last_mut() {
            Some(last) if s.from_ms <= last.to_ms => *last = last.hull(s),
            _ => out.push(s),
        }
    }
    out
}

/// One change, as told to whoever listens (live subscriptions): after the counters moved, so
/// a listener that reads again sees it.
#[derive(Debug, Clone)]
pub struct Changed {
    /// The team whose data changed; `None`: every team may have changed.
    pub team: Option<TeamId>,
    /// The dashboard whose data changed; `None`: anything of the team.
    pub dashboard: Option<String>,
    /// When this instance learnt of it (its commit, or the announcement's arrival).
    pub at: Instant,
}

impl Changed {
    /// Whether this change may touch `dashboard`'s data of `team`.
    pub fn reaches(&self, team: TeamId, dashboard: &str) -> bool {
        self.team.is_none_or(|t| t == team)
            && self.dashboard.as_deref().is_none_or(|d| d == dashboard)
    }
}

/// Changes told at once that a listener may fall behind by before it is told "everything".
const TOLD: usize = 4_096;

/// Every team's change counters.
pub struct Changes {
    teams: RwLock<HashMap<TeamId, u64>>,
    /// Per team and dashboard (the prefix of its panels' names, e.g. `apiUsage`).
    dashboards: RwLock<HashMap<(TeamId, String), Log>>,
    /// Added to every team's generation: bumped when changes may have been missed.
    epoch: AtomicU64,
    /// Every change, for listeners (`listen`).
    told: broadcast::Sender<Changed>,
    /// Other instances' changes cannot be heard now (the change feed is down).
    deaf: watch::Sender<bool>,
}

impl Default for Changes {
    fn default() -> Self {
        Changes {
            teams: RwLock::default(),
            dashboards: RwLock::default(),
            epoch: AtomicU64::default(),
            told: broadcast::channel(TOLD).0,
            deaf: watch::channel(false).0,
        }
    }
}

impl Changes {
    /// Every change from now on. A listener that falls more than a few thousand changes
    /// behind gets `RecvError::Lagged`, which it must take as "anything may have changed".
    pub fn listen(&self) -> broadcast::Receiver<Changed> {
        self.told.subscribe()
    }

    fn tell(&self, team: Option<TeamId>, dashboard: Option<&str>) {
        let _ = self.told.send(Changed {
            team,
            dashboard: dashboard.map(str::to_string),
            at: Instant::now(),
        });
    }

    /// Whether other instances' changes may be going unheard (the change feed is down), as
    /// it changes.
    pub fn deafness(&self) -> watch::Receiver<bool> {
        self.deaf.subscribe()
    }

    /// The change feed went down (`true`) or came back (`false`).
    pub fn set_deaf(&self, deaf: bool) {
        self.deaf.send_replace(deaf);
    }

    /// The generation of a team's data as a whole.
    pub fn team(&self, team: TeamId) -> u64 {
        let own = self
            .teams
            .read()
            .map(|g| g.get(&team).copied().unwrap_or(0))
            .unwrap_or(0);
        own + self.epoch.load(Ordering::Acquire)
    }

    /// Everything of `team` changed.
    pub fn team_changed(&self, team: TeamId) {
        if let Ok(mut g) = self.teams.write() {
            *g.entry(team).or_insert(0) += 1;
        }
        self.tell(Some(team), None);
    }

    /// Everything of every team may have changed.
    pub fn all_changed(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
        self.tell(None, None);
    }

    /// Rows of the data `dashboard` reads changed, all inside `span` (`None`: anywhere).
    pub fn dashboard_changed(&self, team: TeamId, dashboard: &str, span: Option<TimeSpan>) {
        if let Ok(mut d) = self.dashboards.write() {
            d.entry((team, dashboard.to_string()))
                .or_default()
                .push(span);
        }
        self.tell(Some(team), Some(dashboard));
    }

    /// The generation of what `panel` (named `<dashboard>.<name>`) reads: the latest change
    /// of its dashboard's data that may touch `reads`.
    pub fn panel(&self, team: TeamId, panel: &str, reads: Option<Reads>) -> u64 {
        let dashboard = dashboard_of(panel);
        self.dashboards
            .read()
            .ok()
            .and_then(|d| {
                d.get(&(team, dashboard.to_string()))
                    .map(|log| log.touching(reads))
            })
            .unwrap_or(0)
    }

    /// Where `dashboard`'s data of `team` stands now.
    pub fn mark(&self, team: TeamId, dashboard: &str) -> Mark {
        let latest = self
            .dashboards
            .read()
            .ok()
            .and_then(|d| d.get(&(team, dashboard.to_string())).map(|l| l.latest))
            .unwrap_or(0);
        Mark {
            team: self.team(team),
            latest,
        }
    }

    /// What changed of `dashboard`'s data of `team` since `mark`. Every change numbered after
    /// the mark is in a kept entry numbered after it (merging keeps the later number).
    pub fn since(&self, team: TeamId, dashboard: &str, mark: Mark) -> Since {
        if self.team(team) != mark.team {
            return Since::Everything;
        }
        let Ok(d) = self.dashboards.read() else {
            return Since::Everything;
        };
        let Some(log) = d.get(&(team, dashboard.to_string())) else {
            return Since::Nothing;
        };
        let spans: Option<Vec<TimeSpan>> = log
            .recent
            .iter()
            .filter(|(n, _)| *n > mark.latest)
            .map(|(_, span)| *span)
            .collect();
        match spans {
            None => Since::Everything,
            Some(s) if s.is_empty() => Since::Nothing,
            Some(s) => Since::Spans(disjoint(s)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: TeamId = TeamId(1);
    const WEEK: Reads = Reads {
        start_ms: 1_000,
        end_ms: 2_000,
    };

    fn span(from_ms: i64, to_ms: i64) -> Option<TimeSpan> {
        Some(TimeSpan { from_ms, to_ms })
    }

    #[test]
    fn only_changes_that_reach_a_panels_range_move_its_generation() {
        let c = Changes::default();
        let g0 = c.panel(T, "apiUsage.kpis", Some(WEEK));
        c.dashboard_changed(T, "apiUsage", span(10, 999));
        assert_eq!(c.panel(T, "apiUsage.kpis", Some(WEEK)), g0, "older rows");
        c.dashboard_changed(T, "apiUsage", span(2_000, 2_500));
        assert_eq!(
            c.panel(T, "apiUsage.kpis", Some(WEEK)),
            g0,
            "the end is exclusive"
        );
        c.dashboard_changed(T, "apiUsage", span(500, 1_000));
        let g1 = c.panel(T, "apiUsage.kpis", Some(WEEK));
        assert_ne!(g1, g0, "the start is inclusive");
        c.dashboard_changed(T, "chat", None);
        assert_eq!(
            c.panel(T, "apiUsage.kpis", Some(WEEK)),
            g1,
            "another dashboard"
        );
        assert_ne!(c.panel(T, "chat.kpis", Some(WEEK)), 0);
        c.dashboard_changed(T, "apiUsage", None);
        assert_ne!(
            c.panel(T, "apiUsage.kpis", Some(WEEK)),
            g1,
            "a change anywhere"
        );
        let any = c.panel(T, "apiUsage.kpis", None);
        c.dashboard_changed(T, "apiUsage", span(0, 1));
        assert_ne!(
            c.panel(T, "apiUsage.kpis", None),
            any,
            "a panel reading anything"
        );
    }

    #[test]
    fn merged_old_changes_never_hide_a_change_from_a_panel() {
        // Random spans, many more than are kept one by one: a panel's generation moves
        // whenever a change reaches its range (and may move when none does).
        let c = Changes::default();
        let mut seed = 7u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            (seed >> 33) as i64 % 5_000
        };
        let mut before = c.panel(T, "apiUsage.x", Some(WEEK));
        for _ in 0..500 {
            let (a, b) = (next(), next());
            let s = TimeSpan {
                from_ms: a.min(b),
                to_ms: a.max(b),
            };
            c.dashboard_changed(T, "apiUsage", Some(s));
            let after = c.panel(T, "apiUsage.x", Some(WEEK));
            if touches(Some(s), Some(WEEK)) {
                assert!(after > before, "{s:?}");
            }
            assert!(after >= before);
            before = after;
        }
    }

    #[test]
    fn since_a_mark_names_every_later_change() {
        let c = Changes::default();
        let m0 = c.mark(T, "product");
        assert_eq!(c.since(T, "product", m0), Since::Nothing);
        c.dashboard_changed(T, "product", span(10, 20));
        c.dashboard_changed(T, "chat", None);
        let m1 = c.mark(T, "product");
        c.dashboard_changed(T, "product", span(30, 40));
        assert_eq!(
            c.since(T, "product", m0),
            Since::Spans(vec![span(10, 20).unwrap(), span(30, 40).unwrap()])
        );
        assert_eq!(
            c.since(T, "product", m1),
            Since::Spans(vec![span(30, 40).unwrap()])
        );
        c.dashboard_changed(T, "product", None);
        assert_eq!(c.since(T, "product", m1), Since::Everything);
        let m2 = c.mark(T, "product");
        assert_eq!(c.since(T, "product", m2), Since::Nothing);
        c.team_changed(T);
        assert_eq!(c.since(T, "product", m2), Since::Everything);
        // Many more changes than are kept one by one: merged ones still cover the mark.
        let other = TeamId(3);
        c.dashboard_changed(other, "product", span(0, 1));
        let m3 = c.mark(other, "product");
        for i in 1..100 {
            c.dashboard_changed(other, "product", span(i * 100, i * 100 + 1));
        }
        let Since::Spans(spans) = c.since(other, "product", m3) else {
            panic!("spans expected");
        };
        for i in 1..100 {
            assert!(
                spans
                    .iter()
                    .any(|s| s.from_ms <= i * 100 && s.to_ms > i * 100)
            );
        }
    }

    #[test]
    fn spans_are_sorted_and_joined() {
        let s = |a, b| span(a, b).unwrap();
        let got = disjoint(vec![s(50, 60), s(1, 5), s(4, 10), s(10, 12)]);
        assert_eq!(got, vec![s(1, 12), s(50, 60)]);
        assert_eq!(disjoint(Vec::new()), Vec::new());
    }

    #[test]
    fn team_wide_changes_and_the_epoch() {
        let c = Changes::default();
        assert_eq!(c.team(T), 0);
        c.team_changed(T);
        assert_eq!(c.team(T), 1);
        c.all_changed();
        assert_eq!(c.team(T), 2);
        assert_eq!(c.team(TeamId(2)), 1);
    }
}
