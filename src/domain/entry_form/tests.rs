//! Tests of the whole entry form: schema, validation, display.

use chrono::NaiveDate;
use serde_json::json;

use super::*;

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

fn ctx() -> ValidationContext {
    ValidationContext {
        today: d("2026-06-15"),
        rules_version: "rules-v3".into(),
        min_age: None,
        allowed_countries: None,
        prefill: Prefill::default(),
    }
}

fn form(pairs: &[(&str, &str)]) -> Submitted {
    pairs.iter().map(|(k, v)| (*k, *v)).collect()
}

fn schema(value: serde_json::Value) -> FormSchema {
    FormSchema::from_json(value).unwrap_or_else(|issues| panic!("{issues:?}"))
}

/// Every standard field required, one text and one choice question, marketing offered.
fn full_schema() -> FormSchema {
    schema(json!({
        "fields": {
            "name": "required", "email": "required", "postal_code": "required",
            "phone": "required", "birth_date": "required", "country": "required"
        },
        "questions": [
            {"id": "colour", "label": "Favourite colour?", "kind": "text", "visibility": "required", "max_length": 20},
            {"id": "size", "label": "Shirt size", "kind": "choice", "choices": ["S", "M", "L"], "visibility": "optional"}
        ],
        "marketing": {"text": "Send me news and offers from Threadline", "version": "2026-12-01"}
    }))
}

fn codes(errors: &[FieldError]) -> Vec<(&str, &str)> {
    errors
        .iter()
        .map(|e| (e.field.as_str(), e.code.as_str()))
        .collect()
}

fn errors_of(
    schema: &FormSchema,
    submitted: &Submitted,
    ctx: &ValidationContext,
) -> Vec<FieldError> {
    validate(schema, submitted, ctx).expect_err("should be refused")
}

// ---------------------------------------------------------------- schema

#[test]
fn default_schema() {
    let s = FormSchema::default();
    assert_eq!(s.fields.name, Visibility::Optional);
    assert_eq!(s.fields.email, Visibility::Required);
    for f in [
        StandardField::PostalCode,
        StandardField::Phone,
        StandardField::BirthDate,
        StandardField::Country,
    ] {
        assert_eq!(s.fields.get(f), Visibility::Hidden);
    }
    assert!(s.questions.is_empty() && s.marketing.is_none());
    assert_eq!(s.validate(), Ok(()));
    // An empty object, or partial fields, take the defaults.
    assert_eq!(schema(json!({})), s);
    let partial = schema(json!({"fields": {"phone": "optional"}}));
    assert_eq!(partial.fields.phone, Visibility::Optional);
    assert_eq!(partial.fields.email, Visibility::Required);
    assert_eq!(partial.fields.name, Visibility::Optional);
    assert_eq!(
        serde_json::to_value(&s).unwrap(),
        json!({
            "fields": {"name": "optional", "email": "required", "postal_code": "hidden",
                       "phone": "hidden", "birth_date": "hidden", "country": "hidden"},
            "questions": []
        })
    );
}

#[test]
fn schema_json_round_trip() {
    let s = full_schema();
    let text = serde_json::to_string(&s).unwrap();
    let back: FormSchema = serde_json::from_str(&text).unwrap();
    assert_eq!(back, s);
    let value = serde_json::to_value(&s).unwrap();
    assert_eq!(value["questions"][0]["max_length"], json!(20));
    assert!(value["questions"][0].get("choices").is_none());
    assert_eq!(value["questions"][1]["choices"], json!(["S", "M", "L"]));
    assert!(value["questions"][1].get("max_length").is_none());
    assert_eq!(value["marketing"]["version"], json!("2026-12-01"));
    // A question's visibility defaults to optional; max_length to 280.
    let q = schema(json!({"questions": [{"id": "why", "label": "Why?", "kind": "text"}]}));
    assert_eq!(q.questions[0].visibility, Requirement::Optional);
    assert_eq!(q.questions[0].text_max_length(), 280);
}

#[test]
fn schema_refuses_unknown_keys_and_values() {
    for bad in [
        json!({"fields": {"postcode": "required"}}),
        json!({"fields": {"email": "mandatory"}}),
        json!({"questions": [{"id": "a", "label": "A", "kind": "text", "hidden": true}]}),
        json!({"questions": [{"id": "a", "label": "A", "kind": "date"}]}),
        json!({"questions": [{"id": "a", "label": "A", "kind": "text", "visibility": "hidden"}]}),
        json!({"marketing": {"text": "News"}}),
        json!({"consents": []}),
        json!([]),
    ] {
        let issues = FormSchema::from_json(bad.clone()).expect_err(&bad.to_string());
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].path, "$");
    }
}

