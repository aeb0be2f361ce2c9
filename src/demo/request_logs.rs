//! Realistic request logs: daily and weekly rhythm, ~3 % errors with a mix of codes, a dozen
//! models with skewed popularity, ~40 countries, log-normal latency, per-model cost.

use chrono::{DateTime, Datelike, Duration, Timelike, Utc};
use rand::distr::Distribution;
use rand::distr::weighted::WeightedIndex;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::LogNormal;

/// (model, popularity weight, USD per 1k tokens, median latency ms)
const MODELS: [(&str, f64, f64, f64); 12] = [
    ("gpt-4o-mini", 30.0, 0.0006, 420.0),
    ("gpt-4o", 18.0, 0.0100, 900.0),
    ("claude-3-5-sonnet", 14.0, 0.0150, 1100.0),
    ("claude-3-haiku", 10.0, 0.0012, 380.0),
    ("llama-3.1-70b", 7.0, 0.0009, 700.0),
    ("llama-3.1-8b", 5.0, 0.0002, 250.0),
    ("mistral-large", 4.0, 0.0080, 850.0),
    ("mixtral-8x7b", 3.5, 0.0007, 520.0),
    ("gemini-1.5-pro", 3.0, 0.0070, 950.0),
    ("gemini-1.5-flash", 2.5, 0.0004, 300.0),
    ("text-embedding-3-small", 2.0, 0.00002, 90.0),
    ("o1-preview", 1.0, 0.0600, 4500.0),
];

/// (endpoint, weight, uses a model)
const ENDPOINTS: [(&str, f64, bool); 5] = [
    ("/v1/chat/completions", 62.0, true),
    ("/v1/embeddings", 18.0, true),
    ("/v1/completions", 10.0, true),
    ("/v1/models", 6.0, false),
    ("/v1/moderations", 4.0, false),
];

/// (status, weight) of failed requests.
const ERROR_CODES: [(i32, f64); 10] = [
    (429, 30.0),
    (400, 22.0),
    (500, 12.0),
    (401, 9.0),
    (404, 8.0),
    (422, 7.0),
    (503, 5.0),
    (403, 3.0),
    (502, 2.5),
    (504, 1.5),
];

/// ~40 countries (and `XK`, which ISO 3166-1 does not list) by traffic weight.
const COUNTRIES: [(&str, f64); 41] = [
    ("US", 30.0),
    ("GB", 8.0),
    ("DE", 7.0),
    ("IN", 6.5),
    ("FR", 5.0),
    ("CA", 4.5),
    ("JP", 4.0),
    ("BR", 3.5),
    ("NL", 3.0),
    ("AU", 2.8),
    ("ES", 2.4),
    ("IT", 2.2),
    ("SE", 1.8),
    ("KR", 1.8),
    ("SG", 1.6),
    ("PL", 1.5),
    ("MX", 1.4),
    ("CH", 1.3),
    ("IE", 1.2),
    ("IL", 1.1),
    ("BE", 1.0),
    ("DK", 0.9),
    ("NO", 0.9),
    ("FI", 0.8),
    ("AT", 0.8),
    ("PT", 0.7),
    ("CZ", 0.7),
    ("AR", 0.6),
    ("ZA", 0.6),
    ("NZ", 0.5),
    ("TR", 0.5),
    ("UA", 0.5),
    ("ID", 0.5),
    ("VN", 0.4),
    ("PH", 0.4),
    ("NG", 0.4),
    ("EG", 0.3),
    ("KE", 0.3),
    ("CO", 0.3),
    ("CL", 0.3),
    ("XK", 0.1),
];

const USERS: usize = 2_000;

/// Relative traffic of one UTC hour: a daily curve (peak mid-afternoon UTC), quieter
/// weekends, and slow growth over the period.
fn hour_weight(t: DateTime<Utc>, progress: f64) -> f64 {
    let h = f64::from(t.hour());
    let daily = 0.35 + (-(h - 15.0).powi(2) / 30.0).exp() + 0.4 * (-(h - 3.0).powi(2) / 12.0).exp();
    let weekly = if t.weekday().num_days_from_monday() >= 5 {
        0.55
    } else {
        1.0
    };
    daily * weekly * (0.8 + 0.4 * progress)
}

/// One generated request log (compact; written as the JSON row a client would send).
#[derive(Debug, Clone, PartialEq)]
pub struct DemoLog {
    pub id: String,
    pub created_at_ms: i64,
    pub endpoint: String,
    pub status_code: i32,
    pub latency_ms: f64,
    pub model_name: Option<String>,
    pub country_code: Option<String>,
    pub cost_micros: Option<i64>,
    pub tokens: Option<i64>,
    pub user_id: Option<String>,
}

