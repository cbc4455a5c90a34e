//! Winner selection, once per contest, after it closes.
//!
//! **Methods.** `votes`, `points` and `judges` rank as `domain::leaderboard`
//! documents; `random` is the verifiable draw of `domain::draw`. Every method
//! picks `winners + alternates` different people in order; the first `winners`
//! win prize slots 1..=winners, the others stand by.
//!
//! **Eligibility.** Only approved entries take part; pending, rejected and
//! disqualified entries (and those of people who asked to be erased) never win.
//! Each person takes part once, with their first approved entry.
//!
//! **The random draw.** When a contest is scheduled or opens (or, if it never
//! passed through either, when it closes) a secret 32-byte seed is generated and
//! its SHA-256 commitment published on the rules page. The seed is stored sealed
//! with AES-256-GCM under the token-encryption key (associated data
//! `draw-seed:<contest id>`) in `draw_seeds`, which no route exposes, so neither
//! a database reader nor the public can learn it before the draw. At the draw the
//! list is one [`DrawEntry`] per eligible person, their first approved entry's
//! id, with weight = their approved entries + bonus entries (points, when the
//! contest sets `points_per_bonus_entry`). The public record ([`DrawRecord`],
//! seed revealed) is stored with the draw and served at `/c/<slug>/draw.json`;
//! anyone can recompute it with `fanfare verify-draw`.
//!
//! **Declines.** When a winner declines (or their entry is rejected or
//! disqualified after the draw), the next standing alternate in pick order whose
//! entry is still approved takes their prize slot; alternates whose entries are
//! no longer approved are skipped. Everything is written to the audit log.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::crypto::tokens::TokenCipher;
use crate::db::audit::{self, Audit};
use crate::db::contests::Contest;
use crate::db::draws::{self as store, Draw, NewDraw, Pick};
use crate::domain::contest::Status;
use crate::domain::draw::{self, DrawEntry, DrawRecord};
use crate::domain::leaderboard;
use crate::error::AppError;

/// Most winners (and, separately, alternates) one draw may name.
pub const MAX_PICKS: usize = 1000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Votes,
    Points,
    Judges,
    Random,
}

impl Method {
    pub fn parse(s: &str) -> Option<Method> {
        match s {
            "votes" => Some(Method::Votes),
            "points" => Some(Method::Points),
            "judges" => Some(Method::Judges),
            "random" => Some(Method::Random),
            _ => None,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Method::Votes => "votes",
            Method::Points => "points",
            Method::Judges => "judges",
            Method::Random => "random",
        }
    }
}

fn seed_aad(contest_id: i64) -> String {
    format!("draw-seed:{contest_id}")
}

/// Commits to a fresh secret seed unless the contest already has one.
pub fn commit_seed(
    conn: &mut PgConnection,
    cipher: &TokenCipher,
    contest: &Contest,
) -> Result<(), AppError> {
    if store::find_seed(conn, contest.id)?.is_some() {
        return Ok(());
    }
    let seed = draw::generate_seed();
    let sealed = cipher.encrypt(&hex::encode(seed), &seed_aad(contest.id));
    if store::insert_seed(conn, contest.id, &sealed, &draw::commitment(&seed))? {
        audit::record(
            conn,
            Audit {
                page_id: Some(contest.page_id),
                admin_id: None,
                action: "draw.committed",
                subject_type: "contest",
                subject_id: Some(contest.id),
                details: json!({"commitment": draw::commitment(&seed), "algorithm": draw::ALGORITHM}),
            },
        )?;
    }
    Ok(())
}

fn open_seed(
    conn: &mut PgConnection,
    cipher: &TokenCipher,
    contest_id: i64,
) -> Result<Vec<u8>, AppError> {
    let sealed = store::find_seed(conn, contest_id)?.ok_or_else(|| {
        AppError::conflict(
            "no_commitment",
            "this contest never published a draw commitment, so a random draw would not be verifiable",
        )
    })?;
    let hex_seed = cipher
        .decrypt(&sealed.seed_enc, &seed_aad(contest_id))
        .map_err(AppError::internal)?;
    let seed = hex::decode(hex_seed).map_err(AppError::internal)?;
    if draw::commitment(&seed) != sealed.commitment {
        return Err(AppError::internal(anyhow::anyhow!(
            "the stored seed does not match its commitment"
        )));
    }
    Ok(seed)
}

pub struct DrawRequest<'a> {
    pub contest: &'a Contest,
    pub method: Method,
    pub winners: usize,
    pub alternates: usize,
    pub admin_id: i64,
    pub now: DateTime<Utc>,
}

