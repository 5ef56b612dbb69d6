//! What every handler shares: the configuration, the live city, the accounts, the session
//! cache, the audit writer, the import jobs. And the one way handlers run blocking work.

use std::sync::{Arc, Mutex};

use tracegrid_city::{City, LiveCity};
use tracegrid_store::Accounts;

use crate::config::Config;
use crate::error::{AppError, AppResult};
use crate::{audit, auth, imports};

/// What every handler shares.
#[derive(Clone, Debug)]
pub struct AppState(pub(crate) Arc<Shared>);

#[derive(Debug)]
pub struct Shared {
    pub config: Config,
    /// The city, its store and its tasks: every workflow goes through it.
    pub city: LiveCity,
    /// Users, sessions and tokens (the audit writer has a connection of its own).
    pub accounts: Arc<Mutex<Accounts>>,
    pub sessions: auth::SessionCache,
    pub logins: auth::LoginGuard,
    /// Turns to check a password: one a core.
    pub password_checks: tokio::sync::Semaphore,
    /// Open event streams by user, so that one user cannot hold every connection.
    pub streams: auth::StreamCount,
    /// Gate checks by user: a gate sees people one at a time.
    pub gate_checks: auth::RateLimit,
    pub audit: audit::AuditWriter,
    pub imports: imports::Imports,
    /// Set when the server is stopping, so that open event streams end and the stop can finish.
    pub stopping: tokio::sync::watch::Sender<bool>,
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The keys passes are signed and verified with.
    pub keyring: std::sync::RwLock<crate::passes::Keyring>,
    /// How residents' sign-in codes reach them.
    pub codes: crate::codes::Sender,
    /// Visitor registrations by address: a poster is not a form to flood.
    pub visits: auth::RateLimit,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    /// The pass keys now.
    pub fn keyring(&self) -> crate::passes::Keyring {
        self.keyring
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set_keyring(&self, ring: crate::passes::Keyring) {
        *self.keyring.write().unwrap_or_else(|e| e.into_inner()) = ring;
    }

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
