//! The values of a health report (CONTRACT.md section 9): a body temperature read to a tenth of
//! a degree, and the symptoms it names. Each `parse` returns the stored form or a reason written
//! for the clerk who has to fix the row.

use std::fmt;

use crate::Symptom;

/// A body temperature in tenths of a degree Celsius (373 is 37.3 °C): an integer, so that the
/// rule's "37.3 or more" is an exact comparison, not one of binary fractions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Temperature(i64);

/// The contract's range, in tenths.
const LOWEST: i64 = 340;
const HIGHEST: i64 = 430;

/// The same range in Fahrenheit (93.2–109.4 °F), in tenths: a value there was very likely read
/// off a Fahrenheit thermometer, and the reason says so.
const FAHRENHEIT: std::ops::RangeInclusive<i64> = 932..=1094;

impl Temperature {
    /// A temperature of `tenths` tenths of a degree (as stored); not checked against the range.
    pub const fn from_tenths(tenths: i64) -> Temperature {
        Temperature(tenths)
    }

    /// Tenths of a degree Celsius.
    pub fn tenths(self) -> i64 {
        self.0
    }

    /// Parses degrees Celsius from 34.0 to 43.0 as written: digits, then optionally a point and
    /// one decimal (`37`, `37.3`). Further decimals are accepted only as zeros (`37.30`, as a
    /// device's JSON may write it): `37.25` is refused, not rounded, since rounding would decide
    /// on its own which side of 37.3 a reading falls.
    pub fn parse(field: &str, s: &str) -> Result<Temperature, String> {
        let (whole, decimals) = match s.split_once('.') {
            Some((w, d)) => (w, Some(d)),
            None => (s, None),
        };
        let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !digits(whole) || decimals.is_some_and(|d| !digits(d)) {
            return Err(format!(
                "{field} {s:?} is not a number: give degrees Celsius with one decimal, such as 37.3"
            ));
        }
        let decimals = decimals.unwrap_or("0");
        if decimals.bytes().skip(1).any(|b| b != b'0') {
            return Err(format!(
                "{field} {s} has more than one decimal: give it to a tenth of a degree, such as 37.3"
            ));
        }
        // More than four digits is out of range whatever they are; the guard keeps the sum small.
        let whole = whole.trim_start_matches('0');
        let tenths = if whole.len() > 4 {
            i64::MAX
        } else {
            whole.parse::<i64>().unwrap_or(0) * 10 + i64::from(decimals.as_bytes()[0] - b'0')
        };
        if !(LOWEST..=HIGHEST).contains(&tenths) {
            let hint = if FAHRENHEIT.contains(&tenths) {
                " (it looks like degrees Fahrenheit: convert it to Celsius)"
            } else {
                ""
            };
            return Err(format!(
                "{field} {s} is out of range: degrees Celsius from 34.0 to 43.0{hint}"
            ));
        }
        Ok(Temperature(tenths))
    }
}

impl fmt::Display for Temperature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.0 / 10, self.0 % 10)
    }
}

/// The symptoms a report names: a set of [`Symptom`], one bit each (bit `code - 1`), stored as
/// that integer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Symptoms(u8);

impl Symptoms {
    /// No symptom.
    pub const NONE: Symptoms = Symptoms(0);

    fn bit(s: Symptom) -> u8 {
        1 << (s.code() - 1)
    }

    /// The stored integer.
    pub fn bits(self) -> i64 {
        i64::from(self.0)
    }

    /// The set a stored integer holds; `None` for bits no symptom has (a newer version's).
    pub fn from_bits(bits: i64) -> Option<Symptoms> {
        let all = Symptom::ALL.iter().fold(0u8, |a, s| a | Symptoms::bit(*s));
        u8::try_from(bits)
            .ok()
            .filter(|b| b & !all == 0)
            .map(Symptoms)
    }

    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub fn contains(self, s: Symptom) -> bool {
        self.0 & Symptoms::bit(s) != 0
    }

    /// The set with `s` too.
    pub fn with(self, s: Symptom) -> Symptoms {
        Symptoms(self.0 | Symptoms::bit(s))
    }

    /// The symptoms, in the contract's order.
    pub fn iter(self) -> impl Iterator<Item = Symptom> {
        Symptom::ALL
            .iter()
            .copied()
            .filter(move |s| self.contains(*s))
    }

