//! The production store: PostgreSQL. Rows travel by `COPY` into a temporary table and are then
//! merged with one `INSERT … ON CONFLICT`, which is what makes 200,000 rows a second possible;
//! a statement per row would manage a few thousand.

use std::fmt::Write as _;
use std::io::Write as _;

use ::postgres::{Client, NoTls, Transaction};
use tracegrid_model::SubjectType;

use tracegrid_model::rows::*;

use crate::sql::{Cell, Param, SqlConn};
use crate::*;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/postgres/0001_init.sql"),
    include_str!("../migrations/postgres/0002_accounts.sql"),
    include_str!("../migrations/postgres/0003_tasks.sql"),
    include_str!("../migrations/postgres/0004_feeds.sql"),
    include_str!("../migrations/postgres/0005_health.sql"),
    include_str!("../migrations/postgres/0006_gates.sql"),
    include_str!("../migrations/postgres/0007_first_alerts.sql"),
];

pub struct PgStore {
    client: Client,
    /// Whether this session holds the import lock.
    locked: bool,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        let client = Client::connect(url, NoTls).map_err(|e| StoreError::Unreachable {
            spec: redact(url),
            reason: e.to_string(),
        })?;
        let mut store = PgStore {
            client,
            locked: false,
        };
        // Have the server check, during long statements, that this client is still there, so
        // that a killed import releases its locks at once (PostgreSQL 14 and later).
        let _ = store
            .client
            .batch_execute("SET client_connection_check_interval = '1s'");
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema()))",
            &[],
        )?;
        tx.batch_execute(
            "CREATE TABLE IF NOT EXISTS tracegrid_migrations (version integer PRIMARY KEY)",
        )?;
        let version: i32 = tx
            .query_one(
                "SELECT coalesce(max(version), 0) FROM tracegrid_migrations",
                &[],
            )?
            .get(0);
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(sql)?;
            tx.execute(
                "INSERT INTO tracegrid_migrations (version) VALUES ($1)",
                &[&(i as i32 + 1)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// The URL without its password, for messages.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:***{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Builds rows in PostgreSQL's COPY text format.
#[derive(Default)]
struct CopyText {
    buf: String,
    first: bool,
}

impl CopyText {
    fn text(&mut self, v: &str) -> &mut Self {
        self.sep();
        if !v
            .bytes()
            .any(|b| matches!(b, b'\\' | b'\t' | b'\n' | b'\r'))
        {
            self.buf.push_str(v);
            return self;
        }
        for ch in v.chars() {
            match ch {
                '\\' => self.buf.push_str("\\\\"),
                '\t' => self.buf.push_str("\\t"),
                '\n' => self.buf.push_str("\\n"),
                '\r' => self.buf.push_str("\\r"),
                c => self.buf.push(c),
            }
        }
        self
    }

    fn opt_text(&mut self, v: Option<&str>) -> &mut Self {
        match v {
            Some(v) => self.text(v),
            None => self.null(),
        }
    }

    fn num(&mut self, v: impl std::fmt::Display) -> &mut Self {
        self.sep();
        let _ = write!(self.buf, "{v}");
        self
    }

    fn opt_num(&mut self, v: Option<impl std::fmt::Display>) -> &mut Self {
        match v {
            Some(v) => self.num(v),
            None => self.null(),
        }
    }

    fn null(&mut self) -> &mut Self {
        self.sep();
        self.buf.push_str("\\N");
        self
    }

    fn end_row(&mut self) {
        self.buf.push('\n');
        self.first = true;
    }

    fn sep(&mut self) {
        if !self.first && !self.buf.is_empty() && !self.buf.ends_with('\n') {
            self.buf.push('\t');
        }
        self.first = false;
    }
}

/// Copies `data` into a fresh temporary copy of `table` and merges it with `merge` (an
/// `INSERT INTO table … SELECT … FROM stage …` statement); returns the rows the merge touched.
fn copy_merge(
    tx: &mut Transaction<'_>,
    table: &str,
    columns: &str,
    data: &CopyText,
    merge: &str,
) -> Result<u64, StoreError> {
    if data.buf.is_empty() {
        return Ok(0);
    }
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE stage (LIKE {table}) ON COMMIT DROP"
    ))?;
    let mut w = tx.copy_in(&format!("COPY stage ({columns}) FROM STDIN"))?;
    w.write_all(data.buf.as_bytes())?;
    w.finish()?;
    let n = tx.execute(merge, &[])?;
    tx.batch_execute("DROP TABLE stage")?;
    Ok(n)
}

