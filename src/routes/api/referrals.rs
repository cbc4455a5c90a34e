//! Referrals in the admin API: `GET /api/v1/contests/{id}/referrals` lists every
//! referrer (code, unique clicks, credited and rejected conversions) and the
//! latest conversions with their status and, when rejected, why.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, referrals};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/referrals", list);
}

/// Referrers and the latest conversions.
#[derive(Serialize, ToSchema)]
pub struct ReferralReport {
    pub referrers: Vec<referrals::ReferrerStats>,
    /// The newest 500 conversions.
    pub conversions: Vec<referrals::Referral>,
    /// The crediting rules, in words.
    pub rules: String,
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/referrals",
    operation_id = "referrals_list",
    tag = "referrals",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 200, description = "Referrers and conversions", body = ReferralReport),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let (referrers, conversions) = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, id)?;
            Ok((referrals::stats(c, id)?, referrals::list(c, id, 500)?))
        })
        .await?;
    Ok(HttpResponse::Ok().json(ReferralReport {
        referrers,
        conversions,
        rules: "a conversion is the referred person's first entry; self-referrals and loops are rejected; only the direct referrer is credited; shares earn nothing".into(),
    }))
}
