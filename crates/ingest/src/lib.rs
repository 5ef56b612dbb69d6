//! Reading a data drop into the store (CONTRACT.md sections 1 and 4): find the files, read them
//! as streams, check every row, write the good ones in batches and every bad one to the rejects
//! file with its reason.

pub mod convert;
pub mod drop;
pub mod feed;
pub mod geojson;
mod import;
pub mod read;
mod rejects;

pub use drop::{DropFile, FileKind, Format, Skipped};
pub use import::{FileSummary, ImportError, ImportSummary, Observer, Options, import, import_into};
pub use read::Encoding;
pub use rejects::RejectsTarget;
