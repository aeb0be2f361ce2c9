//! Saved filter presets: a named window and filter for one dashboard, personal or shared with
//! the team, applied to a dashboard with `presetId`.

pub mod entity;
pub mod graphql;
pub mod model;
pub mod service;

pub use graphql::{PresetsMutation, PresetsQuery};
pub use model::{DashboardKind, Preset, PresetFilter, PresetVisibility, UserError};
