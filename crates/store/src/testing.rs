//! Fresh stores for tests: a SQLite file in its own temporary directory, or a PostgreSQL schema
//! of its own on the local server, dropped again when the guard goes. Each test gets its own, so
//! tests run in parallel. The server is `TRACEGRID_TEST_PG` or the machine's local one.

use std::sync::atomic::{AtomicU32, Ordering};

/// The PostgreSQL server tests use.
pub fn postgres_url() -> String {
    std::env::var("TRACEGRID_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A store spec (`--db` value) and what to clean up after it.
#[derive(Debug)]
pub struct TestDb {
    pub spec: String,
    schema: Option<String>,
    _dir: Option<tempdir::TempDirGuard>,
}

mod tempdir {
    /// Removes a directory when dropped.
    #[derive(Debug)]
    pub struct TempDirGuard(pub std::path::PathBuf);
    impl Drop for TempDirGuard {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

static SEQ: AtomicU32 = AtomicU32::new(0);

fn unique(prefix: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{prefix}_{}_{}_{nanos}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    )
}

impl TestDb {
    /// A new SQLite file in a new temporary directory.
    pub fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(unique("tracegrid_test"));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        TestDb {
            spec: dir.join("store.db").to_string_lossy().into_owned(),
            schema: None,
            _dir: Some(tempdir::TempDirGuard(dir)),
        }
    }

    /// A new, empty schema on the test server; the spec selects it through `search_path`.
    pub fn postgres() -> TestDb {
        let url = postgres_url();
        let schema = unique("tg_test");
        let mut c = ::postgres::Client::connect(&url, ::postgres::NoTls)
            .unwrap_or_else(|e| panic!("the PostgreSQL tests need a server at {url}: {e}"));
        c.batch_execute(&format!("CREATE SCHEMA {schema}"))
            .expect("create schema");
        let sep = if url.contains('?') { '&' } else { '?' };
        TestDb {
            spec: format!("{url}{sep}options=-csearch_path%3D{schema}"),
            schema: Some(schema),
            _dir: None,
        }
    }

    /// The directory of a SQLite store, for files that go beside it.
    pub fn dir(&self) -> Option<&std::path::Path> {
        self._dir.as_ref().map(|d| d.0.as_path())
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(schema) = &self.schema
            && let Ok(mut c) = ::postgres::Client::connect(&postgres_url(), ::postgres::NoTls)
        {
            let _ = c.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
        }
    }
}
