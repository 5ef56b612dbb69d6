//! `tracegrid stats`: what the store holds, table by table.

use std::process::ExitCode;

use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub json: bool,
}

pub fn run(db: &str, args: Args) -> Result<ExitCode> {
    let mut store = tracegrid_store::open(db)?;
    let c = store.counts()?;
    let rows = [
        ("regions", c.regions),
        ("region_shapes", c.region_shapes),
        ("places", c.places),
        ("persons", c.persons),
        ("vehicles", c.vehicles),
        ("areas", c.areas),
        ("cases", c.cases),
        ("sightings", c.sightings),
        ("deliveries", c.deliveries),
    ];
    if args.json {
        let obj: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        println!("{}", serde_json::Value::Object(obj));
    } else {
        for (k, v) in rows {
            println!("{k:<14} {:>12}", crate::import::group(v));
        }
    }
    Ok(ExitCode::SUCCESS)
}
