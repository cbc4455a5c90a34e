//! The first run in sandbox mode: install the demo brand page for its admin
//! (through the real install path, with a code from the sandbox) and open a
//! "Design your own shirt" contest, so the product is there to look at.

use chrono::Utc;
use serde_json::json;

use crate::db::contests::{self, ContestFields};
use crate::domain::contest::{rules_version, slugify, Status};
use crate::platform::sandbox::seed::{ADMIN_ALEX, BRAND_PAGE};
use crate::state::AppState;

const RULES: &str = "NO PURCHASE NECESSARY. Open to residents of any country who are 13 or older. \
One entry per person. Entries are original shirt designs (an image, a description, or both). \
The community votes on approved entries; the design with the most valid votes when the contest closes wins, \
subject to verification. Threadline Apparel prints the winning design and pays the winner 500 USD. \
This promotion is in no way sponsored, endorsed or administered by, or associated with, Facebook.";

/// Returns the demo contest's slug when it was just created.
pub async fn ensure(state: &AppState) -> anyhow::Result<Option<String>> {
    let already = state
        .db
        .run(|c| {
            use crate::db::schema::contests::dsl::*;
            use diesel::prelude::*;
            Ok(contests.count().get_result::<i64>(c)? > 0)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if already {
        return Ok(None);
    }
    let callback = crate::routes::auth::callback_url(state);
    let code = crate::crypto::random_token(24);
    let (c2, cb) = (code.clone(), callback.clone());
    state
        .db
        .run(move |c| {
            let scopes: Vec<String> = crate::domain::install::ADMIN_SCOPES
                .split(',')
                .map(str::to_string)
                .collect();
            Ok(crate::platform::sandbox::store::create_code(
                c, &c2, ADMIN_ALEX, &cb, &scopes,
            )?)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let installed = crate::domain::install::install(state, &code, &callback)
        .await
        .map_err(|e| anyhow::anyhow!("demo install failed: {e:?}"))?;
    let admin = installed.admin_id;
    let cipher = state.keys.tokens.clone();
    let slug = state
        .db
        .transaction(move |c| {
            let page = crate::db::pages::find_by_fb_id(c, BRAND_PAGE)?
                .ok_or_else(|| crate::error::AppError::not_found("demo page"))?;
            let fields = ContestFields {
                kind: Some("ugc".into()),
                title: Some("Design your own shirt".into()),
                description: Some("Show us the shirt you would wear every day. The community votes; the winning design gets printed.".into()),
                prize: Some("Your design printed by Threadline, plus 500 USD".into()),
                rules_text: Some(RULES.into()),
                rules_version: Some(rules_version(RULES)),
                min_age: Some(Some(13)),
                auto_approve: Some(false),
                form_schema: Some(json!({
                    "fields": {"name": "optional", "email": "required", "postal_code": "optional", "country": "optional"},
                    "marketing": {"text": "Send me news and offers from Threadline Apparel", "version": "2026-12-01"}
                })),
                ..Default::default()
            };
            let contest = contests::create(c, page.id, &slugify("Design your own shirt"), &fields)?;
            crate::domain::lifecycle::transition(c, contest.id, Some(admin), Status::Open, Utc::now(), &cipher)?;
            Ok(contest.slug)
        })
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Some(slug))
}

/// What to open, printed on the first run.
pub fn banner(public_url: &str, slug: &str) -> String {
    format!(
        "\nFanfare is running in sandbox mode (no Facebook needed).\n\
         \x20 Dashboard:  {public_url}/dashboard   (Sign in with Facebook, then pick \"Alex Rivera\")\n\
         \x20 Fan page:   {public_url}/c/{slug}\n\
         \x20 API docs:   {public_url}/api/docs/\n\
         \x20 Fake fans:  cargo run --release -- simulate\n"
    )
}
