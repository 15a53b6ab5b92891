"""bench/RESULTS.md: each benchmark section is rewritten in place by the run
that measured it."""
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RESULTS = os.path.join(ROOT, "bench", "RESULTS.md")


def write_section(title, text):
    """Prints text and puts it in RESULTS.md in place of the section of that title."""
    print(text)
    header = "# Benchmarks\n\nEach section is rewritten by the `make bench` run named in it.\n\n"
    old = open(RESULTS).read() if os.path.exists(RESULTS) else header
    marker = "## " + title
    if marker in old:
        start = old.index(marker)
        nxt = old.find("\n## ", start + 1)
        old = old[:start] + text + ("\n" + old[nxt + 1:] if nxt >= 0 else "")
    else:
        old = old.rstrip("\n") + "\n\n" + text
    with open(RESULTS, "w") as f:
        f.write(old)
