//! The city while it serves: one [`City`] behind a lock, its store, its grid tasks and its live
//! feeds. Every change follows one path — validate, keep in the store, apply to the city,
//! re-screen what it touches, bring the tasks in step — and every caller (the API, the feeds,
//! the command line, the demo) takes it through here.
//!
//! Reads share the lock; a new case, area or group of fed rows takes it briefly to update the
//! screening in place; an import, or a fed row that changes who earlier sightings are, builds a
//! new city beside the old one and swaps it in, so that readers never wait for a load.
//!
//! Three threads serve a live city: the feed writer ([`crate::feeds`]), the task follower
//! (new alerts and reasons of fed rows become grid tasks, and new alerts are written down as
//! first appearances, off the writer's path), and the clock
//! (without a fixed moment, the screening moves with time). All three end when the
//! [`LiveCity`] is dropped, the writer after answering what was queued.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use serde_json::{Map, Value};
use tracegrid_engine::Screening;
use tracegrid_ingest::feed::{Answer, Intake, Message, feed_kind};
use tracegrid_ingest::{ImportSummary, Observer, Options};
use tracegrid_model::Millis;
use tracegrid_model::rows::{AreaRow, CaseRow, EventBatch, RegistryBatch};
use tracegrid_store::Store;

use crate::board::Board;
use crate::city::{Changed, City};
use crate::error::{CityError, CityResult};
use crate::feeds::{
    FeedError, FeedLimits, FeedStatus, Job, Queue, Reply, Route, RouteState, Stats, Submission,
};
use crate::found::{FirstAlertBook, FoundFirstView};
use crate::settings::now_ms;
use crate::status::StatusBook;
use crate::tasks::Policy;

/// How a live city runs beside its screening settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Running {
    pub feeds: FeedLimits,
    /// How often a screening without a fixed moment moves to the current time.
    pub roll_every: Duration,
}

impl Default for Running {
    fn default() -> Running {
        Running {
            feeds: FeedLimits::default(),
            roll_every: Duration::from_secs(10),
        }
    }
}

/// The city, its store, its tasks and its feeds, changed only through the workflows below.
/// Dereferences to [`Core`], which the threads share.
#[derive(Debug)]
pub struct LiveCity {
    core: Arc<Core>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Dropped to stop the clock.
    clock_stop: Option<std::sync::mpsc::Sender<()>>,
}

/// What the live city's threads share.
#[derive(Debug)]
pub struct Core {
    db: String,
    city: RwLock<City>,
    /// The connection every change is kept through, held while one is made: changes are kept
    /// and applied in the same order, so the store and the city never disagree. It holds the
    /// store's import lock while the city lives: no other import writes beside it.
    writer: Mutex<Writer>,
    pub board: Board,
    /// Each person's status as last written down (CONTRACT.md section 7).
    pub statuses: StatusBook,
    /// Each alert's first appearance, written down as the screening changes.
    pub found: FirstAlertBook,
    queue: Queue,
    stats: Mutex<Stats>,
    follow: Follow,
    /// A connection for reading the kept rejects, opened when first asked for: a look at them
    /// does not wait for the writer.
    reader: Mutex<Option<Box<dyn Store>>>,
}

impl std::ops::Deref for LiveCity {
    type Target = Core;
    fn deref(&self) -> &Core {
        &self.core
    }
}

/// The store and what the feeds check rows against.
struct Writer {
    store: Box<dyn Store>,
    intake: Intake,
    /// The store failed: reopen it, and read its registries again, before the next write.
    broken: bool,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer")
            .field("broken", &self.broken)
            .finish_non_exhaustive()
    }
}

/// What the task follower has still to do.
#[derive(Debug, Default)]
struct Follow {
    state: Mutex<FollowState>,
    wake: Condvar,
}

