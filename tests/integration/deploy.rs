//! The deployment files under `deploy/` (Kubernetes manifests, the GitHub Actions
//! workflow, the Containerfile) and the README's "At organisation scale" section cannot
//! rot: every keysweep command line in them, with the shell's and GitHub's expressions
//! given plausible values, must parse as keysweep's own command line does (clap's
//! `try_parse_from` on `keysweep::cli::Cli`), every file that runs something must run
//! keysweep at least once, and the Kubernetes objects must have what the README promises
//! (the Secret's keys, the clone cache's volume, resource requests).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Parser as _;
use serde::Deserialize as _;
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Every file under `deploy/`.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// Every YAML document in `path`, as JSON values.
fn yaml(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_norway::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .filter(|v| !v.is_null())
        .collect()
}

/// A command line found in a file: where, what it says, and the environment it runs in.
#[derive(Debug)]
struct Found {
    place: String,
    line: String,
    env: BTreeMap<String, String>,
}

/// `line` with GitHub's `${{ … }}` and Kubernetes' `$(VAR)` expressions replaced by
/// plausible values.
fn expressions(line: &str, env: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = line;
    while let Some(at) = rest.find("${{") {
        out.push_str(&rest[..at]);
        let end = rest[at..].find("}}").expect("an unclosed ${{") + at;
        let expr = rest[at + 3..end].trim();
        let value = match expr.split_once('.') {
            Some(("matrix", "shard")) => "3".to_string(),
            Some(("env" | "vars", name)) => env.get(name).cloned().unwrap_or_else(|| "x".into()),
            Some(("secrets", _)) => "ghp_placeholder".into(),
            _ => "x".into(),
        };
        out.push_str(&value);
        rest = &rest[end + 2..];
    }
    out.push_str(rest);
    // Kubernetes: $(VAR) from the container's environment.
    let mut s = out;
    while let Some(at) = s.find("$(") {
        let end = s[at..].find(')').unwrap() + at;
        let name = &s[at + 2..end];
        let value = env.get(name).cloned().unwrap_or_else(|| "x".into());
        s.replace_range(at..=end, &value);
    }
    s
}

/// The words of a shell command line up to its first operator (`||`, `&&`, `;`, `|`, a
/// redirection), quotes removed and `$VAR`/`${VAR}` taken from `env`.
fn words(line: &str, env: &BTreeMap<String, String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut started = false;
    let mut chars = line.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (None | Some('"'), '$') => {
                let braced = chars.peek() == Some(&'{');
                if braced {
                    chars.next();
                }
                let mut name = String::new();
                while let Some(&n) = chars.peek() {
                    if n.is_ascii_alphanumeric() || n == '_' {
                        name.push(n);
                        chars.next();
                    } else {
                        break;
                    }
                }
                if braced {
                    assert_eq!(chars.next(), Some('}'), "{line}");
                }
                assert!(
                    !name.is_empty(),
                    "a `$` keysweep's check cannot read: {line}"
                );
                word.push_str(env.get(&name).map_or("x", String::as_str));
                started = true;
            }
            (None, c) if c.is_whitespace() => {
                if started {
                    out.push(std::mem::take(&mut word));
                    started = false;
                }
            }
            (None, '|' | '&' | ';' | '>' | '<') => break,
            (_, c) => {
                word.push(c);
                started = true;
            }
        }
    }
    if started {
        out.push(word);
    }
    // A redirection such as `2>`: its number is not a word of the command.
    if line.contains('>')
        && out
            .last()
            .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
    {
        out.pop();
    }
    out
}

/// The lines of a shell script that run keysweep (continuations joined).
fn script_lines(script: &str) -> Vec<String> {
    script
        .replace("\\\n", " ")
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("keysweep ") || *l == "keysweep")
        .map(String::from)
        .collect()
}

/// The values of a container's `env`: literal ones, and a Secret's key from `secrets`.
fn container_env(
    c: &Value,
    secrets: &BTreeMap<(String, String), String>,
    place: &str,
) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    for e in c["env"].as_array().into_iter().flatten() {
        let name = e["name"].as_str().unwrap().to_string();
        let value = if let Some(v) = e["value"].as_str() {
            v.to_string()
        } else if let Some(r) = e["valueFrom"]["secretKeyRef"].as_object() {
            let key = (
                r["name"].as_str().unwrap().to_string(),
                r["key"].as_str().unwrap().to_string(),
            );
            secrets
                .get(&key)
                .unwrap_or_else(|| panic!("{place}: {name} refers to {key:?}, no Secret has it"))
                .clone()
        } else {
            panic!("{place}: env {name} has no value this test knows")
        };
        env.insert(name, value);
    }
    env
}

