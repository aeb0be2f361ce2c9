//! The product `learning` section on hand-computed values, stored (both databases).
//! Clock 2026-03-10T12:00:00Z, UTC; `LAST_7_DAYS` = March 4–10.
//!
//! | user | day | event | properties |
//! |---|---|---|---|
//! | u1 | 03-04 | app_open | |
//! | u1 | 03-05 | lesson_started, lesson_completed | c1; 600 s |
//! | u1 | 03-06 | practice_done | hola, correct |
//! | u2 | 03-06 | lesson_started | c1 |
//! | u2 | 03-07 | lesson_started, lesson_completed, practice_done | c2; 300 s; hola, wrong |
//! | u2 | 03-08 | practice_done | adios, wrong |
//! | u3 | 03-09 | app_open | |
//! | u1 | 03-10 | lesson_completed | c1, no duration |
//! | u4 | 03-01 (previous window) | lesson_started | c1 |

use crate::both_dbs;
use dashgate::kernel::Role;
use serde_json::{Value, json};

fn ev(id: &str, user: &str, name: &str, day: u32, props: Value) -> Value {
    json!({"id": id, "user_id": user, "event_name": name,
           "event_time": format!("2026-03-{day:02}T10:00:00Z"), "properties": props})
}

const LEARNING: &str = "learning { kpis { lessonsStarted { value previous } lessonsCompleted { value previous }
    completionRate { value previous } avgLessonMinutes { value previous } practiceCount { value previous } }
  completionRate { started completed completionRate }
  topCourses { courseId starts completions completionRate avgMinutes }
  topWords(limit: 5) { word practices errorRate }
  learningFunnel { name count conversionFromStart conversionFromPrevious } }";

both_dbs! {
    async fn the_learning_section_matches_hand_computed_values(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "product_events", &[
            ev("1", "u1", "app_open", 4, json!({})),
            ev("2", "u1", "lesson_started", 5, json!({"course_id": "c1"})),
            ev("3", "u1", "lesson_completed", 5, json!({"course_id": "c1", "duration_seconds": 600})),
            ev("4", "u1", "practice_done", 6, json!({"word": "hola", "correct": true})),
            ev("5", "u2", "lesson_started", 6, json!({"course_id": "c1"})),
            ev("6", "u2", "lesson_started", 7, json!({"course_id": "c2"})),
            ev("7", "u2", "lesson_completed", 7, json!({"course_id": "c2", "duration_seconds": 300})),
            ev("8", "u2", "practice_done", 7, json!({"word": "hola", "correct": false})),
            ev("9", "u2", "practice_done", 8, json!({"word": "adios", "correct": false})),
            ev("10", "u3", "app_open", 9, json!({})),
            ev("11", "u1", "lesson_completed", 10, json!({"course_id": "c1"})),
            ev("12", "u4", "lesson_started", 1, json!({"course_id": "c1"})),
        ]).await;
        let q = format!("{{ product(window: {{preset: LAST_7_DAYS}}) {{ {LEARNING} }} }}");
        let l = app.data(&p, &q).await["product"]["learning"].clone();
        assert_eq!(l["kpis"], json!({
            "lessonsStarted": {"value": 3.0, "previous": 1.0},
            "lessonsCompleted": {"value": 3.0, "previous": 0.0},
            "completionRate": {"value": 1.0, "previous": 0.0},
            "avgLessonMinutes": {"value": 7.5, "previous": null},
            "practiceCount": {"value": 3.0, "previous": 0.0}}));
        let rates: Vec<Value> = l["completionRate"].as_array().unwrap().iter().map(|p| p["completionRate"].clone()).collect();
        assert_eq!(rates, [Value::Null, json!(1.0), json!(0.0), json!(1.0), Value::Null, Value::Null, Value::Null]);
        assert_eq!(l["completionRate"][6], json!({"started": 0, "completed": 1, "completionRate": null}));
        assert_eq!(l["topCourses"], json!([
            {"courseId": "c1", "starts": 2, "completions": 2, "completionRate": 1.0, "avgMinutes": 10.0},
            {"courseId": "c2", "starts": 1, "completions": 1, "completionRate": 1.0, "avgMinutes": 5.0}]));
        assert_eq!(l["topWords"], json!([
            {"word": "hola", "practices": 2, "errorRate": 0.5},
            {"word": "adios", "practices": 1, "errorRate": 1.0}]));
        let third = 2.0 / 3.0;
        assert_eq!(l["learningFunnel"], json!([
            {"name": "any_event", "count": 3, "conversionFromStart": 1.0, "conversionFromPrevious": 1.0},
            {"name": "lesson_started", "count": 2, "conversionFromStart": third, "conversionFromPrevious": third},
            {"name": "lesson_completed", "count": 2, "conversionFromStart": third, "conversionFromPrevious": 1.0},
            {"name": "active_3_consecutive_days", "count": 2, "conversionFromStart": third, "conversionFromPrevious": 1.0}]));
    }
}
