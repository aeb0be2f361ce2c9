//! A batch being ingested: rows are validated as they arrive, checked against the batch's
//! earlier rows, and written in chunks inside the caller's transaction — so a batch never
//! holds more than one chunk of rows, whatever its size. After the first problem nothing more
//! is written (the caller rolls back), but every row is still checked so that the answer lists
//! every problem.

use super::{Dataset, Key, Outcome, Row, RowError, check_references, validate, write};
use crate::kernel::{AppResult, TeamScope};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::hash::{Hash, Hasher};

/// Rows written per chunk.
pub const CHUNK_ROWS: usize = 5_000;

/// One batch of one dataset for one team.
pub struct Batch<'a> {
    ds: &'static Dataset,
    scope: &'a TeamScope,
    chunk_rows: usize,
    /// Every key of the batch so far: its first line and a fingerprint of its row.
    seen: HashMap<String, (usize, u64)>,
    chunk: Vec<(usize, Row)>,
    errors: Vec<RowError>,
    outcome: Outcome,
    rows: u64,
    chunks: u64,
}

/// A fingerprint of a validated row's whole content.
fn fingerprint(row: &Row) -> u64 {
    use sea_orm::Value as V;
    let mut h = DefaultHasher::new();
    for v in &row.values {
        match v {
            V::String(s) => s.as_deref().hash(&mut h),
            V::BigInt(n) => n.hash(&mut h),
            V::Int(n) => n.hash(&mut h),
            V::Double(f) => f.map(f64::to_bits).hash(&mut h),
            V::Bool(b) => b.hash(&mut h),
            other => format!("{other:?}").hash(&mut h),
        }
    }
    h.finish()
}

impl<'a> Batch<'a> {
    pub fn new(ds: &'static Dataset, scope: &'a TeamScope) -> Self {
        Self::with_chunk(ds, scope, CHUNK_ROWS)
    }

    /// A batch written `chunk_rows` rows at a time.
    pub fn with_chunk(ds: &'static Dataset, scope: &'a TeamScope, chunk_rows: usize) -> Self {
        Batch {
            ds,
            scope,
            chunk_rows: chunk_rows.max(1),
            seen: HashMap::new(),
            chunk: Vec::new(),
            errors: Vec::new(),
            outcome: Outcome::default(),
            rows: 0,
            chunks: 0,
        }
    }

    /// A problem found outside a row (e.g. a line that is not JSON).
    pub fn reject(&mut self, error: RowError) {
        self.errors.push(error);
    }

    /// Checks one row and writes the chunk when it is full.
    pub async fn push(
        &mut self,
        db: &impl ConnectionTrait,
        line: usize,
        value: serde_json::Value,
    ) -> AppResult<()> {
        self.rows += 1;
        let row = match validate(self.ds, &value) {
            Ok(row) => row,
            Err(e) => {
                self.errors.push(RowError {
                    line,
                    field: Some(e.field).filter(|f| !f.is_empty()),
                    message: e.message,
                });
                return Ok(());
            }
        };
        let print = fingerprint(&row);
        let key = self.ds.key.column();
        match self.seen.entry(row.id.clone()) {
            Entry::Occupied(first) => {
                let (first_line, first_print) = *first.get();
                let message = match self.ds.key {
                    // A month is replaced as a whole: one batch names it once.
                    Key::Month => format!("`{}` is already given on line {first_line}", row.id),
                    Key::Id if first_print != print => format!(
                        "`{}` is already given on line {first_line} with other content; send one version of a row per batch",
                        row.id
                    ),
                    Key::Id => {
                        self.outcome.duplicates += 1;
                        return Ok(());
                    }
                };
                self.errors.push(RowError {
                    line,
                    field: Some(key.into()),
                    message,
                });
                return Ok(());
            }
            Entry::Vacant(slot) => {
                slot.insert((line, print));
            }
        }
        if self.errors.is_empty() {
            self.chunk.push((line, row));
            if self.chunk.len() >= self.chunk_rows {
                self.flush(db).await?;
            }
        }
        Ok(())
    }

    async fn flush(&mut self, db: &impl ConnectionTrait) -> AppResult<()> {
        if self.chunk.is_empty() || !self.errors.is_empty() {
            self.chunk.clear();
            return Ok(());
        }
        let chunk = std::mem::take(&mut self.chunk);
        let missing = check_references(db, self.scope, self.ds, &chunk).await?;
        if !missing.is_empty() {
            self.errors.extend(missing);
            return Ok(());
        }
        let rows: Vec<Row> = chunk.into_iter().map(|(_, r)| r).collect();
        self.outcome
            .add(write(db, self.scope, self.ds, &rows).await?);
        self.chunks += 1;
        Ok(())
    }

    /// Writes what is left: what the batch did, or every problem (the caller rolls back).
    pub async fn finish(
        mut self,
        db: &impl ConnectionTrait,
    ) -> AppResult<Result<Written, Vec<RowError>>> {
        self.flush(db).await?;
        if self.errors.is_empty() {
            Ok(Ok(Written {
                outcome: self.outcome,
                rows: self.rows,
                chunks: self.chunks,
            }))
        } else {
            let mut errors = self.errors;
            errors.sort_by_key(|e| e.line);
            Ok(Err(errors))
        }
    }
}

/// A batch that was written.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub outcome: Outcome,
    /// Rows in the batch.
    pub rows: u64,
    /// Chunks written (each one statement or a few).
    pub chunks: u64,
}
