//! Teams are isolated: every root field, called as another team, shows none of the data.

use crate::both_dbs;
use crate::support::code;
use crate::support::fixtures::api_usage_rows;
use axum::http::StatusCode;
use dashgate::accounts::api_keys;
use dashgate::kernel::Role;
use serde_json::json;

const EVERYTHING: &str = r#"{ viewer { user role team { slug } } health
  apiUsage(window: {start: "2026-02-20T00:00:00Z", end: "2026-03-05T00:00:00Z"}) {
    kpis { totalRequests { value previous } totalCost { value } activeUsers { value } totalTokens { value } }
    requests { total } costs { value } latency { avgMs }
    errorsBreakdown { total } topModels { total rows { label } } topCountries { total rows { label } } } }"#;

both_dbs! {
    async fn every_root_field_only_sees_the_callers_team(app) {
        let acme = app.team("acme", "UTC", Role::Editor).await;
        let rival = app.team("rival", "UTC", Role::Admin).await;
        app.ingest(&acme, &api_usage_rows()).await;
        let mine = app.data(&acme, EVERYTHING).await;
        assert_eq!(mine["apiUsage"]["kpis"]["totalRequests"]["value"], json!(9.0));
        let theirs = app.data(&rival, EVERYTHING).await;
        assert_eq!(theirs["viewer"]["team"]["slug"], "rival");
        let u = &theirs["apiUsage"];
        assert_eq!(u["kpis"]["totalRequests"], json!({"value": 0.0, "previous": 0.0}));
        assert_eq!(u["kpis"]["totalCost"]["value"], json!(0.0));
        assert_eq!(u["kpis"]["activeUsers"]["value"], json!(0.0));
        assert_eq!(u["kpis"]["totalTokens"]["value"], json!(0.0));
        assert!(u["requests"].as_array().unwrap().iter().all(|p| p["total"] == json!(0.0)));
        assert!(u["costs"].as_array().unwrap().iter().all(|p| p["value"] == json!(0.0)));
        assert!(u["latency"].as_array().unwrap().iter().all(|p| p["avgMs"].is_null()));
        for panel in ["errorsBreakdown", "topModels", "topCountries"] {
            assert_eq!(u[panel]["total"], json!(0.0), "{panel}");
        }
        // Same ids in another team are not duplicates of the first team's rows.
        assert_eq!(app.ingest(&rival, &api_usage_rows()).await["inserted"], json!(9));
    }

    async fn api_keys_authenticate_until_revoked(app) {
        let p = app.team("acme", "UTC", Role::Admin).await;
        let key = api_keys::create(&app.state.db, "acme", "ci", Role::Viewer, 0).await.unwrap();
        let body = r#"{"query":"{ viewer { role team { slug } } }"}"#;
        let (status, r) = app.http("POST", "/graphql", Some(&key.secret), body).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(r["data"]["viewer"], json!({"role": "VIEWER", "team": {"slug": "acme"}}));
        assert_eq!(api_keys::revoke(&app.state.db, &key.prefix, 1).await.unwrap(), 1);
        let (status, r) = app.http("POST", "/graphql", Some(&key.secret), body).await;
        assert_eq!((status, code(&r)), (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED"));
        // An expired JWT is refused too.
        let expired = app.state.jwt.mint("acme", "old", Role::Viewer, 1_000).unwrap();
        let (status, _) = app.http("POST", "/graphql", Some(&expired), body).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let _ = p;
    }

    async fn the_chat_dashboard_only_sees_the_callers_team(app) {
        let acme = app.team("acme", "UTC", Role::Editor).await;
        let rival = app.team("rival", "UTC", Role::Editor).await;
        app.ingest_chat_fixture(&acme).await;
        let q = r#"{ chat(window: {start: "2026-02-20T00:00:00Z", end: "2026-03-05T00:00:00Z"},
            filter: {experimentIds: ["x1", "x2"]}) {
          kpis { experiments { value } participants { value } sessions { value } messages { value }
                 activeExperiments { value } avgResponseTimeSeconds { value } }
          activeParticipants { activeParticipants } messageVolume { total } responseTime { avgSeconds }
          botPerformance { totalCount } engagement { mostActive { messages } sessionLengthDistribution { count } }
          channelBreakdown { totals { sessions } } tags { total } } }"#;
        let mine = app.data(&acme, q).await["chat"].clone();
        assert_eq!(mine["kpis"]["experiments"]["value"], json!(2.0));
        let theirs = app.data(&rival, q).await["chat"].clone();
        for kpi in ["experiments", "participants", "sessions", "messages", "activeExperiments"] {
            assert_eq!(theirs["kpis"][kpi]["value"], json!(0.0), "{kpi}");
        }
        assert!(theirs["kpis"]["avgResponseTimeSeconds"]["value"].is_null());
        assert!(theirs["activeParticipants"].as_array().unwrap().iter().all(|p| p["activeParticipants"] == 0));
        assert!(theirs["messageVolume"].as_array().unwrap().iter().all(|p| p["total"] == 0));
        assert!(theirs["responseTime"].as_array().unwrap().iter().all(|p| p["avgSeconds"].is_null()));
        assert_eq!(theirs["botPerformance"]["totalCount"], 0);
        assert_eq!(theirs["engagement"], json!({"mostActive": [], "sessionLengthDistribution": []}));
        assert_eq!(theirs["channelBreakdown"]["totals"]["sessions"], 0);
        assert_eq!(theirs["tags"], json!([]));
        // The same ids in another team are that team's own rows.
        app.ingest_chat_fixture(&rival).await;
        let again = app.data(&rival, q).await["chat"].clone();
        assert_eq!(again["kpis"]["sessions"], mine["kpis"]["sessions"]);
    }
}

#[tokio::test]
async fn remembered_lookups_save_round_trips_and_revocations_still_land_within_seconds() {
    use crate::support::{Backend, TestApp};
    let app = TestApp::spawn_with(Backend::Sqlite, |s| s.auth_cache_seconds = 1)
        .await
        .unwrap();
    let p = app.team("acme", "UTC", Role::Admin).await;
    let key = api_keys::create(&app.state.db, "acme", "ci", Role::Viewer, 0)
        .await
        .unwrap();
    let body = r#"{"query":"{ health }"}"#;
    let token = app.token(&p);
    for credential in [key.secret.as_str(), token.as_str()] {
        app.http("POST", "/graphql", Some(credential), body).await;
        let sql = app
            .statements_of(async {
                let (status, _) = app.http("POST", "/graphql", Some(credential), body).await;
                assert_eq!(status, StatusCode::OK);
            })
            .await;
        assert!(sql.is_empty(), "no lookup while remembered: {sql:?}");
    }
    // A revoked key still answers until its lookup is forgotten — at most the setting's time.
    api_keys::revoke(&app.state.db, &key.prefix, 1)
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let (status, r) = app.http("POST", "/graphql", Some(&key.secret), body).await;
    assert_eq!(
        (status, code(&r)),
        (StatusCode::UNAUTHORIZED, "UNAUTHENTICATED")
    );
    // A bad signature is refused every time (signatures are never remembered).
    let forged = format!("{}x", token);
    let (status, _) = app.http("POST", "/graphql", Some(&forged), body).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
