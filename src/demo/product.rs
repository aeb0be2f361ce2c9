//! A subscription learning app for the product dashboard: learners registering through five
//! channels (some browsing anonymously first, some visitors never registering), lessons,
//! practice and study time that fade with a retention curve, a paywall leading to memberships
//! on four plans (renewals, late renewals, cancellations, refunds), and AI generation calls
//! per stage and model with failures — a `translate` stage only appears in the last 20 days.

use chrono::{DateTime, Duration, Utc};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};

const CHANNELS: [(&str, f64); 5] = [
    ("organic", 0.45),
    ("ads", 0.25),
    ("referral", 0.15),
    ("social", 0.10),
    ("partner", 0.05),
];
const REGIONS: [&str; 4] = ["eu", "na", "latam", "apac"];
const PLATFORMS: [&str; 3] = ["ios", "android", "web"];
const COURSES: [&str; 8] = [
    "spanish-a1",
    "spanish-a2",
    "french-a1",
    "german-a1",
    "italian-a1",
    "japanese-kana",
    "english-b2",
    "portuguese-a1",
];
const WORDS: [&str; 24] = [
    "hola", "gracias", "perro", "gato", "casa", "agua", "bonjour", "merci", "pomme", "chat",
    "danke", "hund", "haus", "ciao", "grazie", "acqua", "arigato", "neko", "inu", "mizu",
    "obrigado", "cachorro", "through", "thorough",
];
/// Plan, price, months (0 = lifetime), weight.
const PLANS: [(&str, f64, u32, f64); 4] = [
    ("monthly", 9.99, 1, 0.55),
    ("quarterly", 24.99, 3, 0.20),
    ("yearly", 79.99, 12, 0.20),
    ("lifetime", 199.0, 0, 0.05),
];
/// Stage, event, model, mean latency (ms), failure rate.
const STAGES: [(&str, &str, &str, f64, f64); 5] = [
    ("outline", "model_invoke", "gpt-4o-mini", 900.0, 0.03),
    ("script", "model_invoke", "claude-haiku", 1_800.0, 0.05),
    (
        "illustration",
        "image_generation",
        "flux-schnell",
        4_200.0,
        0.09,
    ),
    ("voice", "tts_generation", "eleven-turbo", 1_300.0, 0.04),
    ("translate", "model_invoke", "gpt-4o-mini", 1_100.0, 0.12),
];

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An item of `items`, drawn with the probability its `weight` gives it.
fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T], weight: impl Fn(&T) -> f64) -> &'a T {
    let mut x = rng.random::<f64>() * items.iter().map(&weight).sum::<f64>();
    for item in items {
        if x < weight(item) {
            return item;
        }
        x -= weight(item);
    }
    &items[items.len() - 1]
}

/// Zipf-like index in `0..n`: the first items are the most popular.
fn popular(rng: &mut ChaCha8Rng, n: usize) -> usize {
    let x: f64 = rng.random::<f64>().powf(2.2);
    ((x * n as f64) as usize).min(n - 1)
}

struct Gen {
    rng: ChaCha8Rng,
    now: DateTime<Utc>,
    events: Vec<Value>,
    memberships: Vec<Value>,
}

impl Gen {
    fn event(&mut self, user: Option<&str>, name: &str, at: DateTime<Utc>, props: Value) {
        let id = format!("pe-{:07}", self.events.len());
        self.events
            .push(json!({"id": id, "user_id": user, "event_name": name,
            "event_time": ts(at), "properties": props}));
    }

    /// One learner registering at `at`: activity until now, and maybe memberships.
    fn learner(&mut self, n: usize, at: DateTime<Utc>) {
        let user = format!("learner-{n:05}");
        let channel = pick(&mut self.rng, &CHANNELS, |c| c.1).0;
        let region = REGIONS[self.rng.random_range(0..REGIONS.len())];
        let platform = PLATFORMS[popular(&mut self.rng, PLATFORMS.len())];
        let device = format!("dev-{n:05}");
        let dims = json!({"channel": channel, "region": region, "platform": platform});
        let mut on_device = dims.clone();
        on_device["device_id"] = json!(device);
        if self.rng.random_bool(0.2) {
            // Browsed anonymously before registering: a device-only user.
            let before = at - Duration::minutes(self.rng.random_range(5..2_000));
            self.event(None, "app_open", before, on_device.clone());
        }
        self.event(Some(&user), "user_registered", at, on_device);
        let keen: f64 = self.rng.random_range(0.15..0.9);
        let days = (self.now - at).num_days();
        let mut paid = false;
        for day in 0..=days {
            // Retention: most learners fade within two weeks, keen ones stay.
            let p = if day == 0 {
                0.95
            } else {
                keen * (0.25 + 0.75 * (-(day as f64) / 9.0).exp())
            };
            if !self.rng.random_bool(p.clamp(0.0, 1.0)) {
                continue;
            }
            let start = at + Duration::days(day) + Duration::minutes(self.rng.random_range(0..600));
            if start >= self.now {
                break;
            }
            self.session(&user, &dims, start, keen);
            if !paid && day <= 30 && self.rng.random_bool(0.25) {
                paid = self.paywall(&user, &dims, start + Duration::minutes(20));
            }
        }
    }

