//! The job queue worker and the tag watcher.
//!
//! - Jobs (`POST /images`, Harbor scan requests) are rows of the store's job table. A worker
//!   takes one when a scan slot is free (the server's scan bound), holds it under a lease it
//!   renews while the pull runs, and ends it in the same transaction that stores its artifact:
//!   a crash before that commit leaves the job to be taken again (after the lease, or at once
//!   when the embedded store restarts), and a crash after it leaves nothing to redo. So no job
//!   is lost and none stores its artifact twice.
//! - Watches: every stored image tag has its manifest digest checked every `--watch-interval`
//!   (a watch is leased while checked the same way). An unchanged digest costs one manifest
//!   request; a new one is pulled and cataloged, and the artifact's components and findings
//!   are replaced in one transaction that also records the `finding.new` / `finding.resolved`
//!   events, as a re-match does.
//! - Registries: the server starts from nothing ambient ([`sekisho_scan::Environment`]'s
//!   isolated form): no proxy, and no credentials except its Docker config's for the registries
//!   configured with `--registry`. For every other registry each connection (registry, token
//!   realm, redirect) goes to an address the client resolved and checked: loopback, private and
//!   link-local addresses are refused unless `--allow-private-registries`.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use sekisho_artifact::image::auth::Credentials;
use sekisho_artifact::image::reference::Reference;
use sekisho_artifact::image::registry::{AddressFilter, Client, RegistryOptions};
use sekisho_report::Target;
use sekisho_scan::{ImageSource, ImageSpec, RegistryAccess, ScanOptions, TargetSpec};

use crate::harbor_input::registry_host;
use crate::ids;
use crate::matching;
use crate::state::App;
use crate::store::{ArtifactMeta, JobRow, NewArtifact, NewComponent, WatchRow};

/// Why an address may not be reached, if it may not.
pub fn refuse_private(ip: std::net::IpAddr) -> Result<(), String> {
    if crate::target::is_private(ip) {
        Err(
            "a loopback, private or link-local address; refused without --allow-private-registries"
                .into(),
        )
    } else {
        Ok(())
    }
}

/// Check a reference's registry before a job is queued: it parses, and its host resolves only
/// to addresses that may be reached. (The client checks every connection again.)
///
/// # Errors
/// What is wrong, for a 400.
pub async fn check_reference(app: &App, reference: &str) -> Result<Reference, String> {
    if reference.len() > 1024 || reference.chars().any(char::is_control) {
        return Err("ref: at most 1024 bytes, no control characters".into());
    }
    let r = Reference::parse(reference).map_err(|e| format!("ref: {e}"))?;
    if app.cfg.allow_private_registries || configured(app, &r) {
        return Ok(r);
    }
    let host = r.api_host().to_string();
    let (h, port) = split_host_port(&host);
    let addrs: Vec<std::net::SocketAddr> = match h.parse::<std::net::IpAddr>() {
        Ok(ip) => vec![std::net::SocketAddr::new(ip, port)],
        Err(_) => tokio::net::lookup_host((h, port))
            .await
            .map_err(|e| format!("ref: cannot resolve {h}: {e}"))?
            .collect(),
    };
    if addrs.is_empty() {
        return Err(format!("ref: {h} resolves to no address"));
    }
    for a in addrs {
        if let Err(why) = refuse_private(a.ip()) {
            return Err(format!(
                "ref: registry {host} resolves to {}: {why}",
                a.ip()
            ));
        }
    }
    Ok(r)
}

fn split_host_port(hp: &str) -> (&str, u16) {
    if let Some(rest) = hp.strip_prefix('[') {
        return match rest.split_once("]:") {
            Some((h, p)) => (h, p.parse().unwrap_or(443)),
            None => (rest.trim_end_matches(']'), 443),
        };
    }
    match hp.rsplit_once(':') {
        Some((h, p)) if !h.contains(':') => (h, p.parse().unwrap_or(443)),
        _ => (hp, 443),
    }
}

/// Whether the operator configured `r`'s registry (`--registry`).
pub fn configured(app: &App, r: &Reference) -> bool {
    app.cfg
        .registries
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&r.registry) || h.eq_ignore_ascii_case(r.api_host()))
}

/// How the server reaches the registry of `r`: nothing ambient. A configured registry gets the
/// server's own credentials and may be on any address; any other gets no credentials and the
/// private-address filter (unless `--allow-private-registries`).
pub fn access_for(app: &App, r: &Reference) -> RegistryAccess {
    let mut a = RegistryAccess::default();
    if configured(app, r) {
        a.docker_config = app.cfg.docker_config.clone();
    } else if !app.cfg.allow_private_registries {
        a.address_filter = Some(AddressFilter(Arc::new(refuse_private)));
    }
    a
}