#[derive(Debug, Default)]
struct FollowState {
    subjects: BTreeSet<String>,
    /// Every alert (after the city was loaded again).
    all: bool,
    /// When the rows behind the pending work arrived, by route.
    received: Vec<(Route, Instant)>,
    stop: bool,
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
        running: Running,
    ) -> CityResult<LiveCity> {
        let city = City::load(db, settings, now_ms())?;
        LiveCity::with_city(db, city, policy, running)
    }

    /// A city already loaded (the demo has one in hand).
    pub fn with_city(
        db: &str,
        city: City,
        policy: Policy,
        running: Running,
    ) -> CityResult<LiveCity> {
        let mut store = tracegrid_store::open(db)?;
        store.lock_for_import()?;
        let intake = Intake::new(&store.load_registry()?, city.settings.zone);
        // Isolations' ends follow the screening's moment, which a re-screen moves.
        let board = Board::open(
            db,
            Policy {
                moment: city.settings.as_of,
                ..policy
            },
        )?;
        // The screening's alerts are written down before any task is made of them (on a new
        // store, this begins the record).
        let found = FirstAlertBook::open(db)?;
        let noted = found.note_all(&city, now_ms())?;
        tracing::info!(noted, recorded = found.len(), "first appearances recorded");
        let (created, updated, tasks) = board.sync_tasks(&city, now_ms())?;
        tracing::info!(created, updated, "tasks ready");
        let statuses = StatusBook::open(db)?;
        let changed = statuses.follow_all(&city, &tasks, now_ms())?;
        tracing::info!(changed, "statuses ready");
        let (queue, jobs) = Queue::new(running.feeds);
        let core = Arc::new(Core {
            db: db.to_owned(),
            city: RwLock::new(city),
            writer: Mutex::new(Writer {
                store,
                intake,
                broken: false,
            }),
            board,
            statuses,
            found,
            queue,
            stats: Mutex::new(Stats::default()),
            follow: Follow::default(),
            reader: Mutex::new(None),
        });
        let (clock_stop, clock_stopped) = std::sync::mpsc::channel::<()>();
        let mut threads = Vec::new();
        let c = core.clone();
        threads.push(spawn("tracegrid-feeds", move || c.write_feeds(&jobs)));
        let c = core.clone();
        threads.push(spawn("tracegrid-tasks", move || c.follow_tasks()));
        let c = core.clone();
        threads.push(spawn("tracegrid-clock", move || {
            c.keep_time(running.roll_every, &clock_stopped)
        }));
        Ok(LiveCity {
            core,
            threads,
            clock_stop: Some(clock_stop),
        })
    }
}

fn spawn(name: &str, f: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .expect("starting a thread")
}

impl Drop for LiveCity {
    fn drop(&mut self) {
        self.core.queue.close();
        self.clock_stop.take();
        // The follower finishes what the writer's last groups gave it.
        let writer = self.threads.remove(0);
        let _ = writer.join();
        {
            let mut f = self
                .core
                .follow
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            f.stop = true;
        }
        self.core.follow.wake.notify_all();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Core {
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

    fn writer(&self) -> CityResult<MutexGuard<'_, Writer>> {
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if w.broken {
            self.mend(&mut w)?;
        }
        Ok(w)
    }

    /// Opens the store again after a failure (a PostgreSQL connection lost, say) and reads its
    /// registries, so that nothing the store did not keep is believed known.
    fn mend(&self, w: &mut Writer) -> CityResult<()> {
        // The old handle holds the import lock: it is let go first (a lock taken twice by one
        // process would wait for itself). Until the new one has the lock the writer stays
        // broken, and the next group tries again.
        w.store = tracegrid_store::open(&self.db)?;
        w.store.lock_for_import()?;
        let reg = w.store.load_registry()?;
        w.intake.abandon(&reg);
        w.broken = false;
        tracing::info!("the store is back");
        Ok(())
    }

    /// Keeps `batch` in the store, applies it, and lets the tasks follow.
    fn keep_and_apply(
        &self,
        batch: &RegistryBatch,
        apply: impl FnOnce(&mut City) -> Changed,
    ) -> CityResult<Changed> {
        let mut writer = self.writer()?;
        if let Err(e) = writer.store.write_registry(batch) {
            writer.broken = true;
            return Err(e.into());
        }
        writer.intake.remember(batch);
        let mut changed = apply(&mut self.write());
        drop(writer);
        let (created, updated) = self.sync_all()?;
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
            self.board.set_moment(city.settings.as_of);
            city.screening = Screening::new(&city.world, &params);
            city.generation += 1;
            (
                city.screening.len(),
                city.generation,
                city.time(params.as_of),
            )
        };
        let (tasks_created, tasks_updated) = self.sync_all()?;
        Ok(Rescreened {
            as_of,
            alerts,
            elapsed_ms: started.elapsed().as_millis() as u64,
            generation,
            tasks_created,
            tasks_updated,
        })
    }

