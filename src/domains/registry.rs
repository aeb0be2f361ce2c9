//! Every dataset of every domain, by name. Apart from `datasets` (the machinery) so that the
//! machinery never imports the domains that describe their datasets with it.

use super::datasets::Dataset;

/// Every dataset, each domain's in dependency order (a dataset only references earlier ones).
pub fn all() -> impl Iterator<Item = &'static Dataset> {
    std::iter::once(&super::api_usage::ingest::REQUEST_LOGS)
        .chain(super::chat::ingest::DATASETS)
        .chain(super::publishing::ingest::DATASETS)
        .chain(super::executive::ingest::DATASETS)
        .chain(super::product::ingest::DATASETS)
}

/// The dataset with this name.
pub fn find(name: &str) -> Option<&'static Dataset> {
    all().find(|d| d.name == name)
}

/// The names of every dataset (for error messages).
pub fn names() -> Vec<&'static str> {
    all().map(|d| d.name).collect()
}

/// Every rollup (of the datasets that have one).
pub fn rollups() -> Vec<&'static crate::domains::rollups::Rollup> {
    all().filter_map(|ds| ds.rollup).collect()
}
