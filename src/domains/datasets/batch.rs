//! A batch being ingested, in two halves that can run side by side: the `Checker` parses
//! nothing and writes nothing — it validates each row and checks it against the batch's earlier
//! rows — and the `Writer` checks a chunk's references and writes it inside the caller's
//! transaction. `ingest` runs them as a pipeline (rows are checked on a blocking thread while the
//! previous chunk is written), so a batch never holds more than a few chunks of rows and its
//! CPU work overlaps the database's. After the first problem nothing more is written (the caller
//! rolls back), but every row is still checked so that the answer lists every problem.

use super::recordset::recordset_json;
use super::store::append_encoded;
use super::{Dataset, History, Key, Outcome, Row, RowError, check_references, validate, write};
use crate::kernel::changes::TimeSpan;
use crate::kernel::record::rows;
use crate::kernel::{AppError, AppResult, TeamScope};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::hash::{Hash, Hasher};

/// Rows written per chunk: PostgreSQL takes a chunk in one statement, so larger chunks cost
/// fewer round trips; SQLite writes in process, so smaller chunks keep memory lower.
pub fn chunk_rows(backend: sea_orm::DatabaseBackend) -> usize {
    match backend {
        sea_orm::DatabaseBackend::Postgres => 5_000,
        _ => 2_000,
    }
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

/// Validates rows and checks them against the batch's earlier rows.
pub struct Checker {
    ds: &'static Dataset,
    /// Every key of the batch so far: its first line and a fingerprint of its row.
    seen: HashMap<String, (usize, u64)>,
    errors: Vec<RowError>,
    duplicates: u64,
    rows: u64,
    /// The field whose instants say when a row happened (see `Dataset::time_index`).
    time: Option<usize>,
    /// The instants of the batch's rows, from first to last (when the dataset has `time`).
    span: Option<TimeSpan>,
}

impl Checker {
    pub fn new(ds: &'static Dataset) -> Self {
        Checker {
            ds,
            seen: HashMap::new(),
            errors: Vec::new(),
            duplicates: 0,
            rows: 0,
            time: ds.time_index(),
            span: None,
        }
    }

    /// Widens the batch's span by a row to be written.
    fn spans(&mut self, row: &Row) {
        if let Some(i) = self.time
            && let Some(sea_orm::Value::BigInt(Some(ms))) = row.values.get(i)
        {
            let at = TimeSpan::at(*ms);
            self.span = Some(self.span.map_or(at, |s| s.hull(at)));
        }
    }

    /// A problem found outside a row (e.g. a line that is not JSON).
    pub fn reject(&mut self, error: RowError) {
        self.errors.push(error);
    }

    /// Whether no problem was found so far.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }

    /// The row to write, or `None` when it is invalid (the problem is kept) or repeats an
    /// earlier row of the batch exactly (a duplicate).
    pub fn check(&mut self, line: usize, value: &serde_json::Value) -> Option<Row> {
        self.rows += 1;
        let row = match validate(self.ds, value) {
            Ok(row) => row,
            Err(e) => {
                self.errors.push(RowError {
                    line,
                    field: Some(e.field).filter(|f| !f.is_empty()),
                    message: e.message,
                });
                return None;
            }
        };
        let print = fingerprint(&row);
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
                        self.duplicates += 1;
                        return None;
                    }
                };
                let field = Some(self.ds.key.column().to_string());
                self.errors.push(RowError {
                    line,
                    field,
                    message,
                });
                None
            }
            Entry::Vacant(slot) => {
                slot.insert((line, print));
                self.spans(&row);
                Some(row)
            }
        }
    }
}

/// Writes checked chunks and counts what happened.
pub struct Writer<'a> {
    ds: &'static Dataset,
    scope: &'a TeamScope,
    outcome: Outcome,
    chunks: u64,
    /// Reference problems (after one, nothing more is written).
    errors: Vec<RowError>,
}

impl<'a> Writer<'a> {
    pub fn new(ds: &'static Dataset, scope: &'a TeamScope) -> Self {
        Writer {
            ds,
            scope,
            outcome: Outcome::default(),
            chunks: 0,
            errors: Vec::new(),
        }
    }

    /// Checks a chunk's references and writes it.
    pub async fn write(
        &mut self,
        db: &impl ConnectionTrait,
        chunk: Vec<(usize, Row)>,
    ) -> AppResult<()> {
        self.write_encoded(db, chunk, None).await
    }

    /// Like `write`, with the chunk already encoded for an append-only insert (PostgreSQL).
    async fn write_encoded(
        &mut self,
        db: &impl ConnectionTrait,
        chunk: Vec<(usize, Row)>,
        encoded: Option<String>,
    ) -> AppResult<()> {
        if chunk.is_empty() || !self.errors.is_empty() {
            return Ok(());
        }
        let missing = check_references(db, self.scope, self.ds, &chunk).await?;
        if !missing.is_empty() {
            self.errors.extend(missing);
            return Ok(());
        }
        let outcome = match encoded {
            Some(json) => append_encoded(db, self.ds, chunk.len(), json).await?,
            None => {
                let rows: Vec<Row> = chunk.into_iter().map(|(_, r)| r).collect();
                write(db, self.scope, self.ds, &rows).await?
            }
        };
        self.outcome.add(outcome);
        self.chunks += 1;
        Ok(())
    }

