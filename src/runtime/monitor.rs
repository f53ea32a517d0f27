//! The live monitor (`LAPACK_AI_MONITOR`): a background thread that serves
//! the counters of [`super::stats`] over HTTP/1.1 on a loopback address.
//!
//! - `/metrics`: Prometheus' text format ([`super::stats::prometheus`]);
//! - `/api/stats`: the JSON of `lapack_ai_stats_json` ([`super::stats::json`]);
//! - `/`: a self-contained page (monitor_page.html: inline script and
//!   canvas, no external asset) that polls `/api/stats` twice a second and
//!   charts call rates, GPU share, GFLOP/s and transfer rates.
//!
//! A hand-written responder on std's TcpListener and `poll(2)`, not an HTTP
//! crate: three routes for GET and HEAD, one request per connection,
//! `Connection: close`, a request head of at most [`MAX_REQUEST`] bytes.
//!
//! **One thread, deadlines, a cap.** The first version gave each
//! connection a thread of its own, at most 8 at once, with a 5 s timeout on
//! each read. A probe starved it: 8 connections that sent one byte every
//! 3 s never timed out and held every slot (0 of 100 requests answered in
//! 20 s), and 500 connections that said nothing let 29 of 50 requests
//! through. Now one thread multiplexes non-blocking sockets with `poll(2)`:
//! - the whole request head must arrive within [`HEAD_DEADLINE`] of the
//!   accept (one deadline, not one per read: trickled bytes do not extend
//!   it), and the response must be written within [`WRITE_DEADLINE`]; a
//!   connection is closed at its deadline;
//! - at most [`MAX_CONNECTIONS`] are open; admitting one more closes the
//!   oldest. A new connection is read at once, and at most
//!   [`ACCEPT_BATCH`] are accepted between two turns of the loop, so a
//!   client that sends its request when it connects (every real one does)
//!   is answered before a flood of idle or slow connections can push it
//!   out; the flood only pushes itself out.
//!
//! tests/stats_monitor.sh runs the probe again (tests/monitor_flood.py):
//! 8 such trickling connections and 500 idle ones, and 100 requests that
//! must all be answered within a few seconds.
//!
//! **Host.** A web page can reach a loopback port through DNS rebinding
//! (its own name made to resolve to 127.0.0.1) and then read `/api/stats`
//! as if it were its own; its requests carry its name in `Host`. So `Host`
//! must name the monitor ([`host_allowed`]): `localhost`, or a loopback IP
//! or the listening IP, with any port (an SSH tunnel's local port differs
//! from the monitor's; the name is what a rebinding page cannot fake);
//! otherwise the answer is 421, and 400 without `Host`. With `LAPACK_AI_MONITOR_ALLOW_REMOTE=1` any
//! `Host` is answered (the names other machines use cannot be known here).
//!
//! The computation never waits for the monitor: it only reads counters. A
//! panic while answering closes that connection; the monitor serves on.

use super::warn::warn;
use once_cell::sync::OnceCell;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::{Duration, Instant};

/// The monitor's page: HTML, CSS and script in one file.
const PAGE: &str = include_str!("monitor_page.html");
/// Connections open at once; admitting one more closes the oldest.
const MAX_CONNECTIONS: usize = 64;
/// Connections accepted in one turn of the loop: the open ones are read
/// between two batches of a flood.
const ACCEPT_BATCH: usize = 16;
/// The longest request head, in bytes, its blank line included.
const MAX_REQUEST: usize = 8192;
/// From the accept to the end of the request head.
const HEAD_DEADLINE: Duration = Duration::from_secs(2);
/// From the end of the request head to the last byte of the response.
const WRITE_DEADLINE: Duration = Duration::from_secs(5);
/// After the response, what the client still sends is read and dropped
/// for this long (and at most [`LINGER_BYTES`]) before closing: closing
/// with unread bytes would reset the connection, and the client could
/// lose the response.
const LINGER: Duration = Duration::from_secs(1);
const LINGER_BYTES: usize = 65536;
/// How long the loop stops accepting after an accept failed for want of
/// resources (file descriptors, memory) rather than spin on it.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);

