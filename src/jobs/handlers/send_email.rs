//! `send_email` {id}: delivers one outbox email. In sandbox mode it lands in the
//! sandbox mailbox (`/sandbox/mailbox`); in live mode it goes through the SMTP relay
//! in `email.smtp_url`. Without a relay in live mode the job dead-letters with a
//! clear reason instead of pretending.

use diesel::pg::PgConnection;
use lettre::message::header::ContentType;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

use crate::db::email;
use crate::db::jobs::Job;
use crate::jobs::{JobContext, JobError, JobHandler};

pub const KIND: &str = "send_email";

#[derive(Serialize, Deserialize)]
pub struct Payload {
    pub id: i64,
}

pub struct SendEmail;

impl JobHandler for SendEmail {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn run(&self, ctx: &JobContext, conn: &mut PgConnection, job: &Job) -> Result<(), JobError> {
        let p: Payload = serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::permanent(format!("bad payload: {e}")))?;
        let mail = email::find(conn, p.id)?;
        if mail.sent_at.is_some() {
            return Ok(());
        }
        if ctx.settings.is_sandbox() {
            email::mark_sent(conn, mail.id, "sandbox")?;
            return Ok(());
        }
        let url = ctx.settings.email.smtp_url.expose();
        if url.trim().is_empty() {
            return Err(JobError::permanent("email.smtp_url is not configured"));
        }
        let message = Message::builder()
            .from(
                ctx.settings
                    .email
                    .from
                    .parse()
                    .map_err(|e| JobError::permanent(format!("email.from: {e}")))?,
            )
            .to(mail
                .to_address
                .parse()
                .map_err(|e| JobError::permanent(format!("recipient: {e}")))?)
            .subject(mail.subject.clone())
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())
            .map_err(|e| JobError::permanent(format!("message: {e}")))?;
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|_| {
                JobError::permanent("email.smtp_url is not a valid smtp:// or smtps:// URL")
            })?
            .build();
        ctx.runtime
            .block_on(transport.send(message))
            // The relay's error may echo credentials from the URL: keep only its kind.
            .map_err(|e| {
                JobError::retry(format!(
                    "SMTP delivery failed (permanent: {})",
                    e.is_permanent()
                ))
            })?;
        email::mark_sent(conn, mail.id, "smtp")?;
        Ok(())
    }
}

/// Queues an email for delivery in the caller's transaction.
pub fn queue(
    conn: &mut PgConnection,
    page_id: Option<i64>,
    to: &str,
    subject: &str,
    body: &str,
) -> diesel::QueryResult<i64> {
    let id = email::queue(conn, page_id, to, subject, body)?;
    crate::db::jobs::enqueue(
        conn,
        &crate::db::jobs::NewJob::new(KIND, serde_json::json!(Payload { id }), 8),
    )?;
    Ok(id)
}
