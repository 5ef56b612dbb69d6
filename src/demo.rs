//! `tracegrid demo`: simulates a city through an outbreak, imports its data, screens it at the
//! end of the simulated period, and measures the alerts against what really happened: how many
//! hidden infections (infected, not yet confirmed) the alerts reach, how many before symptoms,
//! and at what workload.
//!
//! With `--live HOURS`, the last hours of the simulated period are held back from the import
//! and sent through the server's feeds while it serves (CONTRACT.md section 6.1), in time order
//! at `--speed` simulated seconds a real second, so that a newcomer watches alerts and grid
//! tasks appear as the rows come in.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Result;
use tracegrid_bench::human::group;
use tracegrid_bench::out;
use tracegrid_bench::truth::Score;
use tracegrid_city::{City, Settings, load_world};
use tracegrid_server::Role;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Where to put the drop and the store (default: a fresh temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[command(flatten)]
    pub knobs: crate::sim::Knobs,
    /// Print the results and stop, rather than serving the command centre on the city.
    #[arg(long)]
    pub no_serve: bool,
    /// Where the command centre listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Hold back the last HOURS of the period and feed them while serving.
    #[arg(long, value_name = "HOURS")]
    pub live: Option<i64>,
    /// Simulated seconds fed a real second (with --live): 60 feeds an hour a minute.
    #[arg(long, default_value_t = 60.0)]
    pub speed: f64,
}

/// The largest city the demo computes the simulator's reference ranking for.
const REFERENCE_UP_TO: usize = 500_000;

