//! What event processing writes, and what it leaves alone (issue 10, P3): a fan
//! seen again within a minute is not rewritten, and the segment refresh queue
//! never drops a contact whose change has not committed yet.

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use fanfare::db::activities::{self, NewActivity};
use fanfare::db::contacts::{resolve_psids, PsidSeen};
use fanfare::db::segments::refresh_dirty;
use serde_json::json;

use crate::helpers::{count, test_settings, TestDb};

fn page(c: &mut PgConnection) -> i64 {
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    diesel::sql_query(
        "INSERT INTO pages (fb_page_id, name) VALUES ('9090', 'Queue page') RETURNING id",
    )
    .get_result::<Id>(c)
    .unwrap()
    .id
}

/// Resolves one sender as an event batch does, in its own transaction.
fn seen(c: &mut PgConnection, page_id: i64, name: &str) -> i64 {
    let seen = [PsidSeen {
        page_id,
        psid: "4242".into(),
        display_name: Some(name.into()),
        source: "comment",
    }];
    c.transaction(|c| resolve_psids(c, &seen))
        .unwrap()
        .into_values()
        .next()
        .unwrap()
}

/// The transaction that last wrote the row (changes with every new row version).
fn xmin(c: &mut PgConnection, sql: &str) -> String {
    #[derive(QueryableByName)]
    struct X {
        #[diesel(sql_type = Text)]
        x: String,
    }
    diesel::sql_query(format!("SELECT xmin::text AS x FROM {sql}"))
        .get_result::<X>(c)
        .unwrap()
        .x
}

#[test]
fn a_fan_seen_again_within_a_minute_is_not_rewritten_unless_the_name_changed() {
    let db = TestDb::new();
    let c = &mut db.conn();
    let page_id = page(c);
    let id = seen(c, page_id, "Ann");
    let contact = format!("contacts WHERE id = {id}");
    let identity = format!("contact_identities WHERE contact_id = {id} AND kind = 'psid'");
    let (contact_v, identity_v) = (xmin(c, &contact), xmin(c, &identity));

    assert_eq!(seen(c, page_id, "Ann"), id);
    assert_eq!(xmin(c, &contact), contact_v, "contact rewritten");
    assert_eq!(xmin(c, &identity), identity_v, "identity rewritten");

    assert_eq!(seen(c, page_id, "Ann Lee"), id);
    assert_eq!(
        count(
            c,
            &format!("contacts WHERE id = {id} AND display_name = 'Ann Lee'")
        ),
        1
    );
    assert_eq!(
        count(
            c,
            &format!("contact_identities WHERE contact_id = {id} AND name = 'Ann Lee'")
        ),
        1
    );

    // Seen more than a minute ago: last_seen_at moves on.
    diesel::sql_query(format!(
        "UPDATE contacts SET last_seen_at = now() - interval '5 minutes' WHERE id = {id}"
    ))
    .execute(c)
    .unwrap();
    seen(c, page_id, "Ann Lee");
    assert_eq!(
        count(
            c,
            &format!("contacts WHERE id = {id} AND last_seen_at > now() - interval '1 minute'")
        ),
        1
    );
}

fn comment(page_id: i64, contact: i64, key: &str) -> NewActivity<'static> {
    NewActivity {
        page_id,
        contact_id: Some(contact),
        visitor_id: None,
        contest_id: None,
        kind: "comment",
        occurred_at: Utc::now(),
        details: json!({"message": "love it", "sentiment": 0.6}),
        dedupe_key: Some(key.into()),
    }
}

#[test]
fn a_refresh_leaves_queued_a_contact_whose_change_has_not_committed() {
    let db = TestDb::new();
    let settings = test_settings(&db.url).segments;
    let (a, b) = (&mut db.conn(), &mut db.conn());
    let page_id = page(a);
    let id = seen(a, page_id, "Ann");
    let queued =
        |c: &mut PgConnection| count(c, &format!("contact_metrics_dirty WHERE contact_id = {id}"));
    assert_eq!(queued(b), 1, "a new contact is queued");
    assert_eq!(
        b.transaction(|c| refresh_dirty(c, &settings, 100)).unwrap(),
        1
    );
    assert_eq!(queued(b), 0);

    activities::record_many(a, &[comment(page_id, id, "k1")]).unwrap();
    assert_eq!(queued(b), 1, "a committed activity queues its contact");

    // A batch that is still running holds the queued row: the refresh, which
    // cannot see its metrics yet, must pass over the contact, not dequeue it.
    a.batch_execute("BEGIN").unwrap();
    activities::record_many(a, &[comment(page_id, id, "k2")]).unwrap();
    assert_eq!(
        b.transaction(|c| refresh_dirty(c, &settings, 100)).unwrap(),
        0
    );
    a.batch_execute("COMMIT").unwrap();
    assert_eq!(queued(b), 1);
    assert_eq!(
        count(
            b,
            &format!("contact_metrics WHERE contact_id = {id} AND comments = 2")
        ),
        1
    );
    assert_eq!(
        b.transaction(|c| refresh_dirty(c, &settings, 100)).unwrap(),
        1
    );
    assert_eq!(queued(b), 0);
}

#[test]
fn a_batch_of_activities_keeps_the_first_of_two_rows_with_one_key() {
    let db = TestDb::new();
    let c = &mut db.conn();
    let page_id = page(c);
    let id = seen(c, page_id, "Ann");
    let mut second = comment(page_id, id, "same");
    second.details = json!({"message": "second", "sentiment": -0.5});
    let added = activities::record_many(c, &[comment(page_id, id, "same"), second]).unwrap();
    assert_eq!(added, 1);
    assert_eq!(
        count(
            c,
            "activities WHERE dedupe_key = 'same' AND details->>'message' = 'love it'"
        ),
        1
    );
    assert_eq!(
        count(
            c,
            &format!("contact_metrics WHERE contact_id = {id} AND comments = 1")
        ),
        1
    );
}

#[test]
fn an_event_applied_as_it_is_split_is_stored_without_a_second_copy_of_its_value() {
    use fanfare::db::webhooks::{store_new_events, Event};
    use fanfare::platform::facebook::webhook::parse_delivery;
    let db = TestDb::new();
    let c = &mut db.conn();
    let body = std::fs::read(format!(
        "{}/tests/fixtures/facebook/webhooks/feed-comment-add.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let parsed = parse_delivery(&body).unwrap();
    let raw = parsed.events[0].value.clone();
    assert!(raw.get("message").is_some(), "{raw}");

    // Applied now (processed_at set): the row keeps `{}`, the caller the value.
    let applied: Vec<Event> = Event::of_delivery(1, parsed.clone(), Some(Utc::now())).collect();
    let events = store_new_events(c, applied).unwrap();
    assert_eq!(events[0].value, raw);
    assert_eq!(
        count(
            c,
            "webhook_events WHERE delivery_id = 1 AND value = '{}'::jsonb"
        ),
        1
    );

    // Left to a process_event job, which reads the value back: stored whole.
    let later: Vec<Event> = Event::of_delivery(2, parsed, None).collect();
    let events = store_new_events(c, later).unwrap();
    let stored = fanfare::db::webhooks::find_event(c, events[0].id).unwrap();
    assert_eq!(stored.value, raw);
}
