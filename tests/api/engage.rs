//! Shared steps for the engagement tests (referrals, points, draws, polls).

use diesel::pg::PgConnection;
use diesel::prelude::*;
use serde_json::Value;

use crate::accounts::browser;
use crate::helpers::{count, spawn_app_with, Spawn, TestApp};
use crate::support::{enter, fan_page};

pub fn slug(c: &Value) -> String {
    c["slug"].as_str().unwrap().to_string()
}

pub fn id(c: &Value) -> i64 {
    c["id"].as_i64().unwrap()
}

/// The app with per-IP limits out of the way (every test fan shares 127.0.0.1).
pub async fn app() -> TestApp {
    spawn_app_with(Spawn::default(), |s| {
        s.limits.entries_per_ip_per_10m = 10_000;
        s.limits.votes_per_ip_per_10m = 10_000;
    })
    .await
}

/// A new browser enters with this email (plus extra fields); returns it and the entry id.
pub async fn entrant(
    app: &TestApp,
    slug: &str,
    email: &str,
    extra: &[(&str, &str)],
) -> (reqwest::Client, i64) {
    let b = browser();
    let id = enter_as(app, &b, slug, email, extra).await;
    (b, id)
}

/// This browser enters with this email; returns the entry id.
pub async fn enter_as(
    app: &TestApp,
    b: &reqwest::Client,
    slug: &str,
    email: &str,
    extra: &[(&str, &str)],
) -> i64 {
    let csrf = fan_page(app, b, slug).await;
    let mut fields = vec![
        ("email", email),
        ("text", "my idea"),
        ("accept_rules", "on"),
    ];
    fields.extend_from_slice(extra);
    let (status, body) = enter(app, b, slug, &csrf, &fields, true).await;
    assert_eq!(status, 201, "{email}: {body}");
    serde_json::from_str::<Value>(&body).unwrap()["entry"]["id"]
        .as_i64()
        .unwrap()
}

pub fn contact_of_entry(conn: &mut PgConnection, entry_id: i64) -> i64 {
    scalar(
        conn,
        &format!("SELECT contact_id AS n FROM entries WHERE id = {entry_id}"),
    )
}

pub fn code_of(conn: &mut PgConnection, contact_id: i64) -> String {
    #[derive(QueryableByName)]
    struct C {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
    }
    diesel::sql_query(format!(
        "SELECT code FROM referral_codes WHERE contact_id = {contact_id} AND is_primary"
    ))
    .get_result::<C>(conn)
    .unwrap()
    .code
}

/// A single bigint from `sql`, which names it `n`.
pub fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

pub fn balance(conn: &mut PgConnection, contest_id: i64, contact_id: i64) -> i64 {
    scalar(
        conn,
        &format!(
            "SELECT COALESCE((SELECT points FROM point_balances WHERE contest_id = {contest_id} \
             AND contact_id = {contact_id}), 0) AS n"
        ),
    )
}

/// Every balance equals the sum of its ledger rows, and no ledger has no balance.
pub fn assert_ledger_consistent(conn: &mut PgConnection) {
    let mismatched = count(
        conn,
        "(SELECT contest_id, contact_id, sum(points) AS s FROM point_awards GROUP BY 1, 2) l \
         FULL JOIN point_balances b USING (contest_id, contact_id) \
         WHERE COALESCE(l.s, 0) <> COALESCE(b.points, 0)",
    );
    assert_eq!(mismatched, 0, "a balance differs from its ledger");
}

/// Follows a referral link in this browser; returns the redirect target.
pub async fn click(app: &TestApp, b: &reqwest::Client, code: &str) -> String {
    let r = b.get(app.url(&format!("/r/{code}"))).send().await.unwrap();
    assert_eq!(r.status(), 303, "/r/{code}");
    r.headers()["location"].to_str().unwrap().to_string()
}
