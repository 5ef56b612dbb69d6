//! Data drops uploaded through the API: kept in a directory of their own under the import root,
//! imported in the background by the same importer as `tracegrid import`, watched through
//! [`ImportJob`] while they run. When an import finishes the city is loaded again and swapped in.
//!
//! The list of jobs lives in memory: after a restart the data imported is in the store and the
//! uploaded files and rejects are still on disk, but the list starts empty.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{AppError, Key, Msg};

/// Where an import is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ImportState {
    Running,
    /// Imported and the city reloaded.
    Done,
    Failed,
}

/// One uploaded drop and what became of it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ImportJob {
    pub id: String,
    pub started_by: String,
    pub started_at: String,
    pub state: ImportState,
    /// The files received.
    pub files: Vec<String>,
    /// The file being read now.
    pub current_file: Option<String>,
    /// Rows read so far, over all files.
    pub rows_read: u64,
    /// The importer's summary (as `tracegrid import --json` prints it, without the rejects
    /// file's path on the server: download the rejects instead), once done.
    pub summary: Option<tracegrid_ingest::ImportSummary>,
    pub error: Option<String>,
    /// Whether rejected rows can be downloaded.
    pub has_rejects: bool,
}

/// The jobs of this server's life.
#[derive(Debug)]
pub struct Imports {
    root: PathBuf,
    seq: AtomicU64,
    jobs: Mutex<Vec<Arc<Mutex<ImportJob>>>>,
}

impl Imports {
    pub fn new(root: PathBuf) -> Imports {
        Imports {
            root,
            seq: AtomicU64::new(0),
            jobs: Mutex::new(Vec::new()),
        }
    }

    /// A fresh directory for an upload, and the job's id.
    pub fn new_dir(&self) -> Result<(String, PathBuf), AppError> {
        let id = format!(
            "{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S"),
            self.seq.fetch_add(1, Ordering::Relaxed)
        );
        let dir = self.root.join(&id);
        std::fs::create_dir_all(dir.join("drop"))
            .map_err(|e| AppError::Internal(anyhow::anyhow!("creating {}: {e}", dir.display())))?;
        Ok((id, dir))
    }

    pub fn add(&self, job: ImportJob) -> Arc<Mutex<ImportJob>> {
        let job = Arc::new(Mutex::new(job));
        lock(&self.jobs).push(job.clone());
        job
    }

    pub fn list(&self) -> Vec<ImportJob> {
        lock(&self.jobs)
            .iter()
            .rev()
            .map(|j| lock(j).clone())
            .collect()
    }

    pub fn get(&self, id: &str) -> Option<ImportJob> {
        lock(&self.jobs)
            .iter()
            .map(|j| lock(j).clone())
            .find(|j| j.id == id)
    }

    /// The rejects file of a job, if it wrote one.
    pub fn rejects_path(&self, id: &str) -> Option<PathBuf> {
        let job = self.get(id)?;
        job.has_rejects
            .then(|| self.root.join(&job.id).join("rejects.csv"))
    }
}

pub fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// A file name from an upload, reduced to its last component; `None` if nothing is left or it
/// is hidden.
pub fn safe_name(name: &str) -> Option<String> {
    let base = name.rsplit(['/', '\\']).next()?.trim();
    (!base.is_empty() && !base.starts_with('.') && base != "..").then(|| base.to_owned())
}

/// Most files a zip may hold: a drop is a couple of dozen.
const MAX_ZIP_ENTRIES: usize = 1000;

