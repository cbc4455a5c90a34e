use std::io::Cursor;

use image::{DynamicImage, GenericImageView, ImageDecoder, ImageReader};
use rand::{Rng, SeedableRng};

use super::test_images::*;
use super::*;

fn limits() -> ImageLimits {
    ImageLimits::default()
}

fn ok(bytes: &[u8]) -> ProcessedImage {
    process(bytes, &limits()).unwrap_or_else(|e| panic!("refused: {e}"))
}

fn decode_output(img: &ProcessedImage) -> DynamicImage {
    ImageReader::with_format(Cursor::new(&img.bytes), img.format.to_image_crate())
        .decode()
        .unwrap()
}

/// The metadata the `image` decoder for `format` finds in `bytes`.
fn metadata_in(bytes: &[u8], format: ImageFormat) -> Vec<&'static str> {
    let mut d = ImageReader::with_format(Cursor::new(bytes), format.to_image_crate())
        .into_decoder()
        .unwrap();
    let mut left = Vec::new();
    if d.exif_metadata().unwrap().is_some() {
        left.push("exif");
    }
    if d.xmp_metadata().unwrap().is_some() {
        left.push("xmp");
    }
    if d.icc_profile().unwrap().is_some() {
        left.push("icc");
    }
    if d.iptc_metadata().unwrap().is_some() {
        left.push("iptc");
    }
    left
}

fn metadata_left(img: &ProcessedImage) -> Vec<&'static str> {
    metadata_in(&img.bytes, img.format)
}

// ---- accepted formats ----

#[test]
fn png_is_accepted_and_stays_png() {
    let out = ok(&png(&two_tone(64, 48)));
    assert_eq!(
        (out.format, out.width, out.height),
        (ImageFormat::Png, 64, 48)
    );
    assert!(out.bytes.starts_with(b"\x89PNG"));
    // PNG is lossless: the pixels are exactly the input's.
    assert_eq!(decode_output(&out).to_rgb8(), two_tone(64, 48).to_rgb8());
}

#[test]
fn png_alpha_and_16_bit_survive() {
    let out = ok(&png(&translucent(32, 32)));
    assert_eq!(decode_output(&out), translucent(32, 32));

    let deep = DynamicImage::ImageRgb16(two_tone(16, 8).to_rgb16());
    let out = ok(&png(&deep));
    assert_eq!(decode_output(&out), deep);
}

