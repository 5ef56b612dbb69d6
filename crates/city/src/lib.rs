//! The application layer: what tracegrid does, whoever asks. It loads the city from the store
//! into the engine ([`City`]), screens it at the moment its [`Settings`] name, writes the
//! contract's views of alerts and traces ([`views`]), and carries out the workflows that change
//! the city — an area, a case, an import, a re-screen — keeping the grid tasks in step
//! ([`LiveCity`], [`board`], [`tasks`]) and each alert's first appearance on record, for the
//! cases the data found before their confirmation ([`found`]).
//!
//! The server calls it from its HTTP handlers and the command line calls it directly; neither
//! holds a workflow of its own. It knows no HTTP.

pub mod board;
pub mod city;
pub mod error;
pub mod feeds;
pub mod found;
pub mod input;
pub mod live;
pub mod settings;
pub mod status;
pub mod tasks;
pub mod views;

pub use board::{Board, Notice};
pub use city::{Changed, City, PlaceInfo, load_world};
pub use error::{CityError, CityResult};
pub use feeds::{FeedError, FeedLimits, FeedStatus, Route, RouteState, Submission};
pub use found::{FirstAlertBook, FoundFirstView};
pub use live::{LiveCity, Running};
pub use settings::{Settings, now_ms};
pub use status::{Status, StatusBook, StatusNow};
pub use views::Shown;
