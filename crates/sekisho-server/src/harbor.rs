//! The Harbor Pluggable Scanner API v1 (goharbor/pluggable-scanner-spec, adapter API 1.1)
//! under `/harbor/api/v1`, so Harbor can use sekisho as its scanner:
//!
//! - `GET /metadata`: the scanner, what it consumes (OCI and Docker v2 image manifests) and
//!   produces (Harbor's vulnerability report), and properties such as the DB's age.
//! - `POST /scan`: a scan request (registry URL and the `Authorization` Harbor hands over, the
//!   artifact's repository, digest, tag and MIME type) becomes a job of the server's queue
//!   ([`crate::jobs`], which pulls it); 202 `{"id"}`. The authorization is used for that registry only.
//! - `GET /scan/{id}/report`: 302 with `Refresh-After` while the job is queued or running, the
//!   report when done (built from the stored artifact, so it reflects today's DB), 500 with the
//!   reason when the pull failed, 404 for an unknown id.
//!
//! Errors are the spec's `ErrorResponse` (`{"error": {"message"}}`; the server's own
//! `status` field rides along). Harbor authenticates with `Authorization: Bearer <token>`: one
//! of the server's `--token-file` tokens (read-write, since it posts scan requests).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use sekisho_artifact::image::reference::Reference;
use sekisho_finding::{Finding, RatingMethod, Severity};
use sekisho_policy::Policy;

use crate::api::{ApiError, ApiResult, blocking, read_body};
use crate::harbor_input::{CONSUMES, PRODUCES};
use crate::ids;
use crate::state::App;

const METADATA_MIME: &str = "application/vnd.scanner.adapter.metadata+json; version=1.0";
const SCAN_RESPONSE_MIME: &str = "application/vnd.scanner.adapter.scan.response+json; version=1.0";
const ERROR_MIME: &str = "application/vnd.scanner.adapter.error+json; version=1.0";
/// Seconds Harbor is asked to wait before polling a report again.
const REFRESH_AFTER: &str = "5";

/// The routes of this module.
pub fn routes() -> Router<Arc<App>> {
    Router::new()
        .route("/harbor/api/v1/metadata", get(metadata))
        .route("/harbor/api/v1/scan", post(scan))
        .route("/harbor/api/v1/scan/{id}/report", get(report))
}

/// An error as the spec's `ErrorResponse`.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    let body = json!({"error": {"status": status.as_u16(), "message": message.into()}});
    (
        status,
        [(header::CONTENT_TYPE, ERROR_MIME)],
        body.to_string(),
    )
        .into_response()
}

fn from_api(e: ApiError) -> Response {
    error(e.status, e.message)
}

fn scanner() -> Value {
    json!({"name": "sekisho", "vendor": "sekisho", "version": env!("CARGO_PKG_VERSION")})
}

async fn metadata(State(app): State<Arc<App>>) -> Response {
    let db = app.matcher.db();
    let summary = db.as_ref().and_then(|d| d.summary().ok());
    let updated = summary
        .as_ref()
        .and_then(|s| s.updated_at.clone().or_else(|| s.built_at.clone()));
    let mut props = BTreeMap::new();
    props.insert(
        "harbor.scanner-adapter/scanner-type",
        "os-package-vulnerability".to_string(),
    );
    if let Some(u) = &updated {
        props.insert(
            "harbor.scanner-adapter/vulnerability-database-updated-at",
            u.clone(),
        );
        if let Some(age) = crate::harbor_input::age_seconds(u, sekisho_finding::time::unix_now()) {
            props.insert(
                "sekisho/vulnerability-database-age-seconds",
                age.to_string(),
            );
        }
    }
    if let Some(s) = &summary {
        props.insert(
            "sekisho/vulnerability-database-advisories",
            s.advisories.to_string(),
        );
    }
    props.insert(
        "sekisho/vulnerability-database-loaded",
        db.is_some().to_string(),
    );
    let body = json!({
        "scanner": scanner(),
        "capabilities": [{"consumes_mime_types": CONSUMES, "produces_mime_types": PRODUCES}],
        "properties": props,
    });
    ([(header::CONTENT_TYPE, METADATA_MIME)], body.to_string()).into_response()
}

