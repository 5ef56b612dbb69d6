//! tracegrid's command centre: the HTTP API the pages and machines use, accounts and roles,
//! the audit trail, and the pages themselves.
//!
//! [`App::build`] opens the store and loads the city; [`App::router`] is the whole service (API,
//! pages, `/healthz`, `/metrics`, `/api/openapi.json`), which tests drive without a socket;
//! [`App::serve`] listens until Ctrl-C or SIGTERM and then finishes the requests in flight.
//!
//! Architecture invariant: this crate is the only one that knows HTTP. It reads the city through
//! the engine and keeps its own state (users, sessions, audit) through the store's accounts.

pub mod api;
pub mod audit;
pub mod auth;
pub mod board;
pub mod config;
pub mod error;
pub mod imports;
pub mod live;
mod metrics;
mod pages;
pub mod roles;
pub mod tasks;
pub mod views;

use std::sync::{Arc, Mutex, RwLock};

use anyhow::{Context, Result};
use tracegrid_store::{Accounts, NewUser};

pub use config::Config;
pub use live::Live;
pub use roles::{Principal, Role};

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    pub live: RwLock<Live>,
    /// Users, sessions and tokens (the audit writer has a connection of its own).
    pub accounts: Arc<Mutex<Accounts>>,
    pub sessions: auth::SessionCache,
    pub logins: auth::LoginGuard,
    pub audit: audit::AuditWriter,
    pub imports: imports::Imports,
    pub board: board::Board,
    /// Set when the server is stopping, so that open event streams end and the stop can finish.
    pub stopping: tokio::sync::watch::Sender<bool>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// Reads the live city.
    pub fn live(&self) -> std::sync::RwLockReadGuard<'_, Live> {
        self.live.read().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the live city.
    pub fn live_mut(&self) -> std::sync::RwLockWriteGuard<'_, Live> {
        self.live.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The server, built and ready to listen.
#[derive(Debug)]
pub struct App {
    state: AppState,
}

impl App {
    /// Opens the store named by the configuration and loads its city.
    pub fn build(config: Config) -> Result<App> {
        let live = Live::load(&config).context("loading the city")?;
        App::with_live(config, live)
    }

    /// A server over a city already loaded (the demo has one in hand).
    pub fn with_live(config: Config, live: Live) -> Result<App> {
        let accounts = tracegrid_store::accounts(&config.db).context("opening the accounts")?;
        let audit = audit::AuditWriter::start(
            tracegrid_store::accounts(&config.db).context("opening the audit log")?,
        );
        let board =
            board::Board::open(&config.db, config.policy()?).context("opening the tasks")?;
        let (created, updated) = board
            .sync(&live, auth::now_ms())
            .context("turning alerts into tasks")?;
        tracing::info!(created, updated, "tasks ready");
        let state = AppState(Arc::new(Shared {
            imports: imports::Imports::new(config.import_root()),
            board,
            stopping: tokio::sync::watch::channel(false).0,
            config,
            live: RwLock::new(live),
            accounts: Arc::new(Mutex::new(accounts)),
            sessions: auth::SessionCache::default(),
            logins: auth::LoginGuard::default(),
            audit,
            metrics: metrics::install(),
        }));
        Ok(App { state })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// The whole service.
    pub fn router(&self) -> axum::Router {
        api::router(self.state.clone())
    }

    /// Listens on `listener` until Ctrl-C or SIGTERM, then lets requests in flight finish.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> Result<()> {
        let router = self.router();
        // Time acts on tasks: escalations, isolation days.
        let state = self.state.clone();
        let every = std::time::Duration::from_secs(state.config.tick_seconds.max(1));
        tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                let st = state.clone();
                let ticked =
                    tokio::task::spawn_blocking(move || st.board.tick(auth::now_ms())).await;
                if let Ok(Err(e)) = ticked {
                    tracing::error!(error = e.to_string(), "moving tasks on failed");
                }
            }
        });
        let stopping = self.state.stopping.clone();
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                stopping.send_replace(true);
            })
            .await
            .context("serving")
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// Adds a user to the store (`tracegrid user add`).
pub fn add_user(
    db: &str,
    username: &str,
    password: &str,
    role: Role,
    grids: &[String],
    gates: &[String],
) -> Result<i64> {
    if username.trim().is_empty() || username.contains(char::is_whitespace) {
        anyhow::bail!("a user name must be one word");
    }
    if password.chars().count() < 8 {
        anyhow::bail!("a password must have at least 8 characters");
    }
    if role == Role::GridWorker && grids.is_empty() {
        anyhow::bail!("a grid worker needs at least one grid (--grid CODE)");
    }
    if role == Role::GateGuard && gates.is_empty() {
        anyhow::bail!("a gate guard needs at least one gate (--gate PLACE_ID)");
    }
    let hash = auth::hash_password(password)?;
    let mut accounts = tracegrid_store::accounts(db)?;
    Ok(accounts.add_user(&NewUser {
        username,
        role: role.as_str(),
        password_hash: &hash,
        grids,
        gates,
        created: auth::now_ms(),
    })?)
}

/// Issues a machine token acting as `username` (`tracegrid token add`); the token is shown
/// once and only its hash is kept.
pub fn add_token(db: &str, username: &str, name: &str) -> Result<String> {
    let mut accounts = tracegrid_store::accounts(db)?;
    let user = accounts
        .user_by_name(username)?
        .with_context(|| format!("there is no user {username}"))?;
    let token = auth::new_token("tgt_")?;
    accounts.create_token(&auth::token_hash(&token), name, user.id, auth::now_ms())?;
    Ok(token)
}
