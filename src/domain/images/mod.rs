//! Contest entry images: untrusted bytes in, a clean re-encoded image out.
//!
//! [`process`] is the only way an upload becomes a [`ProcessedImage`]:
//! 1. size in bytes is checked first ([`ImageLimits::max_bytes`], `uploads.max_bytes`);
//! 2. the format comes from the content (magic bytes), never from a file name or the
//!    client's Content-Type; only PNG, JPEG and WebP are accepted;
//! 3. the container framing is walked, so truncated files and data smuggled after
//!    the image end (PNG, WebP) are refused before any decoder runs (see `sniff`);
//! 4. the decoder reads the header only, and the dimensions are checked against
//!    [`ImageLimits::max_side`] and [`ImageLimits::max_pixels`] before any pixel is
//!    decoded (decompression bombs); the decoder's allocation cap stays on as well;
//! 5. pixels are decoded, the EXIF orientation is applied, images larger than
//!    [`ImageLimits::max_output_side`] are scaled down, and the result is encoded
//!    afresh. Nothing from the original file but its pixels survives: EXIF (GPS,
//!    camera serials), XMP, IPTC, ICC profiles, comments and PNG text chunks are gone.
//!
//! Leniency left in: a JPEG whose scan data ends before the frame is complete but
//! still has its EOI marker decodes with the missing area grey (zune-jpeg does not
//! fail on it); the output is still a clean image within the pixel limits.
//!
//! Output formats: JPEG stays JPEG (quality [`JPEG_QUALITY`]), PNG stays PNG, WebP
//! stays WebP but lossless (the pure-Rust encoder has no lossy mode). A lossy WebP
//! photo can therefore grow; the downscale bounds how much. Animated PNG/WebP keep
//! their first frame only (what the `image` decoders return). ICC profiles are
//! dropped without colour conversion, so a wide-gamut (e.g. Display P3) photo is
//! shown as if it were sRGB, a little duller.
//!
//! [`store`] writes the result under its content hash; `GET /uploads/{name}`
//! (routes/uploads.rs) serves it.

mod sniff;
mod store;
#[cfg(test)]
mod test_images;
#[cfg(test)]
mod tests;

use std::io::Cursor;
use std::panic::{catch_unwind, AssertUnwindSafe};

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::imageops::FilterType;
use image::{DynamicImage, ImageDecoder, ImageReader};
use sha2::{Digest, Sha256};

use crate::config::UploadSettings;
use crate::error::AppError;

pub use store::{parse_stored_name, store, url, StoredImage};

/// JPEG re-encoding quality: the usual web default, where artefacts are hard to see
/// in photos and files stay small.
pub const JPEG_QUALITY: u8 = 85;

/// An accepted image format. The output format of [`process`] is always the input's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Png,
    Jpeg,
    Webp,
}

impl ImageFormat {
    /// File extension used for stored images (and the only ones `/uploads` serves).
    pub fn extension(self) -> &'static str {
        match self {
            ImageFormat::Png => "png",
            ImageFormat::Jpeg => "jpg",
            ImageFormat::Webp => "webp",
        }
    }

    pub fn from_extension(ext: &str) -> Option<ImageFormat> {
        [ImageFormat::Png, ImageFormat::Jpeg, ImageFormat::Webp]
            .into_iter()
            .find(|f| f.extension() == ext)
    }

    pub fn mime_type(self) -> &'static str {
        match self {
            ImageFormat::Png => "image/png",
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Webp => "image/webp",
        }
    }

    fn to_image_crate(self) -> image::ImageFormat {
        match self {
            ImageFormat::Png => image::ImageFormat::Png,
            ImageFormat::Jpeg => image::ImageFormat::Jpeg,
            ImageFormat::Webp => image::ImageFormat::WebP,
        }
    }
}

/// Bounds applied by [`process`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageLimits {
    /// Largest upload in bytes (`uploads.max_bytes`).
    pub max_bytes: usize,
    /// Largest width × height the decoder may produce.
    pub max_pixels: u64,
    /// Largest width or height the decoder may produce.
    pub max_side: u32,
    /// Larger images are scaled down to fit this long side before storing.
    pub max_output_side: u32,
}

impl Default for ImageLimits {
    fn default() -> Self {
        ImageLimits {
            max_bytes: 5 * 1024 * 1024,
            // A 40 MP RGBA8 buffer is 160 MB: already more than we want per request,
            // but covers every phone camera.
            max_pixels: 40_000_000,
            max_side: 8000,
            max_output_side: 2048,
        }
    }
}

impl ImageLimits {
    /// The configured byte limit with the built-in pixel limits.
    pub fn from_settings(settings: &UploadSettings) -> ImageLimits {
        ImageLimits {
            max_bytes: settings.max_bytes,
            ..ImageLimits::default()
        }
    }
}

/// A re-encoded, metadata-free image ready to [`store`].
#[derive(Clone, PartialEq, Eq)]
pub struct ProcessedImage {
    pub bytes: Vec<u8>,
    pub format: ImageFormat,
    pub width: u32,
    pub height: u32,
    /// SHA-256 of `bytes`, lowercase hex: the stored file's name. Stable for the same
    /// input with the same `image` version; an encoder upgrade may change it.
    pub sha256_hex: String,
}

/// Without the pixel bytes, which would flood logs and test failures.
impl std::fmt::Debug for ProcessedImage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessedImage")
            .field("bytes", &format_args!("[{} bytes]", self.bytes.len()))
            .field("format", &self.format)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("sha256_hex", &self.sha256_hex)
            .finish()
    }
}

