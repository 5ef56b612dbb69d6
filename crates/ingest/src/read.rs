//! Streaming record readers for CSV (RFC 4180, optional BOM) and NDJSON, plain or gzip, in UTF-8
//! or GB18030. A record is read as raw bytes first, so that a row that is not valid in the
//! encoding, or not valid JSON, can be rejected with its line number and its text while the rest
//! of the file still loads.
//!
//! Splitting on bytes before decoding is safe for GB18030 too: its trail bytes are never `"`,
//! `,`, `\r` or `\n`.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::drop::Format;

/// The character encoding of a drop's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
}

impl Encoding {
    pub fn parse(s: &str) -> Result<Encoding, String> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "utf8" => Ok(Encoding::Utf8),
            "gb18030" | "gbk" | "gb2312" => Ok(Encoding::Gb18030),
            _ => Err(format!("unknown encoding {s}; use utf-8 or gb18030")),
        }
    }

    /// Decodes `bytes`, or says why it cannot.
    fn decode<'a>(self, bytes: &'a [u8]) -> Result<std::borrow::Cow<'a, str>, String> {
        match self {
            Encoding::Utf8 => std::str::from_utf8(bytes).map(Into::into).map_err(|e| {
                format!(
                    "not valid UTF-8 (byte {} of the row); if the file is a GBK or GB18030 export, import with --encoding gb18030",
                    e.valid_up_to() + 1
                )
            }),
            Encoding::Gb18030 => encoding_rs::GB18030
                .decode_without_bom_handling_and_without_replacement(bytes)
                .ok_or_else(|| "not valid GB18030".to_owned()),
        }
    }

    fn lossy(self, bytes: &[u8]) -> String {
        match self {
            Encoding::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Encoding::Gb18030 => encoding_rs::GB18030
                .decode_without_bom_handling(bytes)
                .0
                .into_owned(),
        }
    }

    fn bom(self) -> &'static [u8] {
        match self {
            Encoding::Utf8 => b"\xEF\xBB\xBF",
            Encoding::Gb18030 => b"\x84\x31\x95\x33",
        }
    }
}

/// Opens a file for reading, through gzip if it is compressed.
pub fn open(path: &Path, gzip: bool) -> std::io::Result<Box<dyn BufRead + Send>> {
    let file = BufReader::with_capacity(1 << 18, File::open(path)?);
    Ok(if gzip {
        Box::new(BufReader::with_capacity(
            1 << 18,
            flate2::bufread::MultiGzDecoder::new(file),
        ))
    } else {
        Box::new(file)
    })
}

/// Reads a whole (small) file into text; for GeoJSON.
pub fn read_text(path: &Path, gzip: bool, encoding: Encoding) -> Result<String, String> {
    let mut bytes = Vec::new();
    open(path, gzip)
        .and_then(|mut r| r.read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    let body = bytes.strip_prefix(encoding.bom()).unwrap_or(&bytes);
    encoding.decode(body).map(|s| s.into_owned())
}

/// Decides CSV or NDJSON from the first byte that is not a BOM or white space.
pub fn sniff(input: &mut dyn BufRead) -> std::io::Result<Format> {
    let buf = input.fill_buf()?;
    let body = buf
        .strip_prefix(Encoding::Utf8.bom())
        .or_else(|| buf.strip_prefix(Encoding::Gb18030.bom()))
        .unwrap_or(buf);
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    Ok(if first == Some(&b'{') {
        Format::Ndjson
    } else {
        Format::Csv
    })
}

/// One row, its fields placed in the slots of the file kind's field list.
#[derive(Debug, Default)]
pub struct Row {
    /// The decoded record, then any unescaped field values after it.
    buf: String,
    raw_len: usize,
    spans: Vec<Option<(u32, u32)>>,
    /// 1-based line where the record starts.
    pub line: u64,
}

impl Row {
    /// The record as it was read, without its line ending.
    pub fn raw(&self) -> &str {
        &self.buf[..self.raw_len]
    }

    /// A field's value, trimmed; `None` when the file has no such field.
    pub fn get(&self, slot: usize) -> Option<&str> {
        self.spans[slot].map(|(a, b)| self.buf[a as usize..b as usize].trim())
    }
}

/// A row that could not be read as a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    pub line: u64,
    pub record: String,
    pub reason: String,
}

