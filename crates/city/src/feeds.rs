//! Live feeds (CONTRACT.md section 6.1): messages of rows from HTTP, MQTT and NATS JetStream,
//! kept and screened at once.
//!
//! Every route hands its messages to one queue ([`crate::LiveCity::submit`]); one writer
//! thread takes what has queued up — a group of messages — and carries each group through the
//! city's one path for changes: check every row against the registries
//! ([`tracegrid_ingest::feed::Intake`]), keep the group in the store in one transaction (rows
//! and rejects together), take the new rows into the world and the screening, answer each
//! message, and tell the task follower which alerts may have changed. A message is answered
//! only once its rows are durable and visible to the screen; a route acknowledges it only then
//! (HTTP answers, MQTT sends its PUBACK, JetStream its ack).
//!
//! The queue is bounded in messages and in bytes. A message that does not fit is refused at
//! once ([`FeedError::Busy`]): HTTP answers 429 with `Retry-After`, and the brokers' consumers
//! wait and offer it again, so memory stays bounded however fast the senders are.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use serde::Serialize;
use tracegrid_ingest::Format;
use tracegrid_ingest::feed::Answer;
use tracegrid_model::Millis;

/// The way a message came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Route {
    Http,
    Mqtt,
    Nats,
}

impl Route {
    pub const ALL: [Route; 3] = [Route::Http, Route::Mqtt, Route::Nats];

    pub fn as_str(self) -> &'static str {
        match self {
            Route::Http => "http",
            Route::Mqtt => "mqtt",
            Route::Nats => "nats",
        }
    }
}

/// One message, as a route received it.
#[derive(Clone, Debug)]
pub struct Submission {
    /// The kind as the sender named it (a stem of section 1).
    pub kind: String,
    pub body: Vec<u8>,
    /// NDJSON or CSV.
    pub format: Format,
    pub route: Route,
    /// Who sent it: the user of an HTTP feed, the topic or subject of a broker's message.
    pub source: String,
}

/// Why a message was not taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    #[error("there is no feed of kind {0}; feeds take {kinds}", kinds = tracegrid_ingest::feed::feed_kinds().join(", "))]
    UnknownKind(String),
    /// Nothing of the message could be read as rows.
    #[error("{0}")]
    Unreadable(String),
    /// The queue is full: offer the message again in `retry_after` seconds.
    #[error("the server is behind with its feeds; send the rows again in {retry_after} s")]
    Busy { retry_after: u64 },
    /// The store could not keep the group the message was in: nothing of it is kept.
    #[error("the store could not keep the rows ({0}); send them again")]
    Store(String),
    /// The server is stopping.
    #[error("the server is stopping; send the rows again once it is back")]
    Stopped,
}

/// Told the fate of a message, on the writer's thread: keep it short.
pub type Reply = Box<dyn FnOnce(Result<Answer, FeedError>) + Send>;

/// How much may wait, and how much one group may take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedLimits {
    /// Messages waiting for the writer.
    pub queue_messages: usize,
    /// Bytes of messages waiting for the writer.
    pub queue_bytes: usize,
    /// Messages kept in one transaction at most.
    pub group_messages: usize,
    /// Bytes kept in one transaction at most (one larger message is a group of its own).
    pub group_bytes: usize,
}

impl Default for FeedLimits {
    fn default() -> FeedLimits {
        FeedLimits {
            queue_messages: 1024,
            queue_bytes: 128 << 20,
            group_messages: 256,
            group_bytes: 8 << 20,
        }
    }
}

/// A message on its way to the writer.
pub(crate) struct Job {
    pub sub: Submission,
    pub kind: tracegrid_ingest::FileKind,
    pub reply: Reply,
    pub queued: Instant,
    pub received_ms: Millis,
}

/// The writer's queue: bounded in messages (the channel) and in bytes (counted here).
pub(crate) struct Queue {
    tx: Mutex<Option<std::sync::mpsc::SyncSender<Job>>>,
    bytes: AtomicUsize,
    messages: AtomicUsize,
    pub limits: FeedLimits,
}

impl std::fmt::Debug for Queue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Queue")
            .field("messages", &self.messages.load(Ordering::Relaxed))
            .field("bytes", &self.bytes.load(Ordering::Relaxed))
            .finish()
    }
}

impl Queue {
    pub fn new(limits: FeedLimits) -> (Queue, std::sync::mpsc::Receiver<Job>) {
        let (tx, rx) = std::sync::mpsc::sync_channel(limits.queue_messages.max(1));
        (
            Queue {
                tx: Mutex::new(Some(tx)),
                bytes: AtomicUsize::new(0),
                messages: AtomicUsize::new(0),
                limits,
            },
            rx,
        )
    }

