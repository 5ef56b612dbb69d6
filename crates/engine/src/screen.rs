//! CONTRACT.md section 2: the rules, evaluated at a moment over a lookback window.

use rustc_hash::FxHashMap as HashMap;
use tracegrid_model::{PharmacyCategory, Tier};

use crate::world::{Case, PlaceIx, SubjectId, World};
use crate::{DAY_MS, Millis};

/// What to screen.
#[derive(Clone, Debug)]
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
}

impl ReasonCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ReasonCode::EpiArea => "EPI_AREA",
            ReasonCode::CloseContact => "CLOSE_CONTACT",
            ReasonCode::GeneralContact => "GENERAL_CONTACT",
            ReasonCode::SecondaryContact => "SECONDARY_CONTACT",
            ReasonCode::OutsideArrival => "OUTSIDE_ARRIVAL",
            ReasonCode::FeverMedicine => "FEVER_MEDICINE",
            ReasonCode::DeliveryFromArea => "DELIVERY_FROM_AREA",
        }
    }
}

/// One reason for an alert, with its earliest evidence.
#[derive(Clone, Debug, PartialEq)]
pub struct Reason {
    pub code: ReasonCode,
    /// The case behind a contact reason.
    pub case: Option<SubjectId>,
    pub area: Option<u32>,
    /// Where; `None` for a household contact and a delivery.
    pub place: Option<PlaceIx>,
    pub at: Millis,
    /// 1 or 2 for contacts.
    pub degree: Option<u8>,
    /// For a secondary contact: the close contact it came through.
    pub via: Option<SubjectId>,
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

/// Reasons gathered per (subject, code, case or area), keeping the earliest evidence.
#[derive(Clone, Debug, Default)]
pub(crate) struct Reasons(HashMap<(SubjectId, ReasonCode, u32), Reason>);

/// The reasons that do not depend on cases, for one (as-of, lookback, home region): adding a
/// case leaves them as they are, so a screen after it only searches the new contacts.
pub(crate) type BaseKey = (Millis, i64, Option<u32>);

impl Reasons {
    fn add(&mut self, subject: SubjectId, r: Reason) {
        let key = (subject, r.code, r.case.or(r.area).unwrap_or(u32::MAX));
        match self.0.get(&key) {
            Some(old) if (old.at, old.place) <= (r.at, r.place) => {}
            _ => {
                self.0.insert(key, r);
            }
        }
    }
}

/// A case's exposure window `[onset - 2 days, isolated]` within `[lo, hi]`, if not empty.
pub(crate) fn exposure(c: &Case, lo: Millis, hi: Millis) -> Option<(Millis, Millis)> {
    let start = (c.onset.unwrap_or(c.confirmed) - 2 * DAY_MS).max(lo);
    let end = c.isolated.unwrap_or(c.confirmed).min(hi);
    (start <= end).then_some((start, end))
}

impl World {
    /// Evaluates every rule of CONTRACT.md section 2.
    pub fn screen(&self, p: &ScreenParams) -> Screen {
        let (lo, hi) = p.window();
        let visible = |s: &crate::world::Sighting| s.start <= hi && s.end >= lo;
        let key: BaseKey = (p.as_of, p.lookback_days, p.home_region);
        let mut reasons = {
            let mut cache = self.base_reasons.lock().unwrap_or_else(|e| e.into_inner());
            match cache.as_ref() {
                Some((k, r)) if *k == key => r.clone(),
                _ => {
                    let r = self.base(p);
                    *cache = Some((key, r.clone()));
                    r
                }
            }
        };

        // Degree 1: co-presence with a case's sightings clipped to its exposure window, and the
        // case's household.
        let mut close_at: HashMap<SubjectId, (Millis, SubjectId)> = HashMap::default();
        let note_close = |close_at: &mut HashMap<SubjectId, (Millis, SubjectId)>,
                          s: SubjectId,
                          t: Millis,
                          case: SubjectId| {
            let e = close_at.entry(s).or_insert((t, case));
            if (t, case) < *e {
                *e = (t, case);
            }
        };
        for c in self.cases.iter().filter(|c| c.status.is_active()) {
            let Some((ws, we)) = exposure(c, lo, hi) else {
                continue;
            };
            for a in self.sightings_of(c.subject) {
                let (cs, ce) = (a.start.max(ws), a.end.min(we));
                if cs > ce {
                    continue;
                }
                let kind = self.places[a.place as usize].kind;
                let Some(tau) = kind.tolerance_ms() else {
                    continue;
                };
                let code = if kind.tier() == Tier::Close {
                    ReasonCode::CloseContact
                } else {
                    ReasonCode::GeneralContact
                };
                self.co_present(a.place, cs, ce, tau, |b, t| {
                    if b.subject == c.subject || !visible(b) || self.is_active_case(b.subject) {
                        return;
                    }
                    reasons.add(
                        b.subject,
                        Reason {
                            code,
                            case: Some(c.subject),
                            area: None,
                            place: Some(a.place),
                            at: t,
                            degree: Some(1),
                            via: None,
                        },
                    );
                    if code == ReasonCode::CloseContact {
                        note_close(&mut close_at, b.subject, t, c.subject);
                    }
                });
            }
            for &m in self.household_of(c.subject) {
                if m == c.subject || self.is_active_case(m) {
                    continue;
                }
                reasons.add(
                    m,
                    Reason {
                        code: ReasonCode::CloseContact,
                        case: Some(c.subject),
                        area: None,
                        place: None,
                        at: ws,
                        degree: Some(1),
                        via: None,
                    },
                );
                note_close(&mut close_at, m, ws, c.subject);
            }
        }

        // Degree 2: through each close contact c, from its earliest close contact on.
        let mut close: Vec<(SubjectId, Millis, SubjectId)> = close_at
            .iter()
            .map(|(&s, &(t, case))| (s, t, case))
            .collect();
        close.sort_unstable();
        for &(c, e, case) in &close {
            for a in self.sightings_of(c) {
                if !visible(&a) {
                    continue;
                }
                let (cs, ce) = (a.start.max(e), a.end.min(hi));
                let kind = self.places[a.place as usize].kind;
                if cs > ce || kind.tier() != Tier::Close {
                    continue;
                }
                self.co_present(a.place, cs, ce, 0, |b, t| {
                    if b.subject == c
                        || !visible(b)
                        || close_at.contains_key(&b.subject)
                        || self.is_active_case(b.subject)
                    {
                        return;
                    }
                    reasons.add(
                        b.subject,
                        Reason {
                            code: ReasonCode::SecondaryContact,
                            case: Some(case),
                            area: None,
                            place: Some(a.place),
                            at: t,
                            degree: Some(2),
                            via: Some(c),
                        },
                    );
                });
            }
            for &m in self.household_of(c) {
                if m == c || close_at.contains_key(&m) || self.is_active_case(m) {
                    continue;
                }
                reasons.add(
                    m,
                    Reason {
                        code: ReasonCode::SecondaryContact,
                        case: Some(case),
                        area: None,
                        place: None,
                        at: e,
                        degree: Some(2),
                        via: Some(c),
                    },
                );
            }
        }

        // One alert per subject that is not itself a case.
        let mut by_subject: HashMap<SubjectId, Vec<Reason>> = HashMap::default();
        for ((s, _, _), r) in reasons.0 {
            if !self.is_active_case(s) {
                by_subject.entry(s).or_default().push(r);
            }
        }
        let mut alerts: Vec<Alert> = by_subject
            .into_iter()
            .map(|(subject, mut reasons)| {
                reasons.sort_by(|a, b| {
                    (a.code, a.at, a.case, a.area).cmp(&(b.code, b.at, b.case, b.area))
                });
                let score = crate::score::score(self, &reasons, hi);
                Alert {
                    subject,
                    score,
                    reasons,
                }
            })
            .collect();
        alerts.sort_by(|a, b| {
            b.score.total_cmp(&a.score).then_with(|| {
                self.subject_name(a.subject)
                    .cmp(self.subject_name(b.subject))
            })
        });
        Screen {
            as_of: p.as_of,
            window: (lo, hi),
            alerts,
        }
    }

