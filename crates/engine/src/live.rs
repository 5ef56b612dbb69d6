//! Rows that arrive while the world serves — a feed's batch, a gate's scan — taken into the index
//! in place: new places and sources, sightings (into the second index of [`crate::delta`]),
//! deliveries, health reports, persons and vehicles. What they add is returned as [`Fresh`],
//! which [`crate::Screening::update`] screens.
//!
//! A row that changes who earlier sightings are — a person's id_number or phone, a vehicle's
//! owner, a region, a place's kind — cannot be taken in place: the sightings of two subjects
//! would merge or split. Those answer [`Rebuild`], and the caller builds the world again from its
//! store. A new person or vehicle that gives a name to one subject seen before (a visitor's ID
//! number now registered) renames that subject in place.

use tracegrid_model::SubjectType;
use tracegrid_model::rows::{
    DeliveryRow, HealthReportRow, PersonRow, PlaceRow, SightingRow, SourceRow, VehicleRow,
};

use crate::world::{Delivery, HealthReport, Place, PlaceIx, Sighting, Stored, SubjectId, World};

/// What a batch of rows added to the world, for the screening to take in.
#[derive(Debug, Default)]
pub struct Fresh {
    pub(crate) sightings: Vec<Sighting>,
    /// Recipients of new deliveries.
    pub(crate) recipients: Vec<SubjectId>,
    /// Subjects of new health reports that raise FEVER_REPORTED.
    pub(crate) reporters: Vec<SubjectId>,
    /// Subjects whose household, or whose name, changed.
    pub(crate) persons: Vec<SubjectId>,
}

impl Fresh {
    /// Whether the batch added nothing the screening could see.
    pub fn is_empty(&self) -> bool {
        self.sightings.is_empty()
            && self.recipients.is_empty()
            && self.reporters.is_empty()
            && self.persons.is_empty()
    }

    /// The subjects the batch's sightings, deliveries and health reports name.
    pub fn subjects(&self) -> Vec<SubjectId> {
        let mut v: Vec<SubjectId> = self
            .sightings
            .iter()
            .map(|s| s.subject)
            .chain(self.recipients.iter().copied())
            .chain(self.reporters.iter().copied())
            .chain(self.persons.iter().copied())
            .collect();
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Adds what another batch added.
    pub fn extend(&mut self, other: Fresh) {
        self.sightings.extend(other.sightings);
        self.recipients.extend(other.recipients);
        self.reporters.extend(other.reporters);
        self.persons.extend(other.persons);
    }
}

/// Rows that change who earlier sightings are: the world must be built again from the store.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}: the index is built again")]
pub struct Rebuild(pub String);

/// The added sightings past which they are laid out with the others: a new layout costs in
/// proportion to the world, so it waits until the added part is a good share of it.
fn layout_due(laid: usize, added: usize) -> bool {
    added > (laid / 4).max(1 << 16)
}

impl World {
    /// Takes in places: new ones join at once (with no sightings yet); one already known with
    /// another kind, region or position cannot be changed in place.
    pub fn add_places(&mut self, rows: &[PlaceRow]) -> Result<(), Rebuild> {
        for p in rows {
            let region = p
                .region_code
                .as_ref()
                .and_then(|c| self.region_ix.get(c).copied());
            let place = Place {
                id: p.place_id.clone(),
                kind: p.kind,
                region,
                lonlat: p.lon.zip(p.lat),
            };
            if let Some(&ix) = self.pid_ix.get(&p.pid) {
                let old = &self.places[ix as usize];
                if (old.kind, old.region, old.lonlat) != (place.kind, place.region, place.lonlat) {
                    return Err(Rebuild(format!("place {} changed", p.place_id)));
                }
                continue;
            }
            let ix = self.places.len() as PlaceIx;
            self.pid_ix.insert(p.pid, ix);
            // An empty run at the end of the layout until the next one.
            self.slot_of.push(self.slot_place.len() as u32);
            self.slot_place.push(ix);
            let last = self.place_start.last().copied().unwrap_or(0);
            self.place_start.push(last);
            self.place_longest.push(0);
            if let Some((lon, lat)) = place.lonlat {
                self.places_added.push(ix);
                for a in &mut self.areas {
                    if let (Some(inside), Some(poly)) = (&mut a.places_inside, &a.polygon)
                        && poly.contains(lon, lat)
                    {
                        inside.push(ix);
                    }
                }
            }
            self.places.push(place);
        }
        Ok(())
    }

