//! Rows that arrive by a live feed (CONTRACT.md section 6.1): a message of NDJSON lines or of
//! CSV with a header, of one kind of section 1, checked by the very rules a file's rows are
//! checked by ([`crate::convert`]) against the registries as they stand.
//!
//! An [`Intake`] gathers a group of messages, so that the store keeps them in one transaction:
//! [`Intake::read`] each message, [`Intake::take`] the group and write it with
//! `Store::write_feed`, then [`Intake::settle`] with the store's word on which event rows were
//! new ([`NewRows`]), which gives each message its answer. If the store fails,
//! [`Intake::abandon`] forgets the group and reads the registries again, so that nothing the
//! store did not keep is believed.

use chrono_tz::Tz;
use serde::Serialize;
use tracegrid_model::rows::{EventBatch, FeedRejectRow, Registry, RegistryBatch};
use tracegrid_model::{Millis, TimeReader};
use tracegrid_store::NewRows;

use crate::convert::{self, EventOut, Known, Outcome, PendingRegion};
use crate::drop::{FileKind, Format};
use crate::read::{BadRow, Encoding, Next, RecordReader, Row};

/// The longest record text kept with a reject: a message that is not NDJSON at all may be
/// anything, of any size.
pub const RECORD_LIMIT: usize = 4096;

/// The kind a feed names, by its stem of section 1: every kind but the two GeoJSON files.
pub fn feed_kind(stem: &str) -> Option<FileKind> {
    FileKind::ALL
        .iter()
        .copied()
        .filter(|k| !matches!(k, FileKind::Grids | FileKind::AreasGeo))
        .find(|k| k.label() == stem)
}

/// The stems a feed takes, for messages that name another.
pub fn feed_kinds() -> Vec<&'static str> {
    FileKind::ALL
        .iter()
        .filter(|k| !matches!(k, FileKind::Grids | FileKind::AreasGeo))
        .map(|k| k.label())
        .collect()
}

/// One message of a feed.
#[derive(Clone, Copy, Debug)]
pub struct Message<'a> {
    pub kind: FileKind,
    pub body: &'a [u8],
    /// NDJSON or CSV.
    pub format: Format,
    /// `http`, `mqtt` or `nats`.
    pub route: &'a str,
    /// Who sent it (a user, a topic), for the kept rejects.
    pub source: &'a str,
    pub received: Millis,
}

/// A row a message brought that was rejected (CONTRACT.md section 6.1's `rejects`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Reject {
    /// The 1-based line of the message (a CSV header is line 1).
    pub line: u64,
    pub reason: String,
    pub record: String,
}

/// What became of one message's rows (the `200` answer of section 6.1).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    pub accepted: u64,
    pub rejected: u64,
    pub duplicates: u64,
    pub rejects: Vec<Reject>,
}

/// A message that could not be read at all: nothing of it is taken.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Unreadable(pub String);

/// What a group of messages brings for the store, in one transaction.
#[derive(Clone, Debug, Default)]
pub struct Group {
    pub registry: RegistryBatch,
    pub events: EventBatch,
    pub rejects: Vec<FeedRejectRow>,
}

/// An accepted event row waiting for the store's word: its message, and the index of the row
/// that says whether it was new — its first sighting, its delivery or its health report — in the
/// group's batch.
#[derive(Clone, Copy, Debug)]
struct Waiting {
    message: usize,
    index: usize,
    table: Table,
}

/// Which of a batch's rows stands for a row of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Table {
    Sightings,
    Deliveries,
    HealthReports,
}

impl Table {
    fn of(kind: FileKind) -> Table {
        match kind {
            FileKind::Deliveries => Table::Deliveries,
            // A health report with a place is also a sighting; the report says if it was new.
            FileKind::HealthReports => Table::HealthReports,
            _ => Table::Sightings,
        }
    }
}

/// The registries as they stand, and the group of messages being gathered.
#[derive(Debug)]
pub struct Intake {
    known: Known,
    tr: TimeReader,
    registry: RegistryBatch,
    out: EventOut,
    answers: Vec<Option<Answer>>,
    waiting: Vec<Waiting>,
    kept: Vec<FeedRejectRow>,
}