/// Every object in the Kubernetes manifests, with its file.
fn kubernetes() -> Vec<(PathBuf, Value)> {
    files(&root().join("deploy/kubernetes"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .flat_map(|p| yaml(&p).into_iter().map(move |v| (p.clone(), v)))
        .collect()
}

/// The Secrets' (name, key) → value.
fn secrets(objects: &[(PathBuf, Value)]) -> BTreeMap<(String, String), String> {
    let mut out = BTreeMap::new();
    for (_, o) in objects.iter().filter(|(_, o)| o["kind"] == "Secret") {
        let name = o["metadata"]["name"].as_str().unwrap();
        for (k, v) in o["stringData"].as_object().unwrap() {
            out.insert(
                (name.to_string(), k.clone()),
                v.as_str().unwrap().to_string(),
            );
        }
    }
    out
}

/// The pod spec of a workload (Pod, Job, CronJob, Deployment, …).
fn pod_spec(o: &Value) -> Option<&Value> {
    match o["kind"].as_str()? {
        "Pod" => Some(&o["spec"]),
        "CronJob" => Some(&o["spec"]["jobTemplate"]["spec"]["template"]["spec"]),
        _ => o["spec"]["template"]["spec"]
            .as_object()
            .map(|_| &o["spec"]["template"]["spec"]),
    }
}

/// The keysweep command lines of one container: its `command` and `args` when the
/// command is keysweep (or absent: the image's entrypoint is keysweep), else the lines of
/// a `sh -c` script that run keysweep.
fn container_commands(c: &Value, place: &str, env: &BTreeMap<String, String>) -> Vec<Found> {
    let strings = |v: &Value| -> Vec<String> {
        v.as_array()
            .into_iter()
            .flatten()
            .map(|s| s.as_str().unwrap().to_string())
            .collect()
    };
    let command = strings(&c["command"]);
    let args = strings(&c["args"]);
    let found = |line: String| Found {
        place: place.to_string(),
        line,
        env: env.clone(),
    };
    let quote = |w: &String| format!("'{}'", w.replace('\'', "'\\''"));
    match command.first().map(String::as_str) {
        None => {
            let mut all = vec!["keysweep".to_string()];
            all.extend(args.iter().map(quote));
            vec![found(all.join(" "))]
        }
        Some(p) if p.rsplit('/').next() == Some("keysweep") => {
            let mut all = vec!["keysweep".to_string()];
            all.extend(command[1..].iter().chain(&args).map(quote));
            vec![found(all.join(" "))]
        }
        Some(p) if p.ends_with("sh") && command.get(1).map(String::as_str) == Some("-c") => {
            let script = command
                .get(2)
                .or(args.first())
                .expect("sh -c without a script");
            script_lines(script).into_iter().map(found).collect()
        }
        Some(p) => panic!("{place}: runs {p}, which this test cannot read"),
    }
}

/// Checks one found command line; returns its words.
fn check(f: &Found) -> Vec<String> {
    let line = expressions(&f.line, &f.env);
    let argv = words(&line, &f.env);
    assert_eq!(
        argv.first().map(String::as_str),
        Some("keysweep"),
        "{}: {line}",
        f.place
    );
    // `--store` is read from KEYSWEEP_STORE when not given: the environment the command
    // runs in must then set it (this test's own is not asked).
    let mut argv = argv;
    let org_with_store = argv.get(1).map(String::as_str) == Some("org");
    if org_with_store
        && !argv
            .iter()
            .any(|a| a == "--store" || a.starts_with("--store="))
    {
        let store = f.env.get("KEYSWEEP_STORE").unwrap_or_else(|| {
            panic!(
                "{}: `{line}` names no --store and KEYSWEEP_STORE is not set",
                f.place
            )
        });
        argv.extend(["--store".to_string(), store.clone()]);
    }
    match keysweep::cli::Cli::try_parse_from(&argv) {
        Ok(_) => {}
        Err(e)
            if matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            ) => {}
        Err(e) => panic!("{}: `{line}` is not a keysweep command line:\n{e}", f.place),
    }
    // What clap takes as any text but keysweep checks after: --shard INDEX/COUNT.
    if let Some(i) = argv.iter().position(|a| a == "--shard") {
        let v = &argv[i + 1];
        if let Some((index, count)) = v.split_once('/').filter(|(i, _)| *i != "auto") {
            let (index, count): (u64, u64) = (index.parse().unwrap(), count.parse().unwrap());
            assert!(index < count, "{}: --shard {v}", f.place);
        }
    }
    argv
}

/// Every keysweep command line of the Kubernetes manifests, checking on the way that each
/// workload runs keysweep.
fn kubernetes_commands(objects: &[(PathBuf, Value)]) -> Vec<Found> {
    let secrets = secrets(objects);
    let mut out = Vec::new();
    for (path, o) in objects {
        let place = format!(
            "{} ({} {})",
            path.strip_prefix(root()).unwrap().display(),
            o["kind"].as_str().unwrap_or("?"),
            o["metadata"]["name"].as_str().unwrap_or("?")
        );
        let Some(spec) = pod_spec(o) else {
            // Not a workload: only the kinds the README describes.
            assert!(
                ["Secret", "PersistentVolumeClaim", "Kustomization"]
                    .contains(&o["kind"].as_str().unwrap_or("")),
                "{place}: a kind this test does not know"
            );
            continue;
        };
        let mut here = Vec::new();
        for c in ["initContainers", "containers"]
            .iter()
            .flat_map(|k| spec[*k].as_array().into_iter().flatten())
        {
            let env = container_env(c, &secrets, &place);
            here.extend(container_commands(c, &place, &env));
        }
        assert!(!here.is_empty(), "{place}: no keysweep command in it");
        out.extend(here);
    }
    out
}

/// Every keysweep line of the workflows' `run:` steps, with the workflow's, job's and
/// step's `env`.
fn workflow_commands(path: &Path) -> Vec<Found> {
    let mut out = Vec::new();
    for w in yaml(path) {
        let strings = |v: &Value| -> BTreeMap<String, String> {
            v.as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| {
                    let v = match v {
                        Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (k.clone(), v)
                })
                .collect()
        };
        let top = strings(&w["env"]);
        for (job, j) in w["jobs"].as_object().expect("a workflow without jobs") {
            for (i, step) in j["steps"].as_array().into_iter().flatten().enumerate() {
                let Some(run) = step["run"].as_str() else {
                    continue;
                };
                let mut env = top.clone();
                env.extend(strings(&j["env"]));
                env.extend(strings(&step["env"]));
                for line in script_lines(run) {
                    out.push(Found {
                        place: format!(
                            "{} (job {job}, step {})",
                            path.strip_prefix(root()).unwrap().display(),
                            i + 1
                        ),
                        line,
                        env: env.clone(),
                    });
                }
            }
        }
    }
    out
}

/// The Containerfile's keysweep command lines: `RUN` lines (each `&&` part), and the
/// entrypoint with its default arguments.
fn containerfile_commands(path: &Path) -> Vec<Found> {
    let text = std::fs::read_to_string(path).unwrap().replace("\\\n", " ");
    let place = path.strip_prefix(root()).unwrap().display().to_string();
    let mut out = Vec::new();
    let (mut entrypoint, mut cmd) = (Vec::<String>::new(), Vec::<String>::new());
    for line in text.lines().map(str::trim) {
        let (instr, rest) = line.split_once(' ').unwrap_or((line, ""));
        match instr {
            "RUN" => {
                for part in rest.split("&&").map(str::trim) {
                    if part.starts_with("keysweep") {
                        out.push(Found {
                            place: place.clone(),
                            line: part.to_string(),
                            env: BTreeMap::new(),
                        });
                    }
                }
            }
            "ENTRYPOINT" => entrypoint = serde_json::from_str(rest).expect("ENTRYPOINT as JSON"),
            "CMD" => cmd = serde_json::from_str(rest).expect("CMD as JSON"),
            _ => {}
        }
    }
    assert_eq!(entrypoint, ["keysweep"], "{place}: the entrypoint");
    let quoted: Vec<String> = cmd.iter().map(|w| format!("'{w}'")).collect();
    out.push(Found {
        place: format!("{place} (ENTRYPOINT and CMD)"),
        line: format!("keysweep {}", quoted.join(" ")),
        env: BTreeMap::new(),
    });
    out
}

/// The section "At organisation scale" of the README.
fn readme_section() -> String {
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme
        .find("\n## At organisation scale\n")
        .expect("README: no section \"At organisation scale\"");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    rest[..end].to_string()
}

#[test]
fn every_keysweep_command_line_under_deploy_parses() {
    let mut all: Vec<Vec<String>> = Vec::new();
    let mut seen_files = 0;
    for path in files(&root().join("deploy")) {
        let name = path.file_name().unwrap().to_str().unwrap();
        let found = if name == "Containerfile" {
            containerfile_commands(&path)
        } else if path.starts_with(root().join("deploy/github-actions")) {
            workflow_commands(&path)
        } else if path.starts_with(root().join("deploy/kubernetes")) {
            // Checked with every object of the folder below.
            continue;
        } else {
            // deploy/gitconfig: no command line, git's configuration.
            assert_eq!(
                name,
                "gitconfig",
                "{}: a file this test does not know",
                path.display()
            );
            continue;
        };
        assert!(
            !found.is_empty(),
            "{}: no keysweep command in it",
            path.display()
        );
        seen_files += 1;
        all.extend(found.iter().map(check));
    }
    let objects = kubernetes();
    assert!(!objects.is_empty(), "no Kubernetes manifest");
    let k8s = kubernetes_commands(&objects);
    all.extend(k8s.iter().map(check));
    assert!(seen_files >= 2, "the Containerfile and a workflow");

    // What the README says they run is there.
    let has = |words: &[&str]| {
        all.iter()
            .any(|a| words.iter().all(|w| a.iter().any(|x| x == w)))
    };
    for want in [
        &["org", "enqueue", "--github-org"][..],
        &["org", "work", "--cache"],
        &["org", "scan", "--shard", "--format", "sarif"],
        &["org", "merge"],
        &["org", "report"],
    ] {
        assert!(has(want), "no command with {want:?} in {all:#?}");
    }
}

#[test]
fn the_readme_commands_at_organisation_scale_parse() {
    let section = readme_section();
    let mut n = 0;
    let mut in_code = false;
    for line in section.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        let line = line.trim();
        if in_code && line.starts_with("keysweep ") {
            // What follows `#` is a comment; placeholders as the manifests have them.
            let line = line.split(" #").next().unwrap();
            let env = BTreeMap::from([(
                "KEYSWEEP_STORE".to_string(),
                "postgres://keysweep@db.example/keysweep".to_string(),
            )]);
            check(&Found {
                place: "README, At organisation scale".into(),
                line: line.to_string(),
                env,
            });
            n += 1;
        }
    }
    assert!(n >= 3, "the section shows {n} keysweep commands");
    // It points at both deployments.
    for f in [
        "deploy/kubernetes",
        "deploy/github-actions/keysweep-org.yml",
        "deploy/Containerfile",
    ] {
        assert!(section.contains(f), "the section does not mention {f}");
    }
}