    /// Queues a job, or says why it does not fit (the job is dropped, its reply not called).
    pub fn push(&self, job: Job) -> Result<(), FeedError> {
        let size = job.sub.body.len();
        let held = self.bytes.fetch_add(size, Ordering::AcqRel);
        // One message alone always fits: its size was limited where it came in.
        if held > 0 && held + size > self.limits.queue_bytes {
            self.bytes.fetch_sub(size, Ordering::AcqRel);
            return Err(FeedError::Busy { retry_after: 1 });
        }
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let Some(tx) = tx.as_ref() else {
            self.bytes.fetch_sub(size, Ordering::AcqRel);
            return Err(FeedError::Stopped);
        };
        match tx.try_send(job) {
            Ok(()) => {
                self.messages.fetch_add(1, Ordering::AcqRel);
                Ok(())
            }
            Err(std::sync::mpsc::TrySendError::Full(_)) => {
                self.bytes.fetch_sub(size, Ordering::AcqRel);
                Err(FeedError::Busy { retry_after: 1 })
            }
            Err(std::sync::mpsc::TrySendError::Disconnected(_)) => {
                self.bytes.fetch_sub(size, Ordering::AcqRel);
                Err(FeedError::Stopped)
            }
        }
    }

    /// The writer took a job off the queue.
    pub fn taken(&self, job: &Job) {
        self.bytes.fetch_sub(job.sub.body.len(), Ordering::AcqRel);
        self.messages.fetch_sub(1, Ordering::AcqRel);
    }

    /// Takes no more jobs; the writer ends once it has done those queued.
    pub fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
    }

    pub fn waiting(&self) -> (usize, usize) {
        (
            self.messages.load(Ordering::Acquire),
            self.bytes.load(Ordering::Acquire),
        )
    }
}

/// A feed: one kind from one source by one route.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct FeedKey {
    route: Route,
    source: String,
    kind: String,
}

#[derive(Clone, Debug, Default)]
struct FeedCounts {
    messages: u64,
    unreadable: u64,
    accepted: u64,
    rejected: u64,
    duplicates: u64,
    last_received: Millis,
    /// Rows received in each of the last minutes' seconds: (second, rows).
    recent: VecDeque<(i64, u64)>,
}

impl FeedCounts {
    fn add_recent(&mut self, now: Millis, rows: u64) {
        let second = now.div_euclid(1000);
        match self.recent.back_mut() {
            Some((s, n)) if *s == second => *n += rows,
            _ => self.recent.push_back((second, rows)),
        }
        self.forget(now);
    }

    fn forget(&mut self, now: Millis) {
        let second = now.div_euclid(1000);
        while self.recent.front().is_some_and(|(s, _)| *s <= second - 60) {
            self.recent.pop_front();
        }
    }

    fn last_minute(&self, now: Millis) -> u64 {
        let second = now.div_euclid(1000);
        self.recent
            .iter()
            .filter(|(s, _)| *s > second - 60)
            .map(|(_, n)| n)
            .sum()
    }
}

/// Whether a broker's consumer is connected, as it last said.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RouteState {
    pub route: Route,
    /// Whether the server was asked to consume this route (`--mqtt`, `--nats`; HTTP always).
    pub configured: bool,
    pub connected: bool,
    /// The broker's address, without credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Why it is down, or what it last said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Since when it has been in this state (epoch milliseconds).
    pub since_ms: Millis,
    /// Messages the broker holds for this server that it has not taken yet (JetStream's
    /// pending count; unknown for MQTT, whose broker does not say).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending: Option<u64>,
}

/// What the command centre shows of the feeds.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedStatus {
    pub routes: Vec<RouteState>,
    pub feeds: Vec<FeedLine>,
    /// Messages and bytes waiting for the writer.
    pub queued_messages: usize,
    pub queued_bytes: usize,
    /// How long the oldest message now being kept has waited, in milliseconds (0: none).
    pub oldest_wait_ms: u64,
    /// How long the last rows took to be seen: in the screen, and as grid tasks.
    pub latency: Latencies,
    /// Where the writer's and the task follower's time went since the server started.
    pub work: Work,
    /// The moment the city is screened at.
    pub as_of: String,
    /// Whether that moment moves with the clock (no `--as-of`).
    pub rolling: bool,
}

