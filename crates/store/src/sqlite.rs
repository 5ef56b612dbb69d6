//! The embedded store: one SQLite file in WAL mode, written with `synchronous = FULL` so that an
//! import is durable when the command returns, and a crash loses at most the batch in flight.

use std::fs::File;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction, params};
use tracegrid_model::SubjectType;

use tracegrid_model::rows::*;

use crate::sql::{Cell, Param, SqlConn};
use crate::*;

const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/sqlite/0001_init.sql"),
    include_str!("../migrations/sqlite/0002_accounts.sql"),
    include_str!("../migrations/sqlite/0003_tasks.sql"),
    include_str!("../migrations/sqlite/0004_feeds.sql"),
    include_str!("../migrations/sqlite/0005_health.sql"),
    include_str!("../migrations/sqlite/0006_gates.sql"),
    include_str!("../migrations/sqlite/0007_first_alerts.sql"),
];

/// Memory SQLite may keep as page cache. Random-key inserts touch pages all over the sightings
/// table; a large cache keeps them in memory between commits.
const CACHE_KIB: i64 = 1024 * 1024;

const PAGE_SIZE: i64 = 16384;

/// The WAL is copied into the database once it grows past this, not after every commit: with
/// random keys a batch dirties pages all over the table, and checkpointing each commit would
/// write the whole table again and again.
const WAL_CHECKPOINT_BYTES: u64 = 768 << 20;

/// The same for a serving store's feeds, whose WAL a checkpointer thread copies in as they
/// come: past this the writer copies it in itself (a feed waits meanwhile).
const FEED_WAL_BYTES: u64 = 256 << 20;

pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
    /// Held (flock) while this handle imports.
    import_lock: Option<File>,
    /// Runs while events are written.
    checkpointer: Option<Checkpointer>,
}

/// Copies committed WAL frames into the database on a connection and thread of its own while an
/// import writes, so that the copy runs beside the writing (on the core the parser leaves idle)
/// instead of after it.
struct Checkpointer {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Checkpointer {
    fn start(path: &Path) -> Result<Checkpointer, StoreError> {
        use std::sync::atomic::Ordering;
        let conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(200));
                // PASSIVE never blocks the writer; a failed round is simply tried again.
                let _ = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
            }
        });
        Ok(Checkpointer {
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteStore {
    pub fn open(path: &Path) -> Result<SqliteStore, StoreError> {
        let unreachable = |reason: String| StoreError::Unreachable {
            spec: path.display().to_string(),
            reason,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty())
            && !dir.is_dir()
        {
            return Err(unreachable(format!(
                "the directory {} does not exist",
                dir.display()
            )));
        }
        let conn = Connection::open(path).map_err(|e| unreachable(e.to_string()))?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Takes effect only on a new, empty file; larger pages mean fewer WAL frames and a
        // shallower key B-tree.
        conn.pragma_update(None, "page_size", PAGE_SIZE)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(|e| unreachable(format!("not a SQLite database, or unwritable: {e}")))?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "cache_size", -CACHE_KIB)?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        let mut store = SqliteStore {
            conn,
            path: path.to_owned(),
            import_lock: None,
            checkpointer: None,
        };
        store.migrate()?;
        Ok(store)
    }

    fn wal_path(&self) -> PathBuf {
        let mut p = self.path.clone().into_os_string();
        p.push("-wal");
        p.into()
    }

    /// Copies the WAL into the database once it has grown past `limit` bytes.
    fn checkpoint_if_large(&mut self, limit: u64) -> Result<(), StoreError> {
        let wal = std::fs::metadata(self.wal_path()).map_or(0, |m| m.len());
        if wal > limit {
            // RESTART, not TRUNCATE: the WAL file is reused from its start, so its pages need
            // not be allocated and zeroed again.
            self.conn
                .query_row("PRAGMA wal_checkpoint(RESTART)", [], |_| Ok(()))?;
        }
        Ok(())
    }

    /// Copies the WAL into the database file and empties it.
    fn checkpoint(&mut self) -> Result<(), StoreError> {
        self.conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        Ok(())
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        // Only a store that needs a migration takes the write lock: opening a store to read
        // must not queue behind an import.
        let current: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        if current as usize >= MIGRATIONS.len() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let version: i64 = tx.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        }
        tx.commit()?;
        Ok(())
    }
}

