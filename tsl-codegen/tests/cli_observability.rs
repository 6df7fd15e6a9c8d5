//! `-v`, `-q` and `RUST_LOG` as a user runs them (the binary, against the emulator on
//! 127.0.0.1), and the shell completions and man pages (`completions SHELL`, `man`).

mod ops_support;
use ops_support::*;

fn invoke_blink(
    emulator: &tsl_runtime::emulator::RunningEmulator,
    env: &[(&str, &str)],
    flags: &[&str],
) -> std::process::Output {
    let mut args: Vec<&str> = flags.to_vec();
    args.extend([
        "invoke",
        "--model",
        LAMP,
        "--device",
        "lamp-1",
        "--service",
        "Blink",
        "--args",
        r#"{"Times":3,"Interval":1.0}"#,
    ]);
    run_with_env(&emulator.endpoint(), SECRET, env, &args, None)
}

/// No `RUST_LOG` from the environment that runs the tests.
const NO_RUST_LOG: (&str, &str) = ("RUST_LOG", "");

#[test]
fn without_flags_nothing_is_logged_and_vv_shows_the_call_span() {
    let emulator = emulator(["lamp-1"]);
    let plain = invoke_blink(&emulator, &[NO_RUST_LOG], &[]);
    assert_exit(&plain, 0);
    assert!(!stderr(&plain).contains("tsl.call"), "{}", stderr(&plain));

    let verbose = invoke_blink(&emulator, &[NO_RUST_LOG], &["-vv"]);
    assert_exit(&verbose, 0);
    let log = stderr(&verbose);
    let request_id = request_ids(&emulator).pop().expect("a request");
    let answered = log
        .lines()
        .find(|line| line.contains("answered"))
        .unwrap_or_else(|| panic!("no `answered` event:\n{log}"));
    // The span's fields recorded when the answer came are in the event's context.
    for expected in [
        "tsl.call",
        "action=\"InvokeThingService\"",
        "DEBUG",
        "outcome=\"ok\"",
        request_id.as_str(),
    ] {
        assert!(
            answered.contains(expected),
            "{expected} missing: {answered}"
        );
    }
    // stdout is unchanged by logging: one JSON line.
    assert_eq!(lines(&verbose).len(), 1, "{}", stdout(&verbose));
    assert!(!log.contains("Signature="), "{log}");
}

#[test]
fn rust_log_is_used_instead_of_the_flags_and_a_bad_one_is_reported() {
    let emulator = emulator(["lamp-1"]);
    let traced = invoke_blink(&emulator, &[("RUST_LOG", "tsl_runtime=debug")], &[]);
    assert_exit(&traced, 0);
    assert!(stderr(&traced).contains("answered"), "{}", stderr(&traced));

    let bad = invoke_blink(&emulator, &[("RUST_LOG", "tsl_runtime=loud")], &[]);
    assert_exit(&bad, 0);
    let log = stderr(&bad);
    assert!(
        log.contains("RUST_LOG=`tsl_runtime=loud` is not a filter"),
        "{log}"
    );
}

#[test]
fn quiet_is_one_flag_for_every_command_and_conflicts_with_verbose() {
    let emulator = emulator(["lamp-1"]);
    // Before or after the command name.
    for flags in [&["-q"][..], &[]] {
        let mut args: Vec<&str> = flags.to_vec();
        args.extend(["check", "tests/fixtures/broken-lamp.json"]);
        if flags.is_empty() {
            args.push("--quiet");
        }
        let out = run(&emulator, &args);
        assert_exit(&out, 1);
        assert!(!stderr(&out).contains("warning"), "{}", stderr(&out));
        assert!(stderr(&out).contains("error"), "{}", stderr(&out));
    }
    let both = run(&emulator, &["-v", "-q", "check", LAMP]);
    assert_exit(&both, 2);
    assert!(
        stderr(&both).contains("cannot be used with"),
        "{}",
        stderr(&both)
    );
}

#[test]
fn completions_name_every_command_for_each_shell() {
    let emulator = emulator([]);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = run(&emulator, &["completions", shell]);
        assert_exit(&out, 0);
        let script = stdout(&out);
        for command in ["check", "generate", "invoke", "emulate", "listen", "diff"] {
            assert!(script.contains(command), "{shell}: no `{command}`");
        }
    }
    let bad = run(&emulator, &["completions", "cmd.exe"]);
    assert_exit(&bad, 2);
}

#[test]
fn man_prints_a_page_and_writes_one_per_command() {
    let emulator = emulator([]);
    let out = run(&emulator, &["man"]);
    assert_exit(&out, 0);
    let page = stdout(&out);
    assert!(
        page.starts_with(".ie") || page.contains(".TH tsl-codegen 1"),
        "{page}"
    );
    assert!(
        page.contains(".SH SUBCOMMANDS") || page.contains("invoke"),
        "{page}"
    );

    let dir = scratch("man");
    let out = run(&emulator, &["man", "--dir", dir.to_str().unwrap()]);
    assert_exit(&out, 0);
    for page in [
        "tsl-codegen.1",
        "tsl-codegen-invoke.1",
        "tsl-codegen-emulate.1",
    ] {
        let text =
            std::fs::read_to_string(dir.join(page)).unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page}: {text}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
