//! tracegrid's command centre over HTTP: the API the pages and machines use, accounts and roles,
//! the audit trail, and the pages themselves.
//!
//! [`App::build`] opens the store and loads the city; [`App::router`] is the whole service (API,
//! pages, `/healthz`, `/metrics`, `/api/openapi.json`), which tests drive without a socket;
//! [`App::serve`] listens until Ctrl-C or SIGTERM and then finishes the requests in flight.
//!
//! Architecture invariant: this crate is HTTP only. Handlers extract, call the application
//! layer (`tracegrid_city`), and answer; every request first passes the one guard
//! ([`guard`]) that decides role, scope, purpose and audit. No workflow lives here.

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod error;
pub mod extract;
pub mod guard;
pub mod imports;
mod metrics;
mod pages;
pub mod roles;
pub mod views;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::ConnectInfo;
use tracegrid_city::{City, LiveCity};
use tracegrid_store::{Accounts, NewUser};

pub use config::Config;
pub use error::{AppError, AppResult};
pub use roles::{Principal, Role};

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    /// The city, its store and its tasks: every workflow goes through it.
    pub city: LiveCity,
    /// Users, sessions and tokens (the audit writer has a connection of its own).
    pub accounts: Arc<Mutex<Accounts>>,
    pub sessions: auth::SessionCache,
    pub logins: auth::LoginGuard,
    pub audit: audit::AuditWriter,
    pub imports: imports::Imports,
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
    /// Reads the city.
    pub fn live(&self) -> std::sync::RwLockReadGuard<'_, City> {
        self.city.read()
    }
}

/// Runs blocking work (the store, files) on the blocking threads and waits for its answer.
pub async fn blocking<T, E>(f: impl FnOnce() -> Result<T, E> + Send + 'static) -> AppResult<T>
where
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(Into::into)
}

/// The server, built and ready to listen.
#[derive(Debug)]
pub struct App {
    state: AppState,
}

impl App {
    /// Opens the store named by the configuration and loads its city.
    pub fn build(config: Config) -> Result<App> {
        let city = LiveCity::open(&config.db, config.settings()?, config.policy()?)
            .context("loading the city")?;
        App::with_city(config, city)
    }

    /// A server over a city already loaded (the demo has one in hand).
    pub fn with_loaded(config: Config, city: City) -> Result<App> {
        let city = LiveCity::with_city(&config.db, city, config.policy()?)
            .context("turning alerts into tasks")?;
        App::with_city(config, city)
    }

    fn with_city(config: Config, city: LiveCity) -> Result<App> {
        let accounts = tracegrid_store::accounts(&config.db).context("opening the accounts")?;
        let audit = audit::AuditWriter::start(
            tracegrid_store::accounts(&config.db).context("opening the audit log")?,
        );
        let state = AppState(Arc::new(Shared {
            imports: imports::Imports::new(config.import_root()),
            stopping: tokio::sync::watch::channel(false).0,
            config,
            city,
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
        self.serve_until(listener, shutdown_signal()).await
    }

    /// Listens on `listener` until `stop` completes. Each connection must send its request
    /// headers within `header_timeout_seconds`; at most `max_connections` are served at once
    /// (the rest wait to be accepted).
    pub async fn serve_until(
        self,
        listener: tokio::net::TcpListener,
        stop: impl std::future::Future<Output = ()> + Send,
    ) -> Result<()> {
        use hyper_util::rt::{TokioIo, TokioTimer};
        let router = self.router();
        // Time acts on tasks: escalations, isolation days.
        let state = self.state.clone();
        let every = Duration::from_secs(state.config.tick_seconds.max(1));
        let ticker = tokio::spawn(async move {
            let mut interval = tokio::time::interval(every);
            loop {
                interval.tick().await;
                let st = state.clone();
                let ticked =
                    tokio::task::spawn_blocking(move || st.city.tick(auth::now_ms())).await;
                if let Ok(Err(e)) = ticked {
                    tracing::error!(error = e.to_string(), "moving tasks on failed");
                }
            }
        });
        let config = &self.state.config;
        let slots = Arc::new(tokio::sync::Semaphore::new(config.max_connections.max(1)));
        let header_timeout = Duration::from_secs(config.header_timeout_seconds.max(1));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut stop = std::pin::pin!(stop);
        loop {
            let slot = tokio::select! {
                s = slots.clone().acquire_owned() => s.context("the connection slots closed")?,
                () = &mut stop => break,
            };
            let (stream, peer): (_, SocketAddr) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors, say: wait a little rather than spin.
                        tracing::warn!(error = e.to_string(), "accepting a connection failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut stop => break,
            };
            let service = tower::ServiceExt::map_request(
                router.clone(),
                move |mut req: axum::http::Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(ConnectInfo(peer));
                    req
                },
            );
            let conn = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(
                    TokioIo::new(stream),
                    hyper_util::service::TowerToHyperService::new(service),
                );
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                // A client that goes away, or sends its headers too slowly, ends only its own
                // connection.
                let _ = conn.await;
                drop(slot);
            });
        }
        tracing::info!("shutting down: finishing requests in flight");
        self.state.stopping.send_replace(true);
        ticker.abort();
        graceful.shutdown().await;
        Ok(())
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
