//! The sandbox's deterministic starting world, created on first run from
//! `sandbox.seed`: three pages with their admins, `sandbox.fans` fans with friend
//! counts, and page posts with some history of comments and reactions.
//!
//! Fixed ids make the world easy to talk about: the clothing brand "Threadline
//! Apparel" is page `1111222233334444`, administered by Alex Rivera
//! (`100000000000001`), who also runs a coffee page. Sam Chen (`100000000000002`)
//! runs a third page and is the "other tenant" in tenancy checks.

use chrono::{DateTime, Duration, TimeZone, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::store::{self, Page, Post, User};
use crate::db::schema::{
    sandbox_comments, sandbox_page_roles, sandbox_pages, sandbox_posts, sandbox_reactions,
    sandbox_users,
};

pub const BRAND_PAGE: &str = "1111222233334444";
pub const COFFEE_PAGE: &str = "9999888877776666";
pub const OTHER_PAGE: &str = "5555666677778888";
pub const ADMIN_ALEX: &str = "100000000000001";
pub const ADMIN_SAM: &str = "100000000000002";
pub const MODERATOR_JORDAN: &str = "100000000000003";
/// The first fan's id; fans are numbered upwards from here.
pub const FIRST_FAN: u64 = 100_000_000_001_000;

const FIRST_NAMES: &[&str] = &[
    "Ana", "Ben", "Chloe", "Diego", "Emma", "Felix", "Grace", "Hugo", "Ines", "Jonas", "Kai",
    "Lena", "Mateo", "Nora", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor",
    "Wen", "Ximena", "Yusuf", "Zoe", "Aiko", "Björn", "Chiara", "Dmitri",
];
const LAST_NAMES: &[&str] = &[
    "Lima",
    "Okafor",
    "Schmidt",
    "García",
    "Nguyen",
    "Kowalski",
    "Rossi",
    "Johansson",
    "Haddad",
    "Tanaka",
    "Silva",
    "Murphy",
    "Novak",
    "Dubois",
    "Khan",
    "Andersen",
    "Costa",
    "Fischer",
    "Moreau",
    "Patel",
];
const LOCALES: &[(&str, &str)] = &[
    ("en_US", "US"),
    ("en_GB", "GB"),
    ("es_ES", "ES"),
    ("pt_BR", "BR"),
    ("de_DE", "DE"),
    ("fr_FR", "FR"),
    ("sv_SE", "SE"),
    ("en_CA", "CA"),
];
const COMMENTS: &[&str] = &[
    "Love this design!",
    "When does the contest open?",
    "This is amazing, count me in",
    "Not a fan of the colours this time",
    "Best shirts ever, ordered three",
    "Shipping took forever, disappointed",
    "Can't wait to vote!",
    "Meh, the old logo was better",
    "So cool 😍",
    "Does it come in XL?",
];
const POSTS: &[&str] = &[
    "Design your own shirt: our community contest is coming!",
    "New drop this Friday. Which colour should we make next?",
    "Behind the scenes at the print shop",
    "Thank you for 10k followers!",
    "Throwback to last summer's festival booth",
    "Vote for next season's prize",
    "Meet the designer of our best-selling tee",
    "Weekend sale: 20% off everything",
];

/// The fixed instant the seeded history is dated from, so reseeding is identical.
fn epoch() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0)
        .single()
        .expect("valid date")
}

/// Seeds the world unless it already exists. Safe when several processes start at once.
pub fn ensure_seeded(conn: &mut PgConnection, seed: u64, fans: u32) -> QueryResult<bool> {
    conn.batch_execute("SELECT pg_advisory_lock(7242003)")?;
    let result = conn.transaction(|c| {
        if store::is_seeded(c)? {
            return Ok(false);
        }
        seed_world(c, seed, fans)?;
        Ok(true)
    });
    conn.batch_execute("SELECT pg_advisory_unlock(7242003)")?;
    result
}

