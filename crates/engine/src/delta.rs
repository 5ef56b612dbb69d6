//! Sightings that arrive while the world serves: a small second index searched beside the
//! laid-out one, and merged into it by a new layout once it grows (a log-structured pair, so
//! that a batch costs in proportion to the batch, and each sighting is laid out again only a
//! few times over its life).
//!
//! Per place, a run in time order like the main index's; per subject, a list in time order.
//! The searches (who was here then, where was this subject) read both and treat them alike.

use rustc_hash::FxHashMap as HashMap;

use crate::Millis;
use crate::world::{PlaceIx, Stored, SubjectId};

/// The sightings added since the last layout.
#[derive(Debug, Default)]
pub(crate) struct Delta {
    /// Per place, in the order of the main runs: (start, end, subject, source, tag).
    runs: HashMap<PlaceIx, Vec<Stored>>,
    /// Per place, its longest sighting here.
    longest: HashMap<PlaceIx, Millis>,
    /// Per subject, (place, sighting) in time order.
    by_subject: HashMap<SubjectId, Vec<(PlaceIx, Stored)>>,
    len: usize,
}

fn order(s: &Stored) -> (Millis, Millis, SubjectId, u16, u8) {
    (s.start, s.end, s.subject, s.source, s.tag)
}

impl Delta {
    pub(crate) fn add(&mut self, place: PlaceIx, s: Stored) {
        let run = self.runs.entry(place).or_default();
        let at = run.partition_point(|x| order(x) <= order(&s));
        run.insert(at, s);
        let longest = self.longest.entry(place).or_default();
        *longest = (*longest).max(s.end - s.start);
        let list = self.by_subject.entry(s.subject).or_default();
        let at = list.partition_point(|(_, x)| (x.start, x.end) <= (s.start, s.end));
        list.insert(at, (place, s));
        self.len += 1;
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// A place's added sightings, in time order.
    pub(crate) fn run(&self, place: PlaceIx) -> &[Stored] {
        self.runs.get(&place).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn longest(&self, place: PlaceIx) -> Millis {
        self.longest.get(&place).copied().unwrap_or(0)
    }

    /// A subject's added sightings, in time order.
    pub(crate) fn of(&self, subject: SubjectId) -> &[(PlaceIx, Stored)] {
        self.by_subject.get(&subject).map_or(&[], Vec::as_slice)
    }

    /// Everything added, with its place, emptied out (for a new layout).
    pub(crate) fn take(&mut self) -> Vec<(PlaceIx, Stored)> {
        let runs = std::mem::take(&mut self.runs);
        *self = Delta::default();
        runs.into_iter()
            .flat_map(|(p, run)| run.into_iter().map(move |s| (p, s)))
            .collect()
    }
}
