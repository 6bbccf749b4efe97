//! The dashboard: server-rendered web pages at `/`, behind the server's tokens (docs/server.md,
//! "Dashboard").
//!
//! - `GET /login` shows a form; `POST /login` takes one of the `--token-file` tokens (checked
//!   in constant time by [`crate::auth::Tokens::check`]) and sets a random, server-side session
//!   cookie ([`session`]): `HttpOnly; SameSite=Strict; Path=/; Max-Age=28800`, plus `Secure`
//!   with `--cookie-secure` or when the request says it came over TLS
//!   (`X-Forwarded-Proto: https`). `POST /logout` ends the session.
//! - A page request without a live session is redirected (303) to `/login`.
//! - Every state-changing form (login, logout, redeliver, delete) carries a CSRF token: the session's
//!   own random token, or for the login form a signed double-submit token. Without it, or when
//!   `Sec-Fetch-Site` is not `same-origin`, or `Origin` is not this server's, the answer is 403.
//! - The API is untouched: it still takes only bearer tokens, so the session cookie can never
//!   authorise an API call (a cross-site page cannot set `Authorization`, and the server sends
//!   no CORS headers).
//! - Every response here carries [`pages::csp`], `X-Content-Type-Options: nosniff`,
//!   `Referrer-Policy: no-referrer`, `X-Frame-Options: DENY` and `Cache-Control: no-store`.

pub mod pages;
pub mod session;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Router};
use serde::Deserialize;

use sekisho_finding::Severity;
use sekisho_report::ScanReport;

use crate::state::App;
use pages::{ArtifactLine, DbPage, Viewer};
use session::{COOKIE, LOGIN_COOKIE, Session, Sessions};

/// Artifacts per page of `/`.
pub const ARTIFACTS_PER_PAGE: usize = 50;
/// Deliveries shown per webhook.
pub const DELIVERIES_PER_WEBHOOK: usize = 50;
/// Days listed on `/changes`.
pub const CHANGE_DAYS: usize = 90;
/// Events listed on `/changes`.
pub const RECENT_EVENTS: usize = 100;

type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// How the dashboard gets an artifact's findings document: the API's
/// `GET /api/v1/artifacts/{id}/findings` handler, handed in by [`crate::api::router`] (so the
/// page shows exactly what the API serves, and this module does not depend on the API's).
/// `Err`: the status and message of the API's error.
pub type FindingsFn = fn(Arc<App>, String) -> BoxFuture<Result<Response, (StatusCode, String)>>;

/// The dashboard's own state.
pub struct Dash {
    pub sessions: Sessions,
    findings: FindingsFn,
}

impl std::fmt::Debug for Dash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Dash({:?})", self.sessions)
    }
}

/// The dashboard's routes, to merge into the API router.
pub fn router(findings: FindingsFn) -> Router<Arc<App>> {
    let dash = Arc::new(Dash {
        sessions: Sessions::new(),
        findings,
    });
    Router::new()
        .route("/", get(artifacts_page))
        .route("/login", get(login_form).post(login))
        .route("/logout", post(logout))
        .route("/artifacts/{id}", get(artifact_page))
        .route("/artifacts/{id}/delete", post(delete_artifact))
        .route("/changes", get(changes_page))
        .route("/webhooks", get(webhooks_page))
        .route(
            "/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(redeliver),
        )
        .route("/db", get(db_page))
        .layer(Extension(dash))
        .layer(middleware::map_response(security_headers))
}

async fn security_headers(mut r: Response) -> Response {
    let h = r.headers_mut();
    if let Ok(v) = HeaderValue::from_str(pages::csp()) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn html(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}

fn redirect(to: &'static str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
}

fn cookie_of<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| crate::browser::cookie(h, name))
}

/// The live session of the request, with its cookie value.
fn session_of(d: &Dash, headers: &HeaderMap) -> Option<(String, Session)> {
    let c = cookie_of(headers, COOKIE)?;
    d.sessions.get(c).map(|s| (c.to_string(), s))
}