/// The address the monitor listens on, once it does.
static ADDRESS: OnceCell<SocketAddr> = OnceCell::new();

/// Where the monitor is serving (the bound address: with port 0, the port
/// the system chose), or `None` when it is not.
pub fn address() -> Option<SocketAddr> {
    ADDRESS.get().copied()
}


/// Who the monitor answers: the address it listens on, and whether any
/// `Host` will do (`LAPACK_AI_MONITOR_ALLOW_REMOTE=1`).
#[derive(Clone, Copy, Debug)]
struct Listening {
    addr: SocketAddr,
    any_host: bool,
}

/// Binds `addr` and starts serving on a background thread. A failure (the
/// port in use, no permission) is one warning: the program runs on without
/// the monitor. `allow_remote`: answer requests whatever their `Host`.
pub(crate) fn start(addr: SocketAddr, allow_remote: bool) {
    let listener = match TcpListener::bind(addr) {
        Ok(l) => l,
        Err(e) => {
            let why = if e.kind() == ErrorKind::AddrInUse {
                format!("port {} is already in use (another program, or another lapack-ai process)", addr.port())
            } else {
                e.to_string()
            };
            warn(&format!("LAPACK_AI_MONITOR={addr}: cannot listen: {why}; running without the monitor"));
            return;
        }
    };
    if let Err(e) = listener.set_nonblocking(true) {
        warn(&format!("LAPACK_AI_MONITOR={addr}: cannot listen: {e}; running without the monitor"));
        return;
    }
    let bound = listener.local_addr().unwrap_or(addr);
    let me = Listening { addr: bound, any_host: allow_remote };
    let spawned = std::thread::Builder::new().name("lapack-ai-monitor".into()).spawn(move || {
        // Each connection's work catches its own panics (serve); this is
        // for the loop itself, so that nothing unwinds out of the thread.
        if catch_unwind(AssertUnwindSafe(|| serve(&listener, me))).is_err() {
            warn("the monitor stopped after an internal error; the program runs on without it");
        }
    });
    match spawned {
        Ok(_) => {
            let _ = ADDRESS.set(bound);
            let _ = std::io::stderr()
                .write_all(format!("lapack-ai: monitor on http://{bound}/ (/metrics, /api/stats)\n").as_bytes());
        }
        Err(e) => warn(&format!("LAPACK_AI_MONITOR={addr}: cannot start its thread ({e}); running without it")),
    }
}

/// Where a connection is.
enum Phase {
    /// Reading the request head (what has come so far).
    Head(Vec<u8>),
    /// Writing the response (its bytes, and how many are written).
    Reply(Vec<u8>, usize),
    /// The response written and the write side shut: reading and dropping
    /// what the client still sends (how much so far) until it closes.
    Linger(usize),
}

struct Connection {
    stream: TcpStream,
    phase: Phase,
    /// When the current phase must be over; the connection is closed then.
    deadline: Instant,
    /// The client has shut its side (nothing more will come).
    eof: bool,
}

impl Connection {
    fn new(stream: TcpStream, now: Instant) -> Connection {
        Connection { stream, phase: Phase::Head(Vec::new()), deadline: now + HEAD_DEADLINE, eof: false }
    }

    /// The `poll(2)` events this connection waits for.
    fn events(&self) -> libc::c_short {
        match self.phase {
            Phase::Reply(..) => libc::POLLOUT,
            Phase::Head(_) | Phase::Linger(_) => libc::POLLIN,
        }
    }

    /// Does what the socket allows without blocking. Returns whether the
    /// connection stays open. A panic (a bug) closes it, and only it.
    fn advance(&mut self, me: Listening) -> bool {
        catch_unwind(AssertUnwindSafe(|| self.advance_inner(me))).unwrap_or(false)
    }

