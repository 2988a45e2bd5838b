#!/usr/bin/env bash
# Runs the full form of every lab (or of the labs named as arguments) one after the other, and
# collects what the README's lab table shows: each lab's wall time (from its result.json), its
# verdicts, and its first figure (the first image of its summary.md), copied to
# docs/images/labs/NAME.png. Prints one line per lab and writes RUNS/full-runs.tsv.
#
#   scripts/labs/full_runs.sh [--runs DIR] [LAB...]      (default DIR: runs/labs-full)
#
# Each full run is sized to finish within 15 minutes on a 2-core machine; the whole set takes
# about an hour. Run it on a quiet machine and say which CPU (lscpu) next to the times.
# HANDGRAD_JAR=path runs that jar instead of ./handgrad (a fixed build while the tree changes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="$root/runs/labs-full"
if [ "${1:-}" = "--runs" ]; then
  runs="$2"
  shift 2
fi
mkdir -p "$runs" "$root/docs/images/labs"
handgrad() {
  "$root/handgrad" "$@" 2> >(grep -v 'incubator modules' >&2)
}
if [ "$#" -gt 0 ]; then
  labs=("$@")
else
  mapfile -t labs < <(handgrad lab list | awk 'NF { print $1 }')
fi
tsv="$runs/full-runs.tsv"
[ -f "$tsv" ] || printf 'lab\tseconds\tagrees\tfigure\trun\n' > "$tsv"
for lab in "${labs[@]}"; do
  before=$(ls -d "$runs"/lab-"$lab"-* 2>/dev/null | sort | tail -1 || true)
  handgrad lab run "$lab" --run-dir "$runs" > "$runs/$lab.log" 2>&1 || {
    echo "$lab: failed, see $runs/$lab.log" >&2
    continue
  }
  dir=$(ls -d "$runs"/lab-"$lab"-* | sort | tail -1)
  if [ "$dir" = "$before" ]; then
    echo "$lab: no new run folder in $runs" >&2
    continue
  fi
  seconds=$(python3 -c 'import json,sys; print("%.1f" % json.load(open(sys.argv[1]))["seconds"])' "$dir/result.json")
  agrees=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["agrees"])' "$dir/result.json")
  figure=$(grep -o '!\[[^]]*\]([^)]*\.png)' "$dir/summary.md" | head -1 | sed 's/.*(\(.*\))/\1/')
  if [ -n "$figure" ]; then
    cp "$dir/$figure" "$root/docs/images/labs/$lab.png"
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$lab" "$seconds" "$agrees" "$figure" "$dir" >> "$tsv"
  printf '%-18s %8s s  agrees %-5s  %s\n' "$lab" "$seconds" "$agrees" "$figure"
done
