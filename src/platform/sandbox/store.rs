//! The sandbox's queries (its own tables, `sandbox_*`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{
    sandbox_codes, sandbox_comments, sandbox_page_roles, sandbox_pages, sandbox_posts,
    sandbox_reactions, sandbox_subscriptions, sandbox_tokens, sandbox_users,
    sandbox_webhook_outbox,
};

#[derive(Queryable, Selectable, Insertable, Debug, Clone, Serialize)]
#[diesel(table_name = sandbox_users)]
pub struct User {
    pub id: String,
    pub name: String,
    pub email: Option<String>,
    pub locale: String,
    pub country: String,
    pub age_min: i32,
    pub friends_count: i32,
    pub is_admin: bool,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone, Serialize)]
#[diesel(table_name = sandbox_pages)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub category: String,
    pub fan_count: i32,
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone, Serialize)]
#[diesel(table_name = sandbox_posts)]
pub struct Post {
    pub id: String,
    pub page_id: String,
    pub message: String,
    pub created_time: DateTime<Utc>,
    pub shares_count: i32,
    pub impressions: i32,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sandbox_comments)]
pub struct Comment {
    pub seq: i64,
    pub id: String,
    pub post_id: String,
    pub user_id: String,
    pub message: String,
    pub created_time: DateTime<Utc>,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sandbox_tokens)]
pub struct Token {
    pub token: String,
    pub kind: String,
    pub user_id: String,
    pub page_id: Option<String>,
    /// Comma-separated, as Facebook lists scopes.
    pub scopes: String,
    pub long_lived: bool,
    pub expires_at: Option<DateTime<Utc>>,
    pub invalidated_at: Option<DateTime<Utc>>,
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sandbox_codes)]
pub struct Code {
    pub code: String,
    pub user_id: String,
    pub redirect_uri: String,
    pub scopes: String,
    pub created_at: DateTime<Utc>,
    pub used_at: Option<DateTime<Utc>>,
}

impl Token {
    pub fn scope_list(&self) -> Vec<String> {
        split_list(&self.scopes)
    }
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.split(',').any(|s| s == scope)
    }
}

/// `a,b,c` into its items.
pub fn split_list(s: &str) -> Vec<String> {
    s.split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = sandbox_webhook_outbox)]
pub struct OutboxItem {
    pub id: i64,
    pub page_id: String,
    pub field: String,
    pub value: serde_json::Value,
    pub attempts: i32,
}

pub fn is_seeded(conn: &mut PgConnection) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        sandbox_pages::table.select(sandbox_pages::id),
    ))
    .get_result(conn)
}

