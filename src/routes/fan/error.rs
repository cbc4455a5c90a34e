//! Fan-facing errors: a readable page for browsers, the common JSON error for
//! clients that ask for JSON. Same status code either way.

use actix_web::HttpResponse;
use askama::Template;

use crate::error::AppError;
use crate::ui::layout::FanLayout;

#[derive(Template)]
#[template(path = "fan/error.html")]
struct ErrorPage<'a> {
    layout: FanLayout,
    heading: &'a str,
    message: &'a str,
    back: &'a str,
    login_url: Option<String>,
}

pub fn respond(
    wants_json: bool,
    err: AppError,
    slug: &str,
    login_url: Option<String>,
) -> HttpResponse {
    if wants_json {
        return actix_web::ResponseError::error_response(&err);
    }
    let heading = match err.status().as_u16() {
        401 => "Please log in first",
        403 => "We could not accept that",
        404 => "Not found",
        409 => "Not possible right now",
        413 => "That is too large",
        429 => "Slow down a little",
        s if s >= 500 => "Something went wrong on our side",
        _ => "Please check your input",
    };
    let message = if err.status().is_server_error() {
        "Please try again in a minute."
    } else {
        err.message()
    };
    let back = format!("/c/{slug}");
    let html = ErrorPage {
        layout: FanLayout::new(heading, "Contest"),
        heading,
        message,
        back: &back,
        login_url: login_url.filter(|_| err.status().as_u16() == 401),
    }
    .render()
    .unwrap_or_else(|_| message.to_string());
    if err.status().is_server_error() {
        // Still logged with its cause.
        let _ = actix_web::ResponseError::error_response(&err);
    }
    HttpResponse::build(err.status())
        .content_type("text/html; charset=utf-8")
        .body(html)
}
