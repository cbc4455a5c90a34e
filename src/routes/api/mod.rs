//! The admin JSON API under `/api/v1`: JWT (cookie or `Authorization: Bearer`),
//! every query scoped to the admin's own pages by the db layer.

pub mod audit;
pub mod contacts;
pub mod contests;
pub mod draws;
pub mod entries;
pub mod exports;
pub mod input;
pub mod judging;
pub mod me;
pub mod pages;
pub mod points;
pub mod polls;
pub mod referrals;
pub mod segments;
pub mod trends;
pub mod votes;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .configure(me::configure)
            .configure(contests::configure)
            .configure(entries::configure)
            .configure(votes::configure)
            .configure(points::configure)
            .configure(referrals::configure)
            .configure(draws::configure)
            .configure(judging::configure)
            .configure(polls::configure)
            .configure(audit::configure)
            .configure(contacts::configure)
            .configure(segments::configure)
            .configure(trends::configure)
            .configure(exports::configure)
            .configure(pages::configure),
    );
}
