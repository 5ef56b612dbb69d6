//! An alert's score: the chance that the subject is infected now and not yet a case
//! (docs/SCREENING.md, "The model").
//!
//! Each reason carries a hazard, the −ln of the chance of escaping it: for a contact, the hours
//! together with the case at that place's tier, weighted by how infectious the case was at that
//! moment (from about two days before onset, highest around onset), or the days shared in its
//! household; for a secondary contact, the chance the close contact it came through was
//! infected times the hours with them weighted by the chance they were infectious by then; for
//! an epidemic area, the hours spent there by its risk. Hazards are whole millionths, so that
//! however a subject's evidence is gathered (a full screening or an update) it adds up to the
//! same number.
//!
//! The hazards combine into the chance of an infection, and each exposure is discounted by the
//! chance that an infection that old would still be unconfirmed: a person exposed a fortnight
//! ago who has not become a case is probably not infected. A fever reported or a fever
//! medicine bought is evidence, not exposure: it multiplies the odds of the infections that
//! could have caused it (those from exposures at least a day before it, and the city's
//! background), so that a fever after an exposure counts for far more than either alone.

use std::sync::OnceLock;

use tracegrid_model::{CaseStatus, Risk, Tier};

use crate::screen::{Reason, ReasonCode};
use crate::world::{Case, World};
use crate::{DAY_MS, Millis};

const HOUR_MS: Millis = 3_600_000;

/// The model's parameters, in one place (docs/SCREENING.md gives their sources).
pub mod params {
    /// Hazard per hour together at a tier-close place (train car, bus, internet café, …) with a
    /// case at its most infectious.
    pub const CLOSE_PER_HOUR: f64 = 0.02;
    /// … at a tier-general place (shop, workplace, restaurant, school, …).
    pub const GENERAL_PER_HOUR: f64 = 0.002;
    /// The shortest co-presence counted: two sightings within a place's tolerance that do not
    /// overlap still met for about this long.
    pub const SHORTEST_MINUTES: f64 = 5.0;
    /// Hazard per day in the household of a case at its most infectious.
    pub const HOUSEHOLD_PER_DAY: f64 = 0.03;
    /// How much a case's status counts: confirmed, asymptomatic (less infectious), suspected
    /// (may not be infected at all).
    pub const CONFIRMED: f64 = 1.0;
    pub const ASYMPTOMATIC: f64 = 0.5;
    pub const SUSPECTED: f64 = 0.4;
    /// Hazard per hour in an epidemic area of high, medium and low risk.
    pub const AREA_HIGH_PER_HOUR: f64 = 0.0005;
    pub const AREA_MEDIUM_PER_HOUR: f64 = 0.0002;
    pub const AREA_LOW_PER_HOUR: f64 = 0.00005;
    /// The least time an EPI_AREA counts for, in hours (a sighting without a length).
    pub const AREA_LEAST_HOURS: f64 = 1.0;
    /// Chance of an infection brought back from outside the home region.
    pub const ARRIVAL: f64 = 0.001;
    /// Chance of an infection from a parcel out of an epidemic area.
    pub const DELIVERY: f64 = 0.0001;
    /// Likelihood ratios of a reported fever or symptom, and of a fever medicine bought.
    pub const FEVER_REPORTED_LR: f64 = 10.0;
    pub const FEVER_MEDICINE_LR: f64 = 4.0;
    /// The background chance of an unconfirmed infection no known case explains: what a
    /// reported fever or a medicine bought raises when nothing else does.
    pub const BACKGROUND: f64 = 0.001;
    /// The course of an infection: incubation lognormal (median and log-spread), infectious
    /// from this many days before onset, confirmed (or isolated) after onset in a delay
    /// exponential with this mean, never confirmed with this chance (no symptoms).
    pub const INCUBATION_MEDIAN_DAYS: f64 = 5.1;
    pub const INCUBATION_LOG_SD: f64 = 0.47;
    pub const PRESYMPTOMATIC_DAYS: f64 = 2.3;
    pub const ONSET_TO_CONFIRMED_DAYS: f64 = 4.0;
    pub const NEVER_CONFIRMED: f64 = 0.2;
}
use params::*;

