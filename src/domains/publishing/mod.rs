//! publishing: the video publishing pipeline — videos, clips, jobs, campaigns and publish logs
//! (spec/publishing.md). This increment holds the five datasets and their ingestion; the
//! dashboard's panels follow.

pub mod datasets;
