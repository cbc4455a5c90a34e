//! Typed answers of the Graph calls Fanfare makes. Decoding is lenient where
//! Facebook is inconsistent (ids as strings or numbers, missing counters) and
//! tokens inside answers are [`Secret`]s, so printing an answer never leaks one.

use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use super::token::AccessToken;
use crate::config::Secret;
use crate::platform::facebook::ids::de_opt_id;

/// An id that must be present, as a string or an integer.
fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    de_opt_id(d)?.ok_or_else(|| serde::de::Error::custom("missing id"))
}

/// An integer that may come as a string; anything else is `None`.
fn de_opt_i64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Ok(as_i64(
        &Option::<Value>::deserialize(d)?.unwrap_or(Value::Null),
    ))
}

/// A list of strings that may also come as objects with a `name`
/// (`subscribed_fields` differs between versions) or be null.
fn de_names<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    let v = Option::<Value>::deserialize(d)?;
    Ok(match v {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(s.clone()),
                Value::Object(o) => o.get("name").and_then(Value::as_str).map(str::to_string),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    })
}

/// A JSON integer, or a string holding one.
pub(crate) fn as_i64(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `oauth/access_token` answer: `{"access_token","token_type","expires_in"}`.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: Secret,
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds; absent for tokens that do not expire.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub expires_in: Option<i64>,
}

/// `GET /me?fields=…`. Fields beyond id, name and email land in `extra`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Me {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// One page of `GET /me/accounts?fields=id,name,access_token,tasks`.
#[derive(Debug, Clone, Deserialize)]
pub struct PageAccount {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    /// Absent when the user cannot manage the page.
    #[serde(default)]
    pub access_token: Option<Secret>,
    /// e.g. `MANAGE`, `CREATE_CONTENT`, `MODERATE`, `ANALYZE`.
    #[serde(default, deserialize_with = "de_names")]
    pub tasks: Vec<String>,
}

impl PageAccount {
    /// The page token, typed with its owner.
    pub fn token(&self) -> Option<AccessToken> {
        self.access_token.as_ref().map(|t| AccessToken {
            value: t.clone(),
            owner: super::token::TokenOwner::Page(self.id.clone()),
        })
    }
}

/// One app subscribed to a page (`GET /{page}/subscribed_apps`).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct SubscribedApp {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "de_names")]
    pub subscribed_fields: Vec<String>,
}

/// The `error` inside a `debug_token` answer.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DebugTokenError {
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub code: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub subcode: Option<i64>,
    #[serde(default)]
    pub message: Option<String>,
}

/// `GET /debug_token` answer's `data`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct DebugToken {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub app_id: Option<String>,
    /// `USER`, `PAGE`, `APP`...
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub application: Option<String>,
    #[serde(default)]
    pub is_valid: bool,
    /// Unix seconds; 0 means the token never expires.
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub expires_at: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub data_access_expires_at: Option<i64>,
    #[serde(default, deserialize_with = "de_opt_i64")]
    pub issued_at: Option<i64>,
    #[serde(default, deserialize_with = "de_names")]
    pub scopes: Vec<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    pub user_id: Option<String>,
    #[serde(default, deserialize_with = "de_opt_id")]
    pub profile_id: Option<String>,
    #[serde(default)]
    pub error: Option<DebugTokenError>,
}

impl DebugToken {
    /// `expires_at == 0`: a long-lived page token.
    pub fn never_expires(&self) -> bool {
        self.expires_at == Some(0)
    }
}

/// The author of a comment (only visible with a page token).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Author {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
}

/// A reference to another object, e.g. a reply's parent comment.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct ObjectRef {
    #[serde(default, deserialize_with = "de_opt_id")]
    pub id: Option<String>,
}

/// One comment of `GET /{post}/comments`.
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Comment {
    #[serde(deserialize_with = "de_id")]
    pub id: String,
    #[serde(default)]
    pub message: Option<String>,
    #[serde(default)]
    pub from: Option<Author>,
    /// ISO 8601 as Facebook sends it, e.g. `2024-05-01T12:00:00+0000`.
    #[serde(default)]
    pub created_time: Option<String>,
    /// Set on replies (comments on a comment).
    #[serde(default)]
    pub parent: Option<ObjectRef>,
}

