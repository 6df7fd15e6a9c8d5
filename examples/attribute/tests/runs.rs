//! The program runs to completion offline and reports every lamp.

#[path = "../../shared/expect_run.rs"]
mod expect_run;

use std::process::Command;

#[test]
fn the_fleet_program_runs_and_reports_every_lamp() {
    let out = Command::new(env!("CARGO_BIN_EXE_example-attribute"))
        .output()
        .expect("the example runs");
    expect_run::the_fleet_program_ran(&out);
}
