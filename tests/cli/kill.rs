//! `kill -9` of `tracegrid serve` while a feed sends (CONTRACT.md section 6.1: a server killed
//! at any moment loses no row it acknowledged, and a row sent again is stored once). For each
//! route: the sender keeps sending through the kill and the restart — an HTTP client sends
//! again what was not answered, the broker delivers again what was not acknowledged — and
//! then the store holds every row exactly once, and screens as a file import of the same rows.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::{Scratch, sample_drop, tracegrid};

/// Messages sent, and the rows in each: enough that the kill lands while they flow.
const MESSAGES: usize = 600;
const ROWS: usize = 50;
const AS_OF: &str = "2020-01-29";

/// The rows: the sample city's known people in the shop where a case was, each row its own.
fn messages() -> Vec<String> {
    (0..MESSAGES)
        .map(|m| {
            (0..ROWS)
                .map(|r| {
                    let n = m * ROWS + r;
                    let minute = n % 50;
                    format!(
                        "{{\"source\":\"wifi\",\"subject_type\":\"person_id\",\"subject\":\"P{:06}\",\
                         \"place_id\":\"SHOP-1\",\"start\":\"2020-01-25 10:{minute:02}\",\
                         \"end\":\"2020-01-25 10:{:02}\",\"record_id\":\"KILL-{n}\"}}\n",
                        n % 7 + 1,
                        minute + 9,
                    )
                })
                .collect()
        })
        .collect()
}

fn ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The sample city in a store, with a feeder's token.
fn city(name: &str) -> (Scratch, String, String) {
    let d = Scratch::new(name);
    let db = d.path("store.db").to_str().unwrap().to_owned();
    ok(&tracegrid(
        &db,
        &["import", sample_drop().to_str().unwrap()],
    ));
    let out = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args(["--db", &db, "user", "add", "sender", "--role", "feeder"])
        .env("TRACEGRID_PASSWORD", "a long password")
        .output()
        .unwrap();
    ok(&out);
    let out = tracegrid(&db, &["token", "add", "--user", "sender", "--name", "kill"]);
    ok(&out);
    let token = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (d, db, token)
}

/// A server on `db`, listening where the system puts it.
struct Server {
    child: Child,
    addr: String,
}

impl Server {
    fn start(d: &Scratch, db: &str, args: &[&str], env: &[(String, String)]) -> Server {
        let config = d.path("tracegrid.toml");
        std::fs::write(&config, "listen = \"127.0.0.1:0\"\n").unwrap();
        let mut child = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
            .args(["--db", db, "serve", "--config", config.to_str().unwrap()])
            .args(["--as-of", AS_OF, "--home-region", "330800"])
            .args(args)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("TRACEGRID_DB")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("the server says where it listens")
                .unwrap();
            if let Some(rest) = line.split("http://").nth(1) {
                break rest.split('/').next().unwrap().to_owned();
            }
        };
        // Whatever else it prints must not fill the pipe.
        std::thread::spawn(move || lines.for_each(drop));
        Server { child, addr }
    }

    fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn stop(mut self) {
        let kill = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(kill.success());
        assert_eq!(self.child.wait().unwrap().code(), Some(0));
    }

    /// Waits until `/healthz` says every feed is up.
    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok((200, body)) = request(&self.addr, "GET", "/healthz", &[], "")
                && body.contains("\"status\":\"ok\"")
            {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the server's feeds never came up"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    /// A test that fails midway leaves no server running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One HTTP/1.1 request: the status and the body.
fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut s = std::net::TcpStream::connect(addr)?;
    s.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes())?;
    s.write_all(body.as_bytes())?;
    let mut reply = String::new();
    s.read_to_string(&mut reply)?;
    let status = reply
        .get(9..12)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no status in {reply:?}")))?;
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
}

/// The fed rows the store holds now.
fn stored(db: &str) -> usize {
    let c = rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .unwrap();
    c.busy_timeout(Duration::from_secs(10)).unwrap();
    c.query_row(
        "SELECT count(*) FROM sightings WHERE record_id LIKE 'KILL-%'",
        [],
        |r| r.get::<_, i64>(0),
    )
    .unwrap() as usize
}

