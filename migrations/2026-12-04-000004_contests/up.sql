-- Contests, entries, consents, votes, the activity timeline, the audit log and
-- shared rate-limit counters.

CREATE TABLE contests (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    -- Public address: /c/<slug>.
    slug TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('ugc', 'sweepstakes', 'comment_to_enter')),
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    prize TEXT NOT NULL DEFAULT '',
    rules_text TEXT NOT NULL DEFAULT '',
    -- Changes whenever rules_text changes; consents record the version shown.
    rules_version TEXT NOT NULL DEFAULT '',
    min_age INTEGER CHECK (min_age IS NULL OR min_age BETWEEN 0 AND 120),
    -- ISO alpha-2 codes, comma-separated; NULL means every country.
    allowed_countries TEXT,
    entry_limit TEXT NOT NULL DEFAULT 'once' CHECK (entry_limit IN ('once', 'daily')),
    vote_limit TEXT NOT NULL DEFAULT 'once' CHECK (vote_limit IN ('once', 'daily')),
    -- IANA zone in which the schedule was given and "daily" limits reset.
    time_zone TEXT NOT NULL DEFAULT 'UTC',
    opens_at TIMESTAMPTZ,
    closes_at TIMESTAMPTZ,
    status TEXT NOT NULL DEFAULT 'draft'
        CHECK (status IN ('draft', 'prize_poll', 'scheduled', 'open', 'closed', 'winners_announced')),
    auto_approve BOOLEAN NOT NULL DEFAULT false,
    voting_enabled BOOLEAN NOT NULL DEFAULT true,
    form_schema JSONB NOT NULL DEFAULT '{}',
    -- comment_to_enter: the page post whose comments are entries.
    linked_post_id TEXT,
    opened_at TIMESTAMPTZ,
    closed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT contests_schedule_order CHECK (opens_at IS NULL OR closes_at IS NULL OR opens_at < closes_at)
);
CREATE INDEX contests_page_idx ON contests (page_id, status);
CREATE INDEX contests_linked_post_idx ON contests (linked_post_id) WHERE linked_post_id IS NOT NULL;

CREATE TABLE entries (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    -- 'all' for once-per-contest, the local date for daily limits. One entry per
    -- person per period is a constraint, so concurrent submits cannot both win.
    entry_period TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('form', 'login', 'comment')),
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'disqualified')),
    status_reason TEXT,
    moderated_by BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    moderated_at TIMESTAMPTZ,
    text TEXT,
    image_name TEXT,
    answers JSONB NOT NULL DEFAULT '[]',
    comment_id TEXT,
    sentiment DOUBLE PRECISION,
    ip TEXT,
    user_agent_hash TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT entries_one_per_period UNIQUE (contest_id, contact_id, entry_period)
);
CREATE UNIQUE INDEX entries_comment_idx ON entries (contest_id, comment_id) WHERE comment_id IS NOT NULL;
CREATE INDEX entries_contest_status_idx ON entries (contest_id, status, id);
CREATE INDEX entries_contact_idx ON entries (contact_id);

-- Every consent as given: what, when, and the version of the text shown.
CREATE TABLE consents (
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    contest_id BIGINT REFERENCES contests (id) ON DELETE CASCADE,
    entry_id BIGINT REFERENCES entries (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('rules', 'marketing')),
    granted BOOLEAN NOT NULL,
    text_version TEXT NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX consents_contact_idx ON consents (contact_id, kind, recorded_at DESC);

CREATE TABLE votes (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    voter_contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    vote_period TEXT NOT NULL,
    -- Fraud signals, shown to admins.
    ip TEXT,
    user_agent_hash TEXT,
    ip_votes_last_10m INTEGER NOT NULL DEFAULT 0,
    voter_age_secs BIGINT NOT NULL DEFAULT 0,
    voided_at TIMESTAMPTZ,
    void_reason TEXT,
    voided_by BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT votes_one_per_period UNIQUE (entry_id, voter_contact_id, vote_period)
);
CREATE INDEX votes_contest_idx ON votes (contest_id, created_at);
CREATE INDEX votes_ip_idx ON votes (ip, created_at);
CREATE INDEX votes_voter_idx ON votes (voter_contact_id);

-- Browsers seen on fan pages, linked to a contact once the person is known.
CREATE TABLE visitors (
    id TEXT PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX visitors_contact_idx ON visitors (contact_id);

-- The CRM timeline: every interaction, by contact (or anonymous visitor).
CREATE TABLE activities (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    visitor_id TEXT,
    contest_id BIGINT REFERENCES contests (id) ON DELETE SET NULL,
    kind TEXT NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    details JSONB NOT NULL DEFAULT '{}',
    -- Replays of the same source (webhook event, request) never add a second row.
    dedupe_key TEXT UNIQUE
);
CREATE INDEX activities_contact_idx ON activities (contact_id, occurred_at DESC);
CREATE INDEX activities_page_kind_idx ON activities (page_id, kind, occurred_at);
CREATE INDEX activities_visitor_idx ON activities (visitor_id) WHERE visitor_id IS NOT NULL;
CREATE INDEX activities_contest_idx ON activities (contest_id, kind, occurred_at) WHERE contest_id IS NOT NULL;

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT REFERENCES pages (id) ON DELETE CASCADE,
    admin_id BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    action TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id BIGINT,
    details JSONB NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_page_idx ON audit_log (page_id, created_at DESC);

-- Fixed-window counters shared by every process (entering and voting limits).
CREATE TABLE rate_limits (
    key TEXT NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
);