const SIGHTING_COLUMNS: &str =
    "k1, k2, source_id, subject_type, subject, pid, start_ms, end_ms, tag, record_id";
const DELIVERY_COLUMNS: &str =
    "k1, k2, recipient_phone, origin_region_code, shipped_ms, delivered_ms, record_id";

fn sightings_copy(rows: &[SightingRow]) -> CopyText {
    let mut c = CopyText::default();
    c.buf.reserve(rows.len() * 80);
    for s in rows {
        c.num(s.key.k1)
            .num(s.key.k2)
            .num(s.source_id)
            .num(s.subject_type.code())
            .text(&s.subject)
            .num(s.pid)
            .num(s.start)
            .num(s.end)
            .num(s.tag)
            .opt_text(s.record_id.as_deref())
            .end_row();
    }
    c
}

fn deliveries_copy(rows: &[DeliveryRow]) -> CopyText {
    let mut c = CopyText::default();
    for d in rows {
        c.num(d.key.k1)
            .num(d.key.k2)
            .text(&d.recipient_phone)
            .text(&d.origin_region_code)
            .num(d.shipped)
            .opt_num(d.delivered)
            .opt_text(d.record_id.as_deref())
            .end_row();
    }
    c
}

const HEALTH_REPORT_COLUMNS: &str =
    "k1, k2, id_number, time_ms, temperature_dc, symptoms, pid, reporter, record_id";

fn health_reports_copy(rows: &[HealthReportRow]) -> CopyText {
    let mut c = CopyText::default();
    for h in rows {
        c.num(h.key.k1)
            .num(h.key.k2)
            .text(&h.id_number)
            .num(h.time)
            .opt_num(h.temperature.map(|t| t.tenths()))
            .num(h.symptoms.bits())
            .opt_num(h.pid)
            .opt_num(h.reporter.map(|r| r.code()))
            .opt_text(h.record_id.as_deref())
            .end_row();
    }
    c
}

/// The places (train cars met for the first time) and sources an event batch brings.
fn places_and_sources(tx: &mut Transaction<'_>, b: &EventBatch) -> Result<(), StoreError> {
    upsert(
        tx,
        "places",
        PLACE_COLUMNS,
        "place_id",
        &places_copy(&b.places),
    )?;
    for s in &b.sources {
        tx.execute(
            "INSERT INTO sources (id, name) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&s.id, &s.name],
        )?;
    }
    Ok(())
}

/// [`copy_merge`] for a feed: inserts the rows whose identity is not stored yet and says, for
/// each of `keys` (the rows' in `data`'s order), whether it was new. ON CONFLICT, not the
/// import's NOT EXISTS: the answer must be right even if another writer stored a row a moment
/// ago.
fn copy_merge_new(
    tx: &mut Transaction<'_>,
    table: &str,
    columns: &str,
    data: &CopyText,
    keys: impl Iterator<Item = RowKey>,
) -> Result<Vec<bool>, StoreError> {
    if data.buf.is_empty() {
        return Ok(keys.map(|_| false).collect());
    }
    tx.batch_execute(&format!(
        "CREATE TEMP TABLE stage (LIKE {table}) ON COMMIT DROP"
    ))?;
    let mut w = tx.copy_in(&format!("COPY stage ({columns}) FROM STDIN"))?;
    w.write_all(data.buf.as_bytes())?;
    w.finish()?;
    let rows = tx.query(
        &format!(
            "INSERT INTO {table} ({columns}) SELECT {columns} FROM stage ORDER BY k1, k2
             ON CONFLICT (k1, k2) DO NOTHING RETURNING k1, k2"
        ),
        &[],
    )?;
    tx.batch_execute("DROP TABLE stage")?;
    let new: std::collections::HashSet<(i64, i64)> =
        rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    Ok(keys.map(|k| new.contains(&(k.k1, k.k2))).collect())
}

fn upsert(
    tx: &mut Transaction<'_>,
    table: &str,
    columns: &[&str],
    key: &str,
    data: &CopyText,
) -> Result<(), StoreError> {
    let cols = columns.join(", ");
    let set: Vec<String> = columns
        .iter()
        .filter(|c| **c != key && **c != "pid")
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    let merge = format!(
        "INSERT INTO {table} ({cols}) SELECT {cols} FROM stage ON CONFLICT ({key}) DO UPDATE SET {}",
        set.join(", ")
    );
    copy_merge(tx, table, &cols, data, &merge)?;
    Ok(())
}

