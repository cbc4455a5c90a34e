//! `fanfare simulate`: drives simulated fans through Fanfare's real HTTP endpoints
//! and the sandbox's webhook sender, so the three personas show up in the CRM.
//!
//! - campaigners log in with Facebook, enter, share, bring friends through their
//!   referral link (when the fan page offers one) and have votes rallied for them;
//! - assistants enter through the form with few optional fields, or vote;
//! - side-liners open the fan page (through the page tab) and at most comment or
//!   react on the page; they never enter or vote.
//!
//! - poll fans (`--poll-fans N`) only take part in a pre-launch prize poll of a
//!   second contest: one suggests a prize, the admin approves it, all vote on it.
//!   Taking part in the poll makes them participants (assistants) without entering.
//!
//! With `--finish` the UGC contest is then run to its end: closed, winners picked
//! by votes, and announced. It needs a running Fanfare in sandbox mode
//! (`cargo run --release`); the counts set its size (the tests use a few fans).

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{bail, Context};
use futures::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};

use crate::config::Settings;
use crate::platform::facebook::signed_request::sign;
use crate::platform::sandbox::seed::{ADMIN_ALEX, BRAND_PAGE, FIRST_FAN};

#[derive(Debug, Clone)]
pub struct Options {
    pub url: String,
    pub campaigners: usize,
    pub assistants: usize,
    pub side_liners: usize,
    /// Fraction of assistants who vote instead of entering.
    pub vote_rate: f64,
    /// Fraction of side-liners who comment or react on the page.
    pub comment_rate: f64,
    /// Votes rallied for each campaigner's entry.
    pub rally: usize,
    /// Fans who only take part in a prize poll (suggest or vote).
    pub poll_fans: usize,
    /// Close the contest, pick winners by votes and announce them.
    pub finish: bool,
    pub seed: u64,
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("fanfare-simulate/1.0")
        .timeout(Duration::from_secs(30))
        .build()
        .expect("http client")
}

fn query_of(url: &str) -> HashMap<String, String> {
    url::Url::parse(url)
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default()
}

fn absolute(base: &str, location: &str) -> String {
    if location.starts_with("http") {
        location.to_string()
    } else {
        format!("{base}{location}")
    }
}

/// Runs a Facebook login through the sandbox dialog; the client keeps the cookies.
async fn login(base: &str, c: &reqwest::Client, start: &str, user_id: &str) -> anyhow::Result<()> {
    let r = c.get(format!("{base}{start}")).send().await?;
    let dialog = r
        .headers()
        .get("location")
        .context("login did not redirect")?
        .to_str()?
        .to_string();
    let q = query_of(&absolute(base, &dialog));
    let r = c
        .post(format!("{base}/sandbox/dialog/oauth/decide"))
        .form(&[
            ("client_id", q.get("client_id").cloned().unwrap_or_default()),
            (
                "redirect_uri",
                q.get("redirect_uri").cloned().unwrap_or_default(),
            ),
            ("state", q.get("state").cloned().unwrap_or_default()),
            ("scope", q.get("scope").cloned().unwrap_or_default()),
            ("user_id", user_id.to_string()),
            ("grant", "email".into()),
            ("grant", "user_friends".into()),
            ("action", "allow".into()),
        ])
        .send()
        .await?;
    let callback = r
        .headers()
        .get("location")
        .context("dialog did not redirect")?
        .to_str()?
        .to_string();
    let r = c.get(absolute(base, &callback)).send().await?;
    if r.status() != 302 {
        bail!("login callback answered {}", r.status());
    }
    Ok(())
}

fn between<'a>(html: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let i = html.find(start)? + start.len();
    Some(&html[i..i + html[i..].find(end)?])
}

/// Opens the fan page; returns the CSRF token and the referral link (if any).
async fn open_page(
    base: &str,
    c: &reqwest::Client,
    slug: &str,
) -> anyhow::Result<(String, Option<String>)> {
    let html = c
        .get(format!("{base}/c/{slug}"))
        .send()
        .await?
        .text()
        .await?;
    let csrf = between(&html, "name=\"csrf_token\" value=\"", "\"")
        .context("no form on the fan page")?
        .to_string();
    // The fan's own part (invite link included) is loaded by the page, as a
    // browser would.
    let mine = c
        .get(format!("{base}/c/{slug}/me"))
        .header("HX-Request", "true")
        .send()
        .await?
        .text()
        .await?;
    let referral = between(&mine, "id=\"ref-link\" value=\"", "\"").map(str::to_string);
    Ok((csrf, referral))
}