    /// Imports a data drop into the store through the writer (feeds wait meanwhile), loads
    /// the city again beside the old one and swaps it in, and lets the tasks follow.
    pub fn import(
        &self,
        dir: &Path,
        opts: &Options,
        observer: &mut dyn Observer,
    ) -> CityResult<ImportSummary> {
        let mut writer = self.writer()?;
        let summary = tracegrid_ingest::import_into(dir, writer.store.as_mut(), opts, observer);
        // Whatever the import kept, even if it stopped half-way, the intake and the city take
        // in: a row in the store that the city lacks would count as a duplicate forever.
        match writer.store.load_registry() {
            Ok(reg) => writer.intake.abandon(&reg),
            Err(_) => writer.broken = true,
        }
        let reloaded = self.reload();
        drop(writer);
        let summary = summary?;
        reloaded?;
        self.sync_all()?;
        Ok(summary)
    }

    /// Loads the city from the store again and swaps it in.
    fn reload(&self) -> CityResult<()> {
        let settings = self.read().settings.clone();
        let mut fresh = City::load(&self.db, settings.clone(), now_ms())?;
        let mut city = self.write();
        if city.settings != settings {
            // Re-screened while the city loaded: the new settings stand.
            let params = city.settings.params(&fresh.world, now_ms())?;
            fresh.settings = city.settings.clone();
            fresh.screening = Screening::new(&fresh.world, &params);
        }
        fresh.generation = city.generation + 1;
        *city = fresh;
        Ok(())
    }

    /// Lets time act on the tasks (escalations, isolation days); how many changed.
    pub fn tick(&self, now: Millis) -> CityResult<usize> {
        let changed = self.board.tick(now)?;
        // Isolations end with time even when no task changes: the statuses follow the clock.
        let tasks = self.board.with(|t| t.all())?;
        self.statuses.follow_all(&self.read(), &tasks, now)?;
        Ok(changed)
    }

    /// Writes down the alerts that appeared, then brings the tasks and the statuses in step
    /// with the whole city. Returns (created, updated) tasks.
    fn sync_all(&self) -> CityResult<(usize, usize)> {
        let city = self.read();
        let now = now_ms();
        // The record is not the tasks' to wait for: a failure to write it is said, and the
        // tasks follow all the same.
        if let Err(e) = self.found.note_all(&city, now) {
            tracing::error!(
                error = e.to_string(),
                "first appearances could not be written"
            );
        }
        let (created, updated, tasks) = self.board.sync_tasks(&city, now)?;
        self.statuses.follow_all(&city, &tasks, now)?;
        Ok((created, updated))
    }

    /// Of the diagnosed cases confirmed at or after `since` (`None`: all), which the data found
    /// before their confirmation (see [`crate::found`]).
    pub fn found_first(
        &self,
        since: Option<Millis>,
        shown: crate::views::Shown,
    ) -> CityResult<FoundFirstView> {
        let city = self.read();
        Ok(crate::found::found_first(
            &city,
            &self.found,
            &self.board,
            since,
            shown,
        )?)
    }