#[test]
fn schema_validation_names_every_problem() {
    let choices: Vec<String> = (0..21).map(|i| format!("c{i}")).collect();
    let s: FormSchema = serde_json::from_value(json!({
        "questions": [
            {"id": "Colour", "label": "Colour", "kind": "text"},
            {"id": "ok", "label": "  ", "kind": "text", "max_length": 0},
            {"id": "size", "label": "Size", "kind": "choice", "choices": ["S"]},
            {"id": "ok", "label": "x".repeat(201), "kind": "text", "max_length": 2001},
            {"id": "pick", "label": "Pick", "kind": "choice", "choices": ["Red", " red ", "", "Blue"], "max_length": 5},
            {"id": "t", "label": "Line\nbreak", "kind": "text", "choices": ["a", "b"]},
            {"id": "", "label": "Empty id", "kind": "text"},
            {"id": "x".repeat(41), "label": "Long id", "kind": "text"},
            {"id": "many", "label": "Many", "kind": "choice", "choices": choices},
            {"id": "q10", "label": "Q", "kind": "text"},
            {"id": "q11", "label": "Q", "kind": "text", "max_length": 2000},
        ],
        "marketing": {"text": "", "version": "v\u{0}1"}
    }))
    .unwrap();
    let issues = s.validate().unwrap_err();
    let paths: Vec<&str> = issues.iter().map(|i| i.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "questions",
            "questions[0].id",
            "questions[1].label",
            "questions[1].max_length",
            "questions[2].choices",
            "questions[3].id",
            "questions[3].label",
            "questions[3].max_length",
            "questions[4].max_length",
            "questions[4].choices[1]",
            "questions[4].choices[2]",
            "questions[5].label",
            "questions[5].choices",
            "questions[6].id",
            "questions[7].id",
            "questions[8].choices",
            "marketing.text",
            "marketing.version",
        ]
    );
    let message = |path: &str| {
        issues
            .iter()
            .find(|i| i.path == path)
            .map(|i| i.message.clone())
            .unwrap()
    };
    assert_eq!(
        message("questions"),
        "at most 10 questions are allowed, found 11"
    );
    assert!(message("questions[0].id").contains("lowercase letters a-z, digits and _"));
    assert!(message("questions[3].id").contains("already the id of questions[1]"));
    assert_eq!(
        message("questions[2].choices"),
        "a choice question needs 2 to 20 choices, found 1"
    );
    assert_eq!(
        message("questions[8].choices"),
        "a choice question needs 2 to 20 choices, found 21"
    );
    assert!(message("questions[4].choices[1]").contains("repeats choices[0]"));
    assert_eq!(message("questions[4].choices[2]"), "must not be empty");
    assert_eq!(
        message("questions[1].max_length"),
        "must be between 1 and 2000, found 0"
    );
    assert_eq!(
        message("questions[3].label"),
        "must be at most 200 characters, found 201"
    );
    assert_eq!(
        message("questions[5].label"),
        "must not contain control characters"
    );
    assert_eq!(
        issues[0].to_string(),
        "questions: at most 10 questions are allowed, found 11"
    );

    let err = schema_rejected(&issues);
    assert_eq!(err.code(), "invalid_form_schema");
    assert_eq!(
        err.details().unwrap()["issues"][4]["path"],
        json!("questions[2].choices")
    );
}

#[test]
fn schema_limits_are_inclusive() {
    let ten: Vec<_> = (0..10)
        .map(|i| json!({"id": format!("q{i}"), "label": "é".repeat(200), "kind": "text", "max_length": 2000}))
        .collect();
    assert!(FormSchema::from_json(json!({"questions": ten})).is_ok());
    let twenty: Vec<String> = (0..20).map(|i| format!("Choice {i}")).collect();
    let s = json!({"questions": [
        {"id": "a_b_0", "label": "L", "kind": "choice", "choices": twenty},
        {"id": "x".repeat(40), "label": "L", "kind": "choice", "choices": ["A", "B"]},
        {"id": "one", "label": "L", "kind": "text", "max_length": 1}
    ]});
    assert!(FormSchema::from_json(s).is_ok());
}

// ---------------------------------------------------------------- validation

