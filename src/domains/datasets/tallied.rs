//! The units a write touches in the tallies that read its dataset (see `rollups::tally`):
//! named by the rows sent and by the stored rows they replace or that are deleted, collected
//! (and their contribution retracted) before the raw rows change, added back after.

use super::{Dataset, Row};
use crate::domains::rollups::Touched;
use crate::kernel::AppResult;
use crate::kernel::sql::get;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, Query};
use sea_orm::{ConnectionTrait, Value};

/// Keys per lookup of stored units.
const KEYS_PER_LOOKUP: usize = 500;

/// The units column `unit` of the team's stored rows with these keys.
async fn stored_units(
    db: &impl ConnectionTrait,
    team: i64,
    ds: &Dataset,
    unit: &str,
    keys: &[String],
) -> AppResult<Vec<String>> {
    let key = ds.key.column();
    if unit == key {
        return Ok(keys.to_vec());
    }
    let mut out = Vec::new();
    for chunk in keys.chunks(KEYS_PER_LOOKUP) {
        let select = Query::select()
            .column(Alias::new(unit))
            .from(Alias::new(ds.name))
            .and_where(Expr::col(Alias::new("team_id")).eq(team))
            .and_where(Expr::col(Alias::new(key)).is_in(chunk.iter().cloned()))
            .and_where(Expr::col(Alias::new(unit)).is_not_null())
            .to_owned();
        for row in db.query_all(&select).await? {
            out.push(get::<String>(&row, 0)?);
        }
    }
    Ok(out)
}

/// The units column `unit` of the rows sent.
fn sent_units(ds: &Dataset, unit: &str, rows: &[&Row]) -> Vec<String> {
    if unit == ds.key.column() {
        return rows.iter().map(|r| r.id.clone()).collect();
    }
    let Some(i) = ds.fields.iter().position(|f| f.column() == unit) else {
        unreachable!("tally unit {unit} is not a column of {}", ds.name)
    };
    rows.iter()
        .filter_map(|r| match &r.values[i] {
            Value::String(Some(s)) => Some(s.clone()),
            _ => None,
        })
        .collect()
}

/// Before `rows` are written (`update`: they may replace stored rows): every unit they name
/// or their stored versions name, retracted.
pub async fn before_put(
    db: &impl ConnectionTrait,
    team: i64,
    ds: &Dataset,
    rows: &[&Row],
    update: bool,
) -> AppResult<Touched> {
    let mut touched = Touched::default();
    for tally in ds.tallies {
        let unit = tally.unit_of(ds.name).expect("a tally names its datasets");
        let mut units = sent_units(ds, unit, rows);
        if update {
            let keys: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            units.extend(stored_units(db, team, ds, unit, &keys).await?);
        }
        touched.retract(db, tally, team, units).await?;
    }
    Ok(touched)
}

/// Before the team's rows with these keys are deleted: the units they name, retracted.
pub async fn before_delete(
    db: &impl ConnectionTrait,
    team: i64,
    ds: &Dataset,
    keys: &[String],
) -> AppResult<Touched> {
    let mut touched = Touched::default();
    for tally in ds.tallies {
        let unit = tally.unit_of(ds.name).expect("a tally names its datasets");
        let units = stored_units(db, team, ds, unit, keys).await?;
        touched.retract(db, tally, team, units).await?;
    }
    Ok(touched)
}
