//! Layered configuration.
//!
//! Layers, later ones win: `config/default.toml` (embedded in the binary, so the
//! defaults exist wherever the binary runs), `config/<FANFARE_ENV>.toml`, a `.env`
//! file loaded into the environment, `DATABASE_URL`, then `FANFARE__<SECTION>__<KEY>`
//! environment variables.
//!
//! Every struct denies unknown fields, so a mistyped key (in a file or in the
//! environment) is an error that names the key instead of being silently ignored.
//! Secret values are [`Secret`]s: their `Debug` and `Display` print `***`.

use std::fmt;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// The defaults, compiled in. `config/default.toml` on disk is the same file.
const DEFAULT_TOML: &str = include_str!("../config/default.toml");

/// A configuration value that must never be printed or logged.
#[derive(Clone, Deserialize)]
#[serde(transparent)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(SecretString::from(value.into()))
    }
    /// The secret itself. Call sites are easy to grep for.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
    pub fn is_empty(&self) -> bool {
        self.expose().trim().is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub facebook: FacebookSettings,
    pub security: SecuritySettings,
    pub log: LogSettings,
    pub worker: WorkerSettings,
    pub ingest: IngestSettings,
    pub views: ViewSettings,
    pub limits: LimitSettings,
    pub segments: SegmentSettings,
    pub email: EmailSettings,
    pub uploads: UploadSettings,
    pub sandbox: SandboxSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub http_workers: usize,
    pub json_body_limit_bytes: usize,
    pub client_request_timeout_ms: u64,
    pub client_disconnect_timeout_ms: u64,
    pub keep_alive_secs: u64,
    pub shutdown_timeout_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May hold a password, so it is a secret too.
    pub url: Secret,
    pub pool_size: u32,
    pub acquire_timeout_ms: u64,
    pub statement_timeout_ms: u64,
    pub create_if_missing: bool,
    pub migrate_on_start: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FacebookMode {
    Sandbox,
    Live,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FacebookSettings {
    pub mode: FacebookMode,
    pub app_id: String,
    pub app_secret: Secret,
    pub verify_token: Secret,
    pub graph_url: String,
    pub dialog_url: String,
    pub api_version: String,
    pub accept_sha1: bool,
    pub max_body_bytes: usize,
    pub signed_request_max_age_secs: i64,
    pub signed_request_max_skew_secs: i64,
    pub graph_connect_timeout_ms: u64,
    pub graph_timeout_ms: u64,
    pub graph_max_retries: u32,
    pub graph_backoff_base_ms: u64,
    pub graph_max_pages: usize,
    pub graph_usage_slowdown_percent: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum CookieSecure {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecuritySettings {
    pub secret_key: Secret,
    pub previous_secret_keys: Vec<Secret>,
    pub session_ttl_secs: i64,
    pub session_max_age_secs: i64,
    pub fan_session_ttl_secs: i64,
    pub oauth_state_ttl_secs: i64,
    pub cookie_secure: CookieSecure,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerSettings {
    pub concurrency: usize,
    pub batch_size: i64,
    pub poll_interval_ms: u64,
    pub max_attempts: i32,
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    pub reach_refresh_interval_secs: u64,
    pub segment_sizes_interval_secs: u64,
    pub segment_refresh_interval_ms: u64,
    pub linger_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSettings {
    pub max_batch: usize,
    pub writers: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewSettings {
    pub buffer: usize,
    pub max_batch: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSettings {
    pub entries_per_ip_per_10m: i32,
    pub votes_per_ip_per_10m: i32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentSettings {
    pub campaigner_min_referral_clicks: u32,
    pub campaigner_min_referral_conversions: u32,
    pub campaigner_min_votes_received: u32,
    pub campaigner_min_points: u32,
    pub campaigner_min_shares: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSettings {
    pub smtp_url: Secret,
    pub from: String,
    pub confirmation_ttl_secs: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UploadSettings {
    pub dir: PathBuf,
    pub max_bytes: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SandboxSettings {
    pub seed: u64,
    pub demo: bool,
    pub fans: u32,
    pub webhook_url: String,
    pub webhook_batch: i64,
    pub latency_ms: u64,
    pub error_rate: f64,
    pub rate_limit_rate: f64,
    pub usage_percent: u32,
}

/// Why configuration could not be loaded. The message always names the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("configuration: {0}")]
    Invalid(String),
    #[error("configuration: `{key}` is required in live mode (set {env})")]
    MissingInLive {
        key: &'static str,
        env: &'static str,
    },
}

impl From<config::ConfigError> for ConfigError {
    fn from(err: config::ConfigError) -> Self {
        ConfigError::Invalid(err.to_string())
    }
}

/// Where configuration comes from. Tests build one by hand; `from_process` reads
/// the real process environment.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Directory holding `<env>.toml` overlays (and optionally `default.toml`).
    pub config_dir: Option<PathBuf>,
    /// Value of FANFARE_ENV.
    pub environment: Option<String>,
    /// Environment variables considered (already filtered or the whole process env).
    pub env_vars: Vec<(String, String)>,
}

impl Sources {
    /// The process environment, after loading `.env` when present.
    pub fn from_process() -> Self {
        // A missing .env is normal; a malformed one is worth a warning on stderr
        // because logging is not set up yet.
        if let Err(err) = dotenvy::dotenv() {
            if !err.not_found() {
                eprintln!("warning: .env could not be loaded: {err}");
            }
        }
        let config_dir = std::env::var_os("FANFARE_CONFIG_DIR")
            .map(PathBuf::from)
            .or_else(|| Some(PathBuf::from("config")));
        Sources {
            config_dir,
            environment: std::env::var("FANFARE_ENV").ok().filter(|s| !s.is_empty()),
            env_vars: std::env::vars().collect(),
        }
    }
}

impl Settings {
    /// Loads settings from the process environment and validates them.
    pub fn load() -> Result<Settings, ConfigError> {
        Self::load_from(&Sources::from_process())
    }

    pub fn load_from(sources: &Sources) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder().add_source(config::File::from_str(
            DEFAULT_TOML,
            config::FileFormat::Toml,
        ));
        if let Some(dir) = &sources.config_dir {
            if let Some(env) = &sources.environment {
                let path = overlay_path(dir, env)?;
                builder = builder.add_source(config::File::from(path).required(false));
            }
        }
        // DATABASE_URL is honoured, but an explicit FANFARE__DATABASE__URL wins.
        let explicit = sources
            .env_vars
            .iter()
            .any(|(k, _)| k == "FANFARE__DATABASE__URL");
        if let Some((_, url)) = sources.env_vars.iter().find(|(k, _)| k == "DATABASE_URL") {
            if !explicit {
                builder = builder.set_override("database.url", url.clone())?;
            }
        }
        let fanfare_vars: config::Map<String, String> = sources
            .env_vars
            .iter()
            .filter(|(k, _)| k.starts_with("FANFARE__"))
            .cloned()
            .collect();
        builder = builder.add_source(
            config::Environment::with_prefix("FANFARE")
                .prefix_separator("__")
                .separator("__")
                .list_separator(",")
                .with_list_parse_key("security.previous_secret_keys")
                .try_parsing(true)
                .source(Some(fanfare_vars)),
        );
        let settings: Settings = builder
            .build()?
            .try_deserialize()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        settings.validate()?;
        Ok(settings)
    }

    /// Refuses configurations that must not start: live mode without its secrets.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.facebook.mode == FacebookMode::Live {
            let required: [(&'static str, &'static str, bool); 4] = [
                (
                    "facebook.app_id",
                    "FANFARE__FACEBOOK__APP_ID",
                    self.facebook.app_id.trim().is_empty(),
                ),
                (
                    "facebook.app_secret",
                    "FANFARE__FACEBOOK__APP_SECRET",
                    self.facebook.app_secret.is_empty(),
                ),
                (
                    "facebook.verify_token",
                    "FANFARE__FACEBOOK__VERIFY_TOKEN",
                    self.facebook.verify_token.is_empty(),
                ),
                (
                    "security.secret_key",
                    "FANFARE__SECURITY__SECRET_KEY",
                    self.security.secret_key.is_empty(),
                ),
            ];
            if let Some((key, env, _)) = required.iter().find(|(_, _, missing)| *missing) {
                return Err(ConfigError::MissingInLive { key, env });
            }
            if self.security.secret_key.expose().len() < 32 {
                return Err(ConfigError::Invalid(
                    "`security.secret_key` must be at least 32 characters in live mode".into(),
                ));
            }
            if self
                .security
                .secret_key
                .expose()
                .starts_with("sandbox-only")
            {
                return Err(ConfigError::Invalid(
                    "`security.secret_key` still holds the sandbox default; set a real key".into(),
                ));
            }
        }
        if self.database.pool_size == 0 {
            return Err(ConfigError::Invalid(
                "`database.pool_size` must be at least 1".into(),
            ));
        }
        if !(0.0..=1.0).contains(&self.sandbox.error_rate)
            || !(0.0..=1.0).contains(&self.sandbox.rate_limit_rate)
        {
            return Err(ConfigError::Invalid(
                "`sandbox.error_rate` and `sandbox.rate_limit_rate` must be within 0..=1".into(),
            ));
        }
        Ok(())
    }

    pub fn is_sandbox(&self) -> bool {
        self.facebook.mode == FacebookMode::Sandbox
    }
}

/// `config/<env>.toml`, refusing environment names that could escape the directory.
fn overlay_path(dir: &Path, env: &str) -> Result<PathBuf, ConfigError> {
    if env.is_empty()
        || !env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(ConfigError::Invalid(format!(
            "FANFARE_ENV `{env}` must be a plain name such as `production`"
        )));
    }
    Ok(dir.join(format!("{env}.toml")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(vars: &[(&str, &str)]) -> Sources {
        Sources {
            config_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")),
            environment: None,
            env_vars: vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn defaults_are_sandbox_and_local() {
        let s = Settings::load_from(&sources(&[])).unwrap();
        assert_eq!(s.facebook.mode, FacebookMode::Sandbox);
        assert_eq!(s.server.host, "127.0.0.1");
        assert!(s.database.url.expose().contains("127.0.0.1:5432"));
        assert_eq!(s.facebook.max_body_bytes, 8 * 1024 * 1024);
        assert!(!s.facebook.accept_sha1);
    }

    #[test]
    fn env_vars_override_files_and_database_url_is_honoured() {
        let s = Settings::load_from(&sources(&[
            ("FANFARE__SERVER__PORT", "9123"),
            ("FANFARE__DATABASE__POOL_SIZE", "3"),
            ("DATABASE_URL", "postgres://x@127.0.0.1/other"),
            ("FANFARE__SECURITY__PREVIOUS_SECRET_KEYS", "old-one,old-two"),
        ]))
        .unwrap();
        assert_eq!(s.server.port, 9123);
        assert_eq!(s.database.pool_size, 3);
        assert_eq!(s.database.url.expose(), "postgres://x@127.0.0.1/other");
        let old: Vec<&str> = s
            .security
            .previous_secret_keys
            .iter()
            .map(|k| k.expose())
            .collect();
        assert_eq!(old, vec!["old-one", "old-two"]);
    }

    #[test]
    fn fanfare_database_url_wins_over_database_url() {
        let s = Settings::load_from(&sources(&[
            ("DATABASE_URL", "postgres://a@127.0.0.1/a"),
            ("FANFARE__DATABASE__URL", "postgres://b@127.0.0.1/b"),
        ]))
        .unwrap();
        assert_eq!(s.database.url.expose(), "postgres://b@127.0.0.1/b");
    }

    #[test]
    fn mistyped_key_is_named() {
        let err = Settings::load_from(&sources(&[("FANFARE__SERVER__PORTT", "1")])).unwrap_err();
        assert!(err.to_string().contains("portt"), "{err}");
    }

    #[test]
    fn wrong_type_is_named() {
        let err =
            Settings::load_from(&sources(&[("FANFARE__SERVER__PORT", "eighty")])).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("port"), "{msg}");
    }

    #[test]
    fn production_overlay_is_live_and_refuses_missing_secrets() {
        let mut src = sources(&[]);
        src.environment = Some("production".into());
        let err = Settings::load_from(&src).unwrap_err();
        assert!(err.to_string().contains("facebook.app_id"), "{err}");

        let mut src = sources(&[
            ("FANFARE__FACEBOOK__APP_ID", "123"),
            ("FANFARE__FACEBOOK__APP_SECRET", "s3cret"),
            ("FANFARE__FACEBOOK__VERIFY_TOKEN", "vt"),
        ]);
        src.environment = Some("production".into());
        let err = Settings::load_from(&src).unwrap_err();
        assert!(err.to_string().contains("security.secret_key"), "{err}");

        let mut src = sources(&[
            ("FANFARE__FACEBOOK__APP_ID", "123"),
            ("FANFARE__FACEBOOK__APP_SECRET", "s3cret"),
            ("FANFARE__FACEBOOK__VERIFY_TOKEN", "vt"),
            (
                "FANFARE__SECURITY__SECRET_KEY",
                "a-real-production-key-of-sufficient-length",
            ),
        ]);
        src.environment = Some("production".into());
        let s = Settings::load_from(&src).unwrap();
        assert_eq!(s.facebook.mode, FacebookMode::Live);
        assert_eq!(s.log.format, LogFormat::Json);
    }

    #[test]
    fn hostile_environment_names_are_refused() {
        let mut src = sources(&[]);
        src.environment = Some("../../etc/passwd".into());
        assert!(Settings::load_from(&src).is_err());
    }

    #[test]
    fn readme_documents_every_key() {
        let readme = include_str!("../README.md");
        let mut section = String::new();
        for line in DEFAULT_TOML.lines() {
            if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
                section = name.to_string();
            } else if let Some((key, _)) = line.split_once(" = ") {
                if !line.starts_with('#') {
                    let row = format!("| `{section}.{key}` |");
                    assert!(
                        readme.contains(&row),
                        "README lacks {section}.{key}; run .ci/gen-config-table"
                    );
                }
            }
        }
    }

    #[test]
    fn secrets_never_print() {
        let s = Settings::load_from(&sources(&[(
            "FANFARE__FACEBOOK__APP_SECRET",
            "top-secret-value",
        )]))
        .unwrap();
        let debug = format!("{s:?}");
        assert!(!debug.contains("top-secret-value"));
        assert!(!debug.contains("sandbox-only-insecure"));
        assert!(debug.contains("***"));
        assert_eq!(format!("{}", s.facebook.app_secret), "***");
    }
}
