//! Health reports through a live feed (CONTRACT.md sections 6.1 and 9): kept once, taken into
//! the serving screening at once, and screened as a city loaded afresh from the store would
//! screen them — FEVER_REPORTED with its earliest evidence and place.

mod common;

use std::sync::mpsc;
use std::time::Duration;

use tracegrid_city::tasks::Policy;
use tracegrid_city::{City, LiveCity, Route, Running, Settings, Submission};
use tracegrid_ingest::Format;
use tracegrid_ingest::feed::Answer;
use tracegrid_model::Millis;

const P1: &str = "11010519491231002X";
const P2: &str = "330802199001010002";
/// In no registry: the subject `id_number:…`.
const VISITOR: &str = "110105194912310038";

fn drop_store(dir: &std::path::Path) -> String {
    let drop = dir.join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    let write = |name: &str, text: &str| std::fs::write(drop.join(name), text).unwrap();
    write("regions.csv", "code,name,parent_code,level\nR,X,,city\n");
    write(
        "places.csv",
        "place_id,kind,region_code\nGATE-1,gate,R\nCLINIC-1,clinic,R\n",
    );
    write(
        "persons.csv",
        &format!("person_id,id_number\nP1,{P1}\nP2,{P2}\n"),
    );
    common::import(&drop, dir)
}

fn settings(as_of: Millis) -> Settings {
    Settings {
        as_of: Some(as_of),
        ..Settings::default()
    }
}

fn feed(live: &LiveCity, body: &str) -> Answer {
    let (tx, rx) = mpsc::channel();
    live.submit(
        Submission {
            kind: "health_reports".into(),
            body: body.as_bytes().to_vec(),
            format: Format::Csv,
            route: Route::Http,
            source: "clinic-feeder".into(),
        },
        Box::new(move |r| {
            let _ = tx.send(r);
        }),
    )
    .unwrap();
    // A bound on a hang, not a measurement.
    rx.recv_timeout(Duration::from_secs(60))
        .expect("the feed answers")
        .expect("the rows are kept")
}

fn screen(city: &City) -> serde_json::Value {
    serde_json::to_value(city.screen_view(city.screening.alerts())).unwrap()
}

#[test]
fn fed_health_reports_raise_fever_reported_as_a_fresh_load_does() {
    let dir = tempfile::tempdir().unwrap();
    let db = drop_store(dir.path());
    let as_of = tracegrid_model::read_moment("2020-01-29", chrono_tz::Asia::Shanghai).unwrap();
    let live = LiveCity::open(&db, settings(as_of), Policy::default(), Running::default()).unwrap();
    let body = format!(
        "id_number,time,temperature,symptoms,place_id,reporter,record_id\n\
         {P1},2020-01-27 08:00,38.2,,GATE-1,gate,G-1\n\
         {P1},2020-01-26 09:00,37.4,,CLINIC-1,clinic,C-1\n\
         {P2},2020-01-27 08:00,36.5,,,self,\n\
         {P2},2020-01-27 20:00,,sore_throat,,self,\n\
         {VISITOR},2020-01-28 10:00,37.3,,,grid_worker,\n\
         {P2},2020-01-28 08:00,37.25,,,self,\n"
    );
    let a = feed(&live, &body);
    assert_eq!((a.accepted, a.rejected, a.duplicates), (5, 1, 0));
    assert_eq!(a.rejects[0].line, 7);

    let got = screen(&live.read());
    let alerts = got["alerts"].as_array().unwrap();
    let reasons = |subject: &str| -> Vec<(String, String, serde_json::Value)> {
        alerts
            .iter()
            .find(|a| a["subject"] == subject)
            .map(|a| {
                a["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| {
                        (
                            r["code"].as_str().unwrap().to_owned(),
                            r["at"].as_str().unwrap().to_owned(),
                            r["place_id"].clone(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let fever = |at: &str, place: serde_json::Value| {
        vec![("FEVER_REPORTED".to_owned(), at.to_owned(), place)]
    };
    // The earliest report is the evidence, with its place.
    assert_eq!(
        reasons("P1"),
        fever("2020-01-26T09:00:00+08:00", "CLINIC-1".into())
    );
    assert_eq!(
        reasons("P2"),
        fever("2020-01-27T20:00:00+08:00", serde_json::Value::Null)
    );
    assert_eq!(alerts.len(), 3, "{got}");
    // A city loaded afresh from the store screens the same.
    let fresh = City::load(&db, settings(as_of), as_of).unwrap();
    assert_eq!(got, screen(&fresh));

    // Fed again: every row a duplicate, nothing changes.
    let again = feed(&live, &body);
    assert_eq!(
        (again.accepted, again.rejected, again.duplicates),
        (0, 1, 5)
    );
    assert_eq!(screen(&live.read()), got);
    drop(live);
    let mut store = tracegrid_store::open(&db).unwrap();
    let counts = store.counts().unwrap();
    // Two reports named a place: two sightings of source health.
    assert_eq!((counts.health_reports, counts.sightings), (5, 2));
}
