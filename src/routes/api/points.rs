//! Points and leaderboards in the admin API:
//! `GET /api/v1/contests/{id}/leaderboard?by=points|votes&limit=`,
//! `GET /api/v1/contests/{id}/points?contact_id=` (the ledger, newest first) and
//! `POST /api/v1/contests/{id}/points` (an `admin_adjustment` with a note;
//! `idempotency_key` makes a retried request award once).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use crate::auth::admin::AdminAuth;
use crate::db::audit::{self, Audit};
use crate::db::points::PointAward;
use crate::db::{contests, draws, points as ledger};
use crate::domain::leaderboard;
use crate::domain::points::{self, AwardRequest, Reason};
use crate::error::AppError;
use crate::routes::api::docs::List;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/leaderboard", board)
        .get("/contests/{id}/points", list)
        .post("/contests/{id}/points", adjust);
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// `points` (default) or `votes`.
    #[param(pattern = "^(points|votes)$")]
    by: Option<String>,
    /// 1..=500 (clamped), default 50.
    limit: Option<i64>,
}

/// One leaderboard row: by votes (entries) or by points (contacts).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum RankedRow {
    Votes(VotesRow),
    Points(PointsRow),
}

#[derive(Serialize, ToSchema)]
pub struct VotesRow {
    pub rank: usize,
    pub entry_id: i64,
    pub contact_id: i64,
    pub author: Option<String>,
    pub votes: i64,
}

#[derive(Serialize, ToSchema)]
pub struct PointsRow {
    pub rank: usize,
    pub contact_id: i64,
    pub display_name: Option<String>,
    pub points: i64,
    pub first_entry_id: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/leaderboard",
    operation_id = "points_board",
    tag = "points",
    params(("id" = i64, Path, description = "The contest id"), BoardQuery),
    responses(
        (status = 200, description = "The leaderboard, ranks from 1", body = List<RankedRow>),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 422, description = "`by` is neither points nor votes", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn board(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    q: web::Query<BoardQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let by = q.by.clone().unwrap_or_else(|| "points".into());
    if by != "points" && by != "votes" {
        return Err(AppError::invalid(
            "invalid_ranking",
            "by must be points or votes",
        ));
    }
    let limit = q.limit.unwrap_or(50).clamp(1, 500) as usize;
    let data = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, id)?;
            Ok(ranked(c, id, &by, limit)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { data }))
}

