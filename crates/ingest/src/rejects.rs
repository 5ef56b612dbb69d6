//! The rejects file (CONTRACT.md section 4): CSV with `file,line,reason,record`, one row for
//! every rejected row, written as the import goes so that memory stays bounded.

use std::fs::File;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

/// Where rejects go.
#[derive(Clone, Debug)]
pub enum RejectsTarget {
    /// Always write this file, even with no rejected rows (the user named it).
    Always(PathBuf),
    /// Write this file only if a row is rejected.
    IfAny(PathBuf),
}

pub(crate) struct Rejects {
    target: RejectsTarget,
    writer: Option<csv::Writer<BufWriter<File>>>,
    pub count: u64,
}

impl Rejects {
    pub fn new(target: RejectsTarget) -> std::io::Result<Rejects> {
        let mut r = Rejects {
            target,
            writer: None,
            count: 0,
        };
        if matches!(r.target, RejectsTarget::Always(_)) {
            r.open()?;
        }
        Ok(r)
    }

    fn path(&self) -> &Path {
        match &self.target {
            RejectsTarget::Always(p) | RejectsTarget::IfAny(p) => p,
        }
    }

    fn open(&mut self) -> std::io::Result<()> {
        let file = File::create(self.path()).map_err(|e| {
            std::io::Error::new(
                e.kind(),
                format!(
                    "cannot write the rejects file {}: {e}",
                    self.path().display()
                ),
            )
        })?;
        let mut w = csv::Writer::from_writer(BufWriter::new(file));
        w.write_record(["file", "line", "reason", "record"])?;
        self.writer = Some(w);
        Ok(())
    }

    pub fn write(
        &mut self,
        file: &str,
        line: u64,
        reason: &str,
        record: &str,
    ) -> std::io::Result<()> {
        if self.writer.is_none() {
            self.open()?;
        }
        let w = self.writer.as_mut().expect("opened above");
        w.write_record([file, &line.to_string(), reason, record])?;
        self.count += 1;
        Ok(())
    }

    /// Flushes the file and says where it is, if it was written.
    pub fn finish(mut self) -> std::io::Result<Option<PathBuf>> {
        match self.writer.take() {
            Some(mut w) => {
                w.flush()?;
                Ok(Some(self.path().to_owned()))
            }
            None => Ok(None),
        }
    }
}
