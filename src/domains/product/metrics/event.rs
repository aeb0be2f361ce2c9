//! An event as the metrics read it: who, what, when, and the well-known properties as typed
//! fields, every text interned (`Sym`) so an event is a small `Copy` value and the sections
//! compare and hash integers, not strings. Stored and inline events both become this, so the
//! sections cannot tell them apart; other properties are kept in storage but never read by
//! the dashboard.

use crate::domains::product::ingest::normalise_dimension;
use crate::kernel::interner::Interner;
use serde::Deserialize;
use serde_json::Value;
use std::num::NonZeroU32;

/// An interned text of one `Symbols`: a user, an event name or a property value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sym(NonZeroU32);

impl Sym {
    pub(super) const fn nth(i: u32) -> Sym {
        match NonZeroU32::new(i + 1) {
            Some(n) => Sym(n),
            None => panic!("symbol index overflow"),
        }
    }
    pub(super) fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// The event names the sections read, interned first by every `Symbols` so they are
/// constants.
pub mod names {
    use super::Sym;
    pub const USER_REGISTERED: Sym = Sym::nth(0);
    pub const LESSON_STARTED: Sym = Sym::nth(1);
    pub const LESSON_COMPLETED: Sym = Sym::nth(2);
    pub const PAY_SUCCESS: Sym = Sym::nth(3);
    pub const APP_OPEN: Sym = Sym::nth(4);
    pub const PAYWALL_VIEW: Sym = Sym::nth(5);
    pub const PAYWALL_CTA_CLICK: Sym = Sym::nth(6);
    pub const STUDY_SESSION: Sym = Sym::nth(7);
    pub const PRACTICE_DONE: Sym = Sym::nth(8);
    pub const MODEL_INVOKE: Sym = Sym::nth(9);
    pub const IMAGE_GENERATION: Sym = Sym::nth(10);
    pub const TTS_GENERATION: Sym = Sym::nth(11);
    /// Their texts, in the order of the constants.
    pub(super) const KNOWN: [&str; 12] = [
        "user_registered",
        "lesson_started",
        "lesson_completed",
        "pay_success",
        "app_open",
        "paywall_view",
        "paywall_cta_click",
        "study_session",
        "practice_done",
        "model_invoke",
        "image_generation",
        "tts_generation",
    ];
}

/// Every text the events of one telemetry name, each once (the well-known event names first,
/// as their constants say).
#[derive(Debug, Clone)]
pub struct Symbols(Interner);

impl Default for Symbols {
    fn default() -> Self {
        let mut s = Symbols(Interner::default());
        for name in names::KNOWN {
            s.intern(name);
        }
        s
    }
}

impl Symbols {
    /// The symbol of `text`, added when new.
    pub fn intern(&mut self, text: &str) -> Sym {
        Sym::nth(self.0.intern(text))
    }

    /// The symbol of `text`, if any event names it.
    pub fn get(&self, text: &str) -> Option<Sym> {
        self.0.get(text).map(Sym::nth)
    }

    /// The text of `sym`.
    pub fn text(&self, sym: Sym) -> &str {
        self.0.text(sym.index() as u32)
    }

    /// The text of an optional symbol.
    pub fn text_of(&self, sym: Option<Sym>) -> Option<&str> {
        sym.map(|s| self.text(s))
    }

    /// Bytes held, roughly (for the column cache's weight).
    pub fn bytes(&self) -> usize {
        self.0.bytes()
    }
}

/// The well-known properties (spec/product.md) the sections read: texts interned (`None`
/// when missing or empty; `channel`, `region` and `platform` trimmed and lower-cased, as the
/// filters compare them), numbers and flags as given.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Props {
    pub channel: Option<Sym>,
    pub region: Option<Sym>,
    pub platform: Option<Sym>,
    pub course_id: Option<Sym>,
    pub word: Option<Sym>,
    pub model: Option<Sym>,
    pub stage: Option<Sym>,
    pub duration_seconds: Num,
    pub latency_ms: Num,
    pub cost: Num,
    pub tokens: Num,
    pub correct: Option<bool>,
    /// `success` is true, or `status` (a string or a number) starts with "2".
    pub succeeded: bool,
}

