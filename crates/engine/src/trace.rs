//! CONTRACT.md section 3, `trace`: one subject's trajectory and its contacts, the rules of
//! section 2 applied to it as if it were a case.

use rustc_hash::FxHashMap as HashMap;
use tracegrid_model::Tier;

use crate::Millis;
use crate::screen::{ScreenParams, exposure};
use crate::world::{PlaceIx, SubjectId, World};

/// One place in a trajectory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceStep {
    pub place: PlaceIx,
    pub start: Millis,
    pub end: Millis,
    pub source: u16,
}

/// A subject met by the traced one, at its lowest degree.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contact {
    pub subject: SubjectId,
    pub degree: u8,
    /// The closest tier of its contacts at that degree.
    pub tier: Tier,
    pub first_at: Millis,
    pub is_case: bool,
    /// For degree 2: one degree-1 close contact it came through.
    pub via: Option<SubjectId>,
}

#[derive(Clone, Debug)]
pub struct Trace {
    pub subject: SubjectId,
    pub is_case: bool,
    /// The trace window: a case's exposure window within the lookback, else the lookback.
    /// `None` when a case's exposure window misses the lookback entirely.
    pub window: Option<(Millis, Millis)>,
    pub trajectory: Vec<TraceStep>,
    pub contacts: Vec<Contact>,
}

impl World {
    /// A subject's sightings that meet `[from, to]`, in time order.
    pub fn trajectory(&self, subject: SubjectId, (from, to): (Millis, Millis)) -> Vec<TraceStep> {
        self.sightings_of(subject)
            .filter(|s| s.start <= to && s.end >= from)
            .map(|s| TraceStep {
                place: s.place,
                start: s.start,
                end: s.end,
                source: s.source,
            })
            .collect()
    }

    /// Traces `subject` at `p.as_of`, one or two degrees deep.
    pub fn trace(&self, subject: SubjectId, p: &ScreenParams, degree: u8) -> Trace {
        let (lo, hi) = p.window();
        let case = self
            .active_case
            .get(&subject)
            .map(|&i| self.cases[i as usize]);
        let window = match &case {
            Some(c) => exposure(c, lo, hi),
            None => Some((lo, hi)),
        };
        let mut trace = Trace {
            subject,
            is_case: case.is_some(),
            window,
            trajectory: vec![],
            contacts: vec![],
        };
        let Some((ws, we)) = window else { return trace };
        let visible = |s: &crate::world::Sighting| s.start <= hi && s.end >= lo;

        trace.trajectory = self.trajectory(subject, (ws, we));

        // Degree 1: (closest tier, first contact time, first tier-close contact time).
        let mut first: HashMap<SubjectId, (Tier, Millis, Option<Millis>)> = HashMap::default();
        let meet = |first: &mut HashMap<SubjectId, (Tier, Millis, Option<Millis>)>,
                    b: SubjectId,
                    tier: Tier,
                    t: Millis| {
            let e = first.entry(b).or_insert((tier, t, None));
            e.0 = e.0.min(tier);
            e.1 = e.1.min(t);
            if tier == Tier::Close {
                e.2 = Some(e.2.map_or(t, |x| x.min(t)));
            }
        };
        for a in self.clipped_contact_sightings(subject, (ws, we)) {
            self.co_present(a.place, a.start, a.end, a.tau, |b, t| {
                if b.subject != subject && visible(b) {
                    meet(&mut first, b.subject, a.kind.tier(), t);
                }
            });
        }
        for &m in self.household_of(subject) {
            if m != subject {
                meet(&mut first, m, Tier::Close, ws);
            }
        }
        for (&s, &(tier, t, _)) in &first {
            trace.contacts.push(Contact {
                subject: s,
                degree: 1,
                tier,
                first_at: t,
                is_case: self.is_active_case(s),
                via: None,
            });
        }

        if degree >= 2 {
            let mut second: HashMap<SubjectId, (Millis, SubjectId)> = HashMap::default();
            let mut reach = |b: SubjectId, t: Millis, via: SubjectId| {
                if b == subject || first.contains_key(&b) {
                    return;
                }
                let e = second.entry(b).or_insert((t, via));
                if (t, via) < *e {
                    *e = (t, via);
                }
            };
            let mut close: Vec<(SubjectId, Millis)> = first
                .iter()
                .filter_map(|(&s, &(_, _, e))| e.map(|e| (s, e)))
                .collect();
            close.sort_unstable();
            for (c, e) in close {
                for a in self.sightings_upto(c, Tier::Close).filter(|a| visible(a)) {
                    let (cs, ce) = (a.start.max(e), a.end.min(hi));
                    if cs > ce || self.places[a.place as usize].kind.tier() != Tier::Close {
                        continue;
                    }
                    self.co_present(a.place, cs, ce, 0, |b, t| {
                        if b.subject != c && visible(b) {
                            reach(b.subject, t, c);
                        }
                    });
                }
                for &m in self.household_of(c) {
                    if m != c {
                        reach(m, e, c);
                    }
                }
            }
            for (s, (t, via)) in second {
                trace.contacts.push(Contact {
                    subject: s,
                    degree: 2,
                    tier: Tier::Close,
                    first_at: t,
                    is_case: self.is_active_case(s),
                    via: Some(via),
                });
            }
        }
        trace.contacts.sort_by(|a, b| {
            (a.first_at, a.degree, self.subject_name(a.subject)).cmp(&(
                b.first_at,
                b.degree,
                self.subject_name(b.subject),
            ))
        });
        trace
    }
}
