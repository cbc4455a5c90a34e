//! Graph API paths of the sandbox, answered from its tables with Facebook's
//! response and error shapes. [`handle`] serves one call; the HTTP layer
//! ([`super::routes`]) adds latency, faults, usage headers and the batch endpoint.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use serde_json::{json, Map, Value};
use subtle::ConstantTimeEq;

use super::errors::{self, Reply};
use super::store::{self, Token};
use super::Sandbox;
use crate::platform::facebook::proof::appsecret_proof;
use crate::platform::facebook::signed_request::{b64url_decode, b64url_encode};

/// Short-lived user tokens last two hours; long-lived ones about 60 days.
const SHORT_LIVED_SECS: i64 = 7_200;
const LONG_LIVED_SECS: i64 = 5_183_944;
/// Authorization codes expire after ten minutes.
const CODE_TTL_MINUTES: i64 = 10;

pub struct Call<'a> {
    pub method: &'a str,
    /// Path without the version prefix or leading slash, e.g. `me/accounts`.
    pub path: &'a str,
    pub params: &'a HashMap<String, String>,
}

/// Who is calling, from the access token.
pub enum Caller {
    App,
    User(Token),
    Page(Token),
}

impl Caller {
    /// The page id of a page token.
    fn page_id(&self) -> Option<&str> {
        match self {
            Caller::Page(t) => t.page_id.as_deref(),
            _ => None,
        }
    }
}

pub fn handle(conn: &mut PgConnection, sb: &Sandbox, call: &Call<'_>) -> QueryResult<Reply> {
    let segments: Vec<&str> = call.path.trim_matches('/').split('/').collect();
    if segments == ["oauth", "access_token"] {
        return oauth_access_token(conn, sb, call.params);
    }
    let caller = match authenticate(conn, sb, call.params)? {
        Ok(c) => c,
        Err(reply) => return Ok(reply),
    };
    let object = caller.page_id().map(str::to_string);
    let mut reply = route(conn, sb, call, &segments, &caller)?;
    reply.business_object = object;
    Ok(reply)
}

fn route(
    conn: &mut PgConnection,
    sb: &Sandbox,
    call: &Call<'_>,
    segments: &[&str],
    caller: &Caller,
) -> QueryResult<Reply> {
    match (call.method, segments) {
        ("GET", ["debug_token"]) => debug_token(conn, sb, call.params),
        ("GET", ["me"]) => me(conn, caller, call.params),
        ("GET", ["me", "accounts"]) => accounts(conn, sb, caller, call.params),
        ("GET", ["me", "friends"]) => friends(conn, caller),
        ("GET", ["me", "permissions"]) => permissions(caller),
        ("GET", [id, "subscribed_apps"]) => subscribed_apps_get(conn, sb, caller, id),
        ("POST", [id, "subscribed_apps"]) => subscribed_apps_post(conn, caller, id, call.params),
        ("DELETE", [id, "subscribed_apps"]) => {
            if caller.page_id() != Some(*id) {
                return Ok(page_token_required());
            }
            store::delete_subscription(conn, id)?;
            Ok(Reply::ok(json!({"success": true})))
        }
        ("GET", [id, "comments"]) => comments(conn, sb, caller, id, call.params),
        ("GET", [id, "insights"]) => insights(conn, caller, id, call.params),
        ("GET", [id]) => object(conn, caller, id, call.params),
        _ => Ok(errors::error(
            400,
            100,
            None,
            "GraphMethodException",
            &format!("Unsupported {} request.", call.method),
        )),
    }
}

