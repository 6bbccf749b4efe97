//! The HTTP API (versioned under `/api/v1`), JSON everywhere, errors as
//! `{"error": {"status", "message"}}`. `/healthz` and `/readyz` need no token; everything else
//! needs a bearer token, read-write for anything but GET.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::auth::Access;
use crate::ids;
use crate::matching;
use crate::state::App;
use crate::store::{ArtifactMeta, NewArtifact, NewComponent, WebhookRow};

/// The OpenAPI document served at `/api/v1/openapi.json` (checked in; a test compares it with
/// the routes).
pub const OPENAPI: &str = include_str!("../openapi.json");

/// An API error.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
        }
    }
    pub(crate) fn bad(m: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, m)
    }
    pub(crate) fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("no such {what}"))
    }
    pub(crate) fn internal(m: impl std::fmt::Display) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, m.to_string())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"status": self.status.as_u16(), "message": self.message}});
        (self.status, Json(body)).into_response()
    }
}

pub(crate) type ApiResult<T> = Result<T, ApiError>;

pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ApiError::internal(format!("task failed: {e}")))?
}

/// The router with every route (this module's and `extra`), the auth layer and the limits.
pub fn router(app: Arc<App>, extra: Router<Arc<App>>) -> Router {
    let api = Router::new()
        .route("/api/v1/sboms", post(upload_sbom))
        .route("/api/v1/artifacts", get(list_artifacts))
        .route(
            "/api/v1/artifacts/{id}",
            get(get_artifact).delete(delete_artifact),
        )
        .route("/api/v1/artifacts/{id}/findings", get(get_findings))
        .route("/api/v1/events", get(list_events))
        .route("/api/v1/rematch", post(full_rematch))
        .route("/api/v1/webhooks", post(create_webhook).get(list_webhooks))
        .route(
            "/api/v1/webhooks/{id}",
            get(get_webhook).delete(delete_webhook),
        )
        .route("/api/v1/webhooks/{id}/deliveries", get(list_deliveries))
        .route(
            "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(redeliver),
        )
        .route("/api/v1/openapi.json", get(openapi))
        .merge(extra)
        .route("/metrics", get(metrics))
        .route_layer(middleware::from_fn_with_state(app.clone(), authorize));
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .merge(api)
        .merge(crate::dashboard::router(|app, id| {
            Box::pin(async move {
                get_findings(State(app), Path(id))
                    .await
                    .map_err(|e| (e.status, e.message))
            })
        }))
        .fallback(|| async { ApiError::new(StatusCode::NOT_FOUND, "no such route") })
        .layer(middleware::from_fn_with_state(app.clone(), limits))
        .with_state(app)
}

/// Per-request timeout and counting.
async fn limits(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    app.metrics.requests.fetch_add(1, Ordering::Relaxed);
    match tokio::time::timeout(app.cfg.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            format!(
                "request took longer than {} s",
                app.cfg.request_timeout.as_secs_f64()
            ),
        )
        .into_response(),
    }
}

/// Bearer tokens: 401 without a valid one, 403 for a read-only token on a write.
async fn authorize(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let access = app.cfg.tokens.check_header(
        req.headers()
            .get(header::AUTHORIZATION)
            .map(HeaderValue::as_bytes),
    );
    let Some(access) = access else {
        let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "a valid bearer token is required")
            .into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"sekisho\""),
        );
        return r;
    };
    let write = !matches!(*req.method(), Method::GET | Method::HEAD);
    if write && access != Access::ReadWrite {
        return ApiError::new(StatusCode::FORBIDDEN, "this token is read-only").into_response();
    }
    next.run(req).await
}

async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

async fn readyz(State(app): State<Arc<App>>) -> Response {
    let a = app.clone();
    let r = blocking(move || a.store.pending_advisory_count().map_err(ApiError::internal)).await;
    let db_error = app
        .matcher
        .db_error
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match r {
        Ok(c) => Json(json!({
            "status": "ready",
            "vulnerability_db": {
                "path": app.matcher.db_path.display().to_string(),
                "loaded": app.matcher.db().is_some(),
                "error": db_error,
            },
            "pending_advisories": c,
        }))
        .into_response(),
        Err(e) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.message).into_response(),
    }
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

