//! How the server is configured: a TOML file, then `TRACEGRID_`-prefixed environment variables
//! over it, then whatever the command line says over both. Every field has a default, so no file
//! is needed to start.

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The server's settings.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: String,
    /// The store: a SQLite file path or a postgres:// URL.
    pub db: String,
    /// Zone for reading and printing times.
    pub tz: String,
    /// The moment screening is evaluated at (RFC 3339 or a date); absent: now, moving.
    pub as_of: Option<String>,
    pub lookback_days: i64,
    /// Turns on OUTSIDE_ARRIVAL for arrivals into this region.
    pub home_region: Option<String>,
    /// How long a login lasts.
    pub session_hours: i64,
    /// Set the session cookie's `Secure` flag (behind HTTPS).
    pub secure_cookies: bool,
    /// Where uploaded drops and their rejects are kept; default: beside a SQLite store, else
    /// the system's temporary directory.
    pub import_dir: Option<PathBuf>,
    /// Largest upload accepted, in megabytes.
    pub max_upload_mb: usize,
    /// Largest a zipped upload may unpack to, in megabytes.
    pub max_unzipped_mb: usize,
    /// Hours to answer a task of priority 1, 2 and 3.
    pub task_due_hours: [i64; 3],
    /// Hours after an overdue task reached the community until it reaches the command centre.
    pub escalate_after_hours: i64,
    /// How often time is let act on tasks (escalation, isolation days), in seconds.
    pub tick_seconds: u64,
    /// Connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Seconds a connection has to send a request's headers.
    pub header_timeout_seconds: u64,
    /// Seconds an upload's or a photo's body may take to arrive (over a slow line: minutes).
    pub body_timeout_seconds: u64,
    /// Seconds any other body (JSON, at most a megabyte) may take: a slow phone line, not a
    /// connection held open a byte at a time.
    pub small_body_timeout_seconds: u64,
    /// Origins, besides the server's own address, whose pages may send changes (`https://…`,
    /// for a server behind a proxy that rewrites `Host`).
    pub allowed_origins: Vec<String>,
    /// Host names the server answers to (with or without a port); empty: any.
    pub allowed_hosts: Vec<String>,
    /// Whether a scraper on this machine (a loopback peer) reads `/metrics` without a login.
    /// Turn it off behind a reverse proxy on the same machine, where every client is loopback.
    pub metrics_from_loopback: bool,
    /// Largest feed message over HTTP, in megabytes (`POST /api/v1/feeds/{kind}`).
    pub max_feed_mb: usize,
    /// Feed messages waiting to be kept, at most; more are answered 429.
    pub feed_queue_messages: usize,
    /// Megabytes of feed messages waiting to be kept, at most; more are answered 429.
    pub feed_queue_mb: usize,
    /// Seconds between moves of a screening without a fixed moment to the current time.
    pub roll_seconds: u64,
    /// An MQTT broker to take feeds from (`mqtt://HOST:PORT`, user and password in the URL if
    /// the broker wants them).
    pub mqtt: Option<String>,
    /// A NATS server with JetStream to take feeds from (`nats://HOST:PORT`).
    pub nats: Option<String>,
    /// The MQTT client id: the broker keeps this id's session (its subscription and the QoS 1
    /// messages not yet acknowledged) while the server is down. One id per deployment.
    pub mqtt_client_id: String,
    /// The MQTT topics' first level: feeds on `{prefix}/feeds/{kind}`, rejects published to
    /// `{prefix}/rejects/{kind}`.
    pub mqtt_topic_prefix: String,
    /// The NATS subjects' first token: feeds on `{prefix}.feeds.{kind}`, rejects published to
    /// `{prefix}.rejects.{kind}`.
    pub nats_subject_prefix: String,
    /// The JetStream stream the feeds are kept in (made, if missing, on `{prefix}.feeds.>`).
    pub nats_stream: String,
    /// The stream's durable pull consumer.
    pub nats_consumer: String,
    /// Seconds JetStream waits for an acknowledgement before it delivers a message again (set
    /// when the consumer is made).
    pub nats_ack_wait_seconds: u64,
    /// The largest the stream may grow, in megabytes (set when the stream is made); a full
    /// stream refuses new messages rather than drop any.
    pub nats_stream_max_mb: u64,
    /// Hours a resident's pass on their phone is valid.
    pub pass_hours: i64,
    /// Days a printed pass is valid (`GET /api/v1/passes/{person_id}`).
    pub paper_pass_days: i64,
    /// A city's SMS gateway: one-time codes are posted to this `http://` URL as JSON. Absent:
    /// grid workers hand codes over.
    pub sms_webhook: Option<String>,
    /// Minutes a code sent by SMS lives.
    pub code_minutes: i64,
    /// Hours a code handed over by a grid worker lives.
    pub printed_code_hours: i64,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            listen: "127.0.0.1:8080".into(),
            db: "./tracegrid.db".into(),
            tz: "Asia/Shanghai".into(),
            as_of: None,
            lookback_days: 14,
            home_region: None,
            session_hours: 12,
            secure_cookies: false,
            import_dir: None,
            max_upload_mb: 512,
            max_unzipped_mb: 8192,
            task_due_hours: [2, 12, 24],
            escalate_after_hours: 4,
            tick_seconds: 60,
            max_connections: 1024,
            header_timeout_seconds: 10,
            body_timeout_seconds: 600,
            small_body_timeout_seconds: 20,
            allowed_origins: Vec::new(),
            allowed_hosts: Vec::new(),
            metrics_from_loopback: true,
            max_feed_mb: 32,
            feed_queue_messages: 1024,
            feed_queue_mb: 128,
            roll_seconds: 10,
            mqtt: None,
            nats: None,
            mqtt_client_id: "tracegrid".into(),
            mqtt_topic_prefix: "tracegrid".into(),
            nats_subject_prefix: "tracegrid".into(),
            nats_stream: "TRACEGRID_FEEDS".into(),
            nats_consumer: "tracegrid".into(),
            nats_ack_wait_seconds: 30,
            nats_stream_max_mb: 10240,
            pass_hours: 24,
            paper_pass_days: 7,
            sms_webhook: None,
            code_minutes: 10,
            printed_code_hours: 24,
        }
    }
}

