//! The brokers' routes to the feeds (CONTRACT.md section 6.1): an MQTT subscription
//! (`--mqtt`, [`mqtt`]) and a JetStream durable consumer (`--nats`, [`nats`]). Each hands its
//! messages to the same queue as `POST /api/v1/feeds/{kind}` ([`tracegrid_city::LiveCity::submit`])
//! and acknowledges a message only once its reply says the rows are kept; a message the broker
//! delivers again is kept once, because every row has an identity (CONTRACT.md section 1).
//!
//! What the two share lives here: the [`Link`] to the city (held weakly, so that a consumer
//! never keeps a stopped server's city alive), offering a message to the queue in turn, the
//! reject messages they publish, and the route's state for `/healthz`, `/api/feeds` and
//! `/metrics`. docs/FEEDS.md describes the routes as a data source sees them.

mod mqtt;
mod nats;

use std::sync::{Mutex, Weak};
use std::time::Duration;

use tracegrid_city::{FeedError, Route, RouteState, Submission, now_ms};
use tracegrid_ingest::feed::Answer;

use crate::config::Config;
use crate::state::{AppState, Shared};

/// The consumers running for a server; they stop when this is dropped (a message in hand and
/// not yet acknowledged is delivered again by its broker).
#[derive(Debug, Default)]
pub struct Consumers {
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Consumers {
    /// Stops the consumers and waits until they have let go of their connections.
    pub async fn stop(mut self) {
        let tasks = std::mem::take(&mut self.tasks);
        for t in &tasks {
            t.abort();
        }
        for t in tasks {
            let _ = t.await;
        }
    }
}

impl Drop for Consumers {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Starts the consumers the configuration asks for (`mqtt`, `nats`), on the current Tokio
/// runtime. A broker that is down at start is reported as down and tried again; the server
/// serves meanwhile.
pub fn start(state: &AppState) -> Consumers {
    let config = &state.config;
    let mut tasks = Vec::new();
    if let Some(url) = &config.mqtt {
        let link = Link::new(state, Route::Mqtt, url);
        match mqtt::Settings::read(url, config) {
            Ok(settings) => tasks.push(tokio::spawn(mqtt::run(link, settings))),
            Err(why) => link.refuse(why),
        }
    }
    if let Some(url) = &config.nats {
        let link = Link::new(state, Route::Nats, url);
        match nats::Settings::read(url, config) {
            Ok(settings) => tasks.push(tokio::spawn(nats::run(link, settings))),
            Err(why) => link.refuse(why),
        }
    }
    Consumers { tasks }
}

/// Messages a consumer has in hand at once (offered to the queue or waiting for their rows to
/// be kept): half the feed queue, so that HTTP feeds always find room, and at most 256.
fn window(config: &Config) -> usize {
    (config.feed_queue_messages / 2).clamp(1, 256)
}

/// A consumer's way to the city and to the route's reported state.
#[derive(Debug)]
struct Link {
    shared: Weak<Shared>,
    state: Mutex<RouteState>,
}

/// What became of an offer to the feed queue.
#[derive(Debug)]
enum Offer {
    /// Queued: the reply comes here.
    Taken(tokio::sync::oneshot::Receiver<Result<Answer, FeedError>>),
    /// Not queued; offer it again after this long.
    Later(Duration),
    /// Refused whole, for a reason to publish (an unknown kind).
    Refused(String),
    /// The server is gone: stop.
    Gone,
}

/// What a message finally came to.
#[derive(Debug)]
enum Fate {
    /// Its rows are kept (the rejected ones among them).
    Kept(Answer),
    /// Refused whole (not NDJSON, an unknown kind): nothing of it is kept, and it is not sent
    /// again.
    Refused(String),
    /// Not kept (the store failed, the server is stopping): offer it again later.
    Again,
}

impl Fate {
    fn of(
        reply: Result<Result<Answer, FeedError>, tokio::sync::oneshot::error::RecvError>,
    ) -> Fate {
        match reply {
            Ok(Ok(answer)) => Fate::Kept(answer),
            Ok(Err(FeedError::Unreadable(reason))) => Fate::Refused(reason),
            Ok(Err(e @ FeedError::UnknownKind(_))) => Fate::Refused(e.to_string()),
            Ok(Err(FeedError::Busy { .. } | FeedError::Store(_) | FeedError::Stopped)) => {
                Fate::Again
            }
            // The writer dropped the reply: it stopped.
            Err(_) => Fate::Again,
        }
    }
}

impl Link {
    fn new(state: &AppState, route: Route, url: &str) -> Link {
        let link = Link {
            shared: std::sync::Arc::downgrade(&state.0),
            state: Mutex::new(RouteState {
                route,
                configured: true,
                connected: false,
                url: Some(without_credentials(url)),
                detail: Some("connecting".into()),
                since_ms: now_ms(),
                pending: None,
            }),
        };
        link.publish();
        link
    }

