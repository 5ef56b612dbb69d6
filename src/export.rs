//! `tracegrid export`: the store's sightings as Parquet files, one directory a local date and a
//! source (`date=2020-01-23/source=wifi/part-0.parquet`, the layout DuckDB, Spark and pandas
//! read as partitions), so that analysts open them with their own tools.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, anyhow, bail};
use chrono_tz::Tz;
use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType, Int32Type, Int64Type};
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::parser::parse_message_type;
use parquet::schema::types::Type;
use tracegrid_model::rows::{PlaceRow, Registry, SightingRow};
use tracegrid_model::{Resolver, Subject};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The directory to create; it must not exist yet.
    #[arg(long)]
    pub out: PathBuf,
    /// The only format today.
    #[arg(long, default_value = "parquet", value_parser = ["parquet"])]
    pub format: String,
    /// The zone whose calendar dates partition the files.
    #[arg(long, default_value = "Asia/Shanghai")]
    pub tz: String,
    #[arg(long)]
    pub json: bool,
}

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

pub fn run(db: &str, a: Args) -> Result<ExitCode> {
    let tz: Tz =
        a.tz.parse()
            .map_err(|_| anyhow!("--tz {}: not a time zone name such as Asia/Shanghai", a.tz))?;
    let t = std::time::Instant::now();
    let summary = export(db, &a.out, tz)?;
    let seconds = t.elapsed().as_secs_f64();
    if a.json {
        let partitions: Vec<serde_json::Value> = summary
            .partitions
            .iter()
            .map(|((date, source), rows)| {
                serde_json::json!({"date": date, "source": source, "rows": rows})
            })
            .collect();
        println!(
            "{}",
            serde_json::json!({"out": a.out, "format": "parquet", "rows": summary.rows,
                "partitions": partitions, "elapsed_ms": (seconds * 1000.0) as u64})
        );
    } else {
        println!(
            "{} sightings in {} files (by date and source) under {} in {seconds:.1} s",
            crate::import::group(summary.rows),
            summary.partitions.len(),
            a.out.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes every sighting of the store at `db` under `out`, which must not exist. The files are
/// written into `out` + `.partial` and moved into place at the end, so a failed or killed export
/// leaves no directory that looks complete.
pub fn export(db: &str, out: &Path, tz: Tz) -> Result<Summary> {
    if out.exists() {
        bail!(
            "{} already exists: export writes a new directory",
            out.display()
        );
    }
    let partial = PathBuf::from(format!("{}.partial", out.display()));
    if partial.exists() {
        std::fs::remove_dir_all(&partial)
            .with_context(|| format!("removing an earlier unfinished {}", partial.display()))?;
    }
    std::fs::create_dir_all(&partial).with_context(|| format!("creating {}", partial.display()))?;

    let mut store = tracegrid_store::open(db)?;
    let reg = store.load_registry().context("reading the registries")?;
    let lookups = Lookups::new(&reg);
    let schema = Arc::new(parse_message_type(SCHEMA).context("the export schema")?);
    let props = Arc::new(
        WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .build(),
    );
    let mut parts: BTreeMap<(String, String), Partition> = BTreeMap::new();
    let mut failure: Option<anyhow::Error> = None;
    store
        .for_each_sighting(&mut |s| {
            if failure.is_some() {
                return;
            }
            if let Err(e) = lookups.add(s, tz, &partial, &schema, &props, &mut parts) {
                failure = Some(e);
            }
        })
        .context("reading the sightings")?;
    if let Some(e) = failure {
        return Err(e);
    }
    let mut summary = Summary::default();
    for (key, mut part) in parts {
        flush(&mut part)?;
        part.writer.close().context("finishing a Parquet file")?;
        summary.rows += part.rows;
        summary.partitions.insert(key, part.rows);
    }
    std::fs::rename(&partial, out)
        .with_context(|| format!("moving {} to {}", partial.display(), out.display()))?;
    Ok(summary)
}

/// The registry's names for the store's numbers.
pub(crate) struct Lookups<'r> {
    places: BTreeMap<i64, &'r PlaceRow>,
    sources: BTreeMap<i64, &'r str>,
    resolver: Resolver,
}

impl<'r> Lookups<'r> {
    pub(crate) fn new(reg: &'r Registry) -> Lookups<'r> {
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
    pub(crate) fn names(&self, s: &SightingRow) -> Result<(String, &'r PlaceRow, &'r str)> {
        let place = self
            .places
            .get(&s.pid)
            .ok_or_else(|| anyhow!("the store names place {} that its registry lacks", s.pid))?;
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
        let key = (date, source.to_owned());
        if !parts.contains_key(&key) {
            let folder = dir
                .join(format!("date={}", key.0))
                .join(format!("source={}", key.1));
            std::fs::create_dir_all(&folder)
                .with_context(|| format!("creating {}", folder.display()))?;
            let path = folder.join("part-0.parquet");
            let file =
                File::create(&path).with_context(|| format!("creating {}", path.display()))?;
            let writer = SerializedFileWriter::new(file, schema.clone(), props.clone())
                .context("starting a Parquet file")?;
            parts.insert(
                key.clone(),
                Partition {
                    writer,
                    pending: Columns::default(),
                    rows: 0,
                },
            );
        }
        let Some(part) = parts.get_mut(&key) else {
            bail!("partition {key:?} vanished");
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
