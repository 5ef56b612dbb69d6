//! Real data: the DS4C transmission pairs the engine links by co-presence, checked against a
//! brute-force count over the raw files (read from ../shared/realdata, never copied).

use std::collections::{BTreeSet, HashMap};

use super::*;

/// Counts, straight from the CSV files, the pairs (infectee, source) where the two visited the
/// same place (same coordinates and type) on the same date, that date lying in the source's
/// exposure window: from two days before onset (or confirmation) to the day before confirmation
/// (a visit is 08:00–20:00 of its date; the window ends at the confirmation date's midnight).
/// Public transport and airports are presence only.
fn brute_force(dir: &std::path::Path) -> BTreeSet<(String, String)> {
    let mut info = csv::Reader::from_path(dir.join("PatientInfo.csv")).unwrap();
    let h = info.headers().unwrap().clone();
    let col = |n: &str| h.iter().position(|c| c == n).unwrap();
    let (pid, global, by, onset, confirmed) = (
        col("patient_id"),
        col("global_num"),
        col("infected_by"),
        col("symptom_onset_date"),
        col("confirmed_date"),
    );
    let mut window: HashMap<String, Option<(chrono::NaiveDate, chrono::NaiveDate)>> =
        HashMap::new();
    let mut by_global = HashMap::new();
    let mut pairs = Vec::new();
    let date = |s: &str| chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    for rec in info.records() {
        let rec = rec.unwrap();
        let p = rec[pid].trim().to_owned();
        let c = date(&rec[confirmed]);
        let w = c.map(|c| {
            (
                date(&rec[onset]).unwrap_or(c) - chrono::Days::new(2),
                c - chrono::Days::new(1),
            )
        });
        window.insert(p.clone(), w);
        if !rec[global].trim().is_empty() {
            by_global.insert(rec[global].trim().to_owned(), p.clone());
        }
        if !rec[by].trim().is_empty() {
            pairs.push((p, rec[by].trim().to_owned()));
        }
    }
    let mut visits: HashMap<String, Vec<(chrono::NaiveDate, String)>> = HashMap::new();
    let mut routes = csv::Reader::from_path(dir.join("PatientRoute.csv")).unwrap();
    for rec in routes.records() {
        let rec = rec.unwrap();
        let place = format!("{}|{}|{}", &rec[6], &rec[7], &rec[5]);
        let presence_only = matches!(&rec[5], "public_transportation" | "airport");
        visits.entry(rec[0].to_owned()).or_default().push((
            date(&rec[2]).unwrap(),
            if presence_only { String::new() } else { place },
        ));
    }
    let mut linked = BTreeSet::new();
    for (infectee, source) in pairs {
        let source = match source.strip_prefix('#') {
            Some(g) => match by_global.get(g) {
                Some(s) => s.clone(),
                None => continue,
            },
            None => source,
        };
        // Two rows name a patient as its own source: no one is their own contact.
        if infectee == source {
            continue;
        }
        let (Some(a), Some(b)) = (visits.get(&infectee), visits.get(&source)) else {
            continue;
        };
        let w = window.get(&source).copied().flatten();
        let met = b.iter().any(|(d, place)| {
            !place.is_empty()
                && w.is_none_or(|(from, to)| from <= *d && *d <= to)
                && a.iter().any(|(d2, p2)| d2 == d && p2 == place)
        });
        if met {
            linked.insert((infectee, source));
        }
    }
    linked
}

#[test]
fn the_engine_links_exactly_the_pairs_that_met() {
    // Where `tracegrid ds4c` reads it too (the child inherits the variable).
    let dir = std::env::var_os("TRACEGRID_DS4C")
        .map(std::path::PathBuf::from)
        .or_else(tracegrid_bench::ds4c::default_dir)
        .expect("the DS4C data: shared/realdata/ds4c above the checkout, or TRACEGRID_DS4C");
    assert!(
        dir.join("PatientRoute.csv").exists(),
        "the DS4C data is read from {} (set TRACEGRID_DS4C to its directory)",
        dir.display()
    );
    let scratch = Scratch::new("ds4c");
    let out = tracegrid(
        "unused.db",
        &["ds4c", "--json", "--out", scratch.0.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["rejected"], 0);
    // PROVENANCE.md: 329 infected_by pairs have routes on both sides.
    assert_eq!(v["pairs_with_routes"], 329);
    let engine: BTreeSet<(String, String)> = v["linked_pairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_str().unwrap().to_owned(),
                p[1].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = brute_force(&dir);
    assert!(!expected.is_empty());
    assert_eq!(engine, expected);
    assert_eq!(v["linked"].as_u64().unwrap() as usize, engine.len());
}
