//! Datasets described once, as data: each dataset's key, how its rows change over time, and
//! its fields. The description drives validation (`validate`), storage columns and
//! versioned writes (`store`), references, deletions and cascades (`links`), and a test holds it
//! against the migrated schema of both databases.

mod batch;
mod links;
mod recordset;
mod store;
mod tallied;
mod validate;

pub use batch::{Batch, Checker, Writer, Written, chunk_rows, ingest};
pub use links::{Cascade, Referenced, check_references, delete, referencing};
pub use store::{Outcome, write};
pub use validate::{key_of, validate};

use sea_orm::Value;

/// How a field is read, validated and stored.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    /// Required string of at most N characters.
    Str(usize),
    /// Optional string (empty = none).
    OptStr(usize),
    /// Optional lower-case string (empty = none).
    OptLower(usize),
    /// Boolean, false when absent.
    Bool,
    /// Required RFC 3339 instant, stored as `<name>_ms`.
    Instant,
    /// Optional RFC 3339 instant, stored as `<name>_ms`.
    OptInstant,
    /// Required non-negative amount (at most 10^12).
    Number,
    /// Optional non-negative amount.
    OptNumber,
    /// Non-negative amount, 0 when absent.
    NumberOrZero,
    /// Optional number between 0 and 1.
    OptFraction,
    /// Required lower-case string of at most N characters.
    Lower(usize),
    /// Required value from a fixed list.
    OneOf(&'static [&'static str]),
    /// Required id of a row of the named dataset (same team).
    Ref(&'static str),
    /// Optional id of a row of the named dataset (same team).
    OptRef(&'static str),
    /// Required calendar date `YYYY-MM-DD` (an RFC 3339 instant gives its date as written),
    /// stored as that text.
    Date,
    /// Required finite amount of any sign (at most 10^12 in size).
    Signed,
    /// Required number between 0 and N.
    AtMost(u32),
    /// Required integer in `[min, max]`.
    Int(i64, i64),
    /// Optional integer in `[min, max]`.
    OptInt(i64, i64),
    /// Required duration in milliseconds (0 to a day).
    Duration,
    /// Optional duration in milliseconds (0 to a day).
    OptDuration,
    /// Optional decimal of at most 10^9, stored exactly as integer millionths.
    Micros,
    /// Optional ISO 3166-1 alpha-2 code, stored upper-case.
    Country,
    /// A JSON object checked by the domain (`{}` when absent), stored as JSON text.
    Json(fn(&serde_json::Value) -> Result<(), FieldError>),
    /// An optional JSON object checked by the domain, stored as JSON text or NULL.
    OptJson(fn(&serde_json::Value) -> Result<(), FieldError>),
    /// Not sent: computed from the whole row, stored as optional text.
    Derived(fn(&serde_json::Value) -> Option<String>),
}

/// The storage type of a column, as both databases report it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColType {
    Text,
    BigInt,
    Int,
    Double,
    Bool,
}

impl Kind {
    /// The column's type and whether it may hold NULL.
    pub fn storage(self) -> (ColType, bool) {
        use Kind::*;
        match self {
            Str(_) | Lower(_) | OneOf(_) | Ref(_) | Date | Json(_) => (ColType::Text, false),
            OptStr(_) | OptLower(_) | OptRef(_) | Country | OptJson(_) | Derived(_) => {
                (ColType::Text, true)
            }
            Bool => (ColType::Bool, false),
            Instant => (ColType::BigInt, false),
            OptInstant | Micros | OptInt(..) => (ColType::BigInt, true),
            Int(..) => (ColType::Int, false),
            Number | NumberOrZero | Signed | AtMost(_) | Duration => (ColType::Double, false),
            OptNumber | OptFraction | OptDuration => (ColType::Double, true),
        }
    }

    /// Whether the field is sent (a derived one is computed).
    pub fn is_input(self) -> bool {
        !matches!(self, Kind::Derived(_))
    }
}

/// What identifies a row of a dataset within its team.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    /// The source system's `id` (at most 64 characters).
    Id,
    /// The calendar `month` (`YYYY-MM-01` or `YYYY-MM`, stored as `YYYY-MM-01`).
    Month,
}