#[test]
fn default_form_needs_only_email_and_rules() {
    let s = FormSchema::default();
    let entry = validate(
        &s,
        &form(&[("email", "  Ada@Example.COM "), ("accept_rules", "on")]),
        &ctx(),
    )
    .unwrap();
    assert_eq!(entry.email.as_deref(), Some("ada@example.com"));
    assert_eq!(entry.name, None);
    assert_eq!(
        entry.consents,
        [Consent {
            kind: ConsentKind::Rules,
            granted: true,
            text_version: "rules-v3".into()
        }]
    );
    assert!(!entry.marketing_opt_in());
    assert_eq!(entry.age, None);

    let errors = errors_of(&s, &form(&[]), &ctx());
    assert_eq!(
        codes(&errors),
        [
            ("email", "required"),
            ("accept_rules", "rules_not_accepted")
        ]
    );
    assert_eq!(errors[0].message, "Please enter your email address.");
}

#[test]
fn full_valid_entry_is_normalised() {
    let entry = validate(
        &full_schema(),
        &form(&[
            ("name", "  Ada   Lovelace "),
            ("email", "ADA@example.com"),
            ("postal_code", "k1a0b1"),
            ("phone", "+1 (613) 555-0199"),
            ("birth_date", "1990-04-25"),
            ("country", "ca"),
            ("q_colour", "  Teal "),
            ("q_size", "M"),
            ("accept_rules", "on"),
            ("marketing_opt_in", "on"),
        ]),
        &ctx(),
    )
    .unwrap();
    assert_eq!(
        entry,
        ValidEntry {
            name: Some("Ada Lovelace".into()),
            email: Some("ada@example.com".into()),
            postal_code: Some("K1A 0B1".into()),
            phone: Some("+16135550199".into()),
            birth_date: Some(d("1990-04-25")),
            country: Some("CA".into()),
            answers: vec![
                ("colour".into(), "Teal".into()),
                ("size".into(), "M".into())
            ],
            consents: vec![
                Consent {
                    kind: ConsentKind::Rules,
                    granted: true,
                    text_version: "rules-v3".into()
                },
                Consent {
                    kind: ConsentKind::Marketing,
                    granted: true,
                    text_version: "2026-12-01".into()
                },
            ],
            age: Some(36),
        }
    );
    assert!(entry.marketing_opt_in());
    // It serialises for storage.
    let value = serde_json::to_value(&entry).unwrap();
    assert_eq!(value["consents"][1]["kind"], json!("marketing"));
    assert_eq!(value["birth_date"], json!("1990-04-25"));
}

#[test]
fn all_errors_are_collected_in_form_order() {
    let errors = errors_of(
        &full_schema(),
        &form(&[
            ("name", "Ada\u{0}"),
            ("email", "not-an-email"),
            ("postal_code", "#####"),
            ("phone", "12"),
            ("birth_date", "25/04/1990"),
            ("country", "Narnia"),
            ("q_colour", "a much longer answer than twenty characters"),
            ("q_size", "XXL"),
            ("marketing_opt_in", "on"),
        ]),
        &ctx(),
    );
    assert_eq!(
        codes(&errors),
        [
            ("name", "invalid_characters"),
            ("email", "invalid_email"),
            ("postal_code", "invalid_postal_code"),
            ("phone", "invalid_phone"),
            ("birth_date", "invalid_date"),
            ("country", "invalid_choice"),
            ("q_colour", "too_long"),
            ("q_size", "invalid_choice"),
            ("accept_rules", "rules_not_accepted"),
        ]
    );
    for e in &errors {
        assert!(!e.message.is_empty() && e.message.ends_with('.'), "{e:?}");
    }
    // Everything required and missing.
    let errors = errors_of(&full_schema(), &form(&[]), &ctx());
    assert_eq!(
        codes(&errors),
        [
            ("name", "required"),
            ("email", "required"),
            ("postal_code", "required"),
            ("phone", "required"),
            ("birth_date", "required"),
            ("country", "required"),
            ("q_colour", "required"),
            ("accept_rules", "rules_not_accepted"),
        ]
    );

    let err = entry_rejected(&errors);
    assert_eq!(err.code(), "invalid_entry");
    assert_eq!(err.status().as_u16(), 422);
    assert_eq!(
        err.details().unwrap()["fields"][0],
        json!({"field": "name", "code": "required", "message": "Please enter your name."})
    );
}

#[test]
fn blank_values_count_as_empty() {
    let errors = errors_of(
        &full_schema(),
        &form(&[
            ("name", "   "),
            ("email", "\u{A0}\u{3000}"),
            ("q_colour", " "),
            ("accept_rules", "on"),
        ]),
        &ctx(),
    );
    assert_eq!(errors[0].code, ErrorCode::Required);
    assert_eq!(errors[1].code, ErrorCode::Required);
    assert!(codes(&errors).contains(&("q_colour", "required")));
}

