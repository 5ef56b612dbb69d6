//! `tracegrid bench gates`: scans at a gate on a simulated city, as a guard's phone sends them.
//! The server runs in this process; each scan is a `POST /api/v1/gate/scan` on a kept-alive
//! connection, one at a time, with passes of residents of every colour (a valid pass's scan is
//! kept as a gate sighting and screened before the answer), and passes that do not verify. The
//! peer in the same run is `GET /api/me` (authentication alone), so the ratio holds when the
//! machine's speed does not.

use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tracegrid_server::passes::Claims;
use tracegrid_server::{App, Config, Role};

use crate::out;
use crate::serve::answer;

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
    /// Scans timed of each kind.
    #[arg(long, default_value_t = 1000)]
    pub samples: usize,
}

/// One request on a kept-alive connection; its status.
fn request(
    conn: &mut BufReader<TcpStream>,
    method: &str,
    path: &str,
    token: &str,
    body: &str,
) -> Result<u16> {
    write!(
        conn.get_mut(),
        "{method} {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    Ok(answer(conn)?.0)
}

struct Timed {
    p50: f64,
    p95: f64,
    p99: f64,
}

fn time(
    addr: &str,
    token: &str,
    samples: usize,
    mut next: impl FnMut(usize) -> (&'static str, String, String),
) -> Result<Timed> {
    let mut conn = BufReader::new(TcpStream::connect(addr)?);
    conn.get_ref().set_nodelay(true)?;
    let mut ms = Vec::with_capacity(samples);
    for i in 0..samples + 20 {
        let (method, path, body) = next(i);
        let t = Instant::now();
        let status = request(&mut conn, method, &path, token, &body)?;
        if status != 200 {
            bail!("{method} {path} answered {status}");
        }
        // The first few warm the caches and the connection; they are not counted.
        if i >= 20 {
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    Ok(Timed {
        p50: crate::median(ms.clone()),
        p95: crate::quantile(ms.clone(), 95),
        p99: crate::quantile(ms, 99),
    })
}

pub fn run(a: Args) -> Result<ExitCode> {
    let dir = a
        .dir
        .clone()
        .unwrap_or_else(|| std::env::temp_dir().join("tracegrid-bench-gates"));
    let (drop, city) = crate::simulated_store(&dir, a.persons, a.days)?;
    // Each run works on a fresh copy: scans add sightings.
    let (db, end) = crate::run_copy(&dir, &drop, &city, "gates-run.db")?;
    let t = Instant::now();
    let app = App::build(Config {
        db: db.clone(),
        as_of: Some(tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai)),
        home_region: Some("330800".into()),
        ..Default::default()
    })?;
    let state = app.state().clone();
    // A gate, and residents of every colour to carry passes: the alerted first.
    let (gate, people) = {
        let live = state.live();
        let gate = live
            .places
            .keys()
            .filter(|p| p.starts_with("GATE-"))
            .min()
            .cloned()
            .context("the city has no gate")?;
        let mut people: Vec<String> = live
            .screening
            .alerts()
            .filter(|al| live.world.person_of(al.subject).is_some())
            .take(500)
            .map(|al| live.world.subject_name(al.subject).to_owned())
            .collect();
        let mut quiet: Vec<&String> = live.persons.keys().collect();
        quiet.sort();
        people.extend(quiet.into_iter().take(500).cloned());
        (gate, people)
    };
    out!(
        "city: {} residents, {} alerts; loaded in {:.1} s; scans at {gate} with passes of {} residents",
        crate::human::group(a.persons as u64),
        crate::human::group(state.live().screening.len() as u64),
        t.elapsed().as_secs_f64(),
        people.len()
    );
    tracegrid_server::add_user(
        &db,
        "bench-guard",
        "bench-password",
        Role::GateGuard,
        &[],
        std::slice::from_ref(&gate),
    )?;
    let token = tracegrid_server::add_token(&db, "bench-guard", "bench gates")?;
    let ring = state.keyring();
    let now_s = tracegrid_server::auth::now_ms() / 1000;
    let passes: Vec<String> = people
        .iter()
        .map(|p| {
            ring.sign(&Claims {
                sub: p.clone(),
                grid: String::new(),
                status: "green".into(),
                iat: now_s,
                exp: now_s + 3600,
            })
        })
        .collect();
    // A forged twin of each: the payload of one, the signature of another.
    let forged: Vec<String> = passes
        .iter()
        .zip(passes.iter().cycle().skip(1))
        .map(|(a, b)| {
            let (head, _) = a.rsplit_once('.').unwrap_or((a, ""));
            let (_, sig) = b.rsplit_once('.').unwrap_or((b, ""));
            format!("{head}.{sig}")
        })
        .collect();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let listener = rt.block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))?;
    let addr = listener.local_addr()?.to_string();
    rt.spawn(async move {
        let _ = app.serve(listener).await;
    });
    std::thread::sleep(Duration::from_millis(100));

    let scan =
        |pass: &str| serde_json::json!({"gate": gate, "pass": pass, "direction": "in"}).to_string();
    let me = time(&addr, &token, a.samples, |_| {
        ("GET", "/api/me".into(), String::new())
    })?;
    let valid = time(&addr, &token, a.samples, |i| {
        (
            "POST",
            "/api/v1/gate/scan".into(),
            scan(&passes[i % passes.len()]),
        )
    })?;
    let refused = time(&addr, &token, a.samples, |i| {
        (
            "POST",
            "/api/v1/gate/scan".into(),
            scan(&forged[i % forged.len()]),
        )
    })?;
    out!(
        "\none request at a time on a kept-alive connection ({} samples each)",
        a.samples
    );
    out!(
        "  {:<46} {:>9} {:>9} {:>9} {:>8}",
        "request",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "p99 ×me"
    );
    for (name, r) in [
        ("who am I (authentication only: the peer)", &me),
        ("scan of a valid pass (kept and screened)", &valid),
        ("scan of a forged pass (refused)", &refused),
    ] {
        out!(
            "  {name:<46} {:>9.2} {:>9.2} {:>9.2} {:>8.1}",
            r.p50,
            r.p95,
            r.p99,
            r.p99 / me.p99
        );
    }
    out!("\ntargets");
    out!(
        "  server-side scan verdict p99 < 5 ms: {:.2} ms {}",
        valid.p99,
        if valid.p99 < 5.0 { "✔" } else { "✘" }
    );
    rt.shutdown_timeout(Duration::from_secs(2));
    Ok(ExitCode::SUCCESS)
}
