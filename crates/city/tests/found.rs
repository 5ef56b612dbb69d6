//! The record of each alert's first appearance, as the live city keeps it: written at start,
//! after a re-screen and for the subjects a change touched, once a subject — a re-screen, a
//! repeated note or a restart never duplicates or changes a row — and read back as the figure
//! of the cases the data found before their confirmation.

mod common;

use std::collections::HashMap;

use tracegrid_city::found::FirstAlertBook;
use tracegrid_city::tasks::Policy;
use tracegrid_city::{City, LiveCity, Running, Settings, Shown, load_world};
use tracegrid_model::Millis;
use tracegrid_store::FirstAlert;

fn moment(text: &str) -> Millis {
    tracegrid_model::read_moment(text, chrono_tz::Asia::Shanghai).unwrap()
}

fn settings(as_of: Millis) -> Settings {
    Settings {
        as_of: Some(as_of),
        home_region: Some("330800".into()),
        ..Settings::default()
    }
}

fn record(db: &str) -> HashMap<String, FirstAlert> {
    tracegrid_store::first_alerts(db)
        .unwrap()
        .all()
        .unwrap()
        .into_iter()
        .map(|f| (f.subject.clone(), f))
        .collect()
}

/// Each alert of `city`'s screening with its place in the screening's order (1 first).
fn ranks(city: &City) -> HashMap<String, i64> {
    city.screening
        .alerts()
        .enumerate()
        .map(|(i, a)| (city.world.subject_name(a.subject).to_owned(), i as i64 + 1))
        .collect()
}

#[test]
fn the_record_keeps_each_alerts_first_appearance_through_rescreens_and_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::sample_store(dir.path());
    let (d25, d29) = (moment("2020-01-25"), moment("2020-01-29"));
    let live = LiveCity::open(&db, settings(d25), Policy::default(), Running::default()).unwrap();
    let at25 = ranks(&live.read());
    assert!(
        at25.len() > 3,
        "the sample drop alerts people on 25 January"
    );
    let first = record(&db);
    assert_eq!(first.len(), at25.len(), "every alert at start is recorded");
    for (name, rank) in &at25 {
        let f = &first[name];
        assert_eq!((f.as_of, f.rank), (d25, *rank), "{name}");
        assert!(!f.reasons.is_empty());
    }
    assert_eq!(live.found.began().map(|b| b.0), Some(d25));

    live.rescreen(Some("2020-01-29"), None).unwrap();
    let at29 = ranks(&live.read());
    let after = record(&db);
    let new: Vec<&String> = at29.keys().filter(|n| !at25.contains_key(*n)).collect();
    assert!(!new.is_empty(), "29 January brings new alerts");
    for name in &new {
        assert_eq!(
            (after[*name].as_of, after[*name].rank),
            (d29, at29[*name]),
            "{name}"
        );
    }
    for (name, f) in &first {
        assert_eq!(&after[name], f, "{name} keeps its first appearance");
    }
    assert_eq!(after.len(), at25.len() + new.len());

    // A restart at another moment reads the record and writes nothing twice.
    drop(live);
    let live = LiveCity::open(&db, settings(d29), Policy::default(), Running::default()).unwrap();
    assert_eq!(record(&db), after);
    assert_eq!(live.found.len(), after.len());
    assert_eq!(
        live.found.began().map(|b| b.0),
        Some(d25),
        "the record began once"
    );

    // A person alerted on the 25th, confirmed on the 26th at noon: found first, 36 hours before.
    let (name, id_number) = {
        let city = live.read();
        let s = city
            .screening
            .alerts()
            .map(|a| a.subject)
            .find(|&s| {
                at25.contains_key(city.world.subject_name(s)) && city.world.person_of(s).is_some()
            })
            .expect("a registered person alerted on the 25th");
        (
            city.world.subject_name(s).to_owned(),
            city.world.person_of(s).unwrap().0.to_owned(),
        )
    };
    let fields = serde_json::json!({"subject": id_number, "status": "confirmed",
        "confirmed": "2020-01-26 12:00"});
    live.save_case(fields.as_object().unwrap()).unwrap();
    let shown = Shown {
        full_ids: true,
        links: true,
    };
    let fig = live.found_first(Some(moment("2020-01-26")), shown).unwrap();
    let me = fig
        .found
        .iter()
        .find(|f| f.case.subject == name)
        .expect("found first");
    assert_eq!(me.lead_hours, 36.0);
    assert_eq!(me.rank, at25[&name]);
    assert!(me.task_id.is_some(), "its grid task was made at start");
    assert!(!me.task_reached, "no one worked it");
    assert!(fig.missed.iter().all(|m| m.case.subject != name));
}

#[test]
fn a_note_for_some_subjects_records_only_new_alerts_with_their_place_in_the_whole_order() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::sample_store(dir.path());
    let (world, registry) = load_world(&db).unwrap();
    let at = moment("2020-01-29");
    let city = City::build(settings(at), world, registry, at).unwrap();
    let order = ranks(&city);
    let mut names: Vec<&String> = order.keys().collect();
    names.sort_by_key(|n| order[*n]);
    let last = names[names.len() - 1].as_str();
    let book = FirstAlertBook::open(&db).unwrap();
    assert_eq!(book.note(&city, &[last, "P-NOBODY"], 5).unwrap(), 1);
    assert_eq!(book.note(&city, &[last], 6).unwrap(), 0, "recorded once");
    let r = record(&db);
    assert_eq!(r.len(), 1);
    assert_eq!(
        (r[last].as_of, r[last].seen, r[last].rank),
        (at, 5, order[last])
    );
    // The whole screening then: every other alert, the one noted kept as it was.
    assert_eq!(book.note_all(&city, 7).unwrap(), order.len() - 1);
    assert_eq!(book.note_all(&city, 8).unwrap(), 0);
    let r = record(&db);
    assert_eq!(r.len(), order.len());
    assert_eq!(r[last].seen, 5);
    assert!(r.values().all(|f| f.rank == order[&f.subject]));
}
