//! `tracegrid export`: every stored sighting lands in the Parquet file of its local date and
//! source, with the columns docs/EXPORT.md names, read back with the parquet crate's reader.

use std::collections::BTreeMap;
use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;

use crate::{Scratch, TestDb, import_json, sample_drop, stats, tracegrid};

/// One exported row: (date dir, source dir, subject, place_id, start, record_id, region_code).
type Row = (
    String,
    String,
    String,
    String,
    i64,
    Option<String>,
    Option<String>,
);

fn read_all(dir: &Path) -> Vec<Row> {
    let mut rows = Vec::new();
    for date in std::fs::read_dir(dir).unwrap() {
        let date = date.unwrap().path();
        for source in std::fs::read_dir(&date).unwrap() {
            let source = source.unwrap().path();
            let file = std::fs::File::open(source.join("part-0.parquet")).unwrap();
            let reader = SerializedFileReader::new(file).unwrap();
            let name = |p: &Path, key: &str| {
                let n = p.file_name().unwrap().to_str().unwrap();
                n.strip_prefix(key).unwrap().to_owned()
            };
            for row in reader.get_row_iter(None).unwrap() {
                let row = row.unwrap();
                let text = |i: usize| match row.get_column_iter().nth(i).unwrap().1 {
                    Field::Str(s) => Some(s.clone()),
                    Field::Null => None,
                    other => panic!("column {i}: {other:?}"),
                };
                rows.push((
                    name(&date, "date="),
                    name(&source, "source="),
                    text(0).unwrap(),
                    text(3).unwrap(),
                    match row.get_column_iter().nth(6).unwrap().1 {
                        Field::TimestampMillis(t) => *t,
                        other => panic!("start: {other:?}"),
                    },
                    text(9),
                    text(5),
                ));
            }
        }
    }
    rows.sort();
    rows
}

fn sample_drop_exports_every_sighting(db: &TestDb) {
    import_json(&db.spec, &sample_drop(), &[]);
    let out = Scratch::new("export");
    let target = out.path("pq");
    let o = tracegrid(
        &db.spec,
        &["export", "--json", "--out", target.to_str().unwrap()],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let rows = read_all(&target);
    assert_eq!(
        rows.len() as u64,
        stats(&db.spec)["sightings"].as_u64().unwrap()
    );
    assert_eq!(summary["rows"].as_u64().unwrap(), rows.len() as u64);

    // Each row is in the partition of its start's date in Asia/Shanghai.
    let tz: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
    for r in &rows {
        let date = chrono::DateTime::from_timestamp_millis(r.4)
            .unwrap()
            .with_timezone(&tz);
        assert_eq!(date.format("%Y-%m-%d").to_string(), r.0, "{r:?}");
    }
    // The first wifi row of the sample drop, as written there.
    let start = chrono::DateTime::parse_from_rfc3339("2020-01-25T10:00:00+08:00")
        .unwrap()
        .timestamp_millis();
    let w1: Vec<&Row> = rows
        .iter()
        .filter(|r| r.5.as_deref() == Some("W1"))
        .collect();
    assert_eq!(w1.len(), 1);
    assert_eq!(
        (
            w1[0].1.as_str(),
            w1[0].2.as_str(),
            w1[0].3.as_str(),
            w1[0].4
        ),
        ("wifi", "P000003", "SHOP-1", start)
    );
    // Per partition counts add up to the rows read.
    let mut by_part: BTreeMap<(String, String), u64> = BTreeMap::new();
    for r in &rows {
        *by_part.entry((r.0.clone(), r.1.clone())).or_default() += 1;
    }
    let listed: BTreeMap<(String, String), u64> = summary["partitions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let key = (
                p["date"].as_str().unwrap().to_owned(),
                p["source"].as_str().unwrap().to_owned(),
            );
            (key, p["rows"].as_u64().unwrap())
        })
        .collect();
    assert_eq!(listed, by_part);

    // A second export into the same directory refuses and leaves the first intact.
    let again = tracegrid(&db.spec, &["export", "--out", target.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already exists"));
    assert_eq!(read_all(&target), rows);
}

#[test]
fn sample_drop_exports_every_sighting_from_sqlite() {
    sample_drop_exports_every_sighting(&TestDb::sqlite());
}

#[test]
fn sample_drop_exports_every_sighting_from_postgres() {
    sample_drop_exports_every_sighting(&TestDb::postgres());
}
