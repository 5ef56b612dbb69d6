//! `tracegrid ds4c`: real data. Converts the DS4C Korean patient routes (../shared/realdata/ds4c,
//! CC BY-NC-SA 4.0, read in place and never copied) into a data drop, imports it, and counts the
//! disclosed transmission pairs (`infected_by`) that the engine links by co-presence: the
//! infectee among the source case's contacts in the source's exposure window.
//!
//! The routes give dates only. A visit is read as the daytime of its date, 08:00–20:00 Korean
//! time, so that visits on consecutive days never touch within a tolerance. A place is a
//! distinct (latitude, longitude, type); public transport and airports are presence-only places
//! (their coordinates are a stop or a terminal, not a shared vehicle).

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::out;
use anyhow::{Context, Result};
use tracegrid_engine::ScreenParams;
use tracegrid_model::{IdNumber, PlaceKind};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The DS4C directory (PatientInfo.csv, PatientRoute.csv); by default
    /// `shared/realdata/ds4c` in the nearest folder above the checkout that has one.
    #[arg(long, env = "TRACEGRID_DS4C")]
    pub from: Option<PathBuf>,
    /// Where to write the drop and the store (default: a temporary directory).
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[arg(long)]
    pub json: bool,
}

/// The DS4C data beside the checkout this binary was built from: `shared/realdata/ds4c` in the
/// nearest folder above the repository that has one (the data is read in place, never copied
/// into the repository).
pub fn default_dir() -> Option<PathBuf> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let repo = repo.canonicalize().unwrap_or(repo);
    repo.ancestors()
        .skip(1)
        .map(|a| a.join("shared/realdata/ds4c"))
        .find(|d| d.join("PatientRoute.csv").is_file())
}

/// How a DS4C place type maps onto the contract's kinds.
pub fn kind_of(ty: &str) -> PlaceKind {
    match ty {
        "hospital" => PlaceKind::Hospital,
        "pharmacy" => PlaceKind::Pharmacy,
        "restaurant" | "cafe" | "bar" | "karaoke" | "bakery" => PlaceKind::Restaurant,
        "store" | "bank" | "beauty_salon" | "real_estate_agency" | "post_office"
        | "gas_station" => PlaceKind::Shop,
        "pc_cafe" => PlaceKind::InternetCafe,
        "school" | "university" | "academy" => PlaceKind::School,
        "lodging" => PlaceKind::Hotel,
        "public_transportation" | "airport" => PlaceKind::RailStation,
        _ => PlaceKind::Other,
    }
}

/// A synthetic, valid resident ID for a patient (the data has none).
pub fn id_number(patient: &str) -> String {
    let digits: String = patient.chars().filter(char::is_ascii_digit).collect();
    let body = format!("99{:0>15}", digits);
    let body = &body[body.len() - 17..];
    IdNumber::complete(body)
}

/// The place id of a route row.
pub fn place_id(lat: &str, lon: &str, ty: &str) -> String {
    format!("KR-{lat}-{lon}-{ty}")
}

/// Patient id → (onset date, confirmed date).
pub type PatientDates = BTreeMap<String, (Option<String>, Option<String>)>;

/// Reads PatientInfo.csv: patient id → (onset date, confirmed date), and the transmission
/// pairs (infectee, source) with `#global_num` sources resolved to patient ids.
pub fn patients(dir: &Path) -> Result<(PatientDates, Vec<(String, String)>)> {
    let mut r =
        csv::Reader::from_path(dir.join("PatientInfo.csv")).context("reading PatientInfo.csv")?;
    let h = r.headers()?.clone();
    let col = |name: &str| h.iter().position(|c| c == name).expect("a DS4C column");
    let (pid, global, by, onset, confirmed) = (
        col("patient_id"),
        col("global_num"),
        col("infected_by"),
        col("symptom_onset_date"),
        col("confirmed_date"),
    );
    let mut info = BTreeMap::new();
    let mut by_global = HashMap::new();
    let mut raw_pairs = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        let p = rec[pid].trim().to_owned();
        let opt = |i: usize| Some(rec[i].trim().to_owned()).filter(|s| !s.is_empty());
        info.insert(p.clone(), (opt(onset), opt(confirmed)));
        if let Some(g) = opt(global) {
            by_global.insert(g, p.clone());
        }
        if let Some(b) = opt(by) {
            raw_pairs.push((p, b));
        }
    }
    let pairs = raw_pairs
        .into_iter()
        .filter_map(|(p, b)| match b.strip_prefix('#') {
            Some(g) => by_global.get(g).map(|src| (p, src.clone())),
            None => Some((p, b)),
        })
        .collect();
    Ok((info, pairs))
}

/// Route rows: (patient, date, place id, kind, province, city, lat, lon).
pub fn routes(dir: &Path) -> Result<Vec<[String; 8]>> {
    let mut r =
        csv::Reader::from_path(dir.join("PatientRoute.csv")).context("reading PatientRoute.csv")?;
    let mut out = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        let (p, date, prov, city, ty, lat, lon) = (
            &rec[0], &rec[2], &rec[3], &rec[4], &rec[5], &rec[6], &rec[7],
        );
        out.push([
            p.into(),
            date.into(),
            place_id(lat, lon, ty),
            kind_of(ty).as_str().into(),
            prov.into(),
            city.into(),
            lat.into(),
            lon.into(),
        ]);
    }
    Ok(out)
}

