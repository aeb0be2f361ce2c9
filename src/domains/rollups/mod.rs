//! Rollups: per team, dimension, time bucket (a UTC hour) and key, the sums of a dataset's raw
//! rows — so a cold dashboard reads a row per hour and key instead of a row per event.
//!
//! A rollup is described once, as data, beside its dataset: the raw time column, its
//! dimensions (each a SQL expression of a raw row giving the key; rows where it is NULL are
//! not counted under that dimension) and its measures (each a SQL expression of a raw row that
//! is summed). That one description is what
//! - maintenance runs in the ingest transaction (`maintain`): rows inserted add their
//!   contribution, rows about to be replaced or deleted retract theirs — computed by the
//!   database from the stored rows, so raw rows and rollups cannot disagree;
//! - `dashgate rollups rebuild|check` recompute from the raw rows;
//! - the read path (`read`) maps raw rows to, so a window is served from rollup rows for its
//!   whole hours and from raw rows for the unaligned edges, by one query shape.

mod check;
mod maintain;
mod read;
mod settle;
pub mod sketch;
pub mod tally;

pub use check::{Difference, check};
pub use maintain::{
    add_keys, ensure_current, insert_and_add_sql, rebuild, retract_keys, retract_where,
};
pub use read::{Plan, source};
pub use settle::{Stale, settle};
pub use tally::{Tally, Touched};

/// A rollup table over one dataset.
#[derive(Debug)]
pub struct Rollup {
    /// The rollup table.
    pub table: &'static str,
    /// The dataset (raw table) it sums.
    pub source: &'static str,
    /// The raw table's key column.
    pub key: &'static str,
    /// The raw time column (milliseconds since the epoch).
    pub time: &'static str,
    /// Bumped when the definition changes: dashgate then rebuilds the table at start.
    pub version: i32,
    pub dims: &'static [Dim],
    pub measures: &'static [Measure],
}

/// A dimension: its name (stored in the `dim` column), the SQL expression of a raw row that
/// gives its key, and its bucket size.
#[derive(Debug)]
pub struct Dim {
    pub name: &'static str,
    pub key: Sql,
    /// Bucket size in milliseconds, from the epoch (UTC): an hour tiles the buckets of every
    /// timezone whose offset is whole hours; a day tiles whole UTC days (a coarser tier read
    /// before the hours, see `Plan`).
    pub grain_ms: i64,
    /// Only which keys occur per bucket is kept (distinct counts), not sums: a row per bucket
    /// and key whose count measure is 1 and other measures 0 (NULL for extremes). Written
    /// insert-if-absent — a raw row of a key already present in its bucket writes nothing —
    /// and on retraction removed where no other raw row of the bucket has the key.
    pub presence: bool,
}

impl Dim {
    /// A dimension per UTC hour.
    pub const fn hourly(name: &'static str, key: Sql) -> Dim {
        Dim {
            name,
            key,
            grain_ms: HOUR_MS,
            presence: false,
        }
    }

    /// A dimension per UTC day.
    pub const fn daily(name: &'static str, key: Sql) -> Dim {
        Dim {
            name,
            key,
            grain_ms: DAY_MS,
            presence: false,
        }
    }

    /// The keys present per UTC day (see `presence`).
    pub const fn presence_daily(name: &'static str, key: Sql) -> Dim {
        Dim {
            name,
            key,
            grain_ms: DAY_MS,
            presence: true,
        }
    }
}

/// SQL text over a raw row: the same on both databases, or built for each.
#[derive(Debug, Clone, Copy)]
pub enum Sql {
    Text(&'static str),
    Built(fn(sea_orm::DatabaseBackend) -> String),
}

impl Sql {
    pub fn render(&self, backend: sea_orm::DatabaseBackend) -> String {
        match self {
            Sql::Text(text) => (*text).to_string(),
            Sql::Built(build) => build(backend),
        }
    }
}

/// An hour, in milliseconds.
pub const HOUR_MS: i64 = 3_600_000;
/// A day, in milliseconds.
pub const DAY_MS: i64 = 86_400_000;

/// A measure: its column, the SQL expression of a raw row, and how rows combine.
#[derive(Debug)]
pub struct Measure {
    pub column: &'static str,
    pub per_row: &'static str,
    pub agg: Agg,
}

/// How a measure combines raw rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    /// Summed: a row's contribution is added, and retracted by subtracting it.
    Sum,
    /// The largest value (NULLs ignored): added by keeping the larger, and recomputed from
    /// the remaining raw rows of the touched rollup rows when rows are retracted.
    Max,
    /// The smallest value, like `Max`.
    Min,
}

impl Agg {
    /// Summed (retracted by subtraction), or an extreme (recomputed on retraction).
    pub fn is_extreme(self) -> bool {
        self != Agg::Sum
    }

    /// The SQL aggregate of an extreme (`MAX`/`MIN`).
    fn extreme_sql(self) -> &'static str {
        if self == Agg::Min { "MIN" } else { "MAX" }
    }
}

impl Measure {
    /// A summed measure.
    pub const fn sum(column: &'static str, per_row: &'static str) -> Measure {
        Measure {
            column,
            per_row,
            agg: Agg::Sum,
        }
    }

    /// A largest-value measure.
    pub const fn max(column: &'static str, per_row: &'static str) -> Measure {
        Measure {
            column,
            per_row,
            agg: Agg::Max,
        }
    }

    /// A smallest-value measure.
    pub const fn min(column: &'static str, per_row: &'static str) -> Measure {
        Measure {
            column,
            per_row,
            agg: Agg::Min,
        }
    }
}

impl Rollup {
    /// The smallest/largest-value measures (which retracting cannot subtract; see `settle`).
    fn extremes(&self) -> impl Iterator<Item = &Measure> {
        self.measures.iter().filter(|m| m.agg.is_extreme())
    }

    /// The dimension named `name` (a programming error when missing).
    pub fn dim(&self, name: &str) -> &Dim {
        self.dims
            .iter()
            .find(|d| d.name == name)
            .unwrap_or_else(|| panic!("rollup {} has no dimension {name}", self.table))
    }

    /// `<time> - <time> % <grain>`: the bucket of a raw row in `dim` (times are never
    /// negative).
    fn bucket_sql(&self, dim: &Dim) -> String {
        format!("(\"{t}\" - \"{t}\" % {g})", t = self.time, g = dim.grain_ms)
    }

    /// `GROUP BY` terms of a dimension's bucket and key (`key`, rendered): PostgreSQL refuses a
    /// constant in GROUP BY (the `total` dimension's key), which groups nothing anyway.
    fn group_by_sql(&self, dim: &Dim, key: &str) -> String {
        if key.starts_with('\'') {
            self.bucket_sql(dim)
        } else {
            format!("{}, ({key})", self.bucket_sql(dim))
        }
    }
}