fn options_of(a: &RegistryAccess) -> RegistryOptions {
    RegistryOptions {
        insecure: a.insecure,
        credentials: a.credentials.clone(),
        ca_certs: a.ca_certs.clone(),
        docker_config: a.docker_config.clone(),
        proxy: a.proxy.clone(),
        address_filter: a.address_filter.clone(),
        authorization: a.authorization.clone(),
        ..RegistryOptions::default()
    }
}

/// The manifest digest a reference names now (one manifest request).
///
/// # Errors
/// Registry errors.
pub fn current_digest(r: &Reference, a: &RegistryAccess) -> Result<String, String> {
    let c = Client::connect(r, &options_of(a)).map_err(|e| chain(&e))?;
    let (_, _, d) = c.manifest(&r.manifest_ref()).map_err(|e| chain(&e))?;
    Ok(d.to_string())
}

fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(x) = src {
        let t = x.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = x.source();
    }
    s
}

/// Pull and catalog an image through the pipeline library (what `sekisho sbom image` does):
/// its report target and its manifest digest.
///
/// # Errors
/// Pull, limit or catalog errors, naming the image.
pub fn catalog(reference: &str, access: RegistryAccess) -> Result<(Target, String), String> {
    let spec = ImageSpec {
        registry: access,
        ..ImageSpec::new(ImageSource::Registry(reference.to_string()))
    };
    let opts = ScanOptions {
        created: ids::rfc3339_ms(ids::now_ms()),
        ..ScanOptions::default()
    };
    let rep = sekisho_scan::inventory(&TargetSpec::Image(spec), &opts).map_err(|e| chain(&e))?;
    let t = rep
        .targets
        .into_iter()
        .next()
        .ok_or_else(|| format!("{reference}: nothing cataloged"))?;
    let digest = t
        .image
        .as_ref()
        .and_then(|i| i.repo_digests.first())
        .and_then(|d| d.rsplit_once('@'))
        .map(|(_, d)| d.to_string())
        .ok_or_else(|| format!("{reference}: the registry gave no manifest digest"))?;
    Ok((t, digest))
}

/// Match a cataloged target against the current DB and hand the artifact to `store`, all while
/// no DB swap can happen (so a swap's re-match either sees the stored artifact or it was matched
/// against the new DB).
///
/// # Errors
/// DB errors, or `store`'s.
pub fn with_matched<T>(
    app: &App,
    meta: ArtifactMeta,
    target: &Target,
    store: impl FnOnce(&NewArtifact) -> Result<T, String>,
) -> Result<T, String> {
    app.matcher.with_db(|db| {
        let positioned: Vec<(u64, sekisho_catalog::Package)> = target
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| (i as u64, p.clone()))
            .collect();
        let mut found = match db {
            Some(db) => matching::match_packages(db, &positioned)?,
            None => HashMap::new(),
        };
        let mut shown = 0u64;
        let components: Vec<NewComponent> = target
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
        let head = json!({"os": target.os, "notes": target.notes, "image": target.image});
        let a = NewArtifact {
            meta: ArtifactMeta {
                components: components.len() as u64,
                findings: shown,
                ..meta
            },
            target: head.to_string(),
            components,
        };
        let out = store(&a)?;
        app.matcher.note_stored(&a.meta.id);
        app.warmer.want(&a.meta.id);
        Ok(out)
    })
}

/// A new image artifact's listing.
pub fn image_meta(name: &str, digest: &str) -> ArtifactMeta {
    let now = ids::rfc3339_ms(ids::now_ms());
    ArtifactMeta {
        id: ids::new_id("art_"),
        name: name.to_string(),
        kind: "image".into(),
        digest: digest.to_string(),
        created: now.clone(),
        updated: now,
        components: 0,
        findings: 0,
    }
}

/// The work of one job, on a blocking thread. `Ok(artifact id)`, `Ok(None)` when the lease was
/// lost meanwhile (another worker has it).
fn run_blocking(app: &App, job: &JobRow, params: &str) -> Result<Option<String>, String> {
    let v: serde_json::Value =
        serde_json::from_str(params).map_err(|e| format!("job parameters: {e}"))?;
    match job.kind.as_str() {
        "image" => {
            let reference = v["ref"].as_str().ok_or("job parameters: no ref")?;
            let r = Reference::parse(reference).map_err(|e| e.to_string())?;
            let (target, digest) = catalog(reference, access_for(app, &r))?;
            let next = ids::now_ms() + app.cfg.watch_interval.as_millis() as i64;
            let stored = with_matched(app, image_meta(reference, &digest), &target, |a| {
                app.store
                    .finish_image_job(
                        &job.id,
                        &app.owner,
                        a,
                        Some((reference, next)),
                        false,
                        ids::now_ms(),
                    )
                    .map_err(|e| e.to_string())
            })?;
            Ok(stored)
        }
        "harbor" => run_harbor_job(app, job, &v),
        other => Err(format!("unknown job kind {other:?}")),
    }
}