/// Hazards are kept in whole millionths.
pub(crate) const HAZARD_UNIT: f64 = 1e-6;

pub(crate) fn to_units(hazard: f64) -> u32 {
    (hazard / HAZARD_UNIT).round().clamp(0.0, u32::MAX as f64) as u32
}

/// The chance of an infection from a hazard of `units` millionths ([`crate::Reason::hazard`]).
pub fn chance(units: u64) -> f64 {
    1.0 - (-(units as f64) * HAZARD_UNIT).exp()
}

/// A case's infectiousness at `t`, relative to its peak: rising from about two days before
/// onset, highest from a day before to two days after, falling over the week after.
fn infectiousness(c: &Case, t: Millis) -> f64 {
    let onset = c.onset.unwrap_or(c.confirmed);
    let d = (t - onset) as f64 / DAY_MS as f64;
    let shape = match d {
        d if d < -3.0 => 0.0,
        d if d < -1.0 => 0.2 + 0.4 * (d + 3.0),
        d if d < 2.0 => 1.0,
        d if d < 7.0 => 1.0 - 0.15 * (d - 2.0),
        d if d < 14.0 => 0.25 - 0.03 * (d - 7.0),
        _ => 0.0,
    };
    shape.max(0.0) * certainty(c.status)
}

fn certainty(status: CaseStatus) -> f64 {
    match status {
        CaseStatus::Confirmed => CONFIRMED,
        CaseStatus::Asymptomatic => ASYMPTOMATIC,
        _ => SUSPECTED,
    }
}

/// The unweighted hazard of being together over `[start, end]` at a place of `tier`: its rate
/// an hour times the hours, at least [`SHORTEST_MINUTES`].
fn together(tier: Tier, start: Millis, end: Millis) -> f64 {
    let minutes = ((end - start) as f64 / 60_000.0).max(SHORTEST_MINUTES);
    let rate = if tier == Tier::Close {
        CLOSE_PER_HOUR
    } else {
        GENERAL_PER_HOUR
    };
    rate * minutes / 60.0
}

/// The hazard of sharing a household over `[from, to]`, each day (or part of one) weighted by
/// `weight` at its start.
fn household(from: Millis, to: Millis, weight: impl Fn(Millis) -> f64) -> f64 {
    let mut h = 0.0;
    let mut t = from;
    while t <= to {
        let next = (t + DAY_MS).min(to + 1);
        h += HOUSEHOLD_PER_DAY * (next - t) as f64 / DAY_MS as f64 * weight(t);
        t = next;
    }
    h
}

/// Millionths of hazard of one co-presence with case `c` at a place of `tier`.
pub(crate) fn contact_units(c: &Case, tier: Tier, start: Millis, end: Millis, at: Millis) -> u32 {
    to_units(together(tier, start, end) * infectiousness(c, at))
}

/// Millionths of hazard of sharing case `c`'s household over `[from, to]`.
pub(crate) fn household_units(c: &Case, from: Millis, to: Millis) -> u32 {
    to_units(household(from, to, |t| infectiousness(c, t)))
}

/// Millionths of hazard of a co-presence with a close contact first exposed at `exposed`: the
/// hours weighted by the chance its infection, if any, had become infectious by `at`. The
/// chance that it is infected at all is applied when the alert is assembled.
pub(crate) fn chained_units(
    tier: Tier,
    start: Millis,
    end: Millis,
    exposed: Millis,
    at: Millis,
) -> u32 {
    to_units(together(tier, start, end) * Course::get().infectious(at - exposed))
}

/// … and of sharing that close contact's household over `[from, to]`.
pub(crate) fn chained_household_units(exposed: Millis, from: Millis, to: Millis) -> u32 {
    to_units(household(from, to, |t| {
        Course::get().infectious(t - exposed)
    }))
}

