//! Raw SQL that Postgres keeps prepared.
//!
//! Diesel never caches a `sql_query` statement: it cannot know whether the text
//! was built at run time, so every execution is parsed, analysed and planned
//! again. On the webhook ingest path that was about a quarter of Postgres's CPU
//! (issue 10, P1: parse, analysis and planning of the group insert came to 9.6% of
//! the whole machine's samples under load). [`prepared`] marks a statement whose
//! text is a constant: diesel then keeps it as a named prepared statement on each
//! connection (keyed by its text and bind types), and Postgres reuses its plan.
//!
//! Only statements with constant text belong here: every distinct text is one more
//! prepared statement on every pooled connection, for the connection's lifetime.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{QueryResult, RunQueryDsl};

/// A query (normally `sql_query(CONSTANT).bind(..)..`) that may be cached as a
/// prepared statement. See the module documentation.
#[derive(Debug, Clone)]
pub struct Prepared<Q>(Q);

/// Marks `query` as safe to keep prepared. Its SQL text must be a constant.
pub fn prepared<Q>(query: Q) -> Prepared<Q> {
    Prepared(query)
}

impl<Q: QueryFragment<Pg>> QueryFragment<Pg> for Prepared<Q> {
    fn walk_ast<'b>(&'b self, pass: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.0.walk_ast(pass)
    }

    // `sql_query` reports itself unsafe to cache because its text could be built
    // at run time; the caller of `prepared` vouches that it is not.
    fn is_safe_to_cache_prepared(&self, _backend: &Pg) -> QueryResult<bool> {
        Ok(true)
    }
}

// No static id: the statement cache then keys the statement by its SQL text.
impl<Q> QueryId for Prepared<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q: Query> Query for Prepared<Q> {
    type SqlType = Q::SqlType;
}

impl<Q, Conn> RunQueryDsl<Conn> for Prepared<Q> {}
