//! Hot raw statements are kept prepared, and the job claim has an index in its
//! order (issue 10: parse and plan work on the ingest path; claims that read the
//! whole queue when its statistics are stale).

use crate::helpers::{store_parsed_delivery, TestDb};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// How many prepared statements of this connection contain `needle`.
fn prepared_with(conn: &mut PgConnection, needle: &str) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_prepared_statements WHERE strpos(statement, $1) > 0",
    )
    .bind::<Text, _>(needle)
    .get_result::<Count>(conn)
    .unwrap()
    .n
}

#[test]
fn the_group_insert_of_webhook_ingest_stays_prepared_on_its_connection() {
    let db = TestDb::new();
    let mut conn = db.conn();
    assert_eq!(
        prepared_with(&mut conn, "INSERT INTO webhook_deliveries"),
        0
    );
    store_parsed_delivery(&mut conn, br#"{"object":"page","entry":[1]}"#, 1, 5);
    store_parsed_delivery(&mut conn, br#"{"object":"page","entry":[2]}"#, 1, 5);
    // One named statement, reused by the second group (a `sql_query` without
    // `prepared` is an unnamed statement, parsed and planned every time).
    assert_eq!(
        prepared_with(&mut conn, "INSERT INTO webhook_deliveries"),
        1
    );
    // Both groups were stored, each with its job.
    let jobs: i64 =
        diesel::sql_query("SELECT count(*) AS n FROM jobs WHERE kind = 'process_deliveries'")
            .get_result::<Count>(&mut conn)
            .unwrap()
            .n;
    assert_eq!(jobs, 2);
}

/// The second query of `db::jobs::claim` (more jobs of the first one's kind),
/// planned on a queue that was filled but never analysed, as after a burst.
/// The plan is of the statement `claim` itself prepared (diesel keeps its
/// queries prepared per connection), so a change in the claim's shape is
/// checked too, not a copy of its SQL.
#[test]
fn a_claim_by_kind_walks_its_index_in_claim_order_on_an_unanalysed_queue() {
    let db = TestDb::new();
    let mut conn = db.conn();
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, max_attempts) \
         SELECT CASE WHEN g % 50 = 0 THEN 'rare' ELSE 'common' END, '{}'::jsonb, 5 \
         FROM generate_series(1, 5000) g",
    )
    .execute(&mut conn)
    .unwrap();
    let claimed = conn
        .transaction(|c| fanfare::db::jobs::claim(c, 100))
        .unwrap();
    assert_eq!(claimed.len(), 100);
    assert!(claimed.iter().all(|j| j.kind == "common"));

    #[derive(QueryableByName)]
    struct Statement {
        #[diesel(sql_type = Text)]
        name: String,
        #[diesel(sql_type = Text)]
        statement: String,
    }
    let more: Vec<Statement> = diesel::sql_query(
        "SELECT name, statement FROM pg_prepared_statements \
         WHERE statement LIKE '%SKIP LOCKED%' AND statement LIKE '%\"kind\" = $%'",
    )
    .load(&mut conn)
    .unwrap();
    assert_eq!(more.len(), 1, "one prepared claim of more jobs of a kind");
    let Statement { name, statement } = &more[0];
    // Each parameter's value, by what the statement compares it with.
    let param = |pattern: &str| -> usize {
        let at = statement
            .find(pattern)
            .unwrap_or_else(|| panic!("{pattern} in {statement}"));
        let digits: String = statement[at + pattern.len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().unwrap()
    };
    let mut args = [""; 4];
    for (pattern, value) in [
        ("\"state\" = $", "'queued'"),
        ("\"kind\" = $", "'rare'"),
        ("\"id\" != $", "1"),
        ("LIMIT $", "99"),
    ] {
        args[param(pattern) - 1] = value;
    }
    #[derive(QueryableByName)]
    struct Plan {
        #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
        plan: String,
    }
    let plan: Vec<Plan> = diesel::sql_query(format!("EXPLAIN EXECUTE {name}({})", args.join(", ")))
        .load(&mut conn)
        .unwrap();
    let plan: String = plan.into_iter().map(|p| p.plan + "\n").collect();
    assert!(plan.contains("jobs_ready_kind_idx"), "{plan}");
    assert!(!plan.contains("Sort"), "no sort of the whole queue: {plan}");
}
