//! Table-driven schema: a table is its name, its columns after `team_id`/`id`, and the columns
//! indexed after `team_id`; a table is keyed by `(team_id, id)` (or another key column). Mirrors
//! `dashgate::domains::tables` (the descriptions that drive ingestion).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// Column kinds.
pub enum C {
    Str(u32),
    OptStr(u32),
    Bool,
    Ms,
    OptMs,
    Number,
    OptNumber,
    Text,
}

/// A table: name, columns after `team_id`/`id`, and columns indexed after `team_id`.
pub type TableDef = (
    &'static str,
    &'static [(&'static str, C)],
    &'static [&'static str],
);

/// Creates every table of `tables` with its primary key `(team_id, id)` and indexes.
pub async fn create_tables(manager: &SchemaManager<'_>, tables: &[TableDef]) -> Result<(), DbErr> {
    create_keyed_tables(manager, "id", 64, tables).await
}

/// Creates every table of `tables`, keyed by `(team_id, <key>)` (a string of `key_len`).
pub async fn create_keyed_tables(
    manager: &SchemaManager<'_>,
    key: &str,
    key_len: u32,
    tables: &[TableDef],
) -> Result<(), DbErr> {
    for (table, columns, indexes) in tables {
        let mut create = Table::create();
        create
            .table(Alias::new(*table))
            .if_not_exists()
            .col(big_integer(Alias::new("team_id")))
            .col(string_len(Alias::new(key), key_len));
        for (name, kind) in columns.iter() {
            let n = Alias::new(*name);
            create.col(match kind {
                C::Str(len) => string_len(n, *len),
                C::OptStr(len) => string_len_null(n, *len),
                C::Bool => boolean(n),
                C::Ms => big_integer(n),
                C::OptMs => big_integer_null(n),
                C::Number => double(n),
                C::OptNumber => double_null(n),
                C::Text => text(n),
            });
        }
        create.primary_key(
            Index::create()
                .col(Alias::new("team_id"))
                .col(Alias::new(key)),
        );
        manager.create_table(create.to_owned()).await?;
        for column in indexes.iter() {
            manager
                .create_index(
                    Index::create()
                        .if_not_exists()
                        .name(format!("idx_{table}_team_{column}"))
                        .table(Alias::new(*table))
                        .col(Alias::new("team_id"))
                        .col(Alias::new(*column))
                        .to_owned(),
                )
                .await?;
        }
    }
    Ok(())
}