fn places_copy(places: &[PlaceRow]) -> CopyText {
    let mut c = CopyText::default();
    for p in places {
        c.num(p.pid)
            .text(&p.place_id)
            .text(p.kind.as_str())
            .opt_text(p.name.as_deref())
            .opt_num(p.lat)
            .opt_num(p.lon)
            .opt_text(p.region_code.as_deref())
            .opt_text(p.grid_code.as_deref())
            .end_row();
    }
    c
}

const PLACE_COLUMNS: &[&str] = &[
    "pid",
    "place_id",
    "kind",
    "name",
    "lat",
    "lon",
    "region_code",
    "grid_code",
];

/// Inserts or replaces registry rows by key, inside `tx`.
fn registry_in(tx: &mut Transaction<'_>, b: &RegistryBatch) -> Result<(), StoreError> {
    let mut c = CopyText::default();
    for r in &b.regions {
        c.text(&r.code)
            .text(&r.name)
            .opt_text(r.parent_code.as_deref())
            .text(r.level.as_str())
            .end_row();
    }
    upsert(
        tx,
        "regions",
        &["code", "name", "parent_code", "level"],
        "code",
        &c,
    )?;
    let mut c = CopyText::default();
    for r in &b.region_shapes {
        c.text(&r.code).text(&r.geometry).end_row();
    }
    upsert(tx, "region_shapes", &["code", "geometry"], "code", &c)?;
    upsert(
        tx,
        "places",
        PLACE_COLUMNS,
        "place_id",
        &places_copy(&b.places),
    )?;
    let mut c = CopyText::default();
    for p in &b.persons {
        c.text(&p.person_id)
            .text(&p.id_number)
            .opt_text(p.name.as_deref())
            .opt_text(p.phone.as_deref())
            .opt_text(p.household_id.as_deref())
            .opt_text(p.address.as_deref())
            .opt_text(p.grid_code.as_deref())
            .end_row();
    }
    upsert(
        tx,
        "persons",
        &[
            "person_id",
            "id_number",
            "name",
            "phone",
            "household_id",
            "address",
            "grid_code",
        ],
        "person_id",
        &c,
    )?;
    let mut c = CopyText::default();
    for v in &b.vehicles {
        c.text(&v.plate).text(&v.owner_id_number).end_row();
    }
    upsert(tx, "vehicles", &["plate", "owner_id_number"], "plate", &c)?;
    let mut c = CopyText::default();
    for a in &b.areas {
        c.text(&a.area_id)
            .opt_text(a.name.as_deref())
            .opt_text(a.region_code.as_deref())
            .opt_text(a.geometry.as_deref())
            .num(a.from)
            .opt_num(a.to)
            .text(a.risk.as_str())
            .end_row();
    }
    upsert(
        tx,
        "areas",
        &[
            "area_id",
            "name",
            "region_code",
            "geometry",
            "from_ms",
            "to_ms",
            "risk",
        ],
        "area_id",
        &c,
    )?;
    let mut c = CopyText::default();
    for k in &b.cases {
        c.text(&k.subject)
            .text(k.status.as_str())
            .opt_num(k.onset)
            .num(k.confirmed)
            .opt_num(k.isolated)
            .end_row();
    }
    upsert(
        tx,
        "cases",
        &[
            "subject",
            "status",
            "onset_ms",
            "confirmed_ms",
            "isolated_ms",
        ],
        "subject",
        &c,
    )?;
    Ok(())
}

impl Store for PgStore {
    fn preferred_batch_rows(&self) -> usize {
        200_000
    }

    fn lock_for_import(&mut self) -> Result<(), StoreError> {
        if self.locked {
            return Ok(()); // held already: a server's writer imports through itself
        }
        // An import killed a moment ago may still hold the lock: its server process notices the
        // dead client only when its statement ends (or, with the check interval set in `open`,
        // within a second). Wait a while before calling the store busy.
        // A lock_timeout given in the URL's options is kept.
        let configured: String = self
            .client
            .query_one("SELECT current_setting('lock_timeout')", &[])?
            .get(0);
        if configured == "0" {
            self.client.batch_execute("SET lock_timeout = '30s'")?;
        }
        let got = self.client.query_one(
            "SELECT pg_advisory_lock(hashtext(current_schema() || '.import'))",
            &[],
        );
        if configured == "0" {
            self.client.batch_execute("RESET lock_timeout")?;
        }
        match got {
            Ok(_) => {
                self.locked = true;
                Ok(())
            }
            Err(e) if e.code() == Some(&::postgres::error::SqlState::LOCK_NOT_AVAILABLE) => {
                Err(StoreError::Busy("PostgreSQL store".into()))
            }
            Err(e) => Err(e.into()),
        }
    }