/// Resolves the access token and checks `appsecret_proof`, as Facebook does for
/// apps that require it.
pub fn authenticate(
    conn: &mut PgConnection,
    sb: &Sandbox,
    params: &HashMap<String, String>,
) -> QueryResult<Result<Caller, Reply>> {
    let Some(token) = params.get("access_token").filter(|t| !t.is_empty()) else {
        return Ok(Err(errors::error(
            400,
            104,
            None,
            "OAuthException",
            "An access token is required to request this resource.",
        )));
    };
    let app_token = sb.app_token();
    if bool::from(token.as_bytes().ct_eq(app_token.as_bytes())) {
        return Ok(Ok(Caller::App));
    }
    if token.contains('|') {
        return Ok(Err(errors::invalid_token(
            None,
            "Error validating application. Invalid application ID or secret.",
        )));
    }
    match params.get("appsecret_proof") {
        None => {
            return Ok(Err(errors::bad_param(
                "API calls from the server require an appsecret_proof argument",
            )))
        }
        Some(proof) => {
            let expected = appsecret_proof(sb.app_secret.expose(), token);
            if !bool::from(proof.as_bytes().ct_eq(expected.as_bytes())) {
                return Ok(Err(errors::bad_param(
                    "Invalid appsecret_proof provided in the API argument",
                )));
            }
        }
    }
    let Some(t) = store::token(conn, token)? else {
        return Ok(Err(errors::invalid_token(
            None,
            "Invalid OAuth access token - Cannot parse access token",
        )));
    };
    if let Some(problem) = token_problem(&t) {
        return Ok(Err(problem));
    }
    Ok(Ok(if t.kind == "page" {
        Caller::Page(t)
    } else {
        Caller::User(t)
    }))
}