    /// Asks the task follower to look at these subjects again (a task of theirs changed, a
    /// scan was kept): their tasks and statuses follow.
    pub fn follow_subjects(&self, names: Vec<String>) {
        self.follow_up(Touched::Some(names), Vec::new());
    }

    // ------------------------------------------------------------------ feeds

    /// Queues a feed's message. `reply` hears its fate once its rows are kept and screened
    /// (or why not). A message the queue cannot take now is refused at once, and `reply` is
    /// not called.
    pub fn submit(&self, sub: Submission, reply: Reply) -> Result<(), FeedError> {
        let Some(kind) = feed_kind(&sub.kind) else {
            // Not counted as a feed: a sender could make up kinds without end.
            return Err(FeedError::UnknownKind(sub.kind.clone()));
        };
        let job = Job {
            sub,
            kind,
            reply,
            queued: Instant::now(),
            received_ms: now_ms(),
        };
        self.queue.push(job)
    }

    /// The rows the feeds rejected, newest first.
    pub fn feed_rejects(
        &self,
        filter: &tracegrid_store::RejectFilter<'_>,
    ) -> CityResult<Vec<tracegrid_store::KeptReject>> {
        let mut reader = self.reader.lock().unwrap_or_else(|e| e.into_inner());
        if reader.is_none() {
            *reader = Some(tracegrid_store::open(&self.db)?);
        }
        let store = reader.as_mut().expect("opened above");
        match store.feed_rejects(filter) {
            Ok(r) => Ok(r),
            Err(e) => {
                // A lost connection is opened again next time.
                *reader = None;
                Err(e.into())
            }
        }
    }

    /// The feeds as the command centre shows them.
    pub fn feed_status(&self) -> FeedStatus {
        // The moment is read only if the city is free now: the page must not wait behind the
        // writer (nor, a reader already holding the city, deadlock behind a waiting writer);
        // otherwise the moment last read is shown.
        let moment = match self.city.try_read() {
            Ok(city) => Some((
                city.time(city.screening.params().as_of),
                city.settings.as_of.is_none(),
            )),
            Err(_) => None,
        };
        let mut stats = self.lock_stats();
        if let Some(m) = moment {
            stats.moment = m;
        }
        let mut status = stats.status(now_ms(), &self.queue);
        (status.as_of, status.rolling) = stats.moment.clone();
        status
    }

    /// A broker's consumer says how it is.
    pub fn set_route_state(&self, state: RouteState) {
        metrics::gauge!("tracegrid_feed_up", "route" => state.route.as_str())
            .set(if state.connected { 1.0 } else { 0.0 });
        if let Some(p) = state.pending {
            metrics::gauge!("tracegrid_feed_pending_messages", "route" => state.route.as_str())
                .set(p as f64);
        }
        self.lock_stats().set_route(state);
    }

    fn lock_stats(&self) -> MutexGuard<'_, Stats> {
        self.stats.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The feed writer: takes what has queued up, a group at a time.
    fn write_feeds(&self, jobs: &std::sync::mpsc::Receiver<Job>) {
        let limits = self.queue.limits;
        while let Ok(first) = jobs.recv() {
            self.queue.taken(&first);
            let mut bytes = first.sub.body.len();
            let mut group = vec![first];
            while group.len() < limits.group_messages && bytes < limits.group_bytes {
                match jobs.try_recv() {
                    Ok(j) => {
                        self.queue.taken(&j);
                        bytes += j.sub.body.len();
                        group.push(j);
                    }
                    Err(_) => break,
                }
            }
            self.keep_group(group);
        }
    }

