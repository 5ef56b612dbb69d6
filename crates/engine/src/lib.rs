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

mod delta;
mod geo;
mod live;
mod score;
mod screen;
mod trace;
mod world;

pub use geo::MultiPolygon;
pub use live::{Fresh, Rebuild};
pub use score::{chance as exposure_chance, params as model, score_before_issue_17};
pub use screen::{
    Alert, FEVER, Phases, Reason, ReasonCode, Screen, ScreenParams, Screening,
    raises_fever_reported,
};
pub use trace::{Contact, Trace, TraceStep};
pub use world::{SubjectId, World, WorldBuilder};

/// Milliseconds, as everywhere in tracegrid.
pub type Millis = i64;

pub const DAY_MS: Millis = 86_400_000;

/// The cores there are to share work among.
pub(crate) fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `f` over `items` on every core, each thread with its own scratch `S`; results in the items'
/// order.
pub(crate) fn parallel<T: Sync, R: Send, S: Default>(
    items: &[T],
    f: impl Fn(&mut S, &T) -> R + Sync,
) -> Vec<R> {
    let cores = crate::cores();
    if cores < 2 || items.len() < 2 {
        let mut scratch = S::default();
        return items.iter().map(|t| f(&mut scratch, t)).collect();
    }
    let chunk = items.len().div_ceil(cores);
    std::thread::scope(|scope| {
        let f = &f;
        let parts: Vec<_> = items
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    let mut scratch = S::default();
                    part.iter().map(|t| f(&mut scratch, t)).collect::<Vec<R>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// Sorts each group `data[bounds[g]..bounds[g + 1]]` with `sort`, the groups shared out among
/// the cores by size.
pub(crate) fn sort_groups<T: Send>(data: &mut [T], bounds: &[u32], sort: impl Fn(&mut [T]) + Sync) {
    let cores = crate::cores();
    let sort_range = |data: &mut [T], groups: &[u32]| {
        let base = groups.first().copied().unwrap_or(0) as usize;
        for g in groups.windows(2) {
            sort(&mut data[g[0] as usize - base..g[1] as usize - base]);
        }
    };
    if cores < 2 || data.len() < 100_000 {
        sort_range(data, bounds);
        return;
    }
    // Cut at the group boundaries nearest to equal shares.
    std::thread::scope(|scope| {
        let mut rest = data;
        let mut groups = bounds;
        for share in 1..cores {
            let target = (bounds[bounds.len() - 1] as usize * share / cores) as u32;
            let cut = groups
                .partition_point(|&b| b < target)
                .max(1)
                .min(groups.len() - 1);
            let (left, right) = rest.split_at_mut((groups[cut] - groups[0]) as usize);
            let (mine, theirs) = (&groups[..=cut], &groups[cut..]);
            let sort_range = &sort_range;
            scope.spawn(move || sort_range(left, mine));
            rest = right;
            groups = theirs;
        }
        sort_range(rest, groups);
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn sort_groups_sorts_each_group_and_only_within_it() {
        // Big enough to take the path that shares groups among threads.
        let mut bounds = vec![0u32];
        let mut data = Vec::new();
        let mut x = 12345u64;
        for g in 0..3000u64 {
            let n = (g * 7919) % 97;
            for _ in 0..n {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                data.push((g, x >> 40));
            }
            bounds.push(data.len() as u32);
        }
        assert!(data.len() >= 100_000);
        let mut want = data.clone();
        want.sort_unstable();
        super::sort_groups(&mut data, &bounds, |g| g.sort_unstable_by_key(|&(_, v)| v));
        assert_eq!(data, want);
    }
}
