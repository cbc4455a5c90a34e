//! The admin JSON API under `/api/v1`: JWT (cookie or `Authorization: Bearer`),
//! every query scoped to the admin's own pages by the db layer.

pub mod me;
pub mod pages;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(me::configure)
            .configure(pages::configure),
    );
}
