//! `tracegrid bench compare`: the same questions asked of tracegrid, of PostgreSQL with PostGIS
//! and of DuckDB, on the same simulated sightings, with every answer checked against
//! tracegrid's; and the machine's memory bandwidth beside them.
//!
//! Each size gets a simulated city (imported into an SQLite store), its sightings exported as
//! Parquet (DuckDB's input), and the registries written as CSV tables with subjects already
//! resolved, so that every system answers from the same rows. The questions are SQL files in
//! `sql/`, written once; `@copresent(o, c0, c1, tau)` stands for the co-presence test of a
//! sighting `o` against an interval, which each system is given in the form its planner serves
//! best (a range overlap for PostgreSQL's GiST index, two comparisons for DuckDB) and, for the
//! "plain" variants, as the contract states it.

mod peers;
mod report;
mod tables;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use crate::out;
use anyhow::{Context, Result, bail};
use tracegrid_engine::{DAY_MS, Phases, ScreenParams, Screening, World};
use tracegrid_model::rows::AreaRow;
use tracegrid_model::{Level, Tier};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Sizes to run, in millions of sightings (about 14,300 residents a million).
    #[arg(long, default_value = "1,3,10,30", value_delimiter = ',')]
    pub sizes: Vec<f64>,
    /// Working directory: cities, Parquet and tables are kept there for the next run; the
    /// report, results.json and compare.svg are written there.
    #[arg(long, default_value = "tracegrid-compare")]
    pub dir: PathBuf,
    /// PostgreSQL server with PostGIS installed; "none" to leave it out.
    #[arg(long, default_value = "postgres://postgres@127.0.0.1:5432/test")]
    pub postgres: String,
    /// Leave PostGIS out of sizes above this many millions (its load of 30 million sightings
    /// takes over half an hour on 2 cores).
    #[arg(long)]
    pub postgres_upto: Option<f64>,
    /// Python with the `duckdb` and `duckdb-extension-spatial` packages; "none" to leave
    /// DuckDB out.
    #[arg(long, default_value = "python3")]
    pub python: String,
    /// Different subjects, regions or polygons asked for each question.
    #[arg(long, default_value_t = 10)]
    pub samples: usize,
    /// A query running longer than this is stopped and reported as timed out.
    #[arg(long, default_value_t = 300)]
    pub timeout_s: u64,
    /// Time one system may spend on one question at one size before its remaining samples
    /// are skipped (at least one always runs).
    #[arg(long, default_value_t = 120)]
    pub budget_s: u64,
    #[arg(long, default_value_t = 21)]
    pub days: i64,
}

/// A query parameter.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(untagged)]
pub enum Param {
    Text(String),
    Int(i64),
    Null(Option<()>),
}

/// An answer row, each cell as text (integers in decimal), so that answers from different
/// systems compare as sorted lists.
pub type Row = Vec<String>;

/// One question: its SQL and, per sample, the parameters and tracegrid's answer.
#[derive(Debug)]
pub struct Question {
    pub name: &'static str,
    pub sql: &'static str,
    /// Whether the plain form of co-presence is measured too.
    pub plain: bool,
    pub samples: Vec<Vec<Param>>,
    pub answers: Vec<Vec<Row>>,
    pub tracegrid_ms: Vec<f64>,
}

/// One system's timings on one question: milliseconds of each sample it ran.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Timings {
    pub ms: Vec<f64>,
    /// Samples skipped for the time budget.
    pub skipped: usize,
    pub timed_out: bool,
}

/// One system at one size.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SystemRun {
    pub system: String,
    pub load_s: f64,
    pub bytes: u64,
    /// question name (with `/plain` for the plain variants) → timings.
    pub questions: Vec<(String, Timings)>,
}

/// Everything measured at one size.
#[derive(Debug, Default, serde::Serialize)]
pub struct SizeRun {
    pub sightings: usize,
    pub persons: usize,
    pub cases: usize,
    pub alerts: usize,
    pub index_bytes: usize,
    pub bound_ms: f64,
    /// The full screen's phases, milliseconds: the case-free rules (one pass over the index),
    /// degree 1, degree 2, alerts assembled and ranked.
    pub phases_ms: [f64; 4],
    pub systems: Vec<SystemRun>,
}

