//! `GET /` (to the dashboard), `GET /dashboard` (the sign-in page, or the
//! overview of the admin's pages when signed in, see `overview.rs`) and
//! `POST /dashboard/sign-out`.

use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse};
use askama::Template;

use super::{flash, see_other, Ctx, DashResult, FormData};
use crate::auth::admin::MaybeAdmin;
use crate::auth::cookies::{removal, ADMIN_COOKIE};
use crate::db::admins;
use crate::error::AppError;
use crate::state::AppState;
use crate::ui::layout::{DashboardLayout, Flash, FlashKind};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(root))
        .route("/dashboard", web::get().to(dashboard))
        .route("/dashboard/", web::get().to(root))
        .route("/dashboard/sign-out", web::post().to(sign_out));
}

async fn root() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, "/dashboard"))
        .finish()
}

#[derive(Template)]
#[template(path = "dashboard/sign_in.html")]
struct SignIn {
    layout: DashboardLayout,
    sandbox: bool,
}

async fn dashboard(
    req: HttpRequest,
    state: web::Data<AppState>,
    admin: MaybeAdmin,
    payload: web::Payload,
) -> DashResult {
    if admin.0.is_some() {
        let ctx = Ctx::from_request(&req, &mut payload.into_inner()).await?;
        return super::overview::show(state, ctx).await;
    }
    let mut layout = DashboardLayout::new("Sign in");
    let (flashes, had_cookie) = flash::take(&req, &state);
    layout.flashes = flashes;
    let page = SignIn {
        layout,
        sandbox: state.settings.is_sandbox(),
    };
    let mut resp = HttpResponse::Ok();
    resp.insert_header((CONTENT_TYPE, "text/html; charset=utf-8"));
    if had_cookie {
        resp.cookie(flash::removal());
    }
    Ok(resp.body(page.render().map_err(AppError::internal)?))
}

/// Ends the session everywhere (the row is revoked) and clears the cookie.
async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
    ctx: Ctx,
    form: FormData,
) -> DashResult {
    ctx.check_csrf(&req, &state, &form)?;
    let sid = ctx.auth.session_id;
    state
        .db
        .run(move |c| Ok(admins::revoke_session(c, sid)?))
        .await?;
    let mut resp = see_other(
        &state,
        "/dashboard",
        &[Flash::new(FlashKind::Info, "You are signed out.")],
    );
    resp.add_cookie(&removal(ADMIN_COOKIE)).ok();
    resp.add_cookie(&removal(super::PAGE_COOKIE)).ok();
    Ok(resp)
}
