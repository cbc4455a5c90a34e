//! The `fanfare` command line. `main.rs` only calls [`run`]. Each subcommand that
//! is more than a few lines lives in its own file in this folder.

use clap::{Parser, Subcommand};

mod export;
mod rotate_keys;
mod seed;
mod segments;
mod sentiment;
mod simulate;
mod verify_draw;

use crate::config::Settings;
use crate::startup::{Application, BuildOptions};

#[derive(Parser, Debug)]
#[command(
    name = "fanfare",
    version,
    about = "Contests and promotions on Facebook pages, with a social CRM."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve HTTP (and run job workers unless --no-worker). The default.
    Serve {
        /// Run HTTP only; job workers run elsewhere (`fanfare worker`).
        #[arg(long)]
        no_worker: bool,
    },
    /// Create the database when missing, apply pending migrations, and exit.
    Migrate,
    /// Run the sandbox platform alone (fake Graph API, OAuth dialog, webhook sender).
    Sandbox {
        /// Port to listen on (default: server.port).
        #[arg(long)]
        port: Option<u16>,
        /// Where to deliver page events (default: sandbox.webhook_url).
        #[arg(long)]
        webhook_url: Option<String>,
    },
    /// Run job workers without HTTP.
    Worker {
        /// Number of workers (default: worker.concurrency).
        #[arg(long)]
        concurrency: Option<usize>,
    },
    /// Export a page's contacts (CSV or NDJSON) with their metrics and segments.
    Export {
        /// The page: Fanfare id or Facebook page id.
        #[arg(long)]
        page: String,
        /// csv or ndjson.
        #[arg(long, default_value = "csv")]
        format: String,
        /// Only contacts in this segment (e.g. campaigner).
        #[arg(long)]
        segment: Option<String>,
        /// Write here instead of stdout.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Drive simulated fans (campaigners, assistants, side-liners) through a running
    /// Fanfare in sandbox mode, then print what happened and the segment sizes.
    Simulate {
        /// Base URL of the running Fanfare (default: its configured address).
        #[arg(long)]
        url: Option<String>,
        #[arg(long, default_value_t = 10)]
        campaigners: usize,
        #[arg(long, default_value_t = 20)]
        assistants: usize,
        #[arg(long, default_value_t = 30)]
        side_liners: usize,
        /// Fraction of assistants who vote instead of entering.
        #[arg(long, default_value_t = 0.5)]
        vote_rate: f64,
        /// Fraction of side-liners who comment or react on the page.
        #[arg(long, default_value_t = 0.5)]
        comment_rate: f64,
        /// Votes rallied for each campaigner.
        #[arg(long, default_value_t = 3)]
        rally: usize,
        /// Fans who only take part in a prize poll of a second contest.
        #[arg(long, default_value_t = 5)]
        poll_fans: usize,
        /// Then close the contest, pick winners by votes and announce them.
        #[arg(long)]
        finish: bool,
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Re-seal every encrypted token and draw seed with the current secret key
    /// (after a key rotation; see README "Rotating the secret key").
    RotateKeys,
    /// Segment maintenance.
    Segments {
        #[command(subcommand)]
        action: SegmentsAction,
    },
    /// Score texts from stdin, one per line: one VADER compound score per line.
    Sentiment,
    /// Bulk synthetic data for the benchmarks (bench/): queued feed events, or
    /// contacts with timeline activities. Needs the page installed.
    #[command(hide = true)]
    Seed {
        /// Facebook page id of an installed page (default: the sandbox demo page).
        #[arg(long, default_value = crate::platform::sandbox::seed::BRAND_PAGE)]
        page: String,
        /// Feed events to store and queue for processing.
        #[arg(long, default_value_t = 0)]
        events: u64,
        /// Distinct fans the events come from.
        #[arg(long, default_value_t = 20_000)]
        senders: u64,
        /// Contacts to add.
        #[arg(long, default_value_t = 0)]
        contacts: u64,
        /// Timeline activities to add, spread over the new contacts.
        #[arg(long, default_value_t = 0)]
        activities: u64,
    },
    /// Verify a published draw record (JSON file path or http(s) URL).
    VerifyDraw {
        /// Path of the draw record JSON, or its http(s) URL.
        source: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum SegmentsAction {
    /// Full recompute of every segment (optionally rebuilding metrics first).
    Recompute {
        /// One page (Fanfare id or Facebook page id); all pages when absent.
        #[arg(long)]
        page: Option<String>,
        /// Also rebuild contact metrics and daily rollups from the timeline.
        #[arg(long)]
        rebuild_metrics: bool,
    },
}

pub fn run() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let settings = Settings::load()?;
    crate::telemetry::init(&settings.log);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve { no_worker: false }) {
            Command::Serve { no_worker } => serve(settings, !no_worker).await,
            Command::Migrate => migrate(settings).await,
            Command::Worker { concurrency } => worker(settings, concurrency).await,
            Command::Sandbox { port, webhook_url } => sandbox(settings, port, webhook_url).await,
            Command::Sentiment => sentiment::run(),
            Command::Seed {
                page,
                events,
                senders,
                contacts,
                activities,
            } => {
                tokio::task::spawn_blocking(move || {
                    seed::run(
                        &settings,
                        seed::SeedArgs {
                            page,
                            events,
                            senders,
                            contacts,
                            activities,
                        },
                    )
                })
                .await?
            }
            Command::RotateKeys => {
                tokio::task::spawn_blocking(move || rotate_keys::run(&settings)).await?
            }
            Command::Simulate {
                url,
                campaigners,
                assistants,
                side_liners,
                vote_rate,
                comment_rate,
                rally,
                poll_fans,
                finish,
                seed,
            } => {
                let url = url.unwrap_or_else(|| {
                    if settings.server.public_url.is_empty() {
                        format!("http://{}:{}", settings.server.host, settings.server.port)
                    } else {
                        settings.server.public_url.clone()
                    }
                });
                simulate::run(
                    &settings,
                    simulate::Options {
                        url,
                        campaigners,
                        assistants,
                        side_liners,
                        vote_rate,
                        comment_rate,
                        rally,
                        poll_fans,
                        finish,
                        seed,
                    },
                )
                .await
            }
            Command::Export {
                page,
                format,
                segment,
                output,
            } => {
                tokio::task::spawn_blocking(move || {
                    export::run(
                        &settings,
                        export::ExportArgs {
                            page,
                            format,
                            segment,
                            output,
                        },
                    )
                })
                .await?
            }
            Command::Segments {
                action:
                    SegmentsAction::Recompute {
                        page,
                        rebuild_metrics,
                    },
            } => {
                tokio::task::spawn_blocking(move || {
                    segments::recompute(&settings, page, rebuild_metrics)
                })
                .await?
            }
            Command::VerifyDraw { source } => verify_draw::run(&source).await,
        }
    })
}

