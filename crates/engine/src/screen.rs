//! CONTRACT.md section 2: the rules, evaluated at a moment over a lookback window, and kept up
//! to date as cases and areas arrive.
//!
//! A [`Screening`] holds, per subject, the reasons of the case-free rules and the contact
//! reasons each case (degree 1) and each close contact (degree 2) gave it, with who reached
//! whom. An alert is assembled from those per subject; a new or changed case re-searches only
//! its own contacts and the close contacts whose earliest contact moved, and re-assembles only
//! the subjects they reach.

use std::collections::BTreeSet;

use rustc_hash::FxHashMap as HashMap;
use tracegrid_model::rows::HealthReportRow;
use tracegrid_model::{PharmacyCategory, Temperature, Tier};

use crate::world::{Case, PlaceIx, Sighting, Stored, SubjectId, World};
use crate::{DAY_MS, Millis, parallel};

/// What to screen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScreenParams {
    pub as_of: Millis,
    pub lookback_days: i64,
    /// `--home-region`: turns on OUTSIDE_ARRIVAL.
    pub home_region: Option<u32>,
}

impl ScreenParams {
    /// The window `[T - L, T]`.
    pub fn window(&self) -> (Millis, Millis) {
        (self.as_of - self.lookback_days * DAY_MS, self.as_of)
    }
}

/// The rule that raised a reason.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReasonCode {
    CloseContact,
    SecondaryContact,
    GeneralContact,
    EpiArea,
    DeliveryFromArea,
    FeverMedicine,
    OutsideArrival,
    FeverReported,
}

impl ReasonCode {
    /// Which reason a grid worker acts on first when two alerts score the same: a close contact
    /// of a case, then presence in an epidemic area, a contact's contact, a reported fever, a
    /// general contact, a fever medicine bought, an arrival, a parcel. 0 is the most urgent.
    pub fn urgency(self) -> u8 {
        match self {
            ReasonCode::CloseContact => 0,
            ReasonCode::EpiArea => 1,
            ReasonCode::SecondaryContact => 2,
            ReasonCode::FeverReported => 3,
            ReasonCode::GeneralContact => 4,
            ReasonCode::FeverMedicine => 5,
            ReasonCode::OutsideArrival => 6,
            ReasonCode::DeliveryFromArea => 7,
        }
    }

    pub const ALL: [ReasonCode; 8] = [
        ReasonCode::CloseContact,
        ReasonCode::SecondaryContact,
        ReasonCode::GeneralContact,
        ReasonCode::EpiArea,
        ReasonCode::DeliveryFromArea,
        ReasonCode::FeverMedicine,
        ReasonCode::OutsideArrival,
        ReasonCode::FeverReported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::EpiArea => "EPI_AREA",
            ReasonCode::CloseContact => "CLOSE_CONTACT",
            ReasonCode::GeneralContact => "GENERAL_CONTACT",
            ReasonCode::SecondaryContact => "SECONDARY_CONTACT",
            ReasonCode::OutsideArrival => "OUTSIDE_ARRIVAL",
            ReasonCode::FeverMedicine => "FEVER_MEDICINE",
            ReasonCode::DeliveryFromArea => "DELIVERY_FROM_AREA",
            ReasonCode::FeverReported => "FEVER_REPORTED",
        }
    }
}

/// FEVER_REPORTED's temperature: 37.3 °C or more (CONTRACT.md section 9).
pub const FEVER: Temperature = Temperature::from_tenths(373);

/// Whether a health report can raise FEVER_REPORTED: a temperature of [`FEVER`] or more, or a
/// symptom named. Whether it does depends on the window.
pub fn raises_fever_reported(r: &HealthReportRow) -> bool {
    r.temperature.is_some_and(|t| t >= FEVER) || !r.symptoms.is_empty()
}

/// One reason for an alert, with its earliest evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    pub code: ReasonCode,
    /// The case behind a contact reason.
    pub case: Option<SubjectId>,
    pub area: Option<u32>,
    /// Where; `None` for a household contact, a delivery and a health report without a place.
    pub place: Option<PlaceIx>,
    pub at: Millis,
    /// 1 or 2 for contacts.
    pub degree: Option<u8>,
    /// For a secondary contact: the close contact it came through.
    pub via: Option<SubjectId>,
    /// The exposure this reason stands for, in millionths of hazard (the −ln of the chance of
    /// escaping it; docs/SCREENING.md, "The model"): every co-presence with the case, the days
    /// in its household, the hours in the area. 0 for FEVER_MEDICINE and FEVER_REPORTED,
    /// which are evidence rather than exposure.
    pub hazard: u64,
}

impl Reason {
    /// What makes two reasons of one subject the same reason: the contract asks for one per
    /// (code, case or area).
    fn key(&self) -> (ReasonCode, u32) {
        (self.code, self.case.or(self.area).unwrap_or(u32::MAX))
    }
}

/// One subject to check, and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub subject: SubjectId,
    pub score: f64,
    pub reasons: Vec<Reason>,
}

/// A screening's result: alerts by score, highest first.
#[derive(Clone, Debug)]
pub struct Screen {
    pub as_of: Millis,
    pub window: (Millis, Millis),
    pub alerts: Vec<Alert>,
}

