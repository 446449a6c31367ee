//! When a schedule fires: Scheduler's `cron(...)`, `rate(...)` and `at(...)` expressions and
//! their time zone, checked before any AWS call so that a mistake is told in the user's terms.

use std::fmt;

use super::{InvalidSchedule, invalid};

/// When a schedule fires: a validated Scheduler expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleExpression {
    /// `cron(minutes hours day-of-month month day-of-week year)`.
    Cron(String),
    /// `rate(value unit)`.
    Rate(String),
    /// `at(yyyy-mm-ddThh:mm:ss)`: once.
    At(String),
}

impl ScheduleExpression {
    /// A cron expression of six fields, e.g. `0 6 1 */3 ? *` (with or without `cron(...)`).
    pub fn cron(text: &str) -> Result<Self, InvalidSchedule> {
        let body = unwrap_call(text, "cron");
        check_cron(&body).map_err(|m| invalid("--cron", format!("`{}`: {m}", text.trim())))?;
        Ok(Self::Cron(
            body.split_whitespace().collect::<Vec<_>>().join(" "),
        ))
    }

    /// A rate, e.g. `7 days` (with or without `rate(...)`).
    pub fn rate(text: &str) -> Result<Self, InvalidSchedule> {
        let body = unwrap_call(text, "rate");
        let (value, unit) =
            check_rate(&body).map_err(|m| invalid("--rate", format!("`{}`: {m}", text.trim())))?;
        Ok(Self::Rate(format!("{value} {unit}")))
    }

    /// A date and time, `2026-12-01T06:00:00` (with or without `at(...)`), in the
    /// schedule's time zone.
    pub fn at(text: &str) -> Result<Self, InvalidSchedule> {
        let body = unwrap_call(text, "at");
        check_at(&body).map_err(|m| invalid("--at", format!("`{}`: {m}", text.trim())))?;
        Ok(Self::At(body))
    }

    /// The expression as Scheduler takes it: `cron(...)`, `rate(...)` or `at(...)`.
    pub fn to_aws(&self) -> String {
        match self {
            Self::Cron(body) => format!("cron({body})"),
            Self::Rate(body) => format!("rate({body})"),
            Self::At(body) => format!("at({body})"),
        }
    }
}

impl fmt::Display for ScheduleExpression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_aws())
    }
}

/// `cron(x)` → `x`; anything else unchanged (trimmed).
fn unwrap_call(text: &str, function: &str) -> String {
    let text = text.trim();
    text.strip_prefix(function)
        .and_then(|rest| rest.trim_start().strip_prefix('('))
        .and_then(|rest| rest.strip_suffix(')'))
        .unwrap_or(text)
        .trim()
        .to_owned()
}

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/// One field of a cron expression.
struct CronField {
    name: &'static str,
    min: u32,
    max: u32,
    names: &'static [&'static str],
    /// Day fields: `?`, and `L`, `W` or `#` forms.
    day: bool,
}

const CRON_FIELDS: [CronField; 6] = [
    CronField {
        name: "minutes",
        min: 0,
        max: 59,
        names: &[],
        day: false,
    },
    CronField {
        name: "hours",
        min: 0,
        max: 23,
        names: &[],
        day: false,
    },
    CronField {
        name: "day-of-month",
        min: 1,
        max: 31,
        names: &[],
        day: true,
    },
    CronField {
        name: "month",
        min: 1,
        max: 12,
        names: &MONTHS,
        day: false,
    },
    CronField {
        name: "day-of-week",
        min: 1,
        max: 7,
        names: &DAYS,
        day: true,
    },
    CronField {
        name: "year",
        min: 1970,
        max: 2199,
        names: &[],
        day: false,
    },
];

