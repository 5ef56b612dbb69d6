//! Each alert's first appearance as stored: one row a subject, inserted if absent and never
//! changed, so that a restart, a feed sent twice or a drop imported again leaves it as it was,
//! and an alert that goes and comes back keeps the moment it first came. Beside it, when the
//! record began. What a first appearance means, and what is made of it, is the city's
//! (`tracegrid_city::found`).

use tracegrid_model::Millis;

use crate::StoreError;
use crate::sql::{Cell, Param, SqlConn, connect};

/// An alert as it first appeared.
#[derive(Clone, Debug, PartialEq)]
pub struct FirstAlert {
    /// The engine's name of the subject (a person_id, or TYPE:VALUE).
    pub subject: String,
    /// The moment of the screening that first showed it.
    pub as_of: Millis,
    /// When, by the wall clock, it was first seen.
    pub seen: Millis,
    pub score: f64,
    /// Its place in the screening's order, 1 first.
    pub rank: i64,
    /// Its reason codes, in the alert's order.
    pub reasons: Vec<String>,
}

/// The first appearances of one store.
#[derive(Debug)]
pub struct FirstAlerts {
    conn: Box<dyn SqlConn>,
}

/// Opens the first appearances of a store (a SQLite path or a postgres:// URL).
pub fn first_alerts(spec: &str) -> Result<FirstAlerts, StoreError> {
    Ok(FirstAlerts {
        conn: connect(spec)?,
    })
}

const COLUMNS: &str = "subject, as_of_ms, seen_ms, score, rank, reasons";

/// Rows a statement inserts: six parameters each, well under both databases' limits.
const ROWS_PER_STATEMENT: usize = 500;

fn first_alert(r: &mut [Cell]) -> Result<FirstAlert, StoreError> {
    Ok(FirstAlert {
        subject: r[0].take_text()?,
        as_of: r[1].int()?,
        seen: r[2].int()?,
        score: r[3].float()?,
        rank: r[4].int()?,
        reasons: r[5]
            .text()?
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

impl FirstAlerts {
    /// The subjects recorded, to know at once which alerts are new to the record.
    pub fn subjects(&mut self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        self.conn
            .for_each_row("SELECT subject FROM first_alerts", &[], &mut |r| {
                out.push(r[0].take_text()?);
                Ok(())
            })?;
        Ok(out)
    }

    /// Records the first appearances of subjects not recorded yet, many rows a statement, in
    /// one transaction; a subject recorded already keeps its row. Returns how many were new.
    pub fn record(&mut self, rows: &[FirstAlert]) -> Result<u64, StoreError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let reasons: Vec<String> = rows.iter().map(|r| r.reasons.join(",")).collect();
        let mut sqls = Vec::new();
        let mut params = Vec::new();
        for (chunk, reasons) in rows
            .chunks(ROWS_PER_STATEMENT)
            .zip(reasons.chunks(ROWS_PER_STATEMENT))
        {
            let mut p = Vec::with_capacity(chunk.len() * 6);
            let mut values = Vec::with_capacity(chunk.len());
            for (r, codes) in chunk.iter().zip(reasons) {
                let marks: Vec<String> = (p.len() + 1..=p.len() + 6)
                    .map(|i| format!("${i}"))
                    .collect();
                values.push(format!("({})", marks.join(", ")));
                p.extend([
                    Param::Text(&r.subject),
                    Param::Int(r.as_of),
                    Param::Int(r.seen),
                    Param::Float(r.score),
                    Param::Int(r.rank),
                    Param::Text(codes),
                ]);
            }
            sqls.push(format!(
                "INSERT INTO first_alerts ({COLUMNS}) VALUES {} ON CONFLICT (subject) DO NOTHING",
                values.join(", ")
            ));
            params.push(p);
        }
        let stmts: Vec<(&str, Vec<Param<'_>>)> =
            sqls.iter().map(String::as_str).zip(params).collect();
        Ok(self.conn.exec_many(&stmts)?.into_iter().sum())
    }

    /// The recorded first appearances of these subjects (by name), in no particular order.
    pub fn of_subjects(&mut self, subjects: &[&str]) -> Result<Vec<FirstAlert>, StoreError> {
        let mut out = Vec::new();
        for chunk in subjects.chunks(500) {
            let marks: Vec<String> = (1..=chunk.len()).map(|i| format!("${i}")).collect();
            let params: Vec<Param<'_>> = chunk.iter().map(|s| Param::Text(s)).collect();
            self.conn.for_each_row(
                &format!(
                    "SELECT {COLUMNS} FROM first_alerts WHERE subject IN ({})",
                    marks.join(", ")
                ),
                &params,
                &mut |r| {
                    out.push(first_alert(r)?);
                    Ok(())
                },
            )?;
        }
        Ok(out)
    }

    /// Every recorded first appearance, earliest first (by its screening's moment, then name).
    pub fn all(&mut self) -> Result<Vec<FirstAlert>, StoreError> {
        let mut out = Vec::new();
        self.conn.for_each_row(
            &format!("SELECT {COLUMNS} FROM first_alerts ORDER BY as_of_ms, subject"),
            &[],
            &mut |r| {
                out.push(first_alert(r)?);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Notes that the record began at this screening's moment (`as_of`) and wall-clock time
    /// (`seen`), unless it had begun already. Returns when it began.
    pub fn begin(&mut self, as_of: Millis, seen: Millis) -> Result<(Millis, Millis), StoreError> {
        self.conn.exec(
            "INSERT INTO first_alerts_began (id, as_of_ms, seen_ms) VALUES (1, $1, $2)
             ON CONFLICT (id) DO NOTHING",
            &[Param::Int(as_of), Param::Int(seen)],
        )?;
        self.began()?
            .ok_or_else(|| StoreError::Corrupt("the record's beginning went missing".into()))
    }

    /// When the record began: (the first screening's moment, the wall-clock time), if it has.
    pub fn began(&mut self) -> Result<Option<(Millis, Millis)>, StoreError> {
        let rows = self.conn.rows(
            "SELECT as_of_ms, seen_ms FROM first_alerts_began WHERE id = 1",
            &[],
        )?;
        rows.first()
            .map(|r| Ok((r[0].int()?, r[1].int()?)))
            .transpose()
    }
}