    /// Takes in sources (rail, hotel, …) met for the first time.
    pub fn add_sources(&mut self, rows: &[SourceRow]) {
        for s in rows {
            if !self.source_ix.contains_key(&s.id) {
                self.source_ix.insert(s.id, self.sources.len() as u16);
                self.sources.push(s.name.clone());
            }
        }
    }

    /// Takes in new sightings and deliveries, which the store has just kept (each once: the
    /// store says which of a batch were new). Their subjects are resolved by the registry as it
    /// is now.
    pub fn add_events(&mut self, sightings: &[SightingRow], deliveries: &[DeliveryRow]) -> Fresh {
        let mut fresh = Fresh::default();
        for s in sightings {
            let (Some(&place), Some(&source)) =
                (self.pid_ix.get(&s.pid), self.source_ix.get(&s.source_id))
            else {
                continue;
            };
            let subject = self.resolve(s.subject_type, &s.subject);
            let stored = Stored {
                start: s.start,
                end: s.end,
                subject,
                source,
                tag: s.tag as u8,
            };
            self.delta.add(place, stored);
            fresh.sightings.push(stored.at(place));
        }
        fresh.recipients = self.add_deliveries(deliveries);
        if layout_due(self.sightings.len(), self.delta.len()) {
            self.lay_out_again();
        }
        fresh
    }

    /// Adds deliveries; their recipients.
    pub(crate) fn add_deliveries(&mut self, rows: &[DeliveryRow]) -> Vec<SubjectId> {
        let mut recipients = Vec::with_capacity(rows.len());
        for d in rows {
            let recipient = self.resolve(SubjectType::Phone, &d.recipient_phone);
            self.deliveries_to
                .entry(recipient)
                .or_default()
                .push(self.deliveries.len() as u32);
            self.deliveries.push(Delivery {
                recipient,
                origin: self.region_ix.get(&d.origin_region_code).copied(),
                shipped: d.shipped,
                delivered: d.delivered,
            });
            recipients.push(recipient);
        }
        recipients
    }

    /// Takes in new health reports, which the store has just kept (each once); a report's
    /// sighting, if it has a place, comes with the sightings of [`World::add_events`].
    pub fn add_health_reports(&mut self, rows: &[HealthReportRow]) -> Fresh {
        Fresh {
            reporters: self.add_reports(rows),
            ..Fresh::default()
        }
    }

    /// Adds the health reports that raise FEVER_REPORTED; their subjects.
    pub(crate) fn add_reports(&mut self, rows: &[HealthReportRow]) -> Vec<SubjectId> {
        let mut reporters = Vec::new();
        for r in rows
            .iter()
            .filter(|r| crate::screen::raises_fever_reported(r))
        {
            let subject = self.resolve(SubjectType::IdNumber, &r.id_number);
            self.reports_of
                .entry(subject)
                .or_default()
                .push(self.health_reports.len() as u32);
            self.health_reports.push(HealthReport {
                subject,
                at: r.time,
                place: r.pid.and_then(|pid| self.pid_ix.get(&pid).copied()),
            });
            reporters.push(subject);
        }
        reporters
    }

    /// Lays every sighting out again, the added ones with the others. Numbers of places and
    /// subjects do not change, so a screening stays valid.
    pub fn lay_out_again(&mut self) {
        let mut all: Vec<(PlaceIx, Stored)> = Vec::with_capacity(self.sighting_count());
        for (k, w) in self.place_start.windows(2).enumerate() {
            let place = self.slot_place[k];
            all.extend(
                self.sightings[w[0] as usize..w[1] as usize]
                    .iter()
                    .map(|s| (place, *s)),
            );
        }
        all.extend(self.delta.take());
        self.lay_out(vec![all]);
    }

