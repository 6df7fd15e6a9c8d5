//! Floats as the platform accepts them: always a decimal point, never an exponent.
//!
//! Below both [`crate::model`] (a bound built from an `f64` is written this way) and
//! [`crate::value`] (the wire form), so neither layer reaches into the other for it; the
//! public path is `tsl_runtime::value::{format_f64, format_f32, NotFinite}`.

/// NaN and infinities have no JSON form the platform accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("NaN and infinities cannot be sent")]
pub struct NotFinite;

/// Writes an `f64` in fixed notation with at least one decimal place: `10.0`,
/// `10000000000000000.0`, `0.0000001`. The digits are the shortest that read back to the
/// same value.
pub fn format_f64(value: f64) -> Result<String, NotFinite> {
    if !value.is_finite() {
        return Err(NotFinite);
    }
    // `Display` for floats never uses exponent notation and prints the shortest
    // round-tripping digits; it only omits the `.0` of integral values.
    Ok(with_point(format!("{value}")))
}

/// Writes an `f32` from its own digits (`0.1`, not `0.10000000149011612`), in fixed
/// notation with at least one decimal place.
pub fn format_f32(value: f32) -> Result<String, NotFinite> {
    if !value.is_finite() {
        return Err(NotFinite);
    }
    Ok(with_point(format!("{value}")))
}

fn with_point(mut text: String) -> String {
    if !text.contains('.') {
        text.push_str(".0");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_always_have_a_point_and_no_exponent() {
        assert_eq!(format_f64(10.0).unwrap(), "10.0");
        assert_eq!(format_f64(11.1).unwrap(), "11.1");
        assert_eq!(format_f64(1e15).unwrap(), "1000000000000000.0");
        assert_eq!(format_f64(1e16).unwrap(), "10000000000000000.0");
        assert_eq!(format_f64(1e-7).unwrap(), "0.0000001");
        assert_eq!(format_f64(-0.0).unwrap(), "-0.0");
        assert_eq!(format_f64(0.0).unwrap(), "0.0");
        assert_eq!(format_f64(0.1 + 0.2).unwrap(), "0.30000000000000004");
    }

    #[test]
    fn double_extremes_are_written_in_full() {
        let tiny = format_f64(5e-324).unwrap();
        assert_eq!(tiny, format!("0.{}5", "0".repeat(323)));
        let max = format_f64(f64::MAX).unwrap();
        assert_eq!(max, format!("179769313486231570{}.0", "0".repeat(291)));
        assert_eq!(max.parse::<f64>().unwrap(), f64::MAX);
        assert_eq!(format_f64(f64::MIN).unwrap(), format!("-{max}"));
    }

    #[test]
    fn floats_use_their_own_shortest_digits() {
        assert_eq!(format_f32(0.1).unwrap(), "0.1");
        assert_eq!(format_f32(16_777_216.0).unwrap(), "16777216.0");
        assert_eq!(format_f32(26.57).unwrap(), "26.57");
        assert_eq!(format_f32(1e-7).unwrap(), "0.0000001");
        assert_eq!(format_f32(-0.0).unwrap(), "-0.0");
        assert_eq!(
            format_f32(f32::MAX).unwrap(),
            "340282350000000000000000000000000000000.0"
        );
    }

    #[test]
    fn nan_and_infinities_are_refused() {
        assert_eq!(format_f64(f64::NAN), Err(NotFinite));
        assert_eq!(format_f64(f64::INFINITY), Err(NotFinite));
        assert_eq!(format_f64(f64::NEG_INFINITY), Err(NotFinite));
        assert_eq!(format_f32(f32::NAN), Err(NotFinite));
        assert_eq!(format_f32(f32::INFINITY), Err(NotFinite));
    }

    #[test]
    fn every_double_reads_back_exactly() {
        for bits in [
            1_u64,
            0x3FB9_9999_9999_999A,
            0x4340_0000_0000_0000,
            0x7FEF_FFFF_FFFF_FFFF,
        ] {
            let value = f64::from_bits(bits);
            let text = format_f64(value).unwrap();
            assert!(text.contains('.') && !text.contains(['e', 'E']), "{text}");
            assert_eq!(text.parse::<f64>().unwrap(), value);
        }
    }

    proptest::proptest! {
        #[test]
        fn any_finite_double_round_trips_in_fixed_notation(bits in proptest::prelude::any::<u64>()) {
            let value = f64::from_bits(bits);
            if let Ok(text) = format_f64(value) {
                proptest::prop_assert!(text.contains('.') && !text.contains(['e', 'E']), "{}", text);
                proptest::prop_assert_eq!(text.parse::<f64>().ok(), Some(value));
            } else {
                proptest::prop_assert!(!value.is_finite());
            }
        }

        #[test]
        fn any_finite_float_round_trips_in_fixed_notation(bits in proptest::prelude::any::<u32>()) {
            let value = f32::from_bits(bits);
            if let Ok(text) = format_f32(value) {
                proptest::prop_assert!(text.contains('.') && !text.contains(['e', 'E']), "{}", text);
                proptest::prop_assert_eq!(text.parse::<f32>().ok(), Some(value));
            } else {
                proptest::prop_assert!(!value.is_finite());
            }
        }
    }
}
