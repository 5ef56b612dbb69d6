//! The brokers' routes (CONTRACT.md section 6.1) against the real Mosquitto (127.0.0.1:1883)
//! and NATS JetStream (127.0.0.1:4222) that `.ci/run` starts: rows published to a topic or a
//! subject screen as the same rows imported from files, rejects are published back, a message
//! that is not NDJSON is refused whole and not sent again, a message sent twice is kept once,
//! and a broker that is down or lost is reported and found again.
//!
//! Each test names its own topics, client id, stream and consumer (the configuration's
//! prefixes), so that tests running at once, and earlier runs, do not share a session or a
//! consumer; one test per route uses the contract's own names.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::feeds::{ndjson, rows_around_a_case, screen_of_files};
use crate::helpers::*;

const MQTT: &str = "mqtt://127.0.0.1:1883";
const NATS: &str = "nats://127.0.0.1:4222";

/// A name no other test, and no earlier run, uses.
fn unique(tag: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "t{tag}{}x{}x{nanos}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// A CSV body as NDJSON lines (the brokers carry NDJSON only).
fn as_ndjson(ty: &str, body: &str) -> String {
    if ty != "text/csv" {
        return body.to_owned();
    }
    let mut r = csv::Reader::from_reader(body.as_bytes());
    let header = r.headers().unwrap().clone();
    let rows: Vec<Value> = r
        .records()
        .map(|rec| {
            let rec = rec.unwrap();
            let o: serde_json::Map<String, Value> = header
                .iter()
                .zip(rec.iter())
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_owned(), json!(v)))
                .collect();
            Value::Object(o)
        })
        .collect();
    ndjson(&rows)
}

/// Waits up to a minute for `ready`, polling; says what it waited for if it never came.
async fn wait_for(what: &str, mut ready: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if ready() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("waited a minute for {what}");
}

impl TestApp {
    fn route_connected(&self, route: &str) -> bool {
        let status = self.app.state().city.feed_status();
        status
            .routes
            .iter()
            .any(|r| r.route.as_str() == route && r.connected)
    }

    /// Rows kept, rejected and found again from sources whose name starts with `prefix`, and
    /// the messages refused whole.
    fn counts_from(&self, prefix: &str) -> (u64, u64, u64, u64) {
        let status = self.app.state().city.feed_status();
        status
            .feeds
            .iter()
            .filter(|f| f.source.starts_with(prefix))
            .fold((0, 0, 0, 0), |(a, r, d, u), f| {
                (
                    a + f.accepted,
                    r + f.rejected,
                    d + f.duplicates,
                    u + f.unreadable,
                )
            })
    }
}

/// Rows as [`rows_around_a_case`] gives them: `(kind, content type, body)`.
type Rows = Vec<(&'static str, &'static str, String)>;

/// The rows of [`rows_around_a_case`] as NDJSON messages `(kind, body)`, how many rows they
/// hold, and the rows as they were.
fn messages(app: &TestApp) -> (Vec<(String, String)>, u64, Rows) {
    let rows = rows_around_a_case(app);
    let messages: Vec<(String, String)> = rows
        .iter()
        .map(|(kind, ty, body)| ((*kind).to_owned(), as_ndjson(ty, body)))
        .collect();
    let n = messages.iter().map(|(_, b)| b.lines().count() as u64).sum();
    (messages, n, rows)
}

