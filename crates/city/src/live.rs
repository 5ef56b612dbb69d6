//! The city while it serves: one [`City`] behind a lock, its store, and its grid tasks. Every
//! change follows one path — validate, keep in the store, apply to the city, re-screen what it
//! touches, bring the tasks in step — and every caller (the API, the command line, the demo)
//! takes it through here.
//!
//! Reads share the lock; a new case or area takes it briefly to update the screening in place;
//! an import builds a new city beside the old one and swaps it in, so that readers never wait
//! for a load.

use std::path::Path;
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use serde_json::{Map, Value};
use tracegrid_engine::Screening;
use tracegrid_ingest::{ImportSummary, Observer, Options};
use tracegrid_model::Millis;
use tracegrid_model::rows::{AreaRow, CaseRow, RegistryBatch};

use crate::board::Board;
use crate::city::{Changed, City};
use crate::error::{CityError, CityResult};
use crate::settings::now_ms;
use crate::tasks::Policy;

/// The city, its store and its tasks, changed only through the workflows below.
#[derive(Debug)]
pub struct LiveCity {
    db: String,
    city: RwLock<City>,
    /// The connection changes are kept through, held while one is made: two changes are kept
    /// and applied in the same order, so the store and the city never disagree.
    writer: Mutex<Box<dyn tracegrid_store::Store>>,
    pub board: Board,
}

/// What a re-screen did.
#[derive(Clone, Debug, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rescreened {
    pub as_of: String,
    pub alerts: usize,
    pub elapsed_ms: u64,
    pub generation: u64,
    pub tasks_created: usize,
    pub tasks_updated: usize,
}

impl LiveCity {
    /// Loads the city from the store `db` and brings its tasks in step.
    pub fn open(
        db: &str,
        settings: crate::settings::Settings,
        policy: Policy,
    ) -> CityResult<LiveCity> {
        let city = City::load(db, settings, now_ms())?;
        LiveCity::with_city(db, city, policy)
    }

    /// A city already loaded (the demo has one in hand).
    pub fn with_city(db: &str, city: City, policy: Policy) -> CityResult<LiveCity> {
        let board = Board::open(db, policy)?;
        let (created, updated) = board.sync(&city, now_ms())?;
        tracing::info!(created, updated, "tasks ready");
        Ok(LiveCity {
            db: db.to_owned(),
            city: RwLock::new(city),
            writer: Mutex::new(tracegrid_store::open(db)?),
            board,
        })
    }

    /// The store this city is kept in.
    pub fn db(&self) -> &str {
        &self.db
    }

    /// Reads the city.
    pub fn read(&self) -> RwLockReadGuard<'_, City> {
        self.city.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, City> {
        self.city.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `batch` in the store, applies it, and lets the tasks follow.
    fn keep_and_apply(
        &self,
        batch: &RegistryBatch,
        apply: impl FnOnce(&mut City) -> Changed,
    ) -> CityResult<Changed> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        writer.write_registry(batch)?;
        let mut changed = apply(&mut self.write());
        drop(writer);
        let (created, updated) = self.board.sync(&self.read(), now_ms())?;
        changed.tasks_created = created;
        changed.tasks_updated = updated;
        Ok(changed)
    }

    fn save_area_row(&self, row: AreaRow) -> CityResult<Changed> {
        let batch = RegistryBatch {
            areas: vec![row.clone()],
            ..Default::default()
        };
        self.keep_and_apply(&batch, move |city| city.apply_area(row))
    }

    /// Adds an epidemic area, or replaces the one with the same id, from the fields of
    /// `areas` (or `areas.geojson` with a `geometry`); screens it at once.
    pub fn save_area(&self, fields: &Map<String, Value>) -> CityResult<(String, Changed)> {
        let row = crate::input::area(&self.read(), fields)?;
        let id = row.area_id.clone();
        Ok((id, self.save_area_row(row)?))
    }

    /// Ends an area at `at` (a time, or a date meaning its last moment); absent: the moment
    /// the city is screened at.
    pub fn end_area(&self, area_id: &str, at: Option<&str>) -> CityResult<Changed> {
        let row = {
            let city = self.read();
            let mut row = city
                .areas
                .iter()
                .find(|a| a.area_id == area_id)
                .cloned()
                .ok_or_else(|| CityError::NotFound(format!("there is no area {area_id}")))?;
            let at = match at {
                Some(t) => tracegrid_model::TimeReader::new(city.settings.zone)
                    .time_or_date(t, true)
                    .map_err(|e| CityError::Invalid(format!("at {t}: {e}")))?,
                None => city.params().as_of,
            };
            if at < row.from {
                return Err(CityError::Invalid(
                    "an area cannot end before it began".into(),
                ));
            }
            row.to = Some(at);
            row
        };
        self.save_area_row(row)
    }

    /// Adds a case, or changes the one of the same person, from the fields of `cases`; screens
    /// it at once. Returns the case's subject as the engine names it.
    pub fn save_case(&self, fields: &Map<String, Value>) -> CityResult<(String, Changed)> {
        let row: CaseRow = crate::input::case(&self.read(), fields)?;
        let id_number = row.subject.clone();
        let batch = RegistryBatch {
            cases: vec![row.clone()],
            ..Default::default()
        };
        let changed = self.keep_and_apply(&batch, move |city| city.apply_case(row))?;
        let city = self.read();
        let subject = city
            .find_subject(&id_number)
            .map_or(id_number, |s| city.world.subject_name(s).to_owned());
        Ok((subject, changed))
    }

    /// Screens the whole city again: at `as_of` (a moment of CONTRACT.md section 5) from now
    /// on, or, without it, at the current time with the window moving with the clock.
    pub fn rescreen(
        &self,
        as_of: Option<&str>,
        lookback_days: Option<i64>,
    ) -> CityResult<Rescreened> {
        let started = std::time::Instant::now();
        let (alerts, generation, as_of) = {
            let mut city = self.write();
            let settings = city.settings.moved(as_of, lookback_days)?;
            let params = settings.params(&city.world, now_ms())?;
            city.settings = settings;
            city.screening = Screening::new(&city.world, &params);
            city.generation += 1;
            (
                city.screening.len(),
                city.generation,
                city.time(params.as_of),
            )
        };
        let (tasks_created, tasks_updated) = self.board.sync(&self.read(), now_ms())?;
        Ok(Rescreened {
            as_of,
            alerts,
            elapsed_ms: started.elapsed().as_millis() as u64,
            generation,
            tasks_created,
            tasks_updated,
        })
    }

    /// Imports a data drop into the store, loads the city again beside the old one and swaps
    /// it in, and lets the tasks follow.
    pub fn import(
        &self,
        dir: &Path,
        opts: &Options,
        observer: &mut dyn Observer,
    ) -> CityResult<ImportSummary> {
        // An import takes the store's import lock on a connection of its own.
        let store = tracegrid_store::open(&self.db)?;
        let (summary, store) = tracegrid_ingest::import(dir, store, opts, observer)?;
        drop(store);
        let settings = self.read().settings.clone();
        let mut fresh = City::load(&self.db, settings, now_ms())?;
        {
            let mut city = self.write();
            fresh.generation = city.generation + 1;
            *city = fresh;
        }
        self.board.sync(&self.read(), now_ms())?;
        Ok(summary)
    }

    /// Lets time act on the tasks (escalations, isolation days); how many changed.
    pub fn tick(&self, now: Millis) -> CityResult<usize> {
        Ok(self.board.tick(now)?)
    }
}
