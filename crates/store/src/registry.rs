//! Reading the registries (and the other tables that are not an import's hot path) back out of
//! either store, written once over [`SqlConn`]. A value the store holds but this version cannot
//! read (a place kind from a newer release, say) is reported as [`StoreError::Corrupt`].

use tracegrid_model::rows::*;
use tracegrid_model::{CaseStatus, Level, PlaceKind, Reporter, Risk, Symptoms, Temperature};

use crate::StoreError;
use crate::sql::{Cell, SqlConn};

fn vocabulary<T>(
    cell: &Cell,
    what: &str,
    parse: fn(&str, &str) -> Result<T, String>,
) -> Result<T, StoreError> {
    let text = cell.text()?;
    parse(what, &text)
        .map_err(|_| StoreError::Corrupt(format!("{what} {text} is not known to this version")))
}

/// Every registry row in the store.
pub(crate) fn load(c: &mut (impl SqlConn + ?Sized)) -> Result<Registry, StoreError> {
    let mut reg = Registry::default();
    c.for_each_row(
        "SELECT code, name, parent_code, level FROM regions",
        &[],
        &mut |r| {
            reg.regions.push(RegionRow {
                code: r[0].take_text()?,
                name: r[1].take_text()?,
                parent_code: r[2].take_opt_text()?,
                level: vocabulary(&r[3], "level", Level::parse)?,
            });
            Ok(())
        },
    )?;
    c.for_each_row("SELECT code, geometry FROM region_shapes", &[], &mut |r| {
        reg.region_shapes.push(RegionShapeRow {
            code: r[0].take_text()?,
            geometry: r[1].take_text()?,
        });
        Ok(())
    })?;
    c.for_each_row(
        "SELECT pid, place_id, kind, name, lat, lon, region_code, grid_code FROM places",
        &[],
        &mut |r| {
            reg.places.push(PlaceRow {
                pid: r[0].int()?,
                place_id: r[1].take_text()?,
                kind: vocabulary(&r[2], "kind", PlaceKind::parse)?,
                name: r[3].take_opt_text()?,
                lat: r[4].opt_float()?,
                lon: r[5].opt_float()?,
                region_code: r[6].take_opt_text()?,
                grid_code: r[7].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    c.for_each_row(
        "SELECT person_id, id_number, name, phone, household_id, address, grid_code FROM persons",
        &[],
        &mut |r| {
            reg.persons.push(PersonRow {
                person_id: r[0].take_text()?,
                id_number: r[1].take_text()?,
                name: r[2].take_opt_text()?,
                phone: r[3].take_opt_text()?,
                household_id: r[4].take_opt_text()?,
                address: r[5].take_opt_text()?,
                grid_code: r[6].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    c.for_each_row(
        "SELECT plate, owner_id_number FROM vehicles",
        &[],
        &mut |r| {
            reg.vehicles.push(VehicleRow {
                plate: r[0].take_text()?,
                owner_id_number: r[1].take_text()?,
            });
            Ok(())
        },
    )?;
    c.for_each_row(
        "SELECT area_id, name, region_code, geometry, from_ms, to_ms, risk FROM areas",
        &[],
        &mut |r| {
            reg.areas.push(AreaRow {
                area_id: r[0].take_text()?,
                name: r[1].take_opt_text()?,
                region_code: r[2].take_opt_text()?,
                geometry: r[3].take_opt_text()?,
                from: r[4].int()?,
                to: r[5].opt_int()?,
                risk: vocabulary(&r[6], "risk", Risk::parse)?,
            });
            Ok(())
        },
    )?;
    c.for_each_row(
        "SELECT subject, status, onset_ms, confirmed_ms, isolated_ms FROM cases",
        &[],
        &mut |r| {
            reg.cases.push(CaseRow {
                subject: r[0].take_text()?,
                status: vocabulary(&r[1], "status", CaseStatus::parse)?,
                onset: r[2].opt_int()?,
                confirmed: r[3].int()?,
                isolated: r[4].opt_int()?,
            });
            Ok(())
        },
    )?;
    c.for_each_row("SELECT id, name FROM sources", &[], &mut |r| {
        reg.sources.push(SourceRow {
            id: r[0].int()?,
            name: r[1].take_text()?,
        });
        Ok(())
    })?;
    Ok(reg)
}

/// Every stored delivery.
pub(crate) fn deliveries(c: &mut (impl SqlConn + ?Sized)) -> Result<Vec<DeliveryRow>, StoreError> {
    let mut out = Vec::new();
    c.for_each_row(
        "SELECT k1, k2, recipient_phone, origin_region_code, shipped_ms, delivered_ms, record_id FROM deliveries",
        &[],
        &mut |r| {
            out.push(DeliveryRow {
                key: RowKey {
                    k1: r[0].int()?,
                    k2: r[1].int()?,
                },
                recipient_phone: r[2].take_text()?,
                origin_region_code: r[3].take_text()?,
                shipped: r[4].int()?,
                delivered: r[5].opt_int()?,
                record_id: r[6].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}

/// Every stored health report. A symptom or reporter code this version does not know is
/// [`StoreError::Corrupt`], like a vocabulary value.
pub(crate) fn health_reports(
    c: &mut (impl SqlConn + ?Sized),
) -> Result<Vec<HealthReportRow>, StoreError> {
    let mut out = Vec::new();
    c.for_each_row(
        "SELECT k1, k2, id_number, time_ms, temperature_dc, symptoms, pid, reporter, record_id
         FROM health_reports",
        &[],
        &mut |r| {
            let bits = r[5].int()?;
            let symptoms = Symptoms::from_bits(bits)
                .ok_or_else(|| StoreError::Corrupt(format!("symptoms {bits}")))?;
            let reporter = match r[7].opt_int()? {
                Some(code) => Some(
                    Reporter::from_code(code)
                        .ok_or_else(|| StoreError::Corrupt(format!("reporter {code}")))?,
                ),
                None => None,
            };
            out.push(HealthReportRow {
                key: RowKey {
                    k1: r[0].int()?,
                    k2: r[1].int()?,
                },
                id_number: r[2].take_text()?,
                time: r[3].int()?,
                temperature: r[4].opt_int()?.map(Temperature::from_tenths),
                symptoms,
                pid: r[6].opt_int()?,
                reporter,
                record_id: r[8].take_opt_text()?,
            });
            Ok(())
        },
    )?;
    Ok(out)
}