    /// EPI_AREA, FEVER_MEDICINE, OUTSIDE_ARRIVAL and DELIVERY_FROM_AREA: the rules that look at
    /// no case.
    fn base(&self, p: &ScreenParams) -> Reasons {
        let (lo, hi) = p.window();
        let visible = |s: &crate::world::Sighting| s.start <= hi && s.end >= lo;
        let mut reasons = Reasons::default();
        // EPI_AREA, FEVER_MEDICINE: one pass over the sightings in the window.
        let pharmacy = self
            .sources
            .iter()
            .position(|n| n == "pharmacy")
            .map(|i| i as u16);
        let fever = |s: &crate::world::Sighting| {
            Some(s.source) == pharmacy
                && PharmacyCategory::from_code(i64::from(s.tag))
                    .is_some_and(|c| c != PharmacyCategory::Other)
        };
        for (p, place) in self.places.iter().enumerate() {
            // Which areas contain this place is decided once for all its sightings.
            let areas: Vec<usize> = (0..self.areas.len())
                .filter(|&ai| {
                    let area = &self.areas[ai];
                    match (&area.places_inside, area.region, place.region) {
                        (Some(inside), _, _) => inside[p],
                        (None, Some(ar), Some(pr)) => self.inside(pr, ar),
                        _ => false,
                    }
                })
                .collect();
            let run =
                &self.sightings[self.place_start[p] as usize..self.place_start[p + 1] as usize];
            for stored in run {
                let s = stored.at(p as PlaceIx);
                if !visible(&s) {
                    continue;
                }
                for &ai in &areas {
                    let area = &self.areas[ai];
                    if s.start <= area.to.unwrap_or(Millis::MAX) && s.end >= area.from {
                        let at = s.start.max(area.from).max(lo);
                        reasons.add(
                            s.subject,
                            Reason {
                                code: ReasonCode::EpiArea,
                                case: None,
                                area: Some(ai as u32),
                                place: Some(s.place),
                                at,
                                degree: None,
                                via: None,
                            },
                        );
                    }
                }
                if fever(&s) {
                    reasons.add(
                        s.subject,
                        Reason {
                            code: ReasonCode::FeverMedicine,
                            case: None,
                            area: None,
                            place: Some(s.place),
                            at: s.start.max(lo),
                            degree: None,
                            via: None,
                        },
                    );
                }
            }
        }

        // OUTSIDE_ARRIVAL: a sighting outside H, then a later one inside H. Two passes over the
        // places' runs: each subject's earliest sighting outside, then its earliest later one
        // inside.
        if let Some(home) = p.home_region {
            let runs = |inside: bool| {
                self.places
                    .iter()
                    .enumerate()
                    .filter_map(move |(pl, place)| {
                        let r = place.region?;
                        (self.inside(r, home) == inside).then(|| {
                            (
                                pl,
                                &self.sightings[self.place_start[pl] as usize
                                    ..self.place_start[pl + 1] as usize],
                            )
                        })
                    })
            };
            let mut first_outside = vec![Millis::MAX; self.subjects.len()];
            for (_, run) in runs(false) {
                for s in run.iter().filter(|s| s.start <= hi && s.end >= lo) {
                    let f = &mut first_outside[s.subject as usize];
                    *f = (*f).min(s.start);
                }
            }
            let mut arrival: Vec<Option<(Millis, PlaceIx)>> = vec![None; self.subjects.len()];
            for (pl, run) in runs(true) {
                for s in run.iter().filter(|s| s.start <= hi && s.end >= lo) {
                    let x = first_outside[s.subject as usize];
                    let a = &mut arrival[s.subject as usize];
                    if x != Millis::MAX && s.start > x && a.is_none_or(|(t, _)| s.start < t) {
                        *a = Some((s.start, pl as PlaceIx));
                    }
                }
            }
            for (subject, a) in arrival.into_iter().enumerate() {
                if let Some((at, place)) = a {
                    reasons.add(
                        subject as SubjectId,
                        Reason {
                            code: ReasonCode::OutsideArrival,
                            case: None,
                            area: None,
                            place: Some(place),
                            at,
                            degree: None,
                            via: None,
                        },
                    );
                }
            }
        }

        // DELIVERY_FROM_AREA: shipped from inside an area's region while it was active.
        for d in &self.deliveries {
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
                    reasons.add(
                        d.recipient,
                        Reason {
                            code: ReasonCode::DeliveryFromArea,
                            case: None,
                            area: Some(ai as u32),
                            place: None,
                            at,
                            degree: None,
                            via: None,
                        },
                    );
                }
            }
        }

        reasons
    }
}
