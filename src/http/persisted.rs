//! Persisted documents: `documentId` (GraphQL-over-HTTP) and Apollo's automatic persisted
//! queries (`extensions.persistedQuery.sha256Hash`), plus an optional trusted-documents mode in
//! which only the operations of a manifest run.

use moka::sync::Cache;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;

/// A document the manifest lists.
#[derive(Debug, Clone)]
pub struct Trusted {
    pub body: Arc<str>,
    /// The operation's name in the manifest (bounded, so fit for metrics labels).
    pub name: Option<String>,
}

/// Bytes of registered documents kept at most (their text plus `ENTRY_OVERHEAD` each).
pub const REGISTERED_BYTES: u64 = 16 << 20;
/// What an entry costs beyond its text (key, bookkeeping): bounds the number of entries too.
const ENTRY_OVERHEAD: u64 = 512;
/// Documents longer than this run but are not registered.
pub const MAX_REGISTERED_DOCUMENT: usize = 64 << 10;

/// The documents a gateway knows by id.
pub struct PersistedDocuments {
    /// Trusted mode: the manifest's documents by id (and by the SHA-256 of their body).
    trusted: Option<HashMap<String, Trusted>>,
    /// Documents registered by clients through Apollo's protocol (not in trusted mode).
    registered: Cache<String, Arc<str>>,
}

/// Why a request's document could not be found or may not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PersistError {
    /// The id or hash is unknown (an APQ client then sends the document with its hash).
    NotFound,
    /// The hash sent with a document is not the document's SHA-256.
    HashMismatch,
    /// Trusted mode: the document is not in the manifest.
    NotTrusted,
    /// The request names no document at all.
    Missing,
}

impl PersistError {
    /// The error code and message for the client.
    pub fn code_and_message(&self) -> (&'static str, &'static str) {
        match self {
            PersistError::NotFound => (
                "PERSISTED_QUERY_NOT_FOUND",
                "PersistedQueryNotFound: send the document with its hash",
            ),
            PersistError::HashMismatch => (
                "BAD_REQUEST",
                "the persisted query hash is not the SHA-256 of the document",
            ),
            PersistError::NotTrusted => (
                "OPERATION_NOT_TRUSTED",
                "only the operations of the trusted-documents manifest may run here",
            ),
            PersistError::Missing => (
                "BAD_REQUEST",
                "send a GraphQL document in `query` (or a `documentId`)",
            ),
        }
    }
}

/// The document a request runs, and its trusted name when it came from the manifest.
pub struct Resolved {
    pub query: String,
    pub trusted_name: Option<String>,
    /// The client asked to register the document under this hash (Apollo's protocol): the
    /// handler calls `register` once the caller is authenticated and the document has parsed.
    pub to_register: Option<String>,
}

