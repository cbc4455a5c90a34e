//! GET /uploads/{name}: a stored image comes back byte for byte with headers that
//! keep browsers from treating it as anything but an image, and no other file,
//! inside the upload directory or outside it, is reachable.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use fanfare::domain::images::{self, ImageLimits, ProcessedImage, StoredImage};
use image::{DynamicImage, Rgb, RgbImage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::{spawn_app_with, Spawn, TestApp};

/// The app, its own upload directory, and the temp dir around it (deleted on drop).
struct Uploads {
    app: TestApp,
    root: tempfile::TempDir,
}

impl Uploads {
    fn dir(&self) -> PathBuf {
        self.root.path().join("uploads")
    }
}

/// Each test gets its own `uploads.dir`, so parallel tests never share files.
async fn spawn() -> Uploads {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("uploads");
    let app = spawn_app_with(
        Spawn {
            workers: false,
            proxy: false,
        },
        move |s| s.uploads.dir = dir,
    )
    .await;
    Uploads { app, root }
}

fn processed(format: image::ImageFormat) -> ProcessedImage {
    let img = DynamicImage::ImageRgb8(RgbImage::from_fn(32, 16, |x, y| {
        Rgb([(x * 8) as u8, (y * 16) as u8, 90])
    }));
    let mut bytes = Vec::new();
    img.write_to(Cursor::new(&mut bytes), format).unwrap();
    images::process(&bytes, &ImageLimits::default()).unwrap()
}

fn store(dir: &Path, img: &ProcessedImage) -> StoredImage {
    images::store(dir, img).unwrap()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
}

#[tokio::test]
async fn stored_images_are_served_byte_for_byte_with_safe_headers() {
    let t = spawn().await;
    for (format, mime) in [
        (image::ImageFormat::Png, "image/png"),
        (image::ImageFormat::Jpeg, "image/jpeg"),
        (image::ImageFormat::WebP, "image/webp"),
    ] {
        let img = processed(format);
        let stored = store(&t.dir(), &img);
        let r = t.app.get(&images::url(&stored.name)).await;
        assert_eq!(r.status(), 200, "{}", stored.name);
        assert_eq!(header(&r, "content-type"), mime);
        assert_eq!(header(&r, "x-content-type-options"), "nosniff");
        assert_eq!(
            header(&r, "content-security-policy"),
            "default-src 'none'; sandbox"
        );
        assert_eq!(header(&r, "content-disposition"), "inline");
        assert_eq!(
            header(&r, "cache-control"),
            "public, max-age=31536000, immutable"
        );
        assert_eq!(header(&r, "etag"), format!("\"{}\"", img.sha256_hex));
        assert_eq!(r.bytes().await.unwrap(), img.bytes);
    }
}

#[tokio::test]
async fn a_client_holding_the_image_gets_304_while_it_exists() {
    let t = spawn().await;
    let img = processed(image::ImageFormat::Png);
    let stored = store(&t.dir(), &img);
    let url = t.app.url(&images::url(&stored.name));
    let etag = format!("\"{}\"", img.sha256_hex);

    let r = t
        .app
        .client
        .get(&url)
        .header("If-None-Match", format!("\"other\", {etag}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(header(&r, "etag"), etag);
    assert!(r.bytes().await.unwrap().is_empty());

    // Another tag: the full image.
    let r = t
        .app
        .client
        .get(&url)
        .header("If-None-Match", "\"other\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    // Once the file is gone (erased), a cached copy is no longer confirmed.
    std::fs::remove_file(&stored.path).unwrap();
    let r = t
        .app
        .client
        .get(&url)
        .header("If-None-Match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn head_answers_headers_without_the_body() {
    let t = spawn().await;
    let img = processed(image::ImageFormat::Jpeg);
    let stored = store(&t.dir(), &img);
    let r = t
        .app
        .client
        .head(t.app.url(&images::url(&stored.name)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "image/jpeg");
    assert_eq!(header(&r, "content-length"), img.bytes.len().to_string());
    assert!(r.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_well_formed_name_that_was_never_stored_is_a_json_404() {
    let t = spawn().await;
    let r = t
        .app
        .get(&images::url(&format!("{}.png", "ab".repeat(32))))
        .await;
    assert_eq!(r.status(), 404);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_found");
}

/// Sends the request target exactly as written: HTTP clients normalise `..` and
/// `%2e%2e` away before sending, which would hide what the server does with them.
async fn raw_get(app: &TestApp, target: &str) -> (u16, String) {
    let host = app.address.trim_start_matches("http://");
    let mut conn = tokio::net::TcpStream::connect(host).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    conn.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    conn.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_string();
    (status, body)
}

#[tokio::test]
async fn traversal_and_lookalike_names_are_404_and_reveal_nothing() {
    let t = spawn().await;
    let img = processed(image::ImageFormat::Png);
    let stored = store(&t.dir(), &img);
    let hash = &img.sha256_hex;

    // Bait outside the upload directory...
    let secret = t.root.path().join("secret.png");
    std::fs::write(&secret, "TOP-SECRET").unwrap();
    // ...and files inside it under names we never write, with the same bait.
    for name in [
        format!("{}.png", hash.to_uppercase()),
        format!("{hash}.jpeg"),
        format!("{hash}.png.html"),
        "secret.png".to_string(),
    ] {
        std::fs::write(t.dir().join(name), "TOP-SECRET").unwrap();
    }

    // The raw client reaches the real file, so the 404s below mean something.
    let (status, _) = raw_get(&t.app, &images::url(&stored.name)).await;
    assert_eq!(status, 200);

    let abs = url::form_urlencoded::byte_serialize(secret.to_str().unwrap().as_bytes())
        .collect::<String>();
    let attempts = [
        "/uploads/..%2Fsecret.png".to_string(),
        "/uploads/..%2f..%2f..%2f..%2fetc%2fpasswd".to_string(),
        "/uploads/%2e%2e%2Fsecret.png".to_string(),
        "/uploads/%2e%2e/secret.png".to_string(),
        "/uploads/../secret.png".to_string(),
        "/uploads/..%5Csecret.png".to_string(),
        "/uploads/..\\secret.png".to_string(),
        format!("/uploads/{abs}"),
        "/uploads/%2Fetc%2Fpasswd".to_string(),
        "/uploads//etc/passwd".to_string(),
        "/uploads/secret.png".to_string(),
        format!("/uploads/{}.png", hash.to_uppercase()),
        format!("/uploads/{hash}.jpeg"),
        format!("/uploads/{hash}.png.html"),
        format!("/uploads/{hash}.png%00"),
        format!("/uploads/{hash}.png%00.html"),
        format!("/uploads/{hash}%00.png"),
        format!("/uploads/{hash}.png/"),
        format!("/uploads/{hash}{hash}.png"),
        format!("/uploads/{}.png", "a".repeat(10_000)),
        format!("/uploads/.%2F{}", stored.name),
        format!("/uploads/%2e%2e%2Fuploads%2F{}", stored.name),
    ];
    for target in attempts {
        let (status, body) = raw_get(&t.app, &target).await;
        assert_eq!(status, 404, "{target}: {body}");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], "not_found", "{target}");
        assert!(!body.contains("TOP-SECRET"), "{target}");
    }
}
