//! The real binary as an operator runs it: start-up refusals, `.env` and config
//! files from the working directory, `migrate`, `serve` (also as the default
//! command) answering health checks, request ids in human and JSON logs, graceful
//! shutdown on SIGTERM and SIGINT with an in-flight request, `worker` and
//! `serve --no-worker`, and the first-run demo surviving a restart.

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
    // Local test servers need no TLS, and without it libpq never touches OpenSSL:
    // a pool thread still connecting while the test binary exits could otherwise
    // crash in OpenSSL's exit-time cleanup (diesel-rs/diesel#3441).
    if !u.query_pairs().any(|(k, _)| k == "sslmode") {
        u.query_pairs_mut().append_pair("sslmode", "disable");
    }
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

#[test]
fn sigterm_lets_an_in_flight_request_finish() {
    in_flight_request_finishes_after("-TERM");
}

#[test]
fn sigint_lets_an_in_flight_request_finish() {
    in_flight_request_finishes_after("-INT");
}

/// Starts `serve` on a database that does not exist yet, begins a webhook delivery
/// whose body is held back, signals the process once the server has read the
/// request head (it answers `100 Continue`), then sends the body: the request
/// must be answered 200 and stored, and the process must exit cleanly.
fn in_flight_request_finishes_after(signal: &str) {
    use std::io::{Read, Write};
    let db = ScratchDb::new();
    let port = free_port();
    let mut cmd = fanfare();
    cmd.env("DATABASE_URL", db.url())
        .env("FANFARE__LOG__LEVEL", "info")
        .env("FANFARE__LOG__FORMAT", "json")
        .arg("serve");
    let mut app = Running::start(cmd, port);
    app.listening();
    // Serving (not just bound): an HTTP worker answers.
    eventually("/healthz answers", Duration::from_secs(60), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
            && get(&format!("{}/healthz", app.base)).0 == 200
    });
    let body = ONE_EVENT;
    let sig = fanfare::platform::facebook::signature::sign_sha256(body, b"sandbox-app-secret");
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    write!(
        conn,
        "POST /webhooks/facebook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         X-Hub-Signature-256: {sig}\r\nContent-Length: {}\r\nExpect: 100-continue\r\n\
         Connection: close\r\n\r\n",
        body.len()
    )
    .unwrap();
    // The server has parsed the head and waits for the body: the request is in flight.
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        conn.read_exact(&mut byte).expect("100 Continue");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).to_string();
    assert!(head.starts_with("HTTP/1.1 100"), "{head}");
    app.signal(signal);
    app.line("saying it stops", |l| l.contains("stopping"));
    conn.write_all(body).unwrap();
    let mut response = String::new();
    conn.read_to_string(&mut response)
        .expect("the in-flight request got an answer");
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(
        app.exit_status().success(),
        "fanfare exits cleanly after {signal}"
    );
    assert_eq!(
        count(&db.url(), "webhook_deliveries"),
        1,
        "the acknowledged delivery is stored"
    );
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Removes ANSI colour sequences (the human format may colour its output).
fn plain(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A running `fanfare` process: its stdout and stderr lines arrive on one channel.
/// Killed on drop if still running.
struct Running {
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    seen: Vec<String>,
    base: String,
}

impl Running {
    fn start(mut cmd: Command, port: u16) -> Running {
        let mut child = cmd
            .env("FANFARE__SERVER__PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(plain(&line));
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(plain(&line));
            }
        });
        Running {
            child,
            lines: rx,
            seen: Vec::new(),
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Waits (bounded) for an output line matching `pred`, looking at lines already
    /// seen first.
    fn line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        if let Some(l) = self.seen.iter().find(|l| pred(l)) {
            return l.clone();
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(90);
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = pred(&l);
                    self.seen.push(l.clone());
                    if hit {
                        return l;
                    }
                }
                Err(_) => panic!(
                    "no output line {what} within the deadline; output so far:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    fn listening(&mut self) {
        self.line("saying it listens", |l| l.contains("listening"));
    }

    fn signal(&self, signal: &str) {
        Command::new("kill")
            .arg(signal)
            .arg(self.child.id().to_string())
            .status()
            .unwrap();
    }

    /// Waits (bounded) for the process to exit.
    fn exit_status(&mut self) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                // Collect what it printed while stopping.
                while let Ok(l) = self.lines.recv_timeout(Duration::from_millis(500)) {
                    self.seen.push(l);
                }
                return s;
            }
            assert!(std::time::Instant::now() < deadline, "fanfare did not exit");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A blocking GET (status and body) for the synchronous process tests.
fn get(url: &str) -> (u16, String) {
    let url = url.to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let r = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap()
                .get(&url)
                .send()
                .await
                .unwrap_or_else(|e| panic!("GET {url}: {e}"));
            (r.status().as_u16(), r.text().await.unwrap())
        })
}

