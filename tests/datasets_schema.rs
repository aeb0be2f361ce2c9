//! Every dataset description matches its migrated table on both databases: the same columns,
//! with the same storage types, nullability and primary key — a migration and a description
//! can never drift apart unnoticed.

use crate::both_dbs;
use crate::support::{Backend, TestApp};
use dashgate::domains::datasets::ColType;
use dashgate::domains::registry;
use sea_orm::{ConnectionTrait, Statement};
use std::collections::BTreeMap;

/// A column as the database reports it: type family, nullable, part of the primary key.
type Columns = BTreeMap<String, (Option<ColType>, bool, bool)>;

fn family(sql_type: &str) -> Option<ColType> {
    let t = sql_type.to_ascii_lowercase();
    Some(
        if t.starts_with("character varying") || t.starts_with("varchar") || t == "text" {
            ColType::Text
        } else if t == "bigint" {
            ColType::BigInt
        } else if t == "integer" || t == "int" {
            ColType::Int
        } else if t.starts_with("double") || t == "real" {
            ColType::Double
        } else if t == "boolean" || t == "bool" {
            ColType::Bool
        } else {
            return None;
        },
    )
}

async fn columns(app: &TestApp, table: &str) -> Columns {
    let backend = app.state.db.get_database_backend();
    let sql = match app.backend {
        Backend::Postgres => format!(
            "SELECT c.column_name AS name, c.data_type AS ty, (c.is_nullable = 'YES') AS nullable,
                EXISTS (SELECT 1 FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid
                    AND a.attnum = ANY(i.indkey) WHERE i.indrelid = to_regclass('{table}')
                    AND i.indisprimary AND a.attname = c.column_name) AS pk
             FROM information_schema.columns c
             WHERE c.table_schema = current_schema() AND c.table_name = '{table}'"
        ),
        Backend::Sqlite => format!(
            "SELECT name, type AS ty, (\"notnull\" = 0) AS nullable, (pk > 0) AS pk FROM pragma_table_info('{table}')"
        ),
    };
    let rows = app
        .state
        .db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            let name: String = r.try_get("", "name").unwrap();
            let ty: String = r.try_get("", "ty").unwrap();
            let nullable: bool = r.try_get("", "nullable").unwrap();
            let pk: bool = r.try_get("", "pk").unwrap();
            (name, (family(&ty), nullable, pk))
        })
        .collect()
}

both_dbs! {
    async fn every_dataset_description_matches_its_migrated_table(app) {
        let mut drift = Vec::new();
        for ds in registry::all() {
            let mut found = columns(&app, ds.name).await;
            if found.is_empty() {
                drift.push(format!("{}: no such table", ds.name));
                continue;
            }
            let key = ["team_id", ds.key.column()];
            for (name, ty, nullable) in ds.columns() {
                let Some((db_ty, db_nullable, db_pk)) = found.remove(&name) else {
                    drift.push(format!("{}.{name}: described but not in the table", ds.name));
                    continue;
                };
                // SQLite has one integer storage type for both widths.
                let ty = match (app.backend, ty) {
                    (Backend::Sqlite, ColType::Int) => ColType::BigInt,
                    _ => ty,
                };
                let db_ty = match (app.backend, db_ty) {
                    (Backend::Sqlite, Some(ColType::Int)) => Some(ColType::BigInt),
                    _ => db_ty,
                };
                if db_ty != Some(ty) {
                    drift.push(format!("{}.{name}: described as {ty:?}, stored as {db_ty:?}", ds.name));
                }
                // Primary-key columns are never null, whatever SQLite reports for them.
                if db_nullable != nullable && (nullable || !db_pk) {
                    drift.push(format!("{}.{name}: described nullable={nullable}, stored nullable={db_nullable}", ds.name));
                }
                if db_pk != key.contains(&name.as_str()) {
                    drift.push(format!("{}.{name}: primary key differs (stored: {db_pk})", ds.name));
                }
            }
            for name in found.keys() {
                drift.push(format!("{}.{name}: in the table but not described", ds.name));
            }
        }
        assert!(drift.is_empty(), "dataset descriptions drifted from the schema:\n{}", drift.join("\n"));
    }
}

both_dbs! {
    async fn every_reference_column_is_indexed_after_the_team(app) {
        // Deleting a referenced row looks up the rows naming it; unindexed, a large delete
        // scanned the team's rows once per chunk of keys.
        use dashgate::domains::datasets::Kind;
        let backend = app.state.db.get_database_backend();
        let mut missing = Vec::new();
        for ds in registry::all() {
            for field in ds.fields {
                if !matches!(field.kind, Kind::Ref(_) | Kind::OptRef(_)) {
                    continue;
                }
                let name = format!("idx_{}_team_{}", ds.name, field.column());
                let sql = match app.backend {
                    Backend::Sqlite => format!("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = '{name}'"),
                    Backend::Postgres => format!("SELECT COUNT(*) AS n FROM pg_indexes WHERE schemaname = current_schema() AND indexname = '{name}'"),
                };
                let row = app.state.db.query_one_raw(Statement::from_string(backend, sql)).await.unwrap().unwrap();
                if row.try_get::<i64>("", "n").unwrap() != 1 {
                    missing.push(name);
                }
            }
        }
        assert!(missing.is_empty(), "reference columns without an index: {missing:?}");
    }
}
