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

/// Every tally (of the datasets they read; each once).
pub fn tallies() -> Vec<&'static crate::domains::rollups::Tally> {
    let mut out: Vec<&'static crate::domains::rollups::Tally> = Vec::new();
    for tally in all().flat_map(|ds| ds.tallies.iter().copied()) {
        if !out.iter().any(|t| t.table == tally.table) {
            out.push(tally);
        }
    }
    out
}

/// The dashboard that reads a dataset — the prefix of its panels' names. Each domain's
/// datasets feed its own dashboard only, so a batch into one leaves the others' cached panels
/// valid. `None` for a dataset no dashboard owns (callers then treat the whole team as changed).
pub fn dashboard_of(dataset: &str) -> Option<&'static str> {
    let owns = |datasets: &[Dataset]| datasets.iter().any(|d| d.name == dataset);
    if super::api_usage::ingest::REQUEST_LOGS.name == dataset {
        Some("apiUsage")
    } else if owns(super::chat::ingest::DATASETS) {
        Some("chat")
    } else if owns(super::publishing::ingest::DATASETS) {
        Some("publishing")
    } else if owns(super::executive::ingest::DATASETS) {
        Some("executive")
    } else if owns(super::product::ingest::DATASETS) {
        Some("product")
    } else {
        None
    }
}
