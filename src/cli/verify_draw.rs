//! `fanfare verify-draw <FILE|URL>`: check a published draw record.
//!
//! Reads a [`DrawRecord`] (JSON) from a file or an `http(s)://` URL, verifies
//! it with [`draw::verify`], prints a report, and exits 0 only when the draw
//! verifies. Needs no database and no configuration beyond the defaults.

use std::fmt::Write as _;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};

use crate::domain::draw::{self, DrawRecord, VerifyError, VerifyStep};

/// Largest record accepted, in bytes (about 10 million entries).
pub const MAX_RECORD_BYTES: usize = 512 * 1024 * 1024;

pub async fn run(source: &str) -> anyhow::Result<()> {
    let record = load_record(source).await?;
    let outcome = draw::verify(&record);
    print!("{}", report(source, &record, &outcome));
    outcome.map_err(|err| anyhow!("draw verification FAILED: {err}"))
}

/// Read and parse a record from a file path or an `http://` / `https://` URL.
pub async fn load_record(source: &str) -> anyhow::Result<DrawRecord> {
    let lower = source.to_ascii_lowercase();
    let bytes = if lower.starts_with("http://") || lower.starts_with("https://") {
        fetch(source).await?
    } else {
        let meta = std::fs::metadata(source).with_context(|| format!("cannot read {source}"))?;
        if meta.len() > MAX_RECORD_BYTES as u64 {
            bail!("{source} is larger than {MAX_RECORD_BYTES} bytes");
        }
        std::fs::read(source).with_context(|| format!("cannot read {source}"))?
    };
    serde_json::from_slice(&bytes).with_context(|| format!("{source} is not a draw record"))
}

async fn fetch(url: &str) -> anyhow::Result<Vec<u8>> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(120))
        .user_agent(concat!("fanfare-verify-draw/", env!("CARGO_PKG_VERSION")))
        .build()?;
    let mut response = client
        .get(url)
        .header(reqwest::header::ACCEPT, "application/json")
        .send()
        .await
        .with_context(|| format!("cannot fetch {url}"))?;
    let status = response.status();
    if !status.is_success() {
        bail!("{url} answered {status}");
    }
    let mut body = Vec::new();
    while let Some(chunk) = response
        .chunk()
        .await
        .with_context(|| format!("reading {url}"))?
    {
        if body.len() + chunk.len() > MAX_RECORD_BYTES {
            bail!("{url} sent more than {MAX_RECORD_BYTES} bytes");
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The human-readable report printed by the command.
pub fn report(source: &str, record: &DrawRecord, outcome: &Result<(), VerifyError>) -> String {
    let (eligible, total_weight) = record.eligible();
    let failed = outcome.as_ref().err();
    let failed_step = failed.map(VerifyError::step);
    let mut out = String::new();
    let _ = writeln!(out, "Draw record: {source}");
    let _ = writeln!(out, "  contest:     {}", record.contest_id);
    let _ = writeln!(out, "  algorithm:   {}", record.algorithm);
    let _ = writeln!(out, "  commitment:  {}", record.commitment);
    let _ = writeln!(out, "  seed:        {}", record.seed);
    let _ = writeln!(
        out,
        "  entries:     {} listed, {eligible} eligible, total weight {total_weight}",
        record.entries.len()
    );
    let _ = writeln!(
        out,
        "  asked for:   {} winner(s), {} alternate(s)",
        record.winners_count, record.alternates_count
    );
    let _ = writeln!(out);
    let mut reached_failure = false;
    for step in VerifyStep::ALL {
        let what = match step {
            VerifyStep::Algorithm => format!("algorithm {} is supported", draw::ALGORITHM),
            VerifyStep::Commitment => "commitment: SHA-256(seed) matches".to_owned(),
            VerifyStep::EntryOrder => "entries are in ascending entry id order".to_owned(),
            VerifyStep::Winners => format!(
                "winners recomputed from the seed: the {} published winner(s) match",
                record.winners.len()
            ),
            VerifyStep::Alternates => format!(
                "alternates recomputed from the seed: the {} published alternate(s) match",
                record.alternates.len()
            ),
        };
        if reached_failure {
            let _ = writeln!(out, "  [SKIPPED] {step:?}: not checked");
        } else if Some(step) == failed_step {
            reached_failure = true;
            let _ = writeln!(
                out,
                "  [FAILED]  {}",
                failed.expect("failed step has an error")
            );
        } else {
            let _ = writeln!(out, "  [OK]      {what}");
        }
    }
    let _ = writeln!(out);
    list(&mut out, "Published winners", &record.winners);
    list(&mut out, "Published alternates", &record.alternates);
    let _ = writeln!(out);
    if failed.is_some() {
        let _ = writeln!(out, "RESULT: FAILED, this record does not verify.");
    } else {
        let _ = writeln!(out, "RESULT: OK, the draw verifies.");
    }
    out
}

fn list(out: &mut String, title: &str, ids: &[i64]) {
    if ids.is_empty() {
        let _ = writeln!(out, "{title}: none");
        return;
    }
    let _ = writeln!(out, "{title}:");
    for (i, id) in ids.iter().enumerate() {
        let _ = writeln!(out, "  {}. entry {id}", i + 1);
    }
}
