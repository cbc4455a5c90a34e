// @generated automatically by Diesel CLI.

diesel::table! {
    activities (id) {
        id -> Int8,
        page_id -> Int8,
        contact_id -> Nullable<Int8>,
        visitor_id -> Nullable<Text>,
        contest_id -> Nullable<Int8>,
        kind -> Text,
        occurred_at -> Timestamptz,
        details -> Jsonb,
        dedupe_key -> Nullable<Text>,
    }
}

diesel::table! {
    admin_sessions (id) {
        id -> Uuid,
        admin_id -> Int8,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        revoked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    admins (id) {
        id -> Int8,
        fb_user_id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        user_token_enc -> Nullable<Bytea>,
        user_token_expires_at -> Nullable<Timestamptz>,
        token_status -> Text,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        last_login_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> Int8,
        page_id -> Nullable<Int8>,
        admin_id -> Nullable<Int8>,
        action -> Text,
        subject_type -> Text,
        subject_id -> Nullable<Int8>,
        details -> Jsonb,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    consents (id) {
        id -> Int8,
        contact_id -> Int8,
        contest_id -> Nullable<Int8>,
        entry_id -> Nullable<Int8>,
        kind -> Text,
        granted -> Bool,
        text_version -> Text,
        recorded_at -> Timestamptz,
    }
}

diesel::table! {
    contact_identities (id) {
        id -> Int8,
        page_id -> Int8,
        contact_id -> Int8,
        kind -> Text,
        value -> Text,
        name -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    contact_metrics (contact_id) {
        contact_id -> Int8,
        page_id -> Int8,
        page_views -> Int4,
        entries -> Int4,
        votes_cast -> Int4,
        votes_received -> Int4,
        referral_clicks -> Int4,
        referral_conversions -> Int4,
        shares -> Int4,
        comments -> Int4,
        reactions -> Int4,
        mentions -> Int4,
        positive_mentions -> Int4,
        posts -> Int4,
        ratings -> Int4,
        poll_actions -> Int4,
        points -> Int8,
        sentiment_sum -> Float8,
        sentiment_count -> Int4,
        ugc_sentiment_sum -> Float8,
        ugc_sentiment_count -> Int4,
        share_engagement -> Int4,
        marketing_opt_in -> Bool,
        last_activity_at -> Nullable<Timestamptz>,
        sentiment_avg -> Nullable<Float8>,
        advocacy -> Nullable<Float8>,
        friends_count -> Int4,
        reach -> Nullable<Int8>,
    }
}

diesel::table! {
    contact_metrics_dirty (contact_id) {
        contact_id -> Int8,
        page_id -> Int8,
    }
}

diesel::table! {
    contacts (id) {
        id -> Int8,
        page_id -> Int8,
        display_name -> Nullable<Text>,
        email -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
        locale -> Nullable<Text>,
        age_min -> Nullable<Int4>,
        age_max -> Nullable<Int4>,
        friends_count -> Nullable<Int4>,
        first_source -> Text,
        first_seen_at -> Timestamptz,
        last_seen_at -> Timestamptz,
        erased_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    contests (id) {
        id -> Int8,
        page_id -> Int8,
        slug -> Text,
        kind -> Text,
        title -> Text,
        description -> Text,
        prize -> Text,
        rules_text -> Text,
        rules_version -> Text,
        min_age -> Nullable<Int4>,
        allowed_countries -> Nullable<Text>,
        entry_limit -> Text,
        vote_limit -> Text,
        time_zone -> Text,
        opens_at -> Nullable<Timestamptz>,
        closes_at -> Nullable<Timestamptz>,
        status -> Text,
        auto_approve -> Bool,
        voting_enabled -> Bool,
        form_schema -> Jsonb,
        linked_post_id -> Nullable<Text>,
        opened_at -> Nullable<Timestamptz>,
        closed_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        point_rules -> Jsonb,
        points_per_bonus_entry -> Nullable<Int4>,
    }
}

diesel::table! {
    daily_stats (page_id, contest_id, day, kind, shard) {
        page_id -> Int8,
        contest_id -> Int8,
        day -> Date,
        kind -> Text,
        n -> Int4,
        sentiment_sum -> Float8,
        sentiment_count -> Int4,
        shard -> Int2,
    }
}

diesel::table! {
    deauthorizations (id) {
        id -> Int8,
        app_scoped_user_id -> Text,
        profile_id -> Nullable<Text>,
        issued_at -> Nullable<Timestamptz>,
        received_at -> Timestamptz,
        tokens_revoked -> Int4,
    }
}

diesel::table! {
    deletion_requests (id) {
        id -> Int8,
        confirmation_code -> Text,
        subject_hash -> Text,
        status -> Text,
        report -> Jsonb,
        requested_at -> Timestamptz,
        completed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    draw_picks (id) {
        id -> Int8,
        draw_id -> Int8,
        contest_id -> Int8,
        entry_id -> Int8,
        contact_id -> Int8,
        pick_order -> Int4,
        role -> Text,
        status -> Text,
        prize_slot -> Nullable<Int4>,
        status_reason -> Nullable<Text>,
        replaces_pick_id -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    draw_seeds (contest_id) {
        contest_id -> Int8,
        seed_enc -> Bytea,
        commitment -> Text,
        committed_at -> Timestamptz,
        revealed_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    draws (id) {
        id -> Int8,
        contest_id -> Int8,
        method -> Text,
        winners_count -> Int4,
        alternates_count -> Int4,
        record -> Nullable<Jsonb>,
        ranking -> Jsonb,
        admin_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    email_confirmations (token_hash) {
        token_hash -> Text,
        page_id -> Int8,
        email -> Text,
        return_to -> Text,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    email_outbox (id) {
        id -> Int8,
        page_id -> Nullable<Int8>,
        to_address -> Text,
        subject -> Text,
        body -> Text,
        created_at -> Timestamptz,
        sent_at -> Nullable<Timestamptz>,
        delivered_via -> Nullable<Text>,
    }
}

diesel::table! {
    entries (id) {
        id -> Int8,
        contest_id -> Int8,
        page_id -> Int8,
        contact_id -> Int8,
        entry_period -> Text,
        source -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        moderated_by -> Nullable<Int8>,
        moderated_at -> Nullable<Timestamptz>,
        text -> Nullable<Text>,
        image_name -> Nullable<Text>,
        answers -> Jsonb,
        comment_id -> Nullable<Text>,
        sentiment -> Nullable<Float8>,
        ip -> Nullable<Text>,
        user_agent_hash -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    fan_tokens (fb_user_id) {
        fb_user_id -> Text,
        token_enc -> Bytea,
        scopes -> Text,
        expires_at -> Nullable<Timestamptz>,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    job_schedule (kind) {
        kind -> Text,
        last_enqueued_at -> Timestamptz,
    }
}

diesel::table! {
    jobs (id) {
        id -> Int8,
        kind -> Text,
        payload -> Jsonb,
        state -> Text,
        priority -> Int2,
        attempts -> Int4,
        max_attempts -> Int4,
        run_at -> Timestamptz,
        last_error -> Nullable<Text>,
        dedupe_key -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    judge_scores (id) {
        id -> Int8,
        contest_id -> Int8,
        entry_id -> Int8,
        criterion_id -> Int8,
        admin_id -> Int8,
        score -> Int2,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    judging_criteria (id) {
        id -> Int8,
        contest_id -> Int8,
        name -> Text,
        description -> Text,
        position -> Int4,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    oauth_states (state_hash) {
        state_hash -> Text,
        purpose -> Text,
        browser_hash -> Text,
        page_id -> Nullable<Int8>,
        return_to -> Nullable<Text>,
        created_at -> Timestamptz,
        expires_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    page_admins (page_id, admin_id) {
        page_id -> Int8,
        admin_id -> Int8,
        tasks -> Text,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    pages (id) {
        id -> Int8,
        fb_page_id -> Text,
        name -> Text,
        category -> Nullable<Text>,
        page_token_enc -> Nullable<Bytea>,
        token_admin_id -> Nullable<Int8>,
        token_status -> Text,
        token_error -> Nullable<Text>,
        token_checked_at -> Nullable<Timestamptz>,
        subscribed_fields -> Nullable<Text>,
        subscription_status -> Text,
        subscription_error -> Nullable<Text>,
        subscription_checked_at -> Nullable<Timestamptz>,
        installed_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    point_awards (id) {
        id -> Int8,
        contest_id -> Int8,
        contact_id -> Int8,
        reason -> Text,
        points -> Int4,
        source_key -> Text,
        award_day -> Date,
        note -> Nullable<Text>,
        admin_id -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    point_balances (contest_id, contact_id) {
        contest_id -> Int8,
        contact_id -> Int8,
        points -> Int8,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    poll_suggestions (id) {
        id -> Int8,
        poll_id -> Int8,
        contest_id -> Int8,
        page_id -> Int8,
        contact_id -> Int8,
        slot -> Text,
        title -> Text,
        value_minor -> Int8,
        url -> Nullable<Text>,
        status -> Text,
        status_reason -> Nullable<Text>,
        moderated_by -> Nullable<Int8>,
        moderated_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    poll_votes (id) {
        id -> Int8,
        poll_id -> Int8,
        suggestion_id -> Int8,
        voter_contact_id -> Int8,
        vote_period -> Text,
        ip -> Nullable<Text>,
        user_agent_hash -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    prize_polls (id) {
        id -> Int8,
        contest_id -> Int8,
        page_id -> Int8,
        budget_minor -> Int8,
        currency -> Text,
        opens_at -> Timestamptz,
        closes_at -> Timestamptz,
        closed_at -> Nullable<Timestamptz>,
        adopted_suggestion_id -> Nullable<Int8>,
        created_by -> Nullable<Int8>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    rate_limits (key, window_start) {
        key -> Text,
        window_start -> Timestamptz,
        count -> Int4,
    }
}

diesel::table! {
    reach_snapshots (id) {
        id -> Int8,
        page_id -> Int8,
        object_id -> Text,
        object_kind -> Text,
        contact_id -> Nullable<Int8>,
        contest_id -> Nullable<Int8>,
        taken_at -> Timestamptz,
        reactions -> Nullable<Int4>,
        comments -> Nullable<Int4>,
        shares -> Nullable<Int4>,
        impressions -> Nullable<Int4>,
        error -> Nullable<Text>,
    }
}

diesel::table! {
    referral_clicks (id) {
        id -> Int8,
        code -> Text,
        contest_id -> Int8,
        visitor_id -> Nullable<Text>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    referral_codes (code) {
        code -> Text,
        contest_id -> Int8,
        contact_id -> Int8,
        is_primary -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    referrals (id) {
        id -> Int8,
        contest_id -> Int8,
        code -> Nullable<Text>,
        referrer_contact_id -> Int8,
        referred_contact_id -> Int8,
        entry_id -> Nullable<Int8>,
        status -> Text,
        reject_reason -> Nullable<Text>,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sandbox_codes (code) {
        code -> Text,
        user_id -> Text,
        redirect_uri -> Text,
        scopes -> Text,
        created_at -> Timestamptz,
        used_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    sandbox_comments (seq) {
        seq -> Int8,
        id -> Text,
        post_id -> Text,
        user_id -> Text,
        message -> Text,
        created_time -> Timestamptz,
    }
}

diesel::table! {
    sandbox_page_roles (page_id, user_id) {
        page_id -> Text,
        user_id -> Text,
        tasks -> Text,
    }
}

diesel::table! {
    sandbox_pages (id) {
        id -> Text,
        name -> Text,
        category -> Text,
        fan_count -> Int4,
    }
}

diesel::table! {
    sandbox_posts (id) {
        id -> Text,
        page_id -> Text,
        message -> Text,
        created_time -> Timestamptz,
        shares_count -> Int4,
        impressions -> Int4,
    }
}

diesel::table! {
    sandbox_reactions (post_id, user_id) {
        post_id -> Text,
        user_id -> Text,
        reaction_type -> Text,
    }
}

diesel::table! {
    sandbox_subscriptions (page_id) {
        page_id -> Text,
        fields -> Text,
        updated_at -> Timestamptz,
    }
}

diesel::table! {
    sandbox_tokens (token) {
        token -> Text,
        kind -> Text,
        user_id -> Text,
        page_id -> Nullable<Text>,
        scopes -> Text,
        long_lived -> Bool,
        expires_at -> Nullable<Timestamptz>,
        invalidated_at -> Nullable<Timestamptz>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sandbox_users (id) {
        id -> Text,
        name -> Text,
        email -> Nullable<Text>,
        locale -> Text,
        country -> Text,
        age_min -> Int4,
        friends_count -> Int4,
        is_admin -> Bool,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    sandbox_webhook_outbox (id) {
        id -> Int8,
        page_id -> Text,
        field -> Text,
        value -> Jsonb,
        created_at -> Timestamptz,
        attempts -> Int4,
        next_attempt_at -> Timestamptz,
        delivered_at -> Nullable<Timestamptz>,
        last_status -> Nullable<Int4>,
        last_error -> Nullable<Text>,
    }
}

diesel::table! {
    segment_memberships (segment_id, contact_id) {
        segment_id -> Int8,
        contact_id -> Int8,
        since -> Timestamptz,
    }
}

diesel::table! {
    segment_sizes_daily (segment_id, day) {
        segment_id -> Int8,
        day -> Date,
        size -> Int4,
    }
}

diesel::table! {
    segments (id) {
        id -> Int8,
        page_id -> Int8,
        kind -> Text,
        key -> Text,
        name -> Text,
        description -> Text,
        rule -> Jsonb,
        created_at -> Timestamptz,
        updated_at -> Timestamptz,
        member_count -> Int8,
    }
}

diesel::table! {
    visitors (id) {
        id -> Text,
        page_id -> Int8,
        contact_id -> Nullable<Int8>,
        first_seen_at -> Timestamptz,
        linked_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    votes (id) {
        id -> Int8,
        contest_id -> Int8,
        entry_id -> Int8,
        voter_contact_id -> Int8,
        vote_period -> Text,
        ip -> Nullable<Text>,
        user_agent_hash -> Nullable<Text>,
        ip_votes_last_10m -> Int4,
        voter_age_secs -> Int8,
        voided_at -> Nullable<Timestamptz>,
        void_reason -> Nullable<Text>,
        voided_by -> Nullable<Int8>,
        created_at -> Timestamptz,
    }
}

diesel::table! {
    webhook_deliveries (id) {
        id -> Int8,
        body -> Bytea,
        body_sha256 -> Bytea,
        signature -> Text,
        received_at -> Timestamptz,
        parse_status -> Text,
        parse_error -> Nullable<Text>,
        object -> Nullable<Text>,
        event_count -> Int4,
        redacted_at -> Nullable<Timestamptz>,
    }
}

diesel::table! {
    webhook_events (id) {
        id -> Int8,
        delivery_id -> Int8,
        seq -> Int4,
        object -> Text,
        page_id -> Nullable<Text>,
        kind -> Text,
        field -> Nullable<Text>,
        item -> Nullable<Text>,
        verb -> Nullable<Text>,
        post_id -> Nullable<Text>,
        comment_id -> Nullable<Text>,
        parent_id -> Nullable<Text>,
        share_id -> Nullable<Text>,
        reaction_type -> Nullable<Text>,
        sender_id -> Nullable<Text>,
        sender_name -> Nullable<Text>,
        message -> Nullable<Text>,
        created_time -> Nullable<Timestamptz>,
        entry_time -> Nullable<Timestamptz>,
        value -> Jsonb,
        handled -> Bool,
        processed_at -> Nullable<Timestamptz>,
    }
}

diesel::joinable!(activities -> contacts (contact_id));
diesel::joinable!(activities -> contests (contest_id));
diesel::joinable!(activities -> pages (page_id));
diesel::joinable!(admin_sessions -> admins (admin_id));
diesel::joinable!(audit_log -> admins (admin_id));
diesel::joinable!(audit_log -> pages (page_id));
diesel::joinable!(consents -> contacts (contact_id));
diesel::joinable!(consents -> contests (contest_id));
diesel::joinable!(consents -> entries (entry_id));
diesel::joinable!(contact_identities -> contacts (contact_id));
diesel::joinable!(contact_identities -> pages (page_id));
diesel::joinable!(contact_metrics -> contacts (contact_id));
diesel::joinable!(contact_metrics -> pages (page_id));
diesel::joinable!(contacts -> pages (page_id));
diesel::joinable!(contests -> pages (page_id));
diesel::joinable!(daily_stats -> pages (page_id));
diesel::joinable!(draw_picks -> contacts (contact_id));
diesel::joinable!(draw_picks -> contests (contest_id));
diesel::joinable!(draw_picks -> draws (draw_id));
diesel::joinable!(draw_picks -> entries (entry_id));
diesel::joinable!(draw_seeds -> contests (contest_id));
diesel::joinable!(draws -> admins (admin_id));
diesel::joinable!(draws -> contests (contest_id));
diesel::joinable!(email_confirmations -> pages (page_id));
diesel::joinable!(email_outbox -> pages (page_id));
diesel::joinable!(entries -> admins (moderated_by));
diesel::joinable!(entries -> contacts (contact_id));
diesel::joinable!(entries -> contests (contest_id));
diesel::joinable!(entries -> pages (page_id));
diesel::joinable!(judge_scores -> admins (admin_id));
diesel::joinable!(judge_scores -> contests (contest_id));
diesel::joinable!(judge_scores -> entries (entry_id));
diesel::joinable!(judge_scores -> judging_criteria (criterion_id));
diesel::joinable!(judging_criteria -> contests (contest_id));
diesel::joinable!(oauth_states -> pages (page_id));
diesel::joinable!(page_admins -> admins (admin_id));
diesel::joinable!(page_admins -> pages (page_id));
diesel::joinable!(pages -> admins (token_admin_id));
diesel::joinable!(point_awards -> admins (admin_id));
diesel::joinable!(point_awards -> contacts (contact_id));
diesel::joinable!(point_awards -> contests (contest_id));
diesel::joinable!(point_balances -> contacts (contact_id));
diesel::joinable!(point_balances -> contests (contest_id));
diesel::joinable!(poll_suggestions -> admins (moderated_by));
diesel::joinable!(poll_suggestions -> contacts (contact_id));
diesel::joinable!(poll_suggestions -> contests (contest_id));
diesel::joinable!(poll_suggestions -> pages (page_id));
diesel::joinable!(poll_votes -> contacts (voter_contact_id));
diesel::joinable!(poll_votes -> poll_suggestions (suggestion_id));
diesel::joinable!(poll_votes -> prize_polls (poll_id));
diesel::joinable!(prize_polls -> admins (created_by));
diesel::joinable!(prize_polls -> contests (contest_id));
diesel::joinable!(prize_polls -> pages (page_id));
diesel::joinable!(reach_snapshots -> contacts (contact_id));
diesel::joinable!(reach_snapshots -> contests (contest_id));
diesel::joinable!(reach_snapshots -> pages (page_id));
diesel::joinable!(referral_clicks -> contests (contest_id));
diesel::joinable!(referral_clicks -> referral_codes (code));
diesel::joinable!(referral_codes -> contacts (contact_id));
diesel::joinable!(referral_codes -> contests (contest_id));
diesel::joinable!(referrals -> contests (contest_id));
diesel::joinable!(referrals -> entries (entry_id));
diesel::joinable!(referrals -> referral_codes (code));
diesel::joinable!(sandbox_codes -> sandbox_users (user_id));
diesel::joinable!(sandbox_comments -> sandbox_posts (post_id));
diesel::joinable!(sandbox_comments -> sandbox_users (user_id));
diesel::joinable!(sandbox_page_roles -> sandbox_pages (page_id));
diesel::joinable!(sandbox_page_roles -> sandbox_users (user_id));
diesel::joinable!(sandbox_posts -> sandbox_pages (page_id));
diesel::joinable!(sandbox_reactions -> sandbox_posts (post_id));
diesel::joinable!(sandbox_reactions -> sandbox_users (user_id));
diesel::joinable!(sandbox_subscriptions -> sandbox_pages (page_id));
diesel::joinable!(sandbox_tokens -> sandbox_pages (page_id));
diesel::joinable!(sandbox_tokens -> sandbox_users (user_id));
diesel::joinable!(segment_memberships -> contacts (contact_id));
diesel::joinable!(segment_memberships -> segments (segment_id));
diesel::joinable!(segment_sizes_daily -> segments (segment_id));
diesel::joinable!(segments -> pages (page_id));
diesel::joinable!(visitors -> contacts (contact_id));
diesel::joinable!(visitors -> pages (page_id));
diesel::joinable!(votes -> admins (voided_by));
diesel::joinable!(votes -> contacts (voter_contact_id));
diesel::joinable!(votes -> contests (contest_id));
diesel::joinable!(votes -> entries (entry_id));
diesel::joinable!(webhook_events -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    activities,
    admin_sessions,
    admins,
    audit_log,
    consents,
    contact_identities,
    contact_metrics,
    contact_metrics_dirty,
    contacts,
    contests,
    daily_stats,
    deauthorizations,
    deletion_requests,
    draw_picks,
    draw_seeds,
    draws,
    email_confirmations,
    email_outbox,
    entries,
    fan_tokens,
    job_schedule,
    jobs,
    judge_scores,
    judging_criteria,
    oauth_states,
    page_admins,
    pages,
    point_awards,
    point_balances,
    poll_suggestions,
    poll_votes,
    prize_polls,
    rate_limits,
    reach_snapshots,
    referral_clicks,
    referral_codes,
    referrals,
    sandbox_codes,
    sandbox_comments,
    sandbox_page_roles,
    sandbox_pages,
    sandbox_posts,
    sandbox_reactions,
    sandbox_subscriptions,
    sandbox_tokens,
    sandbox_users,
    sandbox_webhook_outbox,
    segment_memberships,
    segment_sizes_daily,
    segments,
    visitors,
    votes,
    webhook_deliveries,
    webhook_events,
);