/// Picks the winners (see the module documentation). The caller holds the
/// contest row locked.
pub fn run(
    conn: &mut PgConnection,
    cipher: &TokenCipher,
    r: DrawRequest<'_>,
) -> Result<Draw, AppError> {
    let contest = r.contest;
    let status = contest.effective_status(r.now);
    if status != Status::Closed {
        return Err(AppError::conflict(
            "contest_not_closed",
            "winners are picked after the contest closes",
        )
        .with_details(json!({"status": status.as_str()})));
    }
    if r.winners > MAX_PICKS || r.alternates > MAX_PICKS {
        return Err(AppError::invalid(
            "invalid_count",
            format!("winners and alternates must each be within 0..={MAX_PICKS}"),
        ));
    }
    if store::find_draw(conn, contest.id)?.is_some() {
        return Err(AppError::conflict(
            "already_drawn",
            "this contest's winners were already picked; decline a winner to move to the next alternate",
        ));
    }
    let wanted = r.winners + r.alternates;
    let (picks, record, ranking) = match r.method {
        Method::Random => {
            let seed = open_seed(conn, cipher, contest.id)?;
            let eligible = store::eligible(conn, contest.id)?;
            let entries: Vec<DrawEntry> = eligible
                .iter()
                .map(|e| DrawEntry {
                    entry_id: e.entry_id,
                    weight: u32::try_from(e.entries).unwrap_or(u32::MAX).saturating_add(
                        crate::domain::points::bonus_entries(
                            e.points,
                            contest.points_per_bonus_entry,
                        ),
                    ),
                })
                .collect();
            let record = DrawRecord::new(contest.id, &seed, entries, r.winners, r.alternates)
                .map_err(AppError::internal)?;
            let contact_of = |entry: &i64| {
                eligible
                    .iter()
                    .find(|e| e.entry_id == *entry)
                    .map(|e| (*entry, e.contact_id))
            };
            let picks: Vec<(i64, i64)> = record
                .winners
                .iter()
                .chain(&record.alternates)
                .filter_map(contact_of)
                .collect();
            store::mark_revealed(conn, contest.id)?;
            (picks, Some(serde_json::to_value(&record)?), json!([]))
        }
        Method::Votes => {
            let mut ranked = store::scored_entries(conn, contest.id)?;
            leaderboard::by_votes(&mut ranked);
            let picks = leaderboard::distinct_people(&ranked, |e| e.contact_id, wanted)
                .into_iter()
                .map(|e| (e.entry_id, e.contact_id))
                .collect();
            let ranking = ranked
                .iter()
                .map(|e| json!({"entry_id": e.entry_id, "contact_id": e.contact_id, "votes": e.votes}))
                .collect();
            (picks, None, serde_json::Value::Array(ranking))
        }
        Method::Judges => {
            let ranked = leaderboard::by_judges(store::scored_entries(conn, contest.id)?);
            let picks = leaderboard::distinct_people(&ranked, |e| e.contact_id, wanted)
                .into_iter()
                .map(|e| (e.entry_id, e.contact_id))
                .collect();
            let ranking = ranked
                .iter()
                .map(|e| {
                    json!({"entry_id": e.entry_id, "contact_id": e.contact_id,
                                "judge_average": e.judge_average, "judge_scores": e.judge_scores})
                })
                .collect();
            (picks, None, serde_json::Value::Array(ranking))
        }
        Method::Points => {
            // Everyone with an approved entry, with their balance (0 if none).
            let eligible = store::eligible(conn, contest.id)?;
            let mut rows: Vec<crate::db::points::BalanceRow> = eligible
                .iter()
                .map(|e| crate::db::points::BalanceRow {
                    contact_id: e.contact_id,
                    points: e.points,
                    first_entry_id: Some(e.entry_id),
                    display_name: None,
                })
                .collect();
            leaderboard::by_points(&mut rows);
            let picks = rows
                .iter()
                .take(wanted)
                .map(|b| (b.first_entry_id.unwrap_or_default(), b.contact_id))
                .collect();
            let ranking = rows
                .iter()
                .map(|b| json!({"entry_id": b.first_entry_id, "contact_id": b.contact_id, "points": b.points}))
                .collect();
            (picks, None, serde_json::Value::Array(ranking))
        }
    };
    let drawn = store::insert_draw(
        conn,
        &NewDraw {
            contest_id: contest.id,
            method: r.method.as_str(),
            winners_count: r.winners as i32,
            alternates_count: r.alternates as i32,
            record,
            ranking,
            admin_id: Some(r.admin_id),
        },
    )?
    .ok_or_else(|| {
        AppError::conflict(
            "already_drawn",
            "this contest's winners were already picked",
        )
    })?;
    if !picks.is_empty() {
        store::insert_picks(conn, drawn.id, contest.id, &picks, r.winners)?;
    }
    audit::record(
        conn,
        Audit {
            page_id: Some(contest.page_id),
            admin_id: Some(r.admin_id),
            action: "draw.run",
            subject_type: "contest",
            subject_id: Some(contest.id),
            details: json!({
                "draw_id": drawn.id, "method": r.method.as_str(),
                "winners_count": r.winners, "alternates_count": r.alternates,
                "picked_entries": picks.iter().map(|p| p.0).collect::<Vec<_>>(),
            }),
        },
    )?;
    Ok(drawn)
}

