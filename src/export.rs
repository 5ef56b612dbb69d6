//! `tracegrid export`: the store's sightings as Parquet, by local date and source
//! (`tracegrid_lake`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, anyhow};
use chrono_tz::Tz;

use tracegrid_bench::out;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to create; it must not exist yet.
    #[arg(long)]
    pub out: PathBuf,
    /// The only format today.
    #[arg(long, default_value = "parquet", value_parser = ["parquet"])]
    pub format: String,
    /// The zone whose calendar dates partition the files.
    #[arg(long, default_value = "Asia/Shanghai")]
    pub tz: String,
    #[arg(long)]
    pub json: bool,
}

pub fn run(db: &str, a: Args) -> Result<ExitCode> {
    let tz: Tz =
        a.tz.parse()
            .map_err(|_| anyhow!("--tz {}: not a time zone name such as Asia/Shanghai", a.tz))?;
    let t = std::time::Instant::now();
    let summary = tracegrid_lake::export(db, &a.out, tz)?;
    let seconds = t.elapsed().as_secs_f64();
    if a.json {
        let partitions: Vec<serde_json::Value> = summary
            .partitions
            .iter()
            .map(|((date, source), rows)| {
                serde_json::json!({"date": date, "source": source, "rows": rows})
            })
            .collect();
        out!(
            "{}",
            serde_json::json!({"out": a.out, "format": "parquet", "rows": summary.rows,
                "partitions": partitions, "elapsed_ms": (seconds * 1000.0) as u64})
        );
    } else {
        out!(
            "{} sightings in {} files (by date and source) under {} in {seconds:.1} s",
            tracegrid_bench::human::group(summary.rows),
            summary.partitions.len(),
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}
