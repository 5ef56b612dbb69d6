//! The little of SQL that tracegrid writes once for both databases: a statement with `$n`
//! placeholders (SQLite numbers them in order of appearance, so each appears once, in order),
//! parameters and cells of a few plain types (integers as 64-bit, times as epoch milliseconds),
//! rows streamed to a callback. Both stores implement [`SqlConn`]; the registries, accounts and
//! tasks are read and written through it, so SQLite and PostgreSQL run the same statements.
//! Only the hot paths of an import (bulk inserts, `COPY`, the sighting stream) are written per
//! database.

use crate::StoreError;

/// A statement parameter.
#[derive(Clone, Copy, Debug)]
pub enum Param<'a> {
    Int(i64),
    Float(f64),
    Text(&'a str),
    OptInt(Option<i64>),
    OptText(Option<&'a str>),
    Bytes(&'a [u8]),
}

/// A value read back.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    Int(i64),
    Float(f64),
    Text(String),
    Bytes(Vec<u8>),
    Null,
}

impl Cell {
    fn unexpected(&self, wanted: &str) -> StoreError {
        StoreError::Corrupt(format!("expected {wanted}, found {self:?}"))
    }

    pub(crate) fn int(&self) -> Result<i64, StoreError> {
        match self {
            Cell::Int(v) => Ok(*v),
            other => Err(other.unexpected("an integer")),
        }
    }

    pub(crate) fn opt_int(&self) -> Result<Option<i64>, StoreError> {
        match self {
            Cell::Null => Ok(None),
            c => c.int().map(Some),
        }
    }

    pub(crate) fn opt_text(&self) -> Result<Option<String>, StoreError> {
        match self {
            Cell::Null => Ok(None),
            c => c.text().map(Some),
        }
    }

    pub(crate) fn opt_float(&self) -> Result<Option<f64>, StoreError> {
        match self {
            Cell::Null => Ok(None),
            Cell::Float(v) => Ok(Some(*v)),
            // SQLite keeps a REAL that happens to be whole as it was written.
            Cell::Int(v) => Ok(Some(*v as f64)),
            other => Err(other.unexpected("a number")),
        }
    }

    pub(crate) fn float(&self) -> Result<f64, StoreError> {
        self.opt_float()?.ok_or_else(|| self.unexpected("a number"))
    }

    pub(crate) fn bytes(&self) -> Result<Vec<u8>, StoreError> {
        match self {
            Cell::Bytes(v) => Ok(v.clone()),
            other => Err(other.unexpected("bytes")),
        }
    }

    pub(crate) fn text(&self) -> Result<String, StoreError> {
        match self {
            Cell::Text(v) => Ok(v.clone()),
            other => Err(other.unexpected("text")),
        }
    }

    /// The text, moved out of the cell (which is left empty): rows read in bulk are not copied.
    pub(crate) fn take_text(&mut self) -> Result<String, StoreError> {
        match self {
            Cell::Text(v) => Ok(std::mem::take(v)),
            other => Err(other.unexpected("text")),
        }
    }

    pub(crate) fn take_opt_text(&mut self) -> Result<Option<String>, StoreError> {
        match self {
            Cell::Null => Ok(None),
            c => c.take_text().map(Some),
        }
    }
}

/// What both stores offer for statements written once.
pub trait SqlConn: Send + std::fmt::Debug {
    /// Runs one statement; the number of rows it changed.
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError>;

    /// Runs one query and hands each row to `f` as it arrives; `f` may move values out of the
    /// cells. Nothing is gathered: a registry of millions streams through.
    fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        f: &mut dyn FnMut(&mut [Cell]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;

    /// Runs one query; its rows.
    fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Vec<Cell>>, StoreError> {
        let mut out = Vec::new();
        self.for_each_row(sql, params, &mut |r| {
            out.push(r.to_vec());
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs one statement for each parameter list, all in one transaction.
    fn exec_all(&mut self, sql: &str, params: &[Vec<Param<'_>>]) -> Result<(), StoreError>;

    /// Runs different statements in one transaction; the rows each changed.
    fn exec_many(&mut self, stmts: &[(&str, Vec<Param<'_>>)]) -> Result<Vec<u64>, StoreError>;
}

/// A connection to a store (a SQLite path or a postgres:// URL), creating its tables if they
/// are missing.
pub(crate) fn connect(spec: &str) -> Result<Box<dyn SqlConn>, StoreError> {
    Ok(if crate::is_postgres(spec) {
        Box::new(crate::pg::PgStore::open(spec)?)
    } else {
        Box::new(crate::sqlite::SqliteStore::open(std::path::Path::new(
            spec,
        ))?)
    })
}
