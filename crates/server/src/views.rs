//! The contract's JSON for alerts and traces (CONTRACT.md section 3), written once for the
//! command line and the API, and the masking of ID numbers and phones.

use std::borrow::Cow;

use serde::Serialize;
use serde_json::{Value, json};
use tracegrid_engine::{Alert, Reason, Trace, World};
use tracegrid_model::Millis;

/// `330802199001011234` → `330802********1234`: the region of birth and the last four stay,
/// enough to tell two people apart on a call, not enough to be the number.
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() < 14 {
        // Not a resident ID number (a passport, say): keep only its first two characters.
        let keep = 2.min(chars.len() / 2);
        let mut s: String = chars[..keep].iter().collect();
        s.push_str(&"*".repeat(chars.len() - keep));
        return s;
    }
    let mut s: String = chars[..6].iter().collect();
    s.push_str(&"*".repeat(chars.len() - 10));
    s.extend(&chars[chars.len() - 4..]);
    s
}

/// `13800001234` → `138****1234`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 8 {
        return "*".repeat(chars.len());
    }
    let mut s: String = chars[..3].iter().collect();
    s.push_str(&"*".repeat(chars.len() - 7));
    s.extend(&chars[chars.len() - 4..]);
    s
}

/// How much of an alert a reader may see.
#[derive(Clone, Copy, Debug)]
pub struct Shown {
    /// Full ID numbers rather than masked ones.
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

/// One reason as the contract writes it. Fields in alphabetical order, as the command line has
/// always printed them.
#[derive(Debug, Serialize)]
pub struct ReasonView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub area_id: Option<&'a str>,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub case: Option<&'a str>,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub degree: Option<u8>,
    pub place_id: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<&'a str>,
}

/// One alert as the contract writes it: serialised straight from the world, which keeps a page
/// of alerts cheap to answer.
#[derive(Debug, Serialize)]
pub struct AlertView<'a> {
    pub grid_code: Option<&'a str>,
    pub id_number: Option<Cow<'a, str>>,
    pub name: Option<&'a str>,
    pub reasons: Vec<ReasonView<'a>>,
    pub score: f64,
    pub subject: &'a str,
}

pub fn reason_view<'a>(
    world: &'a World,
    r: &Reason,
    shown: Shown,
    t: &dyn Fn(Millis) -> String,
) -> ReasonView<'a> {
    let name = |s| {
        if shown.links {
            world.subject_name(s)
        } else {
            WITHHELD
        }
    };
    ReasonView {
        area_id: r.area.map(|a| world.area_id(a)),
        at: t(r.at),
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
    AlertView {
        grid_code: person.and_then(|p| p.2),
        id_number: person.map(|p| {
            if shown.full_ids {
                Cow::Borrowed(p.0)
            } else {
                Cow::Owned(mask_id(p.0))
            }
        }),
        name: person.and_then(|p| p.1),
        reasons: a
            .reasons
            .iter()
            .map(|r| reason_view(world, r, shown, t))
            .collect(),
        score: a.score,
        subject: world.subject_name(a.subject),
    }
}

/// [`reason_view`] as a JSON value.
pub fn reason_json(world: &World, r: &Reason, shown: Shown, t: &dyn Fn(Millis) -> String) -> Value {
    serde_json::to_value(reason_view(world, r, shown, t)).unwrap_or(Value::Null)
}

/// [`alert_view`] as a JSON value.
pub fn alert_json(world: &World, a: &Alert, shown: Shown, t: &dyn Fn(Millis) -> String) -> Value {
    serde_json::to_value(alert_view(world, a, shown, t)).unwrap_or(Value::Null)
}

/// A trace as the contract writes it.
pub fn trace_json(
    world: &World,
    subject: tracegrid_engine::SubjectId,
    tr: &Trace,
    t: &dyn Fn(Millis) -> String,
) -> Value {
    let trajectory: Vec<Value> = tr
        .trajectory
        .iter()
        .map(|s| {
            json!({"place_id": world.place_id(s.place), "kind": world.place_kind(s.place).as_str(),
                   "region_code": world.place_region(s.place), "start": t(s.start), "end": t(s.end),
                   "source": world.source_name(s.source)})
        })
        .collect();
    let contacts: Vec<Value> = tr
        .contacts
        .iter()
        .map(|c| {
            json!({"subject": world.subject_name(c.subject), "degree": c.degree, "tier": c.tier.as_str(),
                   "first_at": t(c.first_at), "is_case": c.is_case, "via": c.via.map(|v| world.subject_name(v))})
        })
        .collect();
    let window = tr
        .window
        .map_or(Value::Null, |(a, b)| json!({"from": t(a), "to": t(b)}));
    json!({"subject": world.subject_name(subject), "is_case": tr.is_case, "window": window,
           "trajectory": trajectory, "contacts": contacts})
}

/// Now, as the server prints times.
pub fn now_text(state: &crate::AppState) -> String {
    state.live().time(crate::auth::now_ms())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_keep_their_region_and_last_four() {
        assert_eq!(mask_id("330802199001011234"), "330802********1234");
        assert_eq!(mask_id("33080219900101123X"), "330802********123X");
        assert_eq!(mask_id("E1234567"), "E1******");
        assert_eq!(mask_id("12"), "1*");
    }

    #[test]
    fn phones_keep_their_prefix_and_last_four() {
        assert_eq!(mask_phone("13800001234"), "138****1234");
        assert_eq!(mask_phone("1234"), "****");
    }
}
