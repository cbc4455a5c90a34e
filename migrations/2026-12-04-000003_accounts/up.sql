-- Page admins, installed pages, sessions, OAuth state, fan tokens, and contacts
-- with their identities. Tokens are stored encrypted (AES-256-GCM, see
-- src/crypto/tokens.rs); the columns hold ciphertext only.

CREATE TABLE admins (
    id BIGSERIAL PRIMARY KEY,
    -- App-scoped Facebook user id.
    fb_user_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    email TEXT,
    user_token_enc BYTEA,
    user_token_expires_at TIMESTAMPTZ,
    token_status TEXT NOT NULL DEFAULT 'valid' CHECK (token_status IN ('valid', 'needs_reauth', 'revoked')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_login_at TIMESTAMPTZ
);

CREATE TABLE pages (
    id BIGSERIAL PRIMARY KEY,
    fb_page_id TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    category TEXT,
    page_token_enc BYTEA,
    -- The admin whose login produced the stored page token.
    token_admin_id BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    token_status TEXT NOT NULL DEFAULT 'valid' CHECK (token_status IN ('valid', 'needs_reauth', 'revoked')),
    token_error TEXT,
    token_checked_at TIMESTAMPTZ,
    subscribed_fields TEXT,
    subscription_status TEXT NOT NULL DEFAULT 'unknown' CHECK (subscription_status IN ('unknown', 'subscribed', 'failed', 'removed')),
    subscription_error TEXT,
    subscription_checked_at TIMESTAMPTZ,
    installed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Which admin manages which page: the root of every tenant check.
CREATE TABLE page_admins (
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    admin_id BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    tasks TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (page_id, admin_id)
);
CREATE INDEX page_admins_admin_idx ON page_admins (admin_id);

-- Admin sessions: the JWT names its session, so logout (and deauthorization)
-- revokes it for every process at once.
CREATE TABLE admin_sessions (
    id UUID PRIMARY KEY,
    admin_id BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Hard limit; renewals of the short-lived JWT never go beyond it.
    expires_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at TIMESTAMPTZ
);
CREATE INDEX admin_sessions_admin_idx ON admin_sessions (admin_id);

-- OAuth `state` values, bound to the browser by a cookie nonce (stored hashed).
CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY,
    purpose TEXT NOT NULL CHECK (purpose IN ('admin', 'fan')),
    browser_hash TEXT NOT NULL,
    -- Fan logins: the page and where to return afterwards.
    page_id BIGINT REFERENCES pages (id) ON DELETE CASCADE,
    return_to TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);

-- Fans' user tokens (for friend counts), encrypted.
CREATE TABLE fan_tokens (
    fb_user_id TEXT PRIMARY KEY,
    token_enc BYTEA NOT NULL,
    scopes TEXT NOT NULL,
    expires_at TIMESTAMPTZ,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The social CRM's people, one per page (each page is its own tenant).
CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    display_name TEXT,
    email TEXT,
    postal_code TEXT,
    country TEXT,
    locale TEXT,
    age_min INTEGER,
    age_max INTEGER,
    -- Total friends, when the fan granted user_friends at login.
    friends_count INTEGER,
    first_source TEXT NOT NULL CHECK (first_source IN ('fan_page', 'login', 'comment', 'referral', 'webhook')),
    first_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- Set by a data-deletion request: personal fields are blanked, identities
    -- deleted; the row stays so anonymous aggregates keep adding up.
    erased_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX contacts_page_idx ON contacts (page_id, id);

-- How a contact is recognised. Unique per page, so one identity can never belong
-- to two contacts, even under concurrent requests.
CREATE TABLE contact_identities (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('asid', 'psid', 'email')),
    value TEXT NOT NULL,
    -- The name seen with a page-scoped id (webhooks carry one).
    name TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT contact_identities_page_kind_value_key UNIQUE (page_id, kind, value)
);
CREATE INDEX contact_identities_contact_idx ON contact_identities (contact_id);
CREATE INDEX contact_identities_value_idx ON contact_identities (value);

-- Periodic jobs: when each kind was last enqueued (shared by all processes).
CREATE TABLE job_schedule (
    kind TEXT PRIMARY KEY,
    last_enqueued_at TIMESTAMPTZ NOT NULL DEFAULT 'epoch'
);
