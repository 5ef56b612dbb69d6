//! What a workflow of the city can fail with. The variants say whose the fault is, so that the
//! server can answer 400, 404 or 409 and the command line can print a line a user can act on.

use tracegrid_store::StoreError;

/// Why the city could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum CityError {
    /// The request itself is wrong: a field broke a rule of the contract.
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    /// The request collides with the state of things (a stale copy of a task, say).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Import(#[from] tracegrid_ingest::ImportError),
}

impl From<StoreError> for CityError {
    fn from(e: StoreError) -> CityError {
        match e {
            StoreError::Conflict(m) => CityError::Conflict(m),
            e => CityError::Store(e),
        }
    }
}

pub type CityResult<T> = Result<T, CityError>;
