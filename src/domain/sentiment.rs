//! Sentiment of fan text (comments, posts, entry captions).
//!
//! Scoring is VADER (Hutto & Gilbert, ICWSM 2014), through the `vader-parity`
//! crate: the original lexicons and rule set, with output equal to Python
//! `vaderSentiment` 3.3.2 (the reference implementation). The score is VADER's
//! *compound* score in `[-1, 1]`, rounded to 4 decimals as the reference does.
//! VADER is English-only; other languages mostly score neutral.
//!
//! Nothing here is tuned: no word list of our own, no lexicon edits. The
//! accuracy measured against human ratings is in `BENCHMARKS.md` ("Sentiment
//! accuracy"), and a test below keeps a conservative floor on it.

use std::sync::LazyLock;

use vader_parity::SentimentIntensityAnalyzer;

/// Parsing the lexicons (about 11,000 lines) is done once per process.
static ANALYZER: LazyLock<SentimentIntensityAnalyzer> =
    LazyLock::new(SentimentIntensityAnalyzer::new);

/// Scores strictly above this are positive, strictly below its negation
/// negative, anything else neutral (the thresholds the VADER authors recommend).
pub const NEUTRAL_BAND: f64 = 0.05;

/// VADER compound score of `text`, in `[-1, 1]` (4 decimals). Total: empty or
/// unscoreable text is `0.0`.
pub fn score(text: &str) -> f64 {
    ANALYZER.polarity_scores(text).compound
}

/// Three-way sentiment class of a compound score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Polarity {
    /// score < -0.05
    Negative,
    /// -0.05 <= score <= 0.05 (and NaN)
    Neutral,
    /// score > 0.05
    Positive,
}

impl Polarity {
    pub fn as_str(self) -> &'static str {
        match self {
            Polarity::Negative => "negative",
            Polarity::Neutral => "neutral",
            Polarity::Positive => "positive",
        }
    }
}

impl std::fmt::Display for Polarity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Classify a compound score: negative `< -0.05 <=` neutral `<= 0.05 <` positive.
pub fn classify(score: f64) -> Polarity {
    if score > NEUTRAL_BAND {
        Polarity::Positive
    } else if score < -NEUTRAL_BAND {
        Polarity::Negative
    } else {
        Polarity::Neutral
    }
}

/// A running mean of scores that can be built in parts and merged (per
/// contact, per contest, per worker batch).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SentimentMean {
    pub sum: f64,
    pub count: u64,
}

impl SentimentMean {
    pub const fn new() -> Self {
        SentimentMean { sum: 0.0, count: 0 }
    }

    /// Add one score. Non-finite scores are ignored.
    pub fn add(&mut self, score: f64) {
        if score.is_finite() {
            self.sum += score;
            self.count += 1;
        }
    }

    /// Fold another partial mean into this one.
    pub fn merge(&mut self, other: &SentimentMean) {
        self.sum += other.sum;
        self.count += other.count;
    }

    /// The mean, or `None` when nothing was added.
    pub fn mean(&self) -> Option<f64> {
        (self.count > 0).then(|| self.sum / self.count as f64)
    }
}

impl Extend<f64> for SentimentMean {
    fn extend<I: IntoIterator<Item = f64>>(&mut self, iter: I) {
        for s in iter {
            self.add(s);
        }
    }
}

