//! The admin's Facebook pages with their token and webhook-subscription health:
//! `GET /dashboard/pages`, `GET /dashboard/switch-page?page=<id>` (choose the page
//! to work on) and `POST /dashboard/pages/{id}/subscription` (subscribe again).

use actix_web::http::header::LOCATION;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{format_utc, outcome, see_other, Ctx, DashResult, FormData, PAGE_COOKIE};
use crate::auth::cookies::admin_cookie;
use crate::db::pages::Page;
use crate::domain::install;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Section, NAV};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/dashboard/pages", web::get().to(list))
        .route(
            crate::ui::layout::PAGE_SWITCH_PATH,
            web::get().to(switch_page),
        )
        .route(
            "/dashboard/pages/{id}/subscription",
            web::post().to(resubscribe),
        );
}

/// A health state as a badge: its CSS class and its words.
pub struct Badge {
    pub class: &'static str,
    pub label: String,
}

pub fn token_badge(status: &str) -> Badge {
    match status {
        "valid" => Badge {
            class: "badge-healthy",
            label: "Token valid".into(),
        },
        "needs_reauth" => Badge {
            class: "badge-needs_reauth",
            label: "Needs sign-in".into(),
        },
        other => Badge {
            class: "badge-pending",
            label: format!("Token {}", other.replace('_', " ")),
        },
    }
}

pub fn subscription_badge(status: &str) -> Badge {
    match status {
        "subscribed" => Badge {
            class: "badge-healthy",
            label: "Webhooks subscribed".into(),
        },
        "failed" | "error" => Badge {
            class: "badge-rejected",
            label: "Subscription failed".into(),
        },
        other => Badge {
            class: "badge-pending",
            label: format!("Webhooks {}", other.replace('_', " ")),
        },
    }
}

struct PageCard {
    id: i64,
    name: String,
    fb_page_id: String,
    category: Option<String>,
    token: Badge,
    token_error: Option<String>,
    token_checked: Option<String>,
    subscription: Badge,
    subscribed_fields: Option<String>,
    subscription_error: Option<String>,
    subscription_checked: Option<String>,
    needs_reauth: bool,
    healthy: bool,
    current: bool,
}

#[derive(Template)]
#[template(path = "dashboard/pages.html")]
struct PagesPage {
    layout: DashboardLayout,
    csrf: String,
    cards: Vec<PageCard>,
}

fn card(p: &Page, current: bool) -> PageCard {
    let needs_reauth = p.token_status == "needs_reauth";
    PageCard {
        id: p.id,
        name: p.name.clone(),
        fb_page_id: p.fb_page_id.clone(),
        category: p.category.clone(),
        token: token_badge(&p.token_status),
        token_error: p.token_error.clone(),
        token_checked: p.token_checked_at.map(format_utc),
        subscription: subscription_badge(&p.subscription_status),
        subscribed_fields: p.subscribed_fields.clone(),
        subscription_error: p.subscription_error.clone(),
        subscription_checked: p.subscription_checked_at.map(format_utc),
        needs_reauth,
        healthy: p.token_status == "valid" && p.subscription_status == "subscribed",
        current,
    }
}

async fn list(ctx: Ctx) -> DashResult {
    let current = ctx.page.as_ref().map(|p| p.id);
    let cards = ctx
        .pages
        .iter()
        .map(|p| card(p, Some(p.id) == current))
        .collect();
    ctx.render(&PagesPage {
        layout: ctx.layout("Pages", Section::Pages),
        csrf: ctx.csrf.clone(),
        cards,
    })
}

/// Pages besides the sections that the overview's links switch to.
const SWITCH_TARGETS: &[&str] = &["/dashboard/contests/new"];

#[derive(Deserialize)]
struct SwitchQuery {
    page: Option<String>,
    next: Option<String>,
}

/// Remembers the chosen page (only one of the admin's own) and returns to the
/// section the picker was on. A UI preference, not data: a plain GET is fine.
async fn switch_page(
    state: web::Data<AppState>,
    ctx: Ctx,
    q: web::Query<SwitchQuery>,
) -> DashResult {
    let wanted = q.page.as_deref().and_then(|p| p.trim().parse::<i64>().ok());
    let page = wanted
        .and_then(|id| ctx.pages.iter().find(|p| p.id == id))
        .ok_or_else(|| AppError::not_found("no such page among yours"))?;
    // Only a known section, so the redirect can never leave the dashboard.
    let next = q
        .next
        .as_deref()
        .and_then(|n| {
            NAV.iter()
                .map(|l| l.href)
                .chain(SWITCH_TARGETS.iter().copied())
                .find(|h| *h == n)
        })
        .unwrap_or("/dashboard/contests");
    Ok(HttpResponse::SeeOther()
        .insert_header((LOCATION, next))
        .cookie(admin_cookie(
            &state,
            PAGE_COOKIE,
            page.id.to_string(),
            state.settings.security.session_max_age_secs,
        ))
        .finish())
}

async fn resubscribe(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    path: web::Path<i64>,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let page_id = path.into_inner();
    // ctx.pages are the admin's own (db::pages::for_admin): another tenant's id misses.
    let page = ctx
        .pages
        .iter()
        .find(|p| p.id == page_id)
        .cloned()
        .ok_or_else(|| AppError::not_found("no such page among yours"))?;
    let result = async {
        let token = install::page_token(&state, &page).ok_or_else(|| {
            AppError::conflict(
                "needs_reauth",
                "this page has no usable token; sign in with Facebook again",
            )
        })?;
        let ok = install::subscribe(&state, page.id, &page.fb_page_id, &token).await?;
        if ok {
            Ok(())
        } else {
            Err(AppError::conflict(
                "subscription_failed",
                "Facebook did not accept the subscription; see the page's error below",
            ))
        }
    }
    .await;
    // Platform failures (502/503) are worth a flash too: the page shows the error.
    let result = result.map_err(|e| {
        if e.status().is_server_error() && e.code() == "upstream_error" {
            AppError::conflict("upstream", "Facebook is not answering; try again shortly")
        } else {
            e
        }
    });
    let name = page.name.clone();
    let flash = outcome(result, |_| {
        format!("“{name}” is subscribed to webhooks again.")
    })?;
    Ok(see_other(&state, "/dashboard/pages", &[flash]))
}
