//! Areas and cases as they arrive through the API: a JSON object with the fields of the
//! contract's file (CONTRACT.md section 1, `areas`, `areas.geojson`, `cases`), checked by the
//! importer's own rules so that an area or a case is held to one set of rules however it
//! arrives.

use serde_json::{Map, Value};
use tracegrid_ingest::FileKind;
use tracegrid_ingest::convert::{self, Regions};
use tracegrid_ingest::read::Row;
use tracegrid_model::TimeReader;
use tracegrid_model::rows::{AreaRow, CaseRow};

use crate::city::City;
use crate::error::{CityError, CityResult};

impl Regions for City {
    fn has_region(&self, code: &str) -> bool {
        self.world.region(code).is_some()
    }
}

fn row(kind: FileKind, obj: &Map<String, Value>) -> CityResult<Row> {
    let raw = Value::Object(obj.clone()).to_string();
    Row::from_object(1, &raw, kind.fields(), obj).map_err(CityError::Invalid)
}

/// An epidemic area: by `region_code`, or drawn as a GeoJSON `geometry` (one or the other).
pub fn area(city: &City, obj: &Map<String, Value>) -> CityResult<AreaRow> {
    let geometry = obj.get("geometry").filter(|g| !g.is_null());
    let region = obj
        .get("region_code")
        .filter(|r| !r.is_null() && r.as_str() != Some(""));
    let (kind, geometry) = match (region, geometry) {
        (Some(_), Some(_)) => {
            return Err(CityError::Invalid(
                "give region_code or geometry, not both".into(),
            ));
        }
        (None, Some(g)) => (
            FileKind::AreasGeo,
            Some(
                tracegrid_ingest::geojson::check_geometry(Some(g))
                    .map_err(|e| CityError::Invalid(format!("geometry: {e}")))?,
            ),
        ),
        (None, None) => {
            return Err(CityError::Invalid(
                "give region_code or geometry: an area by its region, or one drawn as a polygon"
                    .into(),
            ));
        }
        (Some(_), None) => (FileKind::Areas, None),
    };
    let mut tr = TimeReader::new(city.settings.zone);
    convert::area_row(kind, &row(kind, obj)?, geometry, city, &mut tr).map_err(CityError::Invalid)
}

/// A case: `subject` (a resident ID number), `status`, `onset`, `confirmed`, `isolated`.
pub fn case(city: &City, obj: &Map<String, Value>) -> CityResult<CaseRow> {
    let mut tr = TimeReader::new(city.settings.zone);
    convert::case_row(&row(FileKind::Cases, obj)?, &mut tr).map_err(CityError::Invalid)
}
