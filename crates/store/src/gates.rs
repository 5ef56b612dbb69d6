//! Passes, gates and residents (CONTRACT.md section 7) as the store keeps them: the signing
//! keys, residents' one-time sign-in codes, each person's status changes, visitors registered at
//! a gate, and the scans at gates. Written once over [`crate::sql`], like the accounts.

use tracegrid_model::Millis;

use crate::StoreError;
use crate::sql::{Cell, Param, SqlConn, connect};

/// Opens the gate tables of a store (a SQLite path or a postgres:// URL).
pub fn gates(spec: &str) -> Result<Gates, StoreError> {
    Ok(Gates {
        conn: connect(spec)?,
    })
}

/// The gate tables of one store.
#[derive(Debug)]
pub struct Gates {
    conn: Box<dyn SqlConn>,
}

/// A pass-signing key as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PassKey {
    pub kid: String,
    /// The 32-byte seed, hex.
    pub secret_hex: String,
    /// The public key, base64url without padding.
    pub public_x: String,
    pub created: Millis,
    pub retired: Option<Millis>,
    /// A retired key verifies until then.
    pub verify_until: Option<Millis>,
}

/// A one-time code as stored (its hash only).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoginCode {
    pub id: i64,
    pub phone: String,
    pub code_hash: String,
    pub created: Millis,
    pub expires: Millis,
    pub used: Option<Millis>,
    pub attempts: i64,
}

/// A change of a person's status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    pub person_id: String,
    pub at: Millis,
    pub status: String,
    /// Its cause, as JSON.
    pub why: String,
}

/// A visitor's self-registration at a gate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Visitor {
    pub code: String,
    pub gate: String,
    pub id_number: String,
    pub name: String,
    pub phone: String,
    pub plate: String,
    pub came_from: String,
    pub visiting: String,
    pub reason: String,
    pub at: Millis,
    pub expires: Millis,
    /// `admit` or `refuse`.
    pub verdict: String,
    /// The verdict's reason, in the words read out.
    pub why: String,
}

/// One scan at a gate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    pub gate: String,
    pub at: Millis,
    /// The pass's subject, when the pass verified.
    pub person_id: Option<String>,
    pub verdict: String,
    /// A short code of why (`green`, `red`, `forged`, `expired`, …).
    pub reason: String,
    pub direction: String,
    pub temperature_dc: Option<i64>,
}

fn key(r: &[Cell]) -> Result<PassKey, StoreError> {
    Ok(PassKey {
        kid: r[0].text()?,
        secret_hex: r[1].text()?,
        public_x: r[2].text()?,
        created: r[3].int()?,
        retired: r[4].opt_int()?,
        verify_until: r[5].opt_int()?,
    })
}

const VISITOR_COLUMNS: &str = "code, gate, id_number, name, phone, plate, came_from, visiting, \
                               reason, at_ms, expires_ms, verdict, why";

fn visitor(r: &[Cell]) -> Result<Visitor, StoreError> {
    Ok(Visitor {
        code: r[0].text()?,
        gate: r[1].text()?,
        id_number: r[2].text()?,
        name: r[3].text()?,
        phone: r[4].text()?,
        plate: r[5].text()?,
        came_from: r[6].text()?,
        visiting: r[7].text()?,
        reason: r[8].text()?,
        at: r[9].int()?,
        expires: r[10].int()?,
        verdict: r[11].text()?,
        why: r[12].text()?,
    })
}

impl Gates {
    /// Every key, oldest first.
    pub fn keys(&mut self) -> Result<Vec<PassKey>, StoreError> {
        let rows = self.conn.rows(
            "SELECT kid, secret_hex, public_x, created_ms, retired_ms, verify_until_ms
             FROM pass_keys ORDER BY created_ms, kid",
            &[],
        )?;
        rows.iter().map(|r| key(r)).collect()
    }

