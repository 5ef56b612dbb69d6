//! `tracegrid sim --out DIR`: writes a synthetic city's data drop and its `truth.json`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use tracegrid_bench::out;
use tracegrid_sim::{SimParams, simulate};

/// What to simulate: a named scenario, and any of its parameters changed. A knob not given
/// keeps the scenario's value; the defaults shown are the `default` scenario's.
#[derive(Debug, Clone, clap::Args)]
pub struct Knobs {
    /// The outbreak to simulate (docs/SIMULATOR.md): quzhou-2020 is calibrated to what Quzhou
    /// reported in February 2020; household, transport and unobserved move the default city's
    /// spread towards one route.
    #[arg(long, value_name = "NAME", default_value = "default",
          value_parser = clap::builder::PossibleValuesParser::new(tracegrid_sim::scenarios()))]
    pub scenario: String,
    /// Residents of the synthetic Quzhou (full scale: 2200000) [default: 50000, or the
    /// scenario's; quzhou-2020: 220000]
    #[arg(long)]
    pub persons: Option<usize>,
    /// Days simulated; the drop describes the end of the last one [default: 21]
    #[arg(long)]
    pub days: Option<i64>,
    /// Seed of the simulation's random streams [default: 2020]
    #[arg(long)]
    pub seed: Option<u64>,
    /// Residents infected in Wuhan who come back by train [default: one per 5,000 residents,
    /// at least 4; quzhou-2020: one per 244,444, at least 1]
    #[arg(long)]
    pub seeds: Option<usize>,
    /// Transmission hazard per hour together at a train car, bus or internet café [default:
    /// 0.05, or the scenario's]
    #[arg(long)]
    pub beta_close: Option<f64>,
    /// Transmission hazard per hour together at a shop, workplace, school, restaurant …
    /// [default: 0.002, or the scenario's]
    #[arg(long)]
    pub beta_general: Option<f64>,
    /// Daily chance of infecting each household member [default: 0.04, or the scenario's]
    #[arg(long)]
    pub p_household: Option<f64>,
    /// Daily chance of infecting someone through a contact no data sees [default: 0.04, or the
    /// scenario's]
    #[arg(long)]
    pub p_unobserved: Option<f64>,
    /// Share of malformed rows added to sightings.csv [default: 0]
    #[arg(long)]
    pub bad_row_rate: Option<f64>,
}

impl Knobs {
    /// The scenario's parameters with the knobs given put in.
    pub fn params(&self) -> Result<SimParams> {
        let mut p = tracegrid_sim::scenario(&self.scenario).ok_or_else(|| {
            anyhow::anyhow!(
                "no scenario {}: the scenarios are {}",
                self.scenario,
                tracegrid_sim::scenarios().join(", ")
            )
        })?;
        set(&mut p.persons, self.persons);
        set(&mut p.days, self.days);
        set(&mut p.seed, self.seed);
        set(&mut p.seeds, self.seeds);
        set(&mut p.beta_close, self.beta_close);
        set(&mut p.beta_general, self.beta_general);
        set(&mut p.p_household, self.p_household);
        set(&mut p.p_unobserved, self.p_unobserved);
        set(&mut p.bad_row_rate, self.bad_row_rate);
        Ok(p)
    }
}

/// A knob given replaces the scenario's value.
fn set<T>(field: &mut T, knob: Option<T>) {
    if let Some(v) = knob {
        *field = v;
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
    let s = simulate(&args.knobs.params()?, &args.out)?;
    out!(
        "Wrote {} residents ({} back from Wuhan, {} of them infected there), {} event rows ({} malformed on purpose), {} infections of which {} confirmed, into {}",
        s.persons,
        s.returnees,
        s.seeds,
        s.event_rows,
        s.bad_rows,
        s.infections,
        s.confirmed,
        args.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
