//! Test inputs built in code: plain images from the `image` encoders, and the same
//! images with metadata spliced in by hand (EXIF with GPS, XMP, ICC, comments, PNG
//! text chunks), so the tests know exactly what a camera or editor would have left.

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::codecs::webp::WebPEncoder;
use image::{DynamicImage, Rgb, RgbImage, Rgba, RgbaImage};

/// Left half red, right half blue, with a gradient so encoders have real work.
pub fn two_tone(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        let shade = (y * 50 / h.max(1)) as u8;
        if x < w / 2 {
            Rgb([220, shade, shade])
        } else {
            Rgb([shade, shade, 220])
        }
    }))
}

pub fn translucent(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgba8(RgbaImage::from_fn(w, h, |x, y| {
        Rgba([x as u8, y as u8, 128, (x * 4) as u8])
    }))
}

pub fn png(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_with_encoder(PngEncoder::new(&mut out)).unwrap();
    out
}

pub fn jpeg(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_with_encoder(JpegEncoder::new_with_quality(&mut out, 90))
        .unwrap();
    out
}

pub fn webp(img: &DynamicImage) -> Vec<u8> {
    let mut out = Vec::new();
    img.write_with_encoder(WebPEncoder::new_lossless(&mut out))
        .unwrap();
    out
}

/// A lossy (VP8) WebP, 64x48, made with libwebp's cwebp: the image crate can only
/// write lossless WebP, and lossy is what browsers and phones mostly produce.
pub const LOSSY_WEBP: &[u8] = include_bytes!("testdata/lossy.webp");

// ---- PNG ----

pub fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

pub fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

/// Inserts chunks right after IHDR (signature 8 bytes + IHDR 25 bytes).
pub fn png_insert_after_ihdr(png: &[u8], chunks: &[Vec<u8>]) -> Vec<u8> {
    let mut out = png[..33].to_vec();
    for c in chunks {
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&png[33..]);
    out
}

/// The chunk types of a PNG, in order.
pub fn png_chunk_types(png: &[u8]) -> Vec<String> {
    let mut types = Vec::new();
    let mut pos = 8;
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        types.push(String::from_utf8_lossy(&png[pos + 4..pos + 8]).into_owned());
        pos += 12 + len;
    }
    types
}

/// Rewrites the IHDR dimensions (and its CRC) without touching the pixel data.
pub fn png_claiming(png: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = png.to_vec();
    out[16..20].copy_from_slice(&width.to_be_bytes());
    out[20..24].copy_from_slice(&height.to_be_bytes());
    let crc = crc32(&out[12..29]);
    out[29..33].copy_from_slice(&crc.to_be_bytes());
    out
}

// ---- EXIF ----

/// A big-endian TIFF/EXIF block: IFD0 with Make "SECRETCAM" and the given
/// orientation, pointing to a GPS IFD at 48°51'29.59"N 2°17'40.2"E.
pub fn exif_with_gps(orientation: u16) -> Vec<u8> {
    let mut t = b"MM\0\x2A\0\0\0\x08".to_vec();
    let entry = |t: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        t.extend_from_slice(&tag.to_be_bytes());
        t.extend_from_slice(&kind.to_be_bytes());
        t.extend_from_slice(&count.to_be_bytes());
        t.extend_from_slice(&value);
    };
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    // IFD0 at 8: 2 + 3*12 + 4 = 42 bytes, Make text at 50, GPS IFD at 60.
    t.extend_from_slice(&3u16.to_be_bytes());
    entry(&mut t, 0x010F, ASCII, 10, 50u32.to_be_bytes());
    let o = orientation.to_be_bytes();
    entry(&mut t, 0x0112, SHORT, 1, [o[0], o[1], 0, 0]);
    entry(&mut t, 0x8825, LONG, 1, 60u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    t.extend_from_slice(b"SECRETCAM\0");
    // GPS IFD at 60: 2 + 4*12 + 4 = 54 bytes, rationals at 114 and 138.
    t.extend_from_slice(&4u16.to_be_bytes());
    entry(&mut t, 1, ASCII, 2, *b"N\0\0\0");
    entry(&mut t, 2, RATIONAL, 3, 114u32.to_be_bytes());
    entry(&mut t, 3, ASCII, 2, *b"E\0\0\0");
    entry(&mut t, 4, RATIONAL, 3, 138u32.to_be_bytes());
    t.extend_from_slice(&0u32.to_be_bytes());
    for (num, den) in [
        (48u32, 1u32),
        (51, 1),
        (2959, 100),
        (2, 1),
        (17, 1),
        (402, 10),
    ] {
        t.extend_from_slice(&num.to_be_bytes());
        t.extend_from_slice(&den.to_be_bytes());
    }
    assert_eq!(t.len(), 162);
    t
}

