//! The contract's JSON for alerts and traces (CONTRACT.md section 3), written once for the
//! command line, the API and the tasks, with what a reader may not see masked or withheld.
//!
//! A subject that the registries do not resolve is named by its value (`phone:13800001234`);
//! shown masked, it could no longer be asked for by name, so a masked subject carries a `ref`
//! (`~123.5f0c…`) that [`crate::City::find_subject`] takes back. A ref is the subject's number
//! and a 64-bit keyed hash of its name under a key this process drew at random: it cannot be
//! forged, enumerated, or reversed to the hidden digits offline, and a stale ref (from before a
//! reload or a restart) names no one rather than someone else.

use std::borrow::Cow;

use serde::Serialize;
use tracegrid_engine::{Alert, Reason, SubjectId, Trace, World};
use tracegrid_model::{Millis, mask};

/// How much of an alert a reader may see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shown {
    /// Full ID numbers, phones and plates rather than masked ones.
    pub full_ids: bool,
    /// Which cases and close contacts a reason names; a grid worker sees only that there was a
    /// case, not who.
    pub links: bool,
}

impl Shown {
    /// Everything, as the command line prints it.
    pub const ALL: Shown = Shown {
        full_ids: true,
        links: true,
    };
}

/// A subject a reader may not see, in place of its name.
pub const WITHHELD: &str = "(withheld)";

/// A short reference to a subject of this world, for a subject shown masked.
pub fn subject_ref(world: &World, s: SubjectId) -> String {
    format!("~{s}.{:016x}", ref_check(s, world.subject_name(s)))
}

/// The key refs are made with: drawn once per process.
fn ref_key() -> &'static [u8; 32] {
    static KEY: std::sync::OnceLock<[u8; 32]> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        let mut key = [0u8; 32];
        // Without randomness every ref would be guessable: refuse to make any.
        getrandom::fill(&mut key).expect("the system's randomness");
        key
    })
}

fn ref_check(s: SubjectId, name: &str) -> u64 {
    use blake2::Digest;
    let mut h = blake2::Blake2b::<blake2::digest::consts::U8>::new();
    h.update(ref_key());
    h.update(s.to_le_bytes());
    h.update(name.as_bytes());
    u64::from_le_bytes(h.finalize().into())
}

/// The subject a [`subject_ref`] names, if it still names it.
pub fn resolve_ref(world: &World, text: &str) -> Option<SubjectId> {
    let (id, check) = text.strip_prefix('~')?.split_once('.')?;
    let s: SubjectId = id.parse().ok()?;
    let check = u64::from_str_radix(check, 16).ok()?;
    (s < world.subject_count() && ref_check(s, world.subject_name(s)) == check).then_some(s)
}

/// A subject's name as `shown`, and its ref when the name is masked.
pub fn subject_name(world: &World, s: SubjectId, shown: Shown) -> (Cow<'_, str>, Option<String>) {
    let name = world.subject_name(s);
    if shown.full_ids || world.person_of(s).is_some() {
        return (Cow::Borrowed(name), None);
    }
    (Cow::Owned(mask::subject(name)), Some(subject_ref(world, s)))
}

/// One reason as the contract writes it. Fields in alphabetical order, as the command line has
/// always printed them.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReasonView<'a> {
    /// The epidemic area (EPI_AREA).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub area_id: Option<&'a str>,
    /// The earliest evidence of this reason.
    pub at: String,
    /// The chance that this reason's exposure alone infected the subject (docs/SCREENING.md,
    /// "The model"); 0 for FEVER_MEDICINE and FEVER_REPORTED, which are evidence, not exposure.
    pub chance: f64,
    /// The case behind a contact reason (`(withheld)` for a grid worker).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub case: Option<Cow<'a, str>>,
    /// CLOSE_CONTACT, GENERAL_CONTACT, SECONDARY_CONTACT, EPI_AREA, OUTSIDE_ARRIVAL,
    /// FEVER_MEDICINE or DELIVERY_FROM_AREA.
    pub code: &'static str,
    /// 1 for a contact of a case, 2 for a contact of a close contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degree: Option<u8>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub place_id: Option<&'a str>,
    /// The close contact through whom a SECONDARY_CONTACT came.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub via: Option<Cow<'a, str>>,
}

/// One alert as the contract writes it: serialised straight from the world, which keeps a page
/// of alerts cheap to answer.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AlertView<'a> {
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub grid_code: Option<&'a str>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub id_number: Option<Cow<'a, str>>,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub name: Option<&'a str>,
    pub reasons: Vec<ReasonView<'a>>,
    /// A reference to ask for a subject shown masked (`~123.ab12`).
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub subject_ref: Option<String>,
    pub score: f64,
    /// The person_id, or `TYPE:VALUE` (masked unless revealed) for an unresolved subject.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Cow<'a, str>,
}