impl ProcessedImage {
    /// `<sha256>.<ext>`, the name the image is stored and served under.
    pub fn file_name(&self) -> String {
        format!("{}.{}", self.sha256_hex, self.format.extension())
    }
}

/// Why an upload was refused. Every variant except [`ImageError::Encode`] is the
/// uploader's problem and safe to show them.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("the upload is empty")]
    Empty,
    #[error("the image is {size} bytes, more than the {max} allowed")]
    TooLarge { size: usize, max: usize },
    #[error("only PNG, JPEG and WebP images are accepted{}", detected.map(|d| format!(" (this looks like {d})")).unwrap_or_default())]
    UnsupportedFormat { detected: Option<&'static str> },
    #[error("the image file is truncated")]
    Truncated,
    #[error("the image file carries extra data after the image")]
    TrailingData,
    #[error("the image is {width}x{height} pixels; at most {max_side} pixels per side and {max_pixels} pixels in all are allowed")]
    TooManyPixels {
        width: u32,
        height: u32,
        max_side: u32,
        max_pixels: u64,
    },
    #[error("the image is corrupt: {0}")]
    Corrupt(String),
    /// Our own encoder failed on pixels we decoded: a bug, not the uploader's fault.
    #[error("the image could not be re-encoded: {0}")]
    Encode(String),
}

impl ImageError {
    /// Stable machine code for API answers.
    pub fn code(&self) -> &'static str {
        match self {
            ImageError::Empty => "image_empty",
            ImageError::TooLarge { .. } => "payload_too_large",
            ImageError::UnsupportedFormat { .. } => "unsupported_image_type",
            ImageError::Truncated => "image_truncated",
            ImageError::TrailingData => "image_trailing_data",
            ImageError::TooManyPixels { .. } => "image_too_many_pixels",
            ImageError::Corrupt(_) => "image_corrupt",
            ImageError::Encode(_) => "internal",
        }
    }
}

impl From<ImageError> for AppError {
    fn from(err: ImageError) -> AppError {
        match err {
            ImageError::TooLarge { .. } => AppError::too_large(err.to_string()),
            ImageError::Encode(_) => AppError::internal(err),
            _ => AppError::invalid(err.code(), err.to_string()),
        }
    }
}

/// Validates, decodes, strips and re-encodes an upload. CPU-bound: call it from
/// `web::block` or a job, never directly on the async executor.
pub fn process(bytes: &[u8], limits: &ImageLimits) -> Result<ProcessedImage, ImageError> {
    if bytes.is_empty() {
        return Err(ImageError::Empty);
    }
    if bytes.len() > limits.max_bytes {
        return Err(ImageError::TooLarge {
            size: bytes.len(),
            max: limits.max_bytes,
        });
    }
    let format = sniff::detect(bytes)?;
    sniff::check_structure(format, bytes)?;
    // The decoders are third-party parsers fed hostile input. A panic in one must not
    // take down the caller's thread; the closure shares no state, so unwinding out of
    // it cannot leave anything half-updated.
    catch_unwind(AssertUnwindSafe(|| {
        decode_and_encode(bytes, format, limits)
    }))
    .unwrap_or_else(|_| Err(ImageError::Corrupt("the decoder gave up".into())))
}

fn decode_and_encode(
    bytes: &[u8],
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<ProcessedImage, ImageError> {
    let mut img = decode(bytes, format, limits)?;
    let (w, h) = (img.width(), img.height());
    if w.max(h) > limits.max_output_side {
        // Fits inside the square, keeping the aspect ratio.
        img = img.resize(
            limits.max_output_side,
            limits.max_output_side,
            FilterType::CatmullRom,
        );
    }
    let bytes = encode(&img, format)?;
    Ok(ProcessedImage {
        sha256_hex: hex::encode(Sha256::digest(&bytes)),
        bytes,
        format,
        width: img.width(),
        height: img.height(),
    })
}

fn decode(
    bytes: &[u8],
    format: ImageFormat,
    limits: &ImageLimits,
) -> Result<DynamicImage, ImageError> {
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image_crate());
    // The default caps decoder allocations at 512 MiB; explicit so it cannot be lost.
    reader.limits(image::Limits::default());
    // Parses the header only; no pixel data is touched yet.
    let mut decoder = reader.into_decoder().map_err(decode_error)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(ImageError::Corrupt("the image has no pixels".into()));
    }
    if width.max(height) > limits.max_side
        || u64::from(width) * u64::from(height) > limits.max_pixels
    {
        return Err(ImageError::TooManyPixels {
            width,
            height,
            max_side: limits.max_side,
            max_pixels: limits.max_pixels,
        });
    }
    // Unreadable EXIF is not worth refusing a picture over: show it as stored.
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut img = DynamicImage::from_decoder(decoder).map_err(decode_error)?;
    img.apply_orientation(orientation);
    Ok(img)
}

fn decode_error(err: image::ImageError) -> ImageError {
    match err {
        image::ImageError::IoError(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => {
            ImageError::Truncated
        }
        other => ImageError::Corrupt(other.to_string()),
    }
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Result<Vec<u8>, ImageError> {
    let mut out = Vec::new();
    // A fresh encoder writes no metadata: we never call set_icc_profile/set_exif_metadata.
    // write_with_encoder converts colour types the encoder lacks (e.g. RGBA -> RGB for JPEG).
    let written = match format {
        ImageFormat::Jpeg => {
            img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
        ImageFormat::Png => img.write_with_encoder(PngEncoder::new(&mut out)),
        ImageFormat::Webp => img.write_with_encoder(WebPEncoder::new_lossless(&mut out)),
    };
    written.map_err(|e| ImageError::Encode(e.to_string()))?;
    Ok(out)
}
