//! Local calendar dates of many instants, mostly in time order (a team's events), without
//! asking the time zone for each: an instant's 15-minute UTC slot is remembered with its date.
//! Every time zone's offsets today are whole quarter hours, so local midnights and offset
//! changes fall on slot boundaries; a slot whose two ends disagree (an older, odd offset) is
//! never remembered, and its instants ask the time zone.

use super::calendar::{local_date, offset_seconds};
use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

const SLOT_MS: i64 = 15 * 60 * 1_000;

/// Local dates in one time zone.
pub struct LocalDays {
    tz: Tz,
    /// The remembered slot (`i64::MIN`: none) and its date.
    slot: i64,
    date: NaiveDate,
}

impl LocalDays {
    pub fn new(tz: Tz) -> Self {
        LocalDays {
            tz,
            slot: i64::MIN,
            date: NaiveDate::MIN,
        }
    }

    /// The local date of `at_ms` (epoch milliseconds).
    pub fn date(&mut self, at_ms: i64) -> NaiveDate {
        let slot = at_ms.div_euclid(SLOT_MS);
        if slot == self.slot {
            return self.date;
        }
        let at = |ms: i64| DateTime::from_timestamp_millis(ms).unwrap_or_default();
        let (first, last) = (at(slot * SLOT_MS), at(slot * SLOT_MS + SLOT_MS - 1));
        let date = local_date(self.tz, first);
        let uniform = date == local_date(self.tz, last)
            && offset_seconds(self.tz, first) == offset_seconds(self.tz, last);
        if !uniform {
            return local_date(self.tz, at(at_ms));
        }
        (self.slot, self.date) = (slot, date);
        date
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_equal_the_time_zones_answer() {
        // Quarter-hour and half-hour offsets, DST days both ways, and an odd historical offset.
        let zones = [
            "UTC",
            "Asia/Kathmandu",
            "America/St_Johns",
            "Europe/London",
            "Australia/Lord_Howe",
            "Africa/Monrovia",
        ];
        let mut seed = 11u64;
        let mut next = || {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            seed >> 20
        };
        for zone in zones {
            let tz: Tz = zone.parse().unwrap();
            let mut days = LocalDays::new(tz);
            // Around 1970 (Monrovia's -0:44:30) and around today's DST changes, in order and not.
            for base in [0i64, 1_774_000_000_000, 1_792_000_000_000] {
                let mut at = base - 40 * 86_400_000;
                for _ in 0..4_000 {
                    at += (next() % 3_600_000) as i64;
                    let t = if next() % 5 == 0 {
                        at - (next() % 86_400_000) as i64
                    } else {
                        at
                    };
                    let want = local_date(tz, DateTime::from_timestamp_millis(t).unwrap());
                    assert_eq!(days.date(t), want, "{zone} at {t}");
                }
            }
        }
    }
}
