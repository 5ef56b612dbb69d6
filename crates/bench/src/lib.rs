//! Measurement: the benchmarks (`tracegrid bench import|engine|compare|serve`), the real-data
//! check on the DS4C routes (`tracegrid ds4c`), and the demo's score of the alerts against the
//! simulator's truth ([`truth`]). The binary calls it; nothing here is on a path a user's
//! answer depends on.
//!
//! `bench import` generates a drop of many event rows and imports it, measuring rows per second
//! and peak memory. The import runs as a child process (`tracegrid import --json`) exactly as a
//! user runs it, so the figures include opening the store and committing.

pub mod compare;
pub mod ds4c;
pub mod feeds;
pub mod gates;
pub mod human;
pub mod quzhou;
pub mod ranking;
pub mod replay;
pub mod serve;
pub mod truth;

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use tracegrid_model::IdNumber;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub what: What,
}

#[derive(Debug, clap::Subcommand)]
pub enum What {
    /// Import throughput into SQLite and PostgreSQL.
    Import(ImportArgs),
    /// Screening speed on a simulated city: load, index build, screen, trace, add a case.
    Engine(EngineArgs),
    /// The same questions asked of tracegrid, PostgreSQL + PostGIS and DuckDB, answers checked.
    Compare(crate::compare::Args),
    /// The command centre's API: the alerts page's latency and authenticated requests a second.
    Serve(crate::serve::Args),
    /// The live feeds while the server serves: rows a second over HTTP, MQTT and JetStream,
    /// row → screen and row → task latencies, the fed city checked against its files.
    Feeds(crate::feeds::Args),
    /// Scans at a gate: the server's verdict on valid and forged passes, one at a time.
    Gates(crate::gates::Args),
    /// The alerts' order against the simulator's reference ranking: hidden infections within
    /// the first K alerts, and the score's calibration as a probability.
    Ranking(crate::ranking::Args),
    /// Load a store into the index and print the process's memory as JSON (for compare).
    #[command(hide = true)]
    Resident {
        #[arg(long)]
        db: String,
    },
    /// Only write the generated drop (for tests and for measuring by hand).
    #[command(hide = true)]
    Generate(GenerateArgs),
}