/// Rows bound into one multi-row statement: per-statement overhead is paid once per chunk.
const ROWS_PER_STATEMENT: usize = 100;

/// `INSERT INTO {target} VALUES (?,…),(?,…)… {tail}` for `rows` rows of `columns` values.
fn multi_row_insert(target: &str, columns: usize, rows: usize, tail: &str) -> String {
    let one = format!("({})", vec!["?"; columns].join(","));
    format!(
        "INSERT INTO {target} VALUES {} {tail}",
        vec![one; rows].join(",")
    )
}

/// Claims each key in a key table (`slot INTEGER PRIMARY KEY, k2`) unless that identity is
/// there already; returns, for each key, whether it was new. Keys are claimed a chunk at a time;
/// a slot that was taken is then looked at alone, probing past slots another identity holds.
fn claim_keys(tx: &Transaction<'_>, table: &str, keys: &[RowKey]) -> Result<Vec<bool>, StoreError> {
    let mut new = Vec::with_capacity(keys.len());
    let mut claimed = std::collections::HashSet::new();
    let mut insert = tx.prepare_cached(&format!(
        "INSERT INTO {table} (slot, k2) VALUES (?1, ?2) ON CONFLICT (slot) DO NOTHING"
    ))?;
    let mut lookup = tx.prepare_cached(&format!("SELECT k2 FROM {table} WHERE slot = ?1"))?;
    for chunk in keys.chunks(ROWS_PER_STATEMENT) {
        let mut st = tx.prepare_cached(&multi_row_insert(
            &format!("{table} (slot, k2)"),
            2,
            chunk.len(),
            "ON CONFLICT (slot) DO NOTHING RETURNING slot",
        ))?;
        for (i, k) in chunk.iter().enumerate() {
            st.raw_bind_parameter(2 * i + 1, k.k1)?;
            st.raw_bind_parameter(2 * i + 2, k.k2)?;
        }
        claimed.clear();
        let mut rows = st.raw_query();
        while let Some(r) = rows.next()? {
            claimed.insert(r.get::<_, i64>(0)?);
        }
        for k in chunk {
            // A slot returned was inserted by this key unless an earlier key of the chunk had
            // the same slot (a 64-bit collision): `remove` gives each returned slot out once.
            if claimed.remove(&k.k1) {
                new.push(true);
            } else {
                new.push(claim_key(*k, &mut insert, &mut lookup)?);
            }
        }
    }
    Ok(new)
}

/// Claims one key, probing past slots that another identity holds. Returns whether it was new.
fn claim_key(
    key: RowKey,
    insert: &mut rusqlite::CachedStatement<'_>,
    lookup: &mut rusqlite::CachedStatement<'_>,
) -> Result<bool, StoreError> {
    let mut slot = key.k1;
    loop {
        if insert.execute(params![slot, key.k2])? == 1 {
            return Ok(true);
        }
        let k2: i64 = lookup.query_row([slot], |r| r.get(0))?;
        if k2 == key.k2 {
            return Ok(false);
        }
        slot = slot.wrapping_add(1);
    }
}

impl Store for SqliteStore {
    /// Every commit rewrites the key table's dirty pages: few, large transactions are cheaper.
    fn preferred_batch_rows(&self) -> usize {
        1_000_000
    }

