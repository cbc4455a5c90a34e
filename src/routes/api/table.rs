//! The route table of the admin API. Resource modules add their routes through
//! [`Routes`] instead of touching actix's `ServiceConfig`, so the same code both
//! mounts the routes and lists them: [`route_table`] is what the OpenAPI coverage
//! test compares with the document, and a route added without documentation
//! fails that test.
//!
//! Mounting groups the routes of one path into one actix resource, so a known
//! path called with another method answers 405 with an `Allow` header (instead of
//! falling through to the 404 of unknown routes).

use actix_web::http::header::ALLOW;
use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpResponse, Responder, Route};

use crate::error::AppError;

/// Where the admin API is mounted.
pub const PREFIX: &str = "/api/v1";

/// Routes added by the resource modules, in the order they were added (which is
/// the matching order: `/segments/recompute` before `/segments/{id}`).
#[derive(Default)]
pub struct Routes {
    routes: Vec<(Method, &'static str, Route)>,
}

macro_rules! method {
    ($name:ident, $method:ident, $ctor:ident) => {
        pub fn $name<F, Args>(&mut self, path: &'static str, handler: F) -> &mut Self
        where
            F: Handler<Args>,
            Args: FromRequest + 'static,
            F::Output: Responder + 'static,
        {
            self.routes
                .push((Method::$method, path, web::$ctor().to(handler)));
            self
        }
    };
}

impl Routes {
    method!(get, GET, get);
    method!(post, POST, post);
    method!(put, PUT, put);
    method!(patch, PATCH, patch);
    method!(delete, DELETE, delete);

    /// `(method, path)` pairs, paths relative to [`PREFIX`].
    pub fn list(&self) -> Vec<(Method, &'static str)> {
        self.routes
            .iter()
            .map(|(m, p, _)| (m.clone(), *p))
            .collect()
    }

    /// One actix resource per path, in first-seen order.
    pub fn mount(self, scope: actix_web::Scope) -> actix_web::Scope {
        let mut paths: Vec<&'static str> = Vec::new();
        for (_, p, _) in &self.routes {
            if !paths.contains(p) {
                paths.push(p);
            }
        }
        let mut routes: Vec<_> = self.routes.into_iter().map(Some).collect();
        let mut scope = scope;
        for path in paths {
            let mut resource = web::resource(path);
            let mut allowed = Vec::new();
            for slot in routes.iter_mut() {
                if slot.as_ref().is_some_and(|(_, p, _)| *p == path) {
                    let (method, _, route) = slot.take().expect("checked above");
                    allowed.push(method.to_string());
                    resource = resource.route(route);
                }
            }
            let allow = allowed.join(", ");
            resource = resource.default_service(web::to(move || {
                let allow = allow.clone();
                async move { method_not_allowed(&allow) }
            }));
            scope = scope.service(resource);
        }
        scope
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    let err = AppError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this path answers {allow}"),
    );
    HttpResponse::MethodNotAllowed()
        .insert_header((ALLOW, allow.to_string()))
        .json(err.body_json())
}

/// Every admin API route as `(METHOD, "/api/v1/...")`.
pub fn route_table() -> Vec<(String, String)> {
    super::routes()
        .list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), format!("{PREFIX}{p}")))
        .collect()
}