fn seed_world(conn: &mut PgConnection, seed: u64, fans: u32) -> QueryResult<()> {
    let mut rng = StdRng::seed_from_u64(seed);
    let admins = [
        (ADMIN_ALEX, "Alex Rivera", "alex@threadline.example"),
        (ADMIN_SAM, "Sam Chen", "sam@trailhead.example"),
        (MODERATOR_JORDAN, "Jordan Lee", "jordan@threadline.example"),
    ];
    let mut users: Vec<User> = admins
        .iter()
        .map(|(id, name, email)| User {
            id: id.to_string(),
            name: name.to_string(),
            email: Some(email.to_string()),
            locale: "en_US".into(),
            country: "US".into(),
            age_min: 21,
            friends_count: 300,
            is_admin: true,
        })
        .collect();
    for i in 0..fans {
        let first = FIRST_NAMES[rng.gen_range(0..FIRST_NAMES.len())];
        let last = LAST_NAMES[rng.gen_range(0..LAST_NAMES.len())];
        let (locale, country) = LOCALES[rng.gen_range(0..LOCALES.len())];
        // Friend counts are heavy-tailed: most fans have a few hundred, a few thousands.
        let friends = (rng.gen::<f64>().powi(3) * 4000.0) as i32 + rng.gen_range(5..150);
        let email = rng.gen_bool(0.7).then(|| {
            format!(
                "{}.{}{}@example.com",
                ascii_lower(first),
                ascii_lower(last),
                i
            )
        });
        users.push(User {
            id: (FIRST_FAN + u64::from(i)).to_string(),
            name: format!("{first} {last}"),
            email,
            locale: locale.into(),
            country: country.into(),
            age_min: [13, 18, 21][rng.gen_range(0..3)],
            friends_count: friends,
            is_admin: false,
        });
    }
    for chunk in users.chunks(2000) {
        diesel::insert_into(sandbox_users::table)
            .values(chunk)
            .execute(conn)?;
    }
    let pages = [
        (BRAND_PAGE, "Threadline Apparel", "Clothing (Brand)", 10_412),
        (COFFEE_PAGE, "Brewhouse Coffee Co.", "Coffee Shop", 3_204),
        (
            OTHER_PAGE,
            "Trailhead Outfitters",
            "Outdoor & Sporting Goods Company",
            7_889,
        ),
    ];
    let page_rows: Vec<Page> = pages
        .iter()
        .map(|(id, name, category, fans)| Page {
            id: id.to_string(),
            name: name.to_string(),
            category: category.to_string(),
            fan_count: *fans,
        })
        .collect();
    diesel::insert_into(sandbox_pages::table)
        .values(&page_rows)
        .execute(conn)?;
    let full = "MANAGE,CREATE_CONTENT,MODERATE,ANALYZE,ADVERTISE";
    let moderate = "MODERATE,ANALYZE";
    for (page, user, tasks) in [
        (BRAND_PAGE, ADMIN_ALEX, full),
        (COFFEE_PAGE, ADMIN_ALEX, full),
        (OTHER_PAGE, ADMIN_SAM, full),
        (BRAND_PAGE, MODERATOR_JORDAN, moderate),
    ] {
        diesel::insert_into(sandbox_page_roles::table)
            .values((
                sandbox_page_roles::page_id.eq(page),
                sandbox_page_roles::user_id.eq(user),
                sandbox_page_roles::tasks.eq(tasks),
            ))
            .execute(conn)?;
    }
    let fan_ids: Vec<&str> = users
        .iter()
        .filter(|u| !u.is_admin)
        .map(|u| u.id.as_str())
        .collect();
    for (page_index, (page_id, ..)) in pages.iter().enumerate() {
        for (k, message) in POSTS.iter().enumerate() {
            // Object ids are unique across pages, as on Facebook.
            let object_id = 555 + k + page_index * 100;
            let post = Post {
                id: format!("{page_id}_{object_id}"),
                page_id: page_id.to_string(),
                message: message.to_string(),
                created_time: epoch() - Duration::days(k as i64 * 3),
                shares_count: rng.gen_range(0..40),
                impressions: rng.gen_range(500..20_000),
            };
            diesel::insert_into(sandbox_posts::table)
                .values(&post)
                .execute(conn)?;
            if fan_ids.is_empty() {
                continue;
            }
            // The first post of each page has a long comment history (more than
            // one page of 25), so backfills must follow paging to the end.
            let n_comments = if k == 0 { 60 } else { rng.gen_range(0..20) };
            let mut rows = Vec::new();
            for c in 0..n_comments {
                let user = fan_ids[rng.gen_range(0..fan_ids.len())];
                rows.push((
                    sandbox_comments::id.eq(format!("{object_id}_{}", 700_000 + c)),
                    sandbox_comments::post_id.eq(post.id.clone()),
                    sandbox_comments::user_id.eq(user.to_string()),
                    sandbox_comments::message
                        .eq(COMMENTS[rng.gen_range(0..COMMENTS.len())].to_string()),
                    sandbox_comments::created_time
                        .eq(post.created_time + Duration::minutes(c as i64 * 7)),
                ));
            }
            if !rows.is_empty() {
                diesel::insert_into(sandbox_comments::table)
                    .values(&rows)
                    .execute(conn)?;
            }
            let mut reacted = std::collections::HashSet::new();
            for _ in 0..rng.gen_range(0..60) {
                let user = fan_ids[rng.gen_range(0..fan_ids.len())];
                if reacted.insert(user) {
                    diesel::insert_into(sandbox_reactions::table)
                        .values((
                            sandbox_reactions::post_id.eq(post.id.clone()),
                            sandbox_reactions::user_id.eq(user),
                            sandbox_reactions::reaction_type
                                .eq(["like", "love", "wow", "haha"][rng.gen_range(0..4)]),
                        ))
                        .execute(conn)?;
                }
            }
        }
    }
    Ok(())
}

fn ascii_lower(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphabetic())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}