/// A case's exposure window `[onset - 2 days, isolated]` within `[lo, hi]`, if not empty.
pub(crate) fn exposure(c: &Case, lo: Millis, hi: Millis) -> Option<(Millis, Millis)> {
    let start = (c.onset.unwrap_or(c.confirmed) - 2 * DAY_MS).max(lo);
    let end = c.isolated.unwrap_or(c.confirmed).min(hi);
    (start <= end).then_some((start, end))
}

/// Reasons of the case-free rules as found: (subject, reason).
type Hits = Vec<(SubjectId, Reason)>;

/// A contact as a search finds it, 24 bytes: when, where, how much exposure, and from whom — the case for degree
/// 1, the close contact it came through for degree 2 (whose case is that close contact's
/// earliest, looked up when the alert is assembled).
#[derive(Clone, Copy, Debug, PartialEq)]
struct Met {
    at: Millis,
    /// `NO_PLACE` for a household member.
    place: PlaceIx,
    from: SubjectId,
    code: ReasonCode,
    /// Every co-presence of the search with this subject, in millionths of hazard.
    units: u32,
}

const NO_PLACE: PlaceIx = PlaceIx::MAX;

/// What one case's or close contact's search found: at most one [`Met`] a (subject, code),
/// the earliest.
type Found = Vec<(SubjectId, Met)>;

/// A search's working memory, one per thread: where each (subject, code) already is in the
/// search's result, so that the earliest contact is kept without sorting.
#[derive(Debug, Default)]
struct Scratch {
    slot: Vec<u32>,
}

impl Scratch {
    fn note(&mut self, found: &mut Found, s: SubjectId, m: Met) {
        let k = s as usize * 2 + usize::from(m.code == ReasonCode::GeneralContact);
        if self.slot.len() <= k {
            self.slot.resize(k + 1, u32::MAX);
        }
        match self.slot[k] {
            u32::MAX => {
                self.slot[k] = found.len() as u32;
                found.push((s, m));
            }
            i => {
                let old = &mut found[i as usize].1;
                let units = old.units.saturating_add(m.units);
                if (m.at, m.place) < (old.at, old.place) {
                    *old = m;
                }
                old.units = units;
            }
        }
    }

    /// Forgets one search, touching only what it found.
    fn clear(&mut self, found: &Found) {
        for (s, m) in found {
            let k = *s as usize * 2 + usize::from(m.code == ReasonCode::GeneralContact);
            self.slot[k] = u32::MAX;
        }
    }
}

/// Merges reasons into one per (code, case or area), the earliest evidence each, their
/// hazards added.
fn earliest_per_key(mut reasons: Vec<Reason>) -> Vec<Reason> {
    reasons.sort_unstable_by(|x, y| {
        (x.key(), x.at, x.place, x.via).cmp(&(y.key(), y.at, y.place, y.via))
    });
    reasons.dedup_by(|y, x| {
        let same = x.key() == y.key();
        if same {
            x.hazard = x.hazard.saturating_add(y.hazard);
        }
        same
    });
    reasons
}

/// A per-subject table that grows with the world's subjects.
fn slot<T: Default>(v: &mut Vec<T>, s: SubjectId) -> &mut T {
    if v.len() <= s as usize {
        v.resize_with(s as usize + 1, T::default);
    }
    &mut v[s as usize]
}

/// The rules of section 2 at one moment, kept up to date as cases and areas change.
#[derive(Debug)]
pub struct Screening {
    params: ScreenParams,
    window: (Millis, Millis),
    /// Reasons of the case-free rules, per subject.
    base: Vec<Vec<Reason>>,
    /// Contacts per subject: from each case (degree 1) and through each close contact (degree
    /// 2), the earliest of each. Kept for cases too, so that a case that ends is a contact again.
    contacts: Vec<Vec<Met>>,
    /// Each subject's earliest close contact (time, case), unless it is a case itself.
    close_at: Vec<Option<(Millis, SubjectId)>>,
    /// Whom each case's degree-1 search reached.
    reached: HashMap<SubjectId, Vec<SubjectId>>,
    /// Whom each close contact's degree-2 search reached.
    reached2: HashMap<SubjectId, Vec<SubjectId>>,
    alerts: HashMap<SubjectId, Alert>,
    /// (1000 - score in thousandths, name, subject): the alerts in the contract's order.
    ranked: BTreeSet<RankKey>,
    /// Each alert's key in `ranked`, kept: a subject renamed since still finds its old one.
    rank: HashMap<SubjectId, RankKey>,
    /// How long each step of the full screening took.
    pub phases: Phases,
}

/// Where a full screening's time went.
#[derive(Clone, Copy, Debug, Default)]
pub struct Phases {
    /// The case-free rules: one pass over every place's sightings.
    pub case_free: std::time::Duration,
    pub degree1: std::time::Duration,
    pub degree2: std::time::Duration,
    /// Alerts assembled, scored and ranked.
    pub assemble: std::time::Duration,
    /// Close contacts searched at degree 2.
    pub close_contacts: usize,
}

impl World {
    /// Evaluates every rule of CONTRACT.md section 2.
    pub fn screen(&self, p: &ScreenParams) -> Screen {
        Screening::new(self, p).into_screen()
    }
}

