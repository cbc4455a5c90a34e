//! Vote fraud review: `GET /api/v1/contests/{id}/votes?flagged=true` lists votes
//! with their signals (IP bursts, brand-new identities); `POST /api/v1/votes/{id}/void`
//! voids one with a reason, kept in the audit log.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, votes};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/votes", list)
        .post("/votes/{id}/void", void);
}

#[derive(Deserialize)]
struct ListQuery {
    #[serde(default)]
    flagged: bool,
}

async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<ListQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, contest, flagged) = (auth.admin_id, path.into_inner(), q.flagged);
    let list = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, contest)?;
            Ok(votes::list_for_admin(c, admin, contest, flagged, 1000)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "data": list,
        "signals": {
            "ip_burst": format!("{} or more votes from the same IP within 10 minutes", votes::BURST_THRESHOLD),
            "new_identity": format!("the voter was first seen less than {} minutes before voting", votes::NEW_IDENTITY_SECS / 60),
        }
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VoidInput {
    reason: String,
}

async fn void(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<VoidInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let reason = body.into_inner().reason;
    let vote = state
        .db
        .transaction(move |c| crate::domain::voting::void(c, admin, id, &reason))
        .await?;
    Ok(HttpResponse::Ok().json(vote))
}
