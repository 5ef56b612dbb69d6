//! `tracegrid bench feeds`: the live feeds while the server serves the demo city. The city's
//! last hours are held back from its import and sent through each route (HTTP, MQTT, NATS
//! JetStream, then all three at once) in batches, each run on a fresh copy of the store: rows a
//! second with durable acknowledgements, row → screen and row → task latencies, where the
//! writer's time goes, what one batch costs against screening the whole city again, and the
//! check that the fed city screens exactly as the whole city imported from files.

use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tracegrid_server::{App, AppState, Config, Role};

use crate::out;
use crate::replay::{self, Message};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Residents of the simulated city (the demo's default size).
    #[arg(long, default_value_t = 50_000)]
    pub persons: usize,
    #[arg(long, default_value_t = 21)]
    pub days: i64,
    /// Working directory; a city already there from the same size is reused (the same as
    /// `bench serve`'s).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// The city's last hours held back from the import and fed.
    #[arg(long, default_value_t = 24)]
    pub hours: i64,
    /// Rows a message.
    #[arg(long, default_value_t = 1000)]
    pub batch: usize,
    /// HTTP clients sending at once.
    #[arg(long, default_value_t = 4)]
    pub senders: usize,
    /// The routes to measure, each alone, and `all` for the three at once.
    #[arg(long, value_delimiter = ',', default_value = "http,mqtt,nats,all")]
    pub routes: Vec<String>,
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    pub mqtt: String,
    #[arg(long, default_value = "nats://127.0.0.1:4222")]
    pub nats: String,
    /// Each route is measured twice: as fast as it goes (rows a second), and paced at this
    /// many rows a second (the latencies of a feed the server keeps up with).
    #[arg(long, default_value_t = 10_000.0)]
    pub rate: f64,
}

/// What one run measured.
struct Measured {
    route: String,
    /// Rows a second the senders were held to; `None`: as fast as they could.
    paced: Option<f64>,
    rows: usize,
    seconds: f64,
    status: tracegrid_city::FeedStatus,
    /// HTTP only: from sending a message to its answer, in milliseconds.
    answers: Vec<f64>,
}