async fn enter(
    base: &str,
    c: &reqwest::Client,
    slug: &str,
    csrf: &str,
    fields: &[(&str, String)],
) -> anyhow::Result<Option<i64>> {
    let mut form: Vec<(&str, String)> = vec![
        ("csrf_token", csrf.to_string()),
        ("accept_rules", "on".into()),
    ];
    form.extend(fields.iter().cloned());
    let r = c
        .post(format!("{base}/c/{slug}/enter"))
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await?;
    if r.status() == 201 {
        let v: Value = r.json().await?;
        return Ok(v["entry"]["id"].as_i64());
    }
    Ok(None)
}

async fn sandbox(base: &str, c: &reqwest::Client, path: &str, body: Value) -> anyhow::Result<()> {
    c.post(format!("{base}/sandbox/admin/{path}"))
        .json(&body)
        .send()
        .await?;
    Ok(())
}

const IDEAS: &[&str] = &[
    "A mountain sunrise in two colours, I love it",
    "Retro cassette tape with our city's skyline",
    "Minimal wave line, clean and calm",
    "A cat astronaut, because why not",
    "Hand-drawn coffee cup with steam hearts",
    "Bold typography: Make Things",
];

pub async fn run(settings: &Settings, o: Options) -> anyhow::Result<()> {
    let base = o.url.trim_end_matches('/').to_string();
    let total = o.campaigners + o.assistants + o.side_liners + o.poll_fans;
    let fans_needed = total + o.campaigners * 2;
    if fans_needed as u32 > settings.sandbox.fans {
        bail!(
            "the sandbox has {} fans; this run needs {fans_needed}",
            settings.sandbox.fans
        );
    }
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut ids: Vec<String> = (0..settings.sandbox.fans)
        .map(|i| (FIRST_FAN + u64::from(i)).to_string())
        .collect();
    ids.shuffle(&mut rng);
    let mut ids = ids.into_iter();

    // The admin: sign in, find (or open) a UGC contest on the brand page.
    let admin = client();
    login(&base, &admin, "/auth/facebook/login", ADMIN_ALEX)
        .await
        .context("admin sign-in (is Fanfare running in sandbox mode?)")?;
    let token = admin
        .get(format!("{base}/api/v1/me"))
        .send()
        .await?
        .json::<Value>()
        .await?;
    let page_id = token["pages"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["fb_page_id"] == BRAND_PAGE))
        .and_then(|p| p["id"].as_i64())
        .context("the brand page is not installed")?;
    let csrf_admin = token["csrf_token"].as_str().unwrap_or_default().to_string();
    let contests: Value = admin
        .get(format!("{base}/api/v1/contests?page_id={page_id}"))
        .send()
        .await?
        .json()
        .await?;
    let slug = match contests["data"].as_array().and_then(|l| {
        l.iter()
            .find(|c| c["kind"] == "ugc" && c["effective_status"] == "open")
            .and_then(|c| c["slug"].as_str().map(str::to_string))
    }) {
        Some(s) => s,
        None => {
            let c: Value = admin
                .post(format!("{base}/api/v1/contests"))
                .header("x-csrf-token", &csrf_admin)
                .json(&json!({"page_id": page_id, "kind": "ugc", "title": "Design your own shirt",
                    "rules_text": "Simulated contest. One entry per person.", "auto_approve": true}))
                .send()
                .await?
                .json()
                .await?;
            admin
                .post(format!("{base}/api/v1/contests/{}/transition", c["id"]))
                .header("x-csrf-token", &csrf_admin)
                .json(&json!({"to": "open"}))
                .send()
                .await?;
            c["slug"]
                .as_str()
                .context("contest not created")?
                .to_string()
        }
    };
    let bar = ProgressBar::new(total as u64);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {bar:40} {pos}/{len} fans  {msg}",
    )?);
    let mut summary: HashMap<&str, usize> = HashMap::new();

    // Campaigners: log in, enter, share, bring friends.
    bar.set_message("campaigners");
    let mut campaigner_entries = Vec::new();
    for _ in 0..o.campaigners {
        let id = ids.next().context("out of fans")?;
        let c = client();
        login(
            &base,
            &c,
            &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/{slug}"),
            &id,
        )
        .await?;
        let (csrf, _) = open_page(&base, &c, &slug).await?;
        let idea = IDEAS[rng.gen_range(0..IDEAS.len())];
        let fields = vec![
            ("email", format!("fan{id}@example.com")),
            ("name", format!("Fan {id}")),
            ("text", idea.to_string()),
        ];
        if let Some(entry) = enter(&base, &c, &slug, &csrf, &fields).await? {
            campaigner_entries.push(entry);
            *summary.entry("entries").or_default() += 1;
        }
        // The invite link is offered once the fan has entered.
        let (_, referral) = open_page(&base, &c, &slug).await?;
        sandbox(&base, &c, "shares", json!({"post_id": format!("{BRAND_PAGE}_555"), "user_id": id, "message": "Enter this contest!"})).await?;
        *summary.entry("shares").or_default() += 1;
        // Friends who click the referral link and enter.
        if let Some(link) = referral {
            for _ in 0..2 {
                let friend = ids.next().context("out of fans")?;
                let f = client();
                f.get(absolute(&base, &link)).send().await?;
                let (fcsrf, _) = open_page(&base, &f, &slug).await?;
                let fields = vec![
                    ("email", format!("friend{friend}@example.com")),
                    ("text", "My friend sent me!".to_string()),
                ];
                if enter(&base, &f, &slug, &fcsrf, &fields).await?.is_some() {
                    *summary.entry("referred entries").or_default() += 1;
                }
            }
        }
        bar.inc(1);
    }

    // Assistants: enter quietly through the form, or vote.
    bar.set_message("assistants");
    let mut voters = Vec::new();
    for _ in 0..o.assistants {
        let id = ids.next().context("out of fans")?;
        if rng.gen_bool(o.vote_rate.clamp(0.0, 1.0)) {
            voters.push(id);
        } else {
            let c = client();
            let (csrf, _) = open_page(&base, &c, &slug).await?;
            let fields = vec![
                ("email", format!("quiet{id}@example.com")),
                ("text", IDEAS[rng.gen_range(0..IDEAS.len())].to_string()),
            ];
            if enter(&base, &c, &slug, &csrf, &fields).await?.is_some() {
                *summary.entry("entries").or_default() += 1;
            }
            bar.inc(1);
        }
    }
    // Approve what is pending so votes can count.
    let pending: Value = admin
        .get(format!("{base}/api/v1/contests?page_id={page_id}"))
        .send()
        .await?
        .json()
        .await?;
    if let Some(contest) = pending["data"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["slug"] == slug.as_str()))
    {
        let cid = contest["id"].as_i64().unwrap_or_default();
        let list: Value = admin
            .get(format!(
                "{base}/api/v1/contests/{cid}/entries?status=pending&limit=500"
            ))
            .send()
            .await?
            .json()
            .await?;
        let ids: Vec<i64> = list["data"]
            .as_array()
            .map(|l| l.iter().filter_map(|e| e["id"].as_i64()).collect())
            .unwrap_or_default();
        if !ids.is_empty() {
            admin
                .post(format!("{base}/api/v1/contests/{cid}/entries/moderation"))
                .header("x-csrf-token", &csrf_admin)
                .json(&json!({"status": "approved", "entry_ids": ids}))
                .send()
                .await?;
        }
    }
    // Voters rally behind campaigners' entries (several per entry).
    let votes = futures::stream::iter(voters.into_iter().enumerate().map(|(i, id)| {
        let (base, slug) = (base.clone(), slug.clone());
        let targets: Vec<i64> = (0..o.rally.max(1))
            .filter_map(|k| {
                campaigner_entries
                    .get((i + k) % campaigner_entries.len().max(1))
                    .copied()
            })
            .collect();
        async move {
            let c = client();
            login(
                &base,
                &c,
                &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/{slug}"),
                &id,
            )
            .await?;
            let (csrf, _) = open_page(&base, &c, &slug).await?;
            let mut n = 0;
            for t in targets {
                let r = c
                    .post(format!("{base}/c/{slug}/vote/{t}"))
                    .header("accept", "application/json")
                    .form(&[("csrf_token", csrf.as_str())])
                    .send()
                    .await?;
                if r.status() == 200 {
                    n += 1;
                }
            }
            anyhow::Ok(n)
        }
    }))
    .buffer_unordered(4)
    .collect::<Vec<_>>()
    .await;
    for v in votes {
        *summary.entry("votes").or_default() += v?;
        bar.inc(1);
    }

    // Side-liners: see the page through the tab; some comment or react on it.
    bar.set_message("side-liners");
    for _ in 0..o.side_liners {
        let id = ids.next().context("out of fans")?;
        let sr = sign(
            &json!({"algorithm": "HMAC-SHA256", "issued_at": chrono::Utc::now().timestamp(), "user_id": id,
                    "page": {"id": BRAND_PAGE, "liked": rng.gen_bool(0.5)}}),
            settings.facebook.app_secret.expose().as_bytes(),
        );
        let c = client();
        c.post(format!("{base}/tab"))
            .form(&[("signed_request", sr)])
            .send()
            .await?;
        if rng.gen_bool(o.comment_rate.clamp(0.0, 1.0)) {
            if rng.gen_bool(0.5) {
                sandbox(&base, &c, "comments", json!({"post_id": format!("{BRAND_PAGE}_557"), "user_id": id, "message": "Nice, following this one"})).await?;
                *summary.entry("page comments").or_default() += 1;
            } else {
                sandbox(&base, &c, "reactions", json!({"post_id": format!("{BRAND_PAGE}_557"), "user_id": id, "reaction_type": "like"})).await?;
                *summary.entry("page reactions").or_default() += 1;
            }
        }
        bar.inc(1);
    }

    // Poll fans: a prize poll before the launch of the next contest.
    if o.poll_fans > 0 {
        bar.set_message("prize poll");
        let poll_ids: Vec<String> = (0..o.poll_fans)
            .map(|_| ids.next().context("out of fans"))
            .collect::<anyhow::Result<_>>()?;
        let n = prize_poll(&base, &admin, &csrf_admin, page_id, &poll_ids).await?;
        *summary.entry("poll suggestions").or_default() += n.0;
        *summary.entry("poll votes").or_default() += n.1;
        bar.inc(o.poll_fans as u64);
    }
    bar.finish_and_clear();

    // Let webhooks arrive and the queue drain, then ask for the segments.
    admin
        .post(format!("{base}/sandbox/admin/flush"))
        .send()
        .await?;
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let metrics = admin
            .get(format!("{base}/metrics"))
            .send()
            .await?
            .text()
            .await?;
        let ready = metrics
            .lines()
            .find(|l| l.starts_with("fanfare_jobs_queue_depth{state=\"ready\"}"))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0);
        if ready == 0 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let winners = if o.finish {
        Some(finish(&base, &admin, &csrf_admin, page_id, &slug).await?)
    } else {
        None
    };
    let sizes: Value = admin
        .post(format!("{base}/api/v1/segments/recompute"))
        .header("x-csrf-token", &csrf_admin)
        .json(&json!({"page_id": page_id}))
        .send()
        .await?
        .json()
        .await?;
    println!(
        "Simulated {total} fans on {base}/c/{slug} (seed {})",
        o.seed
    );
    let mut keys: Vec<_> = summary.into_iter().collect();
    keys.sort();
    for (k, v) in keys {
        println!("  {k:<18} {v}");
    }
    if let Some(w) = winners {
        println!("Contest {slug}: {}", w);
    }
    println!("Segments:");
    for key in ["campaigner", "assistant", "side_liner"] {
        println!("  {key:<18} {}", sizes["sizes"][key].as_i64().unwrap_or(0));
    }
    Ok(())
}