/// What a decline did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Declined {
    pub declined: Pick,
    /// The alternate who took the slot; `None` when no alternate was left.
    pub promoted: Option<Pick>,
    /// Alternates passed over because their entries are no longer approved.
    pub skipped: Vec<Pick>,
}

/// A winner declines (or can no longer win): the next eligible alternate takes
/// their slot. `pick` must be a current winner.
pub fn decline(
    conn: &mut PgConnection,
    pick: &Pick,
    reason: &str,
    admin_id: Option<i64>,
    page_id: i64,
) -> Result<Declined, AppError> {
    store::lock_draw(conn, pick.draw_id)?;
    // Re-read under the lock: a concurrent decline may have changed it.
    let current = store::picks(conn, pick.draw_id)?;
    let me = current
        .iter()
        .find(|p| p.id == pick.id)
        .ok_or_else(|| AppError::not_found("no such winner"))?;
    if me.status != "won" {
        return Err(AppError::conflict(
            "not_a_winner",
            format!("this pick is {}, not a current winner", me.status),
        ));
    }
    let slot = me.prize_slot;
    let declined = store::set_pick(
        conn,
        me.id,
        "declined",
        None,
        Some(reason),
        me.replaces_pick_id,
    )?;
    let mut skipped = Vec::new();
    let mut promoted = None;
    for alt in current.iter().filter(|p| p.status == "standby") {
        let entry = crate::db::entries::find(conn, alt.entry_id)?;
        if entry.status != "approved" {
            skipped.push(store::set_pick(
                conn,
                alt.id,
                "skipped",
                None,
                Some(&format!("the entry is {}", entry.status)),
                None,
            )?);
            continue;
        }
        promoted = Some(store::set_pick(
            conn,
            alt.id,
            "won",
            slot,
            None,
            Some(me.id),
        )?);
        break;
    }
    audit::record(
        conn,
        Audit {
            page_id: Some(page_id),
            admin_id,
            action: "draw.winner_declined",
            subject_type: "contest",
            subject_id: Some(pick.contest_id),
            details: json!({
                "pick_id": me.id, "entry_id": me.entry_id, "prize_slot": slot, "reason": reason,
                "promoted_pick_id": promoted.as_ref().map(|p| p.id),
                "promoted_entry_id": promoted.as_ref().map(|p| p.entry_id),
                "skipped_pick_ids": skipped.iter().map(|p| p.id).collect::<Vec<_>>(),
            }),
        },
    )?;
    Ok(Declined {
        declined,
        promoted,
        skipped,
    })
}

/// Entries rejected or disqualified after a draw can no longer win: a winning
/// pick is declined (its slot passes on), a standing alternate is skipped.
pub fn exclude_entries(
    conn: &mut PgConnection,
    entries: &[crate::db::entries::Entry],
    admin_id: Option<i64>,
) -> Result<(), AppError> {
    let excluded: Vec<i64> = entries
        .iter()
        .filter(|e| matches!(e.status.as_str(), "rejected" | "disqualified"))
        .map(|e| e.id)
        .collect();
    if excluded.is_empty() {
        return Ok(());
    }
    for pick in store::live_picks_of_entries(conn, &excluded)? {
        let entry = entries.iter().find(|e| e.id == pick.entry_id);
        let why = format!(
            "the entry was {}",
            entry.map(|e| e.status.as_str()).unwrap_or("excluded")
        );
        let page_id = entry.map(|e| e.page_id).unwrap_or_default();
        if pick.status == "won" {
            decline(conn, &pick, &why, admin_id, page_id)?;
        } else {
            store::set_pick(conn, pick.id, "skipped", None, Some(&why), None)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_round_trip() {
        for m in [
            Method::Votes,
            Method::Points,
            Method::Judges,
            Method::Random,
        ] {
            assert_eq!(Method::parse(m.as_str()), Some(m));
        }
        assert_eq!(Method::parse("coin"), None);
    }
}
