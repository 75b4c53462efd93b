//! Test helpers: a temp directory to build trees in, the built binary, the fixture keys,
//! and output normalisation for snapshots.

use std::fs;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A properties file whose `jwt.signing.key` is a bare base64 PKCS#8 RSA key (a test key
/// the fixtures generate).
pub fn bare_key_properties() -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/keyfiles/values/application.properties");
    fs::read_to_string(p).unwrap()
}

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/keys")
}

/// The text of fixture key `name` (see tests/fixtures/generate.sh).
pub fn key(name: &str) -> String {
    fs::read_to_string(fixtures().join(name)).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// Every private-key fixture with its expected fingerprint line (FINGERPRINTS).
pub fn private_key_fixtures() -> Vec<String> {
    key("FINGERPRINTS")
        .lines()
        .map(|l| l.split_whitespace().next().unwrap().to_string())
        .collect()
}

pub struct TestDir {
    dir: tempfile::TempDir,
}

impl TestDir {
    pub fn new() -> TestDir {
        let dir = tempfile::Builder::new()
            .prefix("keysweep-test")
            .tempdir()
            .unwrap();
        // Readable by the unprivileged user some tests drop to.
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        TestDir { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn write(&self, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
        write_at(self.path(), rel, contents)
    }

    pub fn chmod(&self, rel: impl AsRef<Path>, mode: u32) {
        fs::set_permissions(self.path().join(rel), fs::Permissions::from_mode(mode)).unwrap();
    }

    /// `keysweep ARGS…` run in this directory.
    pub fn cmd(&self, args: &[&str]) -> Command {
        keysweep(self.path(), args)
    }

    pub fn run(&self, args: &[&str]) -> Run {
        run_in(self.path(), args)
    }
}

/// Writes `contents` at `rel` under `dir`, making the folders on the way.
pub fn write_at(dir: &Path, rel: impl AsRef<Path>, contents: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(rel);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&p, contents).unwrap();
    p
}

/// `keysweep ARGS…` run in `dir`, with `NO_COLOR` unset so that colour is the test's
/// choice.
pub fn keysweep(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_keysweep"));
    c.args(args).current_dir(dir).env_remove("NO_COLOR");
    c
}

/// Runs `keysweep ARGS…` in `dir`.
pub fn run_in(dir: &Path, args: &[&str]) -> Run {
    Run::from(keysweep(dir, args).output().unwrap())
}

/// The built keysweep, run as `nobody` when the tests run as root: root reads everything,
/// so only then is a mode-000 file or folder really unreadable.
pub fn keysweep_unprivileged() -> Command {
    let exe = env!("CARGO_BIN_EXE_keysweep");
    if is_root() {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=nobody", "--regid=nogroup", "--clear-groups", exe]);
        c
    } else {
        Command::new(exe)
    }
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Run {
        Run {
            code: o.status.code().expect("killed by a signal"),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Findings of a `--format jsonl` run about content (secrets), leaving out the
    /// permission audit's findings (tests of those use `findings`).
    pub fn secrets(&self) -> Vec<serde_json::Value> {
        self.findings()
            .into_iter()
            .filter(|f| f["category"] != "insecure-permissions")
            .collect()
    }

    /// Findings of a `--format jsonl` run in the order printed (a sweep's own order).
    pub fn findings_as_printed(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// [`Run::secrets`] in the order printed.
    pub fn secrets_as_printed(&self) -> Vec<serde_json::Value> {
        self.findings_as_printed()
            .into_iter()
            .filter(|f| f["category"] != "insecure-permissions")
            .collect()
    }

    /// Findings of a `--format jsonl` run, in report order (repository, path, line,
    /// column, rule, id): `scan` and `history` print them in the order they are found.
    pub fn findings(&self) -> Vec<serde_json::Value> {
        let mut findings = self.findings_as_printed();
        findings.sort_by_key(|f| {
            (
                f["git"]["repository"].as_str().map(str::to_string),
                f["path"].as_str().map(str::to_string),
                f["line"].as_u64(),
                f["column"].as_u64(),
                f["rule"].as_str().map(str::to_string),
                f["id"].as_str().map(str::to_string),
            )
        });
        findings
    }

    /// (rule, path) of each finding of a `--format jsonl` run, sorted.
    pub fn rule_paths(&self) -> Vec<(String, String)> {
        let mut v: Vec<_> = self
            .findings()
            .iter()
            .map(|f| {
                (
                    f["rule"].as_str().unwrap().to_string(),
                    f["path"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v
    }
}

/// Replaces what differs between machines and runs (owner name, uid, timings) so report
/// output can be compared in full.
pub fn normalize_json(mut v: serde_json::Value) -> serde_json::Value {
    fn walk(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                for (k, x) in m.iter_mut() {
                    match k.as_str() {
                        "owner" => *x = "[owner]".into(),
                        "uid" => *x = 0.into(),
                        "elapsed_ms" => *x = 0.into(),
                        _ => walk(x),
                    }
                }
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(walk),
            _ => {}
        }
    }
    walk(&mut v);
    v
}

/// Human output with the owner and timing made stable.
pub fn normalize_text(s: &str) -> String {
    let owner = whoami();
    s.lines()
        .map(|l| {
            let l = l.replace(&format!("owner {owner}"), "owner [owner]");
            match l.find(" B, ").or_else(|| l.find("iB, ")) {
                Some(_) if l.starts_with("keysweep: ") && l.contains(" in ") => {
                    let cut = l.find(" in ").unwrap();
                    format!("{} in [stats]", &l[..cut])
                }
                _ => l,
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn whoami() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The value of field `name` (`VmHWM`, `SigCgt`) in `/proc/PID/status` of a running
/// process, trimmed; `None` once it has ended.
pub fn proc_status(pid: u32, name: &str) -> Option<String> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|l| {
        let value = l.strip_prefix(name)?.strip_prefix(':')?;
        Some(value.trim().to_string())
    })
}

pub fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

fn empty_config() -> PathBuf {
    let p = std::env::temp_dir().join(format!("keysweep-test-gitconfig-{}", std::process::id()));
    if !p.exists() {
        fs::write(&p, "").unwrap();
    }
    p
}

/// `git ARGS…` in `dir` with a fixed identity and clock, and no user or system config.
pub fn git_command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new("git");
    c.args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Alice Example")
        .env("GIT_AUTHOR_EMAIL", "alice@example.invalid")
        .env("GIT_COMMITTER_NAME", "Alice Example")
        .env("GIT_COMMITTER_EMAIL", "alice@example.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-02T03:04:05+01:00")
        .env("GIT_COMMITTER_DATE", "2026-01-02T03:04:05+01:00")
        // An empty global config of the test's own, never a shared file: git replaces a
        // config file it writes (lockfile + rename), and must never touch one outside.
        .env("GIT_CONFIG_GLOBAL", empty_config())
        .env("GIT_CONFIG_NOSYSTEM", "1");
    c
}

/// `git ARGS…` that may fail (a hook may block it); returns (success, stderr).
pub fn try_git(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = git_command(dir, args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `git ARGS…` (see [`git_command`]), panicking on failure, and returns its stdout.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = git_command(dir, args).output().unwrap();
    if !out.status.success() {
        let msg = format!(
            "git {args:?} in {}: {}: {}",
            dir.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        if let Ok(mut f) = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(std::env::temp_dir().join("keysweep-test-git-failures.log"))
        {
            use std::io::Write as _;
            let _ = writeln!(f, "{msg}");
        }
        panic!("{msg}");
    }
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl TestDir {
    /// A bare `remote.git` and a new repository in `rel` (see [`TestDir::git_repo`]) whose
    /// `origin` it is, with `main` pushed.
    pub fn repo_with_remote(&self, rel: &str) -> PathBuf {
        git(
            self.path(),
            &["init", "-q", "--bare", "-b", "main", "remote.git"],
        );
        let r = self.git_repo(rel);
        git(&r, &["remote", "add", "origin", "../remote.git"]);
        git(&r, &["push", "-q", "origin", "main"]);
        r
    }

    /// A new repository in `rel` with one harmless commit on `main`.
    pub fn git_repo(&self, rel: &str) -> PathBuf {
        let p = self.path().join(rel);
        fs::create_dir_all(&p).unwrap();
        git(&p, &["init", "-q", "-b", "main"]);
        fs::write(p.join("README"), "hello\n").unwrap();
        git(&p, &["add", "."]);
        git(&p, &["commit", "-qm", "init"]);
        p
    }
}

/// Runs `cmd` (stdin from `input`), killing it after `secs` seconds: `None` if it had to
/// be killed, so that a test of a hang fails rather than hangs.
pub fn output_within(cmd: &mut Command, input: &[u8], secs: u64) -> Option<Output> {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let _ = stdin.write_all(input);
    drop(stdin);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    while std::time::Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return Some(child.wait_with_output().unwrap());
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// A repository `rel` (see [`TestDir::git_repo`]) with a second commit whose blob, tree
/// or commit (`kind`) is a loose object then cut short by a few bytes, as a crash or a
/// full disk leaves it. Returns the repository, the first commit's id and the broken
/// object's id.
pub fn truncated_loose_object(d: &TestDir, rel: &str, kind: &str) -> (PathBuf, String, String) {
    let r = d.git_repo(rel);
    let first = git(&r, &["rev-parse", "HEAD"]);
    let text: String = (0..2000).map(|i| format!("line {i}\n")).collect();
    write_at(&r, "data.txt", text);
    git(&r, &["add", "."]);
    git(&r, &["commit", "-qm", "data"]);
    let spec = match kind {
        "blob" => "HEAD:data.txt",
        "tree" => "HEAD^{tree}",
        _ => "HEAD",
    };
    let id = git(&r, &["rev-parse", spec]);
    let obj = r.join(".git/objects").join(&id[..2]).join(&id[2..]);
    let mut perm = fs::metadata(&obj).unwrap().permissions();
    #[allow(clippy::permissions_set_readonly_false)]
    perm.set_readonly(false);
    fs::set_permissions(&obj, perm).unwrap();
    let f = fs::OpenOptions::new().write(true).open(&obj).unwrap();
    let len = f.metadata().unwrap().len();
    // Eight bytes: the stream's checksum and the end of its data.
    f.set_len(len - 8).unwrap();
    (r, first, id)
}

/// Sends `child` SIGINT, as Ctrl-C does.
pub fn ctrl_c(child: &std::process::Child) {
    // Not before keysweep catches SIGINT: sent earlier (a debug build starting slowly on a
    // loaded machine) it would die of the signal, which is not what is tested here.
    let deadline = Instant::now() + Duration::from_secs(20);
    let caught = || {
        proc_status(child.id(), "SigCgt")
            .and_then(|m| u64::from_str_radix(&m, 16).ok())
            .is_some_and(|m| m & (1 << (libc::SIGINT - 1)) != 0)
    };
    while !caught() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
}

/// Waits for `child` at most `limit`, killing it (and failing the test) after that.
pub fn wait_or_kill(child: &mut std::process::Child, limit: Duration) -> Run {
    let start = Instant::now();
    loop {
        if let Some(_status) = child.try_wait().unwrap() {
            break;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("keysweep did not finish within {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut s) = child.stdout.take() {
        s.read_to_string(&mut stdout).unwrap();
    }
    if let Some(mut s) = child.stderr.take() {
        s.read_to_string(&mut stderr).unwrap();
    }
    let status = child.wait().unwrap();
    Run {
        code: status.code().expect("killed by a signal"),
        stdout,
        stderr,
    }
}
