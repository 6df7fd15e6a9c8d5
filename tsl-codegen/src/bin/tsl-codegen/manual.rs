//! `completions SHELL` and `man`: written from the same clap definition the parser uses, so
//! they never disagree with `--help`.

use std::io::Write as _;
use std::path::Path;
use std::process::ExitCode;

use clap_complete::Shell;

/// Prints the completion script of `shell` on stdout.
pub fn completions(mut command: clap::Command, shell: Shell) -> ExitCode {
    let name = command.get_name().to_string();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, name, &mut out);
    write_stdout(&out)
}

/// Prints the main man page on stdout, or writes one page per command to `dir`.
pub fn man(command: clap::Command, dir: Option<&Path>) -> ExitCode {
    let Some(dir) = dir else {
        let mut out = Vec::new();
        if let Err(error) = clap_mangen::Man::new(command).render(&mut out) {
            eprintln!("error: cannot render the man page: {error}");
            return ExitCode::FAILURE;
        }
        return write_stdout(&out);
    };
    if let Err(error) = std::fs::create_dir_all(dir) {
        eprintln!("error: cannot create {}: {error}", dir.display());
        return ExitCode::FAILURE;
    }
    // `generate_to` writes `tsl-codegen.1` and `tsl-codegen-<command>.1` for each command.
    match clap_mangen::generate_to(command, dir) {
        Ok(()) => {
            eprintln!("wrote the man pages to {}", dir.display());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!(
                "error: cannot write the man pages to {}: {error}",
                dir.display()
            );
            ExitCode::FAILURE
        }
    }
}

fn write_stdout(bytes: &[u8]) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        // A closed pipe (`| head`) is not an error.
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: cannot write to stdout: {error}");
            ExitCode::FAILURE
        }
    }
}
