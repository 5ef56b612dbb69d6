//! The MQTT route (CONTRACT.md section 6.1): a QoS 1 subscription to `tracegrid/feeds/+` in a
//! persistent session, each message's PUBACK sent only once its rows are kept, in the order
//! the messages came.
//!
//! Two futures share the connection. The pump polls rumqttc's event loop without pause, so
//! that keep-alives go on while messages wait for the store, and hands each message on tagged
//! with the connection it came on. The keeper offers the messages to the feed queue in that
//! order, publishes each rejected row to `tracegrid/rejects/{kind}`, and acknowledges them in
//! order. An acknowledgement is sent only on the connection its message came on: after a
//! reconnection the broker sends every unacknowledged message again (the session is kept), and
//! a PUBACK for an old packet id could otherwise acknowledge another message that reuses it.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, Publish, QoS};
use tokio::sync::mpsc;
use tracegrid_city::Route;

use super::{Backoff, Fate, Link, Offer, rejects_of, submission};
use crate::config::Config;

/// How the server connects and what it subscribes to.
#[derive(Clone, Debug)]
pub(super) struct Settings {
    host: String,
    port: u16,
    credentials: Option<(String, String)>,
    client_id: String,
    /// `{prefix}/feeds/`: a message's topic is this and its kind.
    feeds: String,
    /// `{prefix}/rejects/`.
    rejects: String,
    max_packet: usize,
    /// The largest message taken (`max_feed_mb`); a larger one is refused whole.
    max_feed: usize,
    window: usize,
}

impl Settings {
    /// Reads `mqtt://[user:password@]host[:port]` and the names of the configuration, or says
    /// what is wrong with them.
    pub(super) fn read(url: &str, config: &Config) -> Result<Settings, String> {
        let rest = url
            .strip_prefix("mqtt://")
            .or_else(|| url.strip_prefix("tcp://"))
            .ok_or_else(|| {
                format!(
                    "the MQTT URL must be mqtt://[user:password@]host[:port], not {}",
                    super::without_credentials(url)
                )
            })?;
        let rest = rest.trim_end_matches('/');
        let (userinfo, hostport) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let credentials = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            (decode(user), decode(pass))
        });
        let (host, port) = split_host_port(hostport)
            .ok_or_else(|| format!("the MQTT URL names no host and port: {hostport}"))?;
        let client_id = config.mqtt_client_id.trim().to_owned();
        if client_id.is_empty() || client_id.len() > 65535 {
            return Err("mqtt_client_id must be set: the broker keeps the session by it".into());
        }
        let prefix = config.mqtt_topic_prefix.trim_end_matches('/');
        if prefix.is_empty() || prefix.contains(['+', '#', '\0']) {
            return Err(format!(
                "mqtt_topic_prefix {prefix:?} cannot be a topic's first levels"
            ));
        }
        // What the server sends (rejects, clipped): a message of the largest feed, with room
        // for its topic and header.
        let max_feed = config.max_feed_mb.max(1) << 20;
        let max_packet = max_feed + (64 << 10);
        Ok(Settings {
            host,
            port,
            credentials,
            client_id,
            feeds: format!("{prefix}/feeds/"),
            rejects: format!("{prefix}/rejects/"),
            max_packet,
            max_feed,
            window: super::window(config),
        })
    }

    fn filter(&self) -> String {
        format!("{}+", self.feeds)
    }

    fn options(&self) -> MqttOptions {
        let mut o = MqttOptions::new(self.client_id.clone(), self.host.clone(), self.port);
        o.set_keep_alive(Duration::from_secs(30))
            // The broker keeps the subscription and the QoS 1 messages not yet acknowledged
            // while the server is down or restarting.
            .set_clean_session(false)
            .set_manual_acks(true)
            // Whatever the broker delivers is read (MQTT's own limit), so that a message over
            // `max_feed_mb` is refused whole rather than cut the connection each time it comes.
            .set_max_packet_size(MQTT_MAX_PACKET, self.max_packet);
        if let Some((user, pass)) = &self.credentials {
            o.set_credentials(user.clone(), pass.clone());
        }
        o
    }
}

fn decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s)
        .decode_utf8_lossy()
        .into_owned()
}

/// `host:port`, `host` (port 1883) or `[v6]:port`.
fn split_host_port(s: &str) -> Option<(String, u16)> {
    let (host, port) = if let Some(v6) = s.strip_prefix('[') {
        let (h, rest) = v6.split_once(']')?;
        (h, rest.strip_prefix(':'))
    } else {
        match s.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (s, None),
        }
    };
    let port = match port {
        Some(p) => p.parse().ok()?,
        None => 1883,
    };
    (!host.is_empty()).then(|| (host.to_owned(), port))
}

