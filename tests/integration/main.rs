//! keysweep's integration tests: one test binary, `tests`, that runs the built `keysweep`
//! on trees, repositories and homes made in temp dirs. One binary rather than one per
//! file, so that the helpers in `util` and the dev-dependencies are compiled and linked
//! once (as ripgrep and Nosey Parker do). A new file here must be declared below; cargo
//! builds nothing in this folder by itself.
//!
//! Each module is one area; run one with `cargo test --test tests hooks::`.
//! Fixture keys are in `tests/fixtures`, the SARIF schema in `tests/schemas`, insta
//! snapshots in `snapshots/` beside this file.

mod util;

mod aws;
mod carriers;
mod decoded;
mod deploy;
mod exit_codes;
mod exposure;
mod exposure_history;
mod filters;
mod forge_org;
mod forge_private;
mod forge_stand_in;
mod gcp;
mod git_http;
mod history;
mod history_paths;
mod hooks;
mod hostile;
mod html;
mod invalid_keys;
mod key_facts;
mod key_risk;
mod keyfiles;
mod keys;
mod near_miss;
mod org;
mod org_exposure;
mod org_paths;
mod org_scale;
mod org_settings;
mod pack_memory;
mod permissions;
mod report;
mod sarif;
mod store_conformance;
mod sweep;
mod system;
mod tokens;
mod walk;
