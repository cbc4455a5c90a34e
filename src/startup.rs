//! Builds and runs the application: HTTP server, ingest writers and job workers.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::dev::{Server, Service};
use actix_web::{web, App, HttpMessage, HttpServer};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::config::Settings;
use crate::db::Db;
use crate::ingest::Ingestor;
use crate::jobs::worker::{Wakeup, WorkerPool};
use crate::jobs::{handlers, JobContext, Registry};
use crate::metrics::Metrics;
use crate::platform::sandbox::routes::SandboxState;
use crate::platform::sandbox::Sandbox;
use crate::state::{AppState, Services};
use crate::telemetry::RequestSpan;

/// Options that differ between `serve`, `serve --no-worker` and tests.
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    /// Start the in-process job workers (`worker.concurrency` of them).
    pub workers: bool,
    /// Serve only the sandbox platform and health routes (`fanfare sandbox`).
    pub sandbox_only: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            workers: true,
            sandbox_only: false,
        }
    }
}

pub struct Application {
    port: u16,
    /// Set up the demo page and contest on the first sandbox run.
    demo: bool,
    state: AppState,
    server: Server,
    workers: Option<WorkerPool>,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        Self::build_with(settings, BuildOptions::default()).await
    }

    pub async fn build_with(settings: Settings, opts: BuildOptions) -> anyhow::Result<Application> {
        if settings.database.migrate_on_start {
            let db_settings = settings.database.clone();
            tokio::task::spawn_blocking(move || crate::db::prepare(&db_settings))
                .await
                .context("migration task")??;
        }
        let listener = TcpListener::bind((settings.server.host.as_str(), settings.server.port))
            .with_context(|| {
                format!(
                    "cannot listen on {}:{}",
                    settings.server.host, settings.server.port
                )
            })?;
        let addr = listener.local_addr()?;
        let public_url = if settings.server.public_url.trim().is_empty() {
            format!("http://{addr}")
        } else {
            settings.server.public_url.trim_end_matches('/').to_string()
        };
        let settings = Arc::new(settings);
        let db = Db::new(&settings.database);
        let metrics = Metrics::new();
        let wakeup = Wakeup::default();
        let ingestor = Ingestor::start(
            db.clone(),
            metrics.clone(),
            wakeup.clone(),
            settings.ingest.writers,
            settings.ingest.max_batch,
            settings.worker.max_attempts,
            std::time::Duration::from_millis(settings.worker.linger_ms),
        );
        let services = Arc::new(Services::new(
            &settings,
            &public_url,
            db.clone(),
            metrics.clone(),
        )?);
        let state = AppState {
            settings: settings.clone(),
            public_url,
            db: db.clone(),
            metrics: metrics.clone(),
            ingestor,
            services: services.clone(),
            wakeup: wakeup.clone(),
            keys: Arc::new(crate::auth::keys::SecurityKeys::new(&settings.security)),
            page_contests: Arc::default(),
            fan_pages: Arc::default(),
            views: crate::views::Views::start(
                db.clone(),
                settings.views.buffer,
                settings.views.max_batch,
                std::time::Duration::from_millis(settings.database.acquire_timeout_ms),
            ),
        };

        let sandbox = if settings.is_sandbox() || opts.sandbox_only {
            Some(start_sandbox(&state).await?)
        } else {
            None
        };

        let workers = if opts.workers && !opts.sandbox_only && settings.worker.concurrency > 0 {
            Some(start_workers(&state, settings.worker.concurrency))
        } else {
            None
        };

        let server = build_server(listener, state.clone(), sandbox, opts.sandbox_only)?;
        stop_on_signals(server.handle())?;
        Ok(Application {
            demo: settings.is_sandbox() && settings.sandbox.demo && !opts.sandbox_only,
            port: addr.port(),
            state,
            server,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until SIGTERM/SIGINT (in-flight requests finish), then stops workers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        if self.demo {
            // The install talks to the sandbox over HTTP, so it runs once serving.
            let state = self.state.clone();
            tokio::spawn(async move {
                match crate::domain::demo::ensure(&state).await {
                    Ok(Some(slug)) => {
                        println!("{}", crate::domain::demo::banner(&state.public_url, &slug))
                    }
                    Ok(None) => println!(
                        "\nFanfare (sandbox mode): dashboard at {}/dashboard\n",
                        state.public_url
                    ),
                    Err(e) => tracing::warn!(error = %e, "demo setup failed"),
                }
            });
        }
        let result = self.server.await;
        // In-flight requests are done: store the views they buffered.
        self.state.views.flush().await;
        if let Some(workers) = self.workers {
            workers.stop().await;
        }
        result
    }
}

/// SIGTERM and SIGINT stop the server gracefully (in-flight requests get
/// `server.shutdown_timeout_secs`). The handlers are installed here, before the
/// caller says it is listening: actix would only install its own on the server's
/// first poll, after its workers have started, and a signal arriving in between
/// killed the process outright.
fn stop_on_signals(handle: actix_web::dev::ServerHandle) -> anyhow::Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("SIGINT handler")?;
    tokio::spawn(async move {
        let name = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(signal = name, "stopping: in-flight requests may finish");
        handle.stop(true).await;
    });
    Ok(())
}