    /// Checks, keeps, applies and answers one group of messages.
    fn keep_group(&self, jobs: Vec<Job>) {
        let started = Instant::now();
        self.lock_stats().busy_since = jobs.iter().map(|j| j.queued).min();
        let now = now_ms();
        let (outcomes, touched) = match self.keep_rows(&jobs, now) {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(error = e.to_string(), "keeping fed rows failed");
                let e = FeedError::Store(e.to_string());
                (jobs.iter().map(|_| Err(e.clone())).collect(), None)
            }
        };
        metrics::histogram!("tracegrid_feed_group_seconds").record(started.elapsed().as_secs_f64());
        let mut received = Vec::new();
        {
            let mut stats = self.lock_stats();
            for (job, outcome) in jobs.iter().zip(&outcomes) {
                stats.record(&job.sub, job.received_ms, outcome);
            }
            stats.busy_since = None;
        }
        let mut answered = Vec::new();
        for (job, outcome) in jobs.into_iter().zip(outcomes) {
            if outcome.is_ok() {
                let took = job.queued.elapsed().as_secs_f64();
                metrics::histogram!("tracegrid_feed_row_to_screen_seconds", "route" => job.sub.route.as_str())
                    .record(took);
                answered.push(took * 1000.0);
                received.push((job.sub.route, job.queued));
            }
            (job.reply)(outcome);
        }
        if !answered.is_empty() {
            let mut stats = self.lock_stats();
            for ms in answered {
                stats.to_screen.add(ms);
            }
        }
        if let Some(touched) = touched {
            self.follow_up(touched, received);
        }
    }

    /// The store and the city's part of [`Core::keep_group`]: each message's outcome, and the
    /// subjects whose alerts may have changed (`None`: every alert, after a reload).
    #[allow(clippy::type_complexity)]
    fn keep_rows(
        &self,
        jobs: &[Job],
        now: Millis,
    ) -> CityResult<(Vec<Result<Answer, FeedError>>, Option<Touched>)> {
        let started = Instant::now();
        let mut w = self.writer()?;
        let read: Vec<Result<usize, FeedError>> = jobs
            .iter()
            .map(|j| {
                w.intake
                    .read(&Message {
                        kind: j.kind,
                        body: &j.sub.body,
                        format: j.sub.format,
                        route: j.sub.route.as_str(),
                        source: &j.sub.source,
                        received: j.received_ms,
                    })
                    .map_err(|e| FeedError::Unreadable(e.0))
            })
            .collect();
        let group = w.intake.take();
        let checked = Instant::now();
        let new = match w
            .store
            .write_feed(&group.registry, &group.events, &group.rejects)
        {
            Ok(new) => new,
            Err(e) => {
                w.broken = true;
                return Err(e.into());
            }
        };
        let mut answers = w.intake.settle(&new);
        let events = EventBatch {
            places: group.events.places,
            sources: group.events.sources,
            sightings: keep_new(group.events.sightings, &new.sightings),
            deliveries: keep_new(group.events.deliveries, &new.deliveries),
            health_reports: keep_new(group.events.health_reports, &new.health_reports),
        };
        let stored = Instant::now();
        let touched = self.apply_fed(&group.registry, &events, now);
        drop(w);
        self.lock_stats().work.add_group(
            jobs.len(),
            checked - started,
            stored - checked,
            stored.elapsed(),
        );
        let outcomes = read
            .into_iter()
            .map(|r| {
                r.and_then(|id| {
                    answers
                        .get_mut(id)
                        .and_then(Option::take)
                        .ok_or_else(|| FeedError::Store("a message lost its answer".into()))
                })
            })
            .collect();
        Ok((outcomes, Some(touched)))
    }

    /// Takes kept rows into the city; loads it again when they change who earlier sightings
    /// are.
    fn apply_fed(&self, registry: &RegistryBatch, events: &EventBatch, now: Millis) -> Touched {
        if registry.is_empty() && events.is_empty() {
            return Touched::Some(Vec::new());
        }
        let rebuild = {
            let mut city = self.write();
            match city.apply_feed(registry, events, now) {
                Ok(touched) => {
                    return Touched::Some(
                        touched
                            .into_iter()
                            .map(|s| city.world.subject_name(s).to_owned())
                            .collect(),
                    );
                }
                Err(r) => r,
            }
        };
        tracing::info!(reason = rebuild.0.as_str(), "loading the city again");
        if let Err(e) = self.reload() {
            // The store has the rows; the next load takes them in.
            tracing::error!(error = e.to_string(), "loading the city again failed");
        }
        Touched::All
    }

    /// Hands the task follower what changed.
    fn follow_up(&self, touched: Touched, received: Vec<(Route, Instant)>) {
        let mut f = self.follow.state.lock().unwrap_or_else(|e| e.into_inner());
        match touched {
            Touched::All => f.all = true,
            Touched::Some(names) if names.is_empty() && received.is_empty() => return,
            Touched::Some(names) => f.subjects.extend(names),
        }
        f.received.extend(received);
        drop(f);
        self.follow.wake.notify_one();
    }

    /// The task follower: new alerts and new reasons become grid tasks, and open pages hear.
    fn follow_tasks(&self) {
        loop {
            let (subjects, all, received) = {
                let mut f = self.follow.state.lock().unwrap_or_else(|e| e.into_inner());
                while f.subjects.is_empty() && !f.all && f.received.is_empty() && !f.stop {
                    f = self.follow.wake.wait(f).unwrap_or_else(|e| e.into_inner());
                }
                if f.stop && f.subjects.is_empty() && !f.all && f.received.is_empty() {
                    return;
                }
                (
                    std::mem::take(&mut f.subjects),
                    std::mem::take(&mut f.all),
                    std::mem::take(&mut f.received),
                )
            };
            let now = now_ms();
            let following = Instant::now();
            let city = self.read();
            let names: Vec<&str> = subjects.iter().map(String::as_str).collect();
            // New alerts are written down first: a task follows the appearance.
            let noted = if all {
                self.found.note_all(&city, now)
            } else {
                self.found.note(&city, &names, now)
            };
            if let Err(e) = noted {
                tracing::error!(
                    error = e.to_string(),
                    "first appearances could not be written"
                );
            }
            let synced = if all {
                self.board.sync_tasks(&city, now)
            } else {
                self.board.sync_subjects(&city, &names, now)
            };
            // The statuses follow the tasks as they stand after.
            let noted = synced.and_then(|(_, _, tasks)| {
                if all {
                    self.statuses.follow_all(&city, &tasks, now)
                } else {
                    self.statuses.follow(&city, &names, &tasks, now)
                }
            });
            drop(city);
            if let Err(e) = noted {
                tracing::error!(error = e.to_string(), "tasks could not follow the feeds");
            }
            let mut stats = self.lock_stats();
            stats.work.add_tasks(following.elapsed());
            for (route, at) in received {
                let took = at.elapsed().as_secs_f64();
                metrics::histogram!("tracegrid_feed_row_to_task_seconds", "route" => route.as_str())
                    .record(took);
                stats.to_task.add(took * 1000.0);
            }
        }
    }

    /// The clock: without a fixed moment, the screening moves to the current time every
    /// `every`, and the tasks follow what that brings in.
    fn keep_time(&self, every: Duration, stop: &std::sync::mpsc::Receiver<()>) {
        while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = stop.recv_timeout(every) {
            let names: Vec<String> = {
                let mut city = self.write();
                let touched = city.roll(now_ms());
                touched
                    .into_iter()
                    .map(|s| city.world.subject_name(s).to_owned())
                    .collect()
            };
            if !names.is_empty() {
                self.follow_up(Touched::Some(names), Vec::new());
            }
        }
    }
}

/// The alerts a change may have touched, by subject name (names outlive a reload).
enum Touched {
    All,
    Some(Vec<String>),
}

/// The rows of a batch the store said were new.
fn keep_new<T>(rows: Vec<T>, new: &[bool]) -> Vec<T> {
    rows.into_iter()
        .zip(new)
        .filter_map(|(r, &n)| n.then_some(r))
        .collect()
}