#[test]
fn hidden_fields_cannot_be_injected() {
    let s = FormSchema::default();
    let submitted = form(&[
        ("email", "ada@example.com"),
        ("accept_rules", "on"),
        ("postal_code", "SW1A 1AA"),
        ("phone", "+44 20 7946 0958"),
        ("birth_date", "1990-04-25"),
        ("country", "GB"),
        ("q_secret", "injected"),
        ("marketing_opt_in", "on"),
        ("age", "99"),
    ]);
    let entry = validate(&s, &submitted, &ctx()).unwrap();
    assert_eq!(entry.postal_code, None);
    assert_eq!(entry.phone, None);
    assert_eq!(entry.birth_date, None);
    assert_eq!(entry.country, None);
    assert_eq!(entry.age, None);
    assert!(entry.answers.is_empty());
    // No marketing offered: a posted opt-in is not recorded.
    assert_eq!(entry.consents.len(), 1);

    // Invalid values in hidden fields raise no errors either.
    let junk = form(&[
        ("email", "ada@example.com"),
        ("accept_rules", "on"),
        ("phone", "\u{0}"),
        ("birth_date", "yesterday"),
        ("country", "ZZ"),
    ]);
    assert!(validate(&s, &junk, &ctx()).is_ok());

    // A hidden email stays None even when the platform knows it.
    let no_email = schema(json!({"fields": {"email": "hidden", "name": "hidden"}}));
    let mut c = ctx();
    c.prefill.email = Some("ada@example.com".into());
    c.prefill.name = Some("Ada".into());
    let entry = validate(
        &no_email,
        &form(&[("accept_rules", "1"), ("email", "x@y.zz")]),
        &c,
    )
    .unwrap();
    assert_eq!((entry.name, entry.email), (None, None));
}

#[test]
fn prefill_fills_only_absent_fields() {
    let s =
        schema(json!({"fields": {"name": "required", "email": "required", "country": "optional"}}));
    let mut c = ctx();
    c.prefill = Prefill {
        name: Some("Ada From Facebook".into()),
        email: Some("Ada.FB@Example.com".into()),
        country: Some("gb".into()),
        age_min: Some(21),
    };
    // Typed values win.
    let typed = validate(
        &s,
        &form(&[
            ("name", "Ada"),
            ("email", "ada@typed.org"),
            ("country", "FR"),
            ("accept_rules", "on"),
        ]),
        &c,
    )
    .unwrap();
    assert_eq!(typed.name.as_deref(), Some("Ada"));
    assert_eq!(typed.email.as_deref(), Some("ada@typed.org"));
    assert_eq!(typed.country.as_deref(), Some("FR"));
    // Absent: prefill, normalised.
    let absent = validate(&s, &form(&[("accept_rules", "on")]), &c).unwrap();
    assert_eq!(absent.name.as_deref(), Some("Ada From Facebook"));
    assert_eq!(absent.email.as_deref(), Some("ada.fb@example.com"));
    assert_eq!(absent.country.as_deref(), Some("GB"));
    // Shown and cleared: the fan's choice wins. An optional field stays empty; a
    // required one must be filled in by hand.
    let cleared = validate(
        &s,
        &form(&[
            ("name", "Ada"),
            ("email", "a@b.co"),
            ("country", " "),
            ("accept_rules", "on"),
        ]),
        &c,
    )
    .unwrap();
    assert_eq!(cleared.country, None);
    let errors = errors_of(
        &s,
        &form(&[("name", "  "), ("email", "a@b.co"), ("accept_rules", "on")]),
        &c,
    );
    assert_eq!(codes(&errors), [("name", "required")]);
    // An invalid typed value is an error, not a reason to fall back to prefill.
    let errors = errors_of(&s, &form(&[("email", "nope"), ("accept_rules", "on")]), &c);
    assert_eq!(codes(&errors), [("email", "invalid_email")]);
    // A prefill value that breaks the rules is ignored: the fan is asked.
    c.prefill.email = Some("not an email".into());
    c.prefill.name = Some("x".repeat(101));
    c.prefill.country = Some("ZZ".into());
    let errors = errors_of(&s, &form(&[("accept_rules", "on")]), &c);
    assert_eq!(
        codes(&errors),
        [("name", "required"), ("email", "required")]
    );
}

