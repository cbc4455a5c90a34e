//! Advocacy: how much a contact speaks for the brand. Computed in Postgres as a
//! generated column of `contact_metrics` (migration 000006); this is its
//! documentation and a reference implementation the tests compare against.
//!
//! ```text
//! advocacy = 5   × referral conversions   (friends who actually entered)
//!          + 0.2 × referral clicks        (attention they brought)
//!          + 0.5 × votes received          (support they rallied for their entries)
//!          + 2   × positive mentions       (mentions of the page with sentiment > 0.05)
//!          + 3   × max(0, mean UGC sentiment)   (how positive their entries are, 0..3)
//! ```
//!
//! Conversions weigh most because they are verified actions (Facebook's rules
//! favour them over shares); shares by themselves earn nothing here.

pub struct AdvocacyInputs {
    pub referral_conversions: f64,
    pub referral_clicks: f64,
    pub votes_received: f64,
    pub positive_mentions: f64,
    pub ugc_sentiment_mean: Option<f64>,
}

pub fn advocacy(i: &AdvocacyInputs) -> f64 {
    5.0 * i.referral_conversions
        + 0.2 * i.referral_clicks
        + 0.5 * i.votes_received
        + 2.0 * i.positive_mentions
        + 3.0 * i.ugc_sentiment_mean.unwrap_or(0.0).max(0.0)
}
