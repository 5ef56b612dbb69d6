//! `tracegrid bench serve`: the command centre's API under load, on a simulated city. The
//! server runs in this process; the alerts page's request is timed one at a time over a
//! keep-alive connection (its median is the target), and throughput is measured by `wrk` from a
//! second process, authenticated by a bearer token, as a deployment would be hit.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use crate::out;
use anyhow::{Context, Result, anyhow, bail};
use tracegrid_server::{App, Config, Role};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Residents of the simulated city (the demo's default size).
    #[arg(long, default_value_t = 50_000)]
    pub persons: usize,
    #[arg(long, default_value_t = 21)]
    pub days: i64,
    /// Working directory; a city already there from the same size is reused.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Requests timed one at a time per endpoint.
    #[arg(long, default_value_t = 300)]
    pub samples: usize,
    /// Seconds of each wrk run.
    #[arg(long, default_value_t = 10)]
    pub duration_s: u64,
    /// Concurrent connections wrk keeps open.
    #[arg(long, default_value_t = 32)]
    pub connections: usize,
    /// The wrk program ("none" to skip the throughput runs).
    #[arg(long, default_value = "wrk")]
    pub wrk: String,
}

/// One request on a kept-alive connection; returns the status and body length.
fn get(conn: &mut BufReader<TcpStream>, path: &str, token: &str) -> Result<(u16, usize)> {
    write!(
        conn.get_mut(),
        "GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\r\n"
    )?;
    answer(conn)
}

/// Reads an answer on a kept-alive connection (its body read and dropped); returns the
/// status and body length.
pub(crate) fn answer(conn: &mut BufReader<TcpStream>) -> Result<(u16, usize)> {
    let mut line = String::new();
    conn.read_line(&mut line)?;
    let status: u16 = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("not an HTTP answer: {line:?}"))?;
    let mut length = 0;
    loop {
        line.clear();
        conn.read_line(&mut line)?;
        if line == "\r\n" || line.is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':')
            && k.eq_ignore_ascii_case("content-length")
        {
            length = v.trim().parse()?;
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body)?;
    Ok((status, length))
}

struct Timed {
    median_ms: f64,
    p95_ms: f64,
    bytes: usize,
}

fn time(addr: &str, path: &str, token: &str, samples: usize) -> Result<Timed> {
    let mut conn = BufReader::new(TcpStream::connect(addr)?);
    conn.get_ref().set_nodelay(true)?;
    let mut ms = Vec::with_capacity(samples);
    let mut bytes = 0;
    for i in 0..samples + 10 {
        let t = Instant::now();
        let (status, n) = get(&mut conn, path, token)?;
        if status != 200 {
            bail!("{path} answered {status}");
        }
        // The first few warm caches and the connection; they are not counted.
        if i >= 10 {
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
        bytes = n;
    }
    Ok(Timed {
        median_ms: crate::median(ms.clone()),
        p95_ms: crate::p95(ms),
        bytes,
    })
}

struct Load {
    rps: f64,
    p50: String,
    p99: String,
    non_2xx: u64,
}

fn wrk(a: &Args, url: &str, token: &str) -> Result<Load> {
    let out = Command::new(&a.wrk)
        .args([
            "-t1",
            &format!("-c{}", a.connections),
            &format!("-d{}s", a.duration_s),
            "--latency",
        ])
        .args(["-H", &format!("Authorization: Bearer {token}"), url])
        .output()
        .with_context(|| format!("running {} (apt-get install wrk, or --wrk none)", a.wrk))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "wrk failed: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l[prefix.len()..].split_whitespace().next())
            .map(str::to_owned)
    };
    Ok(Load {
        rps: field("Requests/sec:")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| anyhow!("wrk printed no Requests/sec:\n{text}"))?,
        p50: field("50%").unwrap_or_default(),
        p99: field("99%").unwrap_or_default(),
        non_2xx: field("Non-2xx or 3xx responses:")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0),
    })
}