impl Intake {
    /// An intake over the store's registries; times without an offset are read in `zone`.
    pub fn new(reg: &Registry, zone: Tz) -> Intake {
        Intake {
            known: Known::new(reg),
            tr: TimeReader::new(zone),
            registry: RegistryBatch::default(),
            out: EventOut::default(),
            answers: Vec::new(),
            waiting: Vec::new(),
            kept: Vec::new(),
        }
    }

    /// Notes areas and cases kept by another way in (see [`Known::remember`]).
    pub fn remember(&mut self, b: &RegistryBatch) {
        self.known.remember(b);
    }

    /// Messages read into the group so far.
    pub fn messages(&self) -> usize {
        self.answers.len()
    }

    /// Reads one message into the group. Returns its number in the group, or why it could not
    /// be read at all (then none of its rows are taken, and the message is kept as one reject).
    pub fn read(&mut self, m: &Message<'_>) -> Result<usize, Unreadable> {
        let id = self.answers.len();
        match self.read_rows(m, id) {
            Ok(answer) => {
                self.answers.push(Some(answer));
                Ok(id)
            }
            Err(e) => {
                self.answers.push(None);
                self.kept.push(FeedRejectRow {
                    received: m.received,
                    route: m.route.to_owned(),
                    source: m.source.to_owned(),
                    kind: m.kind.label().to_owned(),
                    line: 0,
                    reason: e.0.clone(),
                    record: clip(&String::from_utf8_lossy(m.body)),
                });
                Err(e)
            }
        }
    }