/// A leaderboard, ranks from 1 (ties broken as `domain::leaderboard` documents).
pub fn ranked(
    conn: &mut diesel::PgConnection,
    contest_id: i64,
    by: &str,
    limit: usize,
) -> diesel::QueryResult<Vec<RankedRow>> {
    Ok(if by == "votes" {
        let mut rows = draws::scored_entries(conn, contest_id)?;
        leaderboard::by_votes(&mut rows);
        rows.iter()
            .take(limit)
            .enumerate()
            .map(|(i, r)| {
                RankedRow::Votes(VotesRow {
                    rank: i + 1,
                    entry_id: r.entry_id,
                    contact_id: r.contact_id,
                    author: r.author.clone(),
                    votes: r.votes,
                })
            })
            .collect()
    } else {
        let rows = ledger::top_balances(conn, contest_id, limit as i64)?;
        rows.iter()
            .enumerate()
            .map(|(i, r)| {
                RankedRow::Points(PointsRow {
                    rank: i + 1,
                    contact_id: r.contact_id,
                    display_name: r.display_name.clone(),
                    points: r.points,
                    first_entry_id: r.first_entry_id,
                })
            })
            .collect()
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LedgerQuery {
    /// Only this contact's awards (and then `balance` is theirs).
    contact_id: Option<i64>,
    /// 1..=1000 (clamped), default 200.
    limit: Option<i64>,
}

/// The ledger, newest first.
#[derive(Serialize, ToSchema)]
pub struct Ledger {
    pub data: Vec<PointAward>,
    /// The contact's balance when `contact_id` was given, else null.
    pub balance: Option<i64>,
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/points",
    operation_id = "points_list",
    tag = "points",
    params(("id" = i64, Path, description = "The contest id"), LedgerQuery),
    responses(
        (status = 200, description = "The points ledger", body = Ledger),
        (status = 400, description = "Malformed query string", body = ErrorResponse),
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
    q: web::Query<LedgerQuery>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let (contact, limit) = (q.contact_id, q.limit.unwrap_or(200).clamp(1, 1000));
    let (rows, balance) = state
        .db
        .run(move |c| {
            contests::find_for_admin(c, admin, id)?;
            let rows = ledger::ledger(c, id, contact, limit)?;
            let balance = match contact {
                Some(k) => Some(ledger::balance(c, id, k)?),
                None => None,
            };
            Ok((rows, balance))
        })
        .await?;
    Ok(HttpResponse::Ok().json(Ledger {
        data: rows,
        balance,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Adjustment {
    #[schema(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    contact_id: i64,
    /// Positive or negative.
    points: i32,
    /// Why, 1..=500 characters.
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    note: String,
    /// 1..=100 characters; a retried request with the same key awards once.
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 100
    )]
    idempotency_key: Option<String>,
}

/// The award (null on a replay) and the contact's new balance.
#[derive(Serialize, ToSchema)]
pub struct Adjusted {
    pub award: Option<PointAward>,
    /// Present (true) only when the idempotency key was already used.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replayed: Option<bool>,
    pub balance: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/points",
    operation_id = "points_adjust",
    tag = "points",
    params(("id" = i64, Path, description = "The contest id")),
    request_body = Adjustment,
    responses(
        (status = 201, description = "Awarded", body = Adjusted),
        (status = 200, description = "A replay of an idempotency key: nothing new", body = Adjusted),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages, or no such contact on its page", body = ErrorResponse),
        (status = 409, description = "The award breaks a ledger rule", body = ErrorResponse),
        (status = 422, description = "Note or idempotency key missing or too long", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn adjust(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<Adjustment>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let a = body.into_inner();
    let note = crate::routes::api::input::text("note", &a.note, 1, 500)?;
    let key = match &a.idempotency_key {
        Some(k) => format!(
            "adjustment:{}",
            crate::routes::api::input::text("idempotency_key", k, 1, 100)?
        ),
        None => format!("adjustment:{}", crate::crypto::random_token(12)),
    };
    let (award, balance) = state
        .db
        .transaction(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            if !ledger::contact_on_page(c, a.contact_id, contest.page_id)? {
                return Err(AppError::not_found("no such contact on this contest's page"));
            }
            let award = points::award(
                c,
                AwardRequest {
                    contest: &contest,
                    contact_id: a.contact_id,
                    reason: Reason::AdminAdjustment,
                    source_key: key.clone(),
                    points: a.points,
                    note: Some(note.clone()),
                    admin_id: Some(admin),
                    now: Utc::now(),
                },
            )?;
            if let Some(aw) = &award {
                audit::record(
                    c,
                    Audit {
                        page_id: Some(contest.page_id),
                        admin_id: Some(admin),
                        action: "points.adjusted",
                        subject_type: "contest",
                        subject_id: Some(id),
                        details: json!({"award_id": aw.id, "contact_id": aw.contact_id, "points": aw.points, "note": note}),
                    },
                )?;
            }
            Ok((award, ledger::balance(c, id, a.contact_id)?))
        })
        .await?;
    Ok(match award {
        Some(a) => HttpResponse::Created().json(Adjusted {
            award: Some(a),
            replayed: None,
            balance,
        }),
        // A replay of the same idempotency key: nothing new.
        None => HttpResponse::Ok().json(Adjusted {
            award: None,
            replayed: Some(true),
            balance,
        }),
    })
}
