//! The import of one drop, start to finish.
//!
//! Registries load first, each file in transactions of at most `batch_rows` rows. Events are
//! read on the calling thread and written by a second thread, so that parsing and the store's
//! work overlap on two cores; each batch is one transaction. A crash loses at most the batches in
//! flight, and running the import again stores exactly what is missing: rows already stored are
//! counted as duplicates.

use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use chrono_tz::Tz;
use serde::Serialize;
use tracegrid_model::TimeReader;
use tracegrid_model::rows::{EventBatch, RegistryBatch};
use tracegrid_store::{Store, StoreError};

use crate::convert::{self, EventOut, Known, Outcome, PendingRegion};
use crate::drop::{self, DropFile, FileKind, Format, Skipped};
use crate::feed::keep_last;
use crate::read::{self, Encoding, Next, RecordReader, Row};
use crate::rejects::{Rejects, RejectsTarget};

/// How to read a drop.
#[derive(Clone, Debug)]
pub struct Options {
    /// The zone of times written without an offset (`--tz`).
    pub tz: Tz,
    pub encoding: Encoding,
    pub rejects: RejectsTarget,
    /// Rows a transaction; `None`: what the store prefers.
    pub batch_rows: Option<usize>,
}

/// Told of progress, for a progress bar.
pub trait Observer {
    fn file_started(&mut self, _file: &DropFile) {}
    /// Rows read so far in the current file.
    fn rows(&mut self, _rows: u64) {}
    fn file_finished(&mut self, _summary: &FileSummary) {}
}

/// No progress reporting.
impl Observer for () {}

/// One file's counts (CONTRACT.md section 3, `import --json`).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileSummary {
    pub file: String,
    pub kind: &'static str,
    pub accepted: u64,
    pub rejected: u64,
    pub duplicates: u64,
    /// Why the file could not be read at all, or not to its end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The whole import's summary.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportSummary {
    pub files: Vec<FileSummary>,
    pub accepted: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub rejects_file: Option<String>,
    pub skipped: Vec<Skipped>,
    pub elapsed_ms: u64,
    pub rows_per_second: u64,
}

/// Why an import could not run, or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{0} is not a directory")]
    NotADirectory(String),
    #[error("cannot list {0}: {1}")]
    Unlistable(String, std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Rejects(std::io::Error),
}

/// The rows the writer thread stored for each file (by index).
type StoredPerFile = Vec<(usize, u64)>;

/// How often the observer hears of rows.
const REPORT_EVERY: u64 = 8192;

/// Imports the drop in `dir`. Returns the store back with the summary.
pub fn import(
    dir: &Path,
    mut store: Box<dyn Store>,
    opts: &Options,
    obs: &mut dyn Observer,
) -> Result<(ImportSummary, Box<dyn Store>), ImportError> {
    let summary = import_into(dir, store.as_mut(), opts, obs)?;
    Ok((summary, store))
}