/// A number that may be missing, in 8 bytes instead of `Option<f64>`'s 16 (NaN stands for
/// missing: a JSON number is never NaN), so an event is 80 bytes.
#[derive(Clone, Copy)]
pub struct Num(f64);

impl Num {
    pub fn new(value: Option<f64>) -> Num {
        Num(value.filter(|v| !v.is_nan()).unwrap_or(f64::NAN))
    }

    /// The number, if given.
    pub fn get(self) -> Option<f64> {
        (!self.0.is_nan()).then_some(self.0)
    }
}

impl Default for Num {
    fn default() -> Self {
        Num(f64::NAN)
    }
}

impl PartialEq for Num {
    fn eq(&self, other: &Num) -> bool {
        self.get() == other.get()
    }
}

impl std::fmt::Debug for Num {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.get().fmt(f)
    }
}

/// The properties as sent or stored, before interning.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawProps {
    channel: Option<String>,
    region: Option<String>,
    platform: Option<String>,
    course_id: Option<String>,
    word: Option<String>,
    model: Option<String>,
    stage: Option<String>,
    duration_seconds: Option<f64>,
    latency_ms: Option<f64>,
    cost: Option<f64>,
    tokens: Option<f64>,
    correct: Option<bool>,
    success: Option<bool>,
    status: Option<Value>,
}

impl RawProps {
    fn interned(self, symbols: &mut Symbols) -> Props {
        let mut text = |v: Option<String>| {
            v.as_deref()
                .filter(|s| !s.is_empty())
                .map(|s| symbols.intern(s))
        };
        let dim = |v: Option<String>| v.as_deref().and_then(normalise_dimension);
        let status = match &self.status {
            Some(Value::String(s)) => s.starts_with('2'),
            Some(Value::Number(n)) => n.to_string().starts_with('2'),
            _ => false,
        };
        Props {
            channel: text(dim(self.channel)),
            region: text(dim(self.region)),
            platform: text(dim(self.platform)),
            course_id: text(self.course_id),
            word: text(self.word),
            model: text(self.model),
            stage: text(self.stage),
            duration_seconds: Num::new(self.duration_seconds),
            latency_ms: Num::new(self.latency_ms),
            cost: Num::new(self.cost),
            tokens: Num::new(self.tokens),
            correct: self.correct,
            succeeded: self.success == Some(true) || status,
        }
    }
}

impl Props {
    /// From a stored `properties` text (an unreadable one reads as no properties).
    pub fn parse(text: &str, symbols: &mut Symbols) -> Props {
        serde_json::from_str::<RawProps>(text)
            .unwrap_or_default()
            .interned(symbols)
    }

    /// From posted properties.
    pub fn from_map(map: serde_json::Map<String, Value>, symbols: &mut Symbols) -> Props {
        serde_json::from_value::<RawProps>(Value::Object(map))
            .unwrap_or_default()
            .interned(symbols)
    }
}

/// One event of the telemetry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Event {
    /// `user_id`, else `properties.device_id`, else `properties.anonymous_id`.
    pub identity: Option<Sym>,
    pub event_name: Sym,
    pub event_time_ms: i64,
    pub props: Props,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_is_eighty_bytes_and_missing_numbers_stay_missing() {
        assert_eq!(size_of::<Event>(), 80);
        let mut symbols = Symbols::default();
        let p = Props::parse(r#"{"latency_ms": 12.5, "cost": 0}"#, &mut symbols);
        assert_eq!((p.latency_ms.get(), p.cost.get()), (Some(12.5), Some(0.0)));
        assert_eq!((p.tokens.get(), p.duration_seconds.get()), (None, None));
        assert_eq!(Props::default(), Props::parse("{}", &mut symbols));
    }
}