    fn read_rows(&mut self, m: &Message<'_>, id: usize) -> Result<Answer, Unreadable> {
        let fields = m.kind.fields();
        let input = Box::new(std::io::Cursor::new(m.body.to_vec()));
        let mut reader = RecordReader::new(input, m.format, Encoding::Utf8, fields)
            .map_err(|e| Unreadable(format!("the CSV header {e}")))?;
        if m.format == Format::Csv
            && !reader.knows_any_field()
            && !m.body.iter().all(u8::is_ascii_whitespace)
        {
            let hint = if m.body.trim_ascii_start().starts_with(b"{") {
                " (it looks like NDJSON: send it as application/x-ndjson)"
            } else {
                ""
            };
            return Err(Unreadable(format!(
                "the CSV header names none of the fields of {}: {}{hint}",
                m.kind.label(),
                fields.join(", ")
            )));
        }
        // Rows are read first: a message of which no line is a record is refused whole,
        // before any of it is checked against the registries.
        let mut rows: Vec<Row> = Vec::new();
        let mut bad = Vec::new();
        loop {
            let mut row = Row::default();
            match reader.next(&mut row) {
                Ok(Next::End) => break,
                // No store can keep a NUL in text (PostgreSQL refuses it, and with it the
                // whole group): such a row is rejected here, with the reason.
                Ok(Next::Row) if row.raw().contains('\0') => bad.push(BadRow {
                    line: row.line,
                    record: row.raw().to_owned(),
                    reason: "the row holds a NUL character (\\u0000), which cannot be stored: \
                             remove it"
                        .into(),
                }),
                Ok(Next::Row) => rows.push(row),
                Ok(Next::Bad(b)) => bad.push(b),
                Err(e) => return Err(Unreadable(format!("the message cannot be read: {e}"))),
            }
        }
        if rows.is_empty()
            && let Some(first) = bad.first()
            && m.format == Format::Ndjson
            && !any_line_is_an_object(m.body)
        {
            let hint = if m.body.trim_ascii_start().starts_with(b"[") {
                " (a JSON array: send its objects one a line instead)"
            } else {
                ""
            };
            return Err(Unreadable(format!(
                "the message is not NDJSON (one JSON object a line): line {}: {}{hint}",
                first.line, first.reason
            )));
        }
        let mut answer = Answer::default();
        let mut rejects: Vec<Reject> = bad
            .into_iter()
            .map(|b| Reject {
                line: b.line,
                reason: b.reason,
                record: clip(&b.record),
            })
            .collect();
        if m.kind == FileKind::Regions {
            // All of a message's regions at once: a parent may come after its children.
            let mut pending = Vec::new();
            for row in &rows {
                match convert::region_row(row) {
                    Ok(r) => pending.push(PendingRegion {
                        file: 0,
                        line: row.line,
                        record: row.raw().to_owned(),
                        row: r,
                    }),
                    Err(reason) => rejects.push(reject(row, reason)),
                }
            }
            let outcomes = convert::settle_regions(&mut self.known, &pending);
            for (p, o) in pending.into_iter().zip(outcomes) {
                match o {
                    Ok(Outcome::Accepted) => {
                        answer.accepted += 1;
                        self.registry.regions.push(p.row);
                    }
                    Ok(Outcome::Duplicate) => answer.duplicates += 1,
                    Err(reason) => rejects.push(Reject {
                        line: p.line,
                        reason,
                        record: clip(&p.record),
                    }),
                }
            }
        } else if m.kind.is_registry() {
            for row in &rows {
                let r = convert::registry_row(
                    m.kind,
                    row,
                    None,
                    &mut self.known,
                    &mut self.tr,
                    &mut self.registry,
                );
                match r {
                    Ok(Outcome::Accepted) => answer.accepted += 1,
                    Ok(Outcome::Duplicate) => answer.duplicates += 1,
                    Err(reason) => rejects.push(reject(row, reason)),
                }
            }
        } else {
            let table = Table::of(m.kind);
            for row in &rows {
                let index = match table {
                    Table::Sightings => self.out.batch.sightings.len(),
                    Table::Deliveries => self.out.batch.deliveries.len(),
                    Table::HealthReports => self.out.batch.health_reports.len(),
                };
                let r =
                    convert::event_row(m.kind, row, &mut self.known, &mut self.tr, &mut self.out);
                match r {
                    // Accepted into the group; the store says whether it is new.
                    Ok(Outcome::Accepted) => self.waiting.push(Waiting {
                        message: id,
                        index,
                        table,
                    }),
                    Ok(Outcome::Duplicate) => answer.duplicates += 1,
                    Err(reason) => rejects.push(reject(row, reason)),
                }
            }
        }
        rejects.sort_by_key(|r| r.line);
        answer.rejected = rejects.len() as u64;
        self.kept.extend(rejects.iter().map(|r| FeedRejectRow {
            received: m.received,
            route: m.route.to_owned(),
            source: m.source.to_owned(),
            kind: m.kind.label().to_owned(),
            line: r.line,
            reason: r.reason.clone(),
            record: r.record.clone(),
        }));
        answer.rejects = rejects;
        Ok(answer)
    }

    /// Takes what the group brings for the store: registry rows (each key once, the last word
    /// standing), event rows, and the rejects to keep. The group waits for [`Intake::settle`]
    /// (or [`Intake::abandon`]) before the next one is read.
    pub fn take(&mut self) -> Group {
        let mut registry = std::mem::take(&mut self.registry);
        keep_last(&mut registry.regions, |x| x.code.clone());
        keep_last(&mut registry.places, |x| x.place_id.clone());
        keep_last(&mut registry.persons, |x| x.person_id.clone());
        keep_last(&mut registry.vehicles, |x| x.plate.clone());
        keep_last(&mut registry.areas, |x| x.area_id.clone());
        keep_last(&mut registry.cases, |x| x.subject.clone());
        Group {
            registry,
            events: std::mem::take(&mut self.out.batch),
            rejects: std::mem::take(&mut self.kept),
        }
    }