impl Screening {
    /// Screens the whole world.
    pub fn new(world: &World, p: &ScreenParams) -> Screening {
        let window = p.window();
        let mut s = Screening {
            params: p.clone(),
            window,
            base: Vec::new(),
            contacts: Vec::new(),
            close_at: Vec::new(),
            reached: HashMap::default(),
            reached2: HashMap::default(),
            alerts: HashMap::default(),
            ranked: BTreeSet::new(),
            rank: HashMap::default(),
            phases: Phases::default(),
        };
        let mut clock = std::time::Instant::now();
        let mut lap = || {
            let now = std::time::Instant::now();
            std::mem::replace(&mut clock, now).elapsed()
        };
        let all_areas: Vec<usize> = (0..world.areas.len()).collect();
        for (subject, r) in world.case_free(p, &all_areas, true) {
            slot(&mut s.base, subject).push(r);
        }
        for reasons in &mut s.base {
            if reasons.len() > 1 {
                *reasons = earliest_per_key(std::mem::take(reasons));
            }
        }

        s.phases.case_free = lap();

        // Degree 1, every active case's search on the cores there are.
        let cases: Vec<SubjectId> = world.active_cases();
        let found = parallel(&cases, |scratch: &mut Scratch, &c| {
            world.degree1(scratch, c, window)
        });
        for (&c, found) in cases.iter().zip(found) {
            s.take(c, found, false);
        }
        s.phases.degree1 = lap();
        let mut close: Vec<(SubjectId, (Millis, SubjectId))> = Vec::new();
        for subject in 0..s.contacts.len() as SubjectId {
            if let Some(at) = s.close_of(world, subject) {
                *slot(&mut s.close_at, subject) = Some(at);
                close.push((subject, at));
            }
        }
        let found = parallel(&close, |scratch: &mut Scratch, &(c, (e, _))| {
            world.degree2(scratch, c, e, window)
        });
        for (&(c, _), found) in close.iter().zip(found) {
            s.take(c, found, true);
        }

        s.phases.degree2 = lap();
        s.phases.close_contacts = close.len();

        // Every subject's alert, on the cores there are; then ranked in one sort.
        let subjects: Vec<SubjectId> =
            (0..s.base.len().max(s.contacts.len()) as SubjectId).collect();
        let chunks: Vec<&[SubjectId]> = subjects.chunks(4096).collect();
        let built = parallel(&chunks, |_: &mut (), part| {
            part.iter()
                .filter_map(|&subject| s.build(world, subject))
                .collect::<Vec<Alert>>()
        });
        let mut keys = Vec::new();
        for alert in built.into_iter().flatten() {
            let key = rank_key(world, &alert);
            s.rank.insert(alert.subject, key.clone());
            keys.push(key);
            s.alerts.insert(alert.subject, alert);
        }
        keys.sort_unstable();
        s.ranked = keys.into_iter().collect();
        s.phases.assemble = lap();
        s
    }

    pub fn params(&self) -> &ScreenParams {
        &self.params
    }

    /// How many subjects have an alert.
    pub fn len(&self) -> usize {
        self.alerts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.alerts.is_empty()
    }