/// The largest packet MQTT can carry (its remaining-length field's limit).
const MQTT_MAX_PACKET: usize = 268_435_455;

/// A message as the pump hands it on: the connection it came on, and the message.
type Delivery = (u64, Publish);

/// Takes feeds from the broker until the server stops.
pub(super) async fn run(link: Link, settings: Settings) {
    let (client, eventloop) = AsyncClient::new(settings.options(), settings.window + 64);
    // The connection a message came on. Held while an acknowledgement is queued, and while a
    // lost connection's queued acknowledgements are dropped, so that none crosses over.
    let connection = Mutex::new(0u64);
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::select! {
        () = pump(&link, &settings, eventloop, &client, &connection, tx) => {}
        () = keep(&link, &settings, &client, &connection, rx) => {}
    }
}

/// Polls the event loop for ever: reconnects with back-off, subscribes on every connection,
/// says how the route is, and hands messages to the keeper.
async fn pump(
    link: &Link,
    settings: &Settings,
    mut eventloop: EventLoop,
    client: &AsyncClient,
    connection: &Mutex<u64>,
    tx: mpsc::UnboundedSender<Delivery>,
) {
    let filter = settings.filter();
    let mut backoff = Backoff::default();
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                // The session may hold the subscription already; a new one (the broker lost
                // the session) needs it, and asking twice does no harm.
                subscribe(client, &filter, Duration::ZERO);
                link.down("connected; subscribing".into());
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                if ack
                    .return_codes
                    .iter()
                    .all(|c| matches!(c, rumqttc::SubscribeReasonCode::Success(_)))
                {
                    backoff.reset();
                    link.up(Some(format!("subscribed to {filter}")));
                } else {
                    link.down(format!(
                        "the broker refused the subscription to {filter}: check its ACL; trying again"
                    ));
                    subscribe(client, &filter, Duration::from_secs(10));
                }
            }
            Ok(Event::Incoming(Packet::Publish(p))) => {
                let on = *lock(connection);
                let _ = tx.send((on, p));
            }
            Ok(_) => {}
            Err(e) => {
                {
                    // Acknowledgements queued for the lost connection are dropped with it.
                    let mut on = lock(connection);
                    *on += 1;
                    eventloop.clean();
                }
                let wait = backoff.next();
                link.down(format!(
                    "cannot reach the MQTT broker ({}); trying again in {} s",
                    describe(&e),
                    wait.as_secs()
                ));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

fn describe(e: &rumqttc::ConnectionError) -> String {
    match e {
        rumqttc::ConnectionError::ConnectionRefused(code) => {
            format!("the broker refused the connection: {code:?}")
        }
        other => other.to_string(),
    }
}

fn lock(m: &Mutex<u64>) -> std::sync::MutexGuard<'_, u64> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Subscribes with QoS 1 after `after`, off the pump's path (the request waits for the pump).
fn subscribe(client: &AsyncClient, filter: &str, after: Duration) {
    let client = client.clone();
    let filter = filter.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let _ = client.subscribe(filter, QoS::AtLeastOnce).await;
    });
}

/// A message the keeper holds until it is acknowledged.
struct Held {
    connection: u64,
    publish: Publish,
    kind: String,
    state: Step,
}

enum Step {
    Waiting(
        tokio::sync::oneshot::Receiver<
            Result<tracegrid_ingest::feed::Answer, tracegrid_city::FeedError>,
        >,
    ),
    Done(Fate),
}

