//! The program runs to completion offline and reports every lamp.

use std::process::Command;

#[test]
fn the_fleet_program_runs_and_reports_every_lamp() {
    let out = Command::new(env!("CARGO_BIN_EXE_example-build-script"))
        .output()
        .expect("the example runs");
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