    /// The alerts, highest score first.
    pub fn alerts(&self) -> impl Iterator<Item = &Alert> + '_ {
        self.ranked.iter().map(|(.., s)| &self.alerts[s])
    }

    /// One subject's alert.
    pub fn alert(&self, subject: SubjectId) -> Option<&Alert> {
        self.alerts.get(&subject)
    }

    /// The alerts as a list, highest score first, moved out.
    pub fn into_screen(mut self) -> Screen {
        let alerts = std::mem::take(&mut self.ranked)
            .into_iter()
            .filter_map(|(.., s)| self.alerts.remove(&s))
            .collect();
        Screen {
            as_of: self.params.as_of,
            window: self.window,
            alerts,
        }
    }

    /// Takes into account that `subject`'s case was added, changed or ended in `world` (by
    /// [`World::add_case`]). Returns the subjects whose alert may have changed.
    pub fn update_case(&mut self, world: &World, subject: SubjectId) -> Vec<SubjectId> {
        let mut touched: Vec<SubjectId> = vec![subject];
        if let Some(old) = self.reached.remove(&subject) {
            for &s in &old {
                slot(&mut self.contacts, s)
                    .retain(|m| m.code == ReasonCode::SecondaryContact || m.from != subject);
            }
            touched.extend(old);
        }
        let mut scratch = Scratch::default();
        if world.is_active_case(subject) {
            let found = world.degree1(&mut scratch, subject, self.window);
            touched.extend(found.iter().map(|(s, _)| *s));
            self.take(subject, found, false);
        }
        touched.sort_unstable();
        touched.dedup();

        // Whoever's earliest close contact moved searches its own contacts again; the
        // secondary contacts of the others are re-scored (the chance that their close contact
        // is infected weighs in their score).
        let mut again: Vec<SubjectId> = Vec::new();
        for &c in &touched {
            let old = *slot(&mut self.close_at, c);
            let new = self.close_of(world, c);
            if old == new {
                // The chance it was infected, which its secondary contacts' scores weigh, may
                // have moved.
                again.extend(self.reached2.get(&c).into_iter().flatten());
                continue;
            }
            *slot(&mut self.close_at, c) = new;
            if let Some(old) = self.reached2.remove(&c) {
                for &s in &old {
                    slot(&mut self.contacts, s)
                        .retain(|m| m.code != ReasonCode::SecondaryContact || m.from != c);
                }
                again.extend(old);
            }
            if let Some((e, _)) = new {
                let found = world.degree2(&mut scratch, c, e, self.window);
                again.extend(found.iter().map(|(s, _)| *s));
                self.take(c, found, true);
            }
        }
        touched.extend(again);
        touched.sort_unstable();
        touched.dedup();
        for &s in &touched {
            self.assemble(world, s);
        }
        touched
    }

    /// Takes into account the area `area` that [`World::add_area`] added. Returns the subjects
    /// whose alert may have changed.
    pub fn update_area(&mut self, world: &World, area: u32) -> Vec<SubjectId> {
        // A replaced area's reasons go first.
        let mut touched = Vec::new();
        for (s, reasons) in self.base.iter_mut().enumerate() {
            let before = reasons.len();
            reasons.retain(|r| r.area != Some(area));
            if reasons.len() != before {
                touched.push(s as SubjectId);
            }
        }
        for (subject, r) in world.case_free(&self.params, &[area as usize], false) {
            slot(&mut self.base, subject).push(r);
            touched.push(subject);
        }
        touched.sort_unstable();
        touched.dedup();
        for &s in &touched {
            let reasons = slot(&mut self.base, s);
            *reasons = earliest_per_key(std::mem::take(reasons));
        }
        for &s in &touched {
            self.assemble(world, s);
        }
        touched
    }

    /// Files one search's contacts under the subjects they reached and notes who was reached.
    fn take(&mut self, from: SubjectId, found: Found, degree2: bool) {
        let mut reached: Vec<SubjectId> = found.iter().map(|(s, _)| *s).collect();
        reached.sort_unstable();
        reached.dedup();
        for (s, m) in found {
            slot(&mut self.contacts, s).push(m);
        }
        if degree2 {
            self.reached2.insert(from, reached);
        } else {
            self.reached.insert(from, reached);
        }
    }

    /// A subject's earliest close contact (time, case), unless it is a case itself.
    fn close_of(&self, world: &World, s: SubjectId) -> Option<(Millis, SubjectId)> {
        if world.is_active_case(s) {
            return None;
        }
        self.contacts
            .get(s as usize)?
            .iter()
            .filter(|m| m.code == ReasonCode::CloseContact)
            .map(|m| (m.at, m.from))
            .min()
    }

    /// Rebuilds one subject's alert from its reasons.
    fn assemble(&mut self, world: &World, s: SubjectId) {
        self.alerts.remove(&s);
        if let Some(old) = self.rank.remove(&s) {
            self.ranked.remove(&old);
        }
        if let Some(alert) = self.build(world, s) {
            let key = rank_key(world, &alert);
            self.ranked.insert(key.clone());
            self.rank.insert(s, key);
            self.alerts.insert(s, alert);
        }
    }

    /// Takes in what a batch of rows added to `world` ([`World::add_events`],
    /// [`World::add_persons`]): the case-free rules again for the subjects it names, and the
    /// searches of every case and close contact that a new sighting may meet. Returns the
    /// subjects whose alert may have changed.
    pub fn update(&mut self, world: &World, fresh: &crate::Fresh) -> Vec<SubjectId> {
        let (lo, hi) = self.window;
        let mut dirty = Dirty::default();
        for x in &fresh.sightings {
            if x.start <= hi && x.end >= lo {
                dirty.base.insert(x.subject);
                self.neighbours(world, x, &mut dirty);
            }
        }
        dirty.base.extend(fresh.recipients.iter().copied());
        dirty.base.extend(fresh.reporters.iter().copied());
        for &s in &fresh.persons {
            dirty.base.insert(s);
            if world.is_active_case(s) {
                dirty.cases.insert(s);
            }
            if self.close_at.get(s as usize).copied().flatten().is_some() {
                dirty.close.insert(s);
            }
        }
        self.refresh(world, dirty)
    }

    /// Moves the screening to a later moment `as_of`, the lookback and home region as they were:
    /// what the window's new end brings in (sightings, deliveries, health reports, cases'
    /// exposure), what its new start lets go, and the reasons whose earliest evidence the new
    /// start clips. Every alert is scored again (a score weighs how long ago its evidence is). An earlier moment screens
    /// the world again in full. Returns the subjects whose reasons may have changed (every
    /// other alert's score has moved with the moment too).
    pub fn roll(&mut self, world: &World, as_of: Millis) -> Vec<SubjectId> {
        let (lo0, hi0) = self.window;
        let mut params = self.params.clone();
        params.as_of = as_of;
        if as_of < self.params.as_of {
            let before: Vec<SubjectId> = self.alerts.keys().copied().collect();
            *self = Screening::new(world, &params);
            let mut all: Vec<SubjectId> = before
                .into_iter()
                .chain(self.alerts.keys().copied())
                .collect();
            all.sort_unstable();
            all.dedup();
            return all;
        }
        let (lo1, hi1) = params.window();
        self.params = params;
        self.window = (lo1, hi1);
        let mut dirty = Dirty::default();
        for c in world.active_cases() {
            let case = world.cases[world.active_case[&c] as usize];
            if exposure(&case, lo0, hi0) != exposure(&case, lo1, hi1) {
                dirty.cases.insert(c);
            }
        }
        // Sightings the new end brings in, and those the new start lets go.
        for pl in 0..world.places.len() as PlaceIx {
            let longest = [world.place_longest[pl as usize], world.delta.longest(pl)];
            for (run, longest) in world.runs(pl).into_iter().zip(longest) {
                let from = run.partition_point(|b| b.start <= hi0);
                let to = run.partition_point(|b| b.start <= hi1);
                for b in &run[from..to] {
                    if b.end >= lo1 {
                        self.moved(world, &b.at(pl), &mut dirty);
                    }
                }
                let from = run.partition_point(|b| b.start < lo0 - longest);
                let to = run.partition_point(|b| b.start < lo1);
                for b in &run[from..to] {
                    if b.end >= lo0 && b.end < lo1 {
                        self.moved(world, &b.at(pl), &mut dirty);
                    }
                }
            }
        }
        for d in &world.deliveries {
            let at = d.delivered.unwrap_or(d.shipped);
            if (at > hi0 && at <= hi1) || (at >= lo0 && at < lo1) {
                dirty.base.insert(d.recipient);
            }
        }
        for r in &world.health_reports {
            if (r.at > hi0 && r.at <= hi1) || (r.at >= lo0 && r.at < lo1) {
                dirty.base.insert(r.subject);
            }
        }
        // Reasons whose earliest evidence the new start clips.
        for (s, reasons) in self.base.iter().enumerate() {
            if reasons.iter().any(|r| r.at < lo1) {
                dirty.base.insert(s as SubjectId);
            }
        }
        let touched = self.refresh(world, dirty);
        // Every alert again: its score follows the moment.
        let alerted: Vec<SubjectId> = self.alerts.keys().copied().collect();
        for &s in &alerted {
            self.assemble(world, s);
        }
        touched
    }

    /// A sighting that came into or left the window: its subject's case-free rules again, and
    /// the searches that might meet it.
    fn moved(&self, world: &World, x: &Sighting, dirty: &mut Dirty) {
        dirty.base.insert(x.subject);
        self.neighbours(world, x, dirty);
    }

    /// The cases and close contacts whose searches a sighting `x` may take part in: its own
    /// subject's, and those of everyone at its place near its time.
    fn neighbours(&self, world: &World, x: &Sighting, dirty: &mut Dirty) {
        let is_close = |s: SubjectId| self.close_at.get(s as usize).copied().flatten().is_some();
        if world.is_active_case(x.subject) {
            dirty.cases.insert(x.subject);
        }
        if is_close(x.subject) {
            dirty.close.insert(x.subject);
        }
        let kind = world.places[x.place as usize].kind;
        let Some(tau) = kind.tolerance_ms() else {
            return;
        };
        let close_tier = kind.tier() == Tier::Close;
        world.co_present(x.place, x.start, x.end, tau, |b, _| {
            if world.is_active_case(b.subject) {
                dirty.cases.insert(b.subject);
            }
            if close_tier && is_close(b.subject) {
                dirty.close.insert(b.subject);
            }
        });
    }

    /// Searches again what `dirty` names, and assembles the alerts they reach.
    fn refresh(&mut self, world: &World, dirty: Dirty) -> Vec<SubjectId> {
        let mut touched: Vec<SubjectId> = Vec::new();
        for &c in &dirty.cases {
            touched.extend(self.update_case(world, c));
        }
        let mut scratch = Scratch::default();
        for &k in &dirty.close {
            touched.push(k);
            if let Some(old) = self.reached2.remove(&k) {
                for &s in &old {
                    slot(&mut self.contacts, s)
                        .retain(|m| m.code != ReasonCode::SecondaryContact || m.from != k);
                }
                touched.extend(old);
            }
            if let Some((e, _)) = self.close_at.get(k as usize).copied().flatten() {
                let found = world.degree2(&mut scratch, k, e, self.window);
                touched.extend(found.iter().map(|(s, _)| *s));
                self.take(k, found, true);
            }
        }
        for &s in &dirty.base {
            *slot(&mut self.base, s) = world.subject_base(&self.params, s);
            touched.push(s);
        }
        touched.sort_unstable();
        touched.dedup();
        for &s in &touched {
            self.assemble(world, s);
        }
        touched
    }

    /// One subject's alert from its reasons, if it has any and is not a case.
    fn build(&self, world: &World, s: SubjectId) -> Option<Alert> {
        if world.is_active_case(s) {
            return None;
        }
        let close_at = |c: SubjectId| self.close_at.get(c as usize).copied().flatten();
        let is_close = close_at(s).is_some();
        // The chance that close contact `c` was infected by the cases it met.
        let infected = |c: SubjectId| {
            let units: u64 = self
                .contacts
                .get(c as usize)
                .into_iter()
                .flatten()
                .filter(|m| m.code != ReasonCode::SecondaryContact)
                .map(|m| u64::from(m.units))
                .sum();
            crate::score::chance(units)
        };
        let mut reasons: Vec<Reason> = self.base.get(s as usize).cloned().unwrap_or_default();
        for m in self.contacts.get(s as usize).into_iter().flatten() {
            let place = (m.place != NO_PLACE).then_some(m.place);
            let r = match m.code {
                ReasonCode::SecondaryContact if is_close => continue,
                ReasonCode::SecondaryContact => {
                    let Some((e, case)) = close_at(m.from) else {
                        continue;
                    };
                    // Sharing the close contact's household: a hazard that grows with the
                    // window's end, so reckoned here rather than by the search.
                    let home = if world.household_of(m.from).contains(&s) {
                        crate::score::chained_household_units(e, e, self.window.1)
                    } else {
                        0
                    };
                    let units = u64::from(m.units) + u64::from(home);
                    let p = infected(m.from) * crate::score::chance(units);
                    let hazard = u64::from(crate::score::to_units(-(1.0 - p).ln()));
                    contact(m.code, case, place, m.at, 2, Some(m.from), hazard)
                }
                code => contact(code, m.from, place, m.at, 1, None, u64::from(m.units)),
            };
            reasons.push(r);
        }
        if reasons.is_empty() {
            return None;
        }
        let mut reasons = earliest_per_key(reasons);
        reasons.sort_by_key(|a| (a.code, a.at, a.case, a.area));
        let score = crate::score::score(&reasons, self.window.1);
        Some(Alert {
            subject: s,
            score,
            reasons,
        })
    }
}

