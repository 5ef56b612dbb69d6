//! A screening without a fixed moment rolls with the clock (CONTRACT.md section 6: "without
//! `--as-of` … the window moving with the clock"): moved forward in place, it answers as a
//! screening built at the new moment — sightings fallen out of the lookback stop counting, and
//! alerts that lose every reason go — while a fixed moment stays where it is.

mod common;

use tracegrid_city::{City, Settings, load_world};
use tracegrid_model::Millis;

const DAY: Millis = 86_400_000;

fn settings(as_of: Option<Millis>) -> Settings {
    Settings {
        as_of,
        home_region: Some("330800".into()),
        ..Settings::default()
    }
}

/// The contract's screen object of a city.
fn screen(city: &City) -> serde_json::Value {
    serde_json::to_value(city.screen_view(city.screening.alerts())).unwrap()
}

fn built_at(db: &str, s: Settings, now: Millis) -> City {
    let (world, registry) = load_world(db).unwrap();
    City::build(s, world, registry, now).unwrap()
}

#[test]
fn a_rolling_screening_moves_with_the_clock_as_if_built_at_each_moment() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::sample_store(dir.path());
    let start = tracegrid_model::read_moment("2020-01-29", chrono_tz::Asia::Shanghai).unwrap();
    let mut city = built_at(&db, settings(None), start);
    let first = city.screening.len();
    assert!(
        first > 3,
        "the sample drop alerts people on 29 January: {first}"
    );
    let mut counts = vec![first];
    // In steps of a few hours, then days, until everything has fallen out of the lookback.
    for now in [
        start + 5 * 3_600_000,
        start + DAY,
        start + 3 * DAY,
        start + 8 * DAY,
        start + 30 * DAY,
    ] {
        city.roll(now);
        assert_eq!(city.screening.params().as_of, now);
        let fresh = built_at(&db, settings(None), now);
        assert_eq!(
            screen(&city),
            screen(&fresh),
            "rolled to {}",
            city.time(now)
        );
        counts.push(city.screening.len());
    }
    assert!(
        counts.windows(2).any(|w| w[1] < w[0]),
        "alerts went as their sightings fell out of the window: {counts:?}"
    );
    // Backwards is not a roll.
    city.roll(start);
    assert_eq!(city.screening.params().as_of, start + 30 * DAY);
}

#[test]
fn a_fixed_moment_does_not_roll() {
    let dir = tempfile::tempdir().unwrap();
    let db = common::sample_store(dir.path());
    let start = tracegrid_model::read_moment("2020-01-29", chrono_tz::Asia::Shanghai).unwrap();
    let mut city = built_at(&db, settings(Some(start)), start);
    let before = screen(&city);
    assert!(city.roll(start + 10 * DAY).is_empty());
    assert_eq!(city.screening.params().as_of, start);
    assert_eq!(screen(&city), before);
}
