//! The product `learning` section: lessons started and completed, completion rate, lesson
//! minutes, practice; per bucket; top courses and words; the learning funnel.

use super::{Event, Sym, Telemetry, View, names};
use crate::domains::product::filter::ProductFilter;
use crate::kernel::funnel::{FunnelStep, funnel};
use crate::kernel::kpi::{KpiCard, KpiDef, Pair, Unit, ratio};
use crate::kernel::local_days::LocalDays;
use crate::kernel::sql::ms;
use crate::kernel::window::TimeWindow;
use async_graphql::SimpleObject;
use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use foldhash::{HashMap, HashMapExt};

/// The learning KPI cards.
#[derive(SimpleObject, Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LearningKpis {
    /// `lesson_started` events.
    pub lessons_started: KpiCard,
    /// `lesson_completed` events.
    pub lessons_completed: KpiCard,
    /// Completed / started.
    pub completion_rate: KpiCard,
    /// Mean `duration_seconds` / 60 of completed lessons that report one.
    pub avg_lesson_minutes: KpiCard,
    /// `practice_done` events.
    pub practice_count: KpiCard,
}

/// One bucket of the completion-rate series.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CompletionPoint {
    pub start: DateTime<FixedOffset>,
    pub end: DateTime<FixedOffset>,
    pub is_partial: bool,
    pub started: i32,
    pub completed: i32,
    /// Completed / started; null without starts.
    pub completion_rate: Option<f64>,
}

/// One course.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CourseRow {
    pub course_id: String,
    pub starts: i32,
    pub completions: i32,
    /// Null without starts.
    pub completion_rate: Option<f64>,
    /// Mean minutes of completions that report a duration.
    pub avg_minutes: Option<f64>,
}

/// One practised word.
#[derive(SimpleObject, Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct WordRow {
    pub word: String,
    pub practices: i32,
    /// Share of practices with `correct = false`.
    pub error_rate: Option<f64>,
}

/// The computed learning section (lists complete; the GraphQL layer cuts them).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct LearningSection {
    pub kpis: LearningKpis,
    pub series: Vec<CompletionPoint>,
    pub courses: Vec<CourseRow>,
    pub words: Vec<WordRow>,
    pub funnel: Vec<FunnelStep>,
}

fn minutes(e: &Event) -> Option<f64> {
    e.props.duration_seconds.get().map(|s| s / 60.0)
}

fn mean(values: &[f64]) -> Option<f64> {
    ratio(values.iter().sum(), values.len() as f64)
}

/// Figures of `[from, to)`: (started, completed, lesson minutes, practices).
fn figures(v: &View<'_>, from: i64, to: i64) -> (usize, usize, Vec<f64>, usize) {
    let (mut started, mut completed, mut mins, mut practices) = (0, 0, Vec::new(), 0);
    for e in v.between(from, to) {
        match e.event_name {
            names::LESSON_STARTED => started += 1,
            names::LESSON_COMPLETED => {
                completed += 1;
                mins.extend(minutes(e));
            }
            names::PRACTICE_DONE => practices += 1,
            _ => {}
        }
    }
    (started, completed, mins, practices)
}

