//! Query limits beyond async-graphql's depth and complexity, and stable error codes for
//! every error the GraphQL layer itself raises.

use super::bounds::DocumentBounds;
use super::info::{Phase, RequestInfo};
use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextPrepareRequest,
    NextRequest, NextValidation,
};
use async_graphql::parser::types::{ExecutableDocument, OperationType, Selection, SelectionSet};
use async_graphql::{Request, Response, ServerError, ServerResult, ValidationResult, Variables};
use std::any::TypeId;
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// Document bounds (before parsing), alias and root-field limits, plus error-code tagging.
pub struct Limits {
    pub bounds: DocumentBounds,
    pub max_aliases: usize,
    pub max_root_fields: usize,
    /// Most fields an operation (or fragment) selects once fragments are expanded.
    pub max_expanded_fields: usize,
}

impl ExtensionFactory for Limits {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(LimitsExtension {
            bounds: self.bounds,
            max_aliases: self.max_aliases,
            max_root_fields: self.max_root_fields,
            max_expanded_fields: self.max_expanded_fields,
            document: Mutex::new(None),
            operation: Mutex::new(None),
        })
    }
}

/// Created per request: it keeps the parsed document to restore the response's field order.
struct LimitsExtension {
    bounds: DocumentBounds,
    max_aliases: usize,
    max_root_fields: usize,
    max_expanded_fields: usize,
    document: Mutex<Option<ExecutableDocument>>,
    operation: Mutex<Option<String>>,
}

/// Sets `extensions.code` on an error that has none.
pub fn with_code(mut err: ServerError, code: &str) -> ServerError {
    let has_code = err
        .extensions
        .as_ref()
        .is_some_and(|e| e.get("code").is_some());
    if !has_code {
        let mut ext = err.extensions.take().unwrap_or_default();
        ext.set("code", code);
        err.extensions = Some(ext);
    }
    err
}

/// The parser quotes the offending line whole and validation quotes names as sent; a long
/// line or name would make the error as large as the document. Keep the first part.
fn shorten(mut err: ServerError) -> ServerError {
    const MAX: usize = 500;
    if err.message.len() > MAX {
        let mut cut = MAX;
        while !err.message.is_char_boundary(cut) {
            cut -= 1;
        }
        err.message.truncate(cut);
        err.message.push_str(" … (shortened; see `locations`)");
    }
    err
}

/// The operation a request runs: the one named `name`, or the first.
pub fn selected_operation<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<(
    Option<&'d async_graphql::Name>,
    &'d async_graphql::Positioned<async_graphql::parser::types::OperationDefinition>,
)> {
    doc.operations.iter().find(|(n, _)| match name {
        Some(wanted) => n.map(|n| n.as_str()) == Some(wanted),
        None => true,
    })
}

/// The type and name of the operation `name` selects in `doc` (the only one when unnamed).
pub fn operation_of<'d>(
    doc: &'d ExecutableDocument,
    name: Option<&str>,
) -> Option<(&'static str, Option<&'d str>)> {
    let (op_name, op) = selected_operation(doc, name)?;
    let kind = match op.node.ty {
        OperationType::Query => "query",
        OperationType::Mutation => "mutation",
        OperationType::Subscription => "subscription",
    };
    Some((kind, op_name.map(|n| n.as_str())))
}

fn count_aliases(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => {
                usize::from(f.node.alias.is_some()) + count_aliases(&f.node.selection_set.node)
            }
            Selection::InlineFragment(f) => count_aliases(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 0,
        })
        .sum()
}

fn count_root_fields(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(_) | Selection::FragmentSpread(_) => 1,
            Selection::InlineFragment(f) => count_root_fields(&f.node.selection_set.node),
        })
        .sum()
}

fn check(
    doc: &ExecutableDocument,
    max_aliases: usize,
    max_root_fields: usize,
) -> Result<(), String> {
    let mut aliases: usize = doc
        .fragments
        .values()
        .map(|f| count_aliases(&f.node.selection_set.node))
        .sum();
    for (_, op) in doc.operations.iter() {
        aliases += count_aliases(&op.node.selection_set.node);
        let roots = count_root_fields(&op.node.selection_set.node);
        if roots > max_root_fields {
            return Err(format!(
                "an operation selects {roots} root fields; the limit is {max_root_fields}"
            ));
        }
    }
    if aliases > max_aliases {
        return Err(format!(
            "the query uses {aliases} aliases; the limit is {max_aliases}"
        ));
    }
    Ok(())
}

