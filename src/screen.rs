//! `tracegrid screen` and `tracegrid trace` (CONTRACT.md section 3): load the store into the
//! engine's index (the city crate), evaluate, print a table or the contract's JSON.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use serde_json::{Value, json};
use tracegrid_bench::out;
use tracegrid_city::views::{self, Shown};
use tracegrid_city::{Settings, load_world, now_ms};

/// Options shared by `screen` and `trace`.
#[derive(Debug, clap::Args)]
pub struct When {
    /// The moment to evaluate at (RFC 3339, or YYYY-MM-DD[ HH:MM[:SS]] in --tz); default now.
    #[arg(long)]
    pub as_of: Option<String>,
    /// Lookback L in days: the window is [T-L, T].
    #[arg(long, default_value_t = 14)]
    pub lookback_days: i64,
    /// Zone for reading --as-of and for printing times.
    #[arg(long, default_value = "Asia/Shanghai")]
    pub tz: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ScreenArgs {
    #[command(flatten)]
    pub when: When,
    /// Turns on OUTSIDE_ARRIVAL: arrivals into this region from outside it.
    #[arg(long)]
    pub home_region: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct TraceArgs {
    /// person_id, id_number, or TYPE:VALUE (plate:浙H12345, phone:13800000000).
    pub subject: String,
    #[command(flatten)]
    pub when: When,
    /// 1: direct contacts; 2: and their contacts.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(1..=2))]
    pub degree: u8,
}

/// The settings `--as-of`, `--lookback-days`, `--home-region` and `--tz` name, read as
/// everywhere else (CONTRACT.md section 5).
fn settings(w: &When, home_region: Option<&str>) -> Result<Settings> {
    Settings::read(w.as_of.as_deref(), w.lookback_days, home_region, &w.tz)
        .map_err(|e| anyhow!("{e}"))
}

pub fn screen(db: &str, args: ScreenArgs) -> Result<ExitCode> {
    let settings = settings(&args.when, args.home_region.as_deref())?;
    let (world, _) = load_world(db)?;
    let p = settings.params(&world, now_ms())?;
    let result = world.screen(&p);
    let t = |ms| settings.time(ms);
    let alerts: Vec<Value> = result
        .alerts
        .iter()
        .map(|a| serde_json::to_value(views::alert_view(&world, a, Shown::ALL, &t)))
        .collect::<Result<_, _>>()?;
    if args.when.json {
        out!(
            "{}",
            json!({"as_of": t(result.as_of), "window": {"from": t(result.window.0), "to": t(result.window.1)}, "alerts": alerts})
        );
    } else {
        out!(
            "Screened at {} over [{}, {}]: {} alerts\n",
            t(result.as_of),
            t(result.window.0),
            t(result.window.1),
            alerts.len()
        );
        out!(
            "  {:>5}  {:<22} {:<8} {:<16} reasons",
            "score",
            "subject",
            "name",
            "grid"
        );
        for a in &alerts {
            let reasons: Vec<String> = a["reasons"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|r| match r["case"].as_str() {
                    Some(c) => format!("{} ({c})", r["code"].as_str().unwrap_or("")),
                    None => r["code"].as_str().unwrap_or("").to_owned(),
                })
                .collect();
            out!(
                "  {:>5.3}  {:<22} {:<8} {:<16} {}",
                a["score"].as_f64().unwrap_or(0.0),
                a["subject"].as_str().unwrap_or(""),
                a["name"].as_str().unwrap_or("-"),
                a["grid_code"].as_str().unwrap_or("-"),
                reasons.join(", ")
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn trace(db: &str, args: TraceArgs) -> Result<ExitCode> {
    let settings = settings(&args.when, None)?;
    let (world, _) = load_world(db)?;
    let subject = world.find_subject(&args.subject).ok_or_else(|| {
        anyhow!(
            "{} is not a subject in this store (use a person_id, an id_number or TYPE:VALUE)",
            args.subject
        )
    })?;
    let p = settings.params(&world, now_ms())?;
    let t = |ms| settings.time(ms);
    let tr = world.trace(subject, &p, args.degree);
    let out = serde_json::to_value(views::trace_view(&world, subject, &tr, Shown::ALL, &t))?;
    if args.when.json {
        out!("{out}");
    } else {
        out!(
            "{}{}",
            world.subject_name(subject),
            if tr.is_case { " (case)" } else { "" }
        );
        match tr.window {
            Some((a, b)) => out!("window {} .. {}\n", t(a), t(b)),
            None => out!("its exposure window lies outside the lookback\n"),
        }
        out!("trajectory:");
        for s in out["trajectory"].as_array().into_iter().flatten() {
            out!(
                "  {} .. {}  {:<24} {:<14} {}",
                s["start"].as_str().unwrap_or(""),
                s["end"].as_str().unwrap_or(""),
                s["place_id"].as_str().unwrap_or(""),
                s["kind"].as_str().unwrap_or(""),
                s["source"].as_str().unwrap_or("")
            );
        }
        out!("\ncontacts:");
        for c in out["contacts"].as_array().into_iter().flatten() {
            out!(
                "  degree {}  {:<7}  {}  {:<24}{}{}",
                c["degree"],
                c["tier"].as_str().unwrap_or(""),
                c["first_at"].as_str().unwrap_or(""),
                c["subject"].as_str().unwrap_or(""),
                if c["is_case"] == true { "  case" } else { "" },
                c["via"]
                    .as_str()
                    .map_or(String::new(), |v| format!("  via {v}"))
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
