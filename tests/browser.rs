//! The console and GraphiQL in a real browser: headless Chromium (Debian's `chromium`)
//! through `chromedriver`, against a gateway on the demo data, with every host but
//! 127.0.0.1 unresolvable. Screenshots go to `target/screenshots/`
//! (`UPDATE_SCREENSHOTS=1` also copies them to `assets/screenshots/` for the README).

use crate::support::fixtures::log;
use crate::support::webdriver::{Browser, chromedriver};
use crate::support::{Backend, TestApp, test_now};
use dashgate::kernel::{Principal, Role};
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;

const DASHBOARDS: [&str; 5] = ["apiUsage", "chat", "publishing", "executive", "product"];
const XSS: &str = "<img src=x onerror=alert(1)>";

fn screenshots() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every panel of the page has drawn; returns `[(panel, state)]`.
const PANEL_STATES: &str = "const p = [...document.querySelectorAll('[data-panel]')];
  if (!p.length || p.some((x) => !x.dataset.state)) return null;
  return p.map((x) => [x.dataset.panel, x.dataset.state, x.innerText.slice(0, 200)]);";

/// Resources the page loaded from anywhere but its own origin.
const FOREIGN: &str = "return performance.getEntriesByType('resource').map((e) => e.name)
  .filter((n) => !n.startsWith(location.origin + '/') && !n.startsWith('blob:') && !n.startsWith('data:'));";

/// Dashboard `key` is shown and every panel has drawn.
fn panels_of(key: &str) -> String {
    format!(
        "return new URLSearchParams(location.search).get('d') === '{key}' && (() => {{ {PANEL_STATES} }})()"
    )
}

async fn no_errors(browser: &Browser, page: &str) {
    let severe: Vec<_> = browser
        .console()
        .await
        .into_iter()
        .filter(|(level, _)| level == "SEVERE")
        .collect();
    assert!(severe.is_empty(), "{page}: console errors {severe:?}");
    let foreign = browser.js(FOREIGN, json!([])).await;
    assert_eq!(foreign, json!([]), "{page}: requests left the origin");
}

/// On a runtime like the binary's (8 MiB worker stacks: a whole dashboard's futures in a
/// debug build need more than tokio's default 2 MiB).
#[test]
fn the_console_and_graphiql_work_in_a_headless_browser() {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_stack_size(8 << 20)
        .enable_all()
        .build()
        .unwrap()
        .block_on(console_and_graphiql());
}