    fn session(&mut self, user: &str, dims: &Value, start: DateTime<Utc>, keen: f64) {
        self.event(Some(user), "app_open", start, dims.clone());
        let mut t = start + Duration::minutes(1);
        if self.rng.random_bool(0.7) {
            let course = COURSES[popular(&mut self.rng, COURSES.len())];
            self.event(
                Some(user),
                "lesson_started",
                t,
                json!({"course_id": course}),
            );
            if self.rng.random_bool(0.4 + 0.5 * keen) {
                let secs = self.rng.random_range(180..1_500);
                t += Duration::seconds(secs);
                let props = json!({"course_id": course, "duration_seconds": secs});
                self.event(Some(user), "lesson_completed", t, props);
            }
        }
        for _ in 0..self.rng.random_range(0..4) {
            let word = WORDS[popular(&mut self.rng, WORDS.len())];
            // Look-alike words are harder.
            let wrong = if word.starts_with("thro") { 0.45 } else { 0.15 };
            let correct = !self.rng.random_bool(wrong);
            t += Duration::seconds(self.rng.random_range(10..90));
            let props = json!({"word": word, "correct": correct});
            self.event(Some(user), "practice_done", t, props);
        }
        if self.rng.random_bool(0.3) {
            let secs = self.rng.random_range(120..1_800);
            let props = json!({"duration_seconds": secs});
            self.event(Some(user), "study_session", t, props);
        }
    }

    /// The paywall; on payment, a membership and its renewals. Returns whether they paid.
    fn paywall(&mut self, user: &str, dims: &Value, at: DateTime<Utc>) -> bool {
        self.event(Some(user), "paywall_view", at, dims.clone());
        if !self.rng.random_bool(0.4) {
            return false;
        }
        let click = at + Duration::seconds(40);
        self.event(Some(user), "paywall_cta_click", click, json!({}));
        if !self.rng.random_bool(0.55) {
            return false;
        }
        let &(plan, price, months, _) = pick(&mut self.rng, &PLANS, |p| p.3);
        let paid = click + Duration::seconds(90);
        self.event(Some(user), "pay_success", paid, json!({"plan_type": plan}));
        let mut start = paid;
        for k in 0..12 {
            let expire = (months > 0).then(|| start + Duration::days(30 * i64::from(months)));
            let status = match expire {
                _ if self.rng.random_bool(0.02) => "refunded",
                Some(e) if e <= self.now => "expired",
                _ if self.rng.random_bool(0.08) => "cancelled",
                _ => "active",
            };
            let id = format!("ms-{user}-{k}");
            self.memberships
                .push(json!({"id": id, "user_id": user, "plan_type": plan,
                "start_at": ts(start), "expire_at": expire.map(ts), "status": status,
                "amount": price, "currency": "USD"}));
            let Some(end) = expire.filter(|e| *e <= self.now && status == "expired") else {
                break;
            };
            // Most renew within the 7-day grace, some come back later, the rest churn.
            start = match self.rng.random::<f64>() {
                x if x < 0.6 => end + Duration::hours(self.rng.random_range(0..120)),
                x if x < 0.7 => end + Duration::days(self.rng.random_range(9..30)),
                _ => break,
            };
            if start >= self.now {
                break;
            }
        }
        true
    }

    /// Generation calls of the day `day` days ago: a few dozen per stage, `translate` only
    /// lately.
    fn calls(&mut self, day: i64) {
        for (s, (stage, event, model, mean, failure)) in STAGES.iter().enumerate() {
            if *stage == "translate" && day > 20 {
                continue;
            }
            for _ in 0..self.rng.random_range(8..30) {
                let at = self.now
                    - Duration::days(day)
                    - Duration::minutes(self.rng.random_range(0..1_440));
                if at >= self.now {
                    continue;
                }
                let failed = self.rng.random_bool(*failure);
                // Heavy tail: one call in twenty is several times slower.
                let slow = if self.rng.random_bool(0.05) { 4.0 } else { 1.0 };
                let latency = (mean * slow * self.rng.random_range(0.5..1.6)).round();
                let tokens = if *event == "model_invoke" {
                    self.rng.random_range(200..4_000)
                } else {
                    0
                };
                let base = if *event == "image_generation" {
                    0.02
                } else {
                    0.001
                };
                let cost = (tokens as f64 * 0.000_002 + base) * 1e4;
                // Stages in even places report a status code, the others a success flag.
                let mut props = json!({"stage": stage, "model": model, "latency_ms": latency,
                    "tokens": tokens, "cost": cost.round() / 1e4});
                if s % 2 == 0 {
                    props["status"] = json!(if failed {
                        ["500", "429", "504"][self.rng.random_range(0..3)]
                    } else {
                        "200"
                    });
                } else {
                    props["success"] = json!(!failed);
                }
                self.event(None, event, at, props);
            }
        }
    }
}

/// Product events and memberships over the `days` days before `now`: `learners` learners
/// (registrations growing over time) plus anonymous visitors, as the ingest endpoint takes
/// them.
pub fn generate_product(
    learners: usize,
    now: DateTime<Utc>,
    days: i64,
    seed: u64,
) -> (Vec<Value>, Vec<Value>) {
    let mut g = Gen {
        rng: ChaCha8Rng::seed_from_u64(seed),
        now,
        events: Vec::new(),
        memberships: Vec::new(),
    };
    for n in 0..learners {
        // More registrations lately: the square root skews towards now.
        let ago = (g.rng.random::<f64>().sqrt() * (days * 1_440) as f64) as i64;
        let at = now - Duration::minutes(days * 1_440 - ago.min(days * 1_440 - 1));
        g.learner(n, at);
    }
    for v in 0..learners / 5 {
        let at = now - Duration::minutes(g.rng.random_range(1..days * 1_440));
        let props = json!({"anonymous_id": format!("anon-{v:05}"),
            "platform": "web", "channel": "ads"});
        g.event(None, "app_open", at, props);
    }
    for day in 0..days {
        g.calls(day);
    }
    (g.events, g.memberships)
}
