//! The admin JSON API under `/api/v1`: JWT (cookie or `Authorization: Bearer`),
//! every query scoped to the admin's own pages by the db layer.

pub mod audit;
pub mod contacts;
pub mod contest_bodies;
pub mod contests;
pub mod docs;
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
pub mod segment_rule_schema;
pub mod segments;
pub mod table;
pub mod trends;
pub mod votes;

use actix_web::web;

pub use table::{route_table, Routes, PREFIX};

/// Every admin API route, in matching order.
fn routes() -> Routes {
    let mut r = Routes::default();
    me::routes(&mut r);
    contests::routes(&mut r);
    entries::routes(&mut r);
    votes::routes(&mut r);
    points::routes(&mut r);
    referrals::routes(&mut r);
    draws::routes(&mut r);
    judging::routes(&mut r);
    polls::routes(&mut r);
    audit::routes(&mut r);
    contacts::routes(&mut r);
    segments::routes(&mut r);
    trends::routes(&mut r);
    exports::routes(&mut r);
    pages::routes(&mut r);
    r
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(routes().mount(web::scope(PREFIX)));
}