impl DemoLog {
    /// The row as `POST /v1/ingest/request_logs` takes it.
    pub fn to_json(&self) -> serde_json::Value {
        let at = chrono::DateTime::from_timestamp_millis(self.created_at_ms)
            .unwrap_or_default()
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        serde_json::json!({
            "id": self.id,
            "created_at": at,
            "endpoint": self.endpoint,
            "status_code": self.status_code,
            "latency_ms": self.latency_ms,
            "model_name": self.model_name,
            "country_code": self.country_code,
            // Exact: micro-dollars written as a decimal string.
            "cost_usd": self.cost_micros.map(|m| format!("{}.{:06}", m / 1_000_000, m % 1_000_000)),
            "tokens": self.tokens,
            "user_id": self.user_id,
        })
    }
}

/// `n` deterministic request logs over the `days` days before `now` (same seed, same rows).
pub fn generate_request_logs(n: usize, now: DateTime<Utc>, days: i64, seed: u64) -> Vec<DemoLog> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let first_hour = now - Duration::days(days);
    let first_hour =
        first_hour - Duration::seconds(i64::from(first_hour.minute() * 60 + first_hour.second()));
    let hours = (days * 24) as usize;
    let slot_weights: Vec<f64> = (0..hours)
        .map(|i| {
            hour_weight(
                first_hour + Duration::hours(i as i64),
                i as f64 / hours as f64,
            )
        })
        .collect();
    let slots = WeightedIndex::new(&slot_weights).expect("weights are positive");
    let models = WeightedIndex::new(MODELS.iter().map(|m| m.1)).expect("weights");
    let endpoints = WeightedIndex::new(ENDPOINTS.iter().map(|e| e.1)).expect("weights");
    let errors = WeightedIndex::new(ERROR_CODES.iter().map(|e| e.1)).expect("weights");
    let countries = WeightedIndex::new(COUNTRIES.iter().map(|c| c.1)).expect("weights");
    let users =
        WeightedIndex::new((1..=USERS).map(|r| 1.0 / (r as f64).powf(0.9))).expect("weights");
    let tokens_dist = LogNormal::new(6.5, 0.9).expect("valid");
    let span_ms = now.timestamp_millis();

    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let slot = first_hour + Duration::hours(slots.sample(&mut rng) as i64);
        let mut created_at_ms = slot.timestamp_millis() + rng.random_range(0..3_600_000);
        if created_at_ms >= span_ms {
            created_at_ms = span_ms - 1 - rng.random_range(0..3_600_000);
        }
        let (endpoint, _, uses_model) = ENDPOINTS[endpoints.sample(&mut rng)];
        let model = uses_model.then(|| MODELS[models.sample(&mut rng)]);
        let status_code = if rng.random_bool(0.03) {
            ERROR_CODES[errors.sample(&mut rng)].0
        } else if rng.random_bool(0.1) {
            201
        } else {
            200
        };
        let median = model.map_or(60.0, |m| m.3);
        let latency = LogNormal::new(f64::ln(median), 0.55)
            .expect("valid")
            .sample(&mut rng);
        let latency_ms = if status_code == 429 {
            latency.min(30.0)
        } else {
            latency
        };
        let tokens = model.map(|_| (tokens_dist.sample(&mut rng) as i64).clamp(1, 32_000));
        let cost_micros = match (model, tokens) {
            (Some(m), Some(t)) if status_code < 400 => {
                Some((t as f64 * m.2 * 1000.0).round() as i64)
            }
            (Some(_), _) => Some(0),
            _ => None,
        };
        let country_code =
            (!rng.random_bool(0.01)).then(|| COUNTRIES[countries.sample(&mut rng)].0.to_string());
        let user_id =
            (!rng.random_bool(0.05)).then(|| format!("user_{:04}", users.sample(&mut rng) + 1));
        rows.push(DemoLog {
            id: String::new(),
            created_at_ms,
            endpoint: endpoint.to_string(),
            status_code,
            latency_ms: (latency_ms * 100.0).round() / 100.0,
            model_name: model.map(|m| m.0.to_string()),
            country_code,
            cost_micros,
            tokens,
            user_id,
        });
    }
    // Logs arrive in time order: store them that way, with ids that follow it.
    rows.sort_by_key(|r| r.created_at_ms);
    for (i, row) in rows.iter_mut().enumerate() {
        row.id = format!("req_{i:09}");
    }
    rows
}
