//! The screening's settings: the moment, the lookback, the home region and the zone times are
//! read and printed in. `screen`, `trace` and `serve` all turn them into the engine's parameters
//! here, so that one moment means the same everywhere (CONTRACT.md section 5).

use chrono_tz::Tz;
use tracegrid_engine::{ScreenParams, World};
use tracegrid_model::{Millis, read_moment};

use crate::error::{CityError, CityResult};

/// How a city is screened.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    /// A fixed moment; `None`: the current time, the window moving with the clock.
    pub as_of: Option<Millis>,
    pub lookback_days: i64,
    /// Turns on OUTSIDE_ARRIVAL for arrivals into this region.
    pub home_region: Option<String>,
    /// The zone of local times: read in it, printed in it.
    pub zone: Tz,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            as_of: None,
            lookback_days: 14,
            home_region: None,
            zone: chrono_tz::Asia::Shanghai,
        }
    }
}

impl Settings {
    /// Settings from their written forms: `as_of` a moment of section 5, `tz` a zone name.
    pub fn read(
        as_of: Option<&str>,
        lookback_days: i64,
        home_region: Option<&str>,
        tz: &str,
    ) -> CityResult<Settings> {
        let zone: Tz = tz.parse().map_err(|_| {
            CityError::Invalid(format!(
                "tz {tz} is not a time zone name such as Asia/Shanghai (--tz)"
            ))
        })?;
        let as_of = match as_of {
            Some(t) => Some(
                read_moment(t, zone)
                    .map_err(|e| CityError::Invalid(format!("as-of {t} (--as-of): {e}")))?,
            ),
            None => None,
        };
        if lookback_days < 0 {
            return Err(CityError::Invalid(
                "the lookback (--lookback-days) must not be negative".into(),
            ));
        }
        Ok(Settings {
            as_of,
            lookback_days,
            home_region: home_region.map(str::to_owned),
            zone,
        })
    }

    /// These settings at another moment (a moment of section 5; `None`: the clock) and, if
    /// given, another lookback.
    pub fn moved(&self, as_of: Option<&str>, lookback_days: Option<i64>) -> CityResult<Settings> {
        let mut s = Settings::read(
            as_of,
            lookback_days.unwrap_or(self.lookback_days),
            self.home_region.as_deref(),
            self.zone.name(),
        )?;
        s.zone = self.zone;
        Ok(s)
    }

    /// The engine's parameters at `now` (used when no moment is fixed).
    pub fn params(&self, world: &World, now: Millis) -> CityResult<ScreenParams> {
        let home_region = match &self.home_region {
            Some(h) => Some(world.region(h).ok_or_else(|| {
                CityError::Invalid(format!(
                    "home region {h} (--home-region) is not a known region"
                ))
            })?),
            None => None,
        };
        Ok(ScreenParams {
            as_of: self.as_of.unwrap_or(now),
            lookback_days: self.lookback_days,
            home_region,
        })
    }

    /// Formats an instant in the settings' zone, as the contract prints times.
    pub fn time(&self, t: Millis) -> String {
        tracegrid_model::format_time(t, self.zone)
    }
}

/// The current time.
pub fn now_ms() -> Millis {
    chrono::Utc::now().timestamp_millis()
}
