//! Who a sighting is (CONTRACT.md section 1, "Who a sighting is"). Sightings are stored as
//! written (type and normalised value) and resolved against the registries as they are now, so
//! a registry loaded later resolves earlier sightings without rewriting them.

use std::collections::{HashMap, HashSet};

use crate::SubjectType;

/// A resolved subject: a registered person, or a name for someone the registries do not know.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    /// A person_id.
    Person(String),
    /// `TYPE:VALUE`, such as `plate:浙H12345`.
    Unresolved(String),
}

impl Subject {
    /// The contract's name for the subject: the person_id, or `TYPE:VALUE`.
    pub fn name(&self) -> &str {
        match self {
            Subject::Person(p) | Subject::Unresolved(p) => p,
        }
    }
}

/// Resolves subjects against persons and vehicles.
#[derive(Debug, Default)]
pub struct Resolver {
    person_ids: HashSet<String>,
    by_id_number: HashMap<String, String>,
    /// `None` where more than one person has the phone: such a phone does not resolve.
    by_phone: HashMap<String, Option<String>>,
    plate_owner: HashMap<String, String>,
}

impl Resolver {
    /// `persons`: (person_id, id_number, phone); `vehicles`: (plate, owner_id_number).
    pub fn new<'a>(
        persons: impl IntoIterator<Item = (&'a str, &'a str, Option<&'a str>)>,
        vehicles: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Resolver {
        let mut r = Resolver::default();
        for (pid, id, phone) in persons {
            r.person_ids.insert(pid.to_owned());
            r.by_id_number.insert(id.to_owned(), pid.to_owned());
            if let Some(phone) = phone {
                r.by_phone
                    .entry(phone.to_owned())
                    .and_modify(|owner| *owner = None)
                    .or_insert_with(|| Some(pid.to_owned()));
            }
        }
        for (plate, owner) in vehicles {
            r.plate_owner.insert(plate.to_owned(), owner.to_owned());
        }
        r
    }

    /// Resolves a stored (normalised) subject.
    pub fn resolve(&self, ty: SubjectType, value: &str) -> Subject {
        let person = match ty {
            SubjectType::PersonId => self.person_ids.get(value).cloned(),
            SubjectType::IdNumber => self.by_id_number.get(value).cloned(),
            SubjectType::Phone => self.by_phone.get(value).cloned().flatten(),
            SubjectType::Plate => self
                .plate_owner
                .get(value)
                .and_then(|owner| self.by_id_number.get(owner))
                .cloned(),
        };
        person.map_or_else(
            || Subject::Unresolved(format!("{}:{value}", ty.as_str())),
            Subject::Person,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_each_type_and_names_the_rest() {
        let r = Resolver::new(
            [
                ("P1", "11010519491231002X", Some("13800000000")),
                ("P2", "330802198001100003", Some("13800000001")),
                ("P3", "330802198102200013", Some("13800000001")),
            ],
            [
                ("浙H12345", "11010519491231002X"),
                ("浙H99999", "110105194912310000"),
            ],
        );
        assert_eq!(
            r.resolve(SubjectType::PersonId, "P1"),
            Subject::Person("P1".into())
        );
        assert_eq!(
            r.resolve(SubjectType::IdNumber, "11010519491231002X"),
            Subject::Person("P1".into())
        );
        assert_eq!(
            r.resolve(SubjectType::Phone, "13800000000"),
            Subject::Person("P1".into())
        );
        assert_eq!(
            r.resolve(SubjectType::Plate, "浙H12345"),
            Subject::Person("P1".into())
        );
        // Two persons share this phone: it names no one.
        assert_eq!(
            r.resolve(SubjectType::Phone, "13800000001"),
            Subject::Unresolved("phone:13800000001".into())
        );
        // The plate's owner is not a registered person.
        assert_eq!(
            r.resolve(SubjectType::Plate, "浙H99999"),
            Subject::Unresolved("plate:浙H99999".into())
        );
        assert_eq!(
            r.resolve(SubjectType::IdNumber, "110105194912310000")
                .name(),
            "id_number:110105194912310000"
        );
    }
}
