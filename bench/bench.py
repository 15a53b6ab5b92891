#!/usr/bin/env python3
"""make bench: start a seeded chimerad on SQLite, drive it with wrk, and
write req/s and latency percentiles per endpoint into bench/RESULTS.md.

Ratios are taken within one run (endpoint vs GET /api/health), because the
absolute numbers move with whatever else the machine is doing. Every load
loop is bounded by wrk's -d duration; the server listens on loopback only.
"""
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build/chimerad"))
DURATION = os.environ.get("BENCH_DURATION", "8s")
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base, method, path, body=None, token=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def start_server(tmp, port, extra=None):
    env = dict(os.environ)
    env.update({
        "DATABASE_URL": "sqlite://%s/bench.db" % tmp,
        "CHIMERA_DATA_DIR": tmp,
        "CHIMERA_PORT": str(port),
        "CHIMERA_LOG_REQUESTS": "0",
        "CHIMERA_USER_RATE_LIMIT": "1000000000",
        "CHIMERA_LOGIN_FAIL_LIMIT": "1000000000",
        "CHIMERA_REGISTER_LIMIT": "1000000000",
    })
    env.update(extra or {})
    t0 = time.monotonic()
    proc = subprocess.Popen([BIN, "serve"], env=env, stderr=subprocess.DEVNULL)
    deadline = t0 + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.05) as s:
                s.sendall(b"GET /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if s.recv(64).startswith(b"HTTP/1.1 200"):
                    return proc, (time.monotonic() - t0) * 1000
        except OSError:
            time.sleep(0.001)
    proc.kill()
    raise SystemExit("server did not become healthy")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrk(url, conns, token=None, script=None):
    cmd = ["wrk", "-t2", "-c%d" % conns, "-d" + DURATION, "--latency", url]
    if token:
        cmd[1:1] = ["-H", "Authorization: Bearer " + token]
    if script:
        cmd[1:1] = ["-s", script]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=120).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct in ("50", "99"):
        m = re.search(r"\s%s%%\s+([\d.]+)(us|ms|s)\b" % pct, out)
        v, unit = float(m.group(1)), m.group(2)
        lat[pct] = v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50": lat["50"], "p99": lat["99"],
            "non2xx": int(errors.group(1)) if errors else 0, "cmd": " ".join(
                c if "Bearer" not in c else "Authorization: Bearer $TOKEN" for c in cmd)}


def main():
    tmp = tempfile.mkdtemp(prefix="chimera-bench.")
    port = free_port()
    proc, first_ms = start_server(tmp, port)
    base = "http://127.0.0.1:%d/api" % port
    try:
        time.sleep(0.5)
        idle_rss = rss_kib(proc.pid)
        reg = call(base, "POST", "/auth/register",
                   {"name": "Bench", "email": "bench@example.com", "password": "benchmark-pw"})
        token = reg["data"]["token"]
        login_lua = os.path.join(tmp, "login.lua")
        with open(login_lua, "w") as f:
            f.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
                    'wrk.body = \'{"email":"bench@example.com","password":"benchmark-pw"}\'\n')
        rows = []
        for conns in (32, 128):
            health = wrk(base + "/health", conns)
            profile = wrk(base + "/auth/profile", conns, token)
            rows.append(("GET /api/health", conns, health, 1.0))
            rows.append(("GET /api/auth/profile", conns, profile, profile["rps"] / health["rps"]))
        login = wrk(base + "/auth/login", 8, script=login_lua)
        rows.append(("POST /api/auth/login", 8, login, None))
        loaded_rss = rss_kib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    report(rows, first_ms, idle_rss, loaded_rss)


def report(rows, first_ms, idle_rss, loaded_rss):
    lines = [
        "## Foundation: auth reads (issue: foundation)",
        "",
        "Run: `make bench` (bench/bench.py: wrk -t2 -d%s, SQLite, server and wrk sharing "
        "the machine's 2 cores), %s." % (DURATION, time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        "",
        "| endpoint | conns | req/s | p50 ms | p99 ms | vs health | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, conns, r, ratio in rows:
        lines.append("| %s | %d | %.0f | %.2f | %.2f | %s | %d |" % (
            name, conns, r["rps"], r["p50"], r["p99"],
            "%.0f%%" % (ratio * 100) if ratio is not None else "-", r["non2xx"]))
    lines += [
        "",
        "- first healthy response %.1f ms after exec; idle RSS %.1f MiB; RSS after the load %.1f MiB."
        % (first_ms, idle_rss / 1024, loaded_rss / 1024),
        "- login is bound by Argon2id by design (libsodium interactive cost: opslimit 2, "
        "memlimit 64 MiB per hash; settings CHIMERA_ARGON2_OPSLIMIT / CHIMERA_ARGON2_MEMLIMIT).",
        "- commands: " + "; ".join(sorted({"`%s`" % r["cmd"] for _, _, r, _ in rows})),
        "",
    ]
    text = "\n".join(lines)
    print(text)
    header = "# Benchmarks\n\nEach section is rewritten by the `make bench` run named in it.\n\n"
    old = open(RESULTS).read() if os.path.exists(RESULTS) else header
    marker = "## Foundation: auth reads"
    if marker in old:
        start = old.index(marker)
        nxt = old.find("\n## ", start + 1)
        old = old[:start] + text + (old[nxt + 1:] if nxt >= 0 else "")
    else:
        old = old.rstrip("\n") + "\n\n" + text
    with open(RESULTS, "w") as f:
        f.write(old)


if __name__ == "__main__":
    main()