/// What the reader produced.
#[derive(Debug)]
pub enum Next {
    Row,
    Bad(BadRow),
    End,
}

/// Reads a CSV or NDJSON file record by record into a reused [`Row`].
pub struct RecordReader {
    input: Box<dyn BufRead + Send>,
    format: Format,
    encoding: Encoding,
    fields: &'static [&'static str],
    /// Lines consumed so far.
    line: u64,
    bytes: Vec<u8>,
    /// For CSV: the header's column of each slot, and the header's width.
    columns: Vec<Option<usize>>,
    width: usize,
    ranges: Vec<(u32, u32)>,
    at_start: bool,
}

impl std::fmt::Debug for RecordReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordReader")
            .field("format", &self.format)
            .field("line", &self.line)
            .finish()
    }
}

impl RecordReader {
    /// Prepares to read; for CSV, reads the header. An unreadable header makes the whole file
    /// unreadable, and the error says so.
    pub fn new(
        input: Box<dyn BufRead + Send>,
        format: Format,
        encoding: Encoding,
        fields: &'static [&'static str],
    ) -> Result<RecordReader, String> {
        let mut r = RecordReader {
            input,
            format,
            encoding,
            fields,
            line: 0,
            bytes: Vec::with_capacity(512),
            columns: vec![None; fields.len()],
            width: 0,
            ranges: Vec::with_capacity(16),
            at_start: true,
        };
        if format == Format::Csv {
            r.read_header()?;
        }
        Ok(r)
    }

    /// Whether a CSV header named any of the kind's fields (NDJSON: always).
    pub fn knows_any_field(&self) -> bool {
        self.format != Format::Csv || self.columns.iter().any(Option::is_some)
    }

    /// Lines read so far.
    pub fn lines(&self) -> u64 {
        self.line
    }

    fn read_header(&mut self) -> Result<(), String> {
        let Some(line) = self
            .read_record()
            .map_err(|e| format!("cannot be read: {e}"))?
        else {
            return Ok(()); // an empty file: no rows
        };
        let text = self
            .encoding
            .decode(&self.bytes)
            .map_err(|e| format!("the header (line {line}) is {e}"))?
            .into_owned();
        let mut unescaped = String::new();
        split_csv(&text, &mut unescaped, &mut self.ranges)
            .map_err(|e| format!("the header (line {line}) cannot be read: {e}"))?;
        let full = unescaped;
        self.width = self.ranges.len();
        for (col, &(a, b)) in self.ranges.iter().enumerate() {
            let name = full[a as usize..b as usize].trim();
            if let Some(slot) = self
                .fields
                .iter()
                .position(|f| f.eq_ignore_ascii_case(name))
            {
                self.columns[slot].get_or_insert(col);
            }
        }
        Ok(())
    }

    /// Reads the next non-blank record's bytes (without line ending) into `self.bytes`; returns
    /// its first line.
    fn read_record(&mut self) -> std::io::Result<Option<u64>> {
        loop {
            self.bytes.clear();
            let first_line = self.line + 1;
            let mut quotes = 0usize;
            loop {
                let from = self.bytes.len();
                let n = self.input.read_until(b'\n', &mut self.bytes)?;
                if n == 0 {
                    break;
                }
                self.line += 1;
                if self.format == Format::Csv {
                    quotes += memchr::memchr_iter(b'"', &self.bytes[from..]).count();
                    if quotes % 2 == 1 {
                        continue; // a quoted field goes on past the line end
                    }
                }
                break;
            }
            if self.bytes.is_empty() {
                return Ok(None);
            }
            if self.at_start {
                self.at_start = false;
                let bom = self.encoding.bom();
                if self.bytes.starts_with(bom) {
                    self.bytes.drain(..bom.len());
                }
            }
            while matches!(self.bytes.last(), Some(b'\n' | b'\r')) {
                self.bytes.pop();
            }
            if self.bytes.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Ok(Some(first_line));
        }
    }

    /// Reads the next row into `row`.
    pub fn next(&mut self, row: &mut Row) -> std::io::Result<Next> {
        let Some(line) = self.read_record()? else {
            return Ok(Next::End);
        };
        row.line = line;
        row.buf.clear();
        row.spans.clear();
        row.spans.resize(self.fields.len(), None);
        let bad = |reason: String, record: String| {
            Ok(Next::Bad(BadRow {
                line,
                record,
                reason,
            }))
        };
        match self.encoding.decode(&self.bytes) {
            Ok(text) => row.buf.push_str(&text),
            Err(e) => return bad(format!("the row is {e}"), self.encoding.lossy(&self.bytes)),
        }
        row.raw_len = row.buf.len();
        match self.format {
            Format::Csv => {
                if let Err(e) = split_csv_row(&mut row.buf, row.raw_len, &mut self.ranges) {
                    return bad(e, row.raw().to_owned());
                }
                if self.ranges.len() != self.width {
                    let reason = format!(
                        "the row has {} fields but the header has {}",
                        self.ranges.len(),
                        self.width
                    );
                    return bad(reason, row.raw().to_owned());
                }
                for (slot, col) in self.columns.iter().enumerate() {
                    row.spans[slot] = col.map(|c| self.ranges[c]);
                }
            }
            Format::Ndjson => {
                if let Err(e) = fill_from_json(row, self.fields) {
                    return bad(e, row.raw().to_owned());
                }
            }
            Format::GeoJson => unreachable!("GeoJSON is read whole, not by record"),
        }
        Ok(Next::Row)
    }
}

