//! The UI foundation over real HTTP: security headers, embedded static assets,
//! the base layouts (through the styleguide pages) and the OpenAPI docs.

use fanfare::config::FacebookMode;
use fanfare::platform::facebook::signed_request::sign;
use fanfare::routes::assets::{asset_names, asset_url};
use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{spawn_app, spawn_app_with, spawn_app_without_workers, Spawn, TestApp};

const FACEBOOK_ANCESTORS: &str =
    "frame-ancestors 'self' https://www.facebook.com https://web.facebook.com https://m.facebook.com";

async fn spawn() -> TestApp {
    spawn_app_without_workers().await
}

fn header<'a>(h: &'a HeaderMap, name: &str) -> Option<&'a str> {
    h.get(name).map(|v| v.to_str().unwrap())
}

/// The value of `attr` on every `<tag …>` in `html` (enough for our own markup).
fn attr_values(html: &str, tag: &str, attr: &str) -> Vec<String> {
    let open = format!("<{tag}");
    let needle = format!(" {attr}=\"");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        let end = rest.find('>').unwrap();
        let inside = &rest[..end];
        if let Some(j) = inside.find(&needle) {
            let v = &inside[j + needle.len()..];
            out.push(v[..v.find('"').unwrap()].to_string());
        }
    }
    out
}

/// Every `<script>` has a src, and there is no `<style>` or `style=""`: the CSP
/// (script-src/style-src 'self') would block inline ones.
pub fn assert_csp_clean(html: &str) {
    let scripts = html.matches("<script").count();
    assert_eq!(
        attr_values(html, "script", "src").len(),
        scripts,
        "inline script"
    );
    assert!(!html.contains("<style"), "inline <style>");
    assert!(!html.contains(" style=\""), "inline style attribute");
}

#[tokio::test]
async fn dashboard_paths_get_the_strict_headers() {
    let app = spawn().await;
    // A handler's response, a JSON 404 from the default service, and a static file.
    for path in [
        "/healthz",
        "/dashboard/contests",
        "/ui/styleguide",
        "/static/app.css",
    ] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = header(h, "content-security-policy").unwrap_or_else(|| panic!("{path}: no CSP"));
        for directive in [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "base-uri 'none'",
            "object-src 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(
                csp.contains(directive),
                "{path}: {directive} missing from {csp}"
            );
        }
        assert!(
            !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
            "{csp}"
        );
        assert_eq!(header(h, "x-frame-options"), Some("DENY"), "{path}");
        assert_eq!(
            header(h, "x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            header(h, "referrer-policy"),
            Some("strict-origin-when-cross-origin")
        );
        let permissions = header(h, "permissions-policy").unwrap();
        for feature in ["camera=()", "microphone=()", "geolocation=()"] {
            assert!(permissions.contains(feature), "{permissions}");
        }
        // The test server is plain http: HSTS would be wrong here.
        assert_eq!(header(h, "strict-transport-security"), None);
    }
}

#[tokio::test]
async fn fan_paths_may_be_framed_by_facebook_only() {
    let app = spawn().await;
    for path in ["/tab", "/tab/12345", "/c/tour-shirt-2026", "/r/7Fq2xK"] {
        let r = app.get(path).await;
        let h = r.headers();
        let csp = header(h, "content-security-policy").unwrap();
        assert!(csp.contains(FACEBOOK_ANCESTORS), "{path}: {csp}");
        assert!(!csp.contains("frame-ancestors 'none'"), "{path}");
        // X-Frame-Options cannot allow facebook.com, so it must be absent.
        assert_eq!(header(h, "x-frame-options"), None, "{path}");
        assert!(csp.contains("script-src 'self'"), "still strict otherwise");
    }
    // Look-alikes are not fan pages.
    for path in ["/tabs", "/contacts", "/c", "/rules"] {
        let r = app.get(path).await;
        assert_eq!(
            header(r.headers(), "x-frame-options"),
            Some("DENY"),
            "{path}"
        );
    }
}

#[tokio::test]
async fn https_public_url_adds_hsts_and_the_dialog_origin() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| s.server.public_url = "https://fans.example.org".into(),
    )
    .await;
    let r = app.get("/healthz").await;
    let h = r.headers();
    assert_eq!(
        header(h, "strict-transport-security"),
        Some("max-age=63072000")
    );
    // Sandbox mode: the OAuth dialog lives under the public URL's /sandbox.
    let csp = header(h, "content-security-policy").unwrap();
    assert!(
        csp.contains("form-action 'self' https://fans.example.org https://www.facebook.com;"),
        "{csp}"
    );
}