/// Imports the drop in `dir` through a store the caller keeps (a server's writer, which holds
/// the import lock already).
pub fn import_into(
    dir: &Path,
    store: &mut dyn Store,
    opts: &Options,
    obs: &mut dyn Observer,
) -> Result<ImportSummary, ImportError> {
    let started = Instant::now();
    let started_ms = chrono::Utc::now().timestamp_millis();
    if !dir.is_dir() {
        return Err(ImportError::NotADirectory(dir.display().to_string()));
    }
    let (files, skipped) =
        drop::scan(dir).map_err(|e| ImportError::Unlistable(dir.display().to_string(), e))?;
    store.lock_for_import()?;
    let batch_rows = opts
        .batch_rows
        .unwrap_or_else(|| store.preferred_batch_rows())
        .max(1);
    let mut known = Known::new(&store.load_registry()?);
    let mut job = Job {
        opts,
        batch_rows,
        tr: TimeReader::new(opts.tz),
        rejects: Rejects::new(opts.rejects.clone()).map_err(ImportError::Rejects)?,
        summaries: files
            .iter()
            .map(|f| FileSummary {
                file: f.name.clone(),
                kind: f.kind.label(),
                accepted: 0,
                rejected: 0,
                duplicates: 0,
                error: None,
            })
            .collect(),
    };

    let regions: Vec<usize> = (0..files.len())
        .filter(|&i| files[i].kind == FileKind::Regions)
        .collect();
    job.regions(&files, &regions, &mut known, store, obs)?;
    for (i, f) in files.iter().enumerate() {
        if f.kind.is_registry() && f.kind != FileKind::Regions {
            job.registry_file(i, f, &mut known, store, obs)?;
        }
    }
    let events: Vec<usize> = (0..files.len())
        .filter(|&i| !files[i].kind.is_registry())
        .collect();
    job.events(&files, &events, &mut known, store, obs)?;

    store.finish_import()?;
    let Job {
        summaries, rejects, ..
    } = job;
    let rejects_file = rejects.finish().map_err(ImportError::Rejects)?;
    let elapsed = started.elapsed();
    let (accepted, rejected, duplicates) = summaries.iter().fold((0, 0, 0), |(a, r, d), s| {
        (a + s.accepted, r + s.rejected, d + s.duplicates)
    });
    let rows = accepted + rejected + duplicates;
    let summary = ImportSummary {
        files: summaries,
        accepted,
        rejected,
        duplicates,
        rejects_file: rejects_file.map(|p| p.display().to_string()),
        skipped,
        elapsed_ms: elapsed.as_millis() as u64,
        rows_per_second: (rows as f64 / elapsed.as_secs_f64().max(1e-9)) as u64,
    };
    let json = serde_json::to_string(&summary).unwrap_or_default();
    store.record_import(
        started_ms,
        chrono::Utc::now().timestamp_millis(),
        &dir.display().to_string(),
        &json,
    )?;
    Ok(summary)
}

/// The state of one import while it runs.
struct Job<'o> {
    opts: &'o Options,
    batch_rows: usize,
    tr: TimeReader,
    rejects: Rejects,
    summaries: Vec<FileSummary>,
}

/// A batch of one file's events on its way to the writer thread.
struct Batch {
    file: usize,
    kind: FileKind,
    batch: EventBatch,
}

