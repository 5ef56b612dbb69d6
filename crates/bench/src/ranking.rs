//! `tracegrid bench ranking`: how many hidden infections the first calls reach.
//!
//! For each simulator setting, a city is simulated with its reference ranking
//! ([`tracegrid_sim::simulate_with_reference`]: each resident's chance of an unconfirmed
//! infection given the known cases, computed with the simulator's own transmission model),
//! imported, and screened at the end of the period. The same alerts are then ordered three ways
//! — by tracegrid's score, by the reference, and by the score tracegrid used before it was a
//! probability (the peer in the same run) — and each order's hidden infections within the first
//! K alerts are counted, K = 1, 2, 5 and 10 × the hidden infections. tracegrid's score is also
//! checked as a probability: by decile of the predicted chance, the share actually infected,
//! and the Brier score.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use tracegrid_city::Settings;
use tracegrid_engine::{Alert, World};
use tracegrid_model::Millis;
use tracegrid_sim::SimParams;

use crate::human::group;
use crate::out;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Residents of each simulated city.
    #[arg(long, default_value_t = 30_000)]
    pub persons: usize,
    #[arg(long, default_value_t = 21)]
    pub days: i64,
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,
    /// Settings to run, by name (default: all).
    #[arg(long, value_delimiter = ',')]
    pub settings: Vec<String>,
    /// Working directory (default: a temporary one, removed after).
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

/// The simulator settings the ranking is measured on: the default, and three whose
/// transmission differs from it, with tracegrid's parameters the same for all.
pub fn settings() -> Vec<(&'static str, &'static str, SimParams)> {
    let d = SimParams::default();
    vec![
        ("default", "the demo's city", d.clone()),
        (
            "household",
            "more spread at home, less outside",
            SimParams {
                p_household: 0.10,
                beta_close: 0.03,
                beta_general: 0.001,
                ..d.clone()
            },
        ),
        (
            "transport",
            "more spread in buses, cars and cafés",
            SimParams {
                beta_close: 0.15,
                p_household: 0.02,
                ..d.clone()
            },
        ),
        (
            "unobserved",
            "more spread no data sees",
            SimParams {
                p_unobserved: 0.12,
                p_household: 0.03,
                ..d
            },
        ),
    ]
}

/// One order of the alerts: for each position, whether that alert is a hidden infection.
#[derive(Debug)]
struct Order {
    hits: Vec<bool>,
}

impl Order {
    fn within(&self, k: usize) -> usize {
        self.hits.iter().take(k).filter(|&&h| h).count()
    }
}

/// What one setting measured.
#[derive(Debug)]
pub struct Measured {
    pub setting: &'static str,
    pub alerts: usize,
    pub hidden: usize,
    pub infections: usize,
    pub confirmed: usize,
    /// (K, tracegrid, reference, before).
    pub recall: Vec<(usize, usize, usize, usize)>,
    /// (mean predicted, share infected, alerts) by decile of the prediction, lowest first.
    pub deciles: Vec<(f64, f64, usize)>,
    pub brier: f64,
    /// The Brier score of predicting, for every alert, the share of alerts infected.
    pub brier_base: f64,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let all = settings();
    let chosen: Vec<_> = if args.settings.is_empty() {
        all
    } else {
        for s in &args.settings {
            if !all.iter().any(|(n, _, _)| n == s) {
                let names: Vec<&str> = all.iter().map(|(n, _, _)| *n).collect();
                anyhow::bail!("no setting {s}: the settings are {}", names.join(", "));
            }
        }
        all.into_iter()
            .filter(|(n, _, _)| args.settings.iter().any(|s| s == n))
            .collect()
    };
    let temp = args.dir.is_none();
    let base = args.dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("tracegrid-ranking-{}", std::process::id()))
    });
    out!(
        "tracegrid bench ranking — {} residents, {} days, seed {}; the same alerts in three orders:",
        group(args.persons as u64),
        args.days,
        args.seed
    );
    out!("  tracegrid: the score (a probability of infection); reference: the simulator's own");
    out!("  transmission model given the known cases; before: the score before issue 17.\n");
    let mut results = Vec::new();
    for (name, what, params) in chosen {
        let params = SimParams {
            persons: args.persons,
            days: args.days,
            seed: args.seed,
            ..params
        };
        let m = measure(name, &params, &base.join(name))?;
        out!("{name} ({what})");
        print(&m)?;
        results.push(m);
    }
    if temp {
        let _ = std::fs::remove_dir_all(&base);
    }
    let worst = results
        .iter()
        .flat_map(|m| m.recall.iter().map(|r| share(r.1, r.2)))
        .fold(f64::INFINITY, f64::min);
    out!(
        "Lowest share of the reference at any K and setting: {:.0}%",
        100.0 * worst
    );
    Ok(ExitCode::SUCCESS)
}

fn share(a: usize, b: usize) -> f64 {
    if b == 0 { 1.0 } else { a as f64 / b as f64 }
}