/// Splits the record `buf[..len]` into fields; unescaped values of quoted fields are appended to
/// `buf`, and `ranges` get each field's span in `buf`.
fn split_csv_row(buf: &mut String, len: usize, ranges: &mut Vec<(u32, u32)>) -> Result<(), String> {
    ranges.clear();
    if memchr::memchr(b'"', &buf.as_bytes()[..len]).is_none() {
        let mut start = 0;
        for comma in memchr::memchr_iter(b',', &buf.as_bytes()[..len]) {
            ranges.push((start as u32, comma as u32));
            start = comma + 1;
        }
        ranges.push((start as u32, len as u32));
        return Ok(());
    }
    let text = buf[..len].to_owned();
    let mut out = std::mem::take(buf);
    let r = split_csv(&text, &mut out, ranges);
    *buf = out;
    r
}

/// Splits CSV text with quotes; values go to the end of `out` and `ranges` point at them.
fn split_csv(text: &str, out: &mut String, ranges: &mut Vec<(u32, u32)>) -> Result<(), String> {
    ranges.clear();
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        let start = out.len();
        if b.get(i) == Some(&b'"') {
            i += 1;
            loop {
                let Some(q) = memchr::memchr(b'"', &b[i..]) else {
                    return Err("a quoted field is never closed (a \" is missing)".into());
                };
                out.push_str(&text[i..i + q]);
                i += q + 1;
                if b.get(i) == Some(&b'"') {
                    out.push('"');
                    i += 1;
                } else {
                    break;
                }
            }
            // Text between a closing quote and the next comma is kept, as spreadsheets do.
            let end = memchr::memchr(b',', &b[i..]).map_or(b.len(), |c| i + c);
            out.push_str(&text[i..end]);
            i = end;
        } else {
            let end = memchr::memchr(b',', &b[i..]).map_or(b.len(), |c| i + c);
            out.push_str(&text[i..end]);
            i = end;
        }
        ranges.push((start as u32, out.len() as u32));
        if i >= b.len() {
            return Ok(());
        }
        i += 1; // the comma
    }
}

