//! GeoJSON FeatureCollections (grids.geojson, areas.geojson). The collection is split into its
//! features by a small structural scan, so that one broken feature is rejected with its line and
//! text and the others still load.

use serde_json::Value;

/// One feature of a collection: where it starts, its text, and its parse.
#[derive(Debug)]
pub struct Feature {
    pub line: u64,
    pub raw: String,
    pub value: Result<Value, String>,
}

/// Splits a FeatureCollection into features; an error means the file is not one at all.
pub fn features(text: &str) -> Result<Vec<Feature>, String> {
    let not_fc = |why: &str| format!("not a GeoJSON FeatureCollection: {why}");
    let b = text.as_bytes();
    let mut i = skip_ws(b, 0);
    if b.get(i) != Some(&b'{') {
        return Err(not_fc("it does not start with {"));
    }
    i += 1;
    let mut spans = None;
    loop {
        i = skip_ws(b, i);
        match b.get(i) {
            Some(b'}') => break,
            Some(b',') => {
                i += 1;
                continue;
            }
            Some(b'"') => {}
            _ => return Err(not_fc("malformed JSON object")),
        }
        let key_end = skip_value(b, i).ok_or_else(|| not_fc("malformed key"))?;
        let key: String =
            serde_json::from_str(&text[i..key_end]).map_err(|e| not_fc(&e.to_string()))?;
        i = skip_ws(b, key_end);
        if b.get(i) != Some(&b':') {
            return Err(not_fc("malformed JSON object"));
        }
        i = skip_ws(b, i + 1);
        if key == "features" {
            if b.get(i) != Some(&b'[') {
                return Err(not_fc("\"features\" is not an array"));
            }
            let mut list = Vec::new();
            i += 1;
            loop {
                i = skip_ws(b, i);
                match b.get(i) {
                    Some(b']') => {
                        i += 1;
                        break;
                    }
                    Some(b',') => {
                        i += 1;
                        continue;
                    }
                    Some(_) => {
                        let end = skip_value(b, i).ok_or_else(|| not_fc("a feature is cut off"))?;
                        list.push((i, end));
                        i = end;
                    }
                    None => return Err(not_fc("the features array is not closed")),
                }
            }
            spans = Some(list);
        } else {
            i = skip_value(b, i).ok_or_else(|| not_fc("malformed JSON"))?;
        }
    }
    let spans = spans.ok_or_else(|| not_fc("it has no \"features\""))?;
    let mut line = 1u64;
    let mut counted = 0usize;
    Ok(spans
        .into_iter()
        .map(|(a, z)| {
            line += memchr::memchr_iter(b'\n', &b[counted..a]).count() as u64;
            counted = a;
            let raw = &text[a..z];
            Feature {
                line,
                raw: raw.to_owned(),
                value: serde_json::from_str(raw)
                    .map_err(|e| format!("the feature is not valid JSON: {e}")),
            }
        })
        .collect())
}

fn skip_ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// The end of the JSON value starting at `i`, by structure only.
fn skip_value(b: &[u8], i: usize) -> Option<usize> {
    match *b.get(i)? {
        b'"' => {
            let mut j = i + 1;
            while j < b.len() {
                match b[j] {
                    b'\\' => j += 2,
                    b'"' => return Some(j + 1),
                    _ => j += 1,
                }
            }
            None
        }
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut j = i;
            while j < b.len() {
                match b[j] {
                    b'"' => {
                        j = skip_value(b, j)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(j + 1);
                        }
                    }
                    _ => {}
                }
                j += 1;
            }
            None
        }
        _ => {
            let mut j = i;
            while j < b.len() && !matches!(b[j], b',' | b'}' | b']') && !b[j].is_ascii_whitespace()
            {
                j += 1;
            }
            (j > i).then_some(j)
        }
    }
}

