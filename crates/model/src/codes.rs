//! The contract's closed vocabularies: region levels, place kinds (with their contact tolerance
//! and tier), subject types, case statuses, area risks, directions and pharmacy categories.
//!
//! Each is parsed case-insensitively from its contract spelling, stored as that spelling, and
//! carries a small integer code for compact storage (codes never change once written).

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident, $what:literal { $($variant:ident = $code:literal, $text:literal;)+ }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The contract's spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// The stored code.
            pub fn code(self) -> i64 {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: i64) -> Option<$name> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }

            /// Parses the contract's spelling, ignoring case; the error names the field's
            /// allowed values.
            pub fn parse(field: &str, s: &str) -> Result<$name, String> {
                $(if s.eq_ignore_ascii_case($text) { return Ok($name::$variant); })+
                Err(format!(
                    "{field} {s:?} is not {} (use one of {})",
                    $what,
                    [$($text),+].join(", ")
                ))
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

vocabulary!(
    /// A region's level in the region tree.
    Level, "a region level" {
    Province = 1, "province";
    City = 2, "city";
    County = 3, "county";
    Town = 4, "town";
    Community = 5, "community";
    Grid = 6, "grid";
    Other = 7, "other";
});

vocabulary!(
    /// What a place is; sets the contact tolerance and tier (CONTRACT.md section 2).
    PlaceKind, "a place kind" {
    TrainCar = 1, "train_car";
    Bus = 2, "bus";
    InternetCafe = 3, "internet_cafe";
    Hotel = 4, "hotel";
    Workplace = 5, "workplace";
    School = 6, "school";
    Hospital = 7, "hospital";
    Clinic = 8, "clinic";
    Shop = 9, "shop";
    Market = 10, "market";
    Restaurant = 11, "restaurant";
    Pharmacy = 12, "pharmacy";
    Other = 13, "other";
    RailStation = 14, "rail_station";
    Checkpoint = 15, "checkpoint";
    Parking = 16, "parking";
    Gate = 17, "gate";
    ExpressPoint = 18, "express_point";
});

/// How much a co-presence at a place counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Tier {
    /// Shared enclosed space: train car, bus, internet café.
    Close,
    /// Shared premises: shops, workplaces, hotels and the like.
    General,
    /// Presence only (stations, checkpoints, parking, gates): never a contact.
    None,
}

impl Tier {
    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Close => "close",
            Tier::General => "general",
            Tier::None => "none",
        }
    }
}

const MINUTE_MS: i64 = 60_000;

impl PlaceKind {
    pub fn tier(self) -> Tier {
        use PlaceKind::*;
        match self {
            TrainCar | Bus | InternetCafe => Tier::Close,
            Hotel | Workplace | School | Hospital | Clinic | Shop | Market | Restaurant
            | Pharmacy | Other => Tier::General,
            RailStation | Checkpoint | Parking | Gate | ExpressPoint => Tier::None,
        }
    }

    /// The contact tolerance τ in milliseconds; `None` where no contact is possible.
    pub fn tolerance_ms(self) -> Option<i64> {
        match self.tier() {
            Tier::Close => Some(0),
            Tier::General => Some(15 * MINUTE_MS),
            Tier::None => None,
        }
    }
}

vocabulary!(
    /// How a sighting names its subject.
    SubjectType, "a subject type" {
    IdNumber = 1, "id_number";
    Phone = 2, "phone";
    Plate = 3, "plate";
    PersonId = 4, "person_id";
});

vocabulary!(
    /// Where a case stands. Only suspected, confirmed and asymptomatic cases are screened from.
    CaseStatus, "a case status" {
    Suspected = 1, "suspected";
    Confirmed = 2, "confirmed";
    Asymptomatic = 3, "asymptomatic";
    Recovered = 4, "recovered";
    Excluded = 5, "excluded";
});

