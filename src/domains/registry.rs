//! Every table-driven dataset of every domain, by name. Apart from `tables` (the machinery)
//! so that the machinery never imports the domains that describe their datasets with it.

use super::tables::Dataset;

/// Every table-driven dataset of every domain.
pub fn all() -> impl Iterator<Item = &'static Dataset> {
    super::chat::ingest::DATASETS
        .iter()
        .chain(super::publishing::ingest::DATASETS)
        .chain(super::executive::ingest::DATASETS)
        .chain(super::product::ingest::DATASETS)
}

/// The table-driven dataset with this name.
pub fn find(name: &str) -> Option<&'static Dataset> {
    all().find(|d| d.name == name)
}
