//! An event as the metrics read it: who, what, when, and the well-known properties as typed
//! fields. Stored and inline events both become this, so the sections cannot tell them apart;
//! other properties are kept in storage but never read by the dashboard.

use crate::domains::product::ingest::{ProductEvent, normalise_dimension};
use serde::Deserialize;
use serde_json::Value;

/// The well-known properties (spec/product.md) the sections read.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default)]
pub struct Props {
    /// Lower-cased and trimmed; `None` when empty (as the filters compare them).
    pub channel: Option<String>,
    pub region: Option<String>,
    pub platform: Option<String>,
    pub course_id: Option<String>,
    pub word: Option<String>,
    pub model: Option<String>,
    pub stage: Option<String>,
    pub duration_seconds: Option<f64>,
    pub latency_ms: Option<f64>,
    pub cost: Option<f64>,
    pub tokens: Option<f64>,
    pub correct: Option<bool>,
    pub success: Option<bool>,
    /// A string or a number, e.g. `"200"` or `503`.
    pub status: Option<Value>,
}

impl Props {
    /// Parses a stored `properties` text (an unreadable one reads as no properties).
    pub fn parse(text: &str) -> Props {
        serde_json::from_str::<Props>(text)
            .unwrap_or_default()
            .normalised()
    }

    fn normalised(mut self) -> Props {
        for dim in [&mut self.channel, &mut self.region, &mut self.platform] {
            *dim = dim.take().as_deref().and_then(normalise_dimension);
        }
        self
    }

    /// A text property, `None` when missing or empty.
    pub fn text(value: &Option<String>) -> Option<&str> {
        value.as_deref().filter(|s| !s.is_empty())
    }

    /// `success` is true, or `status` starts with "2".
    pub fn succeeded(&self) -> bool {
        let status = match &self.status {
            Some(Value::String(s)) => s.starts_with('2'),
            Some(Value::Number(n)) => n.to_string().starts_with('2'),
            _ => false,
        };
        self.success == Some(true) || status
    }
}

/// One event of the telemetry.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `user_id`, else `properties.device_id`, else `properties.anonymous_id`.
    pub identity: Option<String>,
    pub event_name: String,
    pub event_time_ms: i64,
    /// Boxed: an event is moved while sorting and sections hold many of them.
    pub props: Box<Props>,
}

impl From<ProductEvent> for Event {
    fn from(e: ProductEvent) -> Event {
        let props = serde_json::from_value::<Props>(Value::Object(e.properties))
            .unwrap_or_default()
            .normalised();
        Event {
            identity: e.identity,
            event_name: e.event_name,
            event_time_ms: e.event_time_ms,
            props: Box::new(props),
        }
    }
}
