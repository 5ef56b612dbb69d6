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
}