/// A gate row with an unknown place, and a message that is not NDJSON at all.
fn bad_messages(app: &TestApp) -> [(&'static str, String); 3] {
    let person = {
        let live = app.app.state().live();
        let mut persons: Vec<&String> = live.persons.keys().collect();
        persons.sort();
        persons[0].clone()
    };
    [
        (
            "gate_access",
            ndjson(&[
                json!({"subject_type": "person_id", "subject": person, "place_id": app.gate,
                       "time": "2020-01-20 08:00", "direction": "in", "record_id": "B-1"}),
                json!({"subject_type": "person_id", "subject": person, "place_id": "NO-SUCH-GATE",
                       "time": "2020-01-20 08:00", "direction": "in", "record_id": "B-2"}),
            ]),
        ),
        ("gate_access", "this is not\nNDJSON at all\n".into()),
        ("nothing", "{\"a\": 1}\n".into()),
    ]
}

/// An MQTT client of the test's own, and the rejects it hears on `filter`.
async fn mqtt_sender(
    id: &str,
    filter: &str,
) -> (AsyncClient, mpsc::UnboundedReceiver<(String, Value)>) {
    let mut o = MqttOptions::new(id, "127.0.0.1", 1883);
    o.set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(1 << 20, 1 << 20);
    let (client, mut eventloop) = AsyncClient::new(o, 256);
    let (tx, rx) = mpsc::unbounded_channel();
    let (subscribed_tx, subscribed) = tokio::sync::oneshot::channel();
    let mut subscribed_tx = Some(subscribed_tx);
    client.subscribe(filter, QoS::AtLeastOnce).await.unwrap();
    tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::SubAck(_))) => {
                    if let Some(t) = subscribed_tx.take() {
                        let _ = t.send(());
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let v: Value = serde_json::from_slice(&p.payload).unwrap();
                    let _ = tx.send((p.topic.clone(), v));
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    });
    subscribed.await.unwrap();
    (client, rx)
}

/// Ends the broker's kept session of the client `id` (a test's server), so that sessions of
/// past runs do not pile up in Mosquitto.
async fn forget_session(id: &str) {
    let mut o = MqttOptions::new(id, "127.0.0.1", 1883);
    o.set_clean_session(true);
    let (client, mut events) = AsyncClient::new(o, 4);
    if let Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) =
        tokio::time::timeout(Duration::from_secs(5), events.poll()).await
    {
        let _ = client.disconnect().await;
        let _ = tokio::time::timeout(Duration::from_secs(1), events.poll()).await;
    }
}

/// Takes the rejects heard so far, waiting until there are `n`.
async fn rejects(
    rx: &mut mpsc::UnboundedReceiver<(String, Value)>,
    n: usize,
) -> Vec<(String, Value)> {
    let mut got = Vec::new();
    while got.len() < n {
        match tokio::time::timeout(Duration::from_secs(60), rx.recv()).await {
            Ok(Some(m)) => got.push(m),
            _ => panic!("heard {} rejects of {n}: {got:?}", got.len()),
        }
    }
    got
}

/// What the rejects say, by topic's last level.
fn reasons(rejects: &[(String, Value)]) -> BTreeMap<String, Vec<String>> {
    let mut by: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (topic, v) in rejects {
        let kind = topic.rsplit(['/', '.']).next().unwrap().to_owned();
        assert!(v["record"].is_string(), "{v}");
        by.entry(kind)
            .or_default()
            .push(v["reason"].as_str().unwrap().to_owned());
    }
    by
}

