//! The lake: the store's sightings as Parquet files, one directory a local date and a source
//! (`date=2020-01-23/source=wifi/part-0.parquet`, the layout DuckDB, Spark and pandas read as
//! partitions), so that analysts and a province's lake open them with their own tools
//! (`tracegrid export`; DESIGN.md, "Growing past one machine").

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono_tz::Tz;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::Type;
use tracegrid_model::rows::{PlaceRow, Registry, SightingRow};
use tracegrid_model::{Resolver, Subject};

/// Why an export could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("{0} already exists: export writes a new directory")]
    Exists(String),
    #[error("{what}: {source}")]
    Io {
        what: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] tracegrid_store::StoreError),
    #[error("writing Parquet: {0}")]
    Parquet(#[from] parquet::errors::ParquetError),
    #[error("the store names place {0} that its registry lacks")]
    UnknownPlace(i64),
}

fn io(what: String) -> impl FnOnce(std::io::Error) -> LakeError {
    move |source| LakeError::Io { what, source }
}

type Result<T> = std::result::Result<T, LakeError>;

/// One sighting's columns; `subject` is the contract's name (person_id by the current registry,
/// else TYPE:VALUE), `subject_type` and `subject_value` what the source recorded.
const SCHEMA: &str = "message sighting {
    REQUIRED BYTE_ARRAY subject (UTF8);
    REQUIRED BYTE_ARRAY subject_type (UTF8);
    REQUIRED BYTE_ARRAY subject_value (UTF8);
    REQUIRED BYTE_ARRAY place_id (UTF8);
    REQUIRED BYTE_ARRAY place_kind (UTF8);
    OPTIONAL BYTE_ARRAY region_code (UTF8);
    REQUIRED INT64 start (TIMESTAMP(MILLIS,true));
    REQUIRED INT64 end (TIMESTAMP(MILLIS,true));
    REQUIRED INT32 tag;
    OPTIONAL BYTE_ARRAY record_id (UTF8);
}";

/// Rows a partition holds before they are written as a row group.
const GROUP_ROWS: usize = 65_536;

/// A partition's rows waiting to be written, column by column.
#[derive(Debug, Default)]
struct Columns {
    subject: Vec<ByteArray>,
    subject_type: Vec<ByteArray>,
    subject_value: Vec<ByteArray>,
    place_id: Vec<ByteArray>,
    place_kind: Vec<ByteArray>,
    region_code: Vec<ByteArray>,
    region_present: Vec<i16>,
    start: Vec<i64>,
    end: Vec<i64>,
    tag: Vec<i32>,
    record_id: Vec<ByteArray>,
    record_present: Vec<i16>,
}

impl Columns {
    fn len(&self) -> usize {
        self.start.len()
    }
}

/// An open partition file and its pending rows.
struct Partition {
    writer: SerializedFileWriter<File>,
    pending: Columns,
    rows: u64,
}

/// What an export wrote.
#[derive(Debug, Default)]
pub struct Summary {
    pub rows: u64,
    /// (date, source) → rows.
    pub partitions: BTreeMap<(String, String), u64>,
}

/// Writes every sighting of the store at `db` under `out`, which must not exist. The files are
/// written into `out` + `.partial` and moved into place at the end, so a failed or killed export
/// leaves no directory that looks complete.
pub fn export(db: &str, out: &Path, tz: Tz) -> Result<Summary> {
    if out.exists() {
        return Err(LakeError::Exists(out.display().to_string()));
    }
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial).map_err(io(format!(
            "removing an earlier unfinished {}",
            partial.display()
        )))?;
    }
    std::fs::create_dir_all(&partial).map_err(io(format!("creating {}", partial.display())))?;

    let mut store = tracegrid_store::open(db)?;
    let reg = store.load_registry()?;
    let lookups = Lookups::new(&reg);
    let schema = Arc::new(parse_message_type(SCHEMA)?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut parts: BTreeMap<(String, String), Partition> = BTreeMap::new();
    let mut failure: Option<LakeError> = None;
    store.for_each_sighting(&mut |s| {
        if failure.is_some() {
            return;
        }
        if let Err(e) = lookups.add(s, tz, &partial, &schema, &props, &mut parts) {
            failure = Some(e);
        }
    })?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mut summary = Summary::default();
    for (key, mut part) in parts {
        flush(&mut part)?;
        part.writer.close()?;
        summary.rows += part.rows;
        summary.partitions.insert(key, part.rows);
    }
    std::fs::rename(&partial, out).map_err(io(format!(
        "moving {} to {}",
        partial.display(),
        out.display()
    )))?;
    Ok(summary)
}

/// The registry's names for the store's numbers.
#[derive(Debug)]
pub struct Lookups<'r> {
    places: BTreeMap<i64, &'r PlaceRow>,
    sources: BTreeMap<i64, &'r str>,
    resolver: Resolver,
}