#[derive(Deserialize)]
struct UploadQuery {
    name: Option<String>,
}

pub(crate) async fn read_body(app: &App, body: Body) -> ApiResult<axum::body::Bytes> {
    axum::body::to_bytes(body, app.cfg.body_limit)
        .await
        .map_err(|e| {
            let msg = e.to_string();
            if msg.contains("length limit") {
                ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("request body larger than {} bytes", app.cfg.body_limit),
                )
            } else {
                ApiError::bad(format!("cannot read the request body: {msg}"))
            }
        })
}

/// Build the stored form of an uploaded SBOM (parse, match) — nothing is stored on error.
fn ingest(app: &App, name: &str, bytes: &[u8]) -> ApiResult<ArtifactMeta> {
    let digest = format!("sha256:{}", hex::encode(Sha256::digest(bytes)));
    let cat =
        sekisho_match::sbom_input::parse(name, bytes).map_err(|e| ApiError::bad(e.to_string()))?;
    app.matcher.with_db(|db| {
        let positioned: Vec<(u64, sekisho_catalog::Package)> = cat
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u64, p.clone()))
            .collect();
        let mut found = match db {
            Some(db) => matching::match_packages(db, &positioned)
                .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e))?,
            None => HashMap::new(),
        };
        let now = ids::rfc3339_ms(ids::now_ms());
        let mut shown = 0u64;
        let components: Vec<NewComponent> = cat
            .packages
            .iter()
            .map(|p| {
                let findings = found.remove(&p.id).unwrap_or_default();
                shown += findings.iter().filter(|f| f.shown).count() as u64;
                NewComponent {
                    key: matching::key_of(p),
                    package: p.clone(),
                    findings,
                }
            })
            .collect();
        let target = json!({"os": cat.os, "notes": cat.notes}).to_string();
        let meta = ArtifactMeta {
            id: ids::new_id("art_"),
            name: name.to_string(),
            kind: "sbom".into(),
            digest,
            created: now.clone(),
            updated: now,
            components: components.len() as u64,
            findings: shown,
        };
        app.store
            .insert_artifact(&NewArtifact {
                meta: meta.clone(),
                target,
                components,
            })
            .map_err(ApiError::internal)?;
        app.matcher.note_stored(&meta.id);
        app.warmer.want(&meta.id);
        Ok(meta)
    })
}

async fn upload_sbom(
    State(app): State<Arc<App>>,
    Query(q): Query<UploadQuery>,
    body: Body,
) -> ApiResult<Response> {
    let name = q.name.unwrap_or_default();
    if name.len() > 512 || name.chars().any(char::is_control) {
        return Err(ApiError::bad(
            "name: at most 512 bytes, no control characters",
        ));
    }
    let bytes = read_body(&app, body).await?;
    if bytes.is_empty() {
        return Err(ApiError::bad(
            "empty body: send a CycloneDX or SPDX JSON document",
        ));
    }
    let _permit = app
        .scans
        .acquire()
        .await
        .map_err(|_| ApiError::internal("shutting down"))?;
    let a = app.clone();
    let r = blocking(move || {
        let name = if name.is_empty() {
            format!("sbom-{}", &hex::encode(Sha256::digest(&bytes))[..12])
        } else {
            name
        };
        ingest(&a, &name, &bytes)
    })
    .await;
    match r {
        Ok(meta) => {
            app.metrics.scans.fetch_add(1, Ordering::Relaxed);
            Ok((StatusCode::CREATED, Json(meta)).into_response())
        }
        Err(e) => {
            app.metrics.scan_failures.fetch_add(1, Ordering::Relaxed);
            Err(e)
        }
    }
}

#[derive(Deserialize)]
struct Page {
    after: Option<String>,
    limit: Option<usize>,
}