    fn write_registry(&mut self, b: &RegistryBatch) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        registry_in(&mut tx, b)?;
        tx.commit()?;
        Ok(())
    }

    fn write_events(&mut self, b: &EventBatch) -> Result<Inserted, StoreError> {
        let mut tx = self.client.transaction()?;
        places_and_sources(&mut tx, b)?;
        // The importer holds the store's import lock and sends no identity twice in a batch,
        // so a plain insert of what the table lacks is safe, and cheaper than ON CONFLICT's
        // speculative insertion row by row. In key order the primary-key index is walked
        // forward, not at random.
        let sightings = copy_merge(
            &mut tx,
            "sightings",
            SIGHTING_COLUMNS,
            &sightings_copy(&b.sightings),
            &format!(
                "INSERT INTO sightings ({SIGHTING_COLUMNS}) SELECT {SIGHTING_COLUMNS} FROM stage s
                 WHERE NOT EXISTS (SELECT 1 FROM sightings t WHERE t.k1 = s.k1 AND t.k2 = s.k2)
                 ORDER BY k1, k2"
            ),
        )?;
        let deliveries = copy_merge(
            &mut tx,
            "deliveries",
            DELIVERY_COLUMNS,
            &deliveries_copy(&b.deliveries),
            &format!(
                "INSERT INTO deliveries ({DELIVERY_COLUMNS}) SELECT {DELIVERY_COLUMNS} FROM stage s
                 WHERE NOT EXISTS (SELECT 1 FROM deliveries t WHERE t.k1 = s.k1 AND t.k2 = s.k2)"
            ),
        )?;
        let health_reports = copy_merge(
            &mut tx,
            "health_reports",
            HEALTH_REPORT_COLUMNS,
            &health_reports_copy(&b.health_reports),
            &format!(
                "INSERT INTO health_reports ({HEALTH_REPORT_COLUMNS}) SELECT {HEALTH_REPORT_COLUMNS} FROM stage s
                 WHERE NOT EXISTS (SELECT 1 FROM health_reports t WHERE t.k1 = s.k1 AND t.k2 = s.k2)"
            ),
        )?;
        tx.commit()?;
        Ok(Inserted {
            sightings,
            deliveries,
            health_reports,
        })
    }

    fn write_feed(
        &mut self,
        registry: &RegistryBatch,
        events: &EventBatch,
        rejects: &[FeedRejectRow],
    ) -> Result<NewRows, StoreError> {
        let mut tx = self.client.transaction()?;
        registry_in(&mut tx, registry)?;
        places_and_sources(&mut tx, events)?;
        let sightings = copy_merge_new(
            &mut tx,
            "sightings",
            SIGHTING_COLUMNS,
            &sightings_copy(&events.sightings),
            events.sightings.iter().map(|r| r.key),
        )?;
        let deliveries = copy_merge_new(
            &mut tx,
            "deliveries",
            DELIVERY_COLUMNS,
            &deliveries_copy(&events.deliveries),
            events.deliveries.iter().map(|r| r.key),
        )?;
        let health_reports = copy_merge_new(
            &mut tx,
            "health_reports",
            HEALTH_REPORT_COLUMNS,
            &health_reports_copy(&events.health_reports),
            events.health_reports.iter().map(|r| r.key),
        )?;
        if !rejects.is_empty() {
            let st = tx.prepare(
                "INSERT INTO feed_rejects (received_ms, route, source, kind, line, reason, record)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )?;
            for r in rejects {
                tx.execute(
                    &st,
                    &[
                        &r.received,
                        &r.route,
                        &r.source,
                        &r.kind,
                        &(r.line as i64),
                        &r.reason,
                        &r.record,
                    ],
                )?;
            }
        }
        tx.commit()?;
        Ok(NewRows {
            sightings,
            deliveries,
            health_reports,
        })
    }

    fn for_each_sighting(&mut self, f: &mut dyn FnMut(&SightingRow)) -> Result<(), StoreError> {
        use ::postgres::fallible_iterator::FallibleIterator;
        let mut rows = self.client.query_raw(
            "SELECT k1, k2, source_id, subject_type, subject, pid, start_ms, end_ms, tag, record_id FROM sightings",
            std::iter::empty::<i64>(),
        )?;
        while let Some(r) = rows.next()? {
            let st: i16 = r.get(3);
            let tag: i16 = r.get(8);
            f(&SightingRow {
                key: RowKey {
                    k1: r.get(0),
                    k2: r.get(1),
                },
                source_id: r.get(2),
                subject_type: SubjectType::from_code(i64::from(st))
                    .ok_or_else(|| StoreError::Corrupt(format!("subject_type {st}")))?,
                subject: r.get(4),
                pid: r.get(5),
                start: r.get(6),
                end: r.get(7),
                tag: i64::from(tag),
                record_id: r.get(9),
            });
        }
        Ok(())
    }
}

