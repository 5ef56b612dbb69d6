//! The command centre in headless Chromium: `tracegrid serve` on a small simulated city, driven
//! by tests/browser/run.mjs, gates.mjs and walk.mjs (playwright-core; walk.mjs opens every page
//! as every role on a desktop and a phone). Screenshots of every page are kept in
//! target/browser-screenshots for a person to look at. Needs Debian's `chromium`, Node.js and
//! `npm ci` in tests/browser (`.ci/run` installs them).

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use crate::{Scratch, tracegrid};

const PASSWORD: &str = "browser-test-pw";

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_command_centre_works_in_a_browser() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let browser_dir = root.join("tests/browser");
    assert!(
        browser_dir.join("node_modules/playwright-core").is_dir(),
        "run `npm ci` in tests/browser first (.ci/run does)"
    );
    let d = Scratch::new("browser");
    let db = d.path("city.db");
    let db = db.to_str().unwrap();
    let drop_dir = d.path("drop");
    let out = tracegrid(
        "unused.db",
        &[
            "sim",
            "--out",
            drop_dir.to_str().unwrap(),
            "--persons",
            "3000",
            "--days",
            "12",
            "--seeds",
            "6",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = tracegrid(db, &["import", drop_dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop_dir.join("truth.json")).unwrap()).unwrap();
    let end = truth["end"].as_i64().expect("truth.json names the end");
    let as_of = tracegrid_model::format_time(end, chrono_tz::Asia::Shanghai);

    // The busiest grid goes to the grid worker; someone alerted elsewhere is the outsider.
    let out = tracegrid(
        db,
        &[
            "screen",
            "--json",
            "--as-of",
            &as_of,
            "--home-region",
            "330800",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let screen: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let alerts = screen["alerts"].as_array().unwrap();
    let mut by_grid = std::collections::BTreeMap::<&str, usize>::new();
    for a in alerts {
        if let Some(g) = a["grid_code"].as_str() {
            *by_grid.entry(g).or_default() += 1;
        }
    }
    let grid = by_grid
        .iter()
        .max_by_key(|(g, n)| (**n, std::cmp::Reverse(**g)))
        .unwrap()
        .0
        .to_string();
    let outsider = alerts
        .iter()
        .find(|a| a["grid_code"].as_str().is_some_and(|g| g != grid))
        .unwrap()["subject"]
        .as_str()
        .unwrap()
        .to_owned();
    let case = alerts
        .iter()
        .flat_map(|a| a["reasons"].as_array().unwrap())
        .find(|r| r["code"] == "CLOSE_CONTACT")
        .and_then(|r| r["case"].as_str())
        .expect("a case with close contacts")
        .to_owned();

    // A gate of that grid for the guard, and a resident of it with a phone of their own.
    let gate = read_csv(&drop_dir.join("places.csv"))
        .into_iter()
        .filter(|r| r["kind"] == "gate" && r["grid_code"] == grid)
        .map(|r| r["place_id"].clone())
        .min()
        .expect("a gate in the grid");
    let persons = read_csv(&drop_dir.join("persons.csv"));
    let mut phones = std::collections::HashMap::<&str, usize>::new();
    for p in &persons {
        *phones.entry(p["phone"].as_str()).or_default() += 1;
    }
    let (resident, phone) = persons
        .iter()
        .filter(|p| {
            p["grid_code"] == grid && !p["phone"].is_empty() && phones[p["phone"].as_str()] == 1
        })
        .map(|p| (p["person_id"].clone(), p["phone"].clone()))
        .min()
        .expect("a resident of the grid with a phone");

    for (user, role, extra) in [
        ("admin", "admin", vec![]),
        ("analyst", "analyst", vec![]),
        ("epi", "epidemiologist", vec![]),
        ("viewer", "viewer", vec![]),
        ("wang", "grid_worker", vec!["--grid", grid.as_str()]),
        ("guard", "gate_guard", vec!["--gate", gate.as_str()]),
    ] {
        let mut args = vec!["user", "add", user, "--role", role];
        args.extend(extra);
        let out = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
            .arg("--db")
            .arg(db)
            .args(&args)
            .env("TRACEGRID_PASSWORD", PASSWORD)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    let mut child = Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .arg("--db")
        .arg(db)
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--as-of",
            &as_of,
            "--home-region",
            "330800",
        ])
        .env_remove("TRACEGRID_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stdout).lines();
    let base = loop {
        let line = lines
            .next()
            .expect("the server says where it listens")
            .unwrap();
        if let Some(rest) = line.split("http://").nth(1) {
            break format!("http://{}", rest.split('/').next().unwrap());
        }
    };
    // Keep draining the server's output so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});

    let shots = root.join("target/browser-screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    let district = &grid[..6];
    let common = [
        "--base",
        base.as_str(),
        "--out",
        shots.to_str().unwrap(),
        "--password",
        PASSWORD,
    ];
    node(
        &browser_dir,
        "run.mjs",
        &common,
        &[
            "--case",
            &case,
            "--district",
            district,
            "--outsider",
            &outsider,
        ],
        &shots,
        "PASSED",
    );
    // The gate and the resident: a pass on the resident's phone, filmed by the guard's.
    node(
        &browser_dir,
        "gates.mjs",
        &common,
        &["--resident", &resident, "--phone", &phone, "--gate", &gate],
        &shots,
        "GATES-PASSED",
    );
    // Every page as every role, on a desktop and a phone: timed, in Chinese, fitting the phone.
    node(
        &browser_dir,
        "walk.mjs",
        &common,
        &[
            "--case",
            &case,
            "--users",
            "admin=admin,analyst=analyst,epidemiologist=epi,viewer=viewer,\
             grid_worker=wang,gate_guard=guard",
        ],
        &shots,
        "WALK-PASSED",
    );
    drop(server);
    for name in [
        "02-overview-map",
        "04-alert-evidence",
        "05-trace",
        "09-grid-worker-phone-alerts",
        "g02-resident-pass-phone",
        "g04-gate-scan-phone",
        "walk-analyst-desktop-overview",
        "walk-grid_worker-phone-tasks",
    ] {
        let png = shots.join(format!("{name}.png"));
        assert!(
            std::fs::metadata(&png).is_ok_and(|m| m.len() > 10_000),
            "{} is missing or empty",
            png.display()
        );
    }
}

/// The rows of a CSV file as maps from header to value.
fn read_csv(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let headers = r.headers().unwrap().clone();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            headers
                .iter()
                .zip(rec.iter())
                .map(|(h, v)| (h.to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Runs one browser script of tests/browser against the server; it must pass and leave its
/// `passed` mark in the screenshots' folder. Its output is printed (the timings a walk takes).
fn node(dir: &Path, script: &str, common: &[&str], own: &[&str], shots: &Path, passed: &str) {
    let out = Command::new("node")
        .current_dir(dir)
        .arg(script)
        .args(common)
        .args(own)
        .output()
        .expect("node runs (install Node.js)");
    let log = format!(
        "{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{script} failed:\n{log}");
    assert!(shots.join(passed).is_file(), "{log}");
    println!("{log}");
}
