//! The heart of tracegrid: who must be checked, and why (CONTRACT.md section 2), and one
//! subject's trajectory and contacts (section 3, `trace`).
//!
//! [`World`] is built once from the store's rows: subjects and places interned, sightings laid
//! out by place and time so that "who was here then" is a binary search, each subject's
//! sightings listed in time order, and the region tree numbered so that "this place is inside
//! that region" is two integer comparisons. [`World::screen`] and [`World::trace`] are pure
//! functions of the world and their arguments.
//!
//! The engine reads rows, never a database: it uses the store crate's row types only as plain
//! data.

mod geo;
mod score;
mod screen;
mod trace;
mod world;

pub use screen::{Alert, Phases, Reason, ReasonCode, Screen, ScreenParams, Screening};
pub use trace::{Contact, Trace, TraceStep};
pub use world::{SubjectId, World, WorldBuilder};

/// Milliseconds, as everywhere in tracegrid.
pub type Millis = i64;

pub const DAY_MS: Millis = 86_400_000;
