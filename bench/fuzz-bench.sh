#!/usr/bin/env bash
# exec/s of every libFuzzer target next to the trivial baseline target
# (bench/baseline_fuzz.c, same flags), one after the other in this run, each
# for SECONDS on its seeds (and regressions), fuzzing (mutations, not replay).
# Absolute numbers depend on the machine and its load; the ratio to the
# baseline is what to compare across runs. Goals (issue 8): segment >= 50k
# exec/s on one core, network >= 5k.
# Usage: bench/fuzz-bench.sh BUILD_DIR SECONDS TARGET...
set -uo pipefail
build=$1 secs=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
measure() { # name binary corpus-dirs...
	local name=$1 bin=$2
	shift 2
	mkdir -p "$tmp/$name"
	"$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 \
		-artifact_prefix="$tmp/" "$tmp/$name" "$@" >"$tmp/$name.log" 2>&1
	sed -n 's/^stat::average_exec_per_sec: *//p' "$tmp/$name.log" | tail -1
}
base=$(measure baseline "$build/fuzz/bench/baseline")
base=${base:-0}
echo "fuzz targets: exec/s over ${secs}s each, libFuzzer + ASan + UBSan, load $(cut -d' ' -f1 /proc/loadavg)"
printf '  %-10s %10s %10s\n' target exec/s "of base"
printf '  %-10s %10s %10s\n' baseline "$base" "1.000"
for t in "$@"; do
	# shellcheck disable=SC2046
	e=$(measure "$t" "$build/fuzz/libfuzzer/$t" \
		$(ls -d "corpora/$t/seeds" "corpora/regressions/$t" 2>/dev/null))
	e=${e:-0}
	ratio=$(awk -v a="$e" -v b="$base" 'BEGIN { printf "%.3f", b ? a / b : 0 }')
	goal=""
	[ "$t" = segment ] && goal="(goal 50000)"
	[ "$t" = network ] && goal="(goal 5000)"
	printf '  %-10s %10s %10s %s\n' "$t" "$e" "$ratio" "$goal"
done
