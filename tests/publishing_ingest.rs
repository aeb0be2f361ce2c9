//! Publishing datasets: validation, defaults, same-team references, all-or-nothing batches.

use crate::both_dbs;
use axum::http::StatusCode;
use dashgate::kernel::Role;
use sea_orm::ConnectionTrait;
use serde_json::json;

const AT: &str = "2026-03-01T10:00:00Z";

both_dbs! {
    async fn every_publishing_dataset_ingests_with_its_defaults(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        app.ingest_into(&p, "pub_videos", &[json!({"id": "v1", "title": "Launch", "created_at": AT})]).await;
        app.ingest_into(&p, "pub_clips", &[
            json!({"id": "c1", "video_id": "v1", "visual_score": 0.8, "created_at": AT}),
            json!({"id": "c2", "video_id": "v1", "created_at": AT}),
        ]).await;
        app.ingest_into(&p, "pub_jobs", &[json!({"id": "j1", "clip_id": "c1", "status": "failed",
            "platform": "TikTok", "created_at": AT, "updated_at": AT})]).await;
        app.ingest_into(&p, "pub_campaigns", &[json!({"id": "k1", "name": "Spring", "status": "active",
            "budget": 100, "created_at": AT})]).await;
        let logs = [json!({"id": "l1", "clip_id": "c1", "platform": "Mastodon", "status": "success",
            "requested_at": AT, "published_at": "2026-03-01T10:00:30Z", "created_at": AT})];
        assert_eq!(app.ingest_into(&p, "pub_publish_logs", &logs).await["inserted"], 1);
        assert_eq!(app.ingest_into(&p, "pub_publish_logs", &logs).await["unchanged"], 1, "the same version again");
        let stmt = sea_orm::Statement::from_string(app.state.db.get_database_backend(),
            "SELECT c.spent, c.budget, j.platform, l.platform, s.visual_score FROM pub_campaigns c, pub_jobs j, \
             pub_publish_logs l, pub_clips s WHERE s.id = 'c2'");
        let row = app.state.db.query_one_raw(stmt).await.unwrap().unwrap();
        assert_eq!(row.try_get_by_index::<f64>(0).unwrap(), 0.0, "spent defaults to 0");
        assert_eq!(row.try_get_by_index::<Option<f64>>(1).unwrap(), Some(100.0));
        assert_eq!(row.try_get_by_index::<String>(2).unwrap(), "tiktok");
        assert_eq!(row.try_get_by_index::<String>(3).unwrap(), "mastodon");
        assert_eq!(row.try_get_by_index::<Option<f64>>(4).unwrap(), None);
    }

    async fn publishing_rows_are_checked_and_batches_are_atomic(app) {
        let p = app.team("acme", "UTC", Role::Editor).await;
        let rival = app.team("rival", "UTC", Role::Editor).await;
        app.ingest_into(&p, "pub_videos", &[json!({"id": "v1", "title": "Launch", "created_at": AT})]).await;
        app.ingest_into(&p, "pub_clips", &[json!({"id": "c1", "video_id": "v1", "created_at": AT})]).await;
        let cases = [
            ("pub_clips", json!({"id": "c9", "video_id": "v1", "visual_score": 1.5, "created_at": AT}), "visual_score"),
            ("pub_jobs", json!({"id": "j9", "status": "done", "created_at": AT, "updated_at": AT}), "status"),
            ("pub_jobs", json!({"id": "j9", "status": "pending", "created_at": AT}), "updated_at"),
            ("pub_campaigns", json!({"id": "k9", "name": "x", "status": "draft", "spent": -1, "created_at": AT}), "spent"),
            ("pub_publish_logs", json!({"id": "l9", "clip_id": "c1", "status": "success", "requested_at": AT, "created_at": AT}), "platform"),
            ("pub_publish_logs", json!({"id": "l9", "clip_id": "c1", "platform": "x", "status": "sent", "requested_at": AT, "created_at": AT}), "status"),
        ];
        for (dataset, row, field) in cases {
            let (status, r) = app.post_rows(&p, dataset, &[row]).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{dataset}");
            assert_eq!(r["error"]["field"], field, "{dataset}: {r}");
        }
        // A log on a missing clip rejects the batch; the valid first line is not written.
        let batch = [
            json!({"id": "l1", "clip_id": "c1", "platform": "youtube", "status": "pending", "requested_at": AT, "created_at": AT}),
            json!({"id": "l2", "clip_id": "nope", "platform": "youtube", "status": "pending", "requested_at": AT, "created_at": AT}),
        ];
        let (status, r) = app.post_rows(&p, "pub_publish_logs", &batch).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!((r["error"]["line"].clone(), r["error"]["field"].clone()), (json!(2), json!("clip_id")));
        assert_eq!(app.ingest_into(&p, "pub_publish_logs", &batch[..1]).await["inserted"], 1);
        // Another team's clip does not exist for the rival.
        let (status, r) = app.post_rows(&rival, "pub_publish_logs", &batch[..1]).await;
        assert_eq!((status, r["error"]["field"].clone()), (StatusCode::UNPROCESSABLE_ENTITY, json!("clip_id")));
        let (status, r) = app.post_rows(&p, "pub_nope", &[]).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(r["error"]["message"].as_str().unwrap().contains("pub_publish_logs"));
    }
}
