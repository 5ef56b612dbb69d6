//! `tracegrid sim --out DIR`: writes a synthetic city's data drop and its `truth.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use tracegrid_bench::out;
use tracegrid_sim::{SimParams, simulate};

#[derive(Debug, Clone, clap::Args)]
pub struct Knobs {
    /// Residents of the synthetic Quzhou (full scale: 2200000).
    #[arg(long, default_value_t = 50_000)]
    pub persons: usize,
    /// Days simulated; the drop describes the end of the last one.
    #[arg(long, default_value_t = 21)]
    pub days: i64,
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,
    /// Residents infected in Wuhan who come back by train (0: one per 5,000, at least 4).
    #[arg(long, default_value_t = 0)]
    pub seeds: usize,
    /// Transmission hazard per hour together at a train car, bus or internet café.
    #[arg(long, default_value_t = 0.05)]
    pub beta_close: f64,
    /// Transmission hazard per hour together at a shop, workplace, school, restaurant …
    #[arg(long, default_value_t = 0.002)]
    pub beta_general: f64,
    /// Daily chance of infecting each household member.
    #[arg(long, default_value_t = 0.04)]
    pub p_household: f64,
    /// Daily chance of infecting someone through a contact no data sees.
    #[arg(long, default_value_t = 0.04)]
    pub p_unobserved: f64,
    /// Share of malformed rows added to sightings.csv.
    #[arg(long, default_value_t = 0.0)]
    pub bad_row_rate: f64,
}

impl Knobs {
    pub fn params(&self) -> SimParams {
        SimParams {
            persons: self.persons,
            days: self.days,
            seed: self.seed,
            seeds: self.seeds,
            beta_close: self.beta_close,
            beta_general: self.beta_general,
            p_household: self.p_household,
            p_unobserved: self.p_unobserved,
            bad_row_rate: self.bad_row_rate,
            ..SimParams::default()
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory to write the drop into.
    #[arg(long)]
    pub out: PathBuf,
    #[command(flatten)]
    pub knobs: Knobs,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let s = simulate(&args.knobs.params(), &args.out)?;
    out!(
        "Wrote {} residents, {} event rows ({} malformed on purpose), {} infections of which {} confirmed, into {}",
        s.persons,
        s.event_rows,
        s.bad_rows,
        s.infections,
        s.confirmed,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
