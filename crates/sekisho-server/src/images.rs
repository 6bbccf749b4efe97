//! `POST /api/v1/images {"ref"}` (pull and catalog now, then watch the tag),
//! `GET /api/v1/images` (the watched tags) and `GET /api/v1/jobs/{id}` (a job's status). The
//! work itself is [`crate::jobs`]'.

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{ApiError, ApiResult, blocking, read_body};
use crate::ids;
use crate::state::App;
use crate::store::JobRow;

/// The routes of this module.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/images", post(add_image).get(list_images))
        .route("/api/v1/jobs/{id}", get(get_job))
}

#[derive(Deserialize)]
struct NewImage {
    #[serde(rename = "ref")]
    reference: String,
}

async fn add_image(State(app): State<Arc<App>>, body: Body) -> ApiResult<Response> {
    let bytes = read_body(&app, body).await?;
    let req: NewImage = serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad(format!(
            "expected {{\"ref\": \"registry/repository:tag\"}}: {e}"
        ))
    })?;
    let r = crate::jobs::check_reference(&app, &req.reference)
        .await
        .map_err(ApiError::bad)?;
    let id = ids::new_id("job_");
    let params = json!({"ref": r.to_string()}).to_string();
    let job = {
        let a = app.clone();
        let id = id.clone();
        blocking(move || {
            a.store
                .create_job(&id, "image", &params, ids::now_ms())
                .map_err(ApiError::internal)?;
            a.store
                .job(&id)
                .map_err(ApiError::internal)?
                .ok_or_else(|| ApiError::internal("the job vanished"))
        })
        .await?
    };
    app.wake_jobs.notify_one();
    Ok((
        StatusCode::ACCEPTED,
        Json(job_view(&job, Some(&r.to_string()))),
    )
        .into_response())
}

/// A job as the API shows it (never its parameters' credentials).
pub fn job_view(job: &JobRow, reference: Option<&str>) -> Value {
    let mut v = serde_json::to_value(job).unwrap_or(Value::Null);
    if let Some(r) = reference {
        v["ref"] = json!(r);
    }
    v
}

async fn get_job(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Json<Value>> {
    blocking(move || {
        let job = app
            .store
            .job(&id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("job"))?;
        let params: Value = app
            .store
            .job_params(&id)
            .map_err(ApiError::internal)?
            .and_then(|p| serde_json::from_str(&p).ok())
            .unwrap_or(Value::Null);
        let reference = params["ref"]
            .as_str()
            .map(str::to_string)
            .or_else(|| crate::jobs::reference_of(&params));
        Ok(Json(job_view(&job, reference.as_deref())))
    })
    .await
}

async fn list_images(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    let list = blocking(move || app.store.watches().map_err(ApiError::internal)).await?;
    Ok(Json(json!({"images": list})))
}