#[derive(Debug, clap::Args)]
pub struct EngineArgs {
    /// Residents of the simulated city (430000 gives about 30 million sightings in 21 days).
    #[arg(long, default_value_t = 100_000)]
    pub persons: usize,
    #[arg(long, default_value_t = 21)]
    pub days: i64,
    /// Working directory; a drop and store already there from the same size are reused.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Also load the same drop from this PostgreSQL server (a fresh schema, dropped after).
    #[arg(long)]
    pub postgres: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    #[arg(long)]
    pub rows: u64,
    #[arg(long, default_value_t = 1000)]
    pub persons: u64,
    #[arg(long)]
    pub dir: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// Event rows in the generated drop.
    #[arg(long, default_value_t = 5_000_000)]
    pub rows: u64,
    /// Persons in the generated registry.
    #[arg(long, default_value_t = 200_000)]
    pub persons: u64,
    /// PostgreSQL server to measure too (a fresh schema is made and dropped); "none" to skip.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres: String,
    /// Runs of each first import; the median is reported.
    #[arg(long, default_value_t = 3)]
    pub repeat: usize,
    /// Working directory for the drop and the SQLite store (default: a temporary one).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.what {
        What::Import(a) => import(a),
        What::Engine(a) => engine(a),
        What::Compare(a) => crate::compare::run(a),
        What::Serve(a) => crate::serve::run(a),
        What::Feeds(a) => crate::feeds::run(a),
        What::Gates(a) => crate::gates::run(a),
        What::Ranking(a) => crate::ranking::run(a),
        What::Resident { db } => {
            let world = load(&db)?;
            out!(
                "{}",
                serde_json::json!({"sightings": world.sighting_count(),
                    "rss_mb": crate::human::rss_mb(), "peak_rss_mb": crate::human::peak_rss_mb()})
            );
            Ok(ExitCode::SUCCESS)
        }
        What::Generate(a) => {
            generate(&a.dir, a.rows, a.persons)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A resident ID for person number `n`, distinct for distinct `n`.
fn id_number(n: u64) -> String {
    // Distinct for every n below 10^11; only the check digit is a rule of the contract.
    IdNumber::complete(&format!("330802{n:011}"))
}

/// Writes a drop: regions, places and persons, then `rows` events spread over sightings,
/// hotel stays and internet-café sessions in files of a million rows.
pub fn generate(dir: &Path, rows: u64, persons: u64) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let file = |name: &str| -> Result<BufWriter<std::fs::File>> {
        Ok(BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(dir.join(name))?,
        ))
    };
    let mut w = file("regions.csv")?;
    writeln!(
        w,
        "code,name,parent_code,level\n330800,衢州市,,city\n330802,柯城区,330800,county"
    )?;
    const PLACES: u64 = 20_000;
    let mut w = file("places.csv")?;
    writeln!(w, "place_id,kind,name,lat,lon,region_code,grid_code")?;
    let kinds = [
        "shop",
        "restaurant",
        "workplace",
        "internet_cafe",
        "hotel",
        "bus",
        "market",
        "gate",
    ];
    for p in 0..PLACES {
        writeln!(
            w,
            "PL{p:06},{},场所{p},28.9{},118.8{},330802,",
            kinds[(p % 8) as usize],
            p % 10,
            p % 7
        )?;
    }
    w.flush()?;
    let mut w = file("persons.csv")?;
    writeln!(
        w,
        "person_id,id_number,name,phone,household_id,address,grid_code"
    )?;
    for n in 0..persons {
        writeln!(
            w,
            "P{n:07},{},居民{n},1{:010},H{:06},,",
            id_number(n),
            3_800_000_000 + n,
            n / 3
        )?;
    }
    w.flush()?;
    // A cheap deterministic mix so that subjects, places and times spread like a city's.
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let per_file = 1_000_000u64;
    let day0 = 1_579_190_400_000i64; // 2020-01-17T00:00:00+08:00
    let mut written = 0u64;
    let mut part = 0;
    while written < rows {
        let n = per_file.min(rows - written);
        let (name, header) = match part % 4 {
            0 | 1 => (
                format!("sightings-{part:03}.csv"),
                "source,subject_type,subject,place_id,start,end,record_id",
            ),
            2 => (
                format!("hotel_stays-{part:03}.csv"),
                "id_number,place_id,checkin,checkout,record_id",
            ),
            _ => (
                format!("netcafe_sessions-{part:03}.csv"),
                "id_number,place_id,start,end,record_id",
            ),
        };
        let mut w = file(&name)?;
        writeln!(w, "{header}")?;
        for i in 0..n {
            let r = next();
            let person = r % persons;
            let place = (r >> 20) % PLACES;
            let start = day0 + ((r >> 36) % (14 * 86_400)) as i64 * 1000;
            let dur = 300_000 + ((r >> 8) % 7200) as i64 * 1000;
            let fmt = |t: i64| {
                chrono::DateTime::from_timestamp_millis(t + 8 * 3_600_000)
                    .expect("in range")
                    .format("%Y-%m-%d %H:%M:%S")
                    .to_string()
            };
            let rid = written + i;
            match part % 4 {
                // Half the sightings carry a record_id, half are keyed by content.
                0 | 1 if i % 2 == 0 => writeln!(
                    w,
                    "wifi,person_id,P{person:07},PL{place:06},{},{},W{rid}",
                    fmt(start),
                    fmt(start + dur)
                )?,
                0 | 1 => writeln!(
                    w,
                    "bus_card,id_number,{},PL{place:06},{},{},",
                    id_number(person),
                    fmt(start),
                    fmt(start + dur)
                )?,
                _ => writeln!(
                    w,
                    "{},PL{place:06},{},{},R{rid}",
                    id_number(person),
                    fmt(start),
                    fmt(start + dur)
                )?,
            }
        }
        w.flush()?;
        written += n;
        part += 1;
    }
    Ok(())
}

pub(crate) struct Run {
    pub seconds: f64,
    rows: u64,
    accepted: u64,
    duplicates: u64,
    peak_rss_mb: f64,
    /// The importer's own figure: all rows over the import's time, store open excluded.
    import_rows_per_second: u64,
}