pub const QUESTIONS: [(&str, &str); 6] = [
    ("contacts", "one case's contacts, degree 1"),
    ("two_degree", "one case's contacts, two degrees"),
    ("area_region", "who was in a region, 3 days"),
    ("area_polygon", "who was in a polygon, 3 days"),
    ("trajectory", "one resident's trajectory"),
    ("screen", "full screen (section 2)"),
];

pub fn run(a: Args) -> Result<ExitCode> {
    std::fs::create_dir_all(&a.dir).with_context(|| format!("creating {}", a.dir.display()))?;
    let bw = report::bandwidth();
    out!(
        "memory bandwidth, streaming read: {:.1} GB/s on {} threads, {:.1} GB/s on one",
        bw.all / 1e9,
        bw.threads,
        bw.one / 1e9
    );
    let mut runs = Vec::new();
    for &m in &a.sizes {
        let run = size(&a, m, bw.all)?;
        runs.push((m, run));
        // Written after every size, so that a long run can be read while it goes on.
        report::write(&a.dir, &bw, &runs)?;
    }
    out!("\n{}", std::fs::read_to_string(a.dir.join("report.md"))?);
    out!(
        "every answer agreed with tracegrid's; report, results.json and compare.svg in {}",
        a.dir.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Runs every system at `millions` of sightings.
fn size(a: &Args, millions: f64, bandwidth: f64) -> Result<SizeRun> {
    let persons = ((millions * 14_333.0) as usize).max(2_000);
    let dir = a.dir.join(format!("{millions}M"));
    out!("\n== about {millions} million sightings: {persons} residents ==");
    let (city, db) = crate::simulated_store(&dir.join("city"), persons, a.days)?;
    let parquet = dir.join("parquet");
    if !parquet.exists() {
        let t = Instant::now();
        tracegrid_lake::export(&db, &parquet, chrono_tz::Asia::Shanghai)?;
        out!("exported Parquet in {:.1} s", t.elapsed().as_secs_f64());
    }
    let tables = dir.join("tables");
    if !tables.join("done").exists() {
        let t = Instant::now();
        tables::write(&db, &tables)?;
        out!("wrote the CSV tables in {:.1} s", t.elapsed().as_secs_f64());
    }

    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(city.join("truth.json"))?)?;
    let as_of = truth["end"].as_i64().context("truth.json names no end")?;
    let t = Instant::now();
    let (world, reg) = tracegrid_city::load_world(&db)?;
    let load_s = t.elapsed().as_secs_f64();
    let home = truth["home_region"].as_str().map(str::to_owned);
    let p = ScreenParams {
        as_of,
        lookback_days: 14,
        home_region: home.as_deref().and_then(|h| world.region(h)),
    };
    let (mut questions, ph) = ask(&world, &reg, &p, home, a.samples);
    let n = world.sighting_count();
    let index_bytes = n * World::bytes_per_sighting();
    let bound_ms = index_bytes as f64 / bandwidth * 1000.0;
    let phase = |d: std::time::Duration| d.as_secs_f64() * 1000.0;
    let mut run = SizeRun {
        sightings: n,
        persons,
        cases: world.active_cases().len(),
        alerts: questions[5].answers[0]
            .iter()
            .map(|r| &r[0])
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        index_bytes,
        bound_ms,
        phases_ms: [
            phase(ph.case_free),
            phase(ph.degree1),
            phase(ph.degree2),
            phase(ph.assemble),
        ],
        systems: vec![],
    };
    let rss = resident(&db)?;
    out!(
        "tracegrid: {} sightings, loaded in {load_s:.1} s; index {:.0} MiB; a process that \
         loads it: resident {rss:.0} MiB",
        crate::human::group(n as u64),
        index_bytes as f64 / 1048576.0,
    );
    run.systems.push(SystemRun {
        system: "tracegrid".into(),
        load_s,
        bytes: (rss * 1048576.0) as u64,
        questions: questions
            .iter_mut()
            .map(|q| {
                (
                    q.name.to_owned(),
                    Timings {
                        ms: std::mem::take(&mut q.tracegrid_ms),
                        ..Timings::default()
                    },
                )
            })
            .collect(),
    });
    std::mem::drop(world);

    if a.postgres != "none" && a.postgres_upto.is_none_or(|u| millions <= u) {
        let r = peers::postgis(&a.postgres, &tables, &questions, a)?;
        run.systems.push(r);
    }
    if a.python != "none" {
        let r = peers::duckdb(&a.python, &dir, &parquet, &tables, &questions, a)?;
        run.systems.push(r);
    }
    Ok(run)
}

/// The resident memory of a process that has loaded the store at `db` into the index and does
/// nothing else: this process has held other things (the export, earlier sizes).
fn resident(db: &str) -> Result<f64> {
    let out = std::process::Command::new(std::env::current_exe()?)
        .args(["bench", "resident", "--db", db])
        .output()?;
    if !out.status.success() {
        bail!(
            "loading the store in a child: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    v["rss_mb"].as_f64().context("the child printed no rss_mb")
}

/// Chooses the samples of every question and answers them with tracegrid, timing each; with
/// where the last full screen's time went.
fn ask(
    world: &World,
    reg: &tracegrid_model::rows::Registry,
    p: &ScreenParams,
    home: Option<String>,
    n: usize,
) -> (Vec<Question>, Phases) {
    let (lo, hi) = p.window();
    let window = [Param::Int(lo), Param::Int(hi)];
    let spread = |len: usize| -> Vec<usize> {
        let k = n.min(len);
        (0..k).map(|i| i * len / k.max(1)).collect()
    };
    let name = |s| Param::Text(world.subject_name(s).to_owned());
    let tier = |t: Tier| if t == Tier::Close { "0" } else { "1" };
    let mut qs = Vec::new();

    // Cases whose exposure window meets the lookback, traced to one and two degrees.
    let cases: Vec<_> = world
        .active_cases()
        .into_iter()
        .filter(|&c| world.trace(c, p, 1).window.is_some())
        .collect();
    let cases: Vec<_> = spread(cases.len()).into_iter().map(|i| cases[i]).collect();
    for (qname, sql, degree) in [
        (
            "contacts",
            concat!(
                include_str!("sql/degree1.sql"),
                include_str!("sql/contacts.sql")
            ),
            1,
        ),
        (
            "two_degree",
            concat!(
                include_str!("sql/degree1.sql"),
                include_str!("sql/two_degree.sql")
            ),
            2,
        ),
    ] {
        let mut q = Question::new(qname, sql, true);
        for &c in &cases {
            let t = Instant::now();
            let trace = world.trace(c, p, degree);
            q.tracegrid_ms.push(ms(t));
            let rows = trace
                .contacts
                .iter()
                .map(|k| {
                    let second = if degree == 1 {
                        tier(k.tier).to_owned()
                    } else {
                        k.degree.to_string()
                    };
                    vec![
                        world.subject_name(k.subject).to_owned(),
                        second,
                        k.first_at.to_string(),
                    ]
                })
                .collect();
            q.samples
                .push(vec![name(c), window[0].clone(), window[1].clone()]);
            q.answers.push(rows);
        }
        qs.push(q);
    }

    // Who was in a town, or in a grid's polygon, over the last three days.
    let from = hi - 3 * DAY_MS;
    let towns: Vec<_> = reg
        .regions
        .iter()
        .filter(|r| r.level == Level::Town)
        .collect();
    // grids.geojson may hold every level's shapes; the question is asked of grids.
    let grids: std::collections::HashSet<&str> = reg
        .regions
        .iter()
        .filter(|r| r.level == Level::Grid)
        .map(|r| r.code.as_str())
        .collect();
    let shapes: Vec<_> = reg
        .region_shapes
        .iter()
        .filter(|s| grids.contains(s.code.as_str()))
        .collect();
    for (qname, sql, count) in [
        (
            "area_region",
            include_str!("sql/area_region.sql"),
            towns.len(),
        ),
        (
            "area_polygon",
            include_str!("sql/area_polygon.sql"),
            shapes.len(),
        ),
    ] {
        let mut q = Question::new(qname, sql, false);
        for i in spread(count) {
            let (region, geometry) = if qname == "area_region" {
                (Some(towns[i].code.clone()), None)
            } else {
                (None, Some(shapes[i].geometry.clone()))
            };
            let area = AreaRow {
                area_id: "asked".into(),
                name: None,
                region_code: region.clone(),
                geometry: geometry.clone(),
                from,
                to: Some(hi),
                risk: tracegrid_model::Risk::High,
            };
            let t = Instant::now();
            let found = world.present_in(&area, p);
            q.tracegrid_ms.push(ms(t));
            q.answers.push(
                found
                    .into_iter()
                    .map(|(s, at)| vec![world.subject_name(s).to_owned(), at.to_string()])
                    .collect(),
            );
            let what = region.or(geometry).unwrap_or_default();
            q.samples.push(vec![
                Param::Text(what),
                Param::Int(from),
                Param::Int(hi),
                window[0].clone(),
                window[1].clone(),
            ]);
        }
        qs.push(q);
    }

    // Residents' trajectories over the lookback.
    let mut q = Question::new("trajectory", include_str!("sql/trajectory.sql"), false);
    for i in spread(reg.persons.len()) {
        let Some(s) = world.find_subject(&reg.persons[i].person_id) else {
            continue;
        };
        let t = Instant::now();
        let steps = world.trajectory(s, (lo, hi));
        q.tracegrid_ms.push(ms(t));
        q.answers.push(
            steps
                .iter()
                .map(|st| {
                    vec![
                        world.place_id(st.place).to_owned(),
                        st.start.to_string(),
                        st.end.to_string(),
                    ]
                })
                .collect(),
        );
        q.samples
            .push(vec![name(s), window[0].clone(), window[1].clone()]);
    }
    qs.push(q);

    // The full screen, three times.
    let mut q = Question::new("screen", include_str!("sql/screen.sql"), false);
    let home = match (p.home_region, home) {
        (Some(_), Some(h)) => Param::Text(h),
        _ => Param::Null(None),
    };
    let mut phases = Phases::default();
    for _ in 0..3 {
        let t = Instant::now();
        // `World::screen`, with its phases kept.
        let screening = Screening::new(world, p);
        phases = screening.phases;
        let screen = screening.into_screen();
        q.tracegrid_ms.push(ms(t));
        let mut rows = Vec::new();
        for al in &screen.alerts {
            for r in &al.reasons {
                let key = match (r.case, r.area) {
                    (Some(k), _) => world.subject_name(k).to_owned(),
                    (None, Some(ar)) => world.area_id(ar).to_owned(),
                    _ => String::new(),
                };
                rows.push(vec![
                    world.subject_name(al.subject).to_owned(),
                    r.code.as_str().to_owned(),
                    key,
                    r.at.to_string(),
                ]);
            }
        }
        q.samples
            .push(vec![window[0].clone(), window[1].clone(), home.clone()]);
        q.answers.push(rows);
    }
    qs.push(q);
    for q in &mut qs {
        for a in &mut q.answers {
            a.sort_unstable();
        }
    }
    (qs, phases)
}

impl Question {
    fn new(name: &'static str, sql: &'static str, plain: bool) -> Question {
        Question {
            name,
            sql,
            plain,
            samples: vec![],
            answers: vec![],
            tracegrid_ms: vec![],
        }
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

/// The systems' dialects of `@copresent(o, c0, c1, tau)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// PostgreSQL: a range overlap its GiST index on (place_id, during) serves.
    Postgis,
    /// DuckDB: two comparisons.
    Duckdb,
    /// Either, as CONTRACT.md states it: `max(start) <= min(end) + tau`.
    Plain,
}

/// `sql` with every `@copresent(o, c0, c1, tau)` written in `dialect`, and every `AS @cte (`
/// a common table expression, materialized for DuckDB.
pub fn render(sql: &str, dialect: Dialect) -> Result<String> {
    const MARK: &str = "@copresent(";
    let mut out = String::with_capacity(sql.len());
    let mut rest = sql;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i]);
        let args_at = &rest[i + MARK.len()..];
        let mut depth = 0;
        let mut args = vec![String::new()];
        let mut end = None;
        for (j, ch) in args_at.char_indices() {
            match ch {
                '(' => depth += 1,
                ')' if depth == 0 => {
                    end = Some(j);
                    break;
                }
                ')' => depth -= 1,
                ',' if depth == 0 => {
                    args.push(String::new());
                    continue;
                }
                _ => {}
            }
            if let Some(last) = args.last_mut() {
                last.push(ch);
            }
        }
        let Some(end) = end else {
            bail!("an @copresent( without its closing parenthesis");
        };
        let [o, c0, c1, tau] = <[String; 4]>::try_from(args)
            .map_err(|_| anyhow::anyhow!("@copresent takes (o, c0, c1, tau)"))?
            .map(|s| s.trim().to_owned());
        out.push_str(&match dialect {
            Dialect::Postgis => {
                format!("{o}.during && int8range({c0} - {tau}, {c1} + {tau}, '[]')")
            }
            Dialect::Duckdb => {
                format!("{o}.start_ms <= {c1} + {tau} AND {o}.end_ms >= {c0} - {tau}")
            }
            Dialect::Plain => {
                format!("greatest({o}.start_ms, {c0}) <= least({o}.end_ms, {c1}) + {tau}")
            }
        });
        rest = &args_at[end + 1..];
    }
    out.push_str(rest);
    let cte = if dialect == Dialect::Duckdb {
        "AS MATERIALIZED ("
    } else {
        "AS ("
    };
    Ok(out.replace("AS @cte (", cte))
}

/// Fails loudly unless `got` (any order) is `want` (sorted).
pub fn check(system: &str, q: &Question, sample: usize, mut got: Vec<Row>) -> Result<()> {
    got.sort_unstable();
    let want = &q.answers[sample];
    if &got == want {
        return Ok(());
    }
    let only_got: Vec<&Row> = got
        .iter()
        .filter(|r| want.binary_search(r).is_err())
        .collect();
    let only_want: Vec<&Row> = want
        .iter()
        .filter(|r| got.binary_search(r).is_err())
        .collect();
    bail!(
        "{system} disagrees with tracegrid on {} sample {sample} ({:?}): {} rows against {}; \
         only {system}: {:?}; only tracegrid: {:?}",
        q.name,
        q.samples[sample].first(),
        got.len(),
        want.len(),
        &only_got[..only_got.len().min(5)],
        &only_want[..only_want.len().min(5)],
    )
}

/// A path as the text a SQL statement or a job file names it by.
pub fn path_text(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_different_answer_fails_loudly() {
        let row = |a: &str, t: i64| vec![a.to_owned(), t.to_string()];
        let mut q = Question::new("contacts", "", false);
        q.samples.push(vec![Param::Text("P1".into())]);
        q.answers.push(vec![row("P2", 5), row("P3", 7)]);
        assert!(check("X", &q, 0, vec![row("P3", 7), row("P2", 5)]).is_ok());
        let e = check("X", &q, 0, vec![row("P2", 5), row("P3", 8)]).unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("X disagrees with tracegrid on contacts"),
            "{text}"
        );
        assert!(text.contains("\"8\"") && text.contains("\"7\""), "{text}");
        assert!(check("X", &q, 0, vec![row("P2", 5)]).is_err());
    }

    #[test]
    fn copresence_is_written_in_each_dialect() {
        let sql = "JOIN s o ON @copresent(o, greatest(a, b), t.c1, t.tau) AND x";
        assert_eq!(
            render(sql, Dialect::Postgis).unwrap(),
            "JOIN s o ON o.during && int8range(greatest(a, b) - t.tau, t.c1 + t.tau, '[]') AND x"
        );
        assert_eq!(
            render(sql, Dialect::Duckdb).unwrap(),
            "JOIN s o ON o.start_ms <= t.c1 + t.tau AND o.end_ms >= greatest(a, b) - t.tau AND x"
        );
        assert_eq!(
            render(sql, Dialect::Plain).unwrap(),
            "JOIN s o ON greatest(o.start_ms, greatest(a, b)) <= least(o.end_ms, t.c1) + t.tau AND x"
        );
        assert!(render("@copresent(o, a, b)", Dialect::Plain).is_err());
        let cte = "WITH x AS @cte (SELECT 1)";
        assert_eq!(
            render(cte, Dialect::Duckdb).unwrap(),
            "WITH x AS MATERIALIZED (SELECT 1)"
        );
        assert_eq!(
            render(cte, Dialect::Postgis).unwrap(),
            "WITH x AS (SELECT 1)"
        );
        assert!(render("@copresent(o, a, b, c", Dialect::Plain).is_err());
    }
}
