//! `GET /static/{name}`: the stylesheet, script and vendored libraries, embedded in
//! the binary so a deployment is one file and no page depends on a CDN.
//!
//! Templates link assets through [`asset_url`], which appends `?v=<content hash>`.
//! A request carrying the current hash is cacheable forever (`immutable`): a changed
//! file gets a new URL. Without it (or with a stale one, from a page rendered before
//! a deploy) the answer is only briefly cacheable and revalidates with its ETag.
//!
//! Names are looked up in a fixed table and never touch the filesystem, so `..` or
//! encoded slashes can only ever miss (404).

use std::sync::OnceLock;

use actix_web::http::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{web, HttpRequest, HttpResponse};

use crate::crypto::sha256_hex;
use crate::error::AppError;

/// Cache lifetime of a URL whose `v` matches the content: a year, never revalidated.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";
/// Cache lifetime of an unversioned URL: short, so a deploy is picked up quickly.
const SHORT: &str = "public, max-age=300";
/// Hex digits of the SHA-256 kept in URLs and ETags; 48 bits is plenty to tell
/// versions of one file apart.
const HASH_LEN: usize = 12;

struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const ASSETS: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/app.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/app.js"),
    },
    // The sandbox's Facebook-style login dialog.
    Asset {
        name: "sandbox.css",
        content_type: "text/css; charset=utf-8",
        body: include_bytes!("../../static/sandbox.css"),
    },
    // htmx 2.0.11 from npm `htmx.org`, byte-identical; see static/vendor/README.md.
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        body: include_bytes!("../../static/vendor/htmx.min.js"),
    },
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/static/{name}")
            .route(web::get().to(serve))
            .route(web::head().to(serve)),
    );
}

/// Short content hashes, computed once, in the order of [`ASSETS`].
fn hashes() -> &'static [String] {
    static HASHES: OnceLock<Vec<String>> = OnceLock::new();
    HASHES.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| sha256_hex(a.body)[..HASH_LEN].to_string())
            .collect()
    })
}

fn find(name: &str) -> Option<(&'static Asset, &'static str)> {
    ASSETS
        .iter()
        .zip(hashes())
        .find(|(a, _)| a.name == name)
        .map(|(a, h)| (a, h.as_str()))
}

/// The URL of an embedded asset with its content hash, e.g.
/// `/static/app.css?v=3f2a9c01b7de`. Templates call it as
/// `{{ crate::routes::assets::asset_url("app.css") }}`.
///
/// An unknown name still yields `/static/{name}` (which will 404) rather than
/// failing a page render; debug builds assert so a typo fails the tests.
pub fn asset_url(name: &str) -> String {
    match find(name) {
        Some((asset, hash)) => format!("/static/{}?v={hash}", asset.name),
        None => {
            debug_assert!(false, "asset_url: unknown asset {name:?}");
            format!("/static/{name}")
        }
    }
}

/// The names of every embedded asset (for tests and tooling).
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

async fn serve(req: HttpRequest, name: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (asset, hash) =
        find(name.as_str()).ok_or_else(|| AppError::not_found("no such static asset"))?;
    let etag = format!("\"{hash}\"");
    // The query is read by hand: a malformed one must not turn into a 400 here.
    let versioned = serde_urlencoded::from_str::<Vec<(String, String)>>(req.query_string())
        .unwrap_or_default()
        .iter()
        .any(|(k, v)| k == "v" && v == hash);
    let cache = if versioned { IMMUTABLE } else { SHORT };

    let not_modified = if_none_match(&req, &etag);
    let mut resp = if not_modified {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    resp.insert_header((ETAG, etag.as_str()))
        .insert_header((CACHE_CONTROL, cache))
        .insert_header((X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")));
    if not_modified {
        return Ok(resp.finish());
    }
    Ok(resp
        .insert_header((CONTENT_TYPE, asset.content_type))
        .body(asset.body))
}

/// True when `If-None-Match` lists our ETag (weak or strong) or `*`.
fn if_none_match(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == "*" || t == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_carry_the_content_hash() {
        for name in asset_names() {
            let url = asset_url(name);
            let (asset, hash) = find(name).unwrap();
            assert_eq!(url, format!("/static/{name}?v={hash}"));
            assert_eq!(hash, &sha256_hex(asset.body)[..HASH_LEN]);
        }
    }

    #[test]
    fn every_asset_is_non_empty_and_typed() {
        for a in ASSETS {
            assert!(!a.body.is_empty(), "{} is empty", a.name);
            assert!(a.content_type.contains("charset=utf-8"));
        }
    }

    #[test]
    fn the_vendored_htmx_is_the_real_one() {
        let (asset, _) = find("htmx.min.js").unwrap();
        // The upstream file, unmodified (see static/vendor/README.md).
        assert_eq!(
            sha256_hex(asset.body),
            "d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
        );
    }
}