    fn advance_inner(&mut self, me: Listening) -> bool {
        let mut chunk = [0u8; 4096];
        loop {
            match &mut self.phase {
                Phase::Head(head) => {
                    let from = head.len();
                    let room = (MAX_REQUEST + 1 - from).min(chunk.len());
                    match self.stream.read(&mut chunk[..room]) {
                        Ok(0) if head.is_empty() => return false,
                        Ok(0) => {
                            // The client shut its side after part of a head:
                            // answer what came.
                            self.eof = true;
                            let bytes = response_to(head, false, me);
                            self.reply(bytes);
                        }
                        Ok(n) => {
                            head.extend_from_slice(&chunk[..n]);
                            match head_status(head, from) {
                                HeadStatus::Incomplete => {}
                                HeadStatus::Complete(end) => {
                                    let bytes = response_to(&head[..end], false, me);
                                    self.reply(bytes);
                                }
                                HeadStatus::TooLarge => {
                                    let bytes = response_to(head, true, me);
                                    self.reply(bytes);
                                }
                            }
                        }
                        Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(_) => return false,
                    }
                }
                Phase::Reply(bytes, written) => match self.stream.write(&bytes[*written..]) {
                    Ok(0) => return false,
                    Ok(n) => {
                        *written += n;
                        if *written == bytes.len() {
                            if self.eof || self.stream.shutdown(Shutdown::Write).is_err() {
                                return false;
                            }
                            self.phase = Phase::Linger(0);
                            self.deadline = Instant::now() + LINGER;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return false,
                },
                Phase::Linger(dropped) => match self.stream.read(&mut chunk) {
                    Ok(0) => return false,
                    Ok(n) => {
                        *dropped += n;
                        if *dropped > LINGER_BYTES {
                            return false;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => return true,
                    Err(e) if e.kind() == ErrorKind::Interrupted => {}
                    Err(_) => return false,
                },
            }
        }
    }

    /// From reading to writing `bytes`, within [`WRITE_DEADLINE`].
    fn reply(&mut self, bytes: Vec<u8>) {
        self.phase = Phase::Reply(bytes, 0);
        self.deadline = Instant::now() + WRITE_DEADLINE;
    }
}

/// The loop: waits in `poll(2)` for the listener, the open connections
/// and the nearest deadline; closes the connections past their deadline,
/// advances those that are ready, then accepts.
fn serve(listener: &TcpListener, me: Listening) {
    let mut open: Vec<Connection> = Vec::with_capacity(MAX_CONNECTIONS);
    let mut fds: Vec<libc::pollfd> = Vec::with_capacity(MAX_CONNECTIONS + 1);
    let mut accept_paused_until: Option<Instant> = None;
    loop {
        let now = Instant::now();
        open.retain(|c| c.deadline > now);
        if accept_paused_until.is_some_and(|t| t <= now) {
            accept_paused_until = None;
        }
        fds.clear();
        let listen_events = if accept_paused_until.is_none() { libc::POLLIN } else { 0 };
        fds.push(libc::pollfd { fd: listener.as_raw_fd(), events: listen_events, revents: 0 });
        fds.extend(open.iter().map(|c| libc::pollfd { fd: c.stream.as_raw_fd(), events: c.events(), revents: 0 }));
        let wake = open.iter().map(|c| c.deadline).chain(accept_paused_until).min();
        // Rounded up, so as not to wake just before a deadline and spin.
        let timeout =
            wake.map_or(-1, |t| (t.saturating_duration_since(now).as_millis() + 1).min(60_000) as libc::c_int);
        // SAFETY: `fds` is a live, initialized array of `fds.len()` pollfd
        // structs that nothing else touches during the call; its
        // descriptors belong to `listener` and `open`, which outlive it
        // (poll reports a closed descriptor as POLLNVAL, it does not use it).
        let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, timeout) };
        if ready < 0 {
            if std::io::Error::last_os_error().kind() != ErrorKind::Interrupted {
                std::thread::sleep(ACCEPT_PAUSE);
            }
            continue;
        }
        // The open connections first, in the order of `fds[1..]`.
        let mut ready_events = fds[1..].iter().map(|f| f.revents);
        open.retain_mut(|c| ready_events.next().unwrap_or(0) == 0 || c.advance(me));
        if fds[0].revents != 0 {
            for _ in 0..ACCEPT_BATCH {
                match listener.accept() {
                    Ok((stream, _)) => admit(&mut open, stream, me),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    // A client that gave up before the accept, a signal.
                    Err(e) if matches!(e.kind(), ErrorKind::ConnectionAborted | ErrorKind::Interrupted) => {}
                    // Out of descriptors or memory: the listener stays
                    // readable, so wait a little rather than spin.
                    Err(_) => {
                        accept_paused_until = Some(Instant::now() + ACCEPT_PAUSE);
                        break;
                    }
                }
            }
        }
    }
}

/// A new connection: read at once (a request already there is answered
/// now), then kept among the open ones, closing the oldest when there are
/// [`MAX_CONNECTIONS`].
fn admit(open: &mut Vec<Connection>, stream: TcpStream, me: Listening) {
    if stream.set_nonblocking(true).is_err() {
        return;
    }
    let mut c = Connection::new(stream, Instant::now());
    if !c.advance(me) {
        return;
    }
    if open.len() >= MAX_CONNECTIONS {
        open.remove(0);
    }
    open.push(c);
}

/// How far a request head has come.
#[derive(Debug, PartialEq, Eq)]
enum HeadStatus {
    Incomplete,
    /// Complete: its length, blank line included.
    Complete(usize),
    /// Longer than [`MAX_REQUEST`].
    TooLarge,
}

/// Where `head` stands, when the bytes before `from` held no end (the
/// search starts at `from`: a head trickled byte by byte costs linear
/// time). A head ends with an empty line; lines end with LF or CRLF.
fn head_status(head: &[u8], from: usize) -> HeadStatus {
    let end = (from..head.len())
        .find(|&i| head[i] == b'\n' && (head[..i].ends_with(b"\n") || head[..i].ends_with(b"\n\r")))
        .map(|i| i + 1);
    match end {
        Some(end) if end <= MAX_REQUEST => HeadStatus::Complete(end),
        Some(_) => HeadStatus::TooLarge,
        None if head.len() >= MAX_REQUEST => HeadStatus::TooLarge,
        None => HeadStatus::Incomplete,
    }
}

/// The response to a request head, as bytes. `too_large`: `head` is the
/// start of a head longer than [`MAX_REQUEST`].
fn response_to(head: &[u8], too_large: bool, me: Listening) -> Vec<u8> {
    let text = String::from_utf8_lossy(head);
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
    let mut words = lines.next().unwrap_or("").split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let hosts: Vec<&str> = lines
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_once(':'))
        .filter(|(name, _)| name.eq_ignore_ascii_case("host"))
        .map(|(_, value)| value.trim_matches([' ', '\t']))
        .collect();
    let response = if too_large {
        Response::text(431, "request too large\n")
    } else if method.is_empty() {
        route(method, target)
    } else {
        match hosts[..] {
            [] => Response::text(400, "no Host header\n"),
            [host] if me.any_host || host_allowed(host, me.addr) => route(method, target),
            [_] => Response::text(
                421,
                &format!(
                    "misdirected request: this monitor answers Host: localhost:{} or {} \
                     (LAPACK_AI_MONITOR_ALLOW_REMOTE=1: any)\n",
                    me.addr.port(),
                    me.addr
                ),
            ),
            _ => Response::text(400, "more than one Host header\n"),
        }
    };
    response.bytes(method == "HEAD")
}

/// Whether `host`, the value of a request's `Host`, names the monitor
/// listening on `listening`: `localhost`, or an IP address, the listening
/// one or, when that is a loopback address, any loopback address
/// (`127.0.0.1`, `[::1]`, however spelt); with or without a port, any port
/// (a tunnel's local port is not the monitor's). Case does not matter.
/// Names other than localhost are refused: a page that reached the port
/// through DNS rebinding sends its own name.
fn host_allowed(host: &str, listening: SocketAddr) -> bool {
    let (name, port) = if let Some(rest) = host.strip_prefix('[') {
        let Some((inside, after)) = rest.split_once(']') else { return false };
        (inside, after)
    } else {
        match host.find(':') {
            Some(i) => host.split_at(i),
            None => (host, ""),
        }
    };
    let port = match port.strip_prefix(':') {
        None if port.is_empty() => None,
        Some(digits) if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) => {
            match digits.parse::<u16>() {
                Ok(p) => Some(p),
                Err(_) => return false,
            }
        }
        _ => return false,
    };
    let bracketed = host.starts_with('[');
    let ip = if bracketed {
        name.parse::<Ipv6Addr>().ok().map(IpAddr::V6)
    } else {
        name.parse::<Ipv4Addr>().ok().map(IpAddr::V4)
    };
    let name_ok = match ip {
        Some(ip) => ip == listening.ip() || (ip.is_loopback() && listening.ip().is_loopback()),
        None => !bracketed && name.eq_ignore_ascii_case("localhost"),
    };
    // The port was checked for its form above; any number will do.
    let _ = port;
    name_ok
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
            421 => "Misdirected Request",
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