    /// Parses names of the contract's list joined by `;`, ignoring case and the white space
    /// around each; an empty name (`cough;`) is skipped and a repeated one counts once. Every
    /// unknown name is named in the reason.
    pub fn parse(field: &str, s: &str) -> Result<Symptoms, String> {
        let mut set = Symptoms::NONE;
        let mut unknown = Vec::new();
        for name in s.split(';').map(str::trim).filter(|n| !n.is_empty()) {
            match Symptom::parse(field, name) {
                Ok(symptom) => set = set.with(symptom),
                Err(_) => unknown.push(format!("{name:?}")),
            }
        }
        if unknown.is_empty() {
            return Ok(set);
        }
        let (names, verb) = match unknown.len() {
            1 => (unknown.remove(0), "is not a symptom"),
            _ => (unknown.join(", "), "are not symptoms"),
        };
        let separator = if s.contains([',', '，', '、']) {
            " (separate names with ;)"
        } else {
            ""
        };
        let allowed: Vec<&str> = Symptom::ALL.iter().map(|s| s.as_str()).collect();
        Err(format!(
            "{field} {names} {verb} of the contract's list{separator}: use {} joined by ;, or leave it empty",
            allowed.join(", ")
        ))
    }
}

impl FromIterator<Symptom> for Symptoms {
    fn from_iter<I: IntoIterator<Item = Symptom>>(iter: I) -> Symptoms {
        iter.into_iter().fold(Symptoms::NONE, Symptoms::with)
    }
}

/// The contract's spelling: names joined by `;` in the contract's order, empty for none.
impl fmt::Display for Symptoms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            f.write_str(s.as_str())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Result<i64, String> {
        Temperature::parse("temperature", s).map(Temperature::tenths)
    }

    #[test]
    fn temperatures_are_tenths_of_a_degree_from_34_to_43() {
        assert_eq!(t("37.3"), Ok(373));
        assert_eq!(t("37"), Ok(370));
        assert_eq!(
            t("37.30"),
            Ok(373),
            "a zero after the decimal is no more precision"
        );
        assert_eq!(t("034.0"), Ok(340));
        assert_eq!(t("43.0"), Ok(430));
        assert_eq!(Temperature::from_tenths(365).to_string(), "36.5");
    }

    #[test]
    fn temperatures_outside_the_rule_say_which_rule() {
        assert_eq!(
            t("37.25").unwrap_err(),
            "temperature 37.25 has more than one decimal: give it to a tenth of a degree, such as 37.3"
        );
        assert_eq!(
            t("33.9").unwrap_err(),
            "temperature 33.9 is out of range: degrees Celsius from 34.0 to 43.0"
        );
        assert!(t("43.1").unwrap_err().contains("out of range"));
        assert!(
            t("98.6")
                .unwrap_err()
                .ends_with("(it looks like degrees Fahrenheit: convert it to Celsius)")
        );
        assert!(
            t("99999999999999999999")
                .unwrap_err()
                .contains("out of range")
        );
        for bad in [
            "", "abc", "37,3", "-37.3", "+37.3", "37.", ".5", "3.73e1", "37.3°C", " 37.3",
        ] {
            assert!(t(bad).unwrap_err().contains("is not a number"), "{bad:?}");
        }
    }

    #[test]
    fn symptoms_are_names_of_the_list_joined_by_semicolons() {
        let s = Symptoms::parse("symptoms", " Cough ; fever;cough;").unwrap();
        assert!(s.contains(Symptom::Fever) && s.contains(Symptom::Cough));
        assert_eq!(s.iter().count(), 2);
        assert_eq!(s.to_string(), "fever;cough");
        assert_eq!(Symptoms::from_bits(s.bits()), Some(s));
        assert_eq!(Symptoms::parse("symptoms", ""), Ok(Symptoms::NONE));
        assert!(Symptoms::NONE.is_empty());
        assert_eq!(Symptoms::from_bits(1 << 7), None);
        let all: Symptoms = Symptom::ALL.iter().copied().collect();
        assert_eq!(Symptoms::from_bits(all.bits()), Some(all));
    }

    #[test]
    fn unknown_symptoms_are_named_with_the_list() {
        let err = Symptoms::parse("symptoms", "cough;headache").unwrap_err();
        assert_eq!(
            err,
            "symptoms \"headache\" is not a symptom of the contract's list: use fever, cough, \
             fatigue, sore_throat, shortness_of_breath, diarrhea, loss_of_smell_or_taste joined \
             by ;, or leave it empty"
        );
        let err = Symptoms::parse("symptoms", "fever,cough").unwrap_err();
        assert!(err.starts_with("symptoms \"fever,cough\" is not a symptom of the contract's list (separate names with ;)"), "{err}");
        let err = Symptoms::parse("symptoms", "nausea;headache").unwrap_err();
        assert!(
            err.starts_with("symptoms \"nausea\", \"headache\" are not symptoms"),
            "{err}"
        );
    }
}