/// Row → screen and row → task, over the last [`LATENCY_SAMPLES`] messages.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Latencies {
    /// From a message's arrival to its rows' answer (they are in `GET /api/v1/screen` then).
    pub screen: Quantiles,
    /// From a message's arrival to the grid tasks its rows make or change.
    pub task: Quantiles,
}

/// The feeds' work since the server started, by step, in milliseconds: reading and checking
/// the rows against the registries, keeping them (one transaction a group), taking them into
/// the index and the screening, and (off the writer's path) turning what they changed into
/// grid tasks.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Work {
    /// Groups of messages kept, each in one transaction.
    pub groups: u64,
    pub messages: u64,
    pub check_ms: f64,
    pub store_ms: f64,
    pub apply_ms: f64,
    /// Rounds of the task follower, and their time.
    pub task_rounds: u64,
    pub task_ms: f64,
}

impl Work {
    pub(crate) fn add_group(
        &mut self,
        messages: usize,
        check: std::time::Duration,
        store: std::time::Duration,
        apply: std::time::Duration,
    ) {
        self.groups += 1;
        self.messages += messages as u64;
        self.check_ms += check.as_secs_f64() * 1000.0;
        self.store_ms += store.as_secs_f64() * 1000.0;
        self.apply_ms += apply.as_secs_f64() * 1000.0;
    }

    pub(crate) fn add_tasks(&mut self, took: std::time::Duration) {
        self.task_rounds += 1;
        self.task_ms += took.as_secs_f64() * 1000.0;
    }
}

/// Quantiles of a set of latencies, in milliseconds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Quantiles {
    pub samples: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

/// How many latencies the page's quantiles are taken over (`/metrics` has histograms of all).
pub const LATENCY_SAMPLES: usize = 2000;

/// The last [`LATENCY_SAMPLES`] latencies of one kind.
#[derive(Debug, Default)]
pub(crate) struct Latency {
    ms: VecDeque<f64>,
}

impl Latency {
    pub fn add(&mut self, ms: f64) {
        if self.ms.len() == LATENCY_SAMPLES {
            self.ms.pop_front();
        }
        self.ms.push_back(ms);
    }

    pub fn quantiles(&self) -> Quantiles {
        let mut v: Vec<f64> = self.ms.iter().copied().collect();
        if v.is_empty() {
            return Quantiles::default();
        }
        v.sort_by(f64::total_cmp);
        // The nearest rank: the smallest value with at least q of the samples at or below it.
        let at = |q: f64| v[((q * v.len() as f64).ceil() as usize).clamp(1, v.len()) - 1];
        Quantiles {
            samples: v.len(),
            p50_ms: at(0.50),
            p99_ms: at(0.99),
            max_ms: v[v.len() - 1],
        }
    }
}

/// One feed's counts since the server started.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FeedLine {
    pub route: Route,
    pub source: String,
    pub kind: String,
    pub messages: u64,
    /// Messages refused whole as unreadable.
    pub unreadable: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub duplicates: u64,
    /// Rows received in the last minute.
    pub rows_last_minute: u64,
    /// When its last message arrived (epoch milliseconds).
    pub last_received_ms: Millis,
}

/// The feeds' counts and the routes' states.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    feeds: BTreeMap<FeedKey, FeedCounts>,
    routes: BTreeMap<Route, RouteState>,
    /// When the group being kept now began to wait (its oldest message's queueing).
    pub busy_since: Option<Instant>,
    /// Row → screen and row → task.
    pub to_screen: Latency,
    pub to_task: Latency,
    pub work: Work,
    /// The city's moment as last read, and whether it rolls.
    pub moment: (String, bool),
}

impl Stats {
    pub fn record(&mut self, sub: &Submission, now: Millis, outcome: &Result<Answer, FeedError>) {
        let key = FeedKey {
            route: sub.route,
            source: sub.source.clone(),
            kind: sub.kind.clone(),
        };
        let c = self.feeds.entry(key).or_default();
        c.messages += 1;
        c.last_received = now;
        let route = sub.route.as_str();
        let kind = sub.kind.clone();
        match outcome {
            Ok(a) => {
                c.accepted += a.accepted;
                c.rejected += a.rejected;
                c.duplicates += a.duplicates;
                c.add_recent(now, a.accepted + a.rejected + a.duplicates);
                for (outcome, n) in [
                    ("accepted", a.accepted),
                    ("rejected", a.rejected),
                    ("duplicate", a.duplicates),
                ] {
                    metrics::counter!("tracegrid_feed_rows_total", "route" => route, "kind" => kind.clone(), "outcome" => outcome)
                        .increment(n);
                }
            }
            Err(FeedError::Unreadable(_)) => {
                c.unreadable += 1;
                c.add_recent(now, 0);
                metrics::counter!("tracegrid_feed_unreadable_total", "route" => route).increment(1);
            }
            Err(_) => {}
        }
    }

