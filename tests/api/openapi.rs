//! The OpenAPI document against the running app: every admin API route is
//! documented (and nothing undocumented is mounted), the document is structurally
//! valid OpenAPI 3 (every `$ref` resolves), and the Swagger UI page's CSP allows
//! exactly the inline style it needs.

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::helpers::{spawn_app_without_workers, TestApp};
use crate::support::{api, installed};

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

async fn spawn() -> TestApp {
    spawn_app_without_workers().await
}

async fn document(app: &TestApp) -> Value {
    let r = app.get("/api/openapi.json").await;
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
    r.json().await.unwrap()
}

/// `(METHOD, path)` of every documented operation under `/api/v1`.
fn documented_api_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/") {
            continue;
        }
        for m in METHODS {
            if item.get(m).is_some() {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn openapi_documents_every_admin_api_route_and_nothing_else() {
    let app = spawn().await;
    let doc = document(&app).await;
    let mounted: BTreeSet<(String, String)> =
        fanfare::routes::api::route_table().into_iter().collect();
    assert!(mounted.len() >= 45, "{mounted:?}");
    let documented = documented_api_operations(&doc);
    let undocumented: Vec<_> = mounted.difference(&documented).collect();
    let phantom: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        undocumented.is_empty(),
        "routes without #[utoipa::path] in ApiDoc: {undocumented:?}"
    );
    assert!(
        phantom.is_empty(),
        "documented but not mounted: {phantom:?}"
    );

    // The table is what is mounted: every route in it answers over HTTP (401
    // without a session), where an unmounted path would answer 404 and an unknown
    // method on a known path 405.
    for (method, path) in &mounted {
        let url = app.url(&path.replace("{id}", "1"));
        let r = app
            .client
            .request(method.parse().unwrap(), url)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{method} {path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_signed_in", "{method} {path}");
    }
}

#[tokio::test]
async fn every_admin_api_operation_says_how_it_authenticates_and_fails() {
    let app = spawn().await;
    let doc = document(&app).await;
    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
    assert_eq!(schemes["session_cookie"]["name"], "fanfare_admin");
    let declared_tags: BTreeSet<&str> = doc["tags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for (method, path) in documented_api_operations(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let security: Vec<&str> = op["security"]
            .as_array()
            .unwrap_or_else(|| panic!("{method} {path}: no security"))
            .iter()
            .flat_map(|s| s.as_object().unwrap().keys().map(String::as_str))
            .collect();
        assert_eq!(security, ["bearer", "session_cookie"], "{method} {path}");
        let responses = op["responses"].as_object().unwrap();
        for status in ["401", "503"] {
            assert!(responses.contains_key(status), "{method} {path}: {status}");
        }
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success response"
        );
        for (status, r) in responses {
            if !status.starts_with('2') {
                assert_eq!(
                    r["content"]["application/json"]["schema"]["$ref"],
                    "#/components/schemas/ErrorResponse",
                    "{method} {path} {status}"
                );
            }
        }
        if op.get("requestBody").is_some() {
            for status in ["400", "413", "415"] {
                assert!(responses.contains_key(status), "{method} {path}: {status}");
            }
        }
        if method != "GET" {
            assert!(responses.contains_key("403"), "{method} {path}: csrf");
        }
        let tags = op["tags"].as_array().unwrap();
        assert!(!tags.is_empty(), "{method} {path}: no tag");
        for t in tags {
            assert!(declared_tags.contains(t.as_str().unwrap()), "{t}");
        }
    }
}

/// Every `"$ref"` anywhere in `v`.
fn refs<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                if k == "$ref" {
                    out.push(x.as_str().expect("$ref is a string"));
                } else {
                    refs(x, out);
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
        _ => {}
    }
}

/// Resolves a local JSON reference (`#/components/schemas/X`, RFC 6901).
fn resolve<'a>(doc: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    doc.pointer(pointer)
}

