//! Reading the collected results: JSON lines per bench, number arrays, percentiles, dates.

use std::path::Path;

use serde_json::Value;

/// Everything `npm run bench:report` collected.
pub struct Results {
    /// `workerd.jsonl`: point-select and cold-start records per network.
    pub workerd: Vec<Value>,
    /// `sync.jsonl`: one record per network, protocol and size.
    pub sync: Vec<Value>,
    /// `replica.jsonl`: the native replica bench.
    pub replica: Vec<Value>,
    /// `wasm-size.json`.
    pub wasm_size: Option<Value>,
    /// When the report was generated (the newest record's date).
    pub generated: String,
}

fn lines(path: &Path) -> Result<Vec<Value>, Box<dyn std::error::Error>> {
    let Ok(text) = std::fs::read_to_string(path) else { return Ok(Vec::new()) };
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).map_err(|e| format!("{}: {e}", path.display()).into()))
        .collect()
}

impl Results {
    /// Reads what exists in `dir`.
    pub fn load(dir: &Path) -> Result<Results, Box<dyn std::error::Error>> {
        let workerd = lines(&dir.join("workerd.jsonl"))?;
        let sync = lines(&dir.join("sync.jsonl"))?;
        let replica = lines(&dir.join("replica.jsonl"))?;
        let wasm_size = lines(&dir.join("wasm-size.json"))?.pop();
        let generated = workerd
            .iter()
            .chain(&sync)
            .chain(&replica)
            .chain(wasm_size.iter())
            .map(date)
            .max()
            .unwrap_or_else(|| "no results".into());
        if workerd.is_empty() && sync.is_empty() && replica.is_empty() {
            return Err(format!("no results in {}", dir.display()).into());
        }
        Ok(Results { workerd, sync, replica, wasm_size, generated })
    }
}

/// A record's date as `YYYY-MM-DD HH:MM UTC` (from ISO text or `unix:<secs>`).
pub fn date(rec: &Value) -> String {
    let raw = rec["date"].as_str().unwrap_or("");
    if let Some(secs) = raw.strip_prefix("unix:").and_then(|s| s.parse::<i64>().ok()) {
        let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
        let t = secs.rem_euclid(86_400);
        return format!("{y:04}-{m:02}-{d:02} {:02}:{:02} UTC", t / 3600, t % 3600 / 60);
    }
    if raw.len() >= 16 {
        return format!("{} {} UTC", &raw[..10], &raw[11..16]);
    }
    raw.to_string()
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The numbers of a JSON array (others skipped).
pub fn floats(v: &Value) -> Vec<f64> {
    v.as_array().map(|a| a.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
}

/// The p-th percentile (nearest rank); NaN when empty.
pub fn pct(xs: &[f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut s = xs.to_vec();
    s.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * s.len() as f64).ceil() as usize;
    s[rank.clamp(1, s.len()) - 1]
}

/// The median (nearest rank).
pub fn median(xs: &[f64]) -> f64 {
    pct(xs, 50.0)
}

/// Milliseconds as text (µs below 1 ms).
pub fn ms(v: f64) -> String {
    if v.is_nan() {
        "-".into()
    } else if v.abs() < 1.0 {
        format!("{:.1} µs", v * 1e3)
    } else {
        format!("{} ms", crate::plot::short(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn date_reads_iso_and_unix_seconds() {
        assert_eq!(date(&serde_json::json!({"date": "2026-11-30T16:14:19.084Z"})), "2026-11-30 16:14 UTC");
        assert_eq!(date(&serde_json::json!({"date": "unix:1796054400"})), "2026-11-30 16:00 UTC");
        assert_eq!(date(&serde_json::json!({"date": "unix:0"})), "1970-01-01 00:00 UTC");
    }

    #[test]
    fn pct_is_nearest_rank() {
        let xs = [5.0, 1.0, 3.0, 2.0, 4.0];
        assert_eq!((median(&xs), pct(&xs, 99.0), pct(&xs, 1.0)), (3.0, 5.0, 1.0));
        assert!(median(&[]).is_nan());
    }
}
