//! The command centre's own state, beside the data: users, their sessions, machine tokens and
//! the audit log of who looked at whom. Written once over the small SQL interface of
//! [`crate::sql`], so SQLite and PostgreSQL run the same statements.
//!
//! Tokens never reach this module in the clear: callers pass their hashes.

use tracegrid_model::Millis;

use crate::StoreError;
use crate::sql::{Cell, Param, SqlConn, connect};

/// Opens the accounts of a store (a SQLite path or a postgres:// URL), creating its tables if
/// they are missing.
pub fn accounts(spec: &str) -> Result<Accounts, StoreError> {
    Ok(Accounts {
        conn: connect(spec)?,
    })
}

/// A user as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    /// The role's name (see the server's `Role`); the store does not interpret it.
    pub role: String,
    pub password_hash: String,
    /// Grid codes a grid worker is responsible for.
    pub grids: Vec<String>,
    /// Gate place_ids a gate guard stands at.
    pub gates: Vec<String>,
    pub created: Millis,
    pub disabled: bool,
}

/// A user to add.
#[derive(Clone, Debug)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub role: &'a str,
    pub password_hash: &'a str,
    pub grids: &'a [String],
    pub gates: &'a [String],
    pub created: Millis,
}

/// A machine token as stored: its hash, never the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenRow {
    pub token_hash: String,
    /// What it is for (a feed, a gate device).
    pub name: String,
    pub user_id: i64,
    pub created: Millis,
}

/// One look at a person's data, or another act worth answering for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEntry {
    pub at: Millis,
    pub user_id: Option<i64>,
    pub username: String,
    /// What was done: `person.read`, `alert.read`, `trace`, `reveal`, `case.update`, …
    pub action: String,
    /// Whom or what it was done to (a subject, an area id).
    pub target: String,
    /// Why, in the user's words.
    pub purpose: String,
    pub detail: String,
}

/// An audit entry with its number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditRow {
    pub id: i64,
    pub entry: AuditEntry,
}

/// What an audit query selects.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Entries numbered below this (paging backwards from the newest).
    pub before: Option<i64>,
    pub username: Option<String>,
    pub target: Option<String>,
    pub limit: u32,
}

/// Users, sessions, tokens and the audit log of one store.
#[derive(Debug)]
pub struct Accounts {
    conn: Box<dyn SqlConn>,
}

const USER_COLUMNS: &str = "id, username, role, password_hash, grids, gates, created_ms, disabled";

fn list(text: String) -> Vec<String> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn user(row: &[Cell]) -> Result<UserRow, StoreError> {
    Ok(UserRow {
        id: row[0].int()?,
        username: row[1].text()?,
        role: row[2].text()?,
        password_hash: row[3].text()?,
        grids: list(row[4].text()?),
        gates: list(row[5].text()?),
        created: row[6].int()?,
        disabled: row[7].int()? != 0,
    })
}

