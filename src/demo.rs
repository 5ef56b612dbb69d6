//! `tracegrid demo`: simulates a city through an outbreak, imports its data, screens it at the
//! end of the simulated period, and measures the alerts against what really happened: how many
//! hidden infections (infected, not yet confirmed) the alerts reach, how many before symptoms,
//! and at what workload.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use tracegrid_engine::ScreenParams;
use tracegrid_ingest::{Encoding, Options, RejectsTarget};

use tracegrid_server::Role;

use crate::import::group;

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
}

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
    println!(
        "tracegrid demo — a synthetic Quzhou of {} residents over {} days, seed {}\n",
        group(args.knobs.persons as u64),
        args.knobs.days,
        args.knobs.seed
    );

    let t = Instant::now();
    let sim = tracegrid_sim::simulate(&args.knobs.params(), &drop_dir)?;
    let t_sim = secs(t);

    let t = Instant::now();
    let opts = Options {
        tz: chrono_tz::Asia::Shanghai,
        encoding: Encoding::Utf8,
        rejects: RejectsTarget::IfAny(dir.join("rejects.csv")),
        batch_rows: None,
    };
    let (summary, store) =
        tracegrid_ingest::import(&drop_dir, tracegrid_store::open(&db)?, &opts, &mut ())
            .context("importing the simulated drop")?;
    drop(store);
    let t_import = secs(t);

    let t = Instant::now();
    let (world, registry) = crate::screen::load_with_registry(&db)?;
    let t_index = secs(t);
    let t = Instant::now();
    let params = ScreenParams {
        as_of: sim.end,
        lookback_days: 14,
        home_region: world.region("330800"),
    };
    let screen = world.screen(&params);
    let t_screen = format!("{:.0} ms", t.elapsed().as_secs_f64() * 1000.0);

    // What really happened.
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop_dir.join("truth.json"))?)?;
    let end = sim.end;
    struct Inf {
        route: String,
        onset: i64,
        asymptomatic: bool,
    }
    let mut hidden: HashMap<String, Inf> = HashMap::new();
    let mut confirmed_by_end = 0;
    let mut infected_by_end = 0;
    for i in truth["infections"].as_array().into_iter().flatten() {
        if i["infected_at"].as_i64().unwrap_or(i64::MAX) > end {
            continue;
        }
        infected_by_end += 1;
        if i["confirmed"].as_i64().is_some_and(|c| c <= end) {
            confirmed_by_end += 1;
            continue;
        }
        hidden.insert(
            i["person_id"].as_str().unwrap_or("").to_owned(),
            Inf {
                route: i["route"].as_str().unwrap_or("").to_owned(),
                onset: i["onset"].as_i64().unwrap_or(0),
                asymptomatic: i["asymptomatic"].as_bool().unwrap_or(false),
            },
        );
    }
    let rank: HashMap<&str, usize> = screen
        .alerts
        .iter()
        .enumerate()
        .map(|(k, a)| (world.subject_name(a.subject), k))
        .collect();
    let reached: HashSet<&str> = hidden
        .keys()
        .filter(|p| rank.contains_key(p.as_str()))
        .map(String::as_str)
        .collect();
    let before_onset = reached
        .iter()
        .filter(|p| hidden[**p].onset > end && !hidden[**p].asymptomatic)
        .count();
    let presymptomatic = hidden
        .values()
        .filter(|i| i.onset > end && !i.asymptomatic)
        .count();
    let pct = |a: usize, b: usize| {
        if b == 0 {
            "-".to_owned()
        } else {
            format!("{:.0}%", 100.0 * a as f64 / b as f64)
        }
    };
    // Per reason: alerts that carry it, and how many of those are hidden infections.
    let mut by_code: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for a in &screen.alerts {
        let infected = hidden.contains_key(world.subject_name(a.subject));
        let codes: HashSet<&str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
        for c in codes {
            let e = by_code.entry(c).or_default();
            e.0 += 1;
            e.1 += usize::from(infected);
        }
    }

    println!("The data");
    println!(
        "  {} rows imported in {} ({} rejected); {} sightings in the index",
        group(summary.accepted),
        t_import,
        group(summary.rejected),
        group(world.sighting_count() as u64)
    );
    println!(
        "  {} infections by {} ({} confirmed cases, {} hidden: infected, not yet confirmed)\n",
        group(infected_by_end as u64),
        tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai),
        confirmed_by_end,
        hidden.len()
    );
    println!("Screening at the end of the period (14-day lookback, home region 衢州市 330800)");
    println!("  {} alerts", group(screen.alerts.len() as u64));
    println!(
        "    {:<20} {:>8}  {:>18}",
        "reason", "alerts", "hidden infections"
    );
    for (code, (n, hits)) in &by_code {
        println!(
            "    {code:<20} {:>8}  {:>10} {:>7}",
            group(*n as u64),
            group(*hits as u64),
            pct(*hits, *n)
        );
    }
    println!();
    println!("What the alerts reach");
    println!(
        "  hidden infections reached      {:>6} of {:<6} {}",
        reached.len(),
        hidden.len(),
        pct(reached.len(), hidden.len())
    );
    println!(
        "  … before symptom onset         {:>6} of {:<6} {}",
        before_onset,
        presymptomatic,
        pct(before_onset, presymptomatic)
    );
    let mut routes: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (p, i) in &hidden {
        let e = routes.entry(i.route.as_str()).or_default();
        e.1 += 1;
        if reached.contains(p.as_str()) {
            e.0 += 1;
        }
    }
    for (route, (r, n)) in &routes {
        println!(
            "    infected by {route:<12}       {r:>6} of {n:<6} {}",
            pct(*r, *n)
        );
    }
    for k in [100, 500, 1000, 5000] {
        if k > screen.alerts.len() && k != 100 {
            break;
        }
        let within = reached.iter().filter(|p| rank[**p] < k).count();
        println!(
            "  within the top {k:<5} alerts      {within:>6} of {:<6} {}",
            hidden.len(),
            pct(within, hidden.len())
        );
    }
    println!(
        "  workload: {} alerts per hidden infection reached",
        if reached.is_empty() {
            "-".to_owned()
        } else {
            format!("{:.1}", screen.alerts.len() as f64 / reached.len() as f64)
        }
    );
    println!();
    println!("Time: simulate {t_sim}, import {t_import}, build index {t_index}, screen {t_screen}");
    println!(
        "\nThe drop is in {} (with truth.json); the store is {db}.",
        drop_dir.display()
    );
    let as_of = tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai);
    println!("Try: tracegrid --db {db} screen --as-of '{as_of}' | head");
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
    let config = tracegrid_server::Config {
        db: db.clone(),
        listen: args.listen.clone(),
        as_of: Some(as_of),
        home_region: Some("330800".into()),
        ..Default::default()
    };
    let live = tracegrid_server::Live::build(&config, world, registry)?;
    let app = tracegrid_server::App::with_live(config, live)?;
    let tasks = app.state().board.with(|t| t.all())?;
    let mine = tasks
        .iter()
        .filter(|t| t.grid_code.is_some() && t.grid_code == busiest_grid)
        .count();
    println!(
        "\n{} grid tasks made from the alerts ({} unrouted); the grid worker's grid has {mine}.",
        group(tasks.len() as u64),
        group(tasks.iter().filter(|t| t.grid_code.is_none()).count() as u64),
    );
    println!(
        "\nThe command centre: log in as admin, analyst or viewer{} with the password {password}",
        busiest_grid.as_deref().map_or(String::new(), |g| format!(
            ", or as grid (a grid worker of grid {g})"
        ))
    );
    crate::serve::tracing_init();
    crate::serve::serve(app, &args.listen)
}
