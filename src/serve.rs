//! `tracegrid serve`, `tracegrid user add` and `tracegrid token add`: the command centre and its
//! accounts, from the command line.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, anyhow};
use tracegrid_bench::out;
use tracegrid_server::{App, Config, Role};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A TOML file of settings (see docs/SERVER.md); TRACEGRID_* variables override it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Address to listen on (overrides the file and TRACEGRID_LISTEN).
    #[arg(long)]
    pub listen: Option<String>,
    /// Screen at this moment rather than now, the window moving with the clock (RFC 3339,
    /// `YYYY-MM-DD HH:MM[:SS]` in --tz, or a date: its 00:00).
    #[arg(long)]
    pub as_of: Option<String>,
    /// Lookback L in days: the window is [T-L, T].
    #[arg(long)]
    pub lookback_days: Option<i64>,
    /// Turns on OUTSIDE_ARRIVAL for arrivals into this region.
    #[arg(long)]
    pub home_region: Option<String>,
    /// Zone for reading and printing times (default Asia/Shanghai).
    #[arg(long)]
    pub tz: Option<String>,
    /// Take feeds from this MQTT broker: QoS 1 on tracegrid/feeds/{kind} (mqtt://HOST:PORT).
    #[arg(long)]
    pub mqtt: Option<String>,
    /// Take feeds from this NATS server's JetStream: the stream TRACEGRID_FEEDS, the durable
    /// consumer tracegrid (nats://HOST:PORT).
    #[arg(long)]
    pub nats: Option<String>,
}

/// The configuration: file, then environment, then the command line.
pub fn config(db: Option<&str>, args: &Args) -> Result<Config> {
    let mut c = Config::load(args.config.as_deref())?;
    if let Some(db) = db {
        c.db = db.to_owned();
    }
    if let Some(l) = &args.listen {
        c.listen = l.clone();
    }
    if let Some(t) = &args.as_of {
        c.as_of = Some(t.clone());
    }
    if let Some(h) = &args.home_region {
        c.home_region = Some(h.clone());
    }
    if let Some(l) = args.lookback_days {
        c.lookback_days = l;
    }
    if let Some(tz) = &args.tz {
        c.tz = tz.clone();
    }
    if let Some(m) = &args.mqtt {
        c.mqtt = Some(m.clone());
    }
    if let Some(n) = &args.nats {
        c.nats = Some(n.clone());
    }
    Ok(c)
}

/// Runs the server until Ctrl-C or SIGTERM.
pub fn serve(app: App, listen: &str) -> Result<ExitCode> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("listening on {listen}"))?;
        out!(
            "Serving the command centre at http://{}/ (API: /api/docs, metrics: /metrics); Ctrl-C stops.",
            listener.local_addr()?
        );
        app.serve(listener).await
    })?;
    Ok(ExitCode::SUCCESS)
}

pub fn run(db: Option<&str>, args: Args) -> Result<ExitCode> {
    let c = config(db, &args)?;
    tracing_init();
    let listen = c.listen.clone();
    let t = std::time::Instant::now();
    let app = App::build(c)?;
    out!("Loaded the city in {:.1} s.", t.elapsed().as_secs_f64());
    serve(app, &listen)
}

/// Logs to standard error: a message and fields, no names or numbers of persons.
pub fn tracing_init() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Adds a user. The password is read from TRACEGRID_PASSWORD, else from standard input.
    Add {
        username: String,
        /// admin, analyst, epidemiologist, grid_worker, gate_guard, viewer or feeder.
        #[arg(long)]
        role: String,
        /// A grid the user looks after (grid workers; repeat for several).
        #[arg(long = "grid")]
        grids: Vec<String>,
        /// A gate the user stands at (gate guards; repeat for several).
        #[arg(long = "gate")]
        gates: Vec<String>,
    },
    /// Lists the users.
    List,
}

fn read_password() -> Result<String> {
    if let Ok(p) = std::env::var("TRACEGRID_PASSWORD") {
        return Ok(p);
    }
    eprintln!("password (then Enter):");
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

pub fn user(db: &str, cmd: UserCommand) -> Result<ExitCode> {
    match cmd {
        UserCommand::Add {
            username,
            role,
            grids,
            gates,
        } => {
            let role = Role::parse(&role).ok_or_else(|| {
                anyhow!("--role {role}: use admin, analyst, epidemiologist, grid_worker, gate_guard, viewer or feeder")
            })?;
            let password = read_password()?;
            let id = tracegrid_server::add_user(db, &username, &password, role, &grids, &gates)?;
            out!("added user {username} ({}) with id {id}", role.as_str());
        }
        UserCommand::List => {
            for u in tracegrid_store::accounts(db)?.users()? {
                out!(
                    "{:>4}  {:<20} {:<15} {}{}",
                    u.id,
                    u.username,
                    u.role,
                    [u.grids.join(","), u.gates.join(",")].concat(),
                    if u.disabled { "  (disabled)" } else { "" }
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Issues a token for a machine acting as a user; prints it once.
    Add {
        /// The user the token acts as (its role and scope apply).
        #[arg(long)]
        user: String,
        /// What the token is for.
        #[arg(long)]
        name: String,
    },
}

pub fn token(db: &str, cmd: TokenCommand) -> Result<ExitCode> {
    match cmd {
        TokenCommand::Add { user, name } => {
            let token = tracegrid_server::add_token(db, &user, &name)?;
            out!("{token}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
