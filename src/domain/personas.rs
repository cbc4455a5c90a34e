//! The three personas of the seed, as rule trees in the segment rule language
//! (`domain::segment_rules`), with thresholds from `[segments]` config.
//!
//! - **participated**: entries ≥ 1, or votes cast ≥ 1, or prize-poll actions ≥ 1
//!   (suggesting or voting before launch counts as taking part).
//! - **promoted** (in public): referral clicks ≥ `campaigner_min_referral_clicks`,
//!   or referral conversions ≥ `campaigner_min_referral_conversions`, or votes
//!   received ≥ `campaigner_min_votes_received` (rallied), or points ≥
//!   `campaigner_min_points`, or shares ≥ `campaigner_min_shares`.
//! - **campaigner** = participated AND promoted.
//! - **assistant** = participated AND NOT promoted: they take part but keep it private.
//! - **side_liner** = seen (fan page views, comments, reactions or mentions ≥ 1)
//!   AND NOT participated: they watch but never entered or voted.
//!
//! The three are mutually exclusive by construction.

use serde_json::{json, Value};

use crate::config::SegmentSettings;

pub const CAMPAIGNER: &str = "campaigner";
pub const ASSISTANT: &str = "assistant";
pub const SIDE_LINER: &str = "side_liner";

pub struct Persona {
    pub key: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    pub rule: Value,
}

fn participated() -> Value {
    json!({"any": [
        {"field": "entries", "op": "gte", "value": 1},
        {"field": "votes_cast", "op": "gte", "value": 1},
        {"field": "poll_actions", "op": "gte", "value": 1}
    ]})
}

fn promoted(s: &SegmentSettings) -> Value {
    json!({"any": [
        {"field": "referral_clicks", "op": "gte", "value": s.campaigner_min_referral_clicks},
        {"field": "referral_conversions", "op": "gte", "value": s.campaigner_min_referral_conversions},
        {"field": "votes_received", "op": "gte", "value": s.campaigner_min_votes_received},
        {"field": "points", "op": "gte", "value": s.campaigner_min_points},
        {"field": "shares", "op": "gte", "value": s.campaigner_min_shares}
    ]})
}

pub fn personas(s: &SegmentSettings) -> Vec<Persona> {
    vec![
        Persona {
            key: CAMPAIGNER,
            name: "Campaigners",
            description: "Entered or voted, and promoted the contest in public: referrals, rallied votes, points or shares. Reward them with points and incentives.",
            rule: json!({"all": [participated(), promoted(s)]}),
        },
        Persona {
            key: ASSISTANT,
            name: "Assistants",
            description: "Entered or voted, but keep their activity private. Win them with clear rules, optional fields and visible data safety.",
            rule: json!({"all": [participated(), {"not": promoted(s)}]}),
        },
        Persona {
            key: SIDE_LINER,
            name: "Side-liners",
            description: "Saw the contest (page views, comments, reactions) but never entered or voted. Reach them with a prize poll before launch.",
            rule: json!({"all": [
                {"any": [
                    {"field": "page_views", "op": "gte", "value": 1},
                    {"field": "comments", "op": "gte", "value": 1},
                    {"field": "reactions", "op": "gte", "value": 1},
                    {"field": "mentions", "op": "gte", "value": 1}
                ]},
                {"not": participated()}
            ]}),
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::segment_rules::{ContactFacts, Rule};
    use std::collections::HashMap;

    struct Facts(HashMap<&'static str, f64>);
    impl ContactFacts for Facts {
        fn text(&self, _: &str) -> Option<&str> {
            None
        }
        fn number(&self, f: &str) -> Option<f64> {
            Some(*self.0.get(f).unwrap_or(&0.0))
        }
        fn boolean(&self, _: &str) -> Option<bool> {
            None
        }
    }

    fn settings() -> SegmentSettings {
        SegmentSettings {
            campaigner_min_referral_clicks: 1,
            campaigner_min_referral_conversions: 1,
            campaigner_min_votes_received: 3,
            campaigner_min_points: 50,
            campaigner_min_shares: 1,
        }
    }

    fn classify(facts: &[(&'static str, f64)]) -> Vec<&'static str> {
        let f = Facts(facts.iter().cloned().collect());
        personas(&settings())
            .into_iter()
            .filter(|p| Rule::parse(&p.rule).unwrap().evaluate(&f))
            .map(|p| p.key)
            .collect()
    }

    #[test]
    fn every_persona_rule_parses_and_they_are_exclusive() {
        assert_eq!(
            classify(&[("entries", 1.0), ("referral_clicks", 2.0)]),
            vec![CAMPAIGNER]
        );
        assert_eq!(
            classify(&[("votes_cast", 4.0), ("votes_received", 3.0)]),
            vec![CAMPAIGNER]
        );
        assert_eq!(
            classify(&[("entries", 1.0), ("votes_received", 2.0)]),
            vec![ASSISTANT]
        );
        assert_eq!(classify(&[("poll_actions", 1.0)]), vec![ASSISTANT]);
        assert_eq!(
            classify(&[("page_views", 3.0), ("comments", 1.0)]),
            vec![SIDE_LINER]
        );
        assert!(
            classify(&[]).is_empty(),
            "unseen contacts are in no persona"
        );
        assert!(
            classify(&[("shares", 2.0)]).is_empty(),
            "promotion without participation is not a persona"
        );
    }
}
