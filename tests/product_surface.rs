//! Presets, export and isolation cover the product dashboard (both databases), over the growth
//! fixture of `product_growth.rs`.

use crate::both_dbs;
use crate::export::export;
use crate::product_growth::rows;
use crate::support::product_fixture::{ev, inline_telemetry, product};
use axum::http::StatusCode;
use dashgate::kernel::Role;
use serde_json::{Value, json};

fn totals(d: &Value) -> Vec<i64> {
    d["growth"]["activeUsersBySegment"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["total"].as_i64().unwrap())
        .collect()
}

const SEGMENTS: &str = "growth { activeUsersBySegment { total } }";

both_dbs! {
    async fn product_presets_apply_and_explicit_lists_win(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_events", &rows()).await;
        let created = app.data(&p, r#"mutation { createFilterPreset(input: { dashboard: PRODUCT,
            name: "Organic", window: {preset: LAST_7_DAYS}, product: {channels: [" Organic "]} }) {
            preset { id dashboard product { channels regions platforms } } userErrors { code } } }"#).await;
        let preset = &created["createFilterPreset"]["preset"];
        assert_eq!(preset["product"], json!({"channels": ["organic"], "regions": [], "platforms": []}));
        let id = preset["id"].as_str().unwrap();
        let filtered = product(&app, &p, &format!(r#"presetId: "{id}""#), SEGMENTS, None).await;
        assert_eq!(totals(&filtered), [3, 2, 4, 2, 2, 1, 2]);
        let all = product(&app, &p, &format!(r#"presetId: "{id}", filter: {{channels: []}}"#), SEGMENTS, None).await;
        assert_eq!(totals(&all), [3, 2, 4, 2, 2, 2, 3]);
        let wrong = r#"mutation { createFilterPreset(input: { dashboard: PRODUCT, name: "C", chat: {platforms: ["web"]} }) { userErrors { code } } }"#;
        assert_eq!(app.data(&p, wrong).await["createFilterPreset"]["userErrors"][0]["code"], "WRONG_DASHBOARD_FILTER");
        let r = app.gql(Some(&p), &format!(r#"{{ apiUsage(presetId: "{id}") {{ window {{ preset }} }} }}"#)).await;
        assert_eq!(r["errors"][0]["extensions"]["field"], "presetId", "{r:#}");
    }

    async fn product_panels_export_from_stored_and_inline_rows(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_events", &rows()).await;
        let expected = "start,new,returning,resurrected,unregistered,total\r\n\
            2026-03-04T00:00:00+00:00,2,1,0,0,3\r\n2026-03-05T00:00:00+00:00,1,1,0,0,2\r\n\
            2026-03-06T00:00:00+00:00,1,2,1,0,4\r\n2026-03-07T00:00:00+00:00,0,1,1,0,2\r\n\
            2026-03-08T00:00:00+00:00,0,1,1,0,2\r\n2026-03-09T00:00:00+00:00,1,0,0,1,2\r\n\
            2026-03-10T00:00:00+00:00,1,2,0,0,3\r\n";
        let query = "query($inline: InlineTelemetryInput) { product(window: {preset: LAST_7_DAYS}, inline: $inline) {
            growth { activeUsersBySegment { start new returning resurrected unregistered total } } } }";
        let (status, disposition, body) = export(&app, &p, json!({"query": query, "format": "csv"})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(disposition, "attachment; filename=\"product-growth-activeUsersBySegment-2026-03-04T00-00-00_2026-03-11T00-00-00.csv\"");
        assert_eq!(body, expected);
        let rival = app.team("rival", "UTC", Role::Viewer).await;
        let inline = inline_telemetry(&rows(), &[]);
        let (status, _, body) = export(&app, &rival, json!({"query": query, "format": "csv", "variables": {"inline": inline}})).await;
        assert_eq!((status, body.as_str()), (StatusCode::OK, expected));
    }

    async fn the_product_dashboard_only_sees_the_callers_team(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_events", &rows()).await;
        let rival = app.team("rival", "UTC", Role::Viewer).await;
        let q = "source executive { kpis { activeUsers { value } dau { value } newUsers { value } revenue { value } }
              series { activeUsers } topChannels { total } }
            growth { series { newUsers payments } activeUsersBySegment { total }
              retentionCohorts { size } activationFunnel { count inProgress } }
            monetization { kpis { revenue { value } mrr { value } } planMix { count } membershipFunnel { count } }
            learning { kpis { lessonsStarted { value } } topCourses { starts } learningFunnel { count } }
            ops { kpis { calls { value } } byModel { calls } byStage { calls } }";
        let mine = product(&app, &p, "", q, None).await;
        assert_eq!(mine["growth"]["activationFunnel"][0]["count"], json!(6));
        let theirs = product(&app, &rival, "", q, None).await;
        assert_eq!(theirs["source"], "DATABASE");
        let k = &theirs["executive"]["kpis"];
        for kpi in ["activeUsers", "dau", "newUsers", "revenue"] {
            assert_eq!(k[kpi]["value"], json!(0.0), "{kpi}");
        }
        assert!(theirs["executive"]["series"].as_array().unwrap().iter().all(|p| p["activeUsers"] == 0));
        assert_eq!(theirs["executive"]["topChannels"]["total"], json!(0.0));
        let g = &theirs["growth"];
        assert!(g["series"].as_array().unwrap().iter().all(|p| p == &json!({"newUsers": 0, "payments": 0})));
        assert!(g["activeUsersBySegment"].as_array().unwrap().iter().all(|p| p["total"] == 0));
        assert!(g["retentionCohorts"].as_array().unwrap().iter().all(|c| c["size"] == 0));
        assert!(g["activationFunnel"].as_array().unwrap().iter().all(|s| s["count"] == 0));
        assert_eq!(theirs["monetization"]["kpis"], json!({"revenue": {"value": 0.0}, "mrr": {"value": 0.0}}));
        assert_eq!(theirs["monetization"]["planMix"], json!([]));
        assert_eq!(theirs["learning"]["topCourses"], json!([]));
        assert_eq!(theirs["learning"]["kpis"]["lessonsStarted"]["value"], json!(0.0));
        assert_eq!(theirs["ops"], json!({"kpis": {"calls": {"value": 0.0}}, "byModel": [], "byStage": []}));
    }

    async fn sections_run_only_when_selected_and_inline_rows_stay_apart(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_events", &rows()).await;
        let reads = |sql: &[String]| sql.iter().filter(|s| s.contains("product_events")).count();
        let sql = app.statements_of(app.data(&p, "{ product { source window { start } } }")).await;
        assert_eq!(reads(&sql), 0, "{sql:?}");
        // One card of one section: one read of the telemetry, one section computed.
        let before = app.state.cache.computations();
        let sql = app.statements_of(app.data(&p, "{ product { ops { kpis { calls { value } } } } }")).await;
        assert_eq!((reads(&sql), app.state.cache.computations() - before), (1, 1));
        // Every section at once: no read (the team's telemetry is kept and nothing changed);
        // ops comes from the cache.
        let all = "{ product { executive { kpis { dau { value } } } growth { series { newUsers }
            retentionCohorts { size } activationFunnel { count } } monetization { kpis { mrr { value } } }
            learning { kpis { practiceCount { value } } } ops { kpis { calls { value } } } } }";
        let before = app.state.cache.computations();
        let sql = app.statements_of(app.data(&p, all)).await;
        assert_eq!((reads(&sql), app.state.cache.computations() - before), (0, 6));
        // Inline rows as the same team: only the posted rows count, nothing stored is read and
        // nothing is cached.
        let before = app.state.cache.computations();
        let inline_sql = app.statements_of(async {
            let posted = inline_telemetry(&[ev("i1", Some("z"), "user_registered", "2026-03-09T10:00:00Z", json!({}))], &[]);
            let d = product(&app, &p, "window: {preset: LAST_7_DAYS}",
                "source executive { kpis { activeUsers { value } } } growth { series { newUsers } }", Some(posted)).await;
            assert_eq!(d["source"], "INLINE");
            assert_eq!(d["executive"]["kpis"]["activeUsers"]["value"], json!(1.0));
            let new: Vec<i64> = d["growth"]["series"].as_array().unwrap().iter().map(|p| p["newUsers"].as_i64().unwrap()).collect();
            assert_eq!(new, [0, 0, 0, 0, 0, 1, 0]);
        }).await;
        assert!(inline_sql.iter().all(|s| !s.contains("product_")), "{inline_sql:?}");
        assert_eq!(app.state.cache.computations() - before, 0);
        // A stage nobody has sent before shows up as it arrives.
        app.ingest_into(&p, "product_events", &[ev("t1", None, "model_invoke", "2026-03-09T10:00:00Z",
            json!({"stage": "translate", "success": false}))]).await;
        let d = product(&app, &p, "", "ops { byStage { stage calls failures } }", None).await;
        assert_eq!(d["ops"]["byStage"], json!([{"stage": "translate", "calls": 1, "failures": 1}]));
    }
}
