//! Point in polygon for areas drawn as GeoJSON polygons (areas.geojson).

use serde_json::Value;

/// A polygon's rings (the first the outer boundary, the rest holes), as (lon, lat) points.
#[derive(Clone, Debug, Default)]
pub struct MultiPolygon(pub Vec<Vec<Vec<(f64, f64)>>>);

impl MultiPolygon {
    /// Reads GeoJSON geometry text (Polygon or MultiPolygon); anything else is empty.
    pub fn from_geojson(text: &str) -> MultiPolygon {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return MultiPolygon::default();
        };
        let ring = |r: &Value| -> Vec<(f64, f64)> {
            r.as_array()
                .into_iter()
                .flatten()
                .filter_map(|p| Some((p.get(0)?.as_f64()?, p.get(1)?.as_f64()?)))
                .collect()
        };
        let poly = |p: &Value| -> Vec<Vec<(f64, f64)>> {
            p.as_array().into_iter().flatten().map(ring).collect()
        };
        let coords = &v["coordinates"];
        MultiPolygon(match v["type"].as_str() {
            Some("Polygon") => vec![poly(coords)],
            Some("MultiPolygon") => coords.as_array().into_iter().flatten().map(poly).collect(),
            _ => vec![],
        })
    }

    /// Whether (lon, lat) lies inside: inside an outer ring and outside its holes. Points on the
    /// boundary may fall either way.
    pub fn contains(&self, lon: f64, lat: f64) -> bool {
        self.0.iter().any(|rings| {
            let mut it = rings.iter();
            it.next().is_some_and(|outer| in_ring(outer, lon, lat))
                && !it.any(|hole| in_ring(hole, lon, lat))
        })
    }
}

impl MultiPolygon {
    /// The bounding box (min lon, min lat, max lon, max lat), or `None` when empty.
    pub fn bbox(&self) -> Option<[f64; 4]> {
        let mut points = self.0.iter().flatten().flatten();
        let &(x, y) = points.next()?;
        Some(points.fold([x, y, x, y], |[a, b, c, d], &(x, y)| {
            [a.min(x), b.min(y), c.max(x), d.max(y)]
        }))
    }
}

/// A static R-tree over points (the places with coordinates), packed bottom-up by the
/// sort-tile-recursive method: leaves of [`FANOUT`] points that are near each other, then nodes of
/// [`FANOUT`] leaves, up to one root. Answers "which points lie in this box" by descending only
/// into nodes whose box meets it.
#[derive(Debug, Default)]
pub struct PointTree {
    /// The points, reordered so that each leaf's are contiguous: (lon, lat, the caller's id).
    points: Vec<(f64, f64, u32)>,
    /// Levels from the leaves up; each node's box and the range of children (points for the
    /// first level, nodes of the level below for the others).
    levels: Vec<Vec<([f64; 4], std::ops::Range<usize>)>>,
}

const FANOUT: usize = 16;

impl PointTree {
    pub fn new(mut points: Vec<(f64, f64, u32)>) -> PointTree {
        // Vertical slices by longitude, each sorted by latitude, cut into leaves.
        let leaves = points.len().div_ceil(FANOUT).max(1);
        let slices = (leaves as f64).sqrt().ceil() as usize;
        let per_slice = slices * FANOUT;
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        for slice in points.chunks_mut(per_slice) {
            slice.sort_by(|a, b| a.1.total_cmp(&b.1));
        }
        let bbox_of = |it: &mut dyn Iterator<Item = [f64; 4]>| {
            it.fold(
                [f64::MAX, f64::MAX, f64::MIN, f64::MIN],
                |[a, b, c, d], [x0, y0, x1, y1]| [a.min(x0), b.min(y0), c.max(x1), d.max(y1)],
            )
        };
        let mut level: Vec<([f64; 4], std::ops::Range<usize>)> = (0..points.len())
            .step_by(FANOUT)
            .map(|i| {
                let r = i..(i + FANOUT).min(points.len());
                let b = bbox_of(&mut points[r.clone()].iter().map(|p| [p.0, p.1, p.0, p.1]));
                (b, r)
            })
            .collect();
        let mut levels = Vec::new();
        while level.len() > 1 {
            let up = (0..level.len())
                .step_by(FANOUT)
                .map(|i| {
                    let r = i..(i + FANOUT).min(level.len());
                    (bbox_of(&mut level[r.clone()].iter().map(|n| n.0)), r)
                })
                .collect();
            levels.push(std::mem::replace(&mut level, up));
        }
        levels.push(level);
        PointTree { points, levels }
    }

