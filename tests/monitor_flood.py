#!/usr/bin/env python3
"""The monitor (LAPACK_AI_MONITOR) under the probe that starved its first
version; tests/stats_monitor.sh runs it against a running program.

    tests/monitor_flood.py PORT

1. Slow loris: 8 connections that send a request head one byte every 3 s,
   for the whole run (one that the monitor closes is opened again).
2. 500 idle connections, opened after those and never closed by us.
3. While all of them are open on our side: 100 GET /api/stats with the
   right Host, from 4 clients that pause 0.1 s between two requests (so
   that the requests span the attackers' next bytes), each request allowed
   5 s. Every one must be a 200 with the JSON, and all 100 must be done
   within LIMIT_S.
4. With the attackers gone: a connection that sends a head one byte every
   0.5 s must be closed by the monitor at its deadline for the whole head
   (2 s from the accept), not kept open.

Prints one line per check, "PASS text" or "FAIL text"; exit status 0 when
every check passed.
"""
import json
import resource
import select
import socket
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

SLOW = 8
SLOW_EVERY_S = 3.0
IDLE = 500
REQUESTS = 100
WORKERS = 4
PACE_S = 0.1  # between two requests of a worker: the 100 take about 2.5 s
REQUEST_TIMEOUT_S = 5.0
LIMIT_S = 5.0
HEAD_DEADLINE_S = 2.0
TRICKLE_EVERY_S = 0.5

HOST = "127.0.0.1"
HEAD = b"GET /api/stats HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 4096


def still_open(s):
    """Whether the monitor has not closed s (nothing to read yet)."""
    try:
        return s.recv(1, socket.MSG_DONTWAIT | socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


class SlowLoris(threading.Thread):
    """SLOW connections, each sending HEAD one byte every SLOW_EVERY_S."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = threading.Event()
        self.socks = [self.connect() for _ in range(SLOW)]
        self.sent = [0] * SLOW
        self.reopened = 0
        for i in range(SLOW):
            self.send(i)

    def connect(self):
        s = socket.create_connection((HOST, self.port), timeout=5)
        s.setblocking(False)  # still_open must not wait
        return s

    def send(self, i):
        self.socks[i].send(HEAD[self.sent[i] % len(HEAD):][:1])
        self.sent[i] += 1

    def run(self):
        while not self.stop.wait(SLOW_EVERY_S):
            for i in range(SLOW):
                try:
                    if not still_open(self.socks[i]):
                        raise ConnectionResetError
                    self.send(i)
                except OSError:
                    self.socks[i].close()
                    try:
                        self.socks[i] = self.connect()
                        self.sent[i] = 0
                        self.reopened += 1
                        self.send(i)
                    except OSError:
                        pass


def open_idle(port, n, wait_s=10.0):
    """n connections that say nothing; returns those that connected."""
    socks = []
    for _ in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        s.connect_ex((HOST, port))
        socks.append(s)
    pending = {s.fileno(): s for s in socks}
    poller = select.poll()
    for fd in pending:
        poller.register(fd, select.POLLOUT)
    connected = []
    end = time.monotonic() + wait_s
    while pending and time.monotonic() < end:
        for fd, _ in poller.poll(100):
            s = pending.pop(fd)
            poller.unregister(fd)
            if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) == 0:
                connected.append(s)
            else:
                s.close()
    for s in pending.values():
        s.close()
    return connected


def get(port, host, path="/api/stats"):
    """One request: (status, body, seconds); status 0 when it failed."""
    start = time.monotonic()
    try:
        with socket.create_connection((HOST, port), timeout=REQUEST_TIMEOUT_S) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return 0, b"", time.monotonic() - start
    head, _, body = data.partition(b"\r\n\r\n")
    words = head.split(b" ", 2)
    status = int(words[1]) if len(words) > 1 and words[0].startswith(b"HTTP/1.") else 0
    return status, body, time.monotonic() - start


def trickle(port):
    """Seconds until the monitor closes a connection that sends a head one
    byte every TRICKLE_EVERY_S (None: still open after 3 deadlines)."""
    s = socket.create_connection((HOST, port), timeout=5)
    s.setblocking(False)
    start = time.monotonic()
    sent = 0
    try:
        while time.monotonic() - start < 3 * HEAD_DEADLINE_S:
            try:
                s.send(HEAD[sent:sent + 1])
                sent += 1
            except OSError:
                return time.monotonic() - start
            end = time.monotonic() + TRICKLE_EVERY_S
            while time.monotonic() < end:
                if not still_open(s):
                    return time.monotonic() - start
                time.sleep(0.02)
        return None
    finally:
        s.close()


def main():
    port = int(sys.argv[1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 2048:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(2048, hard), hard))
    results = []

    def check(passed, text):
        results.append(passed)
        print(("PASS " if passed else "FAIL ") + text, flush=True)

    loris = SlowLoris(port)
    loris.start()
    time.sleep(0.2)
    idle = open_idle(port, IDLE)
    host = f"{HOST}:{port}"
    start = time.monotonic()

    def worker(_):
        out = []
        for _ in range(REQUESTS // WORKERS):
            out.append(get(port, host))
            time.sleep(PACE_S)
        return out

    with ThreadPoolExecutor(WORKERS) as pool:
        answers = [a for part in pool.map(worker, range(WORKERS)) for a in part]
    took = time.monotonic() - start

    def is_stats(body):
        try:
            return json.loads(body).get("library") == "lapack-ai"
        except ValueError:
            return False

    served = sum(1 for status, body, _ in answers if status == 200 and is_stats(body))
    slowest = max(t for _, _, t in answers)
    statuses = sorted({status for status, _, _ in answers})
    idle_open = sum(1 for s in idle if still_open(s))
    slow_closed = loris.reopened + sum(1 for s in loris.socks if not still_open(s))
    check(
        served == REQUESTS and took <= LIMIT_S,
        f"flood: {served} of {REQUESTS} GET /api/stats answered 200 in {took:.2f} s (slowest {slowest * 1000:.0f} ms, "
        f"statuses {statuses}) with {SLOW} slow-loris connections (one byte every {SLOW_EVERY_S:g} s) and "
        f"{len(idle)} of {IDLE} idle ones connected; the monitor closed {len(idle) - idle_open} idle connections "
        f"and {slow_closed} slow ones",
    )
    loris.stop.set()
    loris.join()
    for s in loris.socks + idle:
        s.close()

    closed = trickle(port)
    check(
        closed is not None and HEAD_DEADLINE_S - 0.2 <= closed <= HEAD_DEADLINE_S + 1.0,
        "a head trickled one byte every %g s: %s" % (
            TRICKLE_EVERY_S,
            "never closed" if closed is None else f"closed by the monitor after {closed:.2f} s "
            f"(deadline {HEAD_DEADLINE_S:g} s from the accept)",
        ),
    )
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