    fn lo(port: u16) -> SocketAddr {
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    }

    #[test]
    fn hosts() {
        let at = lo(9100);
        for good in [
            "localhost",
            "localhost:9100",
            "LocalHost:9100",
            "LOCALHOST",
            "127.0.0.1:9100",
            "127.0.0.2:9100",
            "[::1]:9100",
            "[0:0:0:0:0:0:0:1]:9100",
            "[::0001]:9100",
            // An SSH tunnel's local port, and no port at all.
            "localhost:9101",
            "127.0.0.1:8080",
            "[::1]:9101",
            "127.0.0.1",
            "[::1]",
        ] {
            assert!(host_allowed(good, at), "{good:?} refused");
        }
        for bad in [
            "",
            "evil.example:9100",
            "evil.example",
            "localhost.evil.example:9100",
            "evil.localhost:9100",
            "user@localhost:9100",
            "localhost.:9100",
            "localhost:",
            "localhost:+9100",
            "localhost: 9100",
            "localhost:9100:9100",
            "localhost:99999",
            "127.1:9100",
            "0.0.0.0:9100",
            "192.0.2.7:9100",
            "[::1:9100",
            "[::1]9100",
            "[::1]:9100x",
            "::1:9100",
            "[127.0.0.1]:9100",
            "[localhost]:9100",
            "[::ffff:127.0.0.1]:9100",
            "[fe80::1]:9100",
        ] {
            assert!(!host_allowed(bad, at), "{bad:?} accepted");
        }
        // Port 80: clients leave it out.
        for good in ["127.0.0.1", "[::1]", "localhost", "localhost:80", "127.0.0.1:80"] {
            assert!(host_allowed(good, lo(80)), "{good:?} refused on port 80");
        }
        let v6: SocketAddr = "[::1]:9".parse().unwrap();
        for good in ["[::1]:9", "[0::1]:9", "127.0.0.1:9", "localhost:9", "Localhost"] {
            assert!(host_allowed(good, v6), "{good:?} refused on [::1]:9");
        }
        assert!(!host_allowed("[::2]:9", v6));
        // A listening address that is not loopback (LAPACK_AI_MONITOR_ALLOW_REMOTE=1,
        // which answers any Host anyway): its own IP, not loopback ones.
        let remote: SocketAddr = "192.0.2.7:9100".parse().unwrap();
        assert!(host_allowed("192.0.2.7:9100", remote) && host_allowed("localhost:9100", remote));
        assert!(!host_allowed("127.0.0.1:9100", remote));
    }

