//! `tracegrid screen` and `tracegrid trace` on the sample drop: the alerts and contacts
//! CONTRACT.md section 2 implies for it, worked out by hand (see each comment).

use std::collections::BTreeSet;

use serde_json::Value;

use super::*;

fn loaded() -> TestDb {
    let db = TestDb::sqlite();
    let scratch = Scratch::new("screen");
    import_json(
        &db.spec,
        &sample_drop(),
        &["--rejects", scratch.path("r.csv").to_str().unwrap()],
    );
    db
}

fn json(out: std::process::Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn screen_finds_what_the_rules_say() {
    let db = loaded();
    let v = json(tracegrid(
        &db.spec,
        &[
            "screen",
            "--json",
            "--as-of",
            "2020-01-29T00:00:00+08:00",
            "--home-region",
            "330800",
        ],
    ));
    assert_eq!(v["as_of"], "2020-01-29T00:00:00+08:00");
    let mut got = BTreeSet::new();
    for a in v["alerts"].as_array().unwrap() {
        for r in a["reasons"].as_array().unwrap() {
            let key = r["case"].as_str().or(r["area_id"].as_str()).unwrap_or("");
            got.insert((
                a["subject"].as_str().unwrap().to_owned(),
                r["code"].as_str().unwrap().to_owned(),
                key.to_owned(),
                r["at"].as_str().unwrap().to_owned(),
            ));
        }
    }
    let want: BTreeSet<(String, String, String, String)> = [
        // Same train car (G1234 car 05) as case P000003 within its exposure window.
        (
            "P000004",
            "CLOSE_CONTACT",
            "P000003",
            "2020-01-22T08:00:00+08:00",
        ),
        // Household of P000004, and an internet café session with P000004 after its contact.
        (
            "P000005",
            "SECONDARY_CONTACT",
            "P000003",
            "2020-01-22T08:00:00+08:00",
        ),
        (
            "P000006",
            "SECONDARY_CONTACT",
            "P000003",
            "2020-01-24T22:00:00+08:00",
        ),
        // At SHOP-1 ten minutes after the case left: within the 15-minute tolerance.
        (
            "P000001",
            "GENERAL_CONTACT",
            "P000003",
            "2020-01-25T10:30:00+08:00",
        ),
        // Wuhan station (area by region) and the polygon area (a parked plate, a shop, a pharmacy).
        (
            "P000004",
            "EPI_AREA",
            "A-WUHAN",
            "2020-01-22T08:00:00+08:00",
        ),
        (
            "P000005",
            "EPI_AREA",
            "A-WUHAN",
            "2020-01-22T08:00:00+08:00",
        ),
        ("P000004", "EPI_AREA", "A-POLY", "2020-01-25T09:00:00+08:00"),
        ("P000001", "EPI_AREA", "A-POLY", "2020-01-25T10:30:00+08:00"),
        ("P000002", "EPI_AREA", "A-POLY", "2020-01-25T09:00:00+08:00"),
        // Parcels shipped from Wuhan while the area was active.
        (
            "P000004",
            "DELIVERY_FROM_AREA",
            "A-WUHAN",
            "2020-01-23T15:00:00+08:00",
        ),
        (
            "phone:13700000000",
            "DELIVERY_FROM_AREA",
            "A-WUHAN",
            "2020-01-21T10:00:00+08:00",
        ),
        // From Wuhan station (outside 330800) to Quzhou station.
        (
            "P000004",
            "OUTSIDE_ARRIVAL",
            "",
            "2020-01-22T13:30:00+08:00",
        ),
        (
            "P000005",
            "OUTSIDE_ARRIVAL",
            "",
            "2020-01-22T13:30:00+08:00",
        ),
    ]
    .iter()
    .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
    .collect();
    assert_eq!(got, want);
    // Cases (P000003; P000007, suspected) get no alert; scores fall.
    let alerts = v["alerts"].as_array().unwrap();
    let scores: Vec<f64> = alerts
        .iter()
        .map(|a| a["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(alerts[0]["subject"], "P000004");
    assert_eq!(alerts[0]["name"], "刘洋");
    assert_eq!(alerts[0]["grid_code"], "330802001001002");
    assert_eq!(alerts[0]["id_number"].as_str().unwrap().len(), 18);
}

#[test]
fn trace_shows_contacts_two_degrees_deep_and_links_between_cases() {
    let db = loaded();
    let v = json(tracegrid(
        &db.spec,
        &[
            "trace",
            "P000003",
            "--json",
            "--degree",
            "2",
            "--as-of",
            "2020-01-29",
        ],
    ));
    assert_eq!(v["is_case"], true);
    // Onset 2020-01-24 minus two days, to isolation on 2020-01-26 18:00.
    assert_eq!(v["window"]["from"], "2020-01-22T00:00:00+08:00");
    assert_eq!(v["window"]["to"], "2020-01-26T18:00:00+08:00");
    let trajectory = v["trajectory"].as_array().unwrap();
    assert_eq!(trajectory.len(), 7);
    assert_eq!(trajectory[1]["place_id"], "G1234@2020-01-22#05");
    assert_eq!(trajectory[1]["kind"], "train_car");
    assert_eq!(trajectory[1]["region_code"], Value::Null);
    assert_eq!(trajectory[1]["source"], "rail");
    let contacts: Vec<(String, u64, String, String, bool, Value)> = v["contacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["subject"].as_str().unwrap().to_owned(),
                c["degree"].as_u64().unwrap(),
                c["tier"].as_str().unwrap().to_owned(),
                c["first_at"].as_str().unwrap().to_owned(),
                c["is_case"].as_bool().unwrap(),
                c["via"].clone(),
            )
        })
        .collect();
    let s = |x: &str| x.to_owned();
    assert_eq!(
        contacts,
        vec![
            (
                s("P000004"),
                1,
                s("close"),
                s("2020-01-22T08:00:00+08:00"),
                false,
                Value::Null
            ),
            (
                s("P000005"),
                2,
                s("close"),
                s("2020-01-22T08:00:00+08:00"),
                false,
                "P000004".into()
            ),
            (
                s("P000006"),
                2,
                s("close"),
                s("2020-01-24T22:00:00+08:00"),
                false,
                "P000004".into()
            ),
            // The suspected case P000007 on the same bus: a link between cases.
            (
                s("P000007"),
                1,
                s("close"),
                s("2020-01-25T08:10:00+08:00"),
                true,
                Value::Null
            ),
            (
                s("P000001"),
                1,
                s("general"),
                s("2020-01-25T10:30:00+08:00"),
                false,
                Value::Null
            ),
        ]
    );

    // A plate traces to its owner's sightings; an unknown subject is a one-line error.
    let by_plate = json(tracegrid(
        &db.spec,
        &[
            "trace",
            "plate:浙H·12345",
            "--json",
            "--as-of",
            "2020-01-29",
        ],
    ));
    assert_eq!(by_plate["subject"], "P000001");
    let unknown = tracegrid(&db.spec, &["trace", "P424242", "--as-of", "2020-01-29"]);
    assert_eq!(unknown.status.code(), Some(1));
}

#[test]
fn nothing_outside_the_window_counts() {
    let db = loaded();
    // A week before the first sighting: no data exists yet.
    let v = json(tracegrid(
        &db.spec,
        &["screen", "--json", "--as-of", "2020-01-15"],
    ));
    assert_eq!(v["alerts"], serde_json::json!([]));
}

// Guards: `tracegrid screen … | head` (as the demo suggests) panicked with "Broken pipe" and
// exited 101.
#[test]
fn a_command_whose_output_is_closed_ends_quietly() {
    let d = Scratch::new("pipe");
    let drop_dir = d.path("drop");
    let out = tracegrid(
        "unused.db",
        &[
            "sim",
            "--out",
            drop_dir.to_str().unwrap(),
            "--persons",
            "20000",
            "--days",
            "12",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = d.path("city.db");
    let db = db.to_str().unwrap();
    let out = tracegrid(db, &["import", drop_dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let args = ["--db", db, "screen", "--as-of", "2020-02-01"];
    // Twice what a pipe holds (64 KiB), so the writer meets the closed end.
    let whole = std::process::Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        whole.stdout.len() > 128 << 10,
        "{} bytes",
        whole.stdout.len()
    );
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut first,
    )
    .unwrap();
    assert!(first.starts_with("Screened at"), "{first}");
    // The reader is gone now (its end dropped above), as `head` goes after one line.
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "",
        "no panic, no message"
    );
}