#[test]
fn the_kubernetes_objects_have_what_the_readme_promises() {
    let objects = kubernetes();
    let secrets = secrets(&objects);
    // The Secret: the token and the store's URL, placeholders only.
    for key in ["GITHUB_TOKEN", "KEYSWEEP_STORE"] {
        let v = secrets
            .get(&("keysweep".to_string(), key.to_string()))
            .unwrap_or_else(|| panic!("the Secret keysweep has no {key}"));
        assert!(v.contains("REPLACE"), "{key} is not a placeholder: {v}");
    }
    let claims: Vec<&str> = objects
        .iter()
        .filter(|(_, o)| o["kind"] == "PersistentVolumeClaim")
        .map(|(_, o)| o["metadata"]["name"].as_str().unwrap())
        .collect();
    let mut workers = 0;
    for (path, o) in &objects {
        let Some(spec) = pod_spec(o) else { continue };
        let place = format!("{} {}", path.display(), o["metadata"]["name"]);
        assert_eq!(spec["securityContext"]["runAsNonRoot"], true, "{place}");
        for c in spec["containers"].as_array().unwrap() {
            let env = container_env(c, &secrets, &place);
            // Both from the Secret, never written in the manifest.
            for key in ["GITHUB_TOKEN", "KEYSWEEP_STORE"] {
                let from = &c["env"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|e| e["name"] == key)
                    .unwrap_or_else(|| panic!("{place}: no {key}"))["valueFrom"]["secretKeyRef"];
                assert_eq!(from["name"], "keysweep", "{place}: {key}");
            }
            let r = &c["resources"];
            for k in ["cpu", "memory"] {
                assert!(r["requests"][k].is_string(), "{place}: no {k} request");
            }
            assert!(
                r["limits"]["memory"].is_string(),
                "{place}: no memory limit"
            );
            for found in container_commands(c, &place, &env) {
                let argv = check(&found);
                if argv.get(2).map(String::as_str) != Some("work") {
                    continue;
                }
                workers += 1;
                // The clone cache: --cache is a mounted volume, the volume a claim.
                let i = argv
                    .iter()
                    .position(|a| a == "--cache")
                    .expect("work without --cache");
                let dir = &argv[i + 1];
                let mount = c["volumeMounts"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|m| m["mountPath"] == dir.as_str())
                    .unwrap_or_else(|| panic!("{place}: nothing mounted at {dir}"));
                let volume = spec["volumes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|v| v["name"] == mount["name"])
                    .unwrap();
                let claim = volume["persistentVolumeClaim"]["claimName"]
                    .as_str()
                    .unwrap();
                assert!(claims.contains(&claim), "{place}: no claim {claim}");
                // N workers.
                let job = &o["spec"]["jobTemplate"]["spec"];
                assert!(job["parallelism"].as_u64().unwrap() >= 2, "{place}");
            }
        }
    }
    assert_eq!(workers, 1, "one worker template");
}

#[test]
fn the_workflow_shards_fit_a_run_and_upload_sarif_per_shard() {
    let path = root().join("deploy/github-actions/keysweep-org.yml");
    let w = &yaml(&path)[0];
    let shards: u64 = w["env"]["SHARDS"].as_u64().expect("env.SHARDS");
    let matrix = w["jobs"]["scan"]["strategy"]["matrix"]["shard"]
        .as_array()
        .unwrap();
    let values: Vec<u64> = matrix.iter().map(|v| v.as_u64().unwrap()).collect();
    assert_eq!(
        values,
        (0..shards).collect::<Vec<_>>(),
        "the matrix is 0..SHARDS"
    );
    // A workflow run holds at most 256 jobs.
    let jobs = w["jobs"].as_object().unwrap().len() as u64 - 1 + shards;
    assert!(jobs <= 256, "{jobs} jobs");
    let steps = w["jobs"]["scan"]["steps"].as_array().unwrap();
    let sarif = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
        })
        .expect("no upload-sarif step");
    assert!(
        sarif["with"]["category"]
            .as_str()
            .unwrap()
            .contains("${{ matrix.shard }}"),
        "a category per shard"
    );
    // The merge names every shard's store, so a missing one fails it.
    let merge: Vec<Vec<String>> = workflow_commands(&path)
        .iter()
        .map(check)
        .filter(|a| a.get(2).map(String::as_str) == Some("merge"))
        .collect();
    assert_eq!(merge.len(), 1);
    let named: Vec<&String> = merge[0]
        .iter()
        .filter(|a| a.ends_with(".db") && !a.contains("org.db"))
        .collect();
    let want: Vec<String> = (0..shards)
        .map(|i| format!("shards/shard-{i}.db"))
        .collect();
    assert_eq!(named, want.iter().collect::<Vec<_>>());
}

#[test]
fn the_containerfile_builds_in_stages_and_runs_as_a_user() {
    let text = std::fs::read_to_string(root().join("deploy/Containerfile")).unwrap();
    let stages: Vec<&str> = text.lines().filter(|l| l.starts_with("FROM ")).collect();
    assert!(stages.len() >= 2, "{stages:?}");
    assert!(stages[0].contains(" AS "), "a named build stage");
    let last = text.rsplit("\nFROM ").next().unwrap();
    assert!(text.contains("cargo build --release --locked"));
    for pkg in ["git", "ca-certificates"] {
        assert!(
            last.lines()
                .any(|l| l.contains("apt-get install") && l.split_whitespace().any(|w| w == pkg)),
            "the runtime stage installs no {pkg}"
        );
    }
    let user = last
        .lines()
        .filter_map(|l| l.strip_prefix("USER "))
        .next_back()
        .expect("no USER in the runtime stage");
    let uid = user.split(':').next().unwrap();
    assert!(uid != "0" && uid != "root", "USER {user}");
}
