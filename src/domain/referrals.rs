//! Referrals: personal links, unique clicks, conversions.
//!
//! - **Links.** Every entrant gets a personal code per contest when their entry
//!   is stored; their link is `/r/<code>`.
//! - **Clicks.** Opening a link records one click per code and visitor (the
//!   browser's visitor cookie), sets the signed attribution cookie
//!   (`fanfare_ref`, 30 days, last click wins) and redirects to the contest page.
//!   A referrer opening their own link is not counted.
//! - **Conversions.** When a person's *first* entry in the contest is stored with
//!   an attribution for that contest, the conversion is recorded: credited to the
//!   code's owner, who earns `referral_conversion` points. Only the direct
//!   referrer is credited, never the referrer's referrer.
//! - **Rejected.** A self-referral (the entrant is the code's owner, Fanfare's
//!   identity rules deciding who is who) and a loop (the entrant was themselves
//!   referred by the person they would now credit) are stored as rejected and earn
//!   nothing. Because a person can look like two until their identities meet,
//!   the same checks run again when contacts merge (`db::referrals::
//!   merge_conversions`), and points of conversions rejected then are taken back.
//! - **Shares** (the share dialog, copying the link) are recorded for reach and
//!   never earn points or entries: Facebook forbids share-to-enter.
//!
//! The attribution cookie is `<code>.<expiry unix secs>.<tag>`, tag =
//! base64url(HMAC-SHA256(referral key, "ref|<code>|<expiry>")), so it cannot be
//! forged or pointed at someone else's code.

use chrono::{DateTime, Utc};
use diesel::pg::PgConnection;
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;

use crate::crypto::keys::KeyRing;
use crate::db::activities::{self, NewActivity};
use crate::db::contests::Contest;
use crate::db::entries::Entry;
use crate::db::referrals::{self as store, NewReferral, ReferralCode};
use crate::domain::points::{self, AwardRequest, Reason};
use crate::error::AppError;
use crate::platform::facebook::signed_request::{b64url_decode, b64url_encode};

/// How long a click is remembered for attribution.
pub const ATTRIBUTION_SECS: i64 = 30 * 24 * 3600;

/// A new random code: 12 URL-safe characters (72 bits).
pub fn new_code() -> String {
    crate::crypto::random_token(9)
}

