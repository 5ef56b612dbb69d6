//! The NATS JetStream route (CONTRACT.md section 6.1): the stream `TRACEGRID_FEEDS` on
//! `tracegrid.feeds.>` (made if missing: a work queue, see docs/FEEDS.md) read by the durable
//! pull consumer `tracegrid` with explicit acknowledgements.
//!
//! Messages are offered to the feed queue in the order the stream holds them; a full queue is
//! waited out (the message is told to JetStream as still in progress, so that it is not sent
//! again meanwhile). Each message is acknowledged once its rows are kept — after its rejected
//! rows are published to `tracegrid.rejects.{kind}` — and told to come back later (a NAK with
//! a delay) when the store could not keep them. The consumer lets at most as many messages
//! wait for an acknowledgement as the server holds at once, so JetStream never hands over more
//! than the queue can take.

use std::pin::Pin;
use std::time::{Duration, Instant};

use async_nats::jetstream::{self, AckKind, consumer::PullConsumer, stream};
use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use tokio::sync::mpsc;
use tracegrid_city::Route;

use super::{Backoff, Fate, Link, Offer, rejects_of, submission};
use crate::config::Config;

/// How often the consumer's pending count is asked for.
const PENDING_EVERY: Duration = Duration::from_secs(5);

/// Where the server connects and the names it uses.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    url: String,
    /// `{prefix}.feeds.`: a message's subject is this and its kind.
    feeds: String,
    /// `{prefix}.rejects.`.
    rejects: String,
    stream: String,
    consumer: String,
    ack_wait: Duration,
    max_bytes: i64,
    max_message: i32,
    window: usize,
}

impl Settings {
    /// Reads the names of the configuration, or says what is wrong with them.
    pub(super) fn read(url: &str, config: &Config) -> Result<Settings, String> {
        if url.trim().is_empty() {
            return Err("the NATS URL is empty: give nats://[user:password@]host:port".into());
        }
        let prefix = config.nats_subject_prefix.trim_end_matches('.');
        if prefix.is_empty()
            || prefix
                .split('.')
                .any(|t| t.is_empty() || t.contains(['*', '>', ' ', '\t']))
        {
            return Err(format!(
                "nats_subject_prefix {prefix:?} cannot be a subject's first tokens"
            ));
        }
        for (key, name) in [
            ("nats_stream", &config.nats_stream),
            ("nats_consumer", &config.nats_consumer),
        ] {
            if name.is_empty() || name.contains(['.', '*', '>', ' ', '\t', '/', '\\']) {
                return Err(format!(
                    "{key} {name:?} is not a JetStream name (no dots, spaces or wildcards)"
                ));
            }
        }
        let mb = |m: u64| i64::try_from(m.max(1) << 20).unwrap_or(i64::MAX);
        Ok(Settings {
            url: url.to_owned(),
            feeds: format!("{prefix}.feeds."),
            rejects: format!("{prefix}.rejects."),
            stream: config.nats_stream.clone(),
            consumer: config.nats_consumer.clone(),
            ack_wait: Duration::from_secs(config.nats_ack_wait_seconds.max(1)),
            max_bytes: mb(config.nats_stream_max_mb),
            max_message: i32::try_from(mb(config.max_feed_mb as u64)).unwrap_or(i32::MAX),
            window: super::window(config),
        })
    }

    /// The stream made when it is missing: a work queue. A message is kept until the server
    /// has acknowledged it, never dropped unread; a full stream refuses new messages (their
    /// senders are told) rather than lose old ones.
    fn stream_config(&self) -> stream::Config {
        stream::Config {
            name: self.stream.clone(),
            subjects: vec![format!("{}>", self.feeds)],
            retention: stream::RetentionPolicy::WorkQueue,
            storage: stream::StorageType::File,
            discard: stream::DiscardPolicy::New,
            max_bytes: self.max_bytes,
            max_message_size: self.max_message,
            description: Some("tracegrid's live feeds (docs/FEEDS.md)".into()),
            ..Default::default()
        }
    }

    fn consumer_config(&self) -> jetstream::consumer::pull::Config {
        jetstream::consumer::pull::Config {
            durable_name: Some(self.consumer.clone()),
            description: Some("tracegrid serve".into()),
            deliver_policy: jetstream::consumer::DeliverPolicy::All,
            ack_policy: jetstream::consumer::AckPolicy::Explicit,
            ack_wait: self.ack_wait,
            // Delivered until acknowledged: a row is never given up on.
            max_deliver: -1,
            max_ack_pending: self.window as i64,
            ..Default::default()
        }
    }
}

