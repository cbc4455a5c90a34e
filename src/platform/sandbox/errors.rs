//! Facebook's error shape: `{"error":{"message","type","code","error_subcode","fbtrace_id"}}`.

use serde_json::{json, Value};

/// A Graph answer: HTTP status and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The page whose business-use-case quota the call counted against.
    pub business_object: Option<String>,
}

impl Reply {
    pub fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            business_object: None,
        }
    }
}

fn trace_id() -> String {
    crate::crypto::random_token(8)
}

pub fn error(status: u16, code: i64, subcode: Option<i64>, kind: &str, message: &str) -> Reply {
    let mut err = json!({
        "message": message,
        "type": kind,
        "code": code,
        "fbtrace_id": trace_id(),
    });
    if let Some(sub) = subcode {
        err["error_subcode"] = json!(sub);
    }
    if code == 1 || code == 2 {
        err["is_transient"] = json!(true);
    }
    Reply {
        status,
        body: json!({ "error": err }),
        business_object: None,
    }
}

/// 190: the token is missing, unknown, expired or invalidated.
pub fn invalid_token(subcode: Option<i64>, message: &str) -> Reply {
    error(400, 190, subcode, "OAuthException", message)
}

pub fn bad_param(message: &str) -> Reply {
    error(400, 100, None, "OAuthException", message)
}

pub fn permission(code: i64, message: &str) -> Reply {
    error(403, code, None, "OAuthException", message)
}

pub fn unknown_object(id: &str) -> Reply {
    error(
        400,
        100,
        Some(33),
        "GraphMethodException",
        &format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."),
    )
}

pub fn transient() -> Reply {
    error(
        500,
        2,
        None,
        "OAuthException",
        "An unexpected error has occurred. Please retry your request later.",
    )
}

pub fn app_rate_limited(status: u16) -> Reply {
    error(
        status,
        4,
        None,
        "OAuthException",
        "(#4) Application request limit reached",
    )
}