/// Reach counters of a post. Absent counters are 0 (`shares` is absent when
/// nobody shared).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PostReach {
    pub shares: i64,
    pub reactions: i64,
    pub comments: i64,
}

impl PostReach {
    /// From `GET /{post}?fields=shares,reactions.summary(total_count).limit(0),
    /// comments.summary(true).limit(0)`:
    /// `shares.count`, `reactions.summary.total_count`, `comments.summary.total_count`.
    pub fn from_value(v: &Value) -> PostReach {
        let count = |path: &[&str]| {
            let mut cur = v;
            for key in path {
                match cur.get(key) {
                    Some(next) => cur = next,
                    None => return 0,
                }
            }
            as_i64(cur).unwrap_or(0).max(0)
        };
        PostReach {
            shares: count(&["shares", "count"]),
            reactions: count(&["reactions", "summary", "total_count"]),
            comments: count(&["comments", "summary", "total_count"]),
        }
    }
}

/// The latest value of `metric` in a `GET /{post}/insights?metric=…` answer
/// (`data[{name,period,values[{value}]}]`), when it is an integer.
pub fn insight_value(answer: &Value, metric: &str) -> Option<i64> {
    let data = answer.get("data")?.as_array()?;
    let entry = data
        .iter()
        .find(|e| e.get("name").and_then(Value::as_str) == Some(metric))
        .or_else(|| data.first())?;
    let values = entry.get("values")?.as_array()?;
    values
        .iter()
        .rev()
        .find_map(|v| v.get("value").and_then(as_i64))
}

/// `summary.total_count` of a `GET /me/friends` answer.
pub fn friends_total(answer: &Value) -> Option<i64> {
    answer
        .get("summary")
        .and_then(|s| s.get("total_count"))
        .and_then(as_i64)
}

/// `subscribe_app`'s answer: `{"success":true}`, or `true` / `"true"` as some
/// documentation shows. `None` for anything else.
pub fn success_flag(answer: &Value) -> Option<bool> {
    match answer {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.trim() {
            "true" => Some(true),
            "false" => Some(false),
            _ => None,
        },
        Value::Object(o) => o.get("success").and_then(success_flag),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn doc_shapes_decode() {
        let t: TokenResponse = serde_json::from_value(
            json!({"access_token":"EAAB","token_type":"bearer","expires_in":5183976}),
        )
        .unwrap();
        assert_eq!(t.access_token.expose(), "EAAB");
        assert_eq!(t.expires_in, Some(5183976));
        assert!(!format!("{t:?}").contains("EAAB"));

        let d: DebugToken = serde_json::from_value(json!({
            "app_id":"138483919580948","type":"USER","is_valid":false,"expires_at":0,
            "scopes":["pages_show_list"],"user_id":1207059,"profile_id":"42",
            "error":{"code":190,"subcode":463,"message":"expired"}
        }))
        .unwrap();
        assert!(d.never_expires());
        assert_eq!(d.user_id.as_deref(), Some("1207059"));
        assert_eq!(d.error.unwrap().subcode, Some(463));

        let r = PostReach::from_value(&json!({
            "id":"1_2",
            "reactions":{"data":[],"summary":{"total_count":7}},
            "comments":{"data":[],"summary":{"order":"ranked","total_count":3,"can_comment":true}}
        }));
        assert_eq!(
            r,
            PostReach {
                shares: 0,
                reactions: 7,
                comments: 3
            }
        );
        assert_eq!(
            PostReach::from_value(&json!("garbage")),
            PostReach::default()
        );

        assert_eq!(
            friends_total(&json!({"summary":{"total_count":23},"data":[]})),
            Some(23)
        );
        assert_eq!(friends_total(&json!({"data":[]})), None);

        for v in [json!({"success":true}), json!(true), json!("true")] {
            assert_eq!(success_flag(&v), Some(true), "{v}");
        }
        assert_eq!(success_flag(&json!({"ok":1})), None);

        let a = json!({"data":[{"name":"post_clicks","period":"lifetime","values":[{"value":4},{"value":9}]}]});
        assert_eq!(insight_value(&a, "post_clicks"), Some(9));
        assert_eq!(insight_value(&json!({"data":[]}), "post_clicks"), None);
        assert_eq!(
            insight_value(
                &json!({"data":[{"name":"x","values":[{"value":{"like":1}}]}]}),
                "x"
            ),
            None
        );
    }
}
