//! SQL building blocks shared by every domain: bucket assignment and exact percentiles.
//!
//! Bucket boundaries come from `calendar` (Rust), and are bound as parameters, so SQLite and
//! PostgreSQL place every row in the same bucket.

use sea_orm::sea_query::{Alias, Expr, ExprTrait, SelectStatement};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use std::collections::BTreeMap;

/// Milliseconds since the epoch, the storage format of every timestamp column.
pub fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// An expression giving the index `i` of the bucket `[bounds[i], bounds[i+1])` that holds `col`.
/// `bounds` are ascending; rows must already be filtered to `[bounds[0], bounds[last])`.
/// Built as a balanced tree of `CASE WHEN col < mid` so it costs `log2(n)` comparisons per row.
pub fn bucket_index(col: Expr, bounds: &[i64]) -> Expr {
    let labels: Vec<i32> = (0..bounds.len().saturating_sub(1).max(1) as i32).collect();
    labeled_index(col, bounds, &labels)
}

/// Like `bucket_index`, answering `labels[i]` for the range `[bounds[i], bounds[i+1])`.
pub fn labeled_index(col: Expr, bounds: &[i64], labels: &[i32]) -> Expr {
    fn split(col: &Expr, bounds: &[i64], labels: &[i32], lo: usize, hi: usize) -> Expr {
        if hi - lo <= 1 {
            return Expr::val(labels[lo]);
        }
        let mid = (lo + hi) / 2;
        Expr::case(
            col.clone().lt(bounds[mid]),
            split(col, bounds, labels, lo, mid),
        )
        .finally(split(col, bounds, labels, mid, hi))
        .into()
    }
    split(&col, bounds, labels, 0, labels.len())
}

/// Percentiles as per-mille integers (950 = p95), exact like PostgreSQL's `percentile_cont`.
pub const P50: i64 = 500;
pub const P95: i64 = 950;

/// Exact `percentile_cont` per group, identical on both databases.
///
/// `inner` must select two columns named `b` (group) and `v` (value, any numeric type: it is
/// read as DOUBLE PRECISION). PostgreSQL runs its own
/// `percentile_cont`; SQLite ranks rows with window functions, returns only the one or two
/// rows each percentile interpolates between, and the interpolation happens in Rust.
pub async fn percentiles<C: ConnectionTrait>(
    db: &C,
    inner: SelectStatement,
    per_mille: &[i64],
) -> Result<BTreeMap<i32, Vec<f64>>, DbErr> {
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        return percentiles_native(db, inner, per_mille).await;
    }
    let ranked = sea_orm::sea_query::Query::select()
        .column(Alias::new("b"))
        .expr_as(
            Expr::col(Alias::new("v")).cast_as(Alias::new("DOUBLE PRECISION")),
            Alias::new("v"),
        )
        .expr_as(
            Expr::cust("ROW_NUMBER() OVER (PARTITION BY b ORDER BY v)"),
            Alias::new("rn"),
        )
        .expr_as(
            Expr::cust("COUNT(*) OVER (PARTITION BY b)"),
            Alias::new("n"),
        )
        .from_subquery(inner, Alias::new("t"))
        .to_owned();
    let mut wanted = Expr::cust("1 = 0");
    for p in per_mille {
        // Fixed integers only: the per-mille values are constants of the caller.
        let at = format!("(rn = (n - 1) * {p} / 1000 + 1 OR rn = (n - 1) * {p} / 1000 + 2)");
        wanted = wanted.or(Expr::cust(at));
    }
    let stmt = sea_orm::sea_query::Query::select()
        .columns([
            Alias::new("b"),
            Alias::new("v"),
            Alias::new("rn"),
            Alias::new("n"),
        ])
        .from_subquery(ranked, Alias::new("r"))
        .and_where(wanted)
        .to_owned();
    let rows = db.query_all(&stmt).await?;
    let mut by_group: BTreeMap<i32, (i64, BTreeMap<i64, f64>)> = BTreeMap::new();
    for row in rows {
        let b: i32 = get(&row, 0)?;
        let v: f64 = get(&row, 1)?;
        let rn: i64 = get(&row, 2)?;
        let n: i64 = get(&row, 3)?;
        let entry = by_group.entry(b).or_insert((n, BTreeMap::new()));
        entry.1.insert(rn, v);
    }
    Ok(by_group
        .into_iter()
        .map(|(b, (n, ranks))| {
            let values = per_mille
                .iter()
                .map(|p| {
                    let pos = (n - 1) * p;
                    let lo = pos / 1000 + 1;
                    let frac = (pos % 1000) as f64 / 1000.0;
                    let v_lo = ranks.get(&lo).copied().unwrap_or(f64::NAN);
                    let v_hi = ranks.get(&(lo + 1)).copied().unwrap_or(v_lo);
                    v_lo + frac * (v_hi - v_lo)
                })
                .collect();
            (b, values)
        })
        .collect())
}

