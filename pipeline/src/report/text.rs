//! Numbers as the report prints them.

use curate_tokenizer::format::{si, thousands};

/// What a count the run did not measure prints as.
pub const UNKNOWN: &str = "–";

pub fn count(n: u64) -> String {
    thousands(n)
}

pub fn opt_count(n: Option<u64>) -> String {
    n.map_or_else(|| UNKNOWN.to_owned(), thousands)
}

/// A signed count (`-3`, `12`).
pub fn signed(n: Option<i64>) -> String {
    match n {
        Some(n) if n < 0 => format!("-{}", thousands(n.unsigned_abs())),
        Some(n) => thousands(n as u64),
        None => UNKNOWN.to_owned(),
    }
}

pub fn percent(fraction: f64) -> String {
    curate_tokenizer::format::percent(fraction)
}

pub fn opt_percent(fraction: Option<f64>) -> String {
    fraction.map_or_else(|| UNKNOWN.to_owned(), percent)
}

/// A large quantity with a K/M/B/T suffix (`2.50B`).
pub fn large(x: f64) -> String {
    si(x)
}

pub fn seconds(s: f64) -> String {
    if s < 10.0 {
        format!("{s:.3} s")
    } else {
        format!("{s:.1} s")
    }
}

/// A rate per second with a suffix (`12.3K/s`).
pub fn rate(per_second: Option<f64>) -> String {
    per_second.map_or_else(|| UNKNOWN.to_owned(), |r| format!("{}/s", si(r)))
}

/// Bytes per second in MB/s.
pub fn megabytes_per_second(per_second: Option<f64>) -> String {
    per_second.map_or_else(|| UNKNOWN.to_owned(), |r| format!("{:.2} MB/s", r / 1e6))
}

/// FLOPs in scientific notation (`1.88e18`).
pub fn flops(x: f64) -> String {
    format!("{x:.3e}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_print_for_people() {
        assert_eq!(count(1234567), "1,234,567");
        assert_eq!(opt_count(None), UNKNOWN);
        assert_eq!(signed(Some(-1234)), "-1,234");
        assert_eq!(percent(0.5), "50.00%");
        assert_eq!(flops(1.875e18), "1.875e18");
        assert_eq!(rate(Some(12_345.0)), "12.3K/s");
    }
}