pub fn reason_view<'a>(
    world: &'a World,
    r: &Reason,
    shown: Shown,
    t: &dyn Fn(Millis) -> String,
) -> ReasonView<'a> {
    let name = |s| {
        if shown.links {
            subject_name(world, s, shown).0
        } else {
            Cow::Borrowed(WITHHELD)
        }
    };
    ReasonView {
        area_id: r.area.map(|a| world.area_id(a)),
        at: t(r.at),
        chance: (tracegrid_engine::exposure_chance(r.hazard) * 1e6).round() / 1e6,
        case: r.case.map(name),
        code: r.code.as_str(),
        degree: r.degree,
        place_id: r.place.map(|p| world.place_id(p)),
        via: r.via.map(name),
    }
}

pub fn alert_view<'a>(
    world: &'a World,
    a: &Alert,
    shown: Shown,
    t: &dyn Fn(Millis) -> String,
) -> AlertView<'a> {
    let person = world.person_of(a.subject);
    let (subject, subject_ref) = subject_name(world, a.subject, shown);
    AlertView {
        grid_code: person.and_then(|p| p.2),
        id_number: person.map(|p| {
            if shown.full_ids {
                Cow::Borrowed(p.0)
            } else {
                Cow::Owned(mask::id_number(p.0))
            }
        }),
        name: person.and_then(|p| p.1),
        reasons: a
            .reasons
            .iter()
            .map(|r| reason_view(world, r, shown, t))
            .collect(),
        subject_ref,
        score: a.score,
        subject,
    }
}

/// The object `tracegrid screen --json` prints (CONTRACT.md section 3): the moment, the window
/// and the alerts in the contract's order.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScreenView<'a> {
    pub alerts: Vec<AlertView<'a>>,
    pub as_of: String,
    pub window: WindowView,
}

/// A screening's alerts as the contract writes them.
pub fn screen_view<'a>(
    world: &'a World,
    alerts: impl IntoIterator<Item = &'a Alert>,
    (as_of, (from, to)): (Millis, (Millis, Millis)),
    shown: Shown,
    t: &dyn Fn(Millis) -> String,
) -> ScreenView<'a> {
    ScreenView {
        alerts: alerts
            .into_iter()
            .map(|a| alert_view(world, a, shown, t))
            .collect(),
        as_of: t(as_of),
        window: WindowView {
            from: t(from),
            to: t(to),
        },
    }
}

/// The window a trace covers.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowView {
    pub from: String,
    pub to: String,
}

/// A stretch of a trajectory as the contract writes it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StepView<'a> {
    pub end: String,
    pub kind: &'static str,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub place_id: &'a str,
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub region_code: Option<&'a str>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub source: &'a str,
    pub start: String,
}

/// A contact as the contract writes it.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactView<'a> {
    pub degree: u8,
    pub first_at: String,
    pub is_case: bool,
    /// A reference to ask for a subject shown masked.
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    pub subject_ref: Option<String>,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Cow<'a, str>,
    /// close or general.
    pub tier: &'static str,
    /// The degree-1 contact a degree-2 contact was reached through.
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub via: Option<Cow<'a, str>>,
}

/// A trace as the contract writes it (`tracegrid trace --json`).
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TraceView<'a> {
    pub contacts: Vec<ContactView<'a>>,
    pub is_case: bool,
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub subject: Cow<'a, str>,
    pub trajectory: Vec<StepView<'a>>,
    /// `null` when the subject is a case whose exposure window lies outside the lookback.
    pub window: Option<WindowView>,
}

pub fn trace_view<'a>(
    world: &'a World,
    subject: SubjectId,
    tr: &Trace,
    shown: Shown,
    t: &dyn Fn(Millis) -> String,
) -> TraceView<'a> {
    let trajectory = tr
        .trajectory
        .iter()
        .map(|s| StepView {
            end: t(s.end),
            kind: world.place_kind(s.place).as_str(),
            place_id: world.place_id(s.place),
            region_code: world.place_region(s.place),
            source: world.source_name(s.source),
            start: t(s.start),
        })
        .collect();
    let contacts = tr
        .contacts
        .iter()
        .map(|c| {
            let (name, subject_ref) = subject_name(world, c.subject, shown);
            ContactView {
                degree: c.degree,
                first_at: t(c.first_at),
                is_case: c.is_case,
                subject_ref,
                subject: name,
                tier: c.tier.as_str(),
                via: c.via.map(|v| subject_name(world, v, shown).0),
            }
        })
        .collect();
    TraceView {
        contacts,
        is_case: tr.is_case,
        subject: subject_name(world, subject, shown).0,
        trajectory,
        window: tr.window.map(|(a, b)| WindowView {
            from: t(a),
            to: t(b),
        }),
    }
}