/// Confirms as a case the busiest grid's most alerted resident (whose contacts are mostly
/// neighbours), with the grid worker's event stream open; returns the time until the stream
/// tells of the new tasks, the time the POST took, and the tasks made and updated.
fn case_to_tasks(
    addr: &str,
    state: &tracegrid_server::AppState,
    grid: &str,
    (token, grid_token): (&str, &str),
    end: i64,
) -> Result<(f64, f64, u64, u64)> {
    let mut sse = BufReader::new(TcpStream::connect(addr)?);
    write!(
        sse.get_mut(),
        "GET /api/events HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {grid_token}\r\n\r\n"
    )?;
    let mut line = String::new();
    sse.read_line(&mut line)?;
    if !line.contains(" 200") {
        bail!("the event stream answered {line:?}");
    }
    // Who: the first resident (not yet a case) with an open task in the grid.
    let id_number = {
        let grids = [grid.to_owned()];
        let open = state.city.board.with(|t| {
            t.list(&tracegrid_store::TaskFilter {
                grids: Some(&grids),
                active: true,
                ..Default::default()
            })
        })?;
        let live = state.live();
        open.iter()
            .filter_map(|t| {
                let s = live.world.find_subject(&t.subject)?;
                (!live.world.is_active_case(s))
                    .then(|| live.world.person_of(s).map(|p| p.0.to_owned()))?
            })
            .next()
            .context("no resident with a task in the busiest grid")?
    };
    let body = serde_json::json!({
        "subject": id_number,
        "status": "confirmed",
        "confirmed": tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai),
    })
    .to_string();
    let started = Instant::now();
    let mut post = TcpStream::connect(addr)?;
    write!(
        post,
        "POST /api/cases HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    let reader = std::thread::spawn(move || -> Result<(f64, String)> {
        let mut reply = String::new();
        post.read_to_string(&mut reply)?;
        Ok((started.elapsed().as_secs_f64() * 1000.0, reply))
    });
    let heard = loop {
        line.clear();
        if sse.read_line(&mut line)? == 0 {
            bail!("the event stream closed");
        }
        if line.starts_with("event: tasks") {
            break started.elapsed().as_secs_f64() * 1000.0;
        }
    };
    let (case_ms, reply) = reader
        .join()
        .map_err(|_| anyhow!("the POST thread failed"))??;
    let v: serde_json::Value =
        serde_json::from_str(reply.split("\r\n\r\n").nth(1).unwrap_or("")).unwrap_or_default();
    let created = v["changed"]["tasks_created"].as_u64().unwrap_or(0);
    let updated = v["changed"]["tasks_updated"].as_u64().unwrap_or(0);
    if !reply.starts_with("HTTP/1.1 200") {
        bail!(
            "adding the case answered {}",
            reply.lines().next().unwrap_or("")
        );
    }
    Ok((heard, case_ms, created, updated))
}

