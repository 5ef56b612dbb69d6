//! `tracegrid stats`: what the store holds, table by table, and how many of the sightings'
//! subjects the registries resolve to persons now.

use std::collections::{HashMap, HashSet};
use std::process::ExitCode;

use anyhow::Result;
use tracegrid_bench::out;
use tracegrid_model::{Subject, SubjectType};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub json: bool,
}

pub fn run(db: &str, args: Args) -> Result<ExitCode> {
    let mut store = tracegrid_store::open(db)?;
    let c = store.counts()?;
    let reg = store.load_registry()?;
    let resolver = reg.resolver();
    drop(reg);
    // Distinct subjects as written, then what they resolve to.
    let mut written: HashMap<SubjectType, HashSet<String>> = HashMap::new();
    store.for_each_sighting(&mut |s| {
        let seen = written.entry(s.subject_type).or_default();
        if !seen.contains(s.subject.as_str()) {
            seen.insert(s.subject.clone());
        }
    })?;
    let mut persons = HashSet::new();
    let mut unresolved = 0u64;
    for (ty, value) in written
        .iter()
        .flat_map(|(ty, vs)| vs.iter().map(move |v| (*ty, v)))
    {
        match resolver.resolve(ty, value) {
            Subject::Person(p) => {
                persons.insert(p);
            }
            Subject::Unresolved(_) => unresolved += 1,
        }
    }
    let mut rows = c.by_table();
    rows.push(("sighted_persons", persons.len() as u64));
    rows.push(("unresolved_subjects", unresolved));
    if args.json {
        let obj: serde_json::Map<String, serde_json::Value> = rows
            .iter()
            .map(|(k, v)| (k.to_string(), (*v).into()))
            .collect();
        out!("{}", serde_json::Value::Object(obj));
    } else {
        for (k, v) in rows {
            out!("{k:<20} {:>12}", tracegrid_bench::human::group(v));
        }
    }
    Ok(ExitCode::SUCCESS)
}