#[derive(Deserialize)]
struct ScanRequest {
    registry: RegistryIn,
    artifact: ArtifactIn,
}

#[derive(Deserialize)]
struct RegistryIn {
    url: String,
    #[serde(default)]
    authorization: Option<String>,
}

#[derive(Deserialize, Clone)]
struct ArtifactIn {
    repository: String,
    digest: String,
    #[serde(default)]
    tag: Option<String>,
    #[serde(default)]
    mime_type: Option<String>,
}

fn valid_request(req: &ScanRequest) -> Result<String, String> {
    let a = &req.artifact;
    let reference = crate::harbor_input::check_fields(&crate::harbor_input::Fields {
        url: &req.registry.url,
        authorization: req.registry.authorization.as_deref(),
        repository: &a.repository,
        digest: &a.digest,
        tag: a.tag.as_deref(),
        mime_type: a.mime_type.as_deref(),
    })?;
    Reference::parse(&reference).map_err(|e| format!("artifact: {e}"))?;
    Ok(reference)
}

async fn scan(State(app): State<Arc<App>>, body: Body) -> Response {
    let bytes = match read_body(&app, body).await {
        Ok(b) => b,
        Err(e) => return from_api(e),
    };
    let req: ScanRequest = match serde_json::from_slice(&bytes) {
        Ok(r) => r,
        Err(e) => {
            return error(
                StatusCode::BAD_REQUEST,
                format!(
                    "expected a ScanRequest {{\"registry\": {{\"url\"}}, \"artifact\": {{\"repository\", \"digest\"}}}}: {e}"
                ),
            );
        }
    };
    let reference = match valid_request(&req) {
        Ok(r) => r,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, e),
    };
    if let Err(e) = crate::jobs::check_reference(&app, &reference).await {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            format!("registry.url: {e}"),
        );
    }
    let params = json!({
        "registry": {"url": req.registry.url, "authorization": req.registry.authorization},
        "artifact": {
            "repository": req.artifact.repository,
            "digest": req.artifact.digest,
            "tag": req.artifact.tag,
            "mime_type": req.artifact.mime_type,
        },
    })
    .to_string();
    let id = ids::new_id("job_");
    let a = app.clone();
    let jid = id.clone();
    let r = blocking(move || {
        a.store
            .create_job(&jid, "harbor", &params, ids::now_ms())
            .map_err(ApiError::internal)
    })
    .await;
    if let Err(e) = r {
        return from_api(e);
    }
    app.wake_jobs.notify_one();
    (
        StatusCode::ACCEPTED,
        [(header::CONTENT_TYPE, SCAN_RESPONSE_MIME)],
        json!({"id": id}).to_string(),
    )
        .into_response()
}

/// Harbor's severity word for one of ours.
pub fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Unknown => "Unknown",
        Severity::Info => "Negligible",
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

async fn report(
    State(app): State<Arc<App>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let Some(mime) = crate::harbor_input::pick_mime(accept) else {
        return error(
            StatusCode::BAD_REQUEST,
            format!(
                "unsupported report MIME type; produced: {}",
                PRODUCES.join(", ")
            ),
        );
    };
    let r = blocking(move || build_report(&app, &id)).await;
    match r {
        Ok(Some(body)) => ([(header::CONTENT_TYPE, mime)], body.to_string()).into_response(),
        Ok(None) => {
            let mut resp = StatusCode::FOUND.into_response();
            resp.headers_mut()
                .insert("refresh-after", HeaderValue::from_static(REFRESH_AFTER));
            resp
        }
        Err(e) => from_api(e),
    }
}

