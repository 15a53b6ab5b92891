#!/usr/bin/env python3
"""The soak of `make bench` (issue 16): a mixed load for BENCH_SOAK_MINUTES
(30) against one chimerad on SQLite, sampling its resident memory, open file
descriptors and threads every BENCH_SOAK_SAMPLE seconds (60), and counting
errors (any non-2xx answer or failed connection). Each sample also reads the
bounded pools from GET /api/metrics (answer cache, vector and keyword
indexes, SQLite's heap, malloc's free bytes) and the size of the SQLite WAL,
so the table shows what the resident memory is made of. The data set stays
the same size (memories and conversations are deleted as fast as they are
made), so after the warm-up every curve should be flat: the pools up to
their bounds, the rest of RSS, the WAL.

  bench/soak.py PATH-TO-CHIMERAD [MINUTES [SAMPLE_SECONDS]]   (a short smoke:
  bench/soak.py build/chimerad 1 10)

Writes the "Soak" section of bench/RESULTS.md (a run shorter than 30 minutes
only prints it); exits 1 when an error happened, or file descriptors,
threads, RSS less the pools, or the WAL grew after the warm-up. The load is paced
(each client waits PACE_S between requests), so the run is bounded in time
and leaves the machine to others."""
import http.client
import os
import re
import shutil
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from client import Client, register  # noqa: E402
from results import write_section  # noqa: E402

CLIENTS = 4
PACE_S = 0.02
KEEP_MEMORIES = 60          # per client: older ones are deleted
MESSAGES_PER_CONV = 40      # then the conversation is deleted and a new one made


def proc_status(pid):
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()[0] if v.split() else ""
    return int(out["VmRSS"]), int(out["Threads"]), len(os.listdir("/proc/%d/fd" % pid))


POOLS = ("chimera_body_cache_bytes", "chimera_index_bytes", "chimera_keyword_index_bytes",
         "chimera_db_sqlite_heap_bytes")
GAUGES = POOLS + ("chimera_malloc_free_bytes",)