fn check_cron(body: &str) -> Result<(), String> {
    let fields: Vec<&str> = body.split_whitespace().collect();
    if fields.len() != 6 {
        return Err(format!(
            "a Scheduler cron expression has 6 fields (minutes hours day-of-month month \
             day-of-week year), e.g. \"0 6 1 */3 ? *\"; this one has {}",
            fields.len()
        ));
    }
    for (field, text) in CRON_FIELDS.iter().zip(&fields) {
        check_cron_field(field, text).map_err(|m| format!("{} field `{text}`: {m}", field.name))?;
    }
    let (day_of_month, day_of_week) = (fields[2], fields[4]);
    if (day_of_month == "?") == (day_of_week == "?") {
        return Err(
            "exactly one of day-of-month (3rd field) and day-of-week (5th field) must be `?`"
                .to_owned(),
        );
    }
    Ok(())
}

fn check_cron_field(field: &CronField, text: &str) -> Result<(), String> {
    if text == "?" {
        return if field.day {
            Ok(())
        } else {
            Err("`?` is allowed only in day-of-month or day-of-week".to_owned())
        };
    }
    for item in text.split(',') {
        let (base, step) = match item.split_once('/') {
            Some((base, step)) => (base, Some(step)),
            None => (item, None),
        };
        if let Some(step) = step {
            match step.parse::<u32>() {
                Ok(n) if n > 0 => {}
                _ => return Err(format!("step `{step}` is not a positive number")),
            }
        }
        if base == "*" {
            continue;
        }
        if field.day && check_day_special(field, base) {
            continue;
        }
        let mut bounds = base.splitn(2, '-');
        for part in bounds.by_ref() {
            cron_value(field, part)?;
        }
    }
    Ok(())
}

/// `L`, `5L`, `15W`, `LW` (day of month); `L`, `6L`, `6#3`, `FRI#3` (day of week).
fn check_day_special(field: &CronField, base: &str) -> bool {
    let valid = |part: &str| cron_value(field, part).is_ok();
    if base == "L" || (field.name == "day-of-month" && base == "LW") {
        return true;
    }
    if let Some(number) = base.strip_suffix('L') {
        return valid(number);
    }
    if field.name == "day-of-month"
        && let Some(number) = base.strip_suffix('W')
    {
        return valid(number);
    }
    if field.name == "day-of-week"
        && let Some((day, nth)) = base.split_once('#')
    {
        return valid(day) && matches!(nth.parse::<u32>(), Ok(1..=5));
    }
    false
}

fn cron_value(field: &CronField, part: &str) -> Result<(), String> {
    if field.names.iter().any(|n| n.eq_ignore_ascii_case(part)) {
        return Ok(());
    }
    match part.parse::<u32>() {
        Ok(n) if (field.min..=field.max).contains(&n) => Ok(()),
        Ok(n) => Err(format!("{n} is outside {}..={}", field.min, field.max)),
        Err(_) if part.is_empty() => Err("empty value".to_owned()),
        Err(_) => Err(format!(
            "`{part}` is not a value of this field ({}..={}{})",
            field.min,
            field.max,
            if field.names.is_empty() {
                String::new()
            } else {
                format!(" or {}", field.names.join(","))
            }
        )),
    }
}

fn check_rate(body: &str) -> Result<(u64, String), String> {
    let parts: Vec<&str> = body.split_whitespace().collect();
    let [value, unit] = parts.as_slice() else {
        return Err(
            "a rate is `VALUE UNIT`, e.g. \"7 days\", \"12 hours\", \"1 minute\"".to_owned(),
        );
    };
    let value: u64 = match value.parse() {
        Ok(n) if n > 0 => n,
        _ => return Err(format!("`{value}` is not a positive whole number")),
    };
    let unit = unit.to_ascii_lowercase();
    let singular = unit.strip_suffix('s').unwrap_or(&unit);
    if !matches!(singular, "minute" | "hour" | "day") {
        return Err(format!(
            "unit `{unit}` is not one of minute(s), hour(s), day(s)"
        ));
    }
    // Scheduler wants `1 day` and `7 days`, nothing else.
    let unit = if value == 1 {
        singular.to_owned()
    } else {
        format!("{singular}s")
    };
    Ok((value, unit))
}

