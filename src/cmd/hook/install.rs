//! `keysweep hook install` and `uninstall`: the hook scripts (honouring `core.hooksPath`),
//! chained after a hook the user already has when asked, and removed only when ours.

use std::path::PathBuf;

use anyhow::Context as _;

use super::{InstallConfig, repo_here};
use crate::exit::ExitCode;

/// The line that marks a hook script as ours.
const MARKER: &str = "# keysweep-hook:";

/// The name an existing hook is kept under when keysweep is chained after it.
fn chained_name(hook: &str) -> String {
    format!("{hook}.local")
}

/// Where git looks for this repository's hooks: `core.hooksPath` (relative to the work
/// tree) if set, else `<git dir>/hooks`.
fn hooks_dir(repo: &git2::Repository) -> anyhow::Result<PathBuf> {
    let cfg = repo.config().context("reading the repository's config")?;
    if let Ok(p) = cfg.get_path("core.hooksPath") {
        let base = repo.workdir().unwrap_or_else(|| repo.path());
        return Ok(if p.is_absolute() { p } else { base.join(p) });
    }
    Ok(repo.path().join("hooks"))
}

fn script(hook: &str, chained: bool) -> String {
    let exe = std::env::current_exe()
        .ok()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    let args = if hook == "pre-push" { " \"$@\"" } else { "" };
    let local = chained_name(hook);
    // The hook that was there runs first, with the same arguments and, for pre-push, the
    // same refs on stdin; its failure stops the action before keysweep runs.
    let (run_local, feed) = match (chained, hook == "pre-push") {
        (false, _) => (String::new(), ""),
        (true, false) => (
            format!("\"$(dirname \"$0\")/{local}\" \"$@\" || exit $?\n"),
            "",
        ),
        (true, true) => (
            format!(
                "refs=$(cat)\n\
                 printf '%s\\n' \"$refs\" | \"$(dirname \"$0\")/{local}\" \"$@\" || exit $?\n"
            ),
            "printf '%s\\n' \"$refs\" | ",
        ),
    };
    let chained_note = if chained {
        format!("# Chained: runs the hook that was here ({local}) first; uninstall puts it back.\n")
    } else {
        String::new()
    };
    format!(
        "#!/bin/sh\n\
         {MARKER} written by `keysweep hook install`; `keysweep hook uninstall` removes it.\n\
         {chained_note}\
         # Fails closed: if keysweep cannot run, the {hook} is blocked.\n\
         KEYSWEEP='{}'\n\
         [ -x \"$KEYSWEEP\" ] || KEYSWEEP=$(command -v keysweep) || {{\n\
         \x20   echo \"keysweep: not found; {hook} blocked (--no-verify skips the check)\" >&2\n\
         \x20   exit 2\n\
         }}\n\
         {run_local}\
         {feed}exec \"$KEYSWEEP\" hook {hook}{args}\n",
        exe.replace('\'', "'\\''")
    )
}

/// What to add to a hook keysweep did not write, to run keysweep from it.
fn snippet(hook: &str) -> String {
    if hook == "pre-push" {
        "  refs=$(cat)   # the pushed refs, read once; feed them to the rest of the hook too\n\
         \x20 printf '%s\\n' \"$refs\" | keysweep hook pre-push \"$@\" || exit $?"
            .into()
    } else {
        "  keysweep hook pre-commit || exit $?".into()
    }
}

pub(super) fn install(c: &InstallConfig) -> anyhow::Result<ExitCode> {
    let (repo, _) = repo_here()?;
    let dir = hooks_dir(&repo)?;
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let both = !c.pre_commit && !c.pre_push;
    let mut refused = false;
    for (hook, wanted) in [
        ("pre-commit", c.pre_commit || both),
        ("pre-push", c.pre_push || both),
    ] {
        if !wanted {
            continue;
        }
        let path = dir.join(hook);
        let local = dir.join(chained_name(hook));
        let mut ours = script(hook, local.exists());
        match std::fs::read_to_string(&path) {
            Ok(existing) if existing == ours => {
                println!("{hook}: already installed ({})", path.display());
                continue;
            }
            Ok(existing) if !existing.contains(MARKER) && c.chain => {
                if local.exists() {
                    anyhow::bail!(
                        "{} exists already; not chaining {} after it",
                        local.display(),
                        path.display()
                    );
                }
                std::fs::rename(&path, &local).with_context(|| {
                    format!("keeping {} as {}", path.display(), local.display())
                })?;
                ours = script(hook, true);
                println!(
                    "{hook}: kept the existing hook as {}; it runs first",
                    local.display()
                );
            }
            Ok(existing) if !existing.contains(MARKER) && !c.force => {
                crate::messages::note(format_args!(
                    "{} exists and was not written by keysweep; not overwriting it. \
                     `keysweep hook install --chain` keeps it and runs it first (--force \
                     replaces it); or add this to it yourself:",
                    path.display()
                ));
                crate::say!("{}", snippet(hook));
                refused = true;
                continue;
            }
            _ => {}
        }
        std::fs::write(&path, ours).with_context(|| format!("writing {}", path.display()))?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        println!("{hook}: installed ({})", path.display());
    }
    Ok(if refused {
        ExitCode::Error
    } else {
        ExitCode::Clean
    })
}

pub(super) fn uninstall() -> anyhow::Result<ExitCode> {
    let (repo, _) = repo_here()?;
    let dir = hooks_dir(&repo)?;
    for hook in ["pre-commit", "pre-push"] {
        let path = dir.join(hook);
        match std::fs::read_to_string(&path) {
            Ok(s) if s.contains(MARKER) => {
                std::fs::remove_file(&path)?;
                println!("{hook}: removed ({})", path.display());
                // A hook keysweep was chained after goes back where it was.
                let local = dir.join(chained_name(hook));
                if local.exists() {
                    std::fs::rename(&local, &path)?;
                    println!(
                        "{hook}: put back the hook that was there ({})",
                        path.display()
                    );
                }
            }
            Ok(_) => println!("{hook}: not keysweep's, left alone ({})", path.display()),
            Err(_) => {}
        }
    }
    Ok(ExitCode::Clean)
}