async fn list_artifacts(
    State(app): State<Arc<App>>,
    Query(p): Query<Page>,
) -> ApiResult<Json<Value>> {
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let list = blocking(move || {
        app.store
            .list_artifacts(p.after.as_deref(), limit)
            .map_err(ApiError::internal)
    })
    .await?;
    let next = (list.len() == limit)
        .then(|| list.last().map(|a| a.id.clone()))
        .flatten();
    Ok(Json(json!({"artifacts": list, "next": next})))
}

async fn get_artifact(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<ArtifactMeta>> {
    blocking(move || {
        app.store
            .artifact(&id)
            .map_err(ApiError::internal)?
            .map(Json)
            .ok_or_else(|| ApiError::not_found("artifact"))
    })
    .await
}

async fn delete_artifact(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(move || {
        if app.store.delete_artifact(&id).map_err(ApiError::internal)? {
            app.reports.remove(&id);
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ApiError::not_found("artifact"))
        }
    })
    .await
}

/// The artifact's findings as a `scan` document (docs/json-schema.md), with the CLI's default
/// policy and today's coverage.
/// Building a report (every stored finding decoded, the report encoded) is CPU work: at most
/// two per core run at once. A burst of readers waits here, in the async runtime, instead of in
/// hundreds of blocking threads that each hold a SQLite connection with its page cache, so the
/// memory used does not grow with the number of clients and the cores are not time-sliced
/// between half-built reports.
async fn bounded_read<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    static PERMITS: std::sync::OnceLock<tokio::sync::Semaphore> = std::sync::OnceLock::new();
    let permits = PERMITS.get_or_init(|| {
        tokio::sync::Semaphore::new(
            2 * std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get),
        )
    });
    let _permit = permits
        .acquire()
        .await
        .map_err(|e| ApiError::internal(format!("read limit: {e}")))?;
    blocking(f).await
}

/// Served from the report kept for the artifact's current store state
/// ([`crate::report_cache`]) when there is one; built, kept and served otherwise
/// ([`crate::reports`]).
async fn get_findings(State(app): State<Arc<App>>, Path(id): Path<String>) -> ApiResult<Response> {
    let body = bounded_read(move || {
        crate::reports::findings_body(&app, &id)
            .map_err(ApiError::internal)?
            .ok_or_else(|| ApiError::not_found("artifact"))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

#[derive(Deserialize)]
struct EventPage {
    after: Option<i64>,
    limit: Option<usize>,
}

async fn list_events(
    State(app): State<Arc<App>>,
    Query(p): Query<EventPage>,
) -> ApiResult<Json<Value>> {
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    let rows = blocking(move || {
        app.store
            .events(p.after.unwrap_or(0), limit)
            .map_err(ApiError::internal)
    })
    .await?;
    let events: Vec<Value> = rows
        .iter()
        .map(|e| {
            let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
            v["payload"] = serde_json::from_str(&e.payload).unwrap_or(Value::Null);
            v
        })
        .collect();
    Ok(Json(json!({"events": events})))
}

async fn full_rematch(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    let t0 = std::time::Instant::now();
    let a = app.clone();
    let pass = blocking(move || {
        a.matcher
            .rematch_all(a.store.as_ref())
            .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e))
    })
    .await?;
    if pass.events > 0 {
        app.wake_deliveries.notify_one();
    }
    // Findings may have changed without an event (an advisory's text): reports follow.
    if pass.components > 0 {
        app.warmer.want_all();
    }
    Ok(Json(json!({
        "components": pass.components,
        "events": pass.events,
        "seconds": t0.elapsed().as_secs_f64(),
    })))
}

/// Event types a webhook can subscribe to.
pub const EVENT_TYPES: &[&str] = &["finding.new", "finding.resolved"];

#[derive(Deserialize)]
struct NewWebhook {
    url: String,
    #[serde(default)]
    events: Vec<String>,
}

async fn create_webhook(State(app): State<Arc<App>>, body: Body) -> ApiResult<Response> {
    let bytes = read_body(&app, body).await?;
    let req: NewWebhook = serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad(format!("expected {{\"url\", \"events\"}}: {e}")))?;
    for e in &req.events {
        if !EVENT_TYPES.contains(&e.as_str()) {
            return Err(ApiError::bad(format!(
                "unknown event type {e:?} (known: {})",
                EVENT_TYPES.join(", ")
            )));
        }
    }
    let target =
        crate::webhook::parse_url(&req.url).map_err(|e| ApiError::bad(format!("url: {e}")))?;
    crate::webhook::resolve(&target, app.cfg.allow_private_webhooks)
        .await
        .map_err(|e| ApiError::bad(format!("url: {e}")))?;
    let mut events = req.events;
    events.sort();
    events.dedup();
    let row = WebhookRow {
        id: ids::new_id("wh_"),
        url: req.url,
        events,
        created: ids::rfc3339_ms(ids::now_ms()),
        secret: crate::webhook::new_secret(),
    };
    let r = row.clone();
    blocking(move || app.store.create_webhook(&r).map_err(ApiError::internal)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"id": row.id, "url": row.url, "events": row.events, "created": row.created, "secret": row.secret})),
    )
        .into_response())
}

