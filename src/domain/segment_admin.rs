//! Creating, editing and deleting custom segments, shared by the API
//! (`routes::api::segments`) and the dashboard (`routes::dashboard::segments`):
//! the name is bounded text, the rule goes through
//! [`Rule::parse`](crate::domain::segment_rules::Rule::parse) (errors name the
//! JSON path), and every change is followed by a recompute of the page so the
//! sizes shown are current. The three personas are not editable.

use diesel::pg::PgConnection;
use serde_json::{json, Value};

use crate::config::SegmentSettings;
use crate::db::segments::{self, Segment, SegmentView};
use crate::domain::segment_rules::Rule;
use crate::error::AppError;

/// A checked name and the rule in canonical JSON.
pub struct SegmentInput {
    pub name: String,
    pub rule: Value,
}

impl SegmentInput {
    pub fn parse(name: &str, rule: &Value) -> Result<SegmentInput, AppError> {
        let name = crate::domain::input::text("name", name, 1, 100)?;
        let rule = Rule::parse(rule).map_err(|e| {
            AppError::invalid("invalid_rule", e.to_string()).with_details(json!({"path": e.path}))
        })?;
        Ok(SegmentInput {
            name,
            rule: rule.to_json(),
        })
    }

    /// The key of a new custom segment: from its name, with the random suffix
    /// of `slugify`, so keys never collide; it stays the same when the segment
    /// is renamed (links and past exports keep pointing at it).
    fn new_key(&self) -> String {
        format!("custom-{}", crate::domain::contest::slugify(&self.name))
    }
}

/// Another segment of the page has this name (ignoring case): two segments
/// an admin cannot tell apart in a list are refused.
fn name_taken(
    conn: &mut PgConnection,
    page_id: i64,
    name: &str,
    except: Option<i64>,
) -> Result<(), AppError> {
    let name = name.to_lowercase();
    let taken = segments::of_page(conn, page_id)?
        .iter()
        .any(|s| s.name.to_lowercase() == name && Some(s.id) != except);
    if taken {
        return Err(AppError::conflict(
            "segment_exists",
            "a segment with that name exists on this page",
        ));
    }
    Ok(())
}

fn view_after_recompute(
    conn: &mut PgConnection,
    seg: &Segment,
    settings: &SegmentSettings,
) -> Result<SegmentView, AppError> {
    segments::recompute(conn, seg.page_id, settings)?;
    listed(conn, seg)
}

/// The segment as the sizes list shows it.
fn listed(conn: &mut PgConnection, seg: &Segment) -> Result<SegmentView, AppError> {
    segments::sizes(conn, seg.page_id)?
        .into_iter()
        .find(|v| v.segment.id == seg.id)
        .ok_or_else(|| AppError::internal(anyhow::anyhow!("segment {} not listed", seg.id)))
}

/// A new custom segment on a page of the admin's.
pub fn create(
    conn: &mut PgConnection,
    admin_id: i64,
    page_id: i64,
    input: &SegmentInput,
    settings: &SegmentSettings,
) -> Result<SegmentView, AppError> {
    crate::db::pages::find_for_admin(conn, admin_id, page_id)?;
    if segments::custom_count(conn, page_id)? >= segments::MAX_CUSTOM_PER_PAGE {
        return Err(AppError::conflict(
            "segment_limit",
            format!(
                "a page has at most {} custom segments; delete one first",
                segments::MAX_CUSTOM_PER_PAGE
            ),
        ));
    }
    name_taken(conn, page_id, &input.name, None)?;
    let key = input.new_key();
    segments::ensure_personas(conn, page_id, settings)?;
    let seg = segments::create_custom(conn, page_id, &key, &input.name, &input.rule)?;
    // Only the new segment is evaluated: nothing about the others' members changed.
    segments::populate(conn, &seg)?;
    listed(conn, &seg)
}

/// A custom segment of the admin's, loaded for a change (personas refused).
fn custom_of_admin(conn: &mut PgConnection, admin_id: i64, id: i64) -> Result<Segment, AppError> {
    let seg = segments::find_for_admin(conn, admin_id, id)?;
    if seg.kind == "persona" {
        return Err(AppError::conflict(
            "persona",
            "the three personas cannot be changed or deleted",
        ));
    }
    Ok(seg)
}

/// New name and rule for a custom segment of the admin's (its key stays).
pub fn update(
    conn: &mut PgConnection,
    admin_id: i64,
    id: i64,
    input: &SegmentInput,
    settings: &SegmentSettings,
) -> Result<SegmentView, AppError> {
    let seg = custom_of_admin(conn, admin_id, id)?;
    name_taken(conn, seg.page_id, &input.name, Some(id))?;
    let seg = segments::update_custom(conn, id, &input.name, &input.rule)?;
    view_after_recompute(conn, &seg, settings)
}

/// Deletes a custom segment of the admin's; returns the rows deleted.
pub fn delete(conn: &mut PgConnection, admin_id: i64, id: i64) -> Result<usize, AppError> {
    custom_of_admin(conn, admin_id, id)?;
    Ok(segments::delete(conn, id)?)
}