    /// Adds a key and retires every other key still signing, at `k.created`, each verifying
    /// until `old_verify_until`: one transaction.
    pub fn rotate(&mut self, k: &PassKey, old_verify_until: Millis) -> Result<(), StoreError> {
        self.conn.exec_many(&[
            (
                "UPDATE pass_keys SET retired_ms = $1, verify_until_ms = $2
                 WHERE retired_ms IS NULL",
                vec![Param::Int(k.created), Param::Int(old_verify_until)],
            ),
            (
                "INSERT INTO pass_keys (kid, secret_hex, public_x, created_ms)
                 VALUES ($1, $2, $3, $4)",
                vec![
                    Param::Text(&k.kid),
                    Param::Text(&k.secret_hex),
                    Param::Text(&k.public_x),
                    Param::Int(k.created),
                ],
            ),
        ])?;
        Ok(())
    }

    /// Keeps a new one-time code.
    pub fn add_code(
        &mut self,
        phone: &str,
        code_hash: &str,
        peer: &str,
        now: Millis,
        expires: Millis,
    ) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO login_codes (phone, code_hash, peer, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4, $5)",
            &[
                Param::Text(phone),
                Param::Text(code_hash),
                Param::Text(peer),
                Param::Int(now),
                Param::Int(expires),
            ],
        )?;
        Ok(())
    }

    /// How many codes were asked for a phone, and from an address, since `since`.
    pub fn codes_since(
        &mut self,
        phone: &str,
        peer: &str,
        since: Millis,
    ) -> Result<(i64, i64), StoreError> {
        let rows = self.conn.rows(
            "SELECT
               (SELECT count(*) FROM login_codes WHERE phone = $1 AND created_ms >= $2),
               (SELECT count(*) FROM login_codes WHERE peer = $3 AND created_ms >= $4)",
            &[
                Param::Text(phone),
                Param::Int(since),
                Param::Text(peer),
                Param::Int(since),
            ],
        )?;
        let r = rows
            .first()
            .ok_or_else(|| StoreError::Corrupt("a count returned no row".into()))?;
        Ok((r[0].int()?, r[1].int()?))
    }

    /// The newest code of a phone.
    pub fn latest_code(&mut self, phone: &str) -> Result<Option<LoginCode>, StoreError> {
        let rows = self.conn.rows(
            "SELECT id, phone, code_hash, created_ms, expires_ms, used_ms, attempts
             FROM login_codes WHERE phone = $1 ORDER BY id DESC LIMIT 1",
            &[Param::Text(phone)],
        )?;
        rows.first()
            .map(|r| {
                Ok(LoginCode {
                    id: r[0].int()?,
                    phone: r[1].text()?,
                    code_hash: r[2].text()?,
                    created: r[3].int()?,
                    expires: r[4].int()?,
                    used: r[5].opt_int()?,
                    attempts: r[6].int()?,
                })
            })
            .transpose()
    }

    /// Counts a wrong try of code `id`.
    pub fn code_tried(&mut self, id: i64) -> Result<(), StoreError> {
        self.conn.exec(
            "UPDATE login_codes SET attempts = attempts + 1 WHERE id = $1",
            &[Param::Int(id)],
        )?;
        Ok(())
    }

    /// Uses code `id` up; false if it was used already (by a request racing this one).
    pub fn use_code(&mut self, id: i64, now: Millis) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE login_codes SET used_ms = $1 WHERE id = $2 AND used_ms IS NULL",
            &[Param::Int(now), Param::Int(id)],
        )?;
        Ok(n == 1)
    }

    /// Each person's last written status.
    pub fn last_statuses(&mut self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = self.conn.rows(
            "SELECT s.person_id, s.status FROM status_changes s
             JOIN (SELECT person_id, max(id) AS id FROM status_changes GROUP BY person_id) m
               ON m.id = s.id",
            &[],
        )?;
        rows.iter()
            .map(|r| Ok((r[0].text()?, r[1].text()?)))
            .collect()
    }

    /// Writes status changes in one transaction.
    pub fn add_status_changes(&mut self, changes: &[StatusChange]) -> Result<(), StoreError> {
        if changes.is_empty() {
            return Ok(());
        }
        let params: Vec<Vec<Param<'_>>> = changes
            .iter()
            .map(|c| {
                vec![
                    Param::Text(&c.person_id),
                    Param::Int(c.at),
                    Param::Text(&c.status),
                    Param::Text(&c.why),
                ]
            })
            .collect();
        self.conn.exec_all(
            "INSERT INTO status_changes (person_id, at_ms, status, why) VALUES ($1, $2, $3, $4)",
            &params,
        )
    }

    /// A person's status changes, newest first.
    pub fn status_history(
        &mut self,
        person_id: &str,
        limit: i64,
    ) -> Result<Vec<StatusChange>, StoreError> {
        let rows = self.conn.rows(
            "SELECT person_id, at_ms, status, why FROM status_changes WHERE person_id = $1
             ORDER BY id DESC LIMIT $2",
            &[Param::Text(person_id), Param::Int(limit)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(StatusChange {
                    person_id: r[0].text()?,
                    at: r[1].int()?,
                    status: r[2].text()?,
                    why: r[3].text()?,
                })
            })
            .collect()
    }

    /// Keeps a visitor's registration; fails on a code already given.
    pub fn add_visitor(&mut self, v: &Visitor) -> Result<(), StoreError> {
        self.conn.exec(
            &format!(
                "INSERT INTO visitors ({VISITOR_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ),
            &[
                Param::Text(&v.code),
                Param::Text(&v.gate),
                Param::Text(&v.id_number),
                Param::Text(&v.name),
                Param::Text(&v.phone),
                Param::Text(&v.plate),
                Param::Text(&v.came_from),
                Param::Text(&v.visiting),
                Param::Text(&v.reason),
                Param::Int(v.at),
                Param::Int(v.expires),
                Param::Text(&v.verdict),
                Param::Text(&v.why),
            ],
        )?;
        Ok(())
    }

    pub fn visitor(&mut self, code: &str) -> Result<Option<Visitor>, StoreError> {
        let rows = self.conn.rows(
            &format!("SELECT {VISITOR_COLUMNS} FROM visitors WHERE code = $1"),
            &[Param::Text(code)],
        )?;
        rows.first().map(|r| visitor(r)).transpose()
    }

    /// The visitors registered at a gate since `since`, newest first.
    pub fn visitors_at(
        &mut self,
        gate: &str,
        since: Millis,
        limit: i64,
    ) -> Result<Vec<Visitor>, StoreError> {
        let rows = self.conn.rows(
            &format!(
                "SELECT {VISITOR_COLUMNS} FROM visitors WHERE gate = $1 AND at_ms >= $2
                 ORDER BY at_ms DESC, id DESC LIMIT $3"
            ),
            &[Param::Text(gate), Param::Int(since), Param::Int(limit)],
        )?;
        rows.iter().map(|r| visitor(r)).collect()
    }

    pub fn add_scan(&mut self, s: &Scan) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO gate_scans (gate, at_ms, person_id, verdict, reason, direction, temperature_dc)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                Param::Text(&s.gate),
                Param::Int(s.at),
                Param::OptText(s.person_id.as_deref()),
                Param::Text(&s.verdict),
                Param::Text(&s.reason),
                Param::Text(&s.direction),
                Param::OptInt(s.temperature_dc),
            ],
        )?;
        Ok(())
    }

    /// The scans since `since`, oldest first.
    pub fn scans_since(&mut self, since: Millis) -> Result<Vec<Scan>, StoreError> {
        let rows = self.conn.rows(
            "SELECT gate, at_ms, person_id, verdict, reason, direction, temperature_dc
             FROM gate_scans WHERE at_ms >= $1 ORDER BY at_ms, id",
            &[Param::Int(since)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Scan {
                    gate: r[0].text()?,
                    at: r[1].int()?,
                    person_id: r[2].opt_text()?,
                    verdict: r[3].text()?,
                    reason: r[4].text()?,
                    direction: r[5].text()?,
                    temperature_dc: r[6].opt_int()?,
                })
            })
            .collect()
    }
}
