//! A data drop is a directory; this module finds the files in it that tracegrid recognises, by
//! stem (CONTRACT.md section 1), decides their format, and puts them in loading order.

use std::path::{Path, PathBuf};

/// What a file holds. The order of the variants is the loading order: registries first, and
/// rail tickets before the other events because they create the train-car places that other
/// sightings may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FileKind {
    Regions,
    Grids,
    Places,
    Persons,
    Vehicles,
    Areas,
    AreasGeo,
    Cases,
    RailTickets,
    Sightings,
    HotelStays,
    NetcafeSessions,
    CheckpointPasses,
    Parking,
    GateAccess,
    PharmacySales,
    Deliveries,
    HealthReports,
}

impl FileKind {
    pub const ALL: &'static [FileKind] = &[
        FileKind::Regions,
        FileKind::Grids,
        FileKind::Places,
        FileKind::Persons,
        FileKind::Vehicles,
        FileKind::Areas,
        FileKind::AreasGeo,
        FileKind::Cases,
        FileKind::RailTickets,
        FileKind::Sightings,
        FileKind::HotelStays,
        FileKind::NetcafeSessions,
        FileKind::CheckpointPasses,
        FileKind::Parking,
        FileKind::GateAccess,
        FileKind::PharmacySales,
        FileKind::Deliveries,
        FileKind::HealthReports,
    ];

    /// The file's name in CONTRACT.md's tables, reported as `kind` in the import summary.
    pub fn label(self) -> &'static str {
        match self {
            FileKind::Regions => "regions",
            FileKind::Grids => "grids.geojson",
            FileKind::Places => "places",
            FileKind::Persons => "persons",
            FileKind::Vehicles => "vehicles",
            FileKind::Areas => "areas",
            FileKind::AreasGeo => "areas.geojson",
            FileKind::Cases => "cases",
            FileKind::RailTickets => "rail_tickets",
            FileKind::Sightings => "sightings",
            FileKind::HotelStays => "hotel_stays",
            FileKind::NetcafeSessions => "netcafe_sessions",
            FileKind::CheckpointPasses => "checkpoint_passes",
            FileKind::Parking => "parking",
            FileKind::GateAccess => "gate_access",
            FileKind::PharmacySales => "pharmacy_sales",
            FileKind::Deliveries => "deliveries",
            FileKind::HealthReports => "health_reports",
        }
    }

    fn stem(self) -> &'static str {
        match self {
            FileKind::Grids => "grids",
            FileKind::AreasGeo => "areas",
            k => k.label(),
        }
    }

    pub fn is_registry(self) -> bool {
        self < FileKind::RailTickets
    }

    /// The fields a row of this kind may have; the required ones come from [`FileKind::required`].
    pub fn fields(self) -> &'static [&'static str] {
        match self {
            FileKind::Regions => &["code", "name", "parent_code", "level"],
            FileKind::Grids => &["code"],
            FileKind::Places => &[
                "place_id",
                "kind",
                "name",
                "lat",
                "lon",
                "region_code",
                "grid_code",
            ],
            FileKind::Persons => &[
                "person_id",
                "id_number",
                "name",
                "phone",
                "household_id",
                "address",
                "grid_code",
            ],
            FileKind::Vehicles => &["plate", "owner_id_number"],
            FileKind::Areas => &["area_id", "name", "region_code", "from", "to", "risk"],
            FileKind::AreasGeo => &["area_id", "name", "from", "to", "risk"],
            FileKind::Cases => &["subject", "status", "onset", "confirmed", "isolated"],
            FileKind::Sightings => &[
                "source",
                "subject_type",
                "subject",
                "place_id",
                "start",
                "end",
                "record_id",
            ],
            FileKind::RailTickets => &[
                "id_number",
                "train",
                "car",
                "seat",
                "from_station",
                "to_station",
                "depart",
                "arrive",
                "record_id",
            ],
            FileKind::HotelStays => &["id_number", "place_id", "checkin", "checkout", "record_id"],
            FileKind::NetcafeSessions => &["id_number", "place_id", "start", "end", "record_id"],
            FileKind::CheckpointPasses => &["plate", "place_id", "time", "direction", "record_id"],
            FileKind::Parking => &["plate", "place_id", "enter", "exit", "record_id"],
            FileKind::GateAccess => &[
                "subject_type",
                "subject",
                "place_id",
                "time",
                "direction",
                "record_id",
            ],
            FileKind::PharmacySales => &["id_number", "place_id", "time", "category", "record_id"],
            FileKind::Deliveries => &[
                "recipient_phone",
                "origin_region_code",
                "shipped",
                "delivered",
                "record_id",
            ],
            FileKind::HealthReports => &[
                "id_number",
                "time",
                "temperature",
                "symptoms",
                "place_id",
                "reporter",
                "record_id",
            ],
        }
    }

    pub fn required(self) -> &'static [&'static str] {
        match self {
            FileKind::Regions => &["code", "name", "level"],
            FileKind::Grids => &["code"],
            FileKind::Places => &["place_id", "kind", "region_code"],
            FileKind::Persons => &["person_id", "id_number"],
            FileKind::Vehicles => &["plate", "owner_id_number"],
            FileKind::Areas => &["area_id", "region_code", "from"],
            FileKind::AreasGeo => &["area_id", "from"],
            FileKind::Cases => &["subject", "status", "confirmed"],
            FileKind::Sightings => &["source", "subject_type", "subject", "place_id", "start"],
            FileKind::RailTickets => &[
                "id_number",
                "train",
                "car",
                "from_station",
                "to_station",
                "depart",
                "arrive",
            ],
            FileKind::HotelStays => &["id_number", "place_id", "checkin"],
            FileKind::NetcafeSessions => &["id_number", "place_id", "start", "end"],
            FileKind::CheckpointPasses => &["plate", "place_id", "time"],
            FileKind::Parking => &["plate", "place_id", "enter"],
            FileKind::GateAccess => &["subject_type", "subject", "place_id", "time"],
            FileKind::PharmacySales => &["id_number", "place_id", "time", "category"],
            FileKind::Deliveries => &["recipient_phone", "origin_region_code", "shipped"],
            FileKind::HealthReports => &["id_number", "time"],
        }
    }
}