impl Key {
    /// The key field and storage column.
    pub fn column(self) -> &'static str {
        match self {
            Key::Id => "id",
            Key::Month => "month",
        }
    }
}

/// What re-sending a known key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// Rows never change (logs, messages, events): a known key is a duplicate.
    AppendOnly,
    /// Rows change state: a newer version (by `updated_at`) replaces the stored row, an older
    /// one never does.
    Versioned,
    /// The figures of a key are corrected by re-sending it: the latest delivery wins (months).
    Replaced,
}

/// One field of a dataset.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// The storage column when it is not the name (instants add `_ms` on their own).
    pub column: Option<&'static str>,
    /// The value identifies a person: erasing that person deletes the row (`domains::erase`).
    pub person: bool,
}

impl Field {
    /// The storage column.
    pub fn column(&self) -> String {
        match (self.column, self.kind) {
            (Some(c), _) => c.to_string(),
            (None, Kind::Instant | Kind::OptInstant) => format!("{}_ms", self.name),
            (None, _) => self.name.to_string(),
        }
    }
}

/// One dataset: its name (= table), its key, its history and its fields after the key.
#[derive(Debug, Clone, Copy)]
pub struct Dataset {
    pub name: &'static str,
    pub key: Key,
    pub history: History,
    /// The rollup maintained from the dataset's rows, if any.
    pub rollup: Option<&'static crate::domains::rollups::Rollup>,
    /// The tallies that read the dataset's rows (each names the column giving a row's unit).
    pub tallies: &'static [&'static crate::domains::rollups::Tally],
    /// The key itself identifies a person (a participant's id): erasure deletes the row, and
    /// the rows referencing it with it.
    pub person_key: bool,
    pub fields: &'static [Field],
}

/// A field stored under its own name (instants under `<name>_ms`).
pub const fn f(name: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        column: None,
        person: false,
    }
}

/// `field`, marked as identifying a person (erasure deletes the rows holding the person).
pub const fn person(field: Field) -> Field {
    Field {
        person: true,
        ..field
    }
}

/// A field stored under another column name.
pub const fn stored_as(name: &'static str, column: &'static str, kind: Kind) -> Field {
    Field {
        name,
        kind,
        column: Some(column),
        person: false,
    }
}

/// The version field of versioned datasets.
pub const UPDATED_AT: &str = "updated_at";

impl Dataset {
    /// The storage columns whose value identifies a person (`id` for a person key).
    pub fn person_columns(&self) -> Vec<String> {
        let key = self.person_key.then(|| "id".to_string());
        key.into_iter()
            .chain(self.fields.iter().filter(|f| f.person).map(Field::column))
            .collect()
    }

    /// The position of the version field (`updated_at`) among the fields.
    pub fn version_index(&self) -> Option<usize> {
        (self.history == History::Versioned)
            .then(|| self.fields.iter().position(|f| f.name == UPDATED_AT))
            .flatten()
    }

    /// The field that says when a row happened, for a dataset whose rows never change once
    /// written (append-only): its first required instant. A batch then touches only what
    /// happened between its first and last instants (its deletes and erasures may touch
    /// anything). `None` for datasets whose rows change in place.
    pub fn time_index(&self) -> Option<usize> {
        if self.history != History::AppendOnly {
            return None;
        }
        self.fields
            .iter()
            .position(|f| matches!(f.kind, Kind::Instant))
    }

    /// Every column with its storage: `team_id`, the key, then the fields.
    pub fn columns(&self) -> Vec<(String, ColType, bool)> {
        let mut out = vec![
            ("team_id".to_string(), ColType::BigInt, false),
            (self.key.column().to_string(), ColType::Text, false),
        ];
        out.extend(self.fields.iter().map(|f| {
            let (ty, nullable) = f.kind.storage();
            (f.column(), ty, nullable)
        }));
        out
    }
}

/// One validated row: its key (`id` or month) and a value per dataset field, in field order.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub id: String,
    pub values: Vec<Value>,
}

pub use crate::kernel::record::{FieldError, RowError};