def gauges(port):
    """The GAUGES from GET /api/metrics (loopback needs no token), bytes."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", "/api/metrics")
        text = conn.getresponse().read().decode()
    finally:
        conn.close()
    out = {}
    for name in GAUGES:
        m = re.search(r"^%s (\S+)$" % name, text, re.M)
        out[name] = float(m.group(1)) if m else 0.0
    return out


def file_kib(path):
    try:
        return os.path.getsize(path) / 1024
    except OSError:
        return 0.0


class Load(threading.Thread):
    """One client: its own user and workspace, a fixed cycle of reads and writes."""

    def __init__(self, port, k, stop):
        super().__init__(daemon=True)
        self.port, self.k, self.stop = port, k, stop
        self.requests = self.errors = 0
        self.first_error = None

    def call(self, c, method, path, body=None):
        self.requests += 1
        try:
            return c.call(method, path, body)
        except Exception as e:      # an error is the finding: count it, keep going
            self.errors += 1
            self.first_error = self.first_error or "%s %s: %s" % (method, path, e)
            c.close()
            return None

    def run(self):
        token, _ = register(self.port, "Soak %d" % self.k, "soak%d@example.com" % self.k)
        c = Client(self.port, token)
        wid = c.call("POST", "/workspaces", {"name": "soak %d" % self.k})["id"]
        cid, sent, mems, i = None, 0, [], 0
        while not self.stop.is_set():
            i += 1
            if cid is None:
                d = self.call(c, "POST", "/workspaces/%s/conversations" % wid,
                              {"modelId": "model-echo"})
                cid, sent = (d or {}).get("id"), 0
            step = i % 8
            if step == 0:
                d = self.call(c, "POST", "/workspaces/%s/memories" % wid,
                              {"title": "note %d" % i, "content": "soak memory %d about "
                               "vectors, indexes and the weather on day %d" % (i, i % 31)})
                if d:
                    mems.append(d["id"])
                while len(mems) > KEEP_MEMORIES:
                    self.call(c, "DELETE", "/memories/" + mems.pop(0))
            elif step == 1 and mems:
                self.call(c, "PUT", "/memories/" + mems[i % len(mems)],
                          {"content": "updated %d" % i})
            elif step == 2:
                self.call(c, "POST", "/memories/search",
                          {"query": "weather day %d" % (i % 31), "workspaceId": wid, "top_k": 5})
            elif step == 3 and cid:
                self.call(c, "POST", "/conversations/%s/messages" % cid,
                          {"content": "message %d" % i, "getAiResponse": True})
                sent += 1
                if sent >= MESSAGES_PER_CONV:
                    self.call(c, "DELETE", "/conversations/" + cid)
                    cid = None
            elif step == 4 and cid:
                self.call(c, "GET", "/conversations/" + cid)
            elif step == 5:
                self.call(c, "GET", "/workspaces/%s/dashboard" % wid)
            elif step == 6:
                self.call(c, "GET", "/workspaces/%s/memories" % wid)
            else:
                self.call(c, "GET", "/workspaces")
            time.sleep(PACE_S)
        c.close()


def soak(bench, minutes, sample_s):
    tmp = tempfile.mkdtemp(prefix="chimera-soak.")
    port = bench.free_port()
    proc, _ = bench.start_server(tmp, port)
    stop = threading.Event()
    loads = [Load(port, k, stop) for k in range(CLIENTS)]
    samples = []
    try:
        t0 = time.monotonic()
        for ld in loads:
            ld.start()
        end = t0 + minutes * 60
        while proc.poll() is None:
            rss, threads, fds = proc_status(proc.pid)
            g = gauges(port)
            samples.append({
                "t": time.monotonic() - t0, "rss": rss, "fds": fds, "threads": threads,
                "requests": sum(ld.requests for ld in loads),
                "errors": sum(ld.errors for ld in loads),
                "pools": {k: g[k] / 1024 for k in POOLS},
                "free": g["chimera_malloc_free_bytes"] / 1024,
                "rest": rss - sum(g[k] for k in POOLS) / 1024,
                "wal": file_kib(os.path.join(tmp, "bench.db-wal")),
            })
            if time.monotonic() >= end:
                break
            time.sleep(min(sample_s, max(0.0, end - time.monotonic())))
        stop.set()
        for ld in loads:
            ld.join(60)
    finally:
        stop.set()
        alive = proc.poll() is None
        proc.terminate()
        proc.wait(timeout=90)
        shutil.rmtree(tmp, ignore_errors=True)
    return samples, loads, alive


def verdict(samples, loads, alive):
    """Problems: errors, a dead server, fds or threads above their warm level,
    RSS less the pools more than 10% above it, the WAL more than 8 MiB above
    it (warm = the sample a third of the way in). The pools are bounded by
    their settings; RSS itself is reported, not judged: it follows them."""
    warm = samples[len(samples) // 3]
    last = samples[-1]
    problems = []
    if not alive:
        problems.append("the server died")
    errors = sum(ld.errors for ld in loads)
    if errors:
        problems.append("%d errors, first: %s" % (errors, next(
            ld.first_error for ld in loads if ld.first_error)))
    if last["fds"] > warm["fds"] + 2:
        problems.append("open fds grew from %d to %d" % (warm["fds"], last["fds"]))
    if last["threads"] > warm["threads"]:
        problems.append("threads grew from %d to %d" % (warm["threads"], last["threads"]))
    if last["rest"] > warm["rest"] * 1.10:
        problems.append("RSS less the pools grew from %.1f to %.1f MiB"
                        % (warm["rest"] / 1024, last["rest"] / 1024))
    if last["wal"] > warm["wal"] + 8 * 1024:
        problems.append("the WAL grew from %.1f to %.1f MiB"
                        % (warm["wal"] / 1024, last["wal"] / 1024))
    return problems


def report(minutes, sample_s, samples, problems):
    lines = [
        "## Soak",
        "",
        "Run: `make bench` (bench/soak.py: %d clients, each its own user and workspace, paced "
        "%d ms apart, cycling memory create/update/delete, search, echo chat, conversation and "
        "dashboard reads; SQLite; %g minutes, a sample every %d s), %s."
        % (CLIENTS, PACE_S * 1000, minutes, sample_s,
           time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
        "",
        "Columns in MiB: RSS; the pools `GET /api/metrics` reports (answer cache "
        "`chimera_body_cache_bytes`, vector indexes `chimera_index_bytes`, keyword indexes "
        "`chimera_keyword_index_bytes`, SQLite's heap `chimera_db_sqlite_heap_bytes`); RSS "
        "less those four; what malloc holds freed (`chimera_malloc_free_bytes`, part of the "
        "rest); the SQLite WAL file.",
        "",
        "| minute | RSS | answer cache | vector idx | keyword idx | SQLite heap | RSS − pools "
        "| malloc free | WAL | open fds | threads | requests | errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in samples:
        p = [s["pools"][k] / 1024 for k in POOLS]
        lines.append("| %.1f | %.1f | %.1f | %.2f | %.2f | %.1f | %.1f | %.1f | %.1f | %d | %d "
                     "| %d | %d |" % (s["t"] / 60, s["rss"] / 1024, p[0], p[1], p[2], p[3],
                                      s["rest"] / 1024, s["free"] / 1024, s["wal"] / 1024,
                                      s["fds"], s["threads"], s["requests"], s["errors"]))
    lines += ["", "- verdict: " + ("; ".join(problems) if problems else
                                   "flat once warm (fds and threads unchanged, RSS less the "
                                   "pools within 10% and the WAL within 8 MiB of their levels "
                                   "a third of the way in), zero errors"), ""]
    if minutes >= 30:
        write_section("Soak", "\n".join(lines))
    else:
        print("\n".join(lines))


def main():
    import bench
    minutes = float(sys.argv[2]) if len(sys.argv) > 2 else float(
        os.environ.get("BENCH_SOAK_MINUTES", "30"))
    sample_s = int(sys.argv[3]) if len(sys.argv) > 3 else int(
        os.environ.get("BENCH_SOAK_SAMPLE", "60"))
    samples, loads, alive = soak(bench, minutes, sample_s)
    problems = verdict(samples, loads, alive)
    report(minutes, sample_s, samples, problems)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
