//! `tracegrid demo`: simulates a city through an outbreak, imports its data, screens it at the
//! end of the simulated period, and measures the alerts against what really happened: how many
//! hidden infections (infected, not yet confirmed) the alerts reach, how many before symptoms,
//! and at what workload.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use tracegrid_bench::human::group;
use tracegrid_bench::out;
use tracegrid_bench::truth::Score;
use tracegrid_city::{City, Settings, load_world};
use tracegrid_ingest::{Encoding, Options, RejectsTarget};
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
    out!(
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
    let (world, registry) = load_world(&db)?;
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
        "  {} infections by {} ({} confirmed cases, {} hidden: infected, not yet confirmed)\n",
        group(score.infected_by_end as u64),
        tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai),
        score.confirmed_by_end,
        score.hidden
    );
    out!("Screening at the end of the period (14-day lookback, home region 衢州市 330800)");
    out!("  {} alerts", group(screen.alerts.len() as u64));
    score.print()?;
    out!();
    out!("Time: simulate {t_sim}, import {t_import}, build index {t_index}, screen {t_screen}");
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
        "\nThe command centre: log in as admin, analyst or viewer{} with the password {password}",
        busiest_grid.as_deref().map_or(String::new(), |g| format!(
            ", or as grid (a grid worker of grid {g})"
        ))
    );
    crate::serve::tracing_init();
    crate::serve::serve(app, &args.listen)
}
