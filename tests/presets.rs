//! Filter presets: round trip, override semantics, defaults, versions, isolation, userErrors.

use crate::both_dbs;
use crate::support::fixtures::api_usage_rows;
use crate::support::{TestApp, code};
use dashgate::kernel::{Principal, Role};
use serde_json::{Value, json};

const CUSTOM: &str = r#"{start: "2026-03-01T00:00:00Z", end: "2026-03-03T00:00:00Z", timezone: "UTC", granularity: DAY}"#;

async fn create(app: &TestApp, p: &Principal, fields: &str) -> Value {
    let q = format!("mutation {{ createFilterPreset(input: {{ dashboard: API_USAGE, {fields} }}) {{
        preset {{ id name version isDefault visibility canEdit owner window {{ preset timezone }} apiUsage {{ models countries }} }}
        userErrors {{ field message code }} }} }}");
    app.data(p, &q).await["createFilterPreset"].clone()
}

async fn total(app: &TestApp, p: &Principal, args: &str) -> Value {
    let r = app
        .gql(
            Some(p),
            &format!("{{ apiUsage({args}) {{ kpis {{ totalRequests {{ value }} }} }} }}"),
        )
        .await;
    if r.get("errors").is_some() {
        return json!(code(&r));
    }
    r["data"]["apiUsage"]["kpis"]["totalRequests"]["value"].clone()
}

fn id(payload: &Value) -> String {
    payload["preset"]["id"].as_str().unwrap().to_string()
}

