//! OpenAPI schemas of the fan side's JSON answers (tag `fan`). The handlers
//! carry their `#[utoipa::path]`; `routes::openapi::ApiDoc` lists them.
//!
//! Fan forms post `application/x-www-form-urlencoded` (or multipart for
//! entries with a photo) with a `csrf_token` from the fan page. They answer
//! with HTML for browsers and with JSON when the request says
//! `Accept: application/json`; errors then use the common error shape.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::entries::Entry;
use crate::db::polls::Suggestion;

/// `POST /c/{slug}/enter` with `Accept: application/json`.
#[derive(Serialize, ToSchema)]
pub struct EntryCreated {
    pub entry: Entry,
}

/// A vote for an entry (or for a prize suggestion).
#[derive(Serialize, ToSchema)]
pub struct VoteAnswer {
    /// `counted`, or `already_voted` (nothing changed).
    #[schema(example = "counted")]
    pub status: String,
    /// The new vote on an entry, when counted.
    pub vote_id: Option<i64>,
    /// The new vote on a prize suggestion, when counted.
    pub poll_vote_id: Option<i64>,
}

#[derive(Serialize, ToSchema)]
pub struct ShareRecorded {
    /// False when this visitor already shared on this channel today.
    pub recorded: bool,
    pub channel: String,
    /// Shares earn no points (Facebook's platform terms).
    pub points: i64,
}

#[derive(Serialize, ToSchema)]
pub struct EmailSent {
    #[schema(example = "sent")]
    pub status: String,
}

#[derive(Serialize, ToSchema)]
pub struct SuggestionCreated {
    pub suggestion: Suggestion,
}

/// `GET /my-data`: everything Fanfare holds about the signed-in fan on a page.
#[derive(Serialize, ToSchema)]
pub struct MyData {
    /// The page's name.
    pub page: String,
    /// The contact with its metrics; null when Fanfare holds nothing.
    #[schema(value_type = Option<Object>)]
    pub contact: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub identities: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub consents: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub entries: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub votes: Option<serde_json::Value>,
    #[schema(value_type = Option<Vec<Object>>)]
    pub timeline: Option<serde_json::Value>,
    pub how_to_delete: Option<String>,
    /// Set instead of the data when Fanfare holds nothing about the fan.
    pub note: Option<String>,
}