/// Simulates, imports and screens one setting in `dir`, and measures the orders.
pub fn measure(setting: &'static str, params: &SimParams, dir: &Path) -> Result<Measured> {
    let drop_dir = dir.join("drop");
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let sim = tracegrid_sim::simulate_with_reference(params, &drop_dir)?;
    let db = dir.join("city.db").to_string_lossy().into_owned();
    crate::import_simulated(&drop_dir, &db, dir)?;
    let (world, _) = tracegrid_city::load_world(&db)?;
    let as_of = tracegrid_model::format_time(sim.end, chrono_tz::Asia::Shanghai);
    let settings = Settings::read(Some(&as_of), 14, Some("330800"), "Asia/Shanghai")?;
    let screen = world.screen(&settings.params(&world, sim.end)?);
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(drop_dir.join("truth.json"))?)?;
    Ok(compare(
        setting,
        &truth,
        &world,
        &screen.alerts,
        sim.end,
        sim.infections,
    ))
}

/// The three orders of `alerts` against the truth.
pub fn compare(
    setting: &'static str,
    truth: &serde_json::Value,
    world: &World,
    alerts: &[Alert],
    end: Millis,
    infections: usize,
) -> Measured {
    let mut hidden: HashSet<&str> = HashSet::new();
    let mut confirmed = 0;
    for i in truth["infections"].as_array().into_iter().flatten() {
        if i["infected_at"].as_i64().unwrap_or(i64::MAX) > end {
            continue;
        }
        if i["confirmed"].as_i64().is_some_and(|c| c <= end) {
            confirmed += 1;
        } else if let Some(p) = i["person_id"].as_str() {
            hidden.insert(p);
        }
    }
    let reference: HashMap<&str, f64> = truth["reference"]
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_f64().unwrap_or(0.0)))
        .collect();
    let name = |a: &Alert| world.subject_name(a.subject);
    let is_hidden = |a: &Alert| hidden.contains(name(a));
    let ours = Order {
        hits: alerts.iter().map(is_hidden).collect(),
    };
    let by = |key: &dyn Fn(&Alert) -> f64| {
        let mut ix: Vec<usize> = (0..alerts.len()).collect();
        ix.sort_by(|&x, &y| {
            key(&alerts[y])
                .total_cmp(&key(&alerts[x]))
                .then_with(|| name(&alerts[x]).cmp(name(&alerts[y])))
        });
        Order {
            hits: ix.iter().map(|&i| is_hidden(&alerts[i])).collect(),
        }
    };
    let reference_order = by(&|a| reference.get(name(a)).copied().unwrap_or(0.0));
    let before = by(&|a| tracegrid_engine::score_before_issue_17(world, &a.reasons, end));
    let recall = [1, 2, 5, 10]
        .into_iter()
        .map(|m| {
            let k = m * hidden.len();
            (
                k,
                ours.within(k),
                reference_order.within(k),
                before.within(k),
            )
        })
        .collect();

    // Calibration: the score as a probability, by decile of the prediction.
    let mut pairs: Vec<(f64, bool)> = alerts.iter().map(|a| (a.score, is_hidden(a))).collect();
    pairs.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = pairs.len().max(1);
    let deciles = (0..10)
        .map(|d| {
            let part = &pairs[d * pairs.len() / 10..(d + 1) * pairs.len() / 10];
            let m = part.len().max(1) as f64;
            (
                part.iter().map(|p| p.0).sum::<f64>() / m,
                part.iter().filter(|p| p.1).count() as f64 / m,
                part.len(),
            )
        })
        .collect();
    let y = |h: bool| if h { 1.0 } else { 0.0 };
    let brier = pairs.iter().map(|(p, h)| (p - y(*h)).powi(2)).sum::<f64>() / n as f64;
    let rate = pairs.iter().filter(|p| p.1).count() as f64 / n as f64;
    let brier_base = pairs
        .iter()
        .map(|(_, h)| (rate - y(*h)).powi(2))
        .sum::<f64>()
        / n as f64;
    Measured {
        setting,
        alerts: alerts.len(),
        hidden: hidden.len(),
        infections,
        confirmed,
        recall,
        deciles,
        brier,
        brier_base,
    }
}

/// A setting's lines.
pub fn print(m: &Measured) -> Result<()> {
    out!(
        "  {} infections, {} confirmed, {} hidden (infected, not yet confirmed); {} alerts",
        group(m.infections as u64),
        group(m.confirmed as u64),
        group(m.hidden as u64),
        group(m.alerts as u64)
    );
    out!(
        "  {:<16} {:>9} {:>10} {:>8} {:>8} {:>10}",
        "first K alerts",
        "tracegrid",
        "reference",
        "of ref",
        "before",
        "vs before"
    );
    for (i, (k, ours, reference, before)) in m.recall.iter().enumerate() {
        out!(
            "  {:<16} {:>9} {:>10} {:>7.0}% {:>8} {:>9.2}×",
            format!("{}× = {}", [1, 2, 5, 10][i], group(*k as u64)),
            ours,
            reference,
            100.0 * share(*ours, *reference),
            before,
            share(*ours, *before)
        );
    }
    out!("  calibration: predicted chance against the share infected, by decile of the alerts");
    let cells: Vec<String> = m
        .deciles
        .iter()
        .map(|(p, y, _)| format!("{:.1}%→{:.1}%", 100.0 * p, 100.0 * y))
        .collect();
    out!("    {}", cells[..5].join("  "));
    out!("    {}", cells[5..].join("  "));
    out!(
        "  Brier score {:.4} (every alert at the average rate: {:.4})\n",
        m.brier,
        m.brier_base
    );
    Ok(())
}
