//! The GraphQL schema: root objects of every domain merged, limits and error codes.

pub mod bounds;
pub mod dashboard;
mod expansion;
pub mod info;
mod limits;
pub mod live;
mod order;
mod report;
mod system;

use crate::domains::api_usage::ApiUsageRoot;
use crate::domains::chat::ChatRoot;
use crate::domains::executive::ExecutiveRoot;
use crate::domains::product::ProductRoot;
use crate::domains::publishing::PublishingRoot;
use crate::presets::{PresetsMutation, PresetsQuery};
use crate::state::AppState;
use async_graphql::{MergedObject, Schema, SchemaBuilder};
use live::LiveRoot;

pub use limits::{Limits, operation_of};

/// The root query: one root field per dashboard plus the system fields.
#[derive(MergedObject, Default)]
pub struct Query(
    system::SystemQuery,
    ApiUsageRoot,
    ChatRoot,
    PublishingRoot,
    ExecutiveRoot,
    ProductRoot,
    PresetsQuery,
);

/// The root mutation.
#[derive(MergedObject, Default)]
pub struct Mutation(PresetsMutation);

pub type DashgateSchema = Schema<Query, Mutation, LiveRoot>;

fn builder() -> SchemaBuilder<Query, Mutation, LiveRoot> {
    Schema::build(Query::default(), Mutation::default(), LiveRoot)
}

/// The executable schema with the state and every limit installed.
pub fn build_schema(state: &AppState) -> DashgateSchema {
    let s = &state.settings;
    builder()
        .data(state.clone())
        .limit_depth(s.max_depth)
        .limit_complexity(s.max_complexity)
        .extension(report::CacheReporting)
        .extension(Limits {
            bounds: bounds::DocumentBounds::of(s),
            max_aliases: s.max_aliases,
            max_root_fields: s.max_root_fields,
            max_expanded_fields: s.max_expanded_fields,
        })
        .finish()
}

/// The schema in SDL, as committed in `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
