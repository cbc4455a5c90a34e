//! The fan page ("page tab") and what fans do on it: enter, vote, log in.
//!
//! Ways in: `POST /tab` with a `signed_request` (classic page tab or canvas),
//! `GET /tab?page_id=…` and `GET /c/{slug}` for links from the page, `GET /r/{code}`
//! for fans' invite links. Everything
//! works without JavaScript; every form carries a CSRF token. `page.liked` from a
//! signed_request is recorded as a signal, never used as a gate.

pub mod context;
pub mod docs;
pub mod draw;
pub mod email;
pub mod engagement;
pub mod enter;
pub mod error;
pub mod form_input;
pub mod form_start;
pub mod holes;
pub mod me;
pub mod my_data;
pub mod page;
pub mod poll;
pub mod referral;
pub mod share;
pub mod shared;
pub mod tab;
pub mod vote;

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, Responder};

/// Mounts the fan routes and, with no `ServiceConfig`, only lists them: the
/// same code is the route table, so the OpenAPI coverage test sees every fan
/// route that is mounted (`route_table`).
struct FanRoutes<'a> {
    cfg: Option<&'a mut web::ServiceConfig>,
    listed: Vec<(Method, &'static str)>,
}

impl FanRoutes<'_> {
    fn add<F, Args>(&mut self, method: Method, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        if let Some(cfg) = self.cfg.as_deref_mut() {
            cfg.route(path, web::method(method.clone()).to(handler));
        }
        self.listed.push((method, path));
        self
    }
    fn get<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::GET, path, handler)
    }
    fn post<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.add(Method::POST, path, handler)
    }
}

fn routes(r: &mut FanRoutes<'_>) {
    r.get("/tab", tab::get)
        .post("/tab", tab::post)
        .get("/c/{slug}", page::show)
        .get("/c/{slug}/rules", page::rules)
        .get("/c/{slug}/me", me::get)
        .post("/c/{slug}/me", me::post)
        .post("/c/{slug}/enter", enter::post)
        .post("/c/{slug}/form-start", form_start::post)
        .post("/c/{slug}/vote/{entry_id}", vote::post)
        .post("/c/{slug}/share", share::post)
        .get("/c/{slug}/draw.json", draw::get)
        .post("/c/{slug}/poll/suggest", poll::suggest)
        .post("/c/{slug}/poll/vote/{suggestion_id}", poll::vote)
        .get("/r/{code}", referral::follow)
        .post("/c/{slug}/verify-email", email::request)
        .get("/c/{slug}/confirm", email::confirm)
        .get("/privacy", page::privacy)
        .get("/my-data", my_data::get);
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    routes(&mut FanRoutes {
        cfg: Some(cfg),
        listed: Vec::new(),
    });
}

/// `(METHOD, path)` of every fan route, as mounted by [`configure`].
pub fn route_table() -> Vec<(String, String)> {
    let mut r = FanRoutes {
        cfg: None,
        listed: Vec::new(),
    };
    routes(&mut r);
    r.listed
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect()
}
