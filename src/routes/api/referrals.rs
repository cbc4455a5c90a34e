//! Referrals in the admin API: `GET /api/v1/contests/{id}/referrals` lists every
//! referrer (code, unique clicks, credited and rejected conversions) and the
//! latest conversions with their status and, when rejected, why.

use actix_web::{web, HttpResponse};
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::{contests, referrals};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/referrals", list);
}

async fn list(
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
    Ok(HttpResponse::Ok().json(json!({
        "referrers": referrers,
        "conversions": conversions,
        "rules": "a conversion is the referred person's first entry; self-referrals and loops are rejected; only the direct referrer is credited; shares earn nothing",
    })))
}
