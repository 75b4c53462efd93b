//! The binary: parse, run, map the result to an exit code. A closed stdout (`keysweep …
//! | head`) is not an error.

use std::io;

use keysweep::cmd::{self, exit};

fn main() {
    let command = keysweep::cli::parse();
    let code = match cmd::run(command) {
        Ok(code) => code,
        Err(err) => {
            if err
                .chain()
                .filter_map(|e| e.downcast_ref::<io::Error>())
                .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
            {
                exit::CLEAN
            } else {
                eprintln!("keysweep: error: {err:#}");
                exit::ERROR
            }
        }
    };
    std::process::exit(code);
}