    /// The store kept the group; `new` says which of its event rows were new. Returns each
    /// message's answer (`None` for one that could not be read) and starts a new group.
    pub fn settle(&mut self, new: &NewRows) -> Vec<Option<Answer>> {
        let mut answers = std::mem::take(&mut self.answers);
        for w in self.waiting.drain(..) {
            let new = match w.table {
                Table::Sightings => new.sightings.get(w.index),
                Table::Deliveries => new.deliveries.get(w.index),
                Table::HealthReports => new.health_reports.get(w.index),
            };
            if let Some(Some(a)) = answers.get_mut(w.message) {
                if new.copied().unwrap_or(false) {
                    a.accepted += 1;
                } else {
                    a.duplicates += 1;
                }
            }
        }
        self.clear();
        answers
    }

    /// The store did not keep the group: forget it, and take the registries as the store has
    /// them (`reg`), since the group's rows may have been believed known.
    pub fn abandon(&mut self, reg: &Registry) {
        self.known = Known::new(reg);
        self.answers.clear();
        self.clear();
    }

    fn clear(&mut self) {
        self.registry = RegistryBatch::default();
        self.out.clear();
        self.waiting.clear();
        self.kept.clear();
    }
}

fn reject(row: &Row, reason: String) -> Reject {
    Reject {
        line: row.line,
        reason,
        record: clip(row.raw()),
    }
}

/// Whether some line of an NDJSON body is a JSON object: then its rows are rejected one by
/// one, not the message as unreadable.
fn any_line_is_an_object(body: &[u8]) -> bool {
    body.split(|&b| b == b'\n')
        .any(|line| serde_json::from_slice::<serde_json::Value>(line).is_ok_and(|v| v.is_object()))
}

