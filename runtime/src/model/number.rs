//! Numbers written in a model's specs: `"0.01"`, `"-2147483648"`, `"1.7976931348623157E308"`.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

/// A bound or step from a model, kept as the model wrote it.
///
/// `value` is the nearest `f64` (bounds compare in `f64`, which holds every `f32` and every
/// `i32` exactly); `exact` is the decimal value when it fits in 28 significant digits, which
/// step checks use so that `0.3` is a multiple of `0.1`.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    text: String,
    value: f64,
    exact: Option<Decimal>,
}

/// Why a spec number could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NumberError {
    /// Not decimal notation.
    #[error("`{0}` is not a decimal number")]
    NotANumber(String),
    /// Outside what a double can hold.
    #[error("`{0}` is outside the range of a double")]
    OutOfRange(String),
}

impl Bound {
    /// Reads decimal notation with an optional exponent (`1.5`, `-4.9E-324`, `1e3`).
    /// Leading/trailing spaces are ignored; hex, `inf`, `NaN` and empty text are refused.
    pub fn parse(text: &str) -> Result<Bound, NumberError> {
        let trimmed = text.trim();
        if !is_decimal_notation(trimmed) {
            return Err(NumberError::NotANumber(text.to_string()));
        }
        let value: f64 = trimmed
            .parse()
            .map_err(|_| NumberError::NotANumber(text.to_string()))?;
        if !value.is_finite() {
            return Err(NumberError::OutOfRange(text.to_string()));
        }
        let exact = if trimmed.contains(['e', 'E']) {
            Decimal::from_scientific(trimmed).ok()
        } else {
            Decimal::from_str(trimmed).ok()
        };
        Ok(Bound {
            text: text.to_string(),
            value,
            exact,
        })
    }

    /// A bound from an `f64` (for tests and models built in code).
    pub fn from_f64(value: f64) -> Option<Bound> {
        if !value.is_finite() {
            return None;
        }
        let text = crate::float::format_f64(value).ok()?;
        Bound::parse(&text).ok()
    }

    /// The text as the model wrote it.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The nearest `f64`.
    pub fn value(&self) -> f64 {
        self.value
    }

    /// The exact decimal value, when it has at most 28 significant digits.
    pub fn exact(&self) -> Option<Decimal> {
        self.exact
    }

    /// The value as an integer, when it is one and fits in `i64`.
    pub fn as_i64(&self) -> Option<i64> {
        match self.exact {
            Some(d) if d.fract().is_zero() => i64::try_from(d).ok(),
            _ => None,
        }
    }

    /// Whether this looks like a "no limit" placeholder rather than a real bound: Java's
    /// `Double.MAX_VALUE` / `Double.MIN_VALUE` and anything of a magnitude beyond `1e300` or
    /// below `1e-300` (but not zero). Such values cannot be meant as a device's range.
    pub fn is_sentinel(&self) -> bool {
        let magnitude = self.value.abs();
        magnitude > 1e300 || (magnitude != 0.0 && magnitude < 1e-300) || self.is_zero_underflow()
    }

    /// `4.9E-324` and friends can round to zero in `f64`; they are still sentinels.
    fn is_zero_underflow(&self) -> bool {
        self.value == 0.0 && self.exact.is_none_or(|d| !d.is_zero()) && !is_written_zero(&self.text)
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.text.trim())
    }
}

/// `[+-]digits[.digits][(e|E)[+-]digits]`, or `.digits` after the sign.
fn is_decimal_notation(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let int_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    let mut digits = i - int_start;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        let frac_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        digits += i - frac_start;
    }
    if digits == 0 {
        return false;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp_start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == exp_start {
            return false;
        }
    }
    i == b.len()
}

/// Whether the mantissa is all zeros (`0`, `-0.0`, `0e5`).
fn is_written_zero(text: &str) -> bool {
    text.trim()
        .split(['e', 'E'])
        .next()
        .unwrap_or("")
        .chars()
        .all(|c| matches!(c, '0' | '.' | '-' | '+'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_plain_and_exponent_notation() {
        let b = Bound::parse("0.01").unwrap();
        assert_eq!(b.value(), 0.01);
        assert_eq!(b.exact(), Some(Decimal::new(1, 2)));
        assert_eq!(b.text(), "0.01");
        assert_eq!(Bound::parse("1E3").unwrap().as_i64(), Some(1000));
        assert_eq!(
            Bound::parse("-2147483648").unwrap().as_i64(),
            Some(-2147483648)
        );
        assert_eq!(Bound::parse(" 5 ").unwrap().value(), 5.0);
        assert_eq!(Bound::parse(".5").unwrap().value(), 0.5);
    }

    #[test]
    fn keeps_java_extremes_and_marks_them_sentinels() {
        let max = Bound::parse("1.7976931348623157E308").unwrap();
        assert_eq!(max.value(), f64::MAX);
        assert_eq!(max.exact(), None);
        assert!(max.is_sentinel());
        assert_eq!(max.text(), "1.7976931348623157E308");
        let min = Bound::parse("-4.9E-324").unwrap();
        assert!(min.is_sentinel());
        assert!(min.value() <= 0.0);
        assert!(!Bound::parse("-2147483648").unwrap().is_sentinel());
        assert!(!Bound::parse("0").unwrap().is_sentinel());
        assert!(!Bound::parse("0.0E10").unwrap().is_sentinel());
        assert!(!Bound::parse("1e-6").unwrap().is_sentinel());
    }

    #[test]
    fn refuses_what_is_not_a_decimal() {
        for bad in [
            "", " ", "abc", "0x10", "inf", "NaN", "1e", "1e+", "--1", "1.2.3", "+", ".", "1,5",
        ] {
            assert!(
                matches!(Bound::parse(bad), Err(NumberError::NotANumber(_))),
                "{bad:?} accepted"
            );
        }
        assert_eq!(
            Bound::parse("1e400"),
            Err(NumberError::OutOfRange("1e400".into()))
        );
        // A huge exponent is refused quickly rather than expanded.
        assert!(Bound::parse("1e999999999999999999").is_err());
    }

    #[test]
    fn integers_only_when_integral() {
        assert_eq!(Bound::parse("2.5").unwrap().as_i64(), None);
        assert_eq!(Bound::parse("3.0").unwrap().as_i64(), Some(3));
    }
}
