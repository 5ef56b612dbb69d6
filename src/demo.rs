//! `tracegrid demo`: until the synthetic city exists, the demo imports the sample drop shipped in
//! `examples/drop` into a fresh store and prints what the import made of it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The drop to import.
    #[arg(long, default_value = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/drop"))]
    pub drop: PathBuf,
    /// Where to put the demo store (default: a fresh temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let dir = match &args.dir {
        Some(d) => {
            std::fs::create_dir_all(d)?;
            d.clone()
        }
        None => std::env::temp_dir().join(format!("tracegrid-demo-{}", std::process::id())),
    };
    std::fs::create_dir_all(&dir)?;
    let db = dir.join("demo.db");
    let _ = std::fs::remove_file(&db);
    let db = db.to_string_lossy().into_owned();
    let import = crate::import::Args {
        dir: args.drop.clone(),
        tz: "Asia/Shanghai".into(),
        encoding: "utf-8".into(),
        rejects: Some(dir.join("demo-rejects.csv")),
        strict: false,
        json: false,
        batch_rows: None,
    };
    println!(
        "tracegrid demo: importing the sample drop {}\n",
        args.drop.display()
    );
    crate::import::run(&db, import).context("importing the sample drop")?;
    println!("\nThe store now holds:");
    crate::stats::run(&db, crate::stats::Args { json: false })?;
    let rejects = std::fs::read_to_string(dir.join("demo-rejects.csv")).unwrap_or_default();
    println!(
        "\nWhy rows were rejected (from {}):",
        dir.join("demo-rejects.csv").display()
    );
    let mut r = csv::Reader::from_reader(rejects.as_bytes());
    for rec in r.records().flatten() {
        println!("  {}:{}  {}", &rec[0], &rec[1], &rec[2]);
    }
    println!("\nThe store is {db}; try `tracegrid --db {db} stats`.");
    Ok(ExitCode::SUCCESS)
}
