//! Where accepted rows live. One [`Store`] trait with two implementations: SQLite in one file,
//! the embedded default, and PostgreSQL for production. Both keep the same tables (see
//! `migrations/`) and pass the same test suite (`tests/store.rs`).
//!
//! The store does not validate: the importer hands it rows that already passed the contract's
//! rules. What the store guarantees is atomicity (a batch is one transaction) and idempotence (an
//! event row whose identity is already stored is not stored again).

mod accounts;
mod first_alerts;
mod gates;
mod pg;
mod registry;
pub mod sql;
mod sqlite;
mod tasks;
pub mod testing;

pub use accounts::*;
pub use first_alerts::*;
pub use gates::*;
pub use tasks::*;

use sql::{Param, SqlConn};
use tracegrid_model::rows::*;

/// Why the store could not do what was asked.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the store {spec}: {reason}")]
    Unreachable { spec: String, reason: String },
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] ::postgres::Error),
    #[error(
        "another import, or a server, is writing to this store ({0}); while a server runs on it, import through the server (its import page or its feeds)"
    )]
    Busy(String),
    #[error("the store holds a value it cannot read: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
    #[error("I/O: {0}")]
    Io(#[from] std::io::Error),
}

impl StoreError {
    /// Whether a unique key refused the row (the same in both databases).
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                e.code == rusqlite::ErrorCode::ConstraintViolation
                    && matches!(
                        e.extended_code,
                        rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                            | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY
                    )
            }
            StoreError::Postgres(e) => {
                e.code() == Some(&::postgres::error::SqlState::UNIQUE_VIOLATION)
            }
            _ => false,
        }
    }
}

/// Rows counted per table, for summaries and tests.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TableCounts {
    pub regions: u64,
    pub region_shapes: u64,
    pub places: u64,
    pub persons: u64,
    pub vehicles: u64,
    pub areas: u64,
    pub cases: u64,
    pub sightings: u64,
    pub deliveries: u64,
    pub health_reports: u64,
}

impl TableCounts {
    /// The tables counted, in the order of the fields.
    pub const TABLES: [&'static str; 10] = [
        "regions",
        "region_shapes",
        "places",
        "persons",
        "vehicles",
        "areas",
        "cases",
        "sightings",
        "deliveries",
        "health_reports",
    ];

    fn fields_mut(&mut self) -> [&mut u64; 10] {
        [
            &mut self.regions,
            &mut self.region_shapes,
            &mut self.places,
            &mut self.persons,
            &mut self.vehicles,
            &mut self.areas,
            &mut self.cases,
            &mut self.sightings,
            &mut self.deliveries,
            &mut self.health_reports,
        ]
    }

    /// (table, rows) pairs, for printing.
    pub fn by_table(&self) -> Vec<(&'static str, u64)> {
        let mut c = self.clone();
        Self::TABLES
            .into_iter()
            .zip(c.fields_mut().map(|n| *n))
            .collect()
    }
}

/// What one [`Store::write_events`] call stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Inserted {
    pub sightings: u64,
    pub deliveries: u64,
    pub health_reports: u64,
}

/// Which rows of an [`EventBatch`] were new to the store, in the batch's order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NewRows {
    pub sightings: Vec<bool>,
    pub deliveries: Vec<bool>,
    pub health_reports: Vec<bool>,
}

impl NewRows {
    /// How many were new.
    pub fn counts(&self) -> Inserted {
        let n = |v: &[bool]| v.iter().filter(|&&b| b).count() as u64;
        Inserted {
            sightings: n(&self.sightings),
            deliveries: n(&self.deliveries),
            health_reports: n(&self.health_reports),
        }
    }
}

/// Which of the kept feed rejects to read.
#[derive(Clone, Debug, Default)]
pub struct RejectFilter<'a> {
    pub route: Option<&'a str>,
    pub source: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// Only those with a smaller id (for paging back).
    pub before_id: Option<i64>,
    pub limit: usize,
}

/// A kept feed reject, with its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeptReject {
    pub id: i64,
    pub row: FeedRejectRow,
}

/// The operations tracegrid needs of a store. Every write method is one transaction. What is
/// not an import's hot path is written once over [`SqlConn`], which both stores implement.
pub trait Store: SqlConn {
    /// Takes the store's import lock for the life of this handle (a second call keeps it): two
    /// writers into one store would otherwise hand out the same new place numbers. A server
    /// holds it while it runs.
    fn lock_for_import(&mut self) -> Result<(), StoreError>;

    /// Every registry row, to validate a drop against.
    fn load_registry(&mut self) -> Result<Registry, StoreError> {
        registry::load(self)
    }

    /// Inserts or replaces registry rows by key. Keys are unique within the batch.
    fn write_registry(&mut self, batch: &RegistryBatch) -> Result<(), StoreError>;