/// PostgreSQL's exact `percentile_cont` of column `v` (NULLs ignored) at `per_mille`, for a
/// query that wants it beside other aggregates of the same rows (one scan instead of two);
/// `None` on SQLite, which has no such aggregate (use `percentiles`).
pub fn native_percentile(backend: sea_orm::DbBackend, per_mille: i64) -> Option<Expr> {
    (backend == sea_orm::DbBackend::Postgres).then(|| percentile_cont(per_mille))
}

fn percentile_cont(per_mille: i64) -> Expr {
    // Fixed integers only: the per-mille values are constants of the caller.
    Expr::cust(format!(
        "percentile_cont({}.{:03}) WITHIN GROUP (ORDER BY v)",
        per_mille / 1000,
        per_mille % 1000
    ))
}

async fn percentiles_native<C: ConnectionTrait>(
    db: &C,
    inner: SelectStatement,
    per_mille: &[i64],
) -> Result<BTreeMap<i32, Vec<f64>>, DbErr> {
    let mut stmt = sea_orm::sea_query::Query::select();
    stmt.column(Alias::new("b"));
    for p in per_mille {
        stmt.expr(percentile_cont(*p));
    }
    stmt.from_subquery(inner, Alias::new("t"))
        .group_by_col(Alias::new("b"));
    let mut out = BTreeMap::new();
    for row in db.query_all(&stmt).await? {
        let b: i32 = get(&row, 0)?;
        let values = (0..per_mille.len())
            .map(|i| get::<f64>(&row, i + 1))
            .collect::<Result<Vec<_>, _>>()?;
        out.insert(b, values);
    }
    Ok(out)
}

/// The rows of `stmt`, each read into `T` by column name (`#[derive(FromQueryResult)]`, with
/// `#[sea_orm(alias = "…")]` where the column is named otherwise).
pub async fn rows_as<T: sea_orm::FromQueryResult>(
    db: &impl sea_orm::ConnectionTrait,
    stmt: &impl sea_orm::StatementBuilder,
) -> Result<Vec<T>, DbErr> {
    let built = db.get_database_backend().build(stmt);
    // Boxed: sea-orm's reading future is large, and several run joined in one task.
    Box::pin(T::find_by_statement(built).all(db)).await
}

/// The rows of a grouped query with a bucket column `b` (an integer), each read into `T` by
/// column name, in `n` slots; buckets without a row keep `T::default()`.
pub async fn buckets_as<T: sea_orm::FromQueryResult + Default + Clone>(
    db: &impl sea_orm::ConnectionTrait,
    n: usize,
    stmt: &impl sea_orm::StatementBuilder,
) -> Result<Vec<T>, DbErr> {
    let mut out = vec![T::default(); n];
    for row in db.query_all(stmt).await? {
        let b: i32 = row.try_get("", "b")?;
        if let Some(slot) = out.get_mut(b as usize) {
            *slot = T::from_query_result(&row, "")?;
        }
    }
    Ok(out)
}

/// Reads column `i` of a row, with a clear error when the type does not match.
pub fn get<T: sea_orm::TryGetable>(row: &QueryResult, i: usize) -> Result<T, DbErr> {
    row.try_get_by_index::<T>(i)
        .map_err(|e| DbErr::Type(format!("column {i}: {e:?}")))
}

/// `CAST(SUM(e) AS BIGINT)`: PostgreSQL sums BIGINT as NUMERIC otherwise.
pub fn sum_i64(e: Expr) -> Expr {
    e.sum().cast_as(Alias::new("BIGINT"))
}

/// `CAST(SUM(e) AS DOUBLE PRECISION)`: SQLite sums whole numbers as INTEGER otherwise.
pub fn sum_f64(e: Expr) -> Expr {
    e.sum().cast_as(Alias::new("DOUBLE PRECISION"))
}

/// `SUM(CAST(e AS DOUBLE PRECISION))`: a sum of integers that cannot overflow on either
/// database (SQLite raises an error when an integer sum passes 2^63, PostgreSQL when a BIGINT
/// cast does). Exact while the total stays below 2^53.
pub fn sum_float(e: Expr) -> Expr {
    e.cast_as(Alias::new("DOUBLE PRECISION")).sum()
}

/// `CAST(AVG(e) AS DOUBLE PRECISION)`.
pub fn avg_f64(e: Expr) -> Expr {
    e.avg().cast_as(Alias::new("DOUBLE PRECISION"))
}

/// `SUM(CASE WHEN cond THEN 1 ELSE 0 END)` as BIGINT.
pub fn count_if(cond: Expr) -> Expr {
    sum_i64(
        Expr::case(cond, Expr::val(1i64))
            .finally(Expr::val(0i64))
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use sea_orm::sea_query::{PostgresQueryBuilder, Query};

    #[test]
    fn bucket_index_is_a_balanced_case_tree() {
        let sql = Query::select()
            .expr(bucket_index(Expr::col(Alias::new("t")), &[0, 10, 20, 30]))
            .to_string(PostgresQueryBuilder);
        assert_eq!(
            sql,
            r#"SELECT (CASE WHEN ("t" < 10) THEN 0 ELSE (CASE WHEN ("t" < 20) THEN 1 ELSE 2 END) END)"#
        );
    }
}
