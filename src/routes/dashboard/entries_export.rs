//! `GET /dashboard/contests/{id}/entries.csv`: every entry of a contest of the
//! admin's as CSV (`domain::entries_export`). Another admin's contest is a 404
//! before anything is sent; the rows are then streamed in keyset-paginated
//! chunks, so memory stays flat however many entries there are. A download
//! changes nothing, so it is a plain link (no CSRF token needed).

use std::collections::HashMap;

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use actix_web::{web, HttpResponse};
use futures::StreamExt;
use tokio::sync::mpsc;

use super::{Ctx, DashResult};
use crate::db::{contests, entries, judging, points};
use crate::domain::entries_export::{self, Row};
use crate::error::AppError;
use crate::state::AppState;

/// Entries read per query.
const CHUNK: i64 = 500;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route(
        "/dashboard/contests/{id:\\d+}/entries.csv",
        web::get().to(download),
    );
}

/// Where the download link of a contest points.
pub fn href(contest_id: i64) -> String {
    format!("/dashboard/contests/{contest_id}/entries.csv")
}

async fn download(state: web::Data<AppState>, ctx: Ctx, path: web::Path<i64>) -> DashResult {
    let (admin, id) = (ctx.admin_id(), path.into_inner());
    let contest = state
        .db
        .run(move |c| Ok(contests::find_for_admin(c, admin, id)?))
        .await?;
    let (tx, rx) = mpsc::channel::<Result<web::Bytes, AppError>>(4);
    let pool = state.db.pool().clone();
    let base = state.public_url.trim_end_matches('/').to_string();
    tokio::task::spawn_blocking(move || {
        let send = |bytes: Result<Vec<u8>, AppError>| {
            tx.blocking_send(bytes.map(web::Bytes::from)).is_ok()
        };
        let mut conn = match pool.get() {
            Ok(c) => c,
            Err(e) => {
                send(Err(e.into()));
                return;
            }
        };
        if !send(Ok(entries_export::header())) {
            return;
        }
        let mut after = 0;
        loop {
            let chunk = (|| -> Result<_, diesel::result::Error> {
                let views = entries::chunk_for_admin(&mut conn, admin, id, after, CHUNK)?;
                let contacts: Vec<i64> = views.iter().map(|v| v.entry.contact_id).collect();
                let ids: Vec<i64> = views.iter().map(|v| v.entry.id).collect();
                let balances: HashMap<i64, i64> = points::balances_of(&mut conn, id, &contacts)?
                    .into_iter()
                    .collect();
                let scores: HashMap<i64, f64> =
                    judging::averages_of(&mut conn, &ids)?.into_iter().collect();
                Ok((views, balances, scores))
            })();
            let (views, balances, scores) = match chunk {
                Ok(c) => c,
                Err(e) => {
                    send(Err(e.into()));
                    return;
                }
            };
            let Some(last) = views.last() else { return };
            after = last.entry.id;
            let rows: Vec<Row<'_>> = views
                .iter()
                .map(|v| Row {
                    view: v,
                    points: balances.get(&v.entry.contact_id).copied(),
                    judge_score: scores.get(&v.entry.id).copied(),
                    image_url: v
                        .entry
                        .image_name
                        .as_deref()
                        .map(|n| format!("{base}/uploads/{n}")),
                })
                .collect();
            // A client that went away ends the export.
            if !send(Ok(entries_export::encode(&rows))) {
                return;
            }
        }
    });
    let mut rx = rx;
    let stream = futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
        .map(|r| r.map_err(actix_web::Error::from));
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
        .insert_header(("cache-control", "no-store"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!(
                "attachment; filename=\"entries-{}-{}.csv\"",
                contest.id, contest.slug
            ),
        ))
        .streaming(stream))
}