/// What a change asks to be searched again.
#[derive(Debug, Default)]
struct Dirty {
    cases: BTreeSet<SubjectId>,
    close: BTreeSet<SubjectId>,
    base: BTreeSet<SubjectId>,
}

/// An alert's place in the contract's order: score (in millionths) down; among equal scores,
/// what a grid worker should do first — the most urgent reason ([`ReasonCode::urgency`]), then
/// the earliest evidence of it (the longer ago the exposure, the sooner the person may be
/// infectious); then name.
type RankKey = (u32, u8, Millis, std::sync::Arc<str>, SubjectId);

fn rank_key(world: &World, a: &Alert) -> RankKey {
    let millionths = (a.score * 1e6).round().clamp(0.0, 1e6) as u32;
    let (urgency, at) = a
        .reasons
        .iter()
        .map(|r| (r.code.urgency(), r.at))
        .min()
        .unwrap_or((u8::MAX, Millis::MAX));
    (
        1_000_000 - millionths,
        urgency,
        at,
        world.name_key(a.subject),
        a.subject,
    )
}

impl World {
    /// Degree 1 of a case: co-presence with its sightings clipped to its exposure window, and
    /// its household. Every subject met but the case itself; whether one is a case is decided
    /// when alerts are assembled.
    fn degree1(&self, scratch: &mut Scratch, case: SubjectId, (lo, hi): (Millis, Millis)) -> Found {
        let mut found = Found::new();
        let Some(c) = self.active_case.get(&case).map(|&i| self.cases[i as usize]) else {
            return found;
        };
        let Some((ws, we)) = exposure(&c, lo, hi) else {
            return found;
        };
        let visible = |s: &Sighting| s.start <= hi && s.end >= lo;
        for a in self.clipped_contact_sightings(case, (ws, we)) {
            let tier = a.kind.tier();
            let code = if tier == Tier::Close {
                ReasonCode::CloseContact
            } else {
                ReasonCode::GeneralContact
            };
            self.co_present(a.place, a.start, a.end, a.tau, |b, at| {
                if b.subject != case && visible(b) {
                    let (s, e) = (a.start.max(b.start), a.end.min(b.end));
                    let m = Met {
                        at,
                        place: a.place,
                        from: case,
                        code,
                        units: crate::score::contact_units(&c, tier, s, e, at),
                    };
                    scratch.note(&mut found, b.subject, m);
                }
            });
        }
        let household = crate::score::household_units(&c, ws, we);
        for &s in self.household_of(case) {
            if s != case {
                let m = Met {
                    at: ws,
                    place: NO_PLACE,
                    from: case,
                    code: ReasonCode::CloseContact,
                    units: household,
                };
                scratch.note(&mut found, s, m);
            }
        }
        scratch.clear(&found);
        found
    }