type Waiting = Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// Takes feeds from JetStream until the server stops.
pub(super) async fn run(link: Link, settings: Settings) {
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let mut backoff = Backoff::default();
    let client = loop {
        let tx = events_tx.clone();
        let options = async_nats::ConnectOptions::new()
            .name("tracegrid")
            .connection_timeout(Duration::from_secs(5))
            .event_callback(move |event| {
                let tx = tx.clone();
                async move {
                    let _ = tx.send(event);
                }
            });
        match options.connect(settings.url.as_str()).await {
            Ok(c) => break c,
            Err(e) => {
                if link.shared.strong_count() == 0 {
                    return;
                }
                let wait = backoff.next();
                link.down(format!(
                    "cannot reach the NATS server ({e}); trying again in {} s",
                    wait.as_secs()
                ));
                tokio::time::sleep(wait).await;
            }
        }
    };
    let js = jetstream::new(client.clone());
    // Whether the client is connected, as its events say; the route is up when it is and the
    // consumer is there.
    let (up_tx, up) = tokio::sync::watch::channel(true);
    let watch_events = async {
        while let Some(event) = events.recv().await {
            match event {
                async_nats::Event::Connected => {
                    let _ = up_tx.send(true);
                }
                async_nats::Event::Disconnected => {
                    let _ = up_tx.send(false);
                    link.down("lost the connection to the NATS server; reconnecting".into());
                }
                other => tracing::info!(event = other.to_string(), "NATS"),
            }
        }
    };
    tokio::select! {
        () = watch_events => {}
        () = consume(&link, &settings, &client, &js, up) => {}
    }
}