pub(crate) fn run_import(db: &str, drop: &Path) -> Result<Run> {
    let exe = std::env::current_exe()?;
    let t = Instant::now();
    let out = Command::new(exe)
        .args(["--db", db, "import", "--json"])
        .arg(drop)
        .output()
        .context("running tracegrid import")?;
    let seconds = t.elapsed().as_secs_f64();
    if !out.status.success() {
        bail!("import failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let n = |k: &str| v[k].as_u64().unwrap_or(0);
    Ok(Run {
        seconds,
        rows: n("accepted") + n("rejected") + n("duplicates"),
        accepted: n("accepted"),
        duplicates: n("duplicates"),
        peak_rss_mb: v["peak_rss_mb"].as_f64().unwrap_or(0.0),
        import_rows_per_second: n("rows_per_second"),
    })
}

fn report(store: &str, what: &str, r: &Run, events: u64, size_mb: Option<f64>) -> Result<()> {
    let rate = events as f64 / r.seconds;
    out!(
        "{store:<11} {what:<9} {:>10} rows  {:>6.2} s  {:>8} event rows/s (process)  {:>8} rows/s (importer)  accepted {:>10}  duplicates {:>10}  peak RSS {:>6.0} MiB{}",
        crate::human::group(r.rows),
        r.seconds,
        crate::human::group(rate as u64),
        crate::human::group(r.import_rows_per_second),
        crate::human::group(r.accepted),
        crate::human::group(r.duplicates),
        r.peak_rss_mb,
        size_mb.map_or(String::new(), |s| format!("  store {s:.0} MiB")),
    );
    Ok(())
}

/// Runs `once` `n` times (it must start from a fresh store each time) and keeps the run of
/// median duration: this machine's timings vary by tens of percent from run to run.
fn median_run(n: usize, mut once: impl FnMut() -> Result<Run>) -> Result<Run> {
    let mut runs = (0..n.max(1)).map(|_| once()).collect::<Result<Vec<_>>>()?;
    runs.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    Ok(runs.swap_remove(runs.len() / 2))
}

fn import(a: ImportArgs) -> Result<ExitCode> {
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tracegrid-bench-{}", std::process::id()))
    });
    let drop = dir.join("drop");
    let t = Instant::now();
    generate(&drop, a.rows, a.persons)?;
    out!(
        "Generated a drop of {} event rows and {} persons in {:.1} s ({})",
        crate::human::group(a.rows),
        crate::human::group(a.persons),
        t.elapsed().as_secs_f64(),
        drop.display()
    );
    out!(
        "First imports into a fresh store, median of {} runs. \"process\" is event rows over the\n\
         whole command's wall time (start, store open, registries, final checkpoint);\n\
         \"importer\" is all rows over the import itself, as `import --json` reports it.\n",
        a.repeat
    );

    let db = dir.join("bench.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let db_s = db.to_string_lossy().into_owned();
    let first = median_run(a.repeat, || {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{db_s}{suffix}"));
        }
        run_import(&db_s, &drop)
    })?;
    let size = |p: &Path| {
        std::fs::metadata(p)
            .map(|m| m.len() as f64 / 1048576.0)
            .unwrap_or(0.0)
    };
    report(
        "SQLite",
        "first",
        &first,
        a.rows,
        Some(size(&db) + size(Path::new(&format!("{db_s}-wal")))),
    )?;
    let again = run_import(&db_s, &drop)?;
    report("SQLite", "re-import", &again, a.rows, None)?;

    if a.postgres != "none" {
        let schema = format!("tracegrid_bench_{}", std::process::id());
        let mut admin = postgres_client(&a.postgres)?;
        admin.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))?;
        let sep = if a.postgres.contains('?') { '&' } else { '?' };
        let url = format!("{}{sep}options=-csearch_path%3D{schema}", a.postgres);
        let result = (|| -> Result<()> {
            let first = median_run(a.repeat, || {
                admin.batch_execute(&format!(
                    "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
                ))?;
                run_import(&url, &drop)
            })?;
            let bytes: i64 = admin
                .query_one(&format!("SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '{schema}'"), &[])?
                .get(0);
            report(
                "PostgreSQL",
                "first",
                &first,
                a.rows,
                Some(bytes as f64 / 1048576.0),
            )?;
            let again = run_import(&url, &drop)?;
            report("PostgreSQL", "re-import", &again, a.rows, None)?;
            Ok(())
        })();
        admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        result?;
    }
    if a.dir.is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads a store into the engine.