pub fn run(a: Args) -> Result<ExitCode> {
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("tracegrid-bench-serve"));
    let (drop, whole) = crate::simulated_store(&dir, a.persons, a.days)?;
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop.join("truth.json"))?)?;
    let end = truth["end"].as_i64().context("truth.json has no end")?;
    let zone = chrono_tz::Asia::Shanghai;
    let cutoff = end - a.hours * 3_600_000;

    // The city without its last hours, imported once; the rows held back, in time order.
    let work = dir.join(format!("feeds-{}h", a.hours));
    let base_db = work.join("base.db");
    let t = Instant::now();
    let _ = std::fs::remove_dir_all(work.join("base"));
    let held = replay::split(&drop, cutoff, zone, &work.join("base"))?;
    if !work.join("imported").exists() {
        let _ = std::fs::remove_file(&base_db);
        let r = crate::run_import(&base_db.to_string_lossy(), &work.join("base"))?;
        out!(
            "imported the city without its last {} h in {:.1} s",
            a.hours,
            r.seconds
        );
        std::fs::write(work.join("imported"), "")?;
    }
    let messages = replay::messages(&held, a.batch);
    out!(
        "held back {} rows of the last {} h as {} messages of at most {} rows ({:.1} s)",
        crate::human::group(held.len() as u64),
        a.hours,
        crate::human::group(messages.len() as u64),
        a.batch,
        t.elapsed().as_secs_f64()
    );

    // The answer the fed city must give: the whole city imported from files.
    let as_of = tracegrid_model::format_time(end, zone);
    let expected = screen_of_store(&whole, &as_of)?;

    let mut results = Vec::new();
    for paced in [None, Some(a.rate)] {
        for route in &a.routes {
            let db = work.join(format!("run-{route}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
            }
            std::fs::copy(&base_db, &db)?;
            let m = feed_once(
                &a,
                route,
                paced,
                &db.to_string_lossy(),
                &as_of,
                &messages,
                &expected,
            )?;
            results.push(m);
        }
    }

    // What screening the whole city again costs, for comparison with a batch.
    let t = Instant::now();
    let (world, _) = tracegrid_city::load_world(&whole)?;
    let loaded = t.elapsed().as_secs_f64();
    let settings = tracegrid_city::Settings {
        as_of: Some(end),
        home_region: Some("330800".into()),
        ..Default::default()
    };
    let p = settings.params(&world, end)?;
    let t = Instant::now();
    let full = world.screen(&p);
    let screened = t.elapsed().as_secs_f64();
    out!(
        "\nscreening the whole city again: load {:.1} s + screen {:.2} s ({} alerts)",
        loaded,
        screened,
        crate::human::group(full.alerts.len() as u64)
    );

    out!(
        "\n  {:<6} {:>8} {:>9} {:>8} {:>8} {:>9} {:>9} {:>9} {:>9} {:>10}",
        "route",
        "paced",
        "rows",
        "seconds",
        "rows/s",
        "screen50",
        "screen99",
        "task50",
        "task99",
        "ms/batch"
    );
    for m in &results {
        let l = &m.status.latency;
        let w = &m.status.work;
        let per_message = (w.check_ms + w.store_ms + w.apply_ms) / w.messages.max(1) as f64;
        out!(
            "  {:<6} {:>8} {:>9} {:>8.1} {:>8.0} {:>9.0} {:>9.0} {:>9.0} {:>9.0} {:>10.1}",
            m.route,
            m.paced.map_or("no".to_owned(), |r| format!("{r:.0}/s")),
            m.rows,
            m.seconds,
            m.rows as f64 / m.seconds,
            l.screen.p50_ms,
            l.screen.p99_ms,
            l.task.p50_ms,
            l.task.p99_ms,
            per_message
        );
    }
    out!("\nwhere the writer's time went (per group of messages kept in one transaction)");
    for m in &results {
        let w = &m.status.work;
        let total = w.check_ms + w.store_ms + w.apply_ms;
        let share = |x: f64| 100.0 * x / total.max(1e-9);
        out!(
            "  {:<6} {:>8} {} groups of {:.1} messages: check {:.0}%, store {:.0}%, index and screen {:.0}%; \
             tasks off the path: {} rounds, {:.0} ms each",
            m.route,
            m.paced.map_or("", |_| "paced"),
            w.groups,
            w.messages as f64 / w.groups.max(1) as f64,
            share(w.check_ms),
            share(w.store_ms),
            share(w.apply_ms),
            w.task_rounds,
            w.task_ms / w.task_rounds.max(1) as f64
        );
        if !m.answers.is_empty() {
            out!(
                "         an HTTP message's answer: median {:.0} ms, p95 {:.0} ms ({} senders)",
                crate::median(m.answers.clone()),
                crate::p95(m.answers.clone()),
                a.senders
            );
        }
    }
    let incremental = results
        .iter()
        .map(|m| {
            let w = &m.status.work;
            (w.check_ms + w.store_ms + w.apply_ms) / w.messages.max(1) as f64
        })
        .fold(f64::NAN, f64::min);
    out!(
        "\na batch of {} rows costs the writer {:.1} ms; screening the whole city again {:.0} ms \
         ({:.0}× a batch)",
        a.batch,
        incremental,
        (loaded + screened) * 1000.0,
        (loaded + screened) * 1000.0 / incremental
    );
    out!("\ntargets");
    let mut failed = false;
    for m in &results {
        let l = &m.status.latency;
        let Some(rate) = m.paced else {
            if m.route == "http" || m.route == "nats" {
                failed |= !target(
                    &format!("{} rows/s ≥ 20,000", m.route),
                    m.rows as f64 / m.seconds >= 20_000.0,
                    &format!("{:.0}", m.rows as f64 / m.seconds),
                )?;
            }
            continue;
        };
        failed |= !target(
            &format!("{} at {rate:.0} rows/s: row → screen p99 < 100 ms", m.route),
            l.screen.p99_ms < 100.0,
            &format!("{:.0} ms", l.screen.p99_ms),
        )?;
        failed |= !target(
            &format!("{} at {rate:.0} rows/s: row → task p99 < 1 s", m.route),
            l.task.p99_ms < 1000.0,
            &format!("{:.0} ms", l.task.p99_ms),
        )?;
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `screen --json` of a store at `as_of`, as the server's `GET /api/v1/screen` shows it.
fn screen_of_store(db: &str, as_of: &str) -> Result<serde_json::Value> {
    let config = Config {
        db: db.to_owned(),
        as_of: Some(as_of.to_owned()),
        home_region: Some("330800".into()),
        ..Default::default()
    };
    let city = tracegrid_city::City::load(db, config.settings()?, 0)?;
    Ok(serde_json::to_value(
        city.screen_view(city.screening.alerts()),
    )?)
}

/// A name of this run's own for the brokers' topics, stream and consumer.
fn unique() -> String {
    format!(
        "bench{}x{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos())
    )
}

fn feed_once(
    a: &Args,
    route: &str,
    paced: Option<f64>,
    db: &str,
    as_of: &str,
    messages: &[Message],
    expected: &serde_json::Value,
) -> Result<Measured> {
    let name = unique();
    let uses = |r: &str| route == r || route == "all";
    if !["http", "mqtt", "nats", "all"].contains(&route) {
        bail!("--routes takes http, mqtt, nats and all, not {route}");
    }
    let mut config = Config {
        db: db.to_owned(),
        as_of: Some(as_of.to_owned()),
        home_region: Some("330800".into()),
        ..Default::default()
    };
    if uses("mqtt") {
        config.mqtt = Some(a.mqtt.clone());
        config.mqtt_topic_prefix = name.clone();
        config.mqtt_client_id = name.clone();
    }
    if uses("nats") {
        config.nats = Some(a.nats.clone());
        config.nats_subject_prefix = name.clone();
        config.nats_stream = name.to_uppercase();
        config.nats_consumer = name.clone();
        config.nats_stream_max_mb = 2048;
    }
    let app = App::build(config)?;
    let state = app.state().clone();
    tracegrid_server::add_user(db, "bench-feeder", "bench-password", Role::Feeder, &[], &[])?;
    let feeder = tracegrid_server::add_token(db, "bench-feeder", "bench feeds")?;
    tracegrid_server::add_user(db, "bench", "bench-password", Role::Analyst, &[], &[])?;
    let analyst = tracegrid_server::add_token(db, "bench", "bench feeds")?;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?.to_string();
    rt.spawn(async move {
        let _ = app.serve(listener).await;
    });
    // The brokers' routes are up (the stream and the session exist) before anything is sent.
    let deadline = Instant::now() + Duration::from_secs(60);
    let up = |r: &str| {
        state
            .city
            .feed_status()
            .routes
            .iter()
            .any(|s| s.route.as_str() == r && s.connected)
    };
    while !["http", "mqtt", "nats"]
        .into_iter()
        .filter(|r| uses(r))
        .all(up)
    {
        if Instant::now() > deadline {
            bail!("the brokers' routes did not come up: is Mosquitto or NATS running?");
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    // Each route its share of the messages, in turn.
    let routes: Vec<&str> = ["http", "mqtt", "nats"]
        .into_iter()
        .filter(|r| uses(r))
        .collect();
    let share = |r: &str| -> Vec<Message> {
        let i = routes.iter().position(|x| *x == r).unwrap_or(0);
        messages
            .iter()
            .skip(i)
            .step_by(routes.len())
            .cloned()
            .collect()
    };
    let rows: usize = messages.iter().map(|m| m.rows).sum();
    // Together, the routes send at the pace asked.
    let paced = paced.map(|r| r / routes.len() as f64);
    let started = Instant::now();
    let answers = std::thread::scope(|s| -> Result<Vec<f64>> {
        let http = uses("http").then(|| {
            let ms = share("http");
            let addr = addr.clone();
            let feeder = feeder.clone();
            s.spawn(move || send_http(&addr, &feeder, &ms, a.senders, Pace::new(&ms, paced)))
        });
        let mqtt = uses("mqtt").then(|| {
            let ms = share("mqtt");
            let (url, name) = (a.mqtt.clone(), name.clone());
            s.spawn(move || send_mqtt(&url, &name, &ms, Pace::new(&ms, paced)))
        });
        let nats = uses("nats").then(|| {
            let ms = share("nats");
            let (url, name) = (a.nats.clone(), name.clone());
            s.spawn(move || send_nats(&url, &name, &ms, Pace::new(&ms, paced)))
        });
        let answers = match http {
            Some(h) => h.join().map_err(|_| anyhow!("an HTTP sender failed"))??,
            None => Vec::new(),
        };
        for h in [mqtt, nats].into_iter().flatten() {
            h.join()
                .map_err(|_| anyhow!("a broker's sender failed"))??;
        }
        Ok(answers)
    })?;
    // Every row is kept (the brokers' senders are done once the broker has them).
    wait_taken(&state, rows)?;
    let seconds = started.elapsed().as_secs_f64();
    // The task follower has caught up when the screen's latency count is the task's.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let s = state.city.feed_status();
        if s.latency.task.samples >= s.latency.screen.samples || Instant::now() > deadline {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = state.city.feed_status();

    // The fed city screens as the whole city imported from files.
    let mut conn = TcpStream::connect(&addr)?;
    write!(
        conn,
        "GET /api/v1/screen?purpose=bench HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {analyst}\r\nConnection: close\r\n\r\n"
    )?;
    let mut reply = String::new();
    conn.read_to_string(&mut reply)?;
    let body = reply.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    let served: serde_json::Value = serde_json::from_str(body)
        .with_context(|| format!("the screen: {}", &reply[..reply.len().min(200)]))?;
    if &served != expected {
        bail!(
            "{route}: the fed city screens {} alerts, the whole city imported from files {}",
            served["alerts"].as_array().map_or(0, Vec::len),
            expected["alerts"].as_array().map_or(0, Vec::len)
        );
    }
    out!(
        "{route}{}: {} rows in {:.1} s; the screen equals the whole city's ({} alerts)",
        paced.map_or(String::new(), |r| format!(" at {r:.0} rows/s")),
        crate::human::group(rows as u64),
        seconds,
        crate::human::group(served["alerts"].as_array().map_or(0, Vec::len) as u64)
    );
    if uses("nats") {
        rt.block_on(async {
            if let Ok(c) = async_nats::connect(a.nats.as_str()).await {
                let _ = async_nats::jetstream::new(c)
                    .delete_stream(name.to_uppercase())
                    .await;
            }
        });
    }
    rt.shutdown_timeout(Duration::from_secs(5));
    Ok(Measured {
        route: route.to_owned(),
        paced,
        rows,
        seconds,
        status,
        answers,
    })
}

/// Waits until the feeds have counted `rows` rows.
fn wait_taken(state: &AppState, rows: usize) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let s = state.city.feed_status();
        let taken: u64 = s
            .feeds
            .iter()
            .map(|f| f.accepted + f.rejected + f.duplicates)
            .sum();
        if taken >= rows as u64 {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{taken} of {rows} fed rows were taken in ten minutes");
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `senders` clients on kept-alive connections, each sending the next message and waiting for
/// its answer (a 429 is sent again); the time of each answer.
fn send_http(
    addr: &str,
    token: &str,
    messages: &[Message],
    senders: usize,
    pace: Pace,
) -> Result<Vec<f64>> {
    let pace = &pace;
    let next = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..senders.max(1))
            .map(|_| {
                let next = next.clone();
                s.spawn(move || -> Result<Vec<f64>> {
                    let mut conn = BufReader::new(TcpStream::connect(addr)?);
                    let mut took = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(m) = messages.get(i) else {
                            return Ok(took);
                        };
                        pace.wait(i);
                        loop {
                            let t = Instant::now();
                            let status = post(&mut conn, m, token)?;
                            match status {
                                200 => {
                                    took.push(t.elapsed().as_secs_f64() * 1000.0);
                                    break;
                                }
                                429 => std::thread::sleep(Duration::from_millis(20)),
                                other => bail!("a feed answered {other}"),
                            }
                        }
                    }
                })
            })
            .collect();
        let mut all = Vec::new();
        for h in handles {
            all.extend(h.join().map_err(|_| anyhow!("an HTTP sender panicked"))??);
        }
        Ok(all)
    })
}

fn post(conn: &mut BufReader<TcpStream>, m: &Message, token: &str) -> Result<u16> {
    write!(
        conn.get_mut(),
        "POST /api/v1/feeds/{} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/x-ndjson\r\nContent-Length: {}\r\n\r\n",
        m.kind,
        m.body.len()
    )?;
    conn.get_mut().write_all(m.body.as_bytes())?;
    Ok(crate::serve::answer(conn)?.0)
}

/// Publishes every message with QoS 1 and waits for the broker's acknowledgements.
fn send_mqtt(url: &str, name: &str, messages: &[Message], pace: Pace) -> Result<()> {
    use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
    let hostport = url
        .strip_prefix("mqtt://")
        .context("--mqtt must be mqtt://HOST:PORT")?;
    let (host, port) = hostport
        .rsplit_once(':')
        .context("--mqtt must name a port")?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let mut o = MqttOptions::new(format!("{name}-sender"), host, port.parse()?);
        o.set_max_packet_size(64 << 20, 64 << 20);
        let (client, mut events) = AsyncClient::new(o, 256);
        let sending = async {
            for (i, m) in messages.iter().enumerate() {
                pace.wait_async(i).await;
                client
                    .publish(
                        format!("{name}/feeds/{}", m.kind),
                        QoS::AtLeastOnce,
                        false,
                        m.body.clone(),
                    )
                    .await?;
            }
            Ok::<(), anyhow::Error>(())
        };
        let acks = async {
            let mut acked = 0;
            while acked < messages.len() {
                match events.poll().await {
                    Ok(Event::Incoming(Packet::PubAck(_))) => acked += 1,
                    Ok(_) => {}
                    Err(e) => bail!("publishing to the MQTT broker: {e}"),
                }
            }
            Ok(())
        };
        let (s, a) = tokio::join!(sending, acks);
        s?;
        a?;
        let _ = client.disconnect().await;
        Ok(())
    })
}