/// Job workers without HTTP (`fanfare worker`) use this too.
pub fn start_workers(state: &AppState, count: usize) -> WorkerPool {
    let mut registry = Registry::new();
    handlers::register_all(&mut registry);
    let ctx = JobContext {
        settings: state.settings.clone(),
        metrics: state.metrics.clone(),
        runtime: tokio::runtime::Handle::current(),
        services: state.services.clone(),
    };
    WorkerPool::start(count, state.db.clone(), registry, ctx, state.wakeup.clone())
}

/// Seeds the sandbox world on first run and starts its webhook sender.
async fn start_sandbox(state: &AppState) -> anyhow::Result<SandboxState> {
    let sandbox = Sandbox::new(&state.settings, &state.public_url);
    let (seed, fans) = (state.settings.sandbox.seed, state.settings.sandbox.fans);
    let seeded = state
        .db
        .run(move |c| {
            Ok(crate::platform::sandbox::seed::ensure_seeded(
                c, seed, fans,
            )?)
        })
        .await
        .map_err(|e| anyhow::anyhow!("sandbox seeding failed: {e}"))?;
    if seeded {
        tracing::info!(fans, "seeded the sandbox platform");
    }
    let sender = crate::platform::sandbox::sender::start(state.db.clone(), sandbox.clone());
    Ok(SandboxState {
        sandbox,
        db: state.db.clone(),
        sender,
    })
}

fn build_server(
    listener: TcpListener,
    state: AppState,
    sandbox: Option<SandboxState>,
    sandbox_only: bool,
) -> anyhow::Result<Server> {
    let s = state.settings.server.clone();
    let data = web::Data::new(state);
    let sandbox = sandbox.map(web::Data::new);
    let workers = if s.http_workers == 0 {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        s.http_workers
    };
    let json_limit = s.json_body_limit_bytes;
    let security_headers =
        crate::routes::security_headers::SecurityHeaders::new(&data.settings, &data.public_url);
    let server = HttpServer::new(move || {
        let metrics = data.metrics.clone();
        App::new()
            .wrap_fn(move |req, srv| {
                // Latency histogram by route pattern (bounded label set).
                let start = Instant::now();
                let method = req.method().to_string();
                let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
                let metrics = metrics.clone();
                let fut = srv.call(req);
                async move {
                    let res = fut.await;
                    let status = match &res {
                        Ok(r) => r.status().as_u16(),
                        Err(e) => e.as_response_error().status_code().as_u16(),
                    };
                    let class = format!("{}xx", status / 100);
                    metrics
                        .http_latency
                        .with_label_values(&[method.as_str(), route.as_str(), class.as_str()])
                        .observe(start.elapsed().as_secs_f64());
                    res
                }
            })
            .wrap_fn(|req, srv| {
                // A renewed admin session token goes back with the response.
                let fut = srv.call(req);
                async move {
                    let mut res = fut.await?;
                    let renewed = res
                        .request()
                        .extensions()
                        .get::<crate::auth::admin::RenewedSession>()
                        .cloned();
                    if let Some(r) = renewed {
                        let state = res.request().app_data::<web::Data<AppState>>().cloned();
                        if let Some(state) = state {
                            if r.from_cookie {
                                let cookie = crate::auth::cookies::admin_cookie(
                                    &state,
                                    crate::auth::cookies::ADMIN_COOKIE,
                                    r.token,
                                    state.settings.security.session_max_age_secs,
                                );
                                res.response_mut().add_cookie(&cookie).ok();
                            } else if let Ok(v) =
                                actix_web::http::header::HeaderValue::from_str(&r.token)
                            {
                                res.headers_mut().insert(
                                    actix_web::http::header::HeaderName::from_static(
                                        "x-session-token",
                                    ),
                                    v,
                                );
                            }
                        }
                    }
                    Ok(res)
                }
            })
            .wrap(TracingLogger::<RequestSpan>::new())
            // Outermost, so every response, errors and 404s included, carries them.
            .wrap(security_headers.clone())
            .app_data(data.clone())
            .app_data(crate::routes::json_config(json_limit))
            .app_data(crate::routes::query_config())
            .app_data(crate::routes::form_config(64 * 1024))
            .app_data(crate::routes::path_config())
            .configure(|cfg| {
                if let Some(sb) = &sandbox {
                    // Live mode never mounts these routes.
                    cfg.app_data(sb.clone());
                    crate::platform::sandbox::routes::configure(cfg);
                }
                if sandbox_only {
                    crate::routes::health::configure(cfg);
                } else {
                    crate::routes::configure(cfg);
                }
            })
            .default_service(web::to(crate::routes::not_found))
    })
    .workers(workers)
    .client_request_timeout(Duration::from_millis(s.client_request_timeout_ms))
    .client_disconnect_timeout(Duration::from_millis(s.client_disconnect_timeout_ms))
    .keep_alive(Duration::from_secs(s.keep_alive_secs))
    .shutdown_timeout(s.shutdown_timeout_secs)
    // Signals are handled by `stop_on_signals`, installed before start-up completes.
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
