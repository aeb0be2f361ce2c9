//! The five publishing datasets, described as data (see `domains::datasets`). Every one
//! follows its source: a re-sent row with a newer `updated_at` replaces the stored one.

use crate::domains::datasets::{Dataset, History, Key, Kind, f};
use crate::domains::rollups::{Dim, Measure, Rollup, Sql};

pub const JOB_STATUSES: &[&str] = &["pending", "processing", "completed", "failed"];
pub const CAMPAIGN_STATUSES: &[&str] = &["draft", "active", "paused", "completed"];
pub const LOG_STATUSES: &[&str] = &["pending", "scheduled", "processing", "success", "failed"];

/// Every publishing dataset, in dependency order (a dataset only references earlier ones).
pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "pub_videos",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        fields: &[
            f("title", Kind::Str(300)),
            f("created_at", Kind::Instant),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "pub_clips",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        fields: &[
            f("video_id", Kind::Ref("pub_videos")),
            f("visual_score", Kind::OptFraction),
            f("created_at", Kind::Instant),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "pub_jobs",
        key: Key::Id,
        history: History::Versioned,
        rollup: Some(&PUB_JOB_ROLLUP),
        fields: &[
            f("video_id", Kind::OptRef("pub_videos")),
            f("clip_id", Kind::OptRef("pub_clips")),
            f("status", Kind::OneOf(JOB_STATUSES)),
            f("platform", Kind::OptLower(32)),
            f("created_at", Kind::Instant),
            f("updated_at", Kind::Instant),
        ],
    },
    Dataset {
        name: "pub_campaigns",
        key: Key::Id,
        history: History::Versioned,
        rollup: None,
        fields: &[
            f("clip_id", Kind::OptRef("pub_clips")),
            f("name", Kind::Str(200)),
            f("status", Kind::OneOf(CAMPAIGN_STATUSES)),
            f("budget", Kind::OptNumber),
            f("spent", Kind::NumberOrZero),
            f("created_at", Kind::Instant),
            f("updated_at", Kind::OptInstant),
        ],
    },
    Dataset {
        name: "pub_publish_logs",
        key: Key::Id,
        history: History::Versioned,
        rollup: Some(&PUB_LOG_ROLLUP),
        fields: &[
            f("clip_id", Kind::Ref("pub_clips")),
            f("platform", Kind::Lower(32)),
            f("status", Kind::OneOf(LOG_STATUSES)),
            f("social_account_id", Kind::OptStr(64)),
            f("requested_at", Kind::Instant),
            f("published_at", Kind::OptInstant),
            f("created_at", Kind::Instant),
            f("updated_at", Kind::OptInstant),
        ],
    },
];

/// Publish logs per team, UTC day (of `created_at`) and status/platform — what the all-time
/// queue, overview and orchestrator figures sum over every day — and the social accounts of
/// `processing` logs (presence). Keys: `<status>/<platform>` (a status has no `/`), and
/// `<length of platform>:<platform><account>`.
pub const PUB_LOG_ROLLUP: Rollup = Rollup {
    table: "pub_log_rollups",
    source: "pub_publish_logs",
    key: "id",
    time: "created_at_ms",
    version: 1,
    dims: &[
        Dim::daily("status", Sql::Text("status || '/' || platform")),
        Dim::daily(
            "account",
            Sql::Text(
                "CASE WHEN status = 'processing' THEN \
                 CAST(LENGTH(platform) AS TEXT) || ':' || platform || social_account_id END",
            ),
        ),
    ],
    measures: &[
        Measure::sum("n", "1"),
        Measure::sum(
            "processing_ms",
            "COALESCE(CAST(published_at_ms - requested_at_ms AS DOUBLE PRECISION), 0)",
        ),
        Measure::sum(
            "processed",
            "CASE WHEN published_at_ms IS NULL THEN 0 ELSE 1 END",
        ),
        Measure::min("first_requested_ms", "requested_at_ms"),
        Measure::max("last_created_ms", "created_at_ms"),
    ],
};

/// Jobs per team, UTC day (of `created_at`) and status/platform; key `<status>/` for a job
/// without a platform, `<status>/=<platform>` otherwise.
pub const PUB_JOB_ROLLUP: Rollup = Rollup {
    table: "pub_job_rollups",
    source: "pub_jobs",
    key: "id",
    time: "created_at_ms",
    version: 1,
    dims: &[Dim::daily(
        "status",
        Sql::Text("status || '/' || COALESCE('=' || platform, '')"),
    )],
    measures: &[Measure::sum("n", "1")],
};
