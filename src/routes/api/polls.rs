//! The prize poll in the admin API:
//! `POST /api/v1/contests/{id}/poll` `{budget, currency, closes_at, opens_at?}`
//! opens it (the contest moves to `prize_poll`); `GET /api/v1/contests/{id}/poll`
//! shows it with every suggestion and its votes;
//! `POST /api/v1/polls/{id}/close` closes it early;
//! `POST /api/v1/polls/{id}/adopt` `{suggestion_id}` makes an approved suggestion
//! the contest's prize once the poll is closed;
//! `GET /api/v1/polls/{id}/participants` lists who took part;
//! `POST /api/v1/suggestions/{id}/moderation` `{status, reason}` moderates.
//! The rules are in `domain::prize_poll`.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::admin::AdminAuth;
use crate::db::contests;
use crate::db::polls::{self, Participant, Poll, Suggestion, SuggestionView};
use crate::domain::prize_poll::{self, check_budget, check_currency, parse_amount};
use crate::error::AppError;
use crate::routes::api::contests::ContestView;
use crate::routes::api::docs::List;
use crate::routes::api::input::ApiJson;
use crate::routes::api::table::Routes;
use crate::routes::openapi::ErrorResponse;
use crate::state::AppState;

pub fn routes(r: &mut Routes) {
    r.post("/contests/{id}/poll", open)
        .get("/contests/{id}/poll", show)
        .post("/polls/{id}/close", close)
        .post("/polls/{id}/adopt", adopt)
        .get("/polls/{id}/participants", participants)
        .post("/suggestions/{id}/moderation", moderate);
}

/// The API shape of a poll: the row, whether it is open now, and the budget in words.
#[derive(Serialize, ToSchema)]
pub struct PollView {
    #[serde(flatten)]
    pub poll: Poll,
    /// Whether fans can suggest and vote now.
    pub open: bool,
    /// The budget in words, e.g. `1,000.00 USD`.
    pub budget: String,
}

fn view(poll: &Poll, contest: &contests::Contest) -> PollView {
    PollView {
        poll: poll.clone(),
        open: prize_poll::is_open(poll, contest, Utc::now()),
        budget: prize_poll::format_amount(poll.budget_minor, &poll.currency),
    }
}

/// A poll with every suggestion and its votes.
#[derive(Serialize, ToSchema)]
pub struct PollWithSuggestions {
    #[serde(flatten)]
    pub poll: PollView,
    pub suggestions: Vec<SuggestionView>,
}

/// A poll whose suggestion became the prize, and the updated contest.
#[derive(Serialize, ToSchema)]
pub struct Adopted {
    #[serde(flatten)]
    pub poll: PollView,
    pub contest: ContestView,
}

/// An amount above zero and at most one billion, as a JSON integer or a string
/// with at most two decimals (`domain::prize_poll::parse_amount`, `check_budget`).
fn budget_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
    OneOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(1_000_000_000)),
        )
        .item(ObjectBuilder::new().schema_type(Type::String).pattern(Some(
            "^(0\\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,8}(\\.[0-9]{1,2})?|1000000000(\\.00?)?)$",
        )))
        .build()
        .into()
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OpenInput {
    /// In the major unit: a JSON number or a string, at most two decimals, e.g. `1000` or `"999.99"`.
    #[schema(schema_with = budget_schema, example = "1000.00")]
    budget: serde_json::Value,
    /// ISO 4217, e.g. `USD`.
    #[schema(pattern = "^\\s*[A-Za-z]{3}\\s*$", example = "USD")]
    currency: String,
    /// RFC 3339 (a local `YYYY-MM-DDTHH:MM[:SS]` in the contest's time zone is
    /// also read). In the future and after `opens_at`, else 409 invalid_schedule.
    #[schema(format = DateTime)]
    closes_at: String,
    /// Same formats; default now.
    #[schema(format = DateTime)]
    opens_at: Option<String>,
}