// ---- JPEG ----

pub fn jpeg_segment(marker: u8, payload: &[u8]) -> Vec<u8> {
    let mut seg = vec![0xFF, marker];
    seg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    seg.extend_from_slice(payload);
    seg
}

/// Inserts segments right after SOI.
pub fn jpeg_insert_after_soi(jpeg: &[u8], segments: &[Vec<u8>]) -> Vec<u8> {
    let mut out = jpeg[..2].to_vec();
    for s in segments {
        out.extend_from_slice(s);
    }
    out.extend_from_slice(&jpeg[2..]);
    out
}

/// What a phone camera writes: EXIF with GPS, XMP, an ICC profile and a comment.
pub fn jpeg_metadata_segments(orientation: u16) -> Vec<Vec<u8>> {
    let mut exif = b"Exif\0\0".to_vec();
    exif.extend_from_slice(&exif_with_gps(orientation));
    let mut xmp = b"http://ns.adobe.com/xap/1.0/\0".to_vec();
    xmp.extend_from_slice(b"<x:xmpmeta>SECRETXMP</x:xmpmeta>");
    let mut icc = b"ICC_PROFILE\0\x01\x01".to_vec();
    icc.extend_from_slice(b"SECRETICC profile bytes");
    vec![
        jpeg_segment(0xE1, &exif),
        jpeg_segment(0xE1, &xmp),
        jpeg_segment(0xE2, &icc),
        jpeg_segment(0xFE, b"SECRETCOMMENT"),
    ]
}

/// The markers of the segments before the first SOS.
pub fn jpeg_header_markers(jpeg: &[u8]) -> Vec<u8> {
    let mut markers = Vec::new();
    let mut pos = 2;
    while pos + 4 <= jpeg.len() && jpeg[pos] == 0xFF {
        let marker = jpeg[pos + 1];
        markers.push(marker);
        if marker == 0xDA {
            break;
        }
        pos += 2 + u16::from_be_bytes([jpeg[pos + 2], jpeg[pos + 3]]) as usize;
    }
    markers
}

/// Rewrites the SOF0 dimensions without touching the scan data.
pub fn jpeg_claiming(jpeg: &[u8], width: u16, height: u16) -> Vec<u8> {
    let mut out = jpeg.to_vec();
    let sof = out
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .expect("baseline JPEG");
    out[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    out[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    out
}

// ---- WebP ----

fn riff_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = kind.to_vec();
    chunk.extend_from_slice(&(data.len() as u32).to_le_bytes());
    chunk.extend_from_slice(data);
    if data.len() % 2 == 1 {
        chunk.push(0);
    }
    chunk
}

/// An extended (VP8X) WebP around the VP8L bitstream of `simple`, carrying an ICC
/// profile, EXIF with GPS and XMP.
pub fn webp_with_metadata(simple: &[u8], width: u32, height: u32) -> Vec<u8> {
    assert_eq!(&simple[12..16], b"VP8L", "a simple lossless WebP");
    let mut vp8x = vec![0x20 | 0x08 | 0x04, 0, 0, 0];
    vp8x.extend_from_slice(&(width - 1).to_le_bytes()[..3]);
    vp8x.extend_from_slice(&(height - 1).to_le_bytes()[..3]);
    let mut body = b"WEBP".to_vec();
    body.extend(riff_chunk(b"VP8X", &vp8x));
    body.extend(riff_chunk(b"ICCP", b"SECRETICC profile bytes"));
    body.extend_from_slice(&simple[12..]);
    body.extend(riff_chunk(b"EXIF", &exif_with_gps(1)));
    body.extend(riff_chunk(b"XMP ", b"<x:xmpmeta>SECRETXMP</x:xmpmeta>"));
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend(body);
    out
}

/// Rewrites the VP8L header dimensions (14 bits each) of a simple lossless WebP.
pub fn webp_claiming(simple: &[u8], width: u32, height: u32) -> Vec<u8> {
    let mut out = simple.to_vec();
    assert_eq!(out[20], 0x2F, "VP8L signature");
    let old = u32::from_le_bytes(out[21..25].try_into().unwrap());
    let flags = old & !((1 << 28) - 1);
    let packed = flags | (width - 1) | ((height - 1) << 14);
    out[21..25].copy_from_slice(&packed.to_le_bytes());
    out
}

/// True when `needle` occurs anywhere in `haystack`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