impl FromIterator<f64> for SentimentMean {
    fn from_iter<I: IntoIterator<Item = f64>>(iter: I) -> Self {
        let mut m = SentimentMean::new();
        m.extend(iter);
        m
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_vader_compound() {
        // The reference implementation's own README example.
        assert_eq!(score("VADER is smart, handsome, and funny."), 0.8316);
        assert!(score("This contest is a scam and the prize is garbage.") < -0.05);
        assert_eq!(score(""), 0.0);
        assert_eq!(score("the shirt is blue"), 0.0);
        for text in ["I LOVE it!!!", "worst. day. ever.", "😀", "\u{0}\u{ffff}"] {
            let s = score(text);
            assert!((-1.0..=1.0).contains(&s), "{text:?} -> {s}");
        }
    }

    #[test]
    fn classify_uses_the_vader_thresholds() {
        assert_eq!(classify(0.06), Polarity::Positive);
        assert_eq!(classify(0.05), Polarity::Neutral);
        assert_eq!(classify(0.0), Polarity::Neutral);
        assert_eq!(classify(-0.05), Polarity::Neutral);
        assert_eq!(classify(-0.0501), Polarity::Negative);
        assert_eq!(classify(f64::NAN), Polarity::Neutral);
        assert_eq!(Polarity::Negative.to_string(), "negative");
    }

    #[test]
    fn means_merge() {
        let mut a: SentimentMean = [0.5, -0.25].into_iter().collect();
        let b: SentimentMean = [1.0, f64::NAN].into_iter().collect();
        assert_eq!(b.count, 1);
        a.merge(&b);
        assert_eq!(
            a,
            SentimentMean {
                sum: 1.25,
                count: 3
            }
        );
        assert!((a.mean().unwrap() - 1.25 / 3.0).abs() < 1e-12);
        assert_eq!(SentimentMean::new().mean(), None);
    }

    fn pearson(xs: &[f64], ys: &[f64]) -> f64 {
        let n = xs.len() as f64;
        let mx = xs.iter().sum::<f64>() / n;
        let my = ys.iter().sum::<f64>() / n;
        let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
        for (x, y) in xs.iter().zip(ys) {
            sxy += (x - mx) * (y - my);
            sxx += (x - mx) * (x - mx);
            syy += (y - my) * (y - my);
        }
        sxy / (sxx * syy).sqrt()
    }

    fn macro_f1(truth: &[Polarity], predicted: &[Polarity]) -> f64 {
        let classes = [Polarity::Negative, Polarity::Neutral, Polarity::Positive];
        let mut total = 0.0;
        for c in classes {
            let pairs = truth.iter().zip(predicted);
            let tp = pairs.clone().filter(|(t, p)| **t == c && **p == c).count() as f64;
            let fp = pairs.clone().filter(|(t, p)| **t != c && **p == c).count() as f64;
            let fneg = pairs.filter(|(t, p)| **t == c && **p != c).count() as f64;
            let precision = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
            let recall = if tp + fneg > 0.0 {
                tp / (tp + fneg)
            } else {
                0.0
            };
            if precision + recall > 0.0 {
                total += 2.0 * precision * recall / (precision + recall);
            }
        }
        total / classes.len() as f64
    }

    #[test]
    fn metric_helpers_are_right() {
        assert!((pearson(&[1.0, 2.0, 3.0], &[2.0, 4.0, 6.0]) - 1.0).abs() < 1e-12);
        assert!((pearson(&[1.0, 2.0, 3.0], &[3.0, 2.0, 1.0]) + 1.0).abs() < 1e-12);
        use Polarity::*;
        assert_eq!(
            macro_f1(
                &[Negative, Neutral, Positive],
                &[Negative, Neutral, Positive]
            ),
            1.0
        );
        // Negative: P=1 R=1/2 F=2/3; Neutral: P=1/2 R=1 F=2/3; Positive: F=1.
        let f = macro_f1(
            &[Negative, Negative, Positive],
            &[Negative, Neutral, Positive],
        );
        assert!((f - (2.0 / 3.0 + 0.0 + 1.0) / 3.0).abs() < 1e-12, "{f}");
    }

    /// Accuracy against human ratings: the VADER authors' Amazon review
    /// snippets (tests/fixtures/sentiment/README.md). Prints the figures
    /// (`cargo test --lib sentiment_accuracy -- --nocapture`) and fails only
    /// when scoring is clearly broken. The measured numbers live in BENCHMARKS.md.
    #[test]
    fn sentiment_accuracy_on_amazon_review_snippets() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/sentiment/amazon_review_snippets.tsv"
        );
        let data = std::fs::read_to_string(path).expect("fixture is readable");
        let (mut human, mut machine) = (Vec::new(), Vec::new());
        for (n, line) in data.lines().enumerate() {
            let mut cols = line.splitn(3, '\t');
            let (_id, rating, text) = (cols.next(), cols.next(), cols.next());
            let rating: f64 = rating
                .and_then(|r| r.trim().parse().ok())
                .unwrap_or_else(|| panic!("line {}: bad rating", n + 1));
            let text = text.unwrap_or_else(|| panic!("line {}: no text", n + 1));
            human.push(rating);
            machine.push(score(text));
        }
        assert_eq!(human.len(), 3708, "the fixture has 3,708 rows");

        let r = pearson(&machine, &human);
        let truth: Vec<Polarity> = human.iter().map(|h| classify(h / 4.0)).collect();
        let predicted: Vec<Polarity> = machine.iter().map(|s| classify(*s)).collect();
        let f1 = macro_f1(&truth, &predicted);
        let accuracy = truth.iter().zip(&predicted).filter(|(t, p)| t == p).count() as f64
            / truth.len() as f64;
        println!(
            "sentiment accuracy on {} amazon review snippets: pearson r = {r:.4}, \
             3-class macro F1 = {f1:.4} (accuracy {accuracy:.4})",
            human.len()
        );
        assert!(
            r > 0.5,
            "pearson r {r} fell below the floor: scoring is broken"
        );
        assert!(
            f1 > 0.4,
            "macro F1 {f1} fell below the floor: scoring is broken"
        );
    }
}