#[utoipa::path(
    post,
    path = "/api/v1/contests/{id}/poll",
    operation_id = "polls_open",
    tag = "polls",
    params(("id" = i64, Path, description = "The contest id")),
    request_body = OpenInput,
    responses(
        (status = 201, description = "The poll is open; the contest is now in `prize_poll`", body = PollView),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages", body = ErrorResponse),
        (status = 409, description = "The contest already launched, or already has a poll, or the schedule is not in the future with closes_at after opens_at (invalid_schedule)", body = ErrorResponse),
        (status = 422, description = "Invalid budget, currency or date", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn open(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<OpenInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    let budget = check_budget(parse_amount(&input.budget, "budget")?)?;
    let currency = check_currency(&input.currency)?;
    let keys = state.keys.clone();
    let (poll, contest) = state
        .db
        .transaction(move |c| {
            prize_poll::open_poll(
                c,
                &keys.tokens,
                admin,
                id,
                budget,
                &currency,
                &input.closes_at,
                input.opens_at.as_deref(),
            )
        })
        .await?;
    Ok(HttpResponse::Created().json(view(&poll, &contest)))
}

#[utoipa::path(
    get,
    path = "/api/v1/contests/{id}/poll",
    operation_id = "polls_show",
    tag = "polls",
    params(("id" = i64, Path, description = "The contest id")),
    responses(
        (status = 200, description = "The contest's prize poll with its suggestions", body = PollWithSuggestions),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such contest on the admin's pages, or it has no prize poll", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn show(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let v = state
        .db
        .run(move |c| {
            let contest = contests::find_for_admin(c, admin, id)?;
            let poll = polls::for_contest(c, id)?
                .ok_or_else(|| AppError::not_found("this contest has no prize poll"))?;
            Ok(PollWithSuggestions {
                poll: view(&poll, &contest),
                suggestions: polls::list(c, poll.id, None)?,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(
    post,
    path = "/api/v1/polls/{id}/close",
    operation_id = "polls_close",
    tag = "polls",
    params(("id" = i64, Path, description = "The poll id")),
    responses(
        (status = 200, description = "The poll, closed (closing a closed poll changes nothing)", body = PollView),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such poll on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn close(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let v = state
        .db
        .transaction(move |c| {
            let (poll, contest) = prize_poll::close_poll(c, admin, id)?;
            Ok(view(&poll, &contest))
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdoptInput {
    #[schema(minimum = 1, maximum = 9_007_199_254_740_991_i64)]
    suggestion_id: i64,
}

#[utoipa::path(
    post,
    path = "/api/v1/polls/{id}/adopt",
    operation_id = "polls_adopt",
    tag = "polls",
    params(("id" = i64, Path, description = "The poll id")),
    request_body = AdoptInput,
    responses(
        (status = 200, description = "The suggestion is the contest's prize", body = Adopted),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such poll on the admin's pages, or no such suggestion in it", body = ErrorResponse),
        (status = 409, description = "The poll is still open, the contest closed, or the suggestion is not approved", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn adopt(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<AdoptInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id, suggestion_id) = (auth.admin_id, path.into_inner(), body.suggestion_id);
    let v = state
        .db
        .transaction(move |c| {
            let (poll, updated) = prize_poll::adopt_suggestion(c, admin, id, suggestion_id)?;
            Ok(Adopted {
                poll: view(&poll, &updated),
                contest: crate::routes::api::contests::view(&updated, Utc::now()),
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(v))
}

#[utoipa::path(
    get,
    path = "/api/v1/polls/{id}/participants",
    operation_id = "polls_participants",
    tag = "polls",
    params(("id" = i64, Path, description = "The poll id")),
    responses(
        (status = 200, description = "Who suggested or voted", body = List<Participant>),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 404, description = "No such poll on the admin's pages", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn participants(
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (admin, id) = (auth.admin_id, path.into_inner());
    let list = state
        .db
        .run(move |c| {
            polls::find_for_admin(c, admin, id)?;
            Ok(polls::participants(c, id)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { data: list }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModerationInput {
    status: String,
    reason: Option<String>,
}

/// The suggestion moderation body as documented: rejecting needs a reason.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
pub enum SuggestionModeration {
    Keep(KeepSuggestion),
    Reject(RejectSuggestion),
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct KeepSuggestion {
    #[schema(pattern = "^(pending|approved)$")]
    status: String,
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct RejectSuggestion {
    #[schema(pattern = "^rejected$")]
    status: String,
    #[schema(
        pattern = "^[^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*[^\\s\\u0000-\\u001F\\u007F-\\u009F][^\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F-\\u009F]*$",
        max_length = 500
    )]
    reason: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/suggestions/{id}/moderation",
    operation_id = "polls_moderate",
    tag = "polls",
    params(("id" = i64, Path, description = "The suggestion id")),
    request_body = SuggestionModeration,
    responses(
        (status = 200, description = "The suggestion, moderated", body = Suggestion),
        (status = 400, description = "Malformed JSON body, or a field of the wrong type (integers are JSON integers: `1`, not `1.0`)", body = ErrorResponse),
        (status = 413, description = "JSON body too large", body = ErrorResponse),
        (status = 415, description = "Content-Type is not application/json", body = ErrorResponse),
        (status = 401, description = "Not signed in, or the session ended", body = ErrorResponse),
        (status = 403, description = "Cookie session without a valid X-CSRF-Token header", body = ErrorResponse),
        (status = 404, description = "No such suggestion on the admin's pages", body = ErrorResponse),
        (status = 422, description = "Unknown status, or a rejection without a reason", body = ErrorResponse),
        (status = 503, description = "The database is unavailable; retry", body = ErrorResponse),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn moderate(
    req: HttpRequest,
    auth: AdminAuth,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: ApiJson<ModerationInput>,
) -> Result<HttpResponse, AppError> {
    crate::routes::csrf::require_for_cookie_session(&req, &state, &auth).await?;
    let (admin, id) = (auth.admin_id, path.into_inner());
    let input = body.into_inner();
    let updated = state
        .db
        .transaction(move |c| {
            prize_poll::moderate_suggestion(c, admin, id, &input.status, input.reason.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}
