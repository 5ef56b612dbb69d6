//! A simulated city's last hours held back: its drop split at a moment into a drop of what came
//! before (imported as files) and the rows from that moment on, in time order, to send through
//! the feeds (`tracegrid bench feeds`, `tracegrid demo --live`).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result};
use chrono_tz::Tz;
use tracegrid_model::{Millis, TimeReader};

/// The kinds of the drop a feed may carry, each with the field that says when its row happened.
pub const TIMED: &[(&str, &str)] = &[
    ("sightings", "start"),
    ("gate_access", "time"),
    ("netcafe_sessions", "start"),
    ("hotel_stays", "checkin"),
    ("parking", "enter"),
    ("checkpoint_passes", "time"),
    ("pharmacy_sales", "time"),
    ("rail_tickets", "depart"),
    ("deliveries", "shipped"),
    ("health_reports", "time"),
    ("cases", "confirmed"),
];

/// A row held back: its kind, when it happened, and the row as one NDJSON line.
#[derive(Clone, Debug)]
pub struct Held {
    pub kind: &'static str,
    pub at: Millis,
    pub line: String,
}

/// A message for a feed: NDJSON rows of one kind.
#[derive(Clone, Debug)]
pub struct Message {
    pub kind: &'static str,
    pub body: String,
    pub rows: usize,
    /// When its first row happened.
    pub first: Millis,
    /// When its last row happened.
    pub last: Millis,
}

/// Writes `drop` into `base` without the rows of [`TIMED`] kinds that happened at or after
/// `cutoff`, and returns those rows in time order. A row whose time cannot be read stays in the
/// base drop, where the import rejects it as it would have. Other files are copied.
pub fn split(drop: &Path, cutoff: Millis, zone: Tz, base: &Path) -> Result<Vec<Held>> {
    std::fs::create_dir_all(base)?;
    let mut held = Vec::new();
    for entry in std::fs::read_dir(drop)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let stem = name.split('.').next().unwrap_or_default();
        let timed = TIMED.iter().find(|(k, _)| *k == stem);
        match timed {
            Some(&(kind, field)) if name.ends_with(".csv") => {
                held.extend(split_file(
                    &path,
                    kind,
                    field,
                    cutoff,
                    zone,
                    &base.join(&name),
                )?);
            }
            _ if path.is_file() => {
                std::fs::copy(&path, base.join(&name))
                    .with_context(|| format!("copying {}", path.display()))?;
            }
            _ => {}
        }
    }
    held.sort_by_key(|h| h.at);
    Ok(held)
}

fn split_file(
    path: &Path,
    kind: &'static str,
    field: &str,
    cutoff: Millis,
    zone: Tz,
    to: &Path,
) -> Result<Vec<Held>> {
    let mut r = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .with_context(|| format!("reading {}", path.display()))?;
    let header = r.headers()?.clone();
    let at = header
        .iter()
        .position(|h| h == field)
        .with_context(|| format!("{} has no {field} column", path.display()))?;
    let mut w = csv::Writer::from_path(to)?;
    w.write_record(&header)?;
    let mut times = TimeReader::new(zone);
    let mut held = Vec::new();
    for rec in r.records() {
        let rec = rec?;
        match rec.get(at).map(|t| times.timestamp(t)) {
            Some(Ok(t)) if t >= cutoff && rec.len() == header.len() => {
                let row: serde_json::Map<String, serde_json::Value> = header
                    .iter()
                    .zip(rec.iter())
                    .filter(|(_, v)| !v.is_empty())
                    .map(|(k, v)| (k.to_owned(), v.into()))
                    .collect();
                held.push(Held {
                    kind,
                    at: t,
                    line: serde_json::Value::Object(row).to_string(),
                });
            }
            _ => w.write_record(&rec)?,
        }
    }
    w.flush()?;
    Ok(held)
}

/// The held rows as messages of at most `rows` rows of one kind, in the order of their first
/// row's time.
pub fn messages(held: &[Held], rows: usize) -> Vec<Message> {
    let mut by_kind: BTreeMap<&str, Vec<&Held>> = BTreeMap::new();
    for h in held {
        by_kind.entry(h.kind).or_default().push(h);
    }
    let mut out: Vec<Message> = by_kind
        .values()
        .flat_map(|rows_of_kind| rows_of_kind.chunks(rows.max(1)))
        .map(|chunk| {
            let mut body = String::new();
            for h in chunk {
                body.push_str(&h.line);
                body.push('\n');
            }
            Message {
                kind: chunk[0].kind,
                body,
                rows: chunk.len(),
                first: chunk[0].at,
                last: chunk[chunk.len() - 1].at,
            }
        })
        .collect();
    out.sort_by_key(|m| (m.first, m.kind));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_drop_is_split_at_the_moment_and_the_rows_come_in_time_order() {
        let dir = tempfile::tempdir().unwrap();
        let drop = dir.path().join("drop");
        std::fs::create_dir_all(&drop).unwrap();
        std::fs::write(drop.join("persons.csv"), "person_id\nP1\n").unwrap();
        std::fs::write(
            drop.join("gate_access.csv"),
            "subject_type,subject,place_id,time,direction,record_id\n\
             person_id,P1,G,2020-01-20 09:00,,A\n\
             person_id,P1,G,2020-01-20 11:00,in,B\n\
             person_id,P1,G,not a time,,C\n\
             person_id,P1,G,2020-01-20 10:30,,D\n",
        )
        .unwrap();
        std::fs::write(
            drop.join("sightings.csv"),
            "source,subject_type,subject,place_id,start,end,record_id\n\
             wifi,person_id,P1,S,2020-01-20 10:45,,E\n",
        )
        .unwrap();
        let zone = chrono_tz::Asia::Shanghai;
        let cutoff = TimeReader::new(zone).timestamp("2020-01-20 10:00").unwrap();
        let base = dir.path().join("base");
        let held = split(&drop, cutoff, zone, &base).unwrap();
        let ids: Vec<String> = held
            .iter()
            .map(|h| {
                let v: serde_json::Value = serde_json::from_str(&h.line).unwrap();
                v["record_id"].as_str().unwrap().to_owned()
            })
            .collect();
        assert_eq!(ids, vec!["D", "E", "B"]);
        assert!(
            !held[0].line.contains("direction"),
            "empty fields are left out"
        );
        let kept = std::fs::read_to_string(base.join("gate_access.csv")).unwrap();
        assert_eq!(kept.lines().count(), 3, "{kept}");
        assert!(kept.contains(",A") && kept.contains("not a time"));
        assert_eq!(
            std::fs::read_to_string(base.join("persons.csv")).unwrap(),
            "person_id\nP1\n"
        );
        let m = messages(&held, 1);
        assert_eq!(m.len(), 3);
        assert_eq!(
            (m[0].kind, m[1].kind, m[2].kind),
            ("gate_access", "sightings", "gate_access")
        );
        let m = messages(&held, 1000);
        assert_eq!(m.iter().map(|m| m.rows).collect::<Vec<_>>(), vec![2, 1]);
    }
}