#[tokio::test]
async fn assets_are_served_with_types_and_cache_headers() {
    let app = spawn().await;
    for (name, mime) in [
        ("app.css", "text/css"),
        ("app.js", "text/javascript"),
        ("htmx.min.js", "text/javascript"),
    ] {
        let url = asset_url(name);
        let (_, hash) = url.split_once("?v=").unwrap();
        let r = app.get(&url).await;
        assert_eq!(r.status(), 200, "{url}");
        let h = r.headers().clone();
        assert!(
            header(&h, "content-type").unwrap().starts_with(mime),
            "{name}"
        );
        assert_eq!(
            header(&h, "cache-control"),
            Some("public, max-age=31536000, immutable")
        );
        assert_eq!(header(&h, "etag"), Some(format!("\"{hash}\"").as_str()));
        assert_eq!(header(&h, "x-content-type-options"), Some("nosniff"));
        let body = r.bytes().await.unwrap();
        let on_disk = std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            match name {
                "htmx.min.js" => "static/vendor/htmx.min.js".to_string(),
                other => format!("static/{other}"),
            },
        ))
        .unwrap();
        assert_eq!(body.as_ref(), on_disk.as_slice(), "{name} is the file");

        // Unversioned or stale URLs: short-lived, so a deploy shows up quickly.
        for other in [format!("/static/{name}"), format!("/static/{name}?v=0000")] {
            let r = app.get(&other).await;
            assert_eq!(r.status(), 200);
            assert_eq!(
                header(r.headers(), "cache-control"),
                Some("public, max-age=300")
            );
        }
        // Revalidation.
        let r = app
            .client
            .get(app.url(&format!("/static/{name}")))
            .header("if-none-match", format!("W/\"{hash}\""))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 304);
        assert!(r.bytes().await.unwrap().is_empty());
        let r = app.client.head(app.url(&url)).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(asset_names().count(), 4);
}

/// Sends a request line verbatim: HTTP clients normalise `..` and `%2e` away.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let addr = app.address.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (status, body)
}

#[tokio::test]
async fn unknown_assets_and_traversal_attempts_are_json_404s() {
    let app = spawn().await;
    for target in [
        "/static/nope.css",
        "/static/../Cargo.toml",
        "/static/..%2FCargo.toml",
        "/static/%2e%2e%2fCargo.toml",
        "/static/..%5cCargo.toml",
        "/static/vendor%2Fhtmx.min.js",
        "/static/vendor/htmx.min.js",
        "/static/app.css%00.txt",
        "/static/",
    ] {
        let (status, body) = raw_get(&app, target).await;
        assert_eq!(status, 404, "{target}");
        let json: Value =
            serde_json::from_str(&body).unwrap_or_else(|_| panic!("{target}: {body}"));
        assert_eq!(json["error"]["code"], "not_found", "{target}");
        assert!(!body.contains("[package]"), "{target} leaked a file");
    }
}

