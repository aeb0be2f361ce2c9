//! Isolation from the schema itself: every root query field (each value of a required enum
//! argument), with every field below it selected, answers a second team the same before and
//! after the first team's data arrive — whatever dashboards are added later, without anyone
//! listing them here; and every mutation, called by the second team on the first team's
//! preset, changes nothing of it. Caches are off, so every answer is read from the database.

use crate::support::{Backend, TestApp, test_now};
use dashgate::kernel::Role;
use serde_json::Value;
use std::collections::HashMap;

const INTROSPECTION: &str = r#"{ __schema { queryType { name } mutationType { name }
  types { name kind enumValues { name } inputFields { name defaultValue type { ...T } }
  fields { name args { name defaultValue type { ...T } } type { ...T } } } } }
fragment T on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }"#;

/// A type reference: whether it is non-null at the top, and the named type under the wrappers.
fn named(t: &Value) -> (bool, &str) {
    let required = t["kind"] == "NON_NULL";
    let mut t = t;
    while t["name"].is_null() {
        t = &t["ofType"];
    }
    (required, t["name"].as_str().unwrap_or_default())
}

struct Schema<'a> {
    types: HashMap<&'a str, &'a Value>,
    /// The literal every required `ID` gets.
    id: String,
}

impl<'a> Schema<'a> {
    /// A literal for a required argument of type `name`, or `None` when it cannot be made up.
    fn literal(&self, name: &str) -> Option<String> {
        match name {
            "ID" => Some(format!("{:?}", self.id)),
            "String" => Some("\"rival\"".into()),
            "Int" | "Float" => Some("1".into()),
            "Boolean" => Some("true".into()),
            _ => {
                let t = self.types.get(name)?;
                if t["kind"] == "INPUT_OBJECT" {
                    // Its required fields, and a `name` when it has one (so an update changes
                    // something).
                    let mut parts = Vec::new();
                    for f in t["inputFields"].as_array()? {
                        let (required, of) = named(&f["type"]);
                        let fname = f["name"].as_str()?;
                        if (required && f["defaultValue"].is_null()) || fname == "name" {
                            parts.push(format!("{fname}: {}", self.literal(of)?));
                        }
                    }
                    return Some(format!("{{ {} }}", parts.join(", ")));
                }
                let first = t["enumValues"].as_array()?.first()?;
                Some(first["name"].as_str()?.to_string())
            }
        }
    }

    /// Arguments for `field`'s required arguments, or `None` when one cannot be made up.
    fn arguments(&self, field: &Value) -> Option<String> {
        let mut out = Vec::new();
        for arg in field["args"].as_array().into_iter().flatten() {
            let (required, name) = named(&arg["type"]);
            if required && arg["defaultValue"].is_null() {
                out.push(format!(
                    "{}: {}",
                    arg["name"].as_str()?,
                    self.literal(name)?
                ));
            }
        }
        Some(if out.is_empty() {
            String::new()
        } else {
            format!("({})", out.join(", "))
        })
    }

    /// Every field of object type `name` below, not descending into a type already on the
    /// path (recursive types).
    fn selection(&self, name: &str, path: &mut Vec<String>) -> String {
        let t = self.types[name];
        if t["kind"] != "OBJECT" {
            return "{ __typename }".into();
        }
        path.push(name.to_string());
        let mut parts = Vec::new();
        for field in t["fields"].as_array().into_iter().flatten() {
            let (_, of) = named(&field["type"]);
            let Some(args) = self.arguments(field) else {
                continue;
            };
            let fname = field["name"].as_str().unwrap();
            match self.types[of]["kind"].as_str() {
                Some("SCALAR" | "ENUM") => parts.push(format!("{fname}{args}")),
                _ if path.iter().any(|p| p == of) => {}
                _ => parts.push(format!("{fname}{args} {}", self.selection(of, path))),
            }
        }
        path.pop();
        if parts.is_empty() {
            "{ __typename }".into()
        } else {
            format!("{{ {} }}", parts.join(" "))
        }
    }
}

