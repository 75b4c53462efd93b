//! The binary: parse, run, map the result to an exit code.

use keysweep::cmd;
use keysweep::exit::ExitCode;

fn main() {
    let command = keysweep::cli::parse();
    keysweep::interrupt::install();
    let code = match cmd::run(command) {
        Ok(code) => code,
        Err(err) => {
            // A closed stdout is handled where a scan's report is written, which knows the
            // exit code the run earned (findings stay 1, `cmd::finish`). One that reaches
            // here comes from a listing that decides nothing (`rules list | head`): as for
            // any filter, the reader having enough is not an error.
            if is_broken_pipe(&err) {
                ExitCode::Clean
            } else {
                keysweep::messages::error(format_args!("{err:#}"));
                ExitCode::Error
            }
        }
    };
    std::process::exit(code.code());
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|e| e.downcast_ref::<std::io::Error>())
        .any(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
}
