//! Sources turn the world into blobs (bytes plus where they came from). They never match
//! and never print: every problem they meet becomes an event for the caller to report.

pub mod archive;
pub mod fs;
pub mod git;
pub mod pack;
pub mod read;
