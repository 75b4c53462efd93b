//! A stand-in for the GitHub and GitLab REST APIs, which cannot run here: an HTTP/1.1
//! server on 127.0.0.1 (std only) that answers each request target with the replies a
//! test gave it, in order, and records every request it received (method, target,
//! headers) for the test to check.
//!
//! It is the only stand-in in the suite, and it serves the APIs' documented shapes:
//! [`github_repo`] and [`gitlab_project`] have the fields the docs of "List organization
//! repositories" and "List a group's projects" show; [`Reply`]'s helpers add the
//! documented `Link`, `X-Next-Page`, `X-RateLimit-*`/`RateLimit-*` and `Retry-After`
//! headers and error bodies (`{"message": "Bad credentials", …}`).
//!
//! `{url}` in a reply's headers or body is replaced by the server's `http://127.0.0.1:PORT`,
//! so a `Link` can point back at it. A target with no replies gets GitHub's 404.
//!
//! Used by the forge source's unit tests (`src/source/forge`, through `#[path]`) and by
//! the binary's tests of `keysweep org scan --github-org … --github-url …`.
#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// One canned answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Reply {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: vec![(
                "Content-Type".into(),
                "application/json; charset=utf-8".into(),
            )],
            body: body.to_string(),
        }
    }

    /// `status` with a plain-text body (GitLab's 429 says `Retry later`).
    pub fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/plain".into())],
            body: body.to_string(),
        }
    }

    pub fn header(mut self, name: &str, value: impl ToString) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    /// A 200 page of `items` with a `Link` header of `(rel, url)` pairs, as both forges
    /// send it: `<url>; rel="next", <url>; rel="last"`.
    pub fn page(items: Vec<Value>, links: &[(&str, &str)]) -> Reply {
        let reply = Reply::json(200, Value::Array(items));
        if links.is_empty() {
            return reply;
        }
        let link = links
            .iter()
            .map(|(rel, url)| format!("<{url}>; rel=\"{rel}\""))
            .collect::<Vec<_>>()
            .join(", ");
        reply.header("Link", link)
    }

    /// GitHub's quota headers on an answer: `remaining` of 5000 left, reset in an hour.
    pub fn github_quota(self, remaining: u64) -> Reply {
        self.header("X-RateLimit-Limit", 5000)
            .header("X-RateLimit-Remaining", remaining)
            .header("X-RateLimit-Reset", epoch() + 3600)
            .header("X-RateLimit-Used", 5000 - remaining.min(5000))
            .header("X-RateLimit-Resource", "core")
    }

    /// GitLab's pagination headers for page `page` of `pages` (`X-Next-Page` empty on the
    /// last), without a `Link`.
    pub fn gitlab_pages(self, page: u64, pages: u64, per_page: u64, total: u64) -> Reply {
        let next = if page < pages {
            (page + 1).to_string()
        } else {
            String::new()
        };
        let prev = if page > 1 {
            (page - 1).to_string()
        } else {
            String::new()
        };
        self.header("X-Page", page)
            .header("X-Per-Page", per_page)
            .header("X-Next-Page", next)
            .header("X-Prev-Page", prev)
            .header("X-Total", total)
            .header("X-Total-Pages", pages)
    }

    /// GitHub's primary rate limit: 403, no requests remaining until `reset` (epoch s).
    pub fn github_primary_limit(reset: u64) -> Reply {
        Reply::json(
            403,
            json!({
                "message": "API rate limit exceeded for user ID 1. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
                "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api",
                "status": "403"
            }),
        )
        .header("X-RateLimit-Limit", 5000)
        .header("X-RateLimit-Remaining", 0)
        .header("X-RateLimit-Reset", reset)
        .header("X-RateLimit-Used", 5000)
        .header("X-RateLimit-Resource", "core")
    }

    /// GitHub's secondary rate limit: 403 with `Retry-After` seconds.
    pub fn github_secondary_limit(retry_after: u64) -> Reply {
        Reply::json(
            403,
            json!({
                "message": "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID 0000:0000:0000000:0000000:00000000.",
                "documentation_url": "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
                "status": "403"
            }),
        )
        .header("Retry-After", retry_after)
        .header("X-RateLimit-Limit", 5000)
        .header("X-RateLimit-Remaining", 4990)
        .header("X-RateLimit-Reset", epoch() + 3600)
    }

    /// GitHub's answer to a bad token.
    pub fn github_bad_credentials() -> Reply {
        Reply::json(
            401,
            json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}),
        )
    }

    /// GitHub's answer for an organisation or user it does not have.
    pub fn github_not_found() -> Reply {
        Reply::json(
            404,
            json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest/repos/repos#list-organization-repositories", "status": "404"}),
        )
    }

    /// GitLab's throttle: 429 `Retry later`, with `Retry-After` and `RateLimit-*`.
    pub fn gitlab_limit(retry_after: u64) -> Reply {
        Reply::text(429, "Retry later\n")
            .header("Retry-After", retry_after)
            .header("RateLimit-Name", "throttle_authenticated_api")
            .header("RateLimit-Limit", 2000)
            .header("RateLimit-Observed", 2001)
            .header("RateLimit-Remaining", 0)
            .header("RateLimit-Reset", epoch() + retry_after)
    }

    pub fn gitlab_unauthorized() -> Reply {
        Reply::json(401, json!({"message": "401 Unauthorized"}))
    }

    pub fn gitlab_group_not_found() -> Reply {
        Reply::json(404, json!({"message": "404 Group Not Found"}))
    }
}

