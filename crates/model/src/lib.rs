//! The contract's vocabulary (CONTRACT.md sections 1 and 2) as Rust types, each parsed once at
//! the boundary with an error a clerk can act on. No I/O happens here.

pub mod codes;
pub mod health;
pub mod identity;
pub mod mask;
pub mod rows;
pub mod subject;
pub mod time;

pub use codes::{
    CaseStatus, Direction, Level, PharmacyCategory, PlaceKind, Reporter, Risk, SubjectType,
    Symptom, Tier,
};
pub use health::{Symptoms, Temperature};
pub use identity::{IdNumber, Phone, Plate};
pub use subject::{Resolver, Subject};
pub use time::{Millis, TimeError, TimeReader, format_time, read_moment};