impl Accounts {
    /// Adds a user; fails if the name is taken.
    pub fn add_user(&mut self, u: &NewUser<'_>) -> Result<i64, StoreError> {
        if self.user_by_name(u.username)?.is_some() {
            return Err(StoreError::Conflict(format!(
                "a user named {} exists already",
                u.username
            )));
        }
        let grids = u.grids.join(",");
        let gates = u.gates.join(",");
        let rows = self.conn.rows(
            "INSERT INTO users (username, role, password_hash, grids, gates, created_ms)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            &[
                Param::Text(u.username),
                Param::Text(u.role),
                Param::Text(u.password_hash),
                Param::Text(&grids),
                Param::Text(&gates),
                Param::Int(u.created),
            ],
        )?;
        rows.first()
            .ok_or_else(|| StoreError::Corrupt("an insert returned no id".into()))?[0]
            .int()
    }

    pub fn set_password(&mut self, username: &str, hash: &str) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE users SET password_hash = $1 WHERE username = $2",
            &[Param::Text(hash), Param::Text(username)],
        )?;
        Ok(n == 1)
    }

    pub fn user_by_name(&mut self, username: &str) -> Result<Option<UserRow>, StoreError> {
        let rows = self.conn.rows(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"),
            &[Param::Text(username)],
        )?;
        rows.first().map(|r| user(r)).transpose()
    }

    pub fn user_by_id(&mut self, id: i64) -> Result<Option<UserRow>, StoreError> {
        let rows = self.conn.rows(
            &format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"),
            &[Param::Int(id)],
        )?;
        rows.first().map(|r| user(r)).transpose()
    }

    /// Gives a user another role, grids and gates; false if there is no such user.
    pub fn set_role(
        &mut self,
        id: i64,
        role: &str,
        grids: &[String],
        gates: &[String],
    ) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE users SET role = $1, grids = $2, gates = $3 WHERE id = $4",
            &[
                Param::Text(role),
                Param::Text(&grids.join(",")),
                Param::Text(&gates.join(",")),
                Param::Int(id),
            ],
        )?;
        Ok(n == 1)
    }

    /// Disables or enables a user; a disabled user's sessions and tokens open nothing.
    pub fn set_disabled(&mut self, id: i64, disabled: bool) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE users SET disabled = $1 WHERE id = $2",
            &[Param::Int(i64::from(disabled)), Param::Int(id)],
        )?;
        Ok(n == 1)
    }

    pub fn set_password_of(&mut self, id: i64, hash: &str) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "UPDATE users SET password_hash = $1 WHERE id = $2",
            &[Param::Text(hash), Param::Int(id)],
        )?;
        Ok(n == 1)
    }

    /// Ends every session of a user (their tokens stay).
    pub fn delete_sessions_of(&mut self, user_id: i64) -> Result<u64, StoreError> {
        self.conn.exec(
            "DELETE FROM sessions WHERE user_id = $1",
            &[Param::Int(user_id)],
        )
    }

    pub fn users(&mut self) -> Result<Vec<UserRow>, StoreError> {
        let rows = self.conn.rows(
            &format!("SELECT {USER_COLUMNS} FROM users ORDER BY id"),
            &[],
        )?;
        rows.iter().map(|r| user(r)).collect()
    }

    pub fn create_session(
        &mut self,
        token_hash: &str,
        user_id: i64,
        created: Millis,
        expires: Millis,
    ) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO sessions (token_hash, user_id, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4)",
            &[
                Param::Text(token_hash),
                Param::Int(user_id),
                Param::Int(created),
                Param::Int(expires),
            ],
        )?;
        Ok(())
    }

    /// The user of a session that has not expired at `now`, and when it expires.
    pub fn session(
        &mut self,
        token_hash: &str,
        now: Millis,
    ) -> Result<Option<(UserRow, Millis)>, StoreError> {
        let cols = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = self.conn.rows(
            &format!(
                "SELECT {cols}, s.expires_ms FROM sessions s JOIN users u ON u.id = s.user_id
                 WHERE s.token_hash = $1 AND s.expires_ms > $2 AND u.disabled = 0"
            ),
            &[Param::Text(token_hash), Param::Int(now)],
        )?;
        rows.first()
            .map(|r| Ok((user(r)?, r[8].int()?)))
            .transpose()
    }

    pub fn delete_session(&mut self, token_hash: &str) -> Result<(), StoreError> {
        self.conn.exec(
            "DELETE FROM sessions WHERE token_hash = $1",
            &[Param::Text(token_hash)],
        )?;
        Ok(())
    }

    /// Removes sessions that expired before `now`.
    pub fn purge_sessions(&mut self, now: Millis) -> Result<u64, StoreError> {
        self.conn.exec(
            "DELETE FROM sessions WHERE expires_ms <= $1",
            &[Param::Int(now)],
        )
    }

    pub fn create_token(
        &mut self,
        token_hash: &str,
        name: &str,
        user_id: i64,
        created: Millis,
    ) -> Result<(), StoreError> {
        self.conn.exec(
            "INSERT INTO api_tokens (token_hash, name, user_id, created_ms) VALUES ($1, $2, $3, $4)",
            &[
                Param::Text(token_hash),
                Param::Text(name),
                Param::Int(user_id),
                Param::Int(created),
            ],
        )?;
        Ok(())
    }

    /// Every machine token, oldest first.
    pub fn tokens(&mut self) -> Result<Vec<TokenRow>, StoreError> {
        let rows = self.conn.rows(
            "SELECT token_hash, name, user_id, created_ms FROM api_tokens
             ORDER BY created_ms, token_hash",
            &[],
        )?;
        rows.iter()
            .map(|r| {
                Ok(TokenRow {
                    token_hash: r[0].text()?,
                    name: r[1].text()?,
                    user_id: r[2].int()?,
                    created: r[3].int()?,
                })
            })
            .collect()
    }

    /// Revokes a token; false if there was none with this hash.
    pub fn delete_token(&mut self, token_hash: &str) -> Result<bool, StoreError> {
        let n = self.conn.exec(
            "DELETE FROM api_tokens WHERE token_hash = $1",
            &[Param::Text(token_hash)],
        )?;
        Ok(n == 1)
    }

    /// The user a machine token acts for.
    pub fn token_user(&mut self, token_hash: &str) -> Result<Option<UserRow>, StoreError> {
        let cols = USER_COLUMNS
            .split(", ")
            .map(|c| format!("u.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let rows = self.conn.rows(
            &format!(
                "SELECT {cols} FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = $1 AND u.disabled = 0"
            ),
            &[Param::Text(token_hash)],
        )?;
        rows.first().map(|r| user(r)).transpose()
    }

    /// Appends entries in one transaction: all of them are kept, or none.
    pub fn append_audit(&mut self, entries: &[AuditEntry]) -> Result<(), StoreError> {
        let params: Vec<Vec<Param<'_>>> = entries
            .iter()
            .map(|e| {
                vec![
                    Param::Int(e.at),
                    Param::OptInt(e.user_id),
                    Param::Text(&e.username),
                    Param::Text(&e.action),
                    Param::Text(&e.target),
                    Param::Text(&e.purpose),
                    Param::Text(&e.detail),
                ]
            })
            .collect();
        self.conn.exec_all(
            "INSERT INTO audit_log (at_ms, user_id, username, action, target, purpose, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &params,
        )
    }

    /// Audit entries, newest first.
    pub fn audit(&mut self, q: &AuditQuery) -> Result<Vec<AuditRow>, StoreError> {
        // Absent filters are bound as values that select everything, so one statement serves.
        let rows = self.conn.rows(
            "SELECT id, at_ms, user_id, username, action, target, purpose, detail FROM audit_log
             WHERE id < $1 AND ($2 = '' OR username = $3) AND ($4 = '' OR target = $5)
             ORDER BY id DESC LIMIT $6",
            &[
                Param::Int(q.before.unwrap_or(i64::MAX)),
                Param::Text(q.username.as_deref().unwrap_or("")),
                Param::Text(q.username.as_deref().unwrap_or("")),
                Param::Text(q.target.as_deref().unwrap_or("")),
                Param::Text(q.target.as_deref().unwrap_or("")),
                Param::Int(i64::from(q.limit)),
            ],
        )?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r[0].int()?,
                    entry: AuditEntry {
                        at: r[1].int()?,
                        user_id: r[2].opt_int()?,
                        username: r[3].text()?,
                        action: r[4].text()?,
                        target: r[5].text()?,
                        purpose: r[6].text()?,
                        detail: r[7].text()?,
                    },
                })
            })
            .collect()
    }
}