/// At most [`RECORD_LIMIT`] bytes of `text`, cut at a character boundary, with any NUL shown
/// as U+FFFD (a reject must be storable).
pub fn clip(text: &str) -> String {
    if text.contains('\0') {
        return clip(&text.replace('\0', "\u{FFFD}"));
    }
    if text.len() <= RECORD_LIMIT {
        return text.to_owned();
    }
    let mut end = RECORD_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

/// Keeps the last row of each key, in order: a batch's upserts must name each key once.
pub(crate) fn keep_last<T>(rows: &mut Vec<T>, key: impl Fn(&T) -> String) {
    let mut seen = std::collections::HashSet::new();
    let mut kept: Vec<T> = Vec::with_capacity(rows.len());
    for r in rows.drain(..).rev() {
        if seen.insert(key(&r)) {
            kept.push(r);
        }
    }
    kept.reverse();
    *rows = kept;
}

#[cfg(test)]
mod tests {
    use tracegrid_model::rows::{PersonRow, PlaceRow, RegionRow};
    use tracegrid_model::{Level, PlaceKind};

    use super::*;

    fn registry() -> Registry {
        Registry {
            regions: vec![RegionRow {
                code: "R".into(),
                name: "R".into(),
                parent_code: None,
                level: Level::City,
            }],
            places: vec![PlaceRow {
                pid: 1,
                place_id: "GATE-1".into(),
                kind: PlaceKind::Gate,
                name: None,
                lat: None,
                lon: None,
                region_code: Some("R".into()),
                grid_code: None,
            }],
            persons: vec![PersonRow {
                person_id: "P1".into(),
                id_number: "11010519491231002X".into(),
                name: None,
                phone: None,
                household_id: None,
                address: None,
                grid_code: None,
            }],
            ..Default::default()
        }
    }

    fn message<'a>(kind: FileKind, format: Format, body: &'a str) -> Message<'a> {
        Message {
            kind,
            body: body.as_bytes(),
            format,
            route: "http",
            source: "gate-feeder",
            received: 1,
        }
    }

    #[test]
    fn a_message_is_checked_row_by_row_and_counted_once_the_store_has_spoken() {
        let mut intake = Intake::new(&registry(), chrono_tz::Asia::Shanghai);
        let body = concat!(
            r#"{"subject_type":"person_id","subject":"P1","place_id":"GATE-1","time":"2020-01-23 08:00","record_id":"a"}"#,
            "\n",
            r#"{"subject_type":"person_id","subject":"P1","place_id":"NOWHERE","time":"2020-01-23 08:00"}"#,
            "\n\n",
            "not json\n",
            r#"{"subject_type":"person_id","subject":"P1","place_id":"GATE-1","time":"2020-01-23T08:00:00+08:00","record_id":"a"}"#,
            "\n",
            r#"{"subject_type":"person_id","subject":"P1","place_id":"GATE-1","time":"2020-01-23 09:00"}"#,
            "\n",
        );
        let first = intake
            .read(&message(FileKind::GateAccess, Format::Ndjson, body))
            .unwrap();
        let g = intake.take();
        // The repeated record_id is the same row: two rows go to the store.
        assert_eq!(g.events.sightings.len(), 2);
        assert_eq!(g.rejects.len(), 2);
        assert!(
            g.rejects
                .iter()
                .all(|k| k.source == "gate-feeder" && k.kind == "gate_access")
        );
        // The store already had the second one.
        let answers = intake.settle(&new_sightings(&[true, false]));
        let a = answers[first].as_ref().unwrap();
        assert_eq!((a.accepted, a.rejected, a.duplicates), (1, 2, 2));
        assert_eq!(
            a.rejects.iter().map(|r| r.line).collect::<Vec<_>>(),
            vec![2, 4]
        );
        assert!(
            a.rejects[0].reason.contains("place_id"),
            "{}",
            a.rejects[0].reason
        );
        // The group is new.
        let g = intake.take();
        assert!(g.events.is_empty() && g.rejects.is_empty());
    }

    #[test]
    fn a_message_that_cannot_be_read_at_all_is_refused_whole_and_kept() {
        let mut intake = Intake::new(&registry(), chrono_tz::Asia::Shanghai);
        let e = intake
            .read(&message(
                FileKind::Sightings,
                Format::Ndjson,
                "hello\nworld\n",
            ))
            .unwrap_err();
        assert!(e.0.contains("not NDJSON"), "{e}");
        let e = intake
            .read(&message(
                FileKind::Sightings,
                Format::Csv,
                "{\"source\":\"wifi\"}\n",
            ))
            .unwrap_err();
        assert!(e.0.contains("application/x-ndjson"), "{e}");
        let ok = intake
            .read(&message(
                FileKind::Persons,
                Format::Csv,
                "person_id,id_number\nP2,11010519491231002X\n",
            ))
            .unwrap();
        let g = intake.take();
        assert!(g.registry.persons.is_empty(), "the ID number is P1's");
        assert_eq!(
            g.rejects.iter().map(|k| k.line).collect::<Vec<_>>(),
            vec![0, 0, 2]
        );
        let answers = intake.settle(&NewRows::default());
        assert_eq!(answers.len(), 3);
        assert!(answers[0].is_none() && answers[1].is_none());
        assert_eq!(answers[ok].as_ref().unwrap().rejected, 1);
    }

    #[test]
    fn objects_with_wrong_fields_are_rows_rejected_not_an_unreadable_message() {
        let mut intake = Intake::new(&registry(), chrono_tz::Asia::Shanghai);
        let body = concat!(
            "{\"source\":\"wifi\",\"subject_type\":\"person_id\",\"subject\":true,",
            "\"place_id\":\"S1\",\"start\":\"2020-01-20 08:00\"}\n",
            "{\"source\":[1],\"subject_type\":\"person_id\"}\n",
        );
        let id = intake
            .read(&message(FileKind::Sightings, Format::Ndjson, body))
            .expect("objects are rows, however wrong their fields");
        let g = intake.take();
        assert_eq!(
            g.rejects.iter().map(|k| k.line).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let answers = intake.settle(&NewRows::default());
        let a = answers[id].as_ref().unwrap();
        assert_eq!((a.accepted, a.rejected), (0, 2));
    }

    #[test]
    fn a_row_with_a_nul_is_rejected_and_its_reject_can_be_stored() {
        let mut intake = Intake::new(&registry(), chrono_tz::Asia::Shanghai);
        let body =
            "source,subject_type,subject,place_id,start\nwi\0fi,person_id,P1,S1,2020-01-20 08:00\n";
        intake
            .read(&message(FileKind::Sightings, Format::Csv, body))
            .unwrap();
        let g = intake.take();
        assert!(g.events.sightings.is_empty());
        assert_eq!(g.rejects.len(), 1);
        assert_eq!(g.rejects[0].line, 2);
        assert!(
            g.rejects[0].reason.contains("NUL"),
            "{}",
            g.rejects[0].reason
        );
        assert!(!g.rejects[0].record.contains('\0'));
        assert!(g.rejects[0].record.contains("wi\u{FFFD}fi"));
    }

    #[test]
    fn registry_rows_are_known_at_once_and_forgotten_when_the_store_fails() {
        let reg = registry();
        let mut intake = Intake::new(&reg, chrono_tz::Asia::Shanghai);
        let person = "person_id,id_number\nP9,11010519491231002X\nP2,110105194912310038\n";
        intake
            .read(&message(FileKind::Persons, Format::Csv, person))
            .unwrap();
        // P2 is known to the next message of the same group.
        let seen = "subject_type,subject,place_id,time\nperson_id,P2,GATE-1,2020-01-23 08:00\n";
        intake
            .read(&message(FileKind::GateAccess, Format::Csv, seen))
            .unwrap();
        let g = intake.take();
        assert_eq!(g.registry.persons.len(), 1);
        assert_eq!(g.events.sightings.len(), 1);
        // The store failed: P2 is forgotten.
        intake.abandon(&reg);
        let m2 = intake
            .read(&message(FileKind::GateAccess, Format::Csv, seen))
            .unwrap();
        assert_eq!(m2, 0, "a new group");
        let answers = intake.settle(&NewRows::default());
        assert_eq!(answers[m2].as_ref().unwrap().rejected, 1);
    }

    fn new_sightings(new: &[bool]) -> NewRows {
        NewRows {
            sightings: new.to_vec(),
            ..NewRows::default()
        }
    }

    #[test]
    fn a_health_report_is_answered_by_the_store_s_word_on_the_report() {
        let mut intake = Intake::new(&registry(), chrono_tz::Asia::Shanghai);
        let body = concat!(
            "id_number,time,temperature,symptoms,place_id,reporter,record_id\n",
            "11010519491231002X,2020-01-23 08:00,37.8,,GATE-1,gate,C1\n",
            "11010519491231002X,2020-01-23 20:00,,cough,,self,\n",
            "11010519491231002X,2020-01-23 21:00,37.25,,,self,\n",
            "11010519491231002X,2020-01-23 08:00,37.8,,GATE-1,gate,C1\n",
        );
        let id = intake
            .read(&message(FileKind::HealthReports, Format::Csv, body))
            .unwrap();
        let g = intake.take();
        assert_eq!(g.events.health_reports.len(), 2);
        assert_eq!(
            g.events.sightings.len(),
            1,
            "the report at the gate is a sighting too"
        );
        // The store had the gate's report (and its sighting) already; the evening one is new.
        let answers = intake.settle(&NewRows {
            sightings: vec![false],
            deliveries: vec![],
            health_reports: vec![false, true],
        });
        let a = answers[id].as_ref().unwrap();
        assert_eq!((a.accepted, a.rejected, a.duplicates), (1, 1, 2));
        assert_eq!(a.rejects[0].line, 4);
        assert!(
            a.rejects[0].reason.contains("more than one decimal"),
            "{}",
            a.rejects[0].reason
        );
    }

    #[test]
    fn only_the_kinds_of_section_one_are_fed() {
        assert_eq!(feed_kind("gate_access"), Some(FileKind::GateAccess));
        assert_eq!(feed_kind("regions"), Some(FileKind::Regions));
        assert_eq!(feed_kind("grids"), None);
        assert_eq!(feed_kind("grids.geojson"), None);
        assert_eq!(feed_kind("areas.geojson"), None);
        assert_eq!(feed_kind("nothing"), None);
        assert_eq!(feed_kind("health_reports"), Some(FileKind::HealthReports));
        assert!(feed_kinds().contains(&"health_reports"));
        assert_eq!(feed_kinds().len(), FileKind::ALL.len() - 2);
    }
}
