//! A mergeable quantile sketch as a rollup dimension: each value falls into a log-linear bin
//! (64 equal bins per power of two, as in HdrHistogram and DDSketch's "fast" mapping), rollup
//! rows count values per bin, and merging windows or buckets is adding counts.
//!
//! Why this sketch: its error bound is relative (≤ 1/128 ≈ 0.78 % of the value, whatever the
//! distribution — skewed, heavy-tailed, multi-modal), it merges exactly (counts add), it can be
//! retracted (counts subtract, which t-digest and KLL cannot), and its bin is computable in
//! plain SQL on both databases with comparisons and arithmetic only (SQLite has no `log`).
//! Values below 2^-10 share a zero bin (answered as 0: absolute error < 0.001).

use sea_orm::DatabaseBackend;
use std::collections::BTreeMap;

/// Bins per power of two.
const SUB_BINS: i64 = 64;
/// The smallest power of two with bins of its own; below it, the zero bin.
const MIN_EXP: i32 = -10;
/// Powers of two covered: values up to 2^(MIN_EXP + OCTAVES) (2^30 ms ≈ 12 days).
const OCTAVES: i32 = 40;

/// The bin of `v` (non-negative), as the SQL expression computes it.
pub fn bin_of(v: f64) -> i64 {
    let lowest = 2f64.powi(MIN_EXP);
    if v.is_nan() || v < lowest {
        return 0;
    }
    let mut e = MIN_EXP;
    while e < MIN_EXP + OCTAVES - 1 && v >= 2f64.powi(e + 1) {
        e += 1;
    }
    let p = 2f64.powi(e);
    let j = (((v / p) - 1.0) * SUB_BINS as f64).floor() as i64;
    i64::from(e - MIN_EXP) * SUB_BINS + j.clamp(0, SUB_BINS - 1) + 1
}

/// The value a bin stands for: the middle of its range (0 for the zero bin).
pub fn bin_value(bin: i64) -> f64 {
    if bin <= 0 {
        return 0.0;
    }
    let e = MIN_EXP + ((bin - 1) / SUB_BINS) as i32;
    let j = (bin - 1) % SUB_BINS;
    let p = 2f64.powi(e);
    p * (1.0 + (j as f64 + 0.5) / SUB_BINS as f64)
}

/// SQL computing the bin of `column` (a non-negative double) as text, like `bin_of`: a balanced
/// `CASE` over the powers of two, then the linear bin inside the power.
pub fn bin_sql(column: &str, backend: DatabaseBackend) -> String {
    fn tree(column: &str, backend: DatabaseBackend, lo: i32, hi: i32) -> String {
        // Exponents [lo, hi): values in [2^lo, 2^hi).
        if hi - lo <= 1 {
            let p = 2f64.powi(lo);
            let base = i64::from(lo - MIN_EXP) * SUB_BINS + 1;
            let scaled = format!("(({column}) / {p:e} - 1) * {SUB_BINS}");
            // Non-negative: SQLite's CAST truncates (= floor), PostgreSQL's rounds.
            let floor = match backend {
                DatabaseBackend::Postgres => format!("CAST(FLOOR({scaled}) AS BIGINT)"),
                _ => format!("CAST({scaled} AS INTEGER)"),
            };
            return format!("({base} + {floor})");
        }
        let mid = (lo + hi) / 2;
        format!(
            "CASE WHEN ({column}) < {:e} THEN {} ELSE {} END",
            2f64.powi(mid),
            tree(column, backend, lo, mid),
            tree(column, backend, mid, hi)
        )
    }
    format!(
        "CAST(CASE WHEN ({column}) < {:e} THEN 0 ELSE {} END AS TEXT)",
        2f64.powi(MIN_EXP),
        tree(column, backend, MIN_EXP, MIN_EXP + OCTAVES)
    )
}