impl CaseStatus {
    /// Whether a case of this status is a source of contacts (CONTRACT.md section 2).
    pub fn is_active(self) -> bool {
        matches!(
            self,
            CaseStatus::Suspected | CaseStatus::Confirmed | CaseStatus::Asymptomatic
        )
    }
}

vocabulary!(
    /// An epidemic area's risk.
    Risk, "a risk level" {
    High = 1, "high";
    Medium = 2, "medium";
    Low = 3, "low";
});

vocabulary!(
    /// Which way a gate or checkpoint was passed.
    Direction, "a direction" {
    In = 1, "in";
    Out = 2, "out";
});

vocabulary!(
    /// What a pharmacy sold; all but `other` are fever medicine for the FEVER_MEDICINE rule.
    PharmacyCategory, "a pharmacy category" {
    Antipyretic = 1, "antipyretic";
    Cough = 2, "cough";
    Antiviral = 3, "antiviral";
    Other = 4, "other";
});

vocabulary!(
    /// A symptom a health report may name (CONTRACT.md section 9); any one raises
    /// FEVER_REPORTED. Codes are bit positions plus one in [`crate::Symptoms`]: never reorder.
    Symptom, "a symptom" {
    Fever = 1, "fever";
    Cough = 2, "cough";
    Fatigue = 3, "fatigue";
    SoreThroat = 4, "sore_throat";
    ShortnessOfBreath = 5, "shortness_of_breath";
    Diarrhea = 6, "diarrhea";
    LossOfSmellOrTaste = 7, "loss_of_smell_or_taste";
});

vocabulary!(
    /// Who made a health report: the resident, their employer, a gate's or checkpoint's
    /// temperature check, a grid worker, or a clinic.
    Reporter, "a reporter" {
    SelfReport = 1, "self";
    Enterprise = 2, "enterprise";
    Gate = 3, "gate";
    GridWorker = 4, "grid_worker";
    Clinic = 5, "clinic";
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_carry_the_contract_tiers() {
        assert_eq!(PlaceKind::TrainCar.tolerance_ms(), Some(0));
        assert_eq!(PlaceKind::Restaurant.tolerance_ms(), Some(900_000));
        assert_eq!(PlaceKind::Gate.tolerance_ms(), None);
        assert_eq!(PlaceKind::ALL.len(), 18);
        let close = PlaceKind::ALL
            .iter()
            .filter(|k| k.tier() == Tier::Close)
            .count();
        assert_eq!(close, 3);
    }

    #[test]
    fn parse_ignores_case_and_names_the_choices() {
        assert_eq!(Level::parse("level", "Grid"), Ok(Level::Grid));
        let err = PlaceKind::parse("kind", "spaceship").unwrap_err();
        assert!(err.starts_with("kind \"spaceship\" is not a place kind (use one of train_car"));
    }

    #[test]
    fn codes_round_trip() {
        for k in PlaceKind::ALL {
            assert_eq!(PlaceKind::from_code(k.code()), Some(*k));
        }
        for s in SubjectType::ALL {
            assert_eq!(SubjectType::from_code(s.code()), Some(*s));
        }
        for s in Symptom::ALL {
            assert_eq!(Symptom::from_code(s.code()), Some(*s));
        }
        for r in Reporter::ALL {
            assert_eq!(Reporter::from_code(r.code()), Some(*r));
        }
    }

    #[test]
    fn the_contract_spells_symptoms_and_reporters() {
        assert_eq!(Symptom::ALL.len(), 7);
        assert_eq!(
            Symptom::parse("symptoms", "Loss_Of_Smell_Or_Taste"),
            Ok(Symptom::LossOfSmellOrTaste)
        );
        assert_eq!(
            Reporter::parse("reporter", "self"),
            Ok(Reporter::SelfReport)
        );
        assert_eq!(
            Reporter::parse("reporter", "grid_worker"),
            Ok(Reporter::GridWorker)
        );
        assert!(Reporter::parse("reporter", "neighbour").is_err());
    }
}
