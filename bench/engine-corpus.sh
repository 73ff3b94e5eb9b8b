#!/usr/bin/env bash
# The engine stack in virtual time (issue 4's figure): wall time of the
# 60 s TIME_WAIT script (best of N runs; goal well under 10 ms) and of the
# whole corpus, each next to the script time it covers, measured in one run.
#
#   bench/engine-corpus.sh SYNACK SCRIPTS_DIR [RUNS]   (default RUNS: 20)
set -euo pipefail
synack=$1
dir=$2
runs=${3:-20}
tw=$dir/time_wait/time-wait-60s.pkt

# "PASS path (S s script time, W ms wall)" -> "S W"
times() { sed -n 's/.*(\([0-9.]*\) s script time, \([0-9.]*\) ms wall).*/\1 \2/p'; }

echo "== engine stack: script time vs wall time"
printf '%-28s %6s %14s %12s %14s\n' what scripts "script time s" "wall ms" "virtual/wall"
if [ -f "$tw" ]; then
	best=""
	for _ in $(seq "$runs"); do
		read -r s w < <("$synack" run --stack engine "$tw" | times)
		if [ -z "$best" ] || awk -v a="$w" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$w
			script=$s
		fi
	done
	awk -v s="$script" -v w="$best" -v r="$runs" 'BEGIN {
		printf "%-28s %6d %14.3f %12.3f %14.0f\n", "time-wait-60s (best of " r ")", 1, s, w, s * 1000 / w }'
fi
t0=$(date +%s%N)
out=$("$synack" run --stack engine "$dir" || true)
t1=$(date +%s%N)
echo "$out" | times | awk -v total_ms="$(((t1 - t0) / 1000000))" '
	{ s += $1; w += $2; n++ }
	END { printf "%-28s %6d %14.3f %12.3f %14.0f\n", "corpus (sum of scripts)", n, s, w, s * 1000 / w
	      printf "%-28s %6d %14s %12d\n", "corpus (process wall)", n, "", total_ms }'
todo=$(echo "$out" | grep -c '^FAIL .* TODO ' || true)
fails=$(echo "$out" | grep '^FAIL' | grep -vc ' TODO ' || true)
echo "($todo known divergence(s) reported as TODO; $fails unexpected failure(s) — make check reports them)"
