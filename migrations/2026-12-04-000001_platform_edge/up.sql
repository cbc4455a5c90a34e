-- Raw webhook deliveries exactly as received. Nothing acknowledged is ever lost:
-- a delivery is committed here before Fanfare answers 200.
CREATE TABLE webhook_deliveries (
    id BIGSERIAL PRIMARY KEY,
    body BYTEA NOT NULL,
    -- SHA-256 of the body: a redelivery of identical bytes is the same delivery.
    body_sha256 BYTEA NOT NULL,
    signature TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    parse_status TEXT NOT NULL CHECK (parse_status IN ('parsed', 'unparseable')),
    parse_error TEXT,
    object TEXT,
    event_count INTEGER NOT NULL DEFAULT 0,
    -- Set when a data-deletion request scrubbed personal data from the body.
    redacted_at TIMESTAMPTZ,
    CONSTRAINT webhook_deliveries_body_sha256_key UNIQUE (body_sha256)
);
CREATE INDEX webhook_deliveries_received_at_idx ON webhook_deliveries (received_at DESC);

-- One row per entry change / messaging item / changed field inside a delivery.
CREATE TABLE webhook_events (
    id BIGSERIAL PRIMARY KEY,
    delivery_id BIGINT NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    object TEXT NOT NULL,
    page_id TEXT,
    kind TEXT NOT NULL CHECK (kind IN ('change', 'messaging', 'changed_field')),
    field TEXT,
    item TEXT,
    verb TEXT,
    post_id TEXT,
    comment_id TEXT,
    parent_id TEXT,
    share_id TEXT,
    reaction_type TEXT,
    sender_id TEXT,
    sender_name TEXT,
    message TEXT,
    created_time TIMESTAMPTZ,
    entry_time TIMESTAMPTZ,
    value JSONB NOT NULL,
    -- false for a field/item/verb Fanfare does not know: kept, never failed.
    handled BOOLEAN NOT NULL,
    processed_at TIMESTAMPTZ,
    CONSTRAINT webhook_events_delivery_seq_key UNIQUE (delivery_id, seq)
);
CREATE INDEX webhook_events_page_idx ON webhook_events (page_id, created_time);
CREATE INDEX webhook_events_sender_idx ON webhook_events (sender_id);

-- The durable job queue. A job is claimed with FOR UPDATE SKIP LOCKED inside the
-- transaction that performs it, so a crash simply releases it. Finished jobs are
-- deleted; dead ones stay for operators.
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    payload JSONB NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'dead')),
    priority SMALLINT NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    -- Jobs that must not be queued twice (e.g. a daily reconcile) carry a key.
    dedupe_key TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX jobs_dedupe_key_idx ON jobs (dedupe_key) WHERE dedupe_key IS NOT NULL AND state = 'queued';
CREATE INDEX jobs_ready_idx ON jobs (priority DESC, run_at, id) WHERE state = 'queued';
CREATE INDEX jobs_dead_idx ON jobs (updated_at DESC) WHERE state = 'dead';

-- Deauthorize callbacks: a user (or a page, user_id "0") removed the app.
CREATE TABLE deauthorizations (
    id BIGSERIAL PRIMARY KEY,
    app_scoped_user_id TEXT NOT NULL,
    profile_id TEXT,
    issued_at TIMESTAMPTZ,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    tokens_revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX deauthorizations_user_idx ON deauthorizations (app_scoped_user_id);

-- Data deletion requests and their public status.
CREATE TABLE deletion_requests (
    id BIGSERIAL PRIMARY KEY,
    confirmation_code TEXT NOT NULL UNIQUE,
    -- SHA-256 of the app-scoped user id: lets a repeat request be recognised
    -- without keeping the id itself once deletion is complete.
    subject_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('received', 'completed', 'failed')),
    -- What was deleted or anonymised, per table (counts only, no personal data).
    report JSONB NOT NULL DEFAULT '{}',
    requested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    completed_at TIMESTAMPTZ
);