#[async_graphql::async_trait::async_trait]
impl Extension for LimitsExtension {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let mut response = next.run(ctx).await;
        // Whatever slipped through without a code is a problem with the request itself
        // (e.g. an argument that failed to coerce): internal failures always carry `INTERNAL`.
        response.errors = response
            .errors
            .into_iter()
            .map(|e| with_code(shorten(e), "BAD_USER_INPUT"))
            .collect();
        let document = self.document.lock().ok().and_then(|mut d| d.take());
        if let Some(doc) = document {
            let operation = self.operation.lock().ok().and_then(|mut o| o.take());
            super::order::reorder(&mut response.data, &doc, operation.as_deref());
        }
        response
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        if let Ok(mut op) = self.operation.lock() {
            *op = operation_name.map(str::to_string);
        }
        let started = Instant::now();
        let response = next.run(ctx, operation_name).await;
        if let Some(info) = ctx.data_opt::<Arc<RequestInfo>>() {
            info.add(Phase::Execute, started.elapsed());
        }
        response
    }

    /// Everything about the document that must hold before async-graphql touches it: its
    /// bounds (before the recursive parser), its parse, and the alias, root-field and
    /// expanded-size limits. async-graphql's own recursion-depth check and validation both walk
    /// fragments as if expanded, so they run only on a document that passed here; the parsed
    /// document is handed on in the request and not parsed again.
    async fn prepare_request(
        &self,
        ctx: &ExtensionContext<'_>,
        mut request: Request,
        next: NextPrepareRequest<'_>,
    ) -> ServerResult<Request> {
        let tooled = |e: String| with_code(ServerError::new(e, None), "QUERY_TOO_COMPLEX");
        self.bounds
            .check(&request.query)
            .map_err(|e| tooled(e.message()))?;
        let info = request
            .data
            .get(&TypeId::of::<Arc<RequestInfo>>())
            .and_then(|d| d.downcast_ref::<Arc<RequestInfo>>())
            .cloned();
        let started = Instant::now();
        let parsed = request.parsed_query().map(|_| ());
        if let Some(info) = &info {
            info.add(Phase::Parse, started.elapsed());
        }
        parsed.map_err(|e| with_code(e, "GRAPHQL_PARSE_FAILED"))?;
        let name = request.operation_name.clone();
        let doc = request.parsed_query()?;
        if let Some(info) = &info
            && let Some((kind, op)) = operation_of(doc, name.as_deref().or(info.requested_name()))
        {
            info.set_operation(kind, op);
        }
        check(doc, self.max_aliases, self.max_root_fields).map_err(tooled)?;
        super::expansion::check(doc, self.max_expanded_fields).map_err(|e| {
            let code = match e {
                super::expansion::ExpansionError::TooLarge { .. } => "QUERY_TOO_COMPLEX",
                super::expansion::ExpansionError::Cycle { .. } => "GRAPHQL_VALIDATION_FAILED",
            };
            with_code(ServerError::new(e.message(), None), code)
        })?;
        if let Ok(mut slot) = self.document.lock() {
            *slot = Some(doc.clone());
        }
        next.run(ctx, request).await
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        // The document was parsed in `prepare_request`; what can fail here is async-graphql's
        // recursion-depth check (fragments spreading fragments more than 32 deep).
        next.run(ctx, query, variables).await.map_err(|e| {
            let code = if e.message.contains("recursion depth") {
                "QUERY_TOO_COMPLEX"
            } else {
                "GRAPHQL_PARSE_FAILED"
            };
            with_code(e, code)
        })
    }

    async fn validation(
        &self,
        ctx: &ExtensionContext<'_>,
        next: NextValidation<'_>,
    ) -> Result<ValidationResult, Vec<ServerError>> {
        let started = Instant::now();
        let result = next.run(ctx).await;
        if let Some(info) = ctx.data_opt::<Arc<RequestInfo>>() {
            info.add(Phase::Validate, started.elapsed());
        }
        result.map_err(|errors| {
            errors
                .into_iter()
                .map(|e| {
                    let limit =
                        e.message.contains("too complex") || e.message.contains("nested too deep");
                    with_code(
                        e,
                        if limit {
                            "QUERY_TOO_COMPLEX"
                        } else {
                            "GRAPHQL_VALIDATION_FAILED"
                        },
                    )
                })
                .collect()
        })
    }
}
