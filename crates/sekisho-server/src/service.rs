//! The server process: the background tasks (DB watcher and re-match worker, delivery worker)
//! and the listener with graceful shutdown on SIGTERM/SIGINT.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::state::{App, Config};
use crate::webhook;

/// Watch the DB file and re-match queued advisories.
async fn rematch_loop(app: Arc<App>) {
    let mut tick = tokio::time::interval(app.cfg.poll_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            () = app.wake_rematch.notified() => {}
        }
        let a = app.clone();
        let r = tokio::task::spawn_blocking(move || -> Result<(), String> {
            if let Some(n) = a.matcher.check(a.store.as_ref())? {
                // A look at a new file may already have raised events (uploads matched against
                // the old one are matched again there).
                a.wake_deliveries.notify_one();
                a.warmer.want_all();
                if n > 0 {
                    eprintln!(
                        "sekisho server: vulnerability DB changed: {n} advisories to re-match"
                    );
                }
            }
            loop {
                let t0 = Instant::now();
                let wake = || a.wake_deliveries.notify_one();
                let Some(pass) =
                    a.matcher
                        .rematch_batch_notify(a.store.as_ref(), a.cfg.rematch_batch, &wake)?
                else {
                    return Ok(());
                };
                // Findings may have changed without an event (an advisory's text): the reports
                // of the artifacts changed are built again.
                if pass.components > 0 {
                    a.warmer.want_all();
                }
                let m = &a.metrics;
                m.rematch_passes.fetch_add(1, Ordering::Relaxed);
                m.rematch_components
                    .fetch_add(pass.components as u64, Ordering::Relaxed);
                m.rematch_micros
                    .fetch_add(t0.elapsed().as_micros() as u64, Ordering::Relaxed);
                if pass.events > 0 {
                    a.wake_deliveries.notify_one();
                }
                eprintln!(
                    "sekisho server: re-matched {} advisories: {} components ({} packages), {} \
                     events in {:.1} ms (read {:.1}, match {:.1}, write {:.1})",
                    pass.advisories,
                    pass.components,
                    pass.packages,
                    pass.events,
                    t0.elapsed().as_secs_f64() * 1e3,
                    pass.read.as_secs_f64() * 1e3,
                    pass.matched.as_secs_f64() * 1e3,
                    pass.written.as_secs_f64() * 1e3,
                );
            }
        })
        .await;
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => eprintln!("sekisho server: re-match: {e}"),
            Err(e) => eprintln!("sekisho server: re-match task failed: {e}"),
        }
    }
}

/// Send due deliveries; sleep until the next one is due or new events arrive.
async fn delivery_loop(app: Arc<App>) {
    let lease_ms = (app.cfg.delivery_timeout.as_millis() as i64) * 3 + 5_000;
    loop {
        let a = app.clone();
        let jobs = tokio::task::spawn_blocking(move || {
            a.store.claim_deliveries(crate::ids::now_ms(), lease_ms, 64)
        })
        .await;
        let jobs = match jobs {
            Ok(Ok(j)) => j,
            Ok(Err(e)) => {
                eprintln!("sekisho server: deliveries: {e}");
                Vec::new()
            }
            Err(e) => {
                eprintln!("sekisho server: delivery task failed: {e}");
                Vec::new()
            }
        };
        let had_jobs = !jobs.is_empty();
        let mut set = tokio::task::JoinSet::new();
        for job in jobs {
            let a = app.clone();
            set.spawn(async move { attempt(&a, job).await });
        }
        // The round's outcomes are recorded in one transaction (not one each: they share the
        // store's writer with the re-match). A crash before that sends them again, with the
        // same webhook-id.
        let mut done = Vec::new();
        while let Some(r) = set.join_next().await {
            if let Ok(a) = r {
                done.push(a);
            }
        }
        if !done.is_empty() {
            let a = app.clone();
            let r = tokio::task::spawn_blocking(move || a.store.finish_attempts(&done)).await;
            if let Ok(Err(e)) = r {
                eprintln!("sekisho server: recording deliveries: {e}");
            }
        }
        if had_jobs {
            continue;
        }
        let a = app.clone();
        let next = tokio::task::spawn_blocking(move || a.store.next_delivery_due())
            .await
            .ok()
            .and_then(Result::ok)
            .flatten();
        let wait = match next {
            Some(t) => Duration::from_millis((t - crate::ids::now_ms()).clamp(10, 5_000) as u64),
            None => Duration::from_secs(5),
        };
        tokio::select! {
            () = tokio::time::sleep(wait) => {}
            () = app.wake_deliveries.notified() => {}
        }
    }
}

/// Make one attempt at a delivery; what to record of it.
async fn attempt(app: &App, job: crate::store::DeliveryJob) -> crate::store::Attempt {
    let ts = crate::ids::now_ms() / 1000;
    let out = webhook::deliver(
        &webhook::Message {
            url: &job.url,
            secret: &job.secret,
            msg_id: &job.msg_id,
            timestamp: ts,
            body: job.payload.as_bytes(),
        },
        app.cfg.allow_private_webhooks,
        app.cfg.delivery_timeout,
    )
    .await;
    let ok = out.ok();
    let n = job.attempts + 1;
    let now = crate::ids::now_ms();
    let next = if ok || n >= app.cfg.max_attempts {
        None
    } else {
        let d = webhook::backoff(
            app.cfg.backoff_base,
            app.cfg.backoff_max,
            n,
            crate::ids::unit_random(),
        );
        Some(now + d.as_millis() as i64)
    };
    let m = &app.metrics;
    if ok {
        m.deliveries_ok.fetch_add(1, Ordering::Relaxed);
    } else {
        m.delivery_failures.fetch_add(1, Ordering::Relaxed);
        if next.is_none() {
            m.dead_letters.fetch_add(1, Ordering::Relaxed);
        }
    }
    crate::store::Attempt {
        id: job.id,
        at_ms: now,
        status: out.status,
        error: out.error,
        delivered: ok,
        next_ms: next,
    }
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => std::future::pending::<()>().await,
    }
}

/// Run the server until SIGTERM or SIGINT.
///
/// # Errors
/// When the store cannot be opened or the address cannot be bound.
pub fn run(cfg: Config) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sekisho-server")
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))?;
    // Opened before the runtime runs anything: the PostgreSQL client blocks, and the store is
    // only ever called from blocking threads.
    let app = App::open(cfg)?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(app.cfg.listen)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", app.cfg.listen))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        // One line a supervisor (or a test) can wait for.
        eprintln!("sekisho server: listening on http://{addr}");
        if let Some(e) = app
            .matcher
            .db_error
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
        {
            eprintln!("sekisho server: warning: {e}; findings wait for a database");
        }
        tokio::spawn(rematch_loop(app.clone()));
        tokio::spawn(delivery_loop(app.clone()));
        tokio::spawn(crate::jobs::job_loop(app.clone()));
        tokio::spawn(crate::jobs::watch_loop(app.clone()));
        let warming = {
            let a = app.clone();
            std::thread::Builder::new()
                .name("sekisho-reports".into())
                .spawn(move || crate::reports::warm(&a))
                .map_err(|e| format!("cannot start the report builder: {e}"))?
        };
        let extra = crate::images::routes().merge(crate::harbor::routes());
        let router = crate::api::router(app.clone(), extra);
        axum::serve(listener, router)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(|e| format!("server: {e}"))?;
        app.warmer.stop();
        let _ = warming.join();
        eprintln!("sekisho server: stopped");
        Ok(())
    })
}