/// Why the configuration could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {0}: {1}")]
    Unreadable(String, std::io::Error),
    #[error("{0}: {1}")]
    Invalid(String, String),
}

impl Config {
    /// The file at `path` (if given), then the environment over it.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let mut c = match path {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError::Unreadable(p.display().to_string(), e))?;
                toml::from_str(&text)
                    .map_err(|e| ConfigError::Invalid(p.display().to_string(), e.to_string()))?
            }
            None => Config::default(),
        };
        c.apply_env(|k| std::env::var(k).ok())?;
        Ok(c)
    }

    /// Overrides fields from `TRACEGRID_<FIELD>` variables, as `var` finds them.
    pub fn apply_env(&mut self, var: impl Fn(&str) -> Option<String>) -> Result<(), ConfigError> {
        fn parse<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, ConfigError> {
            v.parse()
                .map_err(|_| ConfigError::Invalid(key.into(), format!("{v:?} is not valid here")))
        }
        let get = |k: &str| var(&format!("TRACEGRID_{k}"));
        if let Some(v) = get("LISTEN") {
            self.listen = v;
        }
        if let Some(v) = get("DB") {
            self.db = v;
        }
        if let Some(v) = get("TZ") {
            self.tz = v;
        }
        if let Some(v) = get("AS_OF") {
            self.as_of = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("LOOKBACK_DAYS") {
            self.lookback_days = parse("TRACEGRID_LOOKBACK_DAYS", &v)?;
        }
        if let Some(v) = get("HOME_REGION") {
            self.home_region = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("SESSION_HOURS") {
            self.session_hours = parse("TRACEGRID_SESSION_HOURS", &v)?;
        }
        if let Some(v) = get("SECURE_COOKIES") {
            self.secure_cookies = parse("TRACEGRID_SECURE_COOKIES", &v)?;
        }
        if let Some(v) = get("IMPORT_DIR") {
            self.import_dir = Some(v.into());
        }
        if let Some(v) = get("MAX_UPLOAD_MB") {
            self.max_upload_mb = parse("TRACEGRID_MAX_UPLOAD_MB", &v)?;
        }
        if let Some(v) = get("MAX_UNZIPPED_MB") {
            self.max_unzipped_mb = parse("TRACEGRID_MAX_UNZIPPED_MB", &v)?;
        }
        if let Some(v) = get("TASK_DUE_HOURS") {
            let key = "TRACEGRID_TASK_DUE_HOURS";
            let hours: Vec<i64> = v
                .split(',')
                .map(|h| parse(key, h.trim()))
                .collect::<Result<_, _>>()?;
            self.task_due_hours = hours.try_into().map_err(|_| {
                ConfigError::Invalid(key.into(), "give three hours: priority 1,2,3".into())
            })?;
        }
        if let Some(v) = get("ESCALATE_AFTER_HOURS") {
            self.escalate_after_hours = parse("TRACEGRID_ESCALATE_AFTER_HOURS", &v)?;
        }
        if let Some(v) = get("PASS_HOURS") {
            self.pass_hours = parse("TRACEGRID_PASS_HOURS", &v)?;
        }
        if let Some(v) = get("PAPER_PASS_DAYS") {
            self.paper_pass_days = parse("TRACEGRID_PAPER_PASS_DAYS", &v)?;
        }
        if let Some(v) = get("SMS_WEBHOOK") {
            self.sms_webhook = Some(v).filter(|u| !u.trim().is_empty());
        }
        if let Some(v) = get("CODE_MINUTES") {
            self.code_minutes = parse("TRACEGRID_CODE_MINUTES", &v)?;
        }
        if let Some(v) = get("PRINTED_CODE_HOURS") {
            self.printed_code_hours = parse("TRACEGRID_PRINTED_CODE_HOURS", &v)?;
        }
        if let Some(v) = get("TICK_SECONDS") {
            self.tick_seconds = parse("TRACEGRID_TICK_SECONDS", &v)?;
        }
        if let Some(v) = get("MAX_CONNECTIONS") {
            self.max_connections = parse("TRACEGRID_MAX_CONNECTIONS", &v)?;
        }
        if let Some(v) = get("HEADER_TIMEOUT_SECONDS") {
            self.header_timeout_seconds = parse("TRACEGRID_HEADER_TIMEOUT_SECONDS", &v)?;
        }
        if let Some(v) = get("BODY_TIMEOUT_SECONDS") {
            self.body_timeout_seconds = parse("TRACEGRID_BODY_TIMEOUT_SECONDS", &v)?;
        }
        if let Some(v) = get("SMALL_BODY_TIMEOUT_SECONDS") {
            self.small_body_timeout_seconds = parse("TRACEGRID_SMALL_BODY_TIMEOUT_SECONDS", &v)?;
        }
        if let Some(v) = get("ALLOWED_HOSTS") {
            self.allowed_hosts = v
                .split(',')
                .map(str::trim)
                .filter(|h| !h.is_empty())
                .map(str::to_owned)
                .collect();
        }
        if let Some(v) = get("METRICS_FROM_LOOPBACK") {
            self.metrics_from_loopback = parse("TRACEGRID_METRICS_FROM_LOOPBACK", &v)?;
        }
        if let Some(v) = get("MAX_FEED_MB") {
            self.max_feed_mb = parse("TRACEGRID_MAX_FEED_MB", &v)?;
        }
        if let Some(v) = get("FEED_QUEUE_MESSAGES") {
            self.feed_queue_messages = parse("TRACEGRID_FEED_QUEUE_MESSAGES", &v)?;
        }
        if let Some(v) = get("FEED_QUEUE_MB") {
            self.feed_queue_mb = parse("TRACEGRID_FEED_QUEUE_MB", &v)?;
        }
        if let Some(v) = get("ROLL_SECONDS") {
            self.roll_seconds = parse("TRACEGRID_ROLL_SECONDS", &v)?;
        }
        if let Some(v) = get("MQTT") {
            self.mqtt = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("NATS") {
            self.nats = Some(v).filter(|v| !v.is_empty());
        }
        if let Some(v) = get("MQTT_CLIENT_ID") {
            self.mqtt_client_id = v;
        }
        if let Some(v) = get("MQTT_TOPIC_PREFIX") {
            self.mqtt_topic_prefix = v;
        }
        if let Some(v) = get("NATS_SUBJECT_PREFIX") {
            self.nats_subject_prefix = v;
        }
        if let Some(v) = get("NATS_STREAM") {
            self.nats_stream = v;
        }
        if let Some(v) = get("NATS_CONSUMER") {
            self.nats_consumer = v;
        }
        if let Some(v) = get("NATS_ACK_WAIT_SECONDS") {
            self.nats_ack_wait_seconds = parse("TRACEGRID_NATS_ACK_WAIT_SECONDS", &v)?;
        }
        if let Some(v) = get("NATS_STREAM_MAX_MB") {
            self.nats_stream_max_mb = parse("TRACEGRID_NATS_STREAM_MAX_MB", &v)?;
        }
        if let Some(v) = get("ALLOWED_ORIGINS") {
            self.allowed_origins = v
                .split(',')
                .map(str::trim)
                .filter(|o| !o.is_empty())
                .map(str::to_owned)
                .collect();
        }
        Ok(())
    }

    /// The zone named by `tz`.
    pub fn zone(&self) -> Result<chrono_tz::Tz, ConfigError> {
        self.tz.parse().map_err(|_| {
            ConfigError::Invalid("tz".into(), format!("{} is not a time zone name", self.tz))
        })
    }

    /// How the city is screened: the moment read as CONTRACT.md section 5 says.
    pub fn settings(&self) -> Result<tracegrid_city::Settings, ConfigError> {
        tracegrid_city::Settings::read(
            self.as_of.as_deref(),
            self.lookback_days,
            self.home_region.as_deref(),
            &self.tz,
        )
        .map_err(|e| ConfigError::Invalid("screening".into(), e.to_string()))
    }

    /// How tasks are timed.
    pub fn policy(&self) -> Result<tracegrid_city::tasks::Policy, ConfigError> {
        Ok(tracegrid_city::tasks::Policy {
            due_hours: self.task_due_hours,
            escalate_after_hours: self.escalate_after_hours,
            zone: self.zone()?,
            ..Default::default()
        })
    }

    /// How the live city runs: its feed queue and its clock.
    /// The local date of an instant in the server's zone, `YYYY-MM-DD`.
    pub fn day_of(&self, t: i64) -> String {
        let zone = self.zone().unwrap_or(chrono_tz::Asia::Shanghai);
        chrono::DateTime::from_timestamp_millis(t)
            .map(|d| d.with_timezone(&zone).format("%Y-%m-%d").to_string())
            .unwrap_or_default()
    }

    /// How residents' codes are sent.
    pub fn code_sender(&self) -> crate::codes::Sender {
        match &self.sms_webhook {
            Some(url) => crate::codes::Sender::Webhook {
                url: url.clone(),
                minutes: self.code_minutes.max(1),
            },
            None => crate::codes::Sender::GridWorker {
                minutes: self.printed_code_hours.max(1) * 60,
            },
        }
    }

    pub fn running(&self) -> tracegrid_city::Running {
        let limits = tracegrid_city::FeedLimits::default();
        tracegrid_city::Running {
            feeds: tracegrid_city::FeedLimits {
                queue_messages: self.feed_queue_messages.max(1),
                queue_bytes: self.feed_queue_mb.max(1) << 20,
                ..limits
            },
            roll_every: std::time::Duration::from_secs(self.roll_seconds.clamp(1, 60)),
        }
    }

    /// Where uploads go.
    pub fn import_root(&self) -> PathBuf {
        match &self.import_dir {
            Some(d) => d.clone(),
            None if !tracegrid_store::is_postgres(&self.db) => {
                PathBuf::from(format!("{}.imports", self.db))
            }
            None => std::env::temp_dir().join("tracegrid-imports"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tracegrid.toml");
        std::fs::write(&file, "listen = \"0.0.0.0:9000\"\nlookback_days = 7\n").unwrap();
        let mut c = Config::load(Some(&file)).unwrap();
        assert_eq!((c.listen.as_str(), c.lookback_days), ("0.0.0.0:9000", 7));
        c.apply_env(|k| (k == "TRACEGRID_LOOKBACK_DAYS").then(|| "21".to_owned()))
            .unwrap();
        assert_eq!((c.listen.as_str(), c.lookback_days), ("0.0.0.0:9000", 21));
        let bad = c.apply_env(|k| (k == "TRACEGRID_SESSION_HOURS").then(|| "soon".to_owned()));
        assert!(
            bad.unwrap_err()
                .to_string()
                .contains("TRACEGRID_SESSION_HOURS")
        );
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.toml");
        std::fs::write(&file, "listn = \"x\"\n").unwrap();
        let err = Config::load(Some(&file)).unwrap_err().to_string();
        assert!(err.contains("listn"), "{err}");
    }
}