#[tokio::test]
async fn the_dashboard_layout_links_only_local_versioned_assets() {
    let app = spawn().await;
    let r = app.get("/ui/styleguide").await;
    assert_eq!(r.status(), 200);
    assert!(header(r.headers(), "content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert_csp_clean(&html);

    let scripts = attr_values(&html, "script", "src");
    let styles: Vec<String> = attr_values(&html, "link", "href");
    assert_eq!(scripts, [asset_url("htmx.min.js"), asset_url("app.js")]);
    assert_eq!(styles, [asset_url("app.css")]);
    for url in scripts.iter().chain(&styles) {
        assert_eq!(app.get(url).await.status(), 200, "{url}");
    }

    // The sidebar, with the current section marked.
    for (label, href) in [
        ("Contests", "/dashboard/contests"),
        ("Moderation", "/dashboard/moderation"),
        ("Vote review", "/dashboard/votes"),
        ("Pages", "/dashboard/pages"),
        ("Webhooks &#38; queue", "/dashboard/webhooks"),
    ] {
        assert!(html.contains(&format!("href=\"{href}\"")), "{href}");
        assert!(html.contains(label), "{label}");
    }
    assert!(html.contains(r#"<a href="/dashboard/contests" aria-current="page">"#));
    // Flash slot, and user text escaped rather than run.
    assert!(html.contains(r#"class="flash flash-error" role="alert""#));
    assert!(html.contains("&#60;script&#62;alert("));
    assert!(!html.contains("<script>alert("));
    // Charts are inline SVG with their accessible names.
    assert!(
        html.matches("<svg").count() >= 9,
        "4 sparklines and 5+ charts"
    );
    assert!(html.contains("Daily activity, last 30 days</title>"));
    // Images only from data: (placeholders) or our own origin, as img-src allows.
    for src in attr_values(&html, "img", "src") {
        assert!(src.starts_with("data:image/svg+xml;base64,") || src.starts_with('/'));
    }
}

#[tokio::test]
async fn the_fan_layout_renders_with_footer_links() {
    let app = spawn().await;
    let html = app.get("/ui/styleguide/fan").await.text().await.unwrap();
    assert_csp_clean(&html);
    assert!(html.contains(r#"<a href="/privacy">Privacy</a>"#));
    assert!(html.contains(r#"<a href="/c/tour-shirt-2026/rules">Official rules</a>"#));
    assert!(html.contains("not sponsored, endorsed or administered by"));
    assert!(html.contains(r#"<p class="fan-page-name">Harbor Lights Band</p>"#));
    // The copy button is progressive enhancement: hidden until app.js shows it.
    assert!(html.contains(r#"data-copy=""#) && html.contains("hidden>Copy</button>"));
}

#[tokio::test]
async fn the_styleguide_does_not_exist_in_live_mode() {
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        |s| s.facebook.mode = FacebookMode::Live,
    )
    .await;
    for path in ["/ui/styleguide", "/ui/styleguide/fan"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_deletion_status_page_needs_no_inline_style() {
    let app = spawn_app().await;
    let sr = sign(
        &json!({"algorithm":"HMAC-SHA256","issued_at":chrono::Utc::now().timestamp(),"user_id":"5150"}),
        app.app_secret().as_bytes(),
    );
    let r: Value = app
        .client
        .post(app.url("/facebook/data-deletion"))
        .form(&[("signed_request", sr)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let code = r["confirmation_code"].as_str().unwrap();
    let html = app
        .get(&format!("/facebook/data-deletion/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert_csp_clean(&html);
    assert_eq!(attr_values(&html, "link", "href"), [asset_url("app.css")]);
}

#[tokio::test]
async fn openapi_document_lists_the_existing_endpoints() {
    let app = spawn().await;
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status(), 200);
    let doc: Value = r.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for p in [
        "/healthz",
        "/readyz",
        "/webhooks/facebook",
        "/facebook/deauthorize",
        "/facebook/data-deletion",
        "/facebook/data-deletion/{code}",
    ] {
        assert!(paths.contains_key(p), "{p} missing");
    }
    assert!(paths["/webhooks/facebook"]["get"].is_object());
    assert!(paths["/webhooks/facebook"]["post"].is_object());
    assert!(doc["components"]["schemas"]["ErrorResponse"].is_object());
}

#[tokio::test]
async fn api_docs_work_offline() {
    let app = spawn().await;
    let r = app.get("/api/docs").await;
    assert_eq!(r.status(), 301);
    assert_eq!(header(r.headers(), "location"), Some("/api/docs/"));

    let r = app.get("/api/docs/").await;
    assert_eq!(r.status(), 200);
    assert!(header(r.headers(), "content-type")
        .unwrap()
        .starts_with("text/html"));
    let html = r.text().await.unwrap();
    assert_csp_clean(&html);
    let scripts = attr_values(&html, "script", "src");
    let links = attr_values(&html, "link", "href");
    assert!(!scripts.is_empty() && !links.is_empty());
    for url in scripts.iter().chain(&links) {
        assert!(
            !url.contains("//") && !url.contains(':'),
            "{url} is not a local URL"
        );
        let absolute = format!("/api/docs/{}", url.trim_start_matches("./"));
        assert_eq!(app.get(&absolute).await.status(), 200, "{absolute}");
    }
    // The initializer points at our document and turns off the remote validator.
    let init = app
        .get("/api/docs/swagger-initializer.js")
        .await
        .text()
        .await
        .unwrap();
    assert!(init.contains("\"/api/openapi.json\""), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "{init}");
}
