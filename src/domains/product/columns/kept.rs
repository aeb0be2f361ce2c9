//! One team's kept product telemetry (see `columns`): its events in two runs — `older`, read
//! whole, and `newer`, every event after `boundary_ms` — so a batch of new events, which lands
//! after the boundary, copies only the short newer run; anything earlier, or a newer run grown
//! long, joins both into one older run.

use crate::domains::product::metrics::{Event, Membership, Run, Symbols, Telemetry};
use crate::kernel::changes::{Mark, TimeSpan};
use crate::kernel::columns::Stamp;
use std::sync::Arc;

/// The newer run is joined into the older one beyond this many events (or an eighth of the
/// older run, if more).
const NEWER_MAX: usize = 65_536;

pub(super) struct Kept {
    /// When and from where it was read: events from `from_ms` on are all kept; before it,
    /// registrations and users' earliest events.
    pub stamp: Stamp,
    /// By time, then id; every newer event at or after `boundary_ms`, every older one before.
    older: Arc<Vec<Event>>,
    newer: Arc<Vec<Event>>,
    boundary_ms: i64,
    pub memberships: Arc<Vec<Membership>>,
    pub symbols: Arc<Symbols>,
}

impl Kept {
    /// Events read whole (by time, then id).
    pub fn new(
        stamp: Stamp,
        events: Vec<Event>,
        memberships: Vec<Membership>,
        symbols: Symbols,
    ) -> Kept {
        Kept {
            stamp,
            boundary_ms: after_last(&events),
            older: Arc::new(events),
            newer: Arc::default(),
            memberships: Arc::new(memberships),
            symbols: Arc::new(symbols),
        }
    }

    /// Bytes held, roughly.
    pub fn weight(&self) -> u32 {
        let bytes = (self.older.capacity() + self.newer.capacity()) * size_of::<Event>()
            + self.memberships.len() * (size_of::<Membership>() + 24)
            + self.symbols.bytes();
        u32::try_from(bytes).unwrap_or(u32::MAX)
    }

    /// What a window reading `[from, to)` and what it needs before `from` gets: the kept
    /// events before `to`, shared, not copied. Those before `from` are the registrations and
    /// users' earliest events a direct read returns, and possibly more events, which change
    /// nothing: sections read only their windows, registrations and users' first events (as
    /// for inline rows, which have no cut at all).
    pub fn cut(&self, to: i64) -> Telemetry {
        let end = |run: &Arc<Vec<Event>>| {
            Run::new(run.clone(), run.partition_point(|e| e.event_time_ms < to))
        };
        Telemetry::of_runs(
            end(&self.older),
            end(&self.newer),
            self.memberships.clone(),
            self.symbols.clone(),
        )
    }

    /// This telemetry with the events inside `spans` (disjoint, ascending) replaced by
    /// `fresh` (the events read inside each span, by time), under `symbols` and `mark`.
    pub fn spliced(
        &self,
        spans: &[TimeSpan],
        fresh: Vec<Vec<Event>>,
        symbols: Symbols,
        mark: Mark,
    ) -> Kept {
        let short = self.newer.len() < NEWER_MAX.max(self.older.len() / 8);
        let (older, newer, boundary_ms) =
            if short && spans.iter().all(|s| s.from_ms >= self.boundary_ms) {
                let newer = replaced(&self.newer, spans, fresh);
                (self.older.clone(), Arc::new(newer), self.boundary_ms)
            } else {
                let mut all = Vec::with_capacity(self.older.len() + self.newer.len());
                all.extend_from_slice(&self.older);
                all.extend_from_slice(&self.newer);
                let all = replaced(&all, spans, fresh);
                let boundary_ms = after_last(&all);
                (Arc::new(all), Arc::default(), boundary_ms)
            };
        Kept {
            stamp: self.stamp.at(mark),
            older,
            newer,
            boundary_ms,
            memberships: self.memberships.clone(),
            symbols: Arc::new(symbols),
        }
    }
}

/// Just after the last event (every instant, when there is none).
fn after_last(events: &[Event]) -> i64 {
    events.last().map_or(i64::MIN, |e| e.event_time_ms + 1)
}

/// `run` with its events inside each span replaced by that span's fresh events.
fn replaced(run: &[Event], spans: &[TimeSpan], fresh: Vec<Vec<Event>>) -> Vec<Event> {
    let mut out = Vec::with_capacity(run.len() + fresh.iter().map(Vec::len).sum::<usize>());
    let mut rest = run;
    for (span, fresh) in spans.iter().zip(fresh) {
        let lo = rest.partition_point(|e| e.event_time_ms < span.from_ms);
        let hi = rest
            .partition_point(|e| e.event_time_ms <= span.to_ms)
            .max(lo);
        out.extend_from_slice(&rest[..lo]);
        out.extend(fresh);
        rest = &rest[hi..];
    }
    out.extend_from_slice(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domains::product::metrics::names;
    use crate::kernel::TeamId;
    use crate::kernel::changes::Changes;

    fn event(at: i64) -> Event {
        Event {
            identity: None,
            event_name: names::APP_OPEN,
            event_time_ms: at,
            props: Default::default(),
        }
    }

    /// Splices of random spans — mostly after the last event, as live batches are — equal
    /// replacing the events by hand, and the runs keep their order.
    #[test]
    fn splices_equal_replacing_by_hand() {
        let mark = Changes::default().mark(TeamId(1), "product");
        let mut seed = 5u64;
        let mut next = |n: u64| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            ((seed >> 33) % n) as i64
        };
        let start: Vec<Event> = (0..2_000).map(|i| event(i * 10)).collect();
        let mut want = start.clone();
        let at = Stamp {
            mark,
            read_at: std::time::Instant::now(),
            from_ms: 0,
        };
        let mut kept = Kept::new(at, start, Vec::new(), Symbols::default());
        let mut newer_only = 0;
        for round in 0..300 {
            let last = want.last().map_or(0, |e| e.event_time_ms);
            let from = if next(4) == 0 {
                next(last as u64 + 1)
            } else {
                last + 1 + next(5)
            };
            let span = TimeSpan {
                from_ms: from,
                to_ms: from + next(40),
            };
            let fresh: Vec<Event> = (0..next(6))
                .map(|_| event(span.from_ms + next((span.to_ms - span.from_ms + 1) as u64)))
                .collect::<Vec<_>>();
            let mut fresh = fresh;
            fresh.sort_by_key(|e| e.event_time_ms);
            want.retain(|e| !(span.from_ms..=span.to_ms).contains(&e.event_time_ms));
            want.extend(fresh.iter().copied());
            want.sort_by_key(|e| e.event_time_ms);
            let before = kept.older.clone();
            kept = kept.spliced(&[span], vec![fresh], Symbols::default(), mark);
            newer_only += usize::from(Arc::ptr_eq(&before, &kept.older));
            let got: Vec<Event> = kept.cut(i64::MAX).events().copied().collect();
            assert_eq!(got, want, "round {round}");
            assert!(
                kept.older
                    .iter()
                    .all(|e| e.event_time_ms < kept.boundary_ms)
            );
            assert!(
                kept.newer
                    .iter()
                    .all(|e| e.event_time_ms >= kept.boundary_ms)
            );
        }
        assert!(
            newer_only > 100,
            "appends copy only the newer run ({newer_only})"
        );
    }
}
