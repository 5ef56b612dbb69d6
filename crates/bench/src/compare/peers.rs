//! The compared systems: PostgreSQL with PostGIS, driven from here; DuckDB, driven through
//! its Python package in a child process.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use postgres::types::{ToSql, Type};

use super::{Args, Dialect, Param, Question, Row, SystemRun, Timings, check, render};
use crate::out;

/// Each question in the dialects a system is asked it in: (label, SQL).
fn variants(q: &Question, best: Dialect) -> Result<Vec<(String, String)>> {
    let mut v = vec![(q.name.to_owned(), render(q.sql, best)?)];
    if q.plain {
        v.push((format!("{}/plain", q.name), render(q.sql, Dialect::Plain)?));
    }
    Ok(v)
}

/// Loads the tables into a fresh schema of the server at `url`, asks every question, checks
/// every answer, and drops the schema.
pub fn postgis(url: &str, tables: &Path, questions: &[Question], a: &Args) -> Result<SystemRun> {
    let schema = format!("tracegrid_compare_{}", std::process::id());
    let mut admin = postgres::Client::connect(url, postgres::NoTls)
        .with_context(|| format!("connecting to {url}"))?;
    admin
        .batch_execute(&format!(
            "CREATE EXTENSION IF NOT EXISTS postgis; CREATE EXTENSION IF NOT EXISTS btree_gist;
             DROP SCHEMA IF EXISTS {schema} CASCADE; CREATE SCHEMA {schema}"
        ))
        .context("PostGIS and btree_gist must be installed (Debian: postgresql-15-postgis-3)")?;
    let version: String = admin.query_one("SELECT postgis_lib_version()", &[])?.get(0);
    let result = (|| -> Result<SystemRun> {
        let mut c = postgres::Client::connect(url, postgres::NoTls)?;
        c.batch_execute(&format!("SET search_path = {schema}, public"))?;
        let t = Instant::now();
        c.batch_execute(include_str!("sql/postgis/schema.sql"))?;
        for table in [
            "regions",
            "places",
            "persons",
            "cases",
            "areas",
            "deliveries",
            "health_reports",
            "sightings",
        ] {
            let path = tables.join(format!("{table}.csv"));
            let mut file = std::fs::File::open(&path)
                .with_context(|| format!("opening {}", path.display()))?;
            let header = {
                let mut r = csv::Reader::from_path(&path)?;
                r.headers()?.iter().collect::<Vec<_>>().join(", ")
            };
            let mut w = c.copy_in(&format!(
                "COPY {table} ({header}) FROM STDIN WITH (FORMAT csv, HEADER true)"
            ))?;
            std::io::copy(&mut file, &mut w).with_context(|| format!("COPY {table}"))?;
            w.finish().with_context(|| format!("COPY {table}"))?;
        }
        c.batch_execute(include_str!("sql/region_tree.sql"))?;
        c.batch_execute(include_str!("sql/postgis/index.sql"))?;
        let load_s = t.elapsed().as_secs_f64();
        let bytes: i64 = c
            .query_one(
                "SELECT sum(pg_total_relation_size(c.oid))::bigint FROM pg_class c \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = $1 AND c.relkind IN ('r', 'm')",
                &[&schema.as_str()],
            )?
            .get(0);
        out!(
            "PostGIS {version}: loaded and indexed in {load_s:.1} s, {:.0} MiB on disk",
            bytes as f64 / 1048576.0
        );
        c.batch_execute(&format!(
            "SET statement_timeout = '{}s'; SET work_mem = '256MB'",
            a.timeout_s
        ))?;
        let mut run = SystemRun {
            system: format!("PostGIS {version}"),
            load_s,
            bytes: bytes as u64,
            questions: vec![],
        };
        for q in questions {
            for (label, sql) in variants(q, Dialect::Postgis)? {
                let stmt = c
                    .prepare(&sql)
                    .with_context(|| format!("PostgreSQL rejects {label}"))?;
                let mut tm = Timings::default();
                let budget = Duration::from_secs(a.budget_s);
                let started = Instant::now();
                for (i, sample) in q.samples.iter().enumerate() {
                    if i > 0 && started.elapsed() > budget {
                        tm.skipped = q.samples.len() - i;
                        break;
                    }
                    let params: Vec<Box<dyn ToSql + Sync>> = sample
                        .iter()
                        .map(|p| -> Box<dyn ToSql + Sync> {
                            match p {
                                Param::Text(s) => Box::new(s.clone()),
                                Param::Int(x) => Box::new(*x),
                                Param::Null(_) => Box::new(None::<String>),
                            }
                        })
                        .collect();
                    let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| &**b).collect();
                    let t = Instant::now();
                    let rows = match c.query(&stmt, &refs) {
                        Ok(rows) => rows,
                        Err(e) if e.code() == Some(&postgres::error::SqlState::QUERY_CANCELED) => {
                            tm.timed_out = true;
                            tm.skipped = q.samples.len() - i - 1;
                            break;
                        }
                        Err(e) => return Err(e).with_context(|| format!("PostgreSQL {label}")),
                    };
                    tm.ms.push(t.elapsed().as_secs_f64() * 1000.0);
                    let rows = rows.iter().map(pg_row).collect::<Result<Vec<Row>>>()?;
                    check("PostGIS", q, i, rows)?;
                }
                say("postgis", &label, &tm)?;
                run.questions.push((label, tm));
            }
        }
        Ok(run)
    })();
    admin.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
    result
}