/// Millionths of hazard of `hours` in an epidemic area of `risk`.
pub(crate) fn area_units(risk: Risk, hours: f64) -> u32 {
    let rate = match risk {
        Risk::High => AREA_HIGH_PER_HOUR,
        Risk::Medium => AREA_MEDIUM_PER_HOUR,
        Risk::Low => AREA_LOW_PER_HOUR,
    };
    to_units(rate * hours.max(AREA_LEAST_HOURS))
}

/// Millionths of hazard of a reason whose hazard does not grow with time: an arrival, a parcel;
/// zero for the evidence reasons.
pub(crate) fn fixed_units(code: ReasonCode) -> u32 {
    match code {
        ReasonCode::OutsideArrival => to_units(-(1.0 - ARRIVAL).ln()),
        ReasonCode::DeliveryFromArea => to_units(-(1.0 - DELIVERY).ln()),
        _ => 0,
    }
}

/// The course of an infection as tables by the hour since infection: the chance it is still
/// unconfirmed, and the chance it is infectious and not yet isolated.
struct Course {
    unconfirmed: Vec<f64>,
    infectious: Vec<f64>,
}

const COURSE_HOURS: usize = 40 * 24;

impl Course {
    fn get() -> &'static Course {
        static COURSE: OnceLock<Course> = OnceLock::new();
        COURSE.get_or_init(Course::tabulate)
    }

    /// Integrates the course over a grid of incubation and delay quantiles.
    fn tabulate() -> Course {
        const N: usize = 400;
        let mut confirmed_by = vec![0.0; COURSE_HOURS + 2];
        let mut infectious = vec![0.0; COURSE_HOURS + 2];
        let hour = |days: f64| ((days * 24.0).ceil().max(0.0) as usize).min(COURSE_HOURS + 1);
        let w = 1.0 / (N * N) as f64;
        for i in 0..N {
            let u = (i as f64 + 0.5) / N as f64;
            let incubation =
                INCUBATION_MEDIAN_DAYS * (INCUBATION_LOG_SD * normal_quantile(u)).exp();
            for j in 0..N {
                let v = (j as f64 + 0.5) / N as f64;
                let delay = -ONSET_TO_CONFIRMED_DAYS * (1.0 - v).ln();
                let confirmed = incubation + delay;
                let from = (incubation - PRESYMPTOMATIC_DAYS).max(0.0);
                confirmed_by[hour(confirmed)] += w * (1.0 - NEVER_CONFIRMED);
                // Isolated when confirmed; without symptoms, infectious for about ten days
                // from then, and never isolated.
                infectious[hour(from)] += w;
                infectious[hour(confirmed)] -= w * (1.0 - NEVER_CONFIRMED);
                infectious[hour(from + 10.0)] -= w * NEVER_CONFIRMED;
            }
        }
        let (mut c, mut f) = (0.0, 0.0);
        let mut course = Course {
            unconfirmed: Vec::with_capacity(COURSE_HOURS + 1),
            infectious: Vec::with_capacity(COURSE_HOURS + 1),
        };
        for h in 0..=COURSE_HOURS {
            c += confirmed_by[h];
            f += infectious[h];
            course.unconfirmed.push((1.0 - c).clamp(0.0, 1.0));
            course.infectious.push(f.clamp(0.0, 1.0));
        }
        course
    }

    fn look(table: &[f64], age: Millis) -> f64 {
        table[((age / HOUR_MS) as usize).min(COURSE_HOURS)]
    }

    fn unconfirmed(&self, age: Millis) -> f64 {
        if age < 0 {
            1.0
        } else {
            Course::look(&self.unconfirmed, age)
        }
    }

    fn infectious(&self, age: Millis) -> f64 {
        if age < 0 {
            0.0
        } else {
            Course::look(&self.infectious, age)
        }
    }
}