/// Whether `Secure` goes on the cookies.
fn secure(app: &App, headers: &HeaderMap) -> bool {
    app.cfg.cookie_secure
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim().eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: u64, secure: bool) -> String {
    format!(
        "{name}={value}; HttpOnly; SameSite=Strict; Path={path}; Max-Age={max_age}{}",
        if secure { "; Secure" } else { "" }
    )
}

/// A state-changing request from a browser must come from this origin
/// ([`crate::browser::same_origin`]).
fn same_origin(headers: &HeaderMap) -> bool {
    crate::browser::same_origin(
        headers.get("sec-fetch-site").map(HeaderValue::as_bytes),
        headers.get(header::ORIGIN).map(HeaderValue::as_bytes),
        headers.get(header::HOST).map(HeaderValue::as_bytes),
    )
}

fn forbidden(viewer: Option<&Viewer<'_>>, why: &str) -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::message(viewer, "Forbidden", why),
    )
}

fn form_fields(f: Result<Form<HashMap<String, String>>, FormRejection>) -> HashMap<String, String> {
    f.map(|Form(m)| m).unwrap_or_default()
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, String> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| format!("task failed: {e}"))?
}

fn internal(viewer: &Viewer<'_>, e: &str) -> Response {
    html(
        StatusCode::INTERNAL_SERVER_ERROR,
        pages::message(Some(viewer), "Error", e),
    )
}

// ---- login and logout ------------------------------------------------------------------------

