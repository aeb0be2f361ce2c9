//! `schema.graphql` is generated from the code; this test fails when they drift.

#[test]
fn committed_schema_matches_the_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    matches_or_updates(path, &dashgate::graphql::sdl());
}

/// Fails when the committed file at `path` differs from `generated`; `UPDATE_SCHEMA=1`
/// rewrites it instead.
fn matches_or_updates(path: &str, generated: &str) {
    if std::env::var("UPDATE_SCHEMA").is_ok_and(|v| v == "1") {
        std::fs::write(path, generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "{path} is out of date: run `UPDATE_SCHEMA=1 cargo test --test integration schema` \
         and commit the result"
    );
}

/// The README tour's GraphQL examples, in order (the fenced `graphql` blocks of "A tour of
/// the API").
fn readme_tour() -> Vec<String> {
    let readme = include_str!("../README.md");
    let start = readme.find("## A tour of the API").unwrap();
    let end = start
        + readme[start..]
            .find("\n## ")
            .unwrap_or(readme.len() - start);
    readme[start..end]
        .split("```graphql\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap().to_string())
        .collect()
}

/// GraphiQL opens with the README tour as ready tabs (`assets/graphiql/tour.js`, generated
/// from the README like `schema.graphql` from the code).
#[test]
fn graphiql_tabs_are_the_readme_tour() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/graphiql/tour.js");
    let tour = readme_tour();
    assert!(tour.len() >= 5, "{tour:?}");
    let generated = format!(
        "// Generated from the README's tour by `UPDATE_SCHEMA=1 cargo test --test integration schema`.\n\
         window.DASHGATE_TOUR = {};\n",
        serde_json::to_string_pretty(&tour).unwrap()
    );
    matches_or_updates(path, &generated);
}
