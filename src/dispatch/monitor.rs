//! The live monitor (`LAPACK_AI_MONITOR`): a background thread that serves
//! the counters of [`super::stats`] over HTTP/1.1 on a loopback address.
//!
//! - `/metrics`: Prometheus' text format ([`super::stats::prometheus`]);
//! - `/api/stats`: the JSON of `lapack_ai_stats_json` ([`super::stats::json`]);
//! - `/`: a self-contained page (monitor_page.html: inline script and
//!   canvas, no external asset) that polls `/api/stats` twice a second and
//!   charts call rates, GPU share, GFLOP/s and transfer rates.
//!
//! A hand-written responder on std's TcpListener, not an HTTP crate: three
//! GET routes, `Connection: close`, bounded request size, read and write
//! timeouts, and at most [`MAX_CONNECTIONS`] connections at once (one
//! short-lived thread each, so that a client that connects and says
//! nothing, as browsers' speculative connections do, holds up no one).
//! The computation never waits for the monitor: it only reads counters.

use super::log;
use once_cell::sync::OnceCell;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// The monitor's page: HTML, CSS and script in one file.
const PAGE: &str = include_str!("monitor_page.html");
const MAX_CONNECTIONS: usize = 8;
const MAX_REQUEST: usize = 8192;
const TIMEOUT: Duration = Duration::from_secs(5);

/// The address the monitor listens on, once it does.
static ADDRESS: OnceCell<SocketAddr> = OnceCell::new();

/// Where the monitor is serving (the bound address: with port 0, the port
/// the system chose), or `None` when it is not.
pub fn address() -> Option<SocketAddr> {
    ADDRESS.get().copied()
}

/// Parses `LAPACK_AI_MONITOR`: `IP:PORT`, `[IPv6]:PORT`, `localhost:PORT`
/// or `PORT` alone (on 127.0.0.1). Host names other than localhost are not
/// looked up: say which address to listen on.
pub fn parse_address(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    if let Some(port) = text.strip_prefix("localhost:") {
        let port = port.parse::<u16>().map_err(|_| format!("{port:?} is not a port number"))?;
        return Ok(SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port));
    }
    text.parse::<SocketAddr>().map_err(|_| "not an address of the form 127.0.0.1:PORT".to_string())
}

/// Binds `addr` and starts serving on a background thread. A failure (the
/// port in use, no permission) is one warning: the program runs on without
/// the monitor.
pub(crate) fn start(addr: SocketAddr) {
    let listener = match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            let why = if e.kind() == std::io::ErrorKind::AddrInUse {
                format!("port {} is already in use (another program, or another lapack-ai process)", addr.port())
            } else {
                e.to_string()
            };
            log::warn(&format!("LAPACK_AI_MONITOR={addr}: cannot listen: {why}; running without the monitor"));
            return;
        }
    };
    let bound = listener.local_addr().unwrap_or(addr);
    let spawned = std::thread::Builder::new().name("lapack-ai-monitor".into()).spawn(move || serve(listener));
    match spawned {
        Ok(_) => {
            let _ = ADDRESS.set(bound);
            let _ = std::io::stderr()
                .write_all(format!("lapack-ai: monitor on http://{bound}/ (/metrics, /api/stats)\n").as_bytes());
        }
        Err(e) => log::warn(&format!("LAPACK_AI_MONITOR={addr}: cannot start its thread ({e}); running without it")),
    }
}

/// The accept loop: one short-lived thread per connection, at most
/// [`MAX_CONNECTIONS`] at once (beyond that a connection is closed).
fn serve(listener: TcpListener) {
    static ACTIVE: AtomicUsize = AtomicUsize::new(0);
    for stream in listener.incoming() {
        let Ok(stream) = stream else { continue };
        if ACTIVE.fetch_add(1, Ordering::AcqRel) >= MAX_CONNECTIONS {
            ACTIVE.fetch_sub(1, Ordering::AcqRel);
            continue;
        }
        let handled = std::thread::Builder::new().name("lapack-ai-monitor-conn".into()).spawn(move || {
            // A panic here ends this thread only; the counters stay usable.
            let _ = std::panic::catch_unwind(move || answer(stream));
            ACTIVE.fetch_sub(1, Ordering::AcqRel);
        });
        if handled.is_err() {
            ACTIVE.fetch_sub(1, Ordering::AcqRel);
        }
    }
}