fn login_page(
    app: &App,
    headers: &HeaderMap,
    d: &Dash,
    status: StatusCode,
    error: Option<&str>,
) -> Response {
    let token = d.sessions.login_token();
    let mut r = html(status, pages::login(&token, error));
    let c = set_cookie(
        LOGIN_COOKIE,
        &token,
        "/login",
        session::LOGIN_TTL.as_secs(),
        secure(app, headers),
    );
    if let Ok(v) = HeaderValue::from_str(&c) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

async fn login_form(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
) -> Response {
    if session_of(&d, &headers).is_some() {
        return redirect("/");
    }
    login_page(&app, &headers, &d, StatusCode::OK, None)
}

async fn login(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    if !same_origin(&headers) {
        return forbidden(None, "This form must be sent from this server's own page.");
    }
    let f = form_fields(form);
    if !d.sessions.login_token_ok(
        cookie_of(&headers, LOGIN_COOKIE),
        f.get("csrf").map(String::as_str),
    ) {
        return forbidden(
            None,
            "The sign-in form expired or did not come from this server: open /login and try again.",
        );
    }
    let presented = f.get("token").map_or("", |t| t.trim());
    let Some(access) = app.cfg.tokens.check(presented.as_bytes()) else {
        return login_page(
            &app,
            &headers,
            &d,
            StatusCode::UNAUTHORIZED,
            Some("That token is not valid."),
        );
    };
    let Some(value) = d.sessions.create(access) else {
        return html(
            StatusCode::SERVICE_UNAVAILABLE,
            pages::message(
                None,
                "Too many sessions",
                "Too many open sessions: try again later.",
            ),
        );
    };
    let sec = secure(&app, &headers);
    let mut r = redirect("/");
    for c in [
        set_cookie(COOKIE, &value, "/", session::TTL.as_secs(), sec),
        set_cookie(LOGIN_COOKIE, "", "/login", 0, sec),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            r.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    r
}

/// Check a session's form: same origin and the session's CSRF token.
fn form_ok(s: &Session, headers: &HeaderMap, f: &HashMap<String, String>) -> bool {
    same_origin(headers)
        && f.get("csrf")
            .is_some_and(|t| session::same_token(t, &s.csrf))
}

async fn logout(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some((value, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let f = form_fields(form);
    if !form_ok(&s, &headers, &f) {
        let v = Viewer {
            access: s.access,
            csrf: &s.csrf,
        };
        return forbidden(Some(&v), "This form did not come from this session's page.");
    }
    d.sessions.remove(&value);
    let mut r = redirect("/login");
    if let Ok(v) = HeaderValue::from_str(&set_cookie(COOKIE, "", "/", 0, secure(&app, &headers))) {
        r.headers_mut().append(header::SET_COOKIE, v);
    }
    r
}

// ---- pages -----------------------------------------------------------------------------------

/// The findings of an artifact as the API serves them (`GET /api/v1/artifacts/{id}/findings`),
/// so the dashboard shows exactly that document. `Ok(None)`: no such artifact.
async fn report_of(d: &Dash, app: &Arc<App>, id: String) -> Result<Option<ScanReport>, String> {
    let r = match (d.findings)(app.clone(), id).await {
        Ok(r) => r,
        Err((status, _)) if status == StatusCode::NOT_FOUND => return Ok(None),
        Err((_, message)) => return Err(message),
    };
    let body = axum::body::to_bytes(r.into_body(), usize::MAX)
        .await
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&body)
        .map(Some)
        .map_err(|e| format!("the findings document does not decode: {e}"))
}

#[derive(Deserialize)]
struct After {
    after: Option<String>,
}

async fn artifacts_page(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
    Query(q): Query<After>,
) -> Response {
    let Some((_, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let v = Viewer {
        access: s.access,
        csrf: &s.csrf,
    };
    let a = app.clone();
    let listed = blocking(move || {
        let list = a
            .store
            .list_artifacts(q.after.as_deref(), ARTIFACTS_PER_PAGE)
            .map_err(|e| e.to_string())?;
        let total = a.store.counts().map_err(|e| e.to_string())?.artifacts;
        Ok((list, total))
    })
    .await;
    let (list, total) = match listed {
        Ok(x) => x,
        Err(e) => return internal(&v, &e),
    };
    let next = (list.len() == ARTIFACTS_PER_PAGE)
        .then(|| list.last().map(|m| m.id.clone()))
        .flatten();
    let mut lines = Vec::with_capacity(list.len());
    for meta in list {
        let counts = match report_of(&d, &app, meta.id.clone()).await {
            Ok(Some(r)) => {
                let mut c: BTreeMap<Severity, usize> = r.summary.by_severity.clone();
                c.retain(|_, n| *n > 0);
                Ok(c)
            }
            Ok(None) => Err("deleted while this page was made".to_string()),
            Err(e) => Err(e),
        };
        lines.push(ArtifactLine { meta, counts });
    }
    html(
        StatusCode::OK,
        pages::artifacts(&v, &lines, total, next.as_deref()),
    )
}

async fn artifact_page(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let Some((_, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let v = Viewer {
        access: s.access,
        csrf: &s.csrf,
    };
    match report_of(&d, &app, id.clone()).await {
        Ok(Some(r)) => html(StatusCode::OK, pages::artifact(&v, &id, &r)),
        Ok(None) => html(
            StatusCode::NOT_FOUND,
            pages::message(Some(&v), "Not found", "No such artifact."),
        ),
        Err(e) => internal(&v, &e),
    }
}

async fn changes_page(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
) -> Response {
    let Some((_, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let v = Viewer {
        access: s.access,
        csrf: &s.csrf,
    };
    let r = blocking(move || {
        Ok((
            app.store
                .event_days(CHANGE_DAYS)
                .map_err(|e| e.to_string())?,
            app.store
                .recent_events(RECENT_EVENTS)
                .map_err(|e| e.to_string())?,
        ))
    })
    .await;
    match r {
        Ok((days, recent)) => html(StatusCode::OK, pages::changes(&v, &days, &recent)),
        Err(e) => internal(&v, &e),
    }
}

async fn webhooks_page(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
) -> Response {
    let Some((_, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let v = Viewer {
        access: s.access,
        csrf: &s.csrf,
    };
    let r = blocking(move || {
        let hooks = app.store.webhooks().map_err(|e| e.to_string())?;
        let mut out = Vec::with_capacity(hooks.len());
        for w in hooks {
            let ds = app
                .store
                .deliveries(&w.id, DELIVERIES_PER_WEBHOOK)
                .map_err(|e| e.to_string())?;
            out.push((w, ds));
        }
        Ok(out)
    })
    .await;
    match r {
        Ok(hooks) => html(
            StatusCode::OK,
            pages::webhooks(&v, &hooks, DELIVERIES_PER_WEBHOOK),
        ),
        Err(e) => internal(&v, &e),
    }
}

async fn redeliver(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
    Path((id, delivery)): Path<(String, String)>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some((_, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let v = Viewer {
        access: s.access,
        csrf: &s.csrf,
    };
    if !form_ok(&s, &headers, &form_fields(form)) {
        return forbidden(Some(&v), "This form did not come from this session's page.");
    }
    if !v.can_write() {
        return forbidden(
            Some(&v),
            "Signed in with a read-only token: redelivering needs a read-write one.",
        );
    }
    let a = app.clone();
    let r = blocking(move || {
        a.store
            .redeliver(&id, &delivery, crate::ids::now_ms())
            .map_err(|e| e.to_string())
    })
    .await;
    match r {
        Ok(true) => {
            app.wake_deliveries.notify_one();
            redirect("/webhooks")
        }
        Ok(false) => html(
            StatusCode::NOT_FOUND,
            pages::message(Some(&v), "Not found", "No such delivery."),
        ),
        Err(e) => internal(&v, &e),
    }
}

async fn delete_artifact(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Some((_, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let v = Viewer {
        access: s.access,
        csrf: &s.csrf,
    };
    let f = form_fields(form);
    if !form_ok(&s, &headers, &f) {
        return forbidden(Some(&v), "This form did not come from this session's page.");
    }
    if !v.can_write() {
        return forbidden(
            Some(&v),
            "Signed in with a read-only token: deleting needs a read-write one.",
        );
    }
    if f.get("confirm").map(String::as_str) != Some("yes") {
        return html(
            StatusCode::BAD_REQUEST,
            pages::message(
                Some(&v),
                "Not deleted",
                "Tick the box to confirm the deletion.",
            ),
        );
    }
    let r = blocking(move || app.store.delete_artifact(&id).map_err(|e| e.to_string())).await;
    match r {
        Ok(true) => redirect("/"),
        Ok(false) => html(
            StatusCode::NOT_FOUND,
            pages::message(Some(&v), "Not found", "No such artifact."),
        ),
        Err(e) => internal(&v, &e),
    }
}

async fn db_page(
    State(app): State<Arc<App>>,
    Extension(d): Extension<Arc<Dash>>,
    headers: HeaderMap,
) -> Response {
    let Some((_, s)) = session_of(&d, &headers) else {
        return redirect("/login");
    };
    let v = Viewer {
        access: s.access,
        csrf: &s.csrf,
    };
    let r = blocking(move || {
        let error = app
            .matcher
            .db_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        let status = match app.matcher.db() {
            Some(db) => Some(db.status().map_err(|e| e.to_string())?),
            None => None,
        };
        Ok(DbPage {
            path: app.matcher.db_path.display().to_string(),
            status,
            error,
            pending_advisories: app
                .store
                .counts()
                .map_err(|e| e.to_string())?
                .pending_advisories,
        })
    })
    .await;
    match r {
        Ok(p) => html(StatusCode::OK, pages::db(&v, &p)),
        Err(e) => internal(&v, &e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        m
    }

    #[test]
    fn origin_checks_read_the_headers() {
        assert!(same_origin(&h(&[])));
        assert!(same_origin(&h(&[
            ("host", "127.0.0.1:8480"),
            ("origin", "http://127.0.0.1:8480"),
            ("sec-fetch-site", "same-origin"),
        ])));
        assert!(!same_origin(&h(&[
            ("host", "127.0.0.1:8480"),
            ("origin", "http://evil.example"),
        ])));
        assert!(!same_origin(&h(&[("sec-fetch-site", "cross-site")])));
    }

    #[test]
    fn cookies_carry_the_flags() {
        assert_eq!(
            set_cookie(COOKIE, "v", "/", 10, false),
            "sekisho_session=v; HttpOnly; SameSite=Strict; Path=/; Max-Age=10"
        );
        assert!(set_cookie(COOKIE, "v", "/", 10, true).ends_with("; Secure"));
    }
}