#[test]
fn postal_code_follows_typed_then_prefilled_country() {
    let s = schema(json!({"fields": {"postal_code": "required", "country": "optional"}}));
    let base = [("email", "ada@example.com"), ("accept_rules", "on")];
    let with = |extra: &[(&str, &str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        form(&pairs)
    };
    let mut c = ctx();
    c.prefill.country = Some("us".into());
    // Typed country CA wins over the platform's US.
    let entry = validate(
        &s,
        &with(&[("country", "CA"), ("postal_code", "h2x1y4")]),
        &c,
    )
    .unwrap();
    assert_eq!(entry.postal_code.as_deref(), Some("H2X 1Y4"));
    // No typed country: the platform's US applies.
    let errors = errors_of(&s, &with(&[("postal_code", "H2X 1Y4")]), &c);
    assert_eq!(codes(&errors), [("postal_code", "invalid_postal_code")]);
    assert!(errors[0].message.contains("United States"));
    let entry = validate(&s, &with(&[("postal_code", "123456789")]), &c).unwrap();
    assert_eq!(entry.postal_code.as_deref(), Some("12345-6789"));
    assert_eq!(entry.country.as_deref(), Some("US"));
    // No country at all: the generic rule.
    let entry = validate(&s, &with(&[("postal_code", "h2x 1y4")]), &ctx()).unwrap();
    assert_eq!(entry.postal_code.as_deref(), Some("H2X 1Y4"));
    // A refused typed country does not fall back to the platform's: generic rule.
    let errors = errors_of(
        &s,
        &with(&[("country", "XX"), ("postal_code", "H2X 1Y4")]),
        &c,
    );
    assert_eq!(codes(&errors), [("country", "invalid_choice")]);
    // Country hidden: the platform's country still decides the rule, but is not stored.
    let hidden = schema(json!({"fields": {"postal_code": "required"}}));
    c.prefill.country = Some("GB".into());
    let entry = validate(
        &hidden,
        &with(&[("postal_code", "ec1a1bb"), ("country", "US")]),
        &c,
    )
    .unwrap();
    assert_eq!(entry.postal_code.as_deref(), Some("EC1A 1BB"));
    assert_eq!(entry.country, None);
}

#[test]
fn allowed_countries() {
    let s = schema(json!({"fields": {"country": "optional"}}));
    let mut c = ctx();
    c.allowed_countries = Some(vec!["us".into(), " CA ".into()]);
    let ok = |pairs: &[(&str, &str)], c: &ValidationContext| {
        let mut all = vec![("email", "ada@example.com"), ("accept_rules", "on")];
        all.extend_from_slice(pairs);
        validate(&s, &form(&all), c)
    };
    assert!(ok(&[("country", "US")], &c).is_ok());
    assert!(ok(&[("country", "ca")], &c).is_ok());
    let errors = ok(&[("country", "FR")], &c).unwrap_err();
    assert_eq!(codes(&errors), [("country", "country_not_allowed")]);
    assert_eq!(
        errors[0].message,
        "Sorry, this contest isn't open to residents of France. It is open to residents of: United States, Canada."
    );
    // From the platform when the fan did not say.
    c.prefill.country = Some("fr".into());
    assert_eq!(
        codes(&ok(&[], &c).unwrap_err()),
        [("country", "country_not_allowed")]
    );
    // ...but what the fan typed wins.
    assert!(ok(&[("country", "US")], &c).is_ok());
    // Also when the country field is hidden.
    let hidden = FormSchema::default();
    let errors = errors_of(
        &hidden,
        &form(&[("email", "a@b.co"), ("accept_rules", "on")]),
        &c,
    );
    assert_eq!(codes(&errors), [("country", "country_not_allowed")]);
    // Unknown country: cannot be checked, accepted.
    c.prefill.country = None;
    assert!(ok(&[], &c).is_ok());
    // None or an empty list: any country.
    for allowed in [None, Some(vec![]), Some(vec!["  ".to_string()])] {
        c.allowed_countries = allowed;
        assert!(ok(&[("country", "FR")], &c).is_ok());
    }
    // A long list is not spelt out.
    c.allowed_countries = Some(
        ["DE", "AT", "CH", "LI", "LU", "BE"]
            .map(String::from)
            .to_vec(),
    );
    let errors = ok(&[("country", "FR")], &c).unwrap_err();
    assert_eq!(
        errors[0].message,
        "Sorry, this contest isn't open to residents of France."
    );
}

#[test]
fn minimum_age() {
    let s = schema(json!({"fields": {"birth_date": "optional"}}));
    let mut c = ctx();
    c.min_age = Some(18);
    let run = |birth: &str, c: &ValidationContext| {
        let mut pairs = vec![("email", "ada@example.com"), ("accept_rules", "on")];
        if !birth.is_empty() {
            pairs.push(("birth_date", birth));
        }
        validate(&s, &form(&pairs), c)
    };
    // 18th birthday today: eligible; one day short: too young.
    assert_eq!(run("2008-06-15", &c).unwrap().age, Some(18));
    let errors = run("2008-06-16", &c).unwrap_err();
    assert_eq!(codes(&errors), [("birth_date", "too_young")]);
    assert_eq!(
        errors[0].message,
        "Sorry, you must be at least 18 years old to enter this contest."
    );
    // No birth date, no platform age: cannot be checked, accepted.
    assert!(run("", &c).is_ok());
    // No birth date: the platform's age range decides.
    c.prefill.age_min = Some(13);
    assert_eq!(
        codes(&run("", &c).unwrap_err()),
        [("birth_date", "too_young")]
    );
    c.prefill.age_min = Some(18);
    assert!(run("", &c).is_ok());
    // A typed birth date wins over the platform's range, both ways.
    c.prefill.age_min = Some(13);
    assert!(run("1990-01-01", &c).is_ok());
    c.prefill.age_min = Some(21);
    assert_eq!(
        codes(&run("2010-01-01", &c).unwrap_err()),
        [("birth_date", "too_young")]
    );
    // An invalid date is reported once, as invalid.
    assert_eq!(
        codes(&run("2010-02-30", &c).unwrap_err()),
        [("birth_date", "invalid_date")]
    );
    assert_eq!(
        codes(&run("2030-01-01", &c).unwrap_err()),
        [("birth_date", "invalid_date")]
    );
    // Birth date hidden: the platform's range still applies, no age stored.
    c.prefill.age_min = Some(13);
    let errors = errors_of(
        &FormSchema::default(),
        &form(&[
            ("email", "a@b.co"),
            ("accept_rules", "on"),
            ("birth_date", "1980-01-01"),
        ]),
        &c,
    );
    assert_eq!(codes(&errors), [("birth_date", "too_young")]);
    // No minimum: any age.
    c.min_age = None;
    assert_eq!(run("2020-01-01", &c).unwrap().age, Some(6));
}

#[test]
fn custom_questions() {
    let s = full_schema();
    let base = [
        ("name", "Ada"),
        ("email", "ada@example.com"),
        ("postal_code", "K1A 0B1"),
        ("phone", "6135550199"),
        ("birth_date", "1990-04-25"),
        ("country", "CA"),
        ("accept_rules", "on"),
    ];
    let run = |extra: &[(&str, &str)]| {
        let mut pairs = base.to_vec();
        pairs.extend_from_slice(extra);
        validate(&s, &form(&pairs), &ctx())
    };
    // Answers are read from q_<id>; the bare id is not an answer.
    assert_eq!(
        codes(&run(&[("colour", "Teal")]).unwrap_err()),
        [("q_colour", "required")]
    );
    // An optional question left empty is simply not in the answers.
    assert_eq!(
        run(&[("q_colour", "Teal")]).unwrap().answers,
        [("colour".to_string(), "Teal".to_string())]
    );
    // Exactly max_length characters (counted as characters, not bytes).
    let twenty = "é".repeat(20);
    assert!(run(&[("q_colour", &twenty)]).is_ok());
    let errors = run(&[("q_colour", &"é".repeat(21))]).unwrap_err();
    assert_eq!(codes(&errors), [("q_colour", "too_long")]);
    assert_eq!(
        errors[0].message,
        "Please keep this to 20 characters or fewer."
    );
    // Choices: exact option text (trimmed), nothing else.
    assert_eq!(
        run(&[("q_colour", "x"), ("q_size", " L ")])
            .unwrap()
            .answers[1],
        ("size".to_string(), "L".to_string())
    );
    for bad in ["l", "XL", "S,M", "0"] {
        assert_eq!(
            codes(&run(&[("q_colour", "x"), ("q_size", bad)]).unwrap_err()),
            [("q_size", "invalid_choice")],
            "{bad}"
        );
    }
    // Control characters in answers.
    assert_eq!(
        codes(&run(&[("q_colour", "te\u{0}al")]).unwrap_err()),
        [("q_colour", "invalid_characters")]
    );
    // Answers follow schema order, whatever order they were posted in.
    let entry = run(&[("q_size", "S"), ("q_colour", "red")]).unwrap();
    let ids: Vec<&str> = entry.answers.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, ["colour", "size"]);
}

