//! The cross-tenant walk: every admin route that takes an id of a tenant-owned
//! resource is called as an admin who does not own it, and must answer 404 and
//! change nothing. New admin routes are added to `ROUTES`.

use serde_json::Value;

use crate::helpers::TestApp;

/// (resource, method, path template with `{id}`).
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("page", "GET", "/api/v1/pages/{id}"),
    ("page", "POST", "/api/v1/pages/{id}/subscription"),
];

pub async fn assert_no_cross_tenant_access(app: &TestApp, token: &str, resource: &str, id: i64) {
    let mut walked = 0;
    for (res, method, path) in ROUTES.iter().filter(|(r, ..)| *r == resource) {
        let path = path.replace("{id}", &id.to_string());
        let r = app
            .client
            .request(method.parse().unwrap(), app.url(&path))
            .bearer_auth(token)
            .json(&serde_json::json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            404,
            "{method} {path} ({res}) must not reach another tenant's data"
        );
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");
        walked += 1;
    }
    assert!(walked > 0, "no routes for {resource}");
}