    /// Stores new places and sources, then every sighting, delivery and health report whose
    /// identity is not stored yet; returns how many were new. Identities are unique within the
    /// batch.
    fn write_events(&mut self, batch: &EventBatch) -> Result<Inserted, StoreError>;

    /// What a group of feed messages brings, in one transaction: registry rows (upserted),
    /// then event rows (each identity once), then the rows the feeds rejected. Says which
    /// event rows were new. Registry keys and event identities are unique within the call.
    fn write_feed(
        &mut self,
        registry: &RegistryBatch,
        events: &EventBatch,
        rejects: &[FeedRejectRow],
    ) -> Result<NewRows, StoreError>;

    /// Kept feed rejects, newest first.
    fn feed_rejects(&mut self, f: &RejectFilter<'_>) -> Result<Vec<KeptReject>, StoreError> {
        let mut sql = String::from(
            "SELECT id, received_ms, route, source, kind, line, reason, record FROM feed_rejects WHERE 1 = 1",
        );
        let mut params: Vec<Param<'_>> = Vec::new();
        for (column, value) in [("route", f.route), ("source", f.source), ("kind", f.kind)] {
            if let Some(v) = value {
                params.push(Param::Text(v));
                sql.push_str(&format!(" AND {column} = ${}", params.len()));
            }
        }
        if let Some(id) = f.before_id {
            params.push(Param::Int(id));
            sql.push_str(&format!(" AND id < ${}", params.len()));
        }
        params.push(Param::Int(f.limit as i64));
        sql.push_str(&format!(" ORDER BY id DESC LIMIT ${}", params.len()));
        let mut out = Vec::new();
        self.for_each_row(&sql, &params, &mut |r| {
            out.push(KeptReject {
                id: r[0].int()?,
                row: FeedRejectRow {
                    received: r[1].int()?,
                    route: r[2].take_text()?,
                    source: r[3].take_text()?,
                    kind: r[4].take_text()?,
                    line: r[5].int()? as u64,
                    reason: r[6].take_text()?,
                    record: r[7].take_text()?,
                },
            });
            Ok(())
        })?;
        Ok(out)
    }

    /// Rows per [`Store::write_events`] call that suit this store.
    fn preferred_batch_rows(&self) -> usize;

    /// Called once an import has written everything: leaves the store compact and durable.
    fn finish_import(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Calls `f` for every stored sighting, in no particular order.
    fn for_each_sighting(&mut self, f: &mut dyn FnMut(&SightingRow)) -> Result<(), StoreError>;

    /// Every stored delivery.
    fn deliveries(&mut self) -> Result<Vec<DeliveryRow>, StoreError> {
        registry::deliveries(self)
    }

    /// Every stored health report.
    fn health_reports(&mut self) -> Result<Vec<HealthReportRow>, StoreError> {
        registry::health_reports(self)
    }

    /// Rows in one of the store's tables (a name from [`TableCounts::TABLES`]).
    fn count_rows(&mut self, table: &'static str) -> Result<u64, StoreError> {
        let rows = self.rows(&format!("SELECT count(*) FROM {table}"), &[])?;
        Ok(rows
            .first()
            .and_then(|r| r.first())
            .map_or(Ok(0), |c| c.int())? as u64)
    }

    fn counts(&mut self) -> Result<TableCounts, StoreError> {
        let mut c = TableCounts::default();
        for (table, n) in TableCounts::TABLES.iter().zip(c.fields_mut()) {
            *n = self.count_rows(table)?;
        }
        Ok(c)
    }

    /// Keeps a finished import's summary (JSON) for the record.
    fn record_import(
        &mut self,
        started: i64,
        finished: i64,
        dir: &str,
        summary: &str,
    ) -> Result<(), StoreError> {
        self.exec(
            "INSERT INTO imports (started_ms, finished_ms, dir, summary) VALUES ($1, $2, $3, $4)",
            &[
                Param::Int(started),
                Param::Int(finished),
                Param::Text(dir),
                Param::Text(summary),
            ],
        )?;
        Ok(())
    }
}

/// Opens a store: a `postgres://` or `postgresql://` URL, or else the path of a SQLite file,
/// created if missing. Migrations run on open.
pub fn open(spec: &str) -> Result<Box<dyn Store>, StoreError> {
    if spec.starts_with("postgres://") || spec.starts_with("postgresql://") {
        Ok(Box::new(pg::PgStore::open(spec)?))
    } else {
        Ok(Box::new(sqlite::SqliteStore::open(std::path::Path::new(
            spec,
        ))?))
    }
}

/// Whether `spec` names a PostgreSQL store.
pub fn is_postgres(spec: &str) -> bool {
    spec.starts_with("postgres://") || spec.starts_with("postgresql://")
}
