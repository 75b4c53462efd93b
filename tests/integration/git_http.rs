//! A real smart-HTTP git server for tests: git's own `git http-backend`, run as a CGI
//! program for each request by a small HTTP/1.1 server on 127.0.0.1 (std only), serving
//! the bare repositories under a folder. It answers 401 to every request that does not
//! carry the `Authorization` header it was started with, as a forge does for a private
//! repository, and records each request's method, target and whether it was authorised.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request the server received.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub target: String,
    /// It carried the right `Authorization` header.
    pub authorised: bool,
    /// It carried an `Authorization` header at all.
    pub had_authorization: bool,
}

/// The server; it stops when dropped.
pub struct GitHttp {
    addr: SocketAddr,
    seen: Arc<Mutex<Vec<Seen>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl GitHttp {
    /// Serves the bare repositories under `root` to requests carrying
    /// `Authorization: {authorization}`.
    pub fn start(root: &Path, authorization: &str) -> GitHttp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let addr = listener.local_addr().unwrap();
        let seen: Arc<Mutex<Vec<Seen>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (seen, stop) = (seen.clone(), stop.clone());
            let root = root.to_path_buf();
            let authorization = authorization.to_string();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        let (seen, root, authorization) =
                            (seen.clone(), root.clone(), authorization.clone());
                        // One thread a connection: git may open a second while the first
                        // is still answered.
                        std::thread::spawn(move || {
                            let _ = serve(stream, &root, &authorization, &seen);
                        });
                    }
                }
            })
        };
        GitHttp {
            addr,
            seen,
            stop,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for GitHttp {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop.
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers the requests of one connection (one, then it is closed).
fn serve(
    stream: TcpStream,
    root: &Path,
    authorization: &str,
    seen: &Mutex<Vec<Seen>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return Ok(());
    };
    let (method, target) = (method.to_string(), target.to_string());
    let mut headers: Vec<(String, String)> = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 {
            break;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    let body = read_body(&mut reader, &header)?;
    let given = header("Authorization");
    let authorised = given.as_deref() == Some(authorization);
    seen.lock().unwrap().push(Seen {
        method: method.clone(),
        target: target.clone(),
        authorised,
        had_authorization: given.is_some(),
    });
    let mut out = stream;
    if !authorised {
        let msg = b"authentication required\n";
        write!(
            out,
            "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
             Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            msg.len()
        )?;
        out.write_all(msg)?;
        return out.flush();
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cgi = Command::new("git");
    cgi.arg("http-backend")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("SERVER_PROTOCOL", "HTTP/1.1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(t) = header("Content-Type") {
        cgi.env("CONTENT_TYPE", t);
    }
    if let Some(e) = header("Content-Encoding") {
        cgi.env("HTTP_CONTENT_ENCODING", e);
    }
    if let Some(p) = header("Git-Protocol") {
        cgi.env("GIT_PROTOCOL", p);
    }
    let mut child = cgi.spawn()?;
    {
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(&body)?;
    }
    let mut output = Vec::new();
    child.stdout.take().unwrap().read_to_end(&mut output)?;
    child.wait()?;
    // CGI headers, a blank line, the body.
    let split = output
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, i + 4))
        .or_else(|| {
            output
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, i + 2))
        })
        .unwrap_or((output.len(), output.len()));
    let head = String::from_utf8_lossy(&output[..split.0]).into_owned();
    let body = &output[split.1..];
    let mut status = "200 OK".to_string();
    let mut response_headers = Vec::new();
    for l in head.lines() {
        match l.split_once(':') {
            Some((k, v)) if k.eq_ignore_ascii_case("Status") => status = v.trim().to_string(),
            Some(_) => response_headers.push(l.to_string()),
            None => {}
        }
    }
    write!(out, "HTTP/1.1 {status}\r\n")?;
    for h in response_headers {
        write!(out, "{h}\r\n")?;
    }
    write!(
        out,
        "Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    out.write_all(body)?;
    out.flush()
}

/// The request's body: `Content-Length` bytes, or chunks (git sends a large request in
/// chunks).
fn read_body(
    reader: &mut BufReader<TcpStream>,
    header: &dyn Fn(&str) -> Option<String>,
) -> std::io::Result<Vec<u8>> {
    let mut body = Vec::new();
    if let Some(n) = header("Content-Length").and_then(|v| v.parse::<usize>().ok()) {
        body.resize(n, 0);
        reader.read_exact(&mut body)?;
    } else if header("Transfer-Encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let n = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                .unwrap_or(0);
            if n == 0 {
                let mut end = String::new();
                reader.read_line(&mut end)?;
                break;
            }
            let start = body.len();
            body.resize(start + n, 0);
            reader.read_exact(&mut body[start..])?;
            let mut crlf = [0u8; 2];
            reader.read_exact(&mut crlf)?;
        }
    }
    Ok(body)
}

/// A bare repository `NAME.git` under `root`, with one commit holding `files` (made in a
/// work tree beside it).
pub fn bare_repo(root: &Path, work: &Path, name: &str, files: &[(&str, &str)]) -> PathBuf {
    let w = work.join(name);
    std::fs::create_dir_all(&w).unwrap();
    crate::util::git(&w, &["init", "-q", "-b", "main"]);
    crate::util::write_at(&w, "README", "private\n");
    for (rel, text) in files {
        crate::util::write_at(&w, rel, text);
    }
    crate::util::git(&w, &["add", "-A"]);
    crate::util::git(&w, &["commit", "-qm", "init"]);
    let bare = root.join(format!("{name}.git"));
    std::fs::create_dir_all(root).unwrap();
    crate::util::git(
        root,
        &[
            "clone",
            "-q",
            "--bare",
            w.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    bare
}