/// Run one taken job to its end, renewing its lease while it runs.
async fn run_job(app: Arc<App>, job: JobRow, permit: tokio::sync::OwnedSemaphorePermit) {
    let _permit = permit;
    let a = app.clone();
    let params = tokio::task::spawn_blocking({
        let id = job.id.clone();
        move || a.store.job_params(&id)
    })
    .await;
    let Ok(Ok(Some(params))) = params else {
        eprintln!("sekisho server: job {}: cannot read its parameters", job.id);
        return;
    };
    let a = app.clone();
    let j = job.clone();
    let mut work = tokio::task::spawn_blocking(move || run_blocking(&a, &j, &params));
    let lease = app.cfg.job_lease;
    let mut tick = tokio::time::interval((lease / 3).max(Duration::from_millis(100)));
    tick.tick().await;
    let out = loop {
        tokio::select! {
            r = &mut work => break r,
            _ = tick.tick() => {
                let a = app.clone();
                let id = job.id.clone();
                let until = ids::now_ms() + lease.as_millis() as i64;
                let _ = tokio::task::spawn_blocking(move || a.store.renew_job(&id, &a.owner, until)).await;
            }
        }
    };
    let m = &app.metrics;
    match out {
        Ok(Ok(Some(artifact))) => {
            m.scans.fetch_add(1, Ordering::Relaxed);
            eprintln!("sekisho server: job {} done: {artifact}", job.id);
        }
        Ok(Ok(None)) => eprintln!(
            "sekisho server: job {}: its lease ran out; another worker has it",
            job.id
        ),
        Ok(Err(e)) => {
            m.scan_failures.fetch_add(1, Ordering::Relaxed);
            eprintln!("sekisho server: job {} failed: {e}", job.id);
            let a = app.clone();
            let _ = tokio::task::spawn_blocking(move || {
                a.store.fail_job(&job.id, &a.owner, &e, ids::now_ms())
            })
            .await;
        }
        Err(e) => eprintln!("sekisho server: job {} crashed: {e}", job.id),
    }
}

/// Take queued jobs whenever a scan slot is free.
pub async fn job_loop(app: Arc<App>) {
    loop {
        let Ok(permit) = app.scans.clone().acquire_owned().await else {
            return;
        };
        let a = app.clone();
        let lease = app.cfg.job_lease.as_millis() as i64;
        let taken = tokio::task::spawn_blocking(move || {
            a.store.claim_jobs(&a.owner, ids::now_ms(), lease, 1)
        })
        .await;
        match taken {
            Ok(Ok(mut jobs)) if !jobs.is_empty() => {
                let job = jobs.remove(0);
                tokio::spawn(run_job(app.clone(), job, permit));
            }
            other => {
                drop(permit);
                if let Ok(Err(e)) = other {
                    eprintln!("sekisho server: jobs: {e}");
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    () = app.wake_jobs.notified() => {}
                }
            }
        }
    }
}

/// Check one watched tag: one manifest request; a pull and re-catalog only for a new digest.
fn check_watch(app: &App, w: &WatchRow) -> Result<Option<usize>, String> {
    let r = Reference::parse(&w.reference).map_err(|e| e.to_string())?;
    let access = access_for(app, &r);
    let now_digest = current_digest(&r, &access)?;
    let next = ids::now_ms() + app.cfg.watch_interval.as_millis() as i64;
    if now_digest == w.digest {
        app.store
            .checked_watch(&w.artifact, ids::now_ms(), next, None)
            .map_err(|e| e.to_string())?;
        return Ok(None);
    }
    let (target, digest) = catalog(&w.reference, access)?;
    let meta = ArtifactMeta {
        id: w.artifact.clone(),
        ..image_meta(&w.reference, &digest)
    };
    with_matched(app, meta, &target, |a| {
        app.store
            .recatalog(a, ids::now_ms(), next)
            .map_err(|e| e.to_string())
    })
}

