//! Webhook envelope and event parsing: the bytes of a verified delivery.
#![no_main]

use fanfare::platform::facebook::webhook::{parse_delivery, strip_nul};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(parsed) = parse_delivery(data) {
        for ev in &parsed.events {
            // Every event is storable: Postgres text refuses NUL, jsonb too.
            for s in [
                &ev.page_id, &ev.field, &ev.item, &ev.verb, &ev.post_id, &ev.comment_id,
                &ev.sender_id, &ev.sender_name, &ev.message,
            ]
            .into_iter()
            .flatten()
            {
                assert!(!s.contains('\0'), "NUL reached an event field: {s:?}");
            }
            assert!(!ev.value.to_string().contains("\\u0000"), "NUL in value");
        }
    }
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = strip_nul(v);
    }
});
