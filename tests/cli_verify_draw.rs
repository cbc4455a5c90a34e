//! `fanfare verify-draw` as a person runs it: the real binary, on a file and on
//! a URL, with genuine and tampered records.

use std::path::PathBuf;
use std::process::{Command, Output};

use fanfare::domain::draw::{DrawEntry, DrawRecord};

fn record() -> DrawRecord {
    let seed: Vec<u8> = (100u8..132).collect();
    let entries = (1..=25)
        .map(|id| DrawEntry {
            entry_id: id * 10,
            weight: if id % 7 == 0 { 0 } else { 1 + (id % 3) as u32 },
        })
        .collect();
    DrawRecord::new(7, &seed, entries, 3, 2).unwrap()
}

fn write(name: &str, contents: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn verify_draw(source: &str) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fanfare"))
        .args(["verify-draw", source])
        .env("FANFARE__LOG__LEVEL", "warn")
        .output()
        .expect("the fanfare binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn a_genuine_record_file_verifies() {
    let r = record();
    let path = write("draw-genuine.json", &serde_json::to_vec_pretty(&r).unwrap());
    let out = verify_draw(path.to_str().unwrap());
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(
        stdout.contains("[OK]      commitment: SHA-256(seed) matches"),
        "{stdout}"
    );
    assert!(
        stdout.contains("[OK]      winners recomputed from the seed"),
        "{stdout}"
    );
    assert!(
        stdout.contains("RESULT: OK, the draw verifies."),
        "{stdout}"
    );
    assert!(!stdout.contains("FAILED"), "{stdout}");
    for id in r.winners.iter().chain(&r.alternates) {
        assert!(stdout.contains(&format!(". entry {id}\n")), "{stdout}");
    }
}

#[test]
fn a_tampered_record_file_fails_with_the_reason() {
    let mut r = record();
    let outsider = r
        .entries
        .iter()
        .map(|e| e.entry_id)
        .find(|id| !r.winners.contains(id) && !r.alternates.contains(id))
        .unwrap();
    r.winners[1] = outsider;
    let path = write("draw-tampered.json", &serde_json::to_vec(&r).unwrap());
    let out = verify_draw(path.to_str().unwrap());
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(stdout.contains("[OK]      commitment"), "{stdout}");
    assert!(
        stdout.contains("[FAILED]  the published winners"),
        "{stdout}"
    );
    assert!(stdout.contains("[SKIPPED] Alternates"), "{stdout}");
    assert!(stdout.contains("RESULT: FAILED"), "{stdout}");
    assert!(
        stderr.contains("draw verification FAILED: the published winners"),
        "{stderr}"
    );

    let mut r = record();
    r.seed = hex::encode([9u8; 32]);
    let path = write("draw-bad-seed.json", &serde_json::to_vec(&r).unwrap());
    let out = verify_draw(path.to_str().unwrap());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("not the published commitment"));
}

#[test]
fn unreadable_sources_fail_cleanly() {
    let out = verify_draw("/nonexistent/draw.json");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("cannot read /nonexistent/draw.json"));

    let path = write("draw-garbage.json", b"{\"algorithm\": 3}");
    let out = verify_draw(path.to_str().unwrap());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("is not a draw record"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test]
async fn a_record_is_fetched_from_a_url() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/contests/7/draw.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(record()))
        .mount(&server)
        .await;
    let url = format!("{}/contests/7/draw.json", server.uri());
    let out = tokio::task::spawn_blocking(move || verify_draw(&url))
        .await
        .unwrap();
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", text(&out.stderr));
    assert!(stdout.contains("RESULT: OK"), "{stdout}");

    let missing = format!("{}/contests/8/draw.json", server.uri());
    let out = tokio::task::spawn_blocking(move || verify_draw(&missing))
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("answered 404"),
        "{}",
        text(&out.stderr)
    );
}