fn pg_params<'a>(params: &'a [Param<'a>]) -> Vec<&'a (dyn ::postgres::types::ToSql + Sync)> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(v) => v as &(dyn ::postgres::types::ToSql + Sync),
            Param::Float(v) => v as &(dyn ::postgres::types::ToSql + Sync),
            Param::Text(v) => v as &(dyn ::postgres::types::ToSql + Sync),
            Param::OptInt(v) => v as &(dyn ::postgres::types::ToSql + Sync),
            Param::OptText(v) => v as &(dyn ::postgres::types::ToSql + Sync),
            Param::Bytes(v) => v as &(dyn ::postgres::types::ToSql + Sync),
        })
        .collect()
}

impl SqlConn for PgStore {
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        Ok(self.client.execute(sql, &pg_params(params))?)
    }

    fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        f: &mut dyn FnMut(&mut [Cell]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use ::postgres::fallible_iterator::FallibleIterator;
        use ::postgres::types::Type;
        let mut rows = self.client.query_raw(sql, pg_params(params))?;
        let mut row = Vec::new();
        while let Some(r) = rows.next()? {
            row.clear();
            for (i, column) in r.columns().iter().enumerate() {
                let ty = column.type_();
                row.push(if *ty == Type::INT8 {
                    r.get::<_, Option<i64>>(i).map_or(Cell::Null, Cell::Int)
                } else if *ty == Type::INT4 {
                    r.get::<_, Option<i32>>(i)
                        .map_or(Cell::Null, |v| Cell::Int(i64::from(v)))
                } else if *ty == Type::INT2 {
                    r.get::<_, Option<i16>>(i)
                        .map_or(Cell::Null, |v| Cell::Int(i64::from(v)))
                } else if *ty == Type::FLOAT8 {
                    r.get::<_, Option<f64>>(i).map_or(Cell::Null, Cell::Float)
                } else if *ty == Type::BYTEA {
                    r.get::<_, Option<Vec<u8>>>(i)
                        .map_or(Cell::Null, Cell::Bytes)
                } else if *ty == Type::TEXT || *ty == Type::VARCHAR {
                    r.get::<_, Option<String>>(i).map_or(Cell::Null, Cell::Text)
                } else {
                    return Err(StoreError::Corrupt(format!("column {i} has type {ty}")));
                });
            }
            f(&mut row)?;
        }
        Ok(())
    }

    fn exec_many(&mut self, stmts: &[(&str, Vec<Param<'_>>)]) -> Result<Vec<u64>, StoreError> {
        let mut tx = self.client.transaction()?;
        let mut changed = Vec::with_capacity(stmts.len());
        for (sql, p) in stmts {
            changed.push(tx.execute(*sql, &pg_params(p))?);
        }
        tx.commit()?;
        Ok(changed)
    }

    fn exec_all(&mut self, sql: &str, params: &[Vec<Param<'_>>]) -> Result<(), StoreError> {
        let mut tx = self.client.transaction()?;
        let st = tx.prepare(sql)?;
        for p in params {
            tx.execute(&st, &pg_params(p))?;
        }
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_nulls() {
        let mut c = CopyText::default();
        c.text("a\tb\\c\nd").opt_text(None).num(5).end_row();
        c.text("x").end_row();
        assert_eq!(c.buf, "a\\tb\\\\c\\nd\t\\N\t5\nx\n");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("postgres://h/db"), "postgres://h/db");
    }
}
