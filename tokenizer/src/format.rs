//! Human-readable numbers for reports: `1.01T tokens`, `5.88e23 FLOPs`, `51.27%`.

/// A count with a K/M/B/T suffix and three significant digits (`1.01T`, `569B`, `12.3M`);
/// below 1,000 the plain rounded number.
pub fn si(x: f64) -> String {
    if !x.is_finite() {
        return if x.is_nan() {
            "n/a".into()
        } else {
            "∞".into()
        };
    }
    let sign = if x < 0.0 { "-" } else { "" };
    let a = x.abs();
    const UNITS: [(f64, &str); 4] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")];
    for (scale, suffix) in UNITS {
        // Round first so that 999.96e9 prints as 1.00T, not 1000B.
        let v = a / scale;
        if round3(v) >= 1.0 {
            return format!("{sign}{}{suffix}", three_digits(v));
        }
    }
    format!("{sign}{}", a.round())
}

/// Rounds to three significant digits.
fn round3(v: f64) -> f64 {
    if v == 0.0 {
        return 0.0;
    }
    let digits = 2 - v.abs().log10().floor() as i32;
    let p = 10f64.powi(digits);
    (v * p).round() / p
}

fn three_digits(v: f64) -> String {
    let r = round3(v);
    if r >= 100.0 {
        format!("{r:.0}")
    } else if r >= 10.0 {
        format!("{r:.1}")
    } else {
        format!("{r:.2}")
    }
}

/// An integer with comma thousands separators: `784313` → `784,313`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1.01T tokens`.
pub fn tokens(x: f64) -> String {
    format!("{} tokens", si(x))
}

/// FLOPs in scientific notation with three significant digits: `5.88e23 FLOPs`.
pub fn flops(x: f64) -> String {
    format!("{x:.2e} FLOPs")
}

/// A fraction as a percentage with two decimals: `0.512711` → `51.27%`.
pub fn percent(fraction: f64) -> String {
    format!("{:.2}%", fraction * 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(tokens(1.012e12), "1.01T tokens");
        assert_eq!(si(569e9), "569B");
        assert_eq!(si(708e9), "708B");
        assert_eq!(si(12_345_678.0), "12.3M");
        assert_eq!(si(999.96e9), "1.00T");
        assert_eq!(si(999.0), "999");
        assert_eq!(si(-304e9), "-304B");
        assert_eq!(si(f64::INFINITY), "∞");
        assert_eq!(flops(5.88e23), "5.88e23 FLOPs");
        assert_eq!(percent(363.0 / 708.0), "51.27%");
        assert_eq!(thousands(784_313), "784,313");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(12), "12");
        assert_eq!(thousands(0), "0");
    }
}