/// The learning section over `w`, seen through `filter`.
pub fn learning(t: &Telemetry, w: &TimeWindow, filter: &ProductFilter) -> LearningSection {
    let v = View::new(t, filter);
    let (s, e, ps) = (ms(w.start), ms(w.end), ms(w.previous_start));
    let (cur, prev) = (figures(&v, s, e), figures(&v, ps, s));
    let card = |d: KpiDef, a: Option<f64>, b: Option<f64>| d.card(Pair::new(a, b), "");
    let n = |x: usize| Some(x as f64);
    let kpis = LearningKpis {
        lessons_started: card(
            KpiDef::up("lessonsStarted", "Lessons started", Unit::Count),
            n(cur.0),
            n(prev.0),
        ),
        lessons_completed: card(
            KpiDef::up("lessonsCompleted", "Lessons completed", Unit::Count),
            n(cur.1),
            n(prev.1),
        ),
        completion_rate: card(
            KpiDef::up("completionRate", "Completion rate", Unit::Ratio),
            ratio(cur.1 as f64, cur.0 as f64),
            ratio(prev.1 as f64, prev.0 as f64),
        ),
        avg_lesson_minutes: card(
            KpiDef::up("avgLessonMinutes", "Minutes per lesson", Unit::Minutes),
            mean(&cur.2),
            mean(&prev.2),
        ),
        practice_count: card(
            KpiDef::up("practiceCount", "Practices", Unit::Count),
            n(cur.3),
            n(prev.3),
        ),
    };
    let series = w
        .buckets()
        .iter()
        .map(|b| {
            let (started, completed, _, _) = figures(&v, ms(b.start), ms(b.end));
            CompletionPoint {
                start: w.local(b.start),
                end: w.local(b.end),
                is_partial: b.is_partial,
                started: started as i32,
                completed: completed as i32,
                completion_rate: ratio(completed as f64, started as f64),
            }
        })
        .collect();
    // Courses and words.
    let mut courses: HashMap<Sym, (usize, usize, Vec<f64>)> = HashMap::new();
    let mut words: HashMap<Sym, (usize, usize)> = HashMap::new();
    for ev in v.between(s, e) {
        match ev.event_name {
            names::LESSON_STARTED | names::LESSON_COMPLETED => {
                let Some(course) = ev.props.course_id else {
                    continue;
                };
                let c = courses.entry(course).or_default();
                if ev.event_name == names::LESSON_STARTED {
                    c.0 += 1;
                } else {
                    c.1 += 1;
                    c.2.extend(minutes(ev));
                }
            }
            names::PRACTICE_DONE => {
                let Some(word) = ev.props.word else {
                    continue;
                };
                let w = words.entry(word).or_default();
                w.0 += 1;
                w.1 += usize::from(ev.props.correct == Some(false));
            }
            _ => {}
        }
    }
    let mut courses: Vec<CourseRow> = courses
        .into_iter()
        .map(|(id, (starts, completions, mins))| CourseRow {
            course_id: v.symbols.text(id).to_string(),
            starts: starts as i32,
            completions: completions as i32,
            completion_rate: ratio(completions as f64, starts as f64),
            avg_minutes: mean(&mins),
        })
        .collect();
    courses.sort_by(|a, b| {
        b.starts
            .cmp(&a.starts)
            .then(b.completions.cmp(&a.completions))
            .then(a.course_id.cmp(&b.course_id))
    });
    let mut words: Vec<WordRow> = words
        .into_iter()
        .map(|(word, (n, wrong))| WordRow {
            word: v.symbols.text(word).to_string(),
            practices: n as i32,
            error_rate: ratio(wrong as f64, n as f64),
        })
        .collect();
    words.sort_by(|a, b| b.practices.cmp(&a.practices).then(a.word.cmp(&b.word)));
    LearningSection {
        kpis,
        series,
        courses,
        words,
        funnel: learning_funnel(&v, w, s, e),
    }
}

/// Distinct users: any event → `lesson_started` → `lesson_completed` → active on 3
/// consecutive local days within the window; each step a subset of the one before.
fn learning_funnel(v: &View<'_>, w: &TimeWindow, s: i64, e: i64) -> Vec<FunnelStep> {
    let mut users: HashMap<Sym, Activity> = HashMap::new();
    let mut days = LocalDays::new(w.tz);
    for ev in v.between(s, e) {
        let Some(user) = ev.identity else {
            continue;
        };
        let a = users.entry(user).or_default();
        a.active_on(days.date(ev.event_time_ms));
        a.started |= ev.event_name == names::LESSON_STARTED;
        a.completed |= ev.event_name == names::LESSON_COMPLETED;
    }
    let step2 = users.values().filter(|a| a.started);
    let step3 = step2.clone().filter(|a| a.completed);
    funnel(vec![
        ("any_event".into(), users.len(), None),
        ("lesson_started".into(), step2.count(), None),
        ("lesson_completed".into(), step3.clone().count(), None),
        (
            "active_3_consecutive_days".into(),
            step3.filter(|a| a.streak).count(),
            None,
        ),
    ])
}

/// A user's activity in the window, as the learning funnel follows it.
#[derive(Default)]
struct Activity {
    /// The three latest distinct local days seen, ascending (`None` until seen).
    recent: [Option<NaiveDate>; 3],
    /// Three consecutive days were seen.
    streak: bool,
    started: bool,
    completed: bool,
}

impl Activity {
    /// Events come in time order, so days arrive in order — except that a clock set back
    /// over midnight shows the day before again, for at most a day. The three latest days
    /// then still hold a run of three whenever one was seen.
    fn active_on(&mut self, day: NaiveDate) {
        if self.recent.contains(&Some(day)) {
            return;
        }
        if self.recent[0].is_some_and(|oldest| day < oldest) {
            return;
        }
        // `None` sorts first: the new day replaces the oldest (or an empty place).
        self.recent[0] = Some(day);
        self.recent.sort_unstable();
        if let [Some(a), Some(b), Some(c)] = self.recent {
            self.streak |= b == a + Duration::days(1) && c == b + Duration::days(1);
        }
    }
}
