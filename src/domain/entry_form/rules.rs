//! The format rules of each standard field. Every parser takes trimmed, non-empty
//! input and returns the normalised value or a rejection with a message for the fan.

use chrono::{Datelike, NaiveDate};

use super::countries::{canonical_country, country_name};
use super::errors::{ErrorCode, Rejection};
use super::text::{collapse_whitespace, fold_fullwidth, forbidden_char, longer_than};

pub const MAX_NAME_LEN: usize = 100;
pub const MAX_EMAIL_LEN: usize = 254;
const MAX_EMAIL_LOCAL_LEN: usize = 64;
const MAX_DOMAIN_LABEL_LEN: usize = 63;
/// Raw input longer than this cannot be a postal code or phone number, whatever
/// the separators; it is rejected before any other work.
pub const MAX_POSTAL_INPUT_LEN: usize = 20;
pub const MAX_PHONE_INPUT_LEN: usize = 40;
const MIN_PHONE_DIGITS: usize = 7;
const MAX_PHONE_DIGITS: usize = 15;
const EARLIEST_BIRTH_YEAR: i32 = 1900;

fn reject<T>(code: ErrorCode, message: impl Into<String>) -> Result<T, Rejection> {
    Err((code, message.into()))
}

/// Free text: at most `max` characters, no control characters.
pub fn parse_text(raw: &str, max: usize) -> Result<String, Rejection> {
    if longer_than(raw, max) {
        return reject(
            ErrorCode::TooLong,
            format!("Please keep this to {max} characters or fewer."),
        );
    }
    if raw.chars().any(forbidden_char) {
        return reject(
            ErrorCode::InvalidCharacters,
            "This contains characters we can't accept, such as line breaks or control characters.",
        );
    }
    Ok(raw.to_string())
}

/// A name: free text of at most 100 characters, inner whitespace collapsed.
pub fn parse_name(raw: &str) -> Result<String, Rejection> {
    parse_text(raw, MAX_NAME_LEN).map(|name| collapse_whitespace(&name))
}

/// A practical email check: `local@domain`, lowercase, at most 254 characters,
/// no spaces or control characters, a dot in the domain, no empty labels. Quoted
/// local parts and IP-literal domains are refused; internationalised addresses
/// (letters beyond ASCII) are accepted.
pub fn parse_email(raw: &str) -> Result<String, Rejection> {
    if longer_than(raw, MAX_EMAIL_LEN) {
        return reject(
            ErrorCode::TooLong,
            format!("An email address can't be longer than {MAX_EMAIL_LEN} characters."),
        );
    }
    let email = raw.to_lowercase();
    if email_syntax_ok(&email) {
        Ok(email)
    } else {
        reject(
            ErrorCode::InvalidEmail,
            "This doesn't look like an email address. Please check it, e.g. name@example.com.",
        )
    }
}

fn email_syntax_ok(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    if domain.contains('@') {
        return false;
    }
    let local_ok = !local.is_empty()
        && !longer_than(local, MAX_EMAIL_LOCAL_LEN)
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || "!#$%&'*+/=?^_`{|}~.-".contains(c)
                || (!c.is_ascii() && c.is_alphanumeric())
        });
    if !local_ok {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let labels_ok = labels.iter().all(|label| {
        !label.is_empty()
            && !longer_than(label, MAX_DOMAIN_LABEL_LEN)
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c == '-' || c.is_alphanumeric())
    });
    let tld = labels[labels.len() - 1];
    labels_ok && tld.chars().count() >= 2 && !tld.chars().all(|c| c.is_ascii_digit())
}

