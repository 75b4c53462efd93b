//! `sweep --system` (issue 20): the machine's own SSH server beside the home. The tests
//! cannot write /etc, so the machine is a tree laid out like it under `--system-root`:
//! `etc/ssh/sshd_config` with an `Include` of `sshd_config.d/*.conf` (and an absolute one
//! elsewhere under the root), `Match` blocks and comments, and host keys with tight and
//! loose modes. Host keys are where they belong: never reported as keys, only for their
//! modes.

use std::os::unix::fs::MetadataExt;

use serde_json::Value;

use crate::util::{self, TestDir, key};

const DEBIAN_SSHD: &str = "\
# This is the sshd server system-wide configuration file.

Include /etc/ssh/sshd_config.d/*.conf

#PermitRootLogin prohibit-password
#PasswordAuthentication yes
#PermitEmptyPasswords no
KbdInteractiveAuthentication no
UsePAM yes
X11Forwarding yes
Include /usr/local/etc/ssh-extra.conf

Subsystem sftp /usr/lib/openssh/sftp-server

Match User backup
    PermitRootLogin yes
    PermitEmptyPasswords yes
";

/// A machine like a Debian cloud image whose cloud-init turned passwords on: the home
/// (empty) and the root are siblings, so the walk of the home never reads the host keys.
fn machine() -> TestDir {
    let d = TestDir::new();
    d.write("home/notes.txt", "nothing here\n");
    d.write("root/etc/ssh/sshd_config", DEBIAN_SSHD);
    d.write(
        "root/etc/ssh/sshd_config.d/50-cloud-init.conf",
        "PasswordAuthentication yes\n",
    );
    // Later in the glob's order: the first value (cloud-init's) wins.
    d.write(
        "root/etc/ssh/sshd_config.d/60-hardening.conf",
        "PasswordAuthentication no\n# PermitEmptyPasswords yes\n",
    );
    d.write("root/usr/local/etc/ssh-extra.conf", "PermitRootLogin yes\n");
    // Not included by anything: sshd never reads it.
    d.write(
        "root/etc/ssh/sshd_config.orig",
        "PermitEmptyPasswords yes\n",
    );
    for (name, fixture, mode) in [
        ("ssh_host_ed25519_key", "openssh_ed25519", 0o600),
        ("ssh_host_ecdsa_key", "openssh_ecdsa256", 0o644),
        ("ssh_host_rsa_key", "openssh_rsa2048", 0o640),
    ] {
        let rel = format!("root/etc/ssh/{name}");
        d.write(&rel, key(fixture));
        d.chmod(&rel, mode);
        d.write(
            format!("{rel}.pub"),
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI host\n",
        );
    }
    d
}

fn sweep(d: &TestDir, extra: &[&str]) -> (util::Run, Vec<Value>) {
    let mut args = vec![
        "sweep",
        "--home",
        "home",
        "--no-history",
        "--format",
        "jsonl",
    ];
    args.extend_from_slice(extra);
    let run = d.run(&args);
    let found = if run.code <= 1 {
        run.findings()
    } else {
        Vec::new()
    };
    (run, found)
}

/// `(path under the root, line, severity, name)` of each finding.
fn summary(d: &TestDir, found: &[Value]) -> Vec<(String, u64, String, String)> {
    let mut out: Vec<_> = found
        .iter()
        .map(|f| {
            let path = f["path"].as_str().unwrap();
            let rel = path
                .strip_prefix("root/")
                .or_else(|| path.strip_prefix(&format!("{}/root/", d.path().display())))
                .unwrap_or(path);
            (
                rel.to_string(),
                f["line"].as_u64().unwrap(),
                f["severity"].as_str().unwrap().to_string(),
                f["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

#[test]
fn the_machines_sshd_and_host_keys() {
    let d = machine();
    let (run, found) = sweep(&d, &["--system", "--system-root", "root"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got = summary(&d, &found);
    let want = [
        (
            "etc/ssh/ssh_host_ecdsa_key",
            1,
            "critical",
            "SSH host key with mode 0644: every user on this machine can read it: sshd refuses a host key others can read, and whoever reads it can impersonate this server",
        ),
        (
            "etc/ssh/ssh_host_rsa_key",
            1,
            "high",
            "SSH host key with mode 0640: its group can read it: sshd refuses a host key others can read, and whoever reads it can impersonate this server",
        ),
        (
            "etc/ssh/sshd_config.d/50-cloud-init.conf",
            1,
            "medium",
            "PasswordAuthentication yes: passwords can be guessed over SSH (OpenSSH's default is yes, so say no explicitly)",
        ),
        (
            "usr/local/etc/ssh-extra.conf",
            1,
            "high",
            "PermitRootLogin yes: root may log in over SSH, with a password too (OpenSSH's default is prohibit-password)",
        ),
    ];
    let want: Vec<(String, u64, String, String)> = want
        .iter()
        .map(|(p, l, s, n)| (p.to_string(), *l, s.to_string(), n.to_string()))
        .collect();
    assert_eq!(got, want, "{found:#?}");
    // No host key is a stray key: their contents are not even read.
    assert!(found.iter().all(|f| f["category"] != "private-key"));
    let ecdsa = found
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("ssh_host_ecdsa_key"))
        .unwrap();
    assert_eq!(ecdsa["category"], "insecure-permissions");
    assert_eq!(ecdsa["fix"], "chmod 600 'root/etc/ssh/ssh_host_ecdsa_key'");
    assert_eq!(ecdsa["file"]["mode"], "0644");
    for f in found
        .iter()
        .filter(|f| f["category"] == "sshd-weak-setting")
    {
        assert!(f["advice"].is_string(), "{f}");
    }

    // The rules select these checks as any other run's.
    let (run, found) = sweep(
        &d,
        &[
            "--system",
            "--system-root",
            "root",
            "--skip-rule",
            "insecure-permissions",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(found.iter().all(|f| f["category"] == "sshd-weak-setting"));
    assert_eq!(found.len(), 2);

    // Without --system, the machine is not looked at.
    let (run, found) = sweep(&d, &[]);
    assert_eq!(run.code, 0, "{}: {found:?}", run.stderr);
    // --system-root alone is a usage error, never a silent sweep of the home.
    let (run, _) = sweep(&d, &["--system-root", "root"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn fedoras_host_key_group_and_the_default_when_absent() {
    let d = machine();
    // Fedora and RHEL give host keys to the group ssh_keys, mode 0640: by design.
    let gid = std::fs::metadata(d.path().join("root/etc/ssh/ssh_host_rsa_key"))
        .unwrap()
        .gid();
    d.write("root/etc/group", format!("ssh_keys:x:{gid}:\nroot:x:0:\n"));
    // A config that says nothing of passwords: OpenSSH's default (yes) is in force.
    d.write(
        "root/etc/ssh/sshd_config",
        "# Fedora\nPermitRootLogin prohibit-password\nSubsystem sftp /usr/libexec/openssh/sftp-server\n",
    );
    // Group write is never by design.
    d.chmod("root/etc/ssh/ssh_host_ed25519_key", 0o660);
    let (run, found) = sweep(&d, &["--system", "--system-root", "root"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let got: Vec<(String, String)> = summary(&d, &found)
        .into_iter()
        .map(|(p, _, s, _)| (p, s))
        .collect();
    assert_eq!(
        got,
        [
            (
                "etc/ssh/ssh_host_ecdsa_key".to_string(),
                "critical".to_string()
            ),
            (
                "etc/ssh/ssh_host_ed25519_key".to_string(),
                "high".to_string()
            ),
            ("etc/ssh/sshd_config".to_string(), "low".to_string()),
        ],
        "{found:#?}"
    );
    let absent = found
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("sshd_config"))
        .unwrap();
    assert_eq!(
        absent["name"],
        "PasswordAuthentication is not set: OpenSSH's default is yes, so passwords are accepted"
    );

    // --fix-permissions sets the loose host keys to 600, as it would a key in the home.
    let (run, found) = sweep(
        &d,
        &["--system", "--system-root", "root", "--fix-permissions"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let mode = |n: &str| {
        std::fs::metadata(d.path().join("root/etc/ssh").join(n))
            .unwrap()
            .mode()
            & 0o777
    };
    assert_eq!(mode("ssh_host_ecdsa_key"), 0o600);
    assert_eq!(mode("ssh_host_ed25519_key"), 0o600);
    assert_eq!(mode("ssh_host_rsa_key"), 0o640);
    assert!(
        found
            .iter()
            .filter(|f| f["category"] == "insecure-permissions")
            .all(|f| f["fixed"] == true)
    );
}

#[test]
fn no_server_and_an_unreadable_include() {
    let d = TestDir::new();
    d.write("home/notes.txt", "nothing here\n");
    std::fs::create_dir_all(d.path().join("root/etc")).unwrap();
    let (run, found) = sweep(&d, &["--system", "--system-root", "root"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(found.is_empty());
    assert!(
        run.stderr.contains("no OpenSSH server is configured"),
        "{}",
        run.stderr
    );

    // An included file sshd would read and keysweep cannot: never "nothing found".
    d.write(
        "root/etc/ssh/sshd_config",
        "Include /etc/ssh/sshd_config.d/*.conf\nPasswordAuthentication no\n",
    );
    d.write(
        "root/etc/ssh/sshd_config.d/10-secret.conf",
        "PermitRootLogin yes\n",
    );
    d.chmod("root/etc/ssh/sshd_config.d/10-secret.conf", 0o000);
    let out = util::keysweep_unprivileged()
        .args([
            "sweep",
            "--home",
            "home",
            "--no-history",
            "--system",
            "--system-root",
            "root",
        ])
        .current_dir(d.path())
        .output()
        .unwrap();
    let run = util::Run::from(out);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("10-secret.conf"), "{}", run.stderr);
}
