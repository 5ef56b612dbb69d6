//! `--scenario`: a named outbreak for `tracegrid sim` and `tracegrid demo`, its values changed by
//! the knobs given.

use super::*;

fn sim(args: &[&str]) -> Output {
    let mut all = vec!["sim"];
    all.extend_from_slice(args);
    tracegrid("unused.db", &all)
}

#[test]
fn an_unknown_scenario_is_refused_with_the_names() {
    let d = Scratch::new("scenario-nope");
    let out = sim(&[
        "--scenario",
        "nope",
        "--out",
        d.path("drop").to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for name in [
        "nope",
        "default",
        "household",
        "transport",
        "unobserved",
        "quzhou-2020",
    ] {
        assert!(err.contains(name), "{name} not in: {err}");
    }
    assert!(!d.path("drop").exists(), "nothing written");
}

#[test]
fn quzhou_2020_writes_a_drop_and_the_knobs_given_override_it() {
    let d = Scratch::new("scenario-quzhou");
    let drop = d.path("drop");
    let out = sim(&[
        "--scenario",
        "quzhou-2020",
        "--persons",
        "3000",
        "--out",
        drop.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("Wrote 3000 residents"), "{said}");
    assert!(said.contains("1 of them infected there"), "{said}");
    let persons = std::fs::read_to_string(drop.join("persons.csv")).unwrap();
    assert_eq!(persons.lines().count(), 3001);
    let tickets = std::fs::read_to_string(drop.join("rail_tickets.csv")).unwrap();
    let back = tickets.lines().count() - 1;
    assert!(
        said.contains(&format!("({back} back from Wuhan")),
        "{back} tickets: {said}"
    );
    assert!(drop.join("cases.csv").exists() && drop.join("truth.json").exists());

    // --seeds given: the scenario's one infected returnee becomes three.
    let out = sim(&[
        "--scenario",
        "quzhou-2020",
        "--persons",
        "3000",
        "--seeds",
        "3",
        "--out",
        d.path("three").to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("3 of them infected there"), "{said}");
}

#[test]
fn the_help_still_says_the_defaults_and_the_scenarios() {
    let out = tracegrid("unused.db", &["sim", "--help"]);
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for words in [
        "[default: 50000",
        "[default: 21]",
        "[default: 0.05, or the scenario's]",
        "quzhou-2020",
    ] {
        assert!(help.contains(words), "{words:?} not in:\n{help}");
    }
}