async fn serve(settings: Settings, workers: bool) -> anyhow::Result<()> {
    let app = Application::build_with(
        settings,
        BuildOptions {
            workers,
            sandbox_only: false,
        },
    )
    .await?;
    tracing::info!(url = %app.public_url(), "Fanfare is listening");
    app.run_until_stopped().await?;
    tracing::info!("Fanfare stopped");
    Ok(())
}

async fn sandbox(
    mut settings: Settings,
    port: Option<u16>,
    webhook_url: Option<String>,
) -> anyhow::Result<()> {
    if let Some(p) = port {
        settings.server.port = p;
    }
    if let Some(url) = webhook_url {
        settings.sandbox.webhook_url = url;
    }
    let app = Application::build_with(
        settings,
        BuildOptions {
            workers: false,
            sandbox_only: true,
        },
    )
    .await?;
    tracing::info!(url = %format!("{}/sandbox", app.public_url()), "sandbox platform is listening");
    app.run_until_stopped().await?;
    Ok(())
}

async fn migrate(settings: Settings) -> anyhow::Result<()> {
    let applied =
        tokio::task::spawn_blocking(move || crate::db::prepare(&settings.database)).await??;
    if applied.is_empty() {
        println!("database is up to date");
    } else {
        for v in applied {
            println!("applied {v}");
        }
    }
    Ok(())
}

async fn worker(mut settings: Settings, concurrency: Option<usize>) -> anyhow::Result<()> {
    let count = concurrency.unwrap_or(settings.worker.concurrency).max(1);
    settings.worker.concurrency = count;
    // Workers need no listener: bind an ephemeral port on loopback that nothing uses.
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    let app = Application::build_with(
        settings,
        BuildOptions {
            workers: false,
            sandbox_only: false,
        },
    )
    .await?;
    let pool = crate::startup::start_workers(app.state(), count);
    tracing::info!(count, "job workers running; Ctrl-C or SIGTERM to stop");
    // SIGTERM is what container runtimes send: stop as gracefully as on Ctrl-C
    // (running jobs finish their transaction) instead of dying mid-batch.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    pool.stop().await;
    tracing::info!("job workers stopped");
    Ok(())
}