#[tokio::test]
async fn openapi_document_is_structurally_valid_openapi_3() {
    let app = spawn().await;
    let doc = document(&app).await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    assert!(doc["info"]["title"].is_string());
    assert!(doc["info"]["version"].is_string());

    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 50, "suspiciously few $refs: {}", all.len());
    for r in &all {
        assert!(r.starts_with("#/"), "non-local $ref {r}");
        assert!(resolve(&doc, r).is_some(), "$ref {r} does not resolve");
    }

    let schemes = doc["components"]["securitySchemes"].as_object().unwrap();
    let mut operation_ids = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        assert!(path.starts_with('/'), "{path}");
        let templated: BTreeSet<&str> = path
            .split('/')
            .filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}')))
            .collect();
        for (key, op) in item.as_object().unwrap() {
            assert!(
                METHODS.contains(&key.as_str()),
                "{path}: unexpected key {key}"
            );
            let where_ = format!("{key} {path}");
            if let Some(id) = op["operationId"].as_str() {
                assert!(
                    operation_ids.insert(id.to_string()),
                    "duplicate operationId {id}"
                );
            }
            // Every templated segment is a required path parameter, and back.
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_path: BTreeSet<&str> = params
                .iter()
                .filter(|p| p["in"] == "path")
                .map(|p| {
                    assert_eq!(p["required"], true, "{where_}: path params are required");
                    p["name"].as_str().unwrap()
                })
                .collect();
            assert_eq!(in_path, templated, "{where_}: path parameters");
            for p in &params {
                assert!(
                    ["path", "query", "header", "cookie"].contains(&p["in"].as_str().unwrap()),
                    "{where_}"
                );
                assert!(p["schema"].is_object(), "{where_}: {p}");
            }
            let responses = op["responses"].as_object().unwrap();
            assert!(!responses.is_empty(), "{where_}: no responses");
            for (status, r) in responses {
                assert!(
                    status == "default"
                        || (status.len() == 3
                            && status.parse::<u16>().is_ok_and(|s| (100..600).contains(&s))),
                    "{where_}: status {status}"
                );
                assert!(
                    r["description"].is_string(),
                    "{where_} {status}: description"
                );
            }
            if let Some(body) = op.get("requestBody") {
                assert!(
                    body["content"].is_object(),
                    "{where_}: request body content"
                );
            }
            for requirement in op["security"].as_array().into_iter().flatten() {
                for name in requirement.as_object().unwrap().keys() {
                    assert!(
                        schemes.contains_key(name),
                        "{where_}: unknown scheme {name}"
                    );
                }
            }
        }
    }
}