    /// What the batch did, or every problem of both halves.
    fn finish(self, checker: Checker) -> Result<Written, Vec<RowError>> {
        let mut errors = checker.errors;
        errors.extend(self.errors);
        if errors.is_empty() {
            let mut outcome = self.outcome;
            outcome.duplicates += checker.duplicates;
            Ok(Written {
                outcome,
                rows: checker.rows,
                chunks: self.chunks,
                span: checker.time.and(checker.span),
            })
        } else {
            errors.sort_by_key(|e| e.line);
            Err(errors)
        }
    }
}

/// A batch that was written.
#[derive(Debug, Clone, Copy)]
pub struct Written {
    pub outcome: Outcome,
    /// Rows in the batch.
    pub rows: u64,
    /// Chunks written.
    pub chunks: u64,
    /// When the batch's rows happened, first to last — `None` when the dataset's rows can
    /// change anything at any time (see `Dataset::time_index`). Caches use it to keep
    /// answers about other times.
    pub span: Option<TimeSpan>,
}

/// Ingests a JSON or NDJSON body into `ds` inside the caller's transaction: rows are parsed and
/// checked on a blocking thread, chunk by chunk, while the writer writes the chunk before.
pub async fn ingest(
    db: &impl ConnectionTrait,
    scope: &TeamScope,
    ds: &'static Dataset,
    body: impl AsRef<[u8]> + Send + 'static,
) -> AppResult<Result<Written, Vec<RowError>>> {
    // PostgreSQL appends are encoded here too, so the writer only sends them.
    let encode = db.get_database_backend() == sea_orm::DatabaseBackend::Postgres
        && ds.history == History::AppendOnly;
    let team = scope.team_id().0;
    let chunk_rows = chunk_rows(db.get_database_backend());
    type Chunk = (Vec<(usize, Row)>, Option<String>);
    let (chunks, mut received) = tokio::sync::mpsc::channel::<Chunk>(2);
    let checking = tokio::task::spawn_blocking(move || {
        let mut checker = Checker::new(ds);
        let mut chunk = Vec::with_capacity(chunk_rows);
        let send = |chunk: Vec<(usize, Row)>| {
            let json = encode.then(|| recordset_json(ds, team, chunk.iter().map(|(_, r)| r)));
            let _ = chunks.blocking_send((chunk, json));
        };
        for row in rows(body.as_ref()) {
            match row {
                Ok((line, value)) => {
                    if let Some(r) = checker.check(line, &value)
                        && checker.is_clean()
                    {
                        chunk.push((line, r));
                    }
                }
                Err(e) => checker.reject(e),
            }
            if chunk.len() >= chunk_rows {
                // After a problem: keep checking, send nothing more.
                let full = std::mem::replace(&mut chunk, Vec::with_capacity(chunk_rows));
                if checker.is_clean() {
                    send(full);
                }
            }
        }
        if checker.is_clean() && !chunk.is_empty() {
            send(chunk);
        }
        checker
    });
    let mut writer = Writer::new(ds, scope);
    let mut failed = None;
    while let Some((chunk, encoded)) = received.recv().await {
        if failed.is_none()
            && let Err(e) = writer.write_encoded(db, chunk, encoded).await
        {
            failed = Some(e);
        }
    }
    let checker = checking
        .await
        .map_err(|e| AppError::internal(anyhow::anyhow!("checking rows failed: {e}")))?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(writer.finish(checker))
}

/// The same, one row at a time (rows already in memory, e.g. generated demo data).
pub struct Batch<'a> {
    checker: Checker,
    writer: Writer<'a>,
    chunk: Vec<(usize, Row)>,
}

/// Rows per chunk of the sequential batch (the pipeline's sizes are `chunk_rows`).
const BATCH_CHUNK_ROWS: usize = 5_000;

impl<'a> Batch<'a> {
    pub fn new(ds: &'static Dataset, scope: &'a TeamScope) -> Self {
        Batch {
            checker: Checker::new(ds),
            writer: Writer::new(ds, scope),
            chunk: Vec::new(),
        }
    }

    /// Checks one row and writes the chunk when it is full.
    pub async fn push(
        &mut self,
        db: &impl ConnectionTrait,
        line: usize,
        value: serde_json::Value,
    ) -> AppResult<()> {
        if let Some(row) = self.checker.check(line, &value)
            && self.checker.is_clean()
        {
            self.chunk.push((line, row));
            if self.chunk.len() >= BATCH_CHUNK_ROWS {
                self.writer
                    .write(db, std::mem::take(&mut self.chunk))
                    .await?;
            }
        }
        Ok(())
    }

    /// Writes what is left: what the batch did, or every problem (the caller rolls back).
    pub async fn finish(
        mut self,
        db: &impl ConnectionTrait,
    ) -> AppResult<Result<Written, Vec<RowError>>> {
        if self.checker.is_clean() {
            self.writer
                .write(db, std::mem::take(&mut self.chunk))
                .await?;
        }
        Ok(self.writer.finish(self.checker))
    }
}