/// A postal code, checked and normalised by country where the format is simple
/// (see the module docs); any other country, or none, gets the generic rule:
/// 2 to 12 letters, digits, spaces or dashes. The result is uppercase with
/// single spaces.
pub fn parse_postal_code(raw: &str, country: Option<&str>) -> Result<String, Rejection> {
    let folded = fold_fullwidth(raw);
    if longer_than(&folded, MAX_POSTAL_INPUT_LEN) {
        return postal_rejection(country);
    }
    let norm = collapse_whitespace(&folded).to_ascii_uppercase();
    let compact: String = norm.chars().filter(|c| *c != ' ').collect();
    let c = compact.as_bytes();
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let result = match country {
        Some("US") => match c.len() {
            5 if digits(c) => Some(compact.clone()),
            9 if digits(c) => Some(format!("{}-{}", &compact[..5], &compact[5..])),
            10 if digits(&c[..5]) && c[5] == b'-' && digits(&c[6..]) => Some(compact.clone()),
            _ => None,
        },
        Some("CA") => canada(c).then(|| format!("{} {}", &compact[..3], &compact[3..])),
        Some("GB") => {
            uk(c).then(|| format!("{} {}", &compact[..c.len() - 3], &compact[c.len() - 3..]))
        }
        Some("DE" | "FR" | "ES" | "IT") => (c.len() == 5 && digits(c)).then(|| compact.clone()),
        Some("NL") => (c.len() == 6
            && digits(&c[..4])
            && c[0] != b'0'
            && c[4..].iter().all(u8::is_ascii_uppercase))
        .then(|| format!("{} {}", &compact[..4], &compact[4..])),
        Some("SE") => {
            (c.len() == 5 && digits(c)).then(|| format!("{} {}", &compact[..3], &compact[3..]))
        }
        Some("BR") => match c.len() {
            8 if digits(c) => Some(format!("{}-{}", &compact[..5], &compact[5..])),
            9 if digits(&c[..5]) && c[5] == b'-' && digits(&c[6..]) => Some(compact.clone()),
            _ => None,
        },
        Some("AU") => (c.len() == 4 && digits(c)).then(|| compact.clone()),
        Some("JP") => match c.len() {
            7 if digits(c) => Some(format!("{}-{}", &compact[..3], &compact[3..])),
            8 if digits(&c[..3]) && c[3] == b'-' && digits(&c[4..]) => Some(compact.clone()),
            _ => None,
        },
        _ => {
            let n = norm.chars().count();
            ((2..=12).contains(&n)
                && norm
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
                && norm.bytes().any(|b| b.is_ascii_alphanumeric()))
            .then(|| norm.clone())
        }
    };
    match result {
        Some(code) => Ok(code),
        None => postal_rejection(country),
    }
}

fn postal_example(country: &str) -> Option<&'static str> {
    Some(match country {
        "US" => "12345 or 12345-6789",
        "CA" => "K1A 0B1",
        "GB" => "SW1A 1AA",
        "DE" => "10115",
        "FR" => "75001",
        "ES" => "28001",
        "IT" => "00184",
        "NL" => "1234 AB",
        "SE" => "123 45",
        "BR" => "01310-100",
        "AU" => "2000",
        "JP" => "100-0001",
        _ => return None,
    })
}

fn postal_rejection<T>(country: Option<&str>) -> Result<T, Rejection> {
    let message = match country.and_then(|c| Some((country_name(c)?, postal_example(c)?))) {
        Some((name, example)) => {
            format!("This isn't a valid postal code for {name}. It should look like {example}.")
        }
        None => "Please enter a valid postal code: 2 to 12 letters, digits, spaces or dashes."
            .to_string(),
    };
    reject(ErrorCode::InvalidPostalCode, message)
}

/// Canada: `A1A1A1` (spaces removed), without D, F, I, O, Q, U, and not starting
/// with W or Z.
fn canada(c: &[u8]) -> bool {
    let letter = |b: u8| b.is_ascii_uppercase() && !b"DFIOQU".contains(&b);
    c.len() == 6
        && letter(c[0])
        && !b"WZ".contains(&c[0])
        && c[1].is_ascii_digit()
        && letter(c[2])
        && c[3].is_ascii_digit()
        && letter(c[4])
        && c[5].is_ascii_digit()
}

/// United Kingdom (spaces removed): the outward code `A9`, `A99`, `AA9`, `AA99`,
/// `A9A` or `AA9A` with the Royal Mail letter restrictions, then the inward code
/// `9AA`; or `GIR0AA`.
fn uk(c: &[u8]) -> bool {
    if c == b"GIR0AA" {
        return true;
    }
    if !(5..=7).contains(&c.len()) {
        return false;
    }
    let (outward, inward) = c.split_at(c.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1..]
            .iter()
            .all(|b| b.is_ascii_uppercase() && !b"CIKMOV".contains(b));
    let first = |b: u8| b.is_ascii_uppercase() && !b"QVX".contains(&b);
    let second = |b: u8| b.is_ascii_uppercase() && !b"IJZ".contains(&b);
    let d = |b: u8| b.is_ascii_digit();
    let outward_ok = match *outward {
        [a, n] => first(a) && d(n),
        [a, n, m] if d(n) && d(m) => first(a),
        [a, b, n] if d(n) => first(a) && second(b),
        [a, n, x] => first(a) && d(n) && b"ABCDEFGHJKPSTUW".contains(&x),
        [a, b, n, m] if d(m) => first(a) && second(b) && d(n),
        [a, b, n, x] => first(a) && second(b) && d(n) && b"ABEHMNPRVWXY".contains(&x),
        _ => false,
    };
    inward_ok && outward_ok
}

