#!/usr/bin/env bash
# The conformance corpus on --stack linux at -j1 and then -j2, in one run:
# wall time and verdicts for each, and where a script's wall time goes —
# fixed overhead (fork, namespace, veth, sysctls, header commands, teardown:
# the script's wall time less its script time) versus script time (the
# script's own timeline, i.e. waiting on the kernel's timers: RTOs, delayed
# ACKs, keepalive, TIME_WAIT...).
#
#   bench/linux-corpus.sh SYNACK SCRIPTS_DIR [JOBS...]   (default JOBS: 1 2)
#
# Needs root (a network namespace per script); otherwise it says SKIP and
# exits 0. Takes the corpus's wall time at each -j (about 7.5 + 4 min for
# the 184-script corpus on 2 cores).
set -euo pipefail
synack=$1
dir=$2
shift 2
jobs=("$@")
[ ${#jobs[@]} -gt 0 ] || jobs=(1 2)

echo "== linux corpus: $dir on --stack linux at -j ${jobs[*]}"
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: the linux stack needs CAP_NET_ADMIN and CAP_NET_RAW (run as root)"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for j in "${jobs[@]}"; do
	t0=$(date +%s.%N)
	"$synack" run --stack linux --tap -v -j "$j" "$dir" >"$tmp/j$j.tap" 2>"$tmp/j$j.err" || true
	t1=$(date +%s.%N)
	echo "$t0 $t1" >"$tmp/j$j.wall"
done

# Per run: scripts, passes, failures (TODO failures count as passes, as in
# TAP), skips, wall time; then per-script overhead = wall - script time.
summary() {
	awk -v wall="$(awk '{ printf "%.1f", $2 - $1 }' "$1.wall")" '
	/^ok [0-9]+ .*# SKIP/ { skip++; next }
	/^ok [0-9]+ / { pass++; next }
	/^not ok [0-9]+ .*# TODO/ { pass++; next }
	/^not ok [0-9]+ / { fail++; next }
	/^# [0-9.]+ s script time, [0-9.]+ ms wall$/ {
		s = $2; w = $6 / 1000; n++; script += s; o = w - s; over += o
		v[n] = o
	}
	END {
		# overheads sorted (insertion sort: ~200 values)
		for (i = 2; i <= n; i++) { x = v[i]; for (k = i - 1; k >= 1 && v[k] > x; k--) v[k + 1] = v[k]; v[k + 1] = x }
		p50 = n ? v[int((n + 1) / 2)] : 0; mx = n ? v[n] : 0
		printf "%s %d %d %d %.1f %.1f %.1f %.1f %.1f\n", wall, pass, fail, skip, script, over,
		    n ? 1000 * over / n : 0, 1000 * p50, 1000 * mx
	}' "$1.tap"
}

printf '%-44s' ""
for j in "${jobs[@]}"; do printf '%12s' "-j$j"; done
printf '\n'
declare -A col
for j in "${jobs[@]}"; do col[$j]=$(summary "$tmp/j$j"); done
row() { # label, field number, suffix
	printf '%-44s' "$1"
	for j in "${jobs[@]}"; do
		# shellcheck disable=SC2086
		set -- "$1" "$2" "$3" ${col[$j]}
		local f=$(($2 + 3))
		printf '%12s' "${!f}$3"
	done
	printf '\n'
}
row "wall time of the corpus" 1 " s"
row "scripts passed" 2 ""
row "scripts failed" 3 ""
row "scripts skipped" 4 ""
row "script time, summed (kernel timers)" 5 " s"
row "fixed overhead, summed (wall - script time)" 6 " s"
row "fixed overhead per script, mean" 7 " ms"
row "fixed overhead per script, p50" 8 " ms"
row "fixed overhead per script, max" 9 " ms"
for j in "${jobs[@]}"; do
	if grep -q '^not ok' "$tmp/j$j.tap"; then
		echo "failed at -j$j:"
		grep '^not ok' "$tmp/j$j.tap" | grep -v '# TODO' | sed 's/^/    /'
	fi
done