async fn list_webhooks(State(app): State<Arc<App>>) -> ApiResult<Json<Value>> {
    let list = blocking(move || app.store.webhooks().map_err(ApiError::internal)).await?;
    Ok(Json(json!({"webhooks": list})))
}

async fn get_webhook(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<Json<WebhookRow>> {
    blocking(move || {
        app.store
            .webhook(&id)
            .map_err(ApiError::internal)?
            .map(Json)
            .ok_or_else(|| ApiError::not_found("webhook"))
    })
    .await
}

async fn delete_webhook(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    blocking(move || {
        if app.store.delete_webhook(&id).map_err(ApiError::internal)? {
            Ok(StatusCode::NO_CONTENT)
        } else {
            Err(ApiError::not_found("webhook"))
        }
    })
    .await
}

async fn list_deliveries(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    Query(p): Query<EventPage>,
) -> ApiResult<Json<Value>> {
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    blocking(move || {
        if app
            .store
            .webhook(&id)
            .map_err(ApiError::internal)?
            .is_none()
        {
            return Err(ApiError::not_found("webhook"));
        }
        let list = app
            .store
            .deliveries(&id, limit)
            .map_err(ApiError::internal)?;
        Ok(Json(json!({"deliveries": list})))
    })
    .await
}

async fn redeliver(
    State(app): State<Arc<App>>,
    Path((id, delivery)): Path<(String, String)>,
) -> ApiResult<Response> {
    let a = app.clone();
    blocking(move || {
        if a.store
            .redeliver(&id, &delivery, ids::now_ms())
            .map_err(ApiError::internal)?
        {
            Ok(())
        } else {
            Err(ApiError::not_found("delivery"))
        }
    })
    .await?;
    app.wake_deliveries.notify_one();
    Ok((StatusCode::ACCEPTED, Json(json!({"status": "pending"}))).into_response())
}

/// Prometheus text format.
async fn metrics(State(app): State<Arc<App>>) -> ApiResult<Response> {
    let a = app.clone();
    let (c, size, jobs) = blocking(move || {
        Ok((
            a.store.counts().map_err(ApiError::internal)?,
            a.store.size_bytes(),
            a.store.job_queue().map_err(ApiError::internal)?,
        ))
    })
    .await?;
    let m = &app.metrics;
    let l = |x: &std::sync::atomic::AtomicU64| x.load(Ordering::Relaxed);
    let mut out = String::new();
    let mut put = |name: &str, kind: &str, help: &str, v: String| {
        out.push_str(&format!(
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {v}\n"
        ));
    };
    put(
        "sekisho_artifacts",
        "gauge",
        "Stored artifacts.",
        c.artifacts.to_string(),
    );
    put(
        "sekisho_components",
        "gauge",
        "Stored components.",
        c.components.to_string(),
    );
    put(
        "sekisho_store_bytes",
        "gauge",
        "Bytes the store uses on disk.",
        size.to_string(),
    );
    put(
        "sekisho_rematch_queue_depth",
        "gauge",
        "Advisories waiting to be re-matched.",
        c.pending_advisories.to_string(),
    );
    put(
        "sekisho_delivery_queue_depth",
        "gauge",
        "Deliveries waiting to be sent.",
        c.pending_deliveries.to_string(),
    );
    put(
        "sekisho_dead_letters",
        "gauge",
        "Deliveries that ran out of attempts.",
        c.dead_deliveries.to_string(),
    );
    put(
        "sekisho_job_queue_depth",
        "gauge",
        "Image and Harbor scan jobs waiting for a scan slot.",
        jobs.0.to_string(),
    );
    put(
        "sekisho_jobs_running",
        "gauge",
        "Image and Harbor scan jobs running.",
        jobs.1.to_string(),
    );
    put(
        "sekisho_events_total",
        "counter",
        "Finding events recorded.",
        c.events.to_string(),
    );
    put(
        "sekisho_scans_total",
        "counter",
        "SBOMs and images cataloged since start.",
        l(&m.scans).to_string(),
    );
    put(
        "sekisho_scan_failures_total",
        "counter",
        "Uploads refused or failed since start.",
        l(&m.scan_failures).to_string(),
    );
    put(
        "sekisho_rematch_batches_total",
        "counter",
        "Re-match batches since start.",
        l(&m.rematch_passes).to_string(),
    );
    put(
        "sekisho_rematch_components_total",
        "counter",
        "Components re-matched since start.",
        l(&m.rematch_components).to_string(),
    );
    put(
        "sekisho_rematch_seconds_total",
        "counter",
        "Time spent re-matching since start.",
        format!("{:.6}", l(&m.rematch_micros) as f64 / 1e6),
    );
    put(
        "sekisho_deliveries_total",
        "counter",
        "Deliveries accepted by receivers since start.",
        l(&m.deliveries_ok).to_string(),
    );
    put(
        "sekisho_delivery_failures_total",
        "counter",
        "Failed delivery attempts since start.",
        l(&m.delivery_failures).to_string(),
    );
    put(
        "sekisho_findings_reports_kept_total",
        "counter",
        "Findings reports served from the kept encoding since start.",
        l(&m.report_hits).to_string(),
    );
    put(
        "sekisho_findings_reports_built_total",
        "counter",
        "Findings reports built from the store for a request since start.",
        l(&m.report_builds).to_string(),
    );
    put(
        "sekisho_findings_reports_built_ahead_total",
        "counter",
        "Findings reports built ahead of their first request since start.",
        l(&m.report_warm).to_string(),
    );
    put(
        "sekisho_findings_report_cache_bytes",
        "gauge",
        "Bytes of findings reports kept (large parts compressed).",
        app.reports.bytes().to_string(),
    );
    put(
        "sekisho_findings_report_cache_reports",
        "gauge",
        "Findings reports kept in memory.",
        app.reports.count().to_string(),
    );
    let (bytes, files) = app.reports.disk_usage();
    put(
        "sekisho_findings_report_files",
        "gauge",
        "Findings reports kept on disk (DIR/reports).",
        files.to_string(),
    );
    put(
        "sekisho_findings_report_files_bytes",
        "gauge",
        "Bytes of the findings reports kept on disk.",
        bytes.to_string(),
    );
    put(
        "sekisho_http_requests_total",
        "counter",
        "HTTP requests since start.",
        l(&m.requests).to_string(),
    );
    put(
        "sekisho_vulndb_loaded",
        "gauge",
        "1 when a vulnerability DB is loaded.",
        u8::from(app.matcher.db().is_some()).to_string(),
    );
    Ok((
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        out,
    )
        .into_response())
}
