//! What an upload is, judged by its bytes alone, and whether its container is whole.
//!
//! Runs before any decoder: the magic bytes pick the one decoder that may look at the
//! data (a file never reaches the PNG decoder because it was *named* `.png`), and a
//! walk over the container's framing catches truncated files and data glued after
//! the image (polyglots), which lenient decoders would otherwise accept.

use super::{ImageError, ImageFormat};

const PNG_MAGIC: &[u8] = b"\x89PNG\r\n\x1a\n";

/// The accepted format the leading bytes announce, or a rejection that says what the
/// upload looks like when we can tell.
pub(super) fn detect(bytes: &[u8]) -> Result<ImageFormat, ImageError> {
    if bytes.starts_with(PNG_MAGIC) {
        return Ok(ImageFormat::Png);
    }
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(ImageFormat::Jpeg);
    }
    if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        return Ok(ImageFormat::Webp);
    }
    Err(ImageError::UnsupportedFormat {
        detected: describe_other(bytes),
    })
}

/// A human name for common formats we refuse, so the error helps the fan.
fn describe_other(bytes: &[u8]) -> Option<&'static str> {
    let starts = |magic: &[u8]| bytes.starts_with(magic);
    if starts(b"GIF87a") || starts(b"GIF89a") {
        Some("GIF")
    } else if starts(b"II*\0") || starts(b"MM\0*") {
        Some("TIFF")
    } else if starts(b"BM") {
        Some("BMP")
    } else if starts(b"%PDF") {
        Some("PDF")
    } else if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
        Some("HEIC/AVIF")
    } else {
        // SVG, HTML and XML all start with markup, possibly after a BOM or whitespace.
        let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
        let first = text.iter().find(|b| !b.is_ascii_whitespace());
        (first == Some(&b'<')).then_some("SVG/HTML/XML markup")
    }
}

/// Walks the container framing of an upload whose magic bytes said `format`.
pub(super) fn check_structure(format: ImageFormat, bytes: &[u8]) -> Result<(), ImageError> {
    match format {
        ImageFormat::Png => png_structure(bytes),
        ImageFormat::Jpeg => jpeg_structure(bytes),
        ImageFormat::Webp => webp_structure(bytes),
    }
}

fn be_u32(bytes: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
}

/// PNG is a list of length-prefixed chunks ending with IEND. No encoder writes past
/// IEND, so anything there is smuggled data.
fn png_structure(bytes: &[u8]) -> Result<(), ImageError> {
    let mut pos = PNG_MAGIC.len();
    loop {
        let (Some(len), Some(kind)) = (be_u32(bytes, pos), bytes.get(pos + 4..pos + 8)) else {
            return Err(ImageError::Truncated);
        };
        if len > i32::MAX as u32 {
            return Err(corrupt("PNG chunk length out of range"));
        }
        // 4 length + 4 type + data + 4 CRC; cannot overflow with len < 2^31.
        let end = pos + 12 + len as usize;
        if end > bytes.len() {
            return Err(ImageError::Truncated);
        }
        if kind == b"IEND" {
            return if end == bytes.len() {
                Ok(())
            } else {
                Err(ImageError::TrailingData)
            };
        }
        pos = end;
    }
}

/// A RIFF file states its own size; the file must be exactly that long.
fn webp_structure(bytes: &[u8]) -> Result<(), ImageError> {
    let Some(size) = bytes.get(4..8) else {
        return Err(ImageError::Truncated);
    };
    let declared = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as u64 + 8;
    match declared.cmp(&(bytes.len() as u64)) {
        std::cmp::Ordering::Greater => Err(ImageError::Truncated),
        std::cmp::Ordering::Less => Err(ImageError::TrailingData),
        std::cmp::Ordering::Equal => Ok(()),
    }
}