fn assert_rejects(by: &BTreeMap<String, Vec<String>>) {
    let gate = &by["gate_access"];
    assert_eq!(gate.len(), 2, "{by:?}");
    assert!(gate.iter().any(|r| r.contains("place_id")), "{by:?}");
    assert!(gate.iter().any(|r| r.contains("NDJSON")), "{by:?}");
    assert_eq!(by["nothing"].len(), 1, "{by:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mqtt_rows_screen_as_files_with_rejects_published_and_kept_once() {
    let prefix = unique("m");
    let app = spawn_with(|c| {
        c.mqtt = Some(MQTT.into());
        c.mqtt_topic_prefix = prefix.clone();
        c.mqtt_client_id = prefix.clone();
    });
    let analyst = app.token("analyst");
    let _consumers = app.app.start_consumers();
    wait_for("the MQTT route", || app.route_connected("mqtt")).await;
    let (sender, mut heard) =
        mqtt_sender(&format!("{prefix}-sender"), &format!("{prefix}/rejects/#")).await;
    let (messages, n, rows) = messages(&app);
    let feeds = format!("{prefix}/feeds/");
    for (kind, body) in &messages {
        sender
            .publish(
                format!("{feeds}{kind}"),
                QoS::AtLeastOnce,
                false,
                body.clone(),
            )
            .await
            .unwrap();
    }
    for (kind, body) in bad_messages(&app) {
        sender
            .publish(format!("{feeds}{kind}"), QoS::AtLeastOnce, false, body)
            .await
            .unwrap();
    }
    wait_for("the rows kept", || app.counts_from(&feeds).0 == n + 1).await;
    assert_rejects(&reasons(&rejects(&mut heard, 3).await));
    let (_, rejected, duplicates, unreadable) = app.counts_from(&feeds);
    // The unknown kind is refused before it is a feed of any kind: it is not counted.
    assert_eq!((rejected, duplicates, unreadable), (1, 0, 1));

    // Each row acknowledged is in the screen, which is the files' screen (with the one good
    // gate row, which alerts nobody).
    let screen = app.screen(&analyst, "").await.body;
    let mut with_gate = rows.clone();
    with_gate.push((
        "gate_access",
        "application/x-ndjson",
        bad_messages(&app)[0].1.lines().next().unwrap().to_owned() + "\n",
    ));
    assert_eq!(screen, screen_of_files(&app, &with_gate));

    // Sent again: kept once, and nothing new to say.
    for (kind, body) in &messages {
        sender
            .publish(
                format!("{feeds}{kind}"),
                QoS::AtLeastOnce,
                false,
                body.clone(),
            )
            .await
            .unwrap();
    }
    wait_for("the rows found again", || app.counts_from(&feeds).2 == n).await;
    assert_eq!(app.counts_from(&feeds).0, n + 1);
    assert_eq!(app.screen(&analyst, "").await.body, screen);
    drop(_consumers);
    forget_session(&prefix).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nats_rows_screen_as_files_with_rejects_published_and_kept_once() {
    let prefix = unique("n");
    let stream = prefix.to_uppercase();
    let app = spawn_with(|c| {
        c.nats = Some(NATS.into());
        c.nats_subject_prefix = prefix.clone();
        c.nats_stream = stream.clone();
        c.nats_consumer = prefix.clone();
        c.nats_stream_max_mb = 64;
    });
    let analyst = app.token("analyst");
    let _consumers = app.app.start_consumers();
    wait_for("the NATS route", || app.route_connected("nats")).await;
    let client = async_nats::connect(NATS).await.unwrap();
    let js = async_nats::jetstream::new(client.clone());
    let mut heard_sub = client
        .subscribe(format!("{prefix}.rejects.>"))
        .await
        .unwrap();
    let (tx, mut heard) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(m) = heard_sub.next().await {
            let v: Value = serde_json::from_slice(&m.payload).unwrap();
            let _ = tx.send((m.subject.to_string(), v));
        }
    });
    client.flush().await.unwrap();

    // The stream the server made is the contract's: a work queue on the feeds' subjects.
    let info = js
        .get_stream(&stream)
        .await
        .unwrap()
        .info()
        .await
        .unwrap()
        .clone();
    assert_eq!(info.config.subjects, vec![format!("{prefix}.feeds.>")]);
    assert_eq!(
        info.config.retention,
        async_nats::jetstream::stream::RetentionPolicy::WorkQueue
    );

    let (messages, n, rows) = messages(&app);
    let feeds = format!("{prefix}.feeds.");
    let publish = |kind: String, body: String| {
        let js = js.clone();
        async move {
            // Stored by the stream before the sender goes on.
            js.publish(kind, body.into()).await.unwrap().await.unwrap();
        }
    };
    for (kind, body) in &messages {
        publish(format!("{feeds}{kind}"), body.clone()).await;
    }
    for (kind, body) in bad_messages(&app) {
        publish(format!("{feeds}{kind}"), body).await;
    }
    wait_for("the rows kept", || app.counts_from(&feeds).0 == n + 1).await;
    assert_rejects(&reasons(&rejects(&mut heard, 3).await));
    let (_, rejected, duplicates, unreadable) = app.counts_from(&feeds);
    // The unknown kind is refused before it is a feed of any kind: it is not counted.
    assert_eq!((rejected, duplicates, unreadable), (1, 0, 1));
    let screen = app.screen(&analyst, "").await.body;
    let mut with_gate = rows.clone();
    with_gate.push((
        "gate_access",
        "application/x-ndjson",
        bad_messages(&app)[0].1.lines().next().unwrap().to_owned() + "\n",
    ));
    assert_eq!(screen, screen_of_files(&app, &with_gate));

    // Every message was acknowledged, the refused ones too: nothing is left to deliver.
    let mut left = u64::MAX;
    for _ in 0..600 {
        let mut s = js.get_stream(&stream).await.unwrap();
        left = s.info().await.unwrap().state.messages;
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(left, 0, "messages left in the stream");

    for (kind, body) in &messages {
        publish(format!("{feeds}{kind}"), body.clone()).await;
    }
    wait_for("the rows found again", || app.counts_from(&feeds).2 == n).await;
    assert_eq!(app.counts_from(&feeds).0, n + 1);
    assert_eq!(app.screen(&analyst, "").await.body, screen);
    let _ = js.delete_stream(&stream).await;
}

/// The contract's own names: `tracegrid/feeds/{kind}`, `TRACEGRID_FEEDS` on
/// `tracegrid.feeds.>` with the consumer `tracegrid`, rejects on `tracegrid/rejects/{kind}` and
/// `tracegrid.rejects.{kind}`. Only this test uses them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_contracts_names_carry_rows_and_rejects() {
    let app = spawn_with(|c| {
        c.mqtt = Some(MQTT.into());
        c.nats = Some(NATS.into());
        c.nats_stream_max_mb = 256;
    });
    let _consumers = app.app.start_consumers();
    wait_for("both routes", || {
        app.route_connected("mqtt") && app.route_connected("nats")
    })
    .await;
    let place = app.gate.clone();
    let person = {
        let live = app.app.state().live();
        let mut persons: Vec<&String> = live.persons.keys().collect();
        persons.sort();
        persons[1].clone()
    };
    // Rows of this run alone, and a bad one whose reject names this run.
    let run = unique("c");
    let rows = |route: &str| {
        ndjson(&[
            json!({"subject_type": "person_id", "subject": person, "place_id": place,
                   "time": "2020-01-21 08:00", "direction": "in", "record_id": format!("{run}-{route}")}),
            json!({"subject_type": "person_id", "subject": person, "place_id": format!("{run}-{route}-NOWHERE"),
                   "time": "2020-01-21 08:00", "direction": "in", "record_id": format!("{run}-{route}-x")}),
        ])
    };
    let (sender, mut mqtt_heard) =
        mqtt_sender(&format!("{run}-sender"), "tracegrid/rejects/gate_access").await;
    let client = async_nats::connect(NATS).await.unwrap();
    let mut nats_heard = client
        .subscribe("tracegrid.rejects.gate_access")
        .await
        .unwrap();
    client.flush().await.unwrap();
    sender
        .publish(
            "tracegrid/feeds/gate_access",
            QoS::AtLeastOnce,
            false,
            rows("m"),
        )
        .await
        .unwrap();
    let js = async_nats::jetstream::new(client.clone());
    js.publish("tracegrid.feeds.gate_access", rows("n").into())
        .await
        .unwrap()
        .await
        .unwrap();
    let mine = |v: &Value, route: &str| {
        v["record"]
            .as_str()
            .unwrap()
            .contains(&format!("{run}-{route}-NOWHERE"))
    };
    loop {
        let (_, v) = rejects(&mut mqtt_heard, 1).await.remove(0);
        if mine(&v, "m") {
            assert!(v["reason"].as_str().unwrap().contains("place_id"), "{v}");
            break;
        }
    }
    loop {
        let m = tokio::time::timeout(Duration::from_secs(60), nats_heard.next())
            .await
            .expect("a reject on tracegrid.rejects.gate_access")
            .unwrap();
        let v: Value = serde_json::from_slice(&m.payload).unwrap();
        if mine(&v, "n") {
            assert!(v["reason"].as_str().unwrap().contains("place_id"), "{v}");
            break;
        }
    }
    // Both good rows are in the store.
    let db = app.db.clone();
    let stored = tokio::task::spawn_blocking(move || {
        let c = rusqlite::Connection::open(db).unwrap();
        c.query_row(
            "SELECT count(*) FROM sightings WHERE record_id LIKE ?1",
            [format!("{run}-_")],
            |r| r.get::<_, i64>(0),
        )
        .unwrap()
    })
    .await
    .unwrap();
    assert_eq!(stored, 2);
}

