//! The fan page ("page tab") and what fans do on it: enter, vote, log in.
//!
//! Ways in: `POST /tab` with a `signed_request` (classic page tab or canvas),
//! `GET /tab?page_id=…` and `GET /c/{slug}` for links from the page, `GET /r/{code}`
//! for fans' invite links. Everything
//! works without JavaScript; every form carries a CSRF token. `page.liked` from a
//! signed_request is recorded as a signal, never used as a gate.

pub mod context;
pub mod draw;
pub mod email;
pub mod engagement;
pub mod enter;
pub mod error;
pub mod form_input;
pub mod form_start;
pub mod my_data;
pub mod page;
pub mod poll;
pub mod referral;
pub mod share;
pub mod tab;
pub mod vote;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/tab", web::get().to(tab::get))
        .route("/tab", web::post().to(tab::post))
        .route("/c/{slug}", web::get().to(page::show))
        .route("/c/{slug}/rules", web::get().to(page::rules))
        .route("/c/{slug}/enter", web::post().to(enter::post))
        .route("/c/{slug}/form-start", web::post().to(form_start::post))
        .route("/c/{slug}/vote/{entry_id}", web::post().to(vote::post))
        .route("/c/{slug}/share", web::post().to(share::post))
        .route("/c/{slug}/draw.json", web::get().to(draw::get))
        .route("/c/{slug}/poll/suggest", web::post().to(poll::suggest))
        .route(
            "/c/{slug}/poll/vote/{suggestion_id}",
            web::post().to(poll::vote),
        )
        .route("/r/{code}", web::get().to(referral::follow))
        .route("/c/{slug}/verify-email", web::post().to(email::request))
        .route("/c/{slug}/confirm", web::get().to(email::confirm))
        .route("/privacy", web::get().to(page::privacy))
        .route("/my-data", web::get().to(my_data::get));
}
