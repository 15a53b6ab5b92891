"""make bench, section "Connections, metrics, shared limits": what the cluster
and operations work costs or protects, measured in one run against one
SQLite node (and one PostgreSQL-backed node for the shared limits).

- keep-alive clients from one address: wrk -c32 and -c512 on /api/health;
- GET /api/metrics: its own req/s, and health with metrics being scraped;
- a hostile address holding 2,000 connections (half idle, half sending one
  header byte a second) while another loopback address probes /api/health;
- the per-user ceiling counted in the database (PostgreSQL) vs in memory:
  GET /api/auth/profile req/s on each engine.
Every load loop is bounded in time; everything stays on loopback."""
import os
import socket
import subprocess
import tempfile
import threading
import time


def _connect(port, source):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((source, 0))
    s.settimeout(2)
    s.connect(("127.0.0.1", port))
    return s


def hostile_probe(port, n=2000, seconds=20):
    """n connections from 127.0.0.1 (half idle, half trickling a header byte
    a second), then a health probe from 127.0.0.2 every ~3 s for `seconds`."""
    socks, stop = [], threading.Event()
    for i in range(n):
        try:
            socks.append(_connect(port, "127.0.0.1"))
        except OSError:
            break
    slow = socks[: len(socks) // 2]

    def trickle():
        while not stop.is_set():
            for s in slow:
                try:
                    s.send(b"G")
                except OSError:
                    pass
            stop.wait(1.0)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    ok, took = 0, []
    deadline = time.monotonic() + seconds
    probes = 0
    while time.monotonic() < deadline:
        probes += 1
        t0 = time.monotonic()
        try:
            s = _connect(port, "127.0.0.2")
            s.settimeout(3)
            s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            if s.recv(64).startswith(b"HTTP/1.1 200"):
                ok += 1
                took.append((time.monotonic() - t0) * 1000)
            s.close()
        except OSError:
            pass
        time.sleep(max(0.0, 3.0 - (time.monotonic() - t0)))
    stop.set()
    t.join(3)
    for s in socks:
        try:
            s.close()
        except OSError:
            pass
    return {"opened": len(socks), "probes": probes, "ok": ok,
            "max_ms": max(took) if took else None}


def pg_profile_rps(bench, tmp):
    """GET /api/auth/profile on a node over a throw-away PostgreSQL: the
    per-user ceiling counted per node and flushed to the database."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pgdir = tempfile.mkdtemp(prefix="chimera-pg.", dir="/tmp")
    os.chmod(pgdir, 0o755)
    url = subprocess.run([os.path.join(root, "scripts", "pg-cluster.sh"), "start", pgdir],
                         capture_output=True, text=True, check=True).stdout.strip()
    port = bench.free_port()
    proc = None
    try:
        proc, _ = bench.start_server(tmp, port, {"DATABASE_URL": url,
                                                 "CHIMERA_USER_RATE_LIMIT": "100000000"})
        from client import register
        token, _ = register(port, "PG", "pg-bench@example.com")
        base = "http://127.0.0.1:%d/api" % port
        health = bench.wrk(base + "/health", 32)
        profile = bench.wrk(base + "/auth/profile", 32, token)
        return health, profile
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=60)
        subprocess.run([os.path.join(root, "scripts", "pg-cluster.sh"), "stop", pgdir],
                       capture_output=True)


def bench_ops(bench, base, port, token, tmp):
    rows, notes = [], []
    health = bench.wrk(base + "/health", 32)
    rows.append(("GET /api/health", 32, health, 1.0))
    many = bench.wrk(base + "/health", 512)
    rows.append(("GET /api/health (512 keep-alive connections, one address)", 512, many,
                 many["rps"] / health["rps"]))
    metrics = bench.wrk(base + "/metrics", 8)
    rows.append(("GET /api/metrics (loopback)", 8, metrics, metrics["rps"] / health["rps"]))
    profile = bench.wrk(base + "/auth/profile", 32, token)
    rows.append(("GET /api/auth/profile (SQLite: ceiling in memory)", 32, profile,
                 profile["rps"] / health["rps"]))
    if os.environ.get("BENCH_SKIP_PG") != "1":
        pg_health, pg_profile = pg_profile_rps(bench, tmp)
        rows.append(("GET /api/health (PostgreSQL node)", 32, pg_health, 1.0))
        rows.append(("GET /api/auth/profile (PostgreSQL: ceiling flushed every 200 ms)", 32,
                     pg_profile, pg_profile["rps"] / pg_health["rps"]))
    h = hostile_probe(port)
    notes.append("one address holding %d connections (half idle, half sending one header byte "
                 "a second): %d of %d health probes from another address answered 200 in 20 s "
                 "(slowest %s ms); CHIMERA_HEADER_TIMEOUT 10 s, CHIMERA_MAX_CONNECTIONS 1024."
                 % (h["opened"], h["ok"], h["probes"],
                    "%.0f" % h["max_ms"] if h["max_ms"] is not None else "-"))
    notes.append("512 keep-alive connections from one address: %d non-2xx, served at %.0f%% of "
                 "the 32-connection rate." % (many["non2xx"], 100 * many["rps"] / health["rps"]))
    return ("Connections, metrics, shared limits", rows, notes)