fn check_at(body: &str) -> Result<(), String> {
    let shape_ok = body.len() == 19
        && body.as_bytes().get(10) == Some(&b'T')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-:T".contains(&b));
    if !shape_ok {
        return Err(
            "a one-time schedule is `yyyy-mm-ddThh:mm:ss` (no zone; see --timezone), e.g. \
             2026-12-01T06:00:00"
                .to_owned(),
        );
    }
    body.parse::<jiff::civil::DateTime>()
        .map(|_| ())
        .map_err(|e| format!("not a valid date and time: {e}"))
}

/// A time zone Scheduler will take: an IANA name.
pub(super) fn check_timezone(zone: &str) -> Result<(), InvalidSchedule> {
    // Without a time zone database here nothing can be checked: leave it to Scheduler.
    if jiff::tz::db().is_definitively_empty() {
        return Ok(());
    }
    jiff::tz::TimeZone::get(zone).map(|_| ()).map_err(|_| {
        invalid(
            "--timezone",
            format!(
                "`{zone}` is not an IANA time zone name (e.g. UTC, Europe/Paris, America/New_York)"
            ),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_expressions_need_six_fields_and_one_question_mark() {
        assert_eq!(
            ScheduleExpression::cron("0 6 1 */3 ? *").unwrap().to_aws(),
            "cron(0 6 1 */3 ? *)"
        );
        assert!(ScheduleExpression::cron("cron(0 6 ? * MON-FRI *)").is_ok());
        assert!(ScheduleExpression::cron("0 6 ? * 6#3 *").is_ok());
        assert!(ScheduleExpression::cron("0 6 L * ? *").is_ok());
        let five = ScheduleExpression::cron("0 6 1 * *").unwrap_err();
        assert!(five.message.contains("6 fields"), "{five}");
        assert!(five.message.contains("has 5"), "{five}");
        let both = ScheduleExpression::cron("0 6 1 * MON *").unwrap_err();
        assert!(both.message.contains("exactly one"), "{both}");
        let hour = ScheduleExpression::cron("0 24 1 * ? *").unwrap_err();
        assert!(hour.message.contains("hours field `24`"), "{hour}");
        assert!(ScheduleExpression::cron("0 6 1 FOO ? *").is_err());
        assert!(ScheduleExpression::cron("0/0 6 1 * ? *").is_err());
        assert!(ScheduleExpression::cron("? 6 1 * ? *").is_err());
    }

    #[test]
    fn rates_are_a_positive_value_and_a_unit_in_the_right_number() {
        assert_eq!(
            ScheduleExpression::rate("7 days").unwrap().to_aws(),
            "rate(7 days)"
        );
        assert_eq!(
            ScheduleExpression::rate("rate(1 days)").unwrap().to_aws(),
            "rate(1 day)"
        );
        assert_eq!(
            ScheduleExpression::rate("12 hour").unwrap().to_aws(),
            "rate(12 hours)"
        );
        for bad in [
            "7",
            "0 days",
            "-1 days",
            "7 weeks",
            "seven days",
            "7 days later",
        ] {
            let error = ScheduleExpression::rate(bad).unwrap_err();
            assert_eq!(error.option, "--rate", "{bad}");
        }
    }

    #[test]
    fn at_is_a_local_date_and_time_to_the_second() {
        assert_eq!(
            ScheduleExpression::at("2026-12-01T06:00:00")
                .unwrap()
                .to_aws(),
            "at(2026-12-01T06:00:00)"
        );
        for bad in [
            "2026-12-01",
            "2026-12-01T06:00",
            "2026-12-01 06:00:00",
            "2026-12-01T06:00:00Z",
            "2026-13-01T06:00:00",
            "2026-02-30T06:00:00",
        ] {
            let error = ScheduleExpression::at(bad).unwrap_err();
            assert_eq!(error.option, "--at", "{bad}");
        }
    }
}