#[tokio::test]
async fn every_root_field_answers_another_team_the_same_before_and_after_a_teams_data_arrive() {
    let mut backends = vec![Backend::Sqlite];
    if crate::support::postgres_url().is_some() {
        backends.push(Backend::Postgres);
    }
    for backend in backends {
        let app = TestApp::spawn_with(backend, |s| {
            s.cache_max_bytes = 0;
            s.product_cache_max_bytes = 0;
            s.chat_cache_max_bytes = 0;
            s.max_depth = 64;
            s.max_complexity = 1_000_000;
            s.max_expanded_fields = 1_000_000;
            s.max_tokens = 1_000_000;
            s.max_aliases = 1_000;
        })
        .await
        .unwrap();
        let rival = app.team("rival", "UTC", Role::Admin).await;
        let schema = app.data(&rival, INTROSPECTION).await;
        let types: HashMap<&str, &Value> = schema["__schema"]["types"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| (t["name"].as_str().unwrap(), t))
            .collect();
        let s = Schema {
            types,
            id: "1".into(),
        };
        let query_type = schema["__schema"]["queryType"]["name"].as_str().unwrap();
        let mut documents = Vec::new();
        for field in s.types[query_type]["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            let (_, of) = named(&field["type"]);
            // A required enum argument: every value (e.g. `filterChoices` per dashboard).
            let enums: Vec<(String, Vec<String>)> = field["args"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|a| a["type"]["kind"] == "NON_NULL")
                .filter_map(|a| {
                    let (_, t) = named(&a["type"]);
                    let values = s.types.get(t)?["enumValues"].as_array()?;
                    let values = values
                        .iter()
                        .map(|v| v["name"].as_str().unwrap().to_string());
                    Some((a["name"].as_str()?.to_string(), values.collect()))
                })
                .collect();
            let choices: Vec<String> = match enums.as_slice() {
                [(arg, values)] => values.iter().map(|v| format!("({arg}: {v})")).collect(),
                _ => vec![s.arguments(field).unwrap_or_default()],
            };
            let selection = match s.types[of]["kind"].as_str() {
                Some("SCALAR" | "ENUM") => String::new(),
                _ => s.selection(of, &mut vec![query_type.to_string()]),
            };
            for args in choices {
                documents.push(format!("{{ {name}{args} {selection} }}"));
            }
        }
        assert!(documents.len() >= 10, "{documents:?}");
        // What a client sees (the cache report in `extensions` carries the time).
        let seen = |mut r: Value| {
            if let Some(o) = r.as_object_mut() {
                o.remove("extensions");
            }
            r
        };
        let asked = futures::future::join_all(documents.iter().map(|d| app.gql(Some(&rival), d)));
        let before: Vec<Value> = asked.await.into_iter().map(seen).collect();
        let seeded = dashgate::demo::seed(&app.state.db, "acme", 2_000, test_now())
            .await
            .unwrap();
        let acme = dashgate::kernel::Principal {
            team: seeded.team,
            user: "owner".into(),
            role: Role::Admin,
        };
        let mut answered_differently = Vec::new();
        for (document, before) in documents.iter().zip(&before) {
            let after = seen(app.gql(Some(&rival), document).await);
            assert_eq!(
                &after, before,
                "{backend:?}: the rival's answer moved:\n{document:.300}"
            );
            let owner = app.gql(Some(&acme), document).await;
            if owner.get("data") != after.get("data") {
                answered_differently.push(document.as_str());
            }
        }
        // Every mutation, called by the rival on the owner's preset, changes none of the
        // owner's presets.
        let made = app.data(&acme, r#"mutation { createFilterPreset(input: {dashboard: API_USAGE, name: "Mine"}) { preset { id } } }"#).await;
        let own = made["createFilterPreset"]["preset"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        let s = Schema { id: own, ..s };
        let presets =
            "{ a: filterPresets(dashboard: API_USAGE) { id name version isDefault visibility }
            b: defaultFilterPreset(dashboard: API_USAGE) { id } }";
        let owners_before = app.data(&acme, presets).await;
        let mutation_type = schema["__schema"]["mutationType"]["name"].as_str().unwrap();
        let mut refused = 0;
        for field in s.types[mutation_type]["fields"].as_array().unwrap() {
            let name = field["name"].as_str().unwrap();
            let (_, of) = named(&field["type"]);
            let args = s
                .arguments(field)
                .unwrap_or_else(|| panic!("{name}: arguments"));
            let selection = s.selection(of, &mut vec![mutation_type.to_string()]);
            let answer = app
                .gql(
                    Some(&rival),
                    &format!("mutation {{ {name}{args} {selection} }}"),
                )
                .await;
            let text = answer.to_string();
            if text.contains("NOT_FOUND") {
                refused += 1;
            }
        }
        assert_eq!(app.data(&acme, presets).await, owners_before, "{backend:?}");
        assert_eq!(
            refused, 3,
            "{backend:?}: update, delete and set-default refused the rival"
        );
        // The documents read real data: every dashboard answers its owner differently.
        for root in [
            "apiUsage",
            "chat",
            "publishing",
            "executive",
            "product",
            "filterChoices",
        ] {
            assert!(
                answered_differently
                    .iter()
                    .any(|d| d.starts_with(&format!("{{ {root}"))),
                "{backend:?}: `{root}` answered the owner as the rival"
            );
        }
    }
}
