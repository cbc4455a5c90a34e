//! `GET /ui/styleguide` (dashboard layout) and `GET /ui/styleguide/fan` (fan
//! layout): every component and chart with realistic sample data, so the look can
//! be reviewed in a browser. Sandbox mode only; in live mode they are 404s.

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{web, HttpResponse};
use askama::Template;
use base64::Engine;

use crate::error::AppError;
use crate::state::AppState;
use crate::ui::charts::Svg;
use crate::ui::layout::{DashboardLayout, FanLayout, Flash, FlashKind, PageChoice, Section};
use crate::ui::samples::{self, ChartSample};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/ui/styleguide", web::get().to(dashboard))
        .route("/ui/styleguide/fan", web::get().to(fan));
}

struct Stat {
    label: &'static str,
    value: &'static str,
    delta: &'static str,
    direction: &'static str,
    spark: Svg,
}

struct EntryRow {
    fan: &'static str,
    entry: &'static str,
    submitted: &'static str,
    status: &'static str,
    status_label: &'static str,
}

struct GalleryItem {
    title: &'static str,
    author: &'static str,
    image: String,
    votes: u32,
}

#[derive(Template)]
#[template(path = "ui/styleguide.html")]
struct DashboardSample {
    layout: DashboardLayout,
    stats: Vec<Stat>,
    charts: Vec<ChartSample>,
    rows: Vec<EntryRow>,
    gallery: Vec<GalleryItem>,
    share_url: String,
}

#[derive(Template)]
#[template(path = "ui/styleguide_fan.html")]
struct FanSample {
    layout: FanLayout,
    gallery: Vec<GalleryItem>,
    share_url: String,
}

fn html(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .body(body)
}

fn sandbox_only(state: &AppState) -> Result<(), AppError> {
    if state.settings.is_sandbox() {
        Ok(())
    } else {
        Err(AppError::not_found(
            "the styleguide exists in sandbox mode only",
        ))
    }
}

async fn dashboard(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    sandbox_only(&state)?;
    let mut layout = DashboardLayout::new("Styleguide");
    layout.active = Some(Section::Contests);
    layout.admin_name = Some("Dana Whitfield".into());
    layout.pages = vec![
        PageChoice {
            id: "101".into(),
            name: "Harbor Lights Band".into(),
        },
        PageChoice {
            id: "102".into(),
            name: "Harbor Lights Merch".into(),
        },
    ];
    layout.current_page_id = Some("101".into());
    layout.flashes = vec![
        Flash::new(
            FlashKind::Success,
            "Contest “Tour shirt 2026” was published.",
        ),
        Flash::new(FlashKind::Info, "Sentiment scores refresh every hour."),
        Flash::new(
            FlashKind::Warning,
            "The page token expires in 3 days. Reconnect the page to keep receiving comments.",
        ),
        Flash::new(
            FlashKind::Error,
            "The export failed. Try again in a few minutes.",
        ),
    ];
    let spark = |phase: f64| {
        crate::ui::charts::sparkline(
            &(0..14)
                .map(|i| 20.0 + 8.0 * ((i as f64) / 2.0 + phase).sin() + i as f64)
                .collect::<Vec<_>>(),
        )
    };
    let page = DashboardSample {
        layout,
        stats: vec![
            Stat {
                label: "Entries",
                value: "1,536",
                delta: "▲ 12% vs last week",
                direction: "up",
                spark: spark(0.0),
            },
            Stat {
                label: "Contacts",
                value: "3,000",
                delta: "▲ 184 new",
                direction: "up",
                spark: spark(1.0),
            },
            Stat {
                label: "Avg. sentiment",
                value: "0.42",
                delta: "▼ 0.05 vs last week",
                direction: "down",
                spark: spark(2.0),
            },
            Stat {
                label: "Referral rate",
                value: "26.8%",
                delta: "of entrants shared",
                direction: "",
                spark: spark(3.0),
            },
        ],
        // Sparklines are shown in the stat tiles above.
        charts: samples::charts()
            .into_iter()
            .filter(|c| c.file_name != "sparkline")
            .collect(),
        rows: vec![
            EntryRow {
                fan: "Maya Okafor",
                entry: "Lighthouse at dusk",
                submitted: "Mar 30, 14:02",
                status: "pending",
                status_label: "Pending",
            },
            EntryRow {
                fan: "Jonas Berg",
                entry: "Waves & wires",
                submitted: "Mar 30, 11:47",
                status: "approved",
                status_label: "Approved",
            },
            EntryRow {
                fan: "<script>alert('x')</script>",
                entry: "User text is escaped, never run",
                submitted: "Mar 29, 22:15",
                status: "rejected",
                status_label: "Rejected",
            },
        ],
        gallery: gallery(),
        share_url: format!("{}/r/7Fq2xK", state.public_url),
    };
    Ok(html(page.render().map_err(AppError::internal)?))
}

async fn fan(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    sandbox_only(&state)?;
    let mut layout = FanLayout::new("Design the 2026 tour shirt", "Harbor Lights Band");
    layout.rules_url = Some("/c/tour-shirt-2026/rules".into());
    layout.flashes = vec![Flash::new(
        FlashKind::Success,
        "Thanks! Your design was received and will appear after review.",
    )];
    let page = FanSample {
        layout,
        gallery: gallery(),
        share_url: format!("{}/r/7Fq2xK", state.public_url),
    };
    Ok(html(page.render().map_err(AppError::internal)?))
}

fn gallery() -> Vec<GalleryItem> {
    [
        ("Lighthouse at dusk", "Maya O.", "#1d4ed8", "#6d28d9", 128),
        ("Waves & wires", "Jonas B.", "#047857", "#0e7490", 96),
        ("Neon harbor", "Priya S.", "#be123c", "#b45309", 71),
        ("Night ferry", "Tom K.", "#0f172a", "#1d4ed8", 54),
    ]
    .into_iter()
    .map(|(title, author, a, b, votes)| GalleryItem {
        title,
        author,
        image: shirt_placeholder(a, b),
        votes,
    })
    .collect()
}

/// A shirt silhouette on a gradient, as a `data:` URL (allowed by `img-src`),
/// standing in for uploaded entry images.
fn shirt_placeholder(from: &str, to: &str) -> String {
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200"><defs><linearGradient id="g" x2="1" y2="1"><stop offset="0" stop-color="{from}"/><stop offset="1" stop-color="{to}"/></linearGradient></defs><rect width="200" height="200" fill="url(#g)"/><path d="M70 45l22-10q8 12 16 0l22 10 28 26-16 18-12-8v84H70V81l-12 8-16-18z" fill="#fff" fill-opacity=".92"/><circle cx="100" cy="105" r="16" fill="{from}" fill-opacity=".8"/></svg>"##
    );
    format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    )
}