/// JPEG has no length field for the whole file: walk the marker segments and the
/// entropy-coded data after each SOS until EOI. The zune decoder fills missing scan
/// data with grey instead of failing, so a cut-off photo is only caught here.
///
/// Bytes after EOI are allowed: phones append MPF gain maps and vendor trailers
/// there. They never reach storage, because the image is re-encoded.
fn jpeg_structure(bytes: &[u8]) -> Result<(), ImageError> {
    let mut pos = 2; // after SOI
    loop {
        match bytes.get(pos) {
            None => return Err(ImageError::Truncated),
            Some(0xFF) => {}
            Some(_) => return Err(corrupt("JPEG marker expected")),
        }
        // Any number of 0xFF fill bytes may precede a marker code.
        while bytes.get(pos) == Some(&0xFF) {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else {
            return Err(ImageError::Truncated);
        };
        pos += 1;
        match marker {
            0xD9 => return Ok(()), // EOI
            0x00 | 0xD8 => return Err(corrupt("unexpected JPEG marker")),
            0x01 | 0xD0..=0xD7 => continue, // standalone markers, no length
            _ => {}
        }
        let Some(len) = bytes.get(pos..pos + 2) else {
            return Err(ImageError::Truncated);
        };
        let len = u16::from_be_bytes([len[0], len[1]]) as usize;
        if len < 2 {
            return Err(corrupt("JPEG segment length out of range"));
        }
        pos += len;
        if pos > bytes.len() {
            return Err(ImageError::Truncated);
        }
        if marker == 0xDA {
            pos = skip_entropy_coded(bytes, pos)?;
        }
    }
}

/// Returns the offset of the next real marker after scan data. Inside scan data a
/// 0xFF byte is followed by 0x00 (a stuffed byte) or a restart marker.
fn skip_entropy_coded(bytes: &[u8], mut pos: usize) -> Result<usize, ImageError> {
    loop {
        let ff = bytes[pos..]
            .iter()
            .position(|&b| b == 0xFF)
            .ok_or(ImageError::Truncated)?;
        pos += ff;
        match bytes.get(pos + 1) {
            None => return Err(ImageError::Truncated),
            Some(0x00 | 0xD0..=0xD7) => pos += 2,
            // A fill byte: look again from the next 0xFF.
            Some(0xFF) => pos += 1,
            Some(_) => return Ok(pos),
        }
    }
}

fn corrupt(why: &str) -> ImageError {
    ImageError::Corrupt(why.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refused_formats_are_named() {
        let cases: [(&[u8], Option<&str>); 8] = [
            (b"GIF89a\x01\x00\x01\x00", Some("GIF")),
            (b"II*\0\x08\0\0\0", Some("TIFF")),
            (b"%PDF-1.7", Some("PDF")),
            (b"\0\0\0\x18ftypheic\0\0\0\0", Some("HEIC/AVIF")),
            (
                b"  <svg xmlns='http://www.w3.org/2000/svg'/>",
                Some("SVG/HTML/XML markup"),
            ),
            (b"\xEF\xBB\xBF<!doctype html>", Some("SVG/HTML/XML markup")),
            (b"hello", None),
            // A RIFF that is not WebP (WAV audio).
            (b"RIFF\x24\0\0\0WAVEfmt ", None),
        ];
        for (bytes, name) in cases {
            match detect(bytes) {
                Err(ImageError::UnsupportedFormat { detected }) => {
                    assert_eq!(detected, name, "{bytes:?}")
                }
                other => panic!("{bytes:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn jpeg_walk_skips_stuffed_bytes_restarts_and_fill() {
        // SOI, SOS with a 2-byte header, scan data holding FF00, RST0 and fill FFs, EOI.
        let jpeg = [
            0xFF, 0xD8, 0xFF, 0xDA, 0x00, 0x02, 0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF,
            0xFF, 0xD9,
        ];
        assert!(jpeg_structure(&jpeg).is_ok());
        assert!(matches!(
            jpeg_structure(&jpeg[..jpeg.len() - 1]),
            Err(ImageError::Truncated)
        ));
        // Bytes after EOI are tolerated (MPF images, vendor trailers).
        let mut trailer = jpeg.to_vec();
        trailer.extend_from_slice(b"<html>");
        assert!(jpeg_structure(&trailer).is_ok());
    }
}
