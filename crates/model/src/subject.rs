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
    /// The plates each owner's id_number owns.
    plates_of: HashMap<String, Vec<String>>,
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
            r.add_vehicle(plate, owner);
        }
        r
    }

    /// Adds a person who is new to the registry: its person_id, id_number and phone are held
    /// by no one else (the caller checks, as a change of who holds them is a change of who
    /// earlier sightings are).
    pub fn add_person(&mut self, person_id: &str, id_number: &str, phone: Option<&str>) {
        self.person_ids.insert(person_id.to_owned());
        self.by_id_number
            .insert(id_number.to_owned(), person_id.to_owned());
        if let Some(phone) = phone {
            self.by_phone
                .entry(phone.to_owned())
                .and_modify(|owner| *owner = None)
                .or_insert_with(|| Some(person_id.to_owned()));
        }
    }

    /// Adds or replaces a vehicle.
    pub fn add_vehicle(&mut self, plate: &str, owner_id_number: &str) {
        if let Some(old) = self
            .plate_owner
            .insert(plate.to_owned(), owner_id_number.to_owned())
            && let Some(plates) = self.plates_of.get_mut(&old)
        {
            plates.retain(|p| p != plate);
        }
        self.plates_of
            .entry(owner_id_number.to_owned())
            .or_default()
            .push(plate.to_owned());
    }

    /// Whether some person holds this id_number.
    pub fn holds_id_number(&self, id_number: &str) -> bool {
        self.by_id_number.contains_key(id_number)
    }

    /// Whether some person (or several) holds this phone.
    pub fn holds_phone(&self, phone: &str) -> bool {
        self.by_phone.contains_key(phone)
    }

    /// The owner's id_number of a plate, if the registry knows the plate.
    pub fn plate_owner(&self, plate: &str) -> Option<&str> {
        self.plate_owner.get(plate).map(String::as_str)
    }

    /// The plates an id_number owns.
    pub fn plates_of(&self, id_number: &str) -> &[String] {
        self.plates_of.get(id_number).map_or(&[], Vec::as_slice)
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