#[test]
fn consents() {
    let s = schema(json!({"marketing": {"text": "News from Threadline", "version": "m-7"}}));
    let run = |pairs: &[(&str, &str)]| {
        let mut all = vec![("email", "ada@example.com")];
        all.extend_from_slice(pairs);
        validate(&s, &form(&all), &ctx())
    };
    for yes in ["on", "true", "1", "ON", " True "] {
        let entry = run(&[("accept_rules", yes), ("marketing_opt_in", yes)]).unwrap();
        assert_eq!(
            entry.consents[0],
            Consent {
                kind: ConsentKind::Rules,
                granted: true,
                text_version: "rules-v3".into()
            }
        );
        assert_eq!(
            entry.consents[1],
            Consent {
                kind: ConsentKind::Marketing,
                granted: true,
                text_version: "m-7".into()
            }
        );
    }
    for no in ["", "off", "false", "0", "yes", "on\u{0}", "onn"] {
        let errors = run(&[("accept_rules", no)]).unwrap_err();
        assert_eq!(
            codes(&errors),
            [("accept_rules", "rules_not_accepted")],
            "{no:?}"
        );
        let entry = run(&[("accept_rules", "on"), ("marketing_opt_in", no)]).unwrap();
        assert_eq!(
            entry.consents[1],
            Consent {
                kind: ConsentKind::Marketing,
                granted: false,
                text_version: "m-7".into()
            }
        );
    }
    // Unticked (absent) marketing is recorded as refused, with its version.
    let entry = run(&[("accept_rules", "on")]).unwrap();
    assert_eq!(entry.consents.len(), 2);
    assert!(!entry.consents[1].granted && !entry.marketing_opt_in());
}

