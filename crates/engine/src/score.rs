//! An alert's score: how urgently a grid worker should reach the subject (docs/SCORING.md).
//!
//! Each reason has a weight for how likely it is to mean an infection — a close contact of a
//! confirmed case most, a medicine purchase least — discounted by how long ago its evidence is
//! (half of it fades over a week: infections show within about two) and, for contacts, by how
//! sure the case is. Reasons combine like independent chances: `1 - Π(1 - wᵢ)`, so that two
//! reasons rank above either alone and the score stays within [0, 1].

use tracegrid_model::{CaseStatus, Risk};

use crate::screen::{Reason, ReasonCode};
use crate::world::World;
use crate::{DAY_MS, Millis};

fn weight(world: &World, r: &Reason) -> f64 {
    let base = match r.code {
        ReasonCode::CloseContact => 0.9,
        ReasonCode::SecondaryContact => 0.45,
        ReasonCode::GeneralContact => 0.4,
        ReasonCode::EpiArea => match r.area.map(|a| world.areas[a as usize].risk) {
            Some(Risk::High) | None => 0.6,
            Some(Risk::Medium) => 0.4,
            Some(Risk::Low) => 0.2,
        },
        ReasonCode::DeliveryFromArea => 0.1,
        ReasonCode::FeverMedicine => 0.3,
        // A fever measured or a symptom named: a little more than a medicine bought, which
        // may be for someone else or for a cold; still a sign of illness, not of exposure.
        ReasonCode::FeverReported => 0.35,
        ReasonCode::OutsideArrival => 0.2,
    };
    let case_certainty = match r
        .case
        .and_then(|c| world.active_case.get(&c))
        .map(|&i| world.cases[i as usize].status)
    {
        Some(CaseStatus::Confirmed) | None => 1.0,
        Some(CaseStatus::Asymptomatic) => 0.9,
        Some(_) => 0.6,
    };
    base * case_certainty
}

pub(crate) fn score(world: &World, reasons: &[Reason], as_of: Millis) -> f64 {
    let miss: f64 = reasons
        .iter()
        .map(|r| {
            let age_days = (as_of - r.at).max(0) as f64 / DAY_MS as f64;
            let recency = 0.5 + 0.5 * (-age_days / 7.0).exp();
            1.0 - weight(world, r) * recency
        })
        .product();
    ((1.0 - miss) * 1000.0).round() / 1000.0
}
