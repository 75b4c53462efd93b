//! Audits of file metadata: which key files other users can read or write. Audits look
//! only at metadata the walker already has (the `fstat` of the open file) and at what the
//! scan found in the file; they never read a file themselves, and they change a mode only
//! when asked (`--fix-permissions`), and only for key material.
//!
//! Unix only: permission bits mean nothing elsewhere, so the module is compiled out.

#[cfg(unix)]
pub mod permissions;
