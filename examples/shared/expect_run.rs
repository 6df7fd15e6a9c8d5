//! What each way's test expects of the fleet program's run: it finishes offline and
//! reports every lamp. Included by `tests/runs.rs` of each example.

use std::process::Output;

/// Asserts the run succeeded, blinked, refused the out-of-range call before sending, and
/// wrote an accepted line for every lamp.
pub fn the_fleet_program_ran(out: &Output) {
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("lamp-0001 blinked 3 times"), "{stdout}");
    assert!(stdout.contains("not sent: "), "{stdout}");
    for lamp in ["lamp-0001", "lamp-0002", "lamp-0003"] {
        let line = format!(
            "{{\"product_key\":\"a1StreetLmp\",\"device_name\":\"{lamp}\",\"status\":\"accepted\""
        );
        assert!(stdout.contains(&line), "{stdout}");
    }
}
