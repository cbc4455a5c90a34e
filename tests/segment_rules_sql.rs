//! `Rule::to_sql` selects in PostgreSQL exactly the contacts `Rule::evaluate`
//! accepts. Runs the fragments against a temporary table (needs Postgres at
//! DATABASE_URL's server, else 127.0.0.1:5432; nothing is created outside the
//! session).

use diesel::pg::{Pg, PgConnection};
use diesel::prelude::*;
use diesel::sql_types::{Array, Bool, Double, Integer, Nullable, Text};
use fanfare::domain::segment_rules::{ContactFacts, Rule, SqlBind};
use serde_json::json;

#[derive(Debug, Clone, Default)]
struct Contact {
    id: i32,
    postal_code: Option<&'static str>,
    country: Option<&'static str>,
    email_domain: Option<&'static str>,
    sentiment: Option<f64>,
    shares: Option<i32>,
    age_min: Option<i32>,
    has_email: Option<bool>,
}

impl ContactFacts for Contact {
    fn text(&self, field: &str) -> Option<&str> {
        match field {
            "postal_code" => self.postal_code,
            "country" => self.country,
            "email_domain" => self.email_domain,
            _ => None,
        }
    }
    fn number(&self, field: &str) -> Option<f64> {
        match field {
            "sentiment" => self.sentiment,
            "shares" => self.shares.map(f64::from),
            "age_min" => self.age_min.map(f64::from),
            _ => None,
        }
    }
    fn boolean(&self, field: &str) -> Option<bool> {
        match field {
            "has_email" => self.has_email,
            _ => None,
        }
    }
}

fn column(field: &str) -> &'static str {
    match field {
        "postal_code" => "c.postal_code",
        "country" => "c.country",
        "email_domain" => "c.email_domain",
        "sentiment" => "c.sentiment",
        "shares" => "c.shares",
        "age_min" => "c.age_min",
        "has_email" => "c.has_email",
        other => panic!("no column for {other}"),
    }
}

fn contacts() -> Vec<Contact> {
    let c = |id| Contact {
        id,
        ..Contact::default()
    };
    vec![
        c(1),
        Contact {
            postal_code: Some("94107"),
            country: Some("US"),
            email_domain: Some("example.com"),
            sentiment: Some(0.5),
            shares: Some(3),
            age_min: Some(18),
            has_email: Some(true),
            ..c(2)
        },
        Contact {
            postal_code: Some("94%07"),
            country: Some("CA"),
            sentiment: Some(0.3),
            shares: Some(2),
            has_email: Some(false),
            ..c(3)
        },
        Contact {
            postal_code: Some("9_107"),
            country: Some("FR"),
            email_domain: Some("ex_ample.fr"),
            sentiment: Some(-0.2),
            shares: Some(0),
            age_min: Some(25),
            ..c(4)
        },
        Contact {
            postal_code: Some("9\\4"),
            country: Some("us"),
            email_domain: Some("50%off.com"),
            sentiment: Some(0.31),
            age_min: Some(24),
            has_email: Some(true),
            ..c(5)
        },
        Contact {
            postal_code: Some("x' OR '1'='1"),
            country: Some(""),
            email_domain: Some("O'Brien.ie"),
            shares: Some(10),
            ..c(6)
        },
        Contact {
            postal_code: Some("94"),
            country: Some("DE"),
            sentiment: Some(1.0),
            shares: Some(3),
            age_min: Some(13),
            ..c(7)
        },
    ]
}