/// How a file's rows are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
    GeoJson,
}

/// A recognised file of a drop.
#[derive(Clone, Debug)]
pub struct DropFile {
    pub path: PathBuf,
    /// The file name as it is in the drop, used in summaries and the rejects file.
    pub name: String,
    pub kind: FileKind,
    /// `None`: decided from the content (first byte `{` means NDJSON).
    pub format: Option<Format>,
    pub gzip: bool,
}

/// A file of the drop that is not loaded, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Skipped {
    pub file: String,
    pub reason: String,
}

/// Lists the drop: recognised files in loading order, and the rest with the reason they are
/// skipped.
pub fn scan(dir: &Path) -> std::io::Result<(Vec<DropFile>, Vec<Skipped>)> {
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let ty = entry.file_type()?;
        if ty.is_dir() {
            skipped.push(Skipped {
                file: name,
                reason: "a directory; drops are not read recursively".into(),
            });
            continue;
        }
        match classify(&name) {
            Ok((kind, format, gzip)) => files.push(DropFile {
                path: entry.path(),
                name,
                kind,
                format,
                gzip,
            }),
            Err(reason) => skipped.push(Skipped { file: name, reason }),
        }
    }
    files.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok((files, skipped))
}

/// Recognises a file name: a known stem, then nothing or `-`, `_` or `.` and anything.
pub fn classify(name: &str) -> Result<(FileKind, Option<Format>, bool), String> {
    let lower = name.to_ascii_lowercase();
    let (base, gzip) = match lower.strip_suffix(".gz") {
        Some(b) => (b, true),
        None => (lower.as_str(), false),
    };
    let ext = base.rsplit_once('.').map(|(_, e)| e);
    let format = match ext {
        Some("csv") => Some(Format::Csv),
        Some("ndjson" | "jsonl" | "json") => Some(Format::Ndjson),
        Some("geojson") => Some(Format::GeoJson),
        _ => None,
    };
    let stem_kind = FileKind::ALL
        .iter()
        .copied()
        .filter(|k| *k != FileKind::AreasGeo)
        .filter(|k| {
            let stem = k.stem();
            base.starts_with(stem)
                && matches!(
                    base.as_bytes().get(stem.len()),
                    None | Some(b'-' | b'_' | b'.')
                )
        })
        .max_by_key(|k| k.stem().len());
    let Some(kind) = stem_kind else {
        return Err("not a file kind tracegrid knows (see CONTRACT.md section 1)".into());
    };
    match (kind, format) {
        (FileKind::Areas, Some(Format::GeoJson)) => Ok((FileKind::AreasGeo, format, gzip)),
        (FileKind::Grids, Some(Format::GeoJson) | None) => Ok((kind, Some(Format::GeoJson), gzip)),
        (FileKind::Grids, _) => {
            Err("grids must be a GeoJSON FeatureCollection (grids.geojson)".into())
        }
        (_, Some(Format::GeoJson)) => Err(format!(
            "{} is read from CSV or NDJSON, not GeoJSON",
            kind.label()
        )),
        _ => Ok((kind, format, gzip)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_the_contract_examples() {
        for name in [
            "sightings.csv",
            "sightings-2020-01-23.csv",
            "sightings_b.ndjson",
            "sightings.csv.gz",
            "Sightings.CSV",
        ] {
            assert_eq!(classify(name).unwrap().0, FileKind::Sightings, "{name}");
        }
        assert_eq!(
            classify("sightings.csv.gz").unwrap(),
            (FileKind::Sightings, Some(Format::Csv), true)
        );
        assert_eq!(classify("areas.geojson").unwrap().0, FileKind::AreasGeo);
        assert_eq!(classify("areas.csv").unwrap().0, FileKind::Areas);
        assert_eq!(classify("grids.geojson").unwrap().0, FileKind::Grids);
        assert_eq!(
            classify("rail_tickets_jan.csv").unwrap().0,
            FileKind::RailTickets
        );
        assert_eq!(
            classify("parking").unwrap(),
            (FileKind::Parking, None, false)
        );
        for name in [
            "health_reports.csv",
            "health_reports-2020-01-23.ndjson",
            "HEALTH_REPORTS_gate7.csv.gz",
        ] {
            assert_eq!(classify(name).unwrap().0, FileKind::HealthReports, "{name}");
        }
        assert_eq!(FileKind::HealthReports.label(), "health_reports");
    }

    #[test]
    fn refuses_near_misses() {
        for name in [
            "sightingsx.csv",
            "README.md",
            "sighting.csv",
            ".DS_Store",
            "grids.csv",
            "places.geojson",
            "health_report.csv",
            "healthreports.csv",
            "health_reports.geojson",
        ] {
            assert!(classify(name).is_err(), "{name}");
        }
    }

    #[test]
    fn registries_come_before_events() {
        assert!(FileKind::Cases.is_registry());
        assert!(!FileKind::RailTickets.is_registry());
        assert!(FileKind::RailTickets < FileKind::Sightings);
        for k in FileKind::ALL {
            for r in k.required() {
                assert!(k.fields().contains(r), "{k:?} {r}");
            }
        }
    }
}