fn secs(t: Instant) -> String {
    format!("{:.1} s", t.elapsed().as_secs_f64())
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tracegrid-demo-{}", std::process::id()))
    });
    let drop_dir = dir.join("drop");
    let _ = std::fs::remove_dir_all(&drop_dir);
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("demo.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let db = db.to_string_lossy().into_owned();
    let sim_params = args.knobs.params()?;
    let quzhou = args.knobs.scenario == "quzhou-2020";
    out!(
        "tracegrid demo — a synthetic Quzhou of {} residents over {} days, seed {}{}\n",
        group(sim_params.persons as u64),
        sim_params.days,
        sim_params.seed,
        if args.knobs.scenario == "default" {
            String::new()
        } else {
            format!(", scenario {}", args.knobs.scenario)
        }
    );

    let t = Instant::now();
    // The reference ranking keeps every co-presence in memory: for cities up to this size.
    let with_reference = sim_params.persons <= REFERENCE_UP_TO;
    let sim = if with_reference {
        tracegrid_sim::simulate_with_reference(&sim_params, &drop_dir)?
    } else {
        tracegrid_sim::simulate(&sim_params, &drop_dir)?
    };
    let t_sim = secs(t);

    // Live: the last hours are held back, to be fed once the server runs.
    let (import_dir, held) = match args.live {
        Some(hours) if hours > 0 && args.no_serve => {
            anyhow::bail!("--live feeds a serving demo: leave out --no-serve")
        }
        Some(hours) if hours > 0 => {
            if args.speed.is_nan() || args.speed <= 0.0 {
                anyhow::bail!("--speed must be above 0, not {}", args.speed);
            }
            let base = dir.join("drop-before-live");
            let _ = std::fs::remove_dir_all(&base);
            let held = tracegrid_bench::replay::split(
                &drop_dir,
                sim.end - hours * 3_600_000,
                chrono_tz::Asia::Shanghai,
                &base,
            )?;
            (base, Some((hours, held)))
        }
        _ => (drop_dir.clone(), None),
    };
    let t = Instant::now();
    let summary = tracegrid_bench::import_simulated(&import_dir, &db, &dir)?;
    let t_import = secs(t);

    let t = Instant::now();
    let (mut world, registry) = load_world(&db)?;
    let t_index = secs(t);
    let t = Instant::now();
    let as_of = tracegrid_model::format_time(sim.end, chrono_tz::Asia::Shanghai);
    let settings = Settings::read(Some(&as_of), 14, Some("330800"), "Asia/Shanghai")?;
    let params = settings.params(&world, sim.end)?;
    let screen = world.screen(&params);
    let t_screen = format!("{:.0} ms", t.elapsed().as_secs_f64() * 1000.0);

    // What really happened.
    let end = sim.end;
    let score = Score::measure(&drop_dir.join("truth.json"), &world, &screen.alerts, end)?;

    out!("The data");
    out!(
        "  {} rows imported in {} ({} rejected); {} sightings in the index",
        group(summary.accepted),
        t_import,
        group(summary.rejected),
        group(world.sighting_count() as u64)
    );
    out!(
        "  {} residents back from Wuhan by train, {} of them infected there",
        group(sim.returnees as u64),
        sim.seeds
    );
    out!(
        "  {} infections by {} ({} confirmed cases, {} hidden: infected, not yet confirmed)\n",
        group(score.infected_by_end as u64),
        tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai),
        score.confirmed_by_end,
        score.hidden
    );
    if let Some((hours, held)) = &held {
        out!(
            "  (live: the last {hours} h, {} rows, are held back and fed once the server runs)\n",
            group(held.len() as u64)
        );
    }
    out!("Screening at the end of the period (14-day lookback, home region 衢州市 330800)");
    out!("  {} alerts", group(screen.alerts.len() as u64));
    score.print()?;
    if with_reference {
        // The first calls against the simulator's reference (tracegrid bench ranking).
        let truth: serde_json::Value =
            serde_json::from_slice(&std::fs::read(drop_dir.join("truth.json"))?)?;
        let m = tracegrid_bench::ranking::compare(
            "demo",
            &truth,
            &world,
            &screen.alerts,
            end,
            sim.infections,
        );
        if m.hidden > 0 {
            out!("  against the simulator's reference ranking (tracegrid bench ranking):");
        }
        for &(k, ours, reference, before) in [&m.recall[0], &m.recall[3]]
            .into_iter()
            .filter(|_| m.hidden > 0)
        {
            out!(
                "    first {:>6} alerts: {ours} hidden infections, the reference {reference} ({:.0}%), the score before issue 17 {before}",
                group(k as u64),
                100.0 * ours as f64 / reference.max(1) as f64
            );
        }
    }
    let mut t_replay = String::new();
    if quzhou {
        let t = Instant::now();
        let moments = tracegrid_bench::quzhou::day_ends(sim.start, sim_params.days);
        let replay =
            tracegrid_bench::quzhou::replay(&mut world, &registry.cases, &params, &moments);
        let ours =
            tracegrid_bench::quzhou::Ours::count(&world, &replay, sim.persons, summary.accepted);
        let routes = tracegrid_bench::quzhou::routes(&drop_dir.join("truth.json"))?;
        tracegrid_bench::quzhou::print(&ours, &replay, &routes, chrono_tz::Asia::Shanghai)?;
        t_replay = format!(", replay {}", secs(t));
    }
    out!();
    out!(
        "Time: simulate {t_sim}, import {t_import}, build index {t_index}, screen {t_screen}{t_replay}"
    );
    out!(
        "\nThe drop is in {} (with truth.json); the store is {db}.",
        drop_dir.display()
    );
    out!("Try: tracegrid --db {db} screen --as-of '{as_of}' | head");
    if args.no_serve {
        return Ok(ExitCode::SUCCESS);
    }

    // The command centre on the same city, screened at the same moment.
    let busiest_grid = screen
        .alerts
        .iter()
        .filter_map(|a| world.person_of(a.subject).and_then(|p| p.2))
        .fold(BTreeMap::<&str, usize>::new(), |mut m, g| {
            *m.entry(g).or_default() += 1;
            m
        })
        .into_iter()
        .max_by_key(|&(_, n)| n)
        .map(|(g, _)| g.to_owned());
    let password = tracegrid_server::auth::new_token("")?[..12].to_owned();
    let mut logins = vec![
        ("admin", Role::Admin),
        ("analyst", Role::Analyst),
        ("epi", Role::Epidemiologist),
        ("viewer", Role::Viewer),
    ];
    if busiest_grid.is_some() {
        logins.push(("grid", Role::GridWorker));
    }
    let grids: Vec<String> = busiest_grid.iter().cloned().collect();
    for (name, role) in &logins {
        let g: &[String] = if *role == Role::GridWorker {
            &grids
        } else {
            &[]
        };
        tracegrid_server::add_user(&db, name, &password, *role, g, &[])?;
    }
    // A gate guard at a gate of that grid, and a resident of it to sign in by phone.
    let gate = busiest_grid.as_deref().and_then(|g| {
        registry
            .places
            .iter()
            .filter(|p| {
                p.kind == tracegrid_model::PlaceKind::Gate && p.grid_code.as_deref() == Some(g)
            })
            .map(|p| p.place_id.clone())
            .min()
    });
    if let Some(gate) = &gate {
        tracegrid_server::add_user(
            &db,
            "guard",
            &password,
            Role::GateGuard,
            &[],
            std::slice::from_ref(gate),
        )?;
    }
    let resident = busiest_grid.as_deref().and_then(|g| {
        let mut phones = BTreeMap::<&str, usize>::new();
        for p in &registry.persons {
            if let Some(ph) = p.phone.as_deref() {
                *phones.entry(ph).or_default() += 1;
            }
        }
        registry
            .persons
            .iter()
            .filter(|p| p.grid_code.as_deref() == Some(g))
            .filter_map(|p| Some((p.person_id.clone(), p.phone.clone()?)))
            .filter(|(_, ph)| phones.get(ph.as_str()) == Some(&1))
            .min()
    });
    // Live, the command centre starts where the held-back hours begin and its clock follows the
    // feed, so that cases confirmed during them meet alerts raised before them.
    let (as_of, settings) = match &held {
        Some((hours, _)) => {
            let from =
                tracegrid_model::format_time(end - hours * 3_600_000, chrono_tz::Asia::Shanghai);
            let settings = Settings::read(Some(&from), 14, Some("330800"), "Asia/Shanghai")?;
            (from, settings)
        }
        None => (as_of, settings),
    };
    let config = tracegrid_server::Config {
        db: db.clone(),
        listen: args.listen.clone(),
        as_of: Some(as_of),
        home_region: Some("330800".into()),
        ..Default::default()
    };
    let city = City::build(settings, world, registry, end)?;
    let app = tracegrid_server::App::with_loaded(config, city)?;
    let tasks = app.state().city.board.with(|t| t.all())?;
    let mine = tasks
        .iter()
        .filter(|t| t.grid_code.is_some() && t.grid_code == busiest_grid)
        .count();
    out!(
        "\n{} grid tasks made from the alerts ({} unrouted); the grid worker's grid has {mine}.",
        group(tasks.len() as u64),
        group(tasks.iter().filter(|t| t.grid_code.is_none()).count() as u64),
    );
    out!(
        "\nThe command centre: log in as admin, analyst, epi (an epidemiologist) or viewer{} with the password {password}",
        busiest_grid.as_deref().map_or(String::new(), |g| format!(
            ", or as grid (a grid worker of grid {g})"
        ))
    );
    if let Some(gate) = &gate {
        out!(
            "The gate guard's scanner: log in as guard (gate {gate}) with the same password, on a \
             phone; the visitors' poster is http://{}/visit?gate={gate}&poster=1",
            args.listen
        );
    }
    if let Some((person, phone)) = &resident {
        let code = tracegrid_server::auth::add_resident_code(&db, phone, 24)?;
        out!(
            "A resident's pass: open http://{}/me on a phone and sign in as {person} with phone \
             {phone} and code {code} (one use, 24 h)",
            args.listen
        );
    }
    if let Some((hours, held)) = held {
        tracegrid_server::add_user(&db, "feed", &password, Role::Feeder, &[], &[])?;
        let token = tracegrid_server::add_token(&db, "feed", "demo --live")?;
        tracegrid_server::add_user(&db, "clock", &password, Role::Analyst, &[], &[])?;
        let clock =
            tracegrid_server::add_token(&db, "clock", "demo --live: the screening's clock")?;
        let listen = args.listen.clone();
        let speed = args.speed;
        let from = end - hours * 3_600_000;
        out!(
            "\nLive: feeding the last {hours} h ({} rows) through POST /api/v1/feeds at {speed}× \
             ({:.1} min); watch the Feeds page, the alerts and the grid worker's tasks.",
            group(held.len() as u64),
            hours as f64 * 60.0 / speed
        );
        std::thread::spawn(move || {
            if let Err(e) = feed_live(&listen, (&token, &clock), &held, (from, end), speed) {
                eprintln!("tracegrid demo --live: feeding stopped: {e:#}");
            }
        });
    }
    crate::serve::tracing_init();
    crate::serve::serve(app, &args.listen)
}

