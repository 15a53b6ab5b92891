#!/usr/bin/env python3
"""The soak of `make bench` (issue 16): a mixed load for BENCH_SOAK_MINUTES
(30) against one chimerad on SQLite, sampling its resident memory, open file
descriptors and threads every BENCH_SOAK_SAMPLE seconds (60), and counting
errors (any non-2xx answer or failed connection). The data set stays the same
size (memories and conversations are deleted as fast as they are made), so
after the warm-up every curve should be flat.

  bench/soak.py PATH-TO-CHIMERAD [MINUTES [SAMPLE_SECONDS]]   (a short smoke:
  bench/soak.py build/chimerad 1 10)

Writes the "Soak" section of bench/RESULTS.md (a run shorter than 30 minutes
only prints it); exits 1 when an error happened
or file descriptors or threads grew after the warm-up. The load is paced
(each client waits PACE_S between requests), so the run is bounded in time
and leaves the machine to others."""
import os
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
        while True:
            rss, threads, fds = proc_status(proc.pid)
            samples.append((time.monotonic() - t0, rss, fds, threads,
                            sum(ld.requests for ld in loads), sum(ld.errors for ld in loads)))
            if time.monotonic() >= end or proc.poll() is not None:
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
    return samples, loads, alive


def verdict(samples, loads, alive):
    """Problems: errors, a dead server, fds or threads above their warm level,
    RSS more than 10% above it (warm = the sample a third of the way in)."""
    warm = samples[len(samples) // 3]
    last = samples[-1]
    problems = []
    if not alive:
        problems.append("the server died")
    errors = sum(ld.errors for ld in loads)
    if errors:
        problems.append("%d errors, first: %s" % (errors, next(
            ld.first_error for ld in loads if ld.first_error)))
    if last[2] > warm[2] + 2:
        problems.append("open fds grew from %d to %d" % (warm[2], last[2]))
    if last[3] > warm[3]:
        problems.append("threads grew from %d to %d" % (warm[3], last[3]))
    if last[1] > warm[1] * 1.10:
        problems.append("RSS grew from %.1f to %.1f MiB" % (warm[1] / 1024, last[1] / 1024))
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
        "| minute | RSS MiB | open fds | threads | requests | errors |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for t, rss, fds, threads, reqs, errs in samples:
        lines.append("| %.1f | %.1f | %d | %d | %d | %d |" % (t / 60, rss / 1024, fds, threads,
                                                               reqs, errs))
    lines += ["", "- verdict: " + ("; ".join(problems) if problems else
                                   "flat once warm (fds and threads unchanged, RSS within 10% "
                                   "of its level a third of the way in), zero errors"), ""]
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
