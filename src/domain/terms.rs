//! Top terms and hashtags in user-generated text, with stopwords removed per
//! language (the `stop-words` lists; the writer's locale picks the language, and
//! English is used when it is unknown).

use std::collections::HashMap;

/// (term, count), most frequent first.
pub type Ranked = Vec<(String, i64)>;

/// Counts terms and hashtags over `(text, locale)` pairs; returns the top `n` of each.
pub fn top_terms<'a>(
    texts: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
    n: usize,
) -> (Ranked, Ranked) {
    let mut terms: HashMap<String, i64> = HashMap::new();
    let mut tags: HashMap<String, i64> = HashMap::new();
    for (text, locale) in texts {
        let lang = locale
            .and_then(|l| l.split(['_', '-']).next())
            .map(str::to_ascii_lowercase)
            .unwrap_or_else(|| "en".into());
        let stop = stop_words::lookup(&lang)
            .or_else(|| stop_words::lookup("en"))
            .unwrap_or(&[]);
        for raw in text.split(|c: char| !(c.is_alphanumeric() || c == '#' || c == '\'')) {
            if let Some(tag) = raw.strip_prefix('#') {
                let tag: String = tag
                    .chars()
                    .filter(|c| c.is_alphanumeric())
                    .collect::<String>()
                    .to_lowercase();
                if tag.chars().count() >= 2 {
                    *tags.entry(format!("#{tag}")).or_default() += 1;
                }
                continue;
            }
            let word = raw.trim_matches('\'').to_lowercase();
            if word.chars().count() < 3
                || word.chars().all(|c| c.is_numeric())
                || word.contains('#')
            {
                continue;
            }
            if stop.contains(&word.as_str()) {
                continue;
            }
            *terms.entry(word).or_default() += 1;
        }
    }
    (top(terms, n), top(tags, n))
}

fn top(map: HashMap<String, i64>, n: usize) -> Vec<(String, i64)> {
    let mut v: Vec<_> = map.into_iter().collect();
    // Most frequent first; ties alphabetical so results are stable.
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v.truncate(n);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_are_removed_per_language_and_hashtags_counted() {
        let texts = [
            (
                "I love the new shirt and the colours! #ShirtDesign",
                Some("en_US"),
            ),
            (
                "The shirt is great, love it #shirtdesign #Fanfare",
                Some("en_GB"),
            ),
            ("Me encanta la camiseta y los colores", Some("es_ES")),
            ("la camiseta es genial", Some("es_ES")),
        ];
        let (terms, tags) = top_terms(texts.iter().map(|(t, l)| (*t, *l)), 5);
        assert_eq!(terms[0], ("camiseta".into(), 2));
        assert!(terms.contains(&("shirt".into(), 2)));
        assert!(terms.contains(&("love".into(), 2)));
        for stop in ["the", "and", "la", "los", "es", "it"] {
            assert!(
                !terms.iter().any(|(t, _)| t == stop),
                "{stop} is a stopword"
            );
        }
        assert_eq!(tags[0], ("#shirtdesign".into(), 2));
        assert_eq!(tags[1], ("#fanfare".into(), 1));
    }

    #[test]
    fn hostile_and_empty_text_is_harmless() {
        let (terms, tags) = top_terms(
            [
                ("", None),
                ("<script>alert(1)</script> ####", None),
                ("\u{0}\u{202e}", None),
            ],
            10,
        );
        assert!(tags.is_empty());
        assert!(terms.iter().all(|(t, _)| !t.contains('<')));
    }
}
