//! An import killed with SIGKILL halfway leaves the store consistent; running it again completes
//! it with nothing lost and nothing doubled.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::*;

const EVENTS: u64 = 600_000;

/// Counts sightings through a second connection while an import may be running: opening a
/// store to read must not wait for the import (a regression this test once caught).
fn sightings(spec: &str) -> u64 {
    let mut store = tracegrid_store::open(spec).expect("a store opens while an import runs");
    store
        .counts()
        .expect("counts while an import runs")
        .sightings
}

fn killed_import_resumes(db: &TestDb) {
    let d = Scratch::new("resume");
    let drop = d.path("drop");
    let out = tracegrid(
        &db.spec,
        &[
            "bench",
            "generate",
            "--rows",
            &EVENTS.to_string(),
            "--persons",
            "2000",
            "--dir",
            drop.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Small transactions (600 commits, each synced to disk), so that the kill lands between
    // commits and, often, inside one.
    let mut child = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args([
            "--db",
            &db.spec,
            "import",
            "--json",
            "--batch-rows",
            "1000",
            drop.to_str().unwrap(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while sightings(&db.spec) < 2_000 {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "the import never got going"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended before it could be killed"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let partial = sightings(&db.spec);
    assert!(
        partial > 0 && partial < EVENTS,
        "killed after {partial} of {EVENTS}"
    );

    let v = import_json(&db.spec, &drop, &[]);
    assert_eq!(v["rejected"], 0);
    let events_accepted: u64 = v["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| !["regions", "places", "persons"].contains(&f["kind"].as_str().unwrap()))
        .map(|f| f["accepted"].as_u64().unwrap())
        .sum();
    assert_eq!(
        events_accepted,
        EVENTS - partial,
        "the resumed import stores exactly what was missing"
    );
    assert_eq!(sightings(&db.spec), EVENTS);
    let s = stats(&db.spec);
    assert_eq!(s["persons"], 2000);

    // And once more: nothing new.
    let again = import_json(&db.spec, &drop, &[]);
    assert_eq!(again["accepted"], 0);
    assert_eq!(sightings(&db.spec), EVENTS);
}

#[test]
fn killed_import_resumes_on_sqlite() {
    killed_import_resumes(&TestDb::sqlite());
}

#[test]
fn killed_import_resumes_on_postgres() {
    killed_import_resumes(&TestDb::postgres());
}