/// A blocking JSON POST (status and body).
fn post_json(url: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
    let url = url.to_string();
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            let r = reqwest::Client::new()
                .post(&url)
                .json(&body)
                .send()
                .await
                .unwrap_or_else(|e| panic!("POST {url}: {e}"));
            (
                r.status().as_u16(),
                r.json().await.unwrap_or(serde_json::Value::Null),
            )
        })
}

/// A blocking signed webhook delivery; returns the status.
fn deliver(base: &str, body: &[u8]) -> u16 {
    let sig = fanfare::platform::facebook::signature::sign_sha256(body, b"sandbox-app-secret");
    let (url, body) = (format!("{base}/webhooks/facebook"), body.to_vec());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(async move {
            reqwest::Client::new()
                .post(&url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", sig)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
}

fn count(url: &str, sql_from_where: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = PgConnection::establish(url).unwrap();
    diesel::RunQueryDsl::get_result::<N>(
        diesel::sql_query(format!("SELECT count(*) AS n FROM {sql_from_where}")),
        &mut conn,
    )
    .unwrap()
    .n
}

/// Waits (bounded) until `check` holds.
fn eventually(what: &str, within: Duration, mut check: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + within;
    while !check() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn no_subcommand_serves_on_its_own_new_database_and_logs_carry_request_ids() {
    let db = ScratchDb::new();
    let mut cmd = fanfare();
    cmd.env("DATABASE_URL", db.url())
        .env("FANFARE__LOG__LEVEL", "info")
        .env("FANFARE__LOG__FORMAT", "pretty");
    // No subcommand: `serve` is the default.
    let mut app = Running::start(cmd, free_port());
    app.listening();
    assert!(
        count(&db.url(), "__diesel_schema_migrations") > 0,
        "the database was created and migrated before listening"
    );
    assert_eq!(get(&format!("{}/healthz", app.base)).0, 200);
    assert_eq!(get(&format!("{}/readyz", app.base)).0, 200);
    // The human format names the request id on the request's lines.
    let line = app.line("for the /readyz request with its request id", |l| {
        l.contains("path=/readyz") && l.contains("request finished")
    });
    let id = line
        .split("request_id=")
        .nth(1)
        .unwrap_or_else(|| panic!("no request_id on {line:?}"))
        .split([' ', '}'])
        .next()
        .unwrap();
    assert!(id.len() >= 16, "a real request id on {line:?}");
    app.signal("-TERM");
    assert!(app.exit_status().success());
}

#[test]
fn production_logs_are_json_lines_with_request_ids() {
    let db = ScratchDb::new();
    let mut cmd = fanfare();
    cmd.env("FANFARE_ENV", "production")
        .env("DATABASE_URL", db.url())
        .env("FANFARE__SERVER__HOST", "127.0.0.1")
        .env("FANFARE__LOG__LEVEL", "info")
        .env("FANFARE__WORKER__CONCURRENCY", "0")
        .env("FANFARE__FACEBOOK__APP_ID", "1234")
        .env("FANFARE__FACEBOOK__APP_SECRET", "live-app-secret")
        .env("FANFARE__FACEBOOK__VERIFY_TOKEN", "live-verify-token")
        .env(
            "FANFARE__SECURITY__SECRET_KEY",
            "a-real-production-key-0123456789abcdef",
        );
    let mut app = Running::start(cmd, free_port());
    app.listening();
    assert_eq!(get(&format!("{}/healthz", app.base)).0, 200);
    let line = app.line("for the /healthz request", |l| {
        l.contains("/healthz") && l.contains("request finished")
    });
    let v: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    assert_eq!(v["fields"]["message"], "request finished", "{v}");
    assert_eq!(v["span"]["path"], "/healthz", "{v}");
    let id = v["span"]["request_id"].as_str().unwrap_or_default();
    assert!(id.len() >= 16, "a request id on the line: {v}");
    // Every line the process wrote is JSON.
    app.signal("-INT");
    assert!(app.exit_status().success(), "SIGINT stops it cleanly");
    for l in &app.seen {
        assert!(
            serde_json::from_str::<serde_json::Value>(l).is_ok(),
            "a log line that is not JSON: {l}"
        );
    }
}

#[test]
fn live_mode_names_each_missing_secret_on_its_own() {
    let all = [
        ("FANFARE__FACEBOOK__APP_ID", "1234", "facebook.app_id"),
        (
            "FANFARE__FACEBOOK__APP_SECRET",
            "live-app-secret",
            "facebook.app_secret",
        ),
        (
            "FANFARE__FACEBOOK__VERIFY_TOKEN",
            "live-verify-token",
            "facebook.verify_token",
        ),
        (
            "FANFARE__SECURITY__SECRET_KEY",
            "a-real-production-key-0123456789abcdef",
            "security.secret_key",
        ),
    ];
    for (missing, _, key) in all {
        let mut cmd = fanfare();
        cmd.env("FANFARE_ENV", "production")
            .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/never_used");
        for (var, value, _) in all {
            if var != missing {
                cmd.env(var, value);
            }
        }
        let out = cmd.arg("migrate").output().unwrap();
        assert!(!out.status.success(), "starts without {key}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(key), "names {key}: {err}");
        assert!(err.contains(missing), "names {missing}: {err}");
        for (_, _, other) in all {
            if other != key {
                assert!(!err.contains(other), "only {key} is reported: {err}");
            }
        }
    }
}

#[test]
fn dotenv_and_config_overlays_are_read_from_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("config")).unwrap();
    std::fs::write(
        dir.path().join("config/staging.toml"),
        "[facebook]\nmode = \"live\"\napp_secret = \"\"\n",
    )
    .unwrap();
    // FANFARE_ENV comes from .env, which also supplies the app id: so the overlay
    // applies (live mode, empty app secret) and the first missing key is the secret.
    std::fs::write(
        dir.path().join(".env"),
        "FANFARE_ENV=staging\nFANFARE__FACEBOOK__APP_ID=from-dotenv\n",
    )
    .unwrap();
    let out = fanfare()
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/never_used")
        .arg("migrate")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("facebook.app_secret"), "{err}");
    assert!(!err.contains("facebook.app_id"), "{err}");
    // The process environment wins over .env.
    let out = fanfare()
        .current_dir(dir.path())
        .env("DATABASE_URL", "postgres://postgres@127.0.0.1:1/never_used")
        .env("FANFARE__FACEBOOK__APP_ID", "")
        .arg("migrate")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("facebook.app_id"), "{err}");
}

const ONE_EVENT: &[u8] = br#"{"object":"page","entry":[{"id":"1","time":1,"changes":[{"field":"feed","value":{"item":"status","verb":"add","post_id":"1_2"}}]}]}"#;

#[test]
fn serve_no_worker_leaves_jobs_to_a_separate_fanfare_worker() {
    let db = ScratchDb::new();
    let mut cmd = fanfare();
    cmd.env("DATABASE_URL", db.url())
        .env("FANFARE__LOG__LEVEL", "info")
        .env("FANFARE__WORKER__POLL_INTERVAL_MS", "100")
        .args(["serve", "--no-worker"]);
    let mut web = Running::start(cmd, free_port());
    web.listening();
    assert_eq!(deliver(&web.base, ONE_EVENT), 200);
    let url = db.url();
    // Stored and acknowledged; splitting it into its event is a worker's job.
    assert_eq!(count(&url, "webhook_deliveries"), 1);
    let waiting = "jobs WHERE kind = 'process_deliveries'";
    assert_eq!(count(&url, waiting), 1);
    // With workers configured to poll every 100 ms, two seconds are twenty polls:
    // a worker inside `serve --no-worker` would have run the job many times over.
    for _ in 0..20 {
        std::thread::sleep(Duration::from_millis(100));
        assert_eq!(count(&url, waiting), 1, "serve --no-worker ran a job");
    }
    assert_eq!(count(&url, "webhook_events"), 0);
    let processed = "webhook_events WHERE processed_at IS NOT NULL";

    let mut cmd = fanfare();
    cmd.env("DATABASE_URL", db.url())
        .env("FANFARE__LOG__LEVEL", "info")
        .env("FANFARE__WORKER__POLL_INTERVAL_MS", "100")
        .args(["worker", "--concurrency", "1"]);
    let mut worker = Running::start(cmd, free_port());
    worker.line("saying the workers run", |l| {
        l.contains("job workers running")
    });
    eventually(
        "fanfare worker processes the event",
        Duration::from_secs(60),
        || count(&url, processed) == 1,
    );
    assert_eq!(count(&url, waiting), 0);
    // A delivery arriving while the worker runs is processed too.
    let second = br#"{"object":"page","entry":[{"id":"1","time":2,"changes":[{"field":"feed","value":{"item":"status","verb":"add","post_id":"1_3"}}]}]}"#;
    assert_eq!(deliver(&web.base, second), 200);
    eventually(
        "fanfare worker processes the second event",
        Duration::from_secs(60),
        || count(&url, processed) == 2 && count(&url, waiting) == 0,
    );
    worker.signal("-TERM");
    assert!(
        worker.exit_status().success(),
        "the worker stops cleanly on SIGTERM"
    );
    assert!(worker
        .seen
        .iter()
        .any(|l| l.contains("job workers stopped")));
    web.signal("-TERM");
    assert!(web.exit_status().success());
}

#[test]
fn the_first_run_demo_prints_working_urls_and_the_sandbox_survives_a_restart() {
    let db = ScratchDb::new();
    let port = free_port();
    let start = || {
        let mut cmd = fanfare();
        cmd.env("DATABASE_URL", db.url())
            .env("FANFARE__LOG__LEVEL", "info")
            .env("FANFARE__SANDBOX__DEMO", "true")
            .arg("serve");
        Running::start(cmd, port)
    };
    let mut first = start();
    first.listening();
    let fan_line = first.line("with the fan page URL", |l| l.contains("Fan page:"));
    let dashboard_line = first.line("with the dashboard URL", |l| l.contains("Dashboard:"));
    let url_in = |line: &str| {
        line.split_whitespace()
            .find(|w| w.starts_with("http://"))
            .unwrap_or_else(|| panic!("no URL in {line:?}"))
            .to_string()
    };
    let fan_url = url_in(&fan_line);
    let dashboard_url = url_in(&dashboard_line);
    assert!(fan_url.starts_with(&first.base), "{fan_url}");
    let (status, html) = get(&fan_url);
    assert_eq!(status, 200, "{fan_url}");
    assert!(html.contains("Design your own shirt"));
    let (status, _) = get(&dashboard_url);
    assert!(
        [200, 302, 303].contains(&status),
        "{dashboard_url} answers {status}"
    );
    // The demo install subscribed the page: sandbox activity becomes a webhook.
    let base = first.base.clone();
    let comment = |message: &str| {
        post_json(
            &format!("{base}/sandbox/admin/comments"),
            serde_json::json!({
                "post_id": format!("{}_555", fanfare::platform::sandbox::seed::BRAND_PAGE),
                "user_id": fanfare::platform::sandbox::seed::FIRST_FAN.to_string(),
                "message": message,
            }),
        )
    };
    let (status, before) = comment("before the restart");
    assert_eq!(status, 200, "{before}");
    assert_eq!(before["webhook_queued"], true, "{before}");
    let world_before = get(&format!("{}/sandbox/admin/state", first.base)).1;
    first.signal("-INT");
    assert!(first.exit_status().success());

    // Second start on the same database: no second demo, same sandbox world.
    let mut second = start();
    second.listening();
    second.line("with the dashboard URL", |l| l.contains("/dashboard"));
    assert!(
        !second.seen.iter().any(|l| l.contains("Fan page:")),
        "the demo is installed once"
    );
    assert_eq!(count(&db.url(), "contests"), 1);
    assert_eq!(get(&fan_url).0, 200, "the demo contest is still there");
    let world_after = get(&format!("{}/sandbox/admin/state", second.base)).1;
    // The outbox drains and `graph_requests` counts this process's Graph calls
    // (a benchmark counter, not part of the world); the rest must survive.
    let strip_outbox = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        let o = v.as_object_mut().unwrap();
        o.remove("outbox");
        o.remove("graph_requests");
        v
    };
    assert_eq!(strip_outbox(&world_before), strip_outbox(&world_after));
    let id = before["comment_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        count(
            &db.url(),
            &format!("sandbox_comments WHERE message = 'before the restart' AND ('{id}' = '' OR id = '{id}')")
        ) == 1,
        "the comment made before the restart is still in the sandbox"
    );
    // The subscription and tokens issued before the restart still work.
    let (status, after) = comment("after the restart");
    assert_eq!(status, 200);
    assert_eq!(after["webhook_queued"], true, "{after}");
    second.signal("-TERM");
    assert!(second.exit_status().success());
}

/// The signal handlers are in place by the time the server says it is listening:
/// a SIGTERM at once (while the HTTP workers may still be starting) is a graceful
/// stop, not death by signal.
#[test]
fn a_sigterm_right_after_listening_is_a_graceful_stop() {
    use std::os::unix::process::ExitStatusExt;
    let db = ScratchDb::new();
    let mut cmd = fanfare();
    cmd.env("DATABASE_URL", db.url())
        .env("FANFARE__LOG__LEVEL", "info")
        .arg("serve");
    let mut app = Running::start(cmd, free_port());
    app.listening();
    app.signal("-TERM");
    let status = app.exit_status();
    assert_eq!(status.signal(), None, "killed by the signal: {status:?}");
    assert!(status.success(), "{status:?}");
}
