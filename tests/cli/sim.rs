//! `tracegrid sim`: a drop the importer takes without a reject, deterministic for a seed, with a
//! truth that agrees with the cases it writes.

use super::*;

/// The small city the simulator and the demo are tested on.
const SMALL_CITY: [&str; 6] = ["--persons", "3000", "--days", "12", "--seeds", "6"];

fn sim(dir: &std::path::Path, extra: &[&str]) {
    let mut args = vec!["sim", "--out", dir.to_str().unwrap()];
    args.extend_from_slice(&SMALL_CITY);
    args.extend_from_slice(extra);
    let out = tracegrid("unused.db", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_simulated_drop_imports_cleanly_and_says_what_happened() {
    let d = Scratch::new("sim");
    let drop = d.path("drop");
    sim(&drop, &[]);
    let db = TestDb::sqlite();
    let v = import_json(&db.spec, &drop, &[]);
    assert_eq!(v["rejected"], 0, "{v}");
    assert_eq!(v["duplicates"], 0, "{v}");
    assert_eq!(v["skipped"][0]["file"], "truth.json");
    let kinds: Vec<&str> = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for k in [
        "regions",
        "grids.geojson",
        "places",
        "persons",
        "vehicles",
        "areas",
        "cases",
        "rail_tickets",
        "sightings",
        "hotel_stays",
        "netcafe_sessions",
        "checkpoint_passes",
        "parking",
        "gate_access",
        "pharmacy_sales",
        "deliveries",
        "health_reports",
    ] {
        assert!(kinds.contains(&k), "no {k} file");
    }
    let s = stats(&db.spec);
    assert_eq!(s["persons"], 3000);
    // Six county-level divisions of Quzhou among the regions.
    let regions = std::fs::read_to_string(drop.join("regions.csv")).unwrap();
    for code in ["330802", "330803", "330822", "330824", "330825", "330881"] {
        assert!(regions.contains(&format!("\n{code},")), "{code}");
    }
    // Every confirmed infection in the truth up to the end is a case in cases.csv, and no other.
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop.join("truth.json")).unwrap()).unwrap();
    let end = truth["end"].as_i64().unwrap();
    let confirmed = truth["infections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["confirmed"].as_i64().is_some_and(|c| c <= end))
        .count();
    assert_eq!(s["cases"].as_u64().unwrap() as usize, confirmed);
    // Seeds came back by train: their first infection route is travel.
    let travel = truth["infections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["route"] == "travel")
        .count();
    assert_eq!(travel, 6);
}

#[test]
fn the_same_seed_gives_the_same_city() {
    let d = Scratch::new("simseed");
    sim(&d.path("a"), &[]);
    sim(&d.path("b"), &[]);
    sim(&d.path("c"), &["--seed", "7"]);
    for f in ["sightings.csv", "persons.csv", "truth.json", "cases.csv"] {
        let a = std::fs::read(d.path("a").join(f)).unwrap();
        assert_eq!(
            a,
            std::fs::read(d.path("b").join(f)).unwrap(),
            "{f} differs for the same seed"
        );
        assert_ne!(
            a,
            std::fs::read(d.path("c").join(f)).unwrap(),
            "{f} is the same for another seed"
        );
    }
}

#[test]
fn bad_rows_are_added_and_each_is_rejected() {
    let d = Scratch::new("simbad");
    let drop = d.path("drop");
    sim(&drop, &["--bad-row-rate", "0.001"]);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop.join("truth.json")).unwrap()).unwrap();
    let bad = truth["bad_rows"].as_u64().unwrap();
    assert!(bad > 0);
    let db = TestDb::sqlite();
    let v = import_json(
        &db.spec,
        &drop,
        &["--rejects", d.path("r.csv").to_str().unwrap()],
    );
    // Rejected rows are never de-duplicated: each malformed copy counts, even when two are alike.
    assert_eq!(v["rejected"].as_u64().unwrap(), bad);
}

#[test]
fn the_demo_reports_reach_and_workload() {
    let d = Scratch::new("demo");
    let mut args = vec!["demo", "--no-serve", "--dir", d.0.to_str().unwrap()];
    args.extend_from_slice(&SMALL_CITY);
    let out = tracegrid("unused.db", &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for words in [
        "hidden infections reached",
        "before symptom onset",
        "within the top 100",
        "alerts per hidden infection reached",
        "CLOSE_CONTACT",
        "Time: simulate",
    ] {
        assert!(
            text.contains(words),
            "the demo does not say {words:?}:\n{text}"
        );
    }
    // The reach line is a count of a count: "N of M".
    let line = text
        .lines()
        .find(|l| l.contains("hidden infections reached"))
        .unwrap();
    let nums: Vec<u64> = line
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    assert!(
        nums.len() >= 2 && nums[0] <= nums[1] && nums[1] > 0,
        "{line}"
    );
}

/// `bench ranking` orders the same alerts three ways and counts the hidden infections within
/// the first K of each; the simulator's reference it compares with knows who is at risk.
#[test]
fn bench_ranking_measures_the_score_against_the_simulators_reference() {
    let d = Scratch::new("ranking");
    let dir = d.path("r");
    let out = tracegrid(
        "unused.db",
        &[
            "bench",
            "ranking",
            "--persons",
            "6000",
            "--settings",
            "default,household",
            "--dir",
            dir.to_str().unwrap(),
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Four lines of K a setting: "  2× = 980   305   295   103%   227   1.34×".
    let rows: Vec<Vec<String>> = text
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()) && l.contains("× ="))
        .map(|l| {
            l.replace(',', "")
                .split_whitespace()
                .map(str::to_owned)
                .collect()
        })
        .collect();
    assert_eq!(rows.len(), 8, "{text}");
    for r in &rows {
        let n = |i: usize| r[i].trim_end_matches(['%', '×']).parse::<f64>().unwrap();
        let k = n(2);
        assert!(n(3) <= k && n(4) <= k && n(6) <= k, "{r:?}");
    }
    assert!(text.contains("Brier score"), "{text}");
    assert!(text.contains("Lowest share of the reference"), "{text}");

    // The reference puts the hidden infections far above the others it names.
    let truth: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.join("default").join("drop").join("truth.json")).unwrap(),
    )
    .unwrap();
    let end = truth["end"].as_i64().unwrap();
    let hidden: std::collections::HashSet<&str> = truth["infections"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["confirmed"].as_i64().is_none_or(|c| c > end))
        .map(|i| i["person_id"].as_str().unwrap())
        .collect();
    let (mut yes, mut no) = (Vec::new(), Vec::new());
    for (p, q) in truth["reference"].as_object().unwrap() {
        let q = q.as_f64().unwrap();
        assert!((0.0..=1.0).contains(&q), "{p} {q}");
        if hidden.contains(p.as_str()) {
            &mut yes
        } else {
            &mut no
        }
        .push(q);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len().max(1) as f64;
    assert!(!yes.is_empty() && !no.is_empty());
    assert!(mean(&yes) > 3.0 * mean(&no), "{} {}", mean(&yes), mean(&no));
}