/// Check due watches; sleep a little in between.
pub async fn watch_loop(app: Arc<App>) {
    let poll =
        (app.cfg.watch_interval / 2).clamp(Duration::from_millis(100), Duration::from_secs(5));
    loop {
        let a = app.clone();
        let lease = app.cfg.job_lease.as_millis() as i64 * 5;
        let due =
            tokio::task::spawn_blocking(move || a.store.claim_watches(ids::now_ms(), lease, 64))
                .await;
        let due = match due {
            Ok(Ok(d)) => d,
            Ok(Err(e)) => {
                eprintln!("sekisho server: watches: {e}");
                Vec::new()
            }
            Err(e) => {
                eprintln!("sekisho server: watch task failed: {e}");
                Vec::new()
            }
        };
        let mut set = tokio::task::JoinSet::new();
        for w in due {
            let a = app.clone();
            set.spawn(async move {
                let Ok(_permit) = a.scans.clone().acquire_owned().await else {
                    return;
                };
                let b = a.clone();
                let w2 = w.clone();
                let r = tokio::task::spawn_blocking(move || check_watch(&b, &w2)).await;
                match r {
                    Ok(Ok(None)) => {}
                    Ok(Ok(Some(events))) => {
                        a.metrics.scans.fetch_add(1, Ordering::Relaxed);
                        eprintln!(
                            "sekisho server: {} has a new digest: cataloged again, {events} events",
                            w.reference
                        );
                        if events > 0 {
                            a.wake_deliveries.notify_one();
                        }
                    }
                    Ok(Err(e)) => {
                        eprintln!("sekisho server: checking {}: {e}", w.reference);
                        let next = ids::now_ms() + a.cfg.watch_interval.as_millis() as i64;
                        let b = a.clone();
                        let _ = tokio::task::spawn_blocking(move || {
                            b.store
                                .checked_watch(&w.artifact, ids::now_ms(), next, Some(&e))
                        })
                        .await;
                    }
                    Err(e) => eprintln!("sekisho server: watch check crashed: {e}"),
                }
            });
        }
        while set.join_next().await.is_some() {}
        tokio::time::sleep(poll).await;
    }
}

/// The reference a Harbor job pulls: `host/repository@digest`.
pub fn reference_of(params: &serde_json::Value) -> Option<String> {
    let (host, _) = registry_host(params["registry"]["url"].as_str()?).ok()?;
    Some(format!(
        "{host}/{}@{}",
        params["artifact"]["repository"].as_str()?,
        params["artifact"]["digest"].as_str()?
    ))
}

/// How the registry of a Harbor request is reached: as any registry ([`access_for`]),
/// plus the authorization Harbor handed over: `Basic` credentials (what Harbor sends for its
/// robot account; exchanged for a token at that registry's realm) or a ready `Bearer` token.
fn harbor_access(
    app: &App,
    v: &serde_json::Value,
    r: &Reference,
) -> Result<sekisho_scan::RegistryAccess, String> {
    let mut a = access_for(app, r);
    let url = v["registry"]["url"].as_str().unwrap_or_default();
    let (_, plain) = registry_host(url)?;
    // Harbor named plain HTTP itself (an in-cluster registry): allow it for this pull.
    a.insecure = plain;
    if let Some(z) = v["registry"]["authorization"]
        .as_str()
        .filter(|z| !z.is_empty())
    {
        // Harbor's credential replaces the server's own.
        a.docker_config = None;
        let (scheme, rest) = z.split_once(' ').unwrap_or((z, ""));
        if scheme.eq_ignore_ascii_case("basic") {
            let raw =
                base64::Engine::decode(&base64::engine::general_purpose::STANDARD, rest.trim())
                    .map_err(|_| "registry.authorization: Basic credentials are not base64")?;
            let text = String::from_utf8(raw)
                .map_err(|_| "registry.authorization: Basic credentials are not UTF-8")?;
            let (u, p) = text
                .split_once(':')
                .ok_or("registry.authorization: Basic credentials without a colon")?;
            a.credentials = Some(Credentials {
                username: u.to_string(),
                password: p.to_string(),
            });
        } else if scheme.eq_ignore_ascii_case("bearer") {
            a.authorization = Some(format!("Bearer {}", rest.trim()));
        } else {
            return Err(format!(
                "registry.authorization: scheme {scheme:?} is neither Basic nor Bearer"
            ));
        }
    }
    Ok(a)
}

/// A Harbor job, on a blocking thread: pull the digest, catalog, store (an artifact already
/// stored under the same name and digest is reused).
///
/// # Errors
/// Pull or store errors.
pub fn run_harbor_job(
    app: &App,
    job: &JobRow,
    v: &serde_json::Value,
) -> Result<Option<String>, String> {
    let reference = reference_of(v).ok_or("job parameters: not a Harbor scan request")?;
    let r = Reference::parse(&reference).map_err(|e| e.to_string())?;
    let access = harbor_access(app, v, &r)?;
    let (target, digest) = catalog(&reference, access)?;
    with_matched(app, image_meta(&reference, &digest), &target, |a| {
        app.store
            .finish_image_job(&job.id, &app.owner, a, None, true, ids::now_ms())
            .map_err(|e| e.to_string())
    })
}
