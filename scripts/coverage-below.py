#!/usr/bin/env python3
"""Prints the totals of a gcovr JSON summary and every file of src/ below
the bars, with what it misses (uncovered lines and branches), worst first:
  coverage-below.py SUMMARY.json LINE_BAR BRANCH_BAR
Exits 0 either way: the table is a report, the bars a goal (bench/RESULTS.md
says why the files listed there are below them)."""
import json
import sys


def main():
    path, line_bar, branch_bar = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    with open(path) as f:
        s = json.load(f)
    print("coverage of src/: lines %.1f %% (%d of %d), branches %.1f %% (%d of %d)"
          % (s["line_percent"], s["line_covered"], s["line_total"],
             s["branch_percent"], s["branch_covered"], s["branch_total"]))
    below = []
    for f in s["files"]:
        lp = f["line_percent"] if f["line_total"] else 100.0
        bp = f["branch_percent"] if f["branch_total"] else 100.0
        if lp < line_bar or bp < branch_bar:
            missed = (f["line_total"] - f["line_covered"]) + (f["branch_total"] - f["branch_covered"])
            below.append((missed, f["filename"], lp, bp, f["line_total"] - f["line_covered"],
                          f["branch_total"] - f["branch_covered"]))
    print("%d files below %.0f %% of lines or %.0f %% of branches (most missed first):"
          % (len(below), line_bar, branch_bar))
    print("  %-44s %7s %9s %9s %9s" % ("file", "lines", "branches", "lines -", "branches -"))
    for _, name, lp, bp, ml, mb in sorted(below, reverse=True):
        print("  %-44s %6.1f%% %8.1f%% %9d %9d" % (name, lp, bp, ml, mb))


if __name__ == "__main__":
    main()