    fn lock_for_import(&mut self) -> Result<(), StoreError> {
        if self.import_lock.is_some() {
            return Ok(()); // held already: a server's writer imports through itself
        }
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".import-lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)?;
        match file.try_lock() {
            Ok(()) => {
                self.import_lock = Some(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => {
                Err(StoreError::Busy(self.path.display().to_string()))
            }
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }

    fn write_registry(&mut self, b: &RegistryBatch) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        registry_in(&tx, b)?;
        tx.commit()?;
        Ok(())
    }

    fn write_events(&mut self, b: &EventBatch) -> Result<Inserted, StoreError> {
        if self.checkpointer.is_none() {
            self.checkpointer = Some(Checkpointer::start(&self.path)?);
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let new = events_in(&tx, b)?;
        tx.commit()?;
        self.checkpoint_if_large(WAL_CHECKPOINT_BYTES)?;
        Ok(new.counts())
    }

    fn write_feed(
        &mut self,
        registry: &RegistryBatch,
        events: &EventBatch,
        rejects: &[FeedRejectRow],
    ) -> Result<NewRows, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        registry_in(&tx, registry)?;
        let new = events_in(&tx, events)?;
        {
            let mut s = tx.prepare_cached(
                "INSERT INTO feed_rejects (received_ms, route, source, kind, line, reason, record)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for r in rejects {
                s.execute(params![
                    r.received,
                    r.route,
                    r.source,
                    r.kind,
                    r.line as i64,
                    r.reason,
                    r.record
                ])?;
            }
        }
        tx.commit()?;
        // SQLite's own autocheckpoint is off (see `open`): a serving store's WAL is copied in
        // by a thread of its own, beside the feeds rather than in their way; only a WAL that
        // thread cannot keep up with (readers holding old pages) is copied in here.
        // The rows are kept now: a checkpoint that fails is said, not taken for the write's
        // failure (the sender would send again rows the city has not taken in).
        if self.checkpointer.is_none() {
            match Checkpointer::start(&self.path) {
                Ok(c) => self.checkpointer = Some(c),
                Err(e) => tracing::warn!(error = e.to_string(), "starting the WAL checkpointer"),
            }
        }
        if let Err(e) = self.checkpoint_if_large(FEED_WAL_BYTES) {
            tracing::warn!(error = e.to_string(), "copying the WAL into the database");
        }
        Ok(new)
    }

    fn finish_import(&mut self) -> Result<(), StoreError> {
        self.checkpointer = None;
        self.checkpoint()
    }

    fn for_each_sighting(&mut self, f: &mut dyn FnMut(&SightingRow)) -> Result<(), StoreError> {
        let mut s = self.conn.prepare(
            "SELECT k1, k2, source_id, subject_type, subject, pid, start_ms, end_ms, tag, record_id FROM sightings",
        )?;
        let mut rows = s.query([])?;
        while let Some(r) = rows.next()? {
            let st: i64 = r.get(3)?;
            let row = SightingRow {
                key: RowKey {
                    k1: r.get(0)?,
                    k2: r.get(1)?,
                },
                source_id: r.get(2)?,
                subject_type: SubjectType::from_code(st)
                    .ok_or_else(|| StoreError::Corrupt(format!("subject_type {st}")))?,
                subject: r.get(4)?,
                pid: r.get(5)?,
                start: r.get(6)?,
                end: r.get(7)?,
                tag: r.get(8)?,
                record_id: r.get(9)?,
            };
            f(&row);
        }
        Ok(())
    }
}

/// Inserts or replaces registry rows by key, inside `tx`.
fn registry_in(tx: &Transaction<'_>, b: &RegistryBatch) -> Result<(), StoreError> {
    let mut s = tx.prepare_cached(
        "INSERT INTO regions (code, name, parent_code, level) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name,
               parent_code = excluded.parent_code, level = excluded.level",
    )?;
    for r in &b.regions {
        s.execute(params![r.code, r.name, r.parent_code, r.level.as_str()])?;
    }
    let mut s = tx.prepare_cached(
        "INSERT INTO region_shapes (code, geometry) VALUES (?1, ?2)
             ON CONFLICT (code) DO UPDATE SET geometry = excluded.geometry",
    )?;
    for r in &b.region_shapes {
        s.execute(params![r.code, r.geometry])?;
    }
    upsert_places(tx, &b.places)?;
    let mut s = tx.prepare_cached(
        "INSERT INTO persons (person_id, id_number, name, phone, household_id, address, grid_code)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (person_id) DO UPDATE SET id_number = excluded.id_number,
               name = excluded.name, phone = excluded.phone, household_id = excluded.household_id,
               address = excluded.address, grid_code = excluded.grid_code",
    )?;
    for p in &b.persons {
        s.execute(params![
            p.person_id,
            p.id_number,
            p.name,
            p.phone,
            p.household_id,
            p.address,
            p.grid_code
        ])?;
    }
    let mut s = tx.prepare_cached(
        "INSERT INTO vehicles (plate, owner_id_number) VALUES (?1, ?2)
             ON CONFLICT (plate) DO UPDATE SET owner_id_number = excluded.owner_id_number",
    )?;
    for v in &b.vehicles {
        s.execute(params![v.plate, v.owner_id_number])?;
    }
    let mut s = tx.prepare_cached(
        "INSERT INTO areas (area_id, name, region_code, geometry, from_ms, to_ms, risk)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (area_id) DO UPDATE SET name = excluded.name,
               region_code = excluded.region_code, geometry = excluded.geometry,
               from_ms = excluded.from_ms, to_ms = excluded.to_ms, risk = excluded.risk",
    )?;
    for a in &b.areas {
        s.execute(params![
            a.area_id,
            a.name,
            a.region_code,
            a.geometry,
            a.from,
            a.to,
            a.risk.as_str()
        ])?;
    }
    let mut s = tx.prepare_cached(
        "INSERT INTO cases (subject, status, onset_ms, confirmed_ms, isolated_ms)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (subject) DO UPDATE SET status = excluded.status,
               onset_ms = excluded.onset_ms, confirmed_ms = excluded.confirmed_ms,
               isolated_ms = excluded.isolated_ms",
    )?;
    for c in &b.cases {
        s.execute(params![
            c.subject,
            c.status.as_str(),
            c.onset,
            c.confirmed,
            c.isolated
        ])?;
    }
    Ok(())
}

/// Stores new places and sources, then every sighting, delivery and health report whose
/// identity is not stored yet, inside `tx`; says which of the batch's rows were new.
fn events_in(tx: &Transaction<'_>, b: &EventBatch) -> Result<NewRows, StoreError> {
    upsert_places(tx, &b.places)?;
    let mut s = tx.prepare_cached("INSERT OR IGNORE INTO sources (id, name) VALUES (?1, ?2)")?;
    for src in &b.sources {
        s.execute(params![src.id, src.name])?;
    }
    // In key order, each key lands next to the previous one: the key table is walked forward
    // once a batch instead of at random.
    let mut order: Vec<usize> = (0..b.sightings.len()).collect();
    order.sort_unstable_by_key(|&i| b.sightings[i].key.k1);
    let keys: Vec<RowKey> = order.iter().map(|&i| b.sightings[i].key).collect();
    let claimed = claim_keys(tx, "sighting_keys", &keys)?;
    let mut sightings = vec![false; b.sightings.len()];
    for (&i, new) in order.iter().zip(&claimed) {
        sightings[i] = *new;
    }
    let fresh: Vec<&SightingRow> = order
        .iter()
        .zip(&claimed)
        .filter_map(|(&i, n)| n.then_some(&b.sightings[i]))
        .collect();
    for chunk in fresh.chunks(ROWS_PER_STATEMENT) {
        let mut st = tx.prepare_cached(&multi_row_insert(
            "sightings (k1, k2, source_id, subject_type, subject, pid, start_ms, end_ms, tag, record_id)",
            10,
            chunk.len(),
            "",
        ))?;
        let mut i = 1;
        for r in chunk {
            st.raw_bind_parameter(i, r.key.k1)?;
            st.raw_bind_parameter(i + 1, r.key.k2)?;
            st.raw_bind_parameter(i + 2, r.source_id)?;
            st.raw_bind_parameter(i + 3, r.subject_type.code())?;
            st.raw_bind_parameter(i + 4, r.subject.as_str())?;
            st.raw_bind_parameter(i + 5, r.pid)?;
            st.raw_bind_parameter(i + 6, r.start)?;
            st.raw_bind_parameter(i + 7, r.end)?;
            st.raw_bind_parameter(i + 8, r.tag)?;
            st.raw_bind_parameter(i + 9, r.record_id.as_deref())?;
            i += 10;
        }
        st.raw_execute()?;
    }
    let keys: Vec<RowKey> = b.deliveries.iter().map(|d| d.key).collect();
    let deliveries = claim_keys(tx, "delivery_keys", &keys)?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO deliveries (k1, k2, recipient_phone, origin_region_code, shipped_ms, delivered_ms, record_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for d in b
        .deliveries
        .iter()
        .zip(&deliveries)
        .filter_map(|(d, n)| n.then_some(d))
    {
        ins.execute(params![
            d.key.k1,
            d.key.k2,
            d.recipient_phone,
            d.origin_region_code,
            d.shipped,
            d.delivered,
            d.record_id
        ])?;
    }
    let keys: Vec<RowKey> = b.health_reports.iter().map(|h| h.key).collect();
    let health_reports = claim_keys(tx, "health_report_keys", &keys)?;
    let mut ins = tx.prepare_cached(
        "INSERT INTO health_reports (k1, k2, id_number, time_ms, temperature_dc, symptoms, pid, reporter, record_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    for h in b
        .health_reports
        .iter()
        .zip(&health_reports)
        .filter_map(|(h, n)| n.then_some(h))
    {
        ins.execute(params![
            h.key.k1,
            h.key.k2,
            h.id_number,
            h.time,
            h.temperature.map(|t| t.tenths()),
            h.symptoms.bits(),
            h.pid,
            h.reporter.map(|r| r.code()),
            h.record_id
        ])?;
    }
    Ok(NewRows {
        sightings,
        deliveries,
        health_reports,
    })
}

fn upsert_places(tx: &Transaction<'_>, places: &[PlaceRow]) -> Result<(), StoreError> {
    let mut s = tx.prepare_cached(
        "INSERT INTO places (pid, place_id, kind, name, lat, lon, region_code, grid_code)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (place_id) DO UPDATE SET kind = excluded.kind, name = excluded.name,
           lat = excluded.lat, lon = excluded.lon, region_code = excluded.region_code,
           grid_code = excluded.grid_code",
    )?;
    for p in places {
        s.execute(params![
            p.pid,
            p.place_id,
            p.kind.as_str(),
            p.name,
            p.lat,
            p.lon,
            p.region_code,
            p.grid_code
        ])?;
    }
    Ok(())
}

fn sqlite_params<'a>(params: &'a [Param<'a>]) -> Vec<&'a dyn rusqlite::ToSql> {
    params
        .iter()
        .map(|p| match p {
            Param::Int(v) => v as &dyn rusqlite::ToSql,
            Param::Float(v) => v as &dyn rusqlite::ToSql,
            Param::Text(v) => v as &dyn rusqlite::ToSql,
            Param::OptInt(v) => v as &dyn rusqlite::ToSql,
            Param::OptText(v) => v as &dyn rusqlite::ToSql,
            Param::Bytes(v) => v as &dyn rusqlite::ToSql,
        })
        .collect()
}

impl SqlConn for SqliteStore {
    fn exec(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let mut st = self.conn.prepare_cached(sql)?;
        Ok(st.execute(sqlite_params(params).as_slice())? as u64)
    }

    fn for_each_row(
        &mut self,
        sql: &str,
        params: &[Param<'_>],
        f: &mut dyn FnMut(&mut [Cell]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut st = self.conn.prepare_cached(sql)?;
        let n = st.column_count();
        let mut row = Vec::with_capacity(n);
        let mut rows = st.query(sqlite_params(params).as_slice())?;
        while let Some(r) = rows.next()? {
            row.clear();
            for i in 0..n {
                row.push(match r.get_ref(i)? {
                    rusqlite::types::ValueRef::Integer(v) => Cell::Int(v),
                    rusqlite::types::ValueRef::Real(v) => Cell::Float(v),
                    rusqlite::types::ValueRef::Text(t) => {
                        Cell::Text(String::from_utf8_lossy(t).into_owned())
                    }
                    rusqlite::types::ValueRef::Null => Cell::Null,
                    rusqlite::types::ValueRef::Blob(b) => Cell::Bytes(b.to_vec()),
                });
            }
            f(&mut row)?;
        }
        Ok(())
    }

    fn exec_many(&mut self, stmts: &[(&str, Vec<Param<'_>>)]) -> Result<Vec<u64>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut changed = Vec::with_capacity(stmts.len());
        for (sql, p) in stmts {
            let mut st = tx.prepare_cached(sql)?;
            changed.push(st.execute(sqlite_params(p).as_slice())? as u64);
        }
        tx.commit()?;
        Ok(changed)
    }

    fn exec_all(&mut self, sql: &str, params: &[Vec<Param<'_>>]) -> Result<(), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        {
            let mut st = tx.prepare_cached(sql)?;
            for p in params {
                st.execute(sqlite_params(p).as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}