    pub fn set_route(&mut self, state: RouteState) {
        self.routes.insert(state.route, state);
    }

    pub fn status(&mut self, now: Millis, queue: &Queue) -> FeedStatus {
        let mut routes: Vec<RouteState> = Vec::new();
        for r in Route::ALL {
            routes.push(self.routes.get(&r).cloned().unwrap_or(RouteState {
                route: r,
                configured: r == Route::Http,
                connected: r == Route::Http,
                url: None,
                detail: None,
                since_ms: 0,
                pending: None,
            }));
        }
        let feeds = self
            .feeds
            .iter_mut()
            .map(|(k, c)| {
                c.forget(now);
                FeedLine {
                    route: k.route,
                    source: k.source.clone(),
                    kind: k.kind.clone(),
                    messages: c.messages,
                    unreadable: c.unreadable,
                    accepted: c.accepted,
                    rejected: c.rejected,
                    duplicates: c.duplicates,
                    rows_last_minute: c.last_minute(now),
                    last_received_ms: c.last_received,
                }
            })
            .collect();
        let (queued_messages, queued_bytes) = queue.waiting();
        FeedStatus {
            routes,
            feeds,
            queued_messages,
            queued_bytes,
            oldest_wait_ms: self
                .busy_since
                .map_or(0, |t| t.elapsed().as_millis() as u64),
            latency: Latencies {
                screen: self.to_screen.quantiles(),
                task: self.to_task.quantiles(),
            },
            work: self.work.clone(),
            as_of: String::new(),
            rolling: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latency_quantiles_are_nearest_ranks_of_the_last_samples() {
        let mut l = Latency::default();
        assert_eq!(l.quantiles(), Quantiles::default());
        for ms in (1..=100).rev() {
            l.add(f64::from(ms));
        }
        let q = l.quantiles();
        assert_eq!(
            (q.samples, q.p50_ms, q.p99_ms, q.max_ms),
            (100, 50.0, 99.0, 100.0)
        );
        for _ in 0..LATENCY_SAMPLES {
            l.add(7.0);
        }
        let q = l.quantiles();
        assert_eq!((q.samples, q.p99_ms, q.max_ms), (LATENCY_SAMPLES, 7.0, 7.0));
    }

    #[test]
    fn rows_a_minute_forget_what_is_older() {
        let mut c = FeedCounts::default();
        c.add_recent(1_000, 5);
        c.add_recent(1_500, 5);
        c.add_recent(30_000, 1);
        assert_eq!(c.last_minute(30_000), 11);
        assert_eq!(c.last_minute(61_000), 1, "the first second is a minute old");
        c.add_recent(200_000, 2);
        assert_eq!(c.recent.len(), 1);
        assert_eq!(c.last_minute(200_000), 2);
    }

    #[test]
    fn a_full_queue_says_busy_and_gives_the_message_back() {
        let limits = FeedLimits {
            queue_messages: 2,
            queue_bytes: 10,
            group_messages: 1,
            group_bytes: 10,
        };
        let (q, rx) = Queue::new(limits);
        let job = |n: usize| Job {
            sub: Submission {
                kind: "sightings".into(),
                body: vec![b'x'; n],
                format: Format::Ndjson,
                route: Route::Http,
                source: "t".into(),
            },
            kind: tracegrid_ingest::FileKind::Sightings,
            reply: Box::new(|_| {}),
            queued: Instant::now(),
            received_ms: 0,
        };
        // One message larger than the byte limit still fits alone.
        assert!(q.push(job(20)).is_ok());
        assert_eq!(q.push(job(1)), Err(FeedError::Busy { retry_after: 1 }));
        assert_eq!(q.waiting(), (1, 20), "the refused one is not counted");
        let taken = rx.recv().unwrap();
        q.taken(&taken);
        assert_eq!(q.waiting(), (0, 0));
        assert!(q.push(job(4)).is_ok());
        assert!(q.push(job(4)).is_ok());
        assert!(
            matches!(q.push(job(1)), Err(FeedError::Busy { .. })),
            "two messages at most"
        );
        q.close();
        let _ = rx.recv();
        let _ = rx.recv();
        assert_eq!(q.push(job(1)), Err(FeedError::Stopped));
    }
}
