//! Social reach, measured through the Graph API and kept as snapshots over time.
//!
//! - Per contact: their friends count (when `user_friends` was granted at login),
//!   plus reactions, comments and shares on the posts they shared (when the Graph
//!   API can see them), plus referral clicks on their link. The first and last are
//!   stored as they happen; the middle one is refreshed here.
//! - Per contest: the linked post's reactions/comments/shares and, where the
//!   insights metric exists, its unique impressions.
//! - Posts that mention the page (from `mention` webhooks): their reactions,
//!   comments and shares count for the page's reach. Mention webhooks carry no
//!   author (`from`), so these snapshots belong to no contact.
//!
//! Reads go through batch requests (at most 50 objects per call, so ≤ 20 calls per
//! 1,000 objects) and the client's usage-header pacing.

use chrono::Utc;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde::Serialize;

use crate::db::schema::reach_snapshots;
use crate::platform::facebook::graph::{AccessToken, GraphClient, GraphError};

/// reactions, comments, shares, impressions (when insights have them).
pub type Counts = (i64, i64, i64, Option<i64>);
/// One measured object: its counts, or why it could not be measured.
pub type Measured = (ReachObject, Result<Counts, String>);

/// An object whose reach is measured.
#[derive(Debug, Clone, QueryableByName)]
pub struct ReachObject {
    #[diesel(sql_type = Text)]
    pub object_id: String,
    #[diesel(sql_type = Text)]
    pub object_kind: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub contact_id: Option<i64>,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    pub contest_id: Option<i64>,
}

/// Posts fans shared (from `share` activities), posts that mention the page (from
/// `mention` activities) and contest posts of a page.
pub fn objects_of_page(conn: &mut PgConnection, page_id: i64) -> QueryResult<Vec<ReachObject>> {
    diesel::sql_query(
        "SELECT DISTINCT ON (object_id) object_id, object_kind, contact_id, contest_id FROM ( \
           SELECT details->>'post_id' AS object_id, 'share_post' AS object_kind, contact_id, NULL::bigint AS contest_id \
             FROM activities WHERE page_id = $1 AND kind = 'share' AND details->>'post_id' IS NOT NULL \
           UNION ALL \
           SELECT details->>'post_id', 'mention_post', contact_id, NULL::bigint \
             FROM activities WHERE page_id = $1 AND kind = 'mention' AND details->>'post_id' IS NOT NULL \
           UNION ALL \
           SELECT linked_post_id, 'contest_post', NULL::bigint, id FROM contests \
             WHERE page_id = $1 AND linked_post_id IS NOT NULL AND status IN ('open', 'closed', 'winners_announced') \
         ) o ORDER BY object_id",
    )
    .bind::<BigInt, _>(page_id)
    .load(conn)
}

#[derive(Debug, Default, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct RefreshReport {
    pub objects: usize,
    pub measured: usize,
    pub failed: usize,
}

/// Measures every object of a page and stores snapshots. A token error ends the
/// run (the client's hook marks the page `needs_reauth`).
pub async fn measure(
    graph: &GraphClient,
    token: &AccessToken,
    objects: &[ReachObject],
) -> Result<Vec<Measured>, GraphError> {
    let ids: Vec<String> = objects.iter().map(|o| o.object_id.clone()).collect();
    let results = graph.reach_batch(&ids, token).await?;
    let mut out = Vec::with_capacity(objects.len());
    for (obj, (_, r)) in objects.iter().zip(results) {
        let measured = match r {
            Ok(reach) => {
                // Impressions only for contest posts: one call per object, so never
                // for the (many) shared posts.
                let impressions = if obj.object_kind == "contest_post" {
                    graph
                        .post_insight(&obj.object_id, "post_impressions_unique", token)
                        .await
                        .unwrap_or(None)
                } else {
                    None
                };
                Ok((reach.reactions, reach.comments, reach.shares, impressions))
            }
            Err(e) if e.is_token_error() => return Err(e),
            Err(e) => Err(e.to_string()),
        };
        out.push((obj.clone(), measured));
    }
    Ok(out)
}

/// Stores the snapshots and the per-contact share engagement they imply.
pub fn store(
    conn: &mut PgConnection,
    page_id: i64,
    measured: &[Measured],
) -> QueryResult<RefreshReport> {
    let now = Utc::now();
    let mut report = RefreshReport {
        objects: measured.len(),
        ..Default::default()
    };
    for (obj, m) in measured {
        let (r, c, s, i, err) = match m {
            Ok((r, c, s, i)) => (
                Some(*r as i32),
                Some(*c as i32),
                Some(*s as i32),
                i.map(|v| v as i32),
                None,
            ),
            Err(e) => (None, None, None, None, Some(e.as_str())),
        };
        if err.is_some() {
            report.failed += 1;
        } else {
            report.measured += 1;
        }
        diesel::insert_into(reach_snapshots::table)
            .values((
                reach_snapshots::page_id.eq(page_id),
                reach_snapshots::object_id.eq(&obj.object_id),
                reach_snapshots::object_kind.eq(&obj.object_kind),
                reach_snapshots::contact_id.eq(obj.contact_id),
                reach_snapshots::contest_id.eq(obj.contest_id),
                reach_snapshots::taken_at.eq(now),
                reach_snapshots::reactions.eq(r),
                reach_snapshots::comments.eq(c),
                reach_snapshots::shares.eq(s),
                reach_snapshots::impressions.eq(i),
                reach_snapshots::error.eq(err),
            ))
            .execute(conn)?;
    }
    diesel::sql_query(format!(
        "WITH changed AS ( \
         UPDATE contact_metrics m SET share_engagement = x.engagement FROM ( \
           SELECT contact_id, sum(COALESCE(reactions, 0) + COALESCE(comments, 0) + COALESCE(shares, 0))::int AS engagement \
           FROM (SELECT DISTINCT ON (object_id) * FROM reach_snapshots \
                 WHERE page_id = $1 AND object_kind = 'share_post' AND error IS NULL \
                 ORDER BY object_id, taken_at DESC) latest \
           WHERE contact_id IS NOT NULL GROUP BY contact_id) x \
         WHERE m.contact_id = x.contact_id AND m.share_engagement <> x.engagement \
         RETURNING m.contact_id, m.page_id) \
         INSERT INTO contact_metrics_dirty (contact_id, page_id) \
         SELECT contact_id, page_id FROM changed ORDER BY contact_id {}",
        crate::db::segments::QUEUE_FOR_REFRESH
    ))
    .bind::<BigInt, _>(page_id)
    .execute(conn)?;
    Ok(report)
}
