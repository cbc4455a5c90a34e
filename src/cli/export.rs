//! `fanfare export`: contacts of a page to CSV or NDJSON, with a progress bar.

use std::io::Write;

use anyhow::Context;
use diesel::{Connection, PgConnection};
use indicatif::{ProgressBar, ProgressStyle};

use crate::config::Settings;
use crate::db::{crm, pages};
use crate::domain::export::{self, Format};

pub struct ExportArgs {
    pub page: String,
    pub format: String,
    pub segment: Option<String>,
    pub output: Option<std::path::PathBuf>,
}

pub fn run(settings: &Settings, args: ExportArgs) -> anyhow::Result<()> {
    let format = Format::parse(&args.format).context("--format must be csv or ndjson")?;
    let mut conn = PgConnection::establish(settings.database.url.expose())
        .context("cannot connect to the database")?;
    // The page by Fanfare id or Facebook page id.
    let page = match args
        .page
        .parse::<i64>()
        .ok()
        .and_then(|id| pages::find(&mut conn, id).ok())
    {
        Some(p) => p,
        None => pages::find_by_fb_id(&mut conn, &args.page)?.context("no such page")?,
    };
    let total = crm::count_for_export(&mut conn, page.id, args.segment.as_deref())?;
    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(std::fs::File::create(path)?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let bar = ProgressBar::new(total as u64);
    bar.set_style(ProgressStyle::with_template(
        "{spinner} {bar:40} {pos}/{len} contacts ({per_sec}, eta {eta})",
    )?);
    if format == Format::Csv {
        out.write_all(&export::csv_header())?;
    }
    let mut after = 0;
    loop {
        let rows = crm::export_chunk(&mut conn, page.id, args.segment.as_deref(), after, 5000)?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        out.write_all(&export::encode(format, &rows))?;
        bar.inc(rows.len() as u64);
    }
    out.flush()?;
    bar.finish_and_clear();
    eprintln!("exported {total} contacts of {}", page.name);
    Ok(())
}
