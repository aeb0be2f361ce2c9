//! Identifiers of the product tables for query building (created by
//! `migration::m0007_product`). Instants are epoch ms; `properties` is JSON text.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub enum ProductEvents {
    Table,
    TeamId,
    Id,
    UserId,
    Identity,
    EventName,
    EventTimeMs,
    Channel,
    Region,
    Platform,
    Properties,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum ProductMemberships {
    Table,
    TeamId,
    UserId,
    PlanType,
    StartAtMs,
    ExpireAtMs,
    Status,
    Amount,
}