/// The SHA-256 of a document, as lower-case hex.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl PersistedDocuments {
    /// Without a manifest: any document runs, and clients may register theirs by hash.
    pub fn open() -> Self {
        PersistedDocuments {
            trusted: None,
            // Weighed by bytes: a cap on entries alone let 10 000 one-megabyte documents in.
            registered: Cache::builder()
                .max_capacity(REGISTERED_BYTES)
                .weigher(|_: &String, doc: &Arc<str>| {
                    (doc.len() as u64 + ENTRY_OVERHEAD).min(u64::from(u32::MAX)) as u32
                })
                .time_to_idle(std::time::Duration::from_secs(24 * 3600))
                .build(),
        }
    }

    /// Trusted mode over a manifest: Apollo's persisted-query manifest
    /// (`{"format": "apollo-persisted-query-manifest", "operations": [{id, name, body}]}`)
    /// or a plain object of id → document.
    pub fn trusted(manifest: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(manifest).map_err(|e| format!("not JSON: {e}"))?;
        let mut docs = HashMap::new();
        let mut add = |id: String, body: &str, name: Option<String>| {
            let doc = Trusted {
                body: Arc::from(body),
                name,
            };
            docs.insert(sha256_hex(body), doc.clone());
            docs.insert(id, doc);
        };
        match value.get("operations").and_then(Value::as_array) {
            Some(ops) => {
                for op in ops {
                    let body = op["body"].as_str().ok_or("an operation without `body`")?;
                    let id = op["id"]
                        .as_str()
                        .map_or_else(|| sha256_hex(body), str::to_string);
                    add(id, body, op["name"].as_str().map(str::to_string));
                }
            }
            None => {
                let map = value
                    .as_object()
                    .ok_or("expected an object of id → document, or Apollo's manifest")?;
                for (id, body) in map {
                    let body = body.as_str().ok_or("every document must be a string")?;
                    add(id.clone(), body, None);
                }
            }
        }
        if docs.is_empty() {
            return Err("the manifest lists no operation".into());
        }
        Ok(PersistedDocuments {
            trusted: Some(docs),
            registered: Cache::new(0),
        })
    }

    /// Whether only manifest operations may run.
    pub fn is_trusted_mode(&self) -> bool {
        self.trusted.is_some()
    }

    fn lookup(&self, id: &str) -> Option<Resolved> {
        let id = id.strip_prefix("sha256:").unwrap_or(id);
        if let Some(trusted) = &self.trusted {
            return trusted.get(id).map(|t| Resolved {
                query: t.body.to_string(),
                trusted_name: t.name.clone(),
                to_register: None,
            });
        }
        self.registered.get(id).map(|q| Resolved {
            query: q.to_string(),
            trusted_name: None,
            to_register: None,
        })
    }

    /// Keeps a document under its hash, for later requests by hash. The caller registers only
    /// for an authenticated client whose document parsed: nothing an anonymous client sends
    /// is kept.
    pub fn register(&self, digest: String, query: &str) {
        self.registered.insert(digest, Arc::from(query));
    }

    /// Bytes held by registered documents (their weight), for tests and metrics.
    pub fn registered_bytes(&self) -> u64 {
        self.registered.run_pending_tasks();
        self.registered.weighted_size()
    }

    /// The document of a request: its `query`, its `documentId`, or its APQ hash.
    pub fn resolve(
        &self,
        query: Option<String>,
        document_id: Option<&str>,
        extensions: Option<&Value>,
    ) -> Result<Resolved, PersistError> {
        let hash = extensions
            .and_then(|e| e.get("persistedQuery"))
            .and_then(|p| p.get("sha256Hash"))
            .and_then(Value::as_str);
        let query = query.filter(|q| !q.is_empty());
        match (query, document_id.or(hash)) {
            (None, Some(id)) => self.lookup(id).ok_or(PersistError::NotFound),
            (Some(query), id) => {
                let digest = sha256_hex(&query);
                // An id sent beside the document must name it: its hash, or (trusted mode) the
                // manifest's id of the same text.
                if let Some(id) = id {
                    let bare = id.strip_prefix("sha256:").unwrap_or(id);
                    let names_it = bare.eq_ignore_ascii_case(&digest)
                        || self
                            .trusted
                            .as_ref()
                            .and_then(|t| t.get(bare))
                            .is_some_and(|t| *t.body == *query);
                    if !names_it {
                        return Err(PersistError::HashMismatch);
                    }
                }
                match &self.trusted {
                    Some(trusted) => {
                        let t = trusted.get(&digest).ok_or(PersistError::NotTrusted)?;
                        Ok(Resolved {
                            query,
                            trusted_name: t.name.clone(),
                            to_register: None,
                        })
                    }
                    None => Ok(Resolved {
                        to_register: (id.is_some() && query.len() <= MAX_REGISTERED_DOCUMENT)
                            .then_some(digest),
                        query,
                        trusted_name: None,
                    }),
                }
            }
            (None, None) => Err(PersistError::Missing),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apq_registers_a_document_by_its_hash_then_runs_it_by_hash() {
        let docs = PersistedDocuments::open();
        let q = "{ health }";
        let h = sha256_hex(q);
        let ext = serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": h}});
        assert_eq!(
            docs.resolve(None, None, Some(&ext)).err(),
            Some(PersistError::NotFound)
        );
        let sent = docs.resolve(Some(q.into()), None, Some(&ext)).unwrap();
        // Nothing is kept until the caller registers it (after authentication and parsing).
        assert_eq!(
            docs.resolve(None, None, Some(&ext)).err(),
            Some(PersistError::NotFound)
        );
        docs.register(sent.to_register.unwrap(), &sent.query);
        assert_eq!(docs.resolve(None, None, Some(&ext)).unwrap().query, q);
        assert_eq!(
            docs.resolve(None, Some(&format!("sha256:{h}")), None)
                .unwrap()
                .query,
            q
        );
        let wrong = serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": "00"}});
        assert_eq!(
            docs.resolve(Some(q.into()), None, Some(&wrong)).err(),
            Some(PersistError::HashMismatch)
        );
        // A `documentId` beside the document must be its hash too.
        assert_eq!(
            docs.resolve(Some(q.into()), Some("sha256:00ff"), None)
                .err(),
            Some(PersistError::HashMismatch)
        );
        assert!(
            docs.resolve(Some(q.into()), Some(&format!("sha256:{h}")), None)
                .is_ok()
        );
    }

    #[test]
    fn registered_documents_are_capped_by_bytes() {
        let docs = PersistedDocuments::open();
        let padding = "#".repeat(60 << 10);
        for i in 0..600 {
            let q = format!("{{ health }} # {i}\n{padding}");
            let ext =
                serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(&q)}});
            let r = docs.resolve(Some(q), None, Some(&ext)).unwrap();
            docs.register(r.to_register.unwrap(), &r.query);
        }
        assert!(docs.registered_bytes() <= REGISTERED_BYTES);
        // Over the per-document size it runs but is not kept.
        let big = format!("{{ health }} {}", "#".repeat(MAX_REGISTERED_DOCUMENT));
        let ext =
            serde_json::json!({"persistedQuery": {"version": 1, "sha256Hash": sha256_hex(&big)}});
        assert!(
            docs.resolve(Some(big), None, Some(&ext))
                .unwrap()
                .to_register
                .is_none()
        );
    }

    #[test]
    fn trusted_mode_runs_only_manifest_documents() {
        let manifest = r#"{"format":"apollo-persisted-query-manifest","version":1,
            "operations":[{"id":"abc","name":"Health","type":"query","body":"query Health { health }"}]}"#;
        let docs = PersistedDocuments::trusted(manifest).unwrap();
        let r = docs.resolve(None, Some("abc"), None).unwrap();
        assert_eq!(
            (r.query.as_str(), r.trusted_name.as_deref()),
            ("query Health { health }", Some("Health"))
        );
        // The same text sent in full is trusted too; anything else is not.
        assert!(
            docs.resolve(Some("query Health { health }".into()), None, None)
                .is_ok()
        );
        assert_eq!(
            docs.resolve(Some("{ health }".into()), None, None).err(),
            Some(PersistError::NotTrusted)
        );
        assert_eq!(
            docs.resolve(None, Some("zzz"), None).err(),
            Some(PersistError::NotFound)
        );
        let plain = PersistedDocuments::trusted(r#"{"q1": "{ health }"}"#).unwrap();
        assert!(plain.resolve(None, Some("q1"), None).is_ok());
        assert!(PersistedDocuments::trusted("[]").is_err());
    }
}