pub fn load(db: &str) -> Result<tracegrid_engine::World> {
    Ok(tracegrid_city::load_world(db)?.0)
}

fn postgres_client(url: &str) -> Result<postgres::Client> {
    postgres::Client::connect(url, postgres::NoTls).with_context(|| format!("connecting to {url}"))
}

pub fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get(xs.len() / 2).copied().unwrap_or(f64::NAN)
}

pub fn p95(xs: Vec<f64>) -> f64 {
    quantile(xs, 95)
}

/// The `percent`th percentile (nearest rank below).
pub fn quantile(mut xs: Vec<f64>, percent: usize) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs.get((xs.len() * percent / 100).min(xs.len().saturating_sub(1)))
        .copied()
        .unwrap_or(f64::NAN)
}

/// A fresh copy `name` of the simulated store `city` under `dir`, for a run that changes it
/// (adds users, tasks, cases, scans), and the moment its drop ends (from `truth.json`).
pub fn run_copy(dir: &Path, drop: &Path, city: &str, name: &str) -> Result<(String, i64)> {
    let db = dir.join(name).to_string_lossy().into_owned();
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{db}{suffix}"));
    }
    std::fs::copy(city, &db).with_context(|| format!("copying {city}"))?;
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop.join("truth.json"))?)?;
    let end = truth["end"].as_i64().context("truth.json has no end")?;
    Ok((db, end))
}

/// Imports a simulated drop into the store `db` in this process (Shanghai time, UTF-8, rejects
/// into `dir/rejects.csv` if any), as the demo and the ranking benchmark do.
pub fn import_simulated(
    drop: &Path,
    db: &str,
    dir: &Path,
) -> Result<tracegrid_ingest::ImportSummary> {
    let opts = tracegrid_ingest::Options {
        tz: chrono_tz::Asia::Shanghai,
        encoding: tracegrid_ingest::Encoding::Utf8,
        rejects: tracegrid_ingest::RejectsTarget::IfAny(dir.join("rejects.csv")),
        batch_rows: None,
    };
    let (summary, _) = tracegrid_ingest::import(drop, tracegrid_store::open(db)?, &opts, &mut ())
        .context("importing the simulated drop")?;
    Ok(summary)
}

/// A simulated city of `persons` residents over `days` as a drop and an SQLite store under
/// `dir`, made unless a run of the same size left them there; returns (drop, store).
pub fn simulated_store(dir: &Path, persons: usize, days: i64) -> Result<(PathBuf, String)> {
    let drop = dir.join("drop");
    let db = dir.join("bench.db");
    let marker = dir.join(format!("built-{persons}-{days}"));
    if !marker.exists() {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        let t = Instant::now();
        let params = tracegrid_sim::SimParams {
            persons,
            days,
            ..Default::default()
        };
        let s = tracegrid_sim::simulate(&params, &drop)?;
        out!(
            "simulated {} residents, {} event rows in {:.1} s",
            crate::human::group(s.persons as u64),
            crate::human::group(s.event_rows),
            t.elapsed().as_secs_f64()
        );
        let r = run_import(&db.to_string_lossy(), &drop)?;
        out!("imported into SQLite in {:.1} s", r.seconds);
        std::fs::write(&marker, "")?;
    }
    Ok((drop, db.to_string_lossy().into_owned()))
}

