//! Security headers on every response (wrapped around the whole app in startup.rs).
//!
//! - A strict Content-Security-Policy: only our own scripts, styles and images
//!   (plus `data:` images), no inline script or style, no plugins, no `<base>`.
//!   Forms may post to ourselves, to the Facebook login dialog origin and to the
//!   share dialog's origin, because Chrome applies `form-action` to the redirect
//!   that follows a form submission (the fan page's share button redirects there).
//! - The API docs (`/api/docs/`, Swagger UI) get the same policy plus the hash of
//!   the one inline `<style>` Swagger UI renders (inside its SVG logo), so exactly
//!   that stylesheet is allowed and nothing else inline is, here or anywhere.
//! - Framing: the fan pages (`/tab`, `/c/…`, `/r/…`) are shown inside facebook.com
//!   page tabs, so they allow Facebook's origins as frame ancestors. Everything else
//!   (dashboard, API docs) refuses framing entirely (clickjacking).
//! - `Strict-Transport-Security` only when the public URL is https: sending it over
//!   plain http is ignored by browsers, and on a dev machine it would be a trap.
//!
//! A header a handler set explicitly is never overwritten, so a page with special
//! needs can send its own policy.

use std::future::{ready, Future, Ready};
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll};

use actix_web::dev::{Service, ServiceRequest, ServiceResponse, Transform};
use actix_web::http::header::{
    HeaderMap, HeaderName, HeaderValue, CONTENT_SECURITY_POLICY, PERMISSIONS_POLICY,
    REFERRER_POLICY, STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use actix_web::Error;

use crate::config::{FacebookMode, Settings};

/// Origins allowed to frame the fan pages.
pub const FACEBOOK_FRAME_ANCESTORS: &str =
    "https://www.facebook.com https://web.facebook.com https://m.facebook.com";

/// Origin of Facebook's share dialog (`routes::fan::share::dialog_url`).
const SHARE_DIALOG_ORIGIN: &str = "https://www.facebook.com";

/// The live Facebook OAuth dialog origin, used when `facebook.dialog_url` is empty.
const LIVE_DIALOG_ORIGIN: &str = "https://www.facebook.com";

/// True for fan-facing paths that Facebook shows in an iframe: `/tab` (and below),
/// `/c/…` (contest pages) and `/r/…` (referral links). Segment-aware, so
/// `/tabs` or `/contacts` stay unframeable.
pub fn is_embeddable(path: &str) -> bool {
    path == "/tab"
        || path.starts_with("/tab/")
        || path.starts_with("/c/")
        || path.starts_with("/r/")
}

/// CSP hashes of the inline styles of the vendored Swagger UI (5.17.14): its topbar
/// logo is an SVG with a `<style>` element,
/// `.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}`.
/// tests/api/openapi.rs recomputes them from the served bundle, so a Swagger UI
/// upgrade that changes the logo fails a test instead of the browser console.
pub const SWAGGER_UI_STYLE_HASHES: &[&str] =
    &["sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w="];

/// True for the Swagger UI pages.
pub fn is_api_docs(path: &str) -> bool {
    path.starts_with("/api/docs/")
}

/// The header values, computed once from the settings.
struct Policy {
    csp_strict: HeaderValue,
    csp_embeddable: HeaderValue,
    csp_api_docs: HeaderValue,
    hsts: Option<HeaderValue>,
}

#[derive(Clone)]
pub struct SecurityHeaders {
    policy: Arc<Policy>,
}

impl SecurityHeaders {
    /// `public_url` is the resolved one (`AppState::public_url`).
    pub fn new(settings: &Settings, public_url: &str) -> SecurityHeaders {
        // The fan page's share button posts to /c/{slug}/share, which redirects to
        // Facebook's share dialog (always www.facebook.com, in sandbox mode too).
        let mut form_action = vec!["'self'".to_string()];
        form_action.extend(dialog_origin(settings, public_url));
        if !form_action.iter().any(|o| o == SHARE_DIALOG_ORIGIN) {
            form_action.push(SHARE_DIALOG_ORIGIN.to_string());
        }
        let form_action = form_action.join(" ");
        let csp = |frame_ancestors: &str, style_src: &str| {
            let value = format!(
                "default-src 'self'; script-src 'self'; style-src {style_src}; \
                 img-src 'self' data:; font-src 'self'; connect-src 'self'; \
                 form-action {form_action}; frame-ancestors {frame_ancestors}; \
                 base-uri 'none'; object-src 'none'"
            );
            HeaderValue::from_str(&value).expect("CSP is a valid header value")
        };
        let https = url::Url::parse(public_url).is_ok_and(|u| u.scheme() == "https");
        SecurityHeaders {
            policy: Arc::new(Policy {
                csp_strict: csp("'none'", "'self'"),
                csp_embeddable: csp(&format!("'self' {FACEBOOK_FRAME_ANCESTORS}"), "'self'"),
                csp_api_docs: csp(
                    "'none'",
                    &SWAGGER_UI_STYLE_HASHES
                        .iter()
                        .fold("'self'".to_string(), |acc, h| format!("{acc} '{h}'")),
                ),
                // Two years, as the HSTS preload list asks; no includeSubDomains because
                // Fanfare cannot know what else runs under the operator's domain.
                hsts: https.then(|| HeaderValue::from_static("max-age=63072000")),
            }),
        }
    }
}

/// Origin of the OAuth dialog that login forms redirect to, when it is configured
/// or implied by the mode (sandbox: our own `/sandbox`; live: www.facebook.com).
fn dialog_origin(settings: &Settings, public_url: &str) -> Option<String> {
    let configured = settings.facebook.dialog_url.trim();
    let raw = match (configured.is_empty(), settings.facebook.mode) {
        (false, _) => configured,
        (true, FacebookMode::Live) => LIVE_DIALOG_ORIGIN,
        (true, FacebookMode::Sandbox) => public_url,
    };
    let origin = url::Url::parse(raw).ok()?.origin();
    // An opaque origin (e.g. a data: URL) cannot be named in a CSP source list.
    origin.is_tuple().then(|| origin.ascii_serialization())
}

impl Policy {
    fn apply(&self, path: &str, headers: &mut HeaderMap) {
        let embeddable = is_embeddable(path);
        set_default(
            headers,
            X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        set_default(
            headers,
            REFERRER_POLICY,
            HeaderValue::from_static("strict-origin-when-cross-origin"),
        );
        set_default(
            headers,
            PERMISSIONS_POLICY,
            HeaderValue::from_static("camera=(), microphone=(), geolocation=()"),
        );
        let csp = if embeddable {
            &self.csp_embeddable
        } else if is_api_docs(path) {
            &self.csp_api_docs
        } else {
            &self.csp_strict
        };
        set_default(headers, CONTENT_SECURITY_POLICY, csp.clone());
        // X-Frame-Options cannot list origins; on fan pages it would block Facebook.
        if !embeddable {
            set_default(headers, X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        }
        if let Some(hsts) = &self.hsts {
            set_default(headers, STRICT_TRANSPORT_SECURITY, hsts.clone());
        }
    }
}

fn set_default(headers: &mut HeaderMap, name: HeaderName, value: HeaderValue) {
    if !headers.contains_key(&name) {
        headers.insert(name, value);
    }
}

impl<S, B> Transform<S, ServiceRequest> for SecurityHeaders
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Transform = SecurityHeadersMiddleware<S>;
    type InitError = ();
    type Future = Ready<Result<Self::Transform, Self::InitError>>;

    fn new_transform(&self, service: S) -> Self::Future {
        ready(Ok(SecurityHeadersMiddleware {
            service: Rc::new(service),
            policy: self.policy.clone(),
        }))
    }
}

pub struct SecurityHeadersMiddleware<S> {
    service: Rc<S>,
    policy: Arc<Policy>,
}

type LocalFuture<T> = Pin<Box<dyn Future<Output = T>>>;

impl<S, B> Service<ServiceRequest> for SecurityHeadersMiddleware<S>
where
    S: Service<ServiceRequest, Response = ServiceResponse<B>, Error = Error> + 'static,
    B: 'static,
{
    type Response = ServiceResponse<B>;
    type Error = Error;
    type Future = LocalFuture<Result<Self::Response, Self::Error>>;

    fn poll_ready(&self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.service.poll_ready(cx)
    }

    fn call(&self, req: ServiceRequest) -> Self::Future {
        let policy = self.policy.clone();
        let fut = self.service.call(req);
        Box::pin(async move {
            // Handler errors arrive here already rendered as responses. An `Err` can
            // only come from an inner middleware; it passes through (the request is
            // gone by then, and cloning it up front would break routing).
            let mut res = fut.await?;
            let path = res.request().path().to_owned();
            policy.apply(&path, res.headers_mut());
            Ok(res)
        })
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test as actix_test;
    use actix_web::{web, App, HttpResponse};

    use super::*;
    use crate::config::Sources;

    fn settings() -> Settings {
        Settings::load_from(&Sources {
            config_dir: None,
            environment: None,
            env_vars: Vec::new(),
        })
        .unwrap()
    }

    #[test]
    fn form_action_names_the_dialog_origin() {
        let mut s = settings();
        assert_eq!(
            dialog_origin(&s, "http://127.0.0.1:8080").as_deref(),
            Some("http://127.0.0.1:8080"),
            "sandbox: our own /sandbox dialog"
        );
        s.facebook.mode = FacebookMode::Live;
        assert_eq!(
            dialog_origin(&s, "https://fans.example.org").as_deref(),
            Some("https://www.facebook.com")
        );
        s.facebook.dialog_url = "https://dialog.example.net:8443/v21.0/dialog/oauth".into();
        assert_eq!(
            dialog_origin(&s, "https://fans.example.org").as_deref(),
            Some("https://dialog.example.net:8443")
        );
    }

    #[actix_web::test]
    async fn headers_a_handler_set_are_kept() {
        let app = actix_test::init_service(
            App::new()
                .wrap(SecurityHeaders::new(&settings(), "http://127.0.0.1:8080"))
                .route(
                    "/special",
                    web::get().to(|| async {
                        HttpResponse::Ok()
                            .insert_header(("content-security-policy", "default-src 'none'"))
                            .insert_header(("x-frame-options", "SAMEORIGIN"))
                            .finish()
                    }),
                )
                .route("/plain", web::get().to(HttpResponse::Ok)),
        )
        .await;
        let res = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/special").to_request(),
        )
        .await;
        let h = res.headers();
        assert_eq!(
            h.get("content-security-policy").unwrap(),
            "default-src 'none'"
        );
        assert_eq!(h.get("x-frame-options").unwrap(), "SAMEORIGIN");
        // The headers it did not set are still added.
        assert_eq!(h.get("x-content-type-options").unwrap(), "nosniff");

        let res = actix_test::call_service(
            &app,
            actix_test::TestRequest::get().uri("/plain").to_request(),
        )
        .await;
        let csp = res
            .headers()
            .get("content-security-policy")
            .unwrap()
            .to_str()
            .unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    }

    #[test]
    fn only_fan_paths_are_embeddable() {
        for p in ["/tab", "/tab/123", "/c/spring-shirt", "/r/abc123"] {
            assert!(is_embeddable(p), "{p}");
        }
        for p in [
            "/",
            "/tabs",
            "/tabular",
            "/c",
            "/contacts",
            "/r",
            "/dashboard/contests",
            "/api/docs/",
            "/static/app.css",
        ] {
            assert!(!is_embeddable(p), "{p}");
        }
    }
}