    /// Takes in persons: new ones, and changes of name, grid or household. A change of
    /// id_number or phone, or a new person who names more than one subject seen before,
    /// answers [`Rebuild`].
    pub fn add_persons(&mut self, rows: &[PersonRow]) -> Result<Fresh, Rebuild> {
        let mut fresh = Fresh::default();
        for p in rows {
            if let Some(&ix) = self.person_ix.get(&p.person_id) {
                let old = &self.persons[ix as usize];
                if old.id_number != p.id_number || old.phone != p.phone {
                    return Err(Rebuild(format!(
                        "person {} has another id_number or phone",
                        p.person_id
                    )));
                }
                let s = self
                    .find_subject(&p.person_id)
                    .ok_or_else(|| Rebuild(format!("person {} has no subject", p.person_id)))?;
                let household = p.household_id.as_deref().map(|h| self.household(h));
                let person = &mut self.persons[ix as usize];
                person.name = p.name.clone();
                person.grid_code = p.grid_code.clone();
                let old = std::mem::replace(&mut person.household, household);
                if old != household {
                    if let Some(h) = old {
                        fresh.persons.extend(&self.households[h as usize]);
                        self.households[h as usize].retain(|&m| m != s);
                    }
                    if let Some(h) = household {
                        self.households[h as usize].push(s);
                        fresh.persons.extend(&self.households[h as usize]);
                    }
                }
                fresh.persons.push(s);
                continue;
            }
            if self.resolver.holds_id_number(&p.id_number)
                || p.phone
                    .as_deref()
                    .is_some_and(|ph| self.resolver.holds_phone(ph))
            {
                return Err(Rebuild(format!(
                    "person {} takes an id_number or phone another person holds",
                    p.person_id
                )));
            }
            // The subjects seen before that this person gives a name to.
            let mut named: Vec<String> = vec![format!("id_number:{}", p.id_number)];
            if let Some(ph) = &p.phone {
                named.push(format!("phone:{ph}"));
            }
            named.extend(
                self.resolver
                    .plates_of(&p.id_number)
                    .iter()
                    .map(|plate| format!("plate:{plate}")),
            );
            let seen: Vec<SubjectId> = named
                .iter()
                .filter_map(|n| self.subject_ix.get(n.as_str()).copied())
                .collect();
            if seen.len() > 1 {
                return Err(Rebuild(format!(
                    "person {} joins subjects seen apart",
                    p.person_id
                )));
            }
            self.resolver
                .add_person(&p.person_id, &p.id_number, p.phone.as_deref());
            let s = match seen.first() {
                None => self.add_person_row(p),
                Some(&s) => {
                    // Renamed in place: its sightings, cases, deliveries and health reports
                    // stay its own.
                    let old = self.subjects[s as usize].name.clone();
                    self.subject_ix.remove(&*old);
                    self.subjects[s as usize].name = std::sync::Arc::from(p.person_id.as_str());
                    self.subject_ix.insert(p.person_id.clone(), s);
                    let household = p.household_id.as_deref().map(|h| self.household(h));
                    let ix = self.persons.len() as u32;
                    self.person_ix.insert(p.person_id.clone(), ix);
                    self.persons.push(crate::world::Person {
                        id_number: p.id_number.clone(),
                        phone: p.phone.clone(),
                        name: p.name.clone(),
                        grid_code: p.grid_code.clone(),
                        household,
                    });
                    self.subjects[s as usize].person = Some(ix);
                    if let Some(h) = household {
                        self.households[h as usize].push(s);
                    }
                    s
                }
            };
            fresh.persons.extend(self.household_of(s).iter().copied());
            fresh.persons.push(s);
        }
        Ok(fresh)
    }

    /// Takes in vehicles. One whose plate was seen, and that now names or changes a person,
    /// answers [`Rebuild`]: the plate's sightings would move to another subject.
    pub fn add_vehicles(&mut self, rows: &[VehicleRow]) -> Result<(), Rebuild> {
        for v in rows {
            let before = self.resolver.resolve(SubjectType::Plate, &v.plate);
            let seen = self.subject_ix.contains_key(before.name());
            self.resolver.add_vehicle(&v.plate, &v.owner_id_number);
            if seen && self.resolver.resolve(SubjectType::Plate, &v.plate) != before {
                return Err(Rebuild(format!("plate {} now names someone else", v.plate)));
            }
        }
        Ok(())
    }
}
