#!/usr/bin/env bash
# Cohort scaling benchmark: simulate a cohort of SAMPLES samples of EVENTS
# events each, then time `escapade cohort run` on it with --jobs 1 and --jobs 2 (each into a
# fresh database) and print samples/s and the speedup. Not a test: nothing is asserted.
#
#   bench/cohort_scaling.sh [SAMPLES [EVENTS]] [--escapade PATH] [--keep DIR]
#
# Defaults: 200 samples of 500,000 events (the issue's size; about 200 × 20 MB of FCS, so
# mind the disk), found escapade in build/release, build/dev or PATH. The simulator makes about
# 3.4 samples per patient; the script asks for enough patients and keeps the first SAMPLES rows
# of the manifest. Target: at least 1.8× on 2 cores and under 60 s on 2 cores.
set -euo pipefail

samples=200
events=500000
escapade=""
keep=""
positional=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --escapade) escapade="$2"; shift 2 ;;
    --keep) keep="$2"; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) positional+=("$1"); shift ;;
  esac
done
[[ ${#positional[@]} -ge 1 ]] && samples="${positional[0]}"
[[ ${#positional[@]} -ge 2 ]] && events="${positional[1]}"

root="$(cd "$(dirname "$0")/.." && pwd)"
if [[ -z "$escapade" ]]; then
  for candidate in "$root/build/release/cli/escapade" "$root/build/dev/cli/escapade" "$(command -v escapade || true)"; do
    if [[ -n "$candidate" && -x "$candidate" ]]; then escapade="$candidate"; break; fi
  done
fi
[[ -x "$escapade" ]] || { echo "cohort_scaling: no escapade binary (build it, or pass --escapade PATH)" >&2; exit 2; }

work="${keep:-$(mktemp -d "${TMPDIR:-/tmp}/escapade_cohort_scaling.XXXXXX")}"
mkdir -p "$work"
[[ -z "$keep" ]] && trap 'rm -rf "$work"' EXIT

patients=$(( (samples * 10 + 33) / 34 + 1 ))
echo "escapade:   $escapade ($("$escapade" --version))"
echo "cohort:     $samples samples of $events events ($patients patients simulated) in $work"
echo "cores:      $(nproc) available"

cli_simulate() {
  # The inputs are made outside the timed runs (STYLE §7), with every core.
  "$escapade" simulate cohort --patients "$patients" --events "$events" --out "$work/cohort" --quiet >/dev/null
}

t0=$(date +%s.%N)
cli_simulate
t1=$(date +%s.%N)
printf 'simulated in %.1f s\n' "$(echo "$t1 - $t0" | bc -l)"

# Keep the header and the first SAMPLES rows.
manifest="$work/cohort/manifest.tsv"
head -n "$(( samples + 1 ))" "$manifest" > "$work/cohort/bench_manifest.tsv"
rows=$(( $(wc -l < "$work/cohort/bench_manifest.tsv") - 1 ))
mb=$(du -sm "$work/cohort" | cut -f1)
echo "manifest:   $rows samples, ${mb} MB of input"

# "1 core" and "2 cores" mean exactly that: each run is pinned with taskset when it exists,
# so the 1-job run cannot borrow the second core for its database writer.
pin() {
  if command -v taskset >/dev/null; then taskset -c "$(seq -s, 0 $(($1 - 1)))" "${@:2}"; else "${@:2}"; fi
}
declare -A seconds
for jobs in 1 2; do
  db="$work/cohort_j$jobs.db"
  rm -f "$db" "$db-wal" "$db-shm"
  s=$(date +%s.%N)
  pin "$jobs" "$escapade" cohort run "$work/cohort/bench_manifest.tsv" --db "$db" --jobs "$jobs" --quiet >/dev/null
  e=$(date +%s.%N)
  seconds[$jobs]=$(echo "$e - $s" | bc -l)
  printf 'jobs %d:     %7.2f s   %6.2f samples/s   %6.2f M events/s\n' "$jobs" "${seconds[$jobs]}" \
    "$(echo "$rows / ${seconds[$jobs]}" | bc -l)" "$(echo "$rows * $events / ${seconds[$jobs]} / 1000000" | bc -l)"
done
printf 'speedup:    %.2fx on 2 jobs (target >= 1.8x; 200 x 500k target < 60 s on 2 cores)\n' \
  "$(echo "${seconds[1]} / ${seconds[2]}" | bc -l)"
