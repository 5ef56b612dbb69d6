//! The API's own views of the city, beside the contract's (alerts and traces, in
//! `tracegrid_city::views`): a person's record, a place, a stretch of a trajectory with its
//! place. Typed, so that the OpenAPI document describes every answer.

use serde::Serialize;
use tracegrid_city::City;
use tracegrid_engine::{SubjectId, TraceStep};
use tracegrid_model::mask;
use utoipa::ToSchema;

/// A registered person's record; numbers masked unless revealed.
#[derive(Debug, Serialize, ToSchema)]
pub struct PersonView {
    pub person_id: String,
    pub id_number: String,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub household_id: Option<String>,
    pub address: Option<String>,
    pub grid_code: Option<String>,
    pub grid_name: Option<String>,
}

/// The registered person behind a subject (`None` for a plate or a phone nobody is known by).
pub fn person(city: &City, s: SubjectId, reveal: bool) -> Option<PersonView> {
    let p = city.person(s)?;
    Some(PersonView {
        person_id: p.person_id.clone(),
        id_number: if reveal {
            p.id_number.clone()
        } else {
            mask::id_number(&p.id_number)
        },
        name: p.name.clone(),
        phone: p
            .phone
            .as_deref()
            .map(|v| if reveal { v.to_owned() } else { mask::phone(v) }),
        household_id: p.household_id.clone(),
        address: p.address.clone(),
        grid_code: p.grid_code.clone(),
        grid_name: p
            .grid_code
            .as_deref()
            .and_then(|g| city.region_names.get(g).cloned()),
    })
}

/// A place as the pages show it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceView {
    pub place_id: String,
    /// The contract's place kind (train_car, hotel, …).
    pub kind: &'static str,
    pub name: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub region_code: Option<String>,
    pub grid_code: Option<String>,
}

pub fn place(city: &City, place: u32) -> PlaceView {
    let id = city.world.place_id(place);
    let info = city.places.get(id);
    PlaceView {
        place_id: id.to_owned(),
        kind: city.world.place_kind(place).as_str(),
        name: info.and_then(|i| i.name.clone()),
        lat: info.and_then(|i| i.lat),
        lon: info.and_then(|i| i.lon),
        region_code: city.world.place_region(place).map(str::to_owned),
        grid_code: info.and_then(|i| i.grid_code.clone()),
    }
}

/// A stretch of a trajectory, with its place.
#[derive(Debug, Serialize, ToSchema)]
pub struct SightingView {
    pub place: PlaceView,
    pub start: String,
    pub end: String,
    /// The source the sighting came from (rail, hotel, gate, …).
    pub source: String,
}

pub fn sighting(city: &City, s: &TraceStep) -> SightingView {
    SightingView {
        place: place(city, s.place),
        start: city.time(s.start),
        end: city.time(s.end),
        source: city.world.source_name(s.source).to_owned(),
    }
}

/// Bytes as they are: a photo, a zip.
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Binary(pub Vec<u8>);