    /// Calls `f(lon, lat, id)` for every point inside `bbox` (edges included).
    pub fn within(&self, bbox: [f64; 4], mut f: impl FnMut(f64, f64, u32)) {
        let meets =
            |b: &[f64; 4]| b[0] <= bbox[2] && b[2] >= bbox[0] && b[1] <= bbox[3] && b[3] >= bbox[1];
        let top = self.levels.len().saturating_sub(1);
        let Some(roots) = self.levels.get(top) else {
            return;
        };
        let mut stack: Vec<(usize, usize)> = (0..roots.len()).map(|i| (top, i)).collect();
        while let Some((lv, i)) = stack.pop() {
            let (b, r) = &self.levels[lv][i];
            if !meets(b) {
                continue;
            }
            if lv == 0 {
                for &(x, y, id) in &self.points[r.clone()] {
                    if meets(&[x, y, x, y]) {
                        f(x, y, id);
                    }
                }
            } else {
                stack.extend(r.clone().map(|c| (lv - 1, c)));
            }
        }
    }

    /// The ids of the points inside `poly`, sorted.
    pub fn inside(&self, poly: &MultiPolygon) -> Vec<u32> {
        let mut ids = Vec::new();
        if let Some(bbox) = poly.bbox() {
            self.within(bbox, |x, y, id| {
                if poly.contains(x, y) {
                    ids.push(id);
                }
            });
        }
        ids.sort_unstable();
        ids
    }
}

/// Even-odd ray casting.
fn in_ring(ring: &[(f64, f64)], x: f64, y: f64) -> bool {
    let mut inside = false;
    let mut j = ring.len().wrapping_sub(1);
    for i in 0..ring.len() {
        let (xi, yi) = ring[i];
        let (xj, yj) = ring[j];
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squares_with_holes() {
        let p = MultiPolygon::from_geojson(
            r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}"#,
        );
        assert!(p.contains(1.0, 1.0));
        assert!(!p.contains(5.0, 5.0));
        assert!(!p.contains(11.0, 5.0));
        assert!(!MultiPolygon::from_geojson("nonsense").contains(0.0, 0.0));
    }

    #[test]
    fn the_tree_finds_what_a_scan_finds() {
        // A 60 × 60 lattice with a few points stacked: every box and polygon query must return
        // exactly the points a plain scan returns.
        let mut points = Vec::new();
        for i in 0..3600u32 {
            points.push((f64::from(i % 60) * 0.5, f64::from(i / 60) * 0.25, i));
        }
        points.push((3.0, 3.0, 5000));
        points.push((3.0, 3.0, 5001));
        let tree = PointTree::new(points.clone());
        let poly = MultiPolygon::from_geojson(
            r#"{"type":"Polygon","coordinates":[[[1.2,0.4],[20.3,2.1],[12.7,11.9],[1.2,0.4]],[[8,3],[10,3],[10,5],[8,5],[8,3]]]}"#,
        );
        let mut want: Vec<u32> = points
            .iter()
            .filter(|p| poly.contains(p.0, p.1))
            .map(|p| p.2)
            .collect();
        want.sort_unstable();
        assert!(want.len() > 100);
        assert_eq!(tree.inside(&poly), want);
        for bbox in [
            [0.0, 0.0, 0.0, 0.0],
            [3.0, 3.0, 3.0, 3.0],
            [-5.0, -5.0, 100.0, 100.0],
            [7.1, 2.2, 9.9, 3.3],
        ] {
            let mut got = Vec::new();
            tree.within(bbox, |_, _, id| got.push(id));
            got.sort_unstable();
            let mut want: Vec<u32> = points
                .iter()
                .filter(|p| p.0 >= bbox[0] && p.0 <= bbox[2] && p.1 >= bbox[1] && p.1 <= bbox[3])
                .map(|p| p.2)
                .collect();
            want.sort_unstable();
            assert_eq!(got, want, "box {bbox:?}");
        }
        assert!(PointTree::new(Vec::new()).inside(&poly).is_empty());
    }
}
