//! Where the runtime's `tracing` spans and events go: stderr, filtered by `-v`/`-q`, or by
//! `RUST_LOG` when it is set (docs/observability.md).

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// The filter for `-v` given `verbose` times and `-q`: warnings by default, errors only
/// with `-q`, then info, debug and trace for this toolkit's crates (other crates stay at
/// warnings: their debug output is theirs to ask for with RUST_LOG).
fn directives(verbose: u8, quiet: bool) -> String {
    let ours = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        (false, 2) => "debug",
        (false, _) => "trace",
    };
    let others = if quiet { "error" } else { "warn" };
    format!("{others},tsl_runtime={ours},tsl_codegen={ours}")
}

/// Installs the stderr subscriber. A `RUST_LOG` that does not parse is reported and the
/// flags' filter used instead.
pub fn init(verbose: u8, quiet: bool) {
    let filter = match std::env::var("RUST_LOG") {
        Ok(text) if !text.trim().is_empty() => match EnvFilter::try_new(&text) {
            Ok(filter) => filter,
            Err(error) => {
                eprintln!("warning: RUST_LOG=`{text}` is not a filter ({error}); using -v/-q");
                EnvFilter::new(directives(verbose, quiet))
            }
        },
        _ => EnvFilter::new(directives(verbose, quiet)),
    };
    let stderr = std::io::stderr();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(stderr.is_terminal())
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_choose_the_level_of_this_toolkit_only() {
        assert_eq!(
            directives(0, false),
            "warn,tsl_runtime=warn,tsl_codegen=warn"
        );
        assert_eq!(
            directives(2, false),
            "warn,tsl_runtime=debug,tsl_codegen=debug"
        );
        assert_eq!(
            directives(7, false),
            "warn,tsl_runtime=trace,tsl_codegen=trace"
        );
        assert_eq!(
            directives(0, true),
            "error,tsl_runtime=error,tsl_codegen=error"
        );
        for verbose in 0..4 {
            assert!(EnvFilter::try_new(directives(verbose, false)).is_ok());
        }
    }
}
