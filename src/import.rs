//! `tracegrid import DIR`: loads a data drop and prints its summary.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressStyle};
use tracegrid_bench::human::{group, peak_rss_mb};
use tracegrid_bench::out;
use tracegrid_ingest::{
    DropFile, Encoding, FileSummary, ImportSummary, Observer, Options, RejectsTarget,
};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The drop: a directory of files named by kind (CONTRACT.md section 1).
    pub dir: PathBuf,
    /// Zone of times written without an offset.
    #[arg(long, default_value = "Asia/Shanghai")]
    pub tz: String,
    /// Character encoding of the files: utf-8 or gb18030.
    #[arg(long, default_value = "utf-8")]
    pub encoding: String,
    /// Where to write rejected rows (default: beside the store, named with the import's time).
    #[arg(long)]
    pub rejects: Option<PathBuf>,
    /// Exit with status 3 if any row was rejected.
    #[arg(long)]
    pub strict: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Rows per transaction (default: what the store prefers).
    #[arg(long, hide = true)]
    pub batch_rows: Option<usize>,
}

pub fn options(args: &Args, db: &str) -> Result<Options> {
    let tz: chrono_tz::Tz = args.tz.parse().map_err(|_| {
        anyhow::anyhow!(
            "--tz {}: not a time zone name such as Asia/Shanghai",
            args.tz
        )
    })?;
    let encoding =
        Encoding::parse(&args.encoding).map_err(|e| anyhow::anyhow!("--encoding: {e}"))?;
    let rejects = match &args.rejects {
        Some(p) => RejectsTarget::Always(p.clone()),
        None => RejectsTarget::IfAny(default_rejects_path(db)),
    };
    Ok(Options {
        tz,
        encoding,
        rejects,
        batch_rows: args.batch_rows,
    })
}

/// Beside the SQLite file (or in the working directory for PostgreSQL), named with the time.
fn default_rejects_path(db: &str) -> PathBuf {
    let stamp = chrono::Local::now().format("%Y%m%dT%H%M%S");
    let (dir, stem) = if tracegrid_store::is_postgres(db) {
        (PathBuf::from("."), "tracegrid".to_owned())
    } else {
        let p = Path::new(db);
        let dir = p
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_owned();
        let stem = p
            .file_stem()
            .map_or("tracegrid".into(), |s| s.to_string_lossy().into_owned());
        (dir, stem)
    };
    let mut path = dir.join(format!("{stem}-rejects-{stamp}.csv"));
    let mut n = 2;
    while path.exists() {
        path = dir.join(format!("{stem}-rejects-{stamp}-{n}.csv"));
        n += 1;
    }
    path
}

pub fn run(db: &str, args: Args) -> Result<ExitCode> {
    let opts = options(&args, db)?;
    if !args.dir.is_dir() {
        anyhow::bail!("{} is not a directory", args.dir.display());
    }
    let store = tracegrid_store::open(db)?;
    let mut bar = Bar::new(!args.json && std::io::stderr().is_terminal());
    let (summary, _store) = tracegrid_ingest::import(&args.dir, store, &opts, &mut bar).context(
        "the import stopped; rows committed before stay stored, and running it again completes it",
    )?;
    bar.finish();
    if args.json {
        let mut v = contract_json(&summary);
        v["peak_rss_mb"] = ((peak_rss_mb() * 10.0).round() / 10.0).into();
        out!("{v}");
    } else {
        print_summary(&args.dir, db, &summary)?;
    }
    Ok(
        if args.strict && (summary.rejected > 0 || summary.files.iter().any(|f| f.error.is_some()))
        {
            ExitCode::from(3)
        } else {
            ExitCode::SUCCESS
        },
    )
}

/// The `--json` object of CONTRACT.md section 3, with tracegrid's extra fields after it.
pub fn contract_json(s: &ImportSummary) -> serde_json::Value {
    serde_json::to_value(s).expect("a summary serialises")
}

pub fn print_summary(dir: &Path, db: &str, s: &ImportSummary) -> Result<()> {
    let store = if tracegrid_store::is_postgres(db) {
        "PostgreSQL".to_owned()
    } else {
        db.to_owned()
    };
    out!(
        "Imported {} into {} in {:.2} s ({} rows/s)\n",
        dir.display(),
        store,
        s.elapsed_ms as f64 / 1000.0,
        group(s.rows_per_second)
    );
    let width = s
        .files
        .iter()
        .map(|f| f.file.chars().count())
        .max()
        .unwrap_or(4)
        .max(5);
    out!(
        "  {:<width$}  {:<17}  {:>10}  {:>9}  {:>10}",
        "file",
        "kind",
        "accepted",
        "rejected",
        "duplicates"
    );
    for f in &s.files {
        out!(
            "  {:<width$}  {:<17}  {:>10}  {:>9}  {:>10}",
            f.file,
            f.kind,
            group(f.accepted),
            group(f.rejected),
            group(f.duplicates)
        );
        if let Some(e) = &f.error {
            out!("  {:<width$}  ! {e}", "");
        }
    }
    out!(
        "  {:<width$}  {:<17}  {:>10}  {:>9}  {:>10}",
        "total",
        "",
        group(s.accepted),
        group(s.rejected),
        group(s.duplicates)
    );
    for sk in &s.skipped {
        out!("\nSkipped {}: {}", sk.file, sk.reason);
    }
    if let Some(r) = &s.rejects_file {
        out!(
            "\n{} rejected rows are in {r}, each with its reason. Fix them in the source files and import the drop again: rows already loaded are not loaded twice.",
            group(s.rejected)
        );
    }
    Ok(())
}

/// A progress bar on a terminal: the file, rows read and rows per second.
pub struct Bar {
    bar: Option<ProgressBar>,
    files_done: usize,
}

impl Bar {
    pub fn new(enabled: bool) -> Bar {
        let bar = enabled.then(|| {
            let b = ProgressBar::new_spinner();
            b.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {prefix} {msg} {human_pos} rows ({per_sec})",
                )
                .expect("a valid template"),
            );
            b.enable_steady_tick(std::time::Duration::from_millis(120));
            b
        });
        Bar { bar, files_done: 0 }
    }

    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

impl Observer for Bar {
    fn file_started(&mut self, file: &DropFile) {
        if let Some(b) = &self.bar {
            b.set_prefix(format!("file {}", self.files_done + 1));
            b.set_message(file.name.clone());
            b.reset();
        }
    }

    fn rows(&mut self, rows: u64) {
        if let Some(b) = &self.bar {
            b.set_position(rows);
        }
    }

    fn file_finished(&mut self, _s: &FileSummary) {
        self.files_done += 1;
    }
}