/// Percentiles (per mille, interpolated like `percentile_cont`) of the values counted in
/// `bins`: the two order statistics a percentile interpolates between are each estimated by
/// their bin's value, so the answer is within the bins' relative error of the exact one.
/// `None` when there are no values.
pub fn percentiles(bins: &BTreeMap<i64, i64>, per_mille: &[i64]) -> Option<Vec<f64>> {
    let n: i64 = bins.values().sum();
    if n <= 0 {
        return None;
    }
    // The value of the order statistic of 0-based rank `r`.
    let at = |r: i64| -> f64 {
        let mut seen = 0;
        for (bin, count) in bins {
            seen += count;
            if r < seen {
                return bin_value(*bin);
            }
        }
        bin_value(*bins.keys().last().unwrap_or(&0))
    };
    Some(
        per_mille
            .iter()
            .map(|p| {
                let pos = (n - 1) * p;
                let (lo, frac) = (pos / 1000, (pos % 1000) as f64 / 1000.0);
                let (a, b) = (at(lo), at((lo + 1).min(n - 1)));
                a + frac * (b - a)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact `percentile_cont`.
    fn exact(values: &mut [f64], p: f64) -> f64 {
        values.sort_by(f64::total_cmp);
        let pos = (values.len() - 1) as f64 * p;
        let lo = pos.floor() as usize;
        let hi = (lo + 1).min(values.len() - 1);
        values[lo] + (pos - lo as f64) * (values[hi] - values[lo])
    }

    fn sketched(values: &[f64], per_mille: i64) -> f64 {
        let mut bins = BTreeMap::new();
        for v in values {
            *bins.entry(bin_of(*v)).or_insert(0) += 1;
        }
        percentiles(&bins, &[per_mille]).unwrap()[0]
    }

    /// A deterministic xorshift stream in (0, 1).
    fn uniforms(seed: u64, n: usize) -> Vec<f64> {
        let mut x = seed;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                ((x >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            })
            .collect()
    }

    #[test]
    fn every_bin_value_is_within_the_stated_bound() {
        for v in [
            0.001,
            0.5,
            1.0,
            1.999,
            2.0,
            3.7,
            100.0,
            1234.5678,
            86_400_000.0,
        ] {
            let est = bin_value(bin_of(v));
            assert!((est - v).abs() / v <= 1.0 / 128.0 + 1e-12, "{v} → {est}");
        }
        assert_eq!(bin_value(bin_of(0.0)), 0.0);
        assert_eq!(bin_value(bin_of(0.0005)), 0.0);
    }

    #[test]
    fn percentiles_of_skewed_and_heavy_tailed_data_are_within_one_percent() {
        let u = uniforms(42, 50_000);
        // Log-normal latencies (median 400 ms, sigma 1.2), Pareto (alpha 1.1: heavy tail),
        // exponential, and a two-mode mix with a tail of timeouts.
        let lognormal: Vec<f64> = u
            .chunks(2)
            .map(|c| {
                let z = (-2.0 * c[0].ln()).sqrt() * (2.0 * std::f64::consts::PI * c[1]).cos();
                400.0 * (1.2 * z).exp()
            })
            .collect();
        let pareto: Vec<f64> = u.iter().map(|x| 10.0 / x.powf(1.0 / 1.1)).collect();
        let exponential: Vec<f64> = u.iter().map(|x| -250.0 * x.ln()).collect();
        let mixed: Vec<f64> = u
            .iter()
            .enumerate()
            .map(|(i, x)| match i % 20 {
                0 => 30_000.0 + x * 100.0,
                1..=9 => 5.0 + x * 3.0,
                _ => 800.0 + x * 400.0,
            })
            .collect();
        for (name, data) in [
            ("lognormal", lognormal),
            ("pareto", pareto),
            ("exponential", exponential),
            ("mixed", mixed),
        ] {
            for p in [500, 900, 950, 990, 999] {
                let want = exact(&mut data.clone(), p as f64 / 1000.0);
                let got = sketched(&data, p);
                let err = (got - want).abs() / want;
                assert!(
                    err <= 0.01,
                    "{name} p{p}: exact {want}, sketch {got} ({err})"
                );
            }
        }
    }

    #[test]
    fn the_sql_expression_is_built_for_each_database() {
        let pg = bin_sql("latency_ms", DatabaseBackend::Postgres);
        let lite = bin_sql("latency_ms", DatabaseBackend::Sqlite);
        assert!(pg.contains("FLOOR(") && !lite.contains("FLOOR("));
        assert!(pg.starts_with("CAST(CASE WHEN (latency_ms) < 9.765625e-4 THEN 0"));
    }
}
