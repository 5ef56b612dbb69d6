//! `tracegrid screen` and `tracegrid trace` (CONTRACT.md section 3): load the store into the
//! engine's index, evaluate, print a table or the contract's JSON.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
use chrono_tz::Tz;
use serde_json::{Value, json};
use tracegrid_engine::{ScreenParams, World};
use tracegrid_model::{TimeReader, format_time};
use tracegrid_server::views::{self, Shown};

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

fn zone(w: &When) -> Result<Tz> {
    w.tz.parse()
        .map_err(|_| anyhow!("--tz {}: not a time zone name such as Asia/Shanghai", w.tz))
}

fn params(w: &When, home_region: Option<u32>) -> Result<ScreenParams> {
    let tz = zone(w)?;
    let as_of = match &w.as_of {
        Some(t) => TimeReader::new(tz)
            .time_or_date(t, false)
            .map_err(|e| anyhow!("--as-of {t}: {e}"))?,
        None => chrono::Utc::now().timestamp_millis(),
    };
    if w.lookback_days < 0 {
        anyhow::bail!("--lookback-days must not be negative");
    }
    Ok(ScreenParams {
        as_of,
        lookback_days: w.lookback_days,
        home_region,
    })
}

/// Loads the store into the engine.
pub fn load(db: &str) -> Result<World> {
    load_with_registry(db).map(|(world, _)| world)
}

/// [`load`], with the registries it read.
pub fn load_with_registry(db: &str) -> Result<(World, tracegrid_model::rows::Registry)> {
    tracegrid_server::live::load_world(db)
}

pub fn screen(db: &str, args: ScreenArgs) -> Result<ExitCode> {
    let world = load(db)?;
    let home = match &args.home_region {
        Some(h) => Some(
            world
                .region(h)
                .ok_or_else(|| anyhow!("--home-region {h} is not a known region"))?,
        ),
        None => None,
    };
    let p = params(&args.when, home)?;
    let tz = zone(&args.when)?;
    let result = world.screen(&p);
    let t = |ms| format_time(ms, tz);
    let alerts: Vec<Value> = result
        .alerts
        .iter()
        .map(|a| views::alert_json(&world, a, Shown::ALL, &t))
        .collect();
    if args.when.json {
        println!(
            "{}",
            json!({"as_of": t(result.as_of), "window": {"from": t(result.window.0), "to": t(result.window.1)}, "alerts": alerts})
        );
    } else {
        println!(
            "Screened at {} over [{}, {}]: {} alerts\n",
            t(result.as_of),
            t(result.window.0),
            t(result.window.1),
            alerts.len()
        );
        println!(
            "  {:>5}  {:<22} {:<8} {:<16} reasons",
            "score", "subject", "name", "grid"
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
            println!(
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
    let world = load(db)?;
    let subject = world.find_subject(&args.subject).ok_or_else(|| {
        anyhow!(
            "{} is not a subject in this store (use a person_id, an id_number or TYPE:VALUE)",
            args.subject
        )
    })?;
    let p = params(&args.when, None)?;
    let tz = zone(&args.when)?;
    let t = |ms| format_time(ms, tz);
    let tr = world.trace(subject, &p, args.degree);
    let out = views::trace_json(&world, subject, &tr, &t);
    if args.when.json {
        println!("{out}");
    } else {
        println!(
            "{}{}",
            world.subject_name(subject),
            if tr.is_case { " (case)" } else { "" }
        );
        match tr.window {
            Some((a, b)) => println!("window {} .. {}\n", t(a), t(b)),
            None => println!("its exposure window lies outside the lookback\n"),
        }
        println!("trajectory:");
        for s in out["trajectory"].as_array().into_iter().flatten() {
            println!(
                "  {} .. {}  {:<24} {:<14} {}",
                s["start"].as_str().unwrap_or(""),
                s["end"].as_str().unwrap_or(""),
                s["place_id"].as_str().unwrap_or(""),
                s["kind"].as_str().unwrap_or(""),
                s["source"].as_str().unwrap_or("")
            );
        }
        println!("\ncontacts:");
        for c in out["contacts"].as_array().into_iter().flatten() {
            println!(
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
