//! chat: chatbot usage — participants, sessions, messages, bots, engagement, channels and
//! tags (spec/chat.md). This increment holds the nine datasets and their ingestion; the
//! dashboard's metrics follow.

pub mod datasets;
pub mod ingest;