    /// Degree 2 through close contact `c`, from its earliest close contact `e` on.
    fn degree2(
        &self,
        scratch: &mut Scratch,
        c: SubjectId,
        e: Millis,
        (lo, hi): (Millis, Millis),
    ) -> Found {
        let mut found = Found::new();
        let visible = |s: &Sighting| s.start <= hi && s.end >= lo;
        let code = ReasonCode::SecondaryContact;
        for a in self.sightings_upto(c, Tier::Close) {
            if !visible(&a) {
                continue;
            }
            let (cs, ce) = (a.start.max(e), a.end.min(hi));
            if cs > ce || self.places[a.place as usize].kind.tier() != Tier::Close {
                continue;
            }
            self.co_present(a.place, cs, ce, 0, |b, at| {
                if b.subject != c && visible(b) {
                    let (s, t) = (cs.max(b.start), ce.min(b.end));
                    scratch.note(
                        &mut found,
                        b.subject,
                        Met {
                            at,
                            place: a.place,
                            from: c,
                            code,
                            units: crate::score::chained_units(Tier::Close, s, t, e, at),
                        },
                    );
                }
            });
        }
        // Its hazard grows with the window's end: reckoned when the alert is assembled.
        for &s in self.household_of(c) {
            if s != c {
                scratch.note(
                    &mut found,
                    s,
                    Met {
                        at: e,
                        place: NO_PLACE,
                        from: c,
                        code,
                        units: 0,
                    },
                );
            }
        }
        scratch.clear(&found);
        found
    }