/// Codes in URLs and cookies: what [`new_code`] makes, nothing else.
pub fn valid_code(code: &str) -> bool {
    (8..=32).contains(&code.len())
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn tag(key: &[u8], code: &str, expires: i64) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(format!("ref|{code}|{expires}").as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// The attribution cookie value for a click on `code`.
pub fn sign_attribution(ring: &KeyRing, code: &str, now: DateTime<Utc>) -> String {
    let expires = now.timestamp() + ATTRIBUTION_SECS;
    let t = tag(&ring.current.bytes, code, expires);
    format!("{code}.{expires}.{}", b64url_encode(&t))
}

/// The code named by a genuine, unexpired attribution cookie.
pub fn verify_attribution(ring: &KeyRing, value: &str, now: DateTime<Utc>) -> Option<String> {
    let mut parts = value.split('.');
    let (code, expires, t) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || !valid_code(code) {
        return None;
    }
    let expires: i64 = expires.parse().ok()?;
    if expires < now.timestamp() {
        return None;
    }
    let t = b64url_decode(t)?;
    std::iter::once(&ring.current)
        .chain(ring.previous.iter())
        .any(|k| {
            let mut mac = Hmac::<Sha256>::new_from_slice(&k.bytes).expect("any key length");
            mac.update(format!("ref|{code}|{expires}").as_bytes());
            mac.verify_slice(&t).is_ok()
        })
        .then(|| code.to_string())
}

/// Who gets credit for a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Credit,
    Reject(&'static str),
}

/// The rule, on contact ids: nobody refers themselves, and credit never flows
/// back to the person who referred the referrer.
pub fn decide(referrer: i64, referred: i64, referred_referred_the_referrer: bool) -> Decision {
    if referrer == referred {
        Decision::Reject("self_referral")
    } else if referred_referred_the_referrer {
        Decision::Reject("loop")
    } else {
        Decision::Credit
    }
}

/// What opening a referral link did.
pub struct Click {
    pub code: ReferralCode,
    pub contest: Contest,
    /// False for a repeat click by the same visitor, or the referrer's own.
    pub counted: bool,
}

/// Records a click on `/r/<code>` by a visitor. `None` when the code is unknown.
pub fn click(
    conn: &mut PgConnection,
    code: &str,
    visitor_id: &str,
    now: DateTime<Utc>,
) -> Result<Option<Click>, AppError> {
    let Some(found) = store::find_code(conn, code)? else {
        return Ok(None);
    };
    let contest = crate::db::contests::find(conn, found.contest_id)?;
    // Drafts are not public; their links do not exist yet.
    if contest.status() == crate::domain::contest::Status::Draft {
        return Ok(None);
    }
    let page_id = contest.page_id;
    crate::db::visitors::touch(conn, visitor_id, page_id)?;
    let own = crate::db::visitors::contact_of(conn, visitor_id)? == Some(found.contact_id);
    let counted = !own && store::record_click(conn, &found.code, found.contest_id, visitor_id)?;
    if counted {
        activities::record(
            conn,
            &NewActivity {
                page_id,
                contact_id: Some(found.contact_id),
                visitor_id: None,
                contest_id: Some(found.contest_id),
                kind: "referral_click",
                occurred_at: now,
                details: json!({"code": found.code}),
                dedupe_key: Some(format!("referral_click:{}:{visitor_id}", found.code)),
            },
        )?;
    }
    Ok(Some(Click {
        code: found,
        contest,
        counted,
    }))
}

/// After an entry is stored (same transaction): record a conversion when this is
/// the person's first entry and they arrived through a referral link of this
/// contest, then make sure they have a code of their own.
pub fn after_entry(
    conn: &mut PgConnection,
    contest: &Contest,
    entry: &Entry,
    attribution: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    if let Some(code) = attribution {
        convert(conn, contest, entry, code, now)?;
    }
    store::ensure_code(conn, contest.id, entry.contact_id, &new_code())?;
    Ok(())
}

fn convert(
    conn: &mut PgConnection,
    contest: &Contest,
    entry: &Entry,
    code: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(found) = store::find_code(conn, code)? else {
        return Ok(());
    };
    if found.contest_id != contest.id {
        return Ok(());
    }
    let earlier = crate::db::entries::of_contact(conn, contest.id, entry.contact_id)?
        .iter()
        .any(|e| e.id != entry.id);
    if earlier {
        return Ok(());
    }
    let (referrer, referred) = (found.contact_id, entry.contact_id);
    let looped = store::credited(conn, contest.id, referred, referrer)?;
    let rejected = match decide(referrer, referred, looped) {
        Decision::Credit => None,
        Decision::Reject(why) => Some(why),
    };
    let Some(row) = store::insert(
        conn,
        &NewReferral {
            contest_id: contest.id,
            code: &found.code,
            referrer,
            referred,
            entry_id: entry.id,
            rejected,
        },
    )?
    else {
        return Ok(());
    };
    if row.status != "credited" {
        return Ok(());
    }
    activities::record(
        conn,
        &NewActivity {
            page_id: contest.page_id,
            contact_id: Some(referrer),
            visitor_id: None,
            contest_id: Some(contest.id),
            kind: "referral_conversion",
            occurred_at: now,
            details: json!({"referral_id": row.id, "referred_contact_id": referred, "entry_id": entry.id}),
            dedupe_key: Some(format!("referral_conversion:{}", row.id)),
        },
    )?;
    points::award(
        conn,
        AwardRequest::by_rule(
            contest,
            referrer,
            Reason::ReferralConversion,
            format!("referral:{}", row.id),
            now,
        ),
    )?;
    Ok(())
}

/// A share from the fan page: recorded for reach (timeline kind `share`), worth
/// nothing. One per visitor, contest, channel and day. Returns whether it was new.
pub fn record_share(
    conn: &mut PgConnection,
    contest: &Contest,
    visitor_id: &str,
    channel: &str,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    crate::db::visitors::touch(conn, visitor_id, contest.page_id)?;
    let contact = crate::db::visitors::contact_of(conn, visitor_id)?;
    let day = crate::domain::entering::today_in(contest, now);
    Ok(activities::record(
        conn,
        &NewActivity {
            page_id: contest.page_id,
            contact_id: contact,
            visitor_id: Some(visitor_id),
            contest_id: Some(contest.id),
            kind: "share",
            occurred_at: now,
            details: json!({"channel": channel}),
            dedupe_key: Some(format!("share:{}:{visitor_id}:{channel}:{day}", contest.id)),
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{CookieSecure, Secret, SecuritySettings};
    use crate::crypto::keys::Purpose;

    fn ring(key: &str, previous: &[&str]) -> KeyRing {
        KeyRing::new(
            &SecuritySettings {
                secret_key: Secret::new(key),
                previous_secret_keys: previous.iter().map(|p| Secret::new(*p)).collect(),
                session_ttl_secs: 1,
                session_max_age_secs: 1,
                fan_session_ttl_secs: 1,
                oauth_state_ttl_secs: 1,
                cookie_secure: CookieSecure::Auto,
            },
            Purpose::Referral,
        )
    }

    #[test]
    fn attribution_cookies_cannot_be_forged_or_redirected() {
        let r = ring("k1", &[]);
        let now = Utc::now();
        let code = new_code();
        assert!(valid_code(&code));
        let v = sign_attribution(&r, &code, now);
        assert_eq!(verify_attribution(&r, &v, now), Some(code.clone()));
        // Someone else's code with this tag.
        let other = new_code();
        let forged = v.replacen(&code, &other, 1);
        assert_eq!(verify_attribution(&r, &forged, now), None);
        // Expired.
        let later = now + chrono::Duration::seconds(ATTRIBUTION_SECS + 1);
        assert_eq!(verify_attribution(&r, &v, later), None);
        // Another key; then a rotation that keeps the old one.
        assert_eq!(verify_attribution(&ring("k2", &[]), &v, now), None);
        assert_eq!(
            verify_attribution(&ring("k2", &["k1"]), &v, now),
            Some(code)
        );
        for junk in ["", "a.b", "abc.1.x.y", "not valid!.99999999999.AA"] {
            assert_eq!(verify_attribution(&r, junk, now), None, "{junk}");
        }
    }

    #[test]
    fn self_referrals_and_loops_are_rejected() {
        assert_eq!(decide(1, 2, false), Decision::Credit);
        assert_eq!(decide(7, 7, false), Decision::Reject("self_referral"));
        assert_eq!(decide(1, 2, true), Decision::Reject("loop"));
        assert_eq!(decide(3, 3, true), Decision::Reject("self_referral"));
    }
}