fn engine(a: EngineArgs) -> Result<ExitCode> {
    use tracegrid_engine::{ScreenParams, World};
    let dir = a.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tracegrid-bench-engine-{}", a.persons))
    });
    let (drop, db) = simulated_store(&dir, a.persons, a.days)?;
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop.join("truth.json"))?)?;
    let as_of = truth["end"].as_i64().unwrap_or(0);

    // From the store to an answer.
    let t = Instant::now();
    let world = load(&db)?;
    let load_s = t.elapsed().as_secs_f64();
    let n = world.sighting_count();
    out!(
        "\n{} sightings; index {} bytes a sighting",
        crate::human::group(n as u64),
        World::bytes_per_sighting()
    );
    out!(
        "load SQLite store → index ready: {load_s:.1} s ({} sightings/s)",
        crate::human::group((n as f64 / load_s) as u64)
    );
    let p = ScreenParams {
        as_of,
        lookback_days: 14,
        home_region: world.region("330800"),
    };
    let t = Instant::now();
    let _ = world.screen(&p);
    out!(
        "first screen answered {:.1} s after the command started loading",
        load_s + t.elapsed().as_secs_f64()
    );

    // Index build from rows already in memory.
    let mut store = tracegrid_store::open(&db)?;
    let reg = store.load_registry()?;
    let mut rows = Vec::with_capacity(n);
    store.for_each_sighting(&mut |s| rows.push(s.clone()))?;
    let deliveries = store.deliveries()?;
    let health_reports = store.health_reports()?;
    std::mem::drop(store);
    let t = Instant::now();
    let mut builder = World::builder(&reg);
    builder.add_all(&rows);
    builder.add_health_reports(&health_reports);
    let mut world = builder.finish(&deliveries);
    std::mem::drop(rows);
    let build_s = t.elapsed().as_secs_f64();
    out!(
        "build index from rows in memory: {build_s:.2} s ({} sightings/s)",
        crate::human::group((n as f64 / build_s) as u64)
    );

    let screens: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            let s = world.screen(&p);
            std::hint::black_box(s.alerts.len());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    let alerts = world.screen(&p).alerts.len();
    out!(
        "full screen: median {:.0} ms over 5 runs ({} alerts)",
        median(screens),
        crate::human::group(alerts as u64)
    );
    let ph = tracegrid_engine::Screening::new(&world, &p).phases;
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    out!(
        "  of which: case-free rules {:.0} ms, degree 1 {:.0} ms ({} cases), degree 2 {:.0} ms ({} close contacts), alerts assembled and ranked {:.0} ms",
        ms(ph.case_free),
        ms(ph.degree1),
        crate::human::group(world.active_cases().len() as u64),
        ms(ph.degree2),
        crate::human::group(ph.close_contacts as u64),
        ms(ph.assemble),
    );

    let cases = world.active_cases();
    let traces: Vec<f64> = cases
        .iter()
        .take(500)
        .map(|&c| {
            let t = Instant::now();
            std::hint::black_box(world.trace(c, &p, 2).contacts.len());
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    out!(
        "trace two degrees, {} cases: median {:.2} ms, p95 {:.2} ms",
        traces.len(),
        median(traces.clone()),
        p95(traces)
    );

    // A hidden infection confirmed now: added, then everything screened again.
    let hidden = truth["infections"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|i| i["confirmed"].as_i64().is_none_or(|c| c > as_of));
    if let Some(h) = hidden {
        let case = tracegrid_model::rows::CaseRow {
            subject: h["id_number"].as_str().unwrap_or("").to_owned(),
            status: tracegrid_model::CaseStatus::Confirmed,
            // Symptoms by now at the latest, so that its exposure window meets the lookback.
            onset: Some(h["onset"].as_i64().unwrap_or(as_of).min(as_of)),
            confirmed: as_of,
            isolated: None,
        };
        let mut live = tracegrid_engine::Screening::new(&world, &p);
        let t = Instant::now();
        let subject = world.add_case(&case);
        let touched = live.update_case(&world, subject).len();
        let top: Vec<f64> = live.alerts().take(100).map(|a| a.score).collect();
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        std::hint::black_box(top);
        out!(
            "add one case and screen again: {ms:.1} ms ({touched} subjects re-assessed; {} → {} alerts)",
            crate::human::group(alerts as u64),
            crate::human::group(live.len() as u64),
        );
    }
    out!("peak RSS {:.0} MiB", crate::human::peak_rss_mb());

    if let Some(url) = &a.postgres {
        let schema = format!("tracegrid_bench_engine_{}", std::process::id());
        let mut admin = postgres_client(url)?;
        admin.batch_execute(&format!(
            "DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))?;
        let sep = if url.contains('?') { '&' } else { '?' };
        let spec = format!("{url}{sep}options=-csearch_path%3D{schema}");
        let result = (|| -> Result<()> {
            let r = run_import(&spec, &drop)?;
            out!("\nimported into PostgreSQL in {:.1} s", r.seconds);
            let t = Instant::now();
            let w = load(&spec)?;
            let s = t.elapsed().as_secs_f64();
            out!(
                "load PostgreSQL store → index ready: {s:.1} s ({} sightings/s)",
                crate::human::group((w.sighting_count() as f64 / s) as u64)
            );
            Ok(())
        })();
        admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
        result?;
    }
    Ok(ExitCode::SUCCESS)
}
