//! GraphQL spans follow OpenTelemetry's conventions (`graphql.operation.type`,
//! `graphql.operation.name`, `otel.name`) and never carry variables.

use crate::support::{Backend, TestApp};
use dashgate::kernel::Role;
use serde_json::json;
use std::sync::{Arc, Mutex};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing_subscriber::Layer;
use tracing_subscriber::layer::{Context, SubscriberExt};

/// Every field of every span, as `span.field = value` text.
#[derive(Clone, Default)]
struct Recorded(Arc<Mutex<Vec<String>>>);

struct Fields<'a>(&'a str, &'a Mutex<Vec<String>>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.1
            .lock()
            .unwrap()
            .push(format!("{}.{} = {value:?}", self.0, field.name()));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.1
            .lock()
            .unwrap()
            .push(format!("{}.{} = {value}", self.0, field.name()));
    }
}

impl<S: tracing::Subscriber + for<'a> tracing_subscriber::registry::LookupSpan<'a>> Layer<S>
    for Recorded
{
    fn on_new_span(&self, attrs: &Attributes<'_>, _: &Id, _: Context<'_, S>) {
        attrs.record(&mut Fields(attrs.metadata().name(), &self.0));
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id) {
            values.record(&mut Fields(span.name(), &self.0));
        }
    }
}

#[tokio::test]
async fn graphql_spans_name_the_operation_and_never_carry_variables() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let p = app.team("acme", "UTC", Role::Viewer).await;
    let token = format!("Bearer {}", app.token(&p));
    let recorded = Recorded::default();
    let subscriber = tracing_subscriber::registry().with(recorded.clone());
    let _guard = tracing::subscriber::set_default(subscriber);
    let body = json!({
        "query": "query Totals($tz: String) { apiUsage(window: {timezone: $tz}) { kpis { totalRequests { value } } } }",
        "operationName": "Totals",
        "variables": {"tz": "Asia/Kathmandu-SECRET-VARIABLE"},
    })
    .to_string();
    app.send(
        "POST",
        "/graphql",
        &[
            ("authorization", &token),
            ("content-type", "application/json"),
        ],
        body,
    )
    .await;
    let lines = recorded.0.lock().unwrap().clone();
    let has = |line: &str| lines.iter().any(|l| l == line);
    assert!(has("graphql.graphql.operation.type = query"), "{lines:#?}");
    assert!(has("graphql.graphql.operation.name = Totals"), "{lines:#?}");
    assert!(has("graphql.otel.name = query Totals"), "{lines:#?}");
    assert!(
        lines.iter().all(|l| !l.contains("SECRET-VARIABLE")),
        "{lines:#?}"
    );
}
