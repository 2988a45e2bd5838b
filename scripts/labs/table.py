#!/usr/bin/env python3
"""Prints the README's lab table (markdown) from the full-runs.tsv that full_runs.sh writes.

    python3 scripts/labs/table.py runs/labs-full/full-runs.tsv "$(./handgrad lab list)"

One row a lab, in `lab list` order: the name, what it shows (the `lab list` description), the
wall time of its full run, whether every check agreed, and its first figure as a thumbnail
(docs/images/labs/NAME.png, copied there by full_runs.sh).
"""
import csv
import sys


def main(tsv_path, listing):
    runs = {}
    with open(tsv_path, newline="") as f:
        for row in csv.DictReader(f, delimiter="\t"):
            runs[row["lab"]] = row  # a later run of the same lab wins
    print("| lab | what it shows | full run | |")
    print("|---|---|---|---|")
    for line in listing.splitlines():
        if not line.strip():
            continue
        name, _, what = line.strip().partition(" ")
        r = runs.get(name)
        if r is None:
            time, img = "not run", ""
        else:
            verdict = "all checks agree" if r["agrees"] == "True" else "a check disagrees"
            time = "%s s, %s" % (r["seconds"], verdict)
            img = '<img src="docs/images/labs/%s.png" width="260" alt="%s">' % (name, name)
        print("| `%s` | %s | %s | %s |" % (name, what.strip(), time, img))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
