-- Engagement: referrals, the points ledger, winner selection (verifiable draws,
-- judging) and the pre-launch prize poll. Every rule that must hold under
-- concurrency is a constraint or a trigger here, not a check in application code.

-- Per-contest point rules (see src/domain/points.rs for the JSON shape) and the
-- exchange rate of points into bonus draw entries (NULL: points never add entries).
ALTER TABLE contests
    ADD COLUMN point_rules JSONB NOT NULL DEFAULT '{}',
    ADD COLUMN points_per_bonus_entry INTEGER
        CHECK (points_per_bonus_entry IS NULL OR points_per_bonus_entry > 0);

------------------------------------------------------------------------------
-- Referrals
------------------------------------------------------------------------------

-- Personal referral links (/r/<code>), one per entrant and contest. When contacts
-- merge, the merged person's codes keep working for the survivor but stop being
-- "primary", so each person still has exactly one code to show per contest.
CREATE TABLE referral_codes (
    code TEXT PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    is_primary BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX referral_codes_primary_idx ON referral_codes (contest_id, contact_id) WHERE is_primary;
CREATE INDEX referral_codes_contact_idx ON referral_codes (contact_id);

-- Unique clicks: one row per code and visitor (browser cookie), so reloading or
-- replaying a link never counts twice. visitor_id is NULL after an erasure.
CREATE TABLE referral_clicks (
    id BIGSERIAL PRIMARY KEY,
    code TEXT NOT NULL REFERENCES referral_codes (code) ON DELETE CASCADE,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    visitor_id TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT referral_clicks_one_per_visitor UNIQUE (code, visitor_id)
);
CREATE INDEX referral_clicks_contest_idx ON referral_clicks (contest_id, code);
CREATE INDEX referral_clicks_visitor_idx ON referral_clicks (visitor_id) WHERE visitor_id IS NOT NULL;

-- Conversions: the referred person's first entry in a contest. Rejected attempts
-- (self-referral, loops, identities found to be one person later) are kept for
-- review. A person is credited as referred at most once per contest.
CREATE TABLE referrals (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    code TEXT REFERENCES referral_codes (code) ON DELETE SET NULL,
    referrer_contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    referred_contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    entry_id BIGINT REFERENCES entries (id) ON DELETE SET NULL,
    status TEXT NOT NULL CHECK (status IN ('credited', 'rejected')),
    reject_reason TEXT CHECK (reject_reason IN ('self_referral', 'loop', 'duplicate_identity')),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT referrals_reason_when_rejected CHECK ((status = 'rejected') = (reject_reason IS NOT NULL))
);
CREATE UNIQUE INDEX referrals_one_credit_per_referred ON referrals (contest_id, referred_contact_id)
    WHERE status = 'credited';
CREATE INDEX referrals_referrer_idx ON referrals (contest_id, referrer_contact_id);
CREATE INDEX referrals_referred_idx ON referrals (referred_contact_id);

------------------------------------------------------------------------------
-- Points
------------------------------------------------------------------------------

-- The append-only ledger. Every award names its reason and a source key that is
-- unique per contest (entry:<id>, vote:<id>, referral:<id>, ...), so a replayed
-- event never awards twice. Corrections are new rows (admin_adjustment).
CREATE TABLE point_awards (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    reason TEXT NOT NULL CHECK (reason IN ('entry', 'referral_conversion', 'vote_received',
                                           'daily_visit', 'bonus_question', 'admin_adjustment')),
    points INTEGER NOT NULL CHECK (points <> 0),
    source_key TEXT NOT NULL,
    -- The local day (contest time zone) the award counts against for per-day caps.
    award_day DATE NOT NULL,
    note TEXT,
    admin_id BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT point_awards_source_once UNIQUE (contest_id, source_key),
    CONSTRAINT point_awards_adjustments_have_a_note
        CHECK (reason <> 'admin_adjustment' OR (note IS NOT NULL AND note <> ''))
);
CREATE INDEX point_awards_caps_idx ON point_awards (contest_id, contact_id, reason, award_day);
CREATE INDEX point_awards_contact_idx ON point_awards (contact_id);

-- Balances, maintained only by the trigger below in the same statement as the
-- ledger row, so balance = SUM(ledger) holds under any concurrency.
CREATE TABLE point_balances (
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    points BIGINT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (contest_id, contact_id)
);
CREATE INDEX point_balances_rank_idx ON point_balances (contest_id, points DESC);

CREATE FUNCTION point_awards_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO point_balances AS b (contest_id, contact_id, points)
        VALUES (NEW.contest_id, NEW.contact_id, NEW.points)
        ON CONFLICT (contest_id, contact_id)
        DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now();
        RETURN NEW;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only three changes are allowed: a contact merge moves rows to the
        -- survivor, an erasure blanks the note, and deleting an admin clears admin_id.
        IF NEW.id <> OLD.id OR NEW.contest_id <> OLD.contest_id OR NEW.reason <> OLD.reason
           OR NEW.points <> OLD.points OR NEW.source_key <> OLD.source_key
           OR NEW.award_day <> OLD.award_day OR NEW.created_at <> OLD.created_at
           OR (NEW.note IS DISTINCT FROM OLD.note AND NEW.note IS DISTINCT FROM '[erased]')
           OR (NEW.admin_id IS DISTINCT FROM OLD.admin_id AND NEW.admin_id IS NOT NULL) THEN
            RAISE EXCEPTION 'point_awards is append-only: add a correcting award instead';
        END IF;
        IF NEW.contact_id <> OLD.contact_id THEN
            UPDATE point_balances SET points = points - OLD.points, updated_at = now()
             WHERE contest_id = OLD.contest_id AND contact_id = OLD.contact_id;
            INSERT INTO point_balances AS b (contest_id, contact_id, points)
            VALUES (NEW.contest_id, NEW.contact_id, NEW.points)
            ON CONFLICT (contest_id, contact_id)
            DO UPDATE SET points = b.points + EXCLUDED.points, updated_at = now();
        END IF;
        RETURN NEW;
    ELSE
        -- Rows only disappear with their contest or contact (a cascade, which runs
        -- inside the foreign key's own trigger), never by a direct DELETE.
        IF pg_trigger_depth() <= 1 THEN
            RAISE EXCEPTION 'point_awards is append-only: add a correcting award instead';
        END IF;
        RETURN OLD;
    END IF;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER point_awards_ledger
    AFTER INSERT OR UPDATE ON point_awards
    FOR EACH ROW EXECUTE FUNCTION point_awards_apply();
CREATE TRIGGER point_awards_no_delete
    BEFORE DELETE ON point_awards
    FOR EACH ROW EXECUTE FUNCTION point_awards_apply();

------------------------------------------------------------------------------
-- Winner selection
------------------------------------------------------------------------------

-- The secret draw seed, committed when the contest is scheduled or opens. The
-- seed is sealed with AES-256-GCM (src/crypto/tokens.rs, associated data
-- "draw-seed:<contest id>"); only the commitment is public until the draw.
CREATE TABLE draw_seeds (
    contest_id BIGINT PRIMARY KEY REFERENCES contests (id) ON DELETE CASCADE,
    seed_enc BYTEA NOT NULL,
    commitment TEXT NOT NULL CHECK (commitment ~ '^[0-9a-f]{64}$'),
    committed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    revealed_at TIMESTAMPTZ
);

-- One winner selection per contest, never re-run (a second random draw would let
-- an operator pick the outcome they like).
CREATE TABLE draws (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL UNIQUE REFERENCES contests (id) ON DELETE CASCADE,
    method TEXT NOT NULL CHECK (method IN ('votes', 'points', 'judges', 'random')),
    winners_count INTEGER NOT NULL CHECK (winners_count BETWEEN 0 AND 1000),
    alternates_count INTEGER NOT NULL CHECK (alternates_count BETWEEN 0 AND 1000),
    -- random: the public draw record (domain::draw::DrawRecord), seed included.
    record JSONB,
    -- votes, points, judges: the ranking the picks came from, best first.
    ranking JSONB NOT NULL DEFAULT '[]',
    admin_id BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT draws_random_has_record CHECK ((method = 'random') = (record IS NOT NULL))
);

-- Winners and alternates in pick order. A declined winner's prize slot passes to
-- the next standing alternate; at most one current winner per slot.
CREATE TABLE draw_picks (
    id BIGSERIAL PRIMARY KEY,
    draw_id BIGINT NOT NULL REFERENCES draws (id) ON DELETE CASCADE,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    pick_order INTEGER NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('winner', 'alternate')),
    status TEXT NOT NULL CHECK (status IN ('won', 'standby', 'declined', 'skipped')),
    prize_slot INTEGER,
    status_reason TEXT,
    replaces_pick_id BIGINT REFERENCES draw_picks (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT draw_picks_order UNIQUE (draw_id, pick_order),
    CONSTRAINT draw_picks_entry UNIQUE (draw_id, entry_id),
    CONSTRAINT draw_picks_slot_when_won CHECK ((status = 'won') = (prize_slot IS NOT NULL))
);
CREATE UNIQUE INDEX draw_picks_one_winner_per_slot ON draw_picks (draw_id, prize_slot) WHERE status = 'won';
CREATE INDEX draw_picks_contact_idx ON draw_picks (contact_id);
CREATE INDEX draw_picks_entry_idx ON draw_picks (entry_id);

-- Judging: criteria set by the admin, scores 1..10 by page admins (the judges).
CREATE TABLE judging_criteria (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT judging_criteria_name UNIQUE (contest_id, name)
);

CREATE TABLE judge_scores (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    entry_id BIGINT NOT NULL REFERENCES entries (id) ON DELETE CASCADE,
    criterion_id BIGINT NOT NULL REFERENCES judging_criteria (id) ON DELETE CASCADE,
    -- A judge who deletes their account takes their scores with them; a draw
    -- already made keeps the ranking it used.
    admin_id BIGINT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    score SMALLINT NOT NULL CHECK (score BETWEEN 1 AND 10),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT judge_scores_one_per_judge UNIQUE (entry_id, criterion_id, admin_id)
);
CREATE INDEX judge_scores_contest_idx ON judge_scores (contest_id, entry_id);

------------------------------------------------------------------------------
-- Prize poll (before launch)
------------------------------------------------------------------------------

CREATE TABLE prize_polls (
    id BIGSERIAL PRIMARY KEY,
    contest_id BIGINT NOT NULL UNIQUE REFERENCES contests (id) ON DELETE CASCADE,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    -- The cap on a suggestion's estimated value, in minor units of currency.
    budget_minor BIGINT NOT NULL CHECK (budget_minor > 0 AND budget_minor <= 100000000000),
    currency TEXT NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    opens_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    closes_at TIMESTAMPTZ NOT NULL,
    -- Set when an admin closes the poll before its schedule.
    closed_at TIMESTAMPTZ,
    adopted_suggestion_id BIGINT,
    created_by BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT prize_polls_schedule CHECK (opens_at < closes_at)
);

-- One suggestion per person per poll (slot 'one'); when two suggesters turn out
-- to be one person, the later suggestion is rejected and moved to slot 'dup:<id>'.
CREATE TABLE poll_suggestions (
    id BIGSERIAL PRIMARY KEY,
    poll_id BIGINT NOT NULL REFERENCES prize_polls (id) ON DELETE CASCADE,
    contest_id BIGINT NOT NULL REFERENCES contests (id) ON DELETE CASCADE,
    page_id BIGINT NOT NULL REFERENCES pages (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    slot TEXT NOT NULL DEFAULT 'one',
    title TEXT NOT NULL,
    value_minor BIGINT NOT NULL CHECK (value_minor > 0),
    url TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    status_reason TEXT,
    moderated_by BIGINT REFERENCES admins (id) ON DELETE SET NULL,
    moderated_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT poll_suggestions_one_per_person UNIQUE (poll_id, contact_id, slot)
);
CREATE INDEX poll_suggestions_poll_idx ON poll_suggestions (poll_id, status, id);
CREATE INDEX poll_suggestions_contact_idx ON poll_suggestions (contact_id);

ALTER TABLE prize_polls ADD CONSTRAINT prize_polls_adopted_fk
    FOREIGN KEY (adopted_suggestion_id) REFERENCES poll_suggestions (id) ON DELETE SET NULL;

-- Same uniqueness as entry votes: one vote per voter per suggestion per period.
CREATE TABLE poll_votes (
    id BIGSERIAL PRIMARY KEY,
    poll_id BIGINT NOT NULL REFERENCES prize_polls (id) ON DELETE CASCADE,
    suggestion_id BIGINT NOT NULL REFERENCES poll_suggestions (id) ON DELETE CASCADE,
    voter_contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    vote_period TEXT NOT NULL,
    ip TEXT,
    user_agent_hash TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT poll_votes_one_per_period UNIQUE (suggestion_id, voter_contact_id, vote_period)
);
CREATE INDEX poll_votes_poll_idx ON poll_votes (poll_id, suggestion_id);
CREATE INDEX poll_votes_voter_idx ON poll_votes (voter_contact_id);
