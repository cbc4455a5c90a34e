//! Points and leaderboards in the admin API:
//! `GET /api/v1/contests/{id}/leaderboard?by=points|votes&limit=`,
//! `GET /api/v1/contests/{id}/points?contact_id=` (the ledger, newest first) and
//! `POST /api/v1/contests/{id}/points` (an `admin_adjustment` with a note;
//! `idempotency_key` makes a retried request award once).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;

use crate::auth::admin::AdminAuth;
use crate::db::audit::{self, Audit};
use crate::db::{contests, draws, points as ledger};
use crate::domain::leaderboard;
use crate::domain::points::{self, AwardRequest, Reason};
use crate::error::AppError;
use crate::routes::api::table::Routes;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.get("/contests/{id}/leaderboard", board)
        .get("/contests/{id}/points", list)
        .post("/contests/{id}/points", adjust);
}

#[derive(Deserialize)]
struct BoardQuery {
    by: Option<String>,
    limit: Option<i64>,
}

async fn board(
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
    Ok(HttpResponse::Ok().json(json!({ "data": data })))
}

/// A leaderboard, ranks from 1 (ties broken as `domain::leaderboard` documents).
pub fn ranked(
    conn: &mut diesel::PgConnection,
    contest_id: i64,
    by: &str,
    limit: usize,
) -> diesel::QueryResult<Vec<serde_json::Value>> {
    Ok(if by == "votes" {
        let mut rows = draws::scored_entries(conn, contest_id)?;
        leaderboard::by_votes(&mut rows);
        rows.iter()
            .take(limit)
            .enumerate()
            .map(|(i, r)| json!({"rank": i + 1, "entry_id": r.entry_id, "contact_id": r.contact_id, "author": r.author, "votes": r.votes}))
            .collect()
    } else {
        let rows = ledger::top_balances(conn, contest_id, limit as i64)?;
        rows.iter()
            .enumerate()
            .map(|(i, r)| json!({"rank": i + 1, "contact_id": r.contact_id, "display_name": r.display_name, "points": r.points, "first_entry_id": r.first_entry_id}))
            .collect()
    })
}

#[derive(Deserialize)]
struct LedgerQuery {
    contact_id: Option<i64>,
    limit: Option<i64>,
}

async fn list(
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
    Ok(HttpResponse::Ok().json(json!({ "data": rows, "balance": balance })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Adjustment {
    contact_id: i64,
    points: i32,
    note: String,
    idempotency_key: Option<String>,
}

async fn adjust(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Json<Adjustment>,
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
        Some(a) => HttpResponse::Created().json(json!({"award": a, "balance": balance})),
        // A replay of the same idempotency key: nothing new.
        None => {
            HttpResponse::Ok().json(json!({"award": null, "replayed": true, "balance": balance}))
        }
    })
}