pub fn run(a: Args) -> Result<ExitCode> {
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("tracegrid-bench-serve"));
    let (drop, city) = crate::simulated_store(&dir, a.persons, a.days)?;
    // Each run works on a fresh copy: it adds users, tasks and a case.
    let (db, end) = crate::run_copy(&dir, &drop, &city, "serve-run.db")?;
    let config = Config {
        db: db.clone(),
        as_of: Some(tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai)),
        home_region: Some("330800".into()),
        ..Default::default()
    };
    let t = Instant::now();
    let app = App::build(config)?;
    let state = app.state().clone();
    let (alerts, sightings) = {
        let live = state.live();
        (live.screening.len(), live.world.sighting_count())
    };
    out!(
        "city: {} residents, {} sightings, {} alerts; loaded and screened in {:.1} s",
        crate::human::group(a.persons as u64),
        crate::human::group(sightings as u64),
        crate::human::group(alerts as u64),
        t.elapsed().as_secs_f64()
    );
    // An analyst, and a grid worker of the busiest grid (the scoped list filters every alert by
    // grid); users are read per request, so they may come after the server is built.
    let busiest = {
        let live = state.live();
        let mut by_grid = std::collections::BTreeMap::<&str, usize>::new();
        for a in live.screening.alerts() {
            if let Some(g) = live.grid_of(a.subject) {
                *by_grid.entry(g).or_default() += 1;
            }
        }
        by_grid
            .into_iter()
            .max_by_key(|&(_, n)| n)
            .map(|(g, _)| g.to_owned())
            .context("no alert has a grid")?
    };
    tracegrid_server::add_user(&db, "bench", "bench-password", Role::Analyst, &[], &[])?;
    let token = tracegrid_server::add_token(&db, "bench", "bench serve")?;
    tracegrid_server::add_user(
        &db,
        "bench-grid",
        "bench-password",
        Role::GridWorker,
        std::slice::from_ref(&busiest),
        &[],
    )?;
    let grid_token = tracegrid_server::add_token(&db, "bench-grid", "bench serve")?;

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?.to_string();
    rt.spawn(async move {
        let _ = app.serve(listener).await;
    });
    std::thread::sleep(Duration::from_millis(100));

    let alerts_page = "/api/alerts?purpose=bench&limit=50";
    let endpoints = [
        ("alerts page (50 of all, audited)", alerts_page.to_owned()),
        ("alerts page of a grid worker", alerts_page.to_owned()),
        (
            "alerts filtered (CLOSE_CONTACT)",
            format!("{alerts_page}&reason=CLOSE_CONTACT"),
        ),
        ("overview", "/api/overview".to_owned()),
        ("who am I (authentication only)", "/api/me".to_owned()),
        (
            "tasks page of a grid worker",
            "/api/tasks?purpose=bench&limit=100".to_owned(),
        ),
    ];
    out!("\none request at a time ({} samples each)", a.samples);
    out!(
        "  {:<36} {:>10} {:>10} {:>10}",
        "endpoint",
        "median ms",
        "p95 ms",
        "bytes"
    );
    let mut alerts_median = f64::NAN;
    let token_of = |name: &str| {
        if name.contains("grid worker") {
            &grid_token
        } else {
            &token
        }
    };
    for (name, path) in &endpoints {
        let r = time(&addr, path, token_of(name), a.samples)?;
        if *name == endpoints[0].0 {
            alerts_median = r.median_ms;
        }
        out!(
            "  {name:<36} {:>10.2} {:>10.2} {:>10}",
            r.median_ms,
            r.p95_ms,
            r.bytes
        );
    }
    let mut alerts_rps = f64::NAN;
    if a.wrk != "none" {
        out!(
            "\nunder load: wrk -t1 -c{} -d{}s from a second process, bearer token",
            a.connections,
            a.duration_s
        );
        out!(
            "  {:<36} {:>10} {:>10} {:>10} {:>8}",
            "endpoint",
            "req/s",
            "p50",
            "p99",
            "non-2xx"
        );
        for (name, path) in [&endpoints[0], &endpoints[1], &endpoints[4]] {
            let l = wrk(&a, &format!("http://{addr}{path}"), token_of(name))?;
            if *name == endpoints[0].0 {
                alerts_rps = l.rps;
            }
            out!(
                "  {name:<36} {:>10.0} {:>10} {:>10} {:>8}",
                l.rps,
                l.p50,
                l.p99,
                l.non_2xx
            );
        }
    }
    // From adding a case to a grid worker's open page hearing of its tasks.
    let (latency_ms, case_ms, created, updated) =
        case_to_tasks(&addr, &state, &busiest, (&token, &grid_token), end)?;
    out!(
        "\na new case reaches a grid worker's open page (server-sent event): {latency_ms:.0} ms \
         (the POST answered in {case_ms:.0} ms; {created} tasks made, {updated} given new reasons)"
    );

    out!("\ntargets");
    out!(
        "  alerts page median < 50 ms: {:.2} ms {}",
        alerts_median,
        if alerts_median < 50.0 { "✔" } else { "✘" }
    );
    if alerts_rps.is_finite() {
        out!(
            "  ≥ 2,000 authenticated requests/s: {:.0} req/s (alerts page, each audited) {}",
            alerts_rps,
            if alerts_rps >= 2000.0 { "✔" } else { "✘" }
        );
    }
    out!(
        "  a new case's tasks on the grid worker's page < 1 s: {latency_ms:.0} ms {}",
        if latency_ms < 1000.0 { "✔" } else { "✘" }
    );
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(ExitCode::SUCCESS)
}