/// Waits until the store holds `n` fed rows (or says how many it held).
fn wait_stored(db: &str, n: usize) {
    let deadline = Instant::now() + Duration::from_secs(180);
    loop {
        let have = stored(db);
        if have == n {
            return;
        }
        assert!(have < n, "{have} fed rows stored, more than the {n} sent");
        assert!(Instant::now() < deadline, "{have} of {n} fed rows stored");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Kills the server once some of the fed rows are stored, and starts it again; what was
/// stored at the kill.
fn kill_midway(
    server: Server,
    d: &Scratch,
    db: &str,
    args: &[&str],
    env: &[(String, String)],
) -> (Server, usize) {
    let deadline = Instant::now() + Duration::from_secs(120);
    while stored(db) == 0 {
        assert!(Instant::now() < deadline, "no fed row was ever stored");
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    let at_kill = stored(db);
    assert!(
        at_kill < MESSAGES * ROWS,
        "the feed ended before it could be killed"
    );
    (Server::start(d, db, args, env), at_kill)
}

/// The screen of the store equals the screen of the sample city with the same rows imported
/// from a file.
fn screens_as_files(d: &Scratch, db: &str, messages: &[String]) {
    let files = d.path("files.db").to_str().unwrap().to_owned();
    ok(&tracegrid(
        &files,
        &["import", sample_drop().to_str().unwrap()],
    ));
    let drop_dir = d.path("fed");
    std::fs::create_dir_all(&drop_dir).unwrap();
    std::fs::write(drop_dir.join("sightings.ndjson"), messages.concat()).unwrap();
    let out = tracegrid(&files, &["import", drop_dir.to_str().unwrap()]);
    ok(&out);
    assert_eq!(stored(&files), MESSAGES * ROWS);
    let screen = |db: &str| {
        let out = tracegrid(
            db,
            &[
                "screen",
                "--json",
                "--as-of",
                AS_OF,
                "--home-region",
                "330800",
            ],
        );
        ok(&out);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (fed, filed) = (screen(db), screen(&files));
    assert!(
        fed["alerts"].as_array().unwrap().len() > 3,
        "the fed rows beside a case alert people: {fed}"
    );
    assert_eq!(fed, filed);
}

#[test]
fn http_feeds_survive_kill_9() {
    let (d, db, token) = city("kill-http");
    let server = Server::start(&d, &db, &[], &[]);
    let messages = Arc::new(messages());
    let addr = Arc::new(Mutex::new(server.addr.clone()));
    let next = Arc::new(AtomicUsize::new(0));
    // Two clients, each sending a message until it is answered: a connection refused or cut
    // by the kill, or a 429, is sent again.
    let senders: Vec<_> = (0..2)
        .map(|_| {
            let (messages, addr, next, token) =
                (messages.clone(), addr.clone(), next.clone(), token.clone());
            std::thread::spawn(move || {
                let auth = format!("Bearer {token}");
                loop {
                    let m = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = messages.get(m) else { return };
                    loop {
                        let to = addr.lock().unwrap().clone();
                        let headers = [
                            ("Authorization", auth.as_str()),
                            ("Content-Type", "application/x-ndjson"),
                        ];
                        match request(&to, "POST", "/api/v1/feeds/sightings", &headers, body) {
                            Ok((200, answer)) => {
                                let a: serde_json::Value = serde_json::from_str(&answer).unwrap();
                                assert_eq!(a["rejected"], 0, "{answer}");
                                break;
                            }
                            Ok((429 | 503, _)) | Err(_) => {
                                std::thread::sleep(Duration::from_millis(50));
                            }
                            Ok((status, answer)) => panic!("{status}: {answer}"),
                        }
                    }
                }
            })
        })
        .collect();
    let (server, at_kill) = kill_midway(server, &d, &db, &[], &[]);
    *addr.lock().unwrap() = server.addr.clone();
    for s in senders {
        s.join().unwrap();
    }
    // Every message was answered, so every row is stored.
    assert_eq!(stored(&db), MESSAGES * ROWS, "killed at {at_kill}");
    server.stop();
    screens_as_files(&d, &db, &messages);
}

/// A name of this test run's own.
fn unique(tag: &str) -> String {
    format!(
        "k{tag}{}x{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    )
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

#[test]
fn mqtt_feeds_survive_kill_9() {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let (d, db, _) = city("kill-mqtt");
    let name = unique("m");
    let env = vec![
        ("TRACEGRID_MQTT_TOPIC_PREFIX".to_owned(), name.clone()),
        ("TRACEGRID_MQTT_CLIENT_ID".to_owned(), name.clone()),
    ];
    let args = ["--mqtt", "mqtt://127.0.0.1:1883"];
    let server = Server::start(&d, &db, &args, &env);
    // The server's session and its subscription exist before anything is published.
    server.wait_ready();
    let messages = messages();
    let topic = format!("{name}/feeds/sightings");
    let rt = runtime();
    // Published with QoS 1 and acknowledged by the broker, which keeps them for the server's
    // session until the server acknowledges them.
    let publisher = std::thread::spawn({
        let messages = messages.clone();
        move || {
            rt.block_on(async {
                let mut o = MqttOptions::new(format!("{name}-sender"), "127.0.0.1", 1883);
                o.set_max_packet_size(1 << 20, 1 << 20);
                let (client, mut events) = AsyncClient::new(o, 64);
                let sending = async {
                    for m in &messages {
                        client
                            .publish(topic.clone(), QoS::AtLeastOnce, false, m.clone())
                            .await
                            .unwrap();
                    }
                };
                let acks = async {
                    let mut acked = 0;
                    while acked < messages.len() {
                        match events.poll().await {
                            Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                            Ok(_) => {}
                            Err(e) => panic!("publishing to the broker: {e}"),
                        }
                    }
                };
                tokio::join!(sending, acks);
                let _ = client.disconnect().await;
                name
            })
        }
    });
    let (server, at_kill) = kill_midway(server, &d, &db, &args, &env);
    let name = publisher.join().unwrap();
    wait_stored(&db, MESSAGES * ROWS);
    server.stop();
    eprintln!("mqtt: killed with {at_kill} rows stored");
    screens_as_files(&d, &db, &messages);
    // Forget the server's session at the broker.
    runtime().block_on(async {
        let mut o = MqttOptions::new(name, "127.0.0.1", 1883);
        o.set_clean_session(true);
        let (client, mut events) = AsyncClient::new(o, 4);
        if let Ok(Ok(Event::Incoming(Packet::ConnAck(_)))) =
            tokio::time::timeout(Duration::from_secs(5), events.poll()).await
        {
            let _ = client.disconnect().await;
            let _ = tokio::time::timeout(Duration::from_secs(1), events.poll()).await;
        }
    });
}

#[test]
fn nats_feeds_survive_kill_9() {
    let (d, db, _) = city("kill-nats");
    let name = unique("n");
    let stream = name.to_uppercase();
    let env = vec![
        ("TRACEGRID_NATS_SUBJECT_PREFIX".to_owned(), name.clone()),
        ("TRACEGRID_NATS_STREAM".to_owned(), stream.clone()),
        ("TRACEGRID_NATS_CONSUMER".to_owned(), name.clone()),
        ("TRACEGRID_NATS_STREAM_MAX_MB".to_owned(), "256".to_owned()),
        // What was delivered to the killed server comes again after this long.
        ("TRACEGRID_NATS_ACK_WAIT_SECONDS".to_owned(), "3".to_owned()),
    ];
    let args = ["--nats", "nats://127.0.0.1:4222"];
    let server = Server::start(&d, &db, &args, &env);
    // The stream exists before anything is published.
    server.wait_ready();
    let messages = messages();
    let subject = format!("{name}.feeds.sightings");
    let publisher = std::thread::spawn({
        let messages = messages.clone();
        move || {
            runtime().block_on(async {
                let client = async_nats::connect("127.0.0.1:4222").await.unwrap();
                let js = async_nats::jetstream::new(client);
                for m in messages {
                    // Stored by the stream before the next is sent.
                    js.publish(subject.clone(), m.into())
                        .await
                        .unwrap()
                        .await
                        .unwrap();
                }
            });
        }
    });
    let (server, at_kill) = kill_midway(server, &d, &db, &args, &env);
    publisher.join().unwrap();
    wait_stored(&db, MESSAGES * ROWS);
    server.stop();
    eprintln!("nats: killed with {at_kill} rows stored");
    screens_as_files(&d, &db, &messages);
    runtime().block_on(async {
        let client = async_nats::connect("127.0.0.1:4222").await.unwrap();
        let js = async_nats::jetstream::new(client);
        let _ = js.delete_stream(&stream).await;
    });
}
