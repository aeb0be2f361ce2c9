//! The five publishing datasets, described as data (see `domains::datasets`). Every one
//! follows its source: a re-sent row with a newer `updated_at` replaces the stored one.

use crate::domains::datasets::{Dataset, History, Key, Kind, f};
use crate::domains::rollups::{Dim, Measure, Rollup, Sql, Tally};

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
        tallies: &[],
        person_key: false,
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
        tallies: &[&PUB_PLATFORM_TALLY],
        person_key: false,
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
        tallies: &[],
        person_key: false,
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
        tallies: &[],
        person_key: false,
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
        tallies: &[&PUB_PLATFORM_TALLY],
        person_key: false,
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

/// The platforms panel's all-time figures per team and platform, by clip (the unit): a clip
/// counts once towards `clips_ready` / `clips_published` of a platform where it has a
/// `pending`/`scheduled` / `success` log, and its score once per log towards `score_sum`
/// (`scored` logs with a score). A write to a clip or to its logs recomputes that clip's part.
pub const PUB_PLATFORM_TALLY: Tally = Tally {
    table: "pub_platform_tallies",
    version: 1,
    units: &[("pub_clips", "id"), ("pub_publish_logs", "clip_id")],
    contribution: "SELECT l.team_id AS team_id, l.platform AS key, COUNT(*) AS logs, \
        COUNT(DISTINCT CASE WHEN l.status IN ('pending', 'scheduled') THEN l.clip_id END) AS clips_ready, \
        COUNT(DISTINCT CASE WHEN l.status = 'success' THEN l.clip_id END) AS clips_published, \
        COUNT(c.visual_score) AS scored, \
        COALESCE(SUM(c.visual_score), 0) AS score_sum \
        FROM pub_publish_logs l \
        LEFT JOIN pub_clips c ON c.team_id = l.team_id AND c.id = l.clip_id \
        WHERE {scope} AND {units} GROUP BY l.team_id, l.platform",
    team: "l.team_id",
    unit: "l.clip_id",
    measures: &[
        "logs",
        "clips_ready",
        "clips_published",
        "scored",
        "score_sum",
    ],
};
