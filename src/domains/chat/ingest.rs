//! The nine chat datasets, described as data (see `domains::datasets`): field kinds drive
//! validation, storage columns, versions, references and deletions alike. Messages and traces
//! never change; everything else carries an optional `updated_at` and follows its source.

use crate::domains::datasets::{Dataset, History, Key, Kind, f, person};
use crate::domains::rollups::{Dim, Measure, Rollup, Sql};

pub const SESSION_STATUSES: &[&str] = &[
    "setup",
    "pending",
    "active",
    "pending-review",
    "complete",
    "unknown",
];
pub const MESSAGE_TYPES: &[&str] = &["human", "ai", "system"];
pub const TAG_CATEGORIES: &[&str] = &[
    "",
    "bot_response",
    "safety_layer_response",
    "experiment_version",
    "response_rating",
    "error",
    "media_type",
];

/// Every chat dataset, in dependency order (a dataset only references earlier ones).
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "chat_experiments",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("name", Kind::Str(200)),
            f("is_archived", Kind::Bool),
            f("created_at", Kind::Instant),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "chat_channels",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("experiment_id", Kind::Ref("chat_experiments")),
            f("name", Kind::Str(200)),
            f("platform", Kind::OptLower(32)),
            f("deleted", Kind::Bool),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "chat_participants",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: true,
        fields: &[
            person(f("identifier", Kind::Str(200))),
            f("name", Kind::OptStr(200)),
            f("platform", Kind::OptLower(32)),
            f("created_at", Kind::Instant),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "chat_sessions",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("experiment_id", Kind::Ref("chat_experiments")),
            f("participant_id", Kind::Ref("chat_participants")),
            f("channel_id", Kind::OptRef("chat_channels")),
            f("platform", Kind::OptLower(32)),
            f("status", Kind::OneOf(SESSION_STATUSES)),
            f("created_at", Kind::Instant),
            f("ended_at", Kind::OptInstant),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "chat_messages",
        key: Key::Id,
        history: History::AppendOnly,
        rollup: Some(&CHAT_MESSAGE_ROLLUP),
        tallies: &[],
        person_key: false,
        fields: &[
            f("session_id", Kind::Ref("chat_sessions")),
            f("message_type", Kind::OneOf(MESSAGE_TYPES)),
            f("created_at", Kind::Instant),
        ],
    },
    Dataset {
        name: "chat_tags",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("name", Kind::Str(200)),
            f("category", Kind::OneOf(TAG_CATEGORIES)),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "chat_message_tags",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("tag_id", Kind::Ref("chat_tags")),
            f("message_id", Kind::Ref("chat_messages")),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "chat_session_tags",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        tallies: &[],
        person_key: false,
        fields: &[
            f("tag_id", Kind::Ref("chat_tags")),
            f("session_id", Kind::Ref("chat_sessions")),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "chat_traces",
        key: Key::Id,
        history: History::AppendOnly,
        rollup: Some(&CHAT_TRACE_ROLLUP),
        tallies: &[],
        person_key: false,
        fields: &[
            f("session_id", Kind::Ref("chat_sessions")),
            f("timestamp", Kind::Instant),
            f("duration_ms", Kind::Number),
        ],
    },
];

/// Counted (`human`/`ai`) messages per team, session and UTC hour: every chat panel that reads
/// messages groups them per session first (and filters through the session), so a window
/// reads a row per active session and hour instead of a row per message.
pub const CHAT_MESSAGE_ROLLUP: Rollup = Rollup {
    table: "chat_message_rollups",
    source: "chat_messages",
    key: "id",
    time: "created_at_ms",
    version: 1,
    dims: &[Dim::hourly(
        "session",
        // `system` messages never count: no key, no contribution.
        Sql::Text("CASE WHEN message_type IN ('human', 'ai') THEN session_id END"),
    )],
    measures: &[
        Measure::sum("n", "1"),
        Measure::sum(
            "human",
            "CASE WHEN message_type = 'human' THEN 1 ELSE 0 END",
        ),
        Measure::sum("ai", "CASE WHEN message_type = 'ai' THEN 1 ELSE 0 END"),
        Measure::max(
            "last_human_ms",
            "CASE WHEN message_type = 'human' THEN created_at_ms END",
        ),
    ],
};

/// Bot turns (traces) per team, session and UTC hour, with their total duration.
pub const CHAT_TRACE_ROLLUP: Rollup = Rollup {
    table: "chat_trace_rollups",
    source: "chat_traces",
    key: "id",
    time: "timestamp_ms",
    version: 1,
    dims: &[Dim::hourly("session", Sql::Text("session_id"))],
    measures: &[
        Measure::sum("n", "1"),
        Measure::sum("duration_ms", "CAST(duration_ms AS DOUBLE PRECISION)"),
    ],
};