/// Fills a row's slots from one NDJSON line.
fn fill_from_json(row: &mut Row, fields: &[&str]) -> Result<(), String> {
    let obj: serde_json::Map<String, serde_json::Value> = serde_json::from_str(row.raw())
        .map_err(|e| format!("the line is not a JSON object: {e}"))?;
    fill_from_object(row, fields, &obj)
}

/// Fills a row's slots from a JSON object's string and number members; `null` reads as empty.
fn fill_from_object(
    row: &mut Row,
    fields: &[&str],
    obj: &serde_json::Map<String, serde_json::Value>,
) -> Result<(), String> {
    use serde_json::Value;
    for (key, value) in obj {
        let Some(slot) = fields.iter().position(|f| f.eq_ignore_ascii_case(key)) else {
            continue;
        };
        if row.spans[slot].is_some() {
            continue;
        }
        let start = row.buf.len();
        match value {
            Value::String(s) => row.buf.push_str(s),
            Value::Number(n) => row.buf.push_str(&n.to_string()),
            Value::Null => {}
            other => {
                return Err(format!(
                    "field {key} must be a string or a number, not {other}"
                ));
            }
        }
        row.spans[slot] = Some((start as u32, row.buf.len() as u32));
    }
    Ok(())
}

impl Row {
    /// A row from a GeoJSON feature's properties; `raw` is the feature's text.
    pub fn from_object(
        line: u64,
        raw: &str,
        fields: &[&str],
        obj: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Row, String> {
        let mut row = Row {
            buf: raw.to_owned(),
            raw_len: raw.len(),
            spans: vec![None; fields.len()],
            line,
        };
        fill_from_object(&mut row, fields, obj)?;
        Ok(row)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIELDS: &[&str] = &["a", "b", "c"];

    fn reader(text: &[u8], format: Format, enc: Encoding) -> RecordReader {
        RecordReader::new(
            Box::new(std::io::Cursor::new(text.to_vec())),
            format,
            enc,
            FIELDS,
        )
        .unwrap()
    }

    type Record = (u64, Vec<Option<String>>);

    fn all(mut r: RecordReader) -> Vec<Result<Record, BadRow>> {
        let mut row = Row::default();
        let mut out = Vec::new();
        loop {
            match r.next(&mut row).unwrap() {
                Next::End => return out,
                Next::Bad(b) => out.push(Err(b)),
                Next::Row => out.push(Ok((
                    row.line,
                    (0..FIELDS.len())
                        .map(|i| row.get(i).map(str::to_owned))
                        .collect(),
                ))),
            }
        }
    }

    fn s(v: &str) -> Option<String> {
        Some(v.to_owned())
    }

    #[test]
    fn csv_with_bom_quotes_and_multiline_fields() {
        let text =
            "\u{feff}c,a,x,b\r\n3,1,,2\r\n\r\n\"q,\"\"x\"\"\",\"multi\nline\",z,\" sp \"\n9,8,7\n";
        let rows = all(reader(text.as_bytes(), Format::Csv, Encoding::Utf8));
        assert_eq!(rows[0], Ok((2, vec![s("1"), s("2"), s("3")])));
        assert_eq!(
            rows[1],
            Ok((4, vec![s("multi\nline"), s("sp"), s("q,\"x\"")]))
        );
        let bad = rows[2].clone().unwrap_err();
        assert_eq!((bad.line, bad.record.as_str()), (6, "9,8,7"));
        assert_eq!(bad.reason, "the row has 3 fields but the header has 4");
        assert_eq!(rows.len(), 3);
    }

    #[test]
    fn absent_columns_are_none_and_empty_ones_empty() {
        let rows = all(reader(b"a,b\n1,\n", Format::Csv, Encoding::Utf8));
        assert_eq!(rows, vec![Ok((2, vec![s("1"), s(""), None]))]);
    }

    #[test]
    fn invalid_utf8_rejects_the_row_only() {
        let mut text = b"a,b,c\n1,2,3\n".to_vec();
        text.extend_from_slice(b"\xd5\xe3,2,3\n4,5,6\n");
        let rows = all(reader(&text, Format::Csv, Encoding::Utf8));
        assert!(rows[0].is_ok());
        let bad = rows[1].clone().unwrap_err();
        assert_eq!(bad.line, 3);
        assert!(bad.reason.contains("--encoding gb18030"), "{}", bad.reason);
        assert_eq!(rows[2], Ok((4, vec![s("4"), s("5"), s("6")])));
    }

    #[test]
    fn gb18030_decodes() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("a,b,c\n浙江,衢州,柯城\n");
        let rows = all(reader(&bytes, Format::Csv, Encoding::Gb18030));
        assert_eq!(rows, vec![Ok((2, vec![s("浙江"), s("衢州"), s("柯城")]))]);
    }

    #[test]
    fn ndjson_values() {
        let text = "{\"a\":\"x\",\"b\":5,\"c\":null}\n\n{\"a\":true}\nnot json\n{\"A\":1.5}\n";
        let rows = all(reader(text.as_bytes(), Format::Ndjson, Encoding::Utf8));
        assert_eq!(rows[0], Ok((1, vec![s("x"), s("5"), s("")])));
        assert!(
            rows[1]
                .clone()
                .unwrap_err()
                .reason
                .contains("must be a string or a number")
        );
        let bad = rows[2].clone().unwrap_err();
        assert_eq!((bad.line, bad.record.as_str()), (4, "not json"));
        assert_eq!(rows[3], Ok((5, vec![s("1.5"), None, None])));
    }

    #[test]
    fn unclosed_quote_is_a_bad_row() {
        let rows = all(reader(
            b"a,b,c\n1,\"2,3\n4,5,6\n",
            Format::Csv,
            Encoding::Utf8,
        ));
        assert_eq!(rows.len(), 1);
        assert!(rows[0].clone().unwrap_err().reason.contains("never closed"));
    }

    #[test]
    fn header_in_wrong_encoding_makes_the_file_unreadable() {
        let err = RecordReader::new(
            Box::new(std::io::Cursor::new(b"\xff\xfe,b\n".to_vec())),
            Format::Csv,
            Encoding::Utf8,
            FIELDS,
        )
        .unwrap_err();
        assert!(err.contains("header"), "{err}");
    }

    proptest! {
        /// Guards the readers against panics on anything a user could feed them.
        #[test]
        fn readers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400), enc in 0..2u8, json in any::<bool>()) {
            let enc = if enc == 0 { Encoding::Utf8 } else { Encoding::Gb18030 };
            let format = if json { Format::Ndjson } else { Format::Csv };
            let mut text = b"a,b,c\n".to_vec();
            text.extend(bytes);
            if let Ok(r) = RecordReader::new(Box::new(std::io::Cursor::new(text)), format, enc, FIELDS) {
                let _ = all(r);
            }
        }

        /// Any table written by the csv crate reads back field for field.
        #[test]
        fn reads_back_what_a_csv_writer_wrote(cells in proptest::collection::vec(proptest::collection::vec("[a-z,\"\n ]{0,6}", 3), 1..5)) {
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(FIELDS).unwrap();
            for r in &cells { w.write_record(r).unwrap(); }
            let rows = all(reader(&w.into_inner().unwrap(), Format::Csv, Encoding::Utf8));
            // Three fields always leave two commas on the line, so no row reads as blank.
            let expected: Vec<_> = cells.iter()
                .map(|r| r.iter().map(|c| Some(c.trim().to_owned())).collect::<Vec<_>>())
                .collect();
            let got: Vec<_> = rows.into_iter().map(|r| r.unwrap().1).collect();
            prop_assert_eq!(got, expected);
        }
    }
}
