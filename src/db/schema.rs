// @generated automatically by Diesel CLI.

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
diesel::joinable!(webhook_events -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    deauthorizations,
    deletion_requests,
    jobs,
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
    webhook_deliveries,
    webhook_events,
);
