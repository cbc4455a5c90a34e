//! Prometheus metrics, one registry per [`crate::startup::Application`] (tests run
//! many side by side). Label values that come from outside are clamped to known
//! sets so a hostile or buggy sender cannot explode cardinality.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub deliveries: IntCounterVec,
    pub rejections: IntCounterVec,
    pub events: IntCounterVec,
    pub queue_depth: IntGaugeVec,
    pub job_attempts: IntCounterVec,
    pub job_failures: IntCounterVec,
    pub http_latency: HistogramVec,
    pub graph_calls: IntCounterVec,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new_custom(Some("fanfare".into()), None).expect("valid prefix");
        let deliveries = IntCounterVec::new(
            Opts::new(
                "webhook_deliveries_total",
                "Signed webhook deliveries by outcome (accepted, duplicate, unparseable).",
            ),
            &["outcome"],
        )
        .expect("metric");
        let rejections = IntCounterVec::new(
            Opts::new(
                "webhook_rejections_total",
                "Webhook deliveries rejected before storage, by reason.",
            ),
            &["reason"],
        )
        .expect("metric");
        let events = IntCounterVec::new(
            Opts::new(
                "webhook_events_total",
                "Webhook events stored, by field, item and verb.",
            ),
            &["field", "item", "verb"],
        )
        .expect("metric");
        let queue_depth = IntGaugeVec::new(
            Opts::new(
                "jobs_queue_depth",
                "Jobs in the queue by state (ready, scheduled, dead), sampled at scrape.",
            ),
            &["state"],
        )
        .expect("metric");
        let job_attempts = IntCounterVec::new(
            Opts::new("job_attempts_total", "Job attempts by kind."),
            &["kind"],
        )
        .expect("metric");
        let job_failures = IntCounterVec::new(
            Opts::new(
                "job_failures_total",
                "Failed job attempts by kind and outcome (retry, dead).",
            ),
            &["kind", "outcome"],
        )
        .expect("metric");
        let http_latency = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "HTTP request latency by method, route and status class.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["method", "route", "status"],
        )
        .expect("metric");
        let graph_calls = IntCounterVec::new(
            Opts::new("graph_calls_total", "Graph API calls by outcome."),
            &["outcome"],
        )
        .expect("metric");
        for c in [
            Box::new(deliveries.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(rejections.clone()),
            Box::new(events.clone()),
            Box::new(queue_depth.clone()),
            Box::new(job_attempts.clone()),
            Box::new(job_failures.clone()),
            Box::new(http_latency.clone()),
            Box::new(graph_calls.clone()),
        ] {
            registry.register(c).expect("unique metric");
        }
        Metrics {
            registry,
            deliveries,
            rejections,
            events,
            queue_depth,
            job_attempts,
            job_failures,
            http_latency,
            graph_calls,
        }
    }

    /// Counts one stored event, with label values clamped to known names.
    pub fn count_event(&self, field: Option<&str>, item: Option<&str>, verb: Option<&str>) {
        self.events
            .with_label_values(&[
                clamp(field, KNOWN_FIELDS),
                clamp(item, KNOWN_ITEMS),
                clamp(verb, KNOWN_VERBS),
            ])
            .inc();
    }

    /// The Prometheus text exposition.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding cannot fail");
        String::from_utf8(buf).unwrap_or_default()
    }
}

const KNOWN_FIELDS: &[&str] = &["feed", "mention", "ratings", "messages", "live_videos"];
const KNOWN_ITEMS: &[&str] = &[
    "album", "comment", "event", "photo", "video", "status", "post", "reaction", "share", "like",
    "rating",
];
const KNOWN_VERBS: &[&str] = &[
    "add", "block", "edit", "edited", "delete", "follow", "hide", "mute", "remove", "unblock",
    "unhide", "update",
];

fn clamp<'a>(value: Option<&'a str>, known: &[&'static str]) -> &'a str {
    match value {
        None => "none",
        Some(v) if known.contains(&v) => v,
        Some(_) => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_labels_are_clamped() {
        let m = Metrics::new();
        m.count_event(Some("feed"), Some("comment"), Some("add"));
        m.count_event(Some("<script>"), Some("x".repeat(1000).as_str()), None);
        let text = m.render();
        assert!(text
            .contains(r#"fanfare_webhook_events_total{field="feed",item="comment",verb="add"} 1"#));
        assert!(text
            .contains(r#"fanfare_webhook_events_total{field="other",item="other",verb="none"} 1"#));
        assert!(!text.contains("<script>"));
    }
}