#[test]
fn hostile_input_is_refused_cleanly() {
    let huge = "A".repeat(2_000_000);
    let nul = "\u{0}".repeat(1000);
    let s = full_schema();
    let mut c = ctx();
    c.min_age = Some(18);
    c.allowed_countries = Some(vec!["CA".into()]);
    for value in [
        huge.as_str(),
        nul.as_str(),
        "\u{202E}\u{2066}",
        "\u{FEFF}\u{FFFF}",
        "🦀🦀🦀",
        "'; DROP TABLE entries; --",
        "<script>alert(1)</script>",
    ] {
        let pairs: Vec<(&str, &str)> = [
            "name",
            "email",
            "postal_code",
            "phone",
            "birth_date",
            "country",
            "q_colour",
            "q_size",
            "accept_rules",
            "marketing_opt_in",
        ]
        .into_iter()
        .map(|k| (k, value))
        .collect();
        let errors = validate(&s, &form(&pairs), &c).unwrap_err();
        for e in &errors {
            // Messages never echo the input.
            assert!(e.message.len() < 200 && !e.message.contains(value), "{e:?}");
        }
        assert!(codes(&errors).contains(&("accept_rules", "rules_not_accepted")));
        assert!(errors.iter().any(|e| e.field == "email"), "{value:?}");
    }
    let errors = validate(&s, &form(&[("name", huge.as_str())]), &c).unwrap_err();
    assert_eq!(errors[0].code, ErrorCode::TooLong);
    // Markup and quotes are text: stored as typed (templates escape them).
    let entry = validate(
        &FormSchema::default(),
        &form(&[
            ("email", "o'brien@example.ie"),
            ("name", "<b>Ada</b> \"O'Brien\""),
            ("accept_rules", "on"),
        ]),
        &ctx(),
    )
    .unwrap();
    assert_eq!(entry.email.as_deref(), Some("o'brien@example.ie"));
    assert_eq!(entry.name.as_deref(), Some("<b>Ada</b> \"O'Brien\""));
}

#[test]
fn unicode_is_welcome_where_it_belongs() {
    let s = schema(
        json!({"fields": {"name": "required"}, "questions": [{"id": "why", "label": "Why?", "kind": "text", "max_length": 5}]}),
    );
    let entry = validate(
        &s,
        &form(&[
            ("name", "Zoë Ñúñez-李 👩\u{200D}🎨"),
            ("email", "zoë@exämple.de"),
            ("q_why", "😀😀😀😀😀"),
            ("accept_rules", "on"),
        ]),
        &ctx(),
    )
    .unwrap();
    assert_eq!(entry.name.as_deref(), Some("Zoë Ñúñez-李 👩\u{200D}🎨"));
    assert_eq!(entry.email.as_deref(), Some("zoë@exämple.de"));
    assert_eq!(entry.answers[0].1, "😀😀😀😀😀");
}

