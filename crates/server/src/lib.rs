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
pub mod brokers;
pub mod codes;
pub mod config;
pub mod error;
pub mod extract;
pub mod guard;
pub mod imports;
mod metrics;
mod pages;
pub mod passes;
pub mod roles;
pub mod state;
pub mod views;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result};
use axum::extract::ConnectInfo;
use tracegrid_city::{City, LiveCity};

pub use auth::{add_token, add_user};
pub use config::Config;
pub use error::{AppError, AppResult};
pub use roles::{Principal, Role};
use state::Shared;
pub use state::{AppState, blocking};

/// Gate checks a user may make in a minute: a busy gate, not a sweep of the registry.
pub const GATE_CHECKS_PER_MINUTE: usize = 60;
/// Visitor registrations one address may send a minute.
pub const VISITS_PER_MINUTE: usize = 10;

/// The server, built and ready to listen.
#[derive(Debug)]
pub struct App {
    state: AppState,
}

impl App {
    /// Opens the store named by the configuration and loads its city.
    pub fn build(config: Config) -> Result<App> {
        let city = LiveCity::open(
            &config.db,
            config.settings()?,
            config.policy()?,
            config.running(),
        )
        .context("loading the city")?;
        App::with_city(config, city)
    }

    /// A server over a city already loaded (the demo has one in hand).
    pub fn with_loaded(config: Config, city: City) -> Result<App> {
        let city = LiveCity::with_city(&config.db, city, config.policy()?, config.running())
            .context("turning alerts into tasks")?;
        App::with_city(config, city)
    }

    fn with_city(config: Config, city: LiveCity) -> Result<App> {
        let accounts = tracegrid_store::accounts(&config.db).context("opening the accounts")?;
        let audit = audit::AuditWriter::start(
            tracegrid_store::accounts(&config.db).context("opening the audit log")?,
        );
        let keyring = city
            .statuses
            .with_gates(|g| passes::Keyring::load(g, auth::now_ms()))
            .context("loading the pass keys")?;
        let codes = config.code_sender();
        let state = AppState(Arc::new(Shared {
            imports: imports::Imports::new(config.import_root()),
            stopping: tokio::sync::watch::channel(false).0,
            config,
            city,
            accounts: Arc::new(Mutex::new(accounts)),
            sessions: auth::SessionCache::default(),
            logins: auth::LoginGuard::default(),
            password_checks: tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| n.get()),
            ),
            streams: auth::StreamCount::default(),
            gate_checks: auth::RateLimit::new(GATE_CHECKS_PER_MINUTE),
            audit,
            metrics: metrics::install(),
            keyring: std::sync::RwLock::new(keyring),
            codes,
            visits: auth::RateLimit::new(VISITS_PER_MINUTE),
        }));
        Ok(App { state })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Starts taking feeds from the brokers the configuration names (on the current Tokio
    /// runtime); they stop when the returned value is dropped. [`App::serve`] does this itself.
    pub fn start_consumers(&self) -> brokers::Consumers {
        brokers::start(&self.state)
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
        let consumers = self.start_consumers();
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
        drop(consumers);
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
