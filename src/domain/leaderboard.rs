//! Rankings for leaderboards and for winners chosen by votes, points or judges.
//! Every ranking is a total order, so the same data always gives the same list:
//!
//! - **By votes** (entries): more non-voided votes first; on a tie, the earlier
//!   entry (lower entry id) first.
//! - **By points** (people): higher balance first; on a tie, the person whose
//!   first entry came earlier first (lower entry id; people without an entry
//!   after those with one); then the lower contact id.
//! - **By judges** (entries): higher average score first (all scores of all
//!   judges on all criteria, equally weighted); on a tie, more scores first
//!   (a fuller judgement), then the earlier entry. Unscored entries are not
//!   ranked.
//!
//! "Earlier wins the tie" rewards the people who took part first, is known to
//! everyone in advance, and cannot be influenced after the contest closes.

use std::cmp::Ordering;

use crate::db::draws::Scored;
use crate::db::points::BalanceRow;

pub fn by_votes(entries: &mut [Scored]) {
    entries.sort_by(|a, b| b.votes.cmp(&a.votes).then(a.entry_id.cmp(&b.entry_id)));
}

pub fn by_points(rows: &mut [BalanceRow]) {
    rows.sort_by(|a, b| {
        b.points
            .cmp(&a.points)
            .then_with(|| match (a.first_entry_id, b.first_entry_id) {
                (Some(x), Some(y)) => x.cmp(&y),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            })
            .then(a.contact_id.cmp(&b.contact_id))
    });
}

/// Drops unscored entries and ranks the rest.
pub fn by_judges(entries: Vec<Scored>) -> Vec<Scored> {
    let mut scored: Vec<Scored> = entries
        .into_iter()
        .filter(|e| e.judge_scores > 0 && e.judge_average.is_some())
        .collect();
    scored.sort_by(|a, b| {
        let (x, y) = (
            a.judge_average.unwrap_or(0.0),
            b.judge_average.unwrap_or(0.0),
        );
        y.partial_cmp(&x)
            .unwrap_or(Ordering::Equal)
            .then(b.judge_scores.cmp(&a.judge_scores))
            .then(a.entry_id.cmp(&b.entry_id))
    });
    scored
}

/// Walks a ranking and keeps each person's best-ranked item only, up to `n`:
/// one person never takes two prizes.
pub fn distinct_people<T>(ranked: &[T], person: impl Fn(&T) -> i64, n: usize) -> Vec<&T> {
    let mut seen = std::collections::HashSet::new();
    ranked
        .iter()
        .filter(|item| seen.insert(person(item)))
        .take(n)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(entry_id: i64, contact_id: i64, votes: i64, avg: Option<f64>, n: i64) -> Scored {
        Scored {
            entry_id,
            contact_id,
            votes,
            judge_average: avg,
            judge_scores: n,
            author: None,
        }
    }

    #[test]
    fn votes_ties_go_to_the_earlier_entry() {
        let mut e = vec![
            s(5, 1, 3, None, 0),
            s(2, 2, 3, None, 0),
            s(9, 3, 7, None, 0),
        ];
        by_votes(&mut e);
        let ids: Vec<i64> = e.iter().map(|x| x.entry_id).collect();
        assert_eq!(ids, [9, 2, 5]);
    }

    #[test]
    fn points_ties_go_to_the_earlier_entrant_then_the_lower_contact() {
        let row = |contact_id, points, first_entry_id| BalanceRow {
            contact_id,
            points,
            first_entry_id,
            display_name: None,
        };
        let mut r = vec![
            row(4, 10, None),
            row(3, 10, Some(8)),
            row(2, 10, Some(6)),
            row(1, 10, None),
            row(9, 50, Some(99)),
        ];
        by_points(&mut r);
        let ids: Vec<i64> = r.iter().map(|x| x.contact_id).collect();
        assert_eq!(ids, [9, 2, 3, 1, 4]);
    }

    #[test]
    fn judges_rank_by_average_then_fullness_then_entry() {
        let ranked = by_judges(vec![
            s(1, 1, 0, Some(7.0), 2),
            s(2, 2, 0, Some(8.5), 2),
            s(3, 3, 0, Some(7.0), 4),
            s(4, 4, 0, None, 0),
            s(5, 5, 0, Some(7.0), 4),
        ]);
        let ids: Vec<i64> = ranked.iter().map(|x| x.entry_id).collect();
        assert_eq!(ids, [2, 3, 5, 1]);
    }

    #[test]
    fn one_prize_per_person() {
        let ranked = vec![(1, 10), (2, 10), (3, 20), (4, 30)];
        let picked = distinct_people(&ranked, |x| x.1, 3);
        assert_eq!(picked, vec![&(1, 10), &(3, 20), &(4, 30)]);
    }
}
