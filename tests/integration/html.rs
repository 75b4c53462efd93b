//! `--format html` in a real headless browser (Debian's `chromium`): the page loads with
//! no console message at all (no error, no blocked request), its script runs, the counts
//! it shows equal the JSON summary's, filtering from the address works, and secrets stay
//! redacted even when `--show-secrets` is given. Without `chromium` the tests fail under
//! CI (which installs it) and are skipped elsewhere.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{TestDir, key};
use serde_json::Value;

/// Generated at random for these tests; not real credentials.
const KEY_ID: &str = "AKIARZPUZDIKIOJZ7DN7";
const SECRET: &str = "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";

/// Headless Chromium, if installed (CI installs it; elsewhere the page tests skip).
pub(crate) fn chromium() -> Option<PathBuf> {
    let found = ["chromium", "chromium-browser"].iter().find_map(|name| {
        let out = Command::new("sh")
            .args(["-c", &format!("command -v {name}")])
            .output()
            .ok()?;
        out.status
            .success()
            .then(|| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "chromium is not installed (.ci/run installs it)"
        );
        eprintln!("chromium not installed: skipping");
    }
    found
}

/// Loads `page` (with `fragment`) in headless Chromium; returns the DOM after its script
/// ran and what the browser logged, and takes a screenshot if asked.
fn load(
    browser: &Path,
    page: &Path,
    fragment: &str,
    screenshot: Option<&Path>,
) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let url = format!("file://{}{fragment}", page.display());
    let mut c = Command::new(browser);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,900",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(png) => c.arg(format!("--screenshot={}", png.display())),
        None => c.arg("--dump-dom"),
    };
    let out = c.arg(&url).output().unwrap();
    assert!(out.status.success(), "chromium failed: {out:?}");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The text of the element with `id` in `dom`.
fn text_of(dom: &str, id: &str) -> String {
    let start = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let open = dom[start..].find('>').unwrap() + start + 1;
    let close = dom[open..].find('<').unwrap() + open;
    dom[open..close].to_string()
}

fn attr_of_body(dom: &str, attr: &str) -> Option<String> {
    let body = &dom[dom.find("<body")?..];
    let tag = &body[..body.find('>')?];
    let at = tag.find(&format!("{attr}=\""))? + attr.len() + 2;
    Some(tag[at..at + tag[at..].find('"')?].to_string())
}

fn no_console_messages(log: &str) {
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "the page logged: {console:#?}");
}

#[test]
fn the_scan_page_loads_clean_and_counts_what_json_counts() {
    let Some(browser) = chromium() else { return };
    let d = TestDir::new();
    d.write("deploy/id_ed25519", key("openssh_ed25519"));
    d.chmod("deploy/id_ed25519", 0o644);
    d.write("deploy/id_ed25519.pub", key("openssh_ed25519.pub"));
    d.write("old/legacy.pem", key("pem_rsa_enc"));
    d.write(
        "app/<script>alert(1)</script>.env",
        format!("AWS_ACCESS_KEY_ID={KEY_ID}\nAWS_SECRET_ACCESS_KEY={SECRET}\n"),
    );
    let json: Value =
        serde_json::from_str(&d.run(&["scan", "--format", "json", "."]).stdout).unwrap();
    let page = d.path().join("report.html");
    let run = d.run(&[
        "scan",
        "--format",
        "html",
        "--show-secrets",
        "--output",
        page.to_str().unwrap(),
        ".",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains(&SECRET[4..]),
        "a secret in clear on the page"
    );
    assert!(
        !html.contains("b3BlbnNzaC1rZXktdjE"),
        "key material on the page"
    );
    assert!(
        !html.contains("<script>alert"),
        "a file name was not escaped"
    );
    assert!(!html.contains("http://") && !html.contains("https://"));

    let (dom, log) = load(&browser, &page, "", None);
    no_console_messages(&log);
    assert_eq!(attr_of_body(&dom, "data-ready").as_deref(), Some("1"));
    let s = &json["summary"];
    for field in [
        "findings", "critical", "high", "medium", "low", "errors", "skipped",
    ] {
        assert_eq!(
            text_of(&dom, &format!("count-{field}")),
            s[field].to_string(),
            "{field}"
        );
    }
    let rows = dom.matches("<tr data-severity=").count();
    assert_eq!(rows, json["findings"].as_array().unwrap().len());
    assert_eq!(text_of(&dom, "shown"), rows.to_string());

    // Filtering, from the address as a person would share it.
    let (dom, log) = load(&browser, &page, "#severity=critical", None);
    no_console_messages(&log);
    let critical = s["critical"].as_u64().unwrap();
    assert!(critical > 0 && critical < rows as u64);
    assert_eq!(text_of(&dom, "shown"), critical.to_string());
    let (dom, _) = load(&browser, &page, &format!("#q={KEY_ID}"), None);
    assert_eq!(text_of(&dom, "shown"), "1");

    let png = d.path().join("report.png");
    load(&browser, &page, "", Some(&png));
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG") && bytes.len() > 10_000);
}

#[test]
fn the_sweep_page_shows_its_digest() {
    let Some(browser) = chromium() else { return };
    let h = TestDir::new();
    h.write("Downloads/prod.pem", key("pkcs8_rsa"));
    h.chmod("Downloads/prod.pem", 0o644);
    h.write(
        ".aws/credentials",
        format!("[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"),
    );
    let home = h.path().to_str().unwrap();
    let json: Value =
        serde_json::from_str(&h.run(&["sweep", "--home", home, "--format", "json"]).stdout)
            .unwrap();
    let page = h.path().join("sweep.html");
    let run = h.run(&[
        "sweep",
        "--home",
        home,
        "--format",
        "html",
        "--output",
        page.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let (dom, log) = load(&browser, &page, "", None);
    no_console_messages(&log);
    assert_eq!(
        text_of(&dom, "digest-private-keys"),
        json["summary"]["sweep"]["private_keys"].to_string()
    );
    assert_eq!(
        text_of(&dom, "count-findings"),
        json["summary"]["findings"].to_string()
    );
    assert!(
        dom.contains("chmod 600"),
        "the fix commands are on the page"
    );
}