/// Admin API call with the session cookie and CSRF header; fails on an error status.
async fn admin_call(
    base: &str,
    admin: &reqwest::Client,
    csrf: &str,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    let r = admin
        .post(format!("{base}{path}"))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await?;
    let status = r.status();
    let v: Value = r.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!("POST {path} answered {status}: {v}");
    }
    Ok(v)
}

/// A second contest in `prize_poll`: the first fan suggests a prize, the admin
/// approves it, every fan votes for it. Returns (suggestions, votes) counted.
async fn prize_poll(
    base: &str,
    admin: &reqwest::Client,
    admin_csrf: &str,
    page_id: i64,
    fans: &[String],
) -> anyhow::Result<(usize, usize)> {
    let contest = admin_call(
        base,
        admin,
        admin_csrf,
        "/api/v1/contests",
        json!({"page_id": page_id, "kind": "ugc", "title": "Next season's shirt",
               "rules_text": "Simulated contest. One entry per person.",
               "prize": "Chosen by the fans"}),
    )
    .await?;
    let cid = contest["id"].as_i64().context("contest not created")?;
    let slug = contest["slug"]
        .as_str()
        .context("contest has no slug")?
        .to_string();
    let closes_at = (chrono::Utc::now() + chrono::Duration::days(7)).to_rfc3339();
    admin_call(
        base,
        admin,
        admin_csrf,
        &format!("/api/v1/contests/{cid}/poll"),
        json!({"budget": 500, "currency": "USD", "closes_at": closes_at}),
    )
    .await?;
    let mut suggestion: Option<i64> = None;
    let mut votes = 0;
    for id in fans {
        let c = client();
        login(
            base,
            &c,
            &format!("/auth/fan/login?page={BRAND_PAGE}&return_to=/c/{slug}"),
            id,
        )
        .await?;
        let (csrf, _) = open_page(base, &c, &slug).await?;
        let sid = match suggestion {
            Some(sid) => sid,
            None => {
                let r: Value = c
                    .post(format!("{base}/c/{slug}/poll/suggest"))
                    .header("accept", "application/json")
                    .form(&[
                        ("csrf_token", csrf.as_str()),
                        ("title", "Festival tickets for two"),
                        ("value", "200"),
                        ("url", ""),
                    ])
                    .send()
                    .await?
                    .json()
                    .await?;
                let sid = r["suggestion"]["id"]
                    .as_i64()
                    .with_context(|| format!("suggestion refused: {r}"))?;
                admin_call(
                    base,
                    admin,
                    admin_csrf,
                    &format!("/api/v1/suggestions/{sid}/moderation"),
                    json!({"status": "approved"}),
                )
                .await?;
                suggestion = Some(sid);
                sid
            }
        };
        let r: Value = c
            .post(format!("{base}/c/{slug}/poll/vote/{sid}"))
            .header("accept", "application/json")
            .form(&[("csrf_token", csrf.as_str())])
            .send()
            .await?
            .json()
            .await
            .unwrap_or(Value::Null);
        if r["status"] == "counted" {
            votes += 1;
        }
    }
    Ok((usize::from(suggestion.is_some()), votes))
}