/// Makes sure of the stream and the consumer, then reads the consumer's messages; on any
/// failure, again after a wait.
async fn consume(
    link: &Link,
    settings: &Settings,
    client: &async_nats::Client,
    js: &jetstream::Context,
    mut up: tokio::sync::watch::Receiver<bool>,
) {
    let mut backoff = Backoff::default();
    loop {
        let consumer = match prepare(settings, js).await {
            Ok(c) => c,
            Err(why) => {
                let wait = backoff.next();
                link.down(format!("{why}; trying again in {} s", wait.as_secs()));
                tokio::time::sleep(wait).await;
                continue;
            }
        };
        backoff.reset();
        match read(link, settings, client, &consumer, &mut up).await {
            Read::Gone => return,
            Read::Failed(why) => {
                let wait = backoff.next();
                link.down(format!("{why}; trying again in {} s", wait.as_secs()));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

/// The stream (made if missing, else taken as it is) and the durable consumer (likewise).
async fn prepare(settings: &Settings, js: &jetstream::Context) -> Result<PullConsumer, String> {
    let stream = js
        .get_or_create_stream(settings.stream_config())
        .await
        .map_err(|e| {
            format!(
                "cannot find or make the JetStream stream {} ({e}; is JetStream on?)",
                settings.stream
            )
        })?;
    stream
        .get_or_create_consumer(&settings.consumer, settings.consumer_config())
        .await
        .map_err(|e| {
            format!(
                "cannot find or make the consumer {} of the stream {} ({e})",
                settings.consumer, settings.stream
            )
        })
}

enum Read {
    /// The server stopped.
    Gone,
    /// Reading failed; start again.
    Failed(String),
}

/// A message being offered to the queue while it is full.
struct Offering {
    message: jetstream::Message,
    kind: String,
    next_try: tokio::time::Instant,
    touched: Instant,
}

/// Reads the consumer's messages, offers each in turn, and lets each wait for its fate.
async fn read(
    link: &Link,
    settings: &Settings,
    client: &async_nats::Client,
    consumer: &PullConsumer,
    up: &mut tokio::sync::watch::Receiver<bool>,
) -> Read {
    let batch = settings.window.min(64);
    let mut messages = match consumer
        .stream()
        .max_messages_per_batch(batch)
        .heartbeat(Duration::from_secs(5))
        .expires(Duration::from_secs(30))
        .messages()
        .await
    {
        Ok(m) => m,
        Err(e) => {
            return Read::Failed(format!(
                "cannot read the consumer {}: {e}",
                settings.consumer
            ));
        }
    };
    let connected = |link: &Link| {
        link.up(Some(format!(
            "consuming {} as {}",
            settings.stream, settings.consumer
        )));
    };
    connected(link);
    let mut waiting: FuturesUnordered<Waiting> = FuturesUnordered::new();
    let mut offering: Option<Offering> = None;
    let mut pending = tokio::time::interval(PENDING_EVERY);
    pending.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut info_of = consumer.clone();
    loop {
        if let Some(o) = offering.take() {
            if tokio::time::Instant::now() >= o.next_try {
                match offer(link, settings, client, o).await {
                    Ok(Some(w)) => waiting.push(w),
                    Ok(None) => {}
                    Err(Some(o)) => offering = Some(o),
                    Err(None) => return Read::Gone,
                }
            } else {
                offering = Some(o);
            }
        }
        let next_try = offering.as_ref().map(|o| o.next_try);
        tokio::select! {
            () = async {
                match next_try {
                    Some(t) => tokio::time::sleep_until(t).await,
                    None => std::future::pending().await,
                }
            } => {}
            Some(()) = waiting.next(), if !waiting.is_empty() => {}
            m = messages.next(), if offering.is_none() && waiting.len() < settings.window => {
                match m {
                    Some(Ok(message)) => {
                        let subject = message.subject.as_str();
                        let kind = subject
                            .strip_prefix(&settings.feeds)
                            .unwrap_or(subject)
                            .to_owned();
                        offering = Some(Offering {
                            message,
                            kind,
                            next_try: tokio::time::Instant::now(),
                            touched: Instant::now(),
                        });
                    }
                    Some(Err(e)) => {
                        // Missed heartbeats while the connection is down, and the like: the
                        // stream of messages asks again by itself.
                        tracing::warn!(error = e.to_string(), "reading the JetStream consumer");
                    }
                    None => return Read::Failed("the consumer's messages ended".into()),
                }
            }
            changed = up.changed() => {
                if changed.is_err() {
                    return Read::Gone;
                }
                if *up.borrow_and_update() {
                    connected(link);
                }
            }
            _ = pending.tick() => {
                if link.shared.strong_count() == 0 {
                    return Read::Gone;
                }
                match info_of.info().await {
                    Ok(info) => link.pending(info.num_pending),
                    Err(e) => tracing::debug!(error = e.to_string(), "asking the consumer's pending count"),
                }
            }
        }
    }
}

/// Offers a message once. `Ok(Some)`: taken, a future waits for its fate; `Ok(None)`: refused
/// whole and acknowledged; `Err(Some)`: to be offered again; `Err(None)`: the server is gone.
async fn offer(
    link: &Link,
    settings: &Settings,
    client: &async_nats::Client,
    mut o: Offering,
) -> Result<Option<Waiting>, Option<Offering>> {
    let sub = submission(
        Route::Nats,
        &o.kind,
        o.message.subject.as_str(),
        &o.message.payload,
    );
    match link.offer(sub) {
        Offer::Taken(rx) => Ok(Some(Box::pin(wait_for_fate(
            settings.clone(),
            client.clone(),
            o.message,
            o.kind,
            rx,
        )))),
        Offer::Refused(reason) => {
            settle(settings, client, &o.message, &o.kind, Fate::Refused(reason)).await;
            Ok(None)
        }
        Offer::Later(wait) => {
            // Still being worked on: JetStream must not send it again meanwhile.
            if o.touched.elapsed() >= settings.ack_wait / 3 {
                let _ = o.message.ack_with(AckKind::Progress).await;
                o.touched = Instant::now();
            }
            o.next_try = tokio::time::Instant::now() + wait;
            Err(Some(o))
        }
        Offer::Gone => Err(None),
    }
}

/// Waits for a taken message's fate (telling JetStream it is in progress meanwhile), then
/// settles it.
async fn wait_for_fate(
    settings: Settings,
    client: async_nats::Client,
    message: jetstream::Message,
    kind: String,
    mut rx: tokio::sync::oneshot::Receiver<
        Result<tracegrid_ingest::feed::Answer, tracegrid_city::FeedError>,
    >,
) {
    let mut progress = tokio::time::interval(settings.ack_wait / 3);
    progress.tick().await;
    let reply = loop {
        tokio::select! {
            r = &mut rx => break r,
            _ = progress.tick() => {
                let _ = message.ack_with(AckKind::Progress).await;
            }
        }
    };
    settle(&settings, &client, &message, &kind, Fate::of(reply)).await;
}

/// Publishes a message's rejects and acknowledges it, or tells JetStream to send it again
/// after a delay that grows with its deliveries.
async fn settle(
    settings: &Settings,
    client: &async_nats::Client,
    message: &jetstream::Message,
    kind: &str,
    fate: Fate,
) {
    if matches!(fate, Fate::Again) {
        let delivered = message.info().map_or(1, |i| i.delivered.clamp(1, 5) as u32);
        let delay = Duration::from_secs((1u64 << delivered).min(30));
        let _ = message.ack_with(AckKind::Nak(Some(delay))).await;
        return;
    }
    let subject = format!("{}{kind}", settings.rejects);
    for payload in rejects_of(&fate, &message.payload) {
        if let Err(e) = client.publish(subject.clone(), payload.into()).await {
            tracing::warn!(error = e.to_string(), "publishing a feed's reject");
        }
    }
    if let Err(e) = message.ack().await {
        // Not lost: JetStream sends it again, and its rows are kept once.
        tracing::warn!(error = e.to_string(), "acknowledging a feed message");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_and_derived() {
        let c = Config::default();
        let s = Settings::read("nats://127.0.0.1:4222", &c).unwrap();
        assert_eq!(s.stream_config().subjects, vec!["tracegrid.feeds.>"]);
        assert_eq!(s.rejects, "tracegrid.rejects.");
        assert_eq!(s.stream, "TRACEGRID_FEEDS");
        assert_eq!(
            s.consumer_config().durable_name.as_deref(),
            Some("tracegrid")
        );
        assert_eq!(s.consumer_config().max_ack_pending, 256);
        for (key, bad) in [
            ("stream", "A.B"),
            ("consumer", "a b"),
            ("prefix", "a.*"),
            ("prefix", ""),
        ] {
            let mut c = Config::default();
            match key {
                "stream" => c.nats_stream = bad.into(),
                "consumer" => c.nats_consumer = bad.into(),
                _ => c.nats_subject_prefix = bad.into(),
            }
            assert!(Settings::read("nats://h:4222", &c).is_err(), "{key} {bad}");
        }
    }
}