#[tokio::test]
async fn a_known_api_path_with_another_method_answers_405_with_allow() {
    let app = spawn().await;
    let r = app
        .client
        .put(app.url("/api/v1/contests"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    assert_eq!(r.headers()["allow"], "GET, POST");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "method_not_allowed");
    // Unknown paths are still a JSON 404.
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn integral_floats_are_integers_and_fractions_are_a_clear_400() {
    // JSON Schema counts 1.0 as an integer, so where the document says
    // `integer`, 1.0 is accepted; 1.5 is a 400 in the common error shape.
    let app = spawn().await;
    let inst = installed(&app).await;
    let doc = document(&app).await;
    assert_eq!(
        doc["components"]["schemas"]["RecomputeInput"]["properties"]["page_id"]["type"],
        "integer"
    );
    let (status, body) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/segments/recompute",
        Some(json!({"page_id": inst.page_id as f64})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["sizes"].is_object(), "{body}");
    let (status, body) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/segments/recompute",
        Some(json!({"page_id": inst.page_id as f64 + 0.5})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "malformed_json");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("expected an integer"), "{message}");
    // Nested too: bulk moderation ids.
    let (status, body) = api(
        &app,
        &inst.token,
        "POST",
        "/api/v1/contests/999999/entries/moderation",
        Some(json!({"status": "approved", "entry_ids": [1.0, 2.0]})),
    )
    .await;
    assert_eq!(status, 404, "{body}");
}

#[tokio::test]
async fn swagger_ui_csp_allows_exactly_its_inline_logo_style() {
    let app = spawn().await;
    let r = app.get("/api/docs/").await;
    assert_eq!(r.status(), 200);
    let docs_csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();

    // Recompute the hash of every inline <style> in the served Swagger UI bundles.
    let mut hashes = Vec::new();
    for js in ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js"] {
        let text = app
            .get(&format!("/api/docs/{js}"))
            .await
            .text()
            .await
            .unwrap();
        let marker = "createElement(\"style\",null,\"";
        for (at, _) in text.match_indices(marker) {
            let rest = &text[at + marker.len()..];
            let css = &rest[..rest.find('"').unwrap()];
            let digest = Sha256::digest(css.as_bytes());
            hashes.push(base64::engine::general_purpose::STANDARD.encode(digest));
        }
    }
    assert!(!hashes.is_empty(), "Swagger UI's logo style not found");
    for h in &hashes {
        assert!(
            docs_csp.contains(&format!("'sha256-{h}'")),
            "{h} not in {docs_csp}"
        );
    }
    assert!(!docs_csp.contains("unsafe-inline"), "{docs_csp}");
    assert!(docs_csp.contains("frame-ancestors 'none'"), "{docs_csp}");

    // Everywhere else the policy is unchanged: no hashes, no inline styles.
    for path in ["/healthz", "/api/openapi.json", "/api/v1/me", "/"] {
        let r = app.get(path).await;
        let csp = r.headers()["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("style-src 'self';"), "{path}: {csp}");
        assert!(!csp.contains("sha256-"), "{path}: {csp}");
    }
}

/// `(METHOD, path)` of every documented operation tagged `fan`.
fn documented_fan_operations(doc: &Value) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for m in METHODS {
            let Some(op) = item.get(m) else { continue };
            if op["tags"]
                .as_array()
                .is_some_and(|t| t.contains(&json!("fan")))
            {
                out.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn every_fan_route_that_answers_json_is_documented_under_the_fan_tag() {
    let app = spawn().await;
    let inst = installed(&app).await;
    let contest = crate::support::open_contest(&app, &inst, json!({"title": "Documented"})).await;
    let slug = contest["slug"].as_str().unwrap();
    let doc = document(&app).await;
    let documented = documented_fan_operations(&doc);
    let mounted: BTreeSet<(String, String)> =
        fanfare::routes::fan::route_table().into_iter().collect();
    assert!(mounted.len() >= 15, "{mounted:?}");

    // Ask every mounted fan route for JSON, as a client would; whichever
    // answers JSON (success or error) must be documented.
    let mut answered_json = BTreeSet::new();
    for (method, path) in &mounted {
        let url = app.url(
            &path
                .replace("{slug}", slug)
                .replace("{entry_id}", "1")
                .replace("{suggestion_id}", "1")
                .replace("{code}", "nocode"),
        );
        let r = app
            .client
            .request(method.parse().unwrap(), url)
            .header("accept", "application/json")
            .form(&[("probe", "1")])
            .send()
            .await
            .unwrap();
        let json_answer = r
            .headers()
            .get("content-type")
            .is_some_and(|c| c.to_str().unwrap().starts_with("application/json"));
        if json_answer || path.ends_with(".json") {
            answered_json.insert((method.clone(), path.clone()));
        }
    }
    for required in [
        ("GET", "/c/{slug}/draw.json"),
        ("GET", "/my-data"),
        ("POST", "/c/{slug}/enter"),
    ] {
        let k = (required.0.to_string(), required.1.to_string());
        assert!(answered_json.contains(&k), "the probe finds {k:?}");
    }
    let undocumented: Vec<_> = answered_json.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "fan routes answering JSON without #[utoipa::path] (tag fan) in ApiDoc: {undocumented:?}"
    );
    let phantom: Vec<_> = documented.difference(&mounted).collect();
    assert!(
        phantom.is_empty(),
        "documented but not mounted: {phantom:?}"
    );
    // The fan operations name the fan session where one is needed.
    assert_eq!(
        doc["components"]["securitySchemes"]["fan_session"]["name"],
        "fanfare_fan"
    );
    assert_eq!(
        doc["paths"]["/my-data"]["get"]["security"][0]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["fan_session"]
    );
}
