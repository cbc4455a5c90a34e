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

diesel::joinable!(webhook_events -> webhook_deliveries (delivery_id));

diesel::allow_tables_to_appear_in_same_query!(
    deauthorizations,
    deletion_requests,
    jobs,
    webhook_deliveries,
    webhook_events,
);
