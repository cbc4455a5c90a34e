//! `GET /api/v1/trends?page_id=…[&contest_id=…][&days=30]`: daily series,
//! sentiment over time, top terms and hashtags, segment movement and the funnel.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, pages};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/trends", trends);
}

#[derive(Deserialize)]
struct TrendsQuery {
    page_id: i64,
    contest_id: Option<i64>,
    #[serde(default = "default_days")]
    days: i64,
}

fn default_days() -> i64 {
    30
}

async fn trends(
    auth: AdminAuth,
    state: web::Data<AppState>,
    q: web::Query<TrendsQuery>,
) -> Result<HttpResponse, AppError> {
    let q = q.into_inner();
    let admin = auth.admin_id;
    let t = state
        .db
        .run(move |c| {
            pages::find_for_admin(c, admin, q.page_id)?;
            if let Some(contest) = q.contest_id {
                let found = contests::find_for_admin(c, admin, contest)?;
                if found.page_id != q.page_id {
                    return Err(AppError::not_found("no such contest on this page"));
                }
            }
            Ok(crate::domain::trends::compute(
                c,
                q.page_id,
                q.contest_id,
                q.days,
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(t))
}