/// A repository as GitHub's `GET /orgs/{org}/repos` lists it (the "minimal repository"
/// schema, its main fields). `clone_url` may be replaced by a test (a `git daemon`'s
/// URL) with `repo["clone_url"] = …`.
pub fn github_repo(id: u64, full_name: &str, fork: bool, archived: bool) -> Value {
    let (owner, name) = full_name.split_once('/').expect("owner/name");
    json!({
        "id": id,
        "node_id": format!("R_kgDO{id:08}"),
        "name": name,
        "full_name": full_name,
        "private": false,
        "owner": {
            "login": owner,
            "id": 9919,
            "node_id": "O_kgDOAAAmvw",
            "type": "Organization",
            "site_admin": false,
            "url": format!("https://api.github.com/users/{owner}"),
            "html_url": format!("https://github.com/{owner}")
        },
        "html_url": format!("https://github.com/{full_name}"),
        "description": null,
        "fork": fork,
        "url": format!("https://api.github.com/repos/{full_name}"),
        "git_url": format!("git://github.com/{full_name}.git"),
        "ssh_url": format!("git@github.com:{full_name}.git"),
        "clone_url": format!("https://github.com/{full_name}.git"),
        "svn_url": format!("https://github.com/{full_name}"),
        "homepage": null,
        "size": 108 + id,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": "Rust",
        "forks_count": 0,
        "open_issues_count": 0,
        "default_branch": "main",
        "topics": [],
        "has_issues": true,
        "archived": archived,
        "disabled": false,
        "visibility": "public",
        "pushed_at": "2026-11-30T10:00:00Z",
        "created_at": "2024-01-26T19:01:12Z",
        "updated_at": "2026-11-30T10:00:00Z",
        "permissions": {"admin": false, "maintain": false, "push": false, "triage": false, "pull": true},
        "license": null,
        "forks": 0,
        "open_issues": 0,
        "watchers": 0
    })
}