/// Unpacks a zip into `dir`, flat: folders inside the zip are dropped, as a drop is one
/// directory. Each file is streamed to disk, and the whole unpacks to at most `max_bytes`: a
/// small zip of zeros must not fill the disk or the memory. Returns the files written.
pub fn unzip(bytes: &[u8], dir: &Path, max_bytes: u64) -> Result<Vec<String>, AppError> {
    let bad = |e: String| AppError::BadRequest(Msg::new(Key::BadZip).param("detail", e));
    let write_err =
        |name: &str, e: std::io::Error| AppError::Internal(anyhow::anyhow!("writing {name}: {e}"));
    let mut zip =
        zip::ZipArchive::new(std::io::Cursor::new(bytes)).map_err(|e| bad(e.to_string()))?;
    if zip.len() > MAX_ZIP_ENTRIES {
        return Err(AppError::BadRequest(
            Msg::new(Key::ZipTooManyEntries)
                .param("entries", zip.len())
                .param("max", MAX_ZIP_ENTRIES),
        ));
    }
    let mut files = Vec::new();
    let mut names = std::collections::HashSet::new();
    let mut left = max_bytes;
    for i in 0..zip.len() {
        let entry = zip.by_index(i).map_err(|e| bad(e.to_string()))?;
        if entry.is_dir() {
            continue;
        }
        let raw = entry.name().map_err(|e| bad(e.to_string()))?.into_owned();
        let Some(name) = safe_name(&raw) else {
            continue;
        };
        if !names.insert(name.clone()) {
            return Err(AppError::BadRequest(
                Msg::new(Key::ZipDuplicate).param("file", &name),
            ));
        }
        let mut out = std::fs::File::create(dir.join(&name)).map_err(|e| write_err(&name, e))?;
        let written = std::io::copy(&mut entry.take(left + 1), &mut out)
            .map_err(|e| bad(format!("{name}: {e}")))?;
        if written > left {
            return Err(AppError::TooLarge);
        }
        left -= written;
        files.push(name);
    }
    if files.is_empty() {
        return Err(AppError::BadRequest(Key::ZipEmpty.into()));
    }
    Ok(files)
}

/// Tells a job how far the importer is.
#[derive(Debug)]
pub struct Progress {
    pub job: Arc<Mutex<ImportJob>>,
    done_rows: u64,
}

impl Progress {
    pub fn new(job: Arc<Mutex<ImportJob>>) -> Progress {
        Progress { job, done_rows: 0 }
    }
}

impl tracegrid_ingest::Observer for Progress {
    fn file_started(&mut self, file: &tracegrid_ingest::DropFile) {
        lock(&self.job).current_file = Some(file.name.clone());
    }

    fn rows(&mut self, rows: u64) {
        lock(&self.job).rows_read = self.done_rows + rows;
    }

    fn file_finished(&mut self, s: &tracegrid_ingest::FileSummary) {
        self.done_rows += s.accepted + s.rejected + s.duplicates;
        let mut j = lock(&self.job);
        j.rows_read = self.done_rows;
        j.current_file = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_lose_their_folders() {
        assert_eq!(
            safe_name("drop/persons.csv").as_deref(),
            Some("persons.csv")
        );
        assert_eq!(safe_name("..\\..\\x.csv").as_deref(), Some("x.csv"));
        assert_eq!(safe_name("../"), None);
        assert_eq!(safe_name(".hidden"), None);
    }

    #[test]
    fn a_zip_unpacks_flat() {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            w.add_directory("drop/", o).unwrap();
            w.start_file("drop/persons.csv", o).unwrap();
            std::io::Write::write_all(&mut w, b"person_id\n").unwrap();
            w.finish().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let files = unzip(buf.get_ref(), dir.path(), 1 << 20).unwrap();
        assert_eq!(files, ["persons.csv"]);
        assert_eq!(
            std::fs::read(dir.path().join("persons.csv")).unwrap(),
            b"person_id\n"
        );
        let err = unzip(b"not a zip", dir.path(), 1 << 20).unwrap_err();
        assert!(err.to_string().contains("not a readable zip"), "{err}");
    }

    // Guards: a 1 MB zip holding a gigabyte of zeros was read whole into memory and written out.
    #[test]
    fn a_zip_unpacks_to_no_more_than_its_limit() {
        let mut buf = std::io::Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut buf);
            let o = zip::write::SimpleFileOptions::default();
            w.start_file("sightings.csv", o).unwrap();
            std::io::Write::write_all(&mut w, &vec![b'0'; 4 << 20]).unwrap();
            w.finish().unwrap();
        }
        assert!(
            buf.get_ref().len() < 1 << 20,
            "compressed well below its size"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = unzip(buf.get_ref(), dir.path(), 1 << 20).unwrap_err();
        assert!(matches!(err, AppError::TooLarge), "{err}");
        let written = std::fs::metadata(dir.path().join("sightings.csv"))
            .unwrap()
            .len();
        assert!(written <= (1 << 20) + 1, "{written} bytes written");
        assert!(unzip(buf.get_ref(), dir.path(), 8 << 20).is_ok());
    }
}
