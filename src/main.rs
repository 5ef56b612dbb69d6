//! `tracegrid`: the one binary, the command line and nothing else. Each subcommand lives in its
//! own module and calls the crates that do the work (the city, the importer, the lake, the
//! benchmarks); this file only parses the command line and maps errors to exit codes
//! (CONTRACT.md section 3): 0 finished, 1 could not run (with a one-line message), 3
//! `import --strict` rejected rows. Every command writes through `out!`, so that one whose
//! output is closed (`tracegrid screen | head`) ends quietly.

mod demo;
mod export;
mod import;
mod screen;
mod serve;
mod sim;
mod stats;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Outbreak response from the data a city already holds.
#[derive(Debug, Parser)]
#[command(name = "tracegrid", version, about)]
struct Cli {
    /// The store: a SQLite file path or a postgres:// URL.
    #[arg(
        long,
        global = true,
        env = "TRACEGRID_DB",
        default_value = "./tracegrid.db"
    )]
    db: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Load a data drop (a directory of registry and event files) into the store.
    Import(import::Args),
    /// Who must be checked, and why (CONTRACT.md section 2).
    Screen(screen::ScreenArgs),
    /// One subject's trajectory and contacts.
    Trace(screen::TraceArgs),
    /// Count what the store holds.
    Stats(stats::Args),
    /// Write the store's sightings out for analysts' own tools (Parquet, by date and source).
    Export(export::Args),
    /// Simulate a city through an outbreak, import it, screen it, and measure the alerts.
    Demo(demo::Args),
    /// Real data: link the DS4C (Korea) transmission pairs by co-presence.
    Ds4c(tracegrid_bench::ds4c::Args),
    /// Write a synthetic city's data drop and the truth behind it.
    Sim(sim::Args),
    /// Measure import throughput, screening speed, the API, and tracegrid against its peers.
    Bench(tracegrid_bench::Args),
    /// Serve the command centre: the web pages and the API.
    Serve(serve::Args),
    /// Manage the command centre's users.
    #[command(subcommand)]
    User(serve::UserCommand),
    /// Manage API tokens for machines.
    #[command(subcommand)]
    Token(serve::TokenCommand),
}

impl Cli {
    /// The store, unless it is the default: then a configuration file's `db` applies.
    fn db_given(&self) -> Option<String> {
        (self.db != "./tracegrid.db").then(|| self.db.clone())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let db_given = cli.db_given();
    let result = match cli.command {
        Command::Import(args) => import::run(&cli.db, args),
        Command::Stats(args) => stats::run(&cli.db, args),
        Command::Export(args) => export::run(&cli.db, args),
        Command::Screen(args) => screen::screen(&cli.db, args),
        Command::Trace(args) => screen::trace(&cli.db, args),
        Command::Demo(args) => demo::run(args),
        Command::Sim(args) => sim::run(args),
        Command::Ds4c(args) => tracegrid_bench::ds4c::run(args),
        Command::Bench(args) => tracegrid_bench::run(args),
        Command::Serve(args) => serve::run(db_given.as_deref(), args),
        Command::User(cmd) => serve::user(&cli.db, cmd),
        Command::Token(cmd) => serve::token(&cli.db, cmd),
    };
    match result {
        Ok(code) => code,
        // The reader went away (`| head`): nothing more to say, and no one to say it to.
        Err(e) if output_closed(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // One line: the chain of causes joined.
            let msg = e
                .chain()
                .map(|c| c.to_string())
                .collect::<Vec<_>>()
                .join(": ");
            eprintln!("tracegrid: {msg}");
            ExitCode::from(1)
        }
    }
}

/// Whether an error is standard output having been closed by its reader (and not, say, a
/// store's socket that broke).
fn output_closed(e: &anyhow::Error) -> bool {
    e.chain()
        .any(|c| c.is::<tracegrid_bench::human::OutputClosed>())
}