#[test]
fn submitted_from_urlencoded_and_pairs() {
    let submitted: Submitted = serde_urlencoded::from_str(
        "email=ada%40example.com&accept_rules=on&name=Ada+L&name=Ada+Lovelace",
    )
    .unwrap();
    assert_eq!(submitted.get("email"), Some("ada@example.com"));
    assert_eq!(submitted.get("name"), Some("Ada Lovelace"));
    assert!(submitted.ticked("accept_rules") && !submitted.ticked("marketing_opt_in"));
    let entry = validate(&FormSchema::default(), &submitted, &ctx()).unwrap();
    assert_eq!(entry.name.as_deref(), Some("Ada Lovelace"));
    let mut built = Submitted::new();
    built.insert("email", "x@y.zz");
    built.insert("email", "ada@example.com");
    assert_eq!(built.get("email"), Some("ada@example.com"));
}

// ---------------------------------------------------------------- display

#[test]
fn display_fields_in_order_with_optional_marks() {
    let fields = fields_for_display(&full_schema());
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "name",
            "email",
            "postal_code",
            "phone",
            "birth_date",
            "country",
            "q_colour",
            "q_size"
        ]
    );
    let types: Vec<&str> = fields.iter().map(|f| f.input_type.as_str()).collect();
    assert_eq!(
        types,
        ["text", "email", "text", "tel", "date", "select", "text", "select"]
    );
    let autocomplete: Vec<Option<&str>> = fields.iter().map(|f| f.autocomplete).collect();
    assert_eq!(
        autocomplete,
        [
            Some("name"),
            Some("email"),
            Some("postal-code"),
            Some("tel"),
            Some("bday"),
            Some("country"),
            None,
            None
        ]
    );
    let country = &fields[5];
    assert_eq!(country.choices.len(), 249);
    assert!(country.choices.contains(&DisplayChoice {
        value: "GB".into(),
        label: "United Kingdom".into()
    }));
    assert_eq!(fields[6].max_length, Some(20));
    assert_eq!(fields[6].label, "Favourite colour?");
    assert_eq!(
        fields[7]
            .choices
            .iter()
            .map(|c| c.value.as_str())
            .collect::<Vec<_>>(),
        ["S", "M", "L"]
    );
    for f in &fields {
        assert_eq!(f.optional_hint, !f.required, "{}", f.name);
    }
    assert!(fields[6].required && !fields[7].required && fields[7].optional_hint);

    // The default form: name (optional) and email (required) only.
    let fields = fields_for_display(&FormSchema::default());
    let shown: Vec<(&str, bool, bool)> = fields
        .iter()
        .map(|f| (f.name.as_str(), f.required, f.optional_hint))
        .collect();
    assert_eq!(shown, [("name", false, true), ("email", true, false)]);
    assert_eq!(
        serde_json::to_value(&fields[0]).unwrap(),
        json!({"name": "name", "label": "Name", "input_type": "text", "required": false,
               "optional_hint": true, "autocomplete": "name", "choices": [], "max_length": 100})
    );
    // Mixed visibilities skip the hidden ones and keep the order.
    let s = schema(
        json!({"fields": {"name": "hidden", "email": "optional", "phone": "required", "country": "optional"}}),
    );
    let names: Vec<String> = fields_for_display(&s).into_iter().map(|f| f.name).collect();
    assert_eq!(names, ["email", "phone", "country"]);
}

#[test]
fn display_consents() {
    let consents = consents_for_display(&FormSchema::default());
    assert_eq!(consents.len(), 1);
    assert_eq!(
        (consents[0].name, consents[0].required),
        ("accept_rules", true)
    );
    let consents = consents_for_display(&full_schema());
    assert_eq!(consents[1].name, "marketing_opt_in");
    assert_eq!(consents[1].label, "Send me news and offers from Threadline");
    assert!(!consents[1].required && consents[1].optional_hint);
}

#[test]
fn display_names_are_what_validate_reads() {
    // Every displayed input name is read by validate: posting a value under each
    // name changes the outcome (a required field with a bad value fails on it).
    let s = full_schema();
    for f in fields_for_display(&s) {
        let errors = errors_of(&s, &form(&[(f.name.as_str(), "\u{0}bad")]), &ctx());
        let e = errors.iter().find(|e| e.field == f.name).unwrap();
        assert_ne!(e.code, ErrorCode::Required, "{} was not read", f.name);
    }
}
