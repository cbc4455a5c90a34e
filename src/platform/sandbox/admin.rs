//! Sandbox admin endpoints: fault knobs, token invalidation, and page activity
//! (comments, reactions, shares, mentions, ratings) that is stored in the fake
//! platform and delivered to Fanfare as signed webhooks.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::Faults;
use super::routes::SandboxState;
use super::store;
use crate::error::AppError;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/admin")
            .route("/faults", web::get().to(get_faults))
            .route("/faults", web::post().to(set_faults))
            .route("/tokens/invalidate", web::post().to(invalidate_tokens))
            .route("/comments", web::post().to(comment))
            .route("/reactions", web::post().to(reaction))
            .route("/shares", web::post().to(share))
            .route("/mentions", web::post().to(mention))
            .route("/ratings", web::post().to(rating))
            .route("/webhooks", web::post().to(raw_webhook))
            .route("/flush", web::post().to(flush))
            .route("/state", web::get().to(world)),
    );
    cfg.route("/mailbox", web::get().to(mailbox));
}

#[derive(askama::Template)]
#[template(path = "sandbox/mailbox.html")]
struct Mailbox {
    emails: Vec<crate::db::email::Email>,
}

/// Emails "delivered" in sandbox mode: HTML, or JSON for scripts and tests.
async fn mailbox(
    req: actix_web::HttpRequest,
    state: web::Data<SandboxState>,
) -> Result<HttpResponse, AppError> {
    use askama::Template;
    let emails = state
        .db
        .run(|c| Ok(crate::db::email::sandbox_mailbox(c, 100)?))
        .await?;
    let wants_json = req
        .headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(HttpResponse::Ok().json(json!({ "data": emails })));
    }
    let html = Mailbox { emails }.render().map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(html))
}

async fn get_faults(state: web::Data<SandboxState>) -> HttpResponse {
    HttpResponse::Ok().json(state.sandbox.faults())
}

