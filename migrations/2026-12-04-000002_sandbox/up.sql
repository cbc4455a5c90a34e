-- The sandbox platform's own state: a faithful fake of the parts of Facebook that
-- Fanfare uses. Only used in sandbox mode; kept in Postgres so that changes made
-- through it survive restarts.

CREATE TABLE sandbox_users (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    email TEXT,
    locale TEXT NOT NULL DEFAULT 'en_US',
    country TEXT NOT NULL DEFAULT 'US',
    age_min INTEGER NOT NULL DEFAULT 21,
    friends_count INTEGER NOT NULL DEFAULT 0,
    -- Sorts the dialog's user list: page admins first.
    is_admin BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE sandbox_pages (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    category TEXT NOT NULL,
    fan_count INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE sandbox_page_roles (
    page_id TEXT NOT NULL REFERENCES sandbox_pages (id),
    user_id TEXT NOT NULL REFERENCES sandbox_users (id),
    -- Comma-separated, as Facebook lists them.
    tasks TEXT NOT NULL,
    PRIMARY KEY (page_id, user_id)
);

CREATE TABLE sandbox_posts (
    id TEXT PRIMARY KEY,
    page_id TEXT NOT NULL REFERENCES sandbox_pages (id),
    message TEXT NOT NULL,
    created_time TIMESTAMPTZ NOT NULL,
    shares_count INTEGER NOT NULL DEFAULT 0,
    impressions INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX sandbox_posts_page_idx ON sandbox_posts (page_id);

CREATE TABLE sandbox_comments (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    post_id TEXT NOT NULL REFERENCES sandbox_posts (id),
    user_id TEXT NOT NULL REFERENCES sandbox_users (id),
    message TEXT NOT NULL,
    created_time TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_comments_post_idx ON sandbox_comments (post_id, seq);

CREATE TABLE sandbox_reactions (
    post_id TEXT NOT NULL REFERENCES sandbox_posts (id),
    user_id TEXT NOT NULL REFERENCES sandbox_users (id),
    reaction_type TEXT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

CREATE TABLE sandbox_codes (
    code TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES sandbox_users (id),
    redirect_uri TEXT NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    used_at TIMESTAMPTZ
);

CREATE TABLE sandbox_tokens (
    token TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'page')),
    user_id TEXT NOT NULL REFERENCES sandbox_users (id),
    page_id TEXT REFERENCES sandbox_pages (id),
    scopes TEXT NOT NULL,
    long_lived BOOLEAN NOT NULL DEFAULT false,
    -- NULL: never expires (page tokens from a long-lived user token).
    expires_at TIMESTAMPTZ,
    -- Set when the user changed their password or removed the app (error 190/460).
    invalidated_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX sandbox_tokens_user_idx ON sandbox_tokens (user_id);

CREATE TABLE sandbox_subscriptions (
    page_id TEXT PRIMARY KEY REFERENCES sandbox_pages (id),
    fields TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Webhook deliveries the sandbox owes Fanfare, sent and retried like Facebook does.
CREATE TABLE sandbox_webhook_outbox (
    id BIGSERIAL PRIMARY KEY,
    page_id TEXT NOT NULL,
    field TEXT NOT NULL,
    value JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    delivered_at TIMESTAMPTZ,
    last_status INTEGER,
    last_error TEXT
);
CREATE INDEX sandbox_webhook_outbox_pending_idx ON sandbox_webhook_outbox (next_attempt_at, id) WHERE delivered_at IS NULL;