    fn route(&self) -> Route {
        self.lock().route
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RouteState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Tells the city the route's state.
    fn publish(&self) {
        let state = self.lock().clone();
        if let Some(shared) = self.shared.upgrade() {
            shared.city.set_route_state(state);
        }
    }

    /// The route is up.
    fn up(&self, detail: Option<String>) {
        self.set(true, detail);
    }

    /// The route is down, for `why`.
    fn down(&self, why: String) {
        self.set(false, Some(why));
    }

    fn set(&self, connected: bool, detail: Option<String>) {
        {
            let mut s = self.lock();
            if s.connected == connected && s.detail == detail {
                return;
            }
            if s.connected != connected {
                s.since_ms = now_ms();
                if connected {
                    tracing::info!(route = s.route.as_str(), "feed route connected");
                } else {
                    tracing::warn!(
                        route = s.route.as_str(),
                        why = detail.as_deref().unwrap_or(""),
                        "feed route down"
                    );
                }
            }
            s.connected = connected;
            s.detail = detail;
        }
        self.publish();
    }

    /// The broker's count of messages not yet delivered to this server.
    fn pending(&self, pending: u64) {
        {
            let mut s = self.lock();
            if s.pending == Some(pending) {
                return;
            }
            s.pending = Some(pending);
        }
        self.publish();
    }

    /// The configuration cannot work: said once, and the route stays down.
    fn refuse(&self, why: String) {
        tracing::error!(route = self.route().as_str(), why, "feed route not started");
        self.down(why);
    }

    /// Offers a message to the feed queue once.
    fn offer(&self, sub: Submission) -> Offer {
        let Some(shared) = self.shared.upgrade() else {
            return Offer::Gone;
        };
        let (tx, rx) = tokio::sync::oneshot::channel();
        let reply = Box::new(move |outcome| {
            // A consumer that stopped no longer waits for its answer.
            let _ = tx.send(outcome);
        });
        match shared.city.submit(sub, reply) {
            Ok(()) => Offer::Taken(rx),
            Err(FeedError::Busy { retry_after }) => {
                Offer::Later(Duration::from_secs(retry_after.max(1)))
            }
            Err(e @ FeedError::UnknownKind(_)) => Offer::Refused(e.to_string()),
            Err(FeedError::Unreadable(reason)) => Offer::Refused(reason),
            Err(FeedError::Store(_) | FeedError::Stopped) => Offer::Later(Duration::from_secs(1)),
        }
    }
}

/// A message of NDJSON rows from a broker, named by its topic or subject.
fn submission(route: Route, kind: &str, topic: &str, payload: &[u8]) -> Submission {
    Submission {
        kind: kind.to_owned(),
        body: payload.to_vec(),
        format: tracegrid_ingest::Format::Ndjson,
        route,
        source: topic.to_owned(),
    }
}

/// A reject as the brokers publish it: `{"reason","record"}` (CONTRACT.md section 6.1).
fn reject_message(reason: &str, record: &str) -> Vec<u8> {
    serde_json::json!({"reason": reason, "record": record})
        .to_string()
        .into_bytes()
}

/// The rejects to publish for a message's fate: each rejected row, or the whole message.
fn rejects_of(fate: &Fate, payload: &[u8]) -> Vec<Vec<u8>> {
    match fate {
        Fate::Kept(answer) => answer
            .rejects
            .iter()
            .map(|r| reject_message(&r.reason, &r.record))
            .collect(),
        // Clipped as kept rejects are: a reject must fit where its message came from.
        Fate::Refused(reason) => vec![reject_message(
            reason,
            &tracegrid_ingest::feed::clip(&String::from_utf8_lossy(payload)),
        )],
        Fate::Again => Vec::new(),
    }
}

/// Waits that grow from one second to half a minute while something keeps failing.
#[derive(Debug, Default)]
struct Backoff {
    failures: u32,
}

impl Backoff {
    fn next(&mut self) -> Duration {
        let secs = 1u64 << self.failures.min(5);
        self.failures += 1;
        Duration::from_secs(secs.min(30))
    }

    fn reset(&mut self) {
        self.failures = 0;
    }
}

/// A broker's URL as it may be shown: without user and password. Several comma-separated
/// URLs (NATS takes a list) each lose theirs.
fn without_credentials(url: &str) -> String {
    url.split(',')
        .map(|part| {
            let part = part.trim();
            let (scheme, rest) = match part.find("://") {
                Some(i) => part.split_at(i + 3),
                None => ("", part),
            };
            let authority_end = rest.find('/').unwrap_or(rest.len());
            match rest[..authority_end].rfind('@') {
                Some(at) => format!("{scheme}{}", &rest[at + 1..]),
                None => part.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_not_shown() {
        assert_eq!(
            without_credentials("mqtt://feed:s3cr@t@broker.local:1883"),
            "mqtt://broker.local:1883"
        );
        assert_eq!(
            without_credentials("nats://a:b@n1:4222, nats://n2:4222/x@y"),
            "nats://n1:4222,nats://n2:4222/x@y"
        );
        assert_eq!(without_credentials("127.0.0.1:4222"), "127.0.0.1:4222");
    }

    #[test]
    fn a_reject_is_reason_and_record() {
        let m: serde_json::Value =
            serde_json::from_slice(&reject_message("place_id: unknown", "{\"a\":1}")).unwrap();
        assert_eq!(
            m,
            serde_json::json!({"reason": "place_id: unknown", "record": "{\"a\":1}"})
        );
    }

    #[test]
    fn back_off_grows_to_half_a_minute() {
        let mut b = Backoff::default();
        let waits: Vec<u64> = (0..8).map(|_| b.next().as_secs()).collect();
        assert_eq!(waits, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        b.reset();
        assert_eq!(b.next().as_secs(), 1);
    }
}