/// Runs the contest to its end: closed, one winner by votes, announced. Returns
/// a line describing the outcome.
async fn finish(
    base: &str,
    admin: &reqwest::Client,
    admin_csrf: &str,
    page_id: i64,
    slug: &str,
) -> anyhow::Result<String> {
    let contests: Value = admin
        .get(format!("{base}/api/v1/contests?page_id={page_id}"))
        .send()
        .await?
        .json()
        .await?;
    let cid = contests["data"]
        .as_array()
        .and_then(|l| l.iter().find(|c| c["slug"] == slug))
        .and_then(|c| c["id"].as_i64())
        .context("the contest is gone")?;
    admin_call(
        base,
        admin,
        admin_csrf,
        &format!("/api/v1/contests/{cid}/transition"),
        json!({"to": "closed"}),
    )
    .await?;
    admin_call(
        base,
        admin,
        admin_csrf,
        &format!("/api/v1/contests/{cid}/draw"),
        json!({"method": "votes", "winners": 1, "alternates": 1}),
    )
    .await?;
    admin_call(
        base,
        admin,
        admin_csrf,
        &format!("/api/v1/contests/{cid}/announce"),
        json!({}),
    )
    .await?;
    let winners: Value = admin
        .get(format!("{base}/api/v1/contests/{cid}/winners"))
        .send()
        .await?
        .json()
        .await?;
    let n = winners["winners"].as_array().map_or(0, Vec::len);
    Ok(format!("closed, {n} winner(s) by votes, announced"))
}