/// A project as GitLab's `GET /groups/{id}/projects` lists it (its main fields);
/// `forked_from_project` is present only when `forked_from` names the source.
pub fn gitlab_project(
    id: u64,
    path_with_namespace: &str,
    archived: bool,
    forked_from: Option<&str>,
) -> Value {
    let (namespace, path) = path_with_namespace
        .rsplit_once('/')
        .expect("namespace/path");
    let mut project = json!({
        "id": id,
        "description": null,
        "name": path,
        "name_with_namespace": path_with_namespace.replace('/', " / "),
        "path": path,
        "path_with_namespace": path_with_namespace,
        "created_at": "2024-01-26T19:01:12.000Z",
        "default_branch": "main",
        "tag_list": [],
        "topics": [],
        "ssh_url_to_repo": format!("git@gitlab.example.com:{path_with_namespace}.git"),
        "http_url_to_repo": format!("https://gitlab.example.com/{path_with_namespace}.git"),
        "web_url": format!("https://gitlab.example.com/{path_with_namespace}"),
        "readme_url": null,
        "forks_count": 0,
        "star_count": 0,
        "last_activity_at": "2026-11-30T10:00:00.000Z",
        "namespace": {
            "id": 77,
            "name": namespace.rsplit('/').next().unwrap(),
            "path": namespace.rsplit('/').next().unwrap(),
            "kind": "group",
            "full_path": namespace,
            "parent_id": null,
            "web_url": format!("https://gitlab.example.com/groups/{namespace}")
        },
        "empty_repo": false,
        "archived": archived,
        "visibility": "internal",
        "issues_enabled": true,
        "open_issues_count": 0
    });
    if let Some(source) = forked_from {
        project["forked_from_project"] = json!({
            "id": 1,
            "name": source.rsplit('/').next().unwrap(),
            "path_with_namespace": source,
            "http_url_to_repo": format!("https://gitlab.example.com/{source}.git"),
            "web_url": format!("https://gitlab.example.com/{source}")
        });
    }
    project
}

/// Now, in epoch seconds (for `X-RateLimit-Reset`).
pub fn epoch() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A request the server received.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    /// The value of header `name` (any case), if sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Routes = Arc<Mutex<HashMap<String, VecDeque<Reply>>>>;

/// The server; it stops when dropped.
pub struct StandIn {
    addr: SocketAddr,
    routes: Routes,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl StandIn {
    pub fn start() -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let routes: Routes = Arc::default();
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let url = format!("http://{addr}");
        let thread = {
            let (routes, requests, stop) = (routes.clone(), requests.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve(stream, &url, &routes, &requests);
                    }
                }
            })
        };
        StandIn {
            addr,
            routes,
            requests,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Answer requests for `target` (path and query, exactly as the client will send
    /// them) with `replies`, one each in order; the last is repeated.
    pub fn route(&self, target: &str, replies: Vec<Reply>) {
        assert!(!replies.is_empty(), "a route needs a reply");
        self.routes
            .lock()
            .unwrap()
            .insert(target.to_string(), replies.into());
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The targets of every request received so far, in order.
    pub fn targets(&self) -> Vec<String> {
        self.requests().into_iter().map(|r| r.target).collect()
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// Read one request from `stream`, record it, answer it and close the connection.
fn serve(stream: TcpStream, url: &str, routes: &Routes, requests: &Mutex<Vec<Request>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_string();
    let target = parts.next().unwrap_or_default().to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" || h == "\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    requests.lock().unwrap().push(Request {
        method,
        target: target.clone(),
        headers,
    });
    let reply = {
        let mut routes = routes.lock().unwrap();
        match routes.get_mut(&target) {
            Some(queue) if queue.len() > 1 => queue.pop_front().unwrap(),
            Some(queue) => queue.front().unwrap().clone(),
            None => Reply::github_not_found(),
        }
    };
    let body = reply.body.replace("{url}", url);
    let mut out = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        out.push_str(&format!("{k}: {}\r\n", v.replace("{url}", url)));
    }
    out.push_str(&format!(
        "Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    let mut stream = &stream;
    let _ = stream.write_all(out.as_bytes());
    let _ = stream.flush();
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        301 => "Moved Permanently",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        _ => "Status",
    }
}
