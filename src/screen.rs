//! `tracegrid screen` and `tracegrid trace` (CONTRACT.md section 3): load the store into the
//! engine's index (the city crate), evaluate, print a table or the contract's JSON.

use std::process::ExitCode;

use anyhow::{Result, anyhow};
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
    let view = views::screen_view(
        &world,
        &result.alerts,
        (result.as_of, result.window),
        Shown::ALL,
        &t,
    );
    if args.when.json {
        out!("{}", serde_json::to_string(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "Screened at {} over [{}, {}]: {} alerts\n",
        view.as_of,
        view.window.from,
        view.window.to,
        view.alerts.len()
    );
    out!(
        "  {:>5}  {:<22} {:<8} {:<16} reasons",
        "score",
        "subject",
        "name",
        "grid"
    );
    for a in &view.alerts {
        let reasons: Vec<String> = a
            .reasons
            .iter()
            .map(|r| match &r.case {
                Some(c) => format!("{} ({c})", r.code),
                None => r.code.to_owned(),
            })
            .collect();
        out!(
            "  {:>5.3}  {:<22} {:<8} {:<16} {}",
            a.score,
            a.subject,
            a.name.unwrap_or("-"),
            a.grid_code.unwrap_or("-"),
            reasons.join(", ")
        );
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
    let view = views::trace_view(&world, subject, &tr, Shown::ALL, &t);
    if args.when.json {
        out!("{}", serde_json::to_string(&view)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "{}{}",
        view.subject,
        if view.is_case { " (case)" } else { "" }
    );
    match &view.window {
        Some(w) => out!("window {} .. {}\n", w.from, w.to),
        None => out!("its exposure window lies outside the lookback\n"),
    }
    out!("trajectory:");
    for s in &view.trajectory {
        out!(
            "  {} .. {}  {:<24} {:<14} {}",
            s.start,
            s.end,
            s.place_id,
            s.kind,
            s.source
        );
    }
    out!("\ncontacts:");
    for c in &view.contacts {
        out!(
            "  degree {}  {:<7}  {}  {:<24}{}{}",
            c.degree,
            c.tier,
            c.first_at,
            c.subject,
            if c.is_case { "  case" } else { "" },
            c.via
                .as_deref()
                .map_or(String::new(), |v| format!("  via {v}"))
        );
    }
    Ok(ExitCode::SUCCESS)
}
