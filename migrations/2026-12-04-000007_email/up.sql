-- Email confirmation for fans who vote without Facebook, and the outbox that
-- delivers Fanfare's few emails (through SMTP live, into the sandbox mailbox in
-- sandbox mode).

CREATE TABLE email_confirmations (
    token_hash TEXT PRIMARY KEY,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    return_to TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    used_at TIMESTAMPTZ
);
CREATE INDEX email_confirmations_email_idx ON email_confirmations (email);

CREATE TABLE email_outbox (
    id BIGSERIAL PRIMARY KEY,
    page_id BIGINT REFERENCES pages (id) ON DELETE CASCADE,
    to_address TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    sent_at TIMESTAMPTZ,
    -- 'sandbox' (kept for the sandbox mailbox) or 'smtp'.
    delivered_via TEXT
);
CREATE INDEX email_outbox_to_idx ON email_outbox (to_address);