    /// EPI_AREA for `areas`, and with `everything` also FEVER_MEDICINE, OUTSIDE_ARRIVAL and
    /// FEVER_REPORTED; DELIVERY_FROM_AREA for `areas`: the rules that look at no case.
    fn case_free(&self, p: &ScreenParams, areas: &[usize], everything: bool) -> Hits {
        let (lo, hi) = p.window();
        let visible = |s: &Stored| s.start <= hi && s.end >= lo;
        let pharmacy = self
            .sources
            .iter()
            .position(|n| n == "pharmacy")
            .map(|i| i as u16);
        let fever = |s: &Stored| {
            Some(s.source) == pharmacy
                && PharmacyCategory::from_code(i64::from(s.tag))
                    .is_some_and(|c| c != PharmacyCategory::Other)
        };
        // OUTSIDE_ARRIVAL: a sighting outside H, then a later one inside H. Each subject's
        // earliest sighting outside first (places outside the home region are few); a bitset
        // of those subjects, small enough to stay in cache, spares the pass below a random
        // read for everyone else.
        let home = p.home_region.filter(|_| everything);
        let side = |pl: PlaceIx| -> Option<bool> {
            let r = self.places[pl as usize].region?;
            home.map(|h| self.inside(r, h))
        };
        let mut first_outside: Vec<Millis> = Vec::new();
        let mut went_out: Vec<u64> = Vec::new();
        if home.is_some() {
            first_outside = vec![Millis::MAX; self.subjects.len()];
            went_out = vec![0; self.subjects.len().div_ceil(64)];
            for pl in (0..self.places.len() as PlaceIx).filter(|&pl| side(pl) == Some(false)) {
                for s in self.run(pl).filter(|s| visible(s)) {
                    let f = &mut first_outside[s.subject as usize];
                    *f = (*f).min(s.start);
                    went_out[s.subject as usize / 64] |= 1 << (s.subject % 64);
                }
            }
        }
        let gone_out = |s: SubjectId| went_out[s as usize / 64] & (1 << (s % 64)) != 0;

        // EPI_AREA, FEVER_MEDICINE and the arrivals: one pass over the places' runs, half the
        // sightings a core.
        let places: Vec<PlaceIx> = (0..self.places.len() as PlaceIx)
            .filter(|&pl| everything || areas.iter().any(|&ai| self.area_holds(ai, pl)))
            .collect();
        let parts: Vec<Vec<PlaceIx>> = {
            let cores = crate::cores();
            let total = self.sighting_count().max(1);
            let mut parts = vec![Vec::new()];
            let mut seen = 0;
            for &pl in &places {
                let n = self.runs(pl).iter().map(|r| r.len()).sum::<usize>();
                if seen * cores > total * parts.len() {
                    parts.push(Vec::new());
                }
                seen += n;
                if let Some(last) = parts.last_mut() {
                    last.push(pl);
                }
            }
            parts
        };
        // Per part: its hits, and each arriving subject's earliest (time, place) inside H.
        type Arrivals = HashMap<SubjectId, (Millis, PlaceIx)>;
        let found = parallel(&parts, |_: &mut (), part| {
            let mut hits = Hits::new();
            let mut arrivals = Arrivals::default();
            for &pl in part {
                let inside: Vec<usize> = areas
                    .iter()
                    .copied()
                    .filter(|&ai| self.area_holds(ai, pl))
                    .collect();
                let at_home = side(pl) == Some(true);
                for s in self.run(pl).filter(|s| visible(s)) {
                    for &ai in &inside {
                        let area = &self.areas[ai];
                        if s.start <= area.to.unwrap_or(Millis::MAX) && s.end >= area.from {
                            hits.push((
                                s.subject,
                                self.area_reason(ai, pl, s.start, s.end, lo, hi),
                            ));
                        }
                    }
                    if everything && fever(s) {
                        let at = s.start.max(lo);
                        hits.push((
                            s.subject,
                            fact(ReasonCode::FeverMedicine, None, Some(pl), at),
                        ));
                    }
                    if at_home && gone_out(s.subject) && s.start > first_outside[s.subject as usize]
                    {
                        let a = arrivals.entry(s.subject).or_insert((s.start, pl));
                        *a = (*a).min((s.start, pl));
                    }
                }
            }
            (hits, arrivals)
        });
        let mut hits = Hits::new();
        let mut arrivals = Arrivals::default();
        for (h, a) in found {
            hits.extend(h);
            for (subject, first) in a {
                let e = arrivals.entry(subject).or_insert(first);
                *e = (*e).min(first);
            }
        }
        let mut arrivals: Vec<_> = arrivals.into_iter().collect();
        arrivals.sort_unstable();
        for (subject, (at, place)) in arrivals {
            hits.push((
                subject,
                fact(ReasonCode::OutsideArrival, None, Some(place), at),
            ));
        }

        // DELIVERY_FROM_AREA: shipped from inside an area's region while it was active.
        for d in &self.deliveries {
            let at = d.delivered.unwrap_or(d.shipped);
            let Some(origin) = d.origin else { continue };
            if at < lo || at > hi {
                continue;
            }
            for &ai in areas {
                let area = &self.areas[ai];
                let active = area.from <= d.shipped && d.shipped <= area.to.unwrap_or(Millis::MAX);
                if area.places_inside.is_none()
                    && active
                    && area.region.is_some_and(|ar| self.inside(origin, ar))
                {
                    hits.push((
                        d.recipient,
                        fact(ReasonCode::DeliveryFromArea, Some(ai), None, at),
                    ));
                }
            }
        }

        // FEVER_REPORTED: a report of a fever or a symptom in the window (the world keeps no
        // other); the earliest is kept when a subject's reasons are merged.
        if everything {
            for r in &self.health_reports {
                if lo <= r.at && r.at <= hi {
                    hits.push((
                        r.subject,
                        fact(ReasonCode::FeverReported, None, r.place, r.at),
                    ));
                }
            }
        }
        hits
    }
}

