//! keysweep: find leaked private keys and AWS credentials in working trees, git history
//! and workstations, offline and fast.
//!
//! Data flows one way (ARCHITECTURE.md): `cli` resolves the command line into a config;
//! `cmd` runs the `pipeline`, in which sources (`source`) turn files, archives and git
//! objects into blobs, the scan core (`scan`) turns bytes into matches using the
//! signatures (`rules`), `enrich` and `audit` make findings (`finding`, the record all
//! share), and `filter` drops what a team accepted; `report` writes the outcome.

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
pub mod org;
pub mod pipeline;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod store;