/// The standard normal distribution's quantile (Acklam's rational approximation, relative error
/// below 1.2e-9).
fn normal_quantile(p: f64) -> f64 {
    const A: [f64; 6] = [
        -3.969683028665376e1,
        2.209460984245205e2,
        -2.759285104469687e2,
        1.383_577_518_672_69e2,
        -3.066479806614716e1,
        2.506628277459239,
    ];
    const B: [f64; 5] = [
        -5.447609879822406e1,
        1.615858368580409e2,
        -1.556989798598866e2,
        6.680131188771972e1,
        -1.328068155288572e1,
    ];
    const C: [f64; 6] = [
        -7.784894002430293e-3,
        -3.223964580411365e-1,
        -2.400758277161838,
        -2.549732539343734,
        4.374664141464968,
        2.938163982698783,
    ];
    const D: [f64; 4] = [
        7.784695709041462e-3,
        3.224671290700398e-1,
        2.445134137142996,
        3.754408661907416,
    ];
    let tail = |q: f64| {
        (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5])
            / ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1.0)
    };
    if p < 0.02425 {
        tail((-2.0 * p.ln()).sqrt())
    } else if p > 1.0 - 0.02425 {
        -tail((-2.0 * (1.0 - p).ln()).sqrt())
    } else {
        let q = p - 0.5;
        let r = q * q;
        (((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q
            / (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1.0)
    }
}

/// The chance that the subject of `reasons` is infected now and not yet a case (see the
/// module's documentation).
pub(crate) fn score(reasons: &[Reason], as_of: Millis) -> f64 {
    let course = Course::get();
    let fever = reasons
        .iter()
        .filter(|r| {
            matches!(
                r.code,
                ReasonCode::FeverReported | ReasonCode::FeverMedicine
            )
        })
        .map(|r| r.at)
        .min();
    let ratio: f64 = reasons
        .iter()
        .map(|r| match r.code {
            ReasonCode::FeverReported => FEVER_REPORTED_LR,
            ReasonCode::FeverMedicine => FEVER_MEDICINE_LR,
            _ => 1.0,
        })
        .product();
    // log-chances of escaping: every exposure; the unconfirmed infections among those that
    // could and could not have caused the fever.
    let (mut escape, mut hidden_before, mut hidden_after) = (0.0, 0.0, 0.0);
    let mut add = |p: f64, at: Option<Millis>| {
        if p <= 0.0 {
            return;
        }
        escape += (1.0 - p).ln();
        let h = p * at.map_or(1.0, |at| course.unconfirmed(as_of - at));
        let explains = match (fever, at) {
            (Some(f), Some(at)) => at + DAY_MS <= f,
            _ => true,
        };
        if explains {
            hidden_before += (1.0 - h).ln();
        } else {
            hidden_after += (1.0 - h).ln();
        }
    };
    add(BACKGROUND, None);
    for r in reasons {
        add(chance(r.hazard), Some(r.at));
    }
    let infected = 1.0 - escape.exp();
    let before = 1.0 - f64::exp(hidden_before);
    let after = 1.0 - f64::exp(hidden_after);
    let yes = ratio * before + after;
    let p = yes / (yes + (1.0 - infected).max(0.0));
    (p.clamp(0.0, 1.0) * 1e6).round() / 1e6
}

/// The score before it was a probability (fixed weights combined as independent chances), kept
/// as the peer `tracegrid bench ranking` measures the probability against.
pub fn score_before_issue_17(world: &World, reasons: &[Reason], as_of: Millis) -> f64 {
    let miss: f64 = reasons
        .iter()
        .map(|r| {
            let age_days = (as_of - r.at).max(0) as f64 / DAY_MS as f64;
            let recency = 0.5 + 0.5 * (-age_days / 7.0).exp();
            1.0 - weight_before(world, r) * recency
        })
        .product();
    ((1.0 - miss) * 1000.0).round() / 1000.0
}

fn weight_before(world: &World, r: &Reason) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_tables_are_chances_that_move_the_right_way() {
        let c = Course::get();
        assert_eq!(c.unconfirmed(0), 1.0);
        assert!(c.unconfirmed(5 * DAY_MS) > c.unconfirmed(10 * DAY_MS));
        // Never confirmed stays: the table ends at the share that never is.
        let last = c.unconfirmed(39 * DAY_MS);
        assert!((last - NEVER_CONFIRMED).abs() < 0.02, "{last}");
        // Infectious from a little over two days before onset: a few infections at once.
        assert!(c.infectious(0) < 0.1, "{}", c.infectious(0));
        assert_eq!(c.infectious(-1), 0.0);
        let peak = (0..20)
            .map(|d| c.infectious(d * DAY_MS))
            .fold(0.0, f64::max);
        assert!(peak > 0.5 && peak <= 1.0, "{peak}");
        assert!(c.infectious(4 * DAY_MS) > c.infectious(DAY_MS));
    }

    const T: Millis = 100 * DAY_MS;

    fn reason(code: ReasonCode, at: Millis, hazard: u32) -> Reason {
        Reason {
            code,
            case: Some(1),
            area: None,
            place: None,
            at,
            degree: Some(1),
            via: None,
            hazard: u64::from(hazard),
        }
    }

    fn case() -> Case {
        Case {
            subject: 1,
            status: CaseStatus::Confirmed,
            onset: Some(T - 3 * DAY_MS),
            confirmed: T - DAY_MS,
            isolated: Some(T - DAY_MS),
        }
    }

    #[test]
    fn a_household_member_outranks_fifteen_brief_general_contacts() {
        let c = case();
        let home = reason(
            ReasonCode::CloseContact,
            T - 5 * DAY_MS,
            household_units(&c, T - 5 * DAY_MS, T - DAY_MS),
        );
        let brief: u32 = (0..15)
            .map(|i| {
                let at = T - 4 * DAY_MS + i * 3_600_000;
                contact_units(&c, Tier::General, at, at + 5 * 60_000, at)
            })
            .sum();
        let shops = reason(ReasonCode::GeneralContact, T - 4 * DAY_MS, brief);
        assert!(score(&[home], T) > 3.0 * score(&[shops], T));
    }

    #[test]
    fn a_fever_after_an_exposure_counts_for_more_than_either_alone() {
        let c = case();
        let bus = contact_units(
            &c,
            Tier::Close,
            T - 3 * DAY_MS,
            T - 3 * DAY_MS + 1_800_000,
            T - 3 * DAY_MS,
        );
        let exposed = reason(ReasonCode::CloseContact, T - 3 * DAY_MS, bus);
        let fever = |at| Reason {
            case: None,
            degree: None,
            ..reason(ReasonCode::FeverReported, at, 0)
        };
        let both = score(&[exposed.clone(), fever(T - DAY_MS)], T);
        let alone = score(std::slice::from_ref(&exposed), T);
        assert!(both > 3.0 * alone, "{both} {alone}");
        assert!(both > 5.0 * score(&[fever(T - DAY_MS)], T));
        // A fever the day before the exposure cannot come from it.
        let before = score(&[exposed, fever(T - 4 * DAY_MS)], T);
        assert!(before < both / 2.0, "{before} {both}");
    }

    #[test]
    fn an_old_exposure_that_became_no_case_counts_for_less() {
        let recent = reason(ReasonCode::CloseContact, T - 2 * DAY_MS, 50_000);
        let old = reason(ReasonCode::CloseContact, T - 13 * DAY_MS, 50_000);
        assert!(score(&[recent], T) > 2.0 * score(&[old], T));
    }

    #[test]
    fn a_case_is_most_infectious_around_onset() {
        let c = case();
        let onset = c.onset.unwrap();
        let at = |t: Millis| contact_units(&c, Tier::Close, t, t + 3_600_000, t);
        assert!(at(onset) > at(onset - 2 * DAY_MS));
        assert!(at(onset) > at(onset + 8 * DAY_MS));
        assert_eq!(at(onset - 4 * DAY_MS), 0);
        let suspected = Case {
            status: CaseStatus::Suspected,
            ..c
        };
        assert!(
            contact_units(&suspected, Tier::Close, onset, onset + 3_600_000, onset) < at(onset)
        );
    }

    #[test]
    fn normal_quantile_is_the_inverse_of_the_normal_cdf() {
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-5);
        assert!((normal_quantile(0.01) + 2.326348).abs() < 1e-5);
    }
}