#[test]
fn jpeg_is_accepted_and_stays_jpeg() {
    let out = ok(&jpeg(&two_tone(64, 48)));
    assert_eq!(
        (out.format, out.width, out.height),
        (ImageFormat::Jpeg, 64, 48)
    );
    assert!(out.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    let px = decode_output(&out).to_rgb8();
    assert!(px.get_pixel(5, 5)[0] > 180 && px.get_pixel(60, 5)[2] > 180);
}

#[test]
fn grayscale_jpeg_is_accepted() {
    let gray = DynamicImage::ImageLuma8(two_tone(40, 30).to_luma8());
    let out = ok(&jpeg(&gray));
    assert_eq!(decode_output(&out).color(), image::ColorType::L8);
}

#[test]
fn lossless_webp_is_accepted_and_stays_lossless_webp() {
    let out = ok(&webp(&translucent(32, 24)));
    assert_eq!(
        (out.format, out.width, out.height),
        (ImageFormat::Webp, 32, 24)
    );
    assert_eq!(&out.bytes[12..16], b"VP8L");
    assert_eq!(decode_output(&out), translucent(32, 24));
}

#[test]
fn lossy_webp_is_accepted_and_becomes_lossless_webp() {
    let out = ok(LOSSY_WEBP);
    assert_eq!(
        (out.format, out.width, out.height),
        (ImageFormat::Webp, 64, 48)
    );
    assert_eq!(&LOSSY_WEBP[12..16], b"VP8 ");
    assert_eq!(&out.bytes[12..16], b"VP8L");
    let px = decode_output(&out).to_rgb8();
    assert!(px.get_pixel(5, 5)[0] > 180 && px.get_pixel(60, 5)[2] > 180);
}

#[test]
fn large_images_are_scaled_down_keeping_the_aspect_ratio() {
    let small_screen = ImageLimits {
        max_output_side: 32,
        ..limits()
    };
    let out = process(&png(&two_tone(64, 48)), &small_screen).unwrap();
    assert_eq!((out.width, out.height), (32, 24));
    assert_eq!(decode_output(&out).dimensions(), (32, 24));
    // At the limit nothing is resized.
    let out = process(&png(&two_tone(32, 8)), &small_screen).unwrap();
    assert_eq!((out.width, out.height), (32, 8));
}

// ---- rejections ----

#[test]
fn other_formats_are_refused_by_content_whatever_they_claim() {
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
    let svg = b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
    let html = b"<!DOCTYPE html><img src=x onerror=alert(1)>";
    for (input, looks_like) in [
        (&gif[..], Some("GIF")),
        (&svg[..], Some("SVG/HTML/XML markup")),
        (&html[..], Some("SVG/HTML/XML markup")),
        (b"just text", None),
    ] {
        match process(input, &limits()) {
            Err(ImageError::UnsupportedFormat { detected }) => assert_eq!(detected, looks_like),
            other => panic!("{:?} gave {other:?}", String::from_utf8_lossy(input)),
        }
    }
    // A GIF/HTML polyglot: the leading bytes decide, and they say GIF.
    let mut polyglot = gif.to_vec();
    polyglot.extend_from_slice(html);
    assert!(matches!(
        process(&polyglot, &limits()),
        Err(ImageError::UnsupportedFormat {
            detected: Some("GIF")
        })
    ));
}

#[test]
fn empty_input_is_refused() {
    assert!(matches!(process(&[], &limits()), Err(ImageError::Empty)));
}

#[test]
fn byte_limit_is_enforced_before_anything_else() {
    let bytes = png(&two_tone(64, 48));
    let at_limit = ImageLimits {
        max_bytes: bytes.len(),
        ..limits()
    };
    assert!(process(&bytes, &at_limit).is_ok());
    let below = ImageLimits {
        max_bytes: bytes.len() - 1,
        ..limits()
    };
    match process(&bytes, &below) {
        Err(ImageError::TooLarge { size, max }) => {
            assert_eq!((size, max), (bytes.len(), bytes.len() - 1))
        }
        other => panic!("{other:?}"),
    }
    // Even garbage is refused for its size, not its content.
    assert!(matches!(
        process(
            &[0u8; 101],
            &ImageLimits {
                max_bytes: 100,
                ..limits()
            }
        ),
        Err(ImageError::TooLarge { .. })
    ));
}

fn assert_too_many_pixels(bytes: &[u8], expect: (u32, u32)) {
    match process(bytes, &limits()) {
        Err(ImageError::TooManyPixels { width, height, .. }) => {
            assert_eq!((width, height), expect)
        }
        other => panic!("expected TooManyPixels for {expect:?}, got {other:?}"),
    }
}

/// The crafted files keep their small pixel data: if the check happened after
/// decoding, the decoder would fail on missing data (or allocate gigabytes) instead.
#[test]
fn dimensions_are_checked_from_the_header_before_decoding() {
    let small = two_tone(8, 8);
    // PNG: 100k x 100k would be 40 GB of RGB.
    assert_too_many_pixels(
        &png_claiming(&png(&small), 100_000, 100_000),
        (100_000, 100_000),
    );
    // Under the side limit, over the pixel limit: 7000 x 7000 = 49 MP.
    assert_too_many_pixels(&png_claiming(&png(&small), 7000, 7000), (7000, 7000));
    // JPEG's largest possible header.
    assert_too_many_pixels(
        &jpeg_claiming(&jpeg(&small), 65_535, 65_535),
        (65_535, 65_535),
    );
    // A long strip: fine in pixels (8001 x 10), too long a side.
    assert_too_many_pixels(&jpeg_claiming(&jpeg(&small), 8001, 10), (8001, 10));
    // WebP lossless: 16000 x 16000.
    assert_too_many_pixels(
        &webp_claiming(&webp(&small), 16_000, 16_000),
        (16_000, 16_000),
    );
}

#[test]
fn every_truncation_of_a_valid_file_is_refused() {
    let img = two_tone(24, 16);
    for (name, file, magic_len) in [
        ("png", png(&img), 8),
        ("jpeg", jpeg(&img), 3),
        ("webp", webp(&img), 12),
        ("lossy webp", LOSSY_WEBP.to_vec(), 12),
    ] {
        assert!(process(&file, &limits()).is_ok(), "{name} itself is valid");
        for len in 0..file.len() {
            let result = process(&file[..len], &limits());
            if len >= magic_len {
                assert!(
                    matches!(result, Err(ImageError::Truncated)),
                    "{name} cut at {len}/{}: {result:?}",
                    file.len()
                );
            } else {
                assert!(result.is_err(), "{name} cut at {len}");
            }
        }
    }
}

#[test]
fn data_after_the_image_is_refused_for_png_and_webp() {
    let img = two_tone(16, 16);
    for file in [png(&img), webp(&img)] {
        let mut polyglot = file.clone();
        polyglot.extend_from_slice(b"PK\x03\x04 a zip or <script> after the image");
        assert!(matches!(
            process(&polyglot, &limits()),
            Err(ImageError::TrailingData)
        ));
    }
}

#[test]
fn data_after_a_jpeg_never_reaches_the_output() {
    // Tolerated (phones append MPF gain maps after EOI), but re-encoding drops it.
    let mut file = jpeg(&two_tone(16, 16));
    file.extend_from_slice(b"<html><script>alert(1)</script></html>");
    let out = ok(&file);
    assert!(!contains(&out.bytes, b"<script>"));
    assert!(out.bytes.ends_with(&[0xFF, 0xD9]));
}

#[test]
fn corrupt_pixel_data_is_refused() {
    // Valid framing, nonsense inside: the IDAT of a PNG overwritten with noise
    // (its CRC no longer matches).
    let mut file = png(&two_tone(16, 16));
    let idat = file.windows(4).position(|w| w == b"IDAT").unwrap();
    for b in &mut file[idat + 4..idat + 20] {
        *b = 0x5A;
    }
    assert!(matches!(
        process(&file, &limits()),
        Err(ImageError::Corrupt(_))
    ));
}

// ---- metadata ----

#[test]
fn jpeg_exif_gps_xmp_icc_and_comments_are_stripped() {
    let plain = jpeg(&two_tone(40, 20));
    let tagged = jpeg_insert_after_soi(&plain, &jpeg_metadata_segments(1));
    // The input really carries what a camera writes, as the decoder sees it.
    assert_eq!(
        metadata_in(&tagged, ImageFormat::Jpeg),
        ["exif", "xmp", "icc"]
    );

    let out = ok(&tagged);
    assert_eq!(metadata_left(&out), Vec::<&str>::new());
    // Only the JFIF header and the tables the encoder needs: no APPn but APP0, no COM.
    for marker in jpeg_header_markers(&out.bytes) {
        assert!(
            matches!(marker, 0xE0 | 0xDB | 0xC0 | 0xC4 | 0xDA),
            "marker {marker:#04x} in output"
        );
    }
    assert!(!contains(&out.bytes, b"SECRET"));
    assert!(!contains(&out.bytes, b"Exif"));
    // Metadata never changes the pixels, so the stripped output is the plain one's.
    assert_eq!(out, ok(&plain));
}

#[test]
fn jpeg_exif_orientation_is_applied_before_stripping() {
    // 6 = "rotate 90° clockwise to display": a 40x20 sensor image shows as 20x40.
    let tagged = jpeg_insert_after_soi(&jpeg(&two_tone(40, 20)), &jpeg_metadata_segments(6));
    let out = ok(&tagged);
    assert_eq!((out.width, out.height), (20, 40));
    let px = decode_output(&out).to_rgb8();
    // The red left half of the sensor image is now on top, blue at the bottom.
    assert!(px.get_pixel(10, 5)[0] > 180, "{:?}", px.get_pixel(10, 5));
    assert!(px.get_pixel(10, 35)[2] > 180, "{:?}", px.get_pixel(10, 35));
    assert_eq!(metadata_left(&out), Vec::<&str>::new());
}

#[test]
fn png_text_chunks_and_exif_are_stripped() {
    let plain = png(&two_tone(16, 16));
    let tagged = png_insert_after_ihdr(
        &plain,
        &[
            png_chunk(b"tEXt", b"Comment\0SECRETTEXT"),
            png_chunk(
                b"iTXt",
                b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta>SECRETXMP</x:xmpmeta>",
            ),
            png_chunk(b"eXIf", &exif_with_gps(1)),
            png_chunk(b"tIME", &[0x07, 0xE8, 1, 2, 3, 4, 5]),
        ],
    );
    assert!(png_chunk_types(&tagged).contains(&"tEXt".to_string()));
    assert_eq!(metadata_in(&tagged, ImageFormat::Png), ["exif", "xmp"]);
    let out = ok(&tagged);
    let kinds = png_chunk_types(&out.bytes);
    assert!(
        kinds
            .iter()
            .all(|k| k == "IHDR" || k == "IDAT" || k == "IEND"),
        "{kinds:?}"
    );
    assert!(!contains(&out.bytes, b"SECRET"));
    assert_eq!(metadata_left(&out), Vec::<&str>::new());
    assert_eq!(out, ok(&plain));
}

#[test]
fn webp_icc_exif_and_xmp_are_stripped() {
    let plain = webp(&two_tone(16, 12));
    let tagged = webp_with_metadata(&plain, 16, 12);
    assert_eq!(
        metadata_in(&tagged, ImageFormat::Webp),
        ["exif", "xmp", "icc"]
    );

    let out = ok(&tagged);
    assert_eq!(metadata_left(&out), Vec::<&str>::new());
    assert!(!contains(&out.bytes, b"SECRET"));
    assert!(!contains(&out.bytes, b"VP8X"));
    assert_eq!(out, ok(&plain));
}

#[test]
fn errors_map_to_http_answers() {
    use actix_web::http::StatusCode;
    let too_large = AppError::from(ImageError::TooLarge { size: 2, max: 1 });
    assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let gif = AppError::from(ImageError::UnsupportedFormat {
        detected: Some("GIF"),
    });
    assert_eq!(
        (gif.status(), gif.code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "unsupported_image_type")
    );
    assert_eq!(
        gif.message(),
        "only PNG, JPEG and WebP images are accepted (this looks like GIF)"
    );
    let ours = AppError::from(ImageError::Encode("bug".into()));
    assert_eq!(ours.status(), StatusCode::INTERNAL_SERVER_ERROR);
}

// ---- hashing ----

#[test]
fn hash_is_the_sha256_of_the_output_and_stable() {
    let input = jpeg(&two_tone(30, 30));
    let a = ok(&input);
    let b = ok(&input);
    assert_eq!(a.sha256_hex, b.sha256_hex);
    assert_eq!(a.sha256_hex, hex::encode(Sha256::digest(&a.bytes)));
    assert_eq!(a.file_name(), format!("{}.jpg", a.sha256_hex));
    assert_ne!(a.sha256_hex, ok(&jpeg(&two_tone(30, 31))).sha256_hex);
}

// ---- hostile input ----

/// Never panics, whatever the bytes: random noise, noise behind each accepted
/// magic (so it reaches the framing walk and the decoders), and valid files with
/// bytes flipped inside (so the decoders themselves see corrupt data).
#[test]
fn never_panics_on_random_or_mangled_input() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(0xFA2FA2E);
    let magics: [&[u8]; 4] = [
        b"",
        b"\x89PNG\r\n\x1a\n",
        b"\xFF\xD8\xFF",
        b"RIFF\0\0\0\0WEBP",
    ];
    for _ in 0..300 {
        for magic in magics {
            let len = rng.gen_range(0..512);
            let mut bytes = magic.to_vec();
            bytes.extend((0..len).map(|_| rng.gen::<u8>()));
            if magic.starts_with(b"RIFF") {
                // Make the RIFF size right so the WebP decoder gets to parse the rest.
                let size = (bytes.len() - 8) as u32;
                bytes[4..8].copy_from_slice(&size.to_le_bytes());
            }
            let _ = process(&bytes, &limits());
        }
    }
    let img = two_tone(24, 16);
    let valid = [png(&img), jpeg(&img), webp(&img), LOSSY_WEBP.to_vec()];
    let mut decoded_mangled = 0;
    for file in &valid {
        for _ in 0..150 {
            let mut bytes = file.clone();
            for _ in 0..rng.gen_range(1..8) {
                let at = rng.gen_range(16..bytes.len());
                bytes[at] = rng.gen();
            }
            if process(&bytes, &limits()).is_ok() {
                decoded_mangled += 1;
            }
        }
    }
    // Some flips land in pixel data that still decodes: proof the decoders ran.
    assert!(decoded_mangled > 0);
}