pub fn user(conn: &mut PgConnection, id: &str) -> QueryResult<Option<User>> {
    sandbox_users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Users for the dialog: admins first, then fans, optionally filtered by name.
pub fn dialog_users(
    conn: &mut PgConnection,
    search: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<User>> {
    let mut q = sandbox_users::table
        .select(User::as_select())
        .order((sandbox_users::is_admin.desc(), sandbox_users::id))
        .limit(limit)
        .into_boxed();
    if let Some(s) = search.filter(|s| !s.trim().is_empty()) {
        let pattern = format!(
            "%{}%",
            s.trim()
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        q = q.filter(sandbox_users::name.ilike(pattern));
    }
    q.load(conn)
}

pub fn fans(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<User>> {
    sandbox_users::table
        .filter(sandbox_users::is_admin.eq(false))
        .order(sandbox_users::id)
        .limit(limit)
        .select(User::as_select())
        .load(conn)
}

pub fn page(conn: &mut PgConnection, id: &str) -> QueryResult<Option<Page>> {
    sandbox_pages::table
        .find(id)
        .select(Page::as_select())
        .first(conn)
        .optional()
}

pub fn pages(conn: &mut PgConnection) -> QueryResult<Vec<Page>> {
    sandbox_pages::table
        .order(sandbox_pages::id)
        .select(Page::as_select())
        .load(conn)
}

/// Pages a user has a role on, with the role's tasks.
pub fn user_pages(conn: &mut PgConnection, user_id: &str) -> QueryResult<Vec<(Page, Vec<String>)>> {
    let rows: Vec<(Page, String)> = sandbox_page_roles::table
        .inner_join(sandbox_pages::table)
        .filter(sandbox_page_roles::user_id.eq(user_id))
        .order(sandbox_pages::id)
        .select((Page::as_select(), sandbox_page_roles::tasks))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(p, tasks)| (p, split_list(&tasks)))
        .collect())
}

pub fn post(conn: &mut PgConnection, id: &str) -> QueryResult<Option<Post>> {
    sandbox_posts::table
        .find(id)
        .select(Post::as_select())
        .first(conn)
        .optional()
}

pub fn page_posts(conn: &mut PgConnection, page_id: &str) -> QueryResult<Vec<Post>> {
    sandbox_posts::table
        .filter(sandbox_posts::page_id.eq(page_id))
        .order(sandbox_posts::created_time.desc())
        .select(Post::as_select())
        .load(conn)
}

pub fn comment_count(conn: &mut PgConnection, post_id: &str) -> QueryResult<i64> {
    sandbox_comments::table
        .filter(sandbox_comments::post_id.eq(post_id))
        .count()
        .get_result(conn)
}

pub fn reaction_count(conn: &mut PgConnection, post_id: &str) -> QueryResult<i64> {
    sandbox_reactions::table
        .filter(sandbox_reactions::post_id.eq(post_id))
        .count()
        .get_result(conn)
}

/// Comments after the cursor `after_seq`, oldest first.
pub fn comments_page(
    conn: &mut PgConnection,
    post_id: &str,
    after_seq: i64,
    limit: i64,
) -> QueryResult<Vec<(Comment, String)>> {
    sandbox_comments::table
        .inner_join(sandbox_users::table)
        .filter(sandbox_comments::post_id.eq(post_id))
        .filter(sandbox_comments::seq.gt(after_seq))
        .order(sandbox_comments::seq)
        .limit(limit)
        .select((Comment::as_select(), sandbox_users::name))
        .load(conn)
}

pub fn add_comment(
    conn: &mut PgConnection,
    post_id: &str,
    user_id: &str,
    message: &str,
) -> QueryResult<Comment> {
    let seq: i64 = diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
        "nextval('sandbox_comments_seq_seq')",
    ))
    .get_result(conn)?;
    let object = post_id.rsplit('_').next().unwrap_or(post_id);
    let id = format!("{object}_{}", 900_000_000 + seq);
    diesel::insert_into(sandbox_comments::table)
        .values((
            sandbox_comments::seq.eq(seq),
            sandbox_comments::id.eq(&id),
            sandbox_comments::post_id.eq(post_id),
            sandbox_comments::user_id.eq(user_id),
            sandbox_comments::message.eq(message),
        ))
        .returning(Comment::as_returning())
        .get_result(conn)
}

pub fn set_reaction(
    conn: &mut PgConnection,
    post_id: &str,
    user_id: &str,
    reaction_type: &str,
) -> QueryResult<()> {
    diesel::insert_into(sandbox_reactions::table)
        .values((
            sandbox_reactions::post_id.eq(post_id),
            sandbox_reactions::user_id.eq(user_id),
            sandbox_reactions::reaction_type.eq(reaction_type),
        ))
        .on_conflict((sandbox_reactions::post_id, sandbox_reactions::user_id))
        .do_update()
        .set(sandbox_reactions::reaction_type.eq(reaction_type))
        .execute(conn)
        .map(|_| ())
}

pub fn add_share(conn: &mut PgConnection, post_id: &str) -> QueryResult<()> {
    diesel::update(sandbox_posts::table.find(post_id))
        .set(sandbox_posts::shares_count.eq(sandbox_posts::shares_count + 1))
        .execute(conn)
        .map(|_| ())
}

