//! Reports how a request used the panel cache in `extensions.cache`.

use crate::kernel::cache::CacheReport;
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextPrepareRequest, NextRequest,
};
use async_graphql::{Request, Response, ServerResult, Value};
use std::sync::{Arc, Mutex};

/// Adds `extensions.cache = {hits, misses, computedAt}` to answers that read panels.
pub struct CacheReporting;

impl ExtensionFactory for CacheReporting {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(CacheReportingExtension {
            report: Mutex::new(None),
        })
    }
}

struct CacheReportingExtension {
    report: Mutex<Option<Arc<CacheReport>>>,
}

#[async_graphql::async_trait::async_trait]
impl Extension for CacheReportingExtension {
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let report = Arc::new(CacheReport::default());
        if let Ok(mut slot) = self.report.lock() {
            *slot = Some(report.clone());
        }
        next.run(ctx, request.data(report)).await
    }

    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        let report = self.report.lock().ok().and_then(|mut r| r.take());
        if let Some(report) = report {
            let json = report.to_json();
            if (json["hits"] != 0 || json["misses"] != 0)
                && let Ok(value) = Value::from_json(json)
            {
                response.extensions.insert("cache".into(), value);
            }
        }
        response
    }
}
