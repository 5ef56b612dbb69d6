//! The demo's score: the alerts measured against what the simulator says really happened — how
//! many hidden infections (infected, not yet confirmed) the alerts reach, how many before
//! symptoms, within the top of the list, and at what workload.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use anyhow::Result;
use tracegrid_engine::{Alert, World};
use tracegrid_model::Millis;

use crate::human::group;
use crate::out;

/// One hidden infection.
#[derive(Debug)]
struct Hidden {
    route: String,
    onset: Millis,
    asymptomatic: bool,
}

/// The alerts against the truth at the end of the simulated period.
#[derive(Debug, Default)]
pub struct Score {
    pub infected_by_end: usize,
    pub confirmed_by_end: usize,
    pub hidden: usize,
    pub reached: usize,
    pub before_onset: usize,
    pub presymptomatic: usize,
    /// Per reason: (alerts that carry it, hidden infections among them).
    pub by_code: BTreeMap<&'static str, (usize, usize)>,
    /// Per route of infection: (reached, hidden).
    pub routes: BTreeMap<String, (usize, usize)>,
    /// (k, hidden infections within the first k alerts).
    pub top: Vec<(usize, usize)>,
    pub alerts: usize,
}

impl Score {
    /// Scores `alerts` (in their order) against `truth.json` at `end`.
    pub fn measure(truth: &Path, world: &World, alerts: &[Alert], end: Millis) -> Result<Score> {
        let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(truth)?)?;
        let mut s = Score {
            alerts: alerts.len(),
            ..Default::default()
        };
        let mut hidden: HashMap<String, Hidden> = HashMap::new();
        for i in truth["infections"].as_array().into_iter().flatten() {
            if i["infected_at"].as_i64().unwrap_or(i64::MAX) > end {
                continue;
            }
            s.infected_by_end += 1;
            if i["confirmed"].as_i64().is_some_and(|c| c <= end) {
                s.confirmed_by_end += 1;
                continue;
            }
            hidden.insert(
                i["person_id"].as_str().unwrap_or("").to_owned(),
                Hidden {
                    route: i["route"].as_str().unwrap_or("").to_owned(),
                    onset: i["onset"].as_i64().unwrap_or(0),
                    asymptomatic: i["asymptomatic"].as_bool().unwrap_or(false),
                },
            );
        }
        let rank: HashMap<&str, usize> = alerts
            .iter()
            .enumerate()
            .map(|(k, a)| (world.subject_name(a.subject), k))
            .collect();
        let reached: HashSet<&str> = hidden
            .keys()
            .filter(|p| rank.contains_key(p.as_str()))
            .map(String::as_str)
            .collect();
        s.hidden = hidden.len();
        s.reached = reached.len();
        s.before_onset = reached
            .iter()
            .filter(|p| hidden[**p].onset > end && !hidden[**p].asymptomatic)
            .count();
        s.presymptomatic = hidden
            .values()
            .filter(|i| i.onset > end && !i.asymptomatic)
            .count();
        for a in alerts {
            let infected = hidden.contains_key(world.subject_name(a.subject));
            let codes: HashSet<&'static str> = a.reasons.iter().map(|r| r.code.as_str()).collect();
            for c in codes {
                let e = s.by_code.entry(c).or_default();
                e.0 += 1;
                e.1 += usize::from(infected);
            }
        }
        for (p, i) in &hidden {
            let e = s.routes.entry(i.route.clone()).or_default();
            e.1 += 1;
            e.0 += usize::from(reached.contains(p.as_str()));
        }
        for k in [100, 500, 1000, 5000] {
            if k > alerts.len() && k != 100 {
                break;
            }
            s.top
                .push((k, reached.iter().filter(|p| rank[**p] < k).count()));
        }
        Ok(s)
    }

    /// The report's lines on what the alerts reach.
    pub fn print(&self) -> Result<()> {
        let pct = |a: usize, b: usize| {
            if b == 0 {
                "-".to_owned()
            } else {
                format!("{:.0}%", 100.0 * a as f64 / b as f64)
            }
        };
        out!(
            "    {:<20} {:>8}  {:>18}",
            "reason",
            "alerts",
            "hidden infections"
        );
        for (code, (n, hits)) in &self.by_code {
            out!(
                "    {code:<20} {:>8}  {:>10} {:>7}",
                group(*n as u64),
                group(*hits as u64),
                pct(*hits, *n)
            );
        }
        out!();
        out!("What the alerts reach");
        out!(
            "  hidden infections reached      {:>6} of {:<6} {}",
            self.reached,
            self.hidden,
            pct(self.reached, self.hidden)
        );
        out!(
            "  … before symptom onset         {:>6} of {:<6} {}",
            self.before_onset,
            self.presymptomatic,
            pct(self.before_onset, self.presymptomatic)
        );
        for (route, (r, n)) in &self.routes {
            out!(
                "    infected by {route:<12}       {r:>6} of {n:<6} {}",
                pct(*r, *n)
            );
        }
        for (k, within) in &self.top {
            out!(
                "  within the top {k:<5} alerts      {within:>6} of {:<6} {}",
                self.hidden,
                pct(*within, self.hidden)
            );
        }
        out!(
            "  workload: {} alerts per hidden infection reached",
            if self.reached == 0 {
                "-".to_owned()
            } else {
                format!("{:.1}", self.alerts as f64 / self.reached as f64)
            }
        );
        Ok(())
    }
}