/// Offers the messages to the feed queue in the order they came, and acknowledges each, in
/// that order, once its fate is known.
async fn keep(
    link: &Link,
    settings: &Settings,
    client: &AsyncClient,
    connection: &Mutex<u64>,
    mut rx: mpsc::UnboundedReceiver<Delivery>,
) {
    let mut line: VecDeque<Held> = VecDeque::new();
    let mut backoff = Backoff::default();
    loop {
        // Acknowledge, in order, every message at the head whose fate is known.
        while let Some(Held {
            state: Step::Done(_),
            ..
        }) = line.front()
        {
            let Some(held) = line.pop_front() else { break };
            let Step::Done(fate) = &held.state else {
                unreachable!("the head is done")
            };
            finish(settings, client, connection, &held, fate).await;
        }
        let head_waits = matches!(
            line.front(),
            Some(Held {
                state: Step::Waiting(_),
                ..
            })
        );
        tokio::select! {
            reply = async {
                match line.front_mut() {
                    Some(Held { state: Step::Waiting(rx), .. }) => rx.await,
                    _ => std::future::pending().await,
                }
            }, if head_waits => {
                let fate = Fate::of(reply);
                let Some(head) = line.front_mut() else { continue };
                if matches!(fate, Fate::Again) {
                    // The store failed or the server is stopping: the same message again.
                    tokio::time::sleep(backoff.next()).await;
                    let sub = submission(Route::Mqtt, &head.kind, &head.publish.topic, &head.publish.payload);
                    match offer_in_turn(link, sub).await {
                        Some(step) => head.state = step,
                        None => return,
                    }
                } else {
                    backoff.reset();
                    head.state = Step::Done(fate);
                }
            }
            delivery = rx.recv(), if line.len() < settings.window => {
                let Some((connection, publish)) = delivery else { return };
                let kind = publish
                    .topic
                    .strip_prefix(&settings.feeds)
                    .unwrap_or(&publish.topic)
                    .to_owned();
                let state = if publish.payload.len() > settings.max_feed {
                    Step::Done(Fate::Refused(format!(
                        "the message is {} MB, over the server's max_feed_mb ({} MB): send it in parts",
                        publish.payload.len() >> 20,
                        settings.max_feed >> 20
                    )))
                } else {
                    let sub = submission(Route::Mqtt, &kind, &publish.topic, &publish.payload);
                    let Some(state) = offer_in_turn(link, sub).await else { return };
                    state
                };
                line.push_back(Held { connection, publish, kind, state });
            }
        }
    }
}

/// Offers a message until the queue takes it (waiting as long as it says when it is full), or
/// refuses it whole. `None`: the server is gone.
async fn offer_in_turn(link: &Link, sub: tracegrid_city::Submission) -> Option<Step> {
    loop {
        match link.offer(sub.clone()) {
            Offer::Taken(rx) => return Some(Step::Waiting(rx)),
            Offer::Refused(reason) => return Some(Step::Done(Fate::Refused(reason))),
            Offer::Later(wait) => tokio::time::sleep(wait).await,
            Offer::Gone => return None,
        }
    }
}

/// Publishes a settled message's rejects, then acknowledges it on the connection it came on.
async fn finish(
    settings: &Settings,
    client: &AsyncClient,
    connection: &Mutex<u64>,
    held: &Held,
    fate: &Fate,
) {
    let topic = format!("{}{}", settings.rejects, held.kind);
    for payload in rejects_of(fate, &held.publish.payload) {
        // Queued before the acknowledgement, so the broker has it first.
        if client
            .publish(topic.clone(), QoS::AtLeastOnce, false, payload)
            .await
            .is_err()
        {
            return;
        }
    }
    loop {
        {
            let on = lock(connection);
            if *on != held.connection {
                // It came on a lost connection: the broker sends it again.
                return;
            }
            match client.try_ack(&held.publish) {
                Ok(()) => return,
                Err(rumqttc::ClientError::TryRequest(rumqttc::Request::PubAck(_))) => {}
                Err(_) => return,
            }
        }
        // The request queue is full: the pump empties it.
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_gives_host_port_and_credentials() {
        let c = Config::default();
        let s = Settings::read("mqtt://feed:p%40ss@broker.local:1884", &c).unwrap();
        assert_eq!((s.host.as_str(), s.port), ("broker.local", 1884));
        assert_eq!(s.credentials, Some(("feed".to_owned(), "p@ss".to_owned())));
        assert_eq!(s.filter(), "tracegrid/feeds/+");
        assert_eq!(s.rejects, "tracegrid/rejects/");
        assert_eq!(s.client_id, "tracegrid");
        assert!(s.max_packet > 32 << 20);
        let s = Settings::read("mqtt://127.0.0.1", &c).unwrap();
        assert_eq!((s.port, s.credentials), (1883, None));
        let s = Settings::read("tcp://[::1]:1883/", &c).unwrap();
        assert_eq!(s.host, "::1");
        for bad in ["mqtts://b:8883", "b:1883", "mqtt://b:port", "mqtt://"] {
            assert!(Settings::read(bad, &c).is_err(), "{bad}");
        }
        let bad = Config {
            mqtt_topic_prefix: "a/#".into(),
            ..Config::default()
        };
        assert!(Settings::read("mqtt://b", &bad).is_err());
    }
}
