//! The store written as the CSV tables the compared databases load: registries reduced to what
//! the rules read, subjects already resolved by the current registry (as the Parquet export
//! names them), times as epoch milliseconds. An empty field is NULL.

use std::path::Path;

use anyhow::{Context, Result};
use tracegrid_model::{SubjectType, Tier};

/// Writes regions, places, persons, cases, areas, deliveries, health reports and sightings under
/// `dir`, then a `done` marker.
pub fn write(db: &str, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut store = tracegrid_store::open(db)?;
    let reg = store.load_registry()?;
    let resolver = reg.resolver();
    let name = |t: SubjectType, v: &str| resolver.resolve(t, v).name().to_owned();
    let open = |table: &str, header: &[&str]| -> Result<csv::Writer<std::fs::File>> {
        let path = dir.join(format!("{table}.csv"));
        let mut w = csv::Writer::from_path(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        w.write_record(header)?;
        Ok(w)
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let int = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();

    let mut w = open("regions", &["code", "parent_code"])?;
    for r in &reg.regions {
        w.write_record([r.code.clone(), text(&r.parent_code)])?;
    }
    w.flush()?;

    let mut w = open(
        "places",
        &[
            "place_id",
            "kind",
            "tier",
            "tau",
            "region_code",
            "lon",
            "lat",
        ],
    )?;
    for p in &reg.places {
        let tier = match p.kind.tier() {
            Tier::Close => "0",
            Tier::General => "1",
            Tier::None => "2",
        };
        let coord = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        w.write_record([
            p.place_id.clone(),
            p.kind.as_str().to_owned(),
            tier.to_owned(),
            int(p.kind.tolerance_ms()),
            text(&p.region_code),
            coord(p.lon),
            coord(p.lat),
        ])?;
    }
    w.flush()?;

    let mut w = open("persons", &["person_id", "household_id"])?;
    for p in &reg.persons {
        w.write_record([p.person_id.clone(), text(&p.household_id)])?;
    }
    w.flush()?;

    let mut w = open(
        "cases",
        &["subject", "status", "onset", "confirmed", "isolated"],
    )?;
    for k in &reg.cases {
        w.write_record([
            name(SubjectType::IdNumber, &k.subject),
            k.status.as_str().to_owned(),
            int(k.onset),
            k.confirmed.to_string(),
            int(k.isolated),
        ])?;
    }
    w.flush()?;

    let mut w = open(
        "areas",
        &["area_id", "region_code", "geojson", "from_ms", "to_ms"],
    )?;
    for a in &reg.areas {
        w.write_record([
            a.area_id.clone(),
            text(&a.region_code),
            text(&a.geometry),
            a.from.to_string(),
            int(a.to),
        ])?;
    }
    w.flush()?;

    let mut w = open(
        "deliveries",
        &["recipient", "origin_region_code", "shipped", "delivered"],
    )?;
    for d in store.deliveries()? {
        w.write_record([
            name(SubjectType::Phone, &d.recipient_phone),
            d.origin_region_code.clone(),
            d.shipped.to_string(),
            int(d.delivered),
        ])?;
    }
    w.flush()?;

    let mut w = open(
        "health_reports",
        &["subject", "time_ms", "temperature_dc", "symptoms"],
    )?;
    for h in store.health_reports()? {
        w.write_record([
            name(SubjectType::IdNumber, &h.id_number),
            h.time.to_string(),
            int(h.temperature.map(|t| t.tenths())),
            h.symptoms.bits().to_string(),
        ])?;
    }
    w.flush()?;

    let lookups = tracegrid_lake::Lookups::new(&reg);
    let mut w = open(
        "sightings",
        &["subject", "place_id", "start_ms", "end_ms", "source", "tag"],
    )?;
    let mut failure = None;
    store.for_each_sighting(&mut |s| {
        if failure.is_some() {
            return;
        }
        let row =
            lookups
                .names(s)
                .map_err(anyhow::Error::from)
                .and_then(|(subject, place, source)| {
                    w.write_record([
                        subject.as_str(),
                        place.place_id.as_str(),
                        &s.start.to_string(),
                        &s.end.to_string(),
                        source,
                        &s.tag.to_string(),
                    ])
                    .map_err(anyhow::Error::from)
                });
        if let Err(e) = row {
            failure = Some(e);
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    w.flush()?;
    std::fs::write(dir.join("done"), "")?;
    Ok(())
}