both_dbs! {
    async fn a_preset_round_trip_applies_and_explicit_arguments_win(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest(&p, &api_usage_rows()).await;
        let created = create(&app, &p, &format!(r#"name: "Model A", window: {CUSTOM}, apiUsage: {{models: ["A"]}}"#)).await;
        assert_eq!(created["userErrors"], json!([]));
        assert_eq!(created["preset"]["version"], 1);
        assert_eq!(created["preset"]["apiUsage"], json!({"models": ["A"], "countries": []}));
        let pid = id(&created);
        // r1, r2 are model A in the window.
        assert_eq!(total(&app, &p, &format!(r#"presetId: "{pid}""#)).await, json!(2.0));
        // An explicit list replaces the saved one; other saved lists still apply.
        assert_eq!(total(&app, &p, &format!(r#"presetId: "{pid}", filter: {{models: ["B"]}}"#)).await, json!(2.0));
        assert_eq!(total(&app, &p, &format!(r#"presetId: "{pid}", filter: {{models: []}}"#)).await, json!(5.0));
        // An explicit range replaces the saved range; the saved timezone stays.
        let r = app.data(&p, &format!(r#"{{ apiUsage(presetId: "{pid}", window: {{start: "2026-02-27T00:00:00Z", end: "2026-03-01T00:00:00Z"}}) {{
            window {{ timezone start }} kpis {{ totalRequests {{ value }} }} }} }}"#)).await;
        assert_eq!(r["apiUsage"]["window"], json!({"timezone": "UTC", "start": "2026-02-27T00:00:00+00:00"}));
        assert_eq!(r["apiUsage"]["kpis"]["totalRequests"]["value"], json!(2.0));

        let update = |version: i64, fields: &str| format!("mutation {{ updateFilterPreset(id: \"{pid}\", expectedVersion: {version}, input: {{ {fields} }}) {{
            preset {{ version name apiUsage {{ models }} }} userErrors {{ field code }} }} }}");
        let r = app.data(&p, &update(1, r#"name: "Model B", apiUsage: {models: ["B"]}"#)).await;
        assert_eq!(r["updateFilterPreset"], json!({"preset": {"version": 2, "name": "Model B", "apiUsage": {"models": ["B"]}}, "userErrors": []}));
        let stale = app.data(&p, &update(1, r#"name: "Again""#)).await;
        assert_eq!(stale["updateFilterPreset"], json!({"preset": null, "userErrors": [{"field": ["expectedVersion"], "code": "VERSION_CONFLICT"}]}));

        let deleted = app.data(&p, &format!(r#"mutation {{ deleteFilterPreset(id: "{pid}") {{ deletedId userErrors {{ code }} }} }}"#)).await;
        assert_eq!(deleted["deleteFilterPreset"], json!({"deletedId": pid, "userErrors": []}));
        assert_eq!(total(&app, &p, &format!(r#"presetId: "{pid}""#)).await, json!("NOT_FOUND"));
        let again = app.gql(Some(&p), &format!(r#"mutation {{ deleteFilterPreset(id: "{pid}") {{ deletedId }} }}"#)).await;
        assert_eq!(code(&again), "NOT_FOUND");
    }

    async fn presets_are_isolated_between_teams_and_users(app) {
        let ana = app.team("acme", "UTC", Role::Editor).await;
        let bob = Principal { user: "bob".into(), role: Role::Viewer, ..ana.clone() };
        let eve = app.team("rival", "UTC", Role::Admin).await;
        let personal = id(&create(&app, &ana, r#"name: "Mine""#).await);
        let shared = id(&create(&app, &ana, r#"name: "Ours", visibility: TEAM"#).await);
        for (who, visible) in [(&bob, vec!["Ours"]), (&eve, vec![])] {
            let list = app.data(who, "{ filterPresets { name } }").await;
            let names: Vec<_> = list["filterPresets"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
            assert_eq!(names, visible);
            let r = app.data(who, &format!(r#"{{ filterPreset(id: "{personal}") {{ name }} }}"#)).await;
            assert_eq!(r["filterPreset"], Value::Null);
            assert_eq!(total(&app, who, &format!(r#"presetId: "{personal}""#)).await, json!("NOT_FOUND"));
            let r = app.gql(Some(who), &format!(r#"mutation {{ deleteFilterPreset(id: "{personal}") {{ deletedId }} }}"#)).await;
            assert_eq!(code(&r), "NOT_FOUND");
        }
        assert_eq!(total(&app, &eve, &format!(r#"presetId: "{shared}""#)).await, json!("NOT_FOUND"));
        // Bob (a viewer) reads and applies the team preset but cannot change it.
        let r = app.data(&bob, &format!(r#"{{ filterPreset(id: "{shared}") {{ name canEdit }} }}"#)).await;
        assert_eq!(r["filterPreset"], json!({"name": "Ours", "canEdit": false}));
        assert_eq!(total(&app, &bob, &format!(r#"presetId: "{shared}""#)).await, json!(0.0));
        let r = app.gql(Some(&bob), &format!(r#"mutation {{ deleteFilterPreset(id: "{shared}") {{ deletedId }} }}"#)).await;
        assert_eq!(code(&r), "FORBIDDEN");
        let r = app.gql(Some(&bob), r#"mutation { createFilterPreset(input: {dashboard: API_USAGE, name: "T", visibility: TEAM}) { userErrors { code } } }"#).await;
        assert_eq!(code(&r), "FORBIDDEN");
        // Another editor may change a team preset.
        let carol = Principal { user: "carol".into(), role: Role::Editor, ..ana.clone() };
        let r = app.data(&carol, &format!(r#"mutation {{ updateFilterPreset(id: "{shared}", expectedVersion: 1, input: {{name: "Ours 2"}}) {{ preset {{ name owner }} }} }}"#)).await;
        assert_eq!(r["updateFilterPreset"]["preset"], json!({"name": "Ours 2", "owner": "acme-user"}));
        // Anonymous callers see nothing.
        assert_eq!(code(&app.gql(None, "{ filterPresets { name } }").await), "UNAUTHENTICATED");
    }

    async fn one_default_per_owner_and_dashboard(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let a = id(&create(&app, &p, r#"name: "b-first", isDefault: true"#).await);
        let b = id(&create(&app, &p, r#"name: "a-second", isDefault: true"#).await);
        create(&app, &p, r#"name: "c-third""#).await;
        const LIST: &str = "{ filterPresets(dashboard: API_USAGE) { id name isDefault version } defaultFilterPreset(dashboard: API_USAGE) { id } }";
        let r = app.data(&p, LIST).await;
        let names: Vec<_> = r["filterPresets"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["a-second", "b-first", "c-third"], "default first, then by name");
        assert_eq!(r["defaultFilterPreset"]["id"], json!(b));
        assert_eq!(r["filterPresets"][1], json!({"id": a, "name": "b-first", "isDefault": false, "version": 2}));
        let r = app.data(&p, &format!(r#"mutation {{ setDefaultFilterPreset(id: "{a}") {{ preset {{ isDefault version }} }} }}"#)).await;
        assert_eq!(r["setDefaultFilterPreset"]["preset"], json!({"isDefault": true, "version": 3}));
        let r = app.data(&p, LIST).await;
        assert_eq!(r["defaultFilterPreset"]["id"], json!(a));
        assert_eq!(r["filterPresets"].as_array().unwrap().iter().filter(|p| p["isDefault"] == json!(true)).count(), 1);
    }

    async fn business_errors_come_back_as_user_errors(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        create(&app, &p, r#"name: "Taken""#).await;
        let too_many: Vec<String> = (0..501).map(|i| format!("\"m{i}\"")).collect();
        let cases = [
            (r#"name: "   ""#.to_string(), json!(["input", "name"]), "INVALID_NAME"),
            (format!(r#"name: "{}""#, "x".repeat(101)), json!(["input", "name"]), "INVALID_NAME"),
            (r#"name: "taken""#.to_string(), json!(["input", "name"]), "DUPLICATE_NAME"),
            (format!(r#"name: "Big", apiUsage: {{models: [{}]}}"#, too_many.join(",")), json!(["input", "apiUsage"]), "INVALID_FILTER"),
            (r#"name: "Mars", window: {timezone: "Mars/Olympus"}"#.to_string(), json!(["input", "window", "timezone"]), "INVALID_WINDOW"),
            (r#"name: "Backwards", window: {start: "2026-03-02T00:00:00Z", end: "2026-03-01T00:00:00Z"}"#.to_string(), json!(["input", "window", "end"]), "INVALID_WINDOW"),
        ];
        for (fields, field, expected) in cases {
            let r = create(&app, &p, &fields).await;
            assert_eq!(r["preset"], Value::Null, "{fields}");
            assert_eq!(r["userErrors"][0]["code"], expected, "{fields}");
            assert_eq!(r["userErrors"][0]["field"], field, "{fields}");
        }
        let list = app.data(&p, "{ filterPresets { name } }").await;
        assert_eq!(list["filterPresets"].as_array().unwrap().len(), 1, "nothing half-written");
    }

    async fn stored_filters_survive_new_and_old_fields(app) {
        use sea_orm::{ActiveModelTrait, Set};
        let p = app.team("acme", "UTC", Role::Editor).await;
        let row = dashgate::presets::entity::ActiveModel {
            team_id: Set(p.team.id.0),
            owner: Set(p.user.clone()),
            dashboard: Set("API_USAGE".into()),
            name: Set("Old".into()),
            visibility: Set("PERSONAL".into()),
            is_default: Set(false),
            window_json: Set(r#"{"preset":"LAST_30_DAYS"}"#.into()),
            filter_json: Set(r#"{"countries":["de","US"],"someFutureField":[1]}"#.into()),
            version: Set(1),
            created_at_ms: Set(0),
            updated_at_ms: Set(0),
            ..Default::default()
        }
        .insert(&app.state.db)
        .await
        .unwrap();
        let r = app.data(&p, &format!(r#"{{ filterPreset(id: "{}") {{ window {{ preset }} apiUsage {{ models countries }} }} }}"#, row.id)).await;
        assert_eq!(r["filterPreset"], json!({"window": {"preset": "LAST_30_DAYS"}, "apiUsage": {"models": [], "countries": ["DE", "US"]}}));
    }

    async fn chat_presets_carry_a_chat_filter(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_chat_fixture(&p).await;
        let q = format!(r#"mutation {{ createFilterPreset(input: {{ dashboard: CHAT, name: "Beta bot",
            window: {CUSTOM}, chat: {{experimentIds: ["x2", "x2"], platforms: ["Telegram"]}} }}) {{
            preset {{ id dashboard chat {{ experimentIds platforms participantIds tagIds }} apiUsage {{ models }} }}
            userErrors {{ code }} }} }}"#);
        let created = app.data(&p, &q).await["createFilterPreset"].clone();
        assert_eq!(created["userErrors"], json!([]));
        assert_eq!(created["preset"]["chat"], json!({"experimentIds": ["x2"], "platforms": ["telegram"],
            "participantIds": [], "tagIds": []}));
        assert_eq!(created["preset"]["apiUsage"], Value::Null);
        let pid = id(&created);
        let sessions = |args: String| {
            let app = &app;
            let p = &p;
            async move {
                let r = app.gql(Some(p), &format!("{{ chat({args}) {{ kpis {{ sessions {{ value }} }} }} }}")).await;
                match r.get("errors") {
                    Some(_) => json!(code(&r)),
                    None => r["data"]["chat"]["kpis"]["sessions"]["value"].clone(),
                }
            }
        };
        // x2 on telegram in the window: s3 (s10 has no platform).
        assert_eq!(sessions(format!(r#"presetId: "{pid}""#)).await, json!(1.0));
        assert_eq!(sessions(format!(r#"presetId: "{pid}", filter: {{platforms: []}}"#)).await, json!(2.0));
        // A chat preset on apiUsage, and an apiUsage filter on a chat preset, are refused.
        assert_eq!(total(&app, &p, &format!(r#"presetId: "{pid}""#)).await, json!("BAD_USER_INPUT"));
        let wrong = app.data(&p, r#"mutation { createFilterPreset(input: { dashboard: CHAT, name: "W",
            apiUsage: {models: ["A"]} }) { preset { id } userErrors { field code } } }"#).await;
        assert_eq!(wrong["createFilterPreset"], json!({"preset": null,
            "userErrors": [{"field": ["input", "apiUsage"], "code": "WRONG_DASHBOARD_FILTER"}]}));
        let wrong = app.data(&p, &format!(r#"mutation {{ updateFilterPreset(id: "{pid}", expectedVersion: 1,
            input: {{ apiUsage: {{models: ["A"]}} }}) {{ preset {{ id }} userErrors {{ code }} }} }}"#)).await;
        assert_eq!(wrong["updateFilterPreset"]["userErrors"][0]["code"], "WRONG_DASHBOARD_FILTER");
        let both = app.data(&p, r#"mutation { createFilterPreset(input: { dashboard: CHAT, name: "Both",
            apiUsage: {models: ["A"]}, chat: {tagIds: ["g1"]} }) { userErrors { code } } }"#).await;
        assert_eq!(both["createFilterPreset"]["userErrors"][0]["code"], "WRONG_DASHBOARD_FILTER");
        let list = app.data(&p, "{ filterPresets(dashboard: CHAT) { name } }").await;
        assert_eq!(list["filterPresets"], json!([{"name": "Beta bot"}]));
    }
}

both_dbs! {
    async fn filter_choices_are_the_team_s_values_most_used_first(app) {
        let acme = app.team("acme", "UTC", Role::Editor).await;
        let rival = app.team("rival", "UTC", Role::Viewer).await;
        app.ingest(&acme, &api_usage_rows()).await;
        let q = format!("{{ filterChoices(dashboard: API_USAGE, window: {CUSTOM}) {{ field choices {{ value label count }} }} }}");
        let got = app.data(&acme, &q).await;
        let field = |name: &str| -> Vec<(String, i64)> {
            got["filterChoices"].as_array().unwrap().iter()
                .find(|f| f["field"] == name).unwrap()["choices"].as_array().unwrap().iter()
                .map(|c| (c["value"].as_str().unwrap().to_string(), c["count"].as_i64().unwrap()))
                .collect()
        };
        // In [03-01, 03-03): r1 A/US/u1, r2 A/us/u2, r3 B/DE/u1 (embeddings), r4 B/ZZ/no user,
        // r5 no model/u3 (models); r6 sits on the exclusive end.
        let pairs = |v: &[(&str, i64)]| v.iter().map(|(s, n)| (s.to_string(), *n)).collect::<Vec<_>>();
        assert_eq!(field("models"), pairs(&[("A", 2), ("B", 2)]));
        assert_eq!(field("endpoints"), pairs(&[("/v1/chat/completions", 3), ("/v1/embeddings", 1), ("/v1/models", 1)]));
        assert_eq!(field("userIds"), pairs(&[("u1", 2), ("u2", 1), ("u3", 1)]));
        assert_eq!(field("countries")[..2], pairs(&[("US", 2), ("DE", 1)])[..]);
        // Another team sees none of them.
        let theirs = app.data(&rival, &q).await;
        for f in theirs["filterChoices"].as_array().unwrap() {
            assert_eq!(f["choices"], json!([]), "{f}");
        }
        // Every dashboard answers, ids labelled by name.
        for d in ["CHAT", "PUBLISHING", "EXECUTIVE", "PRODUCT"] {
            let q = format!("{{ filterChoices(dashboard: {d}) {{ field choices {{ value }} }} }}");
            assert!(!app.data(&acme, &q).await["filterChoices"].as_array().unwrap().is_empty(), "{d}");
        }
    }
}
