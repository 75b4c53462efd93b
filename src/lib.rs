//! keysweep: find leaked private keys and AWS credentials in working trees, git history
//! and workstations, offline and fast.
//!
//! Data flows one way (DESIGN.md): sources (`source`) turn the world into blobs, the scan
//! core (`scan`) turns bytes into matches using the signatures (`rules`), `enrich` adds what
//! parsing a key tells, `finding` is the record, and reports (`report`) write them. `cmd` wires these together
//! per subcommand; `cli` is the only module that knows clap.

pub mod audit;
pub mod cli;
pub mod cmd;
pub mod enrich;
pub mod exit;
pub mod exposure;
pub mod filter;
pub mod finding;
pub mod interrupt;
pub mod messages;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