fn token_problem(t: &Token) -> Option<Reply> {
    if t.invalidated_at.is_some() {
        return Some(errors::invalid_token(
            Some(460),
            "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        ));
    }
    if t.expires_at.is_some_and(|e| e <= Utc::now()) {
        return Some(errors::invalid_token(
            Some(463),
            "Error validating access token: Session has expired.",
        ));
    }
    None
}

fn oauth_access_token(
    conn: &mut PgConnection,
    sb: &Sandbox,
    p: &HashMap<String, String>,
) -> QueryResult<Reply> {
    let grant = p.get("grant_type").map(String::as_str);
    if p.get("client_id").map(String::as_str) != Some(sb.app_id.as_str()) {
        return Ok(errors::error(
            400,
            101,
            None,
            "OAuthException",
            "Error validating application. Invalid application ID.",
        ));
    }
    if grant == Some("client_credentials")
        || grant == Some("fb_exchange_token")
        || p.contains_key("code")
    {
        let secret_ok = p
            .get("client_secret")
            .is_some_and(|s| bool::from(s.as_bytes().ct_eq(sb.app_secret.expose().as_bytes())));
        if !secret_ok {
            return Ok(errors::error(
                400,
                1,
                None,
                "OAuthException",
                "Error validating client secret.",
            ));
        }
    }
    match grant {
        Some("client_credentials") => Ok(Reply::ok(
            json!({"access_token": sb.app_token(), "token_type": "bearer"}),
        )),
        Some("fb_exchange_token") => {
            let short = p.get("fb_exchange_token").cloned().unwrap_or_default();
            let Some(t) = store::token(conn, &short)?.filter(|t| t.kind == "user") else {
                return Ok(errors::invalid_token(None, "Invalid OAuth access token."));
            };
            if let Some(problem) = token_problem(&t) {
                return Ok(problem);
            }
            let token = store::create_token(
                conn,
                store::NewToken {
                    kind: "user",
                    user_id: &t.user_id,
                    page_id: None,
                    scopes: &t.scopes,
                    long_lived: true,
                    expires_at: Some(Utc::now() + Duration::seconds(LONG_LIVED_SECS)),
                },
            )?;
            Ok(Reply::ok(json!({
                "access_token": token,
                "token_type": "bearer",
                "expires_in": LONG_LIVED_SECS,
            })))
        }
        _ => exchange_code(conn, p),
    }
}

fn exchange_code(conn: &mut PgConnection, p: &HashMap<String, String>) -> QueryResult<Reply> {
    let redirect_uri = p.get("redirect_uri").cloned().unwrap_or_default();
    if url::Url::parse(&redirect_uri).is_err() {
        return Ok(errors::error(
            400,
            191,
            None,
            "OAuthException",
            "redirect_uri isn't an absolute URI. Check RFC 3986.",
        ));
    }
    let code = p.get("code").cloned().unwrap_or_default();
    let Some(found) = store::take_code(conn, &code)? else {
        return Ok(errors::error(
            400,
            100,
            Some(36007),
            "OAuthException",
            "Invalid verification code format.",
        ));
    };
    if found.used_at.is_some() {
        return Ok(errors::error(
            400,
            100,
            Some(36009),
            "OAuthException",
            "This authorization code has been used.",
        ));
    }
    if found.created_at + Duration::minutes(CODE_TTL_MINUTES) < Utc::now() {
        return Ok(errors::error(
            400,
            100,
            Some(36007),
            "OAuthException",
            "This authorization code has expired.",
        ));
    }
    if found.redirect_uri != redirect_uri {
        return Ok(errors::error(
            400,
            100,
            Some(36008),
            "OAuthException",
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        ));
    }
    let token = store::create_token(
        conn,
        store::NewToken {
            kind: "user",
            user_id: &found.user_id,
            page_id: None,
            scopes: &found.scopes,
            long_lived: false,
            expires_at: Some(Utc::now() + Duration::seconds(SHORT_LIVED_SECS)),
        },
    )?;
    Ok(Reply::ok(json!({
        "access_token": token,
        "token_type": "bearer",
        "expires_in": SHORT_LIVED_SECS,
    })))
}

fn debug_token(
    conn: &mut PgConnection,
    sb: &Sandbox,
    p: &HashMap<String, String>,
) -> QueryResult<Reply> {
    let input = p.get("input_token").cloned().unwrap_or_default();
    let Some(t) = store::token(conn, &input)? else {
        return Ok(Reply::ok(json!({"data": {
            "is_valid": false,
            "error": {"code": 190, "message": "Invalid OAuth access token."},
        }})));
    };
    let mut data = json!({
        "app_id": sb.app_id,
        "type": if t.kind == "page" { "PAGE" } else { "USER" },
        "application": sb.app_name,
        "expires_at": t.expires_at.map_or(0, |e| e.timestamp()),
        "data_access_expires_at": (Utc::now() + Duration::days(90)).timestamp(),
        "is_valid": true,
        "scopes": t.scope_list(),
        "user_id": t.user_id,
    });
    if let Some(page) = &t.page_id {
        data["profile_id"] = json!(page);
    }
    if let Some(problem) = token_problem(&t) {
        data["is_valid"] = json!(false);
        let err = &problem.body["error"];
        data["error"] = json!({
            "code": err["code"],
            "subcode": err["error_subcode"],
            "message": err["message"],
        });
    }
    Ok(Reply::ok(json!({ "data": data })))
}

fn requested_fields(p: &HashMap<String, String>, default: &str) -> Vec<String> {
    split_fields(p.get("fields").map(String::as_str).unwrap_or(default))
}

/// Splits `a,b.summary(x,y).limit(0),c` at top-level commas.
fn split_fields(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut cur = String::new();
    for ch in s.chars() {
        match ch {
            '(' | '{' => {
                depth += 1;
                cur.push(ch)
            }
            ')' | '}' => {
                depth -= 1;
                cur.push(ch)
            }
            ',' if depth <= 0 => {
                out.push(std::mem::take(&mut cur).trim().to_string());
            }
            _ => cur.push(ch),
        }
    }
    if !cur.trim().is_empty() {
        out.push(cur.trim().to_string());
    }
    out.retain(|f| !f.is_empty());
    out
}

fn base_name(field: &str) -> &str {
    field.split(['.', '{', '(']).next().unwrap_or(field)
}

fn me(conn: &mut PgConnection, caller: &Caller, p: &HashMap<String, String>) -> QueryResult<Reply> {
    match caller {
        Caller::App => Ok(errors::error(
            400,
            2500,
            None,
            "OAuthException",
            "An active access token must be used to query information about the current user.",
        )),
        Caller::Page(t) => {
            let page = store::page(conn, t.page_id.as_deref().unwrap_or_default())?;
            Ok(match page {
                Some(pg) => Reply::ok(json!({"id": pg.id, "name": pg.name})),
                None => errors::unknown_object("me"),
            })
        }
        Caller::User(t) => {
            let Some(u) = store::user(conn, &t.user_id)? else {
                return Ok(errors::unknown_object("me"));
            };
            let mut out = Map::new();
            for f in requested_fields(p, "id,name") {
                match base_name(&f) {
                    "id" => {
                        out.insert("id".into(), json!(u.id));
                    }
                    "name" => {
                        out.insert("name".into(), json!(u.name));
                    }
                    "first_name" => {
                        out.insert("first_name".into(), json!(u.name.split(' ').next()));
                    }
                    "email" if t.has_scope("email") => {
                        if let Some(e) = &u.email {
                            out.insert("email".into(), json!(e));
                        }
                    }
                    "locale" => {
                        out.insert("locale".into(), json!(u.locale));
                    }
                    _ => {}
                }
            }
            out.entry("id").or_insert(json!(u.id));
            Ok(Reply::ok(Value::Object(out)))
        }
    }
}

fn user_token(caller: &Caller) -> Option<&Token> {
    match caller {
        Caller::User(t) => Some(t),
        _ => None,
    }
}

fn accounts(
    conn: &mut PgConnection,
    sb: &Sandbox,
    caller: &Caller,
    p: &HashMap<String, String>,
) -> QueryResult<Reply> {
    let Some(t) = user_token(caller) else {
        return Ok(errors::error(
            400,
            100,
            None,
            "OAuthException",
            "(#100) Tried accessing nonexisting field (accounts) on node type (Page)",
        ));
    };
    if !t.has_scope("pages_show_list") {
        return Ok(errors::permission(
            200,
            "(#200) Requires pages_show_list permission to manage the object",
        ));
    }
    let pages = store::user_pages(conn, &t.user_id)?;
    let limit = limit_param(p, 25);
    let offset = cursor_param(p);
    let mut data = Vec::new();
    for (page, tasks) in pages.iter().skip(offset as usize).take(limit as usize) {
        let token = store::page_token_for(conn, t, &page.id)?;
        data.push(json!({
            "id": page.id,
            "name": page.name,
            "category": page.category,
            "access_token": token,
            "tasks": tasks,
        }));
    }
    let end = offset + data.len() as i64;
    let more = (end as usize) < pages.len();
    Ok(Reply::ok(paged(
        sb,
        "me/accounts",
        p,
        data,
        offset,
        end,
        more,
    )))
}

fn friends(conn: &mut PgConnection, caller: &Caller) -> QueryResult<Reply> {
    let Some(t) = user_token(caller) else {
        return Ok(errors::bad_param(
            "(#100) Tried accessing nonexisting field (friends)",
        ));
    };
    if !t.has_scope("user_friends") {
        return Ok(errors::permission(
            200,
            "(#200) Requires user_friends permission",
        ));
    }
    let n = store::user(conn, &t.user_id)?.map_or(0, |u| u.friends_count);
    // Only friends who also use the app are listed; the total counts all of them.
    Ok(Reply::ok(
        json!({"data": [], "summary": {"total_count": n}}),
    ))
}

fn permissions(caller: &Caller) -> QueryResult<Reply> {
    let scopes: Vec<String> = match caller {
        Caller::User(t) | Caller::Page(t) => t.scope_list(),
        Caller::App => vec![],
    };
    let data: Vec<Value> = scopes
        .iter()
        .map(|s| json!({"permission": s, "status": "granted"}))
        .collect();
    Ok(Reply::ok(json!({ "data": data })))
}

fn page_token_required() -> Reply {
    errors::permission(
        210,
        "(#210) A page access token is required to request this resource.",
    )
}

fn subscribed_apps_get(
    conn: &mut PgConnection,
    sb: &Sandbox,
    caller: &Caller,
    page_id: &str,
) -> QueryResult<Reply> {
    if caller.page_id() != Some(page_id) {
        return Ok(page_token_required());
    }
    let data = match store::subscription(conn, page_id)? {
        Some(fields) => vec![json!({
            "category": "Business",
            "link": format!("{}/app", sb.base_url),
            "name": sb.app_name,
            "id": sb.app_id,
            "subscribed_fields": fields,
        })],
        None => vec![],
    };
    Ok(Reply::ok(json!({ "data": data })))
}

fn subscribed_apps_post(
    conn: &mut PgConnection,
    caller: &Caller,
    page_id: &str,
    p: &HashMap<String, String>,
) -> QueryResult<Reply> {
    if caller.page_id() != Some(page_id) {
        return Ok(page_token_required());
    }
    let fields: Vec<String> = p
        .get("subscribed_fields")
        .map(|f| {
            f.split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if fields.is_empty() {
        return Ok(errors::bad_param(
            "(#100) The parameter subscribed_fields is required",
        ));
    }
    const KNOWN: &[&str] = &["feed", "mention", "ratings", "messages", "live_videos"];
    if let Some(bad) = fields.iter().find(|f| !KNOWN.contains(&f.as_str())) {
        return Ok(errors::bad_param(&format!(
            "(#100) Param subscribed_fields[0] must be one of {{{}}} - got \"{bad}\"",
            KNOWN.join(", ")
        )));
    }
    store::set_subscription(conn, page_id, &fields)?;
    Ok(Reply::ok(json!({"success": true})))
}

/// May the caller read this page's posts and comments?
fn can_read_page(conn: &mut PgConnection, caller: &Caller, page_id: &str) -> QueryResult<bool> {
    Ok(match caller {
        Caller::App => false,
        Caller::Page(t) => t.page_id.as_deref() == Some(page_id),
        Caller::User(t) => store::user_pages(conn, &t.user_id)?
            .iter()
            .any(|(p, _)| p.id == page_id),
    })
}

fn object(
    conn: &mut PgConnection,
    caller: &Caller,
    id: &str,
    p: &HashMap<String, String>,
) -> QueryResult<Reply> {
    if let Some(page) = store::page(conn, id)? {
        let mut out = Map::new();
        for f in requested_fields(p, "id,name") {
            match base_name(&f) {
                "id" => out.insert("id".into(), json!(page.id)),
                "name" => out.insert("name".into(), json!(page.name)),
                "category" => out.insert("category".into(), json!(page.category)),
                "fan_count" | "followers_count" => {
                    out.insert(base_name(&f).into(), json!(page.fan_count))
                }
                _ => None,
            };
        }
        out.entry("id").or_insert(json!(page.id));
        return Ok(Reply::ok(Value::Object(out)));
    }
    if let Some(post) = store::post(conn, id)? {
        if !can_read_page(conn, caller, &post.page_id)? {
            return Ok(errors::permission(10, "(#10) This endpoint requires the 'pages_read_engagement' permission or the 'Page Public Content Access' feature."));
        }
        let mut out = Map::new();
        for f in requested_fields(p, "id,message,created_time") {
            match base_name(&f) {
                "id" => {
                    out.insert("id".into(), json!(post.id));
                }
                "message" => {
                    out.insert("message".into(), json!(post.message));
                }
                "created_time" => {
                    out.insert("created_time".into(), json!(fb_time(post.created_time)));
                }
                "shares"
                    // Facebook omits `shares` entirely when there are none.
                    if post.shares_count > 0 => {
                        out.insert("shares".into(), json!({"count": post.shares_count}));
                    }
                "reactions" => {
                    let n = store::reaction_count(conn, &post.id)?;
                    out.insert(
                        "reactions".into(),
                        json!({"data": [], "summary": {"total_count": n, "viewer_reaction": "NONE"}}),
                    );
                }
                "comments" => {
                    let n = store::comment_count(conn, &post.id)?;
                    out.insert(
                        "comments".into(),
                        json!({"data": [], "summary": {"order": "chronological", "total_count": n, "can_comment": true}}),
                    );
                }
                _ => {}
            }
        }
        out.entry("id").or_insert(json!(post.id));
        return Ok(Reply::ok(Value::Object(out)));
    }
    if let Some(user) = store::user(conn, id)? {
        return Ok(Reply::ok(json!({"id": user.id, "name": user.name})));
    }
    Ok(errors::unknown_object(id))
}

fn comments(
    conn: &mut PgConnection,
    sb: &Sandbox,
    caller: &Caller,
    post_id: &str,
    p: &HashMap<String, String>,
) -> QueryResult<Reply> {
    let Some(post) = store::post(conn, post_id)? else {
        return Ok(errors::unknown_object(post_id));
    };
    if !can_read_page(conn, caller, &post.page_id)? {
        return Ok(errors::permission(
            10,
            "(#10) This endpoint requires the 'pages_read_user_content' permission.",
        ));
    }
    let limit = limit_param(p, 25);
    let after = p
        .get("after")
        .and_then(|c| b64url_decode(c))
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0);
    let rows = store::comments_page(conn, post_id, after, limit + 1)?;
    let more = rows.len() as i64 > limit;
    let rows: Vec<_> = rows.into_iter().take(limit as usize).collect();
    let data: Vec<Value> = rows
        .iter()
        .map(|(c, name)| {
            json!({
                "id": c.id,
                "from": {"id": c.user_id, "name": name},
                "message": c.message,
                "created_time": fb_time(c.created_time),
            })
        })
        .collect();
    let mut body = json!({ "data": data });
    if let (Some((first, _)), Some((last, _))) = (rows.first(), rows.last()) {
        let before = b64url_encode(first.seq.to_string().as_bytes());
        let after = b64url_encode(last.seq.to_string().as_bytes());
        let mut paging = json!({"cursors": {"before": before, "after": after}});
        if more {
            paging["next"] = json!(next_url(
                sb,
                &format!("{post_id}/comments"),
                p,
                &[("limit", limit.to_string()), ("after", after.clone())]
            ));
        }
        body["paging"] = paging;
    }
    Ok(Reply::ok(body))
}

fn insights(
    conn: &mut PgConnection,
    caller: &Caller,
    post_id: &str,
    p: &HashMap<String, String>,
) -> QueryResult<Reply> {
    let Some(post) = store::post(conn, post_id)? else {
        return Ok(errors::unknown_object(post_id));
    };
    if caller.page_id() != Some(post.page_id.as_str()) {
        return Ok(page_token_required());
    }
    let reactions = store::reaction_count(conn, post_id)?;
    let comments = store::comment_count(conn, post_id)?;
    let mut data = Vec::new();
    for metric in p.get("metric").map(String::as_str).unwrap_or("").split(',') {
        let metric = metric.trim();
        let value = match metric {
            "post_impressions" => i64::from(post.impressions),
            "post_impressions_unique" => i64::from(post.impressions) * 7 / 10,
            // The newer "media view" metric that replaced impressions in later versions.
            "post_media_view" => i64::from(post.impressions) * 11 / 10,
            "post_engaged_users" => reactions + comments + i64::from(post.shares_count),
            "post_clicks" => (reactions + comments) * 2,
            _ => {
                return Ok(errors::bad_param(
                    "(#100) The value must be a valid insights metric",
                ))
            }
        };
        data.push(json!({
            "name": metric,
            "period": "lifetime",
            "values": [{"value": value}],
            "title": metric,
            "id": format!("{post_id}/insights/{metric}/lifetime"),
        }));
    }
    Ok(Reply::ok(json!({ "data": data })))
}

fn limit_param(p: &HashMap<String, String>, default: i64) -> i64 {
    p.get("limit")
        .and_then(|l| l.parse::<i64>().ok())
        .filter(|l| *l > 0)
        .unwrap_or(default)
        .min(100)
}

fn cursor_param(p: &HashMap<String, String>) -> i64 {
    p.get("after")
        .and_then(|c| b64url_decode(c))
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.parse::<i64>().ok())
        .unwrap_or(0)
        .max(0)
}

/// An offset-paged answer with cursors and `next`, as Facebook shapes them.
fn paged(
    sb: &Sandbox,
    path: &str,
    p: &HashMap<String, String>,
    data: Vec<Value>,
    start: i64,
    end: i64,
    more: bool,
) -> Value {
    let mut body = json!({ "data": data });
    if end > start {
        let before = b64url_encode(start.to_string().as_bytes());
        let after = b64url_encode(end.to_string().as_bytes());
        let mut paging = json!({"cursors": {"before": before, "after": after}});
        if more {
            paging["next"] = json!(next_url(sb, path, p, &[("after", after.clone())]));
        }
        body["paging"] = paging;
    }
    body
}

/// Facebook's `next` links are absolute and carry the access token.
fn next_url(
    sb: &Sandbox,
    path: &str,
    p: &HashMap<String, String>,
    extra: &[(&str, String)],
) -> String {
    let mut url = url::Url::parse(&format!("{}/{}/{}", sb.base_url, sb.api_version, path))
        .expect("sandbox base URL is absolute");
    {
        let mut q = url.query_pairs_mut();
        let mut keys: Vec<&String> = p.keys().collect();
        keys.sort();
        for k in keys {
            if k == "after" || k == "appsecret_proof" || extra.iter().any(|(e, _)| e == k) {
                continue;
            }
            q.append_pair(k, &p[k]);
        }
        for (k, v) in extra {
            q.append_pair(k, v);
        }
    }
    url.to_string()
}

/// Facebook's timestamp format, e.g. `2026-11-01T12:00:00+0000`.
pub fn fb_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+0000").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_split_at_top_level_commas() {
        assert_eq!(
            split_fields(
                "shares,reactions.summary(total_count).limit(0),comments.summary(true).limit(0)"
            ),
            vec![
                "shares",
                "reactions.summary(total_count).limit(0)",
                "comments.summary(true).limit(0)"
            ]
        );
        assert_eq!(base_name("reactions.summary(total_count)"), "reactions");
        assert!(split_fields("").is_empty());
    }
}
