//! Content-addressed storage: a processed image lives at `<dir>/<sha256>.<ext>`.
//!
//! The name is derived from the bytes, so identical uploads share one file and a
//! stored file never changes (which is what lets `/uploads` cache it forever).

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{ImageFormat, ProcessedImage};

/// Where [`store`] put an image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredImage {
    /// `<sha256>.<ext>`; pass it to [`url`].
    pub name: String,
    pub path: PathBuf,
    pub format: ImageFormat,
    pub size: u64,
    /// False when the same content was already stored.
    pub created: bool,
}

/// The public path an image is served under.
pub fn url(name: &str) -> String {
    format!("/uploads/{name}")
}

/// The format of a stored file name, which must be exactly `^[0-9a-f]{64}\.(png|jpg|webp)$`.
/// Anything else (other case, separators, dots, encodings) is not a name we wrote.
pub fn parse_stored_name(name: &str) -> Option<ImageFormat> {
    let (hash, ext) = name.split_once('.')?;
    let is_hash = hash.len() == 64 && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
    if is_hash {
        ImageFormat::from_extension(ext)
    } else {
        None
    }
}

/// Writes `img` under `dir` (created when missing) atomically: readers see either no
/// file or the whole file, never a partial one. Storing the same content again is a
/// no-op that returns the same name.
pub fn store(dir: &Path, img: &ProcessedImage) -> io::Result<StoredImage> {
    // The fields of ProcessedImage are public; the name must still be the real hash,
    // or a hand-built value could choose its own file name.
    if hex::encode(Sha256::digest(&img.bytes)) != img.sha256_hex {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "sha256_hex does not match the image bytes",
        ));
    }
    let name = img.file_name();
    let path = dir.join(&name);
    let size = img.bytes.len() as u64;
    let stored = |created| StoredImage {
        name: name.clone(),
        path: path.clone(),
        format: img.format,
        size,
        created,
    };

    fs::create_dir_all(dir)?;
    if matches!(fs::metadata(&path), Ok(m) if m.is_file() && m.len() == size) {
        return Ok(stored(false));
    }
    // Same directory, so the rename below cannot cross file systems. The temp name
    // (".upload-….tmp") never matches a servable name, so it is never served.
    let mut tmp = tempfile::Builder::new()
        .prefix(".upload-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(&img.bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(&path).map_err(|e| e.error)?;
    sync_dir(dir)?;
    Ok(stored(true))
}

/// Makes the rename itself durable across a power cut.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn processed(bytes: &[u8]) -> ProcessedImage {
        ProcessedImage {
            bytes: bytes.to_vec(),
            format: ImageFormat::Png,
            width: 1,
            height: 1,
            sha256_hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    #[test]
    fn names_must_match_exactly() {
        let hash = "0123456789abcdef".repeat(4);
        assert_eq!(
            parse_stored_name(&format!("{hash}.png")),
            Some(ImageFormat::Png)
        );
        assert_eq!(
            parse_stored_name(&format!("{hash}.jpg")),
            Some(ImageFormat::Jpeg)
        );
        assert_eq!(
            parse_stored_name(&format!("{hash}.webp")),
            Some(ImageFormat::Webp)
        );
        for bad in [
            format!("{}.png", hash.to_uppercase()),
            format!("{hash}.jpeg"),
            format!("{hash}.PNG"),
            format!("{hash}.png.png"),
            format!("{hash}.png\0"),
            format!("{hash}0.png"),
            format!("{}.png", &hash[1..]),
            format!("../{}.png", &hash[3..]),
            format!("/{}.png", &hash[1..]),
            format!("..\\{}.png", &hash[3..]),
            format!("{}%2F.png", &hash[3..]),
            format!("{}g.png", &hash[1..]),
            format!("{hash}."),
            hash.clone(),
            ".png".to_string(),
            String::new(),
        ] {
            assert_eq!(parse_stored_name(&bad), None, "{bad:?}");
        }
    }

    #[test]
    fn stores_under_hash_creating_the_dir_and_is_idempotent() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("nested/uploads");
        let img = processed(b"pretend png");
        let first = store(&dir, &img).unwrap();
        assert!(first.created);
        assert_eq!(first.name, format!("{}.png", img.sha256_hex));
        assert_eq!(first.path, dir.join(&first.name));
        assert_eq!(fs::read(&first.path).unwrap(), b"pretend png");
        assert_eq!(url(&first.name), format!("/uploads/{}", first.name));

        let again = store(&dir, &img).unwrap();
        assert!(!again.created);
        assert_eq!(again.path, first.path);
        // Only the image: no temp file is left behind.
        let entries: Vec<_> = fs::read_dir(&dir).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn a_damaged_copy_is_replaced() {
        let tmp = tempfile::tempdir().unwrap();
        let img = processed(b"the real bytes");
        let path = tmp.path().join(img.file_name());
        fs::write(&path, b"half").unwrap();
        assert!(store(tmp.path(), &img).unwrap().created);
        assert_eq!(fs::read(&path).unwrap(), b"the real bytes");
    }

    #[test]
    fn refuses_a_hash_that_does_not_match_the_bytes() {
        let tmp = tempfile::tempdir().unwrap();
        let mut img = processed(b"x");
        img.sha256_hex = "../../escape".into();
        let err = store(tmp.path(), &img).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 0);
    }
}