impl World {
    /// The case-free rules of section 2 for one subject, over its own sightings, the deliveries
    /// to it and its health reports: what [`World::case_free`] finds for it, subject by subject.
    fn subject_base(&self, p: &ScreenParams, s: SubjectId) -> Vec<Reason> {
        let (lo, hi) = p.window();
        let pharmacy = self
            .sources
            .iter()
            .position(|n| n == "pharmacy")
            .map(|i| i as u16);
        let side = |pl: PlaceIx| -> Option<bool> {
            let r = self.places[pl as usize].region?;
            p.home_region.map(|h| self.inside(r, h))
        };
        let mut reasons = Vec::new();
        let mut first_outside = Millis::MAX;
        let mut visible: Vec<Sighting> = Vec::new();
        for x in self.sightings_of(s) {
            if x.start <= hi && x.end >= lo {
                if side(x.place) == Some(false) {
                    first_outside = first_outside.min(x.start);
                }
                visible.push(x);
            }
        }
        let mut arrival: Option<(Millis, PlaceIx)> = None;
        for x in &visible {
            for (ai, area) in self.areas.iter().enumerate() {
                if self.area_holds(ai, x.place)
                    && x.start <= area.to.unwrap_or(Millis::MAX)
                    && x.end >= area.from
                {
                    reasons.push(self.area_reason(ai, x.place, x.start, x.end, lo, hi));
                }
            }
            if Some(x.source) == pharmacy
                && PharmacyCategory::from_code(i64::from(x.tag))
                    .is_some_and(|c| c != PharmacyCategory::Other)
            {
                let at = x.start.max(lo);
                reasons.push(fact(ReasonCode::FeverMedicine, None, Some(x.place), at));
            }
            if side(x.place) == Some(true) && x.start > first_outside {
                arrival = Some(arrival.map_or((x.start, x.place), |a| a.min((x.start, x.place))));
            }
        }
        if let Some((at, place)) = arrival {
            reasons.push(fact(ReasonCode::OutsideArrival, None, Some(place), at));
        }
        for &di in self.deliveries_to.get(&s).into_iter().flatten() {
            let d = &self.deliveries[di as usize];
            let at = d.delivered.unwrap_or(d.shipped);
            let Some(origin) = d.origin else { continue };
            if at < lo || at > hi {
                continue;
            }
            for (ai, area) in self.areas.iter().enumerate() {
                let active = area.from <= d.shipped && d.shipped <= area.to.unwrap_or(Millis::MAX);
                if area.places_inside.is_none()
                    && active
                    && area.region.is_some_and(|ar| self.inside(origin, ar))
                {
                    reasons.push(fact(ReasonCode::DeliveryFromArea, Some(ai), None, at));
                }
            }
        }
        for &ri in self.reports_of.get(&s).into_iter().flatten() {
            let r = &self.health_reports[ri as usize];
            if lo <= r.at && r.at <= hi {
                reasons.push(fact(ReasonCode::FeverReported, None, r.place, r.at));
            }
        }
        if reasons.len() > 1 {
            reasons = earliest_per_key(reasons);
        }
        reasons
    }
}

fn contact(
    code: ReasonCode,
    case: SubjectId,
    place: Option<PlaceIx>,
    at: Millis,
    degree: u8,
    via: Option<SubjectId>,
    hazard: u64,
) -> Reason {
    Reason {
        code,
        case: Some(case),
        area: None,
        place,
        at,
        degree: Some(degree),
        via,
        hazard,
    }
}

fn fact(code: ReasonCode, area: Option<usize>, place: Option<PlaceIx>, at: Millis) -> Reason {
    Reason {
        code,
        case: None,
        area: area.map(|a| a as u32),
        place,
        at,
        degree: None,
        via: None,
        hazard: u64::from(crate::score::fixed_units(code)),
    }
}

impl World {
    /// EPI_AREA of area `ai` for a sighting `[start, end]` at `place` that meets it: at the
    /// latest of the sighting's start, the area's `from` and the window's start; its hazard by
    /// the hours within the area's period and the window.
    fn area_reason(
        &self,
        ai: usize,
        place: PlaceIx,
        start: Millis,
        end: Millis,
        lo: Millis,
        hi: Millis,
    ) -> Reason {
        let area = &self.areas[ai];
        let at = start.max(area.from).max(lo);
        let until = end.min(area.to.unwrap_or(Millis::MAX)).min(hi);
        let hours = (until - at).max(0) as f64 / 3_600_000.0;
        Reason {
            hazard: u64::from(crate::score::area_units(area.risk, hours)),
            ..fact(ReasonCode::EpiArea, Some(ai), Some(place), at)
        }
    }
}