/// Publishes every message to the stream, up to 256 awaiting the stream's acknowledgement.
fn send_nats(url: &str, name: &str, messages: &[Message], pace: Pace) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let client = async_nats::connect(url).await?;
        let js = async_nats::jetstream::new(client);
        let mut waiting = std::collections::VecDeque::new();
        for (i, m) in messages.iter().enumerate() {
            pace.wait_async(i).await;
            let ack = js
                .publish(format!("{name}.feeds.{}", m.kind), m.body.clone().into())
                .await?;
            waiting.push_back(ack);
            if waiting.len() >= 256
                && let Some(a) = waiting.pop_front()
            {
                a.await?;
            }
        }
        for a in waiting {
            a.await?;
        }
        Ok(())
    })
}

/// Prints a target's line; whether it was met.
fn target(what: &str, met: bool, shown: &str) -> Result<bool> {
    out!("  {what}: {shown} {}", if met { "✔" } else { "✘" });
    Ok(met)
}

/// When each message is due, for senders held to a rate of rows a second.
struct Pace {
    start: Instant,
    /// Seconds after the start each message is due; empty: at once.
    due: Vec<f64>,
}

impl Pace {
    fn new(messages: &[Message], rate: Option<f64>) -> Pace {
        let due = match rate {
            Some(r) if r > 0.0 => messages
                .iter()
                .scan(0usize, |rows, m| {
                    let at = *rows as f64 / r;
                    *rows += m.rows;
                    Some(at)
                })
                .collect(),
            _ => Vec::new(),
        };
        Pace {
            start: Instant::now(),
            due,
        }
    }

    fn until(&self, i: usize) -> Option<Duration> {
        let at = self.start + Duration::from_secs_f64(*self.due.get(i)?);
        at.checked_duration_since(Instant::now())
    }

    fn wait(&self, i: usize) {
        if let Some(d) = self.until(i) {
            std::thread::sleep(d);
        }
    }

    async fn wait_async(&self, i: usize) {
        if let Some(d) = self.until(i) {
            tokio::time::sleep(d).await;
        }
    }
}
