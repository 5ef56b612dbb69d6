//! The `tracegrid` binary as users and acceptance tests run it: CONTRACT.md's commands, exit
//! codes and JSON, on SQLite and PostgreSQL alike.

mod browser;
mod compare;
mod ds4c;
mod export;
mod gates;
mod import;
mod kill;
mod resume;
mod scenario;
mod screen;
mod serve;
mod sim;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use tracegrid_store::testing::TestDb;

pub fn tracegrid(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tracegrid"))
        .arg("--db")
        .arg(db)
        .args(args)
        .env_remove("TRACEGRID_DB")
        .output()
        .expect("tracegrid runs")
}

/// Runs `import --json` and returns its object.
pub fn import_json(db: &str, dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["import", "--json", dir.to_str().unwrap()];
    args.extend_from_slice(extra);
    let out = tracegrid(db, &args);
    assert!(
        out.status.success(),
        "import failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object")
}

pub fn stats(db: &str) -> serde_json::Value {
    let out = tracegrid(db, &["stats", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn sample_drop() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/drop")
}

/// A temporary directory for a drop written by a test.
#[derive(Debug)]
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Scratch {
        let p = std::env::temp_dir().join(format!(
            "tracegrid-cli-{name}-{}-{:?}",
            std::process::id(),
            std::time::SystemTime::now()
        ));
        std::fs::create_dir_all(&p).unwrap();
        Scratch(p)
    }

    pub fn write(&self, name: &str, body: impl AsRef<[u8]>) -> &Scratch {
        std::fs::write(self.0.join(name), body).unwrap();
        self
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The rejects CSV as (file, line, reason, record) rows.
pub fn rejects(path: &Path) -> Vec<(String, u64, String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap(),
        vec!["file", "line", "reason", "record"]
    );
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            (
                rec[0].to_owned(),
                rec[1].parse().unwrap(),
                rec[2].to_owned(),
                rec[3].to_owned(),
            )
        })
        .collect()
}

/// Valid resident IDs for tests: `n` distinct, check digits computed.
pub fn id(n: u32) -> String {
    let body = format!("3308021990{n:07}");
    tracegrid_model::IdNumber::complete(&body)
}