/// The screening's clock moves on when the replayed clock has gone this far (simulated ms).
const CLOCK_STEP: tracegrid_model::Millis = 10 * 60_000;

/// Sends a request to the demo's own server until it answers 200.
fn send(listen: &str, head: &str, token: &str, kind: &str, body: &str) {
    use std::io::{Read, Write};
    loop {
        let answered = (|| -> std::io::Result<bool> {
            let mut s = std::net::TcpStream::connect(listen)?;
            write!(
                s,
                "{head} HTTP/1.1\r\nHost: demo\r\nAuthorization: Bearer {token}\r\n\
                 Content-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )?;
            s.write_all(body.as_bytes())?;
            let mut reply = String::new();
            s.read_to_string(&mut reply)?;
            Ok(reply.starts_with("HTTP/1.1 200"))
        })();
        if let Ok(true) = answered {
            return;
        }
        // The server may still be starting, or behind.
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// Sends the held rows through the server's HTTP feed: every second, the rows whose time the
/// replayed clock has passed, one message a kind; and, every [`CLOCK_STEP`] of it, moves the
/// screening's moment to the replayed clock (`POST /api/screen`), as a server following the
/// clock would.
fn feed_live(
    listen: &str,
    (token, clock_token): (&str, &str),
    held: &[tracegrid_bench::replay::Held],
    (from, until): (tracegrid_model::Millis, tracegrid_model::Millis),
    speed: f64,
) -> Result<()> {
    let started = Instant::now();
    let mut next = 0;
    let mut sent = 0u64;
    let mut last_said = Instant::now();
    let mut moment = from;
    let move_to = |at: tracegrid_model::Millis| {
        let body = serde_json::json!({
            "as_of": tracegrid_model::format_time(at, chrono_tz::Asia::Shanghai)
        })
        .to_string();
        send(
            listen,
            "POST /api/screen",
            clock_token,
            "application/json",
            &body,
        );
    };
    while next < held.len() {
        std::thread::sleep(std::time::Duration::from_secs(1));
        let clock = (from + (started.elapsed().as_secs_f64() * speed * 1000.0) as i64).min(until);
        if clock - moment >= CLOCK_STEP {
            moment = clock;
            move_to(moment);
        }
        let end = next + held[next..].partition_point(|h| h.at <= clock);
        let mut by_kind: BTreeMap<&str, String> = BTreeMap::new();
        for h in &held[next..end] {
            let body = by_kind.entry(h.kind).or_default();
            body.push_str(&h.line);
            body.push('\n');
        }
        for (kind, body) in by_kind {
            send(
                listen,
                &format!("POST /api/v1/feeds/{kind}"),
                token,
                "application/x-ndjson",
                &body,
            );
        }
        sent += (end - next) as u64;
        next = end;
        if last_said.elapsed().as_secs() >= 30 || next == held.len() {
            last_said = Instant::now();
            eprintln!(
                "demo --live: fed {} rows, up to {}",
                group(sent),
                tracegrid_model::format_time(
                    clock.min(held[held.len() - 1].at),
                    chrono_tz::Asia::Shanghai
                )
            );
        }
    }
    move_to(until);
    eprintln!("demo --live: every held-back row is fed; the screen is the whole period's.");
    Ok(())
}
