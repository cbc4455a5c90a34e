//! `fanfare simulate` as an operator runs it: the real binary drives simulated fans
//! through a real `fanfare serve` (sandbox mode, a fresh database). A small run
//! carries a UGC contest from opening to announced winners (issue 6) and leaves
//! all three personas non-empty (issue 8), with prize-poll fans among them.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl};

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

/// A database of our own (created by `serve`), dropped at the end.
struct ScratchDb(String);

impl ScratchDb {
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

/// Kills the server when the test ends, whatever happens.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fanfare(db: &ScratchDb, port: u16) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_fanfare"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("FANFARE_ENV")
        .env("DATABASE_URL", db.url())
        .env("FANFARE__SERVER__PORT", port.to_string())
        .env("FANFARE__LOG__LEVEL", "info")
        .env("FANFARE__SANDBOX__DEMO", "false")
        .env("FANFARE__SANDBOX__FANS", "40")
        .env("FANFARE__WORKER__POLL_INTERVAL_MS", "200")
        .env(
            "FANFARE__UPLOADS__DIR",
            std::env::temp_dir().join(format!("fanfare-sim-{}", db.0)),
        );
    c
}

fn count(c: &mut PgConnection, from_where: &str) -> i64 {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!("SELECT count(*) AS n FROM {from_where}"))
        .get_result::<N>(c)
        .unwrap()
        .n
}

#[test]
fn a_small_simulation_runs_a_ugc_contest_end_to_end_and_fills_all_three_segments() {
    let db = ScratchDb(format!("fanfare_sim_{}", uuid::Uuid::new_v4().simple()));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = fanfare(&db, port)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _server = Server(child);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    // Bounded wait until it listens (migrations and the sandbox seed run first).
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    let mut log = Vec::new();
    loop {
        let line = rx
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_else(|e| panic!("fanfare serve did not start ({e}):\n{}", log.join("\n")));
        if line.contains("listening") {
            break;
        }
        log.push(line);
        assert!(std::time::Instant::now() < deadline, "serve did not start");
    }
    // Keep draining the server's log so it never blocks on a full pipe.
    std::thread::spawn(move || while rx.recv().is_ok() {});

    let out = fanfare(&db, port)
        .env("FANFARE__LOG__LEVEL", "warn")
        .args([
            "simulate",
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--campaigners",
            "2",
            "--assistants",
            "4",
            "--side-liners",
            "3",
            "--poll-fans",
            "2",
            "--vote-rate",
            "0.5",
            "--comment-rate",
            "1.0",
            "--rally",
            "2",
            "--seed",
            "11",
            "--finish",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{stdout}\n{stderr}");
    println!("{stdout}");
    assert!(
        stdout.contains("closed, 1 winner(s) by votes, announced"),
        "{stdout}"
    );
    // The printed segment sizes: every persona has members.
    let size = |key: &str| -> i64 {
        stdout
            .lines()
            .find_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some(key)).then(|| w.next().unwrap().parse().unwrap())
            })
            .unwrap_or_else(|| panic!("no size for {key} in {stdout}"))
    };
    for key in ["campaigner", "assistant", "side_liner"] {
        assert!(size(key) > 0, "{key} is empty:\n{stdout}");
    }

    // The database agrees: the contest went the whole way.
    let mut c = PgConnection::establish(&db.url()).unwrap();
    assert_eq!(
        count(
            &mut c,
            "contests WHERE kind = 'ugc' AND status = 'winners_announced'"
        ),
        1
    );
    assert!(count(&mut c, "entries WHERE status = 'approved'") >= 2);
    assert!(count(&mut c, "votes") >= 1, "{stdout}");
    assert_eq!(
        count(&mut c, "draw_picks WHERE role = 'winner'"),
        1,
        "{stdout}"
    );
    assert!(count(&mut c, "activities WHERE kind = 'referral_conversion'") >= 1);
    // Prize-poll fans took part without entering; they count as participants.
    assert_eq!(count(&mut c, "contests WHERE status = 'prize_poll'"), 1);
    assert_eq!(count(&mut c, "poll_votes"), 2, "{stdout}");
    let poll_only_assistants = count(
        &mut c,
        "segment_memberships sm JOIN segments s ON s.id = sm.segment_id \
         JOIN contact_metrics m ON m.contact_id = sm.contact_id \
         WHERE s.key = 'assistant' AND m.poll_actions > 0 AND m.entries = 0 AND m.votes_cast = 0",
    );
    assert!(poll_only_assistants >= 1, "{stdout}");
    // Each persona in the database has the size that was printed.
    for key in ["campaigner", "assistant", "side_liner"] {
        assert_eq!(
            count(
                &mut c,
                &format!(
                    "segment_memberships sm JOIN segments s ON s.id = sm.segment_id WHERE s.key = '{key}'"
                )
            ),
            size(key),
            "{key}"
        );
    }
}