fn rules() -> Vec<serde_json::Value> {
    vec![
        json!({"all":[
            {"field":"postal_code","op":"starts_with","value":"94"},
            {"field":"sentiment","op":"gt","value":0.3},
            {"any":[
                {"field":"shares","op":"gte","value":3},
                {"not":{"field":"country","op":"in","value":["US","CA"]}}
            ]}
        ]}),
        json!({"field":"postal_code","op":"starts_with","value":"94%"}),
        json!({"field":"postal_code","op":"starts_with","value":"9_"}),
        json!({"field":"postal_code","op":"starts_with","value":"9\\"}),
        json!({"field":"postal_code","op":"starts_with","value":""}),
        json!({"field":"postal_code","op":"eq","value":"x' OR '1'='1"}),
        json!({"field":"email_domain","op":"contains","value":"%"}),
        json!({"field":"email_domain","op":"contains","value":"_"}),
        json!({"field":"email_domain","op":"contains","value":"'"}),
        json!({"field":"country","op":"neq","value":"US"}),
        json!({"not":{"field":"country","op":"eq","value":"US"}}),
        json!({"field":"country","op":"eq","value":""}),
        json!({"field":"country","op":"in","value":["US","us",""]}),
        json!({"not":{"field":"country","op":"in","value":["US","CA"]}}),
        json!({"field":"email_domain","op":"exists"}),
        json!({"field":"email_domain","op":"exists","value":false}),
        json!({"field":"sentiment","op":"between","value":[0.3, 0.5]}),
        json!({"not":{"field":"sentiment","op":"lt","value":0}}),
        json!({"field":"sentiment","op":"eq","value":0.31}),
        json!({"field":"shares","op":"neq","value":3}),
        json!({"field":"shares","op":"lte","value":2.5}),
        json!({"field":"age_min","op":"gte","value":18}),
        json!({"not":{"any":[{"field":"age_min","op":"lt","value":18},{"field":"has_email","op":"eq","value":true}]}}),
        json!({"field":"has_email","op":"eq","value":false}),
        json!({"not":{"field":"has_email","op":"eq","value":false}}),
        json!({"field":"has_email","op":"exists","value":false}),
        json!({"any":[{"field":"shares","op":"gt","value":5},{"all":[{"field":"country","op":"exists"},{"not":{"field":"age_min","op":"exists"}}]}]}),
    ]
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Integer)]
    id: i32,
}

fn connect() -> PgConnection {
    let raw = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut url = url::Url::parse(&raw).expect("DATABASE_URL is a URL");
    url.set_path("/postgres");
    // Local test servers need no TLS, and without it libpq never touches OpenSSL:
    // a pool thread still connecting while the test binary exits could otherwise
    // crash in OpenSSL's exit-time cleanup (diesel-rs/diesel#3441).
    if !url.query_pairs().any(|(k, _)| k == "sslmode") {
        url.query_pairs_mut().append_pair("sslmode", "disable");
    }
    PgConnection::establish(url.as_str()).expect("Postgres must be reachable for tests")
}

#[test]
fn sql_selects_exactly_what_evaluate_accepts() {
    let mut conn = connect();
    diesel::sql_query(
        "CREATE TEMPORARY TABLE contacts (id integer PRIMARY KEY, postal_code text, \
         country text, email_domain text, sentiment double precision, shares integer, \
         age_min integer, has_email boolean)",
    )
    .execute(&mut conn)
    .unwrap();
    let people = contacts();
    for p in &people {
        diesel::sql_query("INSERT INTO contacts VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind::<Integer, _>(p.id)
            .bind::<Nullable<Text>, _>(p.postal_code)
            .bind::<Nullable<Text>, _>(p.country)
            .bind::<Nullable<Text>, _>(p.email_domain)
            .bind::<Nullable<Double>, _>(p.sentiment)
            .bind::<Nullable<Integer>, _>(p.shares)
            .bind::<Nullable<Integer>, _>(p.age_min)
            .bind::<Nullable<Bool>, _>(p.has_email)
            .execute(&mut conn)
            .unwrap();
    }

    let mut outcomes = std::collections::HashSet::new();
    for json in rules() {
        let rule = Rule::parse(&json).unwrap();
        let expected: Vec<i32> = people
            .iter()
            .filter(|p| rule.evaluate(*p))
            .map(|p| p.id)
            .collect();

        // One leading parameter of our own, to exercise the placeholder offset.
        let fragment = rule.to_sql_from(&column, 2);
        let sql = format!(
            "SELECT c.id FROM contacts c WHERE c.id >= $1 AND {} ORDER BY c.id",
            fragment.sql
        );
        let mut query = diesel::sql_query(&sql)
            .into_boxed::<Pg>()
            .bind::<Integer, _>(0);
        for bind in fragment.binds {
            query = match bind {
                SqlBind::Text(s) => query.bind::<Text, _>(s),
                SqlBind::Number(x) => query.bind::<Double, _>(x),
                SqlBind::Bool(b) => query.bind::<Bool, _>(b),
                SqlBind::TextList(list) => query.bind::<Array<Text>, _>(list),
            };
        }
        let got: Vec<i32> = query
            .load::<Id>(&mut conn)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .into_iter()
            .map(|r| r.id)
            .collect();
        assert_eq!(got, expected, "rule {json}\nsql {sql}");
        outcomes.insert(got);
    }
    // The cases select many different subsets, not all or nothing.
    assert!(outcomes.len() > 15, "{outcomes:?}");
}