/// A fan's share of a page post, stored as a post so reach can be read back.
pub fn add_share_post(
    conn: &mut PgConnection,
    share_post_id: &str,
    shared_post_id: &str,
    message: &str,
) -> QueryResult<()> {
    let page_id: String = sandbox_posts::table
        .find(shared_post_id)
        .select(sandbox_posts::page_id)
        .first(conn)?;
    diesel::insert_into(sandbox_posts::table)
        .values((
            sandbox_posts::id.eq(share_post_id),
            sandbox_posts::page_id.eq(page_id),
            sandbox_posts::message.eq(message),
            sandbox_posts::created_time.eq(chrono::Utc::now()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|_| ())
}

/// A fan's post that mentions a page: a post of its own whose reactions and
/// comments the Graph API reports (readable with that page's token).
pub fn add_mention_post(
    conn: &mut PgConnection,
    post_id: &str,
    page_id: &str,
    message: &str,
) -> QueryResult<()> {
    use crate::db::schema::sandbox_pages;
    let known: i64 = sandbox_pages::table
        .filter(sandbox_pages::id.eq(page_id))
        .count()
        .get_result(conn)?;
    if known == 0 {
        return Ok(());
    }
    diesel::insert_into(sandbox_posts::table)
        .values((
            sandbox_posts::id.eq(post_id),
            sandbox_posts::page_id.eq(page_id),
            sandbox_posts::message.eq(message),
            sandbox_posts::created_time.eq(chrono::Utc::now()),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|_| ())
}

pub fn create_code(
    conn: &mut PgConnection,
    code: &str,
    user_id: &str,
    redirect_uri: &str,
    scopes: &[String],
) -> QueryResult<()> {
    diesel::insert_into(sandbox_codes::table)
        .values((
            sandbox_codes::code.eq(code),
            sandbox_codes::user_id.eq(user_id),
            sandbox_codes::redirect_uri.eq(redirect_uri),
            sandbox_codes::scopes.eq(scopes.join(",")),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Marks a code used and returns it; `None` when unknown. A code already used is
/// returned with `used_at` set (the caller refuses it).
pub fn take_code(conn: &mut PgConnection, code: &str) -> QueryResult<Option<Code>> {
    let found = sandbox_codes::table
        .find(code)
        .for_update()
        .select(Code::as_select())
        .first(conn)
        .optional()?;
    if let Some(c) = &found {
        if c.used_at.is_none() {
            diesel::update(sandbox_codes::table.find(code))
                .set(sandbox_codes::used_at.eq(diesel::dsl::now))
                .execute(conn)?;
        }
    }
    Ok(found)
}

pub struct NewToken<'a> {
    pub kind: &'a str,
    pub user_id: &'a str,
    pub page_id: Option<&'a str>,
    /// Comma-separated.
    pub scopes: &'a str,
    pub long_lived: bool,
    pub expires_at: Option<DateTime<Utc>>,
}

pub fn create_token(conn: &mut PgConnection, t: NewToken<'_>) -> QueryResult<String> {
    let prefix = match t.kind {
        "page" => "EAAP",
        _ => "EAAU",
    };
    let token = format!("{prefix}{}", crate::crypto::random_token(32));
    diesel::insert_into(sandbox_tokens::table)
        .values((
            sandbox_tokens::token.eq(&token),
            sandbox_tokens::kind.eq(t.kind),
            sandbox_tokens::user_id.eq(t.user_id),
            sandbox_tokens::page_id.eq(t.page_id),
            sandbox_tokens::scopes.eq(t.scopes),
            sandbox_tokens::long_lived.eq(t.long_lived),
            sandbox_tokens::expires_at.eq(t.expires_at),
        ))
        .execute(conn)?;
    Ok(token)
}

pub fn token(conn: &mut PgConnection, token: &str) -> QueryResult<Option<Token>> {
    sandbox_tokens::table
        .find(token)
        .select(Token::as_select())
        .first(conn)
        .optional()
}

/// The page token for (user, page) derived from a user token of the same lifetime.
pub fn page_token_for(
    conn: &mut PgConnection,
    user_token: &Token,
    page_id: &str,
) -> QueryResult<String> {
    let existing: Option<String> = sandbox_tokens::table
        .filter(sandbox_tokens::kind.eq("page"))
        .filter(sandbox_tokens::user_id.eq(&user_token.user_id))
        .filter(sandbox_tokens::page_id.eq(page_id))
        .filter(sandbox_tokens::long_lived.eq(user_token.long_lived))
        .filter(sandbox_tokens::invalidated_at.is_null())
        .select(sandbox_tokens::token)
        .first(conn)
        .optional()?;
    if let Some(t) = existing {
        return Ok(t);
    }
    create_token(
        conn,
        NewToken {
            kind: "page",
            user_id: &user_token.user_id,
            page_id: Some(page_id),
            scopes: &user_token.scopes,
            long_lived: user_token.long_lived,
            // Page tokens from a long-lived user token never expire.
            expires_at: if user_token.long_lived {
                None
            } else {
                user_token.expires_at
            },
        },
    )
}

/// Invalidates every token of a user, or of a page. Returns how many.
pub fn invalidate_tokens(
    conn: &mut PgConnection,
    user_id: Option<&str>,
    page_id: Option<&str>,
) -> QueryResult<usize> {
    let mut q = diesel::update(sandbox_tokens::table)
        .filter(sandbox_tokens::invalidated_at.is_null())
        .into_boxed();
    if let Some(u) = user_id {
        q = q.filter(sandbox_tokens::user_id.eq(u.to_string()));
    }
    if let Some(p) = page_id {
        q = q.filter(sandbox_tokens::page_id.eq(p.to_string()));
    }
    q.set(sandbox_tokens::invalidated_at.eq(diesel::dsl::now))
        .execute(conn)
}

pub fn subscription(conn: &mut PgConnection, page_id: &str) -> QueryResult<Option<Vec<String>>> {
    let fields: Option<String> = sandbox_subscriptions::table
        .find(page_id)
        .select(sandbox_subscriptions::fields)
        .first(conn)
        .optional()?;
    Ok(fields.map(|f| split_list(&f)))
}

pub fn set_subscription(
    conn: &mut PgConnection,
    page_id: &str,
    fields: &[String],
) -> QueryResult<()> {
    diesel::insert_into(sandbox_subscriptions::table)
        .values((
            sandbox_subscriptions::page_id.eq(page_id),
            sandbox_subscriptions::fields.eq(fields.join(",")),
        ))
        .on_conflict(sandbox_subscriptions::page_id)
        .do_update()
        .set((
            sandbox_subscriptions::fields.eq(fields.join(",")),
            sandbox_subscriptions::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn delete_subscription(conn: &mut PgConnection, page_id: &str) -> QueryResult<()> {
    diesel::delete(sandbox_subscriptions::table.find(page_id))
        .execute(conn)
        .map(|_| ())
}

/// Queues a page event for webhook delivery, if the page subscribed to `field`.
/// Returns whether it was queued.
pub fn queue_event(
    conn: &mut PgConnection,
    page_id: &str,
    field: &str,
    value: &serde_json::Value,
) -> QueryResult<bool> {
    let subscribed = subscription(conn, page_id)?.is_some_and(|f| f.iter().any(|x| x == field));
    if !subscribed {
        return Ok(false);
    }
    diesel::insert_into(sandbox_webhook_outbox::table)
        .values((
            sandbox_webhook_outbox::page_id.eq(page_id),
            sandbox_webhook_outbox::field.eq(field),
            sandbox_webhook_outbox::value.eq(value),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Locks up to `limit` due outbox items (caller holds a transaction).
pub fn claim_outbox(conn: &mut PgConnection, limit: i64) -> QueryResult<Vec<OutboxItem>> {
    sandbox_webhook_outbox::table
        .filter(sandbox_webhook_outbox::delivered_at.is_null())
        .filter(sandbox_webhook_outbox::next_attempt_at.le(diesel::dsl::now))
        .order((
            sandbox_webhook_outbox::next_attempt_at,
            sandbox_webhook_outbox::id,
        ))
        .limit(limit)
        .for_update()
        .skip_locked()
        .select(OutboxItem::as_select())
        .load(conn)
}

pub fn mark_delivered(conn: &mut PgConnection, ids: &[i64], status: i32) -> QueryResult<()> {
    diesel::update(sandbox_webhook_outbox::table.filter(sandbox_webhook_outbox::id.eq_any(ids)))
        .set((
            sandbox_webhook_outbox::delivered_at.eq(diesel::dsl::now),
            sandbox_webhook_outbox::last_status.eq(status),
            sandbox_webhook_outbox::attempts.eq(sandbox_webhook_outbox::attempts + 1),
        ))
        .execute(conn)
        .map(|_| ())
}

pub fn mark_failed(
    conn: &mut PgConnection,
    ids: &[i64],
    status: Option<i32>,
    error: &str,
    next_attempt_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::update(sandbox_webhook_outbox::table.filter(sandbox_webhook_outbox::id.eq_any(ids)))
        .set((
            sandbox_webhook_outbox::last_status.eq(status),
            sandbox_webhook_outbox::last_error.eq(error),
            sandbox_webhook_outbox::attempts.eq(sandbox_webhook_outbox::attempts + 1),
            sandbox_webhook_outbox::next_attempt_at.eq(next_attempt_at),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Undelivered items that no sender has finished an attempt on yet.
pub fn never_attempted(conn: &mut PgConnection) -> QueryResult<i64> {
    sandbox_webhook_outbox::table
        .filter(sandbox_webhook_outbox::delivered_at.is_null())
        .filter(sandbox_webhook_outbox::attempts.eq(0))
        .count()
        .get_result(conn)
}

#[derive(Debug, Clone, Copy, Serialize, Default)]
pub struct OutboxStats {
    pub pending: i64,
    pub delivered: i64,
    pub retrying: i64,
}

pub fn outbox_stats(conn: &mut PgConnection) -> QueryResult<OutboxStats> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let (pending, delivered, retrying) = sandbox_webhook_outbox::table
        .select((
            sql::<BigInt>("count(*) FILTER (WHERE delivered_at IS NULL)"),
            sql::<BigInt>("count(*) FILTER (WHERE delivered_at IS NOT NULL)"),
            sql::<BigInt>("count(*) FILTER (WHERE delivered_at IS NULL AND attempts > 0)"),
        ))
        .first(conn)?;
    Ok(OutboxStats {
        pending,
        delivered,
        retrying,
    })
}