impl<'r> Lookups<'r> {
    pub fn new(reg: &'r Registry) -> Lookups<'r> {
        Lookups {
            places: reg.places.iter().map(|p| (p.pid, p)).collect(),
            sources: reg
                .sources
                .iter()
                .map(|s| (s.id, s.name.as_str()))
                .collect(),
            resolver: reg.resolver(),
        }
    }

    /// A sighting's subject by the contract's name, its place and its source's name.
    pub fn names(&self, s: &SightingRow) -> Result<(String, &'r PlaceRow, &'r str)> {
        let place = self
            .places
            .get(&s.pid)
            .ok_or(LakeError::UnknownPlace(s.pid))?;
        let source = self.sources.get(&s.source_id).copied().unwrap_or("unknown");
        let subject = match self.resolver.resolve(s.subject_type, &s.subject) {
            Subject::Person(p) => p,
            Subject::Unresolved(name) => name,
        };
        Ok((subject, place, source))
    }

    fn add(
        &self,
        s: &SightingRow,
        tz: Tz,
        dir: &Path,
        schema: &Arc<Type>,
        props: &Arc<WriterProperties>,
        parts: &mut BTreeMap<(String, String), Partition>,
    ) -> Result<()> {
        let (subject, place, source) = self.names(s)?;
        let date = chrono::DateTime::from_timestamp_millis(s.start)
            .map(|d| d.with_timezone(&tz).format("%Y-%m-%d").to_string())
            .unwrap_or_else(|| "unknown".into());
        let part = match parts.entry((date, source.to_owned())) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => {
                let (date, source) = e.key();
                let folder = dir
                    .join(format!("date={date}"))
                    .join(format!("source={source}"));
                std::fs::create_dir_all(&folder)
                    .map_err(io(format!("creating {}", folder.display())))?;
                let path = folder.join("part-0.parquet");
                let file =
                    File::create(&path).map_err(io(format!("creating {}", path.display())))?;
                let writer = SerializedFileWriter::new(file, schema.clone(), props.clone())?;
                e.insert(Partition {
                    writer,
                    pending: Columns::default(),
                    rows: 0,
                })
            }
        };
        let c = &mut part.pending;
        c.subject.push(ByteArray::from(subject.as_str()));
        c.subject_type
            .push(ByteArray::from(s.subject_type.as_str()));
        c.subject_value.push(ByteArray::from(s.subject.as_str()));
        c.place_id.push(ByteArray::from(place.place_id.as_str()));
        c.place_kind.push(ByteArray::from(place.kind.as_str()));
        match &place.region_code {
            Some(r) => {
                c.region_code.push(ByteArray::from(r.as_str()));
                c.region_present.push(1);
            }
            None => c.region_present.push(0),
        }
        c.start.push(s.start);
        c.end.push(s.end);
        c.tag.push(s.tag as i32);
        match &s.record_id {
            Some(r) => {
                c.record_id.push(ByteArray::from(r.as_str()));
                c.record_present.push(1);
            }
            None => c.record_present.push(0),
        }
        if c.len() >= GROUP_ROWS {
            flush(part)?;
        }
        Ok(())
    }
}

/// Writes a partition's pending rows as one row group.
fn flush(part: &mut Partition) -> Result<()> {
    let c = std::mem::take(&mut part.pending);
    if c.len() == 0 {
        return Ok(());
    }
    part.rows += c.len() as u64;
    let mut group = part.writer.next_row_group()?;
    let mut i = 0;
    while let Some(mut col) = group.next_column()? {
        match i {
            0 => write_text(&mut col, &c.subject, None)?,
            1 => write_text(&mut col, &c.subject_type, None)?,
            2 => write_text(&mut col, &c.subject_value, None)?,
            3 => write_text(&mut col, &c.place_id, None)?,
            4 => write_text(&mut col, &c.place_kind, None)?,
            5 => write_text(&mut col, &c.region_code, Some(&c.region_present))?,
            6 => {
                col.typed::<Int64Type>().write_batch(&c.start, None, None)?;
            }
            7 => {
                col.typed::<Int64Type>().write_batch(&c.end, None, None)?;
            }
            8 => {
                col.typed::<Int32Type>().write_batch(&c.tag, None, None)?;
            }
            _ => write_text(&mut col, &c.record_id, Some(&c.record_present))?,
        }
        col.close()?;
        i += 1;
    }
    group.close()?;
    Ok(())
}

fn write_text(
    col: &mut parquet::file::writer::SerializedColumnWriter<'_>,
    values: &[ByteArray],
    present: Option<&[i16]>,
) -> Result<()> {
    col.typed::<ByteArrayType>()
        .write_batch(values, present, None)?;
    Ok(())
}