/// A phone number: an optional leading `+`, then digits with spaces, dashes, dots
/// or parentheses, 7 to 15 digits in all. Normalised to the `+` (if given) and
/// the digits.
pub fn parse_phone(raw: &str) -> Result<String, Rejection> {
    let bad = || {
        reject(
            ErrorCode::InvalidPhone,
            "Please enter a phone number of 7 to 15 digits. It may start with + and use spaces, dashes, dots or brackets.",
        )
    };
    let folded = fold_fullwidth(raw);
    if longer_than(&folded, MAX_PHONE_INPUT_LEN) {
        return bad();
    }
    let (plus, rest) = match folded.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", folded.as_str()),
    };
    if !rest
        .chars()
        .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '.' | '(' | ')'))
    {
        return bad();
    }
    let digits: String = rest.chars().filter(char::is_ascii_digit).collect();
    if !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len()) {
        return bad();
    }
    Ok(format!("{plus}{digits}"))
}

/// A birth date as `YYYY-MM-DD`: a real date, not after `today`, not before 1900.
pub fn parse_birth_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, Rejection> {
    let s = fold_fullwidth(raw);
    let b = s.as_bytes();
    let shape_ok = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape_ok {
        return reject(
            ErrorCode::InvalidDate,
            "Please enter your date of birth as YYYY-MM-DD, e.g. 1990-04-25.",
        );
    }
    // The shape check guarantees ASCII digits, so these parses cannot fail.
    let (y, m, d) = (
        s[..4].parse::<i32>().unwrap_or(0),
        s[5..7].parse::<u32>().unwrap_or(0),
        s[8..].parse::<u32>().unwrap_or(0),
    );
    let Some(date) = NaiveDate::from_ymd_opt(y, m, d) else {
        return reject(
            ErrorCode::InvalidDate,
            "This date doesn't exist. Please check it.",
        );
    };
    if date > today {
        return reject(
            ErrorCode::InvalidDate,
            "A date of birth can't be in the future.",
        );
    }
    if y < EARLIEST_BIRTH_YEAR {
        return reject(
            ErrorCode::InvalidDate,
            "Please check the year: dates of birth before 1900 are not accepted.",
        );
    }
    Ok(date)
}

/// Age in whole years on `today`. Someone born on 29 February turns a year older
/// on 1 March in common years.
pub fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

