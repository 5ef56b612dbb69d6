//! What the city's integration tests share: a drop imported into a fresh store.

use std::path::Path;

/// Imports the drop in `drop` into a fresh SQLite store in `dir`; returns the store's path.
pub fn import(drop: &Path, dir: &Path) -> String {
    let db = dir.join("city.db").to_string_lossy().into_owned();
    let opts = tracegrid_ingest::Options {
        tz: chrono_tz::Asia::Shanghai,
        encoding: tracegrid_ingest::Encoding::Utf8,
        rejects: tracegrid_ingest::RejectsTarget::IfAny(dir.join("rejects.csv")),
        batch_rows: None,
    };
    tracegrid_ingest::import(drop, tracegrid_store::open(&db).unwrap(), &opts, &mut ()).unwrap();
    db
}

/// The repository's sample drop in a fresh store.
#[allow(dead_code)]
pub fn sample_store(dir: &Path) -> String {
    import(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/drop"),
        dir,
    )
}