    /// The response to `request` as the connection gives it: status line
    /// and headers, body.
    fn answer(request: &[u8], me: Listening) -> (String, String) {
        let bytes = match head_status(request, 0) {
            HeadStatus::Complete(end) => response_to(&request[..end], false, me),
            HeadStatus::TooLarge => response_to(request, true, me),
            HeadStatus::Incomplete => panic!("incomplete: {request:?}"),
        };
        let text = String::from_utf8(bytes).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.to_string(), body.to_string())
    }

    fn status(request: &str, me: Listening) -> u16 {
        answer(request.as_bytes(), me).0[9..12].parse().unwrap()
    }

    #[test]
    fn requests() {
        let me = Listening { addr: lo(9100), any_host: false };
        let (head, body) = answer(b"GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1:9100\r\n\r\n", me);
        assert!(head.starts_with("HTTP/1.1 200 OK\r\n") && head.contains("Connection: close"), "{head}");
        assert!(body.starts_with("{\"library\":\"lapack-ai\""), "{body}");
        // LF line ends, any case in the header's name, no space, spaces and tabs around the value.
        assert_eq!(status("GET /metrics HTTP/1.1\nhOsT:localhost\n\n", me), 200);
        assert_eq!(status("GET /metrics HTTP/1.1\r\nHost: \t[::1]:9100 \t\r\n\r\n", me), 200);
        assert_eq!(status("GET / HTTP/1.0\r\nUser-Agent: x\r\nHost: localhost:9100\r\nAccept: */*\r\n\r\n", me), 200);
        // Host: missing, more than one, another name, empty, only after the head.
        assert_eq!(status("GET /api/stats HTTP/1.1\r\n\r\n", me), 400);
        assert_eq!(status("GET /api/stats HTTP/1.1\r\nX-Host: localhost\r\nHost : localhost\r\n\r\n", me), 400);
        assert_eq!(status("GET /api/stats HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n\r\n", me), 400);
        assert_eq!(status("GET / HTTP/1.1\r\n\r\nHost: localhost\r\n\r\n", me), 400);
        let (head, body) = answer(b"GET /api/stats HTTP/1.1\r\nHost: evil.example:9100\r\n\r\n", me);
        assert!(head.starts_with("HTTP/1.1 421 Misdirected Request\r\n"), "{head}");
        assert!(head.contains("Content-Type: text/plain") && body.contains("localhost:9100"), "{body}");
        assert!(!body.contains("lapack-ai\""));
        assert_eq!(status("GET /api/stats HTTP/1.1\r\nHost:\r\n\r\n", me), 421);
        // LAPACK_AI_MONITOR_ALLOW_REMOTE=1: any Host, but one.
        let remote = Listening { any_host: true, ..me };
        assert_eq!(status("GET /api/stats HTTP/1.1\r\nHost: evil.example:9100\r\n\r\n", remote), 200);
        assert_eq!(status("GET /api/stats HTTP/1.1\r\n\r\n", remote), 400);
        // Methods (after Host), HEAD, an empty request line.
        assert_eq!(status("DELETE /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", me), 405);
        assert_eq!(status("get /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n", me), 405);
        assert_eq!(status("DELETE /metrics HTTP/1.1\r\nHost: evil.example\r\n\r\n", me), 421);
        assert_eq!(status("GET /nothing HTTP/1.1\r\nHost: localhost\r\n\r\n", me), 404);
        assert_eq!(status("\r\n\r\n", me), 400);
        assert_eq!(status("\n\n", me), 400);
        let (head, body) = answer(b"HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n", me);
        assert!(head.contains(&format!("Content-Length: {}", PAGE.len())) && body.is_empty(), "{head}");
        // Bytes that are not UTF-8 in a header do not matter.
        assert_eq!(answer(b"GET /metrics HTTP/1.1\r\nX: \xff\xfe\r\nHost: localhost\r\n\r\n", me).0[9..12], *"200");
    }

    #[test]
    fn request_sizes() {
        let me = Listening { addr: lo(9100), any_host: false };
        let sized = |len: usize| {
            let start = "GET /metrics HTTP/1.1\r\nHost: localhost\r\nX-Pad: ";
            let pad = "p".repeat(len - start.len() - 4);
            format!("{start}{pad}\r\n\r\n")
        };
        assert_eq!(sized(MAX_REQUEST).len(), MAX_REQUEST);
        assert_eq!(status(&sized(MAX_REQUEST), me), 200);
        assert_eq!(status(&sized(MAX_REQUEST + 1), me), 431);
        // What follows the head (a body, a second request) is not part of it.
        assert_eq!(status(&(sized(MAX_REQUEST) + "GET / HTTP/1.1\r\n\r\n"), me), 200);
        // No end yet: incomplete below the limit, too large at it.
        assert_eq!(head_status(b"GET / HTTP/1.1\r\nHost: localhost\r\n", 0), HeadStatus::Incomplete);
        assert_eq!(head_status(b"GET / HTTP/1.1\r\n\r", 0), HeadStatus::Incomplete);
        assert_eq!(head_status(&[b'a'; MAX_REQUEST - 1], 0), HeadStatus::Incomplete);
        assert_eq!(head_status(&[b'a'; MAX_REQUEST], 0), HeadStatus::TooLarge);
        let (head, _) = answer(&[b'a'; MAX_REQUEST], me);
        assert!(head.starts_with("HTTP/1.1 431 "), "{head}");
        // Trickled one byte at a time, the end is found where it is, with
        // CRLF, LF or both.
        for request in [
            &b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\nrest"[..],
            b"GET / HTTP/1.1\nHost: x\n\nrest",
            b"GET /\r\n\nrest",
        ] {
            let whole = request.len() - 4;
            let found = (1..=request.len()).find_map(|n| match head_status(&request[..n], n - 1) {
                HeadStatus::Complete(end) => Some(end),
                _ => None,
            });
            assert_eq!(found, Some(whole), "{request:?}");
            assert_eq!(head_status(request, 0), HeadStatus::Complete(whole));
        }
    }

    /// The loop itself, on a port of its own: more idle connections than
    /// it keeps hold up no request and push out the oldest; a connection
    /// that trickles its head is closed at the head's deadline.
    #[test]
    fn a_flood_or_a_trickle_keeps_no_request_out() {
        let listener = TcpListener::bind(lo(0)).unwrap();
        listener.set_nonblocking(true).unwrap();
        let me = Listening { addr: listener.local_addr().unwrap(), any_host: false };
        std::thread::spawn(move || serve(&listener, me));
        let idle: Vec<TcpStream> = (0..2 * MAX_CONNECTIONS).map(|_| TcpStream::connect(me.addr).unwrap()).collect();
        for _ in 0..20 {
            let t = Instant::now();
            let mut s = TcpStream::connect(me.addr).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
            write!(s, "GET /api/stats HTTP/1.1\r\nHost: {}\r\n\r\n", me.addr).unwrap();
            let mut out = String::new();
            s.read_to_string(&mut out).unwrap();
            assert!(out.starts_with("HTTP/1.1 200 OK\r\n"), "{out}");
            assert!(t.elapsed() < Duration::from_secs(1), "{:?}", t.elapsed());
        }
        // Still open (the read times out) or closed by the loop (end of stream).
        let open = |mut s: &TcpStream| {
            s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
            match s.read(&mut [0u8; 16]) {
                Ok(0) => false,
                Err(e) => matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut),
                Ok(_) => panic!("the monitor wrote to a connection that sent nothing"),
            }
        };
        assert!(!open(&idle[0]), "the oldest connection was not closed");
        assert!(open(&idle[idle.len() - 1]), "the newest connection was closed");
        drop(idle);

        let start = Instant::now();
        let mut trickle = TcpStream::connect(me.addr).unwrap();
        let closed_after = loop {
            let _ = trickle.write_all(b"G");
            if !open(&trickle) {
                break start.elapsed();
            }
            assert!(start.elapsed() < 3 * HEAD_DEADLINE, "a trickling connection was not closed");
            std::thread::sleep(Duration::from_millis(100));
        };
        assert!(closed_after > HEAD_DEADLINE - Duration::from_millis(200), "closed after {closed_after:?}");
        assert!(closed_after < HEAD_DEADLINE + Duration::from_millis(1000), "closed after {closed_after:?}");
        trickle.set_read_timeout(None).unwrap();
    }

    #[test]
    fn the_page_needs_nothing_from_outside() {
        for external in ["http://", "https://", "//cdn", "src=\"/", "href=\"/", "@import"] {
            assert!(!PAGE.contains(external), "the page refers to {external}");
        }
        assert!(PAGE.contains("/api/stats"));
    }
}