/// A TCP relay to a broker that the test can cut: while cut, it closes every connection.
struct Relay {
    addr: std::net::SocketAddr,
    on: tokio::sync::watch::Sender<bool>,
}

impl Relay {
    async fn to(target: &'static str) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (on, watch) = tokio::sync::watch::channel(true);
        tokio::spawn(async move {
            loop {
                let Ok((mut inbound, _)) = listener.accept().await else {
                    return;
                };
                let mut watch = watch.clone();
                if !*watch.borrow_and_update() {
                    continue;
                }
                tokio::spawn(async move {
                    let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                        return;
                    };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                        _ = async { while watch.changed().await.is_ok() && *watch.borrow() {} } => {}
                    }
                });
            }
        });
        Relay { addr, on }
    }

    fn cut(&self) {
        self.on.send_replace(false);
    }

    fn mend(&self) {
        self.on.send_replace(true);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_or_lost_is_reported_and_found_again() {
    let prefix = unique("d");
    let mqtt = Relay::to("127.0.0.1:1883").await;
    let nats = Relay::to("127.0.0.1:4222").await;
    mqtt.cut();
    nats.cut();
    let app = spawn_with(|c| {
        c.mqtt = Some(format!("mqtt://{}", mqtt.addr));
        c.nats = Some(format!("nats://{}", nats.addr));
        c.mqtt_topic_prefix = prefix.clone();
        c.mqtt_client_id = prefix.clone();
        c.nats_subject_prefix = prefix.clone();
        c.nats_stream = prefix.to_uppercase();
        c.nats_consumer = prefix.clone();
        c.nats_stream_max_mb = 64;
    });
    let _consumers = app.app.start_consumers();
    // Down at start: the server serves and says so.
    wait_for("both routes tried", || {
        let s = app.app.state().city.feed_status();
        s.routes
            .iter()
            .filter(|r| r.route.as_str() != "http")
            .all(|r| {
                r.detail
                    .as_deref()
                    .is_some_and(|d| d.contains("trying again"))
            })
    })
    .await;
    let health = app.get("/healthz", None).await;
    assert_eq!(health.status, axum::http::StatusCode::OK);
    assert_eq!(health.body["status"], "degraded", "{}", health.body);
    let down: Vec<&Value> = health.body["feeds"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["connected"] == false)
        .collect();
    assert_eq!(down.len(), 2, "{}", health.body);

    // Up: found, and then rows flow.
    mqtt.mend();
    nats.mend();
    wait_for("both routes up", || {
        app.route_connected("mqtt") && app.route_connected("nats")
    })
    .await;
    assert_eq!(app.get("/healthz", None).await.body["status"], "ok");

    // Lost while serving: reported, found again, and what was sent meanwhile is kept.
    mqtt.cut();
    nats.cut();
    wait_for("both routes lost", || {
        !app.route_connected("mqtt") && !app.route_connected("nats")
    })
    .await;
    let (sender, _heard) =
        mqtt_sender(&format!("{prefix}-sender"), &format!("{prefix}/rejects/#")).await;
    let client = async_nats::connect(NATS).await.unwrap();
    let js = async_nats::jetstream::new(client);
    let person = {
        let live = app.app.state().live();
        let mut persons: Vec<&String> = live.persons.keys().collect();
        persons.sort();
        persons[2].clone()
    };
    let row = |id: &str| {
        ndjson(&[
            json!({"subject_type": "person_id", "subject": person, "place_id": app.gate,
                        "time": "2020-01-22 08:00", "direction": "in", "record_id": id}),
        ])
    };
    sender
        .publish(
            format!("{prefix}/feeds/gate_access"),
            QoS::AtLeastOnce,
            false,
            row("L-m"),
        )
        .await
        .unwrap();
    js.publish(format!("{prefix}.feeds.gate_access"), row("L-n").into())
        .await
        .unwrap()
        .await
        .unwrap();
    mqtt.mend();
    nats.mend();
    wait_for("the rows sent while the routes were lost", || {
        app.counts_from(&format!("{prefix}/")).0 == 1
            && app.counts_from(&format!("{prefix}.")).0 == 1
    })
    .await;
    assert!(app.route_connected("mqtt") && app.route_connected("nats"));
    let _ = js.delete_stream(prefix.to_uppercase()).await;
    drop(_consumers);
    forget_session(&prefix).await;
}
