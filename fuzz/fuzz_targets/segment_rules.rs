//! Custom segment rules (admin JSON): parse, then the parsed rule must survive a
//! round trip through its JSON form and compile to SQL without panicking.
#![no_main]

use fanfare::domain::segment_rules::Rule;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(value) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    if let Ok(rule) = Rule::parse(&value) {
        let json = rule.to_json();
        let again = Rule::parse(&json).expect("a parsed rule's JSON parses again");
        assert_eq!(again.to_json(), json, "round trip changes the rule");
        let _ = rule.to_sql(&|_| "m.some_column");
    }
});