impl Job<'_> {
    fn reject(
        &mut self,
        file: usize,
        line: u64,
        reason: &str,
        record: &str,
    ) -> Result<(), ImportError> {
        self.summaries[file].rejected += 1;
        let name = self.summaries[file].file.clone();
        self.rejects
            .write(&name, line, reason, record)
            .map_err(ImportError::Rejects)
    }

    fn open(&self, f: &DropFile) -> Result<RecordReader, String> {
        let mut input = read::open(&f.path, f.gzip).map_err(|e| format!("cannot open: {e}"))?;
        let format = match f.format {
            Some(fmt) => fmt,
            None => read::sniff(input.as_mut()).map_err(|e| format!("cannot read: {e}"))?,
        };
        RecordReader::new(input, format, self.opts.encoding, f.kind.fields())
    }

    /// Reads every row of a CSV or NDJSON file, rejecting unreadable ones, and hands the others
    /// to `each`. A read error (a broken gzip stream, say) ends the file and is reported.
    fn rows(
        &mut self,
        i: usize,
        f: &DropFile,
        obs: &mut dyn Observer,
        each: &mut dyn FnMut(&mut Self, &Row) -> Result<(), ImportError>,
    ) -> Result<(), ImportError> {
        let mut reader = match self.open(f) {
            Ok(r) => r,
            Err(e) => {
                self.summaries[i].error = Some(e);
                return Ok(());
            }
        };
        let mut row = Row::default();
        let mut n = 0u64;
        loop {
            match reader.next(&mut row) {
                Ok(Next::End) => break,
                Ok(Next::Bad(b)) => self.reject(i, b.line, &b.reason, &b.record)?,
                Ok(Next::Row) => each(self, &row)?,
                Err(e) => {
                    self.summaries[i].error = Some(format!(
                        "reading stopped after line {}: {e}",
                        reader.lines()
                    ));
                    break;
                }
            }
            n += 1;
            if n.is_multiple_of(REPORT_EVERY) {
                obs.rows(n);
            }
        }
        obs.rows(n);
        Ok(())
    }

    fn count(
        &mut self,
        i: usize,
        r: Result<Outcome, String>,
        row: &Row,
    ) -> Result<(), ImportError> {
        match r {
            Ok(Outcome::Accepted) => self.summaries[i].accepted += 1,
            Ok(Outcome::Duplicate) => self.summaries[i].duplicates += 1,
            Err(reason) => self.reject(i, row.line, &reason, row.raw())?,
        }
        Ok(())
    }

    /// All regions files at once: a parent may be defined after its children.
    fn regions(
        &mut self,
        files: &[DropFile],
        which: &[usize],
        known: &mut Known,
        store: &mut dyn Store,
        obs: &mut dyn Observer,
    ) -> Result<(), ImportError> {
        let mut pending = Vec::new();
        let mut bad: Vec<(usize, u64, String, String)> = Vec::new();
        for &i in which {
            obs.file_started(&files[i]);
            self.rows(i, &files[i], obs, &mut |_, row| {
                match convert::region_row(row) {
                    Ok(r) => pending.push(PendingRegion {
                        file: i,
                        line: row.line,
                        record: row.raw().to_owned(),
                        row: r,
                    }),
                    Err(reason) => bad.push((i, row.line, reason, row.raw().to_owned())),
                }
                Ok(())
            })?;
        }
        let outcomes = convert::settle_regions(known, &pending);
        let mut batch = RegistryBatch::default();
        for (p, o) in pending.iter().zip(outcomes) {
            match o {
                Ok(Outcome::Accepted) => {
                    self.summaries[p.file].accepted += 1;
                    batch.regions.push(p.row.clone());
                }
                Ok(Outcome::Duplicate) => self.summaries[p.file].duplicates += 1,
                Err(reason) => bad.push((p.file, p.line, reason, p.record.clone())),
            }
        }
        // Rejects in file and line order, as a clerk reads them.
        bad.sort_by_key(|b| (b.0, b.1));
        for (i, line, reason, record) in bad {
            self.reject(i, line, &reason, &record)?;
        }
        keep_last(&mut batch.regions, |r| r.code.clone());
        if !batch.is_empty() {
            store.write_registry(&batch)?;
        }
        for &i in which {
            obs.file_finished(&self.summaries[i]);
        }
        Ok(())
    }

    fn registry_file(
        &mut self,
        i: usize,
        f: &DropFile,
        known: &mut Known,
        store: &mut dyn Store,
        obs: &mut dyn Observer,
    ) -> Result<(), ImportError> {
        obs.file_started(f);
        let mut batch = RegistryBatch::default();
        let limit = self.batch_rows;
        let mut pending = 0usize;
        let flush = |batch: &mut RegistryBatch, store: &mut dyn Store| -> Result<(), ImportError> {
            keep_last(&mut batch.region_shapes, |r| r.code.clone());
            keep_last(&mut batch.places, |r| r.place_id.clone());
            keep_last(&mut batch.persons, |r| r.person_id.clone());
            keep_last(&mut batch.vehicles, |r| r.plate.clone());
            keep_last(&mut batch.areas, |r| r.area_id.clone());
            keep_last(&mut batch.cases, |r| r.subject.clone());
            if !batch.is_empty() {
                store.write_registry(batch)?;
            }
            *batch = RegistryBatch::default();
            Ok(())
        };
        if f.format == Some(Format::GeoJson) {
            self.geojson_file(i, f, known, &mut batch)?;
        } else {
            self.rows(i, f, obs, &mut |job, row| {
                let r = convert::registry_row(f.kind, row, None, known, &mut job.tr, &mut batch);
                job.count(i, r, row)?;
                pending += 1;
                if pending >= limit {
                    flush(&mut batch, store)?;
                    pending = 0;
                }
                Ok(())
            })?;
        }
        flush(&mut batch, store)?;
        obs.file_finished(&self.summaries[i]);
        Ok(())
    }

    fn geojson_file(
        &mut self,
        i: usize,
        f: &DropFile,
        known: &mut Known,
        batch: &mut RegistryBatch,
    ) -> Result<(), ImportError> {
        let features = read::read_text(&f.path, f.gzip, self.opts.encoding)
            .map_err(|e| format!("cannot read: {e}"))
            .and_then(|text| crate::geojson::features(&text));
        let features = match features {
            Ok(fs) => fs,
            Err(e) => {
                self.summaries[i].error = Some(e);
                return Ok(());
            }
        };
        for feat in features {
            let value = match feat.value {
                Ok(v) => v,
                Err(e) => {
                    self.reject(i, feat.line, &e, &feat.raw)?;
                    continue;
                }
            };
            let empty = serde_json::Map::new();
            let props = value
                .get("properties")
                .and_then(|p| p.as_object())
                .unwrap_or(&empty);
            let checked =
                crate::geojson::check_geometry(value.get("geometry")).and_then(|geometry| {
                    Row::from_object(feat.line, &feat.raw, f.kind.fields(), props)
                        .map(|row| (geometry, row))
                });
            let (geometry, row) = match checked {
                Ok(x) => x,
                Err(e) => {
                    self.reject(i, feat.line, &e, &feat.raw)?;
                    continue;
                }
            };
            let r = convert::registry_row(f.kind, &row, Some(geometry), known, &mut self.tr, batch);
            self.count(i, r, &row)?;
        }
        Ok(())
    }

    /// Reads event files here and writes their batches on a second thread.
    fn events(
        &mut self,
        files: &[DropFile],
        which: &[usize],
        known: &mut Known,
        store: &mut dyn Store,
        obs: &mut dyn Observer,
    ) -> Result<(), ImportError> {
        if which.is_empty() {
            return Ok(());
        }
        std::thread::scope(|scope| self.events_with_writer(scope, files, which, known, store, obs))
    }

    fn events_with_writer<'s>(
        &mut self,
        scope: &'s std::thread::Scope<'s, '_>,
        files: &[DropFile],
        which: &[usize],
        known: &mut Known,
        store: &'s mut dyn Store,
        obs: &mut dyn Observer,
    ) -> Result<(), ImportError> {
        let (to_writer, from_reader) = mpsc::sync_channel::<Batch>(1);
        let (recycle, recycled) = mpsc::channel::<EventBatch>();
        let writer = scope.spawn(move || -> Result<StoredPerFile, StoreError> {
            let mut stored = Vec::new();
            for mut b in from_reader {
                let ins = store.write_events(&b.batch)?;
                let rows = match b.kind {
                    FileKind::Deliveries => ins.deliveries,
                    FileKind::HealthReports => ins.health_reports,
                    _ => ins.sightings / convert::rows_per_record(b.kind),
                };
                stored.push((b.file, rows));
                b.batch.clear();
                let _ = recycle.send(b.batch);
            }
            Ok(stored)
        });

        // Rows sent to the writer per file; the writer says how many of them were new.
        let mut sent = vec![0u64; self.summaries.len()];
        let mut writer_gone = false;
        let mut out = EventOut::default();
        for &i in which {
            let f = &files[i];
            obs.file_started(f);
            let limit = self.batch_rows;
            let mut in_batch = 0u64;
            let send = |out: &mut EventOut, in_batch: &mut u64, sent: &mut Vec<u64>| -> bool {
                if *in_batch == 0 && out.batch.is_empty() {
                    return true;
                }
                let next = recycled.try_recv().unwrap_or_default();
                let batch = std::mem::replace(&mut out.batch, next);
                out.clear();
                sent[i] += std::mem::take(in_batch);
                to_writer
                    .send(Batch {
                        file: i,
                        kind: f.kind,
                        batch,
                    })
                    .is_ok()
            };
            self.rows(i, f, obs, &mut |job, row| {
                if writer_gone {
                    return Ok(());
                }
                match convert::event_row(f.kind, row, known, &mut job.tr, &mut out) {
                    Ok(Outcome::Accepted) => in_batch += 1,
                    Ok(Outcome::Duplicate) => job.summaries[i].duplicates += 1,
                    Err(reason) => job.reject(i, row.line, &reason, row.raw())?,
                }
                if out.batch.len() >= limit && !send(&mut out, &mut in_batch, &mut sent) {
                    writer_gone = true;
                }
                Ok(())
            })?;
            if !writer_gone && !send(&mut out, &mut in_batch, &mut sent) {
                writer_gone = true;
            }
            if writer_gone {
                break;
            }
        }
        drop(to_writer);
        let stored = writer.join().expect("the store writer thread panicked")?;
        for (file, rows) in stored {
            self.summaries[file].accepted += rows;
        }
        for &i in which {
            let s = &mut self.summaries[i];
            s.duplicates += sent[i] - s.accepted;
            obs.file_finished(s);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use tracegrid_store::testing::TestDb;

    use super::*;
    use crate::feed::{Intake, Message};

    /// A drop with health reports in CSV, NDJSON and gzip, beside the registries they name.
    fn health_drop(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        let write = |name: &str, text: &str| std::fs::write(dir.join(name), text).unwrap();
        write("regions.csv", "code,name,parent_code,level\nR,X,,city\n");
        write("places.csv", "place_id,kind,region_code\nGATE-1,gate,R\n");
        write(
            "persons.csv",
            "person_id,id_number\nP1,11010519491231002X\n",
        );
        write(
            "health_reports.csv",
            "id_number,time,temperature,symptoms,place_id,reporter,record_id\n\
             11010519491231002X,2020-01-23 08:00,37.3,,GATE-1,gate,G1\n\
             11010519491231002X,2020-01-23 20:00,36.6,cough;fatigue,,self,\n\
             330802199001010002,2020-01-24 08:00,37.25,,,,\n\
             330802199001010002,2020-01-24 08:00,36.8,headache,,,\n\
             330802199001010002,2020-01-24 08:00,,,GATE-9,,\n\
             11010519491231002X,2020-01-23 08:00,37.3,,GATE-1,gate,G1\n",
        );
        write(
            "health_reports_clinic.ndjson",
            "{\"id_number\":\"330802199001010002\",\"time\":\"2020-01-24T09:00:00+08:00\",\
             \"temperature\":38.1,\"symptoms\":\"\",\"place_id\":\"GATE-1\",\"reporter\":\"clinic\"}\n",
        );
        // The evening report, its time and names written otherwise: the same content.
        let mut gz = flate2::write::GzEncoder::new(
            std::fs::File::create(dir.join("health_reports-2020-01-23.csv.gz")).unwrap(),
            flate2::Compression::default(),
        );
        gz.write_all(
            b"id_number,time,symptoms,temperature,reporter\n\
              11010519491231002x,2020-01-23T12:00:00Z,Cough;Fatigue,36.60,SELF\n",
        )
        .unwrap();
        gz.finish().unwrap();
    }

    fn counts(s: &ImportSummary, file: &str) -> (u64, u64, u64) {
        let f = s.files.iter().find(|f| f.file == file).unwrap();
        assert_eq!(f.kind, "health_reports");
        (f.accepted, f.rejected, f.duplicates)
    }

    /// CONTRACT.md section 9 through a whole import, twice, then a feed of a row already kept:
    /// every row counted once, every bad one rejected with its line and reason, nothing stored
    /// twice.
    fn health_reports_load_once(db: &TestDb) {
        let dir = std::env::temp_dir().join(format!(
            "tracegrid_health_{}_{}",
            std::process::id(),
            db.dir().is_some()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        health_drop(&dir.join("drop"));
        let opts = |rejects: &str| Options {
            tz: chrono_tz::Asia::Shanghai,
            encoding: Encoding::Utf8,
            rejects: RejectsTarget::Always(dir.join(rejects)),
            batch_rows: Some(2),
        };
        let store = tracegrid_store::open(&db.spec).unwrap();
        let (s, store) = import(&dir.join("drop"), store, &opts("first.csv"), &mut ()).unwrap();
        // Files of a kind load in name order: the gzip file's row first, then the CSV's same
        // evening report is its duplicate.
        assert_eq!(counts(&s, "health_reports-2020-01-23.csv.gz"), (1, 0, 0));
        assert_eq!(counts(&s, "health_reports.csv"), (1, 3, 2));
        assert_eq!(counts(&s, "health_reports_clinic.ndjson"), (1, 0, 0));
        let rejects: Vec<(String, u64, String)> = csv::Reader::from_path(dir.join("first.csv"))
            .unwrap()
            .records()
            .map(|r| {
                let r = r.unwrap();
                (r[0].to_owned(), r[1].parse().unwrap(), r[2].to_owned())
            })
            .collect();
        let lines: Vec<u64> = rejects.iter().map(|r| r.1).collect();
        assert_eq!(lines, [4, 5, 6]);
        assert!(
            rejects[0]
                .2
                .contains("temperature 37.25 has more than one decimal")
        );
        assert!(
            rejects[1]
                .2
                .contains("symptoms \"headache\" is not a symptom")
        );
        assert!(
            rejects[2]
                .2
                .contains("place_id GATE-9 is not a known place")
        );

        let mut store = store;
        let c = store.counts().unwrap();
        // The reports at the gate are sightings too; the evening one is not.
        assert_eq!((c.health_reports, c.sightings), (3, 2));
        let mut reports = store.health_reports().unwrap();
        reports.sort_by_key(|r| r.time);
        assert_eq!(
            reports.iter().map(|r| r.time).collect::<Vec<_>>(),
            [1_579_737_600_000, 1_579_780_800_000, 1_579_827_600_000]
        );
        assert_eq!(reports[1].symptoms.to_string(), "cough;fatigue");
        assert_eq!(
            reports[2].temperature.map(|t| t.to_string()).as_deref(),
            Some("38.1")
        );

        // Imported again: nothing new (three registry rows and five reports are duplicates).
        let (again, store) = import(&dir.join("drop"), store, &opts("again.csv"), &mut ()).unwrap();
        assert_eq!(
            (again.accepted, again.rejected, again.duplicates),
            (0, 3, 8)
        );
        let mut store = store;
        assert_eq!(store.counts().unwrap(), c);

        // Fed again (the clinic's row, by a live feed): a duplicate, stored once.
        let mut intake = Intake::new(&store.load_registry().unwrap(), chrono_tz::Asia::Shanghai);
        let body = std::fs::read(dir.join("drop/health_reports_clinic.ndjson")).unwrap();
        let id = intake
            .read(&Message {
                kind: FileKind::HealthReports,
                body: &body,
                format: Format::Ndjson,
                route: "http",
                source: "clinic-feeder",
                received: 1,
            })
            .unwrap();
        let group = intake.take();
        let new = store
            .write_feed(&group.registry, &group.events, &group.rejects)
            .unwrap();
        let answer = intake.settle(&new).remove(id).unwrap();
        assert_eq!((answer.accepted, answer.duplicates), (0, 1));
        assert_eq!(store.counts().unwrap(), c);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn health_reports_load_once_into_sqlite() {
        health_reports_load_once(&TestDb::sqlite());
    }

    #[test]
    fn health_reports_load_once_into_postgres() {
        health_reports_load_once(&TestDb::postgres());
    }
}