async fn set_faults(
    state: web::Data<SandboxState>,
    body: web::Json<Faults>,
) -> Result<HttpResponse, AppError> {
    let faults = body.into_inner();
    faults
        .validate()
        .map_err(|m| AppError::invalid("invalid_faults", m))?;
    state.sandbox.set_faults(faults.clone());
    Ok(HttpResponse::Ok().json(faults))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Invalidate {
    user_id: Option<String>,
    page_id: Option<String>,
}

async fn invalidate_tokens(
    state: web::Data<SandboxState>,
    body: web::Json<Invalidate>,
) -> Result<HttpResponse, AppError> {
    let Invalidate { user_id, page_id } = body.into_inner();
    if user_id.is_none() && page_id.is_none() {
        return Err(AppError::invalid(
            "missing_target",
            "give user_id or page_id",
        ));
    }
    let n = state
        .db
        .run(move |c| {
            Ok(store::invalidate_tokens(
                c,
                user_id.as_deref(),
                page_id.as_deref(),
            )?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({"invalidated": n})))
}

fn default_true() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewComment {
    post_id: String,
    user_id: String,
    message: String,
    /// false stores the comment without a webhook: a "missed" event for backfills.
    #[serde(default = "default_true")]
    deliver_webhook: bool,
}

fn page_of(post_id: &str) -> String {
    post_id.split('_').next().unwrap_or(post_id).to_string()
}

fn from(user: &store::User) -> Value {
    json!({"id": user.id, "name": user.name})
}

async fn lookup(
    state: &SandboxState,
    post_id: Option<String>,
    user_id: Option<String>,
) -> Result<(Option<store::Post>, Option<store::User>), AppError> {
    let (p, u) = (post_id.clone(), user_id.clone());
    let (post, user) = state
        .db
        .run(move |c| {
            let post = match &p {
                Some(id) => store::post(c, id)?,
                None => None,
            };
            let user = match &u {
                Some(id) => store::user(c, id)?,
                None => None,
            };
            Ok((post, user))
        })
        .await?;
    if post_id.is_some() && post.is_none() {
        return Err(AppError::not_found("no such sandbox post"));
    }
    if user_id.is_some() && user.is_none() {
        return Err(AppError::not_found("no such sandbox user"));
    }
    Ok((post, user))
}

async fn queue(
    state: &SandboxState,
    page_id: String,
    field: &'static str,
    value: Value,
) -> Result<bool, AppError> {
    let queued = state
        .db
        .run(move |c| Ok(store::queue_event(c, &page_id, field, &value)?))
        .await?;
    if queued {
        state.sender.wake();
    }
    Ok(queued)
}

async fn comment(
    state: web::Data<SandboxState>,
    body: web::Json<NewComment>,
) -> Result<HttpResponse, AppError> {
    let c = body.into_inner();
    let (_, user) = lookup(&state, Some(c.post_id.clone()), Some(c.user_id.clone())).await?;
    let user = user.expect("checked");
    let (post_id, user_id, message) = (c.post_id.clone(), c.user_id.clone(), c.message.clone());
    let stored = state
        .db
        .run(move |conn| Ok(store::add_comment(conn, &post_id, &user_id, &message)?))
        .await?;
    let value = json!({
        "from": from(&user),
        "post_id": c.post_id,
        "comment_id": stored.id,
        "parent_id": c.post_id,
        "created_time": stored.created_time.timestamp(),
        "item": "comment",
        "verb": "add",
        "message": c.message,
    });
    let webhook = if c.deliver_webhook {
        queue(&state, page_of(&c.post_id), "feed", value).await?
    } else {
        false
    };
    Ok(HttpResponse::Ok().json(json!({"comment_id": stored.id, "webhook_queued": webhook})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewReaction {
    post_id: String,
    user_id: String,
    #[serde(default = "like")]
    reaction_type: String,
}

fn like() -> String {
    "like".into()
}

async fn reaction(
    state: web::Data<SandboxState>,
    body: web::Json<NewReaction>,
) -> Result<HttpResponse, AppError> {
    let r = body.into_inner();
    const TYPES: &[&str] = &["like", "love", "wow", "haha", "sad", "angry", "care"];
    if !TYPES.contains(&r.reaction_type.as_str()) {
        return Err(AppError::invalid(
            "invalid_reaction",
            "unknown reaction_type",
        ));
    }
    let (_, user) = lookup(&state, Some(r.post_id.clone()), Some(r.user_id.clone())).await?;
    let user = user.expect("checked");
    let (p, u, t) = (
        r.post_id.clone(),
        r.user_id.clone(),
        r.reaction_type.clone(),
    );
    state
        .db
        .run(move |c| Ok(store::set_reaction(c, &p, &u, &t)?))
        .await?;
    let value = json!({
        "from": from(&user),
        "post_id": r.post_id,
        "parent_id": r.post_id,
        "created_time": Utc::now().timestamp(),
        "item": "reaction",
        "verb": "add",
        "reaction_type": r.reaction_type,
    });
    let queued = queue(&state, page_of(&r.post_id), "feed", value).await?;
    Ok(HttpResponse::Ok().json(json!({"webhook_queued": queued})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewShare {
    post_id: String,
    user_id: String,
    #[serde(default)]
    message: Option<String>,
}

async fn share(
    state: web::Data<SandboxState>,
    body: web::Json<NewShare>,
) -> Result<HttpResponse, AppError> {
    let s = body.into_inner();
    let (_, user) = lookup(&state, Some(s.post_id.clone()), Some(s.user_id.clone())).await?;
    let user = user.expect("checked");
    let share_id: u64 = 98_735_342_000_000 + u64::from(rand::random::<u32>() % 1_000_000);
    let (p, share_post, message) = (
        s.post_id.clone(),
        format!("{}_{share_id}", user.id),
        s.message.clone().unwrap_or_default(),
    );
    // The share is a post of its own (on the fan's timeline), whose reactions and
    // comments the Graph API reports for reach.
    state
        .db
        .run(move |c| {
            store::add_share(c, &p)?;
            store::add_share_post(c, &share_post, &p, &message)?;
            Ok(())
        })
        .await?;
    let mut value = json!({
        "from": from(&user),
        "post_id": format!("{}_{share_id}", user.id),
        "share_id": share_id,
        "created_time": Utc::now().timestamp(),
        "item": "share",
        "verb": "add",
        "published": 1,
        "link": format!("https://www.facebook.com/{}", s.post_id),
    });
    if let Some(m) = s.message {
        value["message"] = json!(m);
    }
    let queued = queue(&state, page_of(&s.post_id), "feed", value).await?;
    Ok(HttpResponse::Ok().json(json!({"share_id": share_id, "webhook_queued": queued})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewMention {
    page_id: String,
    message: String,
    #[serde(default)]
    user_id: Option<String>,
}

async fn mention(
    state: web::Data<SandboxState>,
    body: web::Json<NewMention>,
) -> Result<HttpResponse, AppError> {
    let m = body.into_inner();
    let author = m
        .user_id
        .clone()
        .unwrap_or_else(|| "100000000000999".into());
    let post_id = format!("{author}_{}", rand::random::<u32>());
    // The mentioning post exists, so its reactions and comments can be read for
    // reach (with the mentioned page's token).
    {
        let (p, page, message) = (post_id.clone(), m.page_id.clone(), m.message.clone());
        state
            .db
            .run(move |c| Ok(store::add_mention_post(c, &p, &page, &message)?))
            .await?;
    }
    // Mentions arrive without `from`, as on the real platform.
    let value = json!({
        "message": m.message,
        "post_id": post_id,
        "created_time": Utc::now().timestamp(),
        "item": "post",
        "verb": "add",
    });
    let queued = queue(&state, m.page_id, "mention", value).await?;
    Ok(HttpResponse::Ok().json(json!({"post_id": post_id, "webhook_queued": queued})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRating {
    page_id: String,
    user_id: String,
    rating: u8,
    #[serde(default)]
    review_text: Option<String>,
}

async fn rating(
    state: web::Data<SandboxState>,
    body: web::Json<NewRating>,
) -> Result<HttpResponse, AppError> {
    let r = body.into_inner();
    if !(1..=5).contains(&r.rating) {
        return Err(AppError::invalid("invalid_rating", "rating must be 1..=5"));
    }
    let (_, user) = lookup(&state, None, Some(r.user_id.clone())).await?;
    let user = user.expect("checked");
    let value = json!({
        "item": "rating",
        "verb": "add",
        "reviewer_id": user.id.parse::<u64>().map(Value::from).unwrap_or(json!(user.id)),
        "reviewer_name": user.name,
        "rating": r.rating,
        "review_text": r.review_text,
        "recommendation_type": if r.rating >= 4 { "POSITIVE" } else { "NEGATIVE" },
        "created_time": Utc::now().timestamp(),
    });
    let queued = queue(&state, r.page_id, "ratings", value).await?;
    Ok(HttpResponse::Ok().json(json!({"webhook_queued": queued})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    page_id: String,
    field: String,
    value: Value,
}

/// Any page event, e.g. a field Fanfare does not know yet.
async fn raw_webhook(
    state: web::Data<SandboxState>,
    body: web::Json<RawWebhook>,
) -> Result<HttpResponse, AppError> {
    let RawWebhook {
        page_id,
        field,
        value,
    } = body.into_inner();
    let queued = state
        .db
        .run(move |c| Ok(store::queue_event(c, &page_id, &field, &value)?))
        .await?;
    state.sender.wake();
    Ok(HttpResponse::Ok().json(json!({"webhook_queued": queued})))
}

/// Sends everything due now and reports the outbox; lets scripts and tests wait
/// for delivery deterministically instead of sleeping.
async fn flush(state: web::Data<SandboxState>) -> Result<HttpResponse, AppError> {
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(20))
        .build()
        .map_err(AppError::internal)?;
    let mut sent = 0;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let n = super::sender::send_due(&state.db, &state.sandbox, &client).await?;
        sent += n;
        if n > 0 {
            continue;
        }
        // Items leased by the background sender are in flight: wait for their first
        // attempt to be recorded (bounded), so callers can rely on "flushed".
        let in_flight = state.db.run(|c| Ok(store::never_attempted(c)?)).await?;
        if in_flight == 0 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let stats = state.db.run(|c| Ok(store::outbox_stats(c)?)).await?;
    Ok(HttpResponse::Ok().json(json!({"sent": sent, "outbox": stats})))
}

async fn world(state: web::Data<SandboxState>) -> Result<HttpResponse, AppError> {
    let (pages, admins, stats) = state
        .db
        .run(|c| {
            let pages = store::pages(c)?;
            let admins = store::dialog_users(c, None, 3)?;
            let stats = store::outbox_stats(c)?;
            Ok((pages, admins, stats))
        })
        .await?;
    Ok(HttpResponse::Ok().json(json!({
        "pages": pages,
        "admins": admins,
        "outbox": stats,
        "graph_requests": state.sandbox.graph_requests(),
    })))
}