/// The report of a Harbor job: `None` while it runs.
fn build_report(app: &App, id: &str) -> ApiResult<Option<Value>> {
    let job = app
        .store
        .job(id)
        .map_err(ApiError::internal)?
        .filter(|j| j.kind == "harbor")
        .ok_or_else(|| ApiError::not_found("scan request"))?;
    match job.state.as_str() {
        "queued" | "running" => return Ok(None),
        "failed" => {
            return Err(ApiError::internal(format!(
                "scan failed: {}",
                job.error.unwrap_or_default()
            )));
        }
        _ => {}
    }
    let params: Value = app
        .store
        .job_params(id)
        .map_err(ApiError::internal)?
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or(Value::Null);
    let art = job
        .artifact
        .as_deref()
        .ok_or_else(|| ApiError::internal("done without an artifact"))?;
    let full = app
        .store
        .artifact_full(art)
        .map_err(ApiError::internal)?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "the scanned artifact was deleted; request a new scan",
            )
        })?;
    let position: HashMap<&str, usize> = full
        .packages
        .iter()
        .enumerate()
        .map(|(i, p)| (p.id.as_str(), i))
        .collect();
    let mut findings = Vec::new();
    for f in &full.findings {
        let mut f: Finding = serde_json::from_str(f).map_err(ApiError::internal)?;
        if let Finding::Vulnerability(v) = &mut f {
            match position.get(v.package_id.as_str()) {
                Some(&i) => v.package = i,
                None => continue,
            }
        }
        findings.push(f);
    }
    let shown = Policy::default().apply(&full.packages, findings).findings;
    let mut top = Severity::Unknown;
    let mut vulns = Vec::new();
    for f in &shown {
        let Finding::Vulnerability(v) = f else {
            continue;
        };
        let Some(p) = full.packages.get(v.package) else {
            continue;
        };
        top = top.max(v.severity);
        let mut item = json!({
            "id": v.id,
            "package": p.name,
            "version": p.version,
            "fix_version": v.fixed_version.clone().unwrap_or_default(),
            "severity": severity(v.severity),
            "description": v.summary.clone().unwrap_or_default(),
            "links": v.references,
        });
        let mut cvss = serde_json::Map::new();
        let mut preferred = serde_json::Map::new();
        for r in &v.ratings {
            let (score_key, vector_key, pref) = match r.method {
                RatingMethod::CvssV3 => ("V3Score", "V3Vector", "v3"),
                RatingMethod::CvssV2 => ("V2Score", "V2Vector", "v2"),
                _ => continue,
            };
            let e = cvss.entry(r.source.clone()).or_insert_with(|| json!({}));
            if let Some(s) = r.score {
                e[score_key] = json!(s);
                preferred
                    .entry(format!("score_{pref}"))
                    .or_insert_with(|| json!(s));
            }
            if let Some(vec) = &r.vector {
                e[vector_key] = json!(vec);
                preferred
                    .entry(format!("vector_{pref}"))
                    .or_insert_with(|| json!(vec));
            }
        }
        if !preferred.is_empty() {
            item["preferred_cvss"] = Value::Object(preferred);
        }
        let mut vendor = serde_json::Map::new();
        if !cvss.is_empty() {
            vendor.insert("CVSS".into(), Value::Object(cvss));
        }
        if !v.advisories.is_empty() {
            vendor.insert("advisories".into(), json!(v.advisories));
        }
        if !v.ecosystem.is_empty() {
            vendor.insert("ecosystem".into(), json!(v.ecosystem));
        }
        item["vendor_attributes"] = Value::Object(vendor);
        vulns.push(item);
    }
    let a = &params["artifact"];
    let mut artifact = json!({
        "repository": a["repository"],
        "digest": a["digest"],
    });
    for k in ["tag", "mime_type"] {
        if let Some(s) = a[k].as_str() {
            artifact[k] = json!(s);
        }
    }
    Ok(Some(json!({
        "generated_at": ids::rfc3339_ms(ids::now_ms()),
        "artifact": artifact,
        "scanner": scanner(),
        "severity": severity(top),
        "vulnerabilities": vulns,
    })))
}