async fn console_and_graphiql() {
    let Some(driver) = chromedriver() else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "chromedriver is missing and CI=true (.ci/run installs chromium-driver)"
        );
        eprintln!("skipped: no chromedriver (apt-get install chromium chromium-driver)");
        return;
    };
    let started = std::time::Instant::now();
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let seeded = dashgate::demo::seed(&app.state.db, "demo", 3_000, test_now())
        .await
        .unwrap();
    let editor = Principal {
        team: seeded.team.clone(),
        user: "browser@demo".into(),
        role: Role::Editor,
    };
    // A label from ingested data that would run script if it were parsed as HTML (enough
    // requests to lead the top models).
    let rows: Vec<_> = (0..200)
        .map(|i| {
            let at = format!("2026-03-09T10:{:02}:{:02}Z", i / 60, i % 60);
            let extra = json!({"model_name": XSS, "user_id": "u-xss", "cost_usd": 0.5});
            log(&format!("xss-{i}"), &at, 200, 120.0, extra)
        })
        .collect();
    app.ingest(&editor, &rows).await;
    eprintln!("seeded in {:.1?}", started.elapsed());
    let base = format!("http://{}", app.serve().await);
    let browser = Browser::start(&driver).await;

    // Signing in with a `#token=` fragment: accepted once, then gone from the address bar.
    let token = app.token(&editor);
    browser
        .goto(&format!("{base}/?d=apiUsage#token={token}"))
        .await;
    let states = browser
        .wait_for("the API usage panels", PANEL_STATES, 60)
        .await;
    let url = browser.js("return location.href", json!([])).await;
    assert!(!url.as_str().unwrap().contains("token"), "{url}");

    // Live: the console follows the dashboard over a subscription; a batch shows without a
    // reload, and the panel says when it changed.
    browser
        .wait_for(
            "the live subscription",
            "return document.getElementById('live-state')?.dataset.mode === 'live'",
            30,
        )
        .await;
    let total = "return document.querySelector('[data-kpi=totalRequests] .kpi-value')?.textContent";
    let before = browser.js(total, json!([])).await;
    let late = log("live-1", "2026-03-09T11:00:00Z", 200, 80.0, json!({}));
    app.ingest(&editor, &[late]).await;
    browser
        .wait_for(
            "the pushed KPI",
            &format!(
                "const now = document.querySelector('[data-kpi=totalRequests] .kpi-value')?.textContent; \
                 return now !== {before} && document.querySelector('[data-panel=kpis] .changed') !== null"
            ),
            30,
        )
        .await;

    // Every dashboard: every panel ready, no console error, nothing from elsewhere.
    for (i, key) in DASHBOARDS.iter().enumerate() {
        if i > 0 {
            browser.click(&format!("[data-dashboard='{key}']")).await;
            browser.wait_for(key, &panels_of(key), 60).await;
        }
        let states = browser.js(PANEL_STATES, json!([])).await;
        for panel in states.as_array().unwrap() {
            assert_eq!(panel[1], "ready", "{key}: {panel}");
        }
        no_errors(&browser, key).await;
        let kpis = browser
            .js(
                "return document.querySelectorAll('[data-kpi]').length",
                json!([]),
            )
            .await;
        if *key != "publishing" {
            assert!(kpis.as_u64().unwrap() >= 5, "{key}: {kpis} KPI cards");
        }
        browser
            .screenshot(&screenshots().join(format!("console-{key}.png")))
            .await;
        eprintln!("{key} ready at {:.1?}", started.elapsed());
    }
    let _ = states;

    // The HTML-named model is text: its characters show, no element is made of it.
    browser.click("[data-dashboard='apiUsage']").await;
    let shown = browser
        .wait_for(
            "the model named like HTML",
            &format!(
                "return [...document.querySelectorAll('[data-panel=topModels] td')]
                   .some((td) => td.textContent === {XSS:?})"
            ),
            60,
        )
        .await;
    assert_eq!(shown, json!(true));
    let images = browser
        .js(
            "return document.querySelectorAll('#panels img').length",
            json!([]),
        )
        .await;
    assert_eq!(images, json!(0));

    // A preset saved, applied and deleted through the UI.
    browser.type_into("#preset-name", "Browser preset").await;
    browser.click("#preset-save").await;
    browser
        .wait_for(
            "the saved preset",
            "return [...document.querySelectorAll('#preset option')].find((o) => o.text.startsWith('Browser preset'))?.value",
            20,
        )
        .await;
    browser.click("#preset-apply").await;
    browser
        .wait_for(
            "the applied preset",
            &format!(
                "return new URLSearchParams(location.search).get('presetId') && {}",
                panels_of("apiUsage").trim_start_matches("return ")
            ),
            30,
        )
        .await;
    browser.click("#preset-delete").await;
    browser
        .wait_for(
            "the deleted preset",
            "return document.querySelector('.preset-message')?.textContent === 'deleted' \
             && ![...document.querySelectorAll('#preset option')].some((o) => o.text.startsWith('Browser preset'))",
            20,
        )
        .await;

    // A filter chosen from the team's values narrows every panel and lands in the URL.
    browser
        .wait_for(
            "the model choices",
            "return document.querySelectorAll('#filter-models option').length > 1",
            20,
        )
        .await;
    browser.click("#filter-models option").await;
    browser.click(".controls button[type=submit]").await;
    browser
        .wait_for(
            "the filtered dashboard",
            &format!(
                "return (new URLSearchParams(location.search).get('filter') || '').includes('models') && {}",
                panels_of("apiUsage").trim_start_matches("return ")
            ),
            30,
        )
        .await;

    // An export downloads a CSV of the panel.
    browser
        .click("[data-panel=requests] [data-export=csv]")
        .await;
    let mut csv = None;
    for _ in 0..100 {
        csv = std::fs::read_dir(&browser.downloads)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "csv"));
        if csv.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let csv = std::fs::read_to_string(csv.expect("a CSV download")).unwrap();
    assert!(
        csv.starts_with("start,end,isPartial,success,error"),
        "{csv}"
    );
    no_errors(&browser, "apiUsage after presets and export").await;

    // Readable at 375 px: nothing wider than the screen but scrollable tables.
    browser
        .cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": 375, "height": 900})),
        )
        .await;
    browser.click("[data-dashboard='chat']").await;
    browser
        .wait_for("chat at 375 px", &panels_of("chat"), 60)
        .await;
    let overflow = browser
        .js(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth",
            json!([]),
        )
        .await;
    assert!(
        overflow.as_i64().unwrap() <= 0,
        "{overflow} px wider than the screen"
    );
    browser
        .screenshot(&screenshots().join("console-375px.png"))
        .await;
    browser
        .cmd(
            "POST",
            "/window/rect",
            Some(json!({"width": 1280, "height": 2000})),
        )
        .await;

    // GraphiQL, from the same origin only, with the console's token in its headers.
    browser.goto(&format!("{base}/graphiql")).await;
    browser
        .wait_for(
            "GraphiQL",
            "return document.querySelector('.graphiql-execute-button')",
            30,
        )
        .await;
    browser.click(".graphiql-execute-button").await;
    browser
        .wait_for(
            "GraphiQL's answer",
            "return document.querySelector('.result-window')?.innerText.includes('totalRequests')",
            30,
        )
        .await;
    browser
        .screenshot(&screenshots().join("graphiql.png"))
        .await;
    // The docs pane reads the schema (introspection) and lists the root fields.
    browser
        .click(".graphiql-sidebar button[aria-label='Show Documentation Explorer']")
        .await;
    browser
        .wait_for(
            "the docs pane",
            "return document.querySelector('.graphiql-doc-explorer')?.innerText.includes('Query')",
            20,
        )
        .await;
    let tabs = browser
        .js(
            "return document.querySelectorAll('.graphiql-tab').length",
            json!([]),
        )
        .await;
    assert!(
        tabs.as_u64().unwrap() >= 6,
        "{tabs} tabs: the example and the README tour"
    );
    // The tour's subscription runs over WebSocket; a batch pushes a new answer into the pane.
    browser
        .js(
            "[...document.querySelectorAll('.graphiql-tab-button')].at(-1).click(); return true",
            json!([]),
        )
        .await;
    browser.click(".graphiql-execute-button").await;
    let result = "return document.querySelector('.result-window')?.innerText ?? ''";
    let first = browser
        .wait_for(
            "GraphiQL's first live answer",
            &format!(
                "const t = {}; return t.includes('isPartial') && t",
                result.trim_start_matches("return ")
            ),
            30,
        )
        .await;
    let now = log("live-2", "2026-03-10T11:30:00Z", 500, 80.0, json!({}));
    app.ingest(&editor, &[now]).await;
    browser
        .wait_for(
            "GraphiQL's pushed answer",
            &format!(
                "const t = {}; return t.includes('isPartial') && t !== {first}",
                result.trim_start_matches("return ")
            ),
            30,
        )
        .await;
    no_errors(&browser, "GraphiQL").await;

    if std::env::var("UPDATE_SCREENSHOTS").is_ok() {
        let to = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/screenshots");
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(screenshots()).unwrap().flatten() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}