fn say(system: &str, label: &str, tm: &Timings) -> Result<()> {
    out!(
        "  {system} {label}: median {:.1} ms over {} runs{}",
        super::report::median(&tm.ms),
        tm.ms.len(),
        if tm.timed_out {
            " (then timed out)"
        } else {
            ""
        }
    );
    Ok(())
}

/// A PostgreSQL row as text cells.
fn pg_row(r: &postgres::Row) -> Result<Row> {
    r.columns()
        .iter()
        .enumerate()
        .map(|(i, col)| {
            Ok(match *col.type_() {
                Type::TEXT | Type::VARCHAR | Type::NAME => {
                    r.try_get::<_, Option<String>>(i)?.unwrap_or_default()
                }
                Type::INT8 => r
                    .try_get::<_, Option<i64>>(i)?
                    .map_or(String::new(), |x| x.to_string()),
                Type::INT4 => r
                    .try_get::<_, Option<i32>>(i)?
                    .map_or(String::new(), |x| x.to_string()),
                Type::INT2 => r
                    .try_get::<_, Option<i16>>(i)?
                    .map_or(String::new(), |x| x.to_string()),
                ref t => bail!("an answer column of type {t} is not expected"),
            })
        })
        .collect()
}

#[derive(serde::Deserialize)]
struct DuckOut {
    load_s: f64,
    bytes: u64,
    version: String,
    questions: Vec<DuckQuestion>,
}

#[derive(serde::Deserialize)]
struct DuckQuestion {
    name: String,
    ms: Vec<f64>,
    rows: Vec<Vec<Row>>,
    skipped: usize,
    timed_out: bool,
}

/// Loads the Parquet export and the tables into a DuckDB file under `dir`, asks every
/// question through `python`, and checks every answer.
pub fn duckdb(
    python: &str,
    dir: &Path,
    parquet: &Path,
    tables: &Path,
    questions: &[Question],
    a: &Args,
) -> Result<SystemRun> {
    let runner = dir.join("duckdb_runner.py");
    std::fs::write(&runner, include_str!("duckdb_runner.py"))?;
    let load: Vec<String> = concat!(
        include_str!("sql/duckdb/load.sql"),
        include_str!("sql/region_tree.sql"),
        "CHECKPOINT;\n"
    )
    .replace("{tables}", &super::path_text(tables))
    .replace("{parquet}", &super::path_text(parquet))
    .lines()
    .filter(|l| !l.trim_start().starts_with("--"))
    .collect::<Vec<_>>()
    .join("\n")
    .split(';')
    .filter(|s| !s.trim().is_empty())
    .map(str::to_owned)
    .collect();
    let mut asked = Vec::new();
    let mut jobs = Vec::new();
    for q in questions {
        for (label, sql) in variants(q, Dialect::Duckdb)? {
            jobs.push(serde_json::json!({
                "name": label, "sql": sql, "samples": q.samples,
                "budget_s": a.budget_s, "timeout_s": a.timeout_s,
            }));
            asked.push(q);
        }
    }
    let job = serde_json::json!({
        "db": super::path_text(&dir.join("duck.db")),
        "load": load,
        "questions": jobs,
    });
    let job_path = dir.join("duckdb_job.json");
    std::fs::write(&job_path, serde_json::to_vec(&job)?)?;
    let mut child = Command::new(python)
        .arg(&runner)
        .arg(&job_path)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("running {python}"))?;
    // A statement DuckDB stalls on ignores its interrupt: the runner as a whole gets a
    // deadline (an hour to load, then each question's budget and timeout), and is killed past it.
    let deadline = Instant::now()
        + Duration::from_secs(3600 + asked.len() as u64 * (a.budget_s + a.timeout_s));
    let mut stdout = child.stdout.take().context("the runner's output")?;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut buf).map(|_| buf)
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            bail!("DuckDB's runner passed its deadline and was stopped (a stalled statement?)");
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let out = reader
        .join()
        .map_err(|_| anyhow::anyhow!("reading the runner's output"))??;
    if !status.success() {
        bail!(
            "DuckDB's runner failed (pip install duckdb duckdb-extension-spatial of one version)"
        );
    }
    let got: DuckOut = serde_json::from_slice(&out).context("reading DuckDB's answers")?;
    out!(
        "DuckDB {}: loaded in {:.1} s, {:.0} MiB on disk",
        got.version,
        got.load_s,
        got.bytes as f64 / 1048576.0
    );
    let mut run = SystemRun {
        system: format!("DuckDB {}", got.version),
        load_s: got.load_s,
        bytes: got.bytes,
        questions: vec![],
    };
    for (dq, q) in got.questions.into_iter().zip(asked) {
        for (i, rows) in dq.rows.into_iter().enumerate() {
            check("DuckDB", q, i, rows)?;
        }
        let tm = Timings {
            ms: dq.ms,
            skipped: dq.skipped,
            timed_out: dq.timed_out,
        };
        say("duckdb", &dq.name, &tm)?;
        run.questions.push((dq.name, tm));
    }
    Ok(run)
}