/// Reads one request head and writes the response.
fn answer(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(TIMEOUT));
    let _ = stream.set_write_timeout(Some(TIMEOUT));
    let mut head = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        match stream.read(&mut chunk) {
            Ok(0) | Err(_) => break,
            Ok(n) => head.extend_from_slice(&chunk[..n]),
        }
        if head.len() > MAX_REQUEST {
            break;
        }
    }
    let first = head.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let first = String::from_utf8_lossy(first);
    let mut words = first.split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let response = if head.len() > MAX_REQUEST {
        Response::text(431, "request too large\n")
    } else {
        route(method, target)
    };
    let _ = stream.write_all(&response.bytes(method == "HEAD"));
    let _ = stream.flush();
}

/// A response: status, content type, body.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub content_type: &'static str,
    pub body: String,
}

impl Response {
    fn text(status: u16, body: &str) -> Response {
        Response { status, content_type: "text/plain; charset=utf-8", body: body.to_string() }
    }

    fn bytes(&self, head_only: bool) -> Vec<u8> {
        let reason = match self.status {
            200 => "OK",
            404 => "Not Found",
            405 => "Method Not Allowed",
            431 => "Request Header Fields Too Large",
            _ => "Bad Request",
        };
        let mut out = format!(
            "HTTP/1.1 {} {reason}\r\nContent-Type: {}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\
             X-Content-Type-Options: nosniff\r\nConnection: close\r\n{}\r\n",
            self.status,
            self.content_type,
            self.body.len(),
            if self.status == 405 { "Allow: GET, HEAD\r\n" } else { "" }
        )
        .into_bytes();
        if !head_only {
            out.extend_from_slice(self.body.as_bytes());
        }
        out
    }
}

/// The response to `method target` (the query string is ignored).
pub fn route(method: &str, target: &str) -> Response {
    if method != "GET" && method != "HEAD" {
        return Response::text(if method.is_empty() { 400 } else { 405 }, "only GET and HEAD\n");
    }
    match target.split('?').next().unwrap_or("") {
        "/" | "/index.html" => Response { status: 200, content_type: "text/html; charset=utf-8", body: PAGE.into() },
        "/metrics" => Response {
            status: 200,
            content_type: "text/plain; version=0.0.4; charset=utf-8",
            body: super::stats::prometheus(),
        },
        "/api/stats" => Response { status: 200, content_type: "application/json", body: super::stats::json() },
        _ => Response::text(404, "not found: try /, /metrics or /api/stats\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses() {
        let lo = |p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p);
        assert_eq!(parse_address("9100"), Ok(lo(9100)));
        assert_eq!(parse_address("localhost:0"), Ok(lo(0)));
        assert_eq!(parse_address(" 127.0.0.1:8080 "), Ok(lo(8080)));
        assert_eq!(parse_address("[::1]:9"), Ok("[::1]:9".parse().unwrap()));
        for bad in ["", "host:80", "127.0.0.1", "localhost:x", "127.0.0.1:70000"] {
            assert!(parse_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn routes() {
        assert_eq!(route("GET", "/").status, 200);
        assert!(route("GET", "/").body.contains("<canvas"));
        let m = route("GET", "/metrics?x=1");
        assert_eq!((m.status, m.content_type), (200, "text/plain; version=0.0.4; charset=utf-8"));
        assert!(route("GET", "/api/stats").body.starts_with("{\"library\":\"lapack-ai\""));
        assert_eq!(route("GET", "/etc/passwd").status, 404);
        assert_eq!(route("POST", "/metrics").status, 405);
        assert_eq!(route("", "").status, 400);
        let head = String::from_utf8(route("GET", "/").bytes(true)).unwrap();
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.ends_with("\r\n\r\n"), "{head}");
        assert!(head.contains(&format!("Content-Length: {}\r\n", PAGE.len())));
    }

    #[test]
    fn the_page_needs_nothing_from_outside() {
        for external in ["http://", "https://", "//cdn", "src=\"/", "href=\"/", "@import"] {
            assert!(!PAGE.contains(external), "the page refers to {external}");
        }
        assert!(PAGE.contains("/api/stats"));
    }
}
