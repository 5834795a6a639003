//! `appmap verify`: read a snapshot (and a map), print findings, pick the exit code.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, anyhow, bail};
use appmap::verify::{Report, Severity, VerifyOptions};
use clap::{Args, ValueEnum};

/// Arguments of `appmap verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The map file (YAML); without it, the map is read from the `appmap_*`
    /// resources in the snapshot.
    #[arg(long)]
    map: Option<PathBuf>,
    /// `terraform show -json` of a state or saved plan, or
    /// `aws ec2 describe-security-groups --output json`.
    #[arg(long)]
    snapshot: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = VerifyFormat::Text)]
    format: VerifyFormat,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum, default_value_t = FailOn::High)]
    fail_on: FailOn,
    /// The date review_by is compared with (YYYY-MM-DD); defaults to today (UTC).
    #[arg(long)]
    today: Option<String>,
    /// Write to this file (atomically) instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum VerifyFormat {
    Text,
    Json,
    Sarif,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum FailOn {
    Low,
    Medium,
    High,
    Critical,
}

impl From<FailOn> for Severity {
    fn from(f: FailOn) -> Self {
        match f {
            FailOn::Low => Severity::Low,
            FailOn::Medium => Severity::Medium,
            FailOn::High => Severity::High,
            FailOn::Critical => Severity::Critical,
        }
    }
}

/// Runs the command; `Err` is bad input (exit 2).
pub fn run(args: VerifyArgs) -> anyhow::Result<u8> {
    let today = match &args.today {
        Some(t) => t.parse().map_err(|e: String| anyhow!("--today: {e}"))?,
        None => today_utc(),
    };
    let text = read(&args.snapshot, "snapshot")?;
    let snapshot = appmap::parse_snapshot(&args.snapshot.display().to_string(), &text)?;
    drop(text);
    let vm = match &args.map {
        Some(path) => {
            let map_text = read(path, "map file")?;
            appmap::load_str(&path.display().to_string(), &map_text).map_err(|d| {
                anyhow!(
                    "{}\n{}: invalid map: {} error(s)",
                    d.render(Some(&map_text)),
                    path.display(),
                    d.errors().count()
                )
            })?
        }
        None => match &snapshot.map {
            Some(map) => appmap::ValidMap::new(map.clone()).map_err(|d| {
                anyhow!(
                    "{}\nthe appmap resources in {} do not make a valid map",
                    d.render(None),
                    args.snapshot.display()
                )
            })?,
            None => bail!(
                "no map: {} holds no appmap_service / appmap_relation resources; pass the map with --map FILE",
                args.snapshot.display()
            ),
        },
    };
    let report: Report = appmap::verify(&vm, &snapshot, &VerifyOptions { today: Some(today) });
    let out = match args.format {
        VerifyFormat::Text => report.to_text(),
        VerifyFormat::Json => report.to_json(),
        VerifyFormat::Sarif => report.to_sarif(),
    };
    crate::output::emit(args.output.as_deref(), &out)?;
    Ok(if report.count_at_or_above(args.fail_on.into()) > 0 { 1 } else { 0 })
}

fn read(path: &Path, what: &str) -> anyhow::Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {what} {}", path.display()))?;
    String::from_utf8(bytes)
        .map_err(|e| anyhow!("{what} {} is not UTF-8 text (byte {})", path.display(), e.utf8_error().valid_up_to()))
}

/// Today's date in UTC, from the system clock.
fn today_utc() -> appmap::Date {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    appmap::Date::new(y, m, d).unwrap_or_else(|| appmap::Date::new(1970, 1, 1).unwrap_or_else(|| unreachable!()))
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (u16, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if m <= 2 { y + 1 } else { y };
    (y.clamp(0, 9999) as u16, m as u8, d as u8)
}

#[cfg(test)]
mod tests {
    use super::civil_from_days;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_635), (2026, 7, 1));
    }
}