/// Writes the drop.
fn convert(dir: &Path, drop_dir: &Path) -> Result<(usize, usize)> {
    std::fs::create_dir_all(drop_dir)?;
    let (info, _) = patients(dir)?;
    let routes = routes(dir)?;
    let mut regions = BTreeMap::new();
    let mut places = BTreeMap::new();
    for r in &routes {
        let prov = format!("KR-{}", r[4]);
        let city = format!("{prov}-{}", r[5]);
        regions.insert(
            prov.clone(),
            (r[4].clone(), Some("KR".to_owned()), "province"),
        );
        regions.insert(city.clone(), (r[5].clone(), Some(prov), "city"));
        places.insert(
            r[2].clone(),
            (r[3].clone(), r[6].clone(), r[7].clone(), city),
        );
    }
    let mut w = std::io::BufWriter::new(std::fs::File::create(drop_dir.join("regions.csv"))?);
    writeln!(w, "code,name,parent_code,level\nKR,Korea,,other")?;
    for (code, (name, parent, level)) in &regions {
        writeln!(
            w,
            "{code},{name},{},{level}",
            parent.as_deref().unwrap_or("")
        )?;
    }
    w.flush()?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(drop_dir.join("places.csv"))?);
    writeln!(w, "place_id,kind,lat,lon,region_code")?;
    for (id, (kind, lat, lon, region)) in &places {
        writeln!(w, "{id},{kind},{lat},{lon},{region}")?;
    }
    w.flush()?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(drop_dir.join("persons.csv"))?);
    writeln!(w, "person_id,id_number")?;
    for p in info.keys() {
        writeln!(w, "KR{p},{}", id_number(p))?;
    }
    w.flush()?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(drop_dir.join("cases.csv"))?);
    writeln!(w, "subject,status,onset,confirmed,isolated")?;
    for (p, (onset, confirmed)) in &info {
        if let Some(c) = confirmed {
            writeln!(
                w,
                "{},confirmed,{},{c},",
                id_number(p),
                onset.as_deref().unwrap_or("")
            )?;
        }
    }
    w.flush()?;
    let mut w = std::io::BufWriter::new(std::fs::File::create(drop_dir.join("sightings.csv"))?);
    writeln!(
        w,
        "source,subject_type,subject,place_id,start,end,record_id"
    )?;
    for (i, r) in routes.iter().enumerate() {
        writeln!(
            w,
            "kdca_route,person_id,KR{},{},{}T08:00:00+09:00,{}T20:00:00+09:00,{i}",
            r[0], r[2], r[1], r[1]
        )?;
    }
    w.flush()?;
    Ok((places.len(), routes.len()))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let from = args.from.clone().or_else(default_dir).context(
        "no DS4C data found in shared/realdata/ds4c above the checkout: give --from or TRACEGRID_DS4C",
    )?;
    let out = args.out.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tracegrid-ds4c-{}", std::process::id()))
    });
    let drop_dir = out.join("drop");
    let _ = std::fs::remove_dir_all(&drop_dir);
    let (places, visits) = convert(&from, &drop_dir)?;
    let db = out.join("ds4c.db");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
    let db = db.to_string_lossy().into_owned();
    let opts = tracegrid_ingest::Options {
        tz: chrono_tz::Asia::Seoul,
        encoding: tracegrid_ingest::Encoding::Utf8,
        rejects: tracegrid_ingest::RejectsTarget::IfAny(out.join("rejects.csv")),
        batch_rows: None,
    };
    let (summary, store) =
        tracegrid_ingest::import(&drop_dir, tracegrid_store::open(&db)?, &opts, &mut ())?;
    drop(store);
    let world = crate::load(&db)?;

    let (_, pairs) = patients(&from)?;
    let with_routes: std::collections::HashSet<String> =
        routes(&from)?.into_iter().map(|r| r[0].clone()).collect();
    // The whole period, so that every case's exposure window lies inside the lookback.
    let p = ScreenParams {
        as_of: 1_609_459_200_000,
        lookback_days: 400,
        home_region: None,
    };
    let mut both = 0;
    let mut linked = Vec::new();
    for (infectee, source) in &pairs {
        if !(with_routes.contains(infectee) && with_routes.contains(source)) {
            continue;
        }
        both += 1;
        let (Some(s), Some(t)) = (
            world.find_subject(&format!("KR{source}")),
            world.find_subject(&format!("KR{infectee}")),
        ) else {
            continue;
        };
        if world
            .trace(s, &p, 1)
            .contacts
            .iter()
            .any(|c| c.subject == t)
        {
            linked.push((infectee.clone(), source.clone()));
        }
    }
    if args.json {
        out!(
            "{}",
            serde_json::json!({
                "patients": with_routes.len(), "visits": visits, "places": places,
                "rejected": summary.rejected, "pairs": pairs.len(), "pairs_with_routes": both, "linked": linked.len(),
                "linked_pairs": linked.iter().map(|(a, b)| serde_json::json!([a, b])).collect::<Vec<_>>(),
            })
        );
    } else {
        out!(
            "DS4C (Korea, 2020): {visits} disclosed visits at {places} places imported ({} rejected).",
            summary.rejected
        );
        out!(
            "{} infected_by pairs; {both} have routes on both sides.",
            pairs.len()
        );
        out!(
            "The engine links {} of them by co-presence: the infectee among the source's contacts within its exposure window.",
            linked.len()
        );
        out!(
            "The rest met where no route was disclosed (households, undisclosed places) or on other days: route data alone cannot find them."
        );
    }
    Ok(ExitCode::SUCCESS)
}
