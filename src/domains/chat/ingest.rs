//! The nine chat datasets, described as data (see `domains::datasets`): field kinds drive
//! validation, storage columns, versions, references and deletions alike. Messages and traces
//! never change; everything else carries an optional `updated_at` and follows its source.

use crate::domains::datasets::{Dataset, History, Key, Kind, f};

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
        fields: &[
            f("identifier", Kind::Str(200)),
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
        rollup: None,
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
        rollup: None,
        fields: &[
            f("session_id", Kind::Ref("chat_sessions")),
            f("timestamp", Kind::Instant),
            f("duration_ms", Kind::Number),
        ],
    },
];