/// A country code from the list (any case); the canonical uppercase code.
pub fn parse_country(raw: &str) -> Result<&'static str, Rejection> {
    canonical_country(raw).ok_or_else(|| {
        (
            ErrorCode::InvalidChoice,
            "Please choose your country from the list.".into(),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn postal(raw: &str, country: &str) -> Result<String, ErrorCode> {
        let country = (!country.is_empty()).then_some(country);
        parse_postal_code(raw, country).map_err(|(code, _)| code)
    }

    fn assert_postal(country: &str, good: &[(&str, &str)], bad: &[&str]) {
        for (raw, want) in good {
            assert_eq!(
                postal(raw, country).as_deref(),
                Ok(*want),
                "{country} {raw:?}"
            );
        }
        for raw in bad {
            assert_eq!(
                postal(raw, country),
                Err(ErrorCode::InvalidPostalCode),
                "{country} {raw:?} should be refused"
            );
        }
    }

    #[test]
    fn postal_us() {
        assert_postal(
            "US",
            &[
                ("12345", "12345"),
                ("12345-6789", "12345-6789"),
                ("123456789", "12345-6789"),
                (" 12345 - 6789 ", "12345-6789"),
            ],
            &[
                "1234",
                "123456",
                "12345-678",
                "ABCDE",
                "12345-67890",
                "1234５６",
            ],
        );
    }

    #[test]
    fn postal_ca() {
        assert_postal(
            "CA",
            &[
                ("K1A 0B1", "K1A 0B1"),
                ("k1a0b1", "K1A 0B1"),
                ("H2X  1Y4", "H2X 1Y4"),
            ],
            &[
                "K1A 0B", "K1A-0B1", "123 456", "D1A 0B1", "W1A 0B1", "K1O 0B1", "KKA 0B1",
            ],
        );
    }

    #[test]
    fn postal_gb() {
        assert_postal(
            "GB",
            &[
                ("SW1A 1AA", "SW1A 1AA"),
                ("sw1a1aa", "SW1A 1AA"),
                ("M1 1AE", "M1 1AE"),
                ("B33 8TH", "B33 8TH"),
                ("CR2 6XH", "CR2 6XH"),
                ("DN55 1PT", "DN55 1PT"),
                ("W1A 0AX", "W1A 0AX"),
                ("EC1A 1BB", "EC1A 1BB"),
                ("GIR 0AA", "GIR 0AA"),
            ],
            &[
                "SW1A", "1AA SW1", "QA1 1AA", "SW1A 1AC", "SW1A1AAA", "AAA 1AA", "SW1A 11A",
                "M1 1A",
            ],
        );
    }

    #[test]
    fn postal_five_digit_countries() {
        for country in ["DE", "FR", "ES", "IT"] {
            assert_postal(
                country,
                &[("75001", "75001"), ("00184", "00184"), (" 10115 ", "10115")],
                &["7500", "750011", "75O01", "F-75001"],
            );
        }
    }

    #[test]
    fn postal_nl_se_br_au_jp() {
        assert_postal(
            "NL",
            &[("1234 AB", "1234 AB"), ("1234ab", "1234 AB")],
            &["0123 AB", "1234 A1", "12345 AB", "1234"],
        );
        assert_postal(
            "SE",
            &[("123 45", "123 45"), ("12345", "123 45")],
            &["1234", "123-45", "ABC 45"],
        );
        assert_postal(
            "BR",
            &[("01310-100", "01310-100"), ("01310100", "01310-100")],
            &["0131-0100", "1310-100", "01310 10"],
        );
        assert_postal(
            "AU",
            &[("2000", "2000"), (" 0800", "0800")],
            &["200", "20000", "2OOO"],
        );
        assert_postal(
            "JP",
            &[
                ("100-0001", "100-0001"),
                ("1000001", "100-0001"),
                ("１００－０００１", "100-0001"),
            ],
            &["100-001", "1000-001", "10000011"],
        );
    }

    #[test]
    fn postal_generic_rule() {
        for country in ["", "IE", "PT"] {
            assert_postal(
                country,
                &[
                    ("D02 X285", "D02 X285"),
                    ("1000-001", "1000-001"),
                    ("ab", "AB"),
                    ("a  b", "A B"),
                ],
                &[
                    "a",
                    "1234567890123",
                    "--",
                    "12#45",
                    "köln",
                    "12\u{0}34",
                    &"1".repeat(10_000),
                ],
            );
        }
    }

    #[test]
    fn postal_messages_name_the_country() {
        let (_, message) = parse_postal_code("1234", Some("GB")).unwrap_err();
        assert!(
            message.contains("United Kingdom") && message.contains("SW1A 1AA"),
            "{message}"
        );
        let (_, message) = parse_postal_code("#", None).unwrap_err();
        assert!(message.contains("2 to 12"), "{message}");
    }

    #[test]
    fn emails() {
        for (raw, want) in [
            ("ada@example.com", "ada@example.com"),
            (
                "Ada.Lovelace+fanfare@Example.CO.UK",
                "ada.lovelace+fanfare@example.co.uk",
            ),
            ("o'brien@mail-host.ie", "o'brien@mail-host.ie"),
            ("josé@bücher.de", "josé@bücher.de"),
        ] {
            assert_eq!(parse_email(raw).unwrap(), want);
        }
        for raw in [
            "ada",
            "ada@",
            "@example.com",
            "ada@example",
            "ada@@example.com",
            "ada@b@example.com",
            "ada lovelace@example.com",
            "ada@exa mple.com",
            "ada@example..com",
            "ada@.example.com",
            "ada@example.com.",
            ".ada@example.com",
            "ada.@example.com",
            "a..da@example.com",
            "ada@-example.com",
            "ada@example.c",
            "ada@1.2.3.4",
            "ada@[127.0.0.1]",
            "\"ada\"@example.com",
            "ada\0@example.com",
            "ada@exam\tple.com",
            "ada\n@example.com",
            "ada@exam\u{202E}ple.com",
        ] {
            assert_eq!(
                parse_email(raw).unwrap_err().0,
                ErrorCode::InvalidEmail,
                "{raw:?}"
            );
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert_eq!(
            parse_email(&long_local).unwrap_err().0,
            ErrorCode::InvalidEmail
        );
        let domain = |last: usize| {
            format!(
                "{}.{}.{}.com",
                "b".repeat(63),
                "c".repeat(63),
                "d".repeat(last)
            )
        };
        let at_limit = format!("{}@{}", "a".repeat(64), domain(57));
        assert_eq!(at_limit.len(), 254);
        assert!(parse_email(&at_limit).is_ok());
        let over = format!("{}@{}", "a".repeat(64), domain(58));
        assert_eq!(parse_email(&over).unwrap_err().0, ErrorCode::TooLong);
        let huge = format!("a@{}.com", "b".repeat(1_000_000));
        assert_eq!(parse_email(&huge).unwrap_err().0, ErrorCode::TooLong);
    }

    #[test]
    fn phones() {
        for (raw, want) in [
            ("+44 20 7946 0958", "+442079460958"),
            ("(555) 123-4567", "5551234567"),
            ("555.123.4567", "5551234567"),
            ("1234567", "1234567"),
            ("+123456789012345", "+123456789012345"),
            ("＋８１ ３-１２３４-５６７８", "+81312345678"),
        ] {
            assert_eq!(parse_phone(raw).unwrap(), want, "{raw:?}");
        }
        for raw in [
            "123456",
            "+1234567890123456",
            "555-CALL-NOW",
            "12+34567890",
            "++441234567",
            "555 123 4567 ext 12",
            "555\u{0}1234567",
            "٥٥٥١٢٣٤٥٦٧",
            "+",
            &"1 ".repeat(100),
        ] {
            assert_eq!(
                parse_phone(raw).unwrap_err().0,
                ErrorCode::InvalidPhone,
                "{raw:?}"
            );
        }
    }

    #[test]
    fn birth_dates_and_age() {
        let today = d("2026-06-15");
        assert_eq!(
            parse_birth_date("1990-04-25", today).unwrap(),
            d("1990-04-25")
        );
        assert_eq!(
            parse_birth_date("1900-01-01", today).unwrap(),
            d("1900-01-01")
        );
        assert_eq!(parse_birth_date("2026-06-15", today).unwrap(), today);
        assert_eq!(
            parse_birth_date("１９９０-０４-２５", today).unwrap(),
            d("1990-04-25")
        );
        for raw in [
            "1990-4-25",
            "25/04/1990",
            "1990/04/25",
            "19900425",
            "1990-04-25T00:00",
            "+1990-04-25",
            "1990-02-30",
            "1990-13-01",
            "1990-00-10",
            "2026-06-16",
            "3000-01-01",
            "1899-12-31",
            "0000-01-01",
            "1990-04-2\u{0}",
        ] {
            assert_eq!(
                parse_birth_date(raw, today).unwrap_err().0,
                ErrorCode::InvalidDate,
                "{raw:?}"
            );
        }
        assert_eq!(age_on(d("2008-06-15"), today), 18);
        assert_eq!(age_on(d("2008-06-16"), today), 17);
        assert_eq!(age_on(today, today), 0);
        // Leap-day birthdays count from 1 March in common years.
        assert_eq!(age_on(d("2008-02-29"), d("2026-02-28")), 17);
        assert_eq!(age_on(d("2008-02-29"), d("2026-03-01")), 18);
        assert_eq!(age_on(d("2008-02-29"), d("2028-02-29")), 20);
    }

    #[test]
    fn names_and_text() {
        assert_eq!(
            parse_name("  Ada \u{A0} Lovelace ").unwrap(),
            "Ada Lovelace"
        );
        assert_eq!(parse_name("李小龍").unwrap(), "李小龍");
        assert_eq!(parse_name(&"é".repeat(100)).unwrap().chars().count(), 100);
        assert_eq!(
            parse_name(&"é".repeat(101)).unwrap_err().0,
            ErrorCode::TooLong
        );
        for raw in [
            "Ada\0",
            "Ada\nLovelace",
            "Ada\u{1b}[31m",
            "\u{202E}ecalevoL",
        ] {
            assert_eq!(
                parse_name(raw).unwrap_err().0,
                ErrorCode::InvalidCharacters,
                "{raw:?}"
            );
        }
        assert_eq!(
            parse_text("a family of 👨\u{200D}👩\u{200D}👧", 280).unwrap(),
            "a family of 👨\u{200D}👩\u{200D}👧"
        );
        let huge = "x".repeat(5_000_000);
        let (code, message) = parse_text(&huge, 280).unwrap_err();
        assert_eq!(code, ErrorCode::TooLong);
        assert!(message.len() < 100);
    }

    #[test]
    fn countries() {
        assert_eq!(parse_country("fr").unwrap(), "FR");
        assert_eq!(parse_country("ZZ").unwrap_err().0, ErrorCode::InvalidChoice);
        assert_eq!(
            parse_country("France").unwrap_err().0,
            ErrorCode::InvalidChoice
        );
    }
}
