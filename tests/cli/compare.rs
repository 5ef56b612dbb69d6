//! `tracegrid bench compare` on a small city against the machine's real PostgreSQL + PostGIS
//! and DuckDB: the command fails if any system's answer differs from tracegrid's, so its
//! success is the check; the report's files are checked to hold every system and question.

use std::process::Command;

use crate::Scratch;

#[test]
fn postgis_and_duckdb_give_tracegrid_s_answers() {
    let dir = Scratch::new("compare");
    let out = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args([
            "bench",
            "compare",
            "--sizes",
            "0.05",
            "--samples",
            "3",
            "--dir",
        ])
        .arg(&dir.0)
        .args(["--postgres", &tracegrid_store::testing::postgres_url()])
        .output()
        .expect("tracegrid runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("every answer agreed with tracegrid's"),
        "{stdout}"
    );

    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path("results.json")).unwrap()).unwrap();
    let run = &results["sizes"][0]["run"];
    assert!(run["sightings"].as_u64().unwrap() > 50_000, "{run}");
    let systems = run["systems"].as_array().unwrap();
    let names: Vec<&str> = systems
        .iter()
        .map(|s| s["system"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names[0], "tracegrid");
    assert!(names[1].starts_with("PostGIS 3"), "{names:?}");
    assert!(names[2].starts_with("DuckDB "), "{names:?}");
    for s in systems {
        let asked: Vec<&str> = s["questions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|q| q[0].as_str().unwrap())
            .collect();
        for q in [
            "contacts",
            "two_degree",
            "area_region",
            "area_polygon",
            "trajectory",
            "screen",
        ] {
            assert!(asked.contains(&q), "{} lacks {q}: {asked:?}", s["system"]);
        }
        for q in s["questions"].as_array().unwrap() {
            assert!(
                !q[1]["ms"].as_array().unwrap().is_empty(),
                "{} ran no sample of {}",
                s["system"],
                q[0]
            );
        }
    }
    assert!(run["alerts"].as_u64().unwrap() > 0, "{run}");
    let svg = std::fs::read_to_string(dir.path("compare.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("<circle"), "{svg}");
    let report = std::fs::read_to_string(dir.path("report.md")).unwrap();
    assert!(report.contains("| screen |"), "{report}");
}
