//! The real binary as an operator runs it: start-up refusals, `migrate`, and a
//! graceful shutdown that lets an in-flight request finish.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

fn server_url() -> url::Url {
    let raw = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let mut u = url::Url::parse(&raw).unwrap();
    u.set_path("/postgres");
    u
}

/// A database name of our own, dropped at the end.
struct ScratchDb(String);

impl ScratchDb {
    fn new() -> ScratchDb {
        ScratchDb(format!("fanfare_proc_{}", uuid::Uuid::new_v4().simple()))
    }
    fn url(&self) -> String {
        let mut u = server_url();
        u.set_path(&format!("/{}", self.0));
        u.to_string()
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Ok(mut c) = PgConnection::establish(server_url().as_str()) {
            let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.0));
        }
    }
}

fn fanfare() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fanfare"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FANFARE_ENV")
        .env("FANFARE__LOG__LEVEL", "warn")
        .env("FANFARE__SANDBOX__DEMO", "false")
        .env("FANFARE__SANDBOX__FANS", "20");
    c
}

#[test]
fn live_mode_without_secrets_refuses_to_start_naming_the_key() {
    let out = fanfare()
        .env("FANFARE_ENV", "production")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("facebook.app_id"), "{err}");
    let out = fanfare()
        .env("FANFARE__SERVER__PROT", "1")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("prot"));
}

#[test]
fn migrate_creates_and_migrates_the_database() {
    let db = ScratchDb::new();
    let out = fanfare()
        .env("DATABASE_URL", db.url())
        .arg("migrate")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("applied"));
    let again = fanfare()
        .env("DATABASE_URL", db.url())
        .arg("migrate")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stdout).contains("up to date"));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_lets_an_in_flight_request_finish() {
    let db = ScratchDb::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = fanfare()
        .env("DATABASE_URL", db.url())
        .env("FANFARE__SERVER__PORT", port.to_string())
        .env("FANFARE__LOG__LEVEL", "info")
        .env("FANFARE__LOG__FORMAT", "json")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it listens (it logs once serving).
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("fanfare logs while starting");
        if line.contains("listening") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "fanfare did not start"
        );
    }
    let base = format!("http://127.0.0.1:{port}");
    let body = br#"{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed","value":{"item":"status","verb":"add","post_id":"1_2"}}]}]}"#.to_vec();
    let sig = fanfare::platform::facebook::signature::sign_sha256(&body, b"sandbox-app-secret");
    // The body arrives slowly: the request is in flight when SIGTERM lands.
    let (first, rest) = body.split_at(10);
    let (first, rest) = (first.to_vec(), rest.to_vec());
    let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
    let stream = futures::stream::unfold(
        (Some(first), Some(rest), Some(go_rx)),
        |(a, b, gate)| async move {
            if let Some(a) = a {
                return Some((Ok::<_, std::io::Error>(a), (None, b, gate)));
            }
            if let (Some(b), Some(g)) = (b, gate) {
                let _ = g.await;
                return Some((Ok(b), (None, None, None)));
            }
            None
        },
    );
    let client = reqwest::Client::new();
    let request = tokio::spawn(
        client
            .post(format!("{base}/webhooks/facebook"))
            .header("x-hub-signature-256", sig)
            .header("content-length", body.len().to_string())
            .body(reqwest::Body::wrap_stream(stream))
            .send(),
    );
    // Give the server the first bytes, then ask it to stop.
    tokio::time::sleep(Duration::from_millis(300)).await;
    Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let _ = go_tx.send(());
    let response = request
        .await
        .unwrap()
        .expect("the in-flight request got an answer");
    assert_eq!(response.status(), 200);
    let status = tokio::task::spawn_blocking(move || child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "fanfare exits cleanly after SIGTERM");
    let mut conn = PgConnection::establish(&db.url()).unwrap();
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let n: N = diesel::RunQueryDsl::get_result(
        diesel::sql_query("SELECT count(*) AS n FROM webhook_deliveries"),
        &mut conn,
    )
    .unwrap();
    assert_eq!(n.n, 1, "the acknowledged delivery is stored");
}