/// Checks a Polygon or MultiPolygon in WGS84 and returns it as compact GeoJSON text.
pub fn check_geometry(g: Option<&Value>) -> Result<String, String> {
    let Some(g) = g.filter(|g| !g.is_null()) else {
        return Err("the feature has no geometry".into());
    };
    let kind = g.get("type").and_then(Value::as_str).unwrap_or("");
    let coords = g
        .get("coordinates")
        .ok_or("the geometry has no coordinates")?;
    match kind {
        "Polygon" => check_polygon(coords)?,
        "MultiPolygon" => {
            let polys = coords
                .as_array()
                .filter(|p| !p.is_empty())
                .ok_or("MultiPolygon coordinates must be a non-empty array of polygons")?;
            for p in polys {
                check_polygon(p)?;
            }
        }
        other => {
            return Err(format!(
                "geometry type {other:?} is not Polygon or MultiPolygon"
            ));
        }
    }
    Ok(serde_json::json!({"type": kind, "coordinates": coords}).to_string())
}

fn check_polygon(p: &Value) -> Result<(), String> {
    let rings = p
        .as_array()
        .filter(|r| !r.is_empty())
        .ok_or("a polygon must be a non-empty array of rings")?;
    for ring in rings {
        let pts = ring
            .as_array()
            .ok_or("a polygon ring must be an array of positions")?;
        if pts.len() < 4 {
            return Err(format!(
                "a polygon ring needs at least 4 positions, found {}",
                pts.len()
            ));
        }
        let mut first = None;
        let mut last = None;
        for pt in pts {
            let xy = pt
                .as_array()
                .filter(|a| a.len() >= 2)
                .ok_or("a position must be [lon, lat]")?;
            let (Some(lon), Some(lat)) = (xy[0].as_f64(), xy[1].as_f64()) else {
                return Err("a position must be [lon, lat] numbers".into());
            };
            if !(-180.0..=180.0).contains(&lon) || !(-90.0..=90.0).contains(&lat) {
                return Err(format!(
                    "position [{lon}, {lat}] is outside WGS84 (lon -180..180, lat -90..90)"
                ));
            }
            first.get_or_insert((lon, lat));
            last = Some((lon, lat));
        }
        if first != last {
            return Err("a polygon ring must end where it starts".into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SQUARE: &str = r#"{"type":"Polygon","coordinates":[[[118.8,28.9],[118.9,28.9],[118.9,29.0],[118.8,28.9]]]}"#;

    #[test]
    fn splits_features_with_lines() {
        let text = format!(
            "{{\"type\": \"FeatureCollection\",\n \"features\": [\n  {{\"type\":\"Feature\",\"properties\":{{\"code\":\"a]\"}},\"geometry\":{SQUARE}}},\n  {{\"broken\": }},\n  {{\"type\":\"Feature\"}}\n]}}"
        );
        let f = features(&text).unwrap();
        assert_eq!(f.len(), 3);
        assert_eq!(f[0].line, 3);
        assert_eq!(f[0].value.as_ref().unwrap()["properties"]["code"], "a]");
        assert_eq!(f[1].line, 4);
        assert!(f[1].value.is_err());
        assert_eq!(f[2].line, 5);
    }

    #[test]
    fn refuses_what_is_not_a_collection() {
        assert!(features("[1,2]").is_err());
        assert!(features("{\"type\":\"FeatureCollection\"}").is_err());
        assert!(features("{\"features\": [ {\"a\":1} ").is_err());
    }

    #[test]
    fn checks_geometry() {
        let g: Value = serde_json::from_str(SQUARE).unwrap();
        assert!(check_geometry(Some(&g)).is_ok());
        let open: Value =
            serde_json::from_str(r#"{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,2]]]}"#)
                .unwrap();
        assert!(
            check_geometry(Some(&open))
                .unwrap_err()
                .contains("end where it starts")
        );
        let point: Value = serde_json::from_str(r#"{"type":"Point","coordinates":[1,1]}"#).unwrap();
        assert!(check_geometry(Some(&point)).is_err());
        assert!(check_geometry(None).is_err());
    }
}
